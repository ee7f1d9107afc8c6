/**
 * `videograin infer <component> --backend webgpu`: the engine the app uses (EngineApi.infer) in the headless
 * page (./engine-page.ts). The model folder is mounted and loaded like a URL model source — the SD1.5 pipeline
 * root for text_encoder, unet and the VAE, the ControlNet folder for controlnet — and the tensors travel as one
 * safetensors file each way (src/headless/infer-transfer.ts), under the CPU backend's names (DESIGN §9).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineErrorForCli } from './errors';
import { loadFolderModel, openEnginePage, type EnginePage, type Globals } from './engine-page';
import { tokenizerDir } from './prepare';
import type { InferComponent, InferTensor } from '../../src/core/protocol/engine';
import type { WeightsPrecision } from '../../src/core/models/files';
import { deserializeError } from '../../src/core/protocol/errors';
import { HEADLESS_GLOBAL } from '../../src/headless/types';
import { packInferTensors, unpackInferTensors, type InferJob } from '../../src/headless/infer-transfer';

export interface WebGpuInferOptions {
  readonly component: InferComponent;
  /** sd15: the pipeline root; controlnet: the ControlNet folder. */
  readonly modelDir: string;
  readonly precision: WeightsPrecision;
  readonly inputs: Readonly<Record<string, InferTensor>>;
  readonly frames?: number;
  readonly taps?: boolean;
  readonly log: (line: string) => void;
  readonly chromium?: string;
}

export async function runWebGpuInfer(opts: WebGpuInferOptions): Promise<Record<string, InferTensor>> {
  const { log } = opts;
  const tmp = mkdtempSync(join(tmpdir(), 'vg-infer-webgpu-'));
  let page: EnginePage | undefined;
  try {
    page = await openEnginePage({ log, ...(opts.chromium ? { chromium: opts.chromium } : {}) });
    const controlnet = opts.component === 'controlnet';
    log(
      `${controlnet ? 'controlnet' : 'model'}: ${await loadFolderModel(page, {
        kind: controlnet ? 'controlnet' : 'sd15',
        dir: opts.modelDir,
        precision: opts.precision,
        ...(controlnet ? {} : { tokenizerDir: tokenizerDir({ modelDir: opts.modelDir }) }),
      })}`,
    );
    const { server } = page.session;
    const inputFile = join(tmp, 'inputs.safetensors');
    const outputFile = join(tmp, 'outputs.safetensors');
    writeFileSync(inputFile, packInferTensors(opts.inputs));
    const out = server.addOutput(outputFile);
    const job: InferJob = {
      inputUrl: server.addInput(inputFile),
      outputUrl: out.url,
      component: opts.component,
      ...(opts.frames !== undefined ? { frames: opts.frames } : {}),
      ...(opts.taps ? { taps: true } : {}),
    };
    const outcome = await page.session.page.evaluate(
      ({ g, job }) => (globalThis as unknown as Globals)[g]!.engine.infer(job),
      { g: HEADLESS_GLOBAL, job },
    );
    if (!outcome.ok) throw engineErrorForCli(deserializeError(outcome.error));
    await out.written;
    return unpackInferTensors(new Uint8Array(readFileSync(outputFile)));
  } finally {
    await page?.session.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}
