/** Deterministic randomness: Philox4x32-10 + Box–Muller, identical in Node and every browser. */
export { mulhi32, philox4x32 } from './philox';
export { fillGaussian, gaussianNoise, logUniform, sinCosTurn } from './gaussian';
