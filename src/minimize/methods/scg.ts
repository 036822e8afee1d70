// Møller's scaled conjugate gradient (Møller 1993, "A scaled conjugate gradient algorithm for
// fast supervised learning", Neural Networks 6:525–533): conjugate directions without a line
// search. The curvature along p comes from one extra gradient, s = (∇f(x + σp) − ∇f(x))/σ with
// σ = σ₀/‖p‖, and a Levenberg–Marquardt-like scale λ keeps it positive:
//   δ = pᵀs + λ‖p‖²;  if δ ≤ 0: λ̄ = 2(λ − δ/‖p‖²), δ = −δ + λ‖p‖², λ = λ̄
//   μ = pᵀr (r = −g),  α = μ/δ,  Δ = 2δ(f(x) − f(x + αp))/μ²   (comparison of model and reality)
//   Δ ≥ 0: accept x ← x + αp; r ← −∇f; restart (p = r) every n steps, else
//          β = (‖r_new‖² − r_newᵀr)/μ, p ← r_new + βp;  Δ ≥ 0.75: λ ← λ/4
//   Δ < 0: keep x (λ̄ = λ, the next iteration reuses s)
//   Δ < 0.25: λ ← λ + δ(1 − Δ)/‖p‖²
// Defaults σ₀ = 1e-4, λ₁ = 1e-6 (the paper's). Each iteration costs two gradients and one value.

import type { Context } from '../context.js';
import type { Vec } from '../vector-space.js';

export function scg(ctx: Context, x: Vec, f: number, g: Vec): number {
  const { space, n } = ctx;
  const r = space.vec(n), p = space.vec(n), s = space.vec(n), xs = space.vec(n), gs = space.vec(n), xn = space.vec(n), gn = space.vec(n);
  const sigma0 = 1e-4;
  let lambda = 1e-6, lambdaBar = 0, success = true, sinceRestart = 0;
  let delta = 0;
  space.copy(g, r); space.scal(-1, r);
  space.copy(r, p);
  if (ctx.record(x, f, g, 0, f)) return f;
  for (;;) {
    ctx.iteration++;
    const pp = space.dot(p, p);
    if (success) {
      const sigma = sigma0 / Math.sqrt(pp);
      space.copy(x, xs); space.axpy(sigma, p, xs);
      ctx.valueAndGradient(xs, gs);
      space.copy(gs, s); space.axpy(-1, g, s); space.scal(1 / sigma, s);
      delta = space.dot(p, s);
    }
    delta += (lambda - lambdaBar) * pp;
    if (delta <= 0) {
      lambdaBar = 2 * (lambda - delta / pp);
      delta = -delta + lambda * pp;
      lambda = lambdaBar;
    }
    const mu = space.dot(p, r);
    const alpha = mu / delta;
    space.copy(x, xn); space.axpy(alpha, p, xn);
    const fn = ctx.valueAndGradient(xn, gn);
    const Delta = Number.isFinite(fn) ? (2 * delta * (f - fn)) / (mu * mu) : -Infinity;
    let stepNorm = NaN; // a rejected step: no move (NaN keeps the step test from firing)
    const fPrev = f;
    if (Delta >= 0) {
      stepNorm = Math.abs(alpha) * Math.sqrt(pp);
      space.copy(xn, x);
      space.copy(gn, g);
      f = fn;
      const rNewDotROld = -space.dot(g, r);
      space.copy(g, s); // reuse s as scratch for r_new
      space.scal(-1, s);
      const rr = space.dot(s, s);
      lambdaBar = 0;
      success = true;
      sinceRestart++;
      if (sinceRestart >= n) {
        space.copy(s, p);
        sinceRestart = 0;
      } else {
        const beta = (rr - rNewDotROld) / mu;
        space.scal(beta, p);
        space.axpy(1, s, p);
      }
      space.copy(s, r);
      if (Delta >= 0.75) lambda /= 4;
    } else {
      lambdaBar = lambda;
      success = false;
    }
    if (Delta < 0.25) lambda += (delta * (1 - Delta)) / pp;
    if (!Number.isFinite(lambda) || lambda > 1e300) {
      ctx.stop('line-search', 'the scale λ grew without bound: no decrease along the conjugate direction');
      return f;
    }
    if (ctx.record(x, f, g, stepNorm, success ? fPrev : NaN)) return f;
  }
}
