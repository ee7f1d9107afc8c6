/**
 * The ST-Layout modulation of one UNet call (DESIGN §3.4), as the attention backend consumes it:
 *
 *   for each attention core at a modulated resolution h×w, kind self | cross:
 *     maps         — region bits of the queries (and of the keys: tokens for self, text tokens for cross) and
 *                    size_reg per query (self: official F²·h·w or `fixSelfSizeReg` F·h·w; cross: per frame)
 *     itemStrength — a-weight w·treg(t) for each batch item the core sees, 0 for items left alone:
 *                    self items are CFG halves ([uncond, cond]), cross items are (half, frame) pairs.
 *   a[b, q] = itemStrength[b] · sizeReg[q]  (the backend multiplies).
 *
 * Reference options: self on the unconditional half, cross on the conditional half, w_self 0.3, w_cross 1.0,
 * the first round(15·n/50) of n denoising steps, resolutions H/16, H/32, H/64 only (the layout compiler decides
 * which resolutions exist: `modulateAllResolutions` adds H/8). Cores at other resolutions get no modulation.
 */
import type { ModulationMaps, Modulation } from '../../../src/core/attention/types';
import { crossModulationMaps, selfModulationMaps } from '../../../src/core/attention/types';
import type { CompiledLayout } from '../../../src/core/layout/types';
import { modulatedStepCount, treg } from '../scheduler/modulation';

export type SelfModulationBranch = 'uncond' | 'cond' | 'both';
export type CfgHalf = 'uncond' | 'cond';

export interface ModulationOptions {
  readonly selfModulationBranch?: SelfModulationBranch;
  readonly fixSelfSizeReg?: boolean;
  /** Leading denoising steps that are modulated (default round(15·n/50)). */
  readonly modulatedSteps?: number;
  readonly wSelf?: number;
  readonly wCross?: number;
}

/** One attention core's modulation in one UNet call. */
export interface CoreModulation {
  readonly kind: 'self' | 'cross';
  readonly height: number;
  readonly width: number;
  readonly modulation: Modulation;
}

/** What the attention backend needs for one UNet call. */
export interface ModulationPlan {
  readonly stepIndex: number;
  readonly t: number;
  /** The CFG halves in the call's batch, in batch order. */
  readonly halves: readonly CfgHalf[];
  readonly cores: readonly CoreModulation[];
}

interface ResolutionMaps {
  readonly height: number;
  readonly width: number;
  readonly self: ModulationMaps;
  readonly cross: ModulationMaps;
}

/** Per-job state: maps built once, strengths per step. */
export interface PreparedModulation {
  readonly frames: number;
  readonly modulatedCount: number;
  readonly selfBranch: SelfModulationBranch;
  readonly wSelf: number;
  readonly wCross: number;
  readonly resolutions: readonly ResolutionMaps[];
}

export function prepareModulation(
  layout: CompiledLayout,
  steps: number,
  options: ModulationOptions = {},
): PreparedModulation {
  const frames = layout.latent.frames;
  const resolutions = layout.resolutions.map((r) => ({
    height: r.height,
    width: r.width,
    self: selfModulationMaps(r.regionBits, options.fixSelfSizeReg ? r.selfSizeRegFixed : r.selfSizeReg),
    cross: crossModulationMaps(frames, r.regionBits, r.crossSizeReg, layout.prompts.textTokenBits),
  }));
  return {
    frames,
    modulatedCount: layout.latent.regionCount === 0 ? 0 : modulatedStepCount(steps, options.modulatedSteps),
    selfBranch: options.selfModulationBranch ?? 'uncond',
    wSelf: options.wSelf ?? 0.3,
    wCross: options.wCross ?? 1.0,
    resolutions,
  };
}

const selfOn = (branch: SelfModulationBranch, half: CfgHalf): boolean => branch === 'both' || branch === half;

/** The plan of denoising step `stepIndex` (timestep t), or undefined when that step is not modulated. */
export function modulationPlanFor(
  prepared: PreparedModulation,
  stepIndex: number,
  t: number,
  halves: readonly CfgHalf[],
): ModulationPlan | undefined {
  if (stepIndex < 0 || stepIndex >= prepared.modulatedCount) return undefined;
  const r = treg(t);
  const selfA = Math.fround(prepared.wSelf * r);
  const crossA = Math.fround(prepared.wCross * r);
  const F = prepared.frames;
  const selfItems = Float32Array.from(halves, (h) => (selfOn(prepared.selfBranch, h) ? selfA : 0));
  const crossItems = new Float32Array(halves.length * F);
  halves.forEach((h, i) => crossItems.fill(h === 'cond' ? crossA : 0, i * F, (i + 1) * F));
  const cores: CoreModulation[] = [];
  for (const res of prepared.resolutions) {
    const at = { height: res.height, width: res.width };
    if (selfItems.some((a) => a !== 0))
      cores.push({ kind: 'self', ...at, modulation: { maps: res.self, itemStrength: selfItems } });
    if (crossItems.some((a) => a !== 0))
      cores.push({ kind: 'cross', ...at, modulation: { maps: res.cross, itemStrength: crossItems } });
  }
  return { stepIndex, t, halves, cores };
}

/**
 * The modulation of one attention core, found by kind and tokens per frame (h·w; the UNet's resolutions have
 * distinct token counts). Undefined: run that core unmodulated.
 */
export function modulationForCore(
  plan: ModulationPlan | undefined,
  kind: 'self' | 'cross',
  tokensPerFrame: number,
): Modulation | undefined {
  return plan?.cores.find((c) => c.kind === kind && c.height * c.width === tokensPerFrame)?.modulation;
}
