// scale.wgsl — element-wise scaling (CPU reference: workers/engine/tensors/cpu-ops.ts `scale`, `posteriorSample`):
//   default:   out[i] = x[i] · s                                  (e.g. latents × 0.18215 or ÷ it)
//   POSTERIOR: out[i] = (mean[i] + std[i] · ε[i]) · s             (the VAE posterior sample, scaled)
// each op rounded to f32 (mul, add, mul); bit for bit the CPU result unless a mul + add is contracted to an FMA.
//
// Tiling: one invocation per element, WORKGROUP_SIZE per workgroup, 2-D grid (elementIndex, ./grid.ts).
// Bindings (group 0): 0 uniform Params {count, gridX, scale}; 1 x (or mean) (read, array<f32> [count]);
// 2 out (read_write, array<f32> [count]); POSTERIOR variant only: 3 std, 4 eps (read, array<f32> [count]).
// WORKGROUP_SIZE, Params and elementIndex are prepended by shader.ts (one source of truth).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> outData: array<f32>;
//#if POSTERIOR
@group(0) @binding(3) var<storage, read> stdDev: array<f32>;
@group(0) @binding(4) var<storage, read> eps: array<f32>;
//#endif

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = elementIndex(wg, lid);
  if (i >= params.count) {
    return;
  }
//#if POSTERIOR
  let spread = stdDev[i] * eps[i];
  let value = source[i] + spread;
//#else
  let value = source[i];
//#endif
  outData[i] = value * params.scale;
}
