/**
 * Marks the last result stale (never deletes it) once the inputs it was made from change: prompts, masks,
 * region order, settings or frames. Compares inputsFingerprint (./request.ts) of the current inputs with the
 * result's, debounced so brush strokes do not hash the masks on every pointer move.
 */
import { bulk } from '../../state/bulk';
import { maskStore } from '../../state/mask-store';
import { useStore } from '../../state/store';
import { inputsFingerprint, type FramesInput } from './request';

export function currentFramesInput(): FramesInput | null {
  const meta = useStore.getState().frames;
  if (!meta) return null;
  return { width: meta.width, height: meta.height, frames: bulk.frames().map((f) => f.data) };
}

export function currentFingerprint(): string | null {
  const frames = currentFramesInput();
  return frames ? inputsFingerprint(frames, maskStore.doc(), useStore.getState().editSettings) : null;
}

export function recomputeStale(): void {
  const s = useStore.getState();
  const stale = s.editResult !== null && currentFingerprint() !== s.editResult.fingerprint;
  if (stale !== s.editResultStale) useStore.setState({ editResultStale: stale });
}

export function startStalenessWatch(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return useStore.subscribe((s, prev) => {
    const moved =
      s.maskVersion !== prev.maskVersion ||
      s.editSettings !== prev.editSettings ||
      s.frames !== prev.frames ||
      s.editResult !== prev.editResult;
    if (!moved) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      recomputeStale();
    }, 250);
  });
}
