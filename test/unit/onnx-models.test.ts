/**
 * ONNX-shipped models (src/core/models/onnx-models.ts) through the model path every model takes: resolve the
 * files, validate them, open the sessions (names checked against the spec) and run — here on Node's wasm backend
 * with a tiny stand-in of the DWPose detector + pose files.
 */
import { describe, expect, it } from 'vitest';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { ONNX_MODELS, ONNX_MODEL_KINDS } from '../../src/core/models/onnx-models';
import { openOnnxModel } from '../../workers/engine/onnx-models/session';
import { MemorySource } from '../helpers/memory-source';
import { randomWeight, tinyOnnx } from '../fixtures/tiny-onnx';

const detector = (outputName = 'output') =>
  tinyOnnx(
    'detector',
    [{ name: 'images', dims: [1, 3, 8, 8] }],
    [{ name: outputName, dims: [1, 3, 8, 8] }],
    (g, [x]) => [g.op('Mul', [x!, g.constF32([2])])],
  );

const pose = () =>
  tinyOnnx(
    'pose',
    [{ name: 'input', dims: [1, 3, 4, 4] }],
    [
      { name: 'simcc_x', dims: [1, 3, 4] },
      { name: 'simcc_y', dims: [1, 3, 4] },
    ],
    (g, [x]) => {
      const flat = g.op('Reshape', [x!, g.constI64([1, 3, 16])]);
      const w = randomWeight(g, 'w', [16, 4], 7);
      const y = g.op('MatMul', [flat, w]);
      return [y, g.op('Neg', [y])];
    },
  );

async function open(files: Record<string, Uint8Array>) {
  const source = new MemorySource(files, 'tiny-dwpose');
  const resolved = await resolveModelFiles(source, 'dwpose');
  const model = await validateModel(source, 'dwpose', resolved);
  return openOnnxModel(model, { kind: 'cpu' });
}

describe('ONNX-shipped models', () => {
  it('every kind names its files, inputs, outputs and a preset with a licence', () => {
    for (const kind of ONNX_MODEL_KINDS) {
      const spec = ONNX_MODELS[kind];
      expect(spec.kind).toBe(kind);
      expect(spec.files.length).toBeGreaterThan(0);
      for (const f of spec.files) expect(f.inputs.length * f.outputs.length * f.candidates.length).toBeGreaterThan(0);
      expect(spec.preset.license).not.toBe('');
      expect(spec.preset.bytes).toBeGreaterThan(0);
    }
  });

  it('loads, checks names and runs each file on the wasm backend', async () => {
    const model = await open({ 'yolox_l.onnx': detector(), 'dw-ll_ucoco_384.onnx': pose() });
    try {
      const x = Float32Array.from({ length: 192 }, (_, i) => i / 192);
      const out = await model.run('detector', { images: { dims: [1, 3, 8, 8], data: x } });
      expect(out.output!.dims).toEqual([1, 3, 8, 8]);
      expect(out.output!.data[191]).toBeCloseTo((2 * 191) / 192, 5);
      const p = await model.run('pose', { input: { dims: [1, 3, 4, 4], data: new Float32Array(48).fill(1) } });
      expect(p.simcc_x!.dims).toEqual([1, 3, 4]);
      const x2 = p.simcc_x!.data as Float32Array;
      expect(Array.from(p.simcc_y!.data as Float32Array)).toEqual(Array.from(x2, (v) => -v));
    } finally {
      await model.release();
    }
  });

  it('refuses a file whose outputs are not the spec’s, naming both', async () => {
    await expect(open({ 'yolox_l.onnx': detector('boxes'), 'dw-ll_ucoco_384.onnx': pose() })).rejects.toMatchObject({
      code: 'MODEL_ARCHITECTURE',
      message: expect.stringMatching(/outputs \[boxes\].*needs inputs \[images\] and outputs \[output\]/),
    });
  });

  it('names a missing file, a Git LFS pointer and a file that is not ONNX', async () => {
    await expect(open({ 'yolox_l.onnx': detector() })).rejects.toMatchObject({
      code: 'MODEL_FILE_NOT_FOUND',
      message: expect.stringContaining('dw-ll_ucoco_384.onnx'),
    });
    const lfs = new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1\n');
    await expect(open({ 'yolox_l.onnx': lfs, 'dw-ll_ucoco_384.onnx': pose() })).rejects.toMatchObject({
      code: 'MODEL_HEADER_INVALID',
      message: expect.stringContaining('Git LFS pointer'),
    });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, ...new Array(60).fill(0)]);
    await expect(open({ 'yolox_l.onnx': detector(), 'dw-ll_ucoco_384.onnx': png })).rejects.toMatchObject({
      code: 'MODEL_HEADER_INVALID',
      message: expect.stringContaining('not an ONNX model'),
    });
  });
});
