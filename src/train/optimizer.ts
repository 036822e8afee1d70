// The optimizer interface of the fit loop, and plain SGD.
//
// An optimizer updates the model's flat parameter vector θ from its flat gradient g after each
// batch. Issue #4 adds the family (momentum, Adam, …) behind this same interface.
//   sgd:  θ ← θ − α·g        (one fused SIMD axpy over θ)

import { DescentError } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { axpy } from '../ops/vector.js';

export interface StepContext {
  /** Updates done so far (0 on the first). */
  step: number;
  epoch: number;
}

export interface Optimizer {
  readonly name: string;
  /** Apply one update to params from grads (both flat, same length). */
  step(params: Tensor, grads: Tensor, ctx: StepContext): void;
  /** The learning rate in effect at ctx (for logging). */
  learningRate?(ctx: StepContext): number;
}

export function checkLearningRate(lr: unknown, what: string): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    throw new DescentError(`${what}: learning rate must be a positive finite number, got ${String(lr)}`);
  }
  return lr;
}

export function sgd(opts: { lr?: number } = {}): Optimizer {
  const lr = checkLearningRate(opts.lr ?? 0.01, 'sgd');
  return {
    name: 'sgd',
    step(params, grads) {
      axpy(-lr, grads, params);
    },
    learningRate: () => lr,
  };
}
