/**
 * One network evaluation over `frames` frames for the memory plan: tensor sizes per resolution level and the
 * transient bytes of the op kinds SD1.5 is made of (formulas in ./unet-activations.ts).
 */
import type { PeakTracker } from './tracker';

export interface PassShape {
  /** Frames evaluated together (F, or 2F when both CFG halves are one batch). */
  readonly frames: number;
  /** Frames per chunk of per-frame work; ≥ frames means unchunked. */
  readonly chunk: number;
  /** Grid at level 0 (the latent for UNet passes, the image for the VAE). */
  readonly height: number;
  readonly width: number;
  /** Bytes per activation element. */
  readonly elementBytes: number;
  /** Text tokens (77) for cross-attention. */
  readonly textTokens: number;
  /**
   * Levels with FLATTEN flow attention after the self-attention (UNet only, DESIGN §3.6): its output is one
   * more C-channel tensor live beside the attention output it replaces (its keys are job state).
   */
  readonly flattenLevels?: readonly number[];
}

export class Pass {
  readonly chunked: boolean;
  constructor(
    readonly tracker: PeakTracker,
    readonly s: PassShape,
    readonly prefix: string,
  ) {
    this.chunked = s.chunk < s.frames;
  }

  tokens(level: number): number {
    return Math.ceil(this.s.height / 2 ** level) * Math.ceil(this.s.width / 2 ** level);
  }

  /** Bytes of a C-channel tensor at `level` for all frames of the pass (`frames` overrides). */
  t(c: number, level: number, frames = this.s.frames): number {
    return frames * c * this.tokens(level) * this.s.elementBytes;
  }

  /** Bytes of a C-channel tensor for one chunk. */
  tc(c: number, level: number): number {
    return this.t(c, level, Math.min(this.s.chunk, this.s.frames));
  }

  op(label: string, local: number, inputHeld: number): void {
    this.tracker.op(`${this.prefix}${label}`, local - inputHeld);
  }

  resnet(label: string, cin: number, cout: number, level: number, inputHeld: number, skip = 0): void {
    const { t, tc } = { t: (c: number) => this.t(c, level), tc: (c: number) => this.tc(c, level) };
    // A chunked up-path resnet gathers the concat per chunk: the whole concat never exists.
    this.tracker.tensor(this.chunked && skip > 0 ? t(Math.max(cin - skip, skip, cout)) : t(Math.max(cin, cout)));
    if (skip === 0) {
      const local = this.chunked ? t(cin) + t(cout) + tc(cin) + 4 * tc(cout) : t(cin) + 4 * t(cout);
      this.op(label, local, inputHeld);
      return;
    }
    // Up path: input = concat(prev, skip); the skip was released from the held set by the caller.
    const prev = cin - skip;
    const local = this.chunked
      ? t(prev) + t(skip) + t(cout) + tc(cin) + 4 * tc(cout)
      : Math.max(t(prev) + t(skip) + t(cin), t(cin) + 4 * t(cout));
    this.op(label, local, inputHeld);
  }

  transformer(label: string, c: number, level: number, heads: number, inputHeld: number): void {
    const t = this.t(c, level);
    const tc = this.tc(c, level);
    const stats = this.s.frames * this.tokens(level) * heads * 4 * 4;
    const ffInner = 8 * t;
    this.tracker.tensor(this.chunked ? 8 * tc : ffInner);
    const flow = this.s.flattenLevels?.includes(level) ? t : 0;
    const selfAttn = (this.chunked ? 5 * t + 4 * tc + stats : 6 * t + stats) + flow;
    const cross = this.chunked ? 3 * t + 5 * tc : 5 * t;
    const ff = this.chunked ? 3 * t + 17 * tc : 2 * t + ffInner + 8 * t;
    this.op(`${label}.attn1`, selfAttn, inputHeld);
    this.op(`${label}.attn2`, cross, inputHeld);
    this.op(`${label}.ff`, ff, inputHeld);
  }

  downsample(label: string, c: number, level: number, inputHeld: number): void {
    this.op(label, this.t(c, level) + this.t(c, level + 1), inputHeld);
  }

  upsample(label: string, c: number, level: number): void {
    // nearest 2× (a tensor at level − 1) then a 3×3 conv.
    const local = this.chunked
      ? this.t(c, level) + this.t(c, level - 1) + 2 * this.tc(c, level - 1)
      : this.t(c, level) + 2 * this.t(c, level - 1);
    this.tracker.tensor(this.t(c, level - 1));
    this.op(label, local, 0);
  }
}
