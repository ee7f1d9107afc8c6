/**
 * The engine's edit service (EngineApi.edit / cancelEdit / releaseEditCache; DESIGN §1 steps 4–5, §6, §7):
 * checks a request, builds runEdit's input (../pipeline/edit.ts), reuses cached inversions, keeps compiled
 * components between edits while the loaded models stay the same, reports progress, previews and ETA, and
 * returns the edited frames with counts, timings and optional attention maps.
 *
 * A plain module: the networks come from a `createComponents` dependency (WebGPU in the worker, the Node CPU
 * components in tests), so it runs in Node as in the worker. Transfers across the worker are api.ts's job.
 * A failed or cancelled edit releases the compiled components (GPU memory back to idle).
 */
import type { EditEvent, EditFlows, EditRequest, EditResultData, EditStageName } from '../../src/core/protocol/edit';
import { hashFrames } from '../../src/core/pipeline/inversion-key';
import type { LoadedModelInfo } from '../../src/core/protocol/engine';
import type { ModelKind } from '../../src/core/models/files';
import { AppError, hasCode } from '../../src/core/protocol/errors';
import { compilePrompts } from '../../src/core/prompt/spans';
import { createClipTokenizer, type ClipTokenizer, type ClipTokenizerFiles } from '../../src/core/tokenizer/clip';
import type { Components } from './pipeline/components';
import { runEdit } from './pipeline/edit';
import { collectAttentionMaps, type AttentionMapCollector } from './edit/attention-maps';
import {
  conditionInputOf,
  createConditionService,
  type ConditionEstimators,
  type ConditionService,
} from './edit/conditions';
import { etaSeconds, instrumentComponents, type EtaPlan, type InstrumentedComponents } from './edit/instrument';
import { InversionCache, requestInversionKey } from './edit/inversion-cache';
import { beginEditMemory, type EditMemoryDeps, type EditMemoryRun } from './edit/memory-check';
import { checkRequest, editInput, editOptions, flowPlanFor } from './edit/request';

export interface EditModel {
  readonly info: LoadedModelInfo;
}

/** The models an edit runs on; object identity says "the same load" (a reload gives new objects). */
export interface EditModels<M extends EditModel> {
  readonly sd: M;
  readonly controlnet?: M;
}

export interface EditServiceDeps<M extends EditModel> {
  readonly models: {
    loaded(kind: ModelKind): M | undefined;
    tokenizerFiles(): Promise<ClipTokenizerFiles>;
  };
  /** Compiles the networks of the given models (lazily or not); released with `Components.release()`. */
  readonly createComponents: (models: EditModels<M>) => Promise<Components>;
  readonly estimators?: ConditionEstimators;
  /** Computes and caches conditions (./edit/conditions.ts); default: `estimators` with no estimator models. */
  readonly conditions?: ConditionService;
  readonly now?: () => number;
  /** Least time between two previews (default 250 ms); the first and the last denoising step always get one. */
  readonly previewIntervalMs?: number;
  /** The memory plan's check before each edit and the measured peak (./edit/memory-check.ts); absent: none. */
  readonly memory?: EditMemoryDeps<M>;
  /**
   * Optical flow for FLATTEN when the request asks for it (`settings.flatten`) without giving `flows`: the engine's
   * RAFT on the frames (FLOW_UNAVAILABLE when no flow model is loaded). Absent: such a request is refused.
   */
  readonly flows?: (request: EditRequest, signal: AbortSignal) => Promise<EditFlows>;
}

export interface EditService {
  edit(request: EditRequest, onEvent?: (event: EditEvent) => void): Promise<EditResultData>;
  /** Aborts the running edit (it rejects with CANCELLED); no-op when idle. */
  cancel(): void;
  /** The frame the running edit's next previews show. */
  setPreviewFrame(frame: number): void;
  /** Forgets cached inversions and releases the compiled components (after the running edit, if any). */
  releaseCache(): Promise<void>;
  /** Releases the compiled components: models were loaded or deleted, or the device was lost. */
  releaseComponents(): Promise<void>;
  /** Inversions held (tests, diagnostics). */
  cachedInversions(): number;
}

interface Held<M> {
  readonly sd: M;
  readonly controlnet: M | undefined;
  readonly components: Components;
}

/** Cross-attention maps are read at H/32 × W/32 (the reference layout's middle modulated resolution). */
const ATTENTION_MAP_DOWNSCALE = 32;

export function createEditService<M extends EditModel>(deps: EditServiceDeps<M>): EditService {
  const now = deps.now ?? (() => performance.now());
  const conditions = deps.conditions ?? createConditionService(deps.estimators ? { estimators: deps.estimators } : {});
  const inversions = new InversionCache();
  let held: Held<M> | undefined;
  let tokenizer: { sd: M; tokenizer: ClipTokenizer } | undefined;
  let running: AbortController | undefined;
  let stale = false;
  let previewFrame = 0;
  // Flows depend only on the frames: a re-edit of the same clip reuses them (and so its cached inversion).
  let flowMemo: { hash: string; flows: EditFlows } | undefined;
  const previewIntervalMs = deps.previewIntervalMs ?? 250;

  async function dropComponents(): Promise<void> {
    const h = held;
    held = undefined;
    stale = false;
    // A release on a lost device may fail; the buffers are gone with the device anyway.
    if (h) await h.components.release().catch(() => undefined);
  }

  async function componentsFor(models: EditModels<M>): Promise<Components> {
    if (held && held.sd === models.sd && held.controlnet === models.controlnet) return held.components;
    await dropComponents();
    const components = await deps.createComponents(models);
    held = { sd: models.sd, controlnet: models.controlnet, components };
    return components;
  }

  async function tokenizerFor(sd: M): Promise<ClipTokenizer> {
    if (tokenizer?.sd !== sd) tokenizer = { sd, tokenizer: createClipTokenizer(await deps.models.tokenizerFiles()) };
    return tokenizer.tokenizer;
  }

  /** The request with its flows: given ones, the last computed ones for the same frames, or computed now. */
  async function withFlows(request: EditRequest, emit: (e: EditEvent) => void, signal: AbortSignal) {
    if (!request.settings.flatten || request.flows || !deps.flows || request.frames.length < 2) return request;
    const { width, height, frames } = request;
    const hash = await hashFrames({ width, height, frames });
    if (flowMemo?.hash !== hash) {
      emit({ kind: 'progress', stage: 'prepare', step: 0, total: 1, etaSeconds: null, inversionReused: false });
      flowMemo = { hash, flows: await deps.flows(request, signal) };
    }
    return { ...request, flows: flowMemo.flows };
  }

  function modelsFor(request: EditRequest): EditModels<M> {
    const sd = deps.models.loaded('sd15');
    if (!sd) throw new AppError('MODEL_NOT_LOADED', 'Load a Stable Diffusion 1.5 model before editing.');
    if (request.settings.condition.kind === 'none') return { sd };
    const controlnet = deps.models.loaded('controlnet');
    if (!controlnet)
      throw new AppError(
        'MODEL_NOT_LOADED',
        `The ${request.settings.condition.kind} condition needs a ControlNet: load one, or set the condition to none.`,
      );
    return { sd, controlnet };
  }

  async function run(
    request: EditRequest,
    emit: (event: EditEvent) => void,
    signal: AbortSignal,
    state: { computing: boolean; memory?: EditMemoryRun },
  ): Promise<EditResultData> {
    const started = now();
    const { settings } = request;
    const F = request.frames.length;
    let inversionReused = false;
    // Known once the components are ready; progress before that has no ETA.
    const timing: { eta?: EtaPlan; instrumented?: InstrumentedComponents } = {};
    const done = { invert: 0, denoise: 0 };
    const stageStart = new Map<EditStageName, number>([['prepare', started]]);
    const progress = (stage: EditStageName, step: number, total: number) => {
      if (!stageStart.has(stage)) stageStart.set(stage, now());
      if (stage === 'invert') done.invert = step;
      if (stage === 'denoise') done.denoise = step;
      const { eta, instrumented } = timing;
      const seconds = eta && instrumented ? etaSeconds(eta, instrumented.msPerItem(), done.invert, done.denoise) : null;
      emit({ kind: 'progress', stage, step, total, etaSeconds: seconds, inversionReused });
    };
    const cancelled = () => {
      if (signal.aborted) throw new AppError('CANCELLED', 'The edit was cancelled.');
    };

    progress('prepare', 0, 1);
    checkRequest(request);
    const models = modelsFor(request);
    // The memory plan before anything runs: an edit that cannot fit is refused (EDIT_TOO_LARGE).
    if (deps.memory) state.memory = await beginEditMemory(deps.memory, models.sd, models.controlnet, request);
    const condition =
      settings.condition.kind === 'none' ? undefined : await conditions.compute(conditionInputOf(request), signal);
    cancelled();
    const key = await requestInversionKey(
      request,
      { sd: models.sd.info, ...(models.controlnet ? { controlnet: models.controlnet.info } : {}) },
      condition,
    );
    const cached = inversions.get(key);
    const inversion = cached && (!settings.blendWithInversion || cached.trajectory) ? cached : undefined;
    inversionReused = inversion !== undefined;
    const tok = await tokenizerFor(models.sd);
    cancelled();
    state.computing = true;
    const instrumented = instrumentComponents(await componentsFor(models), now, signal);
    timing.instrumented = instrumented;
    cancelled();
    timing.eta = {
      frames: F,
      inversionCalls: inversion ? 0 : settings.steps - 1,
      denoiseCalls: settings.steps,
      halves: settings.guidance === 1 ? 1 : 2,
    };
    progress('prepare', 1, 1);

    const latentH = request.height / 8;
    const latentW = request.width / 8;
    const input = editInput(request, tok);
    previewFrame = request.previewFrame ?? 0;
    let lastPreviewAt = Number.NEGATIVE_INFINITY;
    instrumented.components.runtime.transfers.reset();
    // Cross-attention maps: the text-token bits are the layout's (the same prompt compiler runEdit uses).
    const maps: AttentionMapCollector | undefined = request.attentionMaps
      ? collectAttentionMaps({
          frames: F,
          height: request.height / ATTENTION_MAP_DOWNSCALE,
          width: request.width / ATTENTION_MAP_DOWNSCALE,
          textTokenBits: compilePrompts(tok, request.targetPrompt, input.regionPrompts, request.regions.length)
            .textTokenBits,
          regionCount: request.regions.length,
        })
      : undefined;
    // FLATTEN trajectories (DESIGN §3.6): those of the cached inversion, else computed from the request's flow.
    const flow = inversion ? inversion.flow : flowPlanFor(request);
    const result = await runEdit(instrumented.components, input, {
      ...editOptions(settings, condition),
      ...(inversion ? { inversion } : {}),
      ...(flow ? { flow } : {}),
      signal,
      onProgress: (p) => progress(p.stage, p.step, p.total),
      onStep: async (step) => {
        // One frame, rate-limited: the only per-step readback of the edit (DESIGN §6).
        const last = step.index + 1 === settings.steps;
        if (step.index > 0 && !last && now() - lastPreviewAt < previewIntervalMs) return;
        lastPreviewAt = now();
        const frame = Math.min(previewFrame, F - 1);
        const { transfers } = instrumented.components.runtime;
        const stage = transfers.stage;
        transfers.setStage('preview');
        const rgba = await instrumented.components.runtime.ops.previewRgba(step.predOriginalSample, frame);
        transfers.setStage(stage);
        emit({
          kind: 'preview',
          step: step.index + 1,
          total: settings.steps,
          width: latentW,
          height: latentH,
          frame,
          rgba,
        });
      },
      ...(maps ? { lastStepProbe: maps.probe } : {}),
      // Cached as soon as it exists: a re-edit after a cancel during denoising skips the inversion too.
      onInversion: (done) => inversions.set(key, done),
    });
    const finished = now();

    const order = [...stageStart.entries()].sort((a, b) => a[1] - b[1]);
    const timings: Partial<Record<EditStageName, number>> = {};
    order.forEach(([stage, at], i) => (timings[stage] = (order[i + 1]?.[1] ?? finished) - at));
    return {
      width: request.width,
      height: request.height,
      frames: result.frames,
      inversionKey: key,
      inversionReused,
      unetCalls: instrumented.unetCalls(),
      timings,
      transfers: instrumented.components.runtime.transfers.stages(),
      ...(state.memory ? { memory: state.memory.finish() } : {}),
      ...(maps ? { attentionMaps: maps.maps() } : {}),
      ...(request.returnLatents
        ? {
            latents: {
              z0: result.inversion.z0.slice(),
              xT: result.inversion.latentsT.slice(),
              final: result.latents,
            },
          }
        : {}),
    };
  }

  return {
    async edit(request, onEvent) {
      if (running)
        throw new AppError('EDIT_BUSY', 'An edit is already running; wait for it to finish or cancel it first.');
      const controller = new AbortController();
      running = controller;
      const emit = (event: EditEvent) => {
        try {
          onEvent?.(event);
        } catch {
          // A failing listener must not fail the edit.
        }
      };
      const state: { computing: boolean; memory?: EditMemoryRun } = { computing: false };
      try {
        return await run(await withFlows(request, emit, controller.signal), emit, controller.signal, state);
      } catch (e) {
        const cancelled = controller.signal.aborted || hasCode(e, 'CANCELLED');
        // A refused request (bad input, no model) ran nothing: the compiled networks stay for the next edit.
        if (cancelled || state.computing) await dropComponents();
        if (cancelled) throw new AppError('CANCELLED', 'The edit was cancelled; nothing was changed.');
        throw e;
      } finally {
        state.memory?.stop();
        running = undefined;
        if (stale) await dropComponents();
      }
    },
    cancel() {
      running?.abort();
    },
    setPreviewFrame(frame) {
      if (Number.isInteger(frame) && frame >= 0) previewFrame = frame;
    },
    async releaseCache() {
      inversions.clear();
      if (running) stale = true;
      else await dropComponents();
    },
    async releaseComponents() {
      tokenizer = undefined;
      if (running) stale = true;
      else await dropComponents();
    },
    cachedInversions: () => inversions.size,
  };
}
