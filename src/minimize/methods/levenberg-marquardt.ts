// Levenberg–Marquardt for least squares f(x) = Σ rᵢ(x)² = ‖r‖² (Levenberg 1944, Marquardt 1963).
// Two forms (option lm.form):
//   'minpack' (default)  MINPACK's trust-region form with D = diag(‖J_j‖) scaling, the λ solve by
//                        QR, ftol/xtol/gtol tests and an absolute residual test: lm-minpack.ts
//   'damping'            the damped normal equations below, μ updated directly (the default until
//                        issue #16; chosen also when damping, update or initialDamping is given)
// The 'damping' form:
//   solve (JᵀJ + μD)·δ = −Jᵀr by Cholesky;  try x + δ;
//   D = I (Levenberg), or D = diag(JᵀJ) (Marquardt's scaling, invariant to rescaling the
//   parameters; diagonal entries are floored at 1e-12·max(diag, 1e-300)… so D stays positive).
// Damping updates:
//   'lecture'  success (f decreased): accept, μ ← μ/ν;  failure: reject, μ ← μ·ν  (ν = 10)
//   'nielsen'  gain ratio ρ = (f(x) − f(x + δ)) / (L(0) − L(δ)), with the linear model's
//              decrease L(0) − L(δ) = δᵀ(μDδ − Jᵀr) > 0 (for f = ‖r‖² and the step above):
//              ρ > 0: accept, μ ← μ·max(1/3, 1 − (2ρ − 1)³), ν ← 2;  else μ ← μ·ν, ν ← 2ν
//              (Nielsen 1999; Madsen, Nielsen & Tingleff 2004, "Methods for non-linear least
//              squares problems", Alg. 3.16)
// μ₀ = τ·max diag(JᵀJ) (D = I) or τ (D = diag(JᵀJ)), τ = 1e-3. A Cholesky failure (JᵀJ + μD
// singular to working precision) counts as a failed step: μ grows. The gradient reported is
// ∇f = 2Jᵀr. An iteration is one accepted step; rejected trials cost residual evaluations only.
// It stops on a short accepted step, a small value change, or — reason 'damping' — when μ
// passes 1e300 without a decrease: no step decreases f, a minimum to working precision.

import { DescentError, show } from '../../engine/errors.js';
import type { Context } from '../context.js';
import type { Vec } from '../vector-space.js';
import { lmMinpack, type LmMinpackOptions } from './lm-minpack.js';

export interface LmOptions extends LmMinpackOptions {
  /** 'minpack' (default): trust region, QR, MINPACK's tests; 'damping': μ on the normal equations. */
  form?: 'minpack' | 'damping';
  damping?: 'identity' | 'marquardt';
  update?: 'nielsen' | 'lecture';
  /** τ in μ₀ (default 1e-3). */
  initialDamping?: number;
}

export function levenbergMarquardt(ctx: Context, x: Vec, o: LmOptions = {}): { f: number; g: Vec } {
  const obj = ctx.obj;
  if (!obj.residuals || !obj.jacobian || !obj.m) throw new DescentError("minimize: method 'lm' needs a least-squares objective (m, residuals(x, r); the Jacobian may be finite differences)");
  const dampingKeys = (['damping', 'update', 'initialDamping'] as const).filter((k) => o[k] !== undefined);
  const minpackKeys = (['ftol', 'xtol', 'gtol', 'residualTolerance', 'factor', 'scaling', 'geodesic', 'geodesicAlpha'] as const).filter((k) => o[k] !== undefined);
  const form = o.form ?? (dampingKeys.length > 0 ? 'damping' : 'minpack');
  if (form !== 'minpack' && form !== 'damping') throw new DescentError(`minimize: lm form must be 'minpack' or 'damping', got ${show(form)}`);
  if (form === 'minpack' && dampingKeys.length > 0) throw new DescentError(`minimize: lm ${dampingKeys.join(', ')} belong to form 'damping', not 'minpack'`);
  if (form === 'damping' && minpackKeys.length > 0) throw new DescentError(`minimize: lm ${minpackKeys.join(', ')} belong to form 'minpack', not 'damping'`);
  if (form === 'minpack') return lmMinpack(ctx, x, o);
  const damping = o.damping ?? 'marquardt', rule = o.update ?? 'nielsen';
  if (damping !== 'identity' && damping !== 'marquardt') throw new DescentError(`minimize: lm damping must be 'identity' or 'marquardt', got ${show(damping)}`);
  if (rule !== 'nielsen' && rule !== 'lecture') throw new DescentError(`minimize: lm update must be 'nielsen' or 'lecture', got ${show(rule)}`);
  const tau = o.initialDamping ?? 1e-3;
  if (!(tau > 0 && Number.isFinite(tau))) throw new DescentError(`minimize: lm initialDamping must be a positive number, got ${show(o.initialDamping)}`);
  const { space, n } = ctx;
  const m = obj.m;
  const r = space.vec(m), rn = space.vec(m), J = space.mat(m, n), A = space.mat(n, n), B = space.mat(n, n);
  const jtr = space.vec(n), g = space.vec(n), delta = space.vec(n), xn = space.vec(n), D = space.vec(n);
  const linearize = () => {
    obj.jacobian!(x.data, J.data);
    space.gram(J, A);
    space.gemv(true, 1, J, r, 0, jtr);
    space.copy(jtr, g);
    space.scal(2, g);
    if (damping === 'marquardt') {
      const a = A.data, dv = D.data;
      let maxd = 0;
      for (let i = 0; i < n; i++) maxd = Math.max(maxd, a[i * n + i]);
      // Marquardt's D grows monotonically (MINPACK's choice): a parameter that once had
      // curvature keeps its scale when its column of J happens to shrink
      for (let i = 0; i < n; i++) dv[i] = Math.max(dv[i], a[i * n + i], 1e-12 * maxd, 1e-300);
    }
  };
  obj.residuals(x.data, r.data);
  let f = space.dot(r, r);
  if (!Number.isFinite(f)) {
    ctx.stop('not-finite', `the residuals at the start are not finite (f = ${f})`);
    return { f, g };
  }
  if (damping === 'identity') space.fill(D, 1);
  linearize();
  const ad = A.data;
  let mu = damping === 'identity' ? tau * Math.max(...Array.from({ length: n }, (_, i) => ad[i * n + i]), 1e-300) : tau;
  let nu = rule === 'nielsen' ? 2 : 10;
  if (ctx.record(x, f, g, 0, f)) return { f, g };
  for (;;) {
    // one accepted step (or a stop)
    let accepted = false;
    let stepNorm = 0, fPrev = f;
    while (!accepted) {
      const bd = B.data, dd = D.data;
      bd.set(A.data);
      for (let i = 0; i < n; i++) bd[i * n + i] += mu * dd[i];
      if (space.cholesky(B) >= 0) {
        mu *= nu;
        if (rule === 'nielsen') nu *= 2;
        if (!Number.isFinite(mu) || mu > 1e300) { ctx.stop('damping', 'the damping μ grew without bound: no decrease possible (at a minimum to working precision?)'); return { f, g }; }
        continue;
      }
      space.copy(jtr, delta);
      space.scal(-1, delta);
      space.cholSolve(B, delta, delta);
      // (no step test here: a short δ may only mean a large μ; the test applies to accepted steps)
      stepNorm = space.nrm2(delta);
      space.copy(x, xn);
      space.axpy(1, delta, xn);
      obj.residuals(xn.data, rn.data);
      const fn = space.dot(rn, rn);
      // predicted decrease δᵀ(μDδ − Jᵀr)
      let pred = 0;
      const dl = delta.data, dv = D.data, jv = jtr.data;
      for (let i = 0; i < n; i++) pred += dl[i] * (mu * dv[i] * dl[i] - jv[i]);
      const rho = Number.isFinite(fn) ? (f - fn) / pred : -Infinity;
      if (rule === 'nielsen' ? rho > 0 : Number.isFinite(fn) && fn < f) {
        accepted = true;
        space.copy(xn, x);
        space.copy(rn, r);
        fPrev = f;
        f = fn;
        linearize();
        if (rule === 'nielsen') { mu *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3); nu = 2; } else mu /= nu;
      } else {
        mu *= nu;
        if (rule === 'nielsen') nu *= 2;
        if (!Number.isFinite(mu) || mu > 1e300) { ctx.stop('damping', 'the damping μ grew without bound: no decrease possible (at a minimum to working precision?)'); return { f, g }; }
        if (ctx.evaluations >= ctx.maxEval) { ctx.stop('max-evaluations', `reached maxEvaluations = ${ctx.maxEval}`); return { f, g }; }
      }
    }
    ctx.iteration++;
    if (ctx.record(x, f, g, stepNorm, fPrev)) return { f, g };
  }
}
