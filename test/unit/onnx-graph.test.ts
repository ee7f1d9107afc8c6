/**
 * The protobuf writer, the ONNX emitter (embedded and external weights), the partitioner, and config refusals.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, float32Data, type Graph } from '../../workers/engine/graph/ir';
import { lowerStandard, partition } from '../../workers/engine/graph/lower';
import { emitModel } from '../../workers/engine/graph/onnx';
import { ProtoMessage } from '../../workers/engine/graph/protobuf';
import { parseClipArch } from '../../workers/engine/models/clip';
import { parseUNetArch } from '../../workers/engine/models/unet-config';
import { parseVaeArch } from '../../workers/engine/models/vae';
import { WeightStore } from '../../workers/engine/models/weights';
import { writeSafetensors } from '../../src/core/tensors/safetensors';
import { createCpuSession, float32Tensor, tensorFloat32 } from '../../workers/engine/onnx/ort';
import { compilePartitioned, compileWhole, type AttentionBackend } from '../../workers/engine/onnx/runner';
import { hasCode, type ErrorCode } from '../../src/core/protocol/errors';
import {
  SD15_CONTROLNET_CONFIG,
  SD15_TEXT_ENCODER_CONFIG,
  SD15_UNET_CONFIG,
  SD15_VAE_CONFIG,
} from '../../src/core/models/known-configs';

describe('protobuf writer', () => {
  it('encodes varints (incl. negative int64), floats, strings and nested messages per the wire format', () => {
    const inner = new ProtoMessage().varint(1, 300);
    const m = new ProtoMessage().varint(1, 1).varint(2, -1).float(3, 1).string(4, 'hi').message(5, inner);
    expect([...m.encode()]).toEqual([
      0x08, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x1d, 0x00, 0x00, 0x80, 0x3f, 0x22,
      0x02, 0x68, 0x69, 0x2a, 0x03, 0x08, 0xac, 0x02,
    ]);
  });
});

/** y = softmax over keys of a tiny attention around projections: x·Wq, x·Wk, x·Wv (one core). */
function tinyAttentionGraph(): { graph: Graph; wq: Float32Array } {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', [1, 3, 4]);
  const ctx = g.input('ctx', 'float32', [1, 2, 4]);
  const wq = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));
  const q = g.op('MatMul', [x, g.initializer('wq', { ...float32Data(wq, [4, 4]), isWeight: true })]);
  const wk = g.op('Transpose', [
    g.initializer(
      'wk',
      float32Data(
        Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)),
        [4, 4],
      ),
    ),
  ]);
  const k = g.op('MatMul', [ctx, wk]);
  const v = g.op('Relu', [ctx]);
  const core = g.attention({
    name: 'attn',
    attention: 'cross',
    heads: 2,
    headDim: 2,
    frames: 1,
    queryTokens: 3,
    keyTokens: 2,
    causal: false,
    q,
    k,
    v,
  });
  g.output(g.op('Add', [core, x]), 'y', [1, 3, 4]);
  return { graph: g.build(), wq };
}

/** softmax(QKᵀ/√d)V per head on host arrays, the test's own oracle. */
const tinySoftmaxAttention: AttentionBackend = {
  run(core, q, k, v) {
    const [, n, c] = q.dims as [number, number, number];
    const nk = k.dims[1]!;
    const out = new Float32Array(q.data.length);
    for (let h = 0; h < core.heads; h++)
      for (let i = 0; i < n; i++) {
        const s = Array.from({ length: nk }, (_, j) => {
          let dot = 0;
          for (let e = 0; e < core.headDim; e++)
            dot += q.data[i * c + h * core.headDim + e]! * k.data[j * c + h * core.headDim + e]!;
          return dot / Math.sqrt(core.headDim);
        });
        const m = Math.max(...s);
        const p = s.map((x) => Math.exp(x - m));
        const z = p.reduce((a, b) => a + b, 0);
        for (let e = 0; e < core.headDim; e++)
          out[i * c + h * core.headDim + e] = p.reduce(
            (a, pj, j) => a + (pj / z) * v.data[j * c + h * core.headDim + e]!,
            0,
          );
      }
    return out;
  },
};

describe('ONNX emitter and partitioner', () => {
  const inputs = {
    x: { dims: [1, 3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 10 - 0.5) },
    ctx: { dims: [1, 2, 4], data: Float32Array.from({ length: 8 }, (_, i) => 0.3 - i / 7) },
  };

  it('external-data weights give the same result as embedded ones', async () => {
    const { graph, wq } = tinyAttentionGraph();
    const op = lowerStandard(graph);
    const embedded = emitModel(op);
    const external = emitModel(op, { kind: 'external', location: 'tiny.bin' });
    const wqBytes = Buffer.from(wq.buffer).toString('hex');
    expect(Buffer.from(embedded.model).toString('hex')).toContain(wqBytes);
    expect(Buffer.from(external.model).toString('hex')).not.toContain(wqBytes);
    expect(Buffer.from(external.external!.data).toString('hex')).toContain(wqBytes);
    const results = [];
    for (const source of [{ model: embedded.model }, { model: external.model, external: [external.external!] }]) {
      const s = await createCpuSession(source);
      const out = await s.run({
        x: float32Tensor(inputs.x.data, inputs.x.dims),
        ctx: float32Tensor(inputs.ctx.data, inputs.ctx.dims),
      });
      results.push(Array.from(tensorFloat32(out.y!)));
      await s.release();
    }
    expect(results[1]).toEqual(results[0]);
  });

  it('partitions at the core, hoists the context-only ops into a prelude, and matches the whole graph', async () => {
    const { graph } = tinyAttentionGraph();
    const plan = partition(graph, ['ctx']);
    expect(plan.steps.map((s) => s.kind)).toEqual(['session', 'attention', 'session']);
    // k and v depend only on ctx: they come from the prelude, and the first segment only computes q.
    const core = plan.steps[1]!.kind === 'attention' ? plan.steps[1]!.core : undefined;
    expect(plan.prelude!.outputs.map((o) => o.name).sort()).toEqual([core!.k, core!.v].sort());
    const whole = await compileWhole(graph);
    const parted = await compilePartitioned(graph, tinySoftmaxAttention, {
      perPromptInputs: ['ctx'],
      placement: { kind: 'external', location: 'w.bin' },
    });
    try {
      const a = (await whole.run(inputs)).get('y')!.data as Float32Array;
      const b = (await parted.run(inputs)).get('y')!.data as Float32Array;
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    } finally {
      await whole.release();
      await parted.release();
    }
  });
});

describe('config refusals name the field', () => {
  const unet = {
    _class_name: 'UNet2DConditionModel',
    block_out_channels: [32, 64],
    down_block_types: ['CrossAttnDownBlock2D', 'DownBlock2D'],
    up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D'],
  };
  const refused = (f: () => unknown, field: string, code: ErrorCode = 'MODEL_ARCHITECTURE') => {
    try {
      f();
    } catch (e) {
      expect(hasCode(e, code), String(e)).toBe(true);
      expect((e as Error).message).toContain(`"${field}"`);
      return;
    }
    throw new Error(`accepted a config with a bad ${field}`);
  };

  it('refuses unsupported UNet / ControlNet / VAE / CLIP values', () => {
    expect(parseUNetArch(unet, 'unet/config.json').heads).toEqual([8, 8]);
    refused(() => parseUNetArch({ ...unet, addition_embed_type: 'text_time' }, 'u'), 'addition_embed_type');
    refused(
      () => parseUNetArch({ ...unet, down_block_types: ['SimpleCrossAttnDownBlock2D', 'DownBlock2D'] }, 'u'),
      'down_block_types[0]',
    );
    refused(() => parseUNetArch({ ...unet, resnet_time_scale_shift: 'scale_shift' }, 'u'), 'resnet_time_scale_shift');
    refused(() => parseUNetArch({ ...unet, transformer_layers_per_block: 2 }, 'u'), 'transformer_layers_per_block');
    refused(
      () => parseUNetArch({ ...unet, block_out_channels: 'x' }, 'u'),
      'block_out_channels',
      'MODEL_CONFIG_INVALID',
    );
    refused(
      () =>
        parseUNetArch({ ...unet, _class_name: 'ControlNetModel', controlnet_conditioning_channel_order: 'bgr' }, 'c'),
      'controlnet_conditioning_channel_order',
    );
    refused(() => parseVaeArch({ _class_name: 'AutoencoderTiny' }, 'v'), '_class_name');
    refused(() => parseClipArch({ architectures: ['T5EncoderModel'] }, 't'), 'architectures');
    refused(() => parseClipArch({ architectures: ['CLIPTextModel'], hidden_act: 'relu' }, 't'), 'hidden_act');
  });

  it('accepts the shipped SD1.5 and ControlNet v1.1 configs', () => {
    const unet = parseUNetArch(SD15_UNET_CONFIG, 'unet/config.json');
    expect(unet).toMatchObject({
      kind: 'unet',
      heads: [8, 8, 8, 8],
      groups: 32,
      linearProjection: false,
      crossAttentionDim: 768,
    });
    expect(parseUNetArch(SD15_CONTROLNET_CONFIG, 'config.json')).toMatchObject({
      kind: 'controlnet',
      conditioningChannels: 3,
    });
    expect(parseClipArch(SD15_TEXT_ENCODER_CONFIG, 'text_encoder/config.json')).toMatchObject({
      hidden: 768,
      heads: 12,
      layers: 12,
    });
    expect(parseVaeArch(SD15_VAE_CONFIG, 'vae/config.json')).toMatchObject({
      blocks: 4,
      layersPerBlock: 2,
      latentChannels: 4,
    });
  });

  it('a checkpoint missing a parameter is a typed error naming it', () => {
    const file = writeSafetensors({ 'conv_in.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    const w = new WeightStore(file, 'unet.safetensors');
    refused(() => w.get('conv_in.bias'), 'conv_in.bias', 'MODEL_WEIGHTS_MISMATCH');
    refused(() => w.get('conv_in.weight', [2]), 'conv_in.weight', 'MODEL_WEIGHTS_MISMATCH');
  });
});
