// The optimizer interface of the fit loop, and plain SGD.
//
// An optimizer updates the model's flat parameter vector θ from its flat gradient g after each
// batch. The family (momentum, Adam, …) is in src/optim/optimizer.ts behind this interface.
//   sgd:  θ ← θ − α·g        (one fused SIMD axpy over θ)

import { DescentError, show } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import type { Model } from '../nn/model.js';
import { axpy } from '../ops/vector.js';
import { checkF32 } from '../optim/check.js';

export interface StepContext {
  /** Updates done so far (0 on the first). */
  step: number;
  epoch: number;
  /** The model the vectors belong to (fit passes it). */
  model?: Model;
  /** The batch loss at the parameters the gradient was taken at. */
  loss?: number;
}

export interface Optimizer {
  readonly name: string;
  /** Apply one update to params from grads (both flat, same length). */
  step(params: Tensor, grads: Tensor, ctx: StepContext): void;
  /** The learning rate in effect at ctx (for logging). */
  learningRate?(ctx: StepContext): number;
  /** Called by fit before the first step: check the model and lay out state. */
  bind?(model: Model): void;
  /**
   * Called before each gradient evaluation: an optimizer that needs the gradient somewhere
   * else than at θ (look-ahead Nesterov) moves the parameters there and moves them back in step.
   */
  beforeGradient?(params: Tensor, ctx: StepContext): void;
  /**
   * True when the optimizer keeps no state between steps (plain sgd()): fit's
   * `onNonFinite: 'rollback'` then needs no stateDict/loadStateDict to restore it.
   */
  readonly stateless?: boolean;
}

export function checkLearningRate(lr: unknown, what: string): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    throw new DescentError(`${what}: learning rate must be a positive finite number, got ${show(lr)}`);
  }
  return checkF32(lr, `${what}: lr`);
}

export function sgd(opts: { lr?: number } = {}): Optimizer {
  const lr = checkLearningRate(opts.lr ?? 0.01, 'sgd');
  return {
    name: 'sgd',
    stateless: true,
    step(params, grads) {
      axpy(-lr, grads, params);
    },
    learningRate: () => lr,
  };
}
