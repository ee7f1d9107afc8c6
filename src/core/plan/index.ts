export * from './plan';
export * from './params';
export { formatPlan, planJson } from './format';
