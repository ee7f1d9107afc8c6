/**
 * Builds a `tokenizer.json` object for CLIP from `vocab.json` + `merges.txt`, the way transformers converts
 * CLIPTokenizer to its fast form (NFC, whitespace collapse, lower-case; CLIP's split regex then byte-level;
 * BPE with the `</w>` end-of-word suffix; BOS/EOS around the words). Only the model-specific files differ
 * between CLIP checkpoints, so the pipeline around them is fixed here.
 */
import { AppError } from '../protocol/errors';

const BOS_TOKEN = '<|startoftext|>';
const EOS_TOKEN = '<|endoftext|>';
const CLIP_SPLIT_REGEX =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

function parseMerges(merges: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const line of merges.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#version')) continue;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1])
      throw new AppError('TOKENIZER_INVALID', `merges.txt has a malformed line: "${line.slice(0, 40)}"`);
    pairs.push([parts[0], parts[1]]);
  }
  return pairs;
}

export function clipTokenizerJsonFromVocab(vocab: Record<string, unknown>, merges: string): Record<string, unknown> {
  const bos = vocab[BOS_TOKEN];
  const eos = vocab[EOS_TOKEN];
  if (typeof bos !== 'number' || typeof eos !== 'number')
    throw new AppError('TOKENIZER_INVALID', `vocab.json lacks ${BOS_TOKEN} / ${EOS_TOKEN}; not a CLIP vocabulary`);
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(bos, BOS_TOKEN), special(eos, EOS_TOKEN)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_REGEX }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOS_TOKEN, eos],
      cls: [BOS_TOKEN, bos],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: parseMerges(merges),
    },
  };
}
