/** Schedulers of the edit pipeline (pure TS; never imports models or GPU code). */
export { DdimScheduler } from './ddim.ts';
export { DdimInverseScheduler, type InverseConvention } from './ddim-inverse.ts';
export { type StepCoefficients, type StepResult, applyStep, stepCoefficientsFor } from './step.ts';
export {
  type ScheduleConfig,
  SD15_SCHEDULE,
  alphasCumprod,
  leadingTimesteps,
  scaledLinearBetas,
} from '../../../src/core/schedule/schedule.ts';
export { isModulatedStep, modulatedStepCount, treg } from '../../../src/core/schedule/policy.ts';
