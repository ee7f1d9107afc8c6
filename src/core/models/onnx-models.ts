/**
 * The ONNX-shipped models the app knows, by kind (DESIGN §3.6, §3.7; issues #16 #17 #18): each kind's spec lives
 * in ./onnx/<kind>.ts, owned with the feature that runs it. They load through the same model sources, cache,
 * progress and validation as the diffusers checkpoints (files.ts, resolve.ts, validate.ts).
 */
import { DWPOSE } from './onnx/dwpose';
import { MIDAS } from './onnx/midas';
import { RAFT } from './onnx/raft';
import { SAM2 } from './onnx/sam2';
import { SLIMSAM } from './onnx/slimsam';
import type { OnnxModelSpec } from './onnx/spec';
import { ZOE } from './onnx/zoe';

export const ONNX_MODEL_KINDS = ['dwpose', 'midas', 'zoe', 'raft', 'sam2', 'slimsam'] as const;
export type OnnxModelKind = (typeof ONNX_MODEL_KINDS)[number];

export const ONNX_MODELS: Readonly<Record<OnnxModelKind, OnnxModelSpec<OnnxModelKind>>> = {
  dwpose: DWPOSE,
  midas: MIDAS,
  zoe: ZOE,
  raft: RAFT,
  sam2: SAM2,
  slimsam: SLIMSAM,
};

export function isOnnxModelKind(kind: string): kind is OnnxModelKind {
  return (ONNX_MODEL_KINDS as readonly string[]).includes(kind);
}
