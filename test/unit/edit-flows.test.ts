/**
 * The edit service's optical flow for FLATTEN when a request asks for flow-guided attention without giving flows
 * (workers/engine/edit-service.ts `deps.flows`): computed once per clip (a re-edit of the same frames reuses them,
 * so its cached inversion key matches), attached before the request checks, and the refusal of a missing flow
 * model passes through with its code. The networks are a stub that stops the edit right after the checks.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_EDIT_SETTINGS, type EditFlows, type EditRequest } from '../../src/core/protocol/edit';
import { AppError } from '../../src/core/protocol/errors';
import type { LoadedModelInfo } from '../../src/core/protocol/engine';
import { createEditService } from '../../workers/engine/edit-service';
import { flowsFromLoadedRaft } from '../../workers/engine/flow/edit-flows';

const SIZE = 64;
const F = 3;
const info = { kind: 'sd15', id: 'stub' } as LoadedModelInfo;

function request(frames: Uint8Array[]): EditRequest {
  return {
    width: SIZE,
    height: SIZE,
    frames,
    sourcePrompt: '',
    targetPrompt: 'a cat',
    regions: [{ name: 'cat', prompt: 'cat', masks: frames.map(() => new Uint8Array(SIZE * SIZE).fill(1)) }],
    settings: {
      ...DEFAULT_EDIT_SETTINGS,
      condition: { kind: 'none', scale: 1 },
      flatten: { resolutions: [1], oldQk: false },
    },
  };
}

const clip = (v: number) => Array.from({ length: F }, (_, t) => new Uint8Array(SIZE * SIZE * 4).fill(v + t));
const STOP = 'networks reached';

function service(flows: (r: EditRequest) => Promise<EditFlows>) {
  const seen: EditRequest[] = [];
  const s = createEditService<{ info: LoadedModelInfo }>({
    models: {
      loaded: (kind) => (kind === 'sd15' ? { info } : undefined),
      tokenizerFiles: () => Promise.reject(new Error(STOP)),
    },
    createComponents: () => Promise.reject(new Error(STOP)),
    flows: async (r) => {
      seen.push(r);
      return flows(r);
    },
  });
  return { s, seen };
}

const zeroFlows = (r: EditRequest): Promise<EditFlows> =>
  Promise.resolve({
    dims: [r.frames.length - 1, 2, SIZE, SIZE],
    data: new Float32Array((r.frames.length - 1) * 2 * SIZE * SIZE),
  });

describe('edit flows for FLATTEN', () => {
  it('computes flows once per clip and attaches them before the request checks', async () => {
    const { s, seen } = service(zeroFlows);
    await expect(s.edit(request(clip(10)))).rejects.toThrow(STOP);
    await expect(s.edit(request(clip(10)))).rejects.toThrow(STOP);
    expect(seen).toHaveLength(1);
    await expect(s.edit(request(clip(20)))).rejects.toThrow(STOP);
    expect(seen).toHaveLength(2);
  });

  it('checks the computed flows like given ones, and never asks when flows are given or flatten is off', async () => {
    const wrong = service((r) =>
      Promise.resolve({ dims: [r.frames.length, 2, SIZE, SIZE], data: new Float32Array(1) }),
    );
    await expect(wrong.s.edit(request(clip(1)))).rejects.toMatchObject({ code: 'EDIT_INPUT_INVALID' });
    const { s, seen } = service(zeroFlows);
    const given = request(clip(2));
    await expect(s.edit({ ...given, flows: await zeroFlows(given) })).rejects.toThrow(STOP);
    await expect(s.edit({ ...given, settings: { ...given.settings, flatten: null } })).rejects.toThrow(STOP);
    expect(seen).toHaveLength(0);
  });

  it('refuses with FLOW_UNAVAILABLE, naming what to load or turn off, when no RAFT model is loaded', async () => {
    const provider = flowsFromLoadedRaft({ loaded: () => undefined }, () => Promise.resolve({ kind: 'cpu' }));
    const { s } = service((r) => provider(r, new AbortController().signal));
    const e = (await s.edit(request(clip(3))).catch((x: unknown) => x)) as AppError;
    expect(e.code).toBe('FLOW_UNAVAILABLE');
    expect(e.message).toMatch(/load RAFT in Models .* or turn flow-guided consistency off/);
  });
});
