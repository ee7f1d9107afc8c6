/**
 * FLATTEN through the engine's edit service (workers/engine/edit-service.ts; DESIGN §3.6) on the Node CPU
 * components with the tiny SD model (2 frames 64², 2 steps, no ControlNet): settings.flatten + request.flows
 * run the flow attention (the result differs from no flatten); the trajectories are cached with the inversion
 * (a re-edit with new prompts reuses it); new flows or old_qk are a new inversion key; flatten without flows,
 * or flows of the wrong size, are refused with EDIT_INPUT_INVALID.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ModelKind } from '../../src/core/models/files';
import { DEFAULT_EDIT_SETTINGS, type EditRequest, type EditSettings } from '../../src/core/protocol/edit';
import type { LoadedModelInfo } from '../../src/core/protocol/engine';
import type { AppError } from '../../src/core/protocol/errors';
import { mergeSettings } from '../../src/features/run/settings';
import { packEditInput, unpackEditInput } from '../../src/headless/edit-transfer';
import { createEditService, type EditService } from '../../workers/engine/edit-service';
import { createNodeComponents } from '../../workers/engine/pipeline/components-node';
import { halfMasks, squareClipFrames } from '../fixtures/edit-fixture';
import { describeShared, readShared, sharedPath } from '../helpers/node/shared';

const SIZE = 64;
const F = 2;

const info = (kind: ModelKind, id: string): LoadedModelInfo => ({
  kind,
  id,
  remote: false,
  precision: 'fp32',
  bytes: 1,
  files: 1,
  fromCache: false,
  summary: id,
});

/** The square of squareClipFrames moves 4 px right per frame. */
function flows(dx = 4): NonNullable<EditRequest['flows']> {
  const data = new Float32Array((F - 1) * 2 * SIZE * SIZE);
  for (let y = 20; y < 44; y++) for (let x = 12; x < 28; x++) data[y * SIZE + x] = dx;
  return { dims: [F - 1, 2, SIZE, SIZE], data };
}

const FLATTEN: EditSettings['flatten'] = { resolutions: [1], oldQk: true };

function request(settings: Partial<EditSettings> = {}, overrides: Partial<EditRequest> = {}): EditRequest {
  return {
    width: SIZE,
    height: SIZE,
    frames: squareClipFrames(F, SIZE),
    sourcePrompt: 'a yellow square on a gradient',
    targetPrompt: 'a red car beside a blue sea',
    regions: [
      { name: 'car', prompt: 'red car', masks: halfMasks(F, SIZE, true) },
      { name: 'sea', prompt: 'blue sea', masks: halfMasks(F, SIZE, false) },
    ],
    settings: { ...DEFAULT_EDIT_SETTINGS, steps: 2, condition: { kind: 'none', scale: 1 }, ...settings },
    ...overrides,
  };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

describeShared('FLATTEN through the edit service (Node CPU, tiny SD, 2 frames 64², 2 steps)', () => {
  let service: EditService;
  beforeAll(() => {
    const read = (rel: string) => readShared(`golden/tiny-sd/${rel}`);
    service = createEditService<{ info: LoadedModelInfo }>({
      models: {
        loaded: (kind) => (kind === 'sd15' ? { info: info('sd15', 'tiny-sd') } : undefined),
        tokenizerFiles: async () => ({
          tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
        }),
      },
      createComponents: async () => createNodeComponents({ sd: read }),
    });
  });
  afterAll(() => service.releaseCache());

  it('runs with flow attention, caches the trajectories with the inversion, keys on flows and old_qk', async () => {
    const plain = await service.edit(request());
    const first = await service.edit(request({ flatten: FLATTEN }, { flows: flows() }));
    expect(first.inversionKey).not.toBe(plain.inversionKey);
    expect(first.inversionReused).toBe(false);
    const differs = first.frames.some((f, i) => f.some((v, j) => v !== plain.frames[i]![j]));
    expect(differs).toBe(true);
    // A re-edit with a new target: same inversion (and trajectories), only denoising runs.
    const again = await service.edit(
      request({ flatten: FLATTEN }, { flows: flows(), targetPrompt: 'a red car beside a blue sea at night' }),
    );
    expect(again.inversionKey).toBe(first.inversionKey);
    expect(again.inversionReused).toBe(true);
    // Other flows, or old_qk off: another inversion.
    const moved = await service.edit(request({ flatten: FLATTEN }, { flows: flows(8) }));
    expect(moved.inversionKey).not.toBe(first.inversionKey);
    const newQk = await service.edit(request({ flatten: { resolutions: [1], oldQk: false } }, { flows: flows() }));
    expect(newQk.inversionKey).not.toBe(first.inversionKey);
  }, 600_000);

  it('refuses flatten without flows, flows of the wrong size and unknown resolutions (EDIT_INPUT_INVALID)', async () => {
    const none = await rejection(service.edit(request({ flatten: FLATTEN })));
    expect(none.code).toBe('EDIT_INPUT_INVALID');
    expect(none.message).toMatch(/needs optical flow/);
    const f = flows();
    const wrong = await rejection(
      service.edit(request({ flatten: FLATTEN }, { flows: { dims: [1, 2, 32, 32], data: f.data.subarray(0, 2048) } })),
    );
    expect(wrong.code).toBe('EDIT_INPUT_INVALID');
    expect(wrong.message).toMatch(/\[1, 2, 64, 64\]/);
    const res = await rejection(service.edit(request({ flatten: { resolutions: [3], oldQk: false } }, { flows: f })));
    expect(res.code).toBe('EDIT_INPUT_INVALID');
    expect(res.message).toMatch(/Flow-guided resolutions/);
  });
});

it('the flow crosses to the headless engine in the edit input file (CLI --backend webgpu)', () => {
  const req = request({ flatten: FLATTEN }, { flows: flows() });
  const { job, bytes } = packEditInput(req, false);
  expect(job.flowDims).toEqual([F - 1, 2, SIZE, SIZE]);
  expect(JSON.stringify(job)).not.toMatch(/"data"/);
  const back = unpackEditInput(JSON.parse(JSON.stringify(job)) as typeof job, bytes);
  expect(back.flows?.dims).toEqual([F - 1, 2, SIZE, SIZE]);
  expect(Buffer.from(back.flows!.data.buffer).equals(Buffer.from(req.flows!.data.buffer))).toBe(true);
  expect(back.settings.flatten).toEqual(FLATTEN);
});

it('stored projects keep their flatten settings; malformed or absent ones are off', () => {
  expect(mergeSettings({ flatten: { resolutions: [1, 2], oldQk: true } }).flatten).toEqual({
    resolutions: [1, 2],
    oldQk: true,
  });
  expect(mergeSettings({ flatten: { resolutions: [3], oldQk: true } }).flatten).toBeNull();
  expect(mergeSettings({ flatten: { resolutions: [1] } }).flatten).toBeNull();
  expect(mergeSettings({}).flatten).toBeNull();
});
