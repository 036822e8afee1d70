// `descent train --optimizer lbfgs|bfgs|cg|scg|newton-cg|lm`: the full-batch minimizers of
// src/train/full-batch.ts from the command line.
//
// Each iteration ("epoch" in the history and the progress bar) is one minimizer iteration over
// the whole training set (or, with --batch-size N, a fixed random subset of N samples); the
// step comes from the method's line search (LM: its damping), so --lr, --lr-schedule and
// --momentum do not apply and are refused. What does apply:
//   --weight-decay λ              L2 penalty ½λ‖W‖² on the weights (not biases, not norm γ/β)
//   --opt memory=M                L-BFGS history length (default 10)
//   --opt gradient_tolerance=X    stop when ‖∇f‖ ≤ X (default 1e-8)
//   --opt value_tolerance=X       stop when f changes by less than X relative (minimize's default)
// Levenberg–Marquardt minimizes a sum of squares: it needs --loss mse.

import { DescentError, show } from '../engine/errors.js';
import {
  bfgs, conjugateGradient, lbfgs, levenbergMarquardt, newtonCg, scaledConjugateGradient,
  type FullBatchOptimizer, type FullBatchSettings,
} from '../train/full-batch.js';

const FACTORIES: Readonly<Record<string, (s?: FullBatchSettings) => FullBatchOptimizer>> = {
  lbfgs, bfgs, cg: conjugateGradient, scg: scaledConjugateGradient, 'newton-cg': newtonCg, lm: levenbergMarquardt,
};

export const FULL_BATCH_NAMES: readonly string[] = Object.keys(FACTORIES);

export function isFullBatchName(name: string): boolean {
  return Object.hasOwn(FACTORIES, name);
}

/** Flags of `descent train` that a full-batch method refuses. */
export interface StepFlags { lr?: string; 'lr-schedule'?: string; momentum?: string }

/**
 * The full-batch optimizer `name` from --weight-decay and --opt (hyper: parseHyper's output,
 * PyTorch-style snake_case keys); loss: the model's loss, for LM's check.
 */
export function makeFullBatch(name: string, flags: StepFlags, hyper: Record<string, unknown>, loss: string): { optimizer: FullBatchOptimizer; text: string } {
  const how = name === 'lm' ? 'its damping' : 'a line search';
  for (const flag of ['lr', 'lr-schedule', 'momentum'] as const) {
    if (flags[flag] !== undefined) throw new DescentError(`--${flag} does not apply to ${name}: a full-batch method sets its steps by ${how}`);
  }
  if (name === 'lm' && loss !== 'mse' && loss !== 'mse-mean') throw new DescentError(`--optimizer lm: Levenberg–Marquardt minimizes a sum of squares; use it with --loss mse or mse-mean (got ${loss})`);
  const settings: FullBatchSettings = {};
  const text: string[] = [];
  const positive = (key: string, x: unknown, integer = false): number => {
    if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
      throw new DescentError(`--opt ${key}: expected a ${integer ? 'positive integer' : 'positive number'}, got ${show(x)}`);
    }
    return x;
  };
  for (const [key, x] of Object.entries(hyper)) {
    switch (key) {
      case 'weight_decay':
        if (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)) throw new DescentError(`--weight-decay: expected a number ≥ 0, got ${show(x)}`);
        settings.weightDecay = x;
        text.push(`L2 ${x}`);
        break;
      case 'memory':
        if (name !== 'lbfgs') throw new DescentError(`--opt memory applies to lbfgs only, not ${name}`);
        settings.memory = positive(key, x, true);
        text.push(`memory ${x}`);
        break;
      case 'gradient_tolerance':
        settings.gradientTolerance = positive(key, x);
        text.push(`gradient tolerance ${x}`);
        break;
      case 'value_tolerance':
        settings.valueTolerance = positive(key, x);
        text.push(`value tolerance ${x}`);
        break;
      default:
        throw new DescentError(`--opt ${key}: not a setting of ${name}; full-batch methods take --weight-decay, --opt memory (lbfgs), gradient_tolerance, value_tolerance`);
    }
  }
  return { optimizer: FACTORIES[name](settings), text: [name, text.join(', ')].filter((t) => t !== '').join(' ') };
}
