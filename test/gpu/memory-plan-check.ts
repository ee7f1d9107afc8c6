/**
 * One memory model (issue 11, DESIGN §6), shared by the GPU tests that run an edit anyway: the edit runs under
 * the buffer tracker (high-water mark of live GPU bytes per stage: ORT's buffers and ours, one device), then its
 * measured peak is held against the memory plan for the same configuration (the engine's own:
 * EditResultData.memory.planPeakBytes is checked to be `computePlan` of editPlanOptions).
 *
 * Tolerance: measured / planned peak within [0.95, 1.10]. The plan counts tensors' bytes; what it does not see
 * is ORT's buffer pool (buffers freed by earlier stages stay allocated for reuse, sizes rounded to buckets), its
 * scratch, the attention kernels' temporaries, the cached modulation maps and staging buffers. Measured on
 * SwiftShader: +2.4 % (sequential: plan 33.07 MB, measured 33.88 MB) and +3.1 % (batched: 51.38 / 52.96 MB),
 * so the band leaves ~2.5× headroom above while staying tight enough to fail a plan that ignored the ControlNet
 * (its weights are 15 % of the total: measured/plan 1.25, 1.32) or the CFG mode (batched compiles the UNet and the
 * ControlNet at F and 2F, both resident: 1.60 or 0.66) — the check holds those counterfactual plans out of the
 * band. At this size weights dominate (29 of 33 MB), so the resident weights are held separately: the bytes still
 * live after the edit (every network compiled, the job's tensors freed) are within [1.00, 1.10] of the planned
 * weights (ORT uploads each initializer whole: at least the tensor bytes; measured +5.9 % / +5.2 %: the pool and
 * the prompt/modulation caches).
 */
import { expect } from 'vitest';
import type { Engine } from '../../workers/engine/api';
import { trackDeviceBuffers } from '../../workers/engine/gpu/buffer-tracker';
import { editPlanOptions, ENGINE_PRECISION } from '../../workers/engine/edit/memory-check';
import { computePlan, type MemoryPlan } from '../../src/core/plan/plan';
import { planModelOf } from '../../src/core/plan/model';
import type { EditEvent, EditRequest, EditResultData, EditStageName } from '../../src/core/protocol/edit';

/**
 * Runs `req` from fresh networks (every shape of its CFG mode is compiled during the edit) under the buffer
 * tracker of `device`, passes its events on to `onEvent`, then checks the plan against the measured figures.
 */
export async function editWithinPlan(
  engine: Engine,
  device: GPUDevice,
  req: EditRequest,
  onEvent?: (e: EditEvent) => void,
): Promise<EditResultData> {
  await engine.releaseEditCache();
  expect(await engine.gpuBytesInUse()).toBe(0);
  const mode = req.settings.cfgBatch ?? 'sequential';
  const tracker = trackDeviceBuffers(device);
  const watch = tracker.watchPeak();
  const measured: Partial<Record<EditStageName, { peak: number; liveAtStart: number }>> = {};
  let stage: EditStageName | undefined;
  const close = () => {
    if (stage) measured[stage]!.peak = watch.peakBytes();
  };
  const result = await engine.edit(req, (e) => {
    onEvent?.(e);
    if (e.kind !== 'progress' || e.stage === stage) return;
    close();
    stage = e.stage;
    watch.reset();
    measured[stage] = { peak: 0, liveAtStart: tracker.liveBytes() };
  });
  close();
  watch.stop();
  const model = planModelOf(engine.models.loaded('sd15')!.model, engine.models.loaded('controlnet')!.model);
  const options = editPlanOptions(req, model, ENGINE_PRECISION);
  const plan: MemoryPlan = computePlan(model, options);
  const liveAfter = tracker.liveBytes();
  const mb = (n: number) => (n / 1e6).toFixed(2);
  const stages = Object.entries(measured).map(([k, v]) => `${k} ${mb(v.liveAtStart)}→${mb(v.peak)}`);
  console.info(
    `[memory-plan] CFG ${mode}: planned peak ${mb(plan.peakBytes)} MB (weights ${mb(plan.weightsBytes)} + ` +
      `${mb(plan.peakActivationBytes)} at ${plan.peakStage}), measured peak ${mb(result.memory!.measuredPeakBytes)} MB ` +
      `(×${(result.memory!.measuredPeakBytes / plan.peakBytes).toFixed(3)}); live after ${mb(liveAfter)} MB; ` +
      `measured per stage (live at start → peak, MB): ${stages.join(', ')}`,
  );
  // The engine's figures are this plan's, and the watch saw the whole edit.
  expect(result.memory).toEqual({
    planPeakBytes: plan.peakBytes,
    measuredPeakBytes: Math.max(...Object.values(measured).map((v) => v.peak)),
    weightsBytes: plan.weightsBytes,
  });
  const ratio = (p: MemoryPlan) => result.memory!.measuredPeakBytes / p.peakBytes;
  const inBand = (r: number) => r >= 0.95 && r <= 1.1;
  expect(ratio(plan)).toBeGreaterThanOrEqual(0.95);
  expect(ratio(plan)).toBeLessThanOrEqual(1.1);
  expect(liveAfter / plan.weightsBytes).toBeGreaterThanOrEqual(1);
  expect(liveAfter / plan.weightsBytes).toBeLessThanOrEqual(1.1);
  // The band is tight enough to catch a plan that ignored the ControlNet or the CFG mode.
  const other = mode === 'sequential' ? 'batched' : 'sequential';
  const wrong = {
    'no ControlNet': computePlan(model, { ...options, controlnet: false }),
    [`CFG ${other}`]: computePlan(
      model,
      editPlanOptions({ ...req, settings: { ...req.settings, cfgBatch: other } }, model, ENGINE_PRECISION),
    ),
  };
  for (const [what, p] of Object.entries(wrong)) {
    console.info(`[memory-plan] CFG ${mode}: a plan with ${what} would give ×${ratio(p).toFixed(3)}`);
    expect(inBand(ratio(p)), what).toBe(false);
  }
  return result;
}
