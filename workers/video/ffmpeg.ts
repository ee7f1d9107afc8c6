/**
 * The one module that touches @ffmpeg/* (DESIGN §2). It loads the single-threaded ffmpeg.wasm core from
 * our own build: Vite serves and bundles the core's JS and wasm through `?url`, never a CDN. The module's
 * shape is in ./core-types.ts.
 */
import coreURL from '@ffmpeg/core?url';
import wasmURL from '@ffmpeg/core/wasm?url';
import type { FFmpegCore } from './core-types';

export type { FFmpegCore } from './core-types';

type CoreFactory = (options: { mainScriptUrlOrBlob: string }) => Promise<FFmpegCore>;

export async function loadFFmpegCore(): Promise<FFmpegCore> {
  const absolute = (u: string) => new URL(u, self.location.href).href;
  const module = (await import(/* @vite-ignore */ absolute(coreURL))) as { default: CoreFactory };
  // The core locates its wasm from the JSON after '#' in mainScriptUrlOrBlob (how @ffmpeg/ffmpeg loads it).
  const locate = btoa(JSON.stringify({ wasmURL: absolute(wasmURL), workerURL: '' }));
  return module.default({ mainScriptUrlOrBlob: `${absolute(coreURL)}#${locate}` });
}
