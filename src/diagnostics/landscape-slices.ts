// One- and two-dimensional slices of a loss landscape.
//
//   line    φ(t)    = f(θ + t·d),          t = a + (b − a)·i/(n − 1),  i = 0…n−1
//   plane   ψ(s, t) = f(θ + s·u + t·v),    s and t on a grid; loss[j·ns + i] = ψ(sᵢ, tⱼ)
// f is any Objective (float64), or for a model + data the network objective (nn/objective.ts:
// the mean loss over the data, θ rounded to float32 when copied into the model). The model
// variants put the parameters back bit for bit afterwards, also when an evaluation throws.
//
// Directions: given (length = parameter count), or random with filter normalization (Li, Xu,
// Taylor, Studer & Goldstein, "Visualizing the Loss Landscape of Neural Nets", NeurIPS 2018):
// a Gaussian direction whose every filter — here the incoming weights W[:, j] of unit j — is
// rescaled to the norm of the same filter of θ, and whose bias entries are 0. Slices of
// networks with different weight scales then become comparable; 'none' keeps the raw
// Gaussian direction scaled to unit norm.

import { DescentError, show } from '../engine/errors.js';
import type { Dataset } from '../data/dataset.js';
import type { Objective } from '../minimize/objective.js';
import type { Model } from '../nn/model.js';
import { networkObjective, type NetworkObjectiveOptions } from '../nn/objective.js';
import { Random } from '../random.js';
import { checkOptionKeys } from '../engine/options.js';

export interface LineOptions {
  /** The interval [a, b] of t (default [−1, 1]). */
  range?: [number, number];
  /** Points on it, ≥ 2 (default 21). */
  points?: number;
}

export interface LineSlice {
  t: Float64Array;
  loss: Float64Array;
}

export interface PlaneOptions {
  /** Interval of s (along u) and of t (along v); default [−1, 1] each. */
  sRange?: [number, number];
  tRange?: [number, number];
  /** Grid points per axis: one number for both or [ns, nt] (default 11). */
  points?: number | [number, number];
}

export interface PlaneSlice {
  s: Float64Array;
  t: Float64Array;
  /** nt rows of ns values: loss[j·ns + i] = f(θ + sᵢu + tⱼv). */
  loss: Float64Array;
}

export interface DirectionOptions {
  seed?: number;
  /** 'filter' (default): per-unit norms of θ's weights, biases 0; 'none': unit-norm Gaussian. */
  normalization?: 'filter' | 'none';
}

type DirectionSpec = ArrayLike<number> | DirectionOptions;

export interface ModelLineOptions extends LineOptions, NetworkObjectiveOptions {
  /** The direction d, or how to draw a random one (default filter-normalized, seed 0). */
  direction?: DirectionSpec;
}

export interface ModelPlaneOptions extends PlaneOptions, NetworkObjectiveOptions {
  /** Directions u and v (default filter-normalized random, seeds 0 and 1). */
  u?: DirectionSpec;
  v?: DirectionSpec;
}

function grid(range: [number, number] | undefined, points: number, op: string, name: string): Float64Array {
  const [a, b] = range ?? [-1, 1];
  if (!Array.isArray(range ?? [a, b]) || !Number.isFinite(a) || !Number.isFinite(b) || !(a < b)) {
    throw new DescentError(`${op}: ${name} must be [a, b] with finite a < b, got ${JSON.stringify(range)}`);
  }
  if (!Number.isSafeInteger(points) || points < 2) throw new DescentError(`${op}: points must be an integer ≥ 2, got ${show(points)}`);
  return Float64Array.from({ length: points }, (_, i) => (i === points - 1 ? b : a + ((b - a) * i) / (points - 1)));
}

function vector(d: ArrayLike<number>, n: number, op: string, name: string): Float64Array {
  if (!d || typeof d.length !== 'number' || d.length !== n) throw new DescentError(`${op}: ${name} must have ${n} values (one per parameter), got ${d?.length}`);
  const out = Float64Array.from(d as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) throw new DescentError(`${op}: ${name}[${i}] is ${out[i]}`);
  return out;
}

/** f(x + t·d) for t on a grid over `range` (see the header). */
export function lineValues(obj: Objective, x: ArrayLike<number>, d: ArrayLike<number>, opts: LineOptions = {}): LineSlice {
  const op = 'lineValues';
  const n = obj.n;
  const x0 = vector(x, n, op, 'x'), dir = vector(d, n, op, 'direction');
  const t = grid(opts.range, opts.points ?? 21, op, 'range');
  const xt = new Float64Array(n);
  const loss = t.map((ti) => {
    for (let i = 0; i < n; i++) xt[i] = x0[i] + ti * dir[i];
    return obj.value(xt);
  });
  return { t, loss };
}

/** f(x + s·u + t·v) on an ns × nt grid (see the header). */
export function planeValues(obj: Objective, x: ArrayLike<number>, u: ArrayLike<number>, v: ArrayLike<number>, opts: PlaneOptions = {}): PlaneSlice {
  const op = 'planeValues';
  const n = obj.n;
  const x0 = vector(x, n, op, 'x'), du = vector(u, n, op, 'u'), dv = vector(v, n, op, 'v');
  const [ns, nt] = typeof opts.points === 'object' ? opts.points : [opts.points ?? 11, opts.points ?? 11];
  const s = grid(opts.sRange, ns, op, 'sRange'), t = grid(opts.tRange, nt, op, 'tRange');
  const xt = new Float64Array(n);
  const loss = new Float64Array(ns * nt);
  for (let j = 0; j < nt; j++) {
    for (let i = 0; i < ns; i++) {
      for (let p = 0; p < n; p++) xt[p] = x0[p] + s[i] * du[p] + t[j] * dv[p];
      loss[j * ns + i] = obj.value(xt);
    }
  }
  return { s, t, loss };
}

/** A random direction in parameter space, filter-normalized by default (see the header). */
export function randomDirection(model: Model, opts: DirectionOptions = {}): Float64Array {
  checkOptionKeys(opts, 'randomDirection', ['seed', 'normalization']);
  const op = 'randomDirection';
  const norm = opts.normalization ?? 'filter';
  if (norm !== 'filter' && norm !== 'none') throw new DescentError(`${op}: normalization must be 'filter' or 'none', got ${show(opts.normalization)}`);
  const seed = opts.seed ?? 0;
  if (!Number.isFinite(seed)) throw new DescentError(`${op}: seed must be a finite number, got ${seed}`);
  const rng = new Random(seed);
  const m = model.parameterCount;
  const d = Float64Array.from({ length: m }, () => rng.normal());
  if (norm === 'none') {
    let s = 0;
    for (let i = 0; i < m; i++) s += d[i] * d[i];
    s = 1 / Math.sqrt(s);
    for (let i = 0; i < m; i++) d[i] *= s;
    return d;
  }
  const theta = model.parameters().data;
  for (const l of model.layers) {
    const o = l.weightOffset, units = l.units;
    for (let j = 0; j < units; j++) {
      let nd = 0, nw = 0;
      for (let p = 0; p < l.inputs; p++) { const k = o + p * units + j; nd += d[k] * d[k]; nw += theta[k] * theta[k]; }
      const c = nd > 0 ? Math.sqrt(nw / nd) : 0;
      for (let p = 0; p < l.inputs; p++) d[o + p * units + j] *= c;
    }
    if (l.hasBias) d.fill(0, l.biasOffset, l.biasOffset + units);
  }
  return d;
}

function direction(model: Model, spec: DirectionSpec | undefined, seed: number): ArrayLike<number> {
  if (spec && typeof (spec as ArrayLike<number>).length === 'number') return spec as ArrayLike<number>;
  const o = (spec ?? {}) as DirectionOptions;
  return randomDirection(model, { seed: o.seed ?? seed, normalization: o.normalization });
}

/** Run fn on the network objective, then put θ back bit for bit. */
function withRestore<T>(model: Model, data: Dataset, opts: NetworkObjectiveOptions, fn: (obj: Objective, theta: Float64Array) => T): T {
  const saved = model.parameters().toArray();
  try {
    const { batchSize, indices, weightDecay } = opts;
    const obj = networkObjective(model, data, { batchSize, indices, weightDecay });
    return fn(obj, Float64Array.from(saved));
  } finally {
    model.parameters().data.set(saved);
  }
}

/** The model's loss on `data` along θ + t·d (see the header); θ is unchanged afterwards. */
export function lossAlongLine(model: Model, data: Dataset, opts: ModelLineOptions = {}): LineSlice & { direction: Float64Array } {
  checkOptionKeys(opts, 'lossAlongLine', ['direction', 'range', 'points', 'batchSize', 'indices', 'weightDecay']);
  const d = Float64Array.from(direction(model, opts.direction, 0));
  return { ...withRestore(model, data, opts, (obj, theta) => lineValues(obj, theta, d, opts)), direction: d };
}

/** The model's loss on `data` over θ + s·u + t·v (see the header); θ is unchanged afterwards. */
export function lossSurface(model: Model, data: Dataset, opts: ModelPlaneOptions = {}): PlaneSlice & { u: Float64Array; v: Float64Array } {
  checkOptionKeys(opts, 'lossSurface', ['u', 'v', 'sRange', 'tRange', 'points', 'batchSize', 'indices', 'weightDecay']);
  const u = Float64Array.from(direction(model, opts.u, 0));
  const v = Float64Array.from(direction(model, opts.v, 1));
  return { ...withRestore(model, data, opts, (obj, theta) => planeValues(obj, theta, u, v, opts)), u, v };
}
