/**
 * The tokenizer the prompt editor uses to show which words each region owns. Until the model's CLIP
 * tokenizer is loaded, a word-level stand-in (same pre-tokenization, no BPE) is used; whoever loads the
 * model calls `usePromptTokenizer(clipPromptTokenizer(clip))` so the spans shown are the engine's.
 */
import { useSyncExternalStore } from 'react';
import { wordTokenizer, type PromptTokenizer } from '../../core/regions/prompts';

let current: { tokenizer: PromptTokenizer; exact: boolean } = { tokenizer: wordTokenizer, exact: false };
const listeners = new Set<() => void>();

export function setPromptTokenizer(tokenizer: PromptTokenizer | null): void {
  current = tokenizer ? { tokenizer, exact: true } : { tokenizer: wordTokenizer, exact: false };
  for (const l of listeners) l();
}

export const promptTokenizer = (): PromptTokenizer => current.tokenizer;

export function usePromptTokenizer(): { tokenizer: PromptTokenizer; exact: boolean } {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
