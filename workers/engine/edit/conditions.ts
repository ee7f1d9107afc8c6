/**
 * Structure conditions of an edit (DESIGN §1 step 4): a registry of estimators by condition kind, each turning
 * the request into the ControlNet condition [F, 3, H, W] in [0, 1]. Built in: 'canny' (src/core/conditions/
 * canny.ts on each frame) and 'frames' (the request's own condition images). Depth and pose need estimator
 * networks; until one is registered for a kind, asking for it is a typed refusal (CONDITION_UNAVAILABLE).
 */
import { cannyCondition } from '../../../src/core/conditions/canny';
import type { ConditionKind, EditRequest } from '../../../src/core/protocol/edit';
import { AppError } from '../../../src/core/protocol/errors';

/** Computes the condition frames [F, 3, H, W] in [0, 1] of a validated request. */
export type ConditionEstimator = (request: EditRequest, signal?: AbortSignal) => Promise<Float32Array> | Float32Array;

export type EstimatedKind = Exclude<ConditionKind, 'none'>;
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

/** [F, 3, H, W] in [0, 1] → RGBA bytes per frame (exact for canny edges and for 8-bit images): for hashing. */
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

const canny: ConditionEstimator = (request) => {
  const { width, height, frames } = request;
  const plane = width * height;
  const out = new Float32Array(frames.length * 3 * plane);
  frames.forEach((rgba, f) => out.set(cannyCondition(rgba, width, height), f * 3 * plane));
  return out;
};

const userFrames: ConditionEstimator = (request) =>
  rgbaToCondition(request.conditionFrames ?? [], request.width, request.height);

export const BUILTIN_ESTIMATORS: ConditionEstimators = new Map<EstimatedKind, ConditionEstimator>([
  ['canny', canny],
  ['frames', userFrames],
]);

/** The estimator of a kind, or the refusal that says what to use instead. */
export function estimatorFor(estimators: ConditionEstimators, kind: EstimatedKind): ConditionEstimator {
  const estimator = estimators.get(kind);
  if (!estimator)
    throw new AppError(
      'CONDITION_UNAVAILABLE',
      `The ${kind} condition needs a ${kind} estimator, not available yet; use canny or your own condition frames.`,
    );
  return estimator;
}
