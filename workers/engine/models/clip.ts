/**
 * CLIPTextModel (transformers `modeling_clip.py`) as IR: token + position embeddings, pre-LN encoder layers
 * (causal self-attention, MLP with quick_gelu or gelu), final LayerNorm → last_hidden_state [B, T, C].
 * No attention mask (SD pipelines pass none). Parameter names with or without the `text_model.` prefix.
 */
import { GraphBuilder, type Graph } from '../graph/ir';
import { attention } from './blocks';
import { parseClipArch, type ClipArch } from '../../../src/core/models/architecture';
import { gelu, layerNorm, linear, quickGelu, type Ctx } from './layers';
import type { WeightStore } from './weights';

/** The architecture comes from the loader's own parser (src/core/models/architecture.ts, DESIGN §4). */
export { parseClipArch, type ClipArch };

export interface ClipBuildOptions {
  readonly batch: number;
  readonly tokens?: number;
}

export function buildClipText(w: WeightStore, arch: ClipArch, o: ClipBuildOptions): Graph {
  const g = new GraphBuilder('text_encoder');
  const ctx: Ctx = { g, w };
  const p = w.has('text_model.final_layer_norm.weight') ? 'text_model.' : '';
  const tokens = o.tokens ?? arch.positions;
  const ids = g.input('input_ids', 'int64', [o.batch, tokens]);
  const table = g.initializer(`${p}embeddings.token_embedding.weight`, w.get(`${p}embeddings.token_embedding.weight`));
  const positions = g.initializer(
    `${p}embeddings.position_embedding.weight`,
    w.get(`${p}embeddings.position_embedding.weight`, [arch.positions, arch.hidden]),
  );
  const usedPositions =
    tokens === arch.positions
      ? positions
      : g.op('Slice', [positions, g.constI64([0]), g.constI64([tokens]), g.constI64([0])]);
  let x = g.tap('hidden_states.0', g.op('Add', [g.op('Gather', [table, ids], { axis: { int: 0 } }), usedPositions]));
  for (let l = 0; l < arch.layers; l++) {
    const lp = `${p}encoder.layers.${l}`;
    const a = attention(ctx, layerNorm(ctx, x, `${lp}.layer_norm1`, arch.eps), undefined, `${lp}.self_attn`, {
      heads: arch.heads,
      kind: 'self',
      frames: 1,
      queryTokens: tokens,
      keyTokens: tokens,
      projBias: true,
      causal: true,
      names: ['q_proj', 'k_proj', 'v_proj', 'out_proj'],
    });
    x = g.op('Add', [x, a]);
    const h = linear(ctx, layerNorm(ctx, x, `${lp}.layer_norm2`, arch.eps), `${lp}.mlp.fc1`);
    const act = arch.act === 'quick_gelu' ? quickGelu(g, h) : gelu(g, h);
    x = g.tap(`hidden_states.${l + 1}`, g.op('Add', [x, linear(ctx, act, `${lp}.mlp.fc2`)]));
  }
  g.output(layerNorm(ctx, x, `${p}final_layer_norm`, arch.eps), 'last_hidden_state', [o.batch, tokens, arch.hidden]);
  return g.build();
}
