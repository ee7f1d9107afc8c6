/**
 * fp16 compute graphs (issue 12; workers/engine/graph/fp16-graph.ts), the path of WebGPU devices with shader-f16,
 * checked on ORT wasm (no fp16 GPU here; ORT runs each fp16 op through fp32 kernels with casts):
 *  - an fp16 file's weights go into the graph as stored: the same bytes, half the fp32 size, no widening;
 *  - fp32 islands: InstanceNormalization (GroupNorm), LayerNormalization and Softmax read fp32 and use fp32
 *    scale/bias; the timestep projection stays fp32; Resize's scales stay float32; inputs/outputs stay float32;
 *  - `halfBits` encodes binary16 exactly;
 *  - the engine's components with `compute: 'fp16'` (fp16 files, text → UNet → VAE through the pipeline's own
 *    calls) agree with the fp32 components within the fp16 bound (1e-2 × max|fp32|).
 * The per-component errors against the reference goldens are in fp16-emulation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { halfBits, toFp16 } from '../../workers/engine/graph/fp16-graph';
import { lowerStandard } from '../../workers/engine/graph/lower';
import { buildUNet } from '../../workers/engine/models/unet';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { createNodeComponents, type ModelFileReader } from '../../workers/engine/pipeline/components-node';
import type { DeviceTensor } from '../../workers/engine/tensors/device-tensor';
import { describeShared, readShared } from '../helpers/node/shared';
import { config, weights } from './models-golden';

describe('halfBits', () => {
  it('encodes binary16 (round to nearest even, subnormals, ±∞, NaN)', () => {
    expect(halfBits(1)).toBe(0x3c00);
    expect(halfBits(-2)).toBe(0xc000);
    expect(halfBits(65504)).toBe(0x7bff);
    expect(halfBits(1e6)).toBe(0x7c00);
    expect(halfBits(-1e6)).toBe(0xfc00);
    expect(halfBits(2 ** -24)).toBe(0x0001);
    expect(halfBits(2 ** -14)).toBe(0x0400);
    expect(halfBits(0.1)).toBe(0x2e66);
    expect(halfBits(1 + 2 ** -11)).toBe(0x3c00); // a tie: to even
    expect(halfBits(NaN)).toBe(0x7e00);
    expect(halfBits(-0)).toBe(0x8000);
  });
});

describeShared('the fp16 graph of the tiny UNet', () => {
  const graph = () =>
    lowerStandard(
      buildUNet(
        weights('tiny-sd/unet/diffusion_pytorch_model.fp16.safetensors'),
        parseUNetArch(config('tiny-sd/unet/config.json'), 'unet/config.json'),
        { batch: 2, height: 16, width: 16 },
      ),
    );

  it('keeps fp16 weights as stored and computes the islands in fp32', () => {
    const plain = graph();
    const half = toFp16(plain);
    const weightsIn = [...plain.initializers].filter(([, t]) => t.isWeight);
    for (const [name, t] of weightsIn) {
      const h = half.initializers.get(name);
      // Norm scales/biases are read by fp32 islands only: their fp32 copy is used.
      const w = h ?? half.initializers.get(`${name}/fp32`);
      expect(w, name).toBeDefined();
      if (h) {
        expect(h.dtype).toBe('float16');
        expect(h.byteLength).toBe(t.byteLength / 2);
        expect(Buffer.from(h.bytes()).equals(Buffer.from(t.half!.bytes())), name).toBe(true);
      }
    }
    const byOutput = new Map(half.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    const castTo = (v: string) => {
      const n = byOutput.get(v);
      return n?.op === 'Cast' ? (n.attrs.to as { int: number }).int : undefined;
    };
    for (const n of half.nodes.filter((x) => x.op === 'InstanceNormalization')) {
      expect(castTo(n.inputs[0]!), n.name).toBe(1); // reads an fp32 copy
      expect(half.initializers.get(n.inputs[1]!)?.dtype).toBe('float32');
    }
    const resize = half.nodes.filter((x) => x.op === 'Resize');
    expect(resize.length).toBeGreaterThan(0);
    for (const n of resize) expect(half.initializers.get(n.inputs[2]!)?.dtype).toBe('float32');
    // The sinusoidal projection reads the fp32 timestep directly.
    expect(half.nodes.some((n) => n.inputs.includes('timestep') && n.op !== 'Cast')).toBe(true);
    // Outputs: float32 under their names, cast from fp16.
    expect(castTo('noise_pred')).toBe(1);
    expect(half.inputs).toEqual(plain.inputs);
    expect(half.outputs).toEqual(plain.outputs);
  });
});

describeShared('Node components computing in fp16', () => {
  const only16 = (rel: string) => !rel.endsWith('.safetensors') || rel.endsWith('.fp16.safetensors');
  const sd: ModelFileReader = Object.assign((rel: string) => readShared(`golden/tiny-sd/${rel}`), { exists: only16 });

  async function pipeline(compute: 'fp32' | 'fp16'): Promise<Float32Array> {
    const c = createNodeComponents({ sd, compute });
    const owned: DeviceTensor[] = [];
    try {
      const ids = Int32Array.from({ length: 77 }, (_, i) => (i === 0 ? 49406 : i < 4 ? 320 + i : 49407));
      const text = await c.encodeText([ids]);
      owned.push(text);
      const latents = c.runtime.upload(
        Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i * 0.7)),
        [1, 4, 8, 8],
      );
      owned.push(latents);
      const eps = await c.unet({ sample: latents, t: 501, textCond: text, frames: 1 });
      owned.push(eps);
      const image = await c.vaeDecode(eps);
      owned.push(image);
      return Float32Array.from(await c.runtime.download(image));
    } finally {
      owned.forEach((t) => t.dispose());
      await c.release();
    }
  }

  it('text → UNet → VAE decode agree with the fp32 components within the fp16 bound', async () => {
    const [full, half] = [await pipeline('fp32'), await pipeline('fp16')];
    let maxAbs = 0;
    let refMax = 0;
    for (let i = 0; i < full.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(full[i]! - half[i]!));
      refMax = Math.max(refMax, Math.abs(full[i]!));
    }
    console.log(`[fp16 compute] decoded image: max|Δ| ${maxAbs.toExponential(2)} of max|fp32| ${refMax.toFixed(3)}`);
    expect(half.every(Number.isFinite)).toBe(true);
    expect(maxAbs).toBeGreaterThan(0);
    expect(maxAbs).toBeLessThan(1e-2 * refMax);
  }, 120_000);
});
