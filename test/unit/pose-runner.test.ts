/**
 * `estimatePose` (workers/engine/conditions/pose.ts) end to end on Node's onnxruntime wasm backend with a tiny
 * random-weight DWPose pair that has the release's file, input and output names and shapes (test/fixtures/
 * tiny-dwpose.ts): one certain person detection and SimCC peaks for the nose and shoulders give a skeleton at pixels
 * computed by hand through the box, the 1.25 padding, the 288/384 aspect and the split ratio. Also: the whole-frame
 * fallback, cancel, and refusals of a model with the wrong output names or shapes.
 */
import { describe, expect, it } from 'vitest';
import { BODY_COLORS } from '../../src/core/conditions/pose/draw';
import { estimatePose } from '../../workers/engine/conditions/pose';
import { openTinyDwpose, tinyDetector, tinyDwposeFiles, tinyPose, type TinyDetection } from '../fixtures/tiny-dwpose';

const W = 64;
const H = 64;
const options = { mode: 'dwpose', hand: true, face: true } as const;

function frames(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, f) => Uint8Array.from({ length: W * H * 4 }, (_, i) => (i * 7 + f * 31) % 256));
}

/** Stride 32, cell (9, 9): cx = cy = 9.5·32 = 304, w = 8·32, h = 12·32 → [176, 112, 432, 496] in the 640² input,
 * r = 10 → [17.6, 11.2, 43.2, 49.6] in the frame; centre (30.4, 30.4), scale 32 × 48 → aspect-fixed 36 × 48:
 * frame x = bin/2 · 36/288 + 12.4, frame y = bin/2 · 48/384 + 6.4. */
const person: TinyDetection = {
  stride: 32,
  gx: 9,
  gy: 9,
  ox: 0.5,
  oy: 0.5,
  lw: Math.log(8),
  lh: Math.log(12),
  obj: 1,
  person: 1,
};
const peaks = [
  { keypoint: 0, ix: 288, iy: 64 }, // nose → (30.4, 10.4)
  { keypoint: 5, ix: 480, iy: 256 }, // left shoulder → (42.4, 22.4)
  { keypoint: 6, ix: 96, iy: 256 }, // right shoulder → (18.4, 22.4); neck → (30.4, 22.4)
];

// Built once: emitting the detector's 8400 × 85 bias is most of a model's cost.
let personDetector: Uint8Array | undefined;
const detector = () => (personDetector ??= tinyDetector([person]));

function rgbAt(map: Float32Array, f: number, x: number, y: number): number[] {
  const plane = W * H;
  return [0, 1, 2].map((c) => Math.round(map[f * 3 * plane + c * plane + y * W + x]! * 255));
}

describe('estimatePose with a tiny DWPose model (wasm)', () => {
  it('detects the person, decodes the keypoints through the crop and draws the skeleton on every frame', async () => {
    const model = await openTinyDwpose({ 'yolox_l.onnx': detector(), 'dw-ll_ucoco_384.onnx': tinyPose(peaks) });
    try {
      const map = await estimatePose(frames(2), W, H, model, options);
      expect(map.length).toBe(2 * 3 * W * H);
      expect(map.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      for (const f of [0, 1]) {
        expect(rgbAt(map, f, 30, 10)).toEqual([...BODY_COLORS[0]!]); // nose
        expect(rgbAt(map, f, 30, 22)).toEqual([...BODY_COLORS[1]!]); // neck
        expect(rgbAt(map, f, 18, 22)).toEqual([...BODY_COLORS[2]!]); // right shoulder
        expect(rgbAt(map, f, 42, 22)).toEqual([...BODY_COLORS[5]!]); // left shoulder
        expect(rgbAt(map, f, 24, 22)).toEqual([153, 0, 0]); // limb 0: neck → right shoulder
        expect(rgbAt(map, f, 36, 22)).toEqual([153, 51, 0]); // limb 1: neck → left shoulder
        expect(rgbAt(map, f, 30, 16)).toEqual([0, 0, 153]); // limb 12: neck → nose
        expect(rgbAt(map, f, 5, 50)).toEqual([0, 0, 0]); // nothing else (hidden hands, face, other joints)
      }
    } finally {
      await model.release();
    }
  });

  it('runs the estimator on the whole frame when nobody is detected', async () => {
    // Whole frame: centre (32, 32), scale 80 × 106.7; bins (288, 384) are the crop's centre → (32, 32).
    const model = await openTinyDwpose(tinyDwposeFiles([], [{ keypoint: 0, ix: 288, iy: 384 }]));
    try {
      const map = await estimatePose(frames(1), W, H, model, { mode: 'openpose', hand: false, face: false });
      expect(rgbAt(map, 0, 32, 32)).toEqual([...BODY_COLORS[0]!]);
      expect(rgbAt(map, 0, 30, 16)).toEqual([0, 0, 0]);
    } finally {
      await model.release();
    }
  });

  it('stops with CANCELLED when the signal is aborted', async () => {
    const model = await openTinyDwpose({ 'yolox_l.onnx': detector(), 'dw-ll_ucoco_384.onnx': tinyPose(peaks) });
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(estimatePose(frames(1), W, H, model, options, controller.signal)).rejects.toMatchObject({
        code: 'CANCELLED',
      });
    } finally {
      await model.release();
    }
  });

  it('refuses a pose model with other output names, and one whose SimCC width is not 2 × 288', async () => {
    await expect(
      openTinyDwpose({ 'yolox_l.onnx': detector(), 'dw-ll_ucoco_384.onnx': tinyPose(peaks, ['x', 'y']) }),
    ).rejects.toMatchObject({ code: 'MODEL_ARCHITECTURE', message: expect.stringContaining('simcc_x, simcc_y') });
    const model = await openTinyDwpose({
      'yolox_l.onnx': detector(),
      'dw-ll_ucoco_384.onnx': tinyPose([], ['simcc_x', 'simcc_y'], [512, 768]),
    });
    try {
      await expect(estimatePose(frames(1), W, H, model, options)).rejects.toMatchObject({
        code: 'MODEL_ARCHITECTURE',
        message: expect.stringMatching(/"simcc_x" is float \[1, 133, 512\].*\[1, 133, 576\]/),
      });
    } finally {
      await model.release();
    }
  });
});
