/**
 * The UI's handle on the video worker (DESIGN §2): typed by the protocol, errors keep their codes, bulk
 * bytes cross by transfer. ffmpeg.wasm runs each command synchronously, so `cancel()` terminates the worker
 * (every pending call rejects with CANCELLED) and the next call starts a fresh one.
 *
 * Ownership: buffers passed in (the source, the frames, the audio source) are transferred to the worker and
 * become detached here — pass a copy (`bytes.slice()`) of anything you keep using.
 */
import { Comlink } from '../core/protocol/rpc';
import { AppError } from '../core/protocol/errors';
import type {
  EncodeOptions,
  ExtractOptions,
  FrameSet,
  ProbeResult,
  ProgressCallback,
  VideoApi,
} from '../core/protocol/video';

export interface VideoClient {
  probe(source: Uint8Array): Promise<ProbeResult>;
  extract(source: Uint8Array, options: ExtractOptions, onProgress?: ProgressCallback): Promise<FrameSet>;
  encode(frames: FrameSet, options: EncodeOptions, onProgress?: ProgressCallback): Promise<Uint8Array>;
  /** Stops whatever the worker is doing; pending calls reject with an AppError of code CANCELLED. */
  cancel(): void;
  /** Stops the worker for good (a later call would start a new one). */
  terminate(): void;
}

/** A view's whole buffer can move; a view into a larger buffer is copied first so nothing else detaches. */
function own(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

function transferables(views: readonly Uint8Array[]): ArrayBuffer[] {
  return [...new Set(views.map((v) => v.buffer as ArrayBuffer))];
}

interface Live {
  readonly worker: Worker;
  readonly api: Comlink.Remote<VideoApi>;
  readonly rejects: Set<(e: Error) => void>;
}

export function createVideoClient(): VideoClient {
  let live: Live | undefined;

  function start(): Live {
    if (!live) {
      const worker = new Worker(new URL('../../workers/video.worker.ts', import.meta.url), {
        type: 'module',
        name: 'video',
      });
      live = { worker, api: Comlink.wrap<VideoApi>(worker), rejects: new Set() };
    }
    return live;
  }

  function stop(message: string): void {
    if (!live) return;
    const { worker, rejects } = live;
    live = undefined;
    worker.terminate();
    for (const reject of rejects) reject(new AppError('CANCELLED', message));
  }

  /** Runs one call; it rejects with CANCELLED if the worker is stopped meanwhile. */
  function call<T>(fn: (api: Comlink.Remote<VideoApi>) => Promise<T>): Promise<T> {
    const l = start();
    return new Promise<T>((resolve, reject) => {
      l.rejects.add(reject);
      fn(l.api)
        .then(resolve, reject)
        .finally(() => l.rejects.delete(reject));
    });
  }

  const progress = (cb?: ProgressCallback) => (cb ? Comlink.proxy(cb) : undefined);

  return {
    probe(source) {
      const bytes = own(source);
      return call((api) => api.probe(Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer])));
    },
    extract(source, options, onProgress) {
      const bytes = own(source);
      return call((api) =>
        api.extract(Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]), options, progress(onProgress)),
      );
    },
    encode(set, options, onProgress) {
      const audio = options.audio ? { ...options.audio, source: own(options.audio.source) } : undefined;
      const opts: EncodeOptions = audio ? { ...options, audio } : options;
      const buffers = transferables(audio ? [...set.frames, audio.source] : set.frames);
      return call((api) => api.encode(Comlink.transfer(set, buffers), opts, progress(onProgress)));
    },
    cancel: () => stop('Cancelled.'),
    terminate: () => stop('The video worker was stopped.'),
  };
}
