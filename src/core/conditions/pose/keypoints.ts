/**
 * From DWPose's 133 COCO-WholeBody keypoints to what ControlNet's `draw_pose` draws, as ControlNet v1.1
 * `annotator/dwpose/wholebody.py` and `__init__.py` (`DWposeDetector.__call__`, the copies knightyxp/VideoGrain runs):
 * - a neck is inserted at index 17: the mean of the shoulders (5, 6), its score 1 when both shoulders score > 0.3,
 *   else 0; then the first 18 are reordered into OpenPose's body order (new[1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14,
 *   15, 16, 17] = old[17, 6, 8, 10, 7, 9, 12, 14, 16, 13, 15, 2, 1, 4, 3]; 0 nose, 5 left shoulder and 11 left hip
 *   stay): 0 nose, 1 neck, 2–4 right arm, 5–7 left arm, 8–10 right leg, 11–13 left leg, 14/15 eyes, 16/17 ears;
 * - then 6 foot points (unused), 68 face landmarks, 21 left-hand and 21 right-hand points;
 * - coordinates are divided by the frame's W and H; a body joint is visible when its score > 0.3; face and hand
 *   points scoring < 0.3 are set to (−1, −1) (so the drawing skips them); all left hands are listed before all
 *   right hands.
 */
import type { PersonKeypoints } from './simcc';

export const SCORE_THRESHOLD = 0.3;
export const BODY_JOINTS = 18;
export const FACE_POINTS = 68;
export const HAND_POINTS = 21;

const MMPOSE_IDX = [17, 6, 8, 10, 7, 9, 12, 14, 16, 13, 15, 2, 1, 4, 3] as const;
const OPENPOSE_IDX = [1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17] as const;

/** One person's keypoints in OpenPose order (134 = 18 body + 6 foot + 68 face + 42 hands), pixels and scores. */
export interface OpenPosePerson {
  readonly xy: Float64Array;
  readonly scores: Float64Array;
}

/** `Wholebody.__call__` after the pose model: the neck and the OpenPose reorder. */
export function toOpenPose(person: PersonKeypoints): OpenPosePerson {
  const k = person.scores.length;
  if (k !== 133) throw new Error(`expected 133 whole-body keypoints, got ${k}`);
  const xy = new Float64Array((k + 1) * 2);
  const scores = new Float64Array(k + 1);
  // np.insert(keypoints_info, 17, neck): old 0..16, neck, old 17..132.
  for (let i = 0; i <= k; i++) {
    const src = i < 17 ? i : i - 1;
    if (i === 17) {
      xy[34] = (person.xy[10]! + person.xy[12]!) / 2;
      xy[35] = (person.xy[11]! + person.xy[13]!) / 2;
      scores[17] = person.scores[5]! > SCORE_THRESHOLD && person.scores[6]! > SCORE_THRESHOLD ? 1 : 0;
    } else {
      xy[2 * i] = person.xy[2 * src]!;
      xy[2 * i + 1] = person.xy[2 * src + 1]!;
      scores[i] = person.scores[src]!;
    }
  }
  // Fancy-index assignment reads every right-hand value before writing.
  const fromXy = MMPOSE_IDX.map((j) => [xy[2 * j]!, xy[2 * j + 1]!] as const);
  const fromScore = MMPOSE_IDX.map((j) => scores[j]!);
  OPENPOSE_IDX.forEach((j, n) => {
    xy[2 * j] = fromXy[n]![0];
    xy[2 * j + 1] = fromXy[n]![1];
    scores[j] = fromScore[n]!;
  });
  return { xy, scores };
}

/** What `draw_pose` receives, coordinates normalised to [0, 1] by the frame size. */
export interface PoseDrawing {
  /** Per person 18 joints [x, y] (not hidden: visibility is `bodyVisible`). */
  readonly bodies: readonly (readonly (readonly [number, number])[])[];
  /** Per person 18 flags: score > 0.3 (the reference's subset index, else −1). */
  readonly bodyVisible: readonly (readonly boolean[])[];
  /** Left hands of every person, then right hands; 21 points each, (−1, −1) where hidden. */
  readonly hands: readonly (readonly (readonly [number, number])[])[];
  /** 68 landmarks per person, (−1, −1) where hidden. */
  readonly faces: readonly (readonly (readonly [number, number])[])[];
}

/** `DWposeDetector.__call__` between the estimator and `draw_pose`. */
export function poseDrawing(people: readonly OpenPosePerson[], width: number, height: number): PoseDrawing {
  const points = (p: OpenPosePerson, from: number, count: number, hide: boolean) =>
    Array.from({ length: count }, (_, i): readonly [number, number] => {
      const j = from + i;
      if (hide && p.scores[j]! < SCORE_THRESHOLD) return [-1, -1];
      return [p.xy[2 * j]! / width, p.xy[2 * j + 1]! / height];
    });
  return {
    bodies: people.map((p) => points(p, 0, BODY_JOINTS, false)),
    bodyVisible: people.map((p) => Array.from({ length: BODY_JOINTS }, (_, j) => p.scores[j]! > SCORE_THRESHOLD)),
    faces: people.map((p) => points(p, 24, FACE_POINTS, true)),
    hands: [
      ...people.map((p) => points(p, 92, HAND_POINTS, true)),
      ...people.map((p) => points(p, 113, HAND_POINTS, true)),
    ],
  };
}
