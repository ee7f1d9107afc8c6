/**
 * Pure latent-space math of the edit pipeline (CPU references; the engine's GPU kernels must match them):
 * add_noise (./add-noise.ts), latent blending (./blend.ts), classifier-free guidance (./cfg.ts) and the
 * latent → RGB live preview (./preview.ts). Text conditioning and the inversion cache key are prompt/job
 * level and live in ../pipeline/.
 */
export { addNoiseInto, noiseCoefficients } from './add-noise';
export { type LatentShape, blendLatents, blendWithFreshNoise, blendWithInversion, unionMasks } from './blend';
export { combineGuidance, combineGuidanceBatched } from './cfg';
export { SD15_LATENT_RGB_BIAS, SD15_LATENT_RGB_FACTORS, latentToPreviewRgba } from './preview';
