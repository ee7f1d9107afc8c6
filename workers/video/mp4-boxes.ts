/**
 * Top-level ISO base media file (MP4/MOV) box walk, ISO/IEC 14496-12 §4.2: each box is a 32-bit big-endian
 * size (1 → a 64-bit size follows the type; 0 → "to the end of the file") and a 4-character type.
 * A box whose declared size runs past the end of the bytes means the file was cut short — something ffmpeg
 * happily decodes up to the cut when the index (`moov`) sits before the media data, so we check it ourselves.
 */

export interface IsoBmffCheck {
  /** The bytes start with a plausible `ftyp` box (or another common first box of a QuickTime file). */
  readonly isIsoBmff: boolean;
  readonly hasMoov: boolean;
  /** Set when a box claims more bytes than the file holds. */
  readonly truncated?: { readonly box: string; readonly declaredEnd: number; readonly fileSize: number };
}

const FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);

function boxType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

export function checkIsoBmff(bytes: Uint8Array): IsoBmffCheck {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || !FIRST_BOXES.has(boxType(bytes, 4))) return { isIsoBmff: false, hasMoov: false };
  let offset = 0;
  let hasMoov = false;
  while (offset + 8 <= bytes.length) {
    const type = boxType(bytes, offset + 4);
    if (!/^[\x20-\x7e]{4}$/.test(type)) break; // not a box header: trailing junk, leave it to the demuxer
    let size = view.getUint32(offset);
    if (size === 1) {
      if (offset + 16 > bytes.length)
        return { isIsoBmff: true, hasMoov, truncated: { box: type, declaredEnd: offset + 16, fileSize: bytes.length } };
      size = Number(view.getBigUint64(offset + 8));
    } else if (size === 0) {
      size = bytes.length - offset;
    }
    if (size < 8) break;
    if (type === 'moov') hasMoov = true;
    const end = offset + size;
    if (end > bytes.length)
      return { isIsoBmff: true, hasMoov, truncated: { box: type, declaredEnd: end, fileSize: bytes.length } };
    offset = end;
  }
  return { isIsoBmff: true, hasMoov };
}
