/**
 * Runs the edit: builds the request from the project (copies, transferred to the engine), shows progress in
 * the task bar and a live preview, keeps the result (store metadata + edit-bulk pixels + IndexedDB), and turns
 * a cancel into an info notice. Nothing of the project is touched before the engine returns a result.
 */
import { services } from '../../app/services';
import { Comlink } from '../../core/protocol/rpc';
import type { EditEvent, EditResultData, EditStageName } from '../../core/protocol/edit';
import { analyzePrompts } from '../../core/regions/prompts';
import { editBulk } from '../../state/edit-bulk';
import { maskStore } from '../../state/mask-store';
import { useStore, type AppState } from '../../state/store';
import { promptTokenizer } from '../regions/tokenizer';
import { runTask, type ReportProgress } from '../tasks/run-task';
import { queueEditSave, saveEditResult } from './persistence';
import { buildEditRequest, editBlockers, inputsFingerprint, requestTransferables } from './request';
import { currentFramesInput } from './staleness';
import { estimatorModelOf } from '../../core/conditions/kinds';

export const EDIT_TASK = 'edit';

export function setConditionFrames(frames: Uint8Array[]): void {
  editBulk.setConditionFrames(frames);
  useStore.setState({ conditionFrameCount: frames.length });
}

/** Why Edit cannot run now (the Edit button's reason, and the guard of `startEdit`). */
export function currentBlockers(s: AppState = useStore.getState()): string[] {
  const estimator = estimatorModelOf(s.editSettings.condition.kind);
  return editBlockers({
    estimatorReady: estimator ? s.models[estimator].state === 'ready' : true,
    flowReady: s.models.raft.state === 'ready',
    frames: s.frames,
    sdReady: s.models.sd15.state === 'ready',
    controlnetReady: s.models.controlnet.state === 'ready',
    settings: s.editSettings,
    promptProblems: analyzePrompts(maskStore.doc(), promptTokenizer()).problems,
    conditionFrames: s.conditionFrameCount,
    running: s.editRun !== null,
  });
}

const STAGE_LABEL: Record<EditStageName, string> = {
  prepare: 'preparing',
  text: 'encoding prompts',
  encode: 'encoding frames',
  invert: 'inverting',
  denoise: 'denoising',
  decode: 'decoding',
};

/** Stage label with its step ("denoising 3 / 50"). */
export function describeStage(stage: EditStageName, step: number, total: number): string {
  return total > 1 ? `${STAGE_LABEL[stage]} ${step} / ${total}` : STAGE_LABEL[stage];
}

/** Rough share of the whole edit done, for the progress bar before the engine has an ETA. */
function stageFraction(stage: EditStageName, step: number, total: number, reused: boolean): number {
  const part = total > 0 ? step / total : 0;
  const invert = reused ? 0 : 0.45;
  switch (stage) {
    case 'prepare':
      return 0;
    case 'text':
      return 0.01;
    case 'encode':
      return 0.02;
    case 'invert':
      return 0.05 + invert * part;
    case 'denoise':
      return 0.05 + invert + (0.9 - invert) * part;
    case 'decode':
      return 0.96;
  }
}

/** Progress events of the last run, in order (what the test hook reports; previews are counted). */
export const lastRunLog: { progress: Extract<EditEvent, { kind: 'progress' }>[]; previews: number } = {
  progress: [],
  previews: 0,
};

/** Cancel was pressed for the edit in progress. */
let cancelRequested = false;

function onEvent(event: EditEvent, startedAt: number, progress: ReportProgress): void {
  if (event.kind === 'preview') {
    lastRunLog.previews++;
    editBulk.setPreview({ width: event.width, height: event.height, frame: event.frame, rgba: event.rgba });
    useStore.setState((s) => (s.editRun ? { editRun: { ...s.editRun, previewStep: event.step } } : {}));
    return;
  }
  if (lastRunLog.progress.length < 10_000) lastRunLog.progress.push(event);
  // Once Cancel was pressed, the engine's last progress events no longer describe what happens.
  if (cancelRequested) return;
  const { stage, step, total, etaSeconds, inversionReused } = event;
  useStore.setState((s) => ({
    editRun: { stage, step, total, etaSeconds, inversionReused, previewStep: s.editRun?.previewStep ?? 0 },
  }));
  // One ETA (src/features/tasks/eta.ts): the engine's, from measured per-call times, null ("measuring…") until
  // its first network call was timed; the bar's fraction follows it so bar and text agree.
  const spent = (Date.now() - startedAt) / 1000;
  const fraction =
    etaSeconds !== null && spent + etaSeconds > 0
      ? spent / (spent + etaSeconds)
      : stageFraction(stage, step, total, inversionReused);
  progress(describeStage(stage, step, total), Math.min(0.99, fraction), etaSeconds);
}

function keepResult(result: EditResultData, fingerprint: string, regionNames: string[], targetPrompt: string): void {
  editBulk.setResult({
    width: result.width,
    height: result.height,
    frames: result.frames,
    attentionMaps: result.attentionMaps ?? [],
  });
  useStore.setState((s) => ({
    editResult: {
      width: result.width,
      height: result.height,
      frameCount: result.frames.length,
      inversionKey: result.inversionKey,
      inversionReused: result.inversionReused,
      unetCalls: result.unetCalls,
      timings: result.timings,
      hasAttentionMaps: (result.attentionMaps?.length ?? 0) > 0,
      regionNames,
      targetPrompt,
      createdAt: Date.now(),
      fingerprint,
      version: (s.editResult?.version ?? 0) + 1,
    },
    editResultStale: false,
    centerView: 'result',
    attentionRegion: s.attentionRegion !== null && s.attentionRegion < regionNames.length ? s.attentionRegion : null,
  }));
}

/** Presses Edit. Resolves true when a result arrived. */
export async function startEdit(): Promise<boolean> {
  const blockers = currentBlockers();
  if (blockers.length > 0) {
    useStore.getState().notify('error', `Cannot edit yet: ${blockers[0]}`, 'EDIT_NOT_READY');
    return false;
  }
  const s = useStore.getState();
  const frames = currentFramesInput()!;
  const doc = maskStore.doc();
  const projectId = s.projectId;
  const fingerprint = inputsFingerprint(frames, doc, s.editSettings);
  const request = buildEditRequest(frames, doc, s.editSettings, {
    attentionMaps: s.wantAttentionMaps,
    conditionFrames: editBulk.conditionFrames(),
    previewFrame: s.currentFrame,
  });
  const regionNames = doc.regions.map((r) => r.name);
  useStore.setState({
    editRun: { stage: 'prepare', step: 0, total: 0, etaSeconds: null, inversionReused: false, previewStep: 0 },
  });
  editBulk.setPreview(null);
  lastRunLog.progress = [];
  cancelRequested = false;
  lastRunLog.previews = 0;
  const startedAt = Date.now();
  try {
    return await runTask(EDIT_TASK, 'Edit', async (progress) => {
      const engine = services.engine().api;
      // A cancelled edit rejects with CANCELLED, which runTask shows as a notice.
      const result: EditResultData = await engine.edit(
        Comlink.transfer(request, requestTransferables(request)),
        Comlink.proxy((e: EditEvent) => onEvent(e, startedAt, progress)),
      );
      // The user may have opened another project meanwhile: this result is not that project's.
      if (useStore.getState().projectId !== projectId) return;
      keepResult(result, fingerprint, regionNames, doc.targetPrompt);
      if (projectId) {
        progress('saving the result');
        await queueEditSave(() => saveEditResult(projectId)).catch((e: unknown) =>
          useStore
            .getState()
            .notify('error', `The result could not be saved with the project: ${(e as Error).message}`, 'STORAGE'),
        );
      }
    });
  } finally {
    useStore.setState({ editRun: null });
    editBulk.setPreview(null);
  }
}

export function cancelEdit(): void {
  if (useStore.getState().editRun === null) return;
  cancelRequested = true;
  // No ETA while cancelling (it would be the edit's): the stage and its time say what happens.
  useStore.setState((s) => ({
    tasks: s.tasks.map((t) =>
      t.id === EDIT_TASK
        ? {
            id: t.id,
            label: t.label,
            startedAt: t.startedAt,
            stage: 'cancelling at the next network call',
            stageAt: Date.now(),
          }
        : t,
    ),
  }));
  void services
    .engine()
    .api.cancelEdit()
    .catch(() => undefined);
}

/** The live preview follows the frame the user looks at while an edit runs (from the engine's next preview on). */
export function followPreviewFrame(frame: number): void {
  if (!useStore.getState().editRun) return;
  services
    .engine()
    .api.setEditPreviewFrame(frame)
    .catch(() => undefined);
}
