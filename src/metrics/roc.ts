// ROC curve and the area under it, for a binary problem scored by a real-valued classifier.
//
// Each threshold θ turns scores into decisions: predict positive iff score ≥ θ. With P
// positives and N negatives,
//   TPR(θ) = #{positives with score ≥ θ} / P,   FPR(θ) = #{negatives with score ≥ θ} / N.
// rocCurve lowers θ through the DISTINCT scores, from +∞ (nothing predicted positive: the point
// (0, 0)) to the smallest score (everything positive: (1, 1)). Samples with equal scores enter
// together, so a tie between positives and negatives gives one diagonal segment, never a
// staircase whose shape would depend on the order of the input: one point per distinct
// threshold, thresholds[0] = +∞, thresholds[i] = the i-th largest distinct score.
//
// AUC = trapezoid area under that curve. It equals the Mann–Whitney (Wilcoxon) statistic
//   AUC = P(s⁺ > s⁻) + ½·P(s⁺ = s⁻)
// over all pairs of a positive and a negative sample. A tie's diagonal segment is what
// contributes the ½ (Hanley & McNeil, Radiology 143, 1982; Fawcett, Pattern Recognition
// Letters 27, 2006). The area is summed in integer counts and divided by P·N once, so it is
// exact up to one rounding. Random scores give 0.5, a perfect ranking 1, an inverted one 0.
//
// truth holds 0 (negative) and 1 (positive); both classes must be present. Scores must be
// finite: a NaN or infinite score has no place in the ranking and usually means a diverged model.

import { DescentError, show } from '../engine/errors.js';

export interface RocCurve {
  /** False positive rates, from 0 up to 1. */
  fpr: Float64Array;
  /** True positive rates, from 0 up to 1. */
  tpr: Float64Array;
  /** thresholds[i]: the decision "score ≥ thresholds[i]" gives (fpr[i], tpr[i]); thresholds[0] = +∞. */
  thresholds: Float64Array;
  /** P, the number of positives. */
  positives: number;
  /** N, the number of negatives. */
  negatives: number;
}

/** Cumulative counts at each distinct threshold, scores sorted in decreasing order. */
interface RocCounts {
  tp: Float64Array;
  fp: Float64Array;
  thresholds: Float64Array;
  positives: number;
  negatives: number;
}

function rocCounts(scores: ArrayLike<number>, truth: ArrayLike<number>, op: string): RocCounts {
  if (scores == null || typeof scores.length !== 'number') throw new DescentError(`${op}: scores must be an array of numbers`);
  if (truth == null || typeof truth.length !== 'number') throw new DescentError(`${op}: truth must be an array of 0/1 labels`);
  const n = scores.length;
  if (truth.length !== n) throw new DescentError(`${op}: scores and truth differ in length (${n} vs ${truth.length})`);
  if (n === 0) throw new DescentError(`${op}: empty input (no samples)`);
  const s = new Float64Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const v = scores[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new DescentError(`${op}: scores must be finite, got scores[${i}] = ${show(v)}`);
    s[i] = v;
    const t = truth[i]!;
    if (t !== 0 && t !== 1) throw new DescentError(`${op}: truth must hold 0 (negative) or 1 (positive), got truth[${i}] = ${show(t)}`);
    positives += t;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new DescentError(`${op}: only one class present (${positives} positives, ${negatives} negatives); the ROC curve needs both`);
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => s[b]! - s[a]!);

  const tp: number[] = [0];
  const fp: number[] = [0];
  const thresholds: number[] = [Infinity];
  let cumTp = 0;
  let cumFp = 0;
  for (let i = 0; i < n; ) {
    const level = s[order[i]!]!;
    // every sample with this score enters at once
    for (; i < n && s[order[i]!] === level; i++) {
      if (truth[order[i]!] === 1) cumTp++;
      else cumFp++;
    }
    tp.push(cumTp);
    fp.push(cumFp);
    thresholds.push(level);
  }
  return { tp: Float64Array.from(tp), fp: Float64Array.from(fp), thresholds: Float64Array.from(thresholds), positives, negatives };
}

/** The ROC curve, one point per distinct score plus (0, 0) at threshold +∞; ties give diagonal segments. */
export function rocCurve(scores: ArrayLike<number>, truth: ArrayLike<number>): RocCurve {
  const c = rocCounts(scores, truth, 'rocCurve');
  const m = c.tp.length;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    fpr[i] = c.fp[i]! / c.negatives;
    tpr[i] = c.tp[i]! / c.positives;
  }
  return { fpr, tpr, thresholds: c.thresholds, positives: c.positives, negatives: c.negatives };
}

/** Area under the ROC curve (trapezoids) = P(score⁺ > score⁻) + ½·P(score⁺ = score⁻). */
export function auc(scores: ArrayLike<number>, truth: ArrayLike<number>): number {
  const c = rocCounts(scores, truth, 'auc');
  // Σ Δfp · (tp_prev + tp) / 2, kept as twice the area in integers (exact below 2^53).
  let twiceArea = 0;
  for (let i = 1; i < c.tp.length; i++) twiceArea += (c.fp[i]! - c.fp[i - 1]!) * (c.tp[i]! + c.tp[i - 1]!);
  return twiceArea / (2 * c.positives * c.negatives);
}
