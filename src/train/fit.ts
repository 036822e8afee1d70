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
// options), so a bad call leaves the model untouched. Hyper-parameters that are finite as
// doubles but not as float32 (lr 1e300, momentum 1e39, eps 1e-50) are refused up front.
// Divergence (onNonFinite): every step's loss is checked before its update; at every epoch end
// (also a partial one) one wasm pass (firstNonFinite) checks the parameters and the batch-norm
// running statistics, which catches an update that broke them (the last one of the run too),
// then the validation loss is checked. On NaN/±Infinity the run stops: 'throw' (default) throws
// a NonFiniteError carrying the History so far (stopped 'non-finite', history.nonFinite says
// what, where and the value); 'stop' returns that History; 'rollback' also puts back the
// parameters, running statistics, dropout pass counter and optimizer state of the last epoch
// end whose checks passed (a snapshot kept only in this mode: one copy per epoch).
// History: per epoch the mean training loss over the epoch's batches (and training accuracy
// from the same forward passes), validation loss/accuracy when there is a validation set,
// and optionally the loss of every step. Progress (onProgress): step counts, running epoch
// loss, samples/s and an ETA, throttled to one call per progressEveryMs plus one per epoch.
// The default optimizer is plain SGD with lr 0.1 (DEFAULT_FIT_LR), as `descent train`.
//
// One loop, two drivers: trainingLoop (a generator) yields to its driver after every step and
// every epoch; fit resumes it at once, fitAsync gives the event loop a turn every yieldEveryMs.

import { DescentError, show } from '../engine/errors.js';
import { batchInto, checkDataset, subset, type Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import { Random } from '../random.js';
import { isClassification, lossDivisor } from '../nn/losses.js';
import { sgd, type Optimizer } from './optimizer.js';
import { isFullBatch, minimize, type FullBatchOptimizer } from './full-batch.js';
import { networkObjective } from '../nn/objective.js';
import type { MinimizeResult } from '../minimize/context.js';
import { checkF32, checkF32Hyper } from '../optim/check.js';
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
  /**
   * What to do when training diverges: a step's loss, the parameters or batch-norm running
   * statistics after an epoch's updates (checked at every epoch end, the last one included), or
   * the validation loss become NaN or ±Infinity (as Keras' TerminateOnNaN, which only stops).
   * In every mode training stops there and history.stopped is 'non-finite', with
   * history.nonFinite saying what, where (epoch, step, update) and the value; the epoch in
   * progress is recorded over its finite steps.
   *   'throw' (default): throw a NonFiniteError (a DescentError) whose `history` is that History;
   *     the model keeps the state it diverged to.
   *   'stop': return that History; the model keeps the state it diverged to.
   *   'rollback': restore the parameters, batch-norm running statistics, dropout pass counter and
   *     optimizer state (stateDict/loadStateDict) of the last epoch end that passed the checks
   *     (or of the start), and return the History (nonFinite.restoredEpoch: that epoch, 0 for
   *     the start). The snapshot is taken at the start and at every checked epoch end (a copy of
   *     the parameters, statistics and optimizer state per epoch); without 'rollback' no
   *     snapshot is taken. Needs an optimizer with stateDict/loadStateDict (every optimizer()
   *     has them) or a stateless one (sgd()).
   */
  onNonFinite?: OnNonFinite;
}

export type OnNonFinite = 'throw' | 'stop' | 'rollback';

/** Where and how a run diverged (History.nonFinite). */
export interface NonFiniteInfo {
  /**
   * 'loss': a step's training loss (its update was not applied); 'parameters' / 'statistics':
   * the parameters / batch-norm running statistics after the epoch's updates; 'valLoss': the
   * validation loss at the epoch end. Full-batch methods: 'loss' / 'gradient' are the objective
   * / its gradient norm at an iterate (the minimizer stops there, reason 'not-finite').
   */
  what: 'loss' | 'gradient' | 'parameters' | 'statistics' | 'valLoss';
  /** The non-finite value (the first one found). */
  value: number;
  /** The epoch (1-based; full-batch methods: the iteration, 0 for the starting point). */
  epoch: number;
  /** 'loss': the step within the epoch (1-based). */
  step?: number;
  /** Updates applied before the detection (continuing from initialEpoch × stepsPerEpoch). */
  update: number;
  /** 'parameters' / 'statistics': index of the first non-finite value in the flat vector. */
  index?: number;
  /** 'rollback': the epoch whose end state was restored (0 or initialEpoch: the start). */
  restoredEpoch?: number;
}

/** Thrown by fit / fitAsync (onNonFinite 'throw') when training diverges; carries the History so far. */
export class NonFiniteError extends DescentError {
  readonly history: History;
  readonly nonFinite: NonFiniteInfo;
  constructor(message: string, history: History) {
    super(message);
    this.name = 'NonFiniteError';
    this.history = history;
    this.nonFinite = history.nonFinite!;
  }
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
  stopped: 'completed' | 'early-stopping' | 'callback' | 'aborted' | 'non-finite';
  /** With stopped 'non-finite': what diverged, where, and (rollback) what was restored. */
  nonFinite?: NonFiniteInfo;
  bestEpoch?: number;
  /** Full-batch methods: value + gradient + residual evaluations after each iteration. */
  evaluations?: number[];
  /** Full-batch methods: the minimizer's result (reason, evaluation counts). */
  minimize?: MinimizeResult;
}

const FIT_OPTIONS: ReadonlySet<string> = new Set(['epochs', 'batchSize', 'lr', 'optimizer', 'shuffle', 'seed', 'validationSplit', 'validationData',
  'onBatchEnd', 'onEpochEnd', 'onProgress', 'progressEveryMs', 'earlyStopping', 'recordSteps', 'signal', 'initialEpoch', 'onNonFinite']);
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
  if (typeof every !== 'number' || !(every >= 0)) throw new DescentError(`fitAsync: yieldEveryMs must be a non-negative number of milliseconds, got ${show(options.yieldEveryMs)}`);
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

/** With a MessageChannel, one yield in this many is a setTimeout (see eventLoopTurns). */
const TIMER_TURN = 8;

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
    // Every TIMER_TURN-th turn is a setTimeout 0: message turns alone starve timers — Chromium ran
    // a due setInterval on only about every other one, and Node delivers a chain of port messages
    // in one callback (a 90-step fitAsync ticked a 1 ms interval 0 times) — at ≤ ~4 ms per such turn
    let turns = 0;
    return {
      next: () => new Promise<void>((resolve) => {
        if (++turns % TIMER_TURN === 0) { setTimeout(resolve, 0); return; }
        waiting.push(resolve);
        channel.port2.postMessage(null);
      }),
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
  if (!Number.isSafeInteger(epochs) || epochs < 1) throw new DescentError(`${op}: epochs must be a positive integer, got ${show(epochs)}`);
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isSafeInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs) {
    throw new DescentError(`${op}: initialEpoch must be an integer in [0, epochs) = [0, ${epochs}), got ${show(options.initialEpoch)}`);
  }
  const progressEvery = options.progressEveryMs ?? 100;
  if (typeof progressEvery !== 'number' || !(progressEvery >= 0)) throw new DescentError(`${op}: progressEveryMs must be a non-negative number of milliseconds, got ${show(options.progressEveryMs)}`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new DescentError(`${op}: onProgress must be a function`);
  checkFitOptions(options as Record<string, unknown>, op); // types by value (options.ts), before anything moves
  const seed = options.seed ?? 0;
  const rng = new Random(seed);
  // validation set
  let train = data, val = options.validationData;
  if (options.validationSplit !== undefined) {
    const f = options.validationSplit;
    if (val) throw new DescentError(`${op}: give validationSplit or validationData, not both`);
    if (typeof f !== 'number' || !(f > 0 && f < 1)) throw new DescentError(`${op}: validationSplit must be in (0, 1), got ${show(f)}`);
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
  if (!Number.isSafeInteger(B) || B < 1) throw new DescentError(`${op}: batchSize must be a positive integer or 'full', got ${show(options.batchSize)}`);
  if (B > n) throw new DescentError(`${op}: batchSize ${B} is larger than the training set (${n} samples); use 'full' for batch gradient descent`);
  if (options.optimizer && options.lr !== undefined) throw new DescentError(`${op}: give lr to the optimizer, not to fit, when passing an optimizer`);
  if (options.lr !== undefined) checkF32(options.lr, `${op}: lr`);
  const optimizer = options.optimizer ?? sgd({ lr: options.lr ?? DEFAULT_FIT_LR });
  const onNonFinite = options.onNonFinite ?? 'throw';
  if (onNonFinite !== 'throw' && onNonFinite !== 'stop' && onNonFinite !== 'rollback') {
    throw new DescentError(`${op}: onNonFinite must be 'throw', 'stop' or 'rollback', got ${typeof onNonFinite === 'string' ? JSON.stringify(onNonFinite) : typeof onNonFinite}`);
  }
  const stateful = onNonFinite === 'rollback' && !isFullBatch(optimizer) && !optimizer.stateless ? optimizer as Partial<Stateful> : undefined;
  if (stateful && (typeof stateful.stateDict !== 'function' || typeof stateful.loadStateDict !== 'function')) {
    throw new DescentError(`${op}: onNonFinite 'rollback' restores the optimizer state through stateDict()/loadStateDict(), which optimizer ${JSON.stringify(optimizer.name)} lacks (every optimizer() has them; mark a stateless one with stateless: true)`);
  }
  // hyper-parameters that are finite doubles but overflow (or, for eps, underflow) float32
  const hyper = (optimizer as { hyper?: (s: number) => object }).hyper;
  if (typeof hyper === 'function') {
    const perEpoch = (optimizer as { options?: { scheduleUnit?: string } }).options?.scheduleUnit === 'epoch';
    checkF32Hyper(`${op}: ${optimizer.name}`, hyper.call(optimizer, perEpoch ? initialEpoch : initialEpoch * Math.ceil(n / B)));
  }
  const broken = firstNonFiniteState(model);
  if (broken) throw new DescentError(`${op}: the model's ${broken.what === 'parameters' ? 'parameter' : 'batch-norm running statistic'} ${broken.index} is ${broken.value} before training; reinitialize or reload the model`);
  optimizer.bind?.(model);
  if (isFullBatch(optimizer)) {
    if (options.earlyStopping) throw new DescentError(`${op}: early stopping is for stochastic training; full-batch methods stop on their own tolerances (see the optimizer's settings)`);
    if (options.initialEpoch) throw new DescentError(`${op}: initialEpoch does not apply to full-batch methods (they restart from the model's parameters)`);
    return fitFullBatch(model, train, val, optimizer, epochs, options.batchSize, rng, options, op, onNonFinite);
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
  // rollback: the state of the last checked epoch end (none in the other modes)
  let t0 = 0, lossSum = 0, correct = 0; // the epoch in progress
  let snapshot = onNonFinite === 'rollback' ? takeSnapshot(model, stateful as Stateful | undefined, initialEpoch) : undefined;

  outer: for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    if (options.signal?.aborted) { history.stopped = 'aborted'; break; }
    if (shuffling) rng.shuffle(order);
    t0 = now(); lossSum = 0; correct = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const start = b * B, size = Math.min(B, n - start);
      // first, as it may throw (a schedule's NaN) before anything moves and may grow the memory
      // (optimizer state allocated on first use), which detaches views taken before it
      optimizer.beforeGradient?.(model.parameters(), { step, epoch, model });
      const v = model.views(size);
      const lab = train.labels ? model.labelArray(v.labels, size) : undefined;
      batchInto(train, order, start, size, v.x.data, lab, train.targets && !train.labels ? v.targets.data : undefined);
      if (lab) model.stageTargets(v, size, lab);
      else v.soft = true; // targets (for softmax-cross-entropy: probabilities)
      model.training = true; // batch statistics and dropout (evaluate, e.g. for validation, infers)
      model.forward(v, size);
      const c = history.accuracy && lab ? countCorrect(model, v, size, lab, predicted, K) : 0;
      const raw = model.lossAndBackward(v, size, true);
      const loss = raw / model.lossDivisor(size);
      if (!Number.isFinite(loss)) {
        // this step's update is not applied; the epoch is recorded over its finite steps (the
        // loss, found first, is what the History reports)
        if (b > 0) recordEpoch(b);
        diverged({ what: 'loss', value: loss, epoch: epoch + 1, step: b + 1, update: step });
        break outer;
      }
      correct += c;
      optimizer.step(model.parameters(), model.gradients(), { step, epoch, model, loss });
      lossSum += raw;
      history.steps?.push(loss);
      step++;
      samplesDone += size;
      lastLoss = loss;
      if (onProgress) {
        const t = performance.now();
        if (t - lastProgress >= progressEvery) progress(t, epoch, b, loss, lossSum, correct, false);
      }
      const r = yield { kind: 'batch', logs: { epoch, batch: b, step, stepsPerEpoch, loss, size } };
      const stop = r === 'stop' ? 'callback' : options.signal?.aborted ? 'aborted' : undefined;
      if (stop) {
        history.stopped = stop;
        const nf = recordEpoch(b + 1);
        if (nf) diverged(nf);
        break outer;
      }
    }
    const { logs, nonFinite } = pushEpoch(epoch, lossSum / model.lossDivisor(n), correct / n, now() - t0, n);
    if (onProgress) progress(performance.now(), epoch, stepsPerEpoch - 1, lastLoss, lossSum, correct, true);
    if (nonFinite) { diverged(nonFinite); break; }
    if (snapshot) snapshot = takeSnapshot(model, stateful as Stateful | undefined, epoch + 1, snapshot);
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

  /** Records a partial epoch of `done` steps (stopped by a callback, an abort or a non-finite loss) and checks the state. */
  function recordEpoch(done: number): NonFiniteInfo | undefined {
    const seen = Math.min(n, done * B);
    const epoch = history.epoch.length + initialEpoch; // the epoch in progress (0-based)
    const { nonFinite } = pushEpoch(epoch, lossSum / model.lossDivisor(seen), correct / seen, now() - t0, seen);
    if (onProgress) progress(performance.now(), epoch, done - 1, lastLoss, lossSum, correct, true);
    return nonFinite;
  }

  /** Stops the run at a non-finite value: records it, restores the snapshot ('rollback') or throws ('throw'). */
  function diverged(info: NonFiniteInfo): void {
    history.stopped = 'non-finite';
    history.nonFinite = info;
    if (snapshot) {
      restoreSnapshot(model, stateful as Stateful | undefined, snapshot);
      info.restoredEpoch = snapshot.epoch;
    }
    if (bestEpoch >= 0) history.bestEpoch = bestEpoch + 1;
    if (onNonFinite === 'throw') throw new NonFiniteError(nonFiniteMessage(op, info, stepsPerEpoch), history);
  }

  /** After an epoch's updates: its history entry (validation included), then the parameters, running statistics and validation loss checked. */
  function pushEpoch(epoch: number, loss: number, acc: number, ms: number, samples: number): { logs: EpochLogs; nonFinite?: NonFiniteInfo } {
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
    const bad = firstNonFiniteState(model);
    if (bad) return { logs, nonFinite: { ...bad, epoch: epoch + 1, update: step } };
    if (logs.valLoss !== undefined && !Number.isFinite(logs.valLoss)) return { logs, nonFinite: { what: 'valLoss', value: logs.valLoss, epoch: epoch + 1, update: step } };
    return { logs };
  }

  function progress(t: number, epoch: number, b: number, loss: number, lossSum: number, correct: number, epochEnd: boolean): void {
    lastProgress = t;
    const seen = Math.min(n, (b + 1) * B);
    const elapsedMs = t - started;
    const p: FitProgress = {
      step, totalSteps, epoch: epoch + 1, epochs, batch: b + 1, stepsPerEpoch, loss, epochLoss: lossSum / model.lossDivisor(seen),
      samplesPerSecond: samplesDone / (elapsedMs / 1000), elapsedMs,
      etaMs: (totalSteps - step) * (elapsedMs / (step - firstStep)), epochEnd,
    };
    if (history.accuracy) p.epochAccuracy = correct / seen;
    onProgress!(p);
  }
}

/** An optimizer whose state fit's rollback can copy and put back. */
interface Stateful { stateDict(): unknown; loadStateDict(sd: unknown, model?: Model): void }

/** What 'rollback' restores: the state after `epoch` epochs. */
interface Snapshot { epoch: number; params: Float32Array; buffers: Float32Array[]; passes: number; optimizer?: unknown }

/** Copies the model's parameters, running statistics and pass counter (into `reuse`'s arrays) and the optimizer's stateDict. */
function takeSnapshot(model: Model, opt: Stateful | undefined, epoch: number, reuse?: Snapshot): Snapshot {
  const p = model.parameters();
  const params = reuse?.params ?? new Float32Array(p.size);
  params.set(p.data);
  const buffers = model.buffers().map(({ tensor }, i) => {
    const a = reuse?.buffers[i] ?? new Float32Array(tensor.size);
    a.set(tensor.data);
    return a;
  });
  return { epoch, params, buffers, passes: model.passes, optimizer: opt?.stateDict() };
}

function restoreSnapshot(model: Model, opt: Stateful | undefined, s: Snapshot): void {
  model.parameters().data.set(s.params);
  model.buffers().forEach(({ tensor }, i) => tensor.data.set(s.buffers[i]));
  model.passes = s.passes;
  if (opt && s.optimizer !== undefined) opt.loadStateDict(s.optimizer, model);
}

/** The first NaN/±Infinity among the parameters, then the running statistics (one wasm pass each), or undefined. */
function firstNonFiniteState(model: Model): Pick<NonFiniteInfo, 'what' | 'value' | 'index'> | undefined {
  const K = model.engine.kernels;
  const p = model.parameters();
  const i = K.firstNonFinite(p.size, p.pointer());
  if (i >= 0) return { what: 'parameters', value: p.data[i], index: i };
  let base = 0;
  for (const { tensor } of model.buffers()) {
    const j = K.firstNonFinite(tensor.size, tensor.pointer());
    if (j >= 0) return { what: 'statistics', value: tensor.data[j], index: base + j };
    base += tensor.size;
  }
  return undefined;
}

function nonFiniteMessage(op: string, nf: NonFiniteInfo, stepsPerEpoch: number): string {
  const tail = '; try a smaller learning rate';
  switch (nf.what) {
    case 'loss':
      return nf.step === undefined
        ? `${op}: the loss became ${nf.value} at iteration ${nf.epoch}${tail}`
        : `${op}: the loss became ${nf.value} at epoch ${nf.epoch}, step ${nf.step} of ${stepsPerEpoch} (update ${nf.update + 1})${tail}`;
    case 'gradient':
      return `${op}: the gradient became non-finite (norm ${nf.value}) at iteration ${nf.epoch}${tail}`;
    case 'parameters':
      return `${op}: parameter ${nf.index} became ${nf.value} in epoch ${nf.epoch} (after update ${nf.update})${tail}`;
    case 'statistics':
      return `${op}: batch-norm running statistic ${nf.index} (in the order of model.buffers()) became ${nf.value} in epoch ${nf.epoch} (after update ${nf.update})${tail}`;
    case 'valLoss':
      return `${op}: the validation loss became ${nf.value} at the end of epoch ${nf.epoch}${tail}`;
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
    if (model.loss === 'softmax-cross-entropy') {
      // probability ("soft") targets: a distribution over the classes per sample
      const t = data.targets;
      for (let i = 0; i < t.length; i++) {
        if (!(t[i] >= 0 && t[i] <= 1)) {
          const s = Math.floor(i / model.outputs);
          throw new DescentError(`${op}: loss softmax-cross-entropy takes class labels or probability targets in [0, 1]; the data has target ${t[i]} at sample ${s}, class ${i - s * model.outputs}`);
        }
      }
    }
  } else {
    throw new DescentError(`${op}: the data has neither labels nor targets`);
  }
}

export interface Evaluation {
  /** The loss with the model's reduction (lossConfig.reduction), or the one evaluate's options ask for ('none': the model's). */
  loss: number;
  /**
   * With { reduction: 'none' }: the loss's terms (PyTorch's reduction='none'), one per sample
   * for softmax-cross-entropy, n×outputs row-major for the other losses.
   */
  losses?: Float32Array;
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
  const perTerm = model.loss === 'softmax-cross-entropy' ? 1 : model.outputs;
  const losses = opts.reduction === 'none' ? new Float32Array(data.n * perTerm) : undefined;
  const training = model.training;
  model.training = false; // inference mode: running statistics, no dropout
  try {
    for (let start = 0; start < data.n; start += B) {
      const size = Math.min(B, data.n - start);
      const v = model.views(size);
      const lab = data.labels ? model.labelArray(v.labels, size) : undefined;
      batchInto(data, order, start, size, v.x.data, lab, data.targets && !data.labels ? v.targets.data : undefined);
      if (lab) model.stageTargets(v, size, lab);
      else v.soft = true;
      model.forward(v, size);
      if (lab) correct += countCorrect(model, v, size, lab, predicted, K);
      if (losses) {
        const terms = model.stagedLossTerms(v, size);
        losses.set(terms, start * perTerm);
        for (let i = 0; i < terms.length; i++) lossSum += terms[i];
      } else {
        lossSum += model.lossAndBackward(v, size, false);
      }
    }
  } finally {
    model.training = training;
  }
  const reduction = opts.reduction === 'sum' || opts.reduction === 'mean' ? opts.reduction : model.lossConfig.reduction;
  const loss = lossSum / lossDivisor({ name: model.loss, reduction }, data.n, model.outputs);
  return { loss, ...(losses ? { losses } : {}), accuracy: data.labels ? correct / data.n : undefined, n: data.n };
}

/** fit with a minimizer (full-batch.ts): one history entry per iteration. */
function fitFullBatch(model: Model, train: Dataset, val: Dataset | undefined, opt: FullBatchOptimizer, epochs: number,
                      batchSize: number | 'full' | undefined, rng: Random, options: FitAsyncOptions, op: string, onNonFinite: OnNonFinite): History {
  const n = train.n;
  let indices: Int32Array | undefined;
  if (batchSize !== undefined && batchSize !== 'full') {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > n) throw new DescentError(`${op}: batchSize for ${opt.name} must be 'full' or an integer in [1, ${n}], got ${show(batchSize)}`);
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
  // divergence: minimize's line searches back off from NaN trial points, so its iterates stay
  // finite; what is left is a non-finite objective or gradient at an iterate (the minimizer
  // stops, reason 'not-finite', also at the starting point) and a non-finite validation loss.
  // 'rollback' restores the last iterate that passed (a copy per iteration, only in that mode).
  let nonFinite: NonFiniteInfo | undefined;
  let snapshot = onNonFinite === 'rollback' ? takeSnapshot(model, undefined, 0) : undefined;
  const result = minimize(objective, model.parameters().data, {
    ...(settings.space ? {} : { engine: model.engine }),
    ...settings,
    method: opt.method,
    maxIterations: epochs,
    callback: (info, x) => {
      if (info.iteration === 0) return undefined;
      model.parameters().data.set(x);
      if (!Number.isFinite(info.value) || !Number.isFinite(info.gradientNorm)) {
        // not recorded as an epoch; the minimizer stops right after this call ('not-finite')
        const loss = !Number.isFinite(info.value);
        nonFinite = { what: loss ? 'loss' : 'gradient', value: loss ? info.value : info.gradientNorm, epoch: info.iteration, update: info.iteration };
        return undefined;
      }
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
        if (!Number.isFinite(ev.loss)) {
          nonFinite = { what: 'valLoss', value: ev.loss, epoch: info.iteration, update: info.iteration };
          return 'stop';
        }
      }
      if (snapshot) snapshot = takeSnapshot(model, undefined, info.iteration, snapshot);
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
  if (!nonFinite && result.reason === 'not-finite') {
    // at the starting point (the callback is not called for it)
    const loss = !Number.isFinite(result.value);
    nonFinite = { what: loss ? 'loss' : 'gradient', value: loss ? result.value : result.gradientNorm, epoch: result.iterations, update: result.iterations };
  }
  if (!nonFinite) {
    const bad = firstNonFiniteState(model);
    if (bad) nonFinite = { ...bad, epoch: result.iterations, update: result.iterations };
  }
  if (nonFinite) {
    history.stopped = 'non-finite';
    history.nonFinite = nonFinite;
    if (snapshot) {
      restoreSnapshot(model, undefined, snapshot);
      nonFinite.restoredEpoch = snapshot.epoch;
    }
    if (onNonFinite === 'throw') throw new NonFiniteError(nonFiniteMessage(op, nonFinite, 1), history);
  }
  return history;
}
