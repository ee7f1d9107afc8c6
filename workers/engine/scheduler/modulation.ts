/** The schedule policy (modulated steps, treg) lives in src/core/schedule/policy.ts; re-exported for the engine. */
export { isModulatedStep, modulatedStepCount, treg } from '../../../src/core/schedule/policy';
