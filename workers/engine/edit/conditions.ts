/**
 * Structure conditions of an edit (DESIGN §1 step 4, §3.7): a registry of estimators by condition kind, each
 * turning the frames (RGBA at the edit size: the cropped frames, as the official code) into the ControlNet
 * condition [F, 3, H, W] in [0, 1]. Built in:
 * - 'canny': src/core/conditions/canny.ts on each frame (OpenCV Canny) with the settings' thresholds (100/200);
 * - 'frames': the request's own condition images;
 * - 'dwpose' / 'openpose': the loaded DWPose model (../conditions/pose.ts), with the hand/face options;
 * - 'depth' / 'depth_zoe': the loaded MiDaS / ZoeDepth model (../conditions/depth.ts).
 * Estimators that need a model open it through the context (the engine's loaded ONNX model, or the CLI's
 * `--condition-model` folder) and release it afterwards; a missing model is CONDITION_UNAVAILABLE naming the
 * model and where to load it.
 *
 * The condition service caches computed conditions per clip and settings (key: SHA-256 of the frames + kind +
 * the options the kind reads + the estimator model's id), so a re-edit or an Edit after the preview does not
 * recompute them. The cache lives in the engine (not in the project: maps are cheap to recompute relative to
 * storing 16 × 512² RGB per setting).
 */
import { cannyCondition } from '../../../src/core/conditions/canny';
import { ESTIMATOR_LABELS, estimatorModelOf, type EstimatorModelKind } from '../../../src/core/conditions/kinds';
import { hashFrames } from '../../../src/core/pipeline/inversion-key';
import {
  DEFAULT_CANNY_HIGH,
  DEFAULT_CANNY_LOW,
  type ConditionKind,
  type EditRequest,
} from '../../../src/core/protocol/edit';
import { AppError } from '../../../src/core/protocol/errors';
import { estimateDepthMaps } from '../conditions/depth';
import { estimatePose } from '../conditions/pose';
import type { OnnxModelSessions } from '../onnx-models/session';

export type EstimatedKind = Exclude<ConditionKind, 'none'>;

/** The options estimators read (EditSettings.condition without kind and scale). */
export interface ConditionOptions {
  readonly hand?: boolean;
  readonly face?: boolean;
  readonly low?: number;
  readonly high?: number;
}

/** What a condition is computed from. */
export interface ConditionInput {
  readonly kind: EstimatedKind;
  /** RGBA, width·height·4 bytes each, at the edit size. */
  readonly frames: readonly Uint8Array[];
  readonly width: number;
  readonly height: number;
  readonly options: ConditionOptions;
  /** kind 'frames': the user's condition images, RGBA like `frames`. */
  readonly conditionFrames?: readonly Uint8Array[];
}

/** What an estimator may use besides its input. */
export interface EstimatorContext {
  /** Opens the loaded estimator model (the caller releases it); refuses with CONDITION_UNAVAILABLE when none. */
  openModel(kind: EstimatorModelKind): Promise<OnnxModelSessions>;
  readonly signal?: AbortSignal;
}

/** Computes the condition frames [F, 3, H, W] in [0, 1]. */
export type ConditionEstimator = (input: ConditionInput, context: EstimatorContext) => Promise<Float32Array>;

export type ConditionEstimators = ReadonlyMap<EstimatedKind, ConditionEstimator>;

/** RGBA frames → [F, 3, H, W] in [0, 1] (alpha dropped). */
export function rgbaToCondition(frames: readonly Uint8Array[], width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(frames.length * 3 * plane);
  frames.forEach((rgba, f) => {
    for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) out[(f * 3 + c) * plane + p] = rgba[p * 4 + c]! / 255;
  });
  return out;
}

/** [F, 3, H, W] in [0, 1] → RGBA bytes per frame (exact for canny edges and for 8-bit maps). */
export function conditionToRgba(condition: Float32Array, frames: number, width: number, height: number): Uint8Array[] {
  const plane = width * height;
  return Array.from({ length: frames }, (_, f) => {
    const rgba = new Uint8Array(plane * 4);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++)
        rgba[p * 4 + c] = Math.round(Math.min(1, Math.max(0, condition[(f * 3 + c) * plane + p]!)) * 255);
      rgba[p * 4 + 3] = 255;
    }
    return rgba;
  });
}

/** The options a kind actually reads, with their defaults (the cache key and the estimators use these). */
export function effectiveOptions(kind: EstimatedKind, options: ConditionOptions): ConditionOptions {
  if (kind === 'canny') return { low: options.low ?? DEFAULT_CANNY_LOW, high: options.high ?? DEFAULT_CANNY_HIGH };
  if (kind === 'dwpose' || kind === 'openpose') return { hand: options.hand ?? false, face: options.face ?? false };
  return {};
}

const canny: ConditionEstimator = async ({ frames, width, height, options }) => {
  const plane = width * height;
  const out = new Float32Array(frames.length * 3 * plane);
  const { low, high } = effectiveOptions('canny', options);
  frames.forEach((rgba, f) => out.set(cannyCondition(rgba, width, height, { low, high }), f * 3 * plane));
  return Promise.resolve(out);
};

const userFrames: ConditionEstimator = async (input) =>
  Promise.resolve(rgbaToCondition(input.conditionFrames ?? [], input.width, input.height));

/** Runs `use` on the opened model and releases it, whatever happens. */
async function withModel<T>(
  context: EstimatorContext,
  kind: EstimatorModelKind,
  use: (m: OnnxModelSessions) => Promise<T>,
): Promise<T> {
  const model = await context.openModel(kind);
  try {
    return await use(model);
  } finally {
    await model.release();
  }
}

const pose =
  (mode: 'dwpose' | 'openpose'): ConditionEstimator =>
  (input, context) =>
    withModel(context, 'dwpose', (model) => {
      const { hand, face } = effectiveOptions(mode, input.options);
      return estimatePose(
        input.frames,
        input.width,
        input.height,
        model,
        { mode, hand: hand ?? false, face: face ?? false },
        context.signal,
      );
    });

const depth =
  (kind: 'depth' | 'depth_zoe'): ConditionEstimator =>
  (input, context) =>
    withModel(context, kind === 'depth' ? 'midas' : 'zoe', async (model) =>
      rgbaToCondition(
        await estimateDepthMaps(kind, input.frames, input.width, input.height, model, context.signal),
        input.width,
        input.height,
      ),
    );

export const BUILTIN_ESTIMATORS: ConditionEstimators = new Map<EstimatedKind, ConditionEstimator>([
  ['canny', canny],
  ['frames', userFrames],
  ['dwpose', pose('dwpose')],
  ['openpose', pose('openpose')],
  ['depth', depth('depth')],
  ['depth_zoe', depth('depth_zoe')],
]);

/** The estimator of a kind, or the refusal that says what to use instead. */
export function estimatorFor(estimators: ConditionEstimators, kind: EstimatedKind): ConditionEstimator {
  const estimator = estimators.get(kind);
  if (!estimator)
    throw new AppError(
      'CONDITION_UNAVAILABLE',
      `The ${kind} condition has no estimator in this build; use canny or your own condition frames.`,
    );
  return estimator;
}

/** The condition input of an edit request. */
export function conditionInputOf(request: EditRequest): ConditionInput {
  const { kind, hand, face, low, high } = request.settings.condition;
  if (kind === 'none') throw new Error('conditionInputOf: the request has no condition');
  return {
    kind,
    frames: request.frames,
    width: request.width,
    height: request.height,
    options: { hand, face, low, high },
    ...(request.conditionFrames ? { conditionFrames: request.conditionFrames } : {}),
  };
}

/** Where estimator models come from: the engine's loaded models, or the CLI's folder. */
export interface EstimatorModelSource {
  /** The loaded model of a kind: an id for the cache key and a way to open its sessions; undefined if none. */
  loaded(kind: EstimatorModelKind): { readonly id: string; open(): Promise<OnnxModelSessions> } | undefined;
  /** How the refusal tells the person to provide the model ("Load … in Models → Estimators", "--condition-model"). */
  missingHint(kind: EstimatorModelKind, condition: EstimatedKind): string;
}

/** The app's wording for a missing estimator model. */
export const APP_MISSING_HINT = (kind: EstimatorModelKind, condition: EstimatedKind): string =>
  `The ${condition} condition needs the ${ESTIMATOR_LABELS[kind]} estimator: load ${ESTIMATOR_LABELS[kind]} in Models → Estimators, or pick canny, your own condition images or none.`;

export const NO_ESTIMATOR_MODELS: EstimatorModelSource = {
  loaded: () => undefined,
  missingHint: APP_MISSING_HINT,
};

export interface ConditionService {
  /** The condition [F, 3, H, W] in [0, 1] (cached per frames, kind, options and model). */
  compute(input: ConditionInput, signal?: AbortSignal): Promise<Float32Array>;
  /** Conditions held (tests, diagnostics). */
  cached(): number;
  clear(): void;
}

/** Kinds worth caching: the estimator networks (canny and user frames are cheap and exact to recompute). */
const CACHED_KINDS: readonly EstimatedKind[] = ['dwpose', 'openpose', 'depth', 'depth_zoe'];

export function createConditionService(
  deps: {
    readonly estimators?: ConditionEstimators;
    readonly models?: EstimatorModelSource;
    /** Conditions kept (each 16 × 512² × 3 floats = 50 MB at the full size); default 2. */
    readonly cacheEntries?: number;
  } = {},
): ConditionService {
  const estimators = deps.estimators ?? BUILTIN_ESTIMATORS;
  const models = deps.models ?? NO_ESTIMATOR_MODELS;
  const capacity = deps.cacheEntries ?? 2;
  const cache = new Map<string, Float32Array>();

  const modelOf = (kind: EstimatedKind) => {
    const needed = estimatorModelOf(kind);
    if (!needed) return { needed, loaded: undefined };
    const loaded = models.loaded(needed);
    if (!loaded) throw new AppError('CONDITION_UNAVAILABLE', models.missingHint(needed, kind));
    return { needed, loaded };
  };

  return {
    async compute(input, signal) {
      const estimate = estimatorFor(estimators, input.kind);
      const { needed, loaded } = modelOf(input.kind);
      const options = effectiveOptions(input.kind, input.options);
      const cacheable = CACHED_KINDS.includes(input.kind);
      const key = cacheable
        ? `${await hashFrames(input)}|${JSON.stringify({ kind: input.kind, options, model: loaded?.id ?? '' })}`
        : '';
      const hit = cacheable ? cache.get(key) : undefined;
      if (hit) {
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const context: EstimatorContext = {
        openModel: async (kind) => {
          const m = kind === needed ? loaded : models.loaded(kind);
          if (!m) throw new AppError('CONDITION_UNAVAILABLE', models.missingHint(kind, input.kind));
          return m.open();
        },
        ...(signal ? { signal } : {}),
      };
      const condition = await estimate({ ...input, options }, context);
      if (cacheable) {
        cache.set(key, condition);
        while (cache.size > capacity) cache.delete(cache.keys().next().value!);
      }
      return condition;
    },
    cached: () => cache.size,
    clear: () => cache.clear(),
  };
}
