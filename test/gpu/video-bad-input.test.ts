/**
 * Bad input to the video worker (DESIGN §7): each is refused with its own code and a message that says what
 * to do, and the worker stays usable. Fixtures are generated here (test/fixtures/video-inputs.ts).
 * The over-size refusal is checked in the unit tier (test/unit/video-api.test.ts) without a gigabyte buffer.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createVideoClient, type VideoClient } from '../../src/services/video-client';
import { describeShared, fetchShared } from '../helpers/browser/shared';
import { notAVideo, topLevelBoxes, truncated, wav } from '../fixtures/video-inputs';
import type { AppError } from '../../src/core/protocol/errors';

let video: VideoClient;
beforeAll(() => {
  video = createVideoClient();
});
afterAll(() => video.terminate());

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

const square128 = { mode: 'square', size: 128 } as const;

test('random bytes named .mp4: NOT_A_VIDEO', async () => {
  const e = await refusal(video.probe(notAVideo()));
  expect(e.code).toBe('NOT_A_VIDEO');
  expect(e.message).toMatch(/not a video/i);
  expect((await refusal(video.probe(new Uint8Array(0)))).code).toBe('NOT_A_VIDEO');
});

test('audio-only WAV: NO_VIDEO_STREAM', async () => {
  const e = await refusal(video.probe(wav(1)));
  expect(e.code).toBe('NO_VIDEO_STREAM');
  expect(e.message).toMatch(/only audio/);
  expect((await refusal(video.extract(wav(1), { start: 0, frames: 1, stride: 1, sizing: square128 }))).code).toBe(
    'NO_VIDEO_STREAM',
  );
});

describeShared('bad input built from real clips', () => {
  test('truncated MP4, index at the end (a third of two_cats): CORRUPT_FILE', async () => {
    const e = await refusal(video.probe(truncated(await fetchShared('clips/two_cats/source.mp4'), 1 / 3)));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/truncated|cut short/);
  });

  test('truncated MP4, index first (faststart export cut at 60%): CORRUPT_FILE before any decoding', async () => {
    const source = await fetchShared('clips/two_cats/source.mp4');
    const set = await video.extract(source, { start: 0, frames: 8, stride: 1, sizing: square128 });
    const mp4 = await video.encode(set, { fps: set.fps });
    const boxes = topLevelBoxes(mp4);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    const e = await refusal(video.probe(truncated(mp4, 0.6)));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/truncated/);
  });

  test('more frames than the clip has: TOO_FEW_FRAMES, with the numbers', async () => {
    const source = await fetchShared('clips/two_cats/source.mp4'); // 24 frames
    const e = await refusal(video.extract(source, { start: 20, frames: 8, stride: 1, sizing: square128 }));
    expect(e.code).toBe('TOO_FEW_FRAMES');
    expect(e.message).toContain('24 frames');
  });

  test('bad options: BAD_OPTIONS; then the worker still works', async () => {
    const source = await fetchShared('clips/two_cats/source.mp4');
    const bad = [
      { start: 0, frames: 0, stride: 1, sizing: square128 },
      { start: 0, frames: 65, stride: 1, sizing: square128 },
      { start: -1, frames: 4, stride: 1, sizing: square128 },
      { start: 0, frames: 4, stride: 0, sizing: square128 },
      { start: 0, frames: 4, stride: 1, sizing: { mode: 'square', size: 500 } as const },
    ];
    for (const options of bad) expect((await refusal(video.extract(source.slice(), options))).code).toBe('BAD_OPTIONS');
    const frames = [new Uint8Array(16 * 16 * 4)];
    const encodeBad = await refusal(
      video.encode({ width: 16, height: 16, fps: 8, startSec: 0, endSec: 1, frames }, { fps: 0 }),
    );
    expect(encodeBad.code).toBe('BAD_OPTIONS');
    expect(await video.probe(source)).toMatchObject({ frameCount: 24 });
  });
});
