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

// As ./shared.ts does (not imported: it imports vitest's test API, which the config process must not load).
const SHARED_DIR =
  process.env.VIDEOGRAIN_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared');
const sharedPath = (rel: string) => join(SHARED_DIR, rel);

const MODULES = {
  components: '../../../workers/engine/pipeline/components-node.ts',
  edit: '../../../workers/engine/pipeline/edit.ts',
  fixture: '../../fixtures/edit-fixture.ts',
};

/** Runs in the tsx-loaded copy of this file. */
export async function fixtureEditInNode(seed: number): Promise<NodeFixtureEdit> {
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
    const result = await runEdit(components, fixture.input, fixture.options);
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

const results = new Map<number, Promise<NodeFixtureEdit>>();

async function runInTsx(seed: number): Promise<NodeFixtureEdit> {
  const { tsImport } = await import('tsx/esm/api');
  const self = (await tsImport('./edit-commands.ts', import.meta.url)) as {
    fixtureEditInNode: typeof fixtureEditInNode;
  };
  return self.fixtureEditInNode(seed);
}

export const runFixtureEditInNode: BrowserCommand<[seed: number], NodeFixtureEdit> = (_context, seed) => {
  let r = results.get(seed);
  if (!r) {
    r = runInTsx(seed);
    results.set(seed, r);
    r.catch(() => results.delete(seed));
  }
  return r;
};

export const editCommands = { runFixtureEditInNode };
