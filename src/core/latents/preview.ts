/**
 * Live preview: SD1.5 latents → RGB by a fixed linear map, no VAE. Factors (R, G, B per latent channel)
 * are ComfyUI's `SD15.latent_rgb_factors` (comfy/latent_formats.py; a least-squares fit of decoded RGB on
 * latents, after Keturn's "Decoding latents to RGB without upscaling", discuss.huggingface.co/t/23204);
 * SD1.5 has no bias term there. They apply to the scaled latent the UNet sees (× 0.18215 space), ideally
 * to x̂0; the result ≈ [−1, 1] and is mapped to bytes as ComfyUI's previewer does: ((v + 1)/2)·255, clamped.
 */

export const SD15_LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];
export const SD15_LATENT_RGB_BIAS: readonly [number, number, number] = [0, 0, 0];

/**
 * One frame's latent [4, h, w] (frame `frame` of a [F, 4, h, w] buffer) → RGBA bytes [h, w, 4], alpha 255,
 * ready for `new ImageData(rgba, w, h)`.
 */
export function latentToPreviewRgba(
  latents: Float32Array,
  height: number,
  width: number,
  frame = 0,
  out: Uint8ClampedArray = new Uint8ClampedArray(height * width * 4),
): Uint8ClampedArray {
  const plane = height * width;
  const base = frame * 4 * plane;
  if (!Number.isInteger(frame) || frame < 0 || base + 4 * plane > latents.length) {
    throw new RangeError(`frame ${frame} of a ${height}×${width} latent is outside ${latents.length} values`);
  }
  if (out.length !== plane * 4) throw new RangeError(`preview buffer must hold ${plane * 4} bytes`);
  for (let p = 0; p < plane; p++) {
    for (let rgb = 0; rgb < 3; rgb++) {
      let v = SD15_LATENT_RGB_BIAS[rgb]!;
      for (let c = 0; c < 4; c++) v += latents[base + c * plane + p]! * SD15_LATENT_RGB_FACTORS[c]![rgb]!;
      out[p * 4 + rgb] = Math.round(((v + 1) / 2) * 255); // Uint8ClampedArray clamps to [0, 255]
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}
