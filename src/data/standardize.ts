// Per-feature z-scores, (x − mean) / std, fitted on training data only and then applied to
// training, validation and test data alike (fitting on test data would leak it into training).
//
// mean and std are computed in f64 (two passes) and stored as f32; std is the population
// standard deviation (divide by n, as scikit-learn's StandardScaler). A feature that is constant
// on the training data (every value equal) gets std 1, so it maps to x − mean: 0 on the training
// data, and its offset from the training constant elsewhere, instead of a division by zero.

import { DescentError } from '../engine/errors.js';
import { checkDataset, type Dataset } from './dataset.js';

export interface StandardizerJSON {
  mean: number[];
  std: number[];
}

export interface Standardizer {
  readonly mean: Float32Array;
  readonly std: Float32Array;
  /** A new data set with standardized x; labels, targets and the rest are shared with `ds`. */
  apply(ds: Dataset): Dataset;
  /** Standardizes rows of features values (row-major, any number of rows) into `out` (new by default). */
  transform(x: Float32Array, out?: Float32Array): Float32Array;
  toJSON(): StandardizerJSON;
}

function make(mean: Float32Array, std: Float32Array): Standardizer {
  const f = mean.length;
  const transform = (x: Float32Array, out?: Float32Array): Float32Array => {
    if (x.length % f !== 0) {
      throw new DescentError(`standardize: ${x.length} values are not whole rows of ${f} features`);
    }
    const o = out ?? new Float32Array(x.length);
    if (o.length !== x.length) throw new DescentError(`standardize: out holds ${o.length} values, x has ${x.length}`);
    for (let i = 0; i < x.length; i += f) {
      for (let j = 0; j < f; j++) o[i + j] = (x[i + j] - mean[j]) / std[j];
    }
    return o;
  };
  return {
    mean,
    std,
    transform,
    apply(ds: Dataset): Dataset {
      if (ds.features !== f) {
        throw new DescentError(`standardize: data has ${ds.features} features, the standardizer was fitted on ${f}`);
      }
      return { ...ds, x: transform(ds.x) };
    },
    toJSON(): StandardizerJSON {
      return { mean: Array.from(mean), std: Array.from(std) };
    },
  };
}

/** Fits mean and std per feature on `ds` (the training data). */
export function fitStandardizer(ds: Dataset): Standardizer {
  checkDataset(ds, 'fitStandardizer');
  const { x, n, features: f } = ds;
  const sum = new Float64Array(f);
  const lo = new Float32Array(f).fill(Infinity);
  const hi = new Float32Array(f).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const o = i * f;
    for (let j = 0; j < f; j++) {
      const v = x[o + j];
      sum[j] += v;
      if (v < lo[j]) lo[j] = v;
      if (v > hi[j]) hi[j] = v;
    }
  }
  const m64 = sum.map((s) => s / n);
  const ss = new Float64Array(f);
  for (let i = 0; i < n; i++) {
    const o = i * f;
    for (let j = 0; j < f; j++) {
      const d = x[o + j] - m64[j];
      ss[j] += d * d;
    }
  }
  const mean = new Float32Array(f);
  const std = new Float32Array(f);
  for (let j = 0; j < f; j++) {
    // Constant feature: exactly its value as mean (avoids a rounding residue) and std 1.
    mean[j] = lo[j] === hi[j] ? lo[j] : m64[j];
    const s = Math.sqrt(ss[j] / n);
    std[j] = lo[j] === hi[j] || !(s > 0) ? 1 : s;
    // A tiny but non-zero std that underflows f32 would divide by 0: treat it as constant.
    if (std[j] === 0) std[j] = 1;
  }
  return make(mean, std);
}

/** Rebuilds a standardizer from `toJSON()` output. */
export function loadStandardizer(json: StandardizerJSON): Standardizer {
  const ok = (a: unknown): a is number[] => Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!json || !ok(json.mean) || !ok(json.std) || json.mean.length !== json.std.length || json.mean.length === 0) {
    throw new DescentError('loadStandardizer: expected { mean: number[], std: number[] } of equal non-zero length with finite values');
  }
  if (json.std.some((s) => !(s > 0))) throw new DescentError('loadStandardizer: every std must be positive');
  return make(Float32Array.from(json.mean), Float32Array.from(json.std));
}
