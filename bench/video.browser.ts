/**
 * `npm run bench:video`, browser part: ffmpeg.wasm (single-threaded core, in the app's video worker) time to
 * load, to extract 16 frames at 512² (two_cats: no scaling; bedroom_two_kids 960×540: stride 2, scale + crop)
 * and to encode 16 frames to H.264. Median of a few runs; the node part adds native ffmpeg and the ratios.
 */
import { createVideoClient } from '../src/services/video-client';
import { fetchShared } from '../test/helpers/browser/shared';
import type { ExtractOptions, FrameSet } from '../src/core/protocol/video';

const REPEATS = 3;
const FRAMES = 16;
const SIZE = 512;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const video = createVideoClient();
  try {
    const cats = await fetchShared('clips/two_cats/source.mp4');
    const bedroom = await fetchShared('clips/bedroom_two_kids/source.mp4');
    let t = performance.now();
    await video.probe(cats.slice());
    const loadMs = performance.now() - t;
    log(`ffmpeg.wasm load + first probe: ${loadMs.toFixed(0)} ms`);

    const extractTimes = async (source: Uint8Array, options: ExtractOptions) => {
      const times: number[] = [];
      let set: FrameSet | undefined;
      for (let i = 0; i < REPEATS; i++) {
        t = performance.now();
        set = await video.extract(source.slice(), options);
        times.push(performance.now() - t);
      }
      return { ms: median(times), set: set! };
    };
    const square = { mode: 'square', size: SIZE } as const;
    const cat = await extractTimes(cats, { start: 0, frames: FRAMES, stride: 1, sizing: square });
    const bed = await extractTimes(bedroom, { start: 0, frames: FRAMES, stride: 2, sizing: square });
    const encodeTimes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REPEATS; i++) {
      const copy = { ...cat.set, frames: cat.set.frames.map((f) => f.slice()) };
      t = performance.now();
      bytes = (await video.encode(copy, { fps: copy.fps, crf: 18 })).byteLength;
      encodeTimes.push(performance.now() - t);
    }
    const encodeMs = median(encodeTimes);
    log(`| step (16 frames, 512², ffmpeg.wasm)          | median ms |`);
    log(`| extract two_cats (512×512, stride 1)         | ${cat.ms.toFixed(0).padStart(9)} |`);
    log(`| extract bedroom_two_kids (960×540, stride 2) | ${bed.ms.toFixed(0).padStart(9)} |`);
    log(`| encode H.264 (x264 veryfast, crf 18)         | ${encodeMs.toFixed(0).padStart(9)} |`);
    return {
      frames: FRAMES,
      size: SIZE,
      repeats: REPEATS,
      loadMs,
      extractMs: { two_cats: cat.ms, bedroom_two_kids: bed.ms },
      encodeMs,
      encodedBytes: bytes,
    };
  } finally {
    video.terminate();
  }
}
