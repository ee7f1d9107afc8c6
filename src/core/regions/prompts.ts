/**
 * Prompt analysis (DESIGN §3.3): region i owns the first exact match of its region prompt's word tokens in
 * the target prompt's tokens. Prompts that cannot work (a region prompt not found, over 77 tokens with
 * BOS/EOS, no target prompt) are errors shown before the user presses Edit; the official code would
 * silently drop such a region.
 * The tokenizer is injected (`PromptTokenizer`) so the real CLIP BPE tokenizer plugs in; `wordTokenizer`
 * is a stand-in that splits words the way CLIP's pre-tokenizer does (no BPE merges).
 */
import type { RegionsDoc } from './model';

export interface PromptTokens {
  /** Word tokens, without BOS/EOS, as comparable keys (CLIP ids as text, or words). */
  readonly tokens: readonly string[];
  /** How each token reads, for display; defaults to `tokens`. */
  readonly labels?: readonly string[];
  /** Word tokens before truncation, when the tokenizer truncates; defaults to `tokens.length`. */
  readonly count?: number;
}

export interface PromptTokenizer {
  tokenize(text: string): PromptTokens;
}

/** The subset of src/core/tokenizer/clip.ts's ClipTokenizer this module uses. */
export interface ClipLikeTokenizer {
  encode(text: string): { readonly wordIds: readonly number[]; readonly wordCount: number };
  tokenText(id: number): string;
}

/** The real SD1.5 CLIP BPE tokenizer as a PromptTokenizer (spans then match exactly what the engine uses). */
export function clipPromptTokenizer(clip: ClipLikeTokenizer): PromptTokenizer {
  return {
    tokenize(text) {
      const enc = clip.encode(text);
      return {
        tokens: enc.wordIds.map(String),
        labels: enc.wordIds.map((id) => clip.tokenText(id)),
        count: enc.wordCount,
      };
    },
  };
}

/** CLIP's pre-tokenizer pattern (lower-cased), used without BPE when the real tokenizer is not loaded. */
const CLIP_WORDS = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/gu;

export const wordTokenizer: PromptTokenizer = {
  tokenize: (text) => ({ tokens: text.toLowerCase().match(CLIP_WORDS) ?? [] }),
};

/** Tokens that fit between BOS and EOS in CLIP's 77-token context. */
export const MAX_PROMPT_TOKENS = 75;

export interface TokenSpan {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export function findSpan(haystack: readonly string[], needle: readonly string[]): TokenSpan | null {
  if (needle.length === 0) return null;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return { start: i, end: i + needle.length };
  }
  return null;
}

export interface PromptProblem {
  readonly severity: 'error' | 'warning';
  readonly regionId?: string;
  readonly message: string;
}

export interface PromptAnalysis {
  readonly targetTokens: readonly string[];
  /** How each target token reads. */
  readonly targetLabels: readonly string[];
  /** Per region id: the owned span of the target tokens, or null. */
  readonly spans: Readonly<Record<string, TokenSpan | null>>;
  /** Per target token: the ids of the regions owning it. */
  readonly owners: readonly (readonly string[])[];
  readonly problems: readonly PromptProblem[];
}

const quoteTokens = (t: readonly string[]) => `[${t.map((x) => JSON.stringify(x)).join(', ')}]`;

export function analyzePrompts(doc: RegionsDoc, tokenizer: PromptTokenizer): PromptAnalysis {
  const problems: PromptProblem[] = [];
  const encoded = tokenizer.tokenize(doc.targetPrompt);
  const target = encoded.tokens;
  const targetCount = encoded.count ?? target.length;
  const spans: Record<string, TokenSpan | null> = {};
  const owners: string[][] = target.map(() => []);
  if (doc.regions.length === 0)
    problems.push({ severity: 'error', message: 'Add at least one region and paint its mask.' });
  if (target.length === 0)
    problems.push({ severity: 'error', message: 'Write a target prompt: the description of the edited video.' });
  if (targetCount > MAX_PROMPT_TOKENS) {
    problems.push({
      severity: 'error',
      message: `The target prompt is ${targetCount} tokens; at most ${MAX_PROMPT_TOKENS} fit. Shorten it.`,
    });
  }
  for (const region of doc.regions) {
    const regionEnc = tokenizer.tokenize(region.prompt);
    const words = regionEnc.tokens;
    spans[region.id] = null;
    if (words.length > 0) {
      const span = findSpan(target, words);
      if (!span) {
        problems.push({
          severity: 'error',
          regionId: region.id,
          message: `"${region.name}": its prompt ${quoteTokens(regionEnc.labels ?? words)} is not in the target prompt's tokens ${quoteTokens(encoded.labels ?? target)}. Use the exact words of the target prompt.`,
        });
      } else {
        spans[region.id] = span;
        for (let i = span.start; i < span.end; i++) owners[i]!.push(region.id);
      }
    }
    const frames = doc.masks[region.id] ?? [];
    const painted = frames.filter((f) => f !== null).length;
    if (painted === 0)
      problems.push({
        severity: 'error',
        regionId: region.id,
        message: `"${region.name}" has no mask on any frame. Paint or import it.`,
      });
    else if (painted < doc.frameCount) {
      problems.push({
        severity: 'warning',
        regionId: region.id,
        message: `"${region.name}" has a mask on ${painted} of ${doc.frameCount} frames; propagate or interpolate to cover the rest.`,
      });
    }
    if (region.kind === 'part' && !region.parentId)
      problems.push({
        severity: 'warning',
        regionId: region.id,
        message: `Part "${region.name}" has no parent instance.`,
      });
  }
  const labels = encoded.labels ?? target;
  const nameOf = (id: string) => doc.regions.find((r) => r.id === id)?.name ?? id;
  for (const shared of sharedOwnership(owners)) {
    const names = shared.regionIds.map((id) => `"${nameOf(id)}"`);
    const words = shared.tokens.map((i) => JSON.stringify(labels[i])).join(' ');
    problems.push({
      severity: 'warning',
      regionId: shared.regionIds[shared.regionIds.length - 1]!,
      message: `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} own the same tokens (${words}): their cross-attention gets the same words. Give each region prompt its own words of the target prompt (each takes the first exact match).`,
    });
  }
  return { targetTokens: target, targetLabels: labels, spans, owners, problems };
}

/** Target tokens owned by more than one region, grouped by the set of owners (in token order). */
export function sharedOwnership(
  owners: readonly (readonly string[])[],
): { readonly regionIds: readonly string[]; readonly tokens: readonly number[] }[] {
  const groups = new Map<string, { regionIds: string[]; tokens: number[] }>();
  owners.forEach((ids, i) => {
    if (ids.length < 2) return;
    const key = ids.join('\u0000');
    const group = groups.get(key) ?? { regionIds: [...ids], tokens: [] };
    group.tokens.push(i);
    groups.set(key, group);
  });
  return [...groups.values()];
}

export const hasBlockingProblems = (a: PromptAnalysis): boolean => a.problems.some((p) => p.severity === 'error');
