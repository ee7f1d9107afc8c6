/**
 * A checkpoint's `scheduler/scheduler_config.json` → the noise schedule the engine runs (DESIGN §3.2, §4).
 * The official code builds `DDIMScheduler.from_pretrained(…, subfolder="scheduler")` whatever `_class_name`
 * says (SD1.5 ships a PNDMScheduler config), so the fields are read with DDIMScheduler's meaning and its
 * constructor defaults (diffusers 0.19 == 0.40 here): a field absent from the file takes DDIM's default, which
 * may itself be refused (e.g. `clip_sample` defaults to true).
 * - Values the engine implements drive the schedule (./schedule.ts `ScheduleConfig`): num_train_timesteps,
 *   beta_start, beta_end, beta_schedule ("scaled_linear" | "linear"), steps_offset, set_alpha_to_one.
 * - Anything else that changes DDIM's arithmetic is refused with the field named (MODEL_ARCHITECTURE):
 *   trained_betas, clip_sample, thresholding, prediction_type ≠ epsilon, timestep_spacing ≠ leading,
 *   rescale_betas_zero_snr. Fields DDIM ignores (skip_prk_steps, _class_name, …) are ignored.
 */
import { ConfigReader } from '../models/architecture';
import type { ScheduleConfig } from './schedule';

export function parseSchedulerConfig(json: unknown, file = 'scheduler/scheduler_config.json'): ScheduleConfig {
  const r = new ConfigReader(json, file);
  r.only('trained_betas', [null]);
  r.only('clip_sample', [false], true);
  r.only('thresholding', [false]);
  r.only('prediction_type', ['epsilon']);
  r.only('timestep_spacing', ['leading']);
  r.only('rescale_betas_zero_snr', [false]);
  const beta = r.string('beta_schedule', 'linear');
  const betaSchedule = beta === 'scaled_linear' || beta === 'linear' ? beta : undefined;
  if (!betaSchedule) return r.unsupported('beta_schedule', beta, '"scaled_linear", "linear"');
  const numTrainTimesteps = r.positive('num_train_timesteps', 1000);
  const betaStart = r.number('beta_start', 0.0001);
  const betaEnd = r.number('beta_end', 0.02);
  if (!(betaStart > 0 && betaStart < betaEnd && betaEnd < 1))
    r.invalid('beta_start', `and beta_end must satisfy 0 < beta_start < beta_end < 1 (got ${betaStart}, ${betaEnd})`);
  const stepsOffset = r.int('steps_offset', 0);
  if (stepsOffset < 0 || stepsOffset >= numTrainTimesteps)
    r.invalid('steps_offset', `must be from 0 to num_train_timesteps − 1 (got ${stepsOffset})`);
  return {
    numTrainTimesteps,
    betaStart,
    betaEnd,
    betaSchedule,
    stepsOffset,
    setAlphaToOne: r.bool('set_alpha_to_one', true),
  };
}
