// Newton's method made safe: d solves (H + τI)·d = −g with H = ∇²f(x) (analytic or finite
// differences, derivatives.ts) and the smallest τ ≥ 0 found for which the Cholesky
// factorization succeeds: τ = 0 if it does; else start at max(0, β − min Hᵢᵢ) with β = 10⁻³·
// max(1, max|Hᵢᵢ|) and double until it does (Nocedal & Wright Alg. 3.3, "Cholesky with added
// multiple of the identity"). The shifted matrix is positive definite, so d is a descent
// direction; near a minimizer with positive definite Hessian τ = 0 and the step α = 1 of the
// line search (strong Wolfe, c₂ = 0.9) gives the quadratic convergence of the pure method.

import type { Context } from '../context.js';
import type { DirectionMethod } from './driver.js';

export function newton(ctx: Context): DirectionMethod {
  const { space, n } = ctx;
  const H = space.mat(n, n), A = space.mat(n, n), b = space.vec(n);
  return {
    defaultLineSearch: 'wolfe',
    direction(x, _f, g, d) {
      ctx.obj.hessian(x.data, H.data);
      const h = H.data;
      let minDiag = Infinity, maxDiag = 0;
      for (let i = 0; i < n; i++) { minDiag = Math.min(minDiag, h[i * n + i]); maxDiag = Math.max(maxDiag, Math.abs(h[i * n + i])); }
      const beta = 1e-3 * Math.max(1, maxDiag);
      let tau = 0;
      for (let attempt = 0; attempt < 80; attempt++) {
        A.data.set(h);
        if (tau > 0) space.addDiagonal(A, tau);
        if (space.cholesky(A) < 0) break;
        tau = tau > 0 ? 2 * tau : minDiag > 0 ? beta : beta - minDiag;
        if (attempt === 79) return NaN; // the driver falls back to steepest descent
      }
      space.copy(g, b);
      space.scal(-1, b);
      space.cholSolve(A, b, d);
      return 1;
    },
  };
}

// Newton-CG (truncated Newton, "Hessian-free"): the Newton system H·d = −g is solved
// approximately by linear CG using only Hessian-vector products, stopped when the residual
// falls below η·‖g‖ with η = min(0.5, √‖g‖) (superlinear convergence), or at negative
// curvature pᵀHp ≤ 0 — then the current iterate (or −g on the first CG step) is returned
// (Nocedal & Wright Alg. 7.1). Cost per iteration: up to n Hessian-vector products (each one
// gradient evaluation when they are finite differences).
export function newtonCg(ctx: Context, maxCg?: number): DirectionMethod {
  const { space, n } = ctx;
  const r = space.vec(n), p = space.vec(n), hp = space.vec(n);
  const cap = maxCg ?? Math.max(n, 10);
  return {
    // Moré–Thuente with c₁ = 1e-3, xtol = 0.1 (L-BFGS-B's): 0.97× SciPy's evaluations on the
    // MGH set at its tolerance, 1.03× at descent's defaults (the N&W bracket-and-zoom 1.03×, 1.17×)
    defaultLineSearch: { type: 'more-thuente', c1: 1e-3, c2: 0.9, xtol: 0.1 },
    direction(x, _f, g, d) {
      const gn = space.nrm2(g);
      const eps = Math.min(0.5, Math.sqrt(gn)) * gn;
      space.fill(d, 0);
      space.copy(g, r);
      space.copy(g, p);
      space.scal(-1, p);
      let rr = space.dot(r, r);
      for (let j = 0; j < cap; j++) {
        ctx.obj.hessianVector(x.data, p.data, hp.data);
        const curv = space.dot(p, hp);
        if (!(curv > 0)) {
          if (j === 0) { space.copy(g, d); space.scal(-1, d); }
          break;
        }
        const a = rr / curv;
        space.axpy(a, p, d);
        space.axpy(a, hp, r);
        const rrNew = space.dot(r, r);
        if (Math.sqrt(rrNew) < eps) break;
        space.scal(rrNew / rr, p);
        space.axpy(-1, r, p);
        rr = rrNew;
      }
      return 1;
    },
  };
}
