// A feed-forward network of Dense layers over ONE flat parameter buffer.
//
// Layout of the flat vector θ ∈ R^m (and of the gradient buffer, identically):
//   [ W₁ (in₁×out₁, row-major) | b₁ (out₁) | W₂ | b₂ | … ]
// Layers are views into it, so an optimizer updates every parameter in one SIMD pass over θ,
// and full-batch methods see the network as a function f(θ) of one vector.
//
// Forward, for a batch X (B×in) and each layer l:   Z_l = Y_{l−1}·W_l + b_l,  Y_l = f_l(Z_l)
// (GEMM A·B with the bias fused in its write-back, then the activation in place: only Y_l is
// kept, since every derivative is written in terms of the output; see activations.ts).
// Backward, from dZ_L given by the fused loss kernel:
//   ∂L/∂W_l = Y_{l−1}ᵀ·dZ_l   (GEMM Aᵀ·B, written straight into the gradient buffer)
//   ∂L/∂b_l = Σ_rows dZ_l      (column sums)
//   dY_{l−1} = dZ_l·W_lᵀ       (GEMM A·Bᵀ), then dZ_{l−1} = dY_{l−1} ⊙ f'_{l−1}(Y_{l−1}) in place.
// Memory: parameters and gradients live in the model's arena; per-batch activations in a
// second arena sized for the largest batch seen, reused by every step (flat memory).

import type { Dataset } from '../data/dataset.js';
import type { Objective } from '../minimize/objective.js';
import { networkObjective, type NetworkObjectiveOptions } from './objective.js';
import { Arena } from '../engine/arena.js';
import type { Engine } from '../engine/engine.js';
import { DescentError, fmtShape } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { gemm } from '../ops/gemm.js';
import { Random } from '../random.js';
import { activationGain, activationKind, checkActivation, defaultInit, type ActivationName } from './activations.js';
import { checkInit, initialize, type InitName, type InitSpec } from './init.js';
import { checkLoss, lossOutputActivation, type LossName } from './losses.js';

export interface LayerSpec {
  units: number;
  activation?: ActivationName | string;
  /** Slope of leaky-relu for z < 0, or the α of elu. */
  alpha?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  init?: InitName | InitSpec;
}

export interface ModelSpec {
  inputs: number;
  layers: LayerSpec[];
  loss?: LossName | string;
  /** Seed of the weight initialization (default 0). */
  seed?: number;
}

export interface DenseLayer {
  readonly index: number;
  readonly inputs: number;
  readonly units: number;
  readonly activation: ActivationName;
  readonly alpha: number;
  readonly kind: number;
  readonly hasBias: boolean;
  readonly init: InitSpec;
  /** Offsets into the flat parameter vector, in elements (bias −1 when absent). */
  readonly weightOffset: number;
  readonly biasOffset: number;
  readonly W: Tensor;
  readonly b: Tensor | undefined;
  readonly gW: Tensor;
  readonly gb: Tensor | undefined;
  describe(): string;
}

/** A batch in plain memory: x is n×inputs row-major; labels (class ids) or targets (n×outputs). */
export interface Batch {
  x: Float32Array;
  n: number;
  labels?: Int32Array;
  targets?: Float32Array;
}

interface Buffers {
  capacity: number;
  x: Tensor;
  ys: Tensor[];
  d: [Tensor, Tensor];
  labels: Tensor;
  targets: Tensor;
  views: Map<number, { x: Tensor; ys: Tensor[]; d: [Tensor[], Tensor[]]; labels: Tensor; targets: Tensor }>;
}

const MAX_EVAL_BATCH = 1000;

export class Model {
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: LossName;
  readonly seed: number;
  readonly layers: readonly DenseLayer[];
  readonly parameterCount: number;
  #arena: Arena;
  #batchArena: Arena;
  #params: Tensor;
  #grads: Tensor;
  #buf: Buffers | undefined;

  constructor(readonly engine: Engine, spec: ModelSpec) {
    const what = 'model';
    if (!spec || typeof spec !== 'object') throw new DescentError(`${what}: expected a spec { inputs, layers, loss }`);
    const inputs = spec.inputs;
    if (!Number.isSafeInteger(inputs) || inputs < 1) throw new DescentError(`${what}: inputs must be a positive integer, got ${String(inputs)}`);
    if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new DescentError(`${what}: layers must be a non-empty array`);
    const loss = checkLoss(spec.loss ?? 'softmax-cross-entropy', what);
    const seed = spec.seed ?? 0;
    if (!Number.isFinite(seed)) throw new DescentError(`${what}: seed must be a finite number, got ${seed}`);
    // validate every layer before allocating anything
    let fanIn = inputs, offset = 0;
    const plan = spec.layers.map((l, i) => {
      const name = `${what}: layer ${i}`;
      if (!l || !Number.isSafeInteger(l.units) || l.units < 1) throw new DescentError(`${name}: units must be a positive integer, got ${String(l?.units)}`);
      const last = i === spec.layers.length - 1;
      const forced = last ? lossOutputActivation(loss) : undefined;
      const act = checkActivation(l.activation ?? (last ? (forced ?? 'linear') : 'tanh'), l.alpha, name);
      if (forced && act.name !== forced) {
        throw new DescentError(`${name}: loss ${loss} applies its own output function; the last layer must be linear, got ${act.name}`);
      }
      const init = checkInit(l.init ?? defaultInit(act.name), name);
      const hasBias = l.bias ?? true;
      const p = { inputs: fanIn, units: l.units, act, init, hasBias, weightOffset: offset, biasOffset: -1 };
      offset += fanIn * l.units;
      if (hasBias) { p.biasOffset = offset; offset += l.units; }
      fanIn = l.units;
      return p;
    });
    this.inputs = inputs;
    this.outputs = fanIn;
    this.loss = loss;
    this.seed = seed;
    this.parameterCount = offset;
    this.#arena = engine.arena('model');
    this.#batchArena = engine.arena('model batch');
    this.#params = this.#arena.tensor([offset], undefined, 'model parameters');
    this.#grads = this.#arena.tensor([offset], undefined, 'model gradients');
    const params = this.#params, grads = this.#grads;
    this.layers = plan.map((p, index) => ({
      index, inputs: p.inputs, units: p.units, activation: p.act.name, alpha: p.act.alpha,
      kind: activationKind(p.act.name), hasBias: p.hasBias, init: p.init,
      weightOffset: p.weightOffset, biasOffset: p.biasOffset,
      W: params.view(p.weightOffset, [p.inputs, p.units]),
      b: p.hasBias ? params.view(p.biasOffset, [p.units]) : undefined,
      gW: grads.view(p.weightOffset, [p.inputs, p.units]),
      gb: p.hasBias ? grads.view(p.biasOffset, [p.units]) : undefined,
      describe: () => `Dense(${p.inputs}→${p.units}, ${p.act.name})`,
    }));
    this.initialize(seed);
  }

  /** Draw every weight again from the layers' initializers (biases to 0). */
  initialize(seed = this.seed): void {
    const rng = new Random(seed);
    const tmp = new Float32Array(Math.max(...this.layers.map((l) => l.inputs * l.units)));
    for (const l of this.layers) {
      const w = tmp.subarray(0, l.inputs * l.units);
      initialize(w, l.init, l.inputs, l.units, activationGain(l.activation, l.alpha), rng);
      l.W.data.set(w);
      l.b?.data.fill(0);
    }
    this.#grads.data.fill(0);
  }

  /** The flat parameter vector θ (length parameterCount), a live view: writing it changes the model. */
  parameters(): Tensor {
    return this.#params;
  }

  /** The flat gradient vector, same layout as parameters(); filled by lossAndGradient. */
  gradients(): Tensor {
    return this.#grads;
  }

  describe(): string {
    return `Model(${this.inputs} → ${this.layers.map((l) => `${l.units} ${l.activation}`).join(' → ')}; loss ${this.loss}; ${this.parameterCount} parameters)`;
  }

  /**
   * The model and a data set as a function of the flat parameter vector, for minimize():
   * mean loss, gradient, Hessian-vector products, and residuals + Jacobian for MSE models
   * (nn/objective.ts).
   */
  objective(data: Dataset, opts: NetworkObjectiveOptions = {}): Objective {
    return networkObjective(this, data, opts);
  }

  /** Mean loss over the batch, and the full gradient in gradients(). */
  lossAndGradient(batch: Batch): number {
    this.checkBatch(batch, 'lossAndGradient');
    const v = this.stage(batch);
    return this.runStaged(v, batch.n, true);
  }

  /** Mean loss over the batch, without the gradient. */
  lossOnly(batch: Batch): number {
    this.checkBatch(batch, 'loss');
    const v = this.stage(batch);
    return this.runStaged(v, batch.n, false);
  }

  /**
   * Outputs for n samples (x is n×inputs): class probabilities for softmax-cross-entropy,
   * probabilities for bce-logits, the output layer's values otherwise.
   */
  predict(x: Float32Array, n = x.length / this.inputs): Float32Array {
    this.checkBatch({ x, n }, 'predict');
    const out = new Float32Array(n * this.outputs);
    const K = this.engine.kernels;
    for (let start = 0; start < n; start += MAX_EVAL_BATCH) {
      const c = Math.min(MAX_EVAL_BATCH, n - start);
      const v = this.views(c);
      v.x.data.set(x.subarray(start * this.inputs, (start + c) * this.inputs));
      this.forward(v, c);
      const y = v.ys[v.ys.length - 1];
      if (this.loss === 'softmax-cross-entropy') K.softmax(c, this.outputs, y.pointer(), y.pointer());
      else if (this.loss === 'bce-logits') K.actForward(activationKind('sigmoid'), c * this.outputs, 0, y.pointer(), y.pointer());
      out.set(y.data, start * this.outputs);
    }
    return out;
  }

  /** Predicted class per sample: argmax of the outputs, or output > ½ for one-output bce models. */
  predictLabels(x: Float32Array, n = x.length / this.inputs): Int32Array {
    const p = this.predict(x, n);
    const out = new Int32Array(n);
    const k = this.outputs;
    if (k === 1) {
      for (let i = 0; i < n; i++) out[i] = p[i] > 0.5 ? 1 : 0;
      return out;
    }
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
      out[i] = best;
    }
    return out;
  }

  // ---- internals (used by the fit loop) ----

  /** Validate a batch against the model: sizes, finiteness, label range. */
  checkBatch(batch: Batch, op: string): void {
    const { x, n } = batch;
    if (!(x instanceof Float32Array)) throw new DescentError(`${op}: x must be a Float32Array`);
    if (!Number.isSafeInteger(n) || n < 1) throw new DescentError(`${op}: the batch is empty (n = ${n})`);
    if (x.length !== n * this.inputs) {
      throw new DescentError(`${op}: expected x of ${n}×${this.inputs} = ${n * this.inputs} values for ${this.describe()}, got ${x.length} (${x.length / n} features per sample?)`);
    }
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) throw new DescentError(`${op}: x has ${x[i]} at sample ${Math.floor(i / this.inputs)}, feature ${i % this.inputs}`);
    }
    if (op === 'predict') return;
    this.checkTargets(batch.labels, batch.targets, n, op);
  }

  checkTargets(labels: Int32Array | undefined, targets: Float32Array | undefined, n: number, op: string): void {
    if (this.loss === 'softmax-cross-entropy') {
      if (!labels) throw new DescentError(`${op}: loss softmax-cross-entropy needs class labels`);
    }
    if (labels) {
      if (labels.length < n) throw new DescentError(`${op}: expected ${n} labels, got ${labels.length}`);
      const classes = this.outputs === 1 ? 2 : this.outputs;
      for (let i = 0; i < n; i++) {
        const c = labels[i];
        if (!(c >= 0 && c < classes)) throw new DescentError(`${op}: label ${c} of sample ${i} is out of range for ${classes} classes (model outputs ${fmtShape([this.outputs])})`);
      }
    } else {
      if (!targets) throw new DescentError(`${op}: loss ${this.loss} needs targets (or labels)`);
      if (targets.length < n * this.outputs) throw new DescentError(`${op}: expected ${n}×${this.outputs} targets, got ${targets.length}`);
      for (let i = 0; i < n * this.outputs; i++) {
        if (!Number.isFinite(targets[i])) throw new DescentError(`${op}: target ${targets[i]} at sample ${Math.floor(i / this.outputs)}`);
      }
    }
  }

  /** Copy a validated batch into wasm memory; returns the views for n rows. */
  stage(batch: Batch): ReturnType<Model['views']> {
    const v = this.views(batch.n);
    v.x.data.set(batch.x.subarray(0, batch.n * this.inputs));
    this.stageTargets(v, batch.n, batch.labels, batch.targets);
    return v;
  }

  stageTargets(v: ReturnType<Model['views']>, n: number, labels?: Int32Array, targets?: Float32Array): void {
    const k = this.outputs;
    if (labels) {
      const lab = this.labelArray(v.labels, n);
      lab.set(labels.subarray(0, n));
      if (this.loss !== 'softmax-cross-entropy') {
        const t = v.targets.data;
        if (k === 1) for (let i = 0; i < n; i++) t[i] = labels[i];
        else {
          t.fill(0, 0, n * k);
          for (let i = 0; i < n; i++) t[i * k + labels[i]] = 1;
        }
      }
    } else if (targets) {
      v.targets.data.set(targets.subarray(0, n * k));
    }
  }

  labelArray(t: Tensor, n: number): Int32Array {
    return new Int32Array(this.engine.memory.buffer, t.pointer(), n);
  }

  /** Forward, loss and (optionally) backward on staged buffers; returns the mean loss. */
  runStaged(v: ReturnType<Model['views']>, n: number, withGradient: boolean): number {
    this.forward(v, n);
    const sum = this.lossAndBackward(v, n, withGradient);
    return sum / n;
  }

  forward(v: ReturnType<Model['views']>, n: number): void {
    const K = this.engine.kernels;
    let input = v.x;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      const y = v.ys[l];
      gemm(y, input, layer.W, { bias: layer.b });
      if (layer.kind !== 0) K.actForward(layer.kind, n * layer.units, layer.alpha, y.pointer(), y.pointer());
      input = y;
    }
  }

  /** Σ of the per-sample losses; fills the gradient buffer when withGradient. */
  lossAndBackward(v: ReturnType<Model['views']>, n: number, withGradient: boolean): number {
    const K = this.engine.kernels;
    const L = this.layers.length;
    const last = this.layers[L - 1];
    const y = v.ys[L - 1];
    let cur = 0;
    const dz = withGradient ? v.d[cur][L - 1].pointer() : 0;
    const scale = 1 / n;
    let sum: number;
    switch (this.loss) {
      case 'softmax-cross-entropy':
        sum = K.softmaxXent(n, this.outputs, y.pointer(), v.labels.pointer(), dz, scale);
        break;
      case 'mse':
        sum = K.mseLoss(n * this.outputs, y.pointer(), v.targets.pointer(), dz, scale);
        break;
      case 'bce-logits':
        sum = K.bceLogits(n * this.outputs, y.pointer(), v.targets.pointer(), dz, scale);
        break;
      case 'bce':
        sum = K.bceProbs(n * this.outputs, y.pointer(), v.targets.pointer(), dz, scale, 1e-7);
        break;
    }
    if (!withGradient) return sum;
    if ((this.loss === 'mse' || this.loss === 'bce') && last.kind !== 0) {
      K.actBackward(last.kind, n * last.units, last.alpha, y.pointer(), dz, dz);
    }
    this.backward(v, n);
    return sum;
  }

  /**
   * Backpropagate ∂L/∂z of the output layer's pre-activation, already in v.d[0][L − 1] (n rows),
   * through the layers: fills the gradient buffer. Used by lossAndBackward and by the
   * Jacobian of network objectives (objective.ts), which seeds one output at a time.
   */
  backward(v: ReturnType<Model['views']>, n: number): void {
    const K = this.engine.kernels;
    const L = this.layers.length;
    let cur = 0;
    for (let l = L - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const dZ = v.d[cur][l];
      const input = l === 0 ? v.x : v.ys[l - 1];
      gemm(layer.gW, input, dZ, { transA: true });
      if (layer.gb) K.colSum(n, layer.units, dZ.pointer(), layer.gb.pointer(), 0);
      if (l > 0) {
        const prev = this.layers[l - 1];
        const dY = v.d[1 - cur][l - 1];
        gemm(dY, dZ, layer.W, { transB: true });
        if (prev.kind !== 0) K.actBackward(prev.kind, n * prev.units, prev.alpha, v.ys[l - 1].pointer(), dY.pointer(), dY.pointer());
        cur = 1 - cur;
      }
    }
  }

  /** Buffers for a batch of n rows (allocated for the largest n seen; views cached per n). */
  views(n: number): { x: Tensor; ys: Tensor[]; d: [Tensor[], Tensor[]]; labels: Tensor; targets: Tensor } {
    let buf = this.#buf;
    if (!buf || buf.capacity < n) {
      // the GEMM workspace first: allocated on the first product otherwise, its memory growth
      // would detach views made between here and there (label arrays, Float32Array data)
      this.engine.gemmWorkspace();
      this.#batchArena.release();
      const A = this.#batchArena;
      const widest = Math.max(...this.layers.map((l) => l.units));
      buf = this.#buf = {
        capacity: n,
        x: A.empty([n * this.inputs], 'model batch'),
        ys: this.layers.map((l) => A.empty([n * l.units], 'model batch')),
        d: [A.empty([n * widest], 'model batch'), A.empty([n * widest], 'model batch')],
        labels: A.empty([n], 'model batch'),
        targets: A.empty([n * this.outputs], 'model batch'),
        views: new Map(),
      };
    }
    let v = buf.views.get(n);
    if (!v) {
      const b = buf;
      v = {
        x: b.x.view(0, [n, this.inputs]),
        ys: this.layers.map((l, i) => b.ys[i].view(0, [n, l.units])),
        d: [this.layers.map((l) => b.d[0].view(0, [n, l.units])), this.layers.map((l) => b.d[1].view(0, [n, l.units]))],
        labels: b.labels.view(0, [n]),
        targets: b.targets.view(0, [n * this.outputs]),
      };
      if (buf.views.size > 8) buf.views.clear();
      buf.views.set(n, v);
    }
    return v;
  }

  /** Free the model's memory. The model cannot be used afterwards. */
  release(): void {
    this.#batchArena.release();
    this.#arena.release();
    this.#buf = undefined;
  }
}
