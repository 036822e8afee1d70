// Steepest descent: d = −∇f(x), with any line search (default strong Wolfe, c₂ = 0.9).
// The first trial step of each search is α_{k−1}·(g_{k−1}ᵀd_{k−1})/(g_kᵀd_k), the step that
// repeats the last first-order change (Nocedal & Wright eq. 3.60). With an exact line search
// consecutive directions are orthogonal: each d_{k+1} = −g_{k+1} ⟂ d_k because φ′(α*) = 0.

import type { Context } from '../context.js';
import { firstStep, type DirectionMethod } from './driver.js';

export function steepestDescent(ctx: Context): DirectionMethod {
  return {
    defaultLineSearch: 'wolfe',
    direction(_x, _f, g, d, last) {
      ctx.space.copy(g, d);
      ctx.space.scal(-1, d);
      const slope = -ctx.space.dot(g, g);
      return Number.isFinite(last.alpha) ? last.alpha * last.slope / slope : firstStep(ctx, g);
    },
  };
}
