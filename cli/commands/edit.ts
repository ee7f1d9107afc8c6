/**
 * `videograin edit --config <videograin.yaml> --model <dir> … -o out.mp4` (DESIGN §9): an official VideoGrain
 * config end to end — frames + masks + prompts → the engine's EditRequest (../edit/prepare.ts) → the engine's
 * edit service → MP4 through the app's video worker in headless Chromium. Backends: `cpu` — the edit service
 * in-process on the Node CPU components (../edit/cpu.ts); `webgpu` — the engine the UI uses, in the headless
 * page (../edit/webgpu.ts). Both refuse a bad request with the engine's codes (../edit/errors.ts).
 */
import { resolve } from 'node:path';
import { CliUsageError, type CliCommand } from '../command';
import { intOption, parseCliArgs } from '../args';
import { checkOutputPath, writeOutputFile } from '../output-path';
import { defaultSeed, readVideoGrainConfig } from '../config/videograin-yaml';
import { encodeMp4Headless } from '../edit/encode-mp4';
import { modelReader, runCpuEdit } from '../edit/cpu';
import { EditCancelledError, engineErrorForCli } from '../edit/errors';
import { editEventPrinter } from '../edit/events';
import { prepareEdit } from '../edit/prepare';
import { precomputeCondition } from '../config/condition-model';
import { readFlow } from './trajectories';
import type { FlowField } from '../../src/core/flow/trajectories';
import { flowsFromModelFolder } from '../config/flow-model';
import { preflight, runWebGpuEdit } from '../edit/webgpu';
import type { EditResultData } from '../../src/core/protocol/edit';
import { writeSafetensors } from '../../src/core/tensors/safetensors';
import { SETTINGS_LIMITS as LIMITS } from '../../src/core/settings/validate';

const usage = `usage: videograin edit --config <videograin.yaml> --model <dir> [options] -o out.mp4

Runs an official VideoGrain config end to end and writes the edited clip as an H.264 MP4.
Backends:
  cpu     (default) the engine's edit service in Node: onnxruntime wasm + the CPU reference attention —
          right for the tiny test models, very slow for SD1.5 at 512².
  webgpu  the engine the app uses, in headless Chromium (WebGPU kernels; the model folders are served to the
          page on 127.0.0.1 and loaded like a URL model source). Needs a WebGPU adapter in headless Chromium;
          the log names it. cpu stays the default: it needs no GPU, and on a software adapter (SwiftShader,
          as in CI) webgpu is the slower one — 64², 2 frames, 2 steps of the tiny model: ≈1 min vs ≈15 s.
YAML defaults (a flag overrides them): editing_config.num_inference_steps (--steps), guidance_scale
(--guidance), control_config.controlnet_conditioning_scale, editing_config.modulated_percentage (modulated
steps = round(p·steps); else the reference 15 of 50), the top-level seed (--seed; else
editing_config.sample_seeds[0]; else 0), dataset_config.negative_prompt (or "negative_promot").
FLATTEN: editing_config.flatten_res and old_qk turn on the flow-guided attention (DESIGN §3.6); it needs a
flow source (--flow, or --flow-model to compute it with RAFT); a config with flatten_res and none is refused,
or runs with --no-flatten (a deviation).

options:
  --config <file>          VideoGrain YAML (paths inside are relative to it; dataset_config.path a frames folder)
  --model <dir>            diffusers SD1.5-layout folder (text_encoder, unet, vae; tokenizer/ or the shared one)
  --controlnet <dir>       ControlNet folder (config.json + diffusion_pytorch_model.safetensors)
  --control-frames <dir>   condition images (default with --controlnet: the config's control_type computed from
                           the frames: canny with low/high_threshold, dwpose/openpose with hand/face, depth, depth_zoe)
  --condition-model <dir>  the estimator folder of control_type dwpose/openpose (yolox_l.onnx + dw-ll_ucoco_384.onnx),
                           depth or depth_zoe (the ONNX export with onnx/model.onnx); repeatable
  --encode-with sample|mean  VAE latent to invert (default sample, as the official code)
  --steps N                denoising steps (default editing_config.num_inference_steps, else 50)
  --guidance G             classifier-free guidance (default editing_config.guidance_scale, else 7.5)
  --size S                 S×S frames, short side scaled + centre crop; a multiple of 64 (default 512)
  --seed N                 noise seed (default: the YAML's seed, else sample_seeds[0], else 0)
  --edit K                 which editing_config.editing_prompts entry (default 0)
  --fps F                  frame rate of the MP4 (default 8)
  --crf C                  x264 quality 0–51 (default 18)
  --save-latents <file>    safetensors with z0, xT, latents, each [F, 4, S/8, S/8] F32
  --flow <file>            forward optical flow for FLATTEN, safetensors [F−1, 2, S, S] in pixels at the edit size
                           (channel 0 = x, 1 = y; the file's only tensor or one named "flow")
  --flow-model <dir>       or compute that flow from the edit's frames with a RAFT ONNX export in this folder
                           (raft_large.onnx; Node, onnxruntime wasm), for either backend
  --no-flatten             run a config's flatten_res without flow attention (a named deviation, warned)
  --tokenizer <dir>        CLIP tokenizer folder (default: <model>/tokenizer, else the shared SD1.5 one; with
                           webgpu it is served to the engine as the model's tokenizer/)
  --backend cpu|webgpu     see above (default cpu)
  --chromium PATH          browser for webgpu and the MP4 encode (default: $CHROMIUM_PATH or the system Chromium)
  -o <out.mp4>             output
Both backends run the app's edit service: a refused request is one line ending with the engine's code
(e.g. LAYOUT_INVALID), exit 2. Progress goes to stderr; stdout gets one summary line.`;

const flowsOf = (f: FlowField) => ({ dims: [f.pairs, 2, f.height, f.width] as const, data: f.data });

function numberOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new CliUsageError(`--${name} must be a number in [${min}, ${max}], got "${value}"`);
  return n;
}

const command: CliCommand = {
  name: 'edit',
  summary: 'run a VideoGrain config end to end (--backend cpu or webgpu) and write the MP4',
  usage,
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, {
      config: { type: 'string' },
      model: { type: 'string' },
      controlnet: { type: 'string' },
      'control-frames': { type: 'string' },
      'condition-model': { type: 'string', multiple: true },
      'encode-with': { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      edit: { type: 'string' },
      fps: { type: 'string' },
      crf: { type: 'string' },
      'save-latents': { type: 'string' },
      flow: { type: 'string' },
      'flow-model': { type: 'string' },
      'no-flatten': { type: 'boolean' },
      tokenizer: { type: 'string' },
      backend: { type: 'string' },
      chromium: { type: 'string' },
      output: { type: 'string', short: 'o' },
    });
    if (positionals.length > 0) throw new CliUsageError(`unexpected argument "${positionals[0]}" (see --help)`);
    const backend = values.backend ?? 'cpu';
    if (backend !== 'cpu' && backend !== 'webgpu')
      throw new CliUsageError(`--backend must be cpu or webgpu, got "${backend}"`);
    if (!values.config) throw new CliUsageError('--config <videograin.yaml> is required');
    if (!values.model) throw new CliUsageError('--model <dir> is required');
    if (!values.output) throw new CliUsageError('-o out.mp4 is required');
    const encodeWith = values['encode-with'] ?? 'sample';
    if (encodeWith !== 'sample' && encodeWith !== 'mean')
      throw new CliUsageError(`--encode-with must be sample or mean, got "${encodeWith}"`);
    const size = intOption(values.size, 'size', 512, 64, 2048);
    if (size % 64 !== 0) throw new CliUsageError(`--size must be a multiple of 64, got ${size}`);
    const steps =
      values.steps === undefined ? undefined : intOption(values.steps, 'steps', 50, LIMITS.steps.min, LIMITS.steps.max);
    const guidance = numberOption(values.guidance, 'guidance', LIMITS.guidance.min, LIMITS.guidance.max);
    const fps = numberOption(values.fps, 'fps', 0.1, 240) ?? 8;
    const crf = intOption(values.crf, 'crf', 18, 0, 51);
    const output = resolve(values.output);

    const config = readVideoGrainConfig(values.config);
    // Outputs before any work: never an input, a folder, or a missing/read-only folder (cli/output-path.ts).
    checkOutputPath(values.output, [config.configPath, config.framesPath]);
    const latentsPath =
      values['save-latents'] === undefined
        ? undefined
        : checkOutputPath(values['save-latents'], [config.configPath, config.framesPath, output], '--save-latents');
    const editIndex = intOption(values.edit, 'edit', 0, 0, config.editingPrompts.length - 1);
    const yamlSeed = defaultSeed(config);
    const seed = intOption(values.seed, 'seed', yamlSeed.seed, LIMITS.seed.min, LIMITS.seed.max);
    // The folders first: a wrong path is one line before any frame is read.
    const modelDir = resolve(values.model);
    const controlnetDir = values.controlnet ? resolve(values.controlnet) : undefined;
    modelReader(modelDir, 'model');
    if (controlnetDir) modelReader(controlnetDir, 'controlnet');
    const conditionModelDirs = (values['condition-model'] ?? []).map((d) => resolve(d));
    if (values.flow && values['flow-model']) throw new CliUsageError('give --flow or --flow-model, not both');
    const flowModelDir = values['flow-model'] ? resolve(values['flow-model']) : undefined;
    if (flowModelDir) modelReader(flowModelDir, 'flow-model');
    const prepared = prepareEdit({
      config,
      editIndex,
      size,
      modelDir,
      ...(values.tokenizer ? { tokenizerDir: values.tokenizer } : {}),
      controlnet: controlnetDir !== undefined,
      ...(values['control-frames'] ? { controlFramesDir: resolve(values['control-frames']) } : {}),
      conditionModelDirs: conditionModelDirs,
      ...(steps !== undefined ? { steps } : {}),
      ...(guidance !== undefined ? { guidance } : {}),
      seed,
      encodeWith,
      returnLatents: values['save-latents'] !== undefined,
      ...(values.flow ? { flows: flowsOf(readFlow(resolve(values.flow))) } : {}),
      ...(values['no-flatten'] ? { noFlatten: true } : {}),
      ...(flowModelDir ? { flowModel: true } : {}),
    });
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const request =
      flowModelDir && prepared.request.settings.flatten
        ? {
            ...prepared.request,
            flows: await flowsFromModelFolder(flowModelDir, prepared.request.frames, size, size, (done, total) =>
              log(`flow (RAFT) ${done}/${total}`),
            ),
          }
        : prepared.request;
    for (const w of prepared.warnings) log(`warning: ${w}`);
    const F = request.frames.length;
    const seedFrom = values.seed === undefined && yamlSeed.from !== 'default' ? ` (${yamlSeed.from})` : '';
    log(
      `editing ${F} frames ${size}×${size}, ${request.settings.steps} steps, guidance ${request.settings.guidance}, ` +
        `seed ${seed}${seedFrom}, condition ${request.settings.condition.kind}, ` +
        `flatten ${request.settings.flatten ? `[${request.settings.flatten.resolutions.join(', ')}] old_qk ${request.settings.flatten.oldQk ? 1 : 0}` : 'off'}, backend ${backend}`,
    );
    const saveLatents = (result: EditResultData) => {
      if (!values['save-latents']) return;
      const latents = result.latents;
      if (!latents) throw new Error('the engine returned no latents for --save-latents');
      const shape = [F, 4, size / 8, size / 8];
      const t = (data: Float32Array) => ({ dtype: 'F32' as const, shape, data });
      const bytes = writeSafetensors({ z0: t(latents.z0), xT: t(latents.xT), latents: t(latents.final) });
      writeOutputFile(latentsPath ?? resolve(values['save-latents']), bytes);
    };
    const summary = (bytes: number) =>
      console.log(`wrote ${values.output}: ${F} frames ${size}×${size} at ${fps} fps (${bytes} bytes)`);
    const models = {
      modelDir,
      ...(controlnetDir ? { controlnetDir } : {}),
      tokenizerDir: prepared.tokenizerDir,
      conditionModelDirs,
    };
    const chromium = values.chromium ? { chromium: values.chromium } : {};

    let mp4Bytes: number;
    try {
      if (backend === 'webgpu') {
        // The engine's own checks before a browser starts and models load.
        preflight(request, prepared.tokenizerDir);
        // Estimator conditions run in Node (wasm) and travel as the request's condition images.
        const withMaps = await precomputeCondition(request, conditionModelDirs, log);
        const done = await runWebGpuEdit({ request: withMaps, ...models, output, fps, crf, log, ...chromium });
        saveLatents(done.result);
        mp4Bytes = done.mp4Bytes;
      } else {
        const result = await runCpuEdit(request, models, editEventPrinter(log));
        saveLatents(result);
        log('encoding MP4…');
        mp4Bytes = await encodeMp4Headless({
          frames: result.frames,
          width: size,
          height: size,
          fps,
          crf,
          output,
          log,
          ...chromium,
        });
      }
    } catch (e) {
      const err = e instanceof EditCancelledError ? e : engineErrorForCli(e);
      if (!(err instanceof EditCancelledError)) throw err;
      log('videograin edit: cancelled');
      return 130;
    }
    summary(mp4Bytes);
    return 0;
  },
};

export default command;
