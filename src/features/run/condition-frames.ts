/**
 * The user's own condition images (condition 'frames'): decoded in the browser and resized like the frames
 * (short side to the frame size, centre crop), RGBA at the frame size. Files are taken in name order.
 */
import { AppError } from '../../core/protocol/errors';

export async function loadConditionImages(
  files: readonly File[],
  width: number,
  height: number,
): Promise<Uint8Array[]> {
  const sorted = [...files].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const out: Uint8Array[] = [];
  for (const file of sorted) {
    let image: ImageBitmap;
    try {
      image = await createImageBitmap(file);
    } catch {
      throw new AppError(
        'CONDITION_IMAGE_UNREADABLE',
        `${file.name} is not an image the browser can read (PNG, JPEG, WebP).`,
      );
    }
    const scale = Math.max(width / image.width, height / image.height);
    const w = image.width * scale;
    const h = image.height * scale;
    ctx.clearRect(0, 0, width, height);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(image, (width - w) / 2, (height - h) / 2, w, h);
    image.close();
    out.push(new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer));
  }
  return out;
}
