/**
 * The run panel's pure parts (src/features/run/request.ts, settings.ts): the EditRequest built from frames,
 * the regions document and the settings; why Edit is disabled; the inputs fingerprint that marks a saved
 * result stale; stored settings merged over the reference defaults.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_EDIT_SETTINGS, type EditSettings } from '../../src/core/protocol/edit';
import {
  addRegion,
  batch,
  moveRegion,
  setFrameMask,
  setRegionHidden,
  setRegionPrompt,
  setTargetPrompt,
} from '../../src/core/regions/actions';
import { emptyDoc, type RegionsDoc } from '../../src/core/regions/model';
import { analyzePrompts, wordTokenizer } from '../../src/core/regions/prompts';
import {
  buildEditRequest,
  editBlockers,
  inputsFingerprint,
  requestTransferables,
  type EditReadiness,
  type FramesInput,
} from '../../src/features/run/request';
import { mergeSettings, randomSeed, referenceModulatedSteps, settingsProblems } from '../../src/features/run/settings';

const W = 64;
const H = 64;
const FRAMES = 3;

function frames(): FramesInput {
  return {
    width: W,
    height: H,
    frames: Array.from({ length: FRAMES }, (_, f) =>
      Uint8Array.from({ length: W * H * 4 }, (_, i) => (i * 7 + f) & 255),
    ),
  };
}

function square(x0: number, y0: number, side: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) m[y * W + x] = 1;
  return m;
}

/** Two regions; "b" has a mask on frames 0 and 2 only, and is hidden. */
function doc(): RegionsDoc {
  return batch(
    addRegion({ id: 'a', name: 'left man' }),
    addRegion({ id: 'b', name: 'right man' }),
    setTargetPrompt('Iron Man and Spiderman are jogging'),
    setRegionPrompt('a', 'Iron Man'),
    setRegionPrompt('b', 'Spiderman'),
    setFrameMask('a', 0, square(0, 0, 16)),
    setFrameMask('a', 1, square(4, 0, 16)),
    setFrameMask('a', 2, square(8, 0, 16)),
    setFrameMask('b', 0, square(40, 40, 8)),
    setFrameMask('b', 2, square(44, 40, 8)),
    setRegionHidden('b', true),
  )(emptyDoc({ width: W, height: H }, FRAMES));
}

const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);

describe('buildEditRequest', () => {
  it('regions in document order with their prompts; missing frames are all-zero; hidden regions take part', () => {
    const d = doc();
    const req = buildEditRequest(frames(), d, DEFAULT_EDIT_SETTINGS);
    expect(req).toMatchObject({
      width: W,
      height: H,
      targetPrompt: 'Iron Man and Spiderman are jogging',
      sourcePrompt: '',
    });
    expect(req.regions.map((r) => [r.name, r.prompt])).toEqual([
      ['left man', 'Iron Man'],
      ['right man', 'Spiderman'],
    ]);
    expect(req.regions[0]!.masks.map(sum)).toEqual([256, 256, 256]);
    expect(req.regions[1]!.masks.map(sum)).toEqual([64, 0, 64]);
    expect(req.regions[1]!.masks[1]).toHaveLength(W * H);
    expect(req.regions[0]!.masks[1]![4]).toBe(1);
    expect(req.regions[0]!.masks[1]![3]).toBe(0);
    expect(req.attentionMaps).toBeUndefined();
    expect(req.conditionFrames).toBeUndefined();
    const moved = buildEditRequest(frames(), moveRegion('b', 0)(d), DEFAULT_EDIT_SETTINGS);
    expect(moved.regions.map((r) => r.name)).toEqual(['right man', 'left man']);
  });

  it('copies every array, so transferring the request never detaches the project', () => {
    const f = frames();
    const d = doc();
    const req = buildEditRequest(f, d, DEFAULT_EDIT_SETTINGS, { attentionMaps: true });
    expect(req.attentionMaps).toBe(true);
    expect(req.frames[0]).toEqual(f.frames[0]);
    expect(req.frames[0]!.buffer).not.toBe(f.frames[0]!.buffer);
    expect(req.regions[0]!.masks[0]!.buffer).not.toBe(d.masks.a![0]!.bits.buffer);
    const buffers = requestTransferables(req);
    expect(buffers).toHaveLength(FRAMES + 2 * FRAMES);
    expect(new Set(buffers).size).toBe(buffers.length);
    structuredClone(req, { transfer: buffers });
    expect(f.frames[0]!.byteLength).toBe(W * H * 4);
    expect(d.masks.a![0]!.bits.byteLength).toBe(W * H);
  });

  it('condition frames go along only with condition "frames"', () => {
    const cond = [new Uint8Array(W * H * 4), new Uint8Array(W * H * 4), new Uint8Array(W * H * 4)];
    const canny = buildEditRequest(frames(), doc(), DEFAULT_EDIT_SETTINGS, { conditionFrames: cond });
    expect(canny.conditionFrames).toBeUndefined();
    const own: EditSettings = { ...DEFAULT_EDIT_SETTINGS, condition: { kind: 'frames', scale: 0.8 } };
    const req = buildEditRequest(frames(), doc(), own, { conditionFrames: cond });
    expect(req.conditionFrames).toHaveLength(3);
    expect(req.conditionFrames![0]!.buffer).not.toBe(cond[0]!.buffer);
    expect(requestTransferables(req)).toHaveLength(4 * FRAMES); // frames, two regions, condition
  });
});

describe('editBlockers', () => {
  const ready = (patch: Partial<EditReadiness> = {}): EditReadiness => ({
    frames: { count: FRAMES, width: W, height: H },
    sdReady: true,
    controlnetReady: true,
    settings: DEFAULT_EDIT_SETTINGS,
    promptProblems: analyzePrompts(doc(), wordTokenizer).problems,
    conditionFrames: 0,
    running: false,
    ...patch,
  });

  it('none when frames, models, prompts and settings are in order (warnings do not block)', () => {
    const problems = analyzePrompts(doc(), wordTokenizer).problems;
    expect(problems.some((p) => p.severity === 'warning')).toBe(true); // "right man" misses frame 2
    expect(editBlockers(ready())).toEqual([]);
  });

  it('names each missing piece', () => {
    expect(editBlockers(ready({ frames: null }))).toEqual(['Open a clip and extract frames.']);
    expect(editBlockers(ready({ sdReady: false }))[0]).toMatch(/Stable Diffusion 1.5/);
    expect(editBlockers(ready({ controlnetReady: false }))[0]).toMatch(/ControlNet for the canny edges/);
    const none = { ...DEFAULT_EDIT_SETTINGS, condition: { kind: 'none' as const, scale: 1 } };
    expect(editBlockers(ready({ controlnetReady: false, settings: none }))).toEqual([]);
    expect(editBlockers(ready({ frames: { count: 3, width: 100, height: 64 } }))[0]).toMatch(/multiples of 64/);
    expect(editBlockers(ready({ running: true }))).toEqual(['An edit is running.']);
    const own = { ...DEFAULT_EDIT_SETTINGS, condition: { kind: 'frames' as const, scale: 1 } };
    expect(editBlockers(ready({ settings: own, conditionFrames: 2 }))[0]).toMatch(/Pick 3 condition images.*2 picked/);
    expect(editBlockers(ready({ settings: own, conditionFrames: 3 }))).toEqual([]);
  });

  it('flow-guided consistency needs a flow model', () => {
    const flow = { ...DEFAULT_EDIT_SETTINGS, flatten: { resolutions: [1], oldQk: true } };
    expect(editBlockers(ready({ settings: flow, flowReady: false }))).toEqual([
      'Load RAFT in Models → Estimators, optical flow and segmentation for flow-guided consistency, or turn it off (Run → Advanced).',
    ]);
    expect(editBlockers(ready({ settings: flow, flowReady: true }))).toEqual([]);
    expect(editBlockers(ready({ flowReady: false }))).toEqual([]);
  });

  it('blocking prompt problems and bad settings', () => {
    const bad = setRegionPrompt('a', 'Batman')(doc());
    const problems = analyzePrompts(bad, wordTokenizer).problems;
    expect(editBlockers(ready({ promptProblems: problems })).join(' ')).toMatch(/"left man".*not in the target prompt/);
    expect(editBlockers(ready({ settings: { ...DEFAULT_EDIT_SETTINGS, steps: 0 } }))[0]).toMatch(/Steps/);
  });
});

describe('settings', () => {
  it('stored settings merge over the defaults field by field; junk takes the default', () => {
    expect(mergeSettings(undefined)).toEqual(DEFAULT_EDIT_SETTINGS);
    const merged = mergeSettings({
      steps: 3,
      seed: 'x',
      condition: { kind: 'frames' },
      selfModulationBranch: 'both',
      encodeWith: 'bogus',
      modulatedSteps: 2,
      extra: 1,
    });
    expect(merged).toEqual({
      ...DEFAULT_EDIT_SETTINGS,
      steps: 3,
      condition: { kind: 'frames', scale: 1 },
      selfModulationBranch: 'both',
      modulatedSteps: 2,
    });
    expect(mergeSettings({ modulatedSteps: null }).modulatedSteps).toBeNull();
    // Projects saved before the official condition kinds: 'pose' was the openpose ControlNet's condition.
    expect(mergeSettings({ condition: { kind: 'pose', scale: 0.8 } }).condition).toEqual({
      kind: 'dwpose',
      scale: 0.8,
    });
    expect(
      mergeSettings({ condition: { kind: 'canny', scale: 1, low: 50, high: 150, hand: 'yes' } }).condition,
    ).toEqual({ kind: 'canny', scale: 1, low: 50, high: 150 });
  });

  it('problems: ranges, whole numbers, modulated steps ≤ steps, estimator conditions', () => {
    expect(settingsProblems(DEFAULT_EDIT_SETTINGS)).toEqual([]);
    const p = (patch: Partial<EditSettings>) => settingsProblems({ ...DEFAULT_EDIT_SETTINGS, ...patch });
    expect(p({ steps: 2.5 })).toHaveLength(1);
    expect(p({ guidance: Number.NaN })).toHaveLength(1);
    expect(p({ seed: -1 })).toHaveLength(1);
    expect(p({ wSelf: 1.5 })).toHaveLength(1);
    expect(p({ steps: 10, modulatedSteps: 11 })[0]).toMatch(/from 0 to the step count \(10\)/);
    expect(p({ steps: 10, modulatedSteps: 10 })).toEqual([]);
    expect(p({ condition: { kind: 'depth', scale: 1 } })).toEqual([]);
    expect(p({ condition: { kind: 'canny', scale: 1, low: 200, high: 100 } })[0]).toMatch(/low threshold/);
    expect(p({ condition: { kind: 'canny', scale: 1, low: -1 } })[0]).toMatch(/Canny thresholds/);
    expect(p({ condition: { kind: 'pose' as never, scale: 1 } })[0]).toMatch(/structure condition must be one of/);
    expect(referenceModulatedSteps(50)).toBe(15);
    expect(referenceModulatedSteps(3)).toBe(1);
    expect(randomSeed(() => 0.5)).toBe(2 ** 31);
    expect(randomSeed(() => 0.9999999999)).toBeLessThan(2 ** 32);
  });
});

describe('inputsFingerprint', () => {
  it('stable for equal inputs; moves with settings, prompts, order, one mask pixel, frames', () => {
    const f = frames();
    const d = doc();
    const base = inputsFingerprint(f, d, DEFAULT_EDIT_SETTINGS);
    expect(inputsFingerprint(frames(), doc(), { ...DEFAULT_EDIT_SETTINGS })).toBe(base);
    const others = [
      inputsFingerprint(f, d, { ...DEFAULT_EDIT_SETTINGS, seed: 1 }),
      inputsFingerprint(f, setRegionPrompt('a', 'Iron')(d), DEFAULT_EDIT_SETTINGS),
      inputsFingerprint(f, setTargetPrompt('Iron Man and Spiderman are running')(d), DEFAULT_EDIT_SETTINGS),
      inputsFingerprint(f, moveRegion('b', 0)(d), DEFAULT_EDIT_SETTINGS),
      inputsFingerprint(f, setFrameMask('a', 1, (() => { const m = square(4, 0, 16); m[63 * W + 63] = 1; return m; })())(d), DEFAULT_EDIT_SETTINGS), // prettier-ignore
      inputsFingerprint({ ...f, frames: f.frames.map((x) => x.map((v) => v ^ 1)) }, d, DEFAULT_EDIT_SETTINGS),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
    // Hiding a region is a view change: the result is not stale.
    expect(inputsFingerprint(f, setRegionHidden('b', false)(d), DEFAULT_EDIT_SETTINGS)).toBe(base);
  });
});
