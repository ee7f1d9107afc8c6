/**
 * UNet text conditioning with region substitution (DESIGN §3.3):
 *
 *   cond      = target prompt hidden states [77, C] with every owned span [start, start + length) replaced
 *               by the region prompt's own encoding at positions 1..length (after BOS; CLIP is causal, so
 *               that equals encoding "BOS + region words")
 *   text_cond = [uncond(""), cond]   → [2, 77, C], unconditional half first (diffusers' CFG order)
 *
 * Spans come from the ST-Layout compiler (src/core/layout); this module needs only `{ start, length }`.
 */
import { AppError } from '../protocol/errors';

export const CLIP_TOKENS = 77;

export interface TokenSpan {
  /** First owned position in the target prompt's 77 tokens (≥ 1: position 0 is BOS). */
  readonly start: number;
  readonly length: number;
}

export interface RegionTextEncoding {
  readonly span: TokenSpan;
  /** The region prompt's hidden states [77, C]; positions 1..length are used. */
  readonly hidden: Float32Array;
}

function fail(message: string): never {
  throw new AppError('TEXT_COND_INVALID', message);
}

/** `cond`: a copy of `target` with each region's span substituted. Spans must not overlap. */
export function substituteRegionSpans(
  target: Float32Array,
  regions: readonly RegionTextEncoding[],
  channels: number,
): Float32Array {
  const size = CLIP_TOKENS * channels;
  if (!Number.isInteger(channels) || channels < 1) fail(`channel count must be a positive integer, got ${channels}`);
  if (target.length !== size) fail(`target hidden states have ${target.length} values, expected 77 × ${channels}`);
  const owner = new Int32Array(CLIP_TOKENS).fill(-1);
  const out = target.slice();
  regions.forEach(({ span, hidden }, r) => {
    const { start, length } = span;
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(length) ||
      length < 1 ||
      start < 1 ||
      start + length > CLIP_TOKENS
    ) {
      fail(`region ${r}: span [${start}, ${start + length}) must lie within tokens 1..76 and be non-empty`);
    }
    if (hidden.length !== size)
      fail(`region ${r}: hidden states have ${hidden.length} values, expected 77 × ${channels}`);
    for (let k = 0; k < length; k++) {
      const dst = start + k;
      if (owner[dst] !== -1) fail(`regions ${owner[dst]} and ${r} both claim token ${dst}`);
      owner[dst] = r;
      out.set(hidden.subarray((1 + k) * channels, (2 + k) * channels), dst * channels);
    }
  });
  return out;
}

/** text_cond = [uncond, cond] as one [2, 77, C] buffer. */
export function buildTextCond(uncond: Float32Array, cond: Float32Array): Float32Array {
  if (uncond.length !== cond.length || cond.length % CLIP_TOKENS !== 0) {
    fail(`uncond (${uncond.length}) and cond (${cond.length}) must both be [77, C]`);
  }
  const out = new Float32Array(2 * cond.length);
  out.set(uncond, 0);
  out.set(cond, cond.length);
  return out;
}
