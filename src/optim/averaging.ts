// Averages of iterates, kept beside the live parameters θ in the model's memory:
//
//   Polyak averaging (Polyak & Juditsky 1992): θ̄ = mean of θ over the steps since `start`,
//       as a running mean θ̄ ← θ̄ + (θ − θ̄)/k. With `window` N the mean restarts every N
//       iterates (tail averaging over blocks of N: the mean of the iterates since the last
//       restart), which costs one buffer instead of the N a sliding window would need.
//   EMA of weights: θ̄ ← β·θ̄ + (1 − β)·θ  =  θ̄ + (1 − β)(θ − θ̄), with θ̄₀ = θ at the first update
// PyTorch's ASGD is SGD with a decaying step and Polyak averaging from step t0: the named
// optimizer optimizer('asgd') (asgd.ts) keeps its average as the state buffer ax, and the
// transform averageParams (transforms.ts) is that average after any optimizer's step.
// Both are one lerp pass (assembly/blas1.ts): y ← y + t·(x − y). `evaluateWith(fn)` swaps the
// averaged weights in, runs fn, and swaps the live ones back, so evaluation with the average
// never loses the training state.

import { DescentError, show } from '../engine/errors.js';
import type { Arena } from '../engine/arena.js';
import type { Tensor } from '../engine/tensor.js';
import type { Model } from '../nn/model.js';
import { checkOptionKeys } from '../engine/options.js';

export interface Averager {
  /** Fold the current parameters in (call after each optimizer step). */
  update(step: number): void;
  /** The averaged parameters (flat, same layout as model.parameters()). */
  readonly average: Tensor;
  /** Number of iterates in the average. */
  readonly count: number;
  /** Run fn with the averaged weights in the model, then restore the live ones. */
  evaluateWith<T>(fn: () => T): T;
  release(): void;
}

function make(model: Model, name: string, weight: (k: number, step: number) => number | undefined): Averager {
  const e = model.engine;
  const arena: Arena = e.arena(name);
  const params = model.parameters();
  const avg = arena.tensor([params.size], undefined, name);
  const spare = arena.tensor([params.size], undefined, name);
  const K = e.kernels;
  let count = 0;
  return {
    get average() { return avg; },
    get count() { return count; },
    update(step: number) {
      const t = weight(count, step);
      if (t === undefined) return;
      if (count === 0 || t === 1) K.copy(params.size, params.pointer(), avg.pointer());
      else K.lerp(params.size, t, params.pointer(), avg.pointer());
      count++;
    },
    evaluateWith<T>(fn: () => T): T {
      if (count === 0) throw new DescentError(`${name}: no iterate has been averaged yet`);
      K.copy(params.size, params.pointer(), spare.pointer());
      K.copy(params.size, avg.pointer(), params.pointer());
      try {
        return fn();
      } finally {
        K.copy(params.size, spare.pointer(), params.pointer());
      }
    },
    release() { arena.release(); },
  };
}

/** Polyak averaging: the running mean of θ from step `start` on (0-based), optionally restarted every `window` iterates. */
export function polyakAverage(model: Model, opts: { start?: number; window?: number } = {}): Averager {
  checkOptionKeys(opts, 'polyakAverage', ['start', 'window']);
  const start = opts.start ?? 0;
  const window = opts.window;
  if (!Number.isSafeInteger(start) || start < 0) throw new DescentError(`polyakAverage: start must be a non-negative integer, got ${start}`);
  if (window !== undefined && (!Number.isSafeInteger(window) || window < 1)) throw new DescentError(`polyakAverage: window must be a positive integer, got ${window}`);
  return make(model, 'polyak average', (k, step) => {
    if (step < start) return undefined;
    const j = window ? k % window : k;
    return 1 / (j + 1);
  });
}

/** Exponential moving average of the weights with decay β ∈ [0, 1). */
export function emaOfWeights(model: Model, opts: { decay?: number } = {}): Averager {
  checkOptionKeys(opts, 'emaOfWeights', ['decay']);
  const beta = opts.decay ?? 0.999;
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) throw new DescentError(`emaOfWeights: decay must be in [0, 1), got ${show(beta)}`);
  return make(model, 'weight EMA', () => 1 - beta);
}
