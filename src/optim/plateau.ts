// Reduce the learning rate when a monitored metric stops improving: PyTorch's
// ReduceLROnPlateau, step for step. Unlike the schedules in schedules.ts it is stateful,
// because it depends on the metric's history, not on the step alone. Call step(metric) once
// per evaluation (usually per epoch, with the validation loss); it returns the lr to use next.
//
//   better(a, best):  min/rel  a < best·(1 − threshold)     max/rel  a > best·(1 + threshold)
//                     min/abs  a < best − threshold         max/abs  a > best + threshold
//   step(a):  if better(a, best): best ← a, numBadEpochs ← 0  else numBadEpochs ← numBadEpochs + 1
//             if cooldownCounter > 0: cooldownCounter ← cooldownCounter − 1, numBadEpochs ← 0
//             if numBadEpochs > patience:
//                 lr' = max(lr·factor, minLr);  if lr − lr' > eps: lr ← lr'
//                 cooldownCounter ← cooldown, numBadEpochs ← 0
//
// best starts at +∞ (min) or −∞ (max), so the first finite metric is always an improvement.
// A NaN metric is never better: it counts as a bad epoch, as in PyTorch. With patience p the lr
// drops at the (p+1)-th consecutive bad evaluation; after a drop, `cooldown` evaluations are
// ignored (their bad epochs are not counted) before counting starts again. In 'rel' mode with a
// negative best the threshold works the other way round (best·(1 − threshold) > best), as in
// PyTorch. eps: a reduction smaller than eps is skipped, so the lr stops at about eps/(1 − factor).
//
// Defaults (PyTorch's): mode 'min', factor 0.1, patience 10, threshold 1e−4, thresholdMode 'rel',
// cooldown 0, minLr 0, eps 1e−8.
// Reference: torch.optim.lr_scheduler.ReduceLROnPlateau; Keras callbacks.ReduceLROnPlateau.
//
// Checkpoints: state() is a plain JSON-safe object (best is null while it is still the initial
// ±∞); load(state) restores it into a scheduler built with the same options.

import { DescentError, show } from '../engine/errors.js';
import { checkStep, type Schedule } from './schedules.js';
import { checkOptionKeys } from '../engine/options.js';

export interface PlateauOptions {
  /** 'min' (default): the metric should decrease (a loss); 'max': increase (an accuracy). */
  mode?: 'min' | 'max';
  /** new lr = lr·factor, 0 < factor < 1. Default 0.1. */
  factor?: number;
  /** Bad evaluations tolerated before a reduction. Default 10. */
  patience?: number;
  /** Minimal change that counts as an improvement. Default 1e-4. */
  threshold?: number;
  /** 'rel' (default): relative to best; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Evaluations to wait after a reduction before counting bad ones again. Default 0. */
  cooldown?: number;
  /** Lower bound on the lr. Default 0. */
  minLr?: number;
  /** Reductions smaller than eps are skipped. Default 1e-8. */
  eps?: number;
}

export interface PlateauState {
  /** The current learning rate. */
  lr: number;
  /** Best metric so far; null while none has improved on the initial ±∞. */
  best: number | null;
  numBadEpochs: number;
  cooldownCounter: number;
  /** Number of step(metric) calls so far. */
  lastEpoch: number;
}

export interface ReduceOnPlateau {
  /** Record one evaluation of the metric; returns the lr to use from now on. */
  step(metric: number): number;
  /** The current lr. */
  current(): number;
  /** A copy of the state, for checkpoints. */
  state(): PlateauState;
  /** Restore a state from state(). */
  load(state: PlateauState): void;
  /** A Schedule view: the current lr, whatever the step (for optimizers that take a Schedule). */
  asSchedule(): Schedule;
}

function fail(what: string, must: string, got: unknown): never {
  throw new DescentError(`reduceOnPlateau: ${what} must be ${must}, got ${typeof got === 'string' ? JSON.stringify(got) : show(got)}`);
}

function finiteAtLeast0(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) fail(what, 'a finite number ≥ 0', x);
  return x;
}

function count(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) fail(what, 'a non-negative integer', x);
  return x;
}

/** PyTorch's ReduceLROnPlateau as a small state machine around lr0. */
export function reduceOnPlateau(lr0: number, opts: PlateauOptions = {}): ReduceOnPlateau {
  checkOptionKeys(opts, 'reduceOnPlateau', ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
  if (typeof lr0 !== 'number' || !Number.isFinite(lr0) || lr0 <= 0) fail('lr0', 'a positive finite number', lr0);
  const mode = opts.mode ?? 'min';
  if (mode !== 'min' && mode !== 'max') fail('mode', "'min' or 'max'", mode);
  const factor = opts.factor ?? 0.1;
  if (typeof factor !== 'number' || !(factor > 0 && factor < 1)) fail('factor', 'in (0, 1)', factor);
  const patience = count(opts.patience ?? 10, 'patience');
  const threshold = finiteAtLeast0(opts.threshold ?? 1e-4, 'threshold');
  const thresholdMode = opts.thresholdMode ?? 'rel';
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs') fail('thresholdMode', "'rel' or 'abs'", thresholdMode);
  const cooldown = count(opts.cooldown ?? 0, 'cooldown');
  const minLr = finiteAtLeast0(opts.minLr ?? 0, 'minLr');
  const eps = finiteAtLeast0(opts.eps ?? 1e-8, 'eps');

  const worst = mode === 'min' ? Infinity : -Infinity;
  const isBetter =
    mode === 'min'
      ? thresholdMode === 'rel'
        ? (a: number, best: number) => a < best * (1 - threshold)
        : (a: number, best: number) => a < best - threshold
      : thresholdMode === 'rel'
        ? (a: number, best: number) => a > best * (threshold + 1)
        : (a: number, best: number) => a > best + threshold;

  let lr = lr0;
  let best = worst;
  let numBadEpochs = 0;
  let cooldownCounter = 0;
  let lastEpoch = 0;

  const self: ReduceOnPlateau = {
    step(metric: number): number {
      if (typeof metric !== 'number') fail('step: metric', 'a number', metric);
      lastEpoch += 1;
      if (isBetter(metric, best)) {
        best = metric;
        numBadEpochs = 0;
      } else {
        numBadEpochs += 1;
      }
      if (cooldownCounter > 0) {
        cooldownCounter -= 1;
        numBadEpochs = 0;
      }
      if (numBadEpochs > patience) {
        const next = Math.max(lr * factor, minLr);
        if (lr - next > eps) lr = next;
        cooldownCounter = cooldown;
        numBadEpochs = 0;
      }
      return lr;
    },
    current: () => lr,
    state: () => ({ lr, best: best === worst ? null : best, numBadEpochs, cooldownCounter, lastEpoch }),
    load(s: PlateauState): void {
      if (typeof s !== 'object' || s === null) fail('load: state', 'an object from state()', s);
      if (typeof s.lr !== 'number' || !Number.isFinite(s.lr) || s.lr <= 0) fail('load: state.lr', 'a positive finite number', s.lr);
      if (s.best !== null && typeof s.best !== 'number') fail('load: state.best', 'a number or null', s.best);
      const n = count(s.numBadEpochs, 'load: state.numBadEpochs');
      const c = count(s.cooldownCounter, 'load: state.cooldownCounter');
      const e = count(s.lastEpoch, 'load: state.lastEpoch');
      lr = s.lr;
      best = s.best === null ? worst : s.best;
      numBadEpochs = n;
      cooldownCounter = c;
      lastEpoch = e;
    },
    asSchedule: () => (t: number) => (checkStep(t, 'reduceOnPlateau schedule'), lr),
  };
  return self;
}
