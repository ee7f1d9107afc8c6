/**
 * Saving an edit result (src/features/run/persistence.ts, issue 19): new blobs first, then the section swap,
 * then the old blobs' deletion — so a save that fails halfway (injected storage failure) leaves the previous
 * result readable, and the next save still works. The project store is an in-memory stand-in for IndexedDB.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const disk = vi.hoisted(() => ({
  sections: new Map<string, Record<string, unknown>>(),
  blobs: new Map<string, Uint8Array>(),
  /** Fail the n-th putBlob from now (1-based); 0 = never. */
  failPutAt: 0,
  puts: 0,
}));

vi.mock('../../src/services/persistence/project-db', () => ({
  getProject: async (id: string) =>
    disk.sections.has(id)
      ? { id, name: id, createdAt: 0, updatedAt: 0, sections: { ...disk.sections.get(id) } }
      : undefined,
  putSection: async (id: string, section: string, value: unknown) => {
    disk.sections.set(id, { ...disk.sections.get(id), [section]: structuredClone(value) });
  },
  putBlob: async (projectId: string, key: string, data: Uint8Array) => {
    disk.puts++;
    if (disk.puts === disk.failPutAt) throw new Error('QuotaExceededError: injected storage failure');
    disk.blobs.set(`${projectId}/${key}`, data.slice());
  },
  getBlob: async (projectId: string, key: string) => {
    const b = disk.blobs.get(`${projectId}/${key}`);
    return b ? new Blob([b.slice()]) : undefined;
  },
  deleteBlobs: async (projectId: string, prefix = '') => {
    for (const k of [...disk.blobs.keys()]) if (k.startsWith(`${projectId}/${prefix}`)) disk.blobs.delete(k);
  },
}));

interface Persistence {
  saveEditResult(projectId: string): Promise<void>;
  restoreEdit(projectId: string): Promise<void>;
}
// A path the type checker does not follow: the Node project has no DOM lib, and persistence.ts reaches
// IndexedDB's types through project-db (mocked above).
const PERSISTENCE = '../../src/features/run/persistence';
const { restoreEdit, saveEditResult } = (await import(/* @vite-ignore */ PERSISTENCE)) as Persistence;
const { editBulk } = await import('../../src/state/edit-bulk');
const { useStore } = await import('../../src/state/store');

const P = 'project-1';
const SIZE = 4;

/** Puts a result of `frames` frames filled with `value` in the store and the bulk store. */
function keepResult(frames: number, value: number): void {
  const rgba = Array.from({ length: frames }, () => new Uint8ClampedArray(SIZE * SIZE * 4).fill(value));
  editBulk.setResult({ width: SIZE, height: SIZE, frames: rgba, attentionMaps: [] });
  useStore.setState({
    editResult: {
      version: value,
      width: SIZE,
      height: SIZE,
      frameCount: frames,
      inversionKey: `key-${value}`,
      inversionReused: false,
      unetCalls: 1,
      timings: {} as never,
      hasAttentionMaps: false,
      regionNames: ['all'],
      targetPrompt: `prompt ${value}`,
      createdAt: value,
      fingerprint: `inputs-${value}`,
    },
  });
}

/** What a reload shows: the restored result's frames (first byte of each) and prompt. */
async function reload(): Promise<{ frames: number[]; prompt: string | undefined }> {
  editBulk.clear();
  useStore.setState({ editResult: null });
  await restoreEdit(P);
  return {
    frames: (editBulk.result()?.frames ?? []).map((f) => f[0]!),
    prompt: useStore.getState().editResult?.targetPrompt,
  };
}

const keys = () => [...disk.blobs.keys()].map((k) => k.slice(P.length + 1)).sort();

describe('saveEditResult: write new, swap, delete old', () => {
  beforeEach(() => {
    disk.sections.clear();
    disk.blobs.clear();
    disk.sections.set(P, {});
    disk.failPutAt = 0;
    disk.puts = 0;
  });

  it('a save that fails halfway leaves the previous result readable; the next save replaces it', async () => {
    keepResult(2, 10);
    await saveEditResult(P);
    expect(await reload()).toEqual({ frames: [10, 10], prompt: 'prompt 10' });

    keepResult(3, 20);
    disk.puts = 0;
    disk.failPutAt = 2; // the second frame of the new result
    await expect(saveEditResult(P)).rejects.toThrow(/injected storage failure/);
    expect(await reload()).toEqual({ frames: [10, 10], prompt: 'prompt 10' });

    keepResult(3, 30);
    disk.failPutAt = 0;
    await saveEditResult(P);
    expect(await reload()).toEqual({ frames: [30, 30, 30], prompt: 'prompt 30' });
    // The previous slot is gone, and so are the failed save's partial blobs: only the new result remains.
    expect(keys()).toEqual(['edit/b/frames/00000', 'edit/b/frames/00001', 'edit/b/frames/00002']);
  });

  it('a result saved before slots (edit/frames/…) still loads, and the next save moves it to a slot', async () => {
    disk.blobs.set(`${P}/edit/frames/00000`, new Uint8Array(SIZE * SIZE * 4).fill(7));
    keepResult(1, 7);
    const { version: _v, ...meta } = useStore.getState().editResult!;
    disk.sections.set(P, {
      edit: {
        format: 1,
        settings: useStore.getState().editSettings,
        wantAttentionMaps: true,
        result: meta,
        attention: [],
      },
    });
    expect(await reload()).toEqual({ frames: [7], prompt: 'prompt 7' });
    keepResult(1, 8);
    await saveEditResult(P);
    expect(keys()).toEqual(['edit/a/frames/00000']);
    expect(await reload()).toEqual({ frames: [8], prompt: 'prompt 8' });
  });
});
