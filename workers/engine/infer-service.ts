/**
 * One network on given tensors (EngineApi.infer; `videograin infer --backend webgpu`, DESIGN §9): the graph
 * builder the CLI's CPU backend uses (./models/components.ts) over the files of a loaded model, compiled on the
 * engine's target, run once and released. On WebGPU the UNet and ControlNet run partitioned with the WGSL
 * attention cores, as in an edit (./pipeline/components-graph.ts); text encoder and VAE run whole.
 * A plain module: the target and attention backend are parameters, so Node runs it on the CPU too.
 */
import {
  INFER_COMPONENTS,
  type InferComponent,
  type InferRequest,
  type InferResultData,
} from '../../src/core/protocol/engine';
import { AppError } from '../../src/core/protocol/errors';
import { buildComponent, COMPONENT_INPUTS, type Component } from './models/components';
import type { AttentionBackend, GpuAttentionBackend, HostTensor } from './onnx/runner';
import { compilePartitioned, compileWhole } from './onnx/runner';
import type { ExecutionTarget } from './onnx/ort';

// The protocol's names and the builder's are the same networks (a compile error when they drift apart).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const SAME_COMPONENTS: Same<InferComponent, Component> = true;
void SAME_COMPONENTS;

/** Reads a diffusers folder by relative path; weights by their fp32 name (a loaded fp16 model maps them). */
export type InferModelReader = (relPath: string) => Promise<Uint8Array>;

export interface InferModels {
  /** The SD1.5 pipeline folder (text_encoder/, unet/, vae/). */
  readonly sd?: InferModelReader;
  /** A ControlNet folder (config.json + diffusion_pytorch_model.safetensors). */
  readonly controlnet?: InferModelReader;
}

export interface InferTarget {
  readonly target: ExecutionTarget;
  /** UNet/ControlNet run partitioned on this backend when given; whole graphs otherwise. */
  readonly attention?: AttentionBackend | GpuAttentionBackend;
}

const invalid = (message: string): never => {
  throw new AppError('INFER_INPUT_INVALID', message);
};

/** Where each network's files are in its model folder. */
function files(component: InferComponent): { config: string; weights: string } {
  switch (component) {
    case 'text_encoder':
      return { config: 'text_encoder/config.json', weights: 'text_encoder/model.safetensors' };
    case 'unet':
      return { config: 'unet/config.json', weights: 'unet/diffusion_pytorch_model.safetensors' };
    case 'controlnet':
      return { config: 'config.json', weights: 'diffusion_pytorch_model.safetensors' };
    case 'vae_encoder':
    case 'vae_decoder':
      return { config: 'vae/config.json', weights: 'vae/diffusion_pytorch_model.safetensors' };
  }
}

/** Component, required inputs and tensor sizes; what the builder cannot say in the user's terms. */
export function checkInferRequest(request: InferRequest): void {
  const { component, inputs } = request;
  if (!(INFER_COMPONENTS as readonly string[]).includes(component))
    invalid(`"${String(component)}" is not a network; use one of ${INFER_COMPONENTS.join(', ')}`);
  for (const name of COMPONENT_INPUTS[component])
    if (!inputs[name])
      invalid(`${component} needs a tensor "${name}" (it reads ${COMPONENT_INPUTS[component].join(', ')})`);
  for (const [name, t] of Object.entries(inputs)) {
    const n = t.dims.reduce((a, d) => a * d, 1);
    if (!t.dims.every((d) => Number.isInteger(d) && d >= 0) || t.data.length !== n)
      invalid(`tensor "${name}" has ${t.data.length} values for dims [${t.dims.join(', ')}]`);
    if (name === 'input_ids' && !(t.data instanceof BigInt64Array)) invalid('"input_ids" must be int64 token ids');
    if (name !== 'input_ids' && !(t.data instanceof Float32Array)) invalid(`"${name}" must be float32`);
  }
  if (request.frames !== undefined && !(Number.isInteger(request.frames) && request.frames >= 1))
    invalid(`frames is ${request.frames}; use a whole number ≥ 1`);
}

/** Compiles the component for the given inputs, runs it once and releases it. */
export async function runInfer(models: InferModels, request: InferRequest, on: InferTarget): Promise<InferResultData> {
  checkInferRequest(request);
  const { component } = request;
  const read = component === 'controlnet' ? models.controlnet : models.sd;
  if (!read)
    throw new AppError(
      'MODEL_NOT_LOADED',
      component === 'controlnet'
        ? 'Load a ControlNet before running the controlnet network.'
        : `Load a Stable Diffusion 1.5 model before running its ${component}.`,
    );
  const inputs: Record<string, HostTensor> = { ...request.inputs };
  if (component === 'controlnet' && !inputs.conditioning_scale)
    inputs.conditioning_scale = { dims: [1], data: Float32Array.of(1) };
  const where = files(component);
  const [config, weights] = await Promise.all([read(where.config), read(where.weights)]);
  const graph = buildComponent({
    component,
    config: JSON.parse(new TextDecoder().decode(config)) as unknown,
    configFile: where.config,
    weights,
    weightsFile: where.weights,
    shapes: new Map(Object.entries(inputs).map(([k, v]) => [k, v.dims])),
    frames: request.frames ?? 1,
    taps: request.taps ?? false,
  });
  const used = new Set(graph.inputs.map((i) => i.name));
  const feeds = Object.fromEntries(Object.entries(inputs).filter(([k]) => used.has(k)));
  const cores = component === 'unet' || component === 'controlnet';
  const net =
    cores && on.attention
      ? await compilePartitioned(graph, on.attention, { target: on.target })
      : await compileWhole(graph, { target: on.target });
  try {
    const out = await net.run(feeds);
    const outputs: Record<string, { dims: readonly number[]; data: Float32Array }> = {};
    for (const [name, t] of out) {
      if (!(t.data instanceof Float32Array)) throw new Error(`output "${name}" is not float32`);
      outputs[name] = { dims: t.dims, data: t.data };
    }
    return { outputs };
  } finally {
    await net.release();
  }
}
