/**
 * A thin, synchronous wrapper over the ffmpeg.wasm core: runs a command and collects its log, mounts a
 * source file without copying it into the wasm heap (WORKERFS over a Blob, where available), and cleans up
 * every file it made. Each `exec` blocks the worker until ffmpeg finishes; cancelling means terminating it.
 */
import type { FFmpegCore } from './core-types';

export interface RunResult {
  readonly exitCode: number;
  readonly log: readonly string[];
}

export class FFmpegSession {
  private onLine: ((line: string) => void) | undefined;
  private log: string[] = [];
  private mounts = 0;

  constructor(private readonly core: FFmpegCore) {
    core.setLogger((e) => {
      this.log.push(e.message);
      this.onLine?.(e.message);
    });
  }

  run(args: readonly string[], onLine?: (line: string) => void): RunResult {
    return this.call(() => this.core.exec(...args), onLine);
  }

  probe(args: readonly string[]): RunResult {
    return this.call(() => this.core.ffprobe(...args));
  }

  private call(fn: () => number, onLine?: (line: string) => void): RunResult {
    this.log = [];
    this.onLine = onLine;
    try {
      const exitCode = fn();
      return { exitCode, log: this.log };
    } finally {
      this.core.reset();
      this.onLine = undefined;
    }
  }

  /** Makes `bytes` readable at the returned path until `release` is called. */
  mountSource(bytes: Uint8Array, name: string): { path: string; release: () => void } {
    const dir = `/src${this.mounts++}`;
    const fs = this.core.FS;
    fs.mkdir(dir);
    const workerfs = fs.filesystems.WORKERFS;
    if (workerfs && 'FileReaderSync' in globalThis) {
      fs.mount(workerfs, { blobs: [{ name, data: new Blob([bytes as Uint8Array<ArrayBuffer>]) }] }, dir);
      return { path: `${dir}/${name}`, release: () => (fs.unmount(dir), fs.rmdir(dir)) };
    }
    fs.writeFile(`${dir}/${name}`, bytes);
    return { path: `${dir}/${name}`, release: () => (fs.unlink(`${dir}/${name}`), fs.rmdir(dir)) };
  }

  writeFile(path: string, data: Uint8Array): void {
    this.core.FS.writeFile(path, data);
  }

  /** Reads and deletes `path`; undefined when ffmpeg did not create it. */
  takeFile(path: string): Uint8Array | undefined {
    let data: Uint8Array;
    try {
      data = this.core.FS.readFile(path);
    } catch {
      return undefined;
    }
    this.core.FS.unlink(path);
    return data;
  }

  removeFile(path: string): void {
    try {
      this.core.FS.unlink(path);
    } catch {
      // already gone
    }
  }
}
