// Training in a worker: fitInWorker(model, data, options) runs fitAsync in a module Web Worker
// (browsers, Deno, Bun) or a Node worker thread, so a page stays responsive and a server keeps
// serving, and writes the result into the caller's model.
//
// What crosses, caller → worker (one 'start' message, worker-port.ts):
//   the engine's compiled WebAssembly.Module (structured-cloned, not recompiled: the same
//   build, so the same bits as fit here with the same options and seed), the model spec
//   (modelSpec), copies of its flat parameters, batch-norm running statistics and the dropout
//   pass counter, copies of the data sets' typed arrays (transferred: the caller's buffers are
//   never detached), the plain fit options and a *description* of the optimizer.
// And back: progress events (throttled by progressEveryMs), each epoch's logs (stochastic
// training waits for onEpochEnd's answer, so 'stop' takes effect where fit would take it), and
// at the end the parameters, state, pass counter and history, transferred and written in place.
//
// An optimizer object cannot cross: its code is functions and its state lives in this
// thread's wasm memory. The worker builds it from { name, hyper?, options?, state? }
// (optimizer(name, hyper, options), state a stateDict) or { name: 'lbfgs' | …, settings? };
// a schedule is described as data, { schedule: 'cosine', args: [0.1, { tMax: 1000 }] }.
//
// Stopping. An abort reaches a stochastic run through a flag in shared memory, read after every
// step, so the run stops after the step in progress; without SharedArrayBuffer (pages that are
// not cross-origin isolated) as a message, read when fitAsync yields to the worker's event
// loop, which there it does after every step unless yieldEveryMs says otherwise (a turn cost
// ~3 µs in Chromium here, ~10% of a step of a 64-unit digits MLP at batch 8, negligible for
// larger models; a larger yieldEveryMs trades it for abort latency).
// Full-batch methods (lbfgs, cg, …) iterate in minimize()'s synchronous loop, which cannot
// hear anything; when there is an onEpochEnd or a signal they send every iterate back, and a
// 'stop' or an abort ends the call at once with the last iterate the caller has seen, its
// history (without `minimize`) and the thread terminated.
// The thread is terminated when the call settles, whatever the outcome.

import { DescentError, show } from '../engine/errors.js';
import type { Dataset } from '../data/dataset.js';
import { modelSpec } from '../io/model-file.js';
import { METHODS, type MethodName } from '../minimize/minimize.js';
import { isClassification } from '../nn/losses.js';
import type { Model } from '../nn/model.js';
import type { GradientNoise, GradientNoiseOptions } from '../optim/gradient-noise.js';
import type { OptimizerOptions, OptimizerStateDict } from '../optim/optimizer.js';
import { NonFiniteError, type FitAsyncOptions, type History } from './fit.js';
import type { FullBatchSettings } from './full-batch.js';
import { ABORT_FLAG, spawnWorker, type StartMessage, type WorkerMessage } from './worker-port.js';

/** The factories of schedules.ts that a ScheduleDescription may name. */
export type ScheduleName = 'constant' | 'step' | 'multiStep' | 'exponential' | 'exponentialDecay' | 'inverseTime' | 'linear' | 'ramp'
  | 'linearLR' | 'linearDecayThenConstant' | 'cosine' | 'cosineWarmRestarts' | 'warmup' | 'oneCycle' | 'momentumWarmup';

/**
 * A schedule as data: `schedules[schedule](...args)` built in the worker. An argument that is
 * itself a description is built first (warmup's inner schedule); `key` picks one of oneCycle's
 * two schedules: { schedule: 'oneCycle', args: [{ maxLr: 0.1, totalSteps: 1000 }], key: 'lr' }.
 */
export interface ScheduleDescription {
  schedule: ScheduleName;
  args?: unknown[];
  key?: 'lr' | 'momentum';
}

/** An update rule for optimizer(name, hyper, options), with an optional state dict to resume from. */
export interface RuleOptimizerDescription {
  name: string;
  /** The rule's hyper-parameters (PyTorch's names); a schedule as a ScheduleDescription. */
  hyper?: Record<string, unknown>;
  /** optimizer()'s options; noise as gradientNoise()'s result or its options. */
  options?: Omit<OptimizerOptions, 'noise'> & { noise?: GradientNoise | GradientNoiseOptions };
  /** Start from this state (stateDict() or a checkpoint's), as loadStateDict(state, model). */
  state?: OptimizerStateDict;
}

/** A full-batch method of full-batch.ts (lbfgs, bfgs, cg, scg, steepest-descent, newton-cg, newton, lm). */
export interface FullBatchDescription {
  name: MethodName;
  settings?: Omit<FullBatchSettings, 'space' | 'engine'>;
}

export type OptimizerDescription = RuleOptimizerDescription | FullBatchDescription;

/** fitAsync's options that can cross threads, and where to find the worker script. */
export interface WorkerFitOptions extends Omit<FitAsyncOptions, 'optimizer' | 'onBatchEnd'> {
  optimizer?: OptimizerDescription;
  /**
   * The worker script: default `new URL('./train-worker.js', import.meta.url)`, the file next
   * to the bundle (dist/node/ or dist/browser/). Give it where a bundler or a CDN moved it.
   */
  workerUrl?: string | URL;
  /** Send the optimizer's final state back as history.optimizerState (rule optimizers), e.g. for saveCheckpoint. */
  returnOptimizerState?: boolean;
}

export interface WorkerHistory extends History {
  /** With returnOptimizerState: the optimizer's stateDict() at the end (load it with loadStateDict). */
  optimizerState?: OptimizerStateDict;
}

const OP = 'fitInWorker';
const KNOWN: ReadonlySet<string> = new Set(['epochs', 'batchSize', 'lr', 'optimizer', 'shuffle', 'seed', 'validationSplit', 'validationData',
  'onEpochEnd', 'onProgress', 'progressEveryMs', 'earlyStopping', 'recordSteps', 'signal', 'initialEpoch', 'yieldEveryMs',
  'onNonFinite', 'workerUrl', 'returnOptimizerState']);
const SCHEDULE_HINT = "; describe a schedule as data, e.g. { schedule: 'cosine', args: [0.1, { tMax: 1000 }] }";

/**
 * fit in a worker thread: the same training (bit for bit, with the same options and seed, as
 * fit or fitAsync on this thread: the worker runs this engine's own compiled module), with
 * this thread free meanwhile. Resolves with the history once the trained parameters, the
 * batch-norm running statistics and the pass counter are written into `model` (in place;
 * its gradient buffer is left as it was). Do not use the model for training meanwhile.
 *
 * Options: fitAsync's, except that the optimizer is a description (see OptimizerDescription)
 * and onBatchEnd is not offered (use onProgress). onEpochEnd may return 'stop' (or a promise
 * of it); onProgress is called as progress events arrive. An abort stops after the step in
 * progress (history.stopped 'aborted'; on pages without SharedArrayBuffer the worker's
 * yieldEveryMs defaults to 0 for that); see the header of worker.ts for full-batch methods.
 * Errors in the worker reject with the worker's message (a DescentError stays one; a
 * NonFiniteError of onNonFinite 'throw' keeps its `history`); an exception from a callback
 * rejects with that exception. In both cases the model is left as it was. With onNonFinite
 * 'stop' or 'rollback' the model receives the state the worker stopped with (diverged, or
 * restored).
 *
 * @example
 * const controller = new AbortController();
 * const history = await fitInWorker(model, train, {
 *   epochs: 20, batchSize: 32, seed: 1,
 *   optimizer: { name: 'adam', hyper: { lr: { schedule: 'cosine', args: [1e-3, { tMax: 20 * 45 }] } } },
 *   onProgress: (p) => bar.update(p.step / p.totalSteps),
 *   onEpochEnd: (logs) => console.log(logs.epoch, logs.loss),
 *   signal: controller.signal,          // controller.abort() from a button
 * });
 * evaluate(model, test);                // the model holds the trained parameters
 */
export async function fitInWorker(model: Model, data: Dataset, options: WorkerFitOptions = {}): Promise<WorkerHistory> {
  if (!model || typeof model !== 'object' || typeof model.parameters !== 'function') throw new DescentError(`${OP}: expected a Model, got ${describe(model)}`);
  if (!data || typeof data !== 'object') throw new DescentError(`${OP}: data must be a data set object, got ${describe(data)}`);
  if (!options || typeof options !== 'object') throw new DescentError(`${OP}: options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options)) {
    if (k === 'onBatchEnd') throw new DescentError(`${OP}: onBatchEnd is not offered: a call per step across threads would cost more than the steps; use onProgress (streamed, at most one per progressEveryMs) or onEpochEnd`);
    if (!KNOWN.has(k)) throw new DescentError(`${OP}: unknown option ${JSON.stringify(k)}; known: ${[...KNOWN].join(', ')}`);
  }
  const { onEpochEnd, onProgress, signal, workerUrl, optimizer, validationData, returnOptimizerState, ...plain } = options;
  if (onEpochEnd !== undefined && typeof onEpochEnd !== 'function') throw new DescentError(`${OP}: onEpochEnd must be a function`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new DescentError(`${OP}: onProgress must be a function`);
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    throw new DescentError(`${OP}: signal must be an AbortSignal`);
  }
  for (const [k, v] of Object.entries(plain)) checkPlain(v, k, '');
  const description = describeOptimizer(optimizer);
  const fullBatch = description !== undefined && (METHODS as readonly string[]).includes(description.name);
  if (returnOptimizerState && (!description || fullBatch)) {
    throw new DescentError(`${OP}: returnOptimizerState needs an update rule, optimizer: { name: 'adam', … } (${fullBatch ? 'full-batch methods keep no state between calls' : "fit's default plain SGD has no state"})`);
  }
  const url = workerUrl === undefined ? new URL('./train-worker.js', import.meta.url) : toUrl(workerUrl);
  const train = copyDataset(data, 'data');
  const val = validationData === undefined ? undefined : copyDataset(validationData, 'validationData');
  const engine = model.engine;
  const params = model.parameters().toArray();
  const buffers = model.buffers().map((b) => b.tensor);
  const state = new Float32Array(buffers.reduce((s, t) => s + t.size, 0));
  let at = 0;
  for (const t of buffers) { state.set(t.data, at); at += t.size; }
  const control = sharedControl();
  const streamIterates = fullBatch && (onEpochEnd !== undefined || signal !== undefined);
  const start: StartMessage = {
    type: 'start', module: engine.module, gemmTile: engine.gemmTile, threads: engine.threads, spec: modelSpec(model),
    params, state, passes: model.passes, training: model.training, frozen: model.frozen,
    data: train.ds, ...(val ? { validationData: val.ds } : {}),
    options: plain, ...(description ? { optimizer: description } : {}), ...(control ? { control } : {}),
    aborted: signal?.aborted ?? false, epochs: onEpochEnd !== undefined, progress: onProgress !== undefined,
    streamIterates, returnOptimizerState: !!returnOptimizerState,
  };
  const transfer = [params.buffer, state.buffer, ...train.buffers, ...val?.buffers ?? []];
  const worker = await spawnWorker(url, OP);

  return new Promise<WorkerHistory>((resolve, reject) => {
    let settled = false;
    let queue = Promise.resolve();
    // full-batch with streamIterates: what the caller has seen, to end with at a 'stop' or an abort
    const seen = streamIterates ? fullBatchHistory(model, data, val?.ds ?? (plain.validationSplit !== undefined ? data : undefined)) : undefined;
    let lastIterate: Float32Array | undefined;

    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      worker.terminate().catch(() => undefined).then(outcome);
    };
    const fail = (e: unknown) => settle(() => reject(e));
    const endWithSeen = (stopped: History['stopped']) => {
      if (settled) return;
      if (lastIterate) model.parameters().data.set(lastIterate);
      seen!.stopped = stopped;
      settle(() => resolve(seen!));
    };
    function onAbort(): void {
      if (control) Atomics.store(new Int32Array(control), ABORT_FLAG, 1);
      if (settled) return;
      worker.post({ type: 'abort' });
      if (seen) queue = queue.then(() => endWithSeen('aborted'));
    }

    const handle = async (m: WorkerMessage): Promise<void> => {
      if (settled) return;
      switch (m.type) {
        case 'progress':
          onProgress?.(m.progress);
          return;
        case 'epoch': {
          if (m.params && seen) {
            lastIterate = m.params;
            pushLogs(seen, m.logs);
          }
          const out = onEpochEnd ? await onEpochEnd(m.logs) : undefined;
          if (settled) return;
          if (m.reply) worker.post({ type: 'ack', stop: out === 'stop' });
          else if (out === 'stop') endWithSeen('callback');
          return;
        }
        case 'done': {
          model.parameters().data.set(m.params);
          let i = 0;
          for (const t of buffers) { t.data.set(m.state.subarray(i, i + t.size)); i += t.size; }
          model.passes = m.passes;
          model.training = m.training;
          const history: WorkerHistory = m.history;
          if (m.optimizerState) history.optimizerState = m.optimizerState;
          settle(() => resolve(history));
          return;
        }
        case 'error': {
          const e = m.name === 'NonFiniteError' && m.history?.nonFinite ? new NonFiniteError(m.message, m.history)
            : m.name === 'DescentError' ? new DescentError(m.message) : new Error(m.message);
          if (e.name !== m.name) e.name = m.name;
          fail(e);
          return;
        }
      }
    };

    // one message at a time, in order: a callback's promise is awaited before the next message
    worker.listen((m) => { queue = queue.then(() => handle(m)).catch(fail); }, fail);
    if (signal && !signal.aborted) signal.addEventListener('abort', onAbort, { once: true });
    try {
      worker.post(start, transfer);
    } catch (e) {
      fail(new DescentError(`${OP}: cannot send the training job to the worker: ${(e as Error).message}`));
    }
  });
}

function describe(x: unknown): string {
  return x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x;
}

function toUrl(u: string | URL): URL {
  if (u instanceof URL) return u;
  if (typeof u !== 'string') throw new DescentError(`${OP}: workerUrl must be a URL or a string, got ${describe(u)}`);
  const base = typeof location === 'object' && location ? location.href : import.meta.url;
  try {
    return new URL(u, base);
  } catch {
    throw new DescentError(`${OP}: workerUrl ${JSON.stringify(u)} is not a URL`);
  }
}

/** Throws unless v is plain data a worker can receive: primitives, arrays, plain objects, typed arrays. */
function checkPlain(v: unknown, path: string, hint: string): void {
  if (typeof v === 'function') throw new DescentError(`${OP}: ${path} is a function, which cannot be sent to a worker${hint}`);
  if (typeof v === 'symbol') throw new DescentError(`${OP}: ${path} is a symbol, which cannot be sent to a worker`);
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkPlain(x, `${path}[${i}]`, hint));
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    throw new DescentError(`${OP}: ${path} is a ${describe(v)}; only plain data (numbers, strings, arrays, plain objects, typed arrays) can be sent to a worker`);
  }
  for (const [k, x] of Object.entries(v)) checkPlain(x, `${path}.${k}`, hint);
}

/** The optimizer option as plain data, or a DescentError saying why it cannot be. */
function describeOptimizer(o: unknown): OptimizerDescription | undefined {
  if (o === undefined) return undefined;
  if (o !== null && typeof o === 'object' && typeof (o as { step?: unknown }).step === 'function') {
    const name = (o as { name?: unknown }).name;
    const example = (o as { fullBatch?: unknown }).fullBatch === true
      ? `{ name: '${show(name)}', settings? } for this full-batch method`
      : `{ name: '${typeof name === 'string' ? name : 'adam'}', hyper?, options? } for optimizer(name, hyper, options)`;
    throw new DescentError(`${OP}: optimizer must be a description, not an optimizer object: its code and its state (in this thread's wasm memory) `
      + `cannot be sent to a worker. Describe it and the worker builds it: ${example}`);
  }
  if (o === null || typeof o !== 'object' || typeof (o as { name?: unknown }).name !== 'string') {
    throw new DescentError(`${OP}: optimizer must be { name, hyper?, options?, state? } or { name: 'lbfgs' | …, settings? }, got ${describe(o)}`);
  }
  const d = { ...(o as Record<string, unknown>) };
  const options = d.options as Record<string, unknown> | undefined;
  const noise = options?.noise as Partial<GradientNoise> | undefined;
  if (noise && typeof noise === 'object' && typeof noise.apply === 'function') {
    d.options = { ...options, noise: { eta: noise.eta, gamma: noise.gamma, seed: noise.seed } };
  }
  checkPlain(d, 'optimizer', SCHEDULE_HINT);
  return d as unknown as OptimizerDescription;
}

/** A copy of the data set's fields, and the buffers to transfer (the copies'). */
function copyDataset(ds: Dataset, what: string): { ds: Dataset; buffers: ArrayBuffer[] } {
  if (!ds || typeof ds !== 'object') throw new DescentError(`${OP}: ${what} must be a data set object, got ${describe(ds)}`);
  const out: Record<string, unknown> = {};
  const buffers: ArrayBuffer[] = [];
  for (const k of ['x', 'n', 'features', 'labels', 'classes', 'classNames', 'targets', 'targetWidth', 'featureShape', 'featureNames', 'name'] as const) {
    const v = ds[k];
    if (v === undefined) continue;
    if (ArrayBuffer.isView(v)) {
      const copy = (v as Float32Array).slice();
      buffers.push(copy.buffer);
      out[k] = copy;
    } else {
      checkPlain(v, `${what}.${k}`, '');
      out[k] = v;
    }
  }
  return { ds: out as unknown as Dataset, buffers };
}

/** An abort flag in shared memory, where the runtime can post one (not on pages without cross-origin isolation). */
function sharedControl(): SharedArrayBuffer | undefined {
  if (typeof SharedArrayBuffer !== 'function') return undefined;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return undefined;
  try {
    return new SharedArrayBuffer(4);
  } catch {
    return undefined;
  }
}

/** The history fit's full-batch path starts with (fit.ts fitFullBatch), for a run ended on this side. */
function fullBatchHistory(model: Model, train: Dataset, val: Dataset | undefined): History {
  const classify = isClassification(model.loss) || !!train.labels;
  const h: History = { epoch: [], loss: [], stopped: 'completed', evaluations: [] };
  if (classify && train.labels) h.accuracy = [];
  if (val) {
    h.valLoss = [];
    if (classify && val.labels) h.valAccuracy = [];
  }
  return h;
}

function pushLogs(h: History, logs: { epoch: number; loss: number; accuracy?: number; valLoss?: number; valAccuracy?: number; evaluations?: number }): void {
  h.epoch.push(logs.epoch);
  h.loss.push(logs.loss);
  h.evaluations?.push(logs.evaluations ?? NaN);
  if (h.accuracy && logs.accuracy !== undefined) h.accuracy.push(logs.accuracy);
  if (h.valLoss && logs.valLoss !== undefined) h.valLoss.push(logs.valLoss);
  if (h.valAccuracy && logs.valAccuracy !== undefined) h.valAccuracy.push(logs.valAccuracy);
}
