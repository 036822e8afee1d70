// The training loop: model.fit(data, options).
//
// Modes, by batch size B over n samples:
//   batch (B = n or 'full')  one update per epoch on the whole training set (gradient descent)
//   stochastic (B = 1)       one update per sample
//   mini-batch (1 < B < n)   ⌈n/B⌉ updates per epoch; the order is reshuffled every epoch
//                            (seeded), the last batch may be smaller.
// Each update: stage the batch in wasm memory, forward + backward (model.ts), optimizer step.
// Everything is validated before the first update (data shape, finiteness, label range,
// options), so a bad call leaves the model untouched. A loss that turns NaN or infinite stops
// training with an error naming the epoch and step.
// History: per epoch the mean training loss over the epoch's batches (and training accuracy
// from the same forward passes), validation loss/accuracy when there is a validation set,
// and optionally the loss of every step.

import { DescentError } from '../engine/errors.js';
import { batchInto, checkDataset, subset, type Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import { Random } from '../random.js';
import { isClassification } from '../nn/losses.js';
import { sgd, type Optimizer } from './optimizer.js';
import { isFullBatch, minimize, type FullBatchOptimizer } from './full-batch.js';
import { networkObjective } from '../nn/objective.js';
import type { MinimizeResult } from '../minimize/context.js';

export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Wall time of the epoch in ms (training steps only). */
  ms: number;
  samplesPerSecond: number;
  /** Full-batch methods: the minimizer's evaluations so far (value + gradient + residual calls; a combined value-and-gradient call counts two). */
  evaluations?: number;
}

export interface BatchLogs {
  epoch: number;
  /** Step within the epoch (0-based) and over the whole fit. */
  batch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  size: number;
}

export interface EarlyStopping {
  monitor?: 'loss' | 'valLoss' | 'accuracy' | 'valAccuracy';
  /** Epochs without improvement before stopping (default 5). */
  patience?: number;
  minDelta?: number;
  mode?: 'min' | 'max';
  /** Put back the best epoch's parameters at the end (default true). */
  restoreBest?: boolean;
}

export interface FitOptions {
  epochs?: number;
  /** Samples per update: a number, or 'full' for batch gradient descent (default 32). */
  batchSize?: number | 'full';
  /** Learning rate of the default optimizer, SGD (default 0.01). */
  lr?: number;
  optimizer?: Optimizer;
  shuffle?: boolean;
  /** Seed of the shuffling and of the validation split (default 0). */
  seed?: number;
  /** Fraction of the data held out for validation (taken after a seeded shuffle). */
  validationSplit?: number;
  validationData?: Dataset;
  onBatchEnd?: (logs: BatchLogs) => void | 'stop';
  onEpochEnd?: (logs: EpochLogs) => void | 'stop';
  earlyStopping?: EarlyStopping | boolean;
  /** Record the loss of every step in history.steps. */
  recordSteps?: boolean;
  /** Stop at the end of the current step when aborted. */
  signal?: AbortSignal;
  /**
   * Resume a run at this epoch (0-based: the number of epochs already done): the shuffles of
   * the skipped epochs are replayed and step counts continue, so with the optimizer state of a
   * checkpoint the run continues bit for bit as if it had never stopped. History counts epochs
   * from initialEpoch + 1; `epochs` is the total (the last epoch's number).
   */
  initialEpoch?: number;
}

export interface History {
  epoch: number[];
  loss: number[];
  accuracy?: number[];
  valLoss?: number[];
  valAccuracy?: number[];
  steps?: number[];
  stopped: 'completed' | 'early-stopping' | 'callback' | 'aborted';
  bestEpoch?: number;
  /** Full-batch methods: value + gradient + residual evaluations after each iteration. */
  evaluations?: number[];
  /** Full-batch methods: the minimizer's result (reason, evaluation counts). */
  minimize?: MinimizeResult;
}

const KNOWN = new Set(['epochs', 'batchSize', 'lr', 'optimizer', 'shuffle', 'seed', 'validationSplit', 'validationData',
  'onBatchEnd', 'onEpochEnd', 'earlyStopping', 'recordSteps', 'signal', 'initialEpoch']);

export function fit(model: Model, data: Dataset, options: FitOptions = {}): History {
  const op = 'fit';
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new DescentError(`${op}: unknown option ${JSON.stringify(k)}; known: ${[...KNOWN].join(', ')}`);
  checkDataset(data, op);
  checkCompatible(model, data, op);
  const epochs = options.epochs ?? 10;
  if (!Number.isSafeInteger(epochs) || epochs < 1) throw new DescentError(`${op}: epochs must be a positive integer, got ${String(epochs)}`);
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isSafeInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs) {
    throw new DescentError(`${op}: initialEpoch must be an integer in [0, epochs) = [0, ${epochs}), got ${String(options.initialEpoch)}`);
  }
  const seed = options.seed ?? 0;
  const rng = new Random(seed);
  // validation set
  let train = data, val = options.validationData;
  if (options.validationSplit !== undefined) {
    const f = options.validationSplit;
    if (val) throw new DescentError(`${op}: give validationSplit or validationData, not both`);
    if (typeof f !== 'number' || !(f > 0 && f < 1)) throw new DescentError(`${op}: validationSplit must be in (0, 1), got ${String(f)}`);
    const idx = rng.shuffle(Int32Array.from({ length: data.n }, (_, i) => i));
    const nVal = Math.max(1, Math.round(data.n * f));
    if (nVal >= data.n) throw new DescentError(`${op}: validationSplit ${f} leaves no training data (n = ${data.n})`);
    val = subset(data, idx.subarray(0, nVal));
    train = subset(data, idx.subarray(nVal));
  }
  if (val) {
    checkDataset(val, `${op}: validation data`);
    checkCompatible(model, val, `${op}: validation data`);
  }
  const n = train.n;
  const B = options.batchSize === 'full' ? n : options.batchSize ?? 32;
  if (!Number.isSafeInteger(B) || B < 1) throw new DescentError(`${op}: batchSize must be a positive integer or 'full', got ${String(options.batchSize)}`);
  if (B > n) throw new DescentError(`${op}: batchSize ${B} is larger than the training set (${n} samples); use 'full' for batch gradient descent`);
  const optimizer = options.optimizer ?? sgd({ lr: options.lr ?? 0.01 });
  if (options.optimizer && options.lr !== undefined) throw new DescentError(`${op}: give lr to the optimizer, not to fit, when passing an optimizer`);
  optimizer.bind?.(model);
  if (isFullBatch(optimizer)) {
    if (options.earlyStopping) throw new DescentError(`${op}: early stopping is for stochastic training; full-batch methods stop on their own tolerances (see the optimizer's settings)`);
    if (options.initialEpoch) throw new DescentError(`${op}: initialEpoch does not apply to full-batch methods (they restart from the model's parameters)`);
    return fitFullBatch(model, train, val, optimizer, epochs, options.batchSize, rng, options);
  }
  const es = options.earlyStopping === true ? {} : options.earlyStopping || undefined;
  const monitor = es ? es.monitor ?? (val ? 'valLoss' : 'loss') : undefined;
  if (es && monitor && monitor.startsWith('val') && !val) throw new DescentError(`${op}: early stopping monitors ${monitor} but there is no validation data`);
  const patience = es?.patience ?? 5;
  const minDelta = es?.minDelta ?? 0;
  const mode = es?.mode ?? (monitor?.toLowerCase().includes('accuracy') ? 'max' : 'min');

  const classify = isClassification(model.loss) || !!train.labels;
  const history: History = { epoch: [], loss: [], stopped: 'completed' };
  if (classify && train.labels) history.accuracy = [];
  if (val) { history.valLoss = []; if (classify && val.labels) history.valAccuracy = []; }
  if (options.recordSteps) history.steps = [];

  const order = Int32Array.from({ length: n }, (_, i) => i);
  const stepsPerEpoch = Math.ceil(n / B);
  const engine = model.engine;
  const K = engine.kernels;
  const shuffling = (options.shuffle ?? true) && B < n; // a full batch needs no reordering
  let step = initialEpoch * stepsPerEpoch;
  if (shuffling) for (let e = 0; e < initialEpoch; e++) rng.shuffle(order);
  let best = mode === 'min' ? Infinity : -Infinity, bestEpoch = -1, wait = 0;
  let bestParams: Float32Array | undefined;
  const predicted = new Int32Array(B);
  model.views(B); // allocate every buffer up front: no memory growth inside the loop

  outer: for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    if (shuffling) rng.shuffle(order);
    const t0 = performance.now();
    let lossSum = 0, correct = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const start = b * B, size = Math.min(B, n - start);
      const v = model.views(size);
      const lab = train.labels ? model.labelArray(v.labels, size) : undefined;
      batchInto(train, order, start, size, v.x.data, lab, train.targets && !train.labels ? v.targets.data : undefined);
      if (lab) model.stageTargets(v, size, lab);
      optimizer.beforeGradient?.(model.parameters(), { step, epoch, model });
      model.training = true; // batch statistics and dropout (evaluate, e.g. for validation, infers)
      model.forward(v, size);
      if (history.accuracy && lab) {
        correct += countCorrect(model, v, size, lab, predicted, K);
      }
      const loss = model.lossAndBackward(v, size, true) / size;
      if (!Number.isFinite(loss)) {
        throw new DescentError(`${op}: the loss became ${loss} at epoch ${epoch + 1}, step ${b + 1} of ${stepsPerEpoch} (update ${step + 1}); try a smaller learning rate`);
      }
      optimizer.step(model.parameters(), model.gradients(), { step, epoch, model, loss });
      lossSum += loss * size;
      history.steps?.push(loss);
      step++;
      const r = options.onBatchEnd?.({ epoch, batch: b, step, stepsPerEpoch, loss, size });
      if (r === 'stop') { history.stopped = 'callback'; recordEpoch(); break outer; }
      if (options.signal?.aborted) { history.stopped = 'aborted'; recordEpoch(); break outer; }
      function recordEpoch(): void {
        // a partial epoch is still recorded, over the batches that ran
        const seen = Math.min(n, (b + 1) * B);
        pushEpoch(epoch, lossSum / seen, correct / seen, performance.now() - t0, seen);
      }
    }
    const logs = pushEpoch(epoch, lossSum / n, correct / n, performance.now() - t0, n);
    if (options.onEpochEnd?.(logs) === 'stop') { history.stopped = 'callback'; break; }
    if (es && monitor) {
      const value = logs[monitor];
      if (value !== undefined) {
        const improved = mode === 'min' ? value < best - minDelta : value > best + minDelta;
        if (improved) {
          best = value; bestEpoch = epoch; wait = 0;
          if (es.restoreBest ?? true) bestParams = model.parameters().toArray();
        } else if (++wait >= patience) {
          history.stopped = 'early-stopping';
          break;
        }
      }
    }
  }
  if (bestParams && history.stopped === 'early-stopping') model.parameters().data.set(bestParams);
  if (bestEpoch >= 0) history.bestEpoch = bestEpoch + 1;
  return history;

  function pushEpoch(epoch: number, loss: number, acc: number, ms: number, samples: number): EpochLogs {
    const logs: EpochLogs = { epoch: epoch + 1, loss, ms, samplesPerSecond: samples / (ms / 1000) };
    history.epoch.push(epoch + 1);
    history.loss.push(loss);
    if (history.accuracy) { logs.accuracy = acc; history.accuracy.push(acc); }
    if (val) {
      const ev = evaluate(model, val);
      logs.valLoss = ev.loss;
      history.valLoss!.push(ev.loss);
      if (history.valAccuracy && ev.accuracy !== undefined) { logs.valAccuracy = ev.accuracy; history.valAccuracy.push(ev.accuracy); }
    }
    return logs;
  }
}

function countCorrect(model: Model, v: ReturnType<Model['views']>, size: number, labels: Int32Array,
                      predicted: Int32Array, K: Model['engine']['kernels']): number {
  const y = v.ys[v.ys.length - 1];
  const k = model.outputs;
  let c = 0;
  if (k === 1) {
    const d = y.data;
    const threshold = model.loss === 'bce' ? 0.5 : 0; // probabilities vs logits
    for (let i = 0; i < size; i++) if ((d[i] > threshold ? 1 : 0) === labels[i]) c++;
    return c;
  }
  const out = v.d[1][0]; // scratch: not used until backward
  K.argmaxRows(size, k, y.pointer(), out.pointer());
  const p = new Int32Array(model.engine.memory.buffer, out.pointer(), size);
  predicted.set(p);
  for (let i = 0; i < size; i++) if (p[i] === labels[i]) c++;
  return c;
}

function checkCompatible(model: Model, data: Dataset, op: string): void {
  if (data.features !== model.inputs) {
    throw new DescentError(`${op}: the data has ${data.features} features per sample but ${model.describe()} expects ${model.inputs}`);
  }
  if (data.labels) {
    const classes = model.outputs === 1 ? 2 : model.outputs;
    for (let i = 0; i < data.n; i++) {
      const c = data.labels[i];
      if (!(c >= 0 && c < classes)) throw new DescentError(`${op}: label ${c} of sample ${i} is out of range: the model has ${model.outputs} output(s), so labels must be in [0, ${classes})`);
    }
  } else if (data.targets) {
    if (data.targetWidth !== model.outputs) throw new DescentError(`${op}: targets have width ${data.targetWidth} but the model has ${model.outputs} outputs`);
    if (model.loss === 'softmax-cross-entropy') throw new DescentError(`${op}: loss softmax-cross-entropy needs class labels, the data has targets`);
  } else {
    throw new DescentError(`${op}: the data has neither labels nor targets`);
  }
}

export interface Evaluation {
  loss: number;
  accuracy?: number;
  n: number;
}

/** Mean loss (and accuracy for classification) over a data set, in batches of up to 1000. */
export function evaluate(model: Model, data: Dataset, opts: { batchSize?: number } = {}): Evaluation {
  const op = 'evaluate';
  checkDataset(data, op);
  checkCompatible(model, data, op);
  const B = Math.min(opts.batchSize ?? 1000, data.n);
  const order = Int32Array.from({ length: data.n }, (_, i) => i);
  let lossSum = 0, correct = 0;
  const predicted = new Int32Array(B);
  const K = model.engine.kernels;
  const training = model.training;
  model.training = false; // inference mode: running statistics, no dropout
  for (let start = 0; start < data.n; start += B) {
    const size = Math.min(B, data.n - start);
    const v = model.views(size);
    const lab = data.labels ? model.labelArray(v.labels, size) : undefined;
    batchInto(data, order, start, size, v.x.data, lab, data.targets && !data.labels ? v.targets.data : undefined);
    if (lab) model.stageTargets(v, size, lab);
    model.forward(v, size);
    if (lab) correct += countCorrect(model, v, size, lab, predicted, K);
    lossSum += model.lossAndBackward(v, size, false);
  }
  model.training = training;
  return { loss: lossSum / data.n, accuracy: data.labels ? correct / data.n : undefined, n: data.n };
}

/** fit with a minimizer (full-batch.ts): one history entry per iteration. */
function fitFullBatch(model: Model, train: Dataset, val: Dataset | undefined, opt: FullBatchOptimizer, epochs: number,
                      batchSize: number | 'full' | undefined, rng: Random, options: FitOptions): History {
  const op = 'fit';
  const n = train.n;
  let indices: Int32Array | undefined;
  if (batchSize !== undefined && batchSize !== 'full') {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > n) throw new DescentError(`${op}: batchSize for ${opt.name} must be 'full' or an integer in [1, ${n}], got ${String(batchSize)}`);
    indices = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i)).slice(0, batchSize);
  }
  const { weightDecay, ...settings } = opt.settings;
  let objective;
  try {
    objective = networkObjective(model, train, { indices, weightDecay });
  } catch (e) {
    if (e instanceof DescentError) throw new DescentError(`${op}: ${opt.name}: ${e.message}`);
    throw e;
  }
  const classify = isClassification(model.loss) || !!train.labels;
  const history: History = { epoch: [], loss: [], stopped: 'completed', evaluations: [] };
  if (classify && train.labels) history.accuracy = [];
  if (val) { history.valLoss = []; if (classify && val.labels) history.valAccuracy = []; }
  let t0 = performance.now();
  const result = minimize(objective, model.parameters().data, {
    ...(settings.space ? {} : { engine: model.engine }),
    ...settings,
    method: opt.method,
    maxIterations: epochs,
    callback: (info, x) => {
      if (info.iteration === 0) return undefined;
      model.parameters().data.set(x);
      const ms = performance.now() - t0;
      const logs: EpochLogs = { epoch: info.iteration, loss: info.value, ms, samplesPerSecond: NaN, evaluations: info.evaluations };
      history.epoch.push(info.iteration);
      history.loss.push(info.value);
      history.evaluations!.push(info.evaluations);
      if (history.accuracy) { logs.accuracy = evaluate(model, train).accuracy; history.accuracy.push(logs.accuracy!); }
      if (val) {
        const ev = evaluate(model, val);
        logs.valLoss = ev.loss;
        history.valLoss!.push(ev.loss);
        if (history.valAccuracy && ev.accuracy !== undefined) { logs.valAccuracy = ev.accuracy; history.valAccuracy.push(ev.accuracy); }
      }
      t0 = performance.now();
      if (options.onEpochEnd?.(logs) === 'stop') { history.stopped = 'callback'; return 'stop'; }
      if (options.signal?.aborted) { history.stopped = 'aborted'; return 'stop'; }
      return undefined;
    },
  });
  model.parameters().data.set(result.x);
  opt.lastResult = result;
  history.minimize = result;
  return history;
}
