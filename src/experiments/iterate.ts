// Iterating an update rule on a float64 objective: the rules' f64 references (step64, and
// shift64 for look-ahead Nesterov, which takes its gradient at θ + μv), the same arithmetic as
// the fused wasm kernels in double precision, one iterate per step.

import type { Rule } from '../optim/rules.js';
import { isShifting } from '../optim/momentum.js';

export interface SmoothFunction {
  n: number;
  valueAndGradient(x: Float64Array, g: Float64Array): number;
}

export interface Iterates {
  /** x_0 … x_steps, each a copy. */
  x: Float64Array[];
  /** f(x_k). */
  f: number[];
}

/** `steps` updates of `rule` from x0; stops early when f(x_k) ≤ stopAt. */
export function iterate<H extends object>(rule: Rule<H>, hyper: H, fn: SmoothFunction, x0: ArrayLike<number>, steps: number, stopAt = -Infinity): Iterates {
  const p = Float64Array.from(x0), g = new Float64Array(fn.n), probe = new Float64Array(fn.n);
  const state: Record<string, Float64Array> = {};
  for (const s of rule.stateNames) if (rule.uses(s, hyper)) state[s] = new Float64Array(fn.n).fill(rule.initState(s, hyper));
  const scalars = rule.initScalars(hyper);
  const out: Iterates = { x: [p.slice()], f: [fn.valueAndGradient(p, g)] };
  for (let k = 1; k <= steps && out.f[out.f.length - 1] > stopAt; k++) {
    // look-ahead rules take the gradient at θ + μv: p moves there and the step moves it back
    if (isShifting(rule)) rule.shift64(p, state, hyper);
    const f = fn.valueAndGradient(p, g);
    rule.step64(p, g, state, rule.coefficients(k, hyper, scalars, { loss: f }), hyper);
    out.x.push(p.slice());
    out.f.push(fn.valueAndGradient(p, probe));
  }
  return out;
}
