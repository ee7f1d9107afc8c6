/**
 * From DWPose's 133 keypoints to ControlNet's pose map (src/core/conditions/pose/keypoints.ts and draw.ts; the
 * annotator's wholebody.py, __init__.py and util.py): the neck and the OpenPose reorder, the 0.3 thresholds, and the
 * drawing's colours, widths and positions checked at pixels.
 */
import { describe, expect, it } from 'vitest';
import {
  BODY_COLORS,
  canvasToCondition,
  drawPose,
  handEdgeColor,
  HAND_POINT_COLOR,
} from '../../src/core/conditions/pose/draw';
import { poseDrawing, toOpenPose, type PoseDrawing } from '../../src/core/conditions/pose/keypoints';
import { blankCanvas, fillCircle, type Canvas } from '../../src/core/conditions/pose/raster';

function person(score = (_k: number) => 0.9) {
  const xy = new Float64Array(266);
  const scores = new Float64Array(133);
  for (let k = 0; k < 133; k++) {
    xy[2 * k] = k;
    xy[2 * k + 1] = 1000 + k;
    scores[k] = score(k);
  }
  return { xy, scores };
}

const px = (c: Canvas, x: number, y: number) =>
  Array.from(c.data.subarray(3 * (y * c.width + x), 3 * (y * c.width + x) + 3));

/** One person with the given body joints (pixels on a W×H canvas) visible and everything else hidden. */
function body(
  joints: Record<number, [number, number]>,
  W: number,
  H: number,
  extra: Partial<PoseDrawing> = {},
): PoseDrawing {
  const pts = Array.from({ length: 18 }, (_, j): [number, number] =>
    joints[j] ? [joints[j]![0] / W, joints[j]![1] / H] : [0, 0],
  );
  return {
    bodies: [pts],
    bodyVisible: [Array.from({ length: 18 }, (_, j) => joints[j] !== undefined)],
    hands: [],
    faces: [],
    ...extra,
  };
}

describe('133 COCO-WholeBody keypoints → OpenPose order', () => {
  it('inserts the neck (mean of the shoulders) and reorders body joints as the annotator does', () => {
    const p = toOpenPose(person());
    const at = (j: number) => [p.xy[2 * j], p.xy[2 * j + 1]];
    expect(at(0)).toEqual([0, 1000]); // nose stays
    expect(at(1)).toEqual([5.5, 1005.5]); // neck
    expect(p.scores[1]).toBe(1);
    expect([at(2), at(3), at(4)]).toEqual([
      [6, 1006],
      [8, 1008],
      [10, 1010],
    ]); // right arm
    expect([at(5), at(6), at(7)]).toEqual([
      [5, 1005],
      [7, 1007],
      [9, 1009],
    ]); // left arm
    expect([at(8), at(9), at(10)]).toEqual([
      [12, 1012],
      [14, 1014],
      [16, 1016],
    ]); // right leg
    expect([at(11), at(12), at(13)]).toEqual([
      [11, 1011],
      [13, 1013],
      [15, 1015],
    ]); // left leg
    expect([at(14), at(15), at(16), at(17)]).toEqual([
      [2, 1002],
      [1, 1001],
      [4, 1004],
      [3, 1003],
    ]); // eyes, ears
    expect(at(18)).toEqual([17, 1017]); // first foot point
    expect(at(24)).toEqual([23, 1023]); // first face landmark
    expect(at(92)).toEqual([91, 1091]); // left hand
    expect(at(113)).toEqual([112, 1112]); // right hand
  });

  it('the neck is visible only when both shoulders score > 0.3', () => {
    expect(toOpenPose(person((k) => (k === 6 ? 0.3 : 0.9))).scores[1]).toBe(0);
    expect(toOpenPose(person((k) => (k === 5 ? 0.31 : 0.9))).scores[1]).toBe(1);
  });

  it('normalises by the frame size, hides body joints ≤ 0.3 and hand/face points < 0.3, left hands first', () => {
    const a = toOpenPose(person((k) => (k === 0 || k === 91 || k === 23 ? 0.2 : 0.9)));
    const b = toOpenPose(person());
    const d = poseDrawing([a, b], 200, 2000);
    expect(d.bodies.length).toBe(2);
    expect(d.bodies[0]![1]).toEqual([5.5 / 200, 1005.5 / 2000]);
    expect(d.bodyVisible[0]![0]).toBe(false);
    expect(d.bodyVisible[0]![1]).toBe(true);
    expect(d.bodies[0]![0]).toEqual([0, 0.5]); // hidden body joints keep their position
    expect(d.faces[0]![0]).toEqual([-1, -1]);
    expect(d.faces[1]![0]).toEqual([23 / 200, 1023 / 2000]);
    expect(d.hands.length).toBe(4);
    expect(d.hands[0]![0]).toEqual([-1, -1]); // person a's left wrist point
    expect(d.hands[1]![0]).toEqual([91 / 200, 1091 / 2000]); // person b's left hand
    expect(d.hands[2]![0]).toEqual([112 / 200, 1112 / 2000]); // person a's right hand
  });
});

describe('draw_pose', () => {
  it('draws OpenCV’s radius-4 filled circle (49 pixels, span widths 1, 5, 7, 7, 9)', () => {
    const c = blankCanvas(16, 16);
    fillCircle(c, 8, 8, 4, [1, 2, 3]);
    const rows = Array.from(
      { length: 16 },
      (_, y) => Array.from({ length: 16 }, (_, x) => px(c, x, y)[0]).filter(Boolean).length,
    );
    expect(rows.slice(4, 13)).toEqual([1, 5, 7, 7, 9, 7, 7, 5, 1]);
  });

  it('limb neck → right shoulder: the 0.6-darkened [255, 0, 0] ellipse of half-width 4, joints on top', () => {
    const c = drawPose(body({ 1: [100, 100], 2: [140, 100] }, 256, 256), 256, 256, { hand: false, face: false });
    expect(px(c, 120, 100)).toEqual([153, 0, 0]); // midpoint: colour[0] · 0.6, truncated
    expect(px(c, 120, 104)).toEqual([153, 0, 0]); // the ellipse's minor half-axis is 4
    expect(px(c, 120, 106)).toEqual([0, 0, 0]);
    expect(px(c, 100, 100)).toEqual([...BODY_COLORS[1]!]); // neck joint, full colour
    expect(px(c, 140, 100)).toEqual([...BODY_COLORS[2]!]); // right shoulder joint
    expect(px(c, 104, 100)).toEqual([...BODY_COLORS[1]!]); // radius 4
    expect(px(c, 0, 0)).toEqual([0, 0, 0]);
  });

  it('a hidden joint hides its limbs and its circle; a rotated limb follows its direction', () => {
    const hidden = drawPose(body({ 1: [100, 100] }, 256, 256), 256, 256, { hand: false, face: false });
    expect(px(hidden, 120, 100)).toEqual([0, 0, 0]);
    expect(px(hidden, 100, 100)).toEqual([...BODY_COLORS[1]!]);
    // Neck → nose is limb 12, colour [0, 0, 255]; vertical here.
    const v = drawPose(body({ 1: [50, 100], 0: [50, 40] }, 128, 128), 128, 128, { hand: false, face: false });
    expect(px(v, 50, 70)).toEqual([0, 0, 153]);
    expect(px(v, 53, 70)).toEqual([0, 0, 153]);
    expect(px(v, 56, 70)).toEqual([0, 0, 0]);
    // The ear–shoulder limbs 17 and 18 are never drawn (range(17)).
    const ear = drawPose(body({ 2: [20, 60], 16: [100, 60] }, 128, 128), 128, 128, { hand: false, face: false });
    expect(px(ear, 60, 60)).toEqual([0, 0, 0]);
  });

  it('hands: HSV edge colours, thickness 2, dots (0, 0, 255); only when asked; hidden points skipped', () => {
    expect(handEdgeColor(0)).toEqual([255, 0, 0]);
    expect(handEdgeColor(10)).toEqual([0, 255, 255]);
    expect(handEdgeColor(5)).toEqual([128, 255, 0]); // h = 0.25: (1 − 0.5)·255 = 127.5 → 128 (half to even)
    const hand: [number, number][] = Array.from({ length: 21 }, () => [-1, -1]);
    hand[0] = [20 / 64, 32 / 64];
    hand[1] = [44 / 64, 32 / 64];
    const pose = body({}, 64, 64, { hands: [hand] });
    const off = drawPose(pose, 64, 64, { hand: false, face: false });
    expect(off.data.every((v) => v === 0)).toBe(true);
    const on = drawPose(pose, 64, 64, { hand: true, face: false });
    expect(px(on, 32, 32)).toEqual([255, 0, 0]); // edge 0
    expect(px(on, 32, 33)).toEqual([255, 0, 0]); // 2 px wide
    expect(px(on, 32, 34)).toEqual([0, 0, 0]);
    expect(px(on, 20, 32)).toEqual([...HAND_POINT_COLOR]);
    expect(px(on, 44, 36)).toEqual([...HAND_POINT_COLOR]);
  });

  it('face: white radius-3 dots when asked', () => {
    const lm: [number, number][] = Array.from({ length: 68 }, () => [-1, -1]);
    lm[7] = [10 / 32, 12 / 32];
    const pose = body({}, 32, 32, { faces: [lm] });
    expect(drawPose(pose, 32, 32, { hand: true, face: false }).data.every((v) => v === 0)).toBe(true);
    const c = drawPose(pose, 32, 32, { hand: false, face: true });
    expect(px(c, 10, 12)).toEqual([255, 255, 255]);
    expect(px(c, 13, 12)).toEqual([255, 255, 255]);
    expect(px(c, 14, 12)).toEqual([0, 0, 0]);
    expect(c.data.filter((v) => v === 255).length / 3).toBe(29); // OpenCV's radius-3 disc
  });

  it('the condition is [3, H, W] in [0, 1], channels first', () => {
    const c = blankCanvas(2, 1);
    c.data.set([255, 0, 51, 0, 255, 0]);
    expect(Array.from(canvasToCondition(c))).toEqual([1, 0, 0, 1, Math.fround(0.2), 0]);
  });
});
