/**
 * SD1.5's CLIP BPE tokenizer (DESIGN §3.3) on @huggingface/tokenizers: vocab 49408, BOS 49406, EOS/PAD 49407,
 * lower-cased, 77 ids. Truncation and padding follow transformers' CLIPTokenizer(padding="max_length",
 * max_length=77, truncation=True): at most 75 word tokens, then EOS, then EOS-padding.
 *
 * Takes file contents, never paths, so the browser (files from the model cache) and Node (files from disk)
 * share it. Accepts `tokenizer.json` (+ optional `tokenizer_config.json`) or `vocab.json` + `merges.txt`.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { AppError } from '../protocol/errors';
import { clipTokenizerJsonFromVocab } from './clip-json';

export const CLIP_BOS = 49406;
export const CLIP_EOS = 49407;
export const CLIP_PAD = 49407;
export const CLIP_MAX_LENGTH = 77;
/** Word tokens that fit between BOS and EOS. */
export const CLIP_MAX_WORDS = CLIP_MAX_LENGTH - 2;
const CLIP_VOCAB_SIZE = 49408;

type JsonText = string | Record<string, unknown>;

/** Tokenizer files as read from a diffusers `tokenizer/` folder (contents, not paths). */
export type ClipTokenizerFiles =
  | { readonly tokenizerJson: JsonText; readonly tokenizerConfig?: JsonText }
  | { readonly vocabJson: JsonText; readonly merges: string; readonly tokenizerConfig?: JsonText };

export interface ClipEncoding {
  /** The prompt as given. */
  readonly text: string;
  /** 77 ids: BOS, word ids (≤ 75), EOS, EOS-padding. */
  readonly ids: Int32Array;
  /** Ids before padding, BOS and EOS included (transformers' `length`). */
  readonly length: number;
  /** Word tokens of the whole prompt, before truncation. */
  readonly wordCount: number;
  /** True when words beyond the 75th were dropped. */
  readonly truncated: boolean;
  /** The word ids kept (length − 2 of them), without BOS/EOS. */
  readonly wordIds: readonly number[];
}

export interface ClipTokenizer {
  encode(text: string): ClipEncoding;
  /** A token as text (its decoded string, trimmed; "<|startoftext|>"/"<|endoftext|>" for the specials). */
  tokenText(id: number): string;
}

const DEFAULT_CONFIG = {
  tokenizer_class: 'CLIPTokenizer',
  model_max_length: CLIP_MAX_LENGTH,
  do_lower_case: true,
  bos_token: '<|startoftext|>',
  eos_token: '<|endoftext|>',
  pad_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
};

function parseJson(value: JsonText, what: string): Record<string, unknown> {
  if (typeof value !== 'string') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new AppError('TOKENIZER_INVALID', `${what} is not a JSON object; check the model's tokenizer files`);
}

export function createClipTokenizer(files: ClipTokenizerFiles): ClipTokenizer {
  const tokenizerJson =
    'tokenizerJson' in files
      ? parseJson(files.tokenizerJson, 'tokenizer.json')
      : clipTokenizerJsonFromVocab(parseJson(files.vocabJson, 'vocab.json'), files.merges);
  const config = files.tokenizerConfig
    ? { ...DEFAULT_CONFIG, ...parseJson(files.tokenizerConfig, 'tokenizer_config.json') }
    : DEFAULT_CONFIG;
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, config);
  } catch (e) {
    throw new AppError('TOKENIZER_INVALID', `cannot load the CLIP tokenizer: ${(e as Error).message}`);
  }
  checkIsSd15Clip(tokenizer);

  return {
    encode(text: string): ClipEncoding {
      const all = tokenizer.encode(text, { add_special_tokens: false }).ids;
      const words = all.slice(0, CLIP_MAX_WORDS);
      const ids = new Int32Array(CLIP_MAX_LENGTH).fill(CLIP_PAD);
      ids[0] = CLIP_BOS;
      ids.set(words, 1);
      ids[words.length + 1] = CLIP_EOS;
      return {
        text,
        ids,
        length: words.length + 2,
        wordCount: all.length,
        truncated: all.length > CLIP_MAX_WORDS,
        wordIds: words,
      };
    },
    tokenText(id: number): string {
      if (id === CLIP_BOS) return '<|startoftext|>';
      if (id === CLIP_EOS) return '<|endoftext|>';
      return tokenizer.decode([id]).trim();
    },
  };
}

/** Refuse tokenizer files of another model: the spans and the text encoder assume SD1.5's CLIP ids. */
function checkIsSd15Clip(tokenizer: Tokenizer): void {
  const vocabSize = tokenizer.get_vocab(true).size;
  const bos = tokenizer.token_to_id('<|startoftext|>');
  const eos = tokenizer.token_to_id('<|endoftext|>');
  if (vocabSize !== CLIP_VOCAB_SIZE || bos !== CLIP_BOS || eos !== CLIP_EOS)
    throw new AppError(
      'TOKENIZER_INVALID',
      `tokenizer is not SD1.5's CLIP tokenizer (vocab ${vocabSize}, BOS ${bos}, EOS ${eos}; expected ` +
        `${CLIP_VOCAB_SIZE}, ${CLIP_BOS}, ${CLIP_EOS}); use the model's tokenizer/ folder`,
    );
}
