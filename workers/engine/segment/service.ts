/**
 * The engine's segment and track service (issue 18; protocol: src/core/protocol/segment.ts). It opens the loaded
 * segmenter's sessions on first use (which one: `pickSegmenter` below) (WebGPU on the engine's device, wasm in Node or without a GPU), reopens them
 * when another model is loaded or the engine's device changed (after a loss), keeps frame embeddings per
 * (clipKey, frameIndex) in host memory in an LRU within a byte budget (./embedding-cache.ts), answers clicks with
 * candidate masks and tracks a mask by prompt chaining (src/core/segment/track.ts).
 */
import { AppError } from '../../../src/core/protocol/errors';
import { ModelError } from '../../../src/core/models/errors';
import { ONNX_MODELS } from '../../../src/core/models/onnx-models';
import type { EngineApi } from '../../../src/core/protocol/engine';
import type { SegmentRequest, SegmentResult, TrackRequest } from '../../../src/core/protocol/segment';
import { defaultMultimask } from '../../../src/core/segment/sam';
import { trackMask } from '../../../src/core/segment/track';
import type { ValidatedModel } from '../../../src/core/models/validate';
import type { LoadedModels } from '../loaded-models';
import type { ExecutionTarget } from '../onnx/ort';
import { openOnnxModel, type OnnxModelSessions } from '../onnx-models/session';
import { EmbeddingCache } from './embedding-cache';
import { createSamSegmenter, type SamEmbedding, type SamSegmenter } from './sam';

export interface SegmentServiceDeps {
  readonly models: LoadedModels;
  /** Where the sessions run (asked once per opening). */
  readonly target: () => Promise<ExecutionTarget>;
  /** Host bytes the cached frame embeddings may hold (default DEFAULT_EMBEDDING_BUDGET_BYTES). */
  readonly embeddingBudgetBytes?: number;
}

export interface SegmentStats {
  readonly encoderRuns: number;
  readonly decoderRuns: number;
  readonly cachedFrames: readonly number[];
  readonly cachedBytes: number;
  /** The segmenter kind the last request picked (`pickSegmenter`). */
  readonly segmenter: SegmenterKind | undefined;
}

export type SegmentService = Pick<EngineApi, 'segment' | 'track' | 'cancelTrack' | 'releaseSegmenter'> & {
  /** Counters for tests and the bench. */
  stats(): SegmentStats;
};

function invalid(message: string): AppError {
  return new AppError('SEGMENT_INPUT_INVALID', message);
}

function checkFrame(frame: Uint8Array, width: number, height: number, what: string): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw invalid(`The frame size ${width}×${height} is not valid.`);
  if (frame.length !== width * height * 4)
    throw invalid(`${what} has ${frame.length} bytes; ${width}×${height} RGBA needs ${width * height * 4}.`);
}

export function checkSegmentRequest(r: SegmentRequest): void {
  checkFrame(r.frame, r.width, r.height, `Frame ${r.frameIndex}`);
  if (!(Number.isInteger(r.frameIndex) && r.frameIndex >= 0))
    throw invalid(`Frame index ${r.frameIndex} is not valid.`);
  if (r.points.length === 0 && !r.box) throw invalid('Click on the object (or drag a box) to segment it.');
  for (const p of r.points) {
    if (!(p.x >= 0 && p.x <= r.width && p.y >= 0 && p.y <= r.height))
      throw invalid(`The point (${p.x}, ${p.y}) is outside the ${r.width}×${r.height} frame.`);
    if (p.label !== 0 && p.label !== 1) throw invalid(`A point label must be 1 (positive) or 0 (negative).`);
  }
  if (r.box) {
    const b = r.box;
    const inside =
      [b.x0, b.x1].every((x) => x >= 0 && x <= r.width) && [b.y0, b.y1].every((y) => y >= 0 && y <= r.height);
    if (!inside || b.x0 === b.x1 || b.y0 === b.y1)
      throw invalid(`The box (${b.x0}, ${b.y0})–(${b.x1}, ${b.y1}) must be a non-empty box inside the frame.`);
  }
}

/** The segmenter kinds, in the order preferred when the choice is open: SAM 2.1 (default), then SlimSAM (light). */
export const SEGMENTER_KINDS = ['sam2', 'slimsam'] as const;
export type SegmenterKind = (typeof SEGMENTER_KINDS)[number];

export const SEGMENTER_MISSING_MESSAGE =
  'Load a segmenter in the Models panel first: SAM 2.1 tiny, or SlimSAM-77 (light, for small GPUs).';

/**
 * Which loaded segmenter runs: the one loaded most recently, as far as the service can tell (a kind whose loaded
 * model changed since the service last looked, when only one did); otherwise the one already open, if still
 * loaded; otherwise SAM 2.1 before SlimSAM. So loading SlimSAM after using SAM 2.1 switches to it (and back on
 * reloading SAM 2.1), and with both loaded at once SAM 2.1 runs.
 */
export function pickSegmenter(
  loaded: Readonly<Partial<Record<SegmenterKind, ValidatedModel>>>,
  seen: Readonly<Partial<Record<SegmenterKind, ValidatedModel>>>,
  current: SegmenterKind | undefined,
): SegmenterKind | undefined {
  const present = SEGMENTER_KINDS.filter((k) => loaded[k]);
  const fresh = present.filter((k) => loaded[k] !== seen[k]);
  if (fresh.length === 1) return fresh[0];
  if (current && present.includes(current) && !fresh.includes(current)) return current;
  return present[0];
}

/**
 * Both exports use the same file names, so a folder of one dropped in the other's row is refused by its graph
 * names at the first click: the message then says which row to load it in.
 */
function otherSegmenterHint(e: unknown, kind: SegmenterKind): unknown {
  if (!(e instanceof ModelError) || e.code !== 'MODEL_ARCHITECTURE') return e;
  const other = kind === 'sam2' ? 'slimsam' : 'sam2';
  const names = ONNX_MODELS[other].files.find((f) => f.role === 'encoder')!.outputs;
  if (!names.every((n) => e.message.includes(`${n},`) || e.message.includes(`${n}]`))) return e;
  return new ModelError(
    'MODEL_ARCHITECTURE',
    `${e.message} It looks like a ${ONNX_MODELS[other].label} export: load it in that row of the Models panel instead.`,
    e.details,
  );
}

export function createSegmentService(deps: SegmentServiceDeps): SegmentService {
  const cache = new EmbeddingCache<SamEmbedding>(deps.embeddingBudgetBytes);
  let open:
    | { model: ValidatedModel; device: GPUDevice | undefined; sessions: OnnxModelSessions; sam: SamSegmenter }
    | undefined;
  let opening: Promise<SamSegmenter> | undefined;
  let seen: Partial<Record<SegmenterKind, ValidatedModel>> = {};
  let current: SegmenterKind | undefined;
  let encoderRuns = 0;
  let decoderRuns = 0;
  let tracking = false;
  let cancelled = false;

  async function close(): Promise<void> {
    const was = open;
    open = undefined;
    opening = undefined;
    cache.clear();
    await was?.sessions.release();
  }

  async function segmenter(): Promise<SamSegmenter> {
    const models: Partial<Record<SegmenterKind, ValidatedModel>> = {};
    for (const k of SEGMENTER_KINDS) {
      const m = deps.models.loaded(k)?.model;
      if (m) models[k] = m;
    }
    const kind = pickSegmenter(models, seen, current);
    seen = models;
    current = kind;
    const loaded = kind ? models[kind] : undefined;
    if (!loaded) throw new AppError('MODEL_NOT_LOADED', SEGMENTER_MISSING_MESSAGE);
    const target = await deps.target();
    const device = target.kind === 'webgpu' ? target.device : undefined;
    // Sessions belong to a model and a device: after a device loss the engine's next device needs new ones.
    if (open?.model === loaded && open.device === device) return open.sam;
    if (!opening) {
      opening = (async () => {
        await close();
        const sessions = await openOnnxModel(loaded, target).catch((e: unknown) => {
          throw otherSegmenterHint(e, kind!);
        });
        open = { model: loaded, device, sessions, sam: createSamSegmenter(sessions) };
        return open.sam;
      })();
      opening.catch(() => (opening = undefined));
    }
    const sam = await opening;
    opening = undefined;
    return sam;
  }

  async function embeddingOf(
    sam: SamSegmenter,
    clipKey: string,
    frame: number,
    rgba: Uint8Array,
    width: number,
    height: number,
  ): Promise<{ embedding: SamEmbedding; cached: boolean; ms: number }> {
    const hit = cache.get(clipKey, frame);
    if (hit) return { embedding: hit, cached: true, ms: 0 };
    const t0 = performance.now();
    const embedding = await sam.encode(rgba, width, height);
    encoderRuns++;
    cache.set(clipKey, frame, embedding, embedding.bytes);
    return { embedding, cached: false, ms: performance.now() - t0 };
  }

  return {
    async segment(request): Promise<SegmentResult> {
      checkSegmentRequest(request);
      const sam = await segmenter();
      const { clipKey, frameIndex, frame, width, height } = request;
      const got = await embeddingOf(sam, clipKey, frameIndex, frame, width, height);
      const t0 = performance.now();
      const candidates = await sam.decode(
        got.embedding,
        {
          points: request.points,
          box: request.box,
          multimask: request.multimask ?? defaultMultimask(request.points, request.box),
        },
        width,
        height,
      );
      decoderRuns++;
      return { candidates, embeddingCached: got.cached, encoderMs: got.ms, decoderMs: performance.now() - t0 };
    },

    async track(request: TrackRequest, onEvent) {
      if (tracking) throw new AppError('SEGMENT_BUSY', 'A track is running: wait for it or cancel it first.');
      tracking = true;
      cancelled = false;
      try {
        const { frames, width, height } = request;
        frames.forEach((f, i) => checkFrame(f, width, height, `Frame ${i}`));
        const sam = await segmenter();
        return await trackMask(
          {
            frameCount: frames.length,
            width,
            height,
            startFrame: request.startFrame,
            startMask: request.startMask,
            direction: request.direction,
            thresholds: request.thresholds,
            ...(request.range ? { range: request.range } : {}),
            ...(request.avoid ? { avoid: request.avoid } : {}),
            ...(request.clipTo ? { clipTo: request.clipTo } : {}),
          },
          async (f, prompt) => {
            const { embedding } = await embeddingOf(sam, request.clipKey, f, frames[f]!, width, height);
            if (cancelled) throw new AppError('CANCELLED', 'Tracking was cancelled.');
            const [best] = await sam.decode(embedding, { ...prompt, multimask: false }, width, height);
            decoderRuns++;
            return best!;
          },
          {
            isCancelled: () => cancelled,
            ...(onEvent
              ? {
                  onEvent: (e) => {
                    // Across the worker, onEvent is a Comlink proxy: its promise must not become an unhandled rejection.
                    const sent = onEvent(e) as unknown;
                    if (sent instanceof Promise) sent.catch(() => undefined);
                  },
                }
              : {}),
          },
        );
      } finally {
        tracking = false;
      }
    },

    async cancelTrack() {
      if (tracking) cancelled = true;
    },

    releaseSegmenter: close,

    stats: () => ({
      encoderRuns,
      decoderRuns,
      cachedFrames: cache.frames,
      cachedBytes: cache.bytes,
      segmenter: current,
    }),
  };
}
