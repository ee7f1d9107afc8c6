/**
 * UNet2DConditionModel built from tiny-sd's config.json + safetensors, run with onnxruntime-web (wasm, fp32),
 * against ../shared/golden/expected (diffusers 0.40). Both lowerings: one graph with attention as standard
 * ops, and the partitioned graph with the CPU reference attention between ORT sessions.
 * Tolerances: fp32 max |Δ| ≤ 1e-4 (measured ~2e-6; output max |x| ≈ 1.3). fp16 weights (upcast to fp32):
 * every weight carries up to 2⁻¹¹ relative rounding, so outputs move by ~1e-3 of their range; we allow
 * 1e-2 × max|ref| as the golden README suggests, and check the mean |Δ| is far smaller.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildUNet } from '../../workers/engine/models/unet';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { cpuAttentionBackend } from '../../workers/engine/onnx/cpu-attention';
import {
  compilePartitioned,
  compileWhole,
  type CompiledNetwork,
  type HostTensor,
} from '../../workers/engine/onnx/runner';
import { readAllFloat32, writeSafetensors, type TensorToWrite } from '../../src/core/tensors/safetensors';
import { WeightStore } from '../../workers/engine/models/weights';
import type { AttentionCore } from '../../workers/engine/graph/ir';
import { describeShared, readShared } from '../helpers/node/shared';
import { asInput, config, diff, golden, goldenTensor, scalarInput, weights } from './models-golden';

const G = 'unet.safetensors';
const CN = 'controlnet.safetensors';
const arch = () => parseUNetArch(config('tiny-sd/unet/config.json'), 'unet/config.json');
const size = { batch: 2, height: 16, width: 16 };

function inputs(t: number, residuals: boolean): Record<string, HostTensor> {
  const base: Record<string, HostTensor> = {
    sample: asInput(goldenTensor(G, 'sample')),
    timestep: scalarInput(t),
    encoder_hidden_states: asInput(goldenTensor(G, 'encoder_hidden_states')),
  };
  if (!residuals) return base;
  for (let i = 0; i < 12; i++)
    base[`down_block_additional_residuals.${i}`] = asInput(goldenTensor(CN, `t${t}.down_block_res_samples.${i}`));
  base.mid_block_additional_residual = asInput(goldenTensor(CN, `t${t}.mid_block_res_sample`));
  return base;
}

describeShared('UNet (tiny-sd) vs diffusers goldens', () => {
  let whole: CompiledNetwork;
  let withResiduals: CompiledNetwork;
  beforeAll(async () => {
    const w = weights('tiny-sd/unet/diffusion_pytorch_model.safetensors');
    whole = await compileWhole(buildUNet(w, arch(), { ...size, taps: true }));
    expect(w.unused()).toEqual([]);
    withResiduals = await compileWhole(buildUNet(w, arch(), { ...size, residuals: true }));
  }, 120_000);
  afterAll(async () => {
    await whole?.release();
    await withResiduals?.release();
  });

  it('noise prediction at t=981 and t=1 (whole graph)', async () => {
    for (const t of [981, 1]) {
      const out = await whole.run(inputs(t, false));
      const d = diff(out.get('noise_pred'), goldenTensor(G, `noise_pred_t${t}`));
      expect(d.maxAbs, `t=${t}`).toBeLessThan(1e-4);
    }
  });

  it('every module output at t=981 matches unet_intermediates (localises a regression)', async () => {
    const out = await whole.run(inputs(981, false));
    let compared = 0;
    for (const [name, ref] of golden('unet_intermediates_t981.safetensors')) {
      const actual = out.get(name);
      if (!actual) continue;
      // time_proj / time_embedding are computed once ([1, C]) and broadcast; diffusers repeats them per item.
      const a =
        actual.dims[0] === 1 && ref.shape[0] === 2
          ? {
              dims: ref.shape,
              data: Float32Array.of(...(actual.data as Float32Array), ...(actual.data as Float32Array)),
            }
          : actual;
      expect(diff(a, ref).maxAbs, name).toBeLessThan(1e-4);
      compared++;
    }
    expect(compared).toBeGreaterThan(150);
  });

  it('noise prediction with ControlNet residuals at t=981 and t=1', async () => {
    for (const t of [981, 1]) {
      const out = await withResiduals.run(inputs(t, true));
      const d = diff(out.get('noise_pred'), goldenTensor(G, `noise_pred_controlnet_t${t}`));
      expect(d.maxAbs, `t=${t}`).toBeLessThan(1e-4);
    }
  });

  it('partitioned at the attention cores, CPU reference attention, text K/V computed once', async () => {
    const w = weights('tiny-sd/unet/diffusion_pytorch_model.safetensors');
    // External-data weights (the browser path): each segment session gets a blob of exactly its own weights.
    const net = await compilePartitioned(buildUNet(w, arch(), { ...size, residuals: true }), cpuAttentionBackend, {
      placement: { kind: 'external', location: 'unet.bin' },
    });
    try {
      // 32 cores → ≤ 33 segments, plus the per-prompt prelude.
      expect(net.sessions).toBeGreaterThan(16);
      const prompt = await net.encodePrompt({ encoder_hidden_states: inputs(1, false).encoder_hidden_states! });
      expect(prompt.values.size).toBe(32); // to_k and to_v of the 16 cross-attention modules
      for (const t of [981, 1]) {
        const out = await net.run(inputs(t, true), { prompt });
        const d = diff(out.get('noise_pred'), goldenTensor(G, `noise_pred_controlnet_t${t}`));
        expect(d.maxAbs, `t=${t}`).toBeLessThan(1e-4);
      }
    } finally {
      await net.release();
    }
  });

  it('partitioned and cut to a weight budget: chained sessions give the same goldens', async () => {
    const w = weights('tiny-sd/unet/diffusion_pytorch_model.safetensors');
    const graph = buildUNet(w, arch(), { ...size, residuals: true });
    const plain = await compilePartitioned(graph, cpuAttentionBackend);
    const net = await compilePartitioned(graph, cpuAttentionBackend, { maxSessionWeightBytes: 96 * 1024 });
    try {
      expect(net.sessions).toBeGreaterThan(plain.sessions);
      const out = await net.run(inputs(981, true));
      const d = diff(out.get('noise_pred'), goldenTensor(G, 'noise_pred_controlnet_t981'));
      expect(d.maxAbs).toBeLessThan(1e-4);
    } finally {
      await net.release();
      await plain.release();
    }
  });

  it('frames: self-attention spans all frames, cross-attention text is shared per CFG half', async () => {
    // Two identical frames: attention over duplicated keys equals attention over one copy, so each frame must
    // reproduce the single-frame golden; two different frames must differ from per-frame results.
    const w = weights('tiny-sd/unet/diffusion_pytorch_model.safetensors');
    const graph = buildUNet(w, arch(), { batch: 2, height: 16, width: 16, frames: 2 });
    const sample = goldenTensor(G, 'sample');
    const item = sample.data.length / 2;
    const uncondText = goldenTensor(G, 'encoder_hidden_states');
    const ehs = { dims: [1, 77, 32], data: uncondText.data.slice(0, 77 * 32) };
    const twin = { dims: [2, 4, 16, 16], data: new Float32Array(sample.data.length) };
    twin.data.set(sample.data.subarray(0, item), 0);
    twin.data.set(sample.data.subarray(0, item), item);
    const whole = await compileWhole(graph);
    const parted = await compilePartitioned(graph, cpuAttentionBackend);
    try {
      const ref = goldenTensor(G, 'noise_pred_t981').data.subarray(0, item);
      const out = (await whole.run({ sample: twin, timestep: scalarInput(981), encoder_hidden_states: ehs })).get(
        'noise_pred',
      )!;
      for (const f of [0, 1])
        expect(
          diff(
            { dims: [item], data: (out.data as Float32Array).subarray(f * item, (f + 1) * item) },
            { shape: [item], data: ref },
          ).maxAbs,
        ).toBeLessThan(1e-4);
      const mixed = { sample: asInput(sample), timestep: scalarInput(981), encoder_hidden_states: ehs };
      const a = (await whole.run(mixed)).get('noise_pred')!;
      const b = (await parted.run(mixed)).get('noise_pred')!;
      expect(diff(a, { shape: b.dims, data: b.data as Float32Array }).maxAbs).toBeLessThan(1e-5);
      const perFrame = diff(
        { dims: [item], data: (a.data as Float32Array).subarray(0, item) },
        { shape: [item], data: ref },
      );
      expect(perFrame.maxAbs).toBeGreaterThan(1e-3);
    } finally {
      await whole.release();
      await parted.release();
    }
  });

  it('ST-Layout modulation reaches every core with maps sized by the core layout (self: F·h·w, cross: per frame)', async () => {
    const w = weights('tiny-sd/unet/diffusion_pytorch_model.safetensors');
    const frames = 2;
    const net = await compilePartitioned(buildUNet(w, arch(), { ...size, frames }), cpuAttentionBackend);
    const ehs = { dims: [1, 77, 32], data: goldenTensor(G, 'encoder_hidden_states').data.slice(0, 77 * 32) };
    const feeds = {
      sample: asInput(goldenTensor(G, 'sample')),
      timestep: scalarInput(981),
      encoder_hidden_states: ehs,
    };
    const seen = new Set<string>();
    const modulation = (strength: number) => (core: AttentionCore) => {
      seen.add(core.attention);
      const tokens = frames * core.queryTokens;
      const self = core.attention === 'self';
      const maps = {
        groups: self ? 1 : frames,
        queryBits: new Uint32Array(tokens).fill(1),
        keyBits: new Uint32Array(self ? tokens : core.keyTokens).fill(1),
        sizeReg: new Float32Array(tokens).fill(1),
      };
      return { maps, itemStrength: new Float32Array(self ? 1 : 2).fill(strength) };
    };
    try {
      const plain = (await net.run(feeds)).get('noise_pred')!;
      const zero = (await net.run(feeds, { modulation: modulation(0) })).get('noise_pred')!;
      const strong = (await net.run(feeds, { modulation: modulation(0.5) })).get('noise_pred')!;
      expect(seen).toEqual(new Set(['self', 'cross']));
      expect(diff(zero, { shape: plain.dims, data: plain.data as Float32Array }).maxAbs).toBe(0);
      expect(diff(strong, { shape: plain.dims, data: plain.data as Float32Array }).maxAbs).toBeGreaterThan(1e-3);
    } finally {
      await net.release();
    }
  });

  it('use_linear_projection: the same UNet with proj_in/proj_out as Linear layers gives the same prediction', async () => {
    // A 1×1 conv is a per-token Linear: re-save the checkpoint with [C, C] projection weights (SD2-style layout).
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, t] of readAllFloat32(readShared('golden/tiny-sd/unet/diffusion_pytorch_model.safetensors'))) {
      const linear = /attentions\.\d+\.proj_(in|out)\.weight$/.test(name);
      tensors[name] = { dtype: 'F32', shape: linear ? t.shape.slice(0, 2) : t.shape, data: t.data };
    }
    const w = new WeightStore(writeSafetensors(tensors), 'linear-projection.safetensors');
    const linearArch = parseUNetArch(
      { ...(config('tiny-sd/unet/config.json') as object), use_linear_projection: true },
      'u',
    );
    const net = await compileWhole(buildUNet(w, linearArch, size));
    try {
      const out = await net.run(inputs(981, false));
      expect(diff(out.get('noise_pred'), goldenTensor(G, 'noise_pred_t981')).maxAbs).toBeLessThan(1e-4);
    } finally {
      await net.release();
    }
  });

  it('fp16 weights (upcast to fp32) stay within 1e-2 of the output range', async () => {
    const w = weights('tiny-sd/unet/diffusion_pytorch_model.fp16.safetensors');
    const net = await compileWhole(buildUNet(w, arch(), size));
    try {
      const out = await net.run(inputs(981, false));
      const d = diff(out.get('noise_pred'), goldenTensor(G, 'noise_pred_t981'));
      expect(d.maxAbs).toBeLessThan(1e-2 * d.refMaxAbs);
      expect(d.meanAbs).toBeLessThan(2e-3 * d.refMaxAbs);
      console.log(`UNet fp16 weights: max |Δ| ${d.maxAbs.toExponential(2)}, mean ${d.meanAbs.toExponential(2)}`);
    } finally {
      await net.release();
    }
  });
});
