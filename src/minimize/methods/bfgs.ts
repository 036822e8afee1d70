// BFGS with the inverse-Hessian update (Broyden, Fletcher, Goldfarb, Shanno 1970):
//   d = −H·g;  after the step, with s = x_{k+1} − x_k, y = g_{k+1} − g_k, ρ = 1/(yᵀs):
//   H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ          (Nocedal & Wright eq. 6.17)
// H₀ = I for the first step, then rescaled to (sᵀy/yᵀy)·I before the first update (N&W eq.
// 6.20). The update is skipped when sᵀy ≤ 0 (it would destroy positive definiteness; a strong
// Wolfe search with c₂ < 1 guarantees sᵀy > 0 when it succeeds). Default line search strong
// Wolfe (c₂ = 0.9), first trial step α = 1 (after the first iteration).

import type { Context } from '../context.js';
import { firstStep, type DirectionMethod } from './driver.js';

export function bfgs(ctx: Context): DirectionMethod {
  const { space, n } = ctx;
  const H = space.mat(n, n), work = space.vec(n);
  let updates = 0;
  const identity = () => { H.data.fill(0); space.addDiagonal(H, 1); updates = 0; };
  identity();
  return {
    defaultLineSearch: 'wolfe',
    direction(_x, _f, g, d) {
      space.gemv(false, -1, H, g, 0, d);
      return updates === 0 ? firstStep(ctx, g) : 1;
    },
    update(s, y) {
      const sy = space.dot(s, y);
      if (!(sy > 0)) return;
      if (updates === 0) {
        H.data.fill(0);
        space.addDiagonal(H, sy / space.dot(y, y));
      }
      space.bfgsInverseUpdate(H, s, y, work);
      updates++;
    },
    reset: identity,
  };
}
