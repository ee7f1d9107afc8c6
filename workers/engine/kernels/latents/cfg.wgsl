// cfg.wgsl — classifier-free guidance (Ho & Salimans 2022), as diffusers' SD pipelines combine it
// (CPU reference: src/core/latents/cfg.ts `combineGuidance`):
//   out[i] = u[i] + s · (c[i] − u[i])
// each op rounded to f32 in that order (sub, mul, add), which WGSL's correctly rounded f32 +, −, × reproduce
// unless the compiler contracts the mul + add into an FMA (then ≤ 1 ulp of the result away).
//
// Tiling: one invocation per element, WORKGROUP_SIZE per workgroup, 2-D grid (elementIndex, ./grid.ts).
// Bindings (group 0): 0 uniform Params {count, gridX, scale}; 1 uncond, 2 cond (read, array<f32> [count]);
// 3 out (read_write, array<f32> [count]).
// WORKGROUP_SIZE, Params and elementIndex are prepended by shader.ts (one source of truth).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> uncond: array<f32>;
@group(0) @binding(2) var<storage, read> cond: array<f32>;
@group(0) @binding(3) var<storage, read_write> outData: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = elementIndex(wg, lid);
  if (i >= params.count) {
    return;
  }
  let u = uncond[i];
  let diff = cond[i] - u;
  let scaled = params.scale * diff;
  outData[i] = u + scaled;
}
