/** Schedulers of the edit pipeline (pure TS; never imports models or GPU code). */
export { DdimScheduler } from './ddim';
export { DdimInverseScheduler, type InverseConvention } from './ddim-inverse';
export { type StepCoefficients, type StepResult, applyStep, stepCoefficientsFor } from './step';
export {
  type ScheduleConfig,
  SD15_SCHEDULE,
  alphasCumprod,
  leadingTimesteps,
  scaledLinearBetas,
} from '../../../src/core/schedule/schedule';
export { isModulatedStep, modulatedStepCount, treg } from '../../../src/core/schedule/policy';
