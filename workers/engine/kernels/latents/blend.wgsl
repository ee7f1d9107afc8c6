// blend.wgsl — latent blending (DESIGN §3.5; CPU references: src/core/latents/blend.ts `blendLatents`, and
// src/core/latents/add-noise.ts `addNoiseInto` for the background). Latents [F, C, h, w], mask M [F, h, w]
// broadcast over channels (plane = h·w):
//   FRESH_NOISE (reference):  bg[i] = √ᾱ · z0[i] + √(1 − ᾱ) · ε[i]          (diffusers add_noise, fresh ε)
//   otherwise (blendWithInversion): bg[i] = z0[i]                            (the inverted latent of the step)
//   out[i] = x[i] · m + bg[i] · (1 − m),   m = M[f·plane + p],  f = i / (C·plane),  p = i mod plane
// each op rounded to f32 in the reference's order; WGSL's +, −, × are correctly rounded, so this is the CPU
// result bit for bit unless the compiler contracts a mul + add into an FMA.
//
// Tiling: one invocation per latent element, WORKGROUP_SIZE per workgroup, 2-D grid (elementIndex, ./grid.ts).
// Bindings (group 0): 0 uniform Params {count, gridX, plane, channels, sqrtAlpha, sqrtOneMinusAlpha};
// 1 x [count], 2 mask [count / C], 3 z0 [count] (read, array<f32>); 4 out (read_write, array<f32> [count]);
// FRESH_NOISE variant only: 5 noise (read, array<f32> [count]).
// WORKGROUP_SIZE, Params and elementIndex are prepended by shader.ts (one source of truth).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> latents: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read> z0: array<f32>;
@group(0) @binding(4) var<storage, read_write> outData: array<f32>;
//#if FRESH_NOISE
@group(0) @binding(5) var<storage, read> noise: array<f32>;
//#endif

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = elementIndex(wg, lid);
  if (i >= params.count) {
    return;
  }
  let frame = i / (params.channels * params.plane);
  let m = mask[frame * params.plane + i % params.plane];
//#if FRESH_NOISE
  let signal = params.sqrtAlpha * z0[i];
  let fresh = params.sqrtOneMinusAlpha * noise[i];
  let background = signal + fresh;
//#else
  let background = z0[i];
//#endif
  let kept = latents[i] * m;
  let keep = 1.0 - m;
  let reset = background * keep;
  outData[i] = kept + reset;
}
