/**
 * Autotuning of the attention kernel's tile sizes (tiles.ts): per (head dim, precision, feature set, key-set
 * kind — self-attention, or cross-attention's 77 text keys) a short timed sweep over the candidate tile
 * configurations on the user's adapter picks the fastest; the choice is cached per adapter (IndexedDB in the
 * browser: autotune-idb.ts; a Map elsewhere) and can be overridden (a per-key table, e.g. from a debug setting).
 *
 * The sweep itself (`sweepTiles`) is pure logic over an injected `measure` and clock, so it is unit-tested with
 * a fake timer; `measureOnDevice` is the real measurement (median of a few timed runs after a warm-up that also
 * compiles the pipeline). Order: override → cache → sweep (then stored).
 */
import type { AttentionShape } from '../../../../src/core/attention/types';
import { AttentionCore, tileLimitsOf } from './attention';
import {
  candidateTiles,
  defaultTiles,
  tileKey,
  tileProblem,
  type AttentionFeatures,
  type AttentionTiles,
  type StorageType,
} from './tiles';

/** What a tile choice depends on (besides the adapter). */
export interface TuneTarget {
  readonly headDim: number;
  readonly storage: StorageType;
  readonly features: AttentionFeatures;
  /** 'cross': a short key set (Nk = 77 text tokens); 'self': key count ≈ query count. */
  readonly kind: 'self' | 'cross';
}

export function targetKey(t: TuneTarget): string {
  return `d${t.headDim}/${t.storage}/${t.features.subgroups ? 'sg' : 'nosg'}/${t.kind}`;
}

/** Cross-attention cores have at most this many keys (77 text tokens); more keys tune as self-attention. */
export const CROSS_MAX_KEYS = 128;
export const kindOfShape = (shape: AttentionShape): TuneTarget['kind'] =>
  shape.keys <= CROSS_MAX_KEYS ? 'cross' : 'self';

export interface TuneCache {
  get(key: string): Promise<AttentionTiles | undefined>;
  set(key: string, tiles: AttentionTiles): Promise<void>;
}

export function memoryTuneCache(): TuneCache {
  const map = new Map<string, AttentionTiles>();
  return {
    get: (key) => Promise.resolve(map.get(key)),
    set: (key, tiles) => {
      map.set(key, tiles);
      return Promise.resolve();
    },
  };
}

export interface SweepResult {
  readonly best: AttentionTiles;
  /** Every configuration measured, in sweep order (ms = fastest of its runs). */
  readonly timings: readonly { readonly tiles: AttentionTiles; readonly ms: number }[];
  /** Configurations not measured because the time budget ran out, or because measuring failed. */
  readonly skipped: number;
  readonly failed: readonly { readonly tiles: AttentionTiles; readonly error: string }[];
}

export interface SweepOptions {
  /** In order of preference; the first is the fallback when nothing could be measured. */
  readonly candidates: readonly AttentionTiles[];
  /** Time of one run of a configuration, in ms (the real one: measureOnDevice). */
  readonly measure: (tiles: AttentionTiles) => Promise<number>;
  /** Wall-clock budget for the whole sweep (ms); the first candidate is always measured. */
  readonly budgetMs: number;
  /** Runs per configuration (the fastest counts). */
  readonly repeats?: number;
  /** Clock (ms); injectable for tests. */
  readonly now?: () => number;
}

export async function sweepTiles(opts: SweepOptions): Promise<SweepResult> {
  const { candidates, measure, budgetMs } = opts;
  if (candidates.length === 0) throw new Error('attention autotune: no candidate tile configuration');
  const now = opts.now ?? (() => performance.now());
  const repeats = Math.max(1, opts.repeats ?? 2);
  const start = now();
  const timings: { tiles: AttentionTiles; ms: number }[] = [];
  const failed: { tiles: AttentionTiles; error: string }[] = [];
  let skipped = 0;
  for (const [index, tiles] of candidates.entries()) {
    if (index > 0 && now() - start >= budgetMs) {
      skipped = candidates.length - index;
      break;
    }
    try {
      let best = Infinity;
      for (let r = 0; r < repeats; r++) best = Math.min(best, await measure(tiles));
      if (!Number.isFinite(best) || best < 0) throw new Error(`invalid time ${best}`);
      timings.push({ tiles, ms: best });
    } catch (e) {
      failed.push({ tiles, error: (e as Error).message });
    }
  }
  // Ties keep the earlier (preferred) configuration.
  let best = timings[0];
  for (const t of timings) if (best && t.ms < best.ms) best = t;
  return { best: best?.tiles ?? candidates[0]!, timings, skipped, failed };
}

/** Probe shape of a sweep: small enough for a software adapter, big enough to fill several workgroups. */
export function probeShape(target: TuneTarget, fallbackAdapter: boolean): AttentionShape {
  const queries = fallbackAdapter ? 256 : 4096;
  return {
    batch: 1,
    kvBatch: 1,
    queries,
    keys: target.kind === 'cross' ? 77 : queries,
    heads: fallbackAdapter ? 2 : 8,
    headDim: target.headDim,
  };
}

/**
 * One timed run of a tile configuration on the device: median of `runs` after a warm-up (which compiles).
 * Plain attention: the modulated variant does the same tiles plus one extra S pass.
 */
export async function measureOnDevice(
  device: GPUDevice,
  target: TuneTarget,
  tiles: AttentionTiles,
  shape: AttentionShape,
  runs = 3,
): Promise<number> {
  const core = new AttentionCore(device, {
    headDim: target.headDim,
    storage: target.storage,
    tiles,
    subgroups: target.features.subgroups,
  });
  const elem = target.storage === 'f16' ? 2 : 4;
  const channels = shape.heads * shape.headDim;
  const make = (values: number): GPUBuffer =>
    device.createBuffer({ size: Math.ceil((values * elem) / 16) * 16, usage: GPUBufferUsage.STORAGE });
  // Zero-filled inputs: the time does not depend on the values.
  const q = make(shape.batch * shape.queries * channels);
  const k = make(shape.kvBatch * shape.keys * channels);
  const v = make(shape.kvBatch * shape.keys * channels);
  const out = make(shape.batch * shape.queries * channels);
  try {
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      core.run({ shape, q, k, v, out });
      await device.queue.onSubmittedWorkDone();
      if (i > 0) times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  } finally {
    for (const b of [q, k, v, out]) b.destroy();
  }
}

export interface AutotunerOptions {
  /** Identifies the adapter in the cache (e.g. adapterLabel of the device's capabilities). */
  readonly adapterKey: string;
  readonly cache?: TuneCache;
  /** Choices that win over the cache and the sweep, by targetKey (e.g. 'd40/f32/sg/self'). */
  readonly overrides?: Readonly<Record<string, AttentionTiles>>;
  /** Per-target sweep budget (ms). Default 1500. */
  readonly budgetMs?: number;
  /** Candidates swept per target at most (the preferred ones first). Default 8. */
  readonly maxCandidates?: number;
  /** Replaces the device measurement (tests). */
  readonly measure?: (target: TuneTarget, tiles: AttentionTiles) => Promise<number>;
  readonly now?: () => number;
  /** Software adapter: smaller probe shapes. */
  readonly fallbackAdapter?: boolean;
  /**
   * No timed sweep: an override or a cached choice, else the untuned default (not stored). Engine start on
   * software adapters, where a sweep costs seconds and the default is already the row kernel.
   */
  readonly noSweep?: boolean;
}

/** Cache entries under this prefix + targetKey override the tuned choice (any adapter), e.g. set from devtools. */
export const OVERRIDE_PREFIX = 'override|';

/** Picks and remembers tile sizes per target on one device. */
export class AttentionAutotuner {
  private readonly pending = new Map<string, Promise<AttentionTiles>>();
  /** Sweep results of this session, for logs and the benchmark. */
  readonly sweeps = new Map<string, SweepResult>();

  constructor(
    private readonly device: GPUDevice,
    private readonly options: AutotunerOptions,
  ) {}

  /** The tiles to use for a target: override, else cached, else a fresh sweep (stored). */
  tiles(target: TuneTarget): Promise<AttentionTiles> {
    const key = targetKey(target);
    let p = this.pending.get(key);
    if (!p) {
      p = this.resolve(target, key);
      this.pending.set(key, p);
    }
    return p;
  }

  private async resolve(target: TuneTarget, key: string): Promise<AttentionTiles> {
    const limits = tileLimitsOf(this.device);
    const runnable = (t: AttentionTiles | undefined): AttentionTiles | undefined =>
      t && !tileProblem(t, target.headDim, target.storage, target.features, limits) ? t : undefined;
    const override = this.options.overrides?.[key];
    if (override) return override;
    const cache = this.options.cache;
    // A stored override that cannot run here (another adapter's limits) is ignored, never trusted.
    const stored = runnable(await cache?.get(`${OVERRIDE_PREFIX}${key}`).catch(() => undefined));
    if (stored) return stored;
    const cacheKey = `${this.options.adapterKey}|${key}`;
    const cached = await cache?.get(cacheKey).catch(() => undefined);
    if (cached) return cached;
    const preferred = defaultTiles(target.headDim, target.storage, target.features, limits);
    if (this.options.noSweep) return preferred;
    const rest = candidateTiles(target.headDim, target.storage, target.features, limits).filter(
      (t) => tileKey(t) !== tileKey(preferred),
    );
    const candidates = [preferred, ...rest].slice(0, this.options.maxCandidates ?? 8);
    const shape = probeShape(target, this.options.fallbackAdapter ?? false);
    const measure =
      this.options.measure ?? ((t: TuneTarget, tiles: AttentionTiles) => measureOnDevice(this.device, t, tiles, shape));
    const result = await sweepTiles({
      candidates,
      measure: (tiles) => measure(target, tiles),
      budgetMs: this.options.budgetMs ?? 1500,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    this.sweeps.set(key, result);
    // Only a measured choice is remembered (a sweep where everything failed tries again next start).
    if (result.timings.length > 0) await cache?.set(cacheKey, result.best).catch(() => undefined);
    return result.best;
  }
}

/** Tile choices resolved ahead of use, as gpu-attention.ts consumes them. */
export type TileChoice = (headDim: number, kind: TuneTarget['kind']) => AttentionTiles | undefined;

/**
 * Engine start: tunes (or reads from the cache) every head dim the models use, for self- and cross-attention,
 * and returns the choices for `gpuAttentionBackend(device, { tiles })`. Subgroup variants are tuned where the
 * device has `subgroups`.
 */
export async function autotuneAttention(
  device: GPUDevice,
  headDims: readonly number[],
  options: AutotunerOptions & { readonly storage?: StorageType },
): Promise<TileChoice> {
  const tuner = new AttentionAutotuner(device, options);
  const storage = options.storage ?? 'f32';
  const subgroups = (tileLimitsOf(device).subgroupMinSize ?? 0) > 0;
  const chosen = new Map<string, AttentionTiles>();
  for (const headDim of new Set(headDims))
    for (const kind of ['self', 'cross'] as const) {
      // One target at a time: sweeps time the device, so they must not overlap.
      chosen.set(`${headDim}/${kind}`, await tuner.tiles({ headDim, storage, features: { subgroups }, kind }));
    }
  return (headDim, kind) => chosen.get(`${headDim}/${kind}`);
}

/** Tile choices the engine tuned for a device at start (engine-tuning.ts); gpu-attention.ts reads them. */
const deviceChoices = new WeakMap<GPUDevice, TileChoice>();
export function setDeviceTiles(device: GPUDevice, choice: TileChoice): void {
  deviceChoices.set(device, choice);
}
export function deviceTiles(device: GPUDevice): TileChoice | undefined {
  return deviceChoices.get(device);
}
