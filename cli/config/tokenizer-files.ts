/**
 * Loads the CLIP tokenizer from a diffusers `tokenizer/` folder on disk: `tokenizer.json` (+ optional
 * `tokenizer_config.json`), else `vocab.json` + `merges.txt`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliUsageError } from '../command';
import { createClipTokenizer, type ClipTokenizer, type ClipTokenizerFiles } from '../../src/core/tokenizer/clip';

/** ../shared/models/clip_tokenizer beside the checkout (the test data's real SD1.5 tokenizer). */
export const DEFAULT_TOKENIZER_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../shared/models/clip_tokenizer',
);

/** The tokenizer files of a folder, as the engine takes them (ClipTokenizerFiles). */
export function readClipTokenizerFiles(dir: string): ClipTokenizerFiles {
  const file = (name: string) => join(dir, name);
  const config = existsSync(file('tokenizer_config.json'))
    ? readFileSync(file('tokenizer_config.json'), 'utf8')
    : undefined;
  if (existsSync(file('tokenizer.json')))
    return { tokenizerJson: readFileSync(file('tokenizer.json'), 'utf8'), tokenizerConfig: config };
  if (existsSync(file('vocab.json')) && existsSync(file('merges.txt')))
    return {
      vocabJson: readFileSync(file('vocab.json'), 'utf8'),
      merges: readFileSync(file('merges.txt'), 'utf8'),
      tokenizerConfig: config,
    };
  throw new CliUsageError(
    `no CLIP tokenizer in ${dir} (needs tokenizer.json, or vocab.json + merges.txt); pass --tokenizer <dir>`,
  );
}

export function loadClipTokenizer(dir: string): ClipTokenizer {
  return createClipTokenizer(readClipTokenizerFiles(dir));
}
