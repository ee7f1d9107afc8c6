/**
 * The error-code catalog (issue 19): one naming style, one cancellation code, causes → CLI exit codes, and
 * every literal code thrown in the tree is in the catalog.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  causeOf,
  errorCodeOf,
  exitCodeFor,
  isErrorCode,
  isUserCaused,
} from '../../src/core/protocol/error-codes';
import { AppError, deserializeError, hasCode, serializeError } from '../../src/core/protocol/errors';

const ROOT = join(import.meta.dirname, '../..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

describe('error-code catalog', () => {
  it('uses one naming style and one cancellation code', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    const cancels = Object.entries(ERROR_CODES).filter(([, v]) => v.cause === 'cancelled');
    expect(cancels.map(([k]) => k)).toEqual(['CANCELLED']);
  });

  it('maps causes to the CLI exit codes: 2 user input, 1 environment/model, 130 cancelled', () => {
    expect(exitCodeFor(new AppError('NOT_A_VIDEO', 'x'))).toBe(2);
    expect(exitCodeFor(new AppError('EDIT_INPUT_INVALID', 'x'))).toBe(2);
    expect(exitCodeFor(new AppError('MODEL_ARCHITECTURE', 'x'))).toBe(1);
    expect(exitCodeFor(new AppError('GPU_UNAVAILABLE', 'x'))).toBe(1);
    expect(exitCodeFor(new AppError('CANCELLED', 'x'))).toBe(130);
    // After a thread hop (plain object) and for errors without a known code.
    expect(exitCodeFor({ code: 'MASK_WRONG_SIZE', message: 'x' })).toBe(2);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor({ code: 'not-a-code' })).toBe(1);
    expect(isUserCaused('TOKENIZER_INVALID')).toBe(true);
    expect(isUserCaused('MODEL_TRUNCATED')).toBe(false);
    expect(causeOf(undefined)).toBe('environment');
    expect(errorCodeOf('CANCELLED')).toBeUndefined();
  });

  it('round-trips a code across a thread hop; unknown codes stay plain errors with their code', () => {
    const back = deserializeError(serializeError(new AppError('MASK_EMPTY', 'no object', { file: 'a.png' })));
    expect(back).toBeInstanceOf(AppError);
    expect(hasCode(back, 'MASK_EMPTY')).toBe(true);
    expect((back as AppError).details).toEqual({ file: 'a.png' });
    const unknown = deserializeError({ name: 'Error', message: 'm', code: 'legacy-code' });
    expect(unknown).not.toBeInstanceOf(AppError);
    expect((unknown as { code?: string }).code).toBe('legacy-code');
  });

  it('every literal code thrown, checked or notified in the tree is in the catalog', () => {
    const files = ['src', 'workers', 'cli'].flatMap((d) => sources(join(ROOT, d)));
    // The first group of each pattern holds one or more quoted codes.
    const patterns = [
      /new (?:AppError|ModelError|ModelConfigError)\(\s*('[^']+')/g,
      /hasCode\([^,)]+,\s*((?:'[^']+'(?:,\s*)?)+)\)/g,
      /readonly code = ('[^']+')/g,
    ];
    const found = new Set<string>();
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const re of patterns)
        for (const m of text.matchAll(re)) for (const q of m[1]!.matchAll(/'([^']+)'/g)) found.add(q[1]!);
    }
    expect(found.size).toBeGreaterThan(20);
    expect([...found].filter((c) => !isErrorCode(c))).toEqual([]);
  });
});
