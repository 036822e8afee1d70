// `descent train --optimizer lbfgs|lbfgs-torch|bfgs|cg|scg|newton-cg|lm`: the full-batch
// minimizers of src/train/full-batch.ts from the command line.
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
// lbfgs-torch is torch.optim.LBFGS replayed: an epoch is one step(closure) call, --lr is torch's
// lr (default 1), and --opt takes torch's keyword arguments: max_iter (20), max_eval
// (⌊5·max_iter/4⌋), tolerance_grad (1e-7), tolerance_change (1e-9), history_size (100),
// line_search_fn=strong_wolfe|none (none).

import { DescentError, show } from '../engine/errors.js';
import {
  bfgs, conjugateGradient, lbfgs, lbfgsTorch, levenbergMarquardt, newtonCg, scaledConjugateGradient,
  type FullBatchOptimizer, type FullBatchSettings,
} from '../train/full-batch.js';
import type { TorchLbfgsOptions } from '../minimize/methods/lbfgs-torch.js';

const FACTORIES: Readonly<Record<string, (s?: FullBatchSettings) => FullBatchOptimizer>> = {
  lbfgs, bfgs, cg: conjugateGradient, scg: scaledConjugateGradient, 'newton-cg': newtonCg, lm: levenbergMarquardt, 'lbfgs-torch': () => lbfgsTorch(),
};

/** torch.optim.LBFGS's keyword arguments (--opt, snake_case) and their TorchLbfgsOptions names. */
const TORCH_LBFGS_KEYS: Readonly<Record<string, keyof TorchLbfgsOptions>> = {
  max_iter: 'maxIter', max_eval: 'maxEval', tolerance_grad: 'toleranceGrad', tolerance_change: 'toleranceChange', history_size: 'historySize',
};

export const FULL_BATCH_NAMES: readonly string[] = Object.keys(FACTORIES);

export function isFullBatchName(name: string): boolean {
  return Object.hasOwn(FACTORIES, name);
}

/** Flags of `descent train` that a full-batch method refuses. */
export interface StepFlags { lr?: string; 'lr-schedule'?: string; momentum?: string }

/** `descent train --optimizer lbfgs-torch`: --lr, --weight-decay and torch's keyword arguments as --opt. */
function makeTorchLbfgs(flags: StepFlags, hyper: Record<string, unknown>): { optimizer: FullBatchOptimizer; text: string } {
  for (const flag of ['lr-schedule', 'momentum'] as const) {
    if (flags[flag] !== undefined) throw new DescentError(`--${flag} does not apply to lbfgs-torch: torch's LBFGS steps by lr along its direction, or by its line search`);
  }
  const o: TorchLbfgsOptions & { weightDecay?: number } = {};
  const text: string[] = [];
  if (flags.lr !== undefined) {
    const lr = Number(flags.lr);
    if (flags.lr.trim() === '' || !(lr > 0) || !Number.isFinite(lr)) throw new DescentError(`--lr: expected a positive number, got ${JSON.stringify(flags.lr)}`);
    o.lr = lr;
  }
  text.push(`lr ${o.lr ?? 1}`);
  for (const [key, x] of Object.entries(hyper)) {
    if (key === 'weight_decay') {
      if (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)) throw new DescentError(`--weight-decay: expected a number ≥ 0, got ${show(x)}`);
      o.weightDecay = x;
      text.push(`L2 ${x}`);
    } else if (key === 'line_search_fn') {
      if (x !== 'strong_wolfe' && x !== 'none') throw new DescentError(`--opt line_search_fn: expected strong_wolfe or none, got ${show(x)}`);
      o.lineSearchFn = x === 'none' ? null : x;
      text.push(x === 'none' ? 'no line search' : 'strong Wolfe');
    } else if (Object.hasOwn(TORCH_LBFGS_KEYS, key)) {
      const integer = key === 'max_iter' || key === 'max_eval' || key === 'history_size';
      if (typeof x !== 'number' || !Number.isFinite(x) || (integer ? !(Number.isInteger(x) && x >= 1) : !(x >= 0))) {
        throw new DescentError(`--opt ${key}: expected ${integer ? 'a positive integer' : 'a number ≥ 0'}, got ${show(x)}`);
      }
      o[TORCH_LBFGS_KEYS[key]] = x as never;
      text.push(`${key} ${x}`);
    } else {
      throw new DescentError(`--opt ${key}: not a setting of lbfgs-torch; it takes torch's ${[...Object.keys(TORCH_LBFGS_KEYS), 'line_search_fn'].join(', ')}, and --lr, --weight-decay`);
    }
  }
  if (o.lineSearchFn === undefined) text.push('no line search');
  return { optimizer: lbfgsTorch(o), text: `lbfgs-torch (torch.optim.LBFGS) ${text.join(', ')}` };
}

/**
 * The full-batch optimizer `name` from --weight-decay and --opt (hyper: parseHyper's output,
 * PyTorch-style snake_case keys); loss: the model's loss, for LM's check.
 */
export function makeFullBatch(name: string, flags: StepFlags, hyper: Record<string, unknown>, loss: string): { optimizer: FullBatchOptimizer; text: string } {
  if (name === 'lbfgs-torch') return makeTorchLbfgs(flags, hyper);
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
        throw new DescentError(`--opt ${key}: not a setting of ${name}; full-batch methods take --weight-decay, --opt memory (lbfgs), gradient_tolerance, value_tolerance${Object.hasOwn(TORCH_LBFGS_KEYS, key) || key === 'line_search_fn' ? ` (${key} is torch's: --optimizer lbfgs-torch)` : ''}`);
    }
  }
  return { optimizer: FACTORIES[name](settings), text: [name, text.join(', ')].filter((t) => t !== '').join(' ') };
}
