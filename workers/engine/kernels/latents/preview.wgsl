// preview.wgsl — one frame of a [F, 4, h, w] latent → preview RGBA bytes [h, w, 4], no VAE (CPU reference:
// src/core/latents/preview.ts `latentToPreviewRgba`; ComfyUI's SD1.5 latent_rgb_factors). For pixel p of
// frame f (plane = h·w, base = f·4·plane):
//   v_rgb = RGB_BIAS + Σ_c latents[base + c·plane + p] · RGB_FACTORS[c]
//   byte  = clamp(floor((v + 1)/2 · 255 + 0.5), 0, 255)                    (Math.round, then Uint8Clamped)
//   out[p] = r | g << 8 | b << 16 | 255 << 24                               (bytes r, g, b, a in memory)
// Computed in f32 with f32 factors (the CPU sums in f64): a value that lands within ~1e-5 of a .5 rounding
// boundary may round the other way, so a byte can differ by 1.
//
// Tiling: one invocation per pixel, WORKGROUP_SIZE per workgroup, 2-D grid (elementIndex, ./grid.ts).
// Bindings (group 0): 0 uniform Params {count = plane, gridX, base}; 1 latents (read, array<f32>, the whole
// [F, 4, h, w] tensor); 2 out (read_write, array<u32> [plane]: packed RGBA, h·w·4 bytes).
// WORKGROUP_SIZE, Params, elementIndex, RGB_FACTORS and RGB_BIAS are prepended by shader.ts.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> latents: array<f32>;
@group(0) @binding(2) var<storage, read_write> outData: array<u32>;

fn toByte(v: f32) -> u32 {
  return u32(clamp(floor((v + 1.0) * 0.5 * 255.0 + 0.5), 0.0, 255.0));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let p = elementIndex(wg, lid);
  if (p >= params.count) {
    return;
  }
  var rgb = RGB_BIAS;
  for (var c = 0u; c < 4u; c++) {
    rgb += latents[params.base + c * params.count + p] * RGB_FACTORS[c];
  }
  outData[p] = toByte(rgb.r) | (toByte(rgb.g) << 8u) | (toByte(rgb.b) << 16u) | (255u << 24u);
}
