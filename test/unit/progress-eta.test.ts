/**
 * Honest progress (issue 14, item 6): the one ETA text (src/features/tasks/eta.ts), the download ETA gate, and
 * the engine's per-call timing (workers/engine/edit/instrument.ts): first calls of a batch size (compiling)
 * are not an estimate, and Cancel acts at the next network call.
 */
import { describe, expect, it } from 'vitest';
import { downloadEta, etaText, formatDuration, secondsLeft, stageElapsed } from '../../src/features/tasks/eta';
import { instrumentComponents } from '../../workers/engine/edit/instrument';
import type { Components } from '../../workers/engine/pipeline/components';
import type { ModelLoadProgress } from '../../src/core/protocol/engine';

describe('the one ETA text', () => {
  const t0 = 1_000_000;
  it('measuring while the task has no timed call, then counts down between reports', () => {
    expect(etaText({ startedAt: t0, etaSeconds: null }, t0 + 60_000)).toBe('measuring…');
    const t = { startedAt: t0, etaSeconds: 40, etaAt: t0 + 10_000 };
    expect(etaText(t, t0 + 10_000)).toBe('about 40 s left');
    expect(etaText(t, t0 + 25_000)).toBe('about 25 s left');
    // Never climbs and never goes negative while waiting for the next report.
    expect(secondsLeft(t, t0 + 90_000)).toBe(0);
    expect(etaText(t, t0 + 90_000)).toBe('finishing…');
  });
  it('falls back on the fraction only with enough done, and formats long waits', () => {
    expect(etaText({ startedAt: t0, fraction: 0.01 }, t0 + 10_000)).toBeNull();
    expect(etaText({ startedAt: t0, fraction: 0.5 }, t0 + 1_000)).toBeNull();
    expect(etaText({ startedAt: t0, fraction: 0.5 }, t0 + 10_000)).toBe('about 10 s left');
    expect(formatDuration(1429)).toBe('24 min');
    expect(stageElapsed({ startedAt: t0, stageAt: t0 }, t0 + 45_500)).toBe('45 s');
    expect(stageElapsed({ startedAt: t0, stageAt: t0 }, t0 + 500)).toBeNull();
  });
  it('a download ETA waits for a few seconds of transfer', () => {
    const p = (phase: ModelLoadProgress['phase'], downloaded: number): ModelLoadProgress => ({
      phase,
      fileBytes: 0,
      fileTotal: 0,
      bytes: downloaded,
      total: 100,
      downloaded,
      bytesPerSecond: 1,
      etaSeconds: 1429,
      fromCache: false,
    });
    expect(downloadEta(p('resolving', 0), null)).toBeUndefined();
    expect(downloadEta(p('downloading', 10), 500)).toBeNull();
    expect(downloadEta(p('downloading', 10), 5000)).toBe(1429);
  });
});

/** A fake network set: each UNet call takes `ms(call index)`; the clock advances by that much. */
function fakeComponents(ms: (i: number) => number, clock: { t: number }): Components {
  let i = 0;
  const fake = {
    runtime: {},
    textChannels: 8,
    scalingFactor: 1,
    encodeText: async () => 'text',
    unet: async () => {
      clock.t += ms(i++);
      return 'noise';
    },
    vaeEncode: async () => 'z',
    vaeDecode: async () => 'x',
    release: async () => undefined,
  };
  return fake as unknown as Components;
}
const call = (items: number) =>
  ({ sample: { dims: [items, 4, 8, 8] } }) as unknown as Parameters<Components['unet']>[0];

describe('per-call timing in the engine', () => {
  it('leaves out the first call of each batch size (compiling) and takes the median of the rest', async () => {
    const clock = { t: 0 };
    const times = [9000, 20, 22, 5000, 40, 400];
    const inst = instrumentComponents(
      fakeComponents((i) => times[i]!, clock),
      () => clock.t,
    );
    await inst.components.unet(call(2)); // compiles: 4500 ms per item
    expect(inst.msPerItem()).toBeNull();
    await inst.components.unet(call(2));
    expect(inst.msPerItem()).toBe(10);
    await inst.components.unet(call(2));
    await inst.components.unet(call(4)); // a new batch size recompiles: left out too
    expect(inst.msPerItem()).toBe(10.5);
    await inst.components.unet(call(4));
    expect(inst.msPerItem()).toBe(10); // median of 10, 11, 10
    await inst.components.unet(call(4));
    expect(inst.msPerItem()).toBe(10.5); // median of 10, 11, 10, 100
    expect(inst.unetCalls()).toBe(6);
  });

  it('Cancel acts at the next network call', async () => {
    const clock = { t: 0 };
    const controller = new AbortController();
    const inst = instrumentComponents(
      fakeComponents(() => 10, clock),
      () => clock.t,
      controller.signal,
    );
    await inst.components.unet(call(1));
    controller.abort();
    await expect(inst.components.unet(call(1))).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(() => inst.components.vaeDecode(undefined as never)).toThrow(expect.objectContaining({ code: 'CANCELLED' }));
    expect(() => inst.components.encodeText(undefined as never)).toThrow(
      expect.objectContaining({ code: 'CANCELLED' }),
    );
    expect(inst.unetCalls()).toBe(1);
  });
});
