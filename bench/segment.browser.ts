/**
 * `npm run bench:segment` (issue 18): the segmenter through the engine API on the machine's WebGPU adapter,
 * with the tiny SAM 2.1 stand-in (test/fixtures/tiny-sam2.ts: the export's names and 1024² input/embedding
 * shapes, ~0.1 GFLOP of random-weight pooling + 1×1 convolutions instead of Hiera, so the figures measure the
 * pipeline — preprocessing, session runs, embedding readback, mask post-processing — not SAM's network).
 * 512² frames (the edit size), 8 frames:
 * - encoder ms per frame: the first click on each frame (encoder + its host readback);
 * - decoder ms per click: clicks on a frame whose embedding is cached;
 * - tracking ms per frame: a forward track over the clip with cold embeddings (encoder included), and again with
 *   the embeddings cached.
 */
import { createEngineApi } from '../workers/engine/api';
import { tinySam2Files } from '../test/fixtures/tiny-sam2';

const SIZE = 512;
const FRAMES = 8;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function frame(seed: number): Uint8Array {
  return Uint8Array.from({ length: SIZE * SIZE * 4 }, (_, i) => (i * 13 + seed * 71) % 256);
}

export async function run(log: (line: string) => void): Promise<Record<string, unknown>> {
  const engine = createEngineApi();
  const status = await engine.init();
  if (status.state !== 'ready') throw new Error(`no WebGPU: ${status.state}`);
  log(`adapter: ${status.adapterLabel}`);
  // The export's 1024² input on hardware adapters; 256² on a software one (1024² takes minutes per frame there).
  const software = status.gpu.isFallbackAdapter || /swiftshader/i.test(status.adapterLabel);
  const inputSize = software ? 256 : 1024;
  log(`stand-in input ${inputSize}²${software ? ' (software adapter)' : ''}`);
  const files = Object.entries(tinySam2Files({ inputSize })).map(
    ([path, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], path.split('/').pop()!),
  );
  await engine.loadModel({ kind: 'sam2', source: { type: 'local', files, name: 'tiny-sam2' }, precision: 'auto' });
  const frames = Array.from({ length: FRAMES }, (_, f) => frame(f));
  const point = { x: SIZE / 2, y: SIZE / 2, label: 1 as const };
  try {
    // Warm-up: compiles the sessions' shaders (first runs) on a clip key of its own.
    await engine.segment({
      clipKey: 'warm',
      frameIndex: 0,
      frame: frames[0]!,
      width: SIZE,
      height: SIZE,
      points: [point],
    });

    const encoder: number[] = [];
    for (let f = 0; f < 4; f++) {
      const r = await engine.segment({
        clipKey: 'enc',
        frameIndex: f,
        frame: frames[f]!,
        width: SIZE,
        height: SIZE,
        points: [point],
      });
      encoder.push(r.encoderMs);
    }
    const decoder: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await engine.segment({
        clipKey: 'enc',
        frameIndex: 0,
        frame: frames[0]!,
        width: SIZE,
        height: SIZE,
        points: [{ x: 100 + 30 * i, y: 200, label: 1 }],
      });
      if (!r.embeddingCached) throw new Error('the embedding was not cached');
      decoder.push(r.decoderMs);
    }
    const start = await engine.segment({
      clipKey: 'track',
      frameIndex: 0,
      frame: frames[0]!,
      width: SIZE,
      height: SIZE,
      points: [point],
    });
    const request = {
      clipKey: 'track',
      frames,
      width: SIZE,
      height: SIZE,
      startFrame: 0,
      startMask: start.candidates[0]!.mask,
      direction: 'forward' as const,
      thresholds: { minScore: 0.7, minIou: 0.5 },
    };
    let t = performance.now();
    const cold = await engine.track(request);
    const trackMsPerFrame = (performance.now() - t) / (FRAMES - 1);
    if (cold.status.some((s) => s !== 'ok')) throw new Error(`tracking stopped: ${JSON.stringify(cold.stops)}`);
    t = performance.now();
    await engine.track(request);
    const trackMsPerFrameCached = (performance.now() - t) / (FRAMES - 1);

    const result = {
      adapter: status.adapterLabel,
      model: `tiny SAM 2.1 stand-in (the export's names, ${inputSize}² input, random weights)`,
      frameSize: SIZE,
      inputSize,
      frames: FRAMES,
      encoderMsPerFrame: +median(encoder).toFixed(1),
      decoderMsPerClick: +median(decoder).toFixed(1),
      trackMsPerFrame: +trackMsPerFrame.toFixed(1),
      trackMsPerFrameCached: +trackMsPerFrameCached.toFixed(1),
    };
    log('| measure | ms |');
    log('|---|---|');
    log(`| encoder per frame (median of 4) | ${result.encoderMsPerFrame} |`);
    log(`| decoder per click (median of 10, cached embedding) | ${result.decoderMsPerClick} |`);
    log(`| tracking per frame (cold embeddings, encoder included) | ${result.trackMsPerFrame} |`);
    log(`| tracking per frame (cached embeddings) | ${result.trackMsPerFrameCached} |`);
    return result;
  } finally {
    await engine.releaseSegmenter();
    engine.gpu?.device.destroy();
  }
}
