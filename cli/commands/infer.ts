/**
 * `videograin infer <component> --model <dir> --inputs in.safetensors -o out.safetensors [--backend cpu|webgpu]`
 * (DESIGN §9): runs one network built from a local diffusers folder on the given tensors and writes its
 * outputs. Names follow diffusers' arguments: input_ids → last_hidden_state; sample, timestep,
 * encoder_hidden_states[, down_block_additional_residuals.{i}, mid_block_additional_residual] → noise_pred;
 * + controlnet_cond, conditioning_scale → down_block_res_samples.{i}, mid_block_res_sample;
 * image → latent_mean, latent_std; latent → image.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliUsageError, type CliCommand } from '../command';
import { fileRangeReader } from '../config/file-ranges';
import { intOption, parseCliArgs } from '../args';
import { checkInferInputs, tokenIds } from '../infer-inputs';
import { checkOutputPath, writeOutputFile } from '../output-path';
import { runWebGpuInfer } from '../edit/infer-webgpu';
import { ModelError } from '../../src/core/models/errors';
import {
  parseSafetensors,
  SafetensorsError,
  toFloat32,
  writeSafetensors,
  type TensorToWrite,
} from '../../src/core/tensors/safetensors';
import { buildComponent, COMPONENTS, COMPONENT_INPUTS, type Component } from '../../workers/engine/models/components';
import { WeightStore } from '../../workers/engine/models/weights';
import { cpuAttentionBackend } from '../../workers/engine/onnx/cpu-attention';
import { runOnce, type HostTensor } from '../../workers/engine/onnx/runner';

const usage = `usage: videograin infer <${COMPONENTS.join('|')}> --model <dir> --inputs in.safetensors -o out.safetensors
       [--backend cpu|webgpu] [--variant fp32|fp16] [--frames N] [--partitioned] [--taps]

  --model        a diffusers folder: the pipeline root (with unet/, text_encoder/, vae/) or the component's folder
  --variant      which weights file to read (default: fp32 if present, else fp16; fp16 is upcast to fp32)
  --frames       UNet only: frames per CFG half that self-attention spans jointly (default 1)
  --partitioned  UNet/ControlNet: cut the graph at its attention cores and run them with the CPU reference attention
  --taps         UNet/ControlNet: also write every module output under its diffusers module path
                 (e.g. down_blocks.0.attentions.0.out, ...attn1.to_q), to localise a difference
  --backend      cpu (default: Node, onnxruntime-web wasm, fp32) or webgpu (the app's engine in headless Chromium:
                 --model must be the pipeline root, or the ControlNet folder; UNet/ControlNet always run partitioned
                 with the WGSL attention kernels, so --partitioned changes nothing there)
  --chromium     browser for webgpu (default: $CHROMIUM_PATH or the system Chromium)`;

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
  let header;
  try {
    header = parseSafetensors(bytes, file);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CliUsageError(`--inputs ${e.message}`);
    throw e;
  }
  const out = new Map<string, HostTensor>();
  for (const info of header.tensors.values()) {
    const values = toFloat32(bytes, info);
    if (info.name === 'input_ids') {
      out.set(info.name, { dims: info.shape, data: tokenIds(values, file) });
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
      chromium: { type: 'string' },
    });
    const component = positionals[0] as Component | undefined;
    if (!component || !COMPONENTS.includes(component) || positionals.length !== 1)
      throw new CliUsageError(
        `expected one component (${COMPONENTS.join(', ')}), got ${JSON.stringify(positionals.join(' '))}`,
      );
    if (!values.model || !values.inputs || !values.output)
      throw new CliUsageError('--model, --inputs and -o are required');
    const webgpu = values.backend === 'webgpu';
    if (!webgpu && values.backend !== 'cpu')
      throw new CliUsageError(`--backend must be cpu or webgpu, got "${values.backend}"`);
    if (values.variant !== undefined && values.variant !== 'fp16' && values.variant !== 'fp32')
      throw new CliUsageError(`--variant must be fp32 or fp16, got "${values.variant}"`);
    const frames = intOption(values.frames, 'frames', 1, 1, 64);
    const output = checkOutputPath(values.output, [values.inputs]);
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
    checkOutputPath(values.output, [weightsPath, join(folder, 'config.json')]);
    const configFile = join(folder, 'config.json');
    let config: unknown;
    try {
      config = JSON.parse(await readFile(configFile, 'utf8')) as unknown;
    } catch (e) {
      throw new ModelError('MODEL_CONFIG_INVALID', `${configFile} is not valid JSON (${(e as Error).message})`, {
        file: configFile,
      });
    }
    checkInferInputs(component, inputs, config, configFile, values.inputs);
    if (webgpu) {
      // The engine loads a whole model: the pipeline root (or the ControlNet folder), not a component's folder.
      if (component !== 'controlnet' && folder === values.model)
        throw new CliUsageError(
          `--backend webgpu loads the whole pipeline: pass its root (with text_encoder/, unet/, vae/), not ${folder}`,
        );
      const result = await runWebGpuInfer({
        component,
        modelDir: resolve(component === 'controlnet' ? folder : values.model),
        precision: weightsPath.endsWith('.fp16.safetensors') ? 'fp16' : 'fp32',
        inputs: Object.fromEntries(inputs),
        frames,
        taps: values.taps,
        log: (line) => process.stderr.write(`${line}\n`),
        ...(values.chromium ? { chromium: values.chromium } : {}),
      });
      const tensors: Record<string, TensorToWrite> = {};
      for (const [name, t] of Object.entries(result))
        tensors[name] = { dtype: 'F32', shape: t.dims, data: t.data as Float32Array };
      writeOutputFile(output, writeSafetensors(tensors, { component, model: values.model, backend: 'webgpu' }));
      console.log(`${component}: wrote ${Object.keys(result).join(', ')} to ${values.output} (webgpu)`);
      return 0;
    }
    const graph = buildComponent({
      component,
      config,
      configFile: join(folder, 'config.json'),
      // Streamed: the header now, each tensor's byte range when the session is built (files over 2 GiB work).
      weights: await WeightStore.open(await fileRangeReader(weightsPath), weightsPath),
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
    ).catch((e: unknown) => {
      // onnxruntime's text names graph nodes, not the user's files: say which component and inputs failed.
      const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      throw new Error(`${component} on ${values.inputs} (weights ${weightsPath}): onnxruntime failed: ${why}`);
    });

    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, t] of outputs) tensors[name] = { dtype: 'F32', shape: t.dims, data: t.data as Float32Array };
    writeOutputFile(output, writeSafetensors(tensors, { component, model: values.model }));
    console.log(`${component}: wrote ${[...outputs.keys()].join(', ')} to ${values.output}`);
    return 0;
  },
};

export default command;
