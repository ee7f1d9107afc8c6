/**
 * The frames the editor would extract from a video file (the app's video worker: ffmpeg.wasm in headless
 * Chromium), returned to Node as RGBA: for commands that take a video where they take a frames folder
 * (`videograin condition <video>`). The page posts the frames as one RGBA blob to the driver's server (a
 * temporary file), which is read back and split per frame.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliUsageError } from '../command';
import { HEADLESS_GLOBAL, type HeadlessGlobals } from '../../src/headless/types';
import type { ExtractOptions } from '../../src/core/protocol/video';
import { VIDEO_INPUT_CODES } from './video-errors';
import { progressPrinter } from './progress';
import { startHeadlessSession } from './session';

interface PageRequest extends ExtractOptions {
  readonly global: string;
  readonly inputUrl: string;
  readonly outputUrl: string;
}

type PageResult =
  { ok: true; width: number; height: number; frames: number } | { ok: false; code?: string; message: string };

/** Runs inside the headless page (serialized by Playwright: self-contained). */
async function extractInPage(r: PageRequest): Promise<PageResult> {
  const h = (globalThis as unknown as Record<string, HeadlessGlobals>)[r.global]!;
  try {
    const source = await h.fetchBytes(r.inputUrl);
    const set = await h.video.extract(
      source,
      { start: r.start, frames: r.frames, stride: r.stride, sizing: r.sizing },
      (p) => h.progress(p.stage, p.fraction),
    );
    const blob = new Uint8Array(set.frames.reduce((n, f) => n + f.byteLength, 0));
    let at = 0;
    for (const f of set.frames) {
      blob.set(f, at);
      at += f.byteLength;
    }
    await h.postBytes(r.outputUrl, blob);
    return { ok: true, width: set.width, height: set.height, frames: set.frames.length };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { ok: false, ...(err.code ? { code: err.code } : {}), message: err.message };
  }
}

export interface ExtractedFrames {
  readonly width: number;
  readonly height: number;
  /** RGBA, width·height·4 bytes each. */
  readonly frames: Uint8Array[];
}

export async function extractVideoFrames(
  input: string,
  options: ExtractOptions,
  log: (line: string) => void,
  chromium?: string,
): Promise<ExtractedFrames> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-frames-'));
  const session = await startHeadlessSession({
    log,
    onProgress: progressPrinter(log),
    ...(chromium ? { chromium } : {}),
  });
  try {
    const blobPath = join(dir, 'frames.rgba');
    const out = session.server.addOutput(blobPath);
    const result = await session.page.evaluate(extractInPage, {
      global: HEADLESS_GLOBAL,
      inputUrl: session.server.addInput(input),
      outputUrl: out.url,
      ...options,
    });
    if (!result.ok) {
      const line = `${input}: ${result.message}${result.code ? ` (${result.code})` : ''}`;
      if (result.code && VIDEO_INPUT_CODES.has(result.code)) throw new CliUsageError(line);
      throw new Error(line);
    }
    await out.written;
    const blob = new Uint8Array(readFileSync(blobPath));
    const frameBytes = result.width * result.height * 4;
    if (blob.byteLength !== frameBytes * result.frames)
      throw new Error(
        `the page sent ${blob.byteLength} bytes for ${result.frames} frames of ${result.width}×${result.height}`,
      );
    const frames = Array.from({ length: result.frames }, (_, i) => blob.slice(i * frameBytes, (i + 1) * frameBytes));
    return { width: result.width, height: result.height, frames };
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
