// A feed-forward network of Dense layers over ONE flat parameter buffer.
//
// Layout of the flat vector θ ∈ R^m (and of the gradient buffer, identically):
//   [ W₁ (in₁×out₁, row-major) | b₁ (out₁) | W₂ | b₂ | … ]
// Layers are views into it, so an optimizer updates every parameter in one SIMD pass over θ,
// and full-batch methods see the network as a function f(θ) of one vector.
//
// Forward, for a batch X (B×in) and each layer l:   Z_l = Y_{l−1}·W_l + b_l,  Y_l = f_l(Z_l)
// (GEMM A·B with the bias fused in its write-back, then the activation in place: only Y_l is
// kept where the derivative is written in terms of the output; for the activations whose
// derivative needs Z_l — elu, selu, gelu, silu, softplus, mish: needsPreActivation in
// activations.ts — the layer writes Z_l into a per-batch buffer zs[l] of the same shape and the
// activation reads it from there into Y_l; backward then takes f' from Z_l).
// Backward, from dZ_L given by the fused loss kernel:
//   ∂L/∂W_l = Y_{l−1}ᵀ·dZ_l   (GEMM Aᵀ·B, written straight into the gradient buffer)
//   ∂L/∂b_l = Σ_rows dZ_l      (column sums)
//   dY_{l−1} = dZ_l·W_lᵀ       (GEMM A·Bᵀ), then dZ_{l−1} = dY_{l−1} ⊙ f'_{l−1} in place
//                              (f' from Y_{l−1}, or from Z_{l−1} where it is kept).
// Memory: parameters and gradients live in the model's arena; per-batch activations in a
// second arena sized for the largest batch seen, reused by every step (flat memory).
//
// Normalization and dropout layers sit between Dense layers (never first or last), each with
// the width c of the layer before it, and an optional activation applied after them:
//   { type: 'batchnorm', momentum?: 0.1, eps?: 1e-5, activation?, frozenStats? }   per feature over the batch
//   { type: 'layernorm', eps?: 1e-5, activation? }                     per sample over its features
//   { type: 'dropout', rate }                                          inverted dropout, 0 ≤ rate < 1
// (kernels and formulas: assembly/nn/batchnorm.ts, layernorm.ts, dropout.ts). Their γ and β are
// a [1, c] "weight" and a [c] "bias" in the flat parameter vector, in layer order, so every
// optimizer, clip and gradient check sees them like any layer's parameters; a Dense layer
// followed by batch norm can drop its bias (`bias: false`, β takes its role). Batch norm's
// running mean and variance (start 0 and 1, updated with the unbiased batch variance as
// PyTorch) live in a separate state buffer, saved with the model (io/model-file.ts).
// Modes (model.training, model.train(), model.eval()): training normalizes batch norm with the
// batch statistics and updates the running ones, and draws a dropout mask per forward pass
// (Philox of (layer seed, pass counter, index): reproducible); inference uses the running
// statistics and no dropout. fit trains in training mode, evaluate and predict infer.
// Gradients after an inference pass are those of the inference function (batch norm: the affine
// map of its running statistics), as in torch after net.eval(). A batch norm with
// `frozenStats: true` is that map in training mode too (torch's bn.eval() on it alone: fine-
// tuning with frozen statistics); its running statistics never change (layers/batchnorm.ts).
// `model.frozen = true` keeps masks and running statistics fixed across passes (finite
// differences, gradient checks: every evaluation then sees the same function).

import type { Dataset } from '../data/dataset.js';
import type { Objective } from '../minimize/objective.js';
import { networkObjective, type NetworkObjectiveOptions } from './objective.js';
import { Arena, type ArenaMemory } from '../engine/arena.js';
import { ALIGN } from '../engine/allocator.js';
import type { Engine } from '../engine/engine.js';
import { DescentError, fmtBytes, fmtShape, show } from '../engine/errors.js';
import { collector } from '../engine/finalization.js';
import type { Tensor } from '../engine/tensor.js';
import { Random } from '../random.js';
import { activationKind, needsPreActivation, type ActivationName } from './activations.js';
import type { InitSpec, InitText } from './init.js';
import { checkLossSpec, describeLoss, isRegression, lossDivisor, type LossConfig, type LossName, type LossSpec } from './losses.js';
import { checkKeys, type Aux, type DenseLayer, type Image, type LayerKind, type PassContext, type Plan } from './layers/layer.js';
import { layerKind } from './layers/registry.js';
import { applyPreprocess, checkClassNames, checkOutputKind, checkPreprocess, type OutputKind, type Preprocess } from './preprocess.js';

export interface LayerSpec {
  type?: 'dense';
  units: number;
  activation?: ActivationName | string;
  /** Slope of leaky-relu for z < 0, or the α of elu. */
  alpha?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  init?: InitText | InitSpec;
}

export interface BatchNormSpec {
  type: 'batchnorm';
  /** Weight of the batch statistics in the running ones (default 0.1, as PyTorch). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Applied after the normalization (default linear). */
  activation?: ActivationName | string;
  alpha?: number;
  /**
   * Normalize with the running statistics also in training mode and never update them, the
   * gradient being that of this affine map (torch's bn.eval() on this layer alone: fine-tuning
   * with frozen statistics). Default false.
   */
  frozenStats?: boolean;
}

export interface LayerNormSpec {
  type: 'layernorm';
  eps?: number;
  activation?: ActivationName | string;
  alpha?: number;
}

export interface DropoutSpec {
  type: 'dropout';
  /** Probability of dropping an element, in [0, 1). */
  rate: number;
  /** Seed of the masks (default derived from the model seed and the layer index). */
  seed?: number;
}

/** A size of a window: n (n × n) or [height, width]. */
export type Size2 = number | readonly [h: number, w: number];

/** 2-D convolution over an image (src/nn/layers/conv2d.ts). */
export interface Conv2dSpec {
  type: 'conv2d';
  filters: number;
  kernel: Size2;
  /** Default 1. */
  stride?: Size2;
  /** Zeros around the image (default 0), or 'same' (stride 1: the output keeps the size) / 'valid'. */
  padding?: Size2 | 'same' | 'valid';
  dilation?: Size2;
  /** Input channels and filters in this many independent groups (= channels: depthwise). */
  groups?: number;
  bias?: boolean;
  /** Default relu. */
  activation?: ActivationName | string;
  alpha?: number;
  init?: InitText | InitSpec;
}

/** Max or average pooling (stride default: the kernel). */
export interface Pool2dSpec {
  type: 'maxpool2d' | 'avgpool2d';
  kernel: Size2;
  stride?: Size2;
  padding?: Size2;
  /** avgpool2d: divide by the whole window also where it overlaps the padding (default true, as PyTorch). */
  countIncludePad?: boolean;
}

/** Global average pooling, flatten: no options. */
export interface ShapeSpec { type: 'globalavgpool' | 'flatten' }

/** Spatial dropout: whole channels of each image. */
export interface Dropout2dSpec { type: 'dropout2d'; rate: number; seed?: number }

export type AnyLayerSpec = LayerSpec | BatchNormSpec | LayerNormSpec | DropoutSpec | Conv2dSpec | Pool2dSpec | ShapeSpec | Dropout2dSpec;
export type { DenseLayer, LayerType } from './layers/layer.js';

export interface ModelSpec {
  /**
   * Features per sample, or an image [c, h, w] (channels, height, width: PyTorch's order of the
   * sizes) for models that start with convolution or pooling. Image samples are given with
   * channels last: row-major h × w pixels of c values (NHWC, the library's activation layout;
   * for c = 1 simply the image's rows).
   */
  inputs: number | readonly [c: number, h: number, w: number];
  layers: AnyLayerSpec[];
  /**
   * A loss name (default softmax-cross-entropy) or { name, reduction?, labelSmoothing?,
   * posWeight?, delta?, beta? } (nn/losses.ts).
   */
  loss?: LossName | string | LossSpec;
  /** Seed of the weight initialization (default 0). */
  seed?: number;
}

/** Options of predict: rows (default all of x), what to return, whether to apply model.preprocess. */
export interface PredictOptions {
  n?: number;
  /** Default: probabilities for softmax-cross-entropy, bce-logits and bce; the output values for mse. */
  output?: OutputKind;
  /** Apply model.preprocess to x first (default true); false when x is already prepared. */
  preprocess?: boolean;
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
  /** Pre-activations, for the layers whose activation needs them in backward (else undefined). */
  zs: (Tensor | undefined)[];
  d: [Tensor, Tensor];
  labels: Tensor;
  targets: Tensor;
  aux: Aux[];
  views: Map<number, Views>;
}

type Views = {
  x: Tensor; ys: Tensor[]; zs: (Tensor | undefined)[]; d: [Tensor[], Tensor[]]; labels: Tensor; targets: Tensor; aux: Aux[];
  /** Whether targets rather than labels were staged last (softmax-cross-entropy: probability targets). */
  soft?: boolean;
};

const MAX_EVAL_BATCH = 1000;

export class Model implements PassContext {
  /** Floats per sample (c·h·w for an image input). */
  readonly inputs: number;
  /** The input as an image [c, h, w] (spec order), when the spec gave one. */
  readonly inputShape: readonly [c: number, h: number, w: number] | undefined;
  readonly outputs: number;
  /** The loss's name; lossConfig has its options (reduction, label smoothing, …). */
  readonly loss: LossName;
  readonly lossConfig: LossConfig;
  readonly seed: number;
  readonly layers: readonly DenseLayer[];
  /** The kind of each layer (layers/registry.ts): what runs it. */
  readonly #kinds: readonly LayerKind[];
  readonly parameterCount: number;
  #arena: Arena;
  #batchArena: Arena;
  #params: Tensor;
  #grads: Tensor;
  #state: Tensor | undefined;
  /** bce-logits' positive weights, one per output, in wasm memory (absent: all 1). */
  #posWeight: Tensor | undefined;
  #buf: Buffers | undefined;
  /** Training mode (batch statistics, dropout) or inference mode; see the header. */
  training = true;
  /** Keep dropout masks and batch-norm running statistics fixed across passes (see the header). */
  frozen = false;
  /** Training forward passes so far: the counter of the dropout masks. */
  passes = 0;
  /** Whether any layer is not Dense. */
  readonly hasNormalization: boolean;
  #preprocess: Preprocess | undefined;
  #classNames: string[] | undefined;

  constructor(readonly engine: Engine, spec: ModelSpec) {
    const what = 'model';
    // validate every layer before allocating anything
    const { inputs, inputShape, outputs, lossConfig, seed, kinds, plans: plan, parameterCount: offset, stateSize } = planModel(spec, what);
    this.#kinds = kinds;
    this.inputs = inputs;
    this.inputShape = inputShape;
    this.outputs = outputs;
    this.loss = lossConfig.name;
    this.lossConfig = lossConfig;
    this.seed = seed;
    this.parameterCount = offset;
    // sizes first: refuse what cannot fit before allocating anything, and on any allocation
    // failure give back what this call allocated
    checkModelFits(engine, offset, stateSize, what);
    this.#arena = engine.arena('model');
    this.#batchArena = engine.arena('model batch');
    try {
      this.#params = this.#arena.tensor([offset], undefined, 'model parameters');
      this.#grads = this.#arena.tensor([offset], undefined, 'model gradients');
      this.#state = stateSize > 0 ? this.#arena.tensor([stateSize], undefined, 'model running statistics') : undefined;
      this.#posWeight = lossConfig.posWeight ? this.#arena.tensor([outputs], lossConfig.posWeight, 'loss positive weights') : undefined;
    } catch (e) {
      this.#arena.release();
      throw e;
    }
    // a model dropped without release() gives its memory back when it is garbage-collected
    // (where the runtime has finalizers); its tensors and views keep it reachable (Arena.anchor)
    this.#arena.anchor(this);
    this.#batchArena.anchor(this);
    dropped.register(this, [this.#arena.memory, this.#batchArena.memory], this);
    const params = this.#params, grads = this.#grads, state = this.#state;
    this.hasNormalization = plan.some((p) => p.type !== 'dense');
    this.layers = plan.map((p, index): DenseLayer => ({
      index, type: p.type, inputs: p.inputs, units: p.units, width: p.width, image: p.image, config: p.config,
      activation: p.act.name, alpha: p.act.alpha,
      kind: activationKind(p.act.name), hasBias: p.hasBias, init: p.init,
      weightOffset: p.weightOffset, biasOffset: p.biasOffset,
      W: params.view(p.weightOffset, [p.inputs, p.units]),
      b: p.hasBias ? params.view(p.biasOffset, [p.units]) : undefined,
      gW: grads.view(p.weightOffset, [p.inputs, p.units]),
      gb: p.hasBias ? grads.view(p.biasOffset, [p.units]) : undefined,
      eps: p.eps, momentum: p.momentum, rate: p.rate,
      seed: p.type === 'dropout' || p.type === 'dropout2d' ? (p.seed ?? ((Math.imul(seed | 0, 0x9e3779b1) + index) >>> 0)) : undefined,
      runningMean: state && p.stateOffset !== undefined ? state.view(p.stateOffset, [p.units]) : undefined,
      runningVar: state && p.stateOffset !== undefined ? state.view(p.stateOffset + p.units, [p.units]) : undefined,
      describe: () => kinds[index].describe(p),
    }));
    this.initialize(seed);
  }

  /** Draw every weight again from the layers' initializers (biases to 0). */
  initialize(seed = this.seed): void {
    const rng = new Random(seed);
    const tmp = new Float32Array(Math.max(...this.layers.map((l) => l.inputs * l.units)));
    for (const l of this.layers) this.#kinds[l.index].initialize(l, rng, tmp);
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
    return `Model(${this.inputs} → ${this.layers.map((l) => (l.type === 'dense' ? `${l.units} ${l.activation}` : l.describe())).join(' → ')}; loss ${describeLoss(this.lossConfig)}; ${this.parameterCount} parameters)`;
  }

  /** Training mode: batch statistics and dropout (see the header). */
  train(): this {
    this.training = true;
    return this;
  }

  /** Inference mode: running statistics, no dropout. */
  eval(): this {
    this.training = false;
    return this;
  }

  /** Batch norm's running statistics, named as in the model file: layers.<i>.running_mean / running_var. */
  buffers(): { name: string; tensor: Tensor }[] {
    const out: { name: string; tensor: Tensor }[] = [];
    for (const l of this.layers) {
      if (l.runningMean && l.runningVar) {
        out.push({ name: `layers.${l.index}.running_mean`, tensor: l.runningMean }, { name: `layers.${l.index}.running_var`, tensor: l.runningVar });
      }
    }
    return out;
  }

  /**
   * The model and a data set as a function of the flat parameter vector, for minimize():
   * mean loss, gradient, Hessian-vector products, and residuals + Jacobian for MSE models
   * (nn/objective.ts).
   */
  objective(data: Dataset, opts: NetworkObjectiveOptions = {}): Objective {
    return networkObjective(this, data, opts);
  }

  /** The loss over the batch (its mean, or sum: lossConfig.reduction), and its full gradient in gradients(). */
  lossAndGradient(batch: Batch): number {
    this.checkBatch(batch, 'lossAndGradient', false);
    this.#checkPass(batch.n, this.training); // before staging allocates anything
    const v = this.stage(batch, 'lossAndGradient');
    return this.runStaged(v, batch.n, true);
  }

  /** The loss over the batch (mean or sum: lossConfig.reduction), without the gradient. */
  lossOnly(batch: Batch): number {
    this.checkBatch(batch, 'loss', false);
    this.#checkPass(batch.n, this.training);
    const v = this.stage(batch, 'loss');
    return this.runStaged(v, batch.n, false);
  }

  /**
   * The loss's terms before any reduction (PyTorch's reduction='none'), in the model's current
   * mode: one per sample for softmax-cross-entropy, one per output value (n×outputs, row-major)
   * for the other losses — their sum is lossOnly's value times lossDivisor(n).
   */
  unreducedLoss(batch: Batch): Float32Array {
    this.checkBatch(batch, 'unreducedLoss', false);
    this.#checkPass(batch.n, this.training);
    const v = this.stage(batch, 'unreducedLoss');
    this.forward(v, batch.n);
    return this.stagedLossTerms(v, batch.n);
  }

  /**
   * What the summed loss of n samples is divided by: 1 for reduction 'sum'; n for 'mean', or
   * n·outputs for the losses PyTorch averages over elements (mse-mean, huber, smooth-l1).
   */
  lossDivisor(n: number): number {
    return lossDivisor(this.lossConfig, n, this.outputs);
  }

  /**
   * Input preprocessing predict applies, x' = (x·scale − mean) / std per feature
   * (nn/preprocess.ts), or undefined (none). A copy: change it with setPreprocess.
   * fit, evaluate and lossAndGradient take prepared data (evaluate's { preprocess: true } applies it).
   */
  get preprocess(): Preprocess | undefined {
    const p = this.#preprocess;
    return p && { ...p, ...(p.mean ? { mean: p.mean.slice() } : {}), ...(p.std ? { std: p.std.slice() } : {}) };
  }

  /** Sets (a validated copy of) the input preprocessing, or removes it (undefined); nothing changes on an error. */
  setPreprocess(p: Preprocess | undefined): this {
    this.#preprocess = checkPreprocess(p, this.inputs, 'setPreprocess');
    return this;
  }

  /** Names of the classes (index = class id), or undefined: class j is then "j". */
  get classNames(): string[] | undefined {
    return this.#classNames && [...this.#classNames];
  }

  /** Sets the class names (one string per class: max(outputs, 2)), or removes them; nothing changes on an error. */
  setClassNames(names: readonly string[] | undefined): this {
    this.#classNames = checkClassNames(names, this.classes, 'setClassNames');
    return this;
  }

  /** Number of classes predictLabels chooses from: outputs, or 2 for a one-output model. */
  get classes(): number {
    return this.outputs === 1 ? 2 : this.outputs;
  }

  /** x (n×inputs raw values) through model.preprocess: a new array, or x itself when there is none. */
  preprocessInputs(x: Float32Array): Float32Array {
    if (!(x instanceof Float32Array)) throw new DescentError('preprocessInputs: x must be a Float32Array');
    if (x.length % this.inputs !== 0) throw new DescentError(`preprocessInputs: ${x.length} values are not whole rows of ${this.inputs} features`);
    return this.#preprocess ? applyPreprocess(this.#preprocess, x, this.inputs) : x;
  }

  /**
   * Outputs for n samples (x is n×inputs, raw: model.preprocess is applied unless
   * { preprocess: false }). `output`: 'probabilities' (softmax for softmax-cross-entropy, sigmoid
   * for bce-logits and bce), 'logits' (the output layer's values before them; for mse its values)
   * or 'classes' (predictLabels). Default: probabilities, or the values for mse. The second
   * argument may also be n, as before.
   */
  predict(x: Float32Array, opts: PredictOptions & { output: 'classes' }): Int32Array;
  predict(x: Float32Array, opts?: number | (PredictOptions & { output?: 'probabilities' | 'logits' })): Float32Array;
  predict(x: Float32Array, opts: PredictOptions): Float32Array | Int32Array;
  predict(x: Float32Array, nOrOpts?: number | PredictOptions): Float32Array | Int32Array {
    const o = predictOptions(nOrOpts, 'predict', ['n', 'output', 'preprocess']);
    const output = checkOutputKind(o.output, this.loss, 'predict');
    if (output === 'classes') return this.predictLabels(x, { n: o.n, preprocess: o.preprocess });
    const n = o.n ?? x.length / this.inputs;
    this.checkBatch({ x, n }, 'predict', false);
    if (this.#preprocess && o.preprocess !== false) x = applyPreprocess(this.#preprocess, x.subarray(0, n * this.inputs), this.inputs);
    const out = new Float32Array(n * this.outputs);
    const K = this.engine.kernels;
    for (let start = 0; start < n; start += MAX_EVAL_BATCH) {
      const c = Math.min(MAX_EVAL_BATCH, n - start);
      const v = this.views(c);
      v.x.data.set(x.subarray(start * this.inputs, (start + c) * this.inputs));
      this.checkStagedInputs(v.x, c, 'predict', start);
      this.forward(v, c, false);
      const y = v.ys[v.ys.length - 1];
      if (output === 'logits') { /* the output layer's values as they are */ }
      else if (this.loss === 'softmax-cross-entropy') K.softmax(c, this.outputs, y.pointer(), y.pointer());
      else if (this.loss === 'bce-logits') K.actForward(activationKind('sigmoid'), c * this.outputs, 0, y.pointer(), y.pointer());
      out.set(y.data, start * this.outputs);
    }
    return out;
  }

  /** Predicted class per sample: argmax of the outputs, or output > ½ for one-output bce models. */
  predictLabels(x: Float32Array, nOrOpts?: number | Omit<PredictOptions, 'output'>): Int32Array {
    const o = predictOptions(nOrOpts, 'predictLabels', ['n', 'preprocess']);
    const n = o.n ?? x.length / this.inputs;
    const p = this.predict(x, { n, preprocess: o.preprocess });
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

  /**
   * Validate a batch against the model: sizes, label range, finite targets and, unless
   * checkInputs = false, finite inputs. The hot paths pass false and check the inputs after
   * staging them (checkStagedInputs: one SIMD pass in wasm instead of a JS loop).
   */
  checkBatch(batch: Batch, op: string, checkInputs = true): void {
    if (batch === null || typeof batch !== 'object') throw new DescentError(`${op}: the batch must be an object { x, n, labels | targets }, got ${batch === null ? 'null' : typeof batch}`);
    const { x, n } = batch;
    if (!(x instanceof Float32Array)) throw new DescentError(`${op}: x must be a Float32Array`);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new DescentError(`${op}: the batch is empty (n = ${typeof n === 'number' ? n : typeof n})`);
    if (x.length !== n * this.inputs) {
      throw new DescentError(`${op}: expected x of ${n}×${this.inputs} = ${n * this.inputs} values for ${this.describe()}, got ${x.length} (${x.length / n} features per sample?)`);
    }
    if (checkInputs) {
      for (let i = 0; i < x.length; i++) {
        // v − v is 0 for finite v, NaN for NaN and ±Infinity
        if (x[i] - x[i] !== 0) throw this.#nonFiniteInput(op, x[i], i, 0);
      }
    }
    if (op === 'predict') return;
    this.checkTargets(batch.labels, batch.targets, n, op);
  }

  checkTargets(labels: Int32Array | undefined, targets: Float32Array | undefined, n: number, op: string): void {
    if (labels) {
      if (labels.length < n) throw new DescentError(`${op}: expected ${n} labels, got ${labels.length}`);
      const classes = this.outputs === 1 ? 2 : this.outputs;
      for (let i = 0; i < n; i++) {
        const c = labels[i];
        if (!(c >= 0 && c < classes)) throw new DescentError(`${op}: label ${c} of sample ${i} is out of range for ${classes} classes (model outputs ${fmtShape([this.outputs])})`);
      }
    } else {
      if (!targets) throw new DescentError(`${op}: loss ${this.loss} needs ${this.loss === 'softmax-cross-entropy' ? 'class labels (or probability targets)' : 'targets (or labels)'}`);
      if (targets.length < n * this.outputs) throw new DescentError(`${op}: expected ${n}×${this.outputs} targets, got ${targets.length}`);
      for (let i = 0; i < n * this.outputs; i++) {
        if (!Number.isFinite(targets[i])) throw new DescentError(`${op}: target ${targets[i]} at sample ${Math.floor(i / this.outputs)}`);
      }
      if (this.loss === 'softmax-cross-entropy') checkProbabilities(targets, n * this.outputs, this.outputs, op);
    }
  }

  /**
   * Copy a batch (validated by checkBatch) into wasm memory and check its inputs are finite;
   * returns the views for n rows. Only scratch buffers are written before a throw.
   */
  stage(batch: Batch, op = 'stage'): ReturnType<Model['views']> {
    const v = this.views(batch.n);
    v.x.data.set(batch.x.subarray(0, batch.n * this.inputs));
    this.checkStagedInputs(v.x, batch.n, op, 0);
    this.stageTargets(v, batch.n, batch.labels, batch.targets);
    return v;
  }

  /** Throws naming the first NaN/±Infinity among n staged input rows (firstSample: row 0's index in the caller's data). */
  checkStagedInputs(x: Tensor, n: number, op: string, firstSample: number): void {
    const i = this.engine.kernels.firstNonFinite(n * this.inputs, x.pointer());
    if (i >= 0) throw this.#nonFiniteInput(op, x.data[i], i, firstSample);
  }

  #nonFiniteInput(op: string, value: number, i: number, firstSample: number): DescentError {
    const sample = Math.floor(i / this.inputs);
    return new DescentError(`${op}: x has ${value} at sample ${firstSample + sample}, feature ${i - sample * this.inputs}`);
  }

  stageTargets(v: ReturnType<Model['views']>, n: number, labels?: Int32Array, targets?: Float32Array): void {
    const k = this.outputs;
    v.soft = !labels;
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

  /** Forward, loss and (optionally) backward on staged buffers; returns the reduced loss. */
  runStaged(v: ReturnType<Model['views']>, n: number, withGradient: boolean): number {
    this.forward(v, n);
    const sum = this.lossAndBackward(v, n, withGradient);
    return sum / this.lossDivisor(n);
  }

  /** The forward pass on staged buffers, in training mode unless training = false (see the header). */
  forward(v: ReturnType<Model['views']>, n: number, training = this.training): void {
    const K = this.engine.kernels;
    this.#checkPass(n, training); // before the pass counter or any statistic moves
    if (training && this.hasNormalization && !this.frozen) this.passes = (this.passes + 1) >>> 0;
    let input = v.x;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      const y = v.ys[l], z = v.zs[l] ?? y; // z: where the layer writes its pre-activation
      this.#kinds[l].forward(this, layer, v.aux[l], n, input, z, training);
      if (layer.kind !== 0) K.actForward(layer.kind, n * layer.width, layer.alpha, z.pointer(), y.pointer());
      input = y;
    }
    this.#trainedPass = training;
  }

  #trainedPass = true;
  /** Whether the last forward pass ran in training mode (backward of batch norm and dropout needs to know). */
  get trainedPass(): boolean {
    return this.#trainedPass;
  }

  /** Throws if a pass on n rows cannot run (batch norm in training mode needs 2 rows or more). */
  #checkPass(n: number, training: boolean): void {
    for (let l = 0; l < this.layers.length; l++) this.#kinds[l].checkPass?.(this.layers[l], n, training);
  }

  /**
   * Σ of the loss's terms over n staged samples (after forward); with withGradient fills the
   * gradient buffer with the gradient of that sum over lossDivisor(n).
   */
  lossAndBackward(v: ReturnType<Model['views']>, n: number, withGradient: boolean): number {
    const K = this.engine.kernels;
    const L = this.layers.length;
    const last = this.layers[L - 1];
    const y = v.ys[L - 1];
    let cur = 0;
    const dz = withGradient ? v.d[cur][L - 1].pointer() : 0;
    const sum = this.#lossKernel(v, n, dz, 1 / this.lossDivisor(n), 0);
    if (!withGradient) return sum;
    if ((isRegression(this.loss) || this.loss === 'bce') && last.kind !== 0) {
      K.actBackward(last.kind, n * last.width, last.alpha, (v.zs[L - 1] ?? y).pointer(), dz, dz);
    }
    this.backward(v, n);
    return sum;
  }

  /**
   * The loss's terms for n staged samples after forward (see unreducedLoss): n values for
   * softmax-cross-entropy, n×outputs for the others, in a new array.
   */
  stagedLossTerms(v: ReturnType<Model['views']>, n: number): Float32Array {
    const count = this.loss === 'softmax-cross-entropy' ? n : n * this.outputs;
    const out = v.d[1][this.layers.length - 1]; // scratch (n × width ≥ count floats): no backward here
    this.#lossKernel(v, n, 0, 1, out.pointer());
    return new Float32Array(out.data.subarray(0, count));
  }

  /** Runs the loss kernel of this model's loss on staged buffers: Σ of the terms; dz = scale·∂Σ; terms at out. */
  #lossKernel(v: ReturnType<Model['views']>, n: number, dz: number, scale: number, out: number): number {
    const K = this.engine.kernels;
    const c = this.lossConfig, k = this.outputs;
    const y = v.ys[this.layers.length - 1].pointer(), t = v.targets.pointer();
    switch (c.name) {
      case 'softmax-cross-entropy': {
        const eps = c.labelSmoothing ?? 0;
        if (v.soft) return K.xentSoft(n, k, y, t, dz, scale, eps, out);
        if (eps === 0 && out === 0) return K.softmaxXent(n, k, y, v.labels.pointer(), dz, scale);
        return K.xentLabels(n, k, y, v.labels.pointer(), dz, scale, eps, out);
      }
      case 'mse':
        return out === 0 ? K.mseLoss(n * k, y, t, dz, scale) : K.regressionLoss(0, n * k, y, t, dz, scale, 0, out);
      case 'mse-mean':
        return K.regressionLoss(1, n * k, y, t, dz, scale, 0, out);
      case 'huber':
        return K.regressionLoss(2, n * k, y, t, dz, scale, c.delta!, out);
      case 'smooth-l1':
        return K.regressionLoss(3, n * k, y, t, dz, scale, c.beta!, out);
      case 'bce-logits':
        if (!this.#posWeight && out === 0) return K.bceLogits(n * k, y, t, dz, scale);
        return K.bceLogitsW(n, k, y, t, dz, scale, this.#posWeight?.pointer() ?? 0, out);
      case 'bce':
        return out === 0 ? K.bceProbs(n * k, y, t, dz, scale, 1e-7) : K.bceProbsOut(n * k, y, t, dz, scale, 1e-7, out);
    }
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
      const layer = this.layers[l], kind = this.#kinds[l];
      const dZ = v.d[cur][l];
      const input = l === 0 ? v.x : v.ys[l - 1];
      if (l === 0) {
        kind.backward(this, layer, v.aux[l], n, input, dZ, undefined);
        break;
      }
      // a kind that keeps the width writes dX over dZ; others into the other buffer
      const dY = kind.inPlace ? v.d[cur][l - 1] : v.d[1 - cur][l - 1];
      kind.backward(this, layer, v.aux[l], n, input, dZ, dY);
      if (!kind.inPlace) cur = 1 - cur;
      const prev = this.layers[l - 1];
      if (prev.kind !== 0) K.actBackward(prev.kind, n * prev.width, prev.alpha, (v.zs[l - 1] ?? v.ys[l - 1]).pointer(), dY.pointer(), dY.pointer());
    }
  }

  /** Buffers for a batch of n rows (allocated for the largest n seen; views cached per n). */
  views(n: number): Views {
    let buf = this.#buf;
    if (!buf || buf.capacity < n) {
      // the GEMM workspace first: allocated on the first product otherwise, its memory growth
      // would detach views made between here and there (label arrays, Float32Array data)
      this.engine.gemmWorkspace();
      this.#batchArena.release();
      const A = this.#batchArena;
      const widest = Math.max(...this.layers.map((l) => l.width));
      buf = this.#buf = {
        capacity: n,
        x: A.empty([n * this.inputs], 'model batch'),
        ys: this.layers.map((l) => A.empty([n * l.width], 'model batch')),
        zs: this.layers.map((l) => (needsPreActivation(l.activation) ? A.empty([n * l.width], 'model batch') : undefined)),
        d: [A.empty([n * widest], 'model batch'), A.empty([n * widest], 'model batch')],
        labels: A.empty([n], 'model batch'),
        targets: A.empty([n * this.outputs], 'model batch'),
        aux: this.layers.map((l, i) => this.#kinds[i].scratch(l, n, (size) => A.empty([size], 'model batch'))),
        views: new Map(),
      };
    }
    let v = buf.views.get(n);
    if (!v) {
      const b = buf;
      v = {
        x: b.x.view(0, [n, this.inputs]),
        ys: this.layers.map((l, i) => b.ys[i].view(0, [n, l.width])),
        zs: this.layers.map((l, i) => b.zs[i]?.view(0, [n, l.width])),
        d: [this.layers.map((l) => b.d[0].view(0, [n, l.width])), this.layers.map((l) => b.d[1].view(0, [n, l.width]))],
        labels: b.labels.view(0, [n]),
        targets: b.targets.view(0, [n * this.outputs]),
        aux: b.aux,
      };
      if (buf.views.size > 8) buf.views.clear();
      buf.views.set(n, v);
    }
    return v;
  }

  /**
   * Free the model's memory now. The model cannot be used afterwards. (A model dropped without
   * release() frees it when garbage-collected, where the runtime has FinalizationRegistry.)
   */
  release(): void {
    dropped.unregister(this);
    this.#batchArena.release();
    this.#arena.release();
    this.#buf = undefined;
  }
}

/** predict's second argument: n, or an options object of own keys `known`, checked by value. */
function predictOptions(nOrOpts: unknown, op: string, known: string[]): PredictOptions {
  if (nOrOpts === undefined || typeof nOrOpts === 'number') return { n: nOrOpts };
  if (nOrOpts === null || typeof nOrOpts !== 'object' || Array.isArray(nOrOpts)) throw new DescentError(`${op}: the second argument must be n or { ${known.join(', ')} }, got ${nOrOpts === null ? 'null' : Array.isArray(nOrOpts) ? 'an array' : typeof nOrOpts}`);
  const o = nOrOpts as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new DescentError(`${op}: unknown option ${JSON.stringify(k)}; known: ${known.join(', ')}`);
  if (o.n !== undefined && (typeof o.n !== 'number' || !Number.isSafeInteger(o.n) || o.n < 1)) throw new DescentError(`${op}: n must be a positive integer, got ${typeof o.n === 'number' ? o.n : typeof o.n}`);
  if (o.preprocess !== undefined && typeof o.preprocess !== 'boolean') throw new DescentError(`${op}: preprocess must be true or false, got ${typeof o.preprocess}`);
  return o as PredictOptions;
}

/** Frees the arenas of a model dropped without release() (ArenaMemory holds only addresses). */
const dropped = collector((memories: ArenaMemory[]) => {
  for (const m of memories) {
    try { m.free(); } catch { /* the engine's allocator no longer knows the block: nothing to free */ }
  }
});

/** What planModel found in a spec: every layer's plan and the sizes of the flat buffers. */
export interface ModelPlan {
  inputs: number;
  inputShape: readonly [c: number, h: number, w: number] | undefined;
  outputs: number;
  loss: LossName;
  lossConfig: LossConfig;
  seed: number;
  kinds: LayerKind[];
  /** Per layer, in spec order: shapes, offsets into the flat parameter vector and the state buffer. */
  plans: Plan[];
  /** Floats of the flat parameter vector (as many gradients) and of the running-statistics buffer. */
  parameterCount: number;
  stateSize: number;
}

/**
 * Validate a model spec and lay out its parameters, allocating nothing: the checks and the
 * layout of the Model constructor (which calls it), with every layer kind's plan() run against
 * counting reserve/reserveState. Throws the constructor's DescentErrors; `what` prefixes them
 * ("model: layer 2 (conv2d): …"). The model file loader (io/model-file.ts) uses it to derive the
 * tensors a file must hold before anything is allocated.
 */
export function planModel(spec: ModelSpec, what = 'model'): ModelPlan {
  if (!spec || typeof spec !== 'object') throw new DescentError(`${what}: expected a spec { inputs, layers, loss }`);
  checkKeys(spec, ['inputs', 'layers', 'loss', 'seed'], what);
  const { inputs, shape: inputShape } = checkInputs(spec.inputs, what);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new DescentError(`${what}: layers must be a non-empty array`);
  let lossConfig = checkLossSpec(spec.loss ?? 'softmax-cross-entropy', what);
  const loss = lossConfig.name;
  const seed = spec.seed ?? 0;
  if (!Number.isFinite(seed)) throw new DescentError(`${what}: seed must be a finite number, got ${seed}`);
  let fanIn = inputs, offset = 0, stateSize = 0;
  let image: Image | undefined = inputShape && [inputShape[1], inputShape[2], inputShape[0]];
  const kinds: LayerKind[] = [];
  const plans = spec.layers.map((l, i) => {
    const name = `${what}: layer ${i}`;
    const type = (l as { type?: unknown })?.type ?? 'dense';
    if (type === 'dense' && (!l || typeof l !== 'object' || Array.isArray(l))) {
      throw new DescentError(`${name}: must be a layer spec object, got ${l === null ? 'null' : Array.isArray(l) ? 'an array' : typeof l}`);
    }
    const kind = layerKind(type, name);
    kinds.push(kind);
    const p = kind.plan(l as unknown as Record<string, unknown>, {
      index: i, name, first: i === 0, last: i === spec.layers.length - 1, loss, fanIn, image,
      reserve: (size) => { const o = offset; offset += size; return o; },
      reserveState: (size) => { const o = stateSize; stateSize += size; return o; },
    });
    fanIn = p.width;
    image = p.image;
    return p;
  });
  // posWeight against the outputs, expanded to one weight per output
  if (lossConfig.posWeight) lossConfig = checkLossSpec(spec.loss, what, fanIn);
  return { inputs, inputShape, outputs: fanIn, loss, lossConfig, seed, kinds, plans, parameterCount: offset, stateSize };
}

/**
 * Throws unless parameters, gradients and running statistics (what the constructor allocates)
 * fit in what the engine can still give: its memory limit less the heap in use. Fragmentation
 * may still make the allocation fail; the constructor then releases what it got.
 */
function checkModelFits(engine: Engine, parameters: number, stateSize: number, what: string): void {
  const block = (floats: number): number => Math.max(ALIGN, Math.ceil((floats * 4) / ALIGN) * ALIGN);
  const need = 2 * block(parameters) + (stateSize > 0 ? block(stateSize) : 0);
  const a = engine.allocator, st = a.stats();
  const free = a.maxBytes - a.base - st.liveBytes;
  if (!Number.isFinite(need) || need > free) {
    throw new DescentError(`${what}: out of memory: ${parameters} parameters need ${fmtBytes(need)} for parameters and gradients` +
      `${stateSize > 0 ? ' and running statistics' : ''}, but the engine has ${fmtBytes(Math.max(0, free))} left ` +
      `(heap in use ${fmtBytes(st.liveBytes)}, limit ${fmtBytes(a.maxBytes)}; createEngine({ maxMemoryMB }) raises it); nothing was allocated`);
  }
}

/** The spec's inputs: a positive integer, or an image [c, h, w] of positive integers. */
function checkInputs(v: unknown, what: string): { inputs: number; shape?: readonly [number, number, number] } {
  if (Array.isArray(v)) {
    const ok = v.length === 3 && v.every((d) => Number.isSafeInteger(d) && d >= 1) && v[0] * v[1] * v[2] <= 2 ** 31;
    if (!ok) throw new DescentError(`${what}: inputs must be a positive integer or an image [channels, height, width] of positive integers, got ${show(v)}`);
    const shape = [v[0], v[1], v[2]] as const;
    return { inputs: v[0] * v[1] * v[2], shape };
  }
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new DescentError(`${what}: inputs must be a positive integer, got ${show(v)}`);
  return { inputs: v as number };
}

/** Throws unless the first `count` targets are probabilities in [0, 1] (softmax-cross-entropy's soft targets). */
function checkProbabilities(t: Float32Array, count: number, outputs: number, op: string): void {
  for (let i = 0; i < count; i++) {
    if (!(t[i] >= 0 && t[i] <= 1)) {
      const s = Math.floor(i / outputs);
      throw new DescentError(`${op}: loss softmax-cross-entropy takes class labels or probability targets in [0, 1]; target ${t[i]} at sample ${s}, class ${i - s * outputs}`);
    }
  }
}
