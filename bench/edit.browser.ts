/**
 * `npm run bench:edit`, browser part: the edit on the WebGPU components (ORT WebGPU sessions + the WGSL attention
 * kernels, UNet partitioned) in headless Chromium, tiny SD + ControlNet, on the shared edit fixture
 * (test/fixtures/edit-fixture.ts: 2 frames of 64×64, 3 steps, canny condition, 2 modulated steps).
 * Runs: a cold edit (network compilation and weight upload included), a warm full edit, and a re-edit with new
 * target/region prompts that reuses the warm edit's inversion (no VAE encode, no inversion). Per-stage times come
 * from runEdit's onProgress timestamps. The node part (bench/edit.node.ts) prints the CPU backend beside these.
 */
import { buildEditFixture, EDIT_FIXTURE_TOKENIZER } from '../test/fixtures/edit-fixture';
import { fetchShared } from '../test/helpers/browser/shared';
import { acquireDevice, adapterLabel } from '../workers/engine/gpu/device';
import type { Components } from '../workers/engine/pipeline/components';
import { createWebGpuComponents, type ModelFiles } from '../workers/engine/pipeline/components-webgpu';
import { runEdit, type EditInput, type EditOptions, type EditStage } from '../workers/engine/pipeline/edit';

const STAGES: EditStage[] = ['text', 'encode', 'invert', 'denoise', 'decode'];
const folder = (dir: string): ModelFiles => ({ read: (p) => fetchShared(`${dir}/${p}`) });

async function timed(components: Components, input: EditInput, options: EditOptions) {
  const starts = new Map<EditStage, number>();
  const { runtime } = components;
  runtime.transfers.reset();
  const t0 = performance.now();
  const result = await runEdit(components, input, {
    ...options,
    onProgress: (p) => void (starts.has(p.stage) || starts.set(p.stage, performance.now())),
    // A preview of frame 0 every step, as the app's edit service reads it (counted apart from the loop).
    onStep: async (step) => {
      const stage = runtime.transfers.stage;
      runtime.transfers.setStage('preview');
      await runtime.ops.previewRgba(step.predOriginalSample, 0);
      runtime.transfers.setStage(stage);
    },
  });
  const transfers = runtime.transfers.stages();
  const end = performance.now();
  const order = STAGES.filter((s) => starts.has(s));
  const ms: Record<string, number> = { total: end - t0 };
  order.forEach((s, k) => (ms[s] = (k + 1 < order.length ? starts.get(order[k + 1]!)! : end) - starts.get(s)!));
  return { result, ms, transfers };
}

const round = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, +v.toFixed(1)]));

export async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const { device, capabilities } = await acquireDevice();
  const tokenizerJson = new TextDecoder().decode(await fetchShared(EDIT_FIXTURE_TOKENIZER));
  const fixture = buildEditFixture(tokenizerJson);
  const components = await createWebGpuComponents(device, {
    sd: folder('golden/tiny-sd'),
    controlnet: folder('golden/tiny-controlnet'),
  });
  try {
    const cold = await timed(components, fixture.input, fixture.options);
    const full = await timed(components, fixture.input, fixture.options);
    const reEditInput: EditInput = {
      ...fixture.input,
      targetPrompt: 'a silver robot on a red carpet',
      regionPrompts: ['silver robot', 'red carpet'],
    };
    const reEdit = await timed(components, reEditInput, { ...fixture.options, inversion: full.result.inversion });
    const { frames, width, height } = fixture.input;
    log(
      `edit on WebGPU (${adapterLabel(capabilities)}): tiny SD + ControlNet, ${frames.length}×${width}×${height}, ${fixture.options.steps} steps (ms)`,
    );
    const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1)).padStart(10);
    log(`${'stage'.padEnd(10)}${'cold'.padStart(10)}${'full'.padStart(10)}${'re-edit'.padStart(10)}`);
    for (const s of [...STAGES, 'total'])
      log(`${s.padEnd(10)}${fmt(cold.ms[s])}${fmt(full.ms[s])}${fmt(reEdit.ms[s])}`);
    log(`transfers of the full edit per stage (bytes up / back):`);
    for (const [stage, t] of Object.entries(full.transfers))
      log(`${stage.padEnd(10)}${String(t.uploadBytes).padStart(12)}${String(t.readbackBytes).padStart(12)}`);
    return {
      backend: 'webgpu',
      adapter: adapterLabel(capabilities),
      frames: frames.length,
      size: width,
      steps: fixture.options.steps,
      coldMs: round(cold.ms),
      fullMs: round(full.ms),
      reEditMs: round(reEdit.ms),
      reEditRatio: +(reEdit.ms.total! / full.ms.total!).toFixed(3),
      transfers: full.transfers,
      readbackBytesPerDenoiseStep: (full.transfers.denoise?.readbackBytes ?? 0) / fixture.options.steps!,
      uploadBytesPerDenoiseStep: (full.transfers.denoise?.uploadBytes ?? 0) / fixture.options.steps!,
      previewBytesPerStep: (full.transfers.preview?.readbackBytes ?? 0) / fixture.options.steps!,
    };
  } finally {
    await components.release();
    device.destroy();
  }
}
