export * from './plan';
export * from './params';
export { formatPlan, planJson } from './format';
export { headerParams, planModelOf, type PlanSource } from './model';
