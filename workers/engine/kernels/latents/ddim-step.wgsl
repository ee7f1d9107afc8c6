// ddim-step.wgsl — one DDIM update, eta = 0, epsilon prediction (CPU reference: workers/engine/scheduler/step.ts
// `applyStep`; DESIGN §3.2). With a = √ᾱ_src, b = √(1 − ᾱ_src), a' = √ᾱ_dst, b' = √(1 − ᾱ_dst) (float32, from
// the scheduler's stepCoefficients):
//   x̂0[i]   = (x[i] − b · ε[i]) / a
//   prev[i] = a' · x̂0[i] + b' · ε[i]
// The sampling step (DDIMScheduler, dst = t − T/n) and the diffusers-0.19 inverse step (DDIMInverseScheduler,
// dst later than src) are this same formula with other ᾱ. Op order as torch (mul, sub, div, mul, mul, add).
// WGSL's f32 division is only accurate to 2.5 ulp (the CPU's is correctly rounded), so x̂0 and prev may differ
// from the reference by a few ulp; +, −, × are correctly rounded (up to FMA contraction).
//
// Tiling: one invocation per element, WORKGROUP_SIZE per workgroup, 2-D grid (elementIndex, ./grid.ts).
// Bindings (group 0): 0 uniform Params {count, gridX, sqrtAlphaSource, sqrtOneMinusAlphaSource, sqrtAlphaTarget,
// sqrtOneMinusAlphaTarget}; 1 eps, 2 x (read, array<f32> [count]); 3 prev (read_write, array<f32> [count]);
// WITH_X0 variant only: 4 x0 (read_write, array<f32> [count]).
// WORKGROUP_SIZE, Params and elementIndex are prepended by shader.ts (one source of truth).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> eps: array<f32>;
@group(0) @binding(2) var<storage, read> xIn: array<f32>;
@group(0) @binding(3) var<storage, read_write> prevOut: array<f32>;
//#if WITH_X0
@group(0) @binding(4) var<storage, read_write> x0Out: array<f32>;
//#endif

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = elementIndex(wg, lid);
  if (i >= params.count) {
    return;
  }
  let e = eps[i];
  let noisePart = params.sqrtOneMinusAlphaSource * e;
  let xhat = (xIn[i] - noisePart) / params.sqrtAlphaSource;
  let signal = params.sqrtAlphaTarget * xhat;
  let noise = params.sqrtOneMinusAlphaTarget * e;
  prevOut[i] = signal + noise;
//#if WITH_X0
  x0Out[i] = xhat;
//#endif
}
