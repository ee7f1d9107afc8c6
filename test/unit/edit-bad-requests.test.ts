/**
 * One table of bad edit requests, refused alike by the app's path and the CLI's (issue 11: one edit entry
 * point). Each row is a mistake and the code the engine gives it (src/core/protocol/error-codes.ts). Every row
 * runs:
 *  - through the engine's edit service as the app calls it (createEditService with loaded models; the Node
 *    CPU components stand in for WebGPU, as in edit-service.test.ts);
 *  - through the CLI's CPU backend (cli/edit/cpu.ts `runCpuEdit`, what `videograin edit --backend cpu` calls),
 *    whose error the CLI turns into the exit the catalog gives (2 for user-caused codes);
 * and rows a user can make on the command line (a YAML value, a flag) also run the real
 * `videograin edit --backend cpu` process: exit 2 and one line ending with the same code.
 * The base request is the CLI's own (cli/edit/prepare.ts) for a tiny cutie_judo config: 2 frames at 64², the
 * fighters (DAVIS mask) and background regions, canny ControlNet, tiny-sd + tiny-controlnet.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decode, encode } from 'fast-png';
import { CliUsageError } from '../../cli/command';
import { readVideoGrainConfig } from '../../cli/config/videograin-yaml';
import { runCpuEdit, type CpuEditModels } from '../../cli/edit/cpu';
import { engineErrorForCli } from '../../cli/edit/errors';
import { prepareEdit } from '../../cli/edit/prepare';
import type { EditRequest } from '../../src/core/protocol/edit';
import type { LoadedModelInfo } from '../../src/core/protocol/engine';
import type { ModelKind } from '../../src/core/models/files';
import { exitCodeFor, isUserCaused, type ErrorCode } from '../../src/core/protocol/errors';
import { createEditService, type EditService } from '../../workers/engine/edit-service';
import { createNodeComponents } from '../../workers/engine/pipeline/components-node';
import { describeShared, readShared, REPO_DIR, sharedPath } from '../helpers/node/shared';

const TARGET = 'two judo fighters on a blue mat';
const SIZE = 64;

interface CliForm {
  /** editing_prompts[0]. */
  readonly prompts?: readonly string[];
  /** Extra YAML lines under editing_config. */
  readonly editing?: string;
  /** Extra lines of a control_config section. */
  readonly control?: string;
  /** Extra flags (dir: the test's temp folder). */
  readonly args?: (dir: string) => string[];
}

interface BadRequest {
  readonly name: string;
  readonly code: ErrorCode;
  /** The mistake in the request the app (or the CLI) sends. */
  readonly request: (base: EditRequest) => EditRequest;
  /** The same mistake made on the command line, where a user can make it. */
  readonly cli?: CliForm;
}

const withSettings = (base: EditRequest, s: Partial<EditRequest['settings']>): EditRequest => ({
  ...base,
  settings: { ...base.settings, ...s },
});

const BAD_REQUESTS: readonly BadRequest[] = [
  {
    name: 'a region prompt that is not in the target prompt',
    code: 'LAYOUT_INVALID',
    request: (b) => ({ ...b, regions: b.regions.map((r, i) => (i === 0 ? { ...r, prompt: 'wrestlers' } : r)) }),
    cli: { prompts: [TARGET, 'wrestlers', 'blue mat'] },
  },
  {
    name: 'a negative guidance scale',
    code: 'EDIT_INPUT_INVALID',
    request: (b) => withSettings(b, { guidance: -1 }),
    cli: { editing: 'guidance_scale: -1' },
  },
  {
    name: 'zero denoising steps',
    code: 'EDIT_INPUT_INVALID',
    request: (b) => withSettings(b, { steps: 0, modulatedSteps: null }),
    cli: { editing: 'num_inference_steps: 0' },
  },
  {
    name: 'a negative ControlNet conditioning scale',
    code: 'EDIT_INPUT_INVALID',
    request: (b) => withSettings(b, { condition: { ...b.settings.condition, scale: -0.5 } }),
    cli: { control: 'controlnet_conditioning_scale: -0.5' },
  },
  {
    name: 'fewer condition images than frames',
    code: 'EDIT_INPUT_INVALID',
    request: (b) =>
      withSettings({ ...b, conditionFrames: [b.frames[0]!] }, { condition: { kind: 'frames', scale: 1 } }),
    cli: { args: (dir) => ['--control-frames', join(dir, 'one-control-frame')] },
  },
  {
    name: 'a frame of the wrong size',
    code: 'EDIT_INPUT_INVALID',
    request: (b) => ({ ...b, frames: [b.frames[0]!, b.frames[1]!.subarray(4)] }),
  },
  {
    name: 'a frame size that is not a multiple of 64',
    code: 'EDIT_INPUT_INVALID',
    request: (b) => ({ ...b, width: 96 }),
  },
  {
    name: 'a region with fewer masks than frames',
    code: 'EDIT_INPUT_INVALID',
    request: (b) => ({ ...b, regions: b.regions.map((r, i) => (i === 1 ? { ...r, masks: r.masks.slice(1) } : r)) }),
  },
  {
    name: 'no regions',
    code: 'EDIT_INPUT_INVALID',
    request: (b) => ({ ...b, regions: [] }),
  },
  {
    name: 'more modulated steps than steps',
    code: 'EDIT_INPUT_INVALID',
    request: (b) => withSettings(b, { modulatedSteps: b.settings.steps + 1 }),
  },
  {
    name: 'a depth condition (no depth estimator yet)',
    code: 'CONDITION_UNAVAILABLE',
    request: (b) => withSettings(b, { condition: { kind: 'depth', scale: 1 } }),
  },
];

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the edit to be refused');
}

const codeOf = (e: unknown) => (e as { code?: unknown }).code;

test('the table: every code is in the catalog, and every CLI-expressible mistake is user-caused', () => {
  for (const row of BAD_REQUESTS) if (row.cli) expect(isUserCaused(row.code), row.name).toBe(true);
  expect(new Set(BAD_REQUESTS.map((r) => r.name)).size).toBe(BAD_REQUESTS.length);
});

describeShared('bad edit requests: the app and `videograin edit --backend cpu` refuse them with the same code', () => {
  let dir: string;
  let base: EditRequest;
  let service: EditService;
  let models: CpuEditModels;

  /** The tiny config with a row's changes; returns its path. */
  const writeConfig = (name: string, form: CliForm = {}): string => {
    const prompts = form.prompts ?? [TARGET, 'judo fighters', 'blue mat'];
    const yaml = `dataset_config:
    path: "${relative(dir, sharedPath('clips/cutie_judo/frames'))}"
    prompt: two judo fighters on a mat
    n_sample_frame: 2
    layout_mask_dir: "layout_masks"
    layout_mask_order: ['fighters', 'background']
editing_config:
    editing_prompts: [${JSON.stringify(prompts)}]
    ${form.editing ?? 'num_inference_steps: 3'}
${form.control ? `control_config:\n    ${form.control}\n` : ''}`;
    writeFileSync(join(dir, name), yaml);
    return join(dir, name);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-bad-requests-'));
    const png = decode(readFileSync(sharedPath('clips/cutie_judo/masks/00000.png')));
    const fighters = Uint8Array.from(png.data, (v) => (v === 1 ? 255 : 0));
    for (const [name, data] of [
      ['fighters', fighters],
      ['background', fighters.map((v) => 255 - v)],
    ] as const) {
      mkdirSync(join(dir, 'layout_masks', name), { recursive: true });
      for (const f of [0, 1])
        writeFileSync(
          join(dir, 'layout_masks', name, `${String(f).padStart(5, '0')}.png`),
          encode({ width: png.width, height: png.height, data, channels: 1, depth: 8 }),
        );
    }
    mkdirSync(join(dir, 'one-control-frame'));
    writeFileSync(
      join(dir, 'one-control-frame', '00000.jpg'),
      readFileSync(sharedPath('clips/cutie_judo/frames/00000.jpg')),
    );

    const modelDir = sharedPath('golden/tiny-sd');
    const controlnetDir = sharedPath('golden/tiny-controlnet');
    const prepared = prepareEdit({
      config: readVideoGrainConfig(writeConfig('base.yaml')),
      editIndex: 0,
      size: SIZE,
      modelDir,
      controlnet: true,
      seed: 0,
      encodeWith: 'mean',
    });
    base = prepared.request;
    models = { modelDir, controlnetDir, tokenizerDir: prepared.tokenizerDir };

    // The app's engine: the edit service over the loaded models (here the Node CPU components).
    const info = (kind: ModelKind, id: string): LoadedModelInfo => ({
      kind,
      id,
      remote: false,
      precision: 'fp32',
      bytes: 1,
      files: 1,
      fromCache: false,
      summary: id,
    });
    const loaded = new Map<ModelKind, { info: LoadedModelInfo }>([
      ['sd15', { info: info('sd15', 'tiny-sd') }],
      ['controlnet', { info: info('controlnet', 'tiny-controlnet') }],
    ]);
    const read = (folder: string) => (rel: string) => readShared(`golden/${folder}/${rel}`);
    service = createEditService({
      models: {
        loaded: (kind) => loaded.get(kind),
        tokenizerFiles: async () => ({
          tokenizerJson: readFileSync(sharedPath('models/clip_tokenizer/tokenizer.json'), 'utf8'),
        }),
      },
      createComponents: async (m) =>
        createNodeComponents({
          sd: read('tiny-sd'),
          ...(m.controlnet ? { controlnet: read('tiny-controlnet') } : {}),
        }),
    });
  });
  afterAll(async () => {
    await service?.releaseCache();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the base request is accepted as far as the checks go (the table rows are what make it bad)', () => {
    expect(base.frames).toHaveLength(2);
    expect(base.regions.map((r) => [r.name, r.prompt])).toEqual([
      ['fighters', 'judo fighters'],
      ['background', 'blue mat'],
    ]);
    expect(base.settings.condition.kind).toBe('canny');
  });

  describe.each(BAD_REQUESTS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    test(`app (edit service) and CLI cpu backend: ${row.code}`, async () => {
      const request = row.request(base);
      const app = await refusal(service.edit(request));
      expect(codeOf(app), String(app)).toBe(row.code);
      const cli = await refusal(runCpuEdit(request, models));
      expect(codeOf(cli), String(cli)).toBe(row.code);
      // What the command throws: a usage error (one line, exit 2) for user-caused codes, ending with the code.
      const thrown = engineErrorForCli(cli);
      expect(thrown instanceof CliUsageError, thrown.message).toBe(isUserCaused(row.code));
      expect(thrown.message).toMatch(new RegExp(`\\(${row.code}\\)$`));
      expect(exitCodeFor(cli)).toBe(isUserCaused(row.code) ? 2 : 1);
    }, 60_000);

    const form = row.cli;
    if (form)
      test('videograin edit --backend cpu: exit 2, one line with the code', () => {
        const config = writeConfig(`${row.code}-${BAD_REQUESTS.indexOf(row)}.yaml`, form);
        const args = [
          ...['edit', '--config', config, '--model', sharedPath('golden/tiny-sd')],
          ...['--controlnet', sharedPath('golden/tiny-controlnet'), '--size', String(SIZE)],
          ...['--encode-with', 'mean', '--backend', 'cpu', '-o', join(dir, 'never.mp4')],
          ...(form.args?.(dir) ?? []),
        ];
        const r = spawnSync(process.execPath, ['bin/videograin.mjs', ...args], { cwd: REPO_DIR, encoding: 'utf8' });
        const lines = r.stderr.split('\n').filter((l) => l.startsWith('videograin edit:'));
        expect(r.status, r.stderr).toBe(2);
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`\\(${row.code}\\)$`));
      }, 60_000);
  });
});
