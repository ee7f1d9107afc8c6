/** The part of the ffmpeg.wasm core's Emscripten module (@ffmpeg/core 0.12) the worker uses. */
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
