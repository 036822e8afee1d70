// In-memory data sets: one row-major Float32Array of inputs plus class labels or regression
// targets. Everything in src/data works on bytes or text and runs unchanged in Node, browsers,
// workers and edge runtimes (no `node:` imports); reading files is the caller's business.

import { DescentError, show } from '../engine/errors.js';

export interface Dataset {
  /** Inputs, row-major n × features. */
  x: Float32Array;
  /** Number of samples (≥ 1). */
  n: number;
  /** Values per sample. */
  features: number;
  /** Classification: class ids 0..classes−1, one per sample. */
  labels?: Int32Array;
  /** Classification: number of classes. */
  classes?: number;
  /** Classification: name of each class id, where known (CSV string labels). */
  classNames?: string[];
  /** Regression: row-major n × targetWidth. */
  targets?: Float32Array;
  /** Regression: values per target row. */
  targetWidth?: number;
  /** Shape of one sample, e.g. [28, 28] for MNIST; its product is `features`. */
  featureShape?: number[];
  /** Names of the feature columns, where known (CSV header). */
  featureNames?: string[];
  name?: string;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'object';
}

/**
 * Throws a DescentError naming `op` (e.g. "fit") and the first problem found:
 * `fit: data x has NaN at sample 12, feature 3`. Sample and feature indices are 0-based.
 * Returns `ds` for chaining.
 */
export function checkDataset(ds: Dataset, op: string): Dataset {
  if (ds === null || typeof ds !== 'object') throw new DescentError(`${op}: data must be a data set object, got ${typeName(ds)}`);
  const { x, n, features } = ds;
  if (!isInt(n) || n < 0) throw new DescentError(`${op}: data n must be a non-negative integer, got ${show(n)}`);
  if (n === 0) throw new DescentError(`${op}: empty data set (n = 0)`);
  if (!isInt(features) || features < 1) throw new DescentError(`${op}: data features must be a positive integer, got ${show(features)}`);
  if (!(x instanceof Float32Array)) throw new DescentError(`${op}: data x must be a Float32Array, got ${typeName(x)}`);
  if (x.length !== n * features) {
    throw new DescentError(`${op}: data x holds ${x.length} values, expected n × features = ${n} × ${features} = ${n * features}`);
  }
  if (ds.featureShape !== undefined) {
    const fs = ds.featureShape;
    if (!Array.isArray(fs) || !fs.every((d) => isInt(d) && d >= 1) || fs.reduce((a, b) => a * b, 1) !== features) {
      throw new DescentError(`${op}: data featureShape [${show(fs)}] does not multiply out to features = ${features}`);
    }
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    // v - v is 0 for finite v and NaN for NaN and ±Infinity: one comparison in the common case.
    if (v - v !== 0) {
      const s = Math.floor(i / features);
      throw new DescentError(`${op}: data x has ${v} at sample ${s}, feature ${i - s * features}`);
    }
  }
  if (ds.labels !== undefined) {
    const { labels, classes } = ds;
    if (!(labels instanceof Int32Array)) throw new DescentError(`${op}: data labels must be an Int32Array, got ${typeName(labels)}`);
    if (labels.length !== n) throw new DescentError(`${op}: data has ${n} samples but ${labels.length} labels`);
    if (!isInt(classes) || classes < 1) {
      throw new DescentError(`${op}: data has labels, so classes must be a positive integer, got ${show(classes)}`);
    }
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      if (l < 0 || l >= classes) {
        throw new DescentError(`${op}: data label ${l} at sample ${i} is outside [0, ${classes}) (classes = ${classes})`);
      }
    }
    if (ds.classNames !== undefined && (!Array.isArray(ds.classNames) || ds.classNames.length !== classes)) {
      throw new DescentError(`${op}: data classNames must hold one name per class (${classes}), got ${show(ds.classNames?.length)}`);
    }
  } else if (ds.classes !== undefined && (!isInt(ds.classes) || ds.classes < 1)) {
    throw new DescentError(`${op}: data classes must be a positive integer, got ${show(ds.classes)}`);
  }
  if (ds.targets !== undefined) {
    const { targets, targetWidth } = ds;
    if (!(targets instanceof Float32Array)) throw new DescentError(`${op}: data targets must be a Float32Array, got ${typeName(targets)}`);
    if (!isInt(targetWidth) || targetWidth < 1) {
      throw new DescentError(`${op}: data has targets, so targetWidth must be a positive integer, got ${show(targetWidth)}`);
    }
    if (targets.length !== n * targetWidth) {
      throw new DescentError(
        `${op}: data targets hold ${targets.length} values, expected n × targetWidth = ${n} × ${targetWidth} = ${n * targetWidth}`,
      );
    }
    for (let i = 0; i < targets.length; i++) {
      const v = targets[i];
      if (v - v !== 0) {
        const s = Math.floor(i / targetWidth);
        throw new DescentError(`${op}: data targets have ${v} at sample ${s}, column ${i - s * targetWidth}`);
      }
    }
  }
  return ds;
}

/** A new data set with copies of the given rows (in the given order; repeats allowed). */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const m = indices.length;
  if (m === 0) throw new DescentError('subset: no indices given (a data set needs at least one sample)');
  const f = ds.features;
  const x = new Float32Array(m * f);
  const labels = ds.labels ? new Int32Array(m) : undefined;
  const tw = ds.targetWidth ?? 0;
  const targets = ds.targets ? new Float32Array(m * tw) : undefined;
  for (let i = 0; i < m; i++) {
    const j = indices[i];
    if (!isInt(j) || j < 0 || j >= ds.n) throw new DescentError(`subset: index ${j} (position ${i}) is outside [0, ${ds.n})`);
    x.set(ds.x.subarray(j * f, j * f + f), i * f);
    if (labels) labels[i] = ds.labels![j];
    if (targets) targets.set(ds.targets!.subarray(j * tw, j * tw + tw), i * tw);
  }
  const out: Dataset = { ...ds, x, n: m };
  if (labels) out.labels = labels;
  if (targets) out.targets = targets;
  if (ds.featureShape) out.featureShape = ds.featureShape.slice();
  if (ds.featureNames) out.featureNames = ds.featureNames.slice();
  if (ds.classNames) out.classNames = ds.classNames.slice();
  return out;
}

/**
 * Gathers rows indices[start .. start+count) of `ds` into xOut (count × features, row-major),
 * and their labels / targets into labelsOut / targetsOut when given. The outputs may be longer
 * than needed (a buffer sized for a full batch serves a short last batch too).
 */
export function batchInto(
  ds: Dataset,
  indices: ArrayLike<number>,
  start: number,
  count: number,
  xOut: Float32Array,
  labelsOut?: Int32Array,
  targetsOut?: Float32Array,
): void {
  if (!isInt(start) || !isInt(count) || start < 0 || count < 0 || start + count > indices.length) {
    throw new DescentError(`batchInto: rows [${start}, ${start}+${count}) are outside the ${indices.length} indices`);
  }
  const f = ds.features;
  if (xOut.length < count * f) {
    throw new DescentError(`batchInto: xOut holds ${xOut.length} values, a batch of ${count} × ${f} needs ${count * f}`);
  }
  const labels = ds.labels;
  if (labelsOut) {
    if (!labels) throw new DescentError('batchInto: labelsOut given but the data set has no labels');
    if (labelsOut.length < count) throw new DescentError(`batchInto: labelsOut holds ${labelsOut.length} values, the batch needs ${count}`);
  }
  const targets = ds.targets;
  const tw = ds.targetWidth ?? 0;
  if (targetsOut) {
    if (!targets) throw new DescentError('batchInto: targetsOut given but the data set has no targets');
    if (targetsOut.length < count * tw) {
      throw new DescentError(`batchInto: targetsOut holds ${targetsOut.length} values, a batch of ${count} × ${tw} needs ${count * tw}`);
    }
  }
  const x = ds.x;
  const n = ds.n;
  for (let i = 0; i < count; i++) {
    const j = indices[start + i];
    // One comparison catches negative, too large, NaN and (via j % 1) fractional indices.
    if (!(j >= 0 && j < n) || j % 1 !== 0) throw new DescentError(`batchInto: index ${j} (position ${start + i}) is outside [0, ${n})`);
    const o = j * f;
    xOut.set(x.subarray(o, o + f), i * f);
    if (labelsOut) labelsOut[i] = labels![j];
    if (targetsOut) targetsOut.set(targets!.subarray(j * tw, j * tw + tw), i * tw);
  }
}
