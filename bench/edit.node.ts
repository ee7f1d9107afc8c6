/**
 * Edit pipeline timing on the Node CPU backend (ORT wasm + CPU reference attention), tiny SD + ControlNet:
 * 2 cutie_judo frames at 128², two regions covering the frame, canny condition, 4 steps. Per-stage times come
 * from runEdit's onProgress timestamps (a stage lasts until the next one starts; decode until runEdit returns).
 * Runs: a cold first edit (network compilation included), a warm full edit, then a re-edit with new prompts
 * that reuses the warm edit's inversion (same inversion key: no VAE encode, no inversion).
 * Then the shared edit fixture (test/fixtures/edit-fixture.ts, 2×64², 3 steps) on the CPU, beside the browser
 * part's WebGPU figures on the same fixture (bench/edit.browser.ts, BENCH_BROWSER_RESULT) when it ran.
 * Prints tables, then one JSON line (ms, reEdit/fullEdit ratios, WebGPU/CPU ratio).
 */
import { readFileSync } from 'node:fs';
import { buildEditFixture, EDIT_FIXTURE_TOKENIZER } from '../test/fixtures/edit-fixture';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_TOKENIZER_DIR, loadClipTokenizer } from '../cli/config/tokenizer-files';
import { loadClipFrames } from '../cli/edit/frames';
import { cannyCondition } from '../src/core/conditions/canny';
import { hashFrames, inversionKey, type InversionKeyInput } from '../src/core/pipeline/inversion-key';
import { SD15_TEXT_ENCODER_CONFIG, SD15_UNET_CONFIG } from '../src/core/models/known-configs';
import { createNodeComponents } from '../workers/engine/pipeline/components-node';
import { denoiseTransfers, type TransferFigures } from './edit-transfers';
import { runEdit, type EditInput, type EditOptions, type EditStage } from '../workers/engine/pipeline/edit';

const SHARED = join(import.meta.dirname, '../../shared');
const SIZE = 128;
const FRAMES = 2;
const STEPS = 4;
const STAGES: EditStage[] = ['text', 'encode', 'invert', 'denoise', 'decode'];

const read = (dir: string) => (rel: string) => new Uint8Array(readFileSync(join(SHARED, dir, rel)));
const frames = loadClipFrames(join(SHARED, 'clips/cutie_judo/frames'), [0, 1], SIZE);
const half = (left: boolean) =>
  Array.from({ length: FRAMES }, () => {
    const m = new Uint8Array(SIZE * SIZE);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) m[y * SIZE + x] = x < SIZE / 2 === left ? 1 : 0;
    return m;
  });
const plane = SIZE * SIZE;
const condition = new Float32Array(FRAMES * 3 * plane);
frames.forEach((f, i) => condition.set(cannyCondition(f, SIZE, SIZE), i * 3 * plane));

const input = (target: string, regions: string[]): EditInput => ({
  frames,
  width: SIZE,
  height: SIZE,
  masks: { frames: FRAMES, height: SIZE, width: SIZE, masks: [half(true), half(false)] },
  tokenizer: loadClipTokenizer(DEFAULT_TOKENIZER_DIR),
  sourcePrompt: 'two judo fighters on a mat',
  targetPrompt: target,
  regionPrompts: regions,
  negativePrompt: '',
});
const options: EditOptions = { steps: STEPS, guidance: 7.5, seed: 0, condition: { frames: condition, scale: 0.8 } };

async function timed(components: ReturnType<typeof createNodeComponents>, i: EditInput, o: EditOptions) {
  const starts = new Map<EditStage, number>();
  const t0 = performance.now();
  const result = await runEdit(components, i, {
    ...o,
    onProgress: (p) => void (starts.has(p.stage) || starts.set(p.stage, performance.now())),
  });
  const end = performance.now();
  const order = STAGES.filter((s) => starts.has(s));
  const ms: Record<string, number> = {};
  order.forEach((s, k) => (ms[s] = (k + 1 < order.length ? starts.get(order[k + 1]!)! : end) - starts.get(s)!));
  return { result, ms, total: end - t0 };
}

const components = createNodeComponents({ sd: read('golden/tiny-sd'), controlnet: read('golden/tiny-controlnet') });
const first = input('two judo fighters on a blue mat', ['judo fighters', 'blue mat']);
const cold = await timed(components, first, options);
const full = await timed(components, first, options);
const second = input('two robots on a red carpet', ['robots', 'red carpet']);
const reEdit = await timed(components, second, { ...options, inversion: full.result.inversion });

// The shared fixture, for a like-for-like comparison with the browser part.
const fixture = buildEditFixture(readFileSync(join(SHARED, EDIT_FIXTURE_TOKENIZER), 'utf8'));
await timed(components, fixture.input, fixture.options); // compile this shape's networks
const fixtureFull = await timed(components, fixture.input, fixture.options);
const fixtureReEdit = await timed(
  components,
  { ...fixture.input, targetPrompt: 'a silver robot on a red carpet', regionPrompts: ['silver robot', 'red carpet'] },
  { ...fixture.options, inversion: fixtureFull.result.inversion },
);
await components.release();

// The cache hit is legitimate: only the target side changed, so the inversion key is the same.
const framesHash = await hashFrames({ width: SIZE, height: SIZE, frames });
const keyInput = (src: string): InversionKeyInput => ({
  framesHash,
  sourcePrompt: src,
  condition: { type: 'canny', scale: 0.8, framesHash }, // canny is a function of the frames
  model: { id: 'tiny-sd', revision: 'local', precision: 'fp32' },
  inversionSteps: STEPS,
  encodeWith: { kind: 'sample', seed: 0 },
  inverseConvention: 'v0.19',
});
const key = await inversionKey(keyInput(first.sourcePrompt));
const sameKey = key === (await inversionKey(keyInput(second.sourcePrompt)));

const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1)).padStart(10);
console.log(`edit on the Node CPU backend: tiny SD + ControlNet, ${FRAMES}×${SIZE}², ${STEPS} steps (ms)`);
console.log(`${'stage'.padEnd(10)}${'cold'.padStart(10)}${'full'.padStart(10)}${'re-edit'.padStart(10)}`);
for (const s of STAGES) console.log(`${s.padEnd(10)}${fmt(cold.ms[s])}${fmt(full.ms[s])}${fmt(reEdit.ms[s])}`);
console.log(`${'total'.padEnd(10)}${fmt(cold.total)}${fmt(full.total)}${fmt(reEdit.total)}`);
console.log(`inversion key ${key.slice(0, 12)}… shared by the re-edit: ${sameKey}`);
// Transfers of the denoising loop (the engine's own loop, fake networks): the fixture's size and 16 × 512².
const tinyUnet = JSON.parse(readFileSync(join(SHARED, 'golden/tiny-sd/unet/config.json'), 'utf8')) as {
  block_out_channels: number[];
  layers_per_block: number;
  cross_attention_dim: number;
};
const transferCases: Record<string, TransferFigures> = {
  [`tiny ${fixture.input.frames.length}×${fixture.input.width}²`]: await denoiseTransfers({
    frames: fixture.input.frames.length,
    size: fixture.input.width,
    blockOutChannels: tinyUnet.block_out_channels,
    layersPerBlock: tinyUnet.layers_per_block,
    textChannels: tinyUnet.cross_attention_dim,
    steps: 2,
  }),
  'SD1.5 16×512²': await denoiseTransfers({
    frames: 16,
    size: 512,
    blockOutChannels: SD15_UNET_CONFIG.block_out_channels,
    layersPerBlock: SD15_UNET_CONFIG.layers_per_block,
    textChannels: SD15_TEXT_ENCODER_CONFIG.hidden_size,
    steps: 2,
  }),
};
const mb = (b: number) => `${(b / 2 ** 20).toFixed(3)} MiB`.padStart(14);
console.log(`\nbytes per denoising step (CFG 7.5, ControlNet, one preview), before → after the GPU-resident engine`);
console.log(
  `${'case'.padEnd(16)}${'up before'.padStart(14)}${'up after'.padStart(14)}${'back before'.padStart(14)}${'back after'.padStart(14)}${'preview'.padStart(14)}`,
);
for (const [name, t] of Object.entries(transferCases))
  console.log(
    `${name.padEnd(16)}${mb(t.before.uploadBytesPerDenoiseStep)}${mb(t.uploadBytesPerDenoiseStep)}` +
      `${mb(t.before.readbackBytesPerDenoiseStep)}${mb(t.readbackBytesPerDenoiseStep)}${mb(t.previewBytesPerStep)}`,
  );

interface BrowserResult {
  readonly adapter: string;
  readonly fullMs: Record<string, number>;
  readonly reEditMs: Record<string, number>;
  readonly reEditRatio: number;
  readonly readbackBytesPerDenoiseStep: number;
  readonly uploadBytesPerDenoiseStep: number;
  readonly previewBytesPerStep: number;
}
const browser: BrowserResult | undefined = process.env.BENCH_BROWSER_RESULT
  ? (JSON.parse(readFileSync(process.env.BENCH_BROWSER_RESULT, 'utf8')) as BrowserResult)
  : undefined;
const fixtureMs = { full: fixtureFull.total, reEdit: fixtureReEdit.total };
console.log(`\nshared fixture (2×64², 3 steps, canny, 2 modulated steps), warm (ms)`);
console.log(`${'backend'.padEnd(34)}${'full'.padStart(10)}${'re-edit'.padStart(10)}`);
console.log(`${'cpu (ORT wasm + CPU attention)'.padEnd(34)}${fmt(fixtureMs.full)}${fmt(fixtureMs.reEdit)}`);
if (browser)
  console.log(
    `${`webgpu (${browser.adapter})`.slice(0, 33).padEnd(34)}${fmt(browser.fullMs.total)}${fmt(browser.reEditMs.total)}`,
  );
const round = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, +v.toFixed(1)]));
console.log(
  JSON.stringify({
    backend: 'cpu',
    frames: FRAMES,
    size: SIZE,
    steps: STEPS,
    coldMs: round({ ...cold.ms, total: cold.total }),
    fullMs: round({ ...full.ms, total: full.total }),
    reEditMs: round({ ...reEdit.ms, total: reEdit.total }),
    reEditRatio: +(reEdit.total / full.total).toFixed(3),
    inversionKeyShared: sameKey,
    transfersPerDenoiseStep: transferCases,
    ...(browser
      ? {
          readbackBytesPerDenoiseStep: browser.readbackBytesPerDenoiseStep,
          uploadBytesPerDenoiseStep: browser.uploadBytesPerDenoiseStep,
          previewBytesPerStep: browser.previewBytesPerStep,
        }
      : {}),
    fixture: {
      cpuMs: round(fixtureMs),
      cpuReEditRatio: +(fixtureMs.reEdit / fixtureMs.full).toFixed(3),
      ...(browser
        ? {
            webgpu: browser,
            webgpuOverCpu: +(browser.fullMs.total! / fixtureMs.full).toFixed(2),
          }
        : {}),
    },
  }),
);
