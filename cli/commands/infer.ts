/**
 * `videograin infer <component> --model <dir> --inputs in.safetensors -o out.safetensors [--backend cpu]`
 * (DESIGN §9): runs one network built from a local diffusers folder on the given tensors and writes its
 * outputs. Names follow diffusers' arguments: input_ids → last_hidden_state; sample, timestep,
 * encoder_hidden_states[, down_block_additional_residuals.{i}, mid_block_additional_residual] → noise_pred;
 * + controlnet_cond, conditioning_scale → down_block_res_samples.{i}, mid_block_res_sample;
 * image → latent_mean, latent_std; latent → image.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliUsageError, type CliCommand } from '../command.ts';
import { intOption, parseCliArgs } from '../args.ts';
import {
  parseSafetensors,
  toFloat32,
  writeSafetensors,
  type TensorToWrite,
} from '../../src/core/tensors/safetensors.ts';
import {
  buildComponent,
  COMPONENTS,
  COMPONENT_INPUTS,
  type Component,
} from '../../workers/engine/models/components.ts';
import { cpuAttentionBackend } from '../../workers/engine/onnx/cpu-attention.ts';
import { runOnce, type HostTensor } from '../../workers/engine/onnx/runner.ts';

const usage = `usage: videograin infer <${COMPONENTS.join('|')}> --model <dir> --inputs in.safetensors -o out.safetensors
       [--backend cpu|webgpu] [--variant fp32|fp16] [--frames N] [--partitioned] [--taps]

  --model        a diffusers folder: the pipeline root (with unet/, text_encoder/, vae/) or the component's folder
  --variant      which weights file to read (default: fp32 if present, else fp16; fp16 is upcast to fp32)
  --frames       UNet only: frames per CFG half that self-attention spans jointly (default 1)
  --partitioned  UNet/ControlNet: cut the graph at its attention cores and run them with the CPU reference attention
  --taps         UNet/ControlNet: also write every module output under its diffusers module path
                 (e.g. down_blocks.0.attentions.0.out, ...attn1.to_q), to localise a difference
  --backend      cpu (Node, onnxruntime-web wasm, fp32); webgpu is not available from the CLI yet`;

const SUBFOLDER: Record<Component, string> = {
  text_encoder: 'text_encoder',
  unet: 'unet',
  controlnet: 'controlnet',
  vae_encoder: 'vae',
  vae_decoder: 'vae',
};

function componentFolder(model: string, component: Component): string {
  const sub = join(model, SUBFOLDER[component]);
  if (existsSync(join(sub, 'config.json'))) return sub;
  if (existsSync(join(model, 'config.json'))) return model;
  throw new CliUsageError(`${model} has neither ${SUBFOLDER[component]}/config.json nor config.json`);
}

function weightsFile(folder: string, variant: string | undefined): string {
  const names = ['diffusion_pytorch_model', 'model'];
  const suffixes = variant === 'fp16' ? ['.fp16'] : variant === 'fp32' ? [''] : ['', '.fp16'];
  for (const suffix of suffixes)
    for (const name of names) {
      const path = join(folder, `${name}${suffix}.safetensors`);
      if (existsSync(path)) return path;
    }
  throw new CliUsageError(
    `${folder} has no ${variant ?? ''} safetensors weights (diffusion_pytorch_model[.fp16].safetensors or model[.fp16].safetensors)`,
  );
}

/** Reads the inputs: token ids as int64, the timestep and conditioning_scale as float32 [1], the rest float32. */
function readInputs(bytes: Uint8Array, file: string): Map<string, HostTensor> {
  const header = parseSafetensors(bytes);
  const out = new Map<string, HostTensor>();
  for (const info of header.tensors.values()) {
    const values = toFloat32(bytes, info);
    if (info.name === 'input_ids') {
      out.set(info.name, { dims: info.shape, data: BigInt64Array.from(values, (v) => BigInt(Math.round(v))) });
    } else if (info.name === 'timestep' || info.name === 'conditioning_scale') {
      if (values.length === 0 || values.some((v) => v !== values[0]))
        throw new CliUsageError(`${file}: "${info.name}" must be one value (or the same value for every item)`);
      out.set(info.name, { dims: [1], data: Float32Array.of(values[0]!) });
    } else {
      out.set(info.name, { dims: info.shape, data: values });
    }
  }
  return out;
}

const command: CliCommand = {
  name: 'infer',
  summary: 'run one network (text encoder, UNet, ControlNet, VAE) on tensors from a safetensors file',
  usage,
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, {
      model: { type: 'string' },
      inputs: { type: 'string' },
      output: { type: 'string', short: 'o' },
      backend: { type: 'string', default: 'cpu' },
      variant: { type: 'string' },
      frames: { type: 'string' },
      partitioned: { type: 'boolean', default: false },
      taps: { type: 'boolean', default: false },
    });
    const component = positionals[0] as Component | undefined;
    if (!component || !COMPONENTS.includes(component) || positionals.length !== 1)
      throw new CliUsageError(
        `expected one component (${COMPONENTS.join(', ')}), got ${JSON.stringify(positionals.join(' '))}`,
      );
    if (!values.model || !values.inputs || !values.output)
      throw new CliUsageError('--model, --inputs and -o are required');
    if (values.backend === 'webgpu')
      throw new CliUsageError('--backend webgpu is not available from the CLI yet; use --backend cpu (the default)');
    if (values.backend !== 'cpu') throw new CliUsageError(`--backend must be cpu or webgpu, got "${values.backend}"`);
    if (values.variant !== undefined && values.variant !== 'fp16' && values.variant !== 'fp32')
      throw new CliUsageError(`--variant must be fp32 or fp16, got "${values.variant}"`);
    const frames = intOption(values.frames, 'frames', 1, 1, 64);
    for (const flag of ['partitioned', 'taps'] as const)
      if (values[flag] && component !== 'unet' && component !== 'controlnet')
        throw new CliUsageError(`--${flag} applies to unet and controlnet only`);

    const inputsBytes = new Uint8Array(
      await readFile(values.inputs).catch(() => {
        throw new CliUsageError(`cannot read --inputs ${values.inputs}`);
      }),
    );
    const inputs = readInputs(inputsBytes, values.inputs);
    for (const name of COMPONENT_INPUTS[component])
      if (!inputs.has(name))
        throw new CliUsageError(
          `${values.inputs} has no tensor "${name}" (${component} needs ${COMPONENT_INPUTS[component].join(', ')})`,
        );
    if (component === 'controlnet' && !inputs.has('conditioning_scale'))
      inputs.set('conditioning_scale', { dims: [1], data: Float32Array.of(1) });

    const folder = componentFolder(values.model, component);
    const weightsPath = weightsFile(folder, values.variant);
    const graph = buildComponent({
      component,
      config: JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as unknown,
      configFile: join(folder, 'config.json'),
      weights: new Uint8Array(await readFile(weightsPath)),
      weightsFile: weightsPath,
      shapes: new Map([...inputs].map(([k, v]) => [k, v.dims])),
      frames,
      taps: values.taps,
    });
    const used = new Set(graph.inputs.map((i) => i.name));
    const feeds = Object.fromEntries([...inputs].filter(([k]) => used.has(k)));
    const outputs = await runOnce(
      graph,
      feeds,
      values.partitioned ? { kind: 'partitioned', backend: cpuAttentionBackend } : { kind: 'whole' },
    );

    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, t] of outputs) tensors[name] = { dtype: 'F32', shape: t.dims, data: t.data as Float32Array };
    await writeFile(values.output, writeSafetensors(tensors, { component, model: values.model }));
    console.log(`${component}: wrote ${[...outputs.keys()].join(', ')} to ${values.output}`);
    return 0;
  },
};

export default command;
