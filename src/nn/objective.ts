// A network and a data set as one function of its flat parameter vector, for minimize():
//
//   f(θ) = the model's mean loss over the data (or over a fixed subset of it),
//   ∇f(θ) by backpropagation, in batches of up to `batchSize` samples (default 1000), the
//        per-batch gradients (each a mean) weighted by batch size;
//   Hessian·v by a forward difference of gradients (two gradient passes), step below;
//   for MSE models, least squares: f = (1/N)·Σᵢ ½‖yᵢ − tᵢ‖² = Σ r², with the residuals
//        r_{ik} = (y_{ik} − t_{ik})/√(2N) for every output k of every sample i (m = N·outputs)
//        (reduction 'sum': /√2; mse-mean: /√(N·outputs), or 1 for 'sum') and
//        the Jacobian ∂r_{ik}/∂θ: per output k one batched backward pass seeded with the unit
//        vector of k, then per-sample outer products a_{l−1} ⊗ δ_l fill the rows (m·n values:
//        meant for the small data sets Levenberg–Marquardt suits).
// The minimizers work in float64; the network computes in float32: θ is rounded to f32 when it
// is copied into the model, and losses and gradients are the f32 ones, widened. The finite-
// difference Hessian-vector product therefore uses a step far above f32 rounding (√ε₃₂).
// Evaluations stage the data into the model's batch buffers (allocated once, before any
// minimizer vector); the model's own parameters hold the last θ evaluated.
// Layer norm is a deterministic function of each sample, so models with it are objectives too
// (value, gradient, Hessian·v; for MSE the residuals, with the Jacobian left to minimize's
// finite differences); the L2 penalty covers the Dense weights only. Batch norm (the value
// would depend on how the data is split into batches, and evaluations would move the running
// statistics) and dropout (a random function) are refused — except batch norm with frozenStats,
// a fixed affine map per feature (like layer norm, a deterministic function of each sample).

import { DescentError, show } from '../engine/errors.js';
import { batchInto, checkDataset, type Dataset } from '../data/dataset.js';
import type { Objective } from '../minimize/objective.js';
import type { Model } from './model.js';
import { gemm } from '../ops/gemm.js';
import { checkOptionKeys } from '../engine/options.js';

export interface NetworkObjectiveOptions {
  /** Samples per forward/backward pass (default 1000). */
  batchSize?: number;
  /** Use only these sample indices (a fixed large batch). */
  indices?: Int32Array;
  /**
   * L2 penalty λ on the weights (not the biases): f + ½λ‖W‖², ∇ + λW — the objective an
   * optimizer with coupled weight decay λ descends. For least squares: √(λ/2)·wⱼ residuals.
   */
  weightDecay?: number;
}

export function networkObjective(model: Model, data: Dataset, opts: NetworkObjectiveOptions = {}): Objective {
  const op = 'networkObjective';
  checkOptionKeys(opts, op, ['batchSize', 'indices', 'weightDecay']);
  checkDataset(data, op);
  if (data.features !== model.inputs) throw new DescentError(`${op}: the data has ${data.features} features, ${model.describe()} expects ${model.inputs}`);
  const refused = model.layers.find((l) => (l.type === 'batchnorm' && !l.config?.frozenStats) || l.type === 'dropout');
  if (refused) {
    const why = refused.type === 'dropout' ? 'dropout makes the loss a random function of θ' : 'batch norm makes the loss depend on how the data is split into batches (unless frozenStats)';
    throw new DescentError(`${op}: ${model.describe()}: layer ${refused.index} ${refused.describe()}: ${why}; full-batch minimizers need a deterministic objective (train this model with a gradient optimizer, or use layer norm)`);
  }
  const order = opts.indices ?? Int32Array.from({ length: data.n }, (_, i) => i);
  const N = order.length;
  if (N < 1) throw new DescentError(`${op}: no samples`);
  for (const i of order) if (!(i >= 0 && i < data.n)) throw new DescentError(`${op}: sample index ${i} is out of range (n = ${data.n})`);
  const B = Math.min(opts.batchSize ?? 1000, N);
  if (!Number.isSafeInteger(B) || B < 1) throw new DescentError(`${op}: batchSize must be a positive integer, got ${show(opts.batchSize)}`);
  const n = model.parameterCount;
  const K = model.engine.kernels;
  const k = model.outputs;
  model.views(B); // the largest buffers first: later views only slice them
  const useLabels = !!data.labels;
  const labelBuf = useLabels ? new Int32Array(B) : undefined;
  const targetBuf = !useLabels ? new Float32Array(B * k) : undefined;

  const lambda = opts.weightDecay ?? 0;
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) throw new DescentError(`${op}: weightDecay must be a finite number ≥ 0, got ${show(opts.weightDecay)}`);
  const weightRanges = model.layers.filter((l) => l.type === 'dense').map((l) => [l.weightOffset, l.inputs * l.units] as const);
  const nWeights = weightRanges.reduce((s, [, len]) => s + len, 0);
  /** ½λ‖W‖² added to the value, λW to g. */
  const penalize = (x: Float64Array, g?: Float64Array): number => {
    if (lambda === 0) return 0;
    let s = 0;
    for (const [o, len] of weightRanges) {
      for (let i = o; i < o + len; i++) {
        s += x[i] * x[i];
        if (g) g[i] += lambda * x[i];
      }
    }
    return 0.5 * lambda * s;
  };

  const setParams = (x: Float64Array) => {
    if (x.length !== n) throw new DescentError(`${op}: θ has ${x.length} values, the model has ${n} parameters`);
    model.parameters().data.set(x);
  };
  /** Samples [start, start + size) of the data staged into the model and run forward. */
  const forwardBatch = (start: number, size: number) => {
    const v = model.views(size);
    batchInto(data, order, start, size, v.x.data, labelBuf, targetBuf);
    model.stageTargets(v, size, labelBuf, targetBuf);
    model.forward(v, size);
    return v;
  };
  /** Mean loss over the data; with g: the mean gradient. */
  const run = (x: Float64Array, g?: Float64Array): number => {
    setParams(x);
    let sum = 0;
    if (g) g.fill(0);
    for (let start = 0; start < N; start += B) {
      const size = Math.min(B, N - start);
      const v = forwardBatch(start, size);
      sum += model.lossAndBackward(v, size, !!g);
      if (g) {
        // each batch's gradient is of its sum over lossDivisor(size): reweighted to lossDivisor(N)
        const gb = model.gradients().data, w = model.lossDivisor(size) / model.lossDivisor(N);
        for (let i = 0; i < n; i++) g[i] += w * gb[i];
      }
    }
    return sum / model.lossDivisor(N) + penalize(x, g);
  };

  // Hessian·v by a forward difference of gradients with a step sized for float32 arithmetic:
  // h = √ε₃₂·max(‖θ‖, 1)/‖v‖ (ε₃₂ = 2⁻²³), so the difference is well above f32 rounding.
  const gx = new Float64Array(n), gh = new Float64Array(n), xh = new Float64Array(n);
  const hessianVector = (x: Float64Array, v: Float64Array, out: Float64Array) => {
    let vn = 0, xn = 0;
    for (let i = 0; i < n; i++) { vn += v[i] * v[i]; xn += x[i] * x[i]; }
    vn = Math.sqrt(vn);
    if (vn === 0) { out.fill(0); return; }
    const h = (Math.sqrt(2 ** -23) * Math.max(Math.sqrt(xn), 1)) / vn;
    run(x, gx);
    for (let i = 0; i < n; i++) xh[i] = x[i] + h * v[i];
    run(xh, gh);
    for (let i = 0; i < n; i++) out[i] = (gh[i] - gx[i]) / h;
  };
  const obj: Objective = {
    n,
    value: (x) => run(x),
    gradient: (x, g) => { run(x, g); },
    valueAndGradient: (x, g) => run(x, g),
    hessianVector,
  };
  if (model.loss !== 'mse' && model.loss !== 'mse-mean') return obj;

  const m = N * k + (lambda > 0 ? nWeights : 0);
  // f = Σ ½d²/D (mse) or Σ d²/D (mse-mean), D = lossDivisor(N): residuals c·d
  const c = 1 / Math.sqrt((model.loss === 'mse' ? 2 : 1) * model.lossDivisor(N));
  const cw = Math.sqrt(lambda / 2);
  const residuals = (x: Float64Array, r: Float64Array) => {
    setParams(x);
    for (let start = 0; start < N; start += B) {
      const size = Math.min(B, N - start);
      const v = forwardBatch(start, size);
      const y = v.ys[v.ys.length - 1].data, t = v.targets.data;
      for (let i = 0; i < size * k; i++) r[start * k + i] = c * (y[i] - t[i]);
    }
    if (lambda > 0) {
      let row = N * k;
      for (const [o, len] of weightRanges) for (let i = o; i < o + len; i++) r[row++] = cw * x[i];
    }
  };
  const layers = model.layers, L = layers.length, last = layers[L - 1];
  // Row (i, o) of J: for every layer l, the outer product a_{l−1,i} ⊗ δ_{l,i} (weights) and δ_{l,i}
  // (bias), where δ_l is ∂y_{i,o}/∂z_l — backpropagated for all samples of a batch at once (rows
  // of δ are independent), seeded with the unit vector of output o.
  const jacobian = (x: Float64Array, J: Float64Array) => {
    setParams(x);
    for (let start = 0; start < N; start += B) {
      const size = Math.min(B, N - start);
      const v = model.views(size);
      batchInto(data, order, start, size, v.x.data, labelBuf, targetBuf);
      model.forward(v, size);
      for (let o = 0; o < k; o++) {
        let cur = 0;
        const dz = v.d[cur][L - 1];
        const dzd = dz.data;
        dzd.fill(0, 0, size * k);
        for (let i = 0; i < size; i++) dzd[i * k + o] = 1;
        if (last.kind !== 0) K.actBackward(last.kind, size * k, last.alpha, (v.zs[L - 1] ?? v.ys[L - 1]).pointer(), dz.pointer(), dz.pointer());
        for (let l = L - 1; l >= 0; l--) {
          const layer = layers[l];
          const units = layer.units, fanIn = layer.inputs;
          const delta = v.d[cur][l].data;
          const a = (l === 0 ? v.x : v.ys[l - 1]).data;
          for (let i = 0; i < size; i++) {
            const row = ((start + i) * k + o) * n;
            for (let p = 0; p < fanIn; p++) {
              const ap = c * a[i * fanIn + p];
              const base = row + layer.weightOffset + p * units;
              for (let u = 0; u < units; u++) J[base + u] = ap * delta[i * units + u];
            }
            if (layer.hasBias) for (let u = 0; u < units; u++) J[row + layer.biasOffset + u] = c * delta[i * units + u];
          }
          if (l > 0) {
            const prev = layers[l - 1];
            const dY = v.d[1 - cur][l - 1];
            gemm(dY, v.d[cur][l], layer.W, { transB: true });
            if (prev.kind !== 0) K.actBackward(prev.kind, size * prev.units, prev.alpha, (v.zs[l - 1] ?? v.ys[l - 1]).pointer(), dY.pointer(), dY.pointer());
            cur = 1 - cur;
          }
        }
      }
    }
  };
  if (model.hasNormalization) return { ...obj, m, residuals }; // layer norm: finite-difference Jacobian
  const jacobianWithPenalty = lambda === 0 ? jacobian : (x: Float64Array, J: Float64Array) => {
    jacobian(x, J);
    let row = N * k;
    J.fill(0, N * k * n);
    for (const [o, len] of weightRanges) for (let i = o; i < o + len; i++) J[(row++) * n + i] = cw;
  };
  return { ...obj, m, residuals, jacobian: jacobianWithPenalty };
}
