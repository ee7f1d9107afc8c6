/**
 * The edit pipeline's inversion and denoising loops driven by the fixed fake model of
 * scheduler_v019.safetensors, ε(x, t) = 0.1·x + 0.01·(t/1000), through the `Components` interface:
 * - invertLatents (50 steps) reproduces diffusers 0.19's 49-step inversion loop (`loop.inverse_final`), and the
 *   denoising loop with guidance 1 and a full blend mask reproduces the 50-step DDIM loop (`loop.ddim_final`);
 * - with a model smooth in t, inverting then sampling reconstructs the start latent, far better than sampling
 *   the same x_T with a mismatched step count. (The random tiny UNet is not smooth in t — its sinusoidal time
 *   embedding changes within one timestep — so it does not round-trip; pipeline-edit.test.ts logs that figure.)
 */
import { describe, expect, it } from 'vitest';
import type { Components, UNetCall } from '../../workers/engine/pipeline/components';
import { cpuTensorRuntime } from '../../workers/engine/tensors/cpu-ops';
import { cpuTensor, type DeviceTensor } from '../../workers/engine/tensors/device-tensor';
import { denoise } from '../../workers/engine/pipeline/edit-denoise';
import { invertLatents } from '../../workers/engine/pipeline/invert';
import type { PreparedModulation } from '../../workers/engine/pipeline/modulation';
import { describeShared } from '../helpers/node/shared';
import { goldenTensor } from './models-golden';

const f32 = Math.fround;
const G = 'scheduler_v019.safetensors';

function fakeComponents(seen: number[]): Components {
  const unsupported = () => Promise.reject(new Error('not used'));
  return {
    runtime: cpuTensorRuntime(),
    textChannels: 1,
    scalingFactor: 0.18215,
    encodeText: unsupported,
    unet: (call: UNetCall) => {
      seen.push(call.t);
      const bias = f32(f32(0.01) * f32(call.t / 1000));
      const k = f32(0.1);
      if (call.sample.location !== 'cpu') throw new Error('CPU tensors only');
      return Promise.resolve(
        cpuTensor(
          call.sample.data.map((v) => f32(k * v) + bias),
          call.sample.dims,
        ),
      );
    },
    vaeEncode: unsupported,
    vaeDecode: unsupported,
    release: () => Promise.resolve(),
  };
}

const noModulation: PreparedModulation = {
  frames: 2,
  modulatedCount: 0,
  selfBranch: 'uncond',
  wSelf: 0.3,
  wCross: 1,
  resolutions: [],
};
const shape = { frames: 2, channels: 4, height: 16, width: 16 };
const text = cpuTensor(new Float32Array(2 * 77), [2, 77, 1]);
const latent = (x: Float32Array) => cpuTensor(x, [2, 4, 16, 16]);
const values = (t: DeviceTensor) => {
  if (t.location !== 'cpu') throw new Error('CPU tensors only');
  return t.data;
};

async function roundTrip(x0: Float32Array, inverseSteps: number, samplingSteps: number, seen: number[] = []) {
  const components = fakeComponents(seen);
  const inv = await invertLatents({
    components,
    z0: latent(x0),
    frames: 2,
    sourceCond: cpuTensor(new Float32Array(77), [1, 77, 1]),
    steps: inverseSteps,
  });
  const latents = await denoise({
    components,
    shape,
    latentsT: inv.latentsT,
    steps: samplingSteps,
    guidance: 1,
    unetText: text,
    controlText: text,
    modulation: noModulation,
    blendMask: cpuTensor(new Float32Array(2 * 256).fill(1), [2, 16, 16]),
    z0Mean: latent(x0),
    seed: 0,
  });
  return { inv: { latentsT: values(inv.latentsT) }, latents: values(latents) };
}

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describeShared('edit loops vs diffusers 0.19 loops (fake model)', () => {
  it('49 inversion calls at t = 1…961 → loop.inverse_final; 50 sampling calls → loop.ddim_final', async () => {
    const seen: number[] = [];
    const { inv, latents } = await roundTrip(goldenTensor(G, 'loop.x0').data, 50, 50, seen);
    const invT = goldenTensor(G, 'loop.inverse_step_timesteps').data;
    const ddimT = goldenTensor(G, 'loop.ddim_step_timesteps').data;
    expect(seen).toEqual([...invT, ...ddimT]);
    const invRef = goldenTensor(G, 'loop.inverse_final').data;
    const ddimRef = goldenTensor(G, 'loop.ddim_final').data;
    expect(maxAbsDiff(inv.latentsT, invRef)).toBeLessThanOrEqual(1e-5 * maxAbs(invRef));
    expect(maxAbsDiff(latents, ddimRef)).toBeLessThanOrEqual(1e-5 * maxAbs(ddimRef));
  });
});

describe('DDIM round trip with a model smooth in t', () => {
  it('invert + sample with the same step count reconstructs x0; a wrong step count does not', async () => {
    const x0 = Float32Array.from({ length: 2 * 4 * 256 }, (_, i) => Math.sin(i * 0.37) * 1.5);
    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    const err = (a: Float32Array) => rms(a.map((v, i) => v - x0[i]!)) / rms(x0);
    const six = err((await roundTrip(x0, 6, 6)).latents);
    const fifty = err((await roundTrip(x0, 50, 50)).latents);
    const wrong = err((await roundTrip(x0, 6, 4)).latents);
    console.log(
      `round trip rel. RMS error: 6 steps ${six.toExponential(2)}, 50 steps ${fifty.toExponential(2)}, ` +
        `6-step inversion sampled with 4 steps ${wrong.toExponential(2)}`,
    );
    // Measured 8.9e-2 (6 steps), 1.7e-2 (50 steps), 2.0e-1 (mismatched): DDIM inversion's error is first order
    // in the step size (ε is evaluated at the source, not the target, of each inverse step).
    expect(six).toBeLessThan(0.12);
    expect(fifty).toBeLessThan(0.025);
    expect(wrong).toBeGreaterThan(2 * six);
  });
});
