/**
 * The depth conditions on WebGPU (issue 16): the tiny MiDaS / ZoeDepth stand-ins (the exports' names;
 * test/fixtures/tiny-depth.ts) opened on the test's device give the same 8-bit maps as on onnxruntime's wasm
 * backend for one 64² frame (within 1 level: float rounding of the convolution), the Zoe map is the inverse of
 * the MiDaS one for this stand-in, and every session's GPU buffer is released.
 */
import { afterEach, expect, it } from 'vitest';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel } from '../../src/core/models/validate';
import { estimateDepthMaps } from '../../workers/engine/conditions/depth';
import type { ExecutionTarget } from '../../workers/engine/onnx/ort';
import { openOnnxModel } from '../../workers/engine/onnx-models/session';
import { tinyMidasFiles, tinyZoeFiles } from '../fixtures/tiny-depth';
import { MemorySource } from '../helpers/memory-source';
import { startGpuTest, type GpuHarness } from '../helpers/browser/gpu-harness';

const S = 64;
let gpu: GpuHarness | undefined;

afterEach(async () => {
  await gpu?.finish();
  gpu = undefined;
});

async function maps(kind: 'depth' | 'depth_zoe', target: ExecutionTarget, frame: Uint8Array) {
  const modelKind = kind === 'depth' ? 'midas' : 'zoe';
  const source = new MemorySource(kind === 'depth' ? tinyMidasFiles() : tinyZoeFiles(), `tiny-${modelKind}`);
  const model = await openOnnxModel(
    await validateModel(source, modelKind, await resolveModelFiles(source, modelKind)),
    target,
  );
  try {
    return (await estimateDepthMaps(kind, [frame], S, S, model))[0]!;
  } finally {
    await model.release();
  }
}

it('MiDaS and ZoeDepth stand-ins: WebGPU equals wasm', async () => {
  gpu = await startGpuTest();
  const frame = new Uint8Array(S * S * 4);
  for (let p = 0; p < S * S; p++) frame.set([(p % S) * 4, ((p / S) | 0) * 2, 90, 255], p * 4);
  for (const kind of ['depth', 'depth_zoe'] as const) {
    const t0 = performance.now();
    const onGpu = await maps(kind, { kind: 'webgpu', device: gpu.device }, frame);
    console.info(`[depth] ${kind}, one 64² frame on WebGPU: ${(performance.now() - t0).toFixed(0)} ms`);
    const onCpu = await maps(kind, { kind: 'cpu' }, frame);
    let worst = 0;
    for (let i = 0; i < onGpu.length; i++) worst = Math.max(worst, Math.abs(onGpu[i]! - onCpu[i]!));
    expect(worst, kind).toBeLessThanOrEqual(1);
    const row = (x: number) => onGpu[(32 * S + x) * 4]!;
    // Brighter to the right: MiDaS (min–max) rises, Zoe (inverted) falls.
    if (kind === 'depth') expect(row(63)).toBeGreaterThan(row(0) + 100);
    else expect(row(0)).toBeGreaterThan(row(63) + 100);
  }
  expect(gpu.liveBuffers()).toBe(0);
});
