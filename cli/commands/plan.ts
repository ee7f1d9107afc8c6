/**
 * `videograin plan --frames N --size S [--model <dir>] [--controlnet] …` (DESIGN §6, §9): the memory plan
 * without running. SD1.5 and ControlNet v1.1 configs are built in; `--model` reads a local diffusers folder's
 * configs and safetensors headers instead (validated like the app does on load).
 */
import { stat } from 'node:fs/promises';
import { CliUsageError, type CliCommand } from '../command';
import { intOption, parseCliArgs } from '../args';
import {
  parseControlNetConfig,
  parseTextEncoderConfig,
  parseUNetConfig,
  parseVaeConfig,
} from '../../src/core/models/configs';
import {
  SD15_CONTROLNET_CONFIG,
  SD15_TEXT_ENCODER_CONFIG,
  SD15_UNET_CONFIG,
  SD15_VAE_CONFIG,
} from '../../src/core/models/known-configs';
import { resolveModelFiles } from '../../src/core/models/resolve';
import { validateModel, type ValidatedModel } from '../../src/core/models/validate';
import {
  computePlan,
  DEFAULT_PLAN_OPTIONS,
  type Component,
  type PlanModel,
  type Precision,
} from '../../src/core/plan/plan';
import { formatPlan, planJson } from '../../src/core/plan/format';
import { headerParams } from '../../src/core/plan/model';
import { NodeFolderSource } from '../config/file-ranges';

async function loadLocal(dir: string, kind: 'sd15' | 'controlnet', precision: Precision): Promise<ValidatedModel> {
  const s = await stat(dir).catch(() => null);
  if (!s?.isDirectory()) throw new CliUsageError(`${dir} is not a folder (plan reads local diffusers folders only)`);
  const source = new NodeFolderSource(dir);
  return validateModel(source, kind, await resolveModelFiles(source, kind, precision));
}

const command: CliCommand = {
  name: 'plan',
  summary: 'peak GPU memory plan for an edit, without running',
  usage: [
    'usage: videograin plan --frames N [--size S] [--model <dir>] [--controlnet [--controlnet-model <dir>]]',
    '                       [--precision fp16|fp32] [--cfg sequential|batched] [--frame-chunk N] [--vae-chunk N]',
    '',
    '  --frames N          frames in the edit (1–64)',
    '  --size S            square frame size, a multiple of 64 (default 512)',
    '  --model <dir>       local SD1.5 diffusers folder (default: the built-in SD1.5 configs)',
    '  --controlnet        include a ControlNet (built-in v1.1 config, or --controlnet-model <dir>)',
    '  --precision         fp16 (adapters with shader-f16, default) or fp32',
    '  --cfg               sequential (default: the engine runs the CFG halves one after the other) or batched',
    '  --frame-chunk N     frames per chunk of per-frame work (default: all frames at once)',
    '  --vae-chunk N       frames per VAE pass (default 1)',
    '',
    'The engine checks this plan before each edit with the options it runs today: --precision fp32, the CFG mode',
    'of the run settings (sequential by default), --vae-chunk N = all frames, no frame chunking.',
    '',
    'Prints a table, then one JSON line: { frames, size, weightsBytes, peakActivationBytes, peakBytes, stages, … }.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, {
      frames: { type: 'string' },
      size: { type: 'string' },
      model: { type: 'string' },
      controlnet: { type: 'boolean' },
      'controlnet-model': { type: 'string' },
      precision: { type: 'string' },
      cfg: { type: 'string' },
      'frame-chunk': { type: 'string' },
      'vae-chunk': { type: 'string' },
    });
    if (positionals.length > 0) throw new CliUsageError(`unexpected argument "${positionals[0]}"`);
    if (values.frames === undefined) throw new CliUsageError('--frames N is required');
    const frames = intOption(values.frames, 'frames', 16, 1, 64);
    const size = intOption(values.size, 'size', 512, 64, 2048);
    if (size % 64 !== 0) throw new CliUsageError(`--size must be a multiple of 64, got ${size}`);
    const precision = (values.precision ?? 'fp16') as Precision;
    if (precision !== 'fp16' && precision !== 'fp32')
      throw new CliUsageError(`--precision must be fp16 or fp32, got "${precision}"`);
    const cfg = values.cfg ?? 'sequential';
    if (cfg !== 'sequential' && cfg !== 'batched')
      throw new CliUsageError(`--cfg must be sequential or batched, got "${cfg}"`);
    const frameChunk =
      values['frame-chunk'] === undefined ? null : intOption(values['frame-chunk'], 'frame-chunk', frames, 1, 64);
    const vaeChunk = intOption(values['vae-chunk'], 'vae-chunk', 1, 1, 64);
    const controlnet = values.controlnet === true || values['controlnet-model'] !== undefined;

    let model: PlanModel = {
      unet: parseUNetConfig(SD15_UNET_CONFIG),
      textEncoder: parseTextEncoderConfig(SD15_TEXT_ENCODER_CONFIG),
      vae: parseVaeConfig(SD15_VAE_CONFIG),
      controlnet: parseControlNetConfig(SD15_CONTROLNET_CONFIG),
    };
    const params: Partial<Record<Component, number>> = {};
    if (values.model) {
      const m = await loadLocal(values.model, 'sd15', precision);
      model = { ...model, unet: m.configs.unet!, textEncoder: m.configs.textEncoder!, vae: m.configs.vae! };
      Object.assign(params, {
        unet: headerParams(m.headers.get('unet.weights')),
        textEncoder: headerParams(m.headers.get('text_encoder.weights')),
        vae: headerParams(m.headers.get('vae.weights')),
      });
    }
    if (values['controlnet-model']) {
      const m = await loadLocal(values['controlnet-model'], 'controlnet', precision);
      model = { ...model, controlnet: m.configs.controlnet! };
      params.controlnet = headerParams(m.headers.get('controlnet.weights'));
    }
    const options = {
      ...DEFAULT_PLAN_OPTIONS,
      frames,
      height: size,
      width: size,
      precision,
      controlnet,
      cfg,
      frameChunk,
      vaeChunk,
      // The engine compiles one network per input shape: batched CFG keeps the UNet/ControlNet at F and 2F.
      denoiserCopies: cfg === 'batched' ? 2 : 1,
    } as const;
    const plan = computePlan({ ...model, params }, options);
    const batched =
      cfg === 'batched'
        ? null
        : computePlan({ ...model, params }, { ...options, cfg: 'batched', frameChunk: null, denoiserCopies: 2 });
    console.log(formatPlan(plan));
    if (batched)
      console.log(
        `for comparison, both CFG halves in one batch of ${2 * frames} frames, unchunked: peak ${(batched.peakBytes / 2 ** 30).toFixed(2)} GiB`,
      );
    console.log(JSON.stringify(planJson(plan, batched ? { cfgBatchedPeakBytes: batched.peakBytes } : {})));
    return 0;
  },
};

export default command;
