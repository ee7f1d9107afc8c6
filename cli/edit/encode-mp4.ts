/**
 * RGBA frames → H.264 MP4 with the app's video worker (ffmpeg.wasm) in a headless session, as `clip` does.
 * The frames travel to the page as one raw file (F · W · H · 4 bytes) through the session's file exchange.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEADLESS_GLOBAL, type HeadlessGlobals } from '../../src/headless/types';
import { progressPrinter } from '../headless/progress';
import { startHeadlessSession, type HeadlessSession } from '../headless/session';

interface PageRequest {
  readonly global: string;
  readonly inputUrl: string;
  readonly outputUrl: string;
  readonly frames: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly crf: number;
}

type PageResult = { ok: true; bytes: number } | { ok: false; message: string };

/** Runs inside the headless page (serialized by Playwright: self-contained). */
async function encodeInPage(r: PageRequest): Promise<PageResult> {
  const h = (globalThis as unknown as Record<string, HeadlessGlobals>)[r.global]!;
  try {
    const raw = await h.fetchBytes(r.inputUrl);
    const bytes = r.width * r.height * 4;
    const frames = Array.from({ length: r.frames }, (_, f) => raw.slice(f * bytes, (f + 1) * bytes));
    const set = { width: r.width, height: r.height, fps: r.fps, frames, startSec: 0, endSec: r.frames / r.fps };
    const mp4 = await h.video.encode(set, { fps: r.fps, crf: r.crf }, (p) => h.progress(p.stage, p.fraction));
    h.progress('writing');
    await h.postBytes(r.outputUrl, mp4);
    return { ok: true, bytes: mp4.byteLength };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { ok: false, message: `${err.message}${err.code ? ` (${err.code})` : ''}` };
  }
}

export interface EncodeRequest {
  readonly frames: readonly Uint8Array[] | readonly Uint8ClampedArray[];
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly crf: number;
  readonly output: string;
  readonly log: (line: string) => void;
  readonly chromium?: string;
}

/** Writes the MP4 with an open session (the WebGPU edit encodes in the session it edited in). */
export async function encodeMp4InSession(session: HeadlessSession, req: EncodeRequest): Promise<number> {
  const tmp = mkdtempSync(join(tmpdir(), 'vg-edit-'));
  try {
    const rawFile = join(tmp, 'frames.rgba');
    const raw = new Uint8Array(req.frames.length * req.width * req.height * 4);
    req.frames.forEach((f, i) => raw.set(f, i * f.length));
    writeFileSync(rawFile, raw);
    const out = session.server.addOutput(req.output);
    const result = await session.page.evaluate(encodeInPage, {
      global: HEADLESS_GLOBAL,
      inputUrl: session.server.addInput(rawFile),
      outputUrl: out.url,
      frames: req.frames.length,
      width: req.width,
      height: req.height,
      fps: req.fps,
      crf: req.crf,
    });
    if (!result.ok) throw new Error(`encoding the MP4 failed: ${result.message}`);
    await out.written;
    return result.bytes;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes the MP4 in a session of its own; returns its byte count. */
export async function encodeMp4Headless(req: EncodeRequest): Promise<number> {
  const session = await startHeadlessSession({
    log: req.log,
    onProgress: progressPrinter(req.log),
    ...(req.chromium ? { chromium: req.chromium } : {}),
  });
  try {
    return await encodeMp4InSession(session, req);
  } finally {
    await session.close();
  }
}
