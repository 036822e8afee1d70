// Delta-bar-delta (Jacobs 1988, "Increased rates of convergence through learning rate
// adaptation", Neural Networks 1:295–307) as a Rule (src/optim/rules.ts): fused wasm kernel
// assembly/optim/delta-bar-delta.ts (optDeltaBarDelta) and an f64 reference.
//
// Every parameter has its own learning rate ε(t). With δ(t) = ∂E(t)/∂w(t) and δ̄ the
// exponential average of past derivatives:
//   δ̄(t)   = (1 − θ)·δ(t) + θ·δ̄(t−1)
//   Δε(t)  = κ        if δ̄(t−1)·δ(t) > 0     (the slope kept its sign: additive increase)
//          = −φ·ε(t)  if δ̄(t−1)·δ(t) < 0     (it flipped: multiplicative decrease)
//          = 0        otherwise
//   w ← w − ε·δ(t), with ε = ε(t) + Δε(t), the rate just adapted.
// Per element, in this order: δ = g + wd·p; s = δ̄·δ; ε ← s > 0 ? ε + κ : s < 0 ? ε·(1 − φ) : ε;
// δ̄ ← (1 − θ)·δ + θ·δ̄; u = ε·δ; p ← p − u. δ̄ starts at 0, so the first step is plain gradient
// descent with ε = lr. No bound on ε: κ ≥ 0 and 0 ≤ φ < 1 keep it ≥ 0.
//
// Momentum (optional, off by default): Δw ← μ·Δw − u; p ← p + Δw (state prev_update). Jacobs'
// simulations also ran the rule with momentum; the form here is the classical heavy ball of
// Rumelhart, Hinton & Williams (1986), Δw(t) = −ε·δ(t) + μ·Δw(t−1), with ε per parameter. It
// has not been checked against the paper's own equation.
//
// Defaults. lr = 0.01 (ε at the start); θ = 0.7, the value usually quoted with the rule;
// φ = 0.1; κ = 1e-3 = φ·lr, so that while the signs of δ̄·δ are a coin toss (noise-dominated
// gradients) the expected change (κ − φ·ε)/2 vanishes at ε = lr and ε hovers near its start.
// Jacobs tuned κ, φ, θ per task; these are descent's choice, not the paper's. Scale κ with lr.
// weight_decay: coupled (δ ← g + wd·p, used for the adaptation and the step), 0 by default.
//
// State: learning_rate (ε, starts at lr), delta_bar (δ̄, starts at 0), prev_update (Δw, with
// momentum only). Coefficients [κ, 1 − φ, θ, 1 − θ, μ, wd].

import { DescentError, show } from '../engine/errors.js';
import type { Rule } from './rules.js';

export interface DeltaBarDeltaHyper { lr: number; kappa: number; phi: number; theta: number; momentum: number; weight_decay: number }

const NAME = 'delta-bar-delta';
const WD = 1, MOMENTUM = 4;
const STATE = ['learning_rate', 'delta_bar', 'prev_update'] as const;
const flagsOf = (h: DeltaBarDeltaHyper): number => (h.weight_decay !== 0 ? WD : 0) | (h.momentum !== 0 ? MOMENTUM : 0);

function fail(msg: string): never {
  throw new DescentError(`${NAME}: ${msg}`);
}

export const deltaBarDelta: Rule<DeltaBarDeltaHyper> = {
  name: NAME,
  defaults: { lr: 0.01, kappa: 1e-3, phi: 0.1, theta: 0.7, momentum: 0, weight_decay: 0 },
  stateNames: STATE,
  uses: (s, h) => s === 'learning_rate' || s === 'delta_bar' || (s === 'prev_update' && h.momentum !== 0),
  initState(s, h) {
    if (!(STATE as readonly string[]).includes(s)) fail(`unknown state buffer ${JSON.stringify(s)}; known: ${STATE.join(', ')}`);
    return s === 'learning_rate' ? h.lr : 0;
  },
  initScalars: () => ({}),
  coefficients: (_t, h) => [h.kappa, 1 - h.phi, h.theta, 1 - h.theta, h.momentum, h.weight_decay],
  step64(p, g, s, c, h) {
    const [kappa, keep, theta, c1, mu, wd] = c;
    const f = flagsOf(h), lr = s.learning_rate, bar = s.delta_bar, upd = s.prev_update;
    for (let i = 0; i < p.length; i++) {
      const d = f & WD ? g[i] + wd * p[i] : g[i];
      const b = bar[i];
      const si = b * d;
      let e = lr[i];
      if (si > 0) e = e + kappa;
      else if (si < 0) e = e * keep;
      lr[i] = e;
      bar[i] = b * theta + c1 * d;
      const u = e * d;
      if (f & MOMENTUM) {
        const dw = upd[i] * mu - u;
        upd[i] = dw;
        p[i] = p[i] + dw;
      } else {
        p[i] = p[i] - u;
      }
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optDeltaBarDelta(n, p, g, s.learning_rate, s.delta_bar, s.prev_update ?? 0, c[0], c[1], c[2], c[3], c[4], c[5], flagsOf(h));
  },
  check(h) {
    const num = (k: keyof DeltaBarDeltaHyper): number => {
      const x = h[k];
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${k} must be a finite number, got ${show(x)}`);
      return x;
    };
    if (!(num('lr') > 0)) fail(`lr must be > 0, got ${h.lr}`);
    if (!(num('kappa') >= 0)) fail(`kappa must be ≥ 0, got ${h.kappa}`);
    for (const k of ['phi', 'theta', 'momentum'] as const) {
      const x = num(k);
      if (!(x >= 0 && x < 1)) fail(`${k} must be in [0, 1), got ${x}`);
    }
    if (!(num('weight_decay') >= 0)) fail(`weight_decay must be ≥ 0, got ${h.weight_decay}`);
  },
};
