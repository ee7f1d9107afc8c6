/**
 * The one module that touches @ffmpeg/* (DESIGN §2). It loads the single-threaded ffmpeg.wasm core from
 * our own build (Vite serves and bundles the core's JS and wasm through `?url`; never a CDN) and describes
 * the small part of the Emscripten module the worker uses.
 */
import coreURL from '@ffmpeg/core?url';
import wasmURL from '@ffmpeg/core/wasm?url';

export interface FFmpegLogEvent {
  readonly type: string;
  readonly message: string;
}

export interface FFmpegFS {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  mkdir(path: string): void;
  rmdir(path: string): void;
  mount(type: unknown, options: { blobs: { name: string; data: Blob }[] }, mountPoint: string): void;
  unmount(mountPoint: string): void;
  readonly filesystems: Readonly<Record<string, unknown>>;
}

/** The Emscripten module of @ffmpeg/core 0.12: `exec`/`ffprobe` run synchronously to completion. */
export interface FFmpegCore {
  exec(...args: string[]): number;
  ffprobe(...args: string[]): number;
  reset(): void;
  setLogger(logger: (event: FFmpegLogEvent) => void): void;
  setProgress(handler: (event: { progress: number; time: number }) => void): void;
  readonly FS: FFmpegFS;
}

type CoreFactory = (options: { mainScriptUrlOrBlob: string }) => Promise<FFmpegCore>;

export async function loadFFmpegCore(): Promise<FFmpegCore> {
  const absolute = (u: string) => new URL(u, self.location.href).href;
  const module = (await import(/* @vite-ignore */ absolute(coreURL))) as { default: CoreFactory };
  // The core locates its wasm from the JSON after '#' in mainScriptUrlOrBlob (how @ffmpeg/ffmpeg loads it).
  const locate = btoa(JSON.stringify({ wasmURL: absolute(wasmURL), workerURL: '' }));
  return module.default({ mainScriptUrlOrBlob: `${absolute(coreURL)}#${locate}` });
}
