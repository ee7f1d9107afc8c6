/**
 * Cache key of a DDIM inversion (DESIGN §1: a re-edit of the same clip with new prompts reuses it).
 * Everything that changes the inverted latents is in the key; nothing else is (target prompts, regions,
 * guidance, seeds of the edit do not invalidate it):
 *
 *   frames content (size + pixels), source prompt, structure condition (type, scale, condition frames),
 *   model (id, revision, precision), inversion step count, how the VAE latent is taken (`encodeWith`;
 *   with the posterior sample, its seed), the inverse-scheduler convention.
 *
 * key = hex SHA-256 (WebCrypto `crypto.subtle`, Node ≥ 20 and browsers) of a canonical JSON document that
 * holds the SHA-256 of the pixel data, never the pixels, with a version field so a format change cannot
 * collide with old keys.
 */

import type { ConditionKind } from '../protocol/edit';

export const INVERSION_KEY_VERSION = 1;

export interface FramesData {
  readonly width: number;
  readonly height: number;
  /** One RGBA buffer per frame (width·height·4 bytes each). */
  readonly frames: readonly Uint8Array[];
}

export type ConditionType = ConditionKind;

export interface InversionKeyInput {
  /** Hex SHA-256 of the cropped input frames (`hashFrames`), computed once per clip. */
  readonly framesHash: string;
  readonly sourcePrompt: string;
  readonly condition: {
    readonly type: ConditionType;
    readonly scale: number;
    /** `hashFrames` of the condition images; '' for type 'none'. */
    readonly framesHash: string;
  };
  readonly model: { readonly id: string; readonly revision: string; readonly precision: 'fp16' | 'fp32' };
  readonly inversionSteps: number;
  /** VAE latent for the inversion: the posterior mean, or a posterior sample drawn with `seed`. */
  readonly encodeWith: { readonly kind: 'mean' } | { readonly kind: 'sample'; readonly seed: number };
  readonly inverseConvention: 'v0.19' | 'v0.40';
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(data: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

/** SHA-256 of frame size, count and pixels (a header then each frame's bytes), hex. */
export async function hashFrames(data: FramesData): Promise<string> {
  const { width, height, frames } = data;
  const frameBytes = width * height * 4;
  const header = new TextEncoder().encode(`rgba8:${width}x${height}x${frames.length};`);
  const all = new Uint8Array(header.length + frameBytes * frames.length);
  all.set(header, 0);
  frames.forEach((f, i) => {
    if (f.length !== frameBytes) throw new RangeError(`frame ${i} has ${f.length} bytes, expected ${frameBytes}`);
    all.set(f, header.length + i * frameBytes);
  });
  return sha256(all);
}

/** JSON with object keys sorted at every level: equal inputs give equal bytes regardless of key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`non-finite number in key: ${value}`);
  return JSON.stringify(value);
}

export async function inversionKey(input: InversionKeyInput): Promise<string> {
  const doc = {
    v: INVERSION_KEY_VERSION,
    framesHash: input.framesHash,
    sourcePrompt: input.sourcePrompt,
    condition: { type: input.condition.type, scale: input.condition.scale, framesHash: input.condition.framesHash },
    model: { id: input.model.id, revision: input.model.revision, precision: input.model.precision },
    inversionSteps: input.inversionSteps,
    encodeWith: input.encodeWith.kind === 'sample' ? { kind: 'sample', seed: input.encodeWith.seed } : { kind: 'mean' },
    inverseConvention: input.inverseConvention,
  };
  return sha256(new TextEncoder().encode(canonicalJson(doc)));
}
