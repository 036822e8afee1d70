// The training loop: fit(model, data, options), and fitAsync, the same loop without blocking
// the event loop (a page repaints, timers and abort signals fire between steps).
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
// and optionally the loss of every step. Progress (onProgress): step counts, running epoch
// loss, samples/s and an ETA, throttled to one call per progressEveryMs plus one per epoch.
// The default optimizer is plain SGD with lr 0.1 (DEFAULT_FIT_LR), as `descent train`.
//
// One loop, two drivers: trainingLoop (a generator) yields to its driver after every step and
// every epoch; fit resumes it at once, fitAsync gives the event loop a turn every yieldEveryMs.

import { DescentError } from '../engine/errors.js';
import { batchInto, checkDataset, subset, type Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import { Random } from '../random.js';
import { isClassification } from '../nn/losses.js';
import { sgd, type Optimizer } from './optimizer.js';
import { isFullBatch, minimize, type FullBatchOptimizer } from './full-batch.js';
import { networkObjective } from '../nn/objective.js';
import type { MinimizeResult } from '../minimize/context.js';
import { checkEvaluateOptions, checkFitOptions, checkOptionsObject, type EvaluateOptions } from './options.js';

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

/** Learning rate of fit's default optimizer, plain SGD: the same as `descent train`'s (cli/train.ts DEFAULT_LR.sgd). */
export const DEFAULT_FIT_LR = 0.1;

export interface FitOptions {
  epochs?: number;
  /** Samples per update: a number, or 'full' for batch gradient descent (default 32). */
  batchSize?: number | 'full';
  /**
   * Learning rate of the default optimizer, plain SGD (default 0.1, as `descent train`; it was
   * 0.01 before, which takes several times more epochs on digits). With `optimizer`, give the
   * learning rate to the optimizer instead.
   */
  lr?: number;
  optimizer?: Optimizer;
  shuffle?: boolean;
  /** Seed of the shuffling and of the validation split (default 0). */
  seed?: number;
  /** Fraction of the data held out for validation (taken after a seeded shuffle). */
  validationSplit?: number;
  validationData?: Dataset;
  /** After every step; return 'stop' to stop (the partial epoch is recorded). Must not return a promise: fitAsync awaits those, fit refuses them. */
  onBatchEnd?: (logs: BatchLogs) => void | 'stop';
  /** After every epoch (after validation); return 'stop' to stop. Must not return a promise (see onBatchEnd). */
  onEpochEnd?: (logs: EpochLogs) => void | 'stop';
  /**
   * Progress for a progress bar or a live chart: at most one call per `progressEveryMs` between
   * epoch ends, and always one at each epoch end (after validation, before onEpochEnd; also for
   * a partial epoch stopped by a callback or an abort). Its return value is ignored (not awaited).
   */
  onProgress?: (progress: FitProgress) => void;
  /** Least time between two progress calls within an epoch, ms (default 100; 0 calls after every step). */
  progressEveryMs?: number;
  earlyStopping?: EarlyStopping | boolean;
  /** Record the loss of every step in history.steps. */
  recordSteps?: boolean;
  /**
   * Stop when aborted: checked after every step (the partial epoch is recorded, as for a
   * callback's 'stop') and before every epoch (an already aborted signal trains nothing);
   * history.stopped is then 'aborted'. In fit only a callback can abort it meanwhile; fitAsync
   * lets the event loop run, so a timer or a button can.
   */
  signal?: AbortSignal;
  /**
   * Resume a run at this epoch (0-based: the number of epochs already done): the shuffles of
   * the skipped epochs are replayed and step counts continue, so with the optimizer state of a
   * checkpoint the run continues bit for bit as if it had never stopped. History counts epochs
   * from initialEpoch + 1; `epochs` is the total (the last epoch's number).
   */
  initialEpoch?: number;
}

/**
 * fitAsync's options: fit's, callbacks that may return a promise (awaited before the next
 * step), and how often to give the event loop a turn.
 */
export interface FitAsyncOptions extends Omit<FitOptions, 'onBatchEnd' | 'onEpochEnd'> {
  onBatchEnd?: (logs: BatchLogs) => void | 'stop' | PromiseLike<void | 'stop'>;
  onEpochEnd?: (logs: EpochLogs) => void | 'stop' | PromiseLike<void | 'stop'>;
  /**
   * Train for about this long, then yield to the event loop with a macrotask (setImmediate,
   * else a MessageChannel message, else setTimeout 0), so that a page repaints, timers and
   * abort events fire, a notebook stays responsive (default 16 ms, one frame; 0 yields after
   * every step). Yields happen between steps and at epoch ends only.
   */
  yieldEveryMs?: number;
}

/** What onProgress receives. Counts are of work done; epochs are numbered from 1 as in the history. */
export interface FitProgress {
  /** Updates done so far (continuing from initialEpoch × stepsPerEpoch when resuming, as BatchLogs.step) and at the end of the run (epochs × stepsPerEpoch). Full-batch methods: iterations done and the iteration limit. */
  step: number;
  totalSteps: number;
  /** The epoch in progress (1-based, as EpochLogs.epoch) and the last one. */
  epoch: number;
  epochs: number;
  /** Steps done in the current epoch, 1 … stepsPerEpoch (BatchLogs.batch + 1). */
  batch: number;
  stepsPerEpoch: number;
  /** Loss of the latest step. */
  loss: number;
  /** Mean training loss of the current epoch so far (over its samples); at an epoch end, the history's value. */
  epochLoss: number;
  /** Training accuracy of the current epoch so far (classification with labels). */
  epochAccuracy?: number;
  /** Training samples per second of this call so far, over wall time (validation and, in fitAsync, event-loop turns included); NaN for full-batch methods. */
  samplesPerSecond: number;
  /** Wall time since training started, ms. */
  elapsedMs: number;
  /** Estimated time left: the steps left at this call's mean time per step so far; 0 after the last step. Full-batch methods: up to the iteration limit (an upper bound: they may converge earlier). */
  etaMs: number;
  /** True at an epoch's end (also a partial one stopped by a callback or an abort). */
  epochEnd: boolean;
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

const FIT_OPTIONS: ReadonlySet<string> = new Set(['epochs', 'batchSize', 'lr', 'optimizer', 'shuffle', 'seed', 'validationSplit', 'validationData',
  'onBatchEnd', 'onEpochEnd', 'onProgress', 'progressEveryMs', 'earlyStopping', 'recordSteps', 'signal', 'initialEpoch']);
const FIT_ASYNC_OPTIONS: ReadonlySet<string> = new Set([...FIT_OPTIONS, 'yieldEveryMs']);

// One training loop, two drivers. trainingLoop is a generator: it validates, then trains, and
// hands every callback to its driver by yielding an event after each step and at each epoch
// end; the driver calls onBatchEnd / onEpochEnd and resumes the loop with the result ('stop'
// or nothing). fit drives it to the end in one go; fitAsync awaits callbacks that return a
// promise and, every yieldEveryMs, gives the event loop a turn before resuming. Same code,
// same order of floating-point operations: the same parameters and history, bit for bit.
type LoopEvent = { kind: 'batch'; logs: BatchLogs } | { kind: 'epoch'; logs: EpochLogs };
type CallbackResult = void | 'stop' | undefined;
type TrainingLoop = Generator<LoopEvent, History, CallbackResult>;

/** Time the async driver spent away (event-loop turns), kept out of EpochLogs.ms. */
interface Clock { paused: number }

/**
 * Train `model` on `data`; returns the history (see the header for the modes). Validation of
 * the data and options happens before the first update, so a refused call leaves the model as
 * it was. Blocks until done: in a page or a notebook use fitAsync.
 */
export function fit(model: Model, data: Dataset, options: FitOptions = {}): History {
  const loop = trainingLoop(model, data, options, 'fit', FIT_OPTIONS, { paused: 0 });
  let r = loop.next();
  while (!r.done) {
    const out = callback(r.value, options);
    if (isThenable(out)) throw new DescentError(`fit: ${r.value.kind === 'batch' ? 'onBatchEnd' : 'onEpochEnd'} returned a promise, which fit cannot wait for; use fitAsync, which awaits it`);
    r = loop.next(out === 'stop' ? 'stop' : undefined);
  }
  return r.value;
}

/**
 * fit without blocking: the same training loop (one implementation, so the same parameters and
 * history bit for bit as fit with the same options and seed), giving the event loop a turn
 * every `yieldEveryMs` (default 16) so a page can repaint and a timer, a button or an
 * AbortSignal can act; an abort stops after the current step, leaving a usable model (history
 * as fit's, stopped 'aborted'). onBatchEnd and onEpochEnd may be async: a returned promise is
 * awaited before the next step and its value ('stop') honoured; onProgress is not awaited.
 * Invalid data or options reject the promise before any update.
 *
 * Do not train or change the model elsewhere while it runs; reading it between steps
 * (evaluate, predict) is fine: inference does not advance the dropout pass counter or the
 * running statistics.
 *
 * Full-batch methods (lbfgs, bfgs, cg, scg, newton-cg, lm, …) run inside minimize()'s own
 * synchronous loop, so fitAsync runs them as fit does, without yielding between iterations:
 * the page stays blocked until they finish (run them in a worker to keep it responsive), and
 * their onEpochEnd must be synchronous.
 */
export async function fitAsync(model: Model, data: Dataset, options: FitAsyncOptions = {}): Promise<History> {
  checkOptionsObject(options, 'fitAsync');
  const every = options.yieldEveryMs ?? 16;
  if (typeof every !== 'number' || !(every >= 0)) throw new DescentError(`fitAsync: yieldEveryMs must be a non-negative number of milliseconds, got ${String(options.yieldEveryMs)}`);
  const clock: Clock = { paused: 0 };
  const loop = trainingLoop(model, data, options, 'fitAsync', FIT_ASYNC_OPTIONS, clock);
  const turns = eventLoopTurns();
  try {
    let last = performance.now();
    let r = loop.next();
    while (!r.done) {
      let out = callback(r.value, options);
      if (isThenable(out)) out = await out;
      const t = performance.now();
      if (t - last >= every) {
        await turns.next();
        last = performance.now();
        clock.paused += last - t;
      }
      r = loop.next(out === 'stop' ? 'stop' : undefined);
    }
    return r.value;
  } finally {
    turns.close();
  }
}

function callback(event: LoopEvent, options: FitOptions | FitAsyncOptions): unknown {
  return event.kind === 'batch' ? options.onBatchEnd?.(event.logs) : options.onEpochEnd?.(event.logs);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/** Macrotasks to yield with: setImmediate (Node, Bun), a MessageChannel (browsers, workers, Deno; not clamped like nested setTimeout), else setTimeout 0. */
function eventLoopTurns(): { next(): Promise<void>; close(): void } {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return { next: () => new Promise<void>((resolve) => { setImmediate(resolve); }), close() {} };
  }
  if (typeof g.MessageChannel === 'function') {
    const channel = new g.MessageChannel();
    const waiting: (() => void)[] = [];
    channel.port1.onmessage = () => waiting.shift()?.();
    return {
      next: () => new Promise<void>((resolve) => { waiting.push(resolve); channel.port2.postMessage(null); }),
      close() { channel.port1.close(); channel.port2.close(); },
    };
  }
  return { next: () => new Promise<void>((resolve) => { setTimeout(resolve, 0); }), close() {} };
}

/** The training loop shared by fit and fitAsync (see above): validation, then the epochs. */
function* trainingLoop(model: Model, data: Dataset, options: FitAsyncOptions, op: string, known: ReadonlySet<string>, clock: Clock): TrainingLoop {
  checkOptionsObject(options, op);
  for (const k of Object.keys(options)) if (!known.has(k)) throw new DescentError(`${op}: unknown option ${JSON.stringify(k)}; known: ${[...known].join(', ')}`);
  checkDataset(data, op);
  checkCompatible(model, data, op);
  const epochs = options.epochs ?? 10;
  if (!Number.isSafeInteger(epochs) || epochs < 1) throw new DescentError(`${op}: epochs must be a positive integer, got ${String(epochs)}`);
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isSafeInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs) {
    throw new DescentError(`${op}: initialEpoch must be an integer in [0, epochs) = [0, ${epochs}), got ${String(options.initialEpoch)}`);
  }
  const progressEvery = options.progressEveryMs ?? 100;
  if (typeof progressEvery !== 'number' || !(progressEvery >= 0)) throw new DescentError(`${op}: progressEveryMs must be a non-negative number of milliseconds, got ${String(options.progressEveryMs)}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new DescentError(`${op}: onProgress must be a function`);
  checkFitOptions(options as Record<string, unknown>, op); // types by value (options.ts), before anything moves
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
  const optimizer = options.optimizer ?? sgd({ lr: options.lr ?? DEFAULT_FIT_LR });
  if (options.optimizer && options.lr !== undefined) throw new DescentError(`${op}: give lr to the optimizer, not to fit, when passing an optimizer`);
  optimizer.bind?.(model);
  if (isFullBatch(optimizer)) {
    if (options.earlyStopping) throw new DescentError(`${op}: early stopping is for stochastic training; full-batch methods stop on their own tolerances (see the optimizer's settings)`);
    if (options.initialEpoch) throw new DescentError(`${op}: initialEpoch does not apply to full-batch methods (they restart from the model's parameters)`);
    return fitFullBatch(model, train, val, optimizer, epochs, options.batchSize, rng, options, op);
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
  const now = () => performance.now() - clock.paused; // training time: without fitAsync's event-loop turns
  const onProgress = options.onProgress;
  const totalSteps = epochs * stepsPerEpoch, firstStep = step, started = performance.now();
  let lastProgress = started, samplesDone = 0, lastLoss = NaN;

  outer: for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    if (options.signal?.aborted) { history.stopped = 'aborted'; break; }
    if (shuffling) rng.shuffle(order);
    const t0 = now();
    let lossSum = 0, correct = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const start = b * B, size = Math.min(B, n - start);
      // first, as it may throw (a schedule's NaN) before anything moves and may grow the memory
      // (optimizer state allocated on first use), which detaches views taken before it
      optimizer.beforeGradient?.(model.parameters(), { step, epoch, model });
      const v = model.views(size);
      const lab = train.labels ? model.labelArray(v.labels, size) : undefined;
      batchInto(train, order, start, size, v.x.data, lab, train.targets && !train.labels ? v.targets.data : undefined);
      if (lab) model.stageTargets(v, size, lab);
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
      samplesDone += size;
      lastLoss = loss;
      if (onProgress) {
        const t = performance.now();
        if (t - lastProgress >= progressEvery) progress(t, epoch, b, loss, lossSum, correct, false);
      }
      const r = yield { kind: 'batch', logs: { epoch, batch: b, step, stepsPerEpoch, loss, size } };
      if (r === 'stop') { history.stopped = 'callback'; recordEpoch(); break outer; }
      if (options.signal?.aborted) { history.stopped = 'aborted'; recordEpoch(); break outer; }
      function recordEpoch(): void {
        // a partial epoch is still recorded, over the batches that ran
        const seen = Math.min(n, (b + 1) * B);
        pushEpoch(epoch, lossSum / seen, correct / seen, now() - t0, seen);
        if (onProgress) progress(performance.now(), epoch, b, loss, lossSum, correct, true);
      }
    }
    const logs = pushEpoch(epoch, lossSum / n, correct / n, now() - t0, n);
    if (onProgress) progress(performance.now(), epoch, stepsPerEpoch - 1, lastLoss, lossSum, correct, true);
    if ((yield { kind: 'epoch', logs }) === 'stop') { history.stopped = 'callback'; break; }
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

  function progress(t: number, epoch: number, b: number, loss: number, lossSum: number, correct: number, epochEnd: boolean): void {
    lastProgress = t;
    const seen = Math.min(n, (b + 1) * B);
    const elapsedMs = t - started;
    const p: FitProgress = {
      step, totalSteps, epoch: epoch + 1, epochs, batch: b + 1, stepsPerEpoch, loss, epochLoss: lossSum / seen,
      samplesPerSecond: samplesDone / (elapsedMs / 1000), elapsedMs,
      etaMs: (totalSteps - step) * (elapsedMs / (step - firstStep)), epochEnd,
    };
    if (history.accuracy) p.epochAccuracy = correct / seen;
    onProgress!(p);
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

/**
 * Mean loss (and accuracy for classification) over a data set, in batches of up to 1000. The
 * data is taken as prepared (as fit takes it); { preprocess: true } applies model.preprocess
 * to data.x first (raw data, as predict takes it).
 */
export function evaluate(model: Model, data: Dataset, options: EvaluateOptions = {}): Evaluation {
  const op = 'evaluate';
  const opts = checkEvaluateOptions(options, op);
  checkDataset(data, op);
  if (opts.preprocess && model.preprocess) {
    checkCompatible(model, data, op);
    data = { ...data, x: model.preprocessInputs(data.x) };
  }
  checkCompatible(model, data, op);
  const B = Math.min(opts.batchSize ?? 1000, data.n);
  const order = Int32Array.from({ length: data.n }, (_, i) => i);
  let lossSum = 0, correct = 0;
  const predicted = new Int32Array(B);
  const K = model.engine.kernels;
  const training = model.training;
  model.training = false; // inference mode: running statistics, no dropout
  try {
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
  } finally {
    model.training = training;
  }
  return { loss: lossSum / data.n, accuracy: data.labels ? correct / data.n : undefined, n: data.n };
}

/** fit with a minimizer (full-batch.ts): one history entry per iteration. */
function fitFullBatch(model: Model, train: Dataset, val: Dataset | undefined, opt: FullBatchOptimizer, epochs: number,
                      batchSize: number | 'full' | undefined, rng: Random, options: FitAsyncOptions, op: string): History {
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
  if (options.signal?.aborted) { history.stopped = 'aborted'; return history; } // as the loop: an aborted signal trains nothing
  const started = performance.now();
  let t0 = started;
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
      if (options.onProgress) {
        const elapsedMs = t0 - started, it = info.iteration;
        options.onProgress({
          step: it, totalSteps: epochs, epoch: it, epochs, batch: 1, stepsPerEpoch: 1, loss: info.value, epochLoss: info.value,
          ...(logs.accuracy !== undefined ? { epochAccuracy: logs.accuracy } : {}),
          samplesPerSecond: NaN, elapsedMs, etaMs: Math.max(0, epochs - it) * (elapsedMs / it), epochEnd: true,
        });
      }
      const out = options.onEpochEnd?.(logs);
      if (isThenable(out)) throw new DescentError(`${op}: ${opt.name}: onEpochEnd returned a promise; full-batch methods call it from inside the minimizer's synchronous loop, which cannot wait`);
      if (out === 'stop') { history.stopped = 'callback'; return 'stop'; }
      if (options.signal?.aborted) { history.stopped = 'aborted'; return 'stop'; }
      return undefined;
    },
  });
  model.parameters().data.set(result.x);
  opt.lastResult = result;
  history.minimize = result;
  return history;
}
