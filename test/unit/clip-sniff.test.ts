/** The quick look before probing (issue 14, item 9): videos pass, anything else is refused by name at once. */
import { describe, expect, it } from 'vitest';
import { assertLooksLikeVideo, sniffMedia } from '../../src/core/clip/sniff';
import { describeShared, readShared } from '../helpers/node/shared';

const text = (s: string) => new TextEncoder().encode(s);

describe('sniffMedia', () => {
  it('tells videos, audio and other files apart', () => {
    const riff = (form: string) => new Uint8Array([...text('RIFF'), 0, 0, 0, 0, ...text(form)]);
    expect(sniffMedia(new Uint8Array([0, 0, 0, 32, ...text('ftypisom')])).kind).toBe('video');
    expect(sniffMedia(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1])).kind).toBe('video');
    expect(sniffMedia(riff('AVI ')).kind).toBe('video');
    expect(sniffMedia(riff('WAVE'))).toEqual({ kind: 'audio', looksLike: 'a WAV audio file' });
    expect(sniffMedia(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10])).looksLike).toBe('a PNG image');
    expect(sniffMedia(text('hello, this is a note\n')).looksLike).toBe('a text file');
    expect(sniffMedia(new Uint8Array([0, 138, 25, 163, 50, 188])).kind).toBe('other');
  });

  it('refuses with the file name and the right code', () => {
    expect(() => assertLooksLikeVideo('holiday.mp4', new Uint8Array([0, 138, 25, 163, 50, 188]))).toThrow(
      expect.objectContaining({
        code: 'NOT_A_VIDEO',
        message: expect.stringMatching(/^holiday\.mp4 is not a video file/),
      }),
    );
    expect(() =>
      assertLooksLikeVideo('voice.wav', new Uint8Array([...text('RIFF'), 0, 0, 0, 0, ...text('WAVE')])),
    ).toThrow(
      expect.objectContaining({
        code: 'NO_VIDEO_STREAM',
        message: expect.stringMatching(/^voice\.wav is a WAV audio file/),
      }),
    );
  });
});

describeShared('the shared clips pass the quick look', () => {
  it.each(['run_two_man', 'two_cats', 'wolf', 'badminton'])('%s/source.mp4', (clip) => {
    expect(() =>
      assertLooksLikeVideo('source.mp4', readShared(`clips/${clip}/source.mp4`).subarray(0, 1024)),
    ).not.toThrow();
  });
});
