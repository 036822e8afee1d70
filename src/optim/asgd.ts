// ASGD, averaged stochastic gradient descent, as torch.optim.ASGD computes it (Polyak &
// Juditsky 1992, "Acceleration of stochastic approximation by averaging"; the decaying step of
// Bottou 2012, "Stochastic gradient descent tricks" §5.3) — a Rule (src/optim/rules.ts) with the
// fused wasm kernel assembly/optim/asgd.ts (optAsgd) and an f64 reference.
//
// Hyper-parameters and defaults are torch's: lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6,
// weight_decay 0 (coupled L2). At step t = 1, 2, … with the scalar state η (eta) and μ (mu):
//   g' = g + wd·p                      (wd ≠ 0; with p before this step's decay)
//   p  ← p·(1 − λ·η) − η·g'            the decay term, then the SGD step
//   ax ← μ = 1 ? p : ax + (p − ax)·μ   the averaged iterate (state buffer ax)
//   η  ← lr/(1 + λ·lr·t)^α             for the next step (η = lr at step 1)
//   μ  ← 1/max(1, t − t0)              for the next step (μ = 1 at step 1)
// So ax is a copy of p up to step ⌊t0⌋ + 2 and from there the running mean of the iterates
// since that step: Polyak averaging started after t0 steps (src/optim/averaging.ts builds the
// same average by hand from SGD, weight decay and a schedule). ax never feeds back into p: to
// evaluate with it, copy stateDict().buffers.ax into the model's parameters (as one does with
// torch's optimizer.state[p]['ax']).
//
// torch keeps eta and mu in float32 0-d tensors (torch.tensor(x) of a Python float), so the
// values it uses are rounded to float32 even for float64 parameters; the coefficients here
// round them the same way (Math.fround), which the f32 kernel does anyway and which the f64
// reference needs to replay torch's float64 trajectories to 1e-12. 1 − λ·η is formed in f64
// from the rounded η, as torch does in Python. The step count is per segment (steps of the
// state dict); eta and mu are per-segment scalars of the state dict, missing until the first
// step (torch creates its state then). A learning-rate schedule reaches η one step late, as in
// torch, where η is computed from group['lr'] at the end of a step.
//
// Differences from torch: no `maximize`, no complex parameters; lambd, alpha and t0 must be
// finite and ≥ 0 (torch does not check them).
//
// Coefficients [−η, 1 − λη, wd, μ]; the kernel averages (flag 4) when μ ≠ 1 and copies otherwise.

import { DescentError, show } from '../engine/errors.js';
import type { Rule } from './rules.js';

export interface AsgdHyper { lr: number; lambd: number; alpha: number; t0: number; weight_decay: number }

const NAME = 'asgd';
const WD = 1, AVERAGE = 4;

/** η after `step` updates, as torch stores it: float32 of lr/(1 + λ·lr·step)^α. */
export const asgdEta = (lr: number, lambd: number, alpha: number, step: number): number =>
  Math.fround(lr / (1 + lambd * lr * step) ** alpha);

/** μ after `step` updates, as torch stores it: float32 of 1/max(1, step − t0). */
export const asgdMu = (step: number, t0: number): number => Math.fround(1 / Math.max(1, step - t0));

const flagsOf = (h: AsgdHyper, c: readonly number[]): number => (h.weight_decay !== 0 ? WD : 0) | (c[3] !== 1 ? AVERAGE : 0);

function fail(msg: string): never {
  throw new DescentError(`${NAME}: ${msg}`);
}

export const asgd: Rule<AsgdHyper> = {
  name: NAME,
  defaults: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weight_decay: 0 },
  stateNames: ['ax'],
  uses: (s) => s === 'ax',
  initState(s) {
    if (s !== 'ax') fail(`unknown state buffer ${JSON.stringify(s)}; known: ax`);
    return 0;
  },
  initScalars: () => ({}),
  coefficients(t, h, sc) {
    const eta = sc.eta ?? Math.fround(h.lr), mu = sc.mu ?? 1;
    sc.eta = asgdEta(h.lr, h.lambd, h.alpha, t);
    sc.mu = asgdMu(t, h.t0);
    return [-eta, 1 - h.lambd * eta, h.weight_decay, mu];
  },
  step64(p, g, s, c, h) {
    const [negEta, factor, wd, mu] = c;
    const f = flagsOf(h, c), ax = s.ax;
    for (let i = 0; i < p.length; i++) {
      const gi = f & WD ? g[i] + wd * p[i] : g[i];
      const pi = p[i] * factor + negEta * gi;
      p[i] = pi;
      ax[i] = f & AVERAGE ? ax[i] + mu * (pi - ax[i]) : pi;
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optAsgd(n, p, g, s.ax, c[0], c[1], c[2], c[3], flagsOf(h, c));
  },
  check(h) {
    for (const k of ['lr', 'lambd', 'alpha', 't0', 'weight_decay'] as const) {
      const v = h[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${k} must be a finite number ≥ 0, got ${show(v)}`);
    }
  },
};
