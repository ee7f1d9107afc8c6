/**
 * The FLATTEN flow attention of an edit (DESIGN §3.6), as the UNet calls consume it: the trajectory key
 * tables (../kernels/flow/keys.ts) of the `flatten_res` levels, computed once from the request's flow
 * (src/core/flow/trajectories.ts) and used by every UNet call, inversion and denoising alike, both CFG halves.
 * The ControlNet gets none (the official controlnet_attention.py has no flow branch).
 *
 * Resolution r (the official `flatten_res` factor) is the latent level (H/8)/r × (W/8)/r: 1 → the UNet's
 * full-resolution blocks, 2 → H/16, 4 → H/32, 8 → H/64 (the mid block). A core is flattened when it is a
 * space-time self-attention (frames = F) with h·w tokens per frame of such a level, as the official
 * `[h, w] in flatten_res` test.
 */
import { philoxRandint, sampleTrajectories, type RandInt } from '../../../src/core/flow/trajectories';
import type { EditFlows, FlattenSettings } from '../../../src/core/protocol/edit';
import { AppError } from '../../../src/core/protocol/errors';
import { FLATTEN_RESOLUTIONS } from '../../../src/core/settings/validate';
import type { AttentionCore } from '../graph/ir';
import { flowKeys, type FlowKeys } from '../kernels/flow/keys';
import type { FlowAttention } from '../onnx/runner';

export interface FlowPlan {
  readonly oldQk: boolean;
  /** One key table per flattened level. */
  readonly levels: readonly FlowKeys[];
}

/**
 * Trajectories of the flattened levels from a [F − 1, 2, H, W] pixel flow at the edit size. `randint` picks
 * among conflicting links (default: the seeded Philox stream of the edit's seed).
 */
export function prepareFlowPlan(
  flows: EditFlows,
  flatten: FlattenSettings,
  edit: { readonly frames: number; readonly width: number; readonly height: number },
  randint: RandInt = philoxRandint(0),
): FlowPlan {
  const [pairs, channels, h, w] = flows.dims;
  if (pairs !== edit.frames - 1 || channels !== 2 || h !== edit.height || w !== edit.width)
    throw new AppError(
      'EDIT_INPUT_INVALID',
      `the flow is [${flows.dims.join(', ')}]; this edit needs [${edit.frames - 1}, 2, ${edit.height}, ${edit.width}] (forward flow between consecutive frames, pixels at the edit size)`,
    );
  if (flows.data.length !== pairs * 2 * h * w)
    throw new AppError('EDIT_INPUT_INVALID', `the flow holds ${flows.data.length} values, not ${pairs * 2 * h * w}`);
  for (const r of flatten.resolutions)
    if (!FLATTEN_RESOLUTIONS.includes(r))
      throw new AppError(
        'EDIT_INPUT_INVALID',
        `flatten resolution ${r} is not one of ${FLATTEN_RESOLUTIONS.join(', ')} (latent-size divisors)`,
      );
  // All four levels are sampled even when fewer are flattened: they share one randint stream, as officially.
  const levels = sampleTrajectories({ pairs, height: h, width: w, data: flows.data }, randint);
  const lh = edit.height / 8;
  const lw = edit.width / 8;
  const wanted = [...new Set(flatten.resolutions)].map((r) => {
    const level = levels.find((l) => l.height === lh / r && l.width === lw / r);
    if (!level)
      throw new AppError(
        'EDIT_INPUT_INVALID',
        `no trajectory level for flatten resolution ${r} at ${edit.width}×${edit.height}`,
      );
    return flowKeys(level);
  });
  return { oldQk: flatten.oldQk, levels: wanted };
}

/** The flow attention after one core of a UNet call, or undefined. */
export function flowForCore(plan: FlowPlan | undefined, core: AttentionCore): FlowAttention | undefined {
  if (!plan || core.attention !== 'self') return undefined;
  const keys = plan.levels.find((k) => k.frames === core.frames && k.height * k.width === core.queryTokens);
  return keys ? { keys, oldQk: plan.oldQk } : undefined;
}
