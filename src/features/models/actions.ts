/**
 * Models panel actions: remember the chosen sources (localStorage), load them through the engine worker with
 * byte progress in the task bar, cancel, list and delete the browser cache, and hand the loaded model's CLIP
 * tokenizer to the prompt editor. Remembered sources that are fully cached load at start-up with no network.
 */
import { services } from '../../app/services';
import { formatBytes } from '../../core/models/errors';
import type { ModelKind, WeightsPrecision } from '../../core/models/files';
import { ONNX_MODELS, ONNX_MODEL_KINDS, isOnnxModelKind, type OnnxModelKind } from '../../core/models/onnx-models';
import type { ModelLoadProgress, ModelSpec } from '../../core/protocol/engine';
import { Comlink } from '../../core/protocol/rpc';
import { AppError, hasCode } from '../../core/protocol/errors';
import { clipPromptTokenizer } from '../../core/regions/prompts';
import { createClipTokenizer } from '../../core/tokenizer/clip';
import { DEFAULT_MODEL_CHOICES, type ModelChoices } from '../../state/slices/models';
import { useStore } from '../../state/store';
import { setPromptTokenizer } from '../regions/tokenizer';
import { runTask } from '../tasks/run-task';
import { conditionForControlNet, loadedControlNet } from '../run/defaults';
import { flattenAfterFlowModel } from '../run/flow-settings';
import { downloadEta } from '../tasks/eta';
import { cacheIdOf, sourceChoice, toSpec, type LocalPick } from './sources';

export const MODELS_TASK = 'models';
const STORAGE_KEY = 'videograin.models';
/** What the main Load button loads; ONNX-shipped models have their own buttons (loadOnnxModel). */
const KINDS: readonly ModelKind[] = ['sd15', 'controlnet'];
const ALL_KINDS: readonly ModelKind[] = [...KINDS, ...ONNX_MODEL_KINDS];
const local: Partial<Record<ModelKind, LocalPick>> = {};
let persistAsked = false;

const engine = () => services.engine().api;

export function setModelChoices(choices: ModelChoices): void {
  useStore.getState().setModelChoices(choices);
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(choices));
  } catch {
    // storage disabled: the choice still holds for this page
  }
}

function restoredChoices(): ModelChoices {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as ModelChoices | null;
    // A picked folder's handle does not survive a reload: the name stays, and the panel asks for the folder
    // again with one click (needsRepick) instead of silently showing "not loaded".
    if (saved?.sd15?.type && saved.controlnet?.preset) return saved;
  } catch {
    // a torn entry: defaults
  }
  return DEFAULT_MODEL_CHOICES;
}

/** Remembers a folder the user picked (a directory handle, or the files of an `<input webkitdirectory>`). */
export function setLocalFolder(kind: ModelKind, pick: LocalPick, name: string): void {
  local[kind] = pick;
  const c = useStore.getState().modelChoices;
  const choice = { type: 'local' as const, value: name };
  if (isOnnxModelKind(kind)) setModelChoices({ ...c, onnx: { ...c.onnx, [kind]: choice } });
  else
    setModelChoices(
      kind === 'sd15' ? { ...c, sd15: choice } : { ...c, controlnet: { preset: 'custom', custom: choice } },
    );
}

/** A remembered local folder whose files this page does not have (after a reload): it must be picked again. */
export function needsRepick(kind: ModelKind): string | null {
  const choice = sourceChoice(useStore.getState().modelChoices, kind);
  return choice?.type === 'local' && choice.value && !local[kind] ? choice.value : null;
}

export async function refreshCachedModels(): Promise<void> {
  try {
    const list = await engine().listCachedModels();
    // A download that failed before its first byte leaves an empty source folder: not a cached model.
    const empty = list.filter((m) => m.bytes === 0 && m.complete.length === 0);
    for (const m of empty)
      await engine()
        .deleteCachedModels(m.id)
        .catch(() => undefined);
    useStore.getState().setCachedModels(list.filter((m) => !empty.includes(m)));
  } catch (e) {
    useStore.getState().notify('error', (e as Error).message, (e as { code?: string }).code);
  }
}

async function adoptTokenizerOfLoadedModel(): Promise<void> {
  const files = await engine().getTokenizerFiles();
  setPromptTokenizer(clipPromptTokenizer(createClipTokenizer(files)));
}

/** The name a kind has in messages ("SD 1.5", "ControlNet", "DWPose (…)"). */
export function modelName(kind: ModelKind): string {
  if (isOnnxModelKind(kind)) return ONNX_MODELS[kind].label;
  return kind === 'sd15' ? 'SD 1.5' : 'ControlNet';
}

function describeProgress(kind: ModelKind, p: ModelLoadProgress): string {
  const name = modelName(kind);
  if (p.phase === 'resolving') return `${name}: checking files`;
  if (p.phase === 'verifying') return `${name}: verifying ${p.file ?? ''}`;
  if (p.phase === 'done') return `${name}: ${p.fromCache ? 'loaded from cache' : 'downloaded'}`;
  // The ETA is the task's own (src/features/tasks/eta.ts), not part of this text: one ETA on screen.
  return `${name}: ${formatBytes(p.bytes)} of ${formatBytes(p.total)} (${formatBytes(p.bytesPerSecond)}/s)`;
}

async function loadOne(
  kind: ModelKind,
  precision: WeightsPrecision | 'auto',
  report?: (s: string, f?: number, eta?: number | null) => void,
) {
  const { setModelSlot } = useStore.getState();
  const choice = sourceChoice(useStore.getState().modelChoices, kind);
  if (!choice) {
    setModelSlot(kind, { state: 'idle' });
    return;
  }
  const spec: ModelSpec = { kind, precision, source: toSpec(choice, local[kind]) };
  setModelSlot(kind, { state: 'loading' });
  let downloadingFrom: number | null = null;
  try {
    const info = await engine().loadModel(
      spec,
      Comlink.proxy((progress: ModelLoadProgress) => {
        const slot = useStore.getState().models[kind];
        if (slot.state === 'loading') setModelSlot(kind, { state: 'loading', progress });
        if (progress.phase === 'downloading') downloadingFrom ??= Date.now();
        report?.(
          describeProgress(kind, progress),
          progress.total > 0 ? progress.bytes / progress.total : undefined,
          downloadEta(progress, downloadingFrom === null ? null : Date.now() - downloadingFrom),
        );
      }),
    );
    setModelSlot(kind, { state: 'ready', info });
    if (kind === 'sd15') await adoptTokenizerOfLoadedModel();
  } catch (e) {
    const code = (e as { code?: string }).code;
    setModelSlot(kind, { state: 'error', error: { message: (e as Error).message, ...(code ? { code } : {}) } });
    if (hasCode(e, 'CANCELLED'))
      throw new AppError('CANCELLED', 'Download cancelled; what arrived stays cached and the next load resumes.');
    throw e;
  }
}

/** The Load button: SD1.5, then the chosen ControlNet (if any). */
export async function loadModels(): Promise<boolean> {
  const remote = KINDS.some((k) => sourceChoice(useStore.getState().modelChoices, k)?.type !== 'local');
  if (remote && !persistAsked) {
    // Ask once, from the page (the worker cannot), that the browser keep the cache under storage pressure.
    persistAsked = true;
    await navigator.storage?.persist?.().catch(() => false);
  }
  const ok = await runTask(MODELS_TASK, 'Loading models', async (progress) => {
    for (const kind of KINDS) await loadOne(kind, 'auto', progress);
  });
  await refreshCachedModels();
  if (ok) followControlNet();
  return ok;
}

/** Task id of an ONNX-shipped model's load (one task per model, so two can show side by side). */
export const onnxModelTask = (kind: OnnxModelKind): string => `model-${kind}`;

/** An ONNX-shipped model's Load button (estimators, flow, segmenter): its own task with byte progress. */
export async function loadOnnxModel(kind: OnnxModelKind): Promise<boolean> {
  const choice = sourceChoice(useStore.getState().modelChoices, kind);
  if (choice?.type !== 'local' && !persistAsked) {
    persistAsked = true;
    await navigator.storage?.persist?.().catch(() => false);
  }
  const ok = await runTask(onnxModelTask(kind), `Loading ${modelName(kind)}`, (progress) =>
    loadOne(kind, 'auto', progress),
  );
  await refreshCachedModels();
  if (ok && ONNX_MODELS[kind].purpose === 'flow') followFlowModel();
  return ok;
}

/**
 * Consistent defaults (issue 14, item 3): a ControlNet the user just loaded makes the condition its own
 * (canny/depth/pose; canny for a custom one) when the condition was "none", and says so.
 */
function followControlNet(): void {
  const s = useStore.getState();
  const kind = conditionForControlNet(loadedControlNet(s));
  if (kind === 'none' || s.editSettings.condition.kind !== 'none' || !s.projectId) return;
  s.setEditSettings({ condition: { ...s.editSettings.condition, kind } });
  s.notify('info', `Structure condition set to ${kind}: a ControlNet is loaded (pick None to edit without it).`);
}

/** A flow model the user just loaded turns flow-guided consistency on (official settings) when it was off. */
function followFlowModel(): void {
  const s = useStore.getState();
  if (s.editSettings.flatten || !s.projectId) return;
  s.setEditSettings({ flatten: flattenAfterFlowModel(s.editSettings.flatten) });
  s.notify('info', 'Flow-guided consistency is on: optical flow is available (turn it off in Run → Advanced).');
}

export function cancelModelLoad(): void {
  void engine().cancelLoad();
}

export async function deleteCachedModels(id?: string): Promise<void> {
  const ok = await runTask('delete-models', 'Deleting cached models', async () => {
    await engine().deleteCachedModels(id);
    const { models, setModelSlot } = useStore.getState();
    for (const kind of ALL_KINDS) {
      const info = models[kind].info;
      if (info?.remote && (id === undefined || info.id === id)) {
        setModelSlot(kind, { state: 'idle' });
        if (kind === 'sd15') setPromptTokenizer(null);
      }
    }
  });
  await refreshCachedModels();
  if (ok) useStore.getState().notify('info', id ? `Deleted ${id} from the cache.` : 'Deleted all cached models.');
}

/**
 * Start-up: the remembered choices come back, and each remembered remote source whose download completed
 * is opened from the cache (no network; a failure leaves the slot idle with its reason).
 */
export async function restoreModels(): Promise<void> {
  useStore.getState().setModelChoices(restoredChoices());
  for (const kind of ALL_KINDS) {
    const folder = needsRepick(kind);
    if (folder)
      useStore
        .getState()
        .notify(
          'info',
          `The ${modelName(kind)} folder "${folder}" must be picked again after a reload (the browser does not keep folder access): Models → Pick "${folder}" again.`,
        );
  }
  await refreshCachedModels();
  const { cachedModels, modelChoices } = useStore.getState();
  for (const kind of ALL_KINDS) {
    const choice = sourceChoice(modelChoices, kind);
    const id = choice ? cacheIdOf(choice) : null;
    const complete = cachedModels.find((m) => m.id === id)?.complete.filter((c) => c.kind === kind) ?? [];
    if (complete.length === 0) continue;
    const engineState = useStore.getState().engine;
    const preferred: WeightsPrecision = engineState.state === 'ready' && engineState.gpu.shaderF16 ? 'fp16' : 'fp32';
    const precision = complete.some((c) => c.precision === preferred) ? preferred : complete[0]!.precision;
    await loadOne(kind, precision).catch(() => {});
  }
}
