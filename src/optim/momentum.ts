// Momentum in the classical form and Nesterov's method in the look-ahead form, as update rules
// (rules.ts interface) next to PyTorch's SGD (rules.sgd), which writes both differently.
//
// Classical momentum, 'momentum-classic' (Polyak 1964; Sutskever, Martens, Dahl & Hinton 2013,
// eq. 1–2): the velocity is a step in parameter space,
//   v ← μ·v − α·g,   θ ← θ + v,        α = lr, or α = (1 − μ)·lr with `scaled: true` (the
//                                      lecture's variant: v is then an exponential average of
//                                      −lr·g, and the long-run step is lr·g whatever μ is).
// PyTorch's form b ← μ·b + g, θ ← θ − lr·b is the same method with v = −lr·b while lr is
// constant; they differ when lr changes: here a new lr only affects new gradients, there it
// rescales the whole accumulated buffer at once.
//
// Look-ahead Nesterov, 'nesterov-lookahead' (Nesterov 1983; Sutskever et al. 2013, eq. 3–4):
// the gradient is taken at the point momentum is about to carry θ to,
//   g = ∇f(θ + μ·v),   v ← μ·v − α·g,   θ ← θ + v.
// The optimizer moves the parameters to θ + μ·v before each gradient (`shift`, called by fit
// through Optimizer.beforeGradient) and back in the step (assembly/optim/momentum.ts), so
// between steps the model holds θ. PyTorch's `nesterov=True` (Bengio, Boulanger-Lewandowski &
// Pascanu 2013) stores the look-ahead point itself, θ' = θ + μ·v, and with b = −v/α updates
//   b ← μ·b + g(θ'),   θ' ← θ' − lr·(g + μ·b),
// the same iterates (test/optim-momentum.test.ts runs both on a quadratic).
//
// Weight decay (coupled, g ← g + wd·θ) is taken at the point of the gradient: θ for the
// classical form, θ + μ·v for the look-ahead form. Coefficients [μ, −α, wd].

import type { Kernels } from '../engine/kernels.js';
import { DescentError, show } from '../engine/errors.js';
import type { Rule } from './rules.js';

export interface MomentumHyper { lr: number; momentum: number; weight_decay: number; scaled: boolean }

/** A rule whose gradient is taken at a shifted point: the optimizer calls shift before it. */
export interface ShiftingRule<H extends object> extends Rule<H> {
  /** Move the n parameters at p to where the next gradient is taken. */
  shift(K: Kernels, n: number, p: number, state: Record<string, number>, hyper: H): void;
  shift64(p: Float64Array, state: Record<string, Float64Array>, hyper: H): void;
}

const WD = 1;

function check(name: string, h: MomentumHyper): void {
  for (const k of ['lr', 'momentum', 'weight_decay'] as const) {
    const v = h[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new DescentError(`${name}: ${k} must be a finite number ≥ 0, got ${show(v)}`);
  }
  if (h.momentum >= 1) throw new DescentError(`${name}: momentum must be in [0, 1), got ${h.momentum}`);
  if (typeof h.scaled !== 'boolean') throw new DescentError(`${name}: scaled must be true or false, got ${show(h.scaled)}`);
}

const coefficients = (_t: number, h: MomentumHyper): number[] =>
  [h.momentum, -(h.scaled ? (1 - h.momentum) * h.lr : h.lr), h.weight_decay];

const base = {
  defaults: { lr: 1e-2, momentum: 0.9, weight_decay: 0, scaled: false },
  stateNames: ['velocity'],
  uses: (name: string) => name === 'velocity',
  initScalars: () => ({}),
  coefficients,
} as const;

function initState(rule: string) {
  return (name: string): number => {
    if (name !== 'velocity') throw new DescentError(`${rule}: unknown state buffer ${JSON.stringify(name)}; known: velocity`);
    return 0;
  };
}

export const momentumClassic: Rule<MomentumHyper> = {
  ...base,
  name: 'momentum-classic',
  initState: initState('momentum-classic'),
  step64(p, g, s, c, h) {
    const [mu, negAlpha, wd] = c, v = s.velocity, decay = h.weight_decay !== 0;
    for (let i = 0; i < p.length; i++) {
      const gi = decay ? g[i] + wd * p[i] : g[i];
      const vi = mu * v[i] + negAlpha * gi;
      v[i] = vi;
      p[i] = p[i] + vi;
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optMomentumClassic(n, p, g, s.velocity, c[0], c[1], c[2], h.weight_decay !== 0 ? WD : 0);
  },
  check: (h) => check('momentum-classic', h),
};

export const nesterovLookahead: ShiftingRule<MomentumHyper> = {
  ...base,
  name: 'nesterov-lookahead',
  initState: initState('nesterov-lookahead'),
  step64(p, g, s, c, h) {
    const [mu, negAlpha, wd] = c, v = s.velocity, decay = h.weight_decay !== 0;
    for (let i = 0; i < p.length; i++) {
      const gi = decay ? g[i] + wd * p[i] : g[i];
      const vo = v[i];
      const vi = mu * vo + negAlpha * gi;
      v[i] = vi;
      p[i] = p[i] - mu * vo + vi;
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optNesterovLookahead(n, p, g, s.velocity, c[0], c[1], c[2], h.weight_decay !== 0 ? WD : 0);
  },
  shift(K, n, p, s, h) {
    if (h.momentum !== 0) K.axpy(n, h.momentum, s.velocity, p);
  },
  shift64(p, s, h) {
    const v = s.velocity;
    for (let i = 0; i < p.length; i++) p[i] = p[i] + h.momentum * v[i];
  },
  check: (h) => check('nesterov-lookahead', h),
};

export function isShifting<H extends object>(rule: Rule<H>): rule is ShiftingRule<H> {
  return typeof (rule as Partial<ShiftingRule<H>>).shift === 'function';
}
