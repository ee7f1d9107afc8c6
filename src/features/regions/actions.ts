/**
 * What the regions UI calls: each user action is a pure document action (src/core/regions) dispatched to
 * the mask store as one undo step. Failures become notices; the document is untouched by a failed action.
 */
import { useStore } from '../../state/store';
import { maskStore } from '../../state/mask-store';
import * as doc from '../../core/regions/actions';
import type { DocAction } from '../../core/regions/actions';
import { copyMaskToFrames, interpolateKeyframes, type CopyTarget } from '../../core/regions/propagate';
import type { RegionKind } from '../../core/regions/model';

export function run(action: DocAction): boolean {
  try {
    return maskStore.dispatch(action);
  } catch (e) {
    const err = e as Error & { code?: string };
    useStore.getState().notify('error', err.message, err.code);
    return false;
  }
}

const newId = (): string => crypto.randomUUID();

export function addRegion(kind: RegionKind = 'instance', parentId: string | null = null): string | null {
  const id = newId();
  if (!run(doc.addRegion({ id, kind, parentId }))) return null;
  useStore.getState().selectRegion(id);
  return id;
}

export const renameRegion = (id: string, name: string) => run(doc.renameRegion(id, name));
export const recolorRegion = (id: string, color: string) => run(doc.recolorRegion(id, color));
export const setRegionPrompt = (id: string, prompt: string) => run(doc.setRegionPrompt(id, prompt));
export const setRegionHidden = (id: string, hidden: boolean) => run(doc.setRegionHidden(id, hidden));
export const setRegionKind = (id: string, kind: RegionKind, parentId: string | null) =>
  run(doc.setRegionKind(id, kind, parentId));
export const moveRegion = (id: string, index: number) => run(doc.moveRegion(id, index));
export const deleteRegion = (id: string) => run(doc.deleteRegion(id));
export const setSourcePrompt = (text: string) => run(doc.setSourcePrompt(text));
export const setTargetPrompt = (text: string) => run(doc.setTargetPrompt(text));

export function clearCurrentFrame(): boolean {
  const s = useStore.getState();
  return s.selectedRegionId ? run(doc.clearFrameMask(s.selectedRegionId, s.currentFrame)) : false;
}

export function propagateCurrent(target: CopyTarget): boolean {
  const s = useStore.getState();
  if (!s.selectedRegionId) return false;
  return run(copyMaskToFrames(s.selectedRegionId, s.currentFrame, target));
}

export function interpolateSelected(holdEnds = false): boolean {
  const s = useStore.getState();
  if (!s.selectedRegionId) return false;
  return run(interpolateKeyframes(s.selectedRegionId, { holdEnds }));
}

export const undo = () => maskStore.undo();
export const redo = () => maskStore.redo();
