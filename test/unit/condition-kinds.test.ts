/**
 * Structure condition kinds (issue 16): the estimator and the ControlNet each condition needs, the config's
 * control_config options as condition settings, and the registry's canny thresholds (the YAML's low/high).
 */
import { describe, expect, it } from 'vitest';
import { cannyCondition } from '../../src/core/conditions/canny';
import { controlNetForCondition, estimatorModelOf } from '../../src/core/conditions/kinds';
import { conditionOfConfig } from '../../src/core/config/project-from-config';
import { parseVideoGrainYaml } from '../../src/core/config/videograin-yaml';
import { CONDITION_KINDS } from '../../src/core/protocol/edit';
import { createConditionService } from '../../workers/engine/edit/conditions';

describe('condition kinds', () => {
  it('estimator model and ControlNet per condition', () => {
    expect(CONDITION_KINDS.map(estimatorModelOf)).toEqual([null, null, null, 'dwpose', 'dwpose', 'midas', 'zoe']);
    expect(CONDITION_KINDS.map(controlNetForCondition)).toEqual([
      null,
      'canny',
      'canny',
      'openpose',
      'openpose',
      'depth',
      'depth',
    ]);
  });

  it('control_config hand/face/thresholds become the condition settings', () => {
    const yaml = (control: string) =>
      parseVideoGrainYaml(
        `dataset_config: {path: f, layout_mask_dir: m, layout_mask_order: [a]}\ncontrol_config:\n${control}\nediting_config: {editing_prompts: [[x, y]]}\n`,
        'c.yaml',
      );
    expect(conditionOfConfig(yaml('  control_type: "dwpose"\n  hand: True\n  face: False'))).toEqual({
      kind: 'dwpose',
      scale: 1,
      hand: true,
      face: false,
    });
    expect(
      conditionOfConfig(
        yaml('  control_type: canny\n  low_threshold: 50\n  high_threshold: 150\n  controlnet_conditioning_scale: 0.8'),
      ),
    ).toEqual({ kind: 'canny', scale: 0.8, low: 50, high: 150 });
    expect(conditionOfConfig(yaml('  control_type: depth_zoe'))).toEqual({ kind: 'depth_zoe', scale: 1 });
  });

  it('the registry runs canny with the given thresholds (default 100/200)', async () => {
    const size = 16;
    const rgba = new Uint8Array(size * size * 4);
    for (let p = 0; p < size * size; p++) rgba.fill(p % size < 8 ? 40 : 40 + (p % 3) * 30, p * 4, p * 4 + 4);
    const service = createConditionService();
    const input = { kind: 'canny' as const, frames: [rgba], width: size, height: size };
    const at = async (options: { low?: number; high?: number }) =>
      Array.from((await service.compute({ ...input, options })).subarray(0, size * size));
    expect(await at({})).toEqual(
      Array.from(cannyCondition(rgba, size, size, { low: 100, high: 200 }).subarray(0, 256)),
    );
    expect(await at({ low: 10, high: 20 })).toEqual(
      Array.from(cannyCondition(rgba, size, size, { low: 10, high: 20 }).subarray(0, 256)),
    );
    expect((await at({ low: 10, high: 20 })).some((v) => v > 0)).toBe(true);
  });
});
