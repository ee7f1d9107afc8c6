/**
 * fp16-stored weights on the CPU (issue 12; workers/engine/graph/fp16-weights.ts): the tiny golden models' fp16
 * files run with their weights kept binary16 in the ORT sessions (a Cast to float32 before each weight's first
 * use), against the fp32 goldens and against the same files widened to float32 initializers.
 *  - vs the fp32 goldens: within 1e-2 × max|reference|, the bound fp16 rounding of the weights implies (2⁻¹¹
 *    relative per weight, compounded through the network; the same bound models-components.test.ts holds the
 *    widened fp16 files to);
 *  - vs the widened run: binary16 → float32 is exact, so only ORT's op order differs (the stored graph runs at
 *    optimization level 'basic', no prepacked/fused kernels): within 1e-4 × max|reference|;
 *  - the sessions' weight bytes: every fp16 tensor is a float16 initializer (half its float32 size).
 */
import { describe, expect, it } from 'vitest';
import { FP16_WEIGHT_SUFFIX, initializerBytes, keepFp16Weights } from '../../workers/engine/graph/fp16-weights';
import type { Graph } from '../../workers/engine/graph/ir';
import { lowerStandard } from '../../workers/engine/graph/lower';
import { buildClipText, parseClipArch } from '../../workers/engine/models/clip';
import { buildControlNet, buildUNet } from '../../workers/engine/models/unet';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { buildVaeDecoder, parseVaeArch } from '../../workers/engine/models/vae';
import { cpuAttentionBackend } from '../../workers/engine/onnx/cpu-attention';
import { compilePartitioned, compileWhole, type HostTensor } from '../../workers/engine/onnx/runner';
import { createNodeComponents, type ModelFileReader } from '../../workers/engine/pipeline/components-node';
import { describeShared, readShared } from '../helpers/node/shared';
import { asInput, config, diff, goldenInt64, goldenTensor, scalarInput, weights } from './models-golden';

interface Case {
  readonly name: string;
  readonly graph: () => Graph;
  readonly inputs: () => Record<string, HostTensor>;
  readonly outputs: Readonly<Record<string, readonly [string, string]>>;
  readonly partitioned?: boolean;
}

const CASES: readonly Case[] = [
  {
    name: 'text_encoder',
    graph: () =>
      buildClipText(
        weights('tiny-sd/text_encoder/model.fp16.safetensors'),
        parseClipArch(config('tiny-sd/text_encoder/config.json'), 'text_encoder/config.json'),
        { batch: 4 },
      ),
    inputs: () => ({ input_ids: goldenInt64('clip.safetensors', 'input_ids') }),
    outputs: { last_hidden_state: ['clip.safetensors', 'last_hidden_state'] },
  },
  {
    name: 'unet',
    partitioned: true,
    graph: () =>
      buildUNet(
        weights('tiny-sd/unet/diffusion_pytorch_model.fp16.safetensors'),
        parseUNetArch(config('tiny-sd/unet/config.json'), 'unet/config.json'),
        { batch: 2, height: 16, width: 16 },
      ),
    inputs: () => ({
      sample: asInput(goldenTensor('unet.safetensors', 'sample')),
      timestep: scalarInput(981),
      encoder_hidden_states: asInput(goldenTensor('unet.safetensors', 'encoder_hidden_states')),
    }),
    outputs: { noise_pred: ['unet.safetensors', 'noise_pred_t981'] },
  },
  {
    name: 'controlnet',
    partitioned: true,
    graph: () =>
      buildControlNet(
        weights('tiny-controlnet/diffusion_pytorch_model.fp16.safetensors'),
        parseUNetArch(config('tiny-controlnet/config.json'), 'config.json'),
        { batch: 2, height: 16, width: 16 },
      ),
    inputs: () => ({
      sample: asInput(goldenTensor('controlnet.safetensors', 'sample')),
      timestep: scalarInput(981),
      encoder_hidden_states: asInput(goldenTensor('controlnet.safetensors', 'encoder_hidden_states')),
      controlnet_cond: asInput(goldenTensor('controlnet.safetensors', 'controlnet_cond')),
      conditioning_scale: scalarInput(1),
    }),
    outputs: {
      'down_block_res_samples.0': ['controlnet.safetensors', 't981.down_block_res_samples.0'],
      mid_block_res_sample: ['controlnet.safetensors', 't981.mid_block_res_sample'],
    },
  },
  {
    name: 'vae_decoder',
    graph: () =>
      buildVaeDecoder(
        weights('tiny-sd/vae/diffusion_pytorch_model.fp16.safetensors'),
        parseVaeArch(config('tiny-sd/vae/config.json'), 'vae/config.json'),
        { batch: 2, height: 16, width: 16 },
      ),
    inputs: () => ({ latent: asInput(goldenTensor('vae.safetensors', 'decode_latent')) }),
    outputs: { image: ['vae.safetensors', 'decode_image'] },
  },
];

async function run(c: Case, stored: 'widened' | 'as-stored'): Promise<Map<string, HostTensor>> {
  const options = { weights: stored } as const;
  const net = c.partitioned
    ? await compilePartitioned(c.graph(), cpuAttentionBackend, options)
    : await compileWhole(c.graph(), options);
  try {
    return await net.run(c.inputs());
  } finally {
    await net.release();
  }
}

describeShared('fp16-stored weights (tiny fp16 files) vs the fp32 goldens and the widened run', () => {
  for (const c of CASES)
    it(`${c.name}: float16 initializers; within 1e-2 of the goldens, 1e-4 of the widened run`, async () => {
      const lowered = lowerStandard(c.graph());
      const stored = keepFp16Weights(lowered);
      const halves = [...stored.initializers].filter(([, t]) => t.dtype === 'float16');
      const weightNames = [...lowered.initializers].filter(([, t]) => t.isWeight).map(([n]) => n);
      expect(halves.map(([n]) => n).sort()).toEqual(weightNames.map((n) => `${n}${FP16_WEIGHT_SUFFIX}`).sort());
      const casts = stored.nodes.filter((n) => n.op === 'Cast' && n.inputs[0]!.endsWith(FP16_WEIGHT_SUFFIX));
      expect(casts).toHaveLength(halves.length);
      const halfBytes = halves.reduce((a, [, t]) => a + t.byteLength, 0);
      console.log(
        `[fp16 weights] ${c.name}: ${halves.length} weights, ${halfBytes} B as stored; session initializers ` +
          `${initializerBytes(stored)} B vs ${initializerBytes(lowered)} B widened`,
      );
      expect(initializerBytes(lowered) - initializerBytes(stored)).toBe(halfBytes);

      const [asStored, widened] = [await run(c, 'as-stored'), await run(c, 'widened')];
      for (const [name, [file, tensor]] of Object.entries(c.outputs)) {
        const ref = goldenTensor(file, tensor);
        const vsGolden = diff(asStored.get(name), ref);
        const w = widened.get(name)!;
        const vsWidened = diff(asStored.get(name), { shape: [...w.dims], data: w.data as Float32Array });
        console.log(
          `[fp16 weights] ${c.name} ${name}: vs golden ${(vsGolden.maxAbs / vsGolden.refMaxAbs).toExponential(2)}, ` +
            `vs widened ${(vsWidened.maxAbs / vsGolden.refMaxAbs).toExponential(2)} (relative to max|ref| ${vsGolden.refMaxAbs.toFixed(3)})`,
        );
        expect(vsGolden.maxAbs).toBeLessThan(1e-2 * vsGolden.refMaxAbs);
        expect(vsWidened.maxAbs).toBeLessThanOrEqual(1e-4 * vsGolden.refMaxAbs);
      }
    }, 120_000);
});

describeShared('Node components on a folder with only fp16 files', () => {
  it('read the .fp16.safetensors weights (the full-size fixture and published fp16 checkpoints)', async () => {
    const opened: string[] = [];
    const only16 = (rel: string) => !rel.endsWith('.safetensors') || rel.endsWith('.fp16.safetensors');
    // tiny-sd as if it held only its .fp16 weight files.
    const sd: ModelFileReader = Object.assign(
      (rel: string) => {
        opened.push(rel);
        if (!only16(rel)) throw new Error(`the folder has no ${rel}`);
        return readShared(`golden/tiny-sd/${rel}`);
      },
      { exists: only16 },
    );
    const components = createNodeComponents({ sd });
    try {
      const states = await components.encodeText([
        Int32Array.from({ length: 77 }, (_, i) => (i === 0 ? 49406 : 49407)),
      ]);
      expect(states.dims).toEqual([1, 77, 32]);
      states.dispose();
    } finally {
      await components.release();
    }
    expect(opened).toContain('text_encoder/model.fp16.safetensors');
  }, 60_000);
});

describe('keepFp16Weights', () => {
  it('casts each fp16 weight right before its first reader and leaves other initializers alone', () => {
    const half = new Uint8Array([0, 0x3c, 0, 0x40]); // 1, 2
    const f32 = new Uint8Array(new Float32Array([1, 2]).buffer);
    const graph = {
      name: 'g',
      inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 2] }],
      outputs: [{ name: 'z', dtype: 'float32' as const }],
      nodes: [
        { kind: 'op' as const, name: 'a', op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: {} },
        { kind: 'op' as const, name: 'b', op: 'Mul', inputs: ['y', 'w'], outputs: ['z0'], attrs: {} },
        { kind: 'op' as const, name: 'c', op: 'Add', inputs: ['z0', 'w'], outputs: ['z1'], attrs: {} },
        { kind: 'op' as const, name: 'd', op: 'Add', inputs: ['z1', 'k'], outputs: ['z'], attrs: {} },
      ],
      initializers: new Map([
        [
          'w',
          {
            dtype: 'float32' as const,
            shape: [2],
            byteLength: 8,
            isWeight: true,
            bytes: () => f32,
            half: { byteLength: 4, bytes: () => half, read: () => Promise.resolve(half) },
          },
        ],
        ['k', { dtype: 'float32' as const, shape: [2], byteLength: 8, bytes: () => f32 }],
      ]),
    };
    const out = keepFp16Weights(graph);
    expect(out.nodes.map((n) => n.op)).toEqual(['Relu', 'Cast', 'Mul', 'Add', 'Add']);
    expect(out.nodes[1]).toMatchObject({ inputs: ['w/fp16'], outputs: ['w'], attrs: { to: { int: 1 } } });
    expect([...out.initializers.keys()].sort()).toEqual(['k', 'w/fp16']);
    expect(out.initializers.get('w/fp16')).toMatchObject({ dtype: 'float16', byteLength: 4, shape: [2] });
    expect(out.initializers.get('w/fp16')!.bytes()).toBe(half);
  });
});
