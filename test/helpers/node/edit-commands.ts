/**
 * Vitest browser commands (registered in the gpu project of vite.config.ts) that run work in the Node process
 * for a browser test. `runFixtureEditInNode(seed)`: the edit of test/fixtures/edit-fixture.ts on the Node CPU
 * components (onnxruntime-web wasm + the CPU reference attention) with the tiny SD + ControlNet models from
 * ../shared; returns plain arrays (the command channel is JSON).
 *
 * vite.config.ts bundles this file into the config, so the engine is not imported here: the command loads this
 * file again through tsx (as the CLI runs TypeScript) and the engine modules from there, by specifiers kept in
 * variables that the config bundler does not follow. Results are cached per seed for the test run.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserCommand } from 'vitest/node';
import type { FixtureEditResult as NodeFixtureEdit } from '../../fixtures/edit-fixture';

type ComponentsNode = typeof import('../../../workers/engine/pipeline/components-node');
type EditModule = typeof import('../../../workers/engine/pipeline/edit');
type FixtureModule = typeof import('../../fixtures/edit-fixture');
type FlowModule = typeof import('../../../workers/engine/pipeline/flow');

/**
 * 'flatten': the FLATTEN variant (issue 17): the fixture's synthetic flow at flatten_res [1], old_qk off,
 * FLATTEN_FIXTURE_STEPS steps, no ControlNet (fewer networks to compile; test/gpu/flow-attention.test.ts runs
 * the same on WebGPU).
 */
export type FixtureVariant = 'plain' | 'flatten';

// As ./shared.ts does (not imported: it imports vitest's test API, which the config process must not load).
const SHARED_DIR =
  process.env.VIDEOGRAIN_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared');
const sharedPath = (rel: string) => join(SHARED_DIR, rel);

const MODULES = {
  components: '../../../workers/engine/pipeline/components-node.ts',
  edit: '../../../workers/engine/pipeline/edit.ts',
  fixture: '../../fixtures/edit-fixture.ts',
  flow: '../../../workers/engine/pipeline/flow.ts',
};

/** Runs in the tsx-loaded copy of this file. */
export async function fixtureEditInNode(seed: number, variant: FixtureVariant = 'plain'): Promise<NodeFixtureEdit> {
  const load = <T>(spec: string): Promise<T> => import(spec) as Promise<T>;
  const [{ createNodeComponents }, { runEdit }, { buildEditFixture, EDIT_FIXTURE_TOKENIZER }] = await Promise.all([
    load<ComponentsNode>(MODULES.components),
    load<EditModule>(MODULES.edit),
    load<FixtureModule>(MODULES.fixture),
  ]);
  const fixture = buildEditFixture(readFileSync(sharedPath(EDIT_FIXTURE_TOKENIZER), 'utf8'), seed);
  const read = (dir: string) => (p: string) => new Uint8Array(readFileSync(sharedPath(`${dir}/${p}`)));
  const components = createNodeComponents({ sd: read('golden/tiny-sd'), controlnet: read('golden/tiny-controlnet') });
  const start = performance.now();
  try {
    let options = fixture.options;
    if (variant === 'flatten') {
      const { prepareFlowPlan } = await load<FlowModule>(MODULES.flow);
      const { fixtureFlows, EDIT_FIXTURE_FRAMES, EDIT_FIXTURE_SIZE, FLATTEN_FIXTURE_STEPS } = await load<FixtureModule>(
        MODULES.fixture,
      );
      const edit = { frames: EDIT_FIXTURE_FRAMES, width: EDIT_FIXTURE_SIZE, height: EDIT_FIXTURE_SIZE };
      const flow = prepareFlowPlan(fixtureFlows(), { resolutions: [1], oldQk: false }, edit);
      const { condition: _none, ...rest } = options;
      options = { ...rest, steps: FLATTEN_FIXTURE_STEPS, modulatedSteps: 1, flow };
    }
    const result = await runEdit(components, fixture.input, options);
    return {
      latents: Array.from(result.latents),
      inverted: Array.from(result.inversion.latentsT),
      frames: result.frames.map((f) => Array.from(f)),
      ms: performance.now() - start,
    };
  } finally {
    await components.release();
  }
}

const results = new Map<string, Promise<NodeFixtureEdit>>();

async function runInTsx(seed: number, variant: FixtureVariant): Promise<NodeFixtureEdit> {
  const { tsImport } = await import('tsx/esm/api');
  const self = (await tsImport('./edit-commands.ts', import.meta.url)) as {
    fixtureEditInNode: typeof fixtureEditInNode;
  };
  return self.fixtureEditInNode(seed, variant);
}

export const runFixtureEditInNode: BrowserCommand<[seed: number, variant?: FixtureVariant], NodeFixtureEdit> = (
  _context,
  seed,
  variant = 'plain',
) => {
  const key = `${seed}:${variant}`;
  let r = results.get(key);
  if (!r) {
    r = runInTsx(seed, variant);
    results.set(key, r);
    r.catch(() => results.delete(key));
  }
  return r;
};

export const editCommands = { runFixtureEditInNode };
