/**
 * `estimatePose` against the official annotator: the same fixed model outputs (a seeded synthetic detector output
 * with overlapping, weak and non-person detections; seeded SimCC vectors with peaks, some below the 0.3 threshold or
 * negative) on two seeded 120×88 frames were given to knightyxp/VideoGrain's own `annotator/dwpose` (DWposeDetector
 * with stub sessions replaying them; run once outside the repository, with OpenCV 4.6). The sha256 below are of its
 * maps (HWC uint8, both frames); there its inputs to both models equalled ours (detector exactly, pose within 1.2e-7,
 * float32 vs float64 normalisation). This pins the whole pipeline — letterbox, decoding, NMS, crop, SimCC decoding,
 * the OpenPose conversion, thresholds and draw_pose with and without hands and face — to the reference.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DWPOSE } from '../../src/core/models/onnx/dwpose';
import { estimatePose } from '../../workers/engine/conditions/pose';
import type { HostTensor, OnnxModelSessions } from '../../workers/engine/onnx-models/session';

const W = 120;
const H = 88;
const REFERENCE = {
  body: '0151443bed207471ba40156a1602c5c0ab88b32e7414baf32a9ebc3ad98f5071',
  all: 'db002e4e63c6b932460089cec5c0b82318112d6dfed42609b9586bd34f973e3b',
};

let seed = 12345;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

const frames = [0, 1].map(() => Uint8Array.from({ length: W * H * 4 }, () => Math.floor(rnd() * 256)));
const det = new Float32Array(8400 * 85);
for (let r = 0; r < 8400; r++) {
  det[r * 85 + 4] = rnd() * 0.05;
  for (let c = 5; c < 85; c++) det[r * 85 + c] = rnd() * 0.3;
}
const stride32 = (gx: number, gy: number) => 6400 + 1600 + gy * 20 + gx;
det.set([0.3, 0.6, Math.log(4), Math.log(9), 0.97, 0.95], stride32(4, 5) * 85);
det.set([0.1, 0.5, Math.log(4.2), Math.log(8.5), 0.9, 0.9], stride32(5, 5) * 85); // overlaps the first
det.set([0.5, 0.2, Math.log(3), Math.log(7), 0.8, 0.7], stride32(12, 6) * 85);
det.set([0.5, 0.5, Math.log(5), Math.log(6), 0.9, 0.35], (6400 + 10 * 40 + 30) * 85); // weak: 0.315
det.set([0.5, 0.5, Math.log(3), Math.log(3), 0.9, 0.05], stride32(2, 2) * 85);
det[stride32(2, 2) * 85 + 7] = 0.99; // a car

function poseOutputs(): Record<string, HostTensor> {
  const sx = Float32Array.from({ length: 133 * 576 }, () => rnd() * 0.2);
  const sy = Float32Array.from({ length: 133 * 768 }, () => rnd() * 0.2);
  for (let k = 0; k < 133; k++) {
    const v = rnd();
    const score = v < 0.25 ? 0.1 : v < 0.3 ? -0.2 : 0.3 + rnd();
    sx[k * 576 + Math.floor(rnd() * 576)] = score + (rnd() < 0.5 ? 0.05 : 0);
    sy[k * 768 + Math.floor(rnd() * 768)] = score;
  }
  return { simcc_x: { dims: [1, 133, 576], data: sx }, simcc_y: { dims: [1, 133, 768], data: sy } };
}

const model: OnnxModelSessions = {
  spec: DWPOSE,
  names: (role) => {
    const f = DWPOSE.files.find((x) => x.role === role)!;
    return { inputs: f.inputs, outputs: f.outputs };
  },
  inputShape: (role) => (role === 'pose' ? [1, 3, 384, 288] : [1, 3, 640, 640]),
  run: async (role) => (role === 'detector' ? { output: { dims: [1, 8400, 85], data: det } } : poseOutputs()),
  release: async () => undefined,
};

describe('estimatePose reproduces the official DWPose annotator', () => {
  it.each([
    ['body', false, false],
    ['all', true, true],
  ] as const)('maps equal VideoGrain’s annotator output byte for byte (%s)', async (name, hand, face) => {
    seed = 999; // the pose outputs' stream, as when the reference ran
    const map = await estimatePose(frames, W, H, model, { mode: 'dwpose', hand, face });
    const hwc = new Uint8Array(2 * H * W * 3);
    for (let f = 0; f < 2; f++)
      for (let p = 0; p < H * W; p++)
        for (let c = 0; c < 3; c++) hwc[(f * H * W + p) * 3 + c] = Math.round(map[(f * 3 + c) * H * W + p]! * 255);
    expect(createHash('sha256').update(hwc).digest('hex')).toBe(REFERENCE[name]);
  });
});
