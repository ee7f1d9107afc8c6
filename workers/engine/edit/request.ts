/**
 * An EditRequest (src/core/protocol/edit.ts) checked and turned into runEdit's input and options
 * (../pipeline/edit.ts). Checks say what is wrong and what to do (DESIGN §7); settings go through the shared
 * validateSettings (src/core/settings/validate.ts); runEdit's layout compiler then checks prompts and mask
 * coverage (LAYOUT_INVALID).
 */
import type { RegionMaskSet } from '../../../src/core/layout/types';
import type { EditRequest, EditSettings } from '../../../src/core/protocol/edit';
import { AppError } from '../../../src/core/protocol/errors';
import { validateSettings } from '../../../src/core/settings/validate';
import type { ClipTokenizer } from '../../../src/core/tokenizer/clip';
import { philoxRandint } from '../../../src/core/flow/trajectories';
import type { EditInput, EditOptions } from '../pipeline/edit';
import { prepareFlowPlan, type FlowPlan } from '../pipeline/flow';

const invalid = (message: string): never => {
  throw new AppError('EDIT_INPUT_INVALID', message);
};

const isCount = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;

/** The shared settings check (src/core/settings/validate.ts: the run panel's and the CLI's limits too). */
function checkSettings(s: EditSettings): void {
  const problems = validateSettings(s);
  if (problems.length > 0) invalid(problems.map((p) => p.message).join(' '));
}

/** Sizes and counts of frames, masks and condition frames; at least one region. */
export function checkRequest(request: EditRequest): void {
  const { width, height, frames, regions } = request;
  if (!isCount(width, 64, 8192) || !isCount(height, 64, 8192) || width % 64 !== 0 || height % 64 !== 0)
    invalid(`frame size ${width}×${height} must be a multiple of 64 in both directions; crop or resize the clip`);
  if (frames.length === 0) invalid('the edit has no frames; extract frames from the clip first');
  const frameBytes = width * height * 4;
  frames.forEach((f, i) => {
    if (f.length !== frameBytes)
      invalid(
        `frame ${i} has ${f.length} bytes; ${width}×${height} RGBA needs ${frameBytes}: extract the frames again`,
      );
  });
  if (regions.length === 0) invalid('the edit has no regions; add at least one region (a background region is enough)');
  regions.forEach((r, i) => {
    const name = `region ${i} ("${r.name}")`;
    if (r.masks.length !== frames.length)
      invalid(
        `${name} has ${r.masks.length} masks for ${frames.length} frames; paint, propagate or import one mask per frame`,
      );
    r.masks.forEach((m, f) => {
      if (m.length !== width * height)
        invalid(
          `${name}: the mask of frame ${f} has ${m.length} bytes, not ${width}×${height}; re-import the masks at the frame size`,
        );
    });
  });
  if (request.settings.condition.kind === 'frames') {
    const cf = request.conditionFrames ?? [];
    if (cf.length !== frames.length)
      invalid(`the condition has ${cf.length} frames for ${frames.length} frames; give one condition image per frame`);
    cf.forEach((f, i) => {
      if (f.length !== frameBytes)
        invalid(`condition frame ${i} has ${f.length} bytes; it must be ${width}×${height} RGBA like the frames`);
    });
  }
  checkSettings(request.settings);
  checkFlows(request);
}

/** FLATTEN (DESIGN §3.6): settings.flatten needs the flow [F − 1, 2, H, W] at the edit size. */
function checkFlows(request: EditRequest): void {
  const { flows, settings, frames, width, height } = request;
  if (!settings.flatten) return;
  if (!flows)
    invalid(
      'flow-guided attention (flatten) needs optical flow: give the flow between consecutive frames, or turn flow-guided consistency off',
    );
  if (frames.length < 2) invalid('flow-guided attention needs at least 2 frames; turn it off for a single frame');
  const [pairs, channels, h, w] = flows!.dims;
  if (pairs !== frames.length - 1 || channels !== 2 || h !== height || w !== width)
    invalid(
      `the flow is [${flows!.dims.join(', ')}]; this edit needs [${frames.length - 1}, 2, ${height}, ${width}] (forward flow between consecutive frames, pixels at the edit size)`,
    );
  if (flows!.data.length !== pairs * 2 * h * w || flows!.data.some((v) => !Number.isFinite(v)))
    invalid(`the flow must hold ${pairs * 2 * h * w} finite values`);
}

/**
 * The flow attention's trajectories for a request (none when settings.flatten is off). The conflict choice
 * is the seeded Philox stream of the edit's seed (DESIGN §3.6's default; CPython's stream is the CLI's
 * `trajectories --rng python:N`).
 */
export function flowPlanFor(request: EditRequest): FlowPlan | undefined {
  const { flatten, seed } = request.settings;
  if (!flatten || !request.flows) return undefined;
  return prepareFlowPlan(
    request.flows,
    flatten,
    { frames: request.frames.length, width: request.width, height: request.height },
    philoxRandint(seed),
  );
}

export function regionMaskSet(request: EditRequest): RegionMaskSet {
  return {
    frames: request.frames.length,
    width: request.width,
    height: request.height,
    masks: request.regions.map((r) => r.masks),
  };
}

export function editInput(request: EditRequest, tokenizer: ClipTokenizer): EditInput {
  return {
    frames: request.frames,
    width: request.width,
    height: request.height,
    masks: regionMaskSet(request),
    tokenizer,
    sourcePrompt: request.sourcePrompt,
    targetPrompt: request.targetPrompt,
    regionPrompts: request.regions.map((r) => r.prompt),
    negativePrompt: request.settings.negativePrompt,
  };
}

/** EditSettings → runEdit options (without the per-run parts: inversion, signal, callbacks, probe). */
export function editOptions(settings: EditSettings, condition: Float32Array | undefined): EditOptions {
  return {
    steps: settings.steps,
    guidance: settings.guidance,
    seed: settings.seed,
    encodeWith: settings.encodeWith,
    ...(condition ? { condition: { frames: condition, scale: settings.condition.scale } } : {}),
    modulateAllResolutions: settings.modulateAllResolutions,
    blendWithInversion: settings.blendWithInversion,
    selfModulationBranch: settings.selfModulationBranch,
    fixSelfSizeReg: settings.fixSelfSizeReg,
    ...(settings.modulatedSteps !== null ? { modulatedSteps: settings.modulatedSteps } : {}),
    wSelf: settings.wSelf,
    wCross: settings.wCross,
    ...(settings.cfgBatch ? { cfgBatch: settings.cfgBatch } : {}),
  };
}
