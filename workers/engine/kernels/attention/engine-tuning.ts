/**
 * Attention tile tuning at engine start (issue 15): for the SD1.5 head dims (40, 80, 160), self- and
 * cross-attention, the engine's precision (f32) and the device's feature set, pick tile sizes — an override, a
 * choice cached per adapter in IndexedDB (autotune-idb.ts), or a short timed sweep (autotune.ts) — and register
 * them for the device, where the WebGPU attention backend (onnx/gpu-attention.ts) reads them.
 *
 * Modes: 'sweep' times candidates where nothing is cached (default on hardware adapters: a few seconds once per
 * adapter, then cached); 'cached' uses overrides and cached choices but never times (default on software
 * adapters such as SwiftShader, where a sweep costs many seconds and the untuned default is already the row
 * kernel); 'off' uses the untuned defaults. Overrides: `EngineDeps.attentionTuning.overrides`, or IndexedDB
 * entries `override|<target>` in the store this module uses (e.g. `override|d40/f32/sg/self` →
 * `{tq:64,tk:1,rq:2,rk:8,dk:40}`), which page and worker share.
 */
import type { AttentionTiles } from './tiles';
import { autotuneAttention, setDeviceTiles, type TileChoice, type TuneCache } from './autotune';
import { indexedDbTuneCache } from './autotune-idb';

export type AttentionTuningMode = 'sweep' | 'cached' | 'off';

export interface AttentionTuningOptions {
  /** Default: 'sweep' on hardware adapters, 'cached' on software ones. */
  readonly mode?: AttentionTuningMode;
  /** Head dims to tune (default: SD1.5's 40, 80, 160). */
  readonly headDims?: readonly number[];
  /** By target key (autotune.ts targetKey, e.g. 'd40/f32/sg/self'). */
  readonly overrides?: Readonly<Record<string, AttentionTiles>>;
  /** Default: IndexedDB where available, else none. */
  readonly cache?: TuneCache;
  /** Per-target sweep budget in ms (default 1500). */
  readonly budgetMs?: number;
  readonly maxCandidates?: number;
}

export const SD15_HEAD_DIMS = [40, 80, 160] as const;

export interface AttentionTuningResult {
  readonly mode: AttentionTuningMode;
  readonly choice: TileChoice;
  readonly ms: number;
}

/**
 * Resolves the tile choices for this device and registers them (setDeviceTiles). Never throws: a failure
 * leaves the defaults in place (the kernels pick them per core).
 */
export async function tuneAttentionAtStart(
  device: GPUDevice,
  adapter: { readonly label: string; readonly software: boolean },
  options: AttentionTuningOptions = {},
): Promise<AttentionTuningResult> {
  const start = performance.now();
  const mode = options.mode ?? (adapter.software ? 'cached' : 'sweep');
  const none: TileChoice = () => undefined;
  if (mode === 'off') {
    setDeviceTiles(device, none);
    return { mode, choice: none, ms: 0 };
  }
  const cache = options.cache ?? (typeof indexedDB === 'undefined' ? undefined : indexedDbTuneCache());
  try {
    const choice = await autotuneAttention(device, options.headDims ?? SD15_HEAD_DIMS, {
      adapterKey: adapter.label,
      storage: 'f32',
      fallbackAdapter: adapter.software,
      noSweep: mode === 'cached',
      ...(cache ? { cache } : {}),
      ...(options.overrides ? { overrides: options.overrides } : {}),
      ...(options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {}),
      ...(options.maxCandidates !== undefined ? { maxCandidates: options.maxCandidates } : {}),
    });
    setDeviceTiles(device, choice);
    return { mode, choice, ms: performance.now() - start };
  } catch (e) {
    console.warn(`[attention] tile tuning failed, using default tiles: ${(e as Error).message}`);
    setDeviceTiles(device, none);
    return { mode, choice: none, ms: performance.now() - start };
  }
}
