/**
 * Compact storage of masks: run-length encoding with LEB128 varints. A frame is a sequence of run lengths
 * alternating 0-runs and 1-runs, starting with a 0-run (possibly of length 0). A region file is
 *   "VGM1" | width u32 | height u32 | frames u32 | per frame: origin u8 (0 none, 1 key, 2 propagated),
 *   byteLength varint, runs…
 * Typical hand-painted 512² masks shrink from 256 KiB to well under 1 KiB per frame.
 */
import { AppError } from '../protocol/errors';
import type { MaskSize } from './raster';

export type MaskOrigin = 'key' | 'propagated';

export interface StoredFrame {
  readonly bits: Uint8Array;
  readonly origin: MaskOrigin;
}

const MAGIC = [0x56, 0x47, 0x4d, 0x31]; // "VGM1"

class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;
  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + extra));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.length);
    this.length += v.length;
  }
  u32(v: number): void {
    for (let i = 0; i < 4; i++) this.byte((v >>> (8 * i)) & 0xff);
  }
  varint(v: number): void {
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

class ByteReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new AppError('MASK_DATA_CORRUPT', 'Saved mask data is truncated.');
  }
  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) v += this.byte() * 2 ** (8 * i);
    return v;
  }
  varint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 6; i++) {
      const b = this.byte();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    throw new AppError('MASK_DATA_CORRUPT', 'Saved mask data has a malformed number.');
  }
}

/** Run lengths of one mask as varints. */
export function encodeRuns(mask: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  let current = 0;
  let run = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i] ? 1 : 0;
    if (v === current) run++;
    else {
      w.varint(run);
      current = v;
      run = 1;
    }
  }
  w.varint(run);
  return w.result();
}

export function decodeRuns(runs: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  const r = new ByteReader(runs);
  let pos = 0;
  let value = 0;
  while (r.pos < runs.length) {
    const n = r.varint();
    if (pos + n > pixels) throw new AppError('MASK_DATA_CORRUPT', 'Saved mask data does not match the frame size.');
    if (value) out.fill(1, pos, pos + n);
    pos += n;
    value ^= 1;
  }
  if (pos !== pixels) throw new AppError('MASK_DATA_CORRUPT', 'Saved mask data does not match the frame size.');
  return out;
}

export function encodeRegionFrames(size: MaskSize, frames: readonly (StoredFrame | null)[]): Uint8Array {
  const w = new ByteWriter();
  for (const b of MAGIC) w.byte(b);
  w.u32(size.width);
  w.u32(size.height);
  w.u32(frames.length);
  for (const f of frames) {
    if (!f) {
      w.byte(0);
      continue;
    }
    w.byte(f.origin === 'key' ? 1 : 2);
    const runs = encodeRuns(f.bits);
    w.varint(runs.length);
    w.bytes(runs);
  }
  return w.result();
}

export function decodeRegionFrames(bytes: Uint8Array): { size: MaskSize; frames: (StoredFrame | null)[] } {
  const r = new ByteReader(bytes);
  for (const b of MAGIC)
    if (r.byte() !== b) throw new AppError('MASK_DATA_CORRUPT', 'Saved mask data has an unknown format.');
  const width = r.u32();
  const height = r.u32();
  const count = r.u32();
  if (width * height > 2 ** 26 || count > 4096)
    throw new AppError('MASK_DATA_CORRUPT', 'Saved mask data has an implausible size.');
  const frames: (StoredFrame | null)[] = [];
  for (let i = 0; i < count; i++) {
    const origin = r.byte();
    if (origin === 0) {
      frames.push(null);
      continue;
    }
    if (origin > 2) throw new AppError('MASK_DATA_CORRUPT', 'Saved mask data has an unknown frame kind.');
    const len = r.varint();
    const start = r.pos;
    if (start + len > bytes.length) throw new AppError('MASK_DATA_CORRUPT', 'Saved mask data is truncated.');
    r.pos += len;
    frames.push({
      bits: decodeRuns(bytes.subarray(start, start + len), width * height),
      origin: origin === 1 ? 'key' : 'propagated',
    });
  }
  return { size: { width, height }, frames };
}
