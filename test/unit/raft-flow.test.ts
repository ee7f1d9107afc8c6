/**
 * Optical flow from a RAFT ONNX export (workers/engine/flow/raft.ts) on Node's wasm backend, with a tiny stand-in
 * whose final flow is 24·(image2 − image1) on the first two channels: the preprocessing ([−1, 1] RGB planes), the
 * pair order, the choice of the LAST output, and the refusals (output of the wrong size, wrong input count).
 */
import { describe, expect, it } from 'vitest';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { estimateFlows, raftInput } from '../../workers/engine/flow/raft';
import { openOnnxModel } from '../../workers/engine/onnx-models/session';
import { MemorySource } from '../helpers/memory-source';
import { TINY_RAFT_GAIN, tinyRaft } from '../fixtures/tiny-raft';
import { tinyOnnx } from '../fixtures/tiny-onnx';

const W = 16;
const H = 8;

function frame(value: (x: number, y: number, c: number) => number): Uint8Array {
  const rgba = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) rgba[(y * W + x) * 4 + c] = value(x, y, c);
      rgba[(y * W + x) * 4 + 3] = 255;
    }
  return rgba;
}

async function open(bytes: Uint8Array) {
  const source = new MemorySource({ 'raft_large.onnx': bytes }, 'tiny-raft');
  const model = await validateModel(source, 'raft', await resolveModelFiles(source, 'raft'));
  return openOnnxModel(model, { kind: 'cpu' });
}

describe('RAFT optical flow', () => {
  it('maps RGBA bytes to [-1, 1] planes (torchvision OpticalFlow transform)', () => {
    const x = raftInput(
      frame((_x, _y, c) => [0, 255, 51][c]!),
      W,
      H,
    );
    expect([x[0], x[W * H], x[2 * W * H]]).toEqual([-1, 1, Math.fround(-0.6)].map(Math.fround));
  });

  it('gives [F-1, 2, H, W] pixels from consecutive pairs, the last output being the final flow', async () => {
    const model = await open(tinyRaft(H, W));
    try {
      const frames = [0, 10, 40].map((v) => frame((x, _y, c) => (c === 0 ? v + x : c === 1 ? 2 * v : 0)));
      const pairs: number[] = [];
      const flows = await estimateFlows(frames, W, H, model, { onPair: (d) => pairs.push(d) });
      expect(flows.dims).toEqual([2, 2, H, W]);
      expect(pairs).toEqual([1, 2]);
      const plane = W * H;
      const expected = (from: number, to: number, scale: number) => ((TINY_RAFT_GAIN * 2 * (to - from)) / 255) * scale;
      // pair 0: x channel 10-0 everywhere, y channel 2·10 - 0; pair 1: 30 and 60.
      expect(flows.data[0]).toBeCloseTo(expected(0, 10, 1), 5);
      expect(flows.data[plane + 5]).toBeCloseTo(expected(0, 20, 1), 5);
      expect(flows.data[2 * plane + 7]).toBeCloseTo(expected(10, 40, 1), 5);
      expect(flows.data[3 * plane + 3]).toBeCloseTo(expected(20, 80, 1), 5);
    } finally {
      await model.release();
    }
  });

  it('refuses an export whose flow is not at the frame size, and one with one input', async () => {
    const coarse = await open(tinyRaft(H, W, { outputDims: [1, 2, H / 8, W / 8] }));
    try {
      await expect(estimateFlows([frame(() => 0), frame(() => 1)], W, H, coarse)).rejects.toMatchObject({
        code: 'FLOW_UNAVAILABLE',
        message: expect.stringContaining(`not [1, 2, ${H}, ${W}]`),
      });
    } finally {
      await coarse.release();
    }
    const single = tinyOnnx(
      'one',
      [{ name: 'x', dims: [1, 3, H, W] }],
      [{ name: 'y', dims: [1, 3, H, W] }],
      (g, [x]) => [g.op('Neg', [x!])],
    );
    await expect(open(single)).rejects.toMatchObject({
      code: 'MODEL_ARCHITECTURE',
      message: expect.stringContaining('needs 2 inputs (image1, image2)'),
    });
  });
});
