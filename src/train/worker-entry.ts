// The worker of fitInWorker (worker.ts), built as dist/node/train-worker.js and
// dist/browser/train-worker.js. It waits for one 'start' message, builds an engine from the
// caller's compiled module (the same build, so the same bits as fit on the caller's thread), a
// model from the spec with the caller's parameters, state buffers and pass counter, and the
// optimizer from its description; trains with fitAsync; streams progress and epoch logs; and
// answers with the parameters, state and history (typed arrays transferred), or with the
// error's name and message. The caller terminates the thread afterwards.
//
// Stopping: an abort sets a flag in shared memory that onBatchEnd reads after every step (or,
// where memory cannot be shared, arrives as a message at the next event-loop turn, which
// fitAsync gives every yieldEveryMs: 0 by default here, so after every step); onEpochEnd's
// 'stop' comes back as an 'ack' the worker awaits before the next epoch. Full-batch methods run in minimize()'s synchronous loop, which
// hears nothing: they send each iterate instead and the caller stops where it likes (worker.ts).

import { Engine } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import { Model } from '../nn/model.js';
import { gradientNoise, type GradientNoiseOptions } from '../optim/gradient-noise.js';
import { optimizer, RuleOptimizer, type OptimizerOptions, type OptimizerStateDict } from '../optim/optimizer.js';
import * as S from '../optim/schedules.js';
import { fitAsync, NonFiniteError, type FitAsyncOptions } from './fit.js';
import {
  bfgs, conjugateGradient, isFullBatch, lbfgs, lbfgsTorch, levenbergMarquardt, newtonCg, newtonMethod, scaledConjugateGradient, steepestDescent,
  type FullBatchOptimizer, type FullBatchSettings,
} from './full-batch.js';
import type { Optimizer } from './optimizer.js';
import type { OptimizerDescription, ScheduleDescription } from './worker.js';
import { ABORT_FLAG, parentChannel, type StartMessage, type WorkerMessage } from './worker-port.js';

const FULL_BATCH: Readonly<Record<string, (s?: FullBatchSettings) => FullBatchOptimizer>> = {
  lbfgs, bfgs, cg: conjugateGradient, scg: scaledConjugateGradient, 'steepest-descent': steepestDescent,
  'newton-cg': newtonCg, newton: newtonMethod, lm: levenbergMarquardt,
  // settings: torch's options (maxIter, lineSearchFn, …) and weightDecay, as lbfgsTorch() takes them
  'lbfgs-torch': (s) => lbfgsTorch(s as Parameters<typeof lbfgsTorch>[0]),
};

const SCHEDULES: Readonly<Record<string, (...args: never[]) => unknown>> = {
  constant: S.constant, step: S.step, multiStep: S.multiStep, exponential: S.exponential, exponentialDecay: S.exponentialDecay,
  inverseTime: S.inverseTime, linear: S.linear, ramp: S.ramp, linearLR: S.linearLR, linearDecayThenConstant: S.linearDecayThenConstant,
  cosine: S.cosine, cosineWarmRestarts: S.cosineWarmRestarts, warmup: S.warmup, oneCycle: S.oneCycle, momentumWarmup: S.momentumWarmup,
};

const channel = await parentChannel();
const controller = new AbortController();
let answer: ((stop: boolean) => void) | undefined;
let started = false;

channel.listen((m) => {
  if (m.type === 'start' && !started) {
    started = true;
    train(m)
      .then(({ message, transfer }) => channel.post(message, transfer))
      .catch((e: unknown) => channel.post({
        type: 'error', name: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e),
        ...(e instanceof NonFiniteError ? { history: e.history } : {}),
      }));
  } else if (m.type === 'abort') {
    controller.abort();
  } else if (m.type === 'ack') {
    const a = answer;
    answer = undefined;
    a?.(m.stop);
  }
});

async function train(m: StartMessage): Promise<{ message: WorkerMessage; transfer: Transferable[] }> {
  // a threads build runs on as many threads as the caller's engine (a pool of this worker's own)
  const engine = await Engine.create({ module: m.module, gemmTile: m.gemmTile, threads: m.threads > 1 ? m.threads : 'auto' })
    .catch(() => Engine.create({ module: m.module, gemmTile: m.gemmTile })); // no workers here: 'auto' says why
  const model = new Model(engine, m.spec);
  model.parameters().data.set(m.params);
  let at = 0;
  for (const { tensor } of model.buffers()) {
    tensor.data.set(m.state.subarray(at, at + tensor.size));
    at += tensor.size;
  }
  model.passes = m.passes;
  model.training = m.training;
  model.frozen = m.frozen;
  const opt = m.optimizer === undefined ? undefined : build(m.optimizer as OptimizerDescription, model);
  const fullBatch = opt !== undefined && isFullBatch(opt);

  const flag = m.control ? new Int32Array(m.control) : undefined;
  const abortFlagged = () => flag !== undefined && Atomics.load(flag, ABORT_FLAG) !== 0;
  if (m.aborted || abortFlagged()) controller.abort();
  const options: FitAsyncOptions = { ...m.options, signal: controller.signal };
  // without the shared flag an abort is a message, heard only when fitAsync yields: after
  // every step unless the caller chose otherwise (a MessageChannel turn, ~3 µs in Chromium)
  if (!flag && options.yieldEveryMs === undefined) options.yieldEveryMs = 0;
  if (opt) options.optimizer = opt;
  if (m.validationData) options.validationData = m.validationData;
  if (m.progress) options.onProgress = (progress) => channel.post({ type: 'progress', progress });
  if (flag && !fullBatch) options.onBatchEnd = () => { if (abortFlagged()) controller.abort(); };
  if (fullBatch) {
    if (m.streamIterates) {
      options.onEpochEnd = (logs) => {
        const params = model.parameters().toArray();
        channel.post({ type: 'epoch', logs, reply: false, params }, [params.buffer]);
      };
    }
  } else if (m.epochs) {
    options.onEpochEnd = (logs) => new Promise<'stop' | undefined>((resolve) => {
      answer = (stop) => {
        if (abortFlagged()) controller.abort();
        resolve(stop ? 'stop' : undefined);
      };
      channel.post({ type: 'epoch', logs, reply: true });
    });
  }

  const history = await fitAsync(model, m.data, options);

  const params = model.parameters().toArray();
  const state = new Float32Array(at);
  at = 0;
  for (const { tensor } of model.buffers()) {
    state.set(tensor.data, at);
    at += tensor.size;
  }
  const transfer: Transferable[] = [params.buffer, state.buffer];
  if (history.minimize) transfer.push(history.minimize.x.buffer);
  let optimizerState: OptimizerStateDict | undefined;
  if (m.returnOptimizerState && opt instanceof RuleOptimizer) {
    optimizerState = opt.stateDict();
    for (const b of Object.values(optimizerState.buffers)) transfer.push(b.buffer);
  }
  return {
    message: { type: 'done', history, params, state, passes: model.passes, training: model.training, ...(optimizerState ? { optimizerState } : {}) },
    transfer,
  };
}

/** The optimizer of a description (worker.ts checked that it is plain data). */
function build(d: OptimizerDescription, model: Model): Optimizer {
  if (!d || typeof d !== 'object' || typeof d.name !== 'string') throw new DescentError('fitInWorker: optimizer must be { name, … }');
  if (Object.hasOwn(FULL_BATCH, d.name)) {
    const { name, settings, ...rest } = d as { name: string; settings?: FullBatchSettings };
    refuseKeys(rest, `optimizer ${name}`, 'name, settings');
    return FULL_BATCH[name](settings ?? {});
  }
  const { name, hyper, options, state, ...rest } = d as { name: string; hyper?: Record<string, unknown>; options?: Record<string, unknown>; state?: OptimizerStateDict };
  refuseKeys(rest, `optimizer ${name}`, 'name, hyper, options, state');
  const h: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hyper ?? {})) h[k] = isScheduleDescription(v) ? schedule(v, `optimizer.hyper.${k}`) : v;
  const o = { ...options } as OptimizerOptions;
  if (options?.noise !== undefined) o.noise = gradientNoise(options.noise as GradientNoiseOptions);
  const opt = optimizer(name, h, o);
  if (state !== undefined) opt.loadStateDict(state, model);
  return opt;
}

function refuseKeys(rest: object, what: string, known: string): void {
  const extra = Object.keys(rest);
  if (extra.length) throw new DescentError(`fitInWorker: ${what}: unknown key ${JSON.stringify(extra[0])}; known: ${known}`);
}

function isScheduleDescription(v: unknown): v is ScheduleDescription {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { schedule?: unknown }).schedule === 'string';
}

/** A schedule from its description: the factory of schedules.ts called with args (descriptions among them built first). */
function schedule(d: ScheduleDescription, what: string): S.Schedule {
  const { schedule: name, args = [], key, ...rest } = d;
  refuseKeys(rest, what, 'schedule, args, key');
  if (!Object.hasOwn(SCHEDULES, name)) throw new DescentError(`fitInWorker: ${what}: unknown schedule ${JSON.stringify(name)}; known: ${Object.keys(SCHEDULES).join(', ')}`);
  if (!Array.isArray(args)) throw new DescentError(`fitInWorker: ${what}: args must be an array (the arguments of schedules.${name}), got ${typeof args}`);
  const made = SCHEDULES[name](...(args.map((a, i) => (isScheduleDescription(a) ? schedule(a, `${what}.args[${i}]`) : a)) as never[]));
  if (typeof made === 'function') {
    if (key !== undefined) throw new DescentError(`fitInWorker: ${what}: schedules.${name} gives one schedule; key applies to oneCycle`);
    return made as S.Schedule;
  }
  const parts = Object.keys(made as object);
  if (key === undefined || typeof (made as Record<string, unknown>)[key] !== 'function') {
    throw new DescentError(`fitInWorker: ${what}: schedules.${name} gives { ${parts.join(', ')} }: say which with key (${parts.map((p) => `'${p}'`).join(' or ')})`);
  }
  return (made as Record<string, S.Schedule>)[key];
}
