// Classification metrics from predicted and true class labels (plain TypeScript, no wasm).
//
// Labels are integers 0..K−1. Predictions are labels too, or an n×K matrix of scores (a
// row-major Float32Array or Float64Array of logits or probabilities), which is reduced to
// labels by argmax, taking the first maximum on ties.
//
// Confusion matrix C, K×K:  C[t][p] = number of samples of true class t predicted as class p.
//   ROWS ARE TRUE CLASSES, COLUMNS ARE PREDICTED CLASSES (the convention of scikit-learn and most
//   texts): row sums are the supports, column sums say how often each class was predicted, and
//   the diagonal holds the correct predictions.
//
// One-vs-rest counts for class k, with n samples in all:
//   TP = C[k][k]              FN = Σ_p C[k][p] − TP   (class k, predicted as another class)
//   FP = Σ_t C[t][k] − TP     TN = n − TP − FN − FP
// and the rates built on them:
//   sensitivity = recall = TPR = TP / (TP + FN)
//   specificity = TNR          = TN / (TN + FP)
//   precision   = PPV          = TP / (TP + FP)
//   F1 = 2·TP / (2·TP + FP + FN), which is the harmonic mean 2·P·R / (P + R) whenever precision
//        and recall are both defined, and is 0 (not undefined) for a class that has samples
//        but is never predicted.
//   accuracy = Σ_k C[k][k] / n,   error rate = 1 − accuracy.
// A ratio whose denominator is 0 is NaN, meaning undefined, never 0: the precision of a class
// that is never predicted, the sensitivity of a class absent from the truth, the specificity
// when every sample belongs to the class, F1 of a class absent from both truth and predictions.
//
// Macro average of a metric = unweighted mean over the classes where it is defined (NaN
// entries are skipped); NaN when it is defined for no class. Each class counts the same
// whatever its support, unlike accuracy, where each sample counts the same.

import { DescentError, show } from '../engine/errors.js';

/** Class labels, integers 0..K−1. */
export type Labels = Int32Array | Uint8Array | readonly number[];
/** An n×K row-major matrix of class scores (logits or probabilities); argmax gives the label. */
export type Scores = Float32Array | Float64Array;
/** Predicted labels, or scores to reduce to labels by argmax. */
export type Predictions = Labels | Scores;

export interface ConfusionMatrix {
  /** K, the number of classes. */
  readonly classes: number;
  /** K×K counts, row-major: counts[t·K + p] = samples of true class t predicted as p. */
  readonly counts: Int32Array;
  /** n, the number of samples. */
  readonly total: number;
  /** Samples of true class t predicted as class p. */
  at(t: number, p: number): number;
}

/** One-vs-rest counts and rates of one class (or of the positive class of a binary problem). */
export interface ClassMetrics {
  tp: number;
  fn: number;
  fp: number;
  tn: number;
  /** TP + FN: samples that truly belong to the class. */
  support: number;
  /** Recall, true positive rate: TP / (TP + FN). */
  sensitivity: number;
  /** True negative rate: TN / (TN + FP). */
  specificity: number;
  /** Positive predictive value: TP / (TP + FP). */
  precision: number;
  /** 2·TP / (2·TP + FP + FN). */
  f1: number;
}

export interface MacroAverages {
  sensitivity: number;
  specificity: number;
  precision: number;
  f1: number;
}

export interface PerClassMetrics {
  /** perClass[k]: class k against the rest. */
  perClass: ClassMetrics[];
  /** Unweighted means over the classes where each metric is defined. */
  macro: MacroAverages;
  accuracy: number;
  total: number;
}

export interface BinaryMetrics extends ClassMetrics {
  /** The label counted as positive; every other label is negative. */
  positive: number;
  accuracy: number;
  total: number;
}

function isScores(x: Predictions): x is Scores {
  return x instanceof Float32Array || x instanceof Float64Array;
}

function checkLabelsType(x: unknown, op: string, name: string): void {
  if (!(Array.isArray(x) || x instanceof Int32Array || x instanceof Uint8Array || isScores(x as Predictions))) {
    throw new DescentError(`${op}: ${name} must be an Int32Array, Uint8Array or number[] of labels${name === 'pred' ? ', or a Float32Array of scores' : ''}, got ${x === null ? 'null' : typeof x}`);
  }
}

/**
 * Checks that labels are integers (in [0, classes) when classes is given, else ≥ 0 unless
 * `anyInteger`) and returns them as an Int32Array.
 */
function checkLabels(x: Labels, op: string, name: string, classes?: number, anyInteger = false): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const ok = Number.isInteger(v) && (classes !== undefined ? v >= 0 && v < classes : anyInteger || v >= 0) && Math.abs(v) < 2 ** 31;
    if (!ok) {
      const want = classes !== undefined ? `an integer in [0, ${classes})` : anyInteger ? 'an integer' : 'a non-negative integer';
      throw new DescentError(`${op}: ${name}[${i}] = ${show(v)} is not a class label (expected ${want})`);
    }
    out[i] = v;
  }
  return out;
}

/** Labels = argmax of each row of an n×K row-major score matrix (the first maximum on ties). */
export function argmaxRows(scores: Scores, classes: number): Int32Array {
  const op = 'argmaxRows';
  if (!Number.isInteger(classes) || classes < 1) throw new DescentError(`${op}: classes must be a positive integer, got ${classes}`);
  if (scores.length % classes !== 0) {
    throw new DescentError(`${op}: scores hold ${scores.length} values, not a multiple of ${classes} classes`);
  }
  const n = scores.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let best = 0;
    let max = scores[row]!;
    for (let k = 0; k < classes; k++) {
      const v = scores[row + k]!;
      if (Number.isNaN(v)) throw new DescentError(`${op}: scores row ${i} holds NaN (at class ${k})`);
      if (v > max) {
        max = v;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Validates pred and truth together; returns both as label arrays and the class count K (if known). */
function labelsOf(
  pred: Predictions,
  truth: Labels,
  op: string,
  classes?: number,
  anyInteger = false,
): { p: Int32Array; t: Int32Array; classes: number | undefined } {
  checkLabelsType(pred, op, 'pred');
  checkLabelsType(truth, op, 'truth');
  if (isScores(truth)) throw new DescentError(`${op}: truth must hold labels (Int32Array, Uint8Array or number[]), got a ${truth.constructor.name}`);
  if (classes !== undefined && (!Number.isInteger(classes) || classes < 1)) {
    throw new DescentError(`${op}: classes must be a positive integer, got ${show(classes)}`);
  }
  const n = truth.length;
  if (n === 0) throw new DescentError(`${op}: empty input (truth holds no labels)`);
  let p: Int32Array;
  if (isScores(pred)) {
    if (classes === undefined) {
      if (pred.length % n !== 0) {
        throw new DescentError(`${op}: pred scores hold ${pred.length} values, not a multiple of the ${n} samples in truth`);
      }
      classes = pred.length / n;
    } else if (pred.length !== n * classes) {
      throw new DescentError(`${op}: pred scores hold ${pred.length} values, expected ${n} samples × ${classes} classes = ${n * classes}`);
    }
    if (classes < 2) {
      throw new DescentError(`${op}: pred scores have ${classes} column(s) per sample; argmax needs at least 2 (threshold a single score into labels instead)`);
    }
    p = argmaxRows(pred, classes);
  } else {
    if (pred.length !== n) throw new DescentError(`${op}: pred and truth differ in length (${pred.length} vs ${n})`);
    p = checkLabels(pred, op, 'pred', classes, anyInteger);
  }
  const t = checkLabels(truth, op, 'truth', classes, anyInteger);
  return { p, t, classes };
}

/** Fraction of samples whose predicted label equals the true label. */
export function accuracy(pred: Predictions, truth: Labels): number {
  const { p, t } = labelsOf(pred, truth, 'accuracy');
  let right = 0;
  for (let i = 0; i < t.length; i++) if (p[i] === t[i]) right++;
  return right / t.length;
}

/** 1 − accuracy: the fraction of misclassified samples. */
export function errorRate(pred: Predictions, truth: Labels): number {
  const { p, t } = labelsOf(pred, truth, 'errorRate');
  let wrong = 0;
  for (let i = 0; i < t.length; i++) if (p[i] !== t[i]) wrong++;
  return wrong / t.length;
}

/** A confusion matrix over K classes made from given counts (row = true class, column = predicted). */
export function confusionMatrixFromCounts(counts: Int32Array, classes: number): ConfusionMatrix {
  if (!Number.isInteger(classes) || classes < 1 || counts.length !== classes * classes) {
    throw new DescentError(`confusionMatrix: counts must hold K×K values for K = ${classes} classes, got ${counts.length}`);
  }
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! < 0) throw new DescentError(`confusionMatrix: counts must be non-negative, got ${counts[i]} at ${i}`);
    total += counts[i]!;
  }
  const K = classes;
  return {
    classes: K,
    counts,
    total,
    at(t: number, p: number): number {
      if (!Number.isInteger(t) || !Number.isInteger(p) || t < 0 || p < 0 || t >= K || p >= K) {
        throw new DescentError(`confusionMatrix.at: (${t}, ${p}) is outside the ${K}×${K} matrix`);
      }
      return counts[t * K + p]!;
    },
  };
}

/**
 * K×K counts: rows are TRUE classes, columns are PREDICTED classes, at(t, p) = samples of class t
 * predicted as p. `classes` (K) defaults to the number of score columns, or to 1 + the largest
 * label seen in pred or truth.
 */
export function confusionMatrix(pred: Predictions, truth: Labels, classes?: number): ConfusionMatrix {
  const got = labelsOf(pred, truth, 'confusionMatrix', classes);
  const { p, t } = got;
  let K = got.classes;
  if (K === undefined) {
    K = 0;
    for (let i = 0; i < t.length; i++) K = Math.max(K, p[i]! + 1, t[i]! + 1);
  }
  const counts = new Int32Array(K * K);
  for (let i = 0; i < t.length; i++) counts[t[i]! * K + p[i]!]!++;
  return confusionMatrixFromCounts(counts, K);
}

function ratio(num: number, den: number): number {
  return den === 0 ? NaN : num / den;
}

function rates(tp: number, fn: number, fp: number, tn: number): ClassMetrics {
  return {
    tp,
    fn,
    fp,
    tn,
    support: tp + fn,
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    precision: ratio(tp, tp + fp),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

/** Mean of the values that are not NaN; NaN if there are none. */
function meanDefined(values: number[]): number {
  let s = 0;
  let m = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      s += v;
      m++;
    }
  }
  return m === 0 ? NaN : s / m;
}

/** One-vs-rest TP, FN, FP, TN and rates of every class, their macro averages, and accuracy. */
export function perClassMetrics(cm: ConfusionMatrix): PerClassMetrics {
  const K = cm.classes;
  const n = cm.total;
  if (n === 0) throw new DescentError('perClassMetrics: the confusion matrix is empty (no samples)');
  const perClass: ClassMetrics[] = [];
  let correct = 0;
  for (let k = 0; k < K; k++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < K; j++) {
      row += cm.counts[k * K + j]!;
      col += cm.counts[j * K + k]!;
    }
    const tp = cm.counts[k * K + k]!;
    correct += tp;
    const fn = row - tp;
    const fp = col - tp;
    perClass.push(rates(tp, fn, fp, n - tp - fn - fp));
  }
  const macro: MacroAverages = {
    sensitivity: meanDefined(perClass.map((m) => m.sensitivity)),
    specificity: meanDefined(perClass.map((m) => m.specificity)),
    precision: meanDefined(perClass.map((m) => m.precision)),
    f1: meanDefined(perClass.map((m) => m.f1)),
  };
  return { perClass, macro, accuracy: correct / n, total: n };
}

/**
 * Counts and rates of a binary problem: samples labelled `positive` are positives, every other
 * label is negative (so 0/1 and −1/+1 labels both work with the default positive = 1).
 */
export function binaryMetrics(pred: Predictions, truth: Labels, positive = 1): BinaryMetrics {
  const op = 'binaryMetrics';
  if (!Number.isInteger(positive)) throw new DescentError(`${op}: positive must be an integer label, got ${show(positive)}`);
  const { p, t } = labelsOf(pred, truth, op, undefined, true);
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let tn = 0;
  for (let i = 0; i < t.length; i++) {
    const isPos = t[i] === positive;
    const saysPos = p[i] === positive;
    if (isPos) {
      if (saysPos) tp++;
      else fn++;
    } else if (saysPos) fp++;
    else tn++;
  }
  return { ...rates(tp, fn, fp, tn), positive, accuracy: (tp + tn) / t.length, total: t.length };
}

// ---- text tables for terminals ----

function namesFor(K: number, classNames: readonly string[] | undefined, op: string): string[] {
  if (classNames === undefined) return Array.from({ length: K }, (_, k) => String(k));
  if (classNames.length !== K) throw new DescentError(`${op}: ${classNames.length} class names given for ${K} classes`);
  return classNames.map(String);
}

/** A rate with 4 decimals, or "n/a" when undefined (NaN). */
function fmtRate(x: number): string {
  return Number.isNaN(x) ? 'n/a' : x.toFixed(4);
}

/** Lays out rows of cells: the first column left-aligned, the others right-aligned. */
function layout(rows: string[][], gap = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, j) => (widths[j] = Math.max(widths[j] ?? 0, c.length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join(gap).trimEnd());
}

/**
 * The confusion matrix as an aligned text table: one row per true class, one column per
 * predicted class, with row and column totals.
 */
export function formatConfusionMatrix(cm: ConfusionMatrix, classNames?: readonly string[]): string {
  const K = cm.classes;
  const names = namesFor(K, classNames, 'formatConfusionMatrix');
  const colTotals = new Array<number>(K).fill(0);
  const rows: string[][] = [['true \\ predicted', ...names, '|', 'total']];
  for (let t = 0; t < K; t++) {
    const cells: string[] = [names[t]!];
    let rowTotal = 0;
    for (let p = 0; p < K; p++) {
      const c = cm.counts[t * K + p]!;
      cells.push(String(c));
      rowTotal += c;
      colTotals[p]! += c;
    }
    rows.push([...cells, '|', String(rowTotal)]);
  }
  rows.push(['total', ...colTotals.map(String), '|', String(cm.total)]);
  const lines = layout(rows);
  const rule = '-'.repeat(Math.max(...lines.map((l) => l.length)));
  return ['rows: true class, columns: predicted class', lines[0]!, rule, ...lines.slice(1, -1), rule, lines[lines.length - 1]!].join('\n');
}

/** Per-class counts and rates as an aligned text table, with the macro averages and accuracy. */
export function formatPerClass(metrics: PerClassMetrics, classNames?: readonly string[]): string {
  const names = namesFor(metrics.perClass.length, classNames, 'formatPerClass');
  const rows: string[][] = [['class', 'support', 'TP', 'FN', 'FP', 'TN', 'sensitivity', 'specificity', 'precision', 'F1']];
  metrics.perClass.forEach((m, k) => {
    rows.push([names[k]!, ...[m.support, m.tp, m.fn, m.fp, m.tn].map(String), ...[m.sensitivity, m.specificity, m.precision, m.f1].map(fmtRate)]);
  });
  const a = metrics.macro;
  rows.push(['macro avg', String(metrics.total), '', '', '', '', ...[a.sensitivity, a.specificity, a.precision, a.f1].map(fmtRate)]);
  const lines = layout(rows);
  const rule = '-'.repeat(Math.max(...lines.map((l) => l.length)));
  const correct = metrics.perClass.reduce((s, m) => s + m.tp, 0);
  return [
    lines[0]!,
    rule,
    ...lines.slice(1, -1),
    rule,
    lines[lines.length - 1]!,
    `accuracy ${fmtRate(metrics.accuracy)} (${correct}/${metrics.total}), error rate ${fmtRate(1 - metrics.accuracy)}`,
  ].join('\n');
}
