// L-BFGS (Nocedal 1980; Liu & Nocedal 1989): BFGS with the inverse Hessian kept implicitly as
// the last m pairs (s_i, y_i); d = −H·g by the two-loop recursion (Nocedal & Wright Alg. 7.4):
//   q = g;  for i = k−1 … k−m:  a_i = ρ_i·s_iᵀq,  q ← q − a_i·y_i
//   r = γ·q,  γ = s_{k−1}ᵀy_{k−1} / y_{k−1}ᵀy_{k−1}   (H₀ = γI, N&W eq. 7.20)
//   for i = k−m … k−1:  b = ρ_i·y_iᵀr,  r ← r + (a_i − b)·s_i;   d = −r
// Pairs with sᵀy ≤ 0 are not stored. 4m + O(1) vector operations per iteration, memory 2m·n.
// Default memory m = 10, line search Moré–Thuente with L-BFGS-B's constants (c₁ = 1e-3,
// c₂ = 0.9, xtol = 0.1), first trial step 1/‖g‖ (at most 1), then α = 1.

import { DescentError, show } from '../../engine/errors.js';
import type { Context } from '../context.js';
import type { Vec } from '../vector-space.js';
import { firstStep, type DirectionMethod } from './driver.js';

export function lbfgs(ctx: Context, memory = 10): DirectionMethod {
  if (!Number.isSafeInteger(memory) || memory < 1) throw new DescentError(`minimize: lbfgs memory must be a positive integer, got ${show(memory)}`);
  const { space, n } = ctx;
  const S: Vec[] = [], Y: Vec[] = [], rho: number[] = [], a: number[] = new Array(memory).fill(0);
  const pool: Vec[][] = Array.from({ length: memory }, () => [space.vec(n), space.vec(n)]);
  let count = 0, head = 0; // ring buffer: the newest pair is at (head − 1) mod memory
  return {
    defaultLineSearch: { type: 'more-thuente', c1: 1e-3, c2: 0.9, xtol: 0.1 },
    direction(_x, _f, g, d) {
      space.copy(g, d);
      if (count === 0) {
        space.scal(-1, d);
        return firstStep(ctx, g);
      }
      for (let j = 0; j < count; j++) {
        const i = (head - 1 - j + memory) % memory;
        a[i] = rho[i] * space.dot(S[i], d);
        space.axpy(-a[i], Y[i], d);
      }
      const newest = (head - 1 + memory) % memory;
      space.scal(1 / (rho[newest] * space.dot(Y[newest], Y[newest])), d);
      for (let j = count - 1; j >= 0; j--) {
        const i = (head - 1 - j + memory) % memory;
        const b = rho[i] * space.dot(Y[i], d);
        space.axpy(a[i] - b, S[i], d);
      }
      space.scal(-1, d);
      return 1;
    },
    update(s, y) {
      const sy = space.dot(s, y);
      if (!(sy > 0)) return;
      const [sv, yv] = pool[head];
      space.copy(s, sv);
      space.copy(y, yv);
      S[head] = sv; Y[head] = yv; rho[head] = 1 / sy;
      head = (head + 1) % memory;
      count = Math.min(count + 1, memory);
    },
    reset() { count = 0; head = 0; },
  };
}
