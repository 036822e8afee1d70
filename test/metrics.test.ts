import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import {
  accuracy,
  argmaxRows,
  binaryMetrics,
  confusionMatrix,
  errorRate,
  formatConfusionMatrix,
  formatPerClass,
  perClassMetrics,
  type ClassMetrics,
} from '../src/metrics/classification.js';
import { auc, rocCurve } from '../src/metrics/roc.js';

/** Small deterministic generator for the tests (LCG, Numerical Recipes constants). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function expectRates(m: ClassMetrics, want: Partial<ClassMetrics>): void {
  for (const [k, v] of Object.entries(want) as [keyof ClassMetrics, number][]) {
    if (Number.isNaN(v)) expect(m[k], k).toBeNaN();
    else expect(m[k], k).toBeCloseTo(v, 12);
  }
}

// A 3-class example worked out by hand.
//   truth: 0 0 0 1 1 1 1 2 2 2
//   pred : 0 0 1 1 1 2 0 2 2 1
// Confusion matrix (rows true, columns predicted):
//          p0 p1 p2
//   t0  [   2  1  0 ]
//   t1  [   1  2  1 ]
//   t2  [   0  1  2 ]
// class 0: TP 2, FN 1, FP 1, TN 6 → sens 2/3, spec 6/7, prec 2/3, F1 4/6
// class 1: TP 2, FN 2, FP 2, TN 4 → sens 1/2, spec 4/6, prec 2/4, F1 4/8
// class 2: TP 2, FN 1, FP 1, TN 6 → sens 2/3, spec 6/7, prec 2/3, F1 4/6
// accuracy 6/10.
const truth3 = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2];
const pred3 = [0, 0, 1, 1, 1, 2, 0, 2, 2, 1];

describe('classification metrics', () => {
  it('accuracy and error rate', () => {
    expect(accuracy(pred3, truth3)).toBeCloseTo(0.6, 15);
    expect(errorRate(pred3, truth3)).toBeCloseTo(0.4, 15);
    expect(accuracy(Int32Array.from(pred3), Int32Array.from(truth3))).toBeCloseTo(0.6, 15);
    expect(accuracy(Uint8Array.from(pred3), truth3)).toBeCloseTo(0.6, 15);
    expect(accuracy([1], [1])).toBe(1);
    expect(errorRate([0], [1])).toBe(1);
  });

  it('confusion matrix: rows are true classes, columns predicted classes', () => {
    const cm = confusionMatrix(pred3, truth3, 3);
    expect(cm.classes).toBe(3);
    expect(cm.total).toBe(10);
    expect(Array.from(cm.counts)).toEqual([2, 1, 0, 1, 2, 1, 0, 1, 2]);
    expect(cm.at(1, 2)).toBe(1); // the sample of class 1 predicted as 2
    expect(cm.at(1, 0)).toBe(1);
    expect(cm.at(0, 2)).toBe(0);
    // an asymmetric case pins the orientation: truth all 0, predictions all 1
    const one = confusionMatrix([1, 1], [0, 0], 2);
    expect(one.at(0, 1)).toBe(2);
    expect(one.at(1, 0)).toBe(0);
    // K inferred from the largest label
    expect(confusionMatrix([0, 3], [1, 0]).classes).toBe(4);
    expect(() => cm.at(3, 0)).toThrow('confusionMatrix.at: (3, 0) is outside the 3×3 matrix');
  });

  it('per-class one-vs-rest counts and rates, and macro averages', () => {
    const m = perClassMetrics(confusionMatrix(pred3, truth3, 3));
    expectRates(m.perClass[0]!, { tp: 2, fn: 1, fp: 1, tn: 6, support: 3, sensitivity: 2 / 3, specificity: 6 / 7, precision: 2 / 3, f1: 4 / 6 });
    expectRates(m.perClass[1]!, { tp: 2, fn: 2, fp: 2, tn: 4, support: 4, sensitivity: 1 / 2, specificity: 4 / 6, precision: 2 / 4, f1: 4 / 8 });
    expectRates(m.perClass[2]!, { tp: 2, fn: 1, fp: 1, tn: 6, support: 3, sensitivity: 2 / 3, specificity: 6 / 7, precision: 2 / 3, f1: 4 / 6 });
    expect(m.macro.sensitivity).toBeCloseTo((2 / 3 + 1 / 2 + 2 / 3) / 3, 12);
    expect(m.macro.specificity).toBeCloseTo((6 / 7 + 4 / 6 + 6 / 7) / 3, 12);
    expect(m.macro.precision).toBeCloseTo((2 / 3 + 2 / 4 + 2 / 3) / 3, 12);
    expect(m.macro.f1).toBeCloseTo((4 / 6 + 4 / 8 + 4 / 6) / 3, 12);
    expect(m.accuracy).toBeCloseTo(0.6, 15);
    expect(m.total).toBe(10);
  });

  it('undefined ratios are NaN, and macro averages skip them', () => {
    // class 2 neither occurs nor is predicted:
    //   class 0: TP 1, FN 1, FP 0, TN 2 → sens 1/2, spec 1, prec 1, F1 2/3
    //   class 1: TP 2, FN 0, FP 1, TN 1 → sens 1, spec 1/2, prec 2/3, F1 4/5
    //   class 2: TP 0, FN 0, FP 0, TN 4 → sens NaN, spec 1, prec NaN, F1 NaN
    const m = perClassMetrics(confusionMatrix([0, 1, 1, 1], [0, 0, 1, 1], 3));
    expectRates(m.perClass[0]!, { tp: 1, fn: 1, fp: 0, tn: 2, sensitivity: 1 / 2, specificity: 1, precision: 1, f1: 2 / 3 });
    expectRates(m.perClass[1]!, { tp: 2, fn: 0, fp: 1, tn: 1, sensitivity: 1, specificity: 1 / 2, precision: 2 / 3, f1: 4 / 5 });
    expectRates(m.perClass[2]!, { tp: 0, fn: 0, fp: 0, tn: 4, sensitivity: NaN, specificity: 1, precision: NaN, f1: NaN });
    expect(m.macro.sensitivity).toBeCloseTo((1 / 2 + 1) / 2, 12);
    expect(m.macro.specificity).toBeCloseTo((1 + 1 / 2 + 1) / 3, 12);
    expect(m.macro.precision).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(m.macro.f1).toBeCloseTo((2 / 3 + 4 / 5) / 2, 12);

    // class 1 occurs but is never predicted: precision NaN, recall 0, F1 0;
    // class 0 is predicted for every sample: TN 0, FP 2 → specificity 0.
    const n = perClassMetrics(confusionMatrix([0, 0, 0], [0, 1, 1], 2));
    expectRates(n.perClass[1]!, { tp: 0, fn: 2, fp: 0, tn: 1, sensitivity: 0, specificity: 1, precision: NaN, f1: 0 });
    expectRates(n.perClass[0]!, { tp: 1, fn: 0, fp: 2, tn: 0, sensitivity: 1, specificity: 0, precision: 1 / 3, f1: 2 / 4 });

    // every sample in one class: its specificity is 0/0
    const all = perClassMetrics(confusionMatrix([0, 0], [0, 0], 1));
    expectRates(all.perClass[0]!, { tp: 2, tn: 0, sensitivity: 1, specificity: NaN, precision: 1, f1: 1 });
    expect(all.macro.specificity).toBeNaN();
  });

  it('predictions from n×K scores by argmax, first maximum on ties', () => {
    // rows: argmax 2, 0, 1 (tie between 1 and 2 → 1), 0 (all equal → 0)
    const scores = Float32Array.from([0.1, 0.2, 0.7, 5, -1, 2, 0, 3, 3, 1, 1, 1]);
    expect(Array.from(argmaxRows(scores, 3))).toEqual([2, 0, 1, 0]);
    expect(accuracy(scores, [2, 0, 1, 1])).toBeCloseTo(0.75, 15);
    expect(confusionMatrix(scores, [2, 0, 2, 0]).classes).toBe(3);
    expect(Array.from(confusionMatrix(Float64Array.from(scores), [2, 0, 2, 0], 3).counts)).toEqual([2, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(() => accuracy(Float32Array.from([0, 1, NaN, 0]), [0, 1])).toThrow('argmaxRows: scores row 1 holds NaN (at class 0)');
  });

  it('binary metrics, with 0/1 and −1/+1 labels and either class as positive', () => {
    // truth 1 1 1 0 0 0 0 1, pred 1 0 1 0 1 1 0 1: TP 3 (0, 2, 7), FN 1 (1), FP 2 (4, 5), TN 2 (3, 6)
    const truth = [1, 1, 1, 0, 0, 0, 0, 1];
    const pred = [1, 0, 1, 0, 1, 1, 0, 1];
    const b = binaryMetrics(pred, truth);
    expectRates(b, { tp: 3, fn: 1, fp: 2, tn: 2, support: 4, sensitivity: 3 / 4, specificity: 2 / 4, precision: 3 / 5, f1: 6 / 9 });
    expect(b.accuracy).toBeCloseTo(5 / 8, 15);
    expect(b.positive).toBe(1);
    const pm = binaryMetrics(pred.map((v) => 2 * v - 1), truth.map((v) => 2 * v - 1));
    expectRates(pm, { tp: 3, fn: 1, fp: 2, tn: 2 });
    // class 0 as positive swaps the roles: TP ↔ TN, FN ↔ FP
    const neg = binaryMetrics(pred, truth, 0);
    expectRates(neg, { tp: 2, fn: 2, fp: 1, tn: 3, sensitivity: 2 / 4, specificity: 3 / 4, precision: 2 / 3, f1: 4 / 7 });
    // agrees with the per-class metrics of the 2×2 confusion matrix
    const pc = perClassMetrics(confusionMatrix(pred, truth, 2));
    expect(pc.perClass[1]).toEqual({ tp: 3, fn: 1, fp: 2, tn: 2, support: 4, sensitivity: 3 / 4, specificity: 2 / 4, precision: 3 / 5, f1: 6 / 9 });
    // nothing predicted positive: precision undefined
    expectRates(binaryMetrics([0, 0], [1, 0]), { tp: 0, fp: 0, precision: NaN, sensitivity: 0, f1: 0 });
  });

  it('text tables are aligned', () => {
    const cm = confusionMatrix(pred3, truth3, 3);
    const text = formatConfusionMatrix(cm, ['cat', 'dog', 'bird']);
    expect(text).toBe(
      [
        'rows: true class, columns: predicted class',
        'true \\ predicted  cat  dog  bird  |  total',
        '------------------------------------------',
        'cat                 2    1     0  |      3',
        'dog                 1    2     1  |      4',
        'bird                0    1     2  |      3',
        '------------------------------------------',
        'total               3    4     3  |     10',
      ].join('\n'),
    );
    const table = formatPerClass(perClassMetrics(confusionMatrix([0, 1, 1, 1], [0, 0, 1, 1], 3)));
    const lines = table.split('\n');
    expect(lines[0]).toBe('class      support  TP  FN  FP  TN  sensitivity  specificity  precision      F1');
    expect(lines[4]).toBe('2                0   0   0   0   4          n/a       1.0000        n/a     n/a');
    expect(lines[6]).toBe('macro avg        4                       0.7500       0.8333     0.8333  0.7333');
    expect(lines[7]).toBe('accuracy 0.7500 (3/4), error rate 0.2500');
    // every table row has the width of the header
    for (const l of lines.slice(1, 6)) expect(l.length === lines[0]!.length || /^-+$/.test(l)).toBe(true);
    expect(() => formatConfusionMatrix(cm, ['a', 'b'])).toThrow('formatConfusionMatrix: 2 class names given for 3 classes');
  });

  it('bad input raises DescentError naming the operation', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(DescentError);
    expect(() => accuracy([0, 1], [0])).toThrow('accuracy: pred and truth differ in length (2 vs 1)');
    expect(() => errorRate([], [])).toThrow('errorRate: empty input (truth holds no labels)');
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow('confusionMatrix: pred[1] = 3 is not a class label (expected an integer in [0, 3))');
    expect(() => confusionMatrix([0, 1], [0, 1.5], 3)).toThrow('confusionMatrix: truth[1] = 1.5 is not a class label (expected an integer in [0, 3))');
    expect(() => accuracy([0, -1], [0, 1])).toThrow('accuracy: pred[1] = -1 is not a class label (expected a non-negative integer)');
    expect(() => accuracy([0, NaN], [0, 1])).toThrow('accuracy: pred[1] = NaN is not a class label');
    expect(() => confusionMatrix([0, 1], [0, 1], 0)).toThrow('confusionMatrix: classes must be a positive integer, got 0');
    expect(() => accuracy(new Float32Array(5), [0, 1])).toThrow('accuracy: pred scores hold 5 values, not a multiple of the 2 samples in truth');
    expect(() => confusionMatrix(new Float32Array(6), [0, 1], 2)).toThrow('confusionMatrix: pred scores hold 6 values, expected 2 samples × 2 classes = 4');
    expect(() => accuracy(new Float32Array(2), [0, 1])).toThrow(/argmax needs at least 2/);
    expect(() => accuracy([0, 1], new Float32Array(2) as never)).toThrow('accuracy: truth must hold labels');
    expect(() => accuracy('01' as never, [0, 1])).toThrow('accuracy: pred must be an Int32Array, Uint8Array or number[] of labels, or a Float32Array of scores, got string');
    expect(() => binaryMetrics([0, 1], [0, 1], 0.5)).toThrow('binaryMetrics: positive must be an integer label, got 0.5');
    expect(() => binaryMetrics([0, 1.5], [0, 1])).toThrow('binaryMetrics: pred[1] = 1.5 is not a class label (expected an integer)');
  });
});

/** O(n²) Mann–Whitney: P(s⁺ > s⁻) + ½·P(s⁺ = s⁻) over all positive–negative pairs. */
function mannWhitney(scores: ArrayLike<number>, truth: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (truth[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (truth[j] !== 0) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

function trapezoid(x: Float64Array, y: Float64Array): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return a;
}

describe('ROC curve and AUC', () => {
  it('a tie between a positive and a negative gives one diagonal segment', () => {
    // thresholds ∞, 0.9, 0.5, 0.1 → points (0,0), (0,½), (½,1), (1,1); the 0.5 tie moves both at once.
    // pairs: 0.9>0.5, 0.9>0.1, 0.5=0.5 (½), 0.5>0.1 → AUC = 3.5/4
    const c = rocCurve([0.5, 0.9, 0.1, 0.5], [0, 1, 0, 1]);
    expect(Array.from(c.thresholds)).toEqual([Infinity, 0.9, 0.5, 0.1]);
    expect(Array.from(c.fpr)).toEqual([0, 0, 0.5, 1]);
    expect(Array.from(c.tpr)).toEqual([0, 0.5, 1, 1]);
    expect(c.positives).toBe(2);
    expect(c.negatives).toBe(2);
    expect(auc([0.5, 0.9, 0.1, 0.5], [0, 1, 0, 1])).toBe(0.875);
  });

  it('matches a brute-force Mann–Whitney count on random data with many ties', () => {
    const rand = lcg(12345);
    for (const n of [2, 3, 10, 57, 400]) {
      for (let trial = 0; trial < 5; trial++) {
        const truth = new Int32Array(n);
        const scores = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          truth[i] = rand() < 0.4 ? 1 : 0;
          // informative but noisy, rounded to 1 decimal: many ties, across classes too
          scores[i] = Math.round((0.3 * truth[i]! + 0.7 * rand()) * 10) / 10;
        }
        truth[0] = 1;
        truth[n - 1] = 0;
        const want = mannWhitney(scores, truth);
        expect(auc(scores, truth), `n=${n}`).toBeCloseTo(want, 13);
        const c = rocCurve(scores, truth);
        expect(trapezoid(c.fpr, c.tpr), `n=${n}`).toBeCloseTo(want, 13);
        // one point per distinct score, plus (0,0) at +∞; monotone from (0,0) to (1,1)
        expect(c.thresholds.length).toBe(new Set(scores).size + 1);
        expect([c.fpr[0], c.tpr[0], c.fpr[c.fpr.length - 1], c.tpr[c.tpr.length - 1]]).toEqual([0, 0, 1, 1]);
        for (let i = 1; i < c.fpr.length; i++) {
          expect(c.fpr[i]! >= c.fpr[i - 1]! && c.tpr[i]! >= c.tpr[i - 1]!).toBe(true);
          expect(c.thresholds[i]!).toBeLessThan(c.thresholds[i - 1]!);
        }
      }
    }
  });

  it('does not depend on the order of the samples', () => {
    const scores = [0.2, 0.2, 0.8, 0.5, 0.5, 0.5, 0.1, 0.9];
    const truth = [0, 1, 1, 0, 1, 0, 0, 1];
    const perm = [7, 3, 0, 5, 1, 6, 2, 4];
    const a = rocCurve(scores, truth);
    const b = rocCurve(perm.map((i) => scores[i]!), perm.map((i) => truth[i]!));
    expect(b).toEqual(a);
  });

  it('perfect, inverted and uninformative classifiers', () => {
    const truth = [0, 0, 0, 1, 1];
    expect(auc([0.1, 0.2, 0.3, 0.8, 0.9], truth)).toBe(1);
    expect(auc([0.9, 0.8, 0.7, 0.2, 0.1], truth)).toBe(0);
    expect(auc([3, 3, 3, 3, 3], truth)).toBe(0.5);
    const flat = rocCurve(new Float32Array(5).fill(0.25), truth);
    expect(Array.from(flat.fpr)).toEqual([0, 1]);
    expect(Array.from(flat.tpr)).toEqual([0, 1]);
    expect(Array.from(flat.thresholds)).toEqual([Infinity, 0.25]);
    const perfect = rocCurve([0.1, 0.2, 0.3, 0.8, 0.9], truth);
    expect(Array.from(perfect.fpr)).toEqual([0, 0, 0, 1 / 3, 2 / 3, 1]);
    expect(Array.from(perfect.tpr)).toEqual([0, 0.5, 1, 1, 1, 1]);
  });

  it('bad input raises DescentError naming the operation', () => {
    expect(() => auc([0.1, 0.2], [1, 1])).toThrow(DescentError);
    expect(() => auc([0.1, 0.2], [1, 1])).toThrow('auc: only one class present (2 positives, 0 negatives); the ROC curve needs both');
    expect(() => rocCurve([0.1, 0.2], [0, 0])).toThrow('rocCurve: only one class present (0 positives, 2 negatives)');
    expect(() => rocCurve([0.1, NaN], [0, 1])).toThrow('rocCurve: scores must be finite, got scores[1] = NaN');
    expect(() => auc([Infinity, 0], [0, 1])).toThrow('auc: scores must be finite, got scores[0] = Infinity');
    expect(() => auc([0.1, 0.2, 0.3], [0, 1])).toThrow('auc: scores and truth differ in length (3 vs 2)');
    expect(() => auc([], [])).toThrow('auc: empty input (no samples)');
    expect(() => rocCurve([0.1, 0.2], [0, 2])).toThrow('rocCurve: truth must hold 0 (negative) or 1 (positive), got truth[1] = 2');
  });
});
