/**
 * Reads an official VideoGrain YAML config from disk for the CLI: the pure parser is
 * src/core/config/videograin-yaml.ts (shared with the app's "Open VideoGrain config"); this module reads the
 * file, resolves the YAML's relative paths against the YAML's folder, and turns the parser's CONFIG_INVALID
 * into the CLI's usage error (one line, exit 2).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliUsageError } from '../command';
import { hasCode } from '../../src/core/protocol/errors';
import { parseVideoGrainYaml, type VideoGrainYaml } from '../../src/core/config/videograin-yaml';

export { defaultSeed, type EditingPrompt } from '../../src/core/config/videograin-yaml';

export interface VideoGrainConfig extends VideoGrainYaml {
  readonly configPath: string;
  /** Frames folder or video file, absolute. */
  readonly framesPath: string;
  /** Folder holding one sub-folder of `{frame:05d}.png` masks per region, absolute. */
  readonly layoutMaskDir: string;
}

/** Parses YAML text; `configPath` anchors relative paths and names the file in errors. */
export function parseVideoGrainConfig(text: string, configPath: string): VideoGrainConfig {
  let parsed: VideoGrainYaml;
  try {
    parsed = parseVideoGrainYaml(text, configPath);
  } catch (e) {
    if (hasCode(e, 'CONFIG_INVALID')) throw new CliUsageError(e.message);
    throw e;
  }
  const base = dirname(resolve(configPath));
  return {
    ...parsed,
    configPath: resolve(configPath),
    framesPath: resolve(base, parsed.framesPath),
    layoutMaskDir: resolve(base, parsed.layoutMaskDir),
  };
}

export function readVideoGrainConfig(configPath: string): VideoGrainConfig {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    throw new CliUsageError(
      `cannot read config ${configPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseVideoGrainConfig(text, configPath);
}
