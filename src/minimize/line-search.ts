// Line searches: choose a step α > 0 along a descent direction d from x, working on
//   φ(α) = f(x + α·d),   φ′(α) = ∇f(x + α·d)ᵀd,   with φ′(0) < 0.
//
// backtracking Armijo   the first α = α₀, ρα₀, … (safeguarded quadratic interpolation between)
//                       with sufficient decrease φ(α) ≤ φ(0) + c₁·α·φ′(0). Values only.
//                       (Nocedal & Wright, Numerical Optimization 2nd ed., Alg. 3.1 and §3.5.)
// strong Wolfe          sufficient decrease and |φ′(α)| ≤ c₂·|φ′(0)|: bracketing with growing
//                       trial steps (cubic extrapolation, 1.1–4× the last increment), then
//                       "zoom" by cubic interpolation (quadratic when the cubic has no
//                       minimizer), each trial clamped to the bracket's inner 80%
//                       (N&W Alg. 3.5 and 3.6, eq. 3.59; the bounds as Moré & Thuente 1994).
//                       c₂ = 0.9 for quasi-Newton, 0.1 for CG. On a quadratic both
//                       interpolants are exact: the minimizer is the second or third trial.
// more-thuente          strong Wolfe by Moré & Thuente's algorithm (MINPACK-2 dcsrch), the default
//                       of BFGS, L-BFGS, CG and Newton-CG (below)
// hager-zhang           Wolfe or approximate Wolfe by CG_DESCENT's search (below)
// exact                 the minimizer of φ: on a quadratic f = ½xᵀAx − bᵀx in closed form,
//                       α* = −φ′(0)/(dᵀA d) (one Hessian-vector product); otherwise a bracket
//                       [a, b, c] with φ(b) < φ(a), φ(c) found by golden-ratio expansion, then
//                       Brent's method (parabolic steps with golden-section fallback; Brent,
//                       Algorithms for Minimization without Derivatives, 1973, ch. 5) to a
//                       relative tolerance on α.
// A non-finite φ(α) (overflow, NaN from the objective) is treated as "far too long": the step
// shrinks. If no acceptable step is found within the evaluation budget the search reports
// ok = false with the reason and the best point it saw; it never throws for that.

import { DescentError, show } from '../engine/errors.js';

/** What a line search needs: φ and φ′ at any α (the caller caches the last gradient). */
export interface LineFunction {
  /** φ(0) and φ′(0) (< 0). */
  readonly f0: number;
  readonly dphi0: number;
  value(alpha: number): number;
  valueAndSlope(alpha: number): { f: number; dphi: number };
  /** dᵀ∇²f d, for the closed-form exact step on quadratics (optional). */
  curvature?(): number;
}

export interface LineSearchResult {
  alpha: number;
  f: number;
  /** φ′(alpha) when it was computed at that α, else NaN. */
  dphi: number;
  ok: boolean;
  reason?: string;
  evaluations: number;
}

export interface ArmijoOptions { c1?: number; shrink?: number; alpha0?: number; maxEvaluations?: number }
export interface WolfeOptions { c1?: number; c2?: number; alpha0?: number; alphaMax?: number; maxEvaluations?: number }
export interface ExactOptions { tolerance?: number; alpha0?: number; maxEvaluations?: number; quadratic?: boolean }

export type LineSearchSpec =
  | 'armijo' | 'wolfe' | 'more-thuente' | 'hager-zhang' | 'exact'
  | ({ type: 'armijo' } & ArmijoOptions)
  | ({ type: 'more-thuente' } & MoreThuenteOptions)
  | ({ type: 'hager-zhang' } & HagerZhangOptions)
  | ({ type: 'wolfe' } & WolfeOptions)
  | ({ type: 'exact' } & ExactOptions);

function positive(name: string, v: number, lo = 0, hi = Infinity, openHi = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > lo) || v > hi || (openHi && v === hi)) {
    throw new DescentError(`line search: ${name} must be in (${lo}, ${hi}${openHi ? ')' : ']'}, got ${show(v)}`);
  }
  return v;
}

/** Backtracking from alpha0 until the Armijo condition holds. */
export function armijo(phi: LineFunction, opts: ArmijoOptions = {}): LineSearchResult {
  const c1 = positive('c1', opts.c1 ?? 1e-4, 0, 1, true);
  const shrink = positive('shrink', opts.shrink ?? 0.5, 0, 1, true);
  const maxEval = opts.maxEvaluations ?? 60;
  let alpha = positive('alpha0', opts.alpha0 ?? 1);
  const { f0, dphi0 } = phi;
  let best = { alpha: 0, f: f0 };
  for (let k = 1; k <= maxEval; k++) {
    const f = phi.value(alpha);
    if (Number.isFinite(f) && f < best.f) best = { alpha, f };
    if (Number.isFinite(f) && f <= f0 + c1 * alpha * dphi0) return { alpha, f, dphi: NaN, ok: true, evaluations: k };
    // minimizer of the quadratic through φ(0), φ′(0), φ(α), kept within [α/10, shrink·α]
    let next = shrink * alpha;
    if (Number.isFinite(f)) {
      const q = (-dphi0 * alpha * alpha) / (2 * (f - f0 - dphi0 * alpha));
      if (Number.isFinite(q)) next = Math.min(shrink * alpha, Math.max(0.1 * alpha, q));
    }
    alpha = next;
    if (alpha < 1e-20) break;
  }
  return { alpha: best.alpha, f: best.f, dphi: NaN, ok: false, reason: 'no step satisfied the sufficient-decrease condition', evaluations: maxEval };
}

/** Minimizer of the cubic through (a, fa, da), (b, fb, db), or NaN (N&W eq. 3.59). */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - 3 * (fa - fb) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - (b - a) * ((db + d2 - d1) / (db - da + 2 * d2));
}

/** Minimizer of the quadratic with value fa and slope da at a and value fb at b, or NaN. */
function quadraticMin(a: number, fa: number, da: number, b: number, fb: number): number {
  const w = b - a;
  const curv = fb - fa - da * w; // ½·φ''·w²
  return curv > 0 ? a - (da * w * w) / (2 * curv) : NaN;
}

/** Strong Wolfe line search (bracket, then zoom). */
export function wolfe(phi: LineFunction, opts: WolfeOptions = {}): LineSearchResult {
  const c1 = positive('c1', opts.c1 ?? 1e-4, 0, 1, true);
  const c2 = positive('c2', opts.c2 ?? 0.9, c1, 1, true);
  const alphaMax = positive('alphaMax', opts.alphaMax ?? 1e10);
  const maxEval = opts.maxEvaluations ?? 40;
  const { f0, dphi0 } = phi;
  let evals = 0;
  let prev = { a: 0, f: f0, d: dphi0 };
  let alpha = Math.min(positive('alpha0', opts.alpha0 ?? 1), alphaMax);
  let best = { alpha: 0, f: f0, dphi: dphi0 };
  const note = (a: number, f: number, d: number) => { if (Number.isFinite(f) && f < best.f) best = { alpha: a, f, dphi: d }; };

  const zoom = (lo: { a: number; f: number; d: number }, hi: { a: number; f: number; d: number }): LineSearchResult => {
    for (;;) {
      if (evals >= maxEval) return fail('the zoom phase ran out of evaluations');
      const width = Math.abs(hi.a - lo.a);
      if (width <= 1e-14 * Math.max(1, Math.abs(lo.a))) return fail('the bracket shrank to nothing (rounding limits the search)');
      // the cubic through both ends (their values and slopes), else the quadratic through lo's
      // value and slope and hi's value, else (hi not finite) bisection
      let a = NaN;
      if (Number.isFinite(hi.f)) {
        if (Number.isFinite(hi.d)) a = cubicMin(lo.a, lo.f, lo.d, hi.a, hi.f, hi.d);
        if (!Number.isFinite(a)) a = quadraticMin(lo.a, lo.f, lo.d, hi.a, hi.f);
      }
      const left = Math.min(lo.a, hi.a), right = Math.max(lo.a, hi.a);
      // safeguard: inside the bracket, at least a tenth of its width from either end (a trial
      // the interpolant puts nearer an end moves to that distance: the bracket then shrinks by
      // up to 10× per evaluation, where falling back to the midpoint shrank it by 2×)
      a = Number.isFinite(a) ? Math.min(Math.max(a, left + 0.1 * width), right - 0.1 * width) : 0.5 * (lo.a + hi.a);
      const { f, dphi } = phi.valueAndSlope(a);
      evals++;
      note(a, f, dphi);
      if (!Number.isFinite(f) || f > f0 + c1 * a * dphi0 || f >= lo.f) {
        hi = { a, f, d: dphi };
      } else {
        if (Math.abs(dphi) <= -c2 * dphi0) return { alpha: a, f, dphi, ok: true, evaluations: evals };
        if (dphi * (hi.a - lo.a) >= 0) hi = lo;
        lo = { a, f, d: dphi };
      }
    }
  };
  const fail = (reason: string): LineSearchResult =>
    ({ alpha: best.alpha, f: best.f, dphi: best.alpha === 0 ? dphi0 : best.dphi, ok: false, reason, evaluations: evals });

  for (let i = 1; ; i++) {
    if (evals >= maxEval) return fail('no acceptable step within the evaluation budget');
    const { f, dphi } = phi.valueAndSlope(alpha);
    evals++;
    note(alpha, f, dphi);
    const cur = { a: alpha, f, d: dphi };
    if (!Number.isFinite(f) || f > f0 + c1 * alpha * dphi0 || (i > 1 && f >= prev.f)) return zoom(prev, cur);
    if (Math.abs(dphi) <= -c2 * dphi0) return { alpha, f, dphi, ok: true, evaluations: evals };
    if (dphi >= 0) return zoom(cur, prev);
    if (alpha >= alphaMax) return fail(`the step reached alphaMax = ${alphaMax} without satisfying the curvature condition`);
    // still descending steeply: extrapolate to the minimizer of the cubic through the last two
    // trials, kept within [1.1, 4] times the last increment beyond α (as Moré and Thuente
    // bound their extrapolations); with no minimizer ahead, the largest of those steps
    const inc = alpha - prev.a;
    const ext = cubicMin(prev.a, prev.f, prev.d, alpha, f, dphi);
    const next = Number.isFinite(ext) && ext > alpha ? Math.min(Math.max(ext, alpha + 1.1 * inc), alpha + 4 * inc) : alpha + 4 * inc;
    prev = cur;
    alpha = Math.min(next, alphaMax);
  }
}

// ───────────────────────── Moré–Thuente ─────────────────────────
//
// The search of Moré & Thuente, "Line search algorithms with guaranteed sufficient decrease"
// (ACM TOMS 20(3), 1994) — MINPACK-2's dcsrch/dcstep, written here from the paper. It keeps an
// interval of uncertainty [stx, sty] (stx: the best step so far, the end with the lower value
// that a step from it satisfies sufficient decrease), picks each trial by safeguarded cubic,
// quadratic or secant interpolation (dcstep's four cases), and stops at a step with
//   φ(α) ≤ φ(0) + c₁·α·φ′(0)   and   |φ′(α)| ≤ c₂·|φ′(0)|          (strong Wolfe).
// Until a trial has ψ(α) ≤ 0 and φ′(α) ≥ 0, where ψ(α) = φ(α) − φ(0) − c₁·α·φ′(0) is the
// auxiliary function, the interval is updated on ψ rather than φ (stage 1): that is what
// guarantees a point satisfying sufficient decrease when c₁ < c₂ is not enough for φ. While
// nothing is bracketed trials extrapolate to [α + 1.1(α − stx), α + 4(α − stx)]; once bracketed,
// a trial that does not shrink the interval by a third in two steps is replaced by bisection.
// Stops without the conditions ("warnings" in MINPACK-2, ok = false): the interval is narrower
// than xtol·stmax, rounding puts the trial at an end of the interval, or α reached stpmax /
// stpmin; the step returned is then the best one seen (it decreases φ unless it is 0).

export interface MoreThuenteOptions {
  /** Sufficient-decrease constant (MINPACK-2's ftol), default 1e-4. */
  c1?: number;
  /** Curvature constant (gtol), default 0.9. */
  c2?: number;
  /** Relative width of the interval of uncertainty at which to stop (default 1e-14). */
  xtol?: number;
  alpha0?: number;
  /** Bounds on the step (stpmin, stpmax), defaults 0 and 1e10. */
  alphaMin?: number;
  alphaMax?: number;
  maxEvaluations?: number;
}

interface Trial { a: number; f: number; d: number }

/**
 * dcstep: the next trial from the best point x, the other end y of the interval and the
 * current trial t (each a step, value and slope); updates x and y in place and returns the step
 * and whether the minimizer is now bracketed.
 */
export function moreThuenteStep(x: Trial, y: Trial, t: Trial, bracketed: boolean, lo: number, hi: number): { step: number; bracketed: boolean } {
  const opposite = t.d * Math.sign(x.d) < 0; // the slopes at x and t have opposite signs
  // the cubic through (x, t): θ, its scaled discriminant γ, oriented so the formulas below give
  // its minimizer; `clampGamma` (case 3) lets a cubic whose minimizer lies at infinity through
  const cubic = (clampGamma: boolean) => {
    const theta = 3 * (x.f - t.f) / (t.a - x.a) + x.d + t.d;
    const s = Math.max(Math.abs(theta), Math.abs(x.d), Math.abs(t.d));
    const disc = (theta / s) ** 2 - (x.d / s) * (t.d / s);
    return { theta, gamma: s * Math.sqrt(clampGamma ? Math.max(0, disc) : disc) };
  };
  let step: number;
  if (t.f > x.f) {
    // case 1: a higher value — the minimizer is bracketed; take the cubic step if it is nearer
    // x than the quadratic's (through x.f, x.d, t.f), else their midpoint
    const { theta, gamma: g0 } = cubic(false);
    const gamma = t.a < x.a ? -g0 : g0;
    const p = (gamma - x.d) + theta, q = ((gamma - x.d) + gamma) + t.d;
    const cub = x.a + (p / q) * (t.a - x.a);
    const quad = x.a + ((x.d / ((x.f - t.f) / (t.a - x.a) + x.d)) / 2) * (t.a - x.a);
    step = Math.abs(cub - x.a) < Math.abs(quad - x.a) ? cub : cub + (quad - cub) / 2;
    bracketed = true;
  } else if (opposite) {
    // case 2: lower value, slopes of opposite sign — bracketed; the cubic or the secant step,
    // whichever lies farther from t
    const { theta, gamma: g0 } = cubic(false);
    const gamma = t.a > x.a ? -g0 : g0;
    const p = (gamma - t.d) + theta, q = ((gamma - t.d) + gamma) + x.d;
    const cub = t.a + (p / q) * (x.a - t.a);
    const sec = t.a + (t.d / (t.d - x.d)) * (x.a - t.a);
    step = Math.abs(cub - t.a) > Math.abs(sec - t.a) ? cub : sec;
    bracketed = true;
  } else if (Math.abs(t.d) < Math.abs(x.d)) {
    // case 3: lower value, same-sign slope decreasing in magnitude. The cubic step only if the
    // cubic tends to infinity in the search direction (else its minimizer is behind t); not
    // bracketed: the farther of cubic and secant, within [lo, hi]; bracketed: the nearer one,
    // kept within 66% of the way from t to y
    const { theta, gamma: g0 } = cubic(true);
    const gamma = t.a > x.a ? -g0 : g0;
    const p = (gamma - t.d) + theta, q = (gamma + (x.d - t.d)) + gamma;
    const r = p / q;
    const cub = r < 0 && gamma !== 0 ? t.a + r * (x.a - t.a) : t.a > x.a ? hi : lo;
    const sec = t.a + (t.d / (t.d - x.d)) * (x.a - t.a);
    if (bracketed) {
      step = Math.abs(cub - t.a) < Math.abs(sec - t.a) ? cub : sec;
      step = t.a > x.a ? Math.min(t.a + 0.66 * (y.a - t.a), step) : Math.max(t.a + 0.66 * (y.a - t.a), step);
    } else {
      step = Math.abs(cub - t.a) > Math.abs(sec - t.a) ? cub : sec;
      step = Math.min(hi, Math.max(lo, step));
    }
  } else if (bracketed) {
    // case 4: lower value, same sign, slope not decreasing — the cubic through t and y
    const theta = 3 * (t.f - y.f) / (y.a - t.a) + y.d + t.d;
    const s = Math.max(Math.abs(theta), Math.abs(y.d), Math.abs(t.d));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (y.d / s) * (t.d / s));
    if (t.a > y.a) gamma = -gamma;
    const p = (gamma - t.d) + theta, q = ((gamma - t.d) + gamma) + y.d;
    step = t.a + (p / q) * (y.a - t.a);
  } else {
    step = t.a > x.a ? hi : lo;
  }
  // the new interval: y ← t if t is worse than x; else t becomes x (and x becomes y when the
  // slopes had opposite signs)
  if (t.f > x.f) { y.a = t.a; y.f = t.f; y.d = t.d; }
  else {
    if (opposite) { y.a = x.a; y.f = x.f; y.d = x.d; }
    x.a = t.a; x.f = t.f; x.d = t.d;
  }
  return { step, bracketed };
}

/** Strong Wolfe line search by Moré and Thuente's algorithm (MINPACK-2 dcsrch). */
export function moreThuente(phi: LineFunction, opts: MoreThuenteOptions = {}): LineSearchResult {
  const c1 = positive('c1', opts.c1 ?? 1e-4, 0, 1, true);
  const c2 = positive('c2', opts.c2 ?? 0.9, 0, 1, true); // the paper's tests take c₂ = c₁ too
  const xtol = opts.xtol ?? 1e-14;
  if (!(xtol >= 0 && xtol < 1)) throw new DescentError(`line search: xtol must be in [0, 1), got ${show(xtol)}`);
  const stpmax = positive('alphaMax', opts.alphaMax ?? 1e10);
  const stpmin = opts.alphaMin ?? 0;
  if (!(stpmin >= 0 && stpmin < stpmax)) throw new DescentError(`line search: alphaMin must be in [0, alphaMax), got ${show(stpmin)}`);
  const maxEval = opts.maxEvaluations ?? 40;
  const { f0, dphi0 } = phi;
  const gtest = c1 * dphi0;
  let alpha = Math.min(Math.max(positive('alpha0', opts.alpha0 ?? 1), stpmin), stpmax);
  const x: Trial = { a: 0, f: f0, d: dphi0 }, y: Trial = { a: 0, f: f0, d: dphi0 };
  let bracketed = false, stage1 = true;
  let width = stpmax - stpmin, width1 = 2 * width;
  let stmin = 0, stmax = alpha + 4 * alpha;
  let evals = 0;
  let best = { alpha: 0, f: f0, dphi: dphi0 };
  const end = (ok: boolean, reason?: string): LineSearchResult =>
    ok ? { alpha: best.alpha, f: best.f, dphi: best.dphi, ok, evaluations: evals }
      : { alpha: best.alpha, f: best.f, dphi: best.alpha === 0 ? dphi0 : best.dphi, ok, reason, evaluations: evals };
  for (;;) {
    if (evals >= maxEval) return end(false, 'no acceptable step within the evaluation budget');
    let { f, dphi } = phi.valueAndSlope(alpha);
    evals++;
    if (!Number.isFinite(f) || !Number.isFinite(dphi)) {
      // overflow or NaN: far too long — the interval ends here, the next trial halfway back
      stmax = alpha;
      if (bracketed) { y.a = alpha; y.f = Infinity; y.d = NaN; }
      alpha = x.a + 0.5 * (alpha - x.a);
      if (alpha - x.a <= xtol * alpha || alpha <= stpmin) return end(false, 'the objective is not finite along the direction beyond the best step');
      continue;
    }
    const ftest = f0 + alpha * gtest;
    if (f < best.f || (best.alpha === 0 && f <= f0)) best = { alpha, f, dphi };
    if (f <= ftest && Math.abs(dphi) <= -c2 * dphi0) { best = { alpha, f, dphi }; return end(true); }
    if (stage1 && f <= ftest && dphi >= 0) stage1 = false;
    if (bracketed && (alpha <= stmin || alpha >= stmax)) return end(false, 'rounding errors prevent progress');
    if (bracketed && stmax - stmin <= xtol * stmax) return end(false, 'the interval of uncertainty is below xtol');
    if (alpha === stpmax && f <= ftest && dphi <= gtest) return end(false, `the step is at alphaMax = ${stpmax}`);
    if (alpha === stpmin && (f > ftest || dphi >= gtest)) return end(false, `the step is at alphaMin = ${stpmin}`);
    const t: Trial = { a: alpha, f, d: dphi };
    if (stage1 && f <= x.f && f > ftest) {
      // stage 1 on ψ: shift the values and slopes by the sufficient-decrease line
      const shift = (p: Trial) => { p.f -= p.a * gtest; p.d -= gtest; };
      const unshift = (p: Trial) => { p.f += p.a * gtest; p.d += gtest; };
      shift(x); shift(y); shift(t);
      ({ step: alpha, bracketed } = moreThuenteStep(x, y, t, bracketed, stmin, stmax));
      unshift(x); unshift(y);
    } else {
      ({ step: alpha, bracketed } = moreThuenteStep(x, y, t, bracketed, stmin, stmax));
    }
    if (bracketed) {
      // bisect when two trials have not shrunk the interval to 2/3 of its width
      if (Math.abs(y.a - x.a) >= 0.66 * width1) alpha = x.a + 0.5 * (y.a - x.a);
      width1 = width;
      width = Math.abs(y.a - x.a);
      stmin = Math.min(x.a, y.a);
      stmax = Math.max(x.a, y.a);
    } else {
      stmin = alpha + 1.1 * (alpha - x.a);
      stmax = alpha + 4 * (alpha - x.a);
    }
    alpha = Math.min(Math.max(alpha, stpmin), stpmax);
    // no room left: the last trial is the best point
    if (bracketed && (alpha <= stmin || alpha >= stmax || stmax - stmin <= xtol * stmax)) alpha = x.a;
  }
}

// ───────────────────────── Hager–Zhang ─────────────────────────
//
// The line search of CG_DESCENT (Hager & Zhang, "A new conjugate gradient method with
// guaranteed descent and an efficient line search", SIAM J. Optim. 16(1), 2005, §4; and
// "Algorithm 851: CG_DESCENT", ACM TOMS 32(1), 2006), written here from the papers. It accepts
// a step satisfying either the Wolfe conditions (δ for sufficient decrease, σ for curvature),
//   φ(α) ≤ φ(0) + δ·α·φ′(0)  and  φ′(α) ≥ σ·φ′(0),
// or the approximate Wolfe conditions, which need no accurate difference of values:
//   (2δ − 1)·φ′(0) ≥ φ′(α) ≥ σ·φ′(0)  and  φ(α) ≤ φ(0) + ε_k,   ε_k = ε·|φ(0)|.
// Trials: c = the minimizer of the quadratic through φ(0), φ′(0) and φ(ψ₁·α₀) when that is
// convex and φ(ψ₁·α₀) ≤ φ(0) (QuadStep), else ψ₂·α₀; then a bracket [a, b] with φ′(a) < 0,
// φ(a) ≤ φ(0) + ε_k, φ′(b) ≥ 0 (expanding by ρ = 5, or bisecting inside [0, c] when φ(c) is
// too high), shrunk by double secant steps (secant²) and a bisection whenever one round leaves
// more than γ = 0.66 of the width.

export interface HagerZhangOptions {
  /** δ (sufficient decrease), default 0.1; σ (curvature), default 0.9. */
  delta?: number;
  sigma?: number;
  /** ε in ε_k = ε·|φ(0)|, default 1e-6. */
  epsilon?: number;
  alpha0?: number;
  /**
   * Accept approximate Wolfe steps (default true). CG_DESCENT switches them on once
   * |f_{k+1} − f_k| ≤ ω·C_k (a running average of |f|): far from a minimum they accept long
   * steps along a nearly flat φ; method 'cg' with beta 'hz' does that switching.
   */
  approximate?: boolean;
  /** QuadStep: try the quadratic through φ(ψ₁·α₀) first (default true; ψ₁ = 0.1, else ψ₂·α₀ with ψ₂ = 2). */
  quadStep?: boolean;
  maxEvaluations?: number;
}

export function hagerZhang(phi: LineFunction, opts: HagerZhangOptions = {}): LineSearchResult {
  const delta = positive('delta', opts.delta ?? 0.1, 0, 0.5, true);
  const sigma = positive('sigma', opts.sigma ?? 0.9, delta, 1, true);
  const eps = opts.epsilon ?? 1e-6;
  if (!(eps >= 0)) throw new DescentError(`line search: epsilon must be ≥ 0, got ${show(opts.epsilon)}`);
  const maxEval = opts.maxEvaluations ?? 50;
  const alpha0 = positive('alpha0', opts.alpha0 ?? 1);
  const approximate = opts.approximate ?? true;
  const { f0, dphi0 } = phi;
  const fTop = f0 + eps * Math.abs(f0);
  let evals = 0;
  let best = { alpha: 0, f: f0, dphi: dphi0 };
  class Done { constructor(readonly r: LineSearchResult) {} }
  const fail = (reason: string) => new Done({ alpha: best.alpha, f: best.f, dphi: best.alpha === 0 ? dphi0 : best.dphi, ok: false, reason, evaluations: evals });
  const at = (a: number): Trial => {
    if (evals >= maxEval) throw fail('no acceptable step within the evaluation budget');
    let { f, dphi } = phi.valueAndSlope(a);
    evals++;
    if (!Number.isFinite(f) || !Number.isFinite(dphi)) { f = Infinity; dphi = Infinity; } // too far: as a point past the minimizer
    if (f < best.f) best = { alpha: a, f, dphi };
    const wolfe = f <= f0 + delta * a * dphi0 && dphi >= sigma * dphi0;
    const approx = approximate && (2 * delta - 1) * dphi0 >= dphi && dphi >= sigma * dphi0 && f <= fTop;
    if (wolfe || approx) throw new Done({ alpha: a, f, dphi, ok: true, evaluations: evals });
    return { a, f, d: dphi };
  };
  // U3: bisect [a, b] (φ′(b) < 0 but φ(b) too high) until a point with φ′ ≥ 0 is found
  const bisect = (a: Trial, b: Trial): [Trial, Trial] => {
    for (;;) {
      if (b.a - a.a <= 1e-16 * b.a) throw fail('the bracket shrank to nothing (rounding limits the search)');
      const d = at(0.5 * (a.a + b.a));
      if (d.d >= 0) return [a, d];
      if (d.f <= fTop) a = d; else b = d;
    }
  };
  const update = (a: Trial, b: Trial, c: Trial): [Trial, Trial] => {
    if (!(c.a > a.a && c.a < b.a)) return [a, b];
    if (c.d >= 0) return [a, c];
    if (c.f <= fTop) return [c, b];
    return bisect(a, c);
  };
  const secant = (a: Trial, b: Trial) => (a.a * b.d - b.a * a.d) / (b.d - a.d);
  try {
    const zero: Trial = { a: 0, f: f0, d: dphi0 };
    // the first trial
    let c = alpha0;
    if (opts.quadStep ?? true) {
      const r = 0.1 * alpha0;
      if (evals >= maxEval) throw fail('no acceptable step within the evaluation budget');
      const fr = phi.value(r);
      evals++;
      if (Number.isFinite(fr) && fr <= f0) {
        const curv = fr - f0 - dphi0 * r; // ½·q″·r²
        if (curv > 0) c = -dphi0 * r * r / (2 * curv);
        else c = 2 * alpha0;
      } else c = 2 * alpha0;
      if (Number.isFinite(fr) && fr < best.f) best = { alpha: r, f: fr, dphi: NaN };
    } else c = 2 * alpha0;
    // bracket
    let a = zero, b: Trial;
    let t = at(c);
    for (;;) {
      if (t.d >= 0) { b = t; break; }
      if (t.f > fTop) { [a, b] = bisect(zero, t); break; }
      a = t;
      if (t.a > 1e10) throw fail('no minimizer bracketed: φ keeps decreasing (unbounded along d?)');
      t = at(5 * t.a);
    }
    // shrink: secant², then bisection when the interval did not shrink enough
    for (;;) {
      const width = b.a - a.a;
      if (width <= 1e-16 * b.a) throw fail('the bracket shrank to nothing (rounding limits the search)');
      const s = secant(a, b);
      let A = a, B = b;
      if (Number.isFinite(s) && s > a.a && s < b.a) {
        const sc = at(s);
        [A, B] = update(a, b, sc);
        const s2 = B === sc ? secant(b, B) : A === sc ? secant(a, A) : NaN;
        if (Number.isFinite(s2) && s2 > A.a && s2 < B.a) [A, B] = update(A, B, at(s2));
      }
      if (B.a - A.a > 0.66 * width) [A, B] = update(A, B, at(0.5 * (A.a + B.a)));
      a = A; b = B;
    }
  } catch (e) {
    if (e instanceof Done) return e.r;
    throw e;
  }
}

const GOLD = (3 - Math.sqrt(5)) / 2; // 0.381966…, the golden-section fraction

/** The exact minimizer along d: closed form on quadratics, else bracket + Brent. */
export function exact(phi: LineFunction, opts: ExactOptions = {}): LineSearchResult {
  const tol = positive('tolerance', opts.tolerance ?? 1e-10, 0, 1);
  const maxEval = opts.maxEvaluations ?? 200;
  const { f0, dphi0 } = phi;
  if (opts.quadratic) {
    if (!phi.curvature) throw new DescentError('line search: the closed-form exact step needs Hessian-vector products');
    const c = phi.curvature();
    if (!(c > 0)) return { alpha: 0, f: f0, dphi: dphi0, ok: false, reason: `non-positive curvature dᵀAd = ${c} along the direction`, evaluations: 0 };
    const alpha = -dphi0 / c;
    const { f, dphi } = phi.valueAndSlope(alpha);
    return { alpha, f, dphi, ok: Number.isFinite(f), evaluations: 1 };
  }
  let evals = 0;
  const at = (a: number): number => {
    evals++;
    const f = phi.value(a);
    return Number.isFinite(f) ? f : Infinity;
  };
  // bracket: a = 0 < b < c with φ(b) < φ(a) and φ(b) ≤ φ(c)
  let a = 0, fa = f0;
  let b = positive('alpha0', opts.alpha0 ?? 1), fb = at(b);
  while (fb >= fa) { // step too long: shrink toward 0
    if (evals >= maxEval || b < 1e-300) return { alpha: 0, f: f0, dphi: dphi0, ok: false, reason: 'no decrease found along the direction', evaluations: evals };
    b *= GOLD;
    fb = at(b);
  }
  let c = b + (b - a) / GOLD, fc = at(c);
  while (fc < fb) {
    if (evals >= maxEval) return { alpha: b, f: fb, dphi: NaN, ok: false, reason: 'φ keeps decreasing: no minimum bracketed (unbounded along d?)', evaluations: evals };
    a = b; fa = fb;
    b = c; fb = fc;
    c = b + (b - a) / GOLD;
    fc = at(c);
  }
  // Brent's method on [a, c] with the best point b
  let x = b, w = b, v = b, fx = fb, fw = fb, fv = fb;
  let lo = a, hi = c, step = 0, prevStep = 0;
  while (evals < maxEval) {
    const mid = 0.5 * (lo + hi);
    const t1 = tol * Math.abs(x) + 1e-300, t2 = 2 * t1;
    if (Math.abs(x - mid) <= t2 - 0.5 * (hi - lo)) break;
    let parabolic = false;
    if (Math.abs(prevStep) > t1) {
      // parabola through (x, fx), (w, fw), (v, fv)
      const r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw);
      let p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p; else q = -q;
      if (Math.abs(p) < Math.abs(0.5 * q * prevStep) && p > q * (lo - x) && p < q * (hi - x)) {
        prevStep = step;
        step = p / q;
        const u = x + step;
        if (u - lo < t2 || hi - u < t2) step = x < mid ? t1 : -t1;
        parabolic = true;
      }
    }
    if (!parabolic) {
      prevStep = x < mid ? hi - x : lo - x;
      step = GOLD * prevStep;
    }
    const u = Math.abs(step) >= t1 ? x + step : x + (step > 0 ? t1 : -t1);
    const fu = at(u);
    if (fu <= fx) {
      if (u < x) hi = x; else lo = x;
      v = w; fv = fw; w = x; fw = fx; x = u; fx = fu;
    } else {
      if (u < x) lo = u; else hi = u;
      if (fu <= fw || w === x) { v = w; fv = fw; w = u; fw = fu; } else if (fu <= fv || v === x || v === w) { v = u; fv = fu; }
    }
  }
  const { f, dphi } = phi.valueAndSlope(x);
  evals++;
  return { alpha: x, f, dphi, ok: true, evaluations: evals };
}

/** Run the line search a spec names. */
export function lineSearch(spec: LineSearchSpec, phi: LineFunction, alpha0?: number): LineSearchResult {
  const s = typeof spec === 'string' ? { type: spec } : spec;
  const o = { ...s, ...(alpha0 !== undefined ? { alpha0 } : {}) } as Record<string, unknown>;
  delete o.type;
  switch (s.type) {
    case 'armijo': return armijo(phi, o as ArmijoOptions);
    case 'wolfe': return wolfe(phi, o as WolfeOptions);
    case 'more-thuente': return moreThuente(phi, o as MoreThuenteOptions);
    case 'hager-zhang': return hagerZhang(phi, o as HagerZhangOptions);
    case 'exact': return exact(phi, o as ExactOptions);
    default: throw new DescentError(`line search: unknown type ${JSON.stringify((s as { type: unknown }).type)}; known: armijo, wolfe, more-thuente, hager-zhang, exact`);
  }
}
