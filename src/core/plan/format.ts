/** The plan as a table for people and as the JSON object of DESIGN §9. */
import { formatBytes } from '../models/errors';
import { budgetBytes, type MemoryPlan } from './plan';

export interface PlanJson {
  readonly frames: number;
  readonly size: number | [number, number];
  readonly weightsBytes: number;
  readonly peakActivationBytes: number;
  readonly peakBytes: number;
  readonly stages: Record<string, number>;
  readonly [extra: string]: unknown;
}

export function planJson(plan: MemoryPlan, extra: Record<string, unknown> = {}): PlanJson {
  const o = plan.options;
  const budget = o.controlnet ? budgetBytes(o.frames) : null;
  return {
    frames: o.frames,
    size: o.height === o.width ? o.height : [o.height, o.width],
    weightsBytes: plan.weightsBytes,
    peakActivationBytes: plan.peakActivationBytes,
    peakBytes: plan.peakBytes,
    stages: Object.fromEntries(Object.entries(plan.stages).map(([k, v]) => [k, v.bytes])),
    precision: o.precision,
    controlnet: o.controlnet,
    cfg: o.cfg,
    frameChunk: o.frameChunk,
    vaeChunk: o.vaeChunk,
    peakStage: plan.peakStage,
    largestTensorBytes: plan.largestTensorBytes,
    params: plan.params,
    ...(budget !== null && o.height * o.width <= 512 * 512
      ? { budgetBytes: budget, withinBudget: plan.peakBytes <= budget }
      : {}),
    ...extra,
  };
}

const row = (cells: string[], widths: number[]) =>
  cells
    .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
    .join('  ')
    .trimEnd();

export function formatPlan(plan: MemoryPlan): string {
  const o = plan.options;
  const widths = [18, 12, 12, 0];
  const lines = [
    `memory plan: ${o.frames} frames at ${o.height}×${o.width}, ${o.precision} weights and activations, ` +
      `${o.controlnet ? 'with' : 'without'} ControlNet, CFG halves ${o.cfg}, frame chunk ${o.frameChunk ?? 'all'}, VAE chunk ${o.vaeChunk}`,
    '',
    row(['weights', 'params', 'bytes', ''], widths),
  ];
  for (const [k, p] of Object.entries(plan.params))
    if (p > 0)
      lines.push(
        row([k, `${(p / 1e6).toFixed(1)}M`, formatBytes(plan.weights[k as keyof typeof plan.weights]), ''], widths),
      );
  lines.push(row(['total', '', formatBytes(plan.weightsBytes), ''], widths), '');
  lines.push(row(['stage', 'bytes', '', 'peak at'], widths));
  for (const [k, s] of Object.entries(plan.stages)) lines.push(row([k, formatBytes(s.bytes), '', s.at], widths));
  lines.push(
    '',
    `job state (in every stage): ${formatBytes(plan.jobStateBytes)}; largest single tensor: ${formatBytes(plan.largestTensorBytes)}`,
    `peak activations: ${formatBytes(plan.peakActivationBytes)} (${plan.peakStage}); peak total: ${formatBytes(plan.peakBytes)}`,
  );
  const budget = o.controlnet ? budgetBytes(o.frames) : null;
  if (budget !== null)
    lines.push(
      `budget (DESIGN §6, 512² with ControlNet): ${formatBytes(budget)} → ${plan.peakBytes <= budget ? 'within' : 'OVER'}`,
    );
  return lines.join('\n');
}
