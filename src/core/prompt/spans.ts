/**
 * Region token spans (DESIGN §3.3). Region r owns the target-prompt tokens equal to its region prompt's word
 * tokens (no BOS/EOS); the FIRST exact match wins, as the official `_prepare_attention_layout`
 * (`for j in range(77): if (ids0[j:j+wlen] == widx).sum() == wlen: break`). Where the official code silently
 * drops a region whose prompt is not found, this reports an error that prints the tokens of both prompts.
 */
import type { ClipEncoding, ClipTokenizer } from '../tokenizer/clip';
import { CLIP_MAX_LENGTH, CLIP_MAX_WORDS } from '../tokenizer/clip';
import type { EmbeddingSubstitution, LayoutIssue, PromptLayout, TokenSpan } from '../layout/types';
import { MAX_REGIONS } from '../layout/types';

/**
 * First position j ≥ 1 with target.ids[j .. j+len) == words, searching only word positions (between BOS and
 * EOS: a region prompt's words never equal BOS/EOS/padding). Null when absent or `words` is empty.
 */
export function findTokenSpan(target: ClipEncoding, words: readonly number[]): TokenSpan | null {
  const len = words.length;
  if (len === 0) return null;
  const lastStart = target.length - 1 - len;
  for (let j = 1; j <= lastStart; j++) {
    let k = 0;
    while (k < len && target.ids[j + k] === words[k]) k++;
    if (k === len) return { start: j, length: len };
  }
  return null;
}

/** `[5391 "iron", 786 "man"]`, with positions when `start` is given (`1:5391 "iron"`). */
export function formatTokens(tokenizer: ClipTokenizer, ids: ArrayLike<number>, start?: number): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    parts.push(`${start === undefined ? '' : `${start + i}:`}${id} ${JSON.stringify(tokenizer.tokenText(id))}`);
  }
  return `[${parts.join(', ')}]`;
}

function tooLong(tokenizer: ClipTokenizer, what: string, enc: ClipEncoding): string {
  const lastKept = enc.wordIds[CLIP_MAX_WORDS - 1] ?? 0;
  return (
    `${what} has ${enc.wordCount} word tokens, over CLIP's ${CLIP_MAX_WORDS}: it would be cut after token ` +
    `${CLIP_MAX_WORDS} (${lastKept} ${JSON.stringify(tokenizer.tokenText(lastKept))}); shorten it`
  );
}

/**
 * Tokenises the target and region prompts and resolves who owns which tokens.
 * `regionPrompts[r]` is region r's prompt (the official prompts[r + 1]); regions beyond the list, and '' prompts,
 * have no prompt: they still group self-attention and join the blend mask.
 */
export function compilePrompts(
  tokenizer: ClipTokenizer,
  targetPrompt: string,
  regionPrompts: readonly string[],
  regionCount: number,
): PromptLayout {
  const issues: LayoutIssue[] = [];
  const target = tokenizer.encode(targetPrompt);
  if (target.truncated)
    issues.push({
      severity: 'error',
      code: 'prompt-too-long',
      message: tooLong(tokenizer, 'the target prompt', target),
    });
  if (regionPrompts.length > regionCount) {
    const extra = regionPrompts.slice(regionCount).map((p) => JSON.stringify(p));
    issues.push({
      severity: 'error',
      code: 'more-prompts-than-masks',
      message: `${regionPrompts.length} region prompts but only ${regionCount} masks: ${extra.join(', ')} ha${extra.length > 1 ? 've' : 's'} no mask`,
    });
  }

  const regions: { prompt: string; span: TokenSpan | null }[] = [];
  const substitutions: EmbeddingSubstitution[] = [];
  const textTokenBits = new Uint32Array(CLIP_MAX_LENGTH);
  const withoutPrompt: number[] = [];
  for (let r = 0; r < regionCount; r++) {
    const prompt = regionPrompts[r] ?? '';
    const enc = tokenizer.encode(prompt);
    if (enc.wordIds.length === 0) {
      withoutPrompt.push(r);
      regions.push({ prompt, span: null });
      continue;
    }
    if (enc.truncated)
      issues.push({
        severity: 'error',
        code: 'prompt-too-long',
        region: r,
        message: tooLong(tokenizer, `region ${r} prompt ${JSON.stringify(prompt)}`, enc),
      });
    const span = findTokenSpan(target, enc.wordIds);
    regions.push({ prompt, span });
    if (!span) {
      issues.push({
        severity: 'error',
        code: 'region-prompt-not-found',
        region: r,
        message:
          `region ${r} prompt ${JSON.stringify(prompt)} ${formatTokens(tokenizer, enc.wordIds)} is not in the target ` +
          `prompt ${formatTokens(tokenizer, target.wordIds, 1)}; use the exact words of the target prompt`,
      });
      continue;
    }
    if (r < MAX_REGIONS) for (let t = span.start; t < span.start + span.length; t++) textTokenBits[t]! |= 1 << r;
    substitutions.push({ region: r, start: span.start, length: span.length, regionIds: enc.ids });
  }
  issues.push(...overlapIssues(tokenizer, target, regions));
  if (withoutPrompt.length > 0)
    issues.push({
      severity: 'warning',
      code: 'regions-without-prompt',
      message: `region${withoutPrompt.length > 1 ? 's' : ''} ${withoutPrompt.join(', ')} ha${withoutPrompt.length > 1 ? 've' : 's'} no prompt: used for self-attention grouping and the blend mask only`,
    });
  return { targetIds: target.ids, regions, textTokenBits, substitutions, issues };
}

function overlapIssues(
  tokenizer: ClipTokenizer,
  target: ClipEncoding,
  regions: readonly { prompt: string; span: TokenSpan | null }[],
): LayoutIssue[] {
  const issues: LayoutIssue[] = [];
  for (let a = 0; a < regions.length; a++) {
    const sa = regions[a]!.span;
    if (!sa) continue;
    for (let b = a + 1; b < regions.length; b++) {
      const sb = regions[b]!.span;
      if (!sb) continue;
      const from = Math.max(sa.start, sb.start);
      const to = Math.min(sa.start + sa.length, sb.start + sb.length);
      if (from >= to) continue;
      issues.push({
        severity: 'error',
        code: 'overlapping-spans',
        region: b,
        message:
          `regions ${a} ${JSON.stringify(regions[a]!.prompt)} and ${b} ${JSON.stringify(regions[b]!.prompt)} both claim ` +
          `target tokens ${formatTokens(tokenizer, target.ids.subarray(from, to), from)} (first match wins); ` +
          `make each region prompt match its own words of the target prompt`,
      });
    }
  }
  return issues;
}
