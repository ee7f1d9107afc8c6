/**
 * The key table of the FLATTEN flow attention (DESIGN §3.6) from one trajectory level (src/core/flow/
 * trajectories.ts, the official `traj{h}` [F·h·w, L, 3] / `mask{h}` [F·h·w, L] layout).
 *
 * The official gather (knightyxp/VideoGrain attention_register.py, `[h,w] in flatten_res`):
 *   traj_key_sequence_inds = cat(traj[:, :, 0], traj[:, :, -F+1:])     mask likewise
 * i.e. sequence position 0 (the token itself) and the LAST F − 1 positions of the padded sequence. Python's
 * negative slice takes the whole sequence when L < F − 1, so a token then has 1 + L keys (position 0 twice);
 * when the longest trajectory is shorter than F the last F − 1 positions include neighbour entries: both
 * quirks are kept. Entry (t, y, x) → token index (t·h + y)·w + x; a masked entry → INVALID_KEY.
 */
import type { TrajectoryLevel } from '../../../../src/core/flow/trajectories';

export const INVALID_KEY = 0xffffffff;

/** The keys of every token of one latent level, shared by all CFG halves. */
export interface FlowKeys {
  /** Frames F. */
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  /** Keys per token: 1 + min(F − 1, L). */
  readonly keysPerToken: number;
  /** [F·h·w, keysPerToken] token indices (frame-major), INVALID_KEY where masked. */
  readonly index: Uint32Array;
}

export function flowKeys(level: TrajectoryLevel): FlowKeys {
  const { frames, height, width, length: L, traj, mask } = level;
  const tokens = frames * height * width;
  const tail = Math.min(frames - 1, L);
  const kpt = 1 + tail;
  const positions = [0, ...Array.from({ length: tail }, (_, i) => L - tail + i)];
  const index = new Uint32Array(tokens * kpt);
  for (let n = 0; n < tokens; n++)
    positions.forEach((p, j) => {
      const e = n * L + p;
      index[n * kpt + j] = mask[e]
        ? (traj[e * 3]! * height + traj[e * 3 + 1]!) * width + traj[e * 3 + 2]!
        : INVALID_KEY;
    });
  return { frames, height, width, keysPerToken: kpt, index };
}

/** Bytes of the key table (the memory plan's O(F·h·w·F) term). */
export const flowKeysBytes = (frames: number, height: number, width: number): number =>
  frames * height * width * frames * 4;
