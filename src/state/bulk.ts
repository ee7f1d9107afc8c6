/**
 * Bulk data outside the reactive store (DESIGN §2): the source file's bytes and the extracted RGBA frames.
 * The store holds only versions (`frames.version`); views read pixels from here when the version changes.
 */

export interface RgbaFrame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

let source: Uint8Array | null = null;
let frames: RgbaFrame[] = [];

export const bulk = {
  setSource(bytes: Uint8Array | null): void {
    source = bytes;
  },
  source(): Uint8Array | null {
    return source;
  },
  setFrames(next: RgbaFrame[]): void {
    frames = next;
  },
  frames(): readonly RgbaFrame[] {
    return frames;
  },
  frame(index: number): RgbaFrame | undefined {
    return frames[index];
  },
  clear(): void {
    source = null;
    frames = [];
  },
};
