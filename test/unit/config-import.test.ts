/**
 * "Open VideoGrain config" (issue 14), the pure parts: the YAML reader shared with the CLI, the config →
 * project mapping (regions in layout_mask_order with their prompts, prompts, settings, clip), finding the
 * config in a picked folder, and mask folders numbered by source frame matched to the extracted start/stride.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { encode } from 'fast-png';
import { joinConfigPath, parseVideoGrainYaml } from '../../src/core/config/videograin-yaml';
import { conditionOfControlType, findConfigFile, projectFromConfig } from '../../src/core/config/project-from-config';
import { importMasks, matchMaskFrames } from '../../src/core/masks/import';
import type { MaskFile } from '../../src/core/masks/files';
import { describeShared, sharedPath } from '../helpers/node/shared';

const expectCode = (fn: () => unknown, code: string, message?: RegExp) =>
  expect(fn).toThrow(
    expect.objectContaining({ code, ...(message ? { message: expect.stringMatching(message) } : {}) }),
  );

/** Every file under `dir`, as paths starting with the folder's own name (like webkitRelativePath). */
function listFolder(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? listFolder(`${dir}/${e.name}`, root)
      : [`${root.split('/').pop()}/${relative(root, `${dir}/${e.name}`)}`],
  );
}

describeShared('run_two_man config → project', () => {
  const dir = sharedPath('clips/run_two_man');
  const text = readFileSync(`${dir}/config.yaml`, 'utf8');
  const paths = listFolder(dir);

  it('finds the config and maps every setting the config describes', () => {
    const configPath = findConfigFile(paths);
    expect(configPath).toBe('run_two_man/config.yaml');
    const p = projectFromConfig(parseVideoGrainYaml(text, configPath), configPath, paths);
    expect(p.name).toBe('run_two_man');
    expect(p.frames.kind).toBe('folder');
    expect(p.frames.kind === 'folder' && p.frames.files.length).toBe(16);
    expect(p.clip).toEqual({ start: 0, frames: 16, stride: 1, size: 512 });
    expect(p.regions.map((r) => [r.name, r.prompt, r.maskFiles.length])).toEqual([
      ['left_man', 'Iron Man', 16],
      ['right_man', 'Spiderman', 16],
      ['trees', 'cherry blossoms', 16],
    ]);
    expect(p.sourcePrompt).toBe('Man in red hoddie and man in gray shirt are jogging in forest');
    expect(p.targetPrompt).toBe('Iron Man and Spiderman are jogging under cherry blossoms');
    expect(p.settings).toEqual({
      negativePrompt: 'ugly, blurry, low res, unrealistic, unaesthetic',
      steps: 50,
      guidance: 7.5,
      seed: 42,
      condition: { kind: 'dwpose', scale: 1, hand: true, face: false },
      modulatedSteps: null,
      flatten: { resolutions: [1], oldQk: true },
    });
    expect(p.controlType).toBe('dwpose');
    expect(p.warnings).toEqual([]);
  });

  it('refuses a folder whose mask folder is missing, naming it', () => {
    const configPath = 'run_two_man/config.yaml';
    const without = paths.filter((p) => !p.includes('/masks/trees/'));
    expectCode(
      () => projectFromConfig(parseVideoGrainYaml(text, configPath), configPath, without),
      'CONFIG_INVALID',
      /run_two_man\/masks\/trees \(layout_mask_order "trees"\)/,
    );
  });
});

describe('config YAML and paths', () => {
  const yaml = (extra: string) => `dataset_config:
  path: "../frames"
  prompt: a cat
  n_sample_frame: 4
  start_sample_frame: 2
  sampling_rate: 3
  layout_mask_dir: "masks"
  layout_mask_order: [cat]
editing_config:
  editing_prompts: [['a dog', 'dog'], ['a fox', 'fox']]
  modulated_percentage: 0.4
  num_inference_steps: 20
${extra}`;

  it('reads relative paths as written; joins them inside the picked folder', () => {
    const c = parseVideoGrainYaml(yaml(''), 'cfg/config.yaml');
    expect([c.framesPath, c.layoutMaskDir, c.startSampleFrame, c.samplingRate]).toEqual(['../frames', 'masks', 2, 3]);
    expect(joinConfigPath('root/cfg', '../frames')).toBe('root/frames');
    expect(joinConfigPath('root', './masks/')).toBe('root/masks');
  });

  it('maps the first edit, modulated_percentage and a missing control_config', () => {
    const paths = [
      'root/cfg/config.yaml',
      ...Array.from({ length: 12 }, (_, i) => `root/frames/${String(i).padStart(5, '0')}.jpg`),
      'root/cfg/masks/cat/00002.png',
      'root/cfg/masks/other/00002.png',
    ];
    const p = projectFromConfig(
      parseVideoGrainYaml(yaml('seed: 7'), 'root/cfg/config.yaml'),
      'root/cfg/config.yaml',
      paths,
    );
    expect(p.clip).toEqual({ start: 2, frames: 4, stride: 3, size: 512 });
    expect(p.targetPrompt).toBe('a dog');
    expect(p.settings).toMatchObject({ steps: 20, seed: 7, modulatedSteps: 8, condition: { kind: 'none', scale: 1 } });
    expect(p.warnings.join(' ')).toMatch(/2 edits.*first/);
    expect(p.warnings.join(' ')).toMatch(/not in layout_mask_order.*other/);
    // 4 frames × rate 3 from 2 needs frame 11 of 12: fine; from a 10-frame folder it is refused with the frame.
    expectCode(
      () =>
        projectFromConfig(
          parseVideoGrainYaml(yaml(''), 'root/cfg/config.yaml'),
          'root/cfg/config.yaml',
          paths.filter((f) => !/0001[01]\.jpg$/.test(f)),
        ),
      'CONFIG_INVALID',
      /has 10 frames.*needs frame 11/,
    );
  });

  it('refuses frames outside the picked folder and folders without a config', () => {
    expectCode(
      () => projectFromConfig(parseVideoGrainYaml(yaml(''), 'cfg/config.yaml'), 'cfg/config.yaml', ['cfg/config.yaml']),
      'CONFIG_INVALID',
      /outside the picked folder/,
    );
    expectCode(() => findConfigFile(['a/frames/00000.png']), 'CONFIG_INVALID', /no config\.yaml/);
    expect(findConfigFile(['a/x/deep.yaml', 'a/b.yml', 'a/config.yaml'])).toBe('a/config.yaml');
    expectCode(() => parseVideoGrainYaml('dataset_config: {}', 'c.yaml'), 'CONFIG_INVALID', /^c\.yaml: /);
  });

  it('control types map to structure conditions', () => {
    expect(['dwpose', 'openpose', 'depth_zoe', 'canny', null, 'hed'].map(conditionOfControlType)).toEqual([
      'dwpose',
      'openpose',
      'depth_zoe',
      'canny',
      'none',
      'none',
    ]);
  });
});

describe('mask frames matched to the extracted start/stride', () => {
  const frames = { width: 8, height: 8 };
  /** 16 official masks; mask n is all-on for the first n+1 pixels so frames are told apart. */
  const folder: MaskFile[] = Array.from({ length: 16 }, (_, n) => {
    const data = new Uint8Array(64);
    data.fill(255, 0, n + 1);
    return {
      path: `masks/left_man/${String(n).padStart(5, '0')}.png`,
      bytes: encode({ width: 8, height: 8, data, channels: 1, depth: 8 }),
    };
  });
  const on = (bits: Uint8Array | null) => bits?.reduce((a, v) => a + v, 0) ?? -1;

  it('a 16-frame folder on a 2-frame extract takes the frames of start/stride', () => {
    const first = importMasks(folder, { frames, frameCount: 2, sourceFrames: [0, 1] });
    expect(first.regions[0]!.frames.map(on)).toEqual([1, 2]);
    const strided = importMasks(folder, { frames, frameCount: 3, sourceFrames: [4, 7, 10] });
    expect(strided.regions[0]!.frames.map(on)).toEqual([5, 8, 11]);
    expect(strided.warnings.join(' ')).toMatch(/source frames 4, 7, 10; 13 others skipped/);
  });

  it('a set made for the clip (numbers below the frame count) stays by clip frame', () => {
    const m = matchMaskFrames([0, 1, 2], { frames, frameCount: 3, sourceFrames: [5, 6, 7] }, 'x');
    expect(m.mode).toBe('clip');
    expect(m.positionOf(2)).toBe(2);
  });

  it('names the frames when nothing matches, and the right frame without start/stride', () => {
    expectCode(
      () => importMasks(folder, { frames, frameCount: 2, sourceFrames: [20, 21] }),
      'MASK_WRONG_COUNT',
      /left_man has masks for source frames 0–15, but the extracted frames are source frames 20, 21/,
    );
    expectCode(() => importMasks(folder, { frames, frameCount: 2 }), 'MASK_WRONG_COUNT', /frame 15.*2 frames/);
  });
});
