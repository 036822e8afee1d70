// The loop shared by the line-search methods (steepest descent, nonlinear CG, Newton,
// Newton-CG, BFGS, L-BFGS): each iteration asks the method for a direction d and a first trial
// step α₀, searches along d, then tells the method the step s = x_{k+1} − x_k and the gradient
// change y = g_{k+1} − g_k. A direction that is not a descent direction (gᵀd ≥ 0), or a search
// that finds no decrease along the method's own direction, falls back once to steepest descent
// (d = −g) after resetting the method's memory; if that fails too the run stops with reason
// 'precision' (converged) when the relative gradient says x is a minimum to working precision,
// else 'line-search'. A search that decreased f without meeting its conditions (Moré–Thuente's
// interval or rounding limits) is taken, and the method restarts; if it decreased f only by
// rounding the run stops the same way. A method may opt in (stopBelowRounding: BFGS, L-BFGS)
// to stop the same way before a search whose first trial's first-order decrease α₀·|gᵀd| is
// within rounding of f, when the relative gradient already says 'precision'.

import type { Context } from '../context.js';
import type { LineSearchSpec } from '../line-search.js';
import type { Vec } from '../vector-space.js';

export interface LastStep {
  /** The previous iteration's step length α and initial slope g_kᵀd_k (NaN on the first). */
  alpha: number;
  slope: number;
  /** f at the start of the previous iteration (NaN on the first). */
  fPrev: number;
}

export interface DirectionMethod {
  readonly defaultLineSearch: LineSearchSpec;
  /** Write the search direction into d and return the first trial step α₀. */
  direction(x: Vec, f: number, g: Vec, d: Vec, last: LastStep): number;
  /** After a step: s = x_{k+1} − x_k, y = g_{k+1} − g_k, g = g_{k+1}. */
  update?(s: Vec, y: Vec, g: Vec): void;
  /** Forget accumulated curvature / conjugacy (called before a steepest-descent fallback). */
  reset?(): void;
  /**
   * Opt in to stopping before a search whose first trial cannot show a decrease above rounding:
   * when α₀·|gᵀd| ≤ 8ε·|f| (the whole first-order decrease to the first trial is within a few
   * ulps of f, so no comparison of values along d can confirm one) and the relative gradient
   * is at most ε^⅓, the run stops with reason 'precision' (converged) instead of spending a
   * search on rounding noise (BFGS and L-BFGS: Brown–Dennis spent 18 evaluations so).
   */
  readonly stopBelowRounding?: boolean;
}

/** The first trial step of a steepest-descent direction: a unit-length move, at most α = 1. */
export function firstStep(ctx: Context, g: Vec): number {
  const gn = ctx.space.nrm2(g);
  return gn > 0 ? Math.min(1, 1 / gn) : 1;
}

/**
 * The first iteration's trial step along d = −g: 2·f₀/‖g₀‖², where the quadratic through f₀
 * with slope −‖g₀‖² has its minimum, when that minimum is 0 — a decrease to f = 0, the lower
 * bound of least-squares and loss objectives — at most 1, as SciPy caps every α₀ (uncapped,
 * a network's first trial was ≈ 50: digits 64-16(layer norm)-10 had loss 2.41 after the first
 * iteration against 2.22 with 1/‖g₀‖; on the MGH set the cap changes the totals at the defaults
 * by 1 evaluation for BFGS and 3 for L-BFGS).
 * NaN when f₀ ≤ 0 or not finite (no such bound known): the caller uses its own rule then.
 */
export function zeroModelStep(ctx: Context, f: number, g: Vec): number {
  const a = 2 * f / ctx.space.dot(g, g);
  return f > 0 && Number.isFinite(a) && a > 0 ? Math.min(1, a) : NaN;
}

/**
 * No decrease within rounding along a descent direction: a minimum to working precision when
 * the relative gradient max_i |g_i|·max(|x_i|, 1)/max(|f|, 1) is at most ε^⅓ (Dennis & Schnabel's
 * test, Numerical Methods for Unconstrained Optimization, §7.2) — reason 'precision',
 * converged — else the line search failed (reason 'line-search').
 */
export function stopAtPrecision(ctx: Context, x: Vec, f: number, g: Vec, why: string): void {
  const rel = relativeGradient(x, f, g);
  if (rel <= Math.cbrt(Number.EPSILON)) ctx.stop('precision', `no decrease is possible within rounding and the relative gradient is ${rel.toExponential(3)} (≤ ε^⅓): a minimum to working precision; ${why}`);
  else ctx.stop('line-search', why);
}

/** Dennis & Schnabel's relative gradient max_i |g_i|·max(|x_i|, 1)/max(|f|, 1). */
function relativeGradient(x: Vec, f: number, g: Vec): number {
  let rel = 0;
  const xd = x.data, gd = g.data, scale = Math.max(Math.abs(f), 1);
  for (let i = 0; i < xd.length; i++) rel = Math.max(rel, Math.abs(gd[i]) * Math.max(Math.abs(xd[i]), 1) / scale);
  return rel;
}

export function runDirectionMethod(ctx: Context, m: DirectionMethod, x: Vec, f: number, g: Vec): number {
  const { space, n } = ctx;
  const d = space.vec(n), xOld = space.vec(n), gOld = space.vec(n), s = space.vec(n), y = space.vec(n);
  const last: LastStep = { alpha: NaN, slope: NaN, fPrev: NaN };
  if (ctx.record(x, f, g, 0, f)) return f;
  for (;;) {
    ctx.iteration++;
    let alpha0 = m.direction(x, f, g, d, last);
    let slope = space.dot(g, d);
    let fallback = false;
    const steepest = () => {
      m.reset?.();
      space.copy(g, d);
      space.scal(-1, d);
      slope = space.dot(g, d);
      alpha0 = firstStep(ctx, g);
      fallback = true;
    };
    if (!(slope < 0) || !Number.isFinite(alpha0) || !(alpha0 > 0)) steepest();
    if (m.stopBelowRounding && alpha0 * -slope <= 8 * Number.EPSILON * Math.abs(f) && relativeGradient(x, f, g) <= Math.cbrt(Number.EPSILON)) {
      ctx.iteration--;
      stopAtPrecision(ctx, x, f, g, `the first trial step's first-order decrease α₀·|gᵀd| = ${(alpha0 * -slope).toExponential(3)} is within rounding of f`);
      return f;
    }
    space.copy(x, xOld);
    space.copy(g, gOld);
    let r = ctx.search(x, f, g, d, alpha0);
    if (!(r.alpha > 0 && Number.isFinite(r.f) && r.f <= f) && !fallback) {
      steepest();
      r = ctx.search(x, f, g, d, alpha0);
    }
    if (!(r.alpha > 0 && Number.isFinite(r.f) && r.f <= f)) {
      ctx.iteration--;
      stopAtPrecision(ctx, x, f, g, `the line search found no decrease along a descent direction (${r.reason ?? 'no acceptable step'})`);
      return f;
    }
    last.alpha = r.alpha;
    last.slope = slope;
    last.fPrev = f;
    space.copy(x, s);
    space.axpy(-1, xOld, s);
    space.copy(g, y);
    space.axpy(-1, gOld, y);
    m.update?.(s, y, g);
    const fPrev = f;
    f = r.f;
    // a search that decreased f without meeting its conditions (Moré–Thuente's warnings: the
    // interval or rounding limit) says the direction is poor: the method restarts from −g, and
    // a tiny step there is no reason to stop yet
    const poor = !r.ok && !fallback;
    if (poor) m.reset?.();
    if (ctx.record(x, f, g, space.nrm2(s), fPrev, r.alpha, poor)) return f;
    if (!r.ok && fPrev - f <= 8 * Number.EPSILON * Math.abs(fPrev)) {
      stopAtPrecision(ctx, x, f, g, `the line search decreased f only by rounding (${r.reason})`);
      return f;
    }
  }
}
