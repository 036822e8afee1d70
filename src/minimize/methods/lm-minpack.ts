// Levenberg–Marquardt in MINPACK's trust-region form (Moré 1978, "The Levenberg–Marquardt
// algorithm: implementation and theory"; the lmder/lmpar/qrfac/qrsolv design of MINPACK,
// Moré, Garbow & Hillstrom 1980), written for descent. f = ‖r‖² (no ½), as everywhere here.
//
// Each iteration: J at x, J·P = Q·R (Householder QR with column pivoting), qtf = (Qᵀr)[0..n).
// The step p minimizes ‖J·p + r‖ subject to ‖D·p‖ ≤ Δ: p = −(JᵀJ + λDᵀD)⁻¹Jᵀr with λ ≥ 0 the
// Levenberg–Marquardt parameter, found by lmpar's safeguarded Newton iteration on
// φ(λ) = ‖D·p(λ)‖ − Δ to |φ| ≤ 0.1·Δ (λ = 0 when the Gauss–Newton step is inside), each p(λ)
// from R by Givens rotations (no new factorization). D = diag(‖J_j‖), the column norms of the
// first J (1 for a zero column), then dⱼ ← max(dⱼ, ‖J_j‖) — never decreasing.
// Δ₀ = factor·‖D·x₀‖ (factor 100, or factor itself when x₀ = 0); with ρ = actual/predicted
// relative reduction of f:
//   ρ ≤ 1/4:  Δ ← t·min(Δ, 10‖Dp‖), λ ← λ/t, with t = 1/2 when f did not increase, else
//             t = ½·dirder/(dirder + ½·actred) (the minimizer of the quadratic through the
//             slope), floored at 1/10 (also when f grew more than tenfold in ‖r‖)
//   ρ ≥ 3/4 or λ = 0:  Δ ← 2‖Dp‖, λ ← λ/2
//   ρ ≥ 1e-4: the step is taken.  On the first iteration Δ ← min(Δ, ‖Dp‖).
// Geodesic acceleration (option geodesic, default on; Transtrum & Sethna 2012, "Improvements to
// the Levenberg–Marquardt algorithm for nonlinear least-squares minimization"): when a trial
// v = p gives ρ < 1/4, a = −(JᵀJ + λDᵀD)⁻¹Jᵀr_vv with r_vv ≈ 2·(r(x + v) − r − J·v) — the
// second directional derivative from the trial just evaluated (Transtrum & Sethna's finite
// difference with h = 1, no extra evaluation for it) — and, if 2‖Da‖/‖Dv‖ ≤ α = 0.75, one more
// trial at x + v + a/2 judged against v's predicted reduction; the better trial is kept and the
// updates above run on its ρ (Δ from ‖Dv‖). A good trial costs nothing extra; a poor one costs
// one residual evaluation, which in the curved valleys of the hard NIST problems replaces a
// string of shrunken steps.
// Stopping (MINPACK's info codes; tests after every trial, the gradient test at each new J):
//   'ftol'        1: |actred| ≤ ftol and prered ≤ ftol and ρ ≤ 2 — both the actual and the
//                    predicted relative reductions of f = ‖r‖² are at most ftol
//   'xtol'        2: Δ ≤ xtol·‖D·x‖ — the relative error in the scaled x is at most xtol
//   'ftol+xtol'   3: both
//   'gtol'        4: max_j |J_jᵀr| / (‖J_j‖·‖r‖) ≤ gtol — r is orthogonal to the columns of J
//                    to gtol (the cosine of the angle)
//   'residual'    f ≤ residualTolerance (absolute: a zero-residual problem solved to working
//                    precision; MINPACK reaches it as r = 0 → gtol). The default
//                    (ε·‖r(x₀)‖)² — the residual can shrink no further relative to where it began
//   'precision'   6, 7, 8: the same tests at ε (ftol, xtol, gtol too small: no further
//                    reduction in f or x possible, a minimum to working precision)
// All of these count as converged; maxEvaluations (MINPACK's info 5), maxIterations and the
// callback are limits. An iteration is one accepted step; an evaluation is one r(x) or one J(x).
// The gradient reported is ∇f = 2Jᵀr with the last J evaluated: after a final step it is
// J(x_prev)ᵀr(x) — MINPACK's tests need no J at the last point, and none is computed for it.
// Defaults: xtol = 1e-8 (SciPy's least_squares; MINPACK's lmder1 driver uses √ε ≈ 1.5e-8 for
// ftol and xtol), gtol = 1e-10, ftol = 1e-14: ftol bounds a relative change of f = ‖r‖², a
// squared quantity — f changing by 1e-8 leaves x uncertain at ~1e-4 relative, and with
// ftol = 1e-8 (MINPACK through SciPy) 17–19 of the 27 NIST StRD problems reach 6 correct digits.
// gtol: the accelerated iterates reach the cosine 1e-8 on some paths where x is not yet right to
// 6 digits on ill-conditioned problems (Nelson LRE 5.9 from start 2 here; Bennett5 4.2 and
// Hahn1 5.8 with Transtrum & Sethna's form below); 1e-10 costs 24 evaluations over 1e-8 in all
// (2305 vs 2281 from start 1, 758 vs 736 from start 2) and gives 27/27.
// Measured (NIST StRD with default options, r + J evaluations, start 1 / start 2; LRE ≥ 6 on
// 27/27 from both unless said; docs/nist-strd.md):
//   plain MINPACK iteration (geodesic false, gtol 1e-8)          5092 / 1209  (Bennett5 1503, MGH17
//                                                                950, MGH09 911, MGH10 535)
//   the same at gtol 1e-10                                       5109 / 1224
//   geodesic acceleration as here (gtol 1e-10, the default)      2305 / 758   (Bennett5 172, MGH17
//                                                                396, MGH09 540, MGH10 274)
//     α = 0.5 / 1 / 1.5                                          2304 / 763, 2276 / 758, 2318 / 752
//     also after trials with ρ < 0.5 / 0.75 / only rejected ones  2408 / 774, 2308 / 779, 2309 / 751
//   Transtrum & Sethna's form — an extra r(x + h·v), h = 0.1, on every trial — gtol 1e-10:
//     on every trial                                             2637 / 915
//     only when λ > 0 (the trust region binds)                   2594 / 791;  h = 0.02: 2541 / 859;
//                                                                α = 1: 2461 / 791 (min LRE 6.15)
//     only when λ > 0, gtol 1e-8, ratio against the model at v + a/2 instead of at v:
//                                                                5782 / 1143 (25/27, 26/27)
//     only when λ > 0, gtol 1e-8, a refused acceleration rejects the step (GSL's choice):
//                                                                7444 / 846 (26/27, 26/27)
//     the probe r(x + h·v) only after a poor trial, h = 0.1 / 0.3  2714 / 780, 2664 / 714
//   Δ updates other than MINPACK's (growth 3 instead of 2, shrink 1/4, ρ ≥ 1/2 to grow): 2228–
//   23398 from start 1 (growth 3 loses MGH09 and BoxBOD) — MINPACK's stay.
//   ftol 1e-12 / 1e-10 (with the probe form when λ > 0): ENSO falls to LRE 5.1 / 4.2 (also
//   MGH09, Thurber at 1e-10) for 2–5% fewer evaluations — ftol stays 1e-14.
//   Δ₀ factor 1 / 10 / 1000 instead of MINPACK's 100: 1863 / 761, 2255 / 758, 2314 / 758 (the
//   gain at 1 is MGH09 alone, 180 vs 540, and MGH at 1e-8 goes to 0.85× MINPACK): 100 stays.
// MINPACK's lmder on the same functions (docs/minpack-lm.json): 5230 / 1209 at ftol 1e-14,
// xtol = gtol = 1e-8 (26/27, 27/27); 3843 / 1056 at SciPy's least_squares defaults (17/27 both).
// MGH (41 instances) at ftol = xtol = gtol = 1e-8: 39 reached, 1942 r + J on the 39 MINPACK also
// reaches vs its 2427 (0.80×; 2327, 0.96× without acceleration); at the defaults 2508 (1.03×;
// 2719, 1.12× before), none reported as a failure.
// Networks (fit's levenbergMarquardt: 'gram', MSE loss, 8 tanh units, weight decay 1e-3; r + J
// evaluations, each a pass over the data, for the loss reached after 30 / 35 iterations with
// acceleration): iris f 1.7030e-2 in 75 (without: ~85, between 1.7034e-2 in 80 and 1.7024e-2
// in 90), 1.7018e-2 in 87 (without: 110); wine 4.9855e-3 in 68 (without: ~75, 4.9702e-3 in 76),
// 4.7558e-3 in 80 (without: ~85); breast cancer the same iterates, 0–2 passes more in 100 (a
// poor trial whose accelerated retry was no better).

import { DescentError, show } from '../../engine/errors.js';
import type { Context } from '../context.js';
import type { Vec } from '../vector-space.js';

export interface LmMinpackOptions {
  /** Relative reduction of f = ‖r‖² (actual and predicted) at which to stop (default 1e-14). */
  ftol?: number;
  /** Relative size of the trust region Δ against ‖D·x‖ at which to stop (default 1e-8). */
  xtol?: number;
  /** Cosine between r and the columns of J at which to stop (default 1e-8). */
  gtol?: number;
  /** Stop when f = ‖r‖² ≤ this (default (ε·‖r(x₀)‖)²). */
  residualTolerance?: number;
  /** Δ₀ = factor·‖D·x₀‖ (default 100). */
  factor?: number;
  /** 'jacobian' (default): D from J's column norms, non-decreasing; 'identity': D = I. */
  scaling?: 'jacobian' | 'identity';
  /**
   * How R (J·P = Q·R) is formed: 'qr' (default) Householder QR of J with column pivoting, in
   * plain TypeScript; 'gram' R from the pivoted Cholesky factorization of JᵀJ, formed by the
   * vector space (the engine's wasm kernels) and Qᵀr as R⁻ᵀPᵀJᵀr — the same R in exact
   * arithmetic, cond(J)² instead of cond(J) in rounding, ~10× less time when J is large
   * (fit's networks use it). The 'damping' form ignores it (it always uses JᵀJ).
   */
  factorization?: 'qr' | 'gram';
  /**
   * Geodesic acceleration (Transtrum & Sethna 2012) after a poor trial step (default true):
   * when x + v gives ρ < 1/4, the second-order correction a from that trial's own residuals is
   * tried once, x + v + a/2, if 2‖D·a‖/‖D·v‖ ≤ geodesicAlpha. Costs one residual evaluation
   * per poor trial, none otherwise. The 'damping' form refuses it.
   */
  geodesic?: boolean;
  /** α of the geodesic acceptance test 2‖D·a‖/‖D·v‖ ≤ α (default 0.75, Transtrum & Sethna's). */
  geodesicAlpha?: number;
}

export const LM_MINPACK_DEFAULTS = { ftol: 1e-14, xtol: 1e-8, gtol: 1e-10, factor: 100, geodesicAlpha: 0.75 } as const;

const EPS = 2 ** -52;
const DWARF = 2.2250738585072014e-308;

function enorm(v: Float64Array, n = v.length): number {
  // scaled 2-norm: no overflow or underflow in the squares
  let scale = 0, ssq = 1;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(v[i]);
    if (a === 0) continue;
    if (scale < a) { ssq = 1 + ssq * (scale / a) ** 2; scale = a; } else ssq += (a / scale) ** 2;
  }
  return scale * Math.sqrt(ssq);
}

/**
 * Householder QR with column pivoting of the mm×n matrix a (column-major, a[j*mm + i]), in
 * place: on return R's strict upper triangle is in a (rows < column), R's diagonal in rdiag,
 * the Householder vectors below (and on) the diagonal, perm[j] = the original column at j.
 * acnorm gets the column norms of the original matrix. Pivot: the remaining column of largest
 * norm, the norms downdated after each step (‖a_k‖² − r_jk², recomputed when cancellation has
 * eaten most of the digits: when (norm/last computed norm)² ≤ 20ε), as MINPACK's qrfac does —
 * O(n) per step instead of a pass over the remaining matrix. pn, pw: n scratch values each.
 */
function qrPivot(a: Float64Array, mm: number, n: number, perm: Int32Array, rdiag: Float64Array, acnorm: Float64Array, col: Float64Array, pn: Float64Array, pw: Float64Array): void {
  for (let j = 0; j < n; j++) { perm[j] = j; acnorm[j] = pn[j] = pw[j] = enorm(a.subarray(j * mm, j * mm + mm)); }
  for (let j = 0; j < n; j++) {
    let kmax = j;
    for (let k = j + 1; k < n; k++) if (pn[k] > pn[kmax]) kmax = k;
    if (kmax !== j) {
      col.set(a.subarray(j * mm, j * mm + mm));
      a.copyWithin(j * mm, kmax * mm, kmax * mm + mm);
      a.set(col.subarray(0, mm), kmax * mm);
      const t = perm[j]; perm[j] = perm[kmax]; perm[kmax] = t;
      pn[kmax] = pn[j]; pw[kmax] = pw[j];
    }
    const cj = j * mm;
    let nrm = enorm(a.subarray(cj + j, cj + mm));
    if (nrm !== 0) {
      if (a[cj + j] < 0) nrm = -nrm;
      for (let i = j; i < mm; i++) a[cj + i] /= nrm;
      a[cj + j] += 1;
      for (let k = j + 1; k < n; k++) {
        const ck = k * mm;
        let s = 0;
        for (let i = j; i < mm; i++) s += a[cj + i] * a[ck + i];
        const t = s / a[cj + j];
        for (let i = j; i < mm; i++) a[ck + i] -= t * a[cj + i];
        if (pn[k] !== 0) {
          const q = a[ck + j] / pn[k];
          pn[k] *= Math.sqrt(Math.max(0, 1 - q * q));
          if (0.05 * (pn[k] / pw[k]) ** 2 <= EPS) pw[k] = pn[k] = enorm(a.subarray(ck + j + 1, ck + mm));
        }
      }
    }
    rdiag[j] = -nrm;
  }
}

/**
 * Solve min ‖[R; S]·z − [qtb; 0]‖ for S = diag(dd)·Pᵀ rows (dd = √λ·D in the original column
 * order), R upper triangular n×n (row-major r[i*n + j], i ≤ j), by Givens rotations: x gets the
 * solution in the original order. The rotated triangle's transpose goes to r's strict lower
 * triangle and its diagonal to sdiag (R's upper triangle and diagonal are kept).
 */
function qrSolve(n: number, r: Float64Array, perm: Int32Array, dd: Float64Array, qtb: Float64Array, x: Float64Array, sdiag: Float64Array, wa: Float64Array, rd: Float64Array): void {
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) r[i * n + j] = r[j * n + i];
    rd[j] = r[j * n + j];
    wa[j] = qtb[j];
  }
  for (let j = 0; j < n; j++) {
    const d = dd[perm[j]];
    if (d !== 0) {
      for (let k = j; k < n; k++) sdiag[k] = 0;
      sdiag[j] = d;
      let qtbpj = 0;
      for (let k = j; k < n; k++) {
        if (sdiag[k] === 0) continue;
        const rkk = r[k * n + k];
        let c: number, s: number;
        if (Math.abs(rkk) < Math.abs(sdiag[k])) {
          const cot = rkk / sdiag[k];
          s = 0.5 / Math.sqrt(0.25 + 0.25 * cot * cot); c = s * cot;
        } else {
          const tan = sdiag[k] / rkk;
          c = 0.5 / Math.sqrt(0.25 + 0.25 * tan * tan); s = c * tan;
        }
        r[k * n + k] = c * rkk + s * sdiag[k];
        const t = c * wa[k] + s * qtbpj;
        qtbpj = -s * wa[k] + c * qtbpj;
        wa[k] = t;
        for (let i = k + 1; i < n; i++) {
          const rik = r[i * n + k];
          r[i * n + k] = c * rik + s * sdiag[i];
          sdiag[i] = -s * rik + c * sdiag[i];
        }
      }
    }
    sdiag[j] = r[j * n + j];
    r[j * n + j] = rd[j];
  }
  let nsing = n;
  for (let j = 0; j < n; j++) {
    if (sdiag[j] === 0 && nsing === n) nsing = j;
    if (nsing < n) wa[j] = 0;
  }
  for (let j = nsing - 1; j >= 0; j--) {
    let s = 0;
    for (let i = j + 1; i < nsing; i++) s += r[i * n + j] * wa[i];
    wa[j] = (wa[j] - s) / sdiag[j];
  }
  for (let j = 0; j < n; j++) x[perm[j]] = wa[j];
}


/**
 * out = R⁻ᵀ·Pᵀ·v for the upper-triangular n×n R (row-major) and permutation perm — the first n
 * entries of Qᵀb when v = Jᵀb and JP = QR (the Gram factorization's qtf); 0 where R's diagonal is.
 */
function solveRtPermuted(R: Float64Array, n: number, perm: Int32Array, v: Float64Array, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const rjj = R[j * n + j];
    if (rjj === 0) { out[j] = 0; continue; }
    let s = v[perm[j]];
    for (let i = 0; i < j; i++) s -= R[i * n + j] * out[i];
    out[j] = s / rjj;
  }
}

/**
 * The first n entries of Qᵀ·q into out, applying qrPivot's Householder vectors (column j of the
 * column-major mm×n array a, from row j) to q in place.
 */
function applyQt(a: Float64Array, mm: number, n: number, q: Float64Array, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const cj = j * mm;
    if (a[cj + j] !== 0) {
      let s = 0;
      for (let i = j; i < mm; i++) s += a[cj + i] * q[i];
      const t = -s / a[cj + j];
      for (let i = j; i < mm; i++) q[i] += t * a[cj + i];
    }
    out[j] = q[j];
  }
}
/**
 * R (upper, row-major n×n) and perm with Pᵀ·G·P = RᵀR: the Cholesky factorization of the
 * symmetric G = JᵀJ (n×n, destroyed) with diagonal pivoting — the largest remaining diagonal
 * first, as QR's column pivoting takes the largest remaining column norm. A remaining diagonal
 * ≤ n·ε·max diag(G) ends it: those rows of R are zero (J rank-deficient to working precision).
 */
function gramFactor(G: Float64Array, n: number, R: Float64Array, perm: Int32Array): void {
  // only G's upper triangle (i ≤ l) of the rows and columns ≥ j is read and kept up to date
  R.fill(0);
  let dmax = 0;
  for (let j = 0; j < n; j++) { perm[j] = j; dmax = Math.max(dmax, G[j * n + j]); }
  const tiny = n * EPS * dmax;
  const up = (i: number, l: number) => (i <= l ? i * n + l : l * n + i);
  for (let j = 0; j < n; j++) {
    let k = j;
    for (let l = j + 1; l < n; l++) if (G[l * n + l] > G[k * n + k]) k = l;
    if (k !== j) {
      // symmetric swap of indices j and k within the trailing block
      for (let l = j; l < n; l++) {
        if (l === j || l === k) continue;
        const a1 = up(j, l), a2 = up(k, l);
        const t = G[a1]; G[a1] = G[a2]; G[a2] = t;
      }
      const t = G[j * n + j]; G[j * n + j] = G[k * n + k]; G[k * n + k] = t;
      for (let i = 0; i < j; i++) { const u = R[i * n + j]; R[i * n + j] = R[i * n + k]; R[i * n + k] = u; }
      const pj = perm[j]; perm[j] = perm[k]; perm[k] = pj;
    }
    const d = G[j * n + j];
    if (!(d > tiny)) return;
    const rjj = Math.sqrt(d);
    R[j * n + j] = rjj;
    for (let l = j + 1; l < n; l++) R[j * n + l] = G[j * n + l] / rjj;
    for (let k2 = j + 1; k2 < n; k2++) {
      const rk = R[j * n + k2];
      if (rk === 0) continue;
      for (let l = k2; l < n; l++) G[k2 * n + l] -= rk * R[j * n + l];
    }
  }
}

interface LmparWork { wa1: Float64Array; wa2: Float64Array; dd: Float64Array; sdiag: Float64Array; rd: Float64Array; qw: Float64Array }

/**
 * The Levenberg–Marquardt parameter for the trust region ‖D·x‖ ≤ Δ (Moré 1978, §5–7): x ← the
 * solution of J·x ≈ qtb-side least squares with √λ·D·x ≈ 0 (the step is −x), ‖D·x‖ within 10%
 * of Δ, or λ = 0 with ‖D·x‖ ≤ 1.1·Δ. Returns λ; λ on entry is the starting guess.
 */
function lmpar(n: number, r: Float64Array, perm: Int32Array, diag: Float64Array, qtb: Float64Array, delta: number, par: number, x: Float64Array, w: LmparWork): number {
  const { wa1, wa2, dd, sdiag, rd, qw } = w;
  // the Gauss–Newton direction (least-norm in the singular part: zeros)
  let nsing = n;
  for (let j = 0; j < n; j++) {
    wa1[j] = qtb[j];
    if (r[j * n + j] === 0 && nsing === n) nsing = j;
    if (nsing < n) wa1[j] = 0;
  }
  for (let k = nsing - 1; k >= 0; k--) {
    wa1[k] /= r[k * n + k];
    const t = wa1[k];
    for (let i = 0; i < k; i++) wa1[i] -= r[i * n + k] * t;
  }
  for (let j = 0; j < n; j++) x[perm[j]] = wa1[j];
  for (let j = 0; j < n; j++) wa2[j] = diag[j] * x[j];
  let dxnorm = enorm(wa2, n);
  let fp = dxnorm - delta;
  if (fp <= 0.1 * delta) return 0;
  // lower bound parl (Newton step at λ = 0) when J has full rank, else 0
  let parl = 0;
  if (nsing >= n) {
    for (let j = 0; j < n; j++) { const l = perm[j]; wa1[j] = diag[l] * (wa2[l] / dxnorm); }
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < j; i++) s += r[i * n + j] * wa1[i];
      wa1[j] = (wa1[j] - s) / r[j * n + j];
    }
    const t = enorm(wa1, n);
    parl = fp / delta / t / t;
  }
  // upper bound paru = ‖D⁻¹Jᵀr‖/Δ
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i <= j; i++) s += r[i * n + j] * qtb[i];
    wa1[j] = s / diag[perm[j]];
  }
  const gnorm = enorm(wa1, n);
  let paru = gnorm / delta;
  if (paru === 0) paru = DWARF / Math.min(delta, 0.1);
  par = Math.min(Math.max(par, parl), paru);
  if (par === 0) par = gnorm / dxnorm;
  for (let iter = 1; ; iter++) {
    if (par === 0) par = Math.max(DWARF, 0.001 * paru);
    const sp = Math.sqrt(par);
    for (let j = 0; j < n; j++) dd[j] = sp * diag[j];
    qrSolve(n, r, perm, dd, qtb, x, sdiag, qw, rd);
    for (let j = 0; j < n; j++) wa2[j] = diag[j] * x[j];
    dxnorm = enorm(wa2, n);
    const fpOld = fp;
    fp = dxnorm - delta;
    if (Math.abs(fp) <= 0.1 * delta || (parl === 0 && fp <= fpOld && fpOld < 0) || iter === 10) return par;
    // Newton correction from the rotated triangle (transpose in r's strict lower part)
    for (let j = 0; j < n; j++) { const l = perm[j]; wa1[j] = diag[l] * (wa2[l] / dxnorm); }
    for (let j = 0; j < n; j++) {
      wa1[j] /= sdiag[j];
      const t = wa1[j];
      for (let i = j + 1; i < n; i++) wa1[i] -= r[i * n + j] * t;
    }
    const t = enorm(wa1, n);
    const parc = fp / delta / t / t;
    if (fp > 0) parl = Math.max(parl, par);
    if (fp < 0) paru = Math.min(paru, par);
    par = Math.max(parl, par + parc);
  }
}

export function lmMinpack(ctx: Context, x: Vec, o: LmMinpackOptions): { f: number; g: Vec } {
  const obj = ctx.obj;
  const tol = (name: keyof LmMinpackOptions, dflt: number): number => {
    const v = o[name] ?? dflt;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new DescentError(`minimize: lm ${name} must be a finite number ≥ 0, got ${show(o[name])}`);
    return v;
  };
  const ftol = tol('ftol', LM_MINPACK_DEFAULTS.ftol), xtol = tol('xtol', LM_MINPACK_DEFAULTS.xtol), gtol = tol('gtol', LM_MINPACK_DEFAULTS.gtol);
  const factor = tol('factor', LM_MINPACK_DEFAULTS.factor);
  if (!(factor > 0)) throw new DescentError(`minimize: lm factor must be positive, got ${show(o.factor)}`);
  const scaling = o.scaling ?? 'jacobian';
  if (scaling !== 'jacobian' && scaling !== 'identity') throw new DescentError(`minimize: lm scaling must be 'jacobian' or 'identity', got ${show(scaling)}`);
  const factorization = o.factorization ?? 'qr';
  if (factorization !== 'qr' && factorization !== 'gram') throw new DescentError(`minimize: lm factorization must be 'qr' or 'gram', got ${show(factorization)}`);
  const gram = factorization === 'gram';
  const geodesic = o.geodesic ?? true;
  if (typeof geodesic !== 'boolean') throw new DescentError(`minimize: lm geodesic must be true or false, got ${show(o.geodesic)}`);
  const alpha = tol('geodesicAlpha', LM_MINPACK_DEFAULTS.geodesicAlpha);
  const { space, n } = ctx;
  const m = obj.m!;
  const mm = Math.max(m, n); // fewer residuals than parameters: J padded with zero rows
  // a private copy of x: an engine's vectors are views of wasm memory that an allocation (or the
  // objective's own work) may move; x.data is written back after every step
  const xs = Float64Array.from(x.data);
  const r = new Float64Array(mm), rt = new Float64Array(mm), Jm = space.mat(m, n), a = gram ? new Float64Array(0) : new Float64Array(mm * n);
  const G = gram ? space.mat(n, n) : undefined, rv = gram ? space.vec(m) : undefined, jtr = gram ? space.vec(n) : undefined, Gs = new Float64Array(gram ? n * n : 0);
  const R = new Float64Array(n * n), perm = new Int32Array(n), rdiag = new Float64Array(n), acnorm = new Float64Array(n), col = new Float64Array(mm);
  const pn = new Float64Array(n), pw = new Float64Array(n);
  const diag = new Float64Array(n), qtf = new Float64Array(n), p = new Float64Array(n), xt = new Float64Array(n), wa = new Float64Array(n), qv = new Float64Array(mm);
  const work: LmparWork = { wa1: new Float64Array(n), wa2: new Float64Array(n), dd: new Float64Array(n), sdiag: new Float64Array(n), rd: new Float64Array(n), qw: new Float64Array(n) };
  const g = space.vec(n);
  // geodesic acceleration: the second trial x + v + a/2 and its residuals, r_vv, Qᵀr_vv, a, J·v
  const xa = new Float64Array(n), ra = new Float64Array(mm), rvv = new Float64Array(mm), qtv = new Float64Array(n), acc = new Float64Array(n);
  const pvec = gram ? space.vec(n) : undefined, jv = gram ? space.vec(m) : undefined;
  const residuals = (at: Float64Array, out: Float64Array): number => {
    obj.residuals!(at, out.subarray(0, m));
    return enorm(out, m);
  };
  let fnorm = residuals(xs, r);
  let f = fnorm * fnorm;
  const fail = (): { f: number; g: Vec } => { ctx.stop('not-finite', `the residuals at the start are not finite (f = ${f})`); return { f, g }; };
  if (!Number.isFinite(f)) return fail();
  const residualTolerance = o.residualTolerance ?? (EPS * fnorm) ** 2;
  if (typeof residualTolerance !== 'number' || !(residualTolerance >= 0)) throw new DescentError(`minimize: lm residualTolerance must be a number ≥ 0, got ${show(o.residualTolerance)}`);
  // g = 2Jᵀr with the last J (row-major m×n) and the given r
  const gradient = (res: Float64Array) => {
    if (gram) {
      rv!.data.set(res.subarray(0, m));
      space.gemv(true, 2, Jm, rv!, 0, g);
      return;
    }
    const gd = g.data, Jd = Jm.data;
    for (let j = 0; j < n; j++) gd[j] = 0;
    for (let i = 0; i < m; i++) { const ri = 2 * res[i]; for (let j = 0; j < n; j++) gd[j] += Jd[i * n + j] * ri; }
  };
  let par = 0, delta = 0, xnorm = 0;
  let first = true;
  const stop = (reason: string, message: string) => { ctx.stop(reason, message); return { f, g }; };
  for (;;) {
    // J at x, its QR, the gradient test
    obj.jacobian!(xs, Jm.data);
    gradient(r);
    if (first) {
      const stopped = ctx.record(x, f, g, 0, f);
      if (f <= residualTolerance && (!stopped || ctx.reason === 'gradient')) {
        return stop('residual', `f = ${f.toExponential(3)} ≤ residualTolerance ${residualTolerance.toExponential(3)} at the start`);
      }
      if (stopped) return { f, g };
    }
    const Jd = Jm.data;
    for (let j = 0; j < n * m; j++) {
      if (!Number.isFinite(Jd[j])) return stop('not-finite', `the Jacobian has a non-finite entry (${Jd[j]}) at the current x`);
    }
    if (gram) {
      space.gram(Jm, G!);
      Gs.set(G!.data);
      for (let j = 0; j < n; j++) acnorm[j] = Math.sqrt(Gs[j * n + j]);
      // factor S·G·S with S = diag(1/‖J_j‖) (unit diagonal: the pivoting and the rank test see
      // relative sizes), then R = R̂·S⁻¹ in the pivoted order
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        const si = acnorm[i] || 1, sj = acnorm[j] || 1;
        Gs[i * n + j] /= si * sj;
      }
      gramFactor(Gs, n, R, perm);
      for (let j = 0; j < n; j++) { const sj = acnorm[perm[j]] || 1; for (let i = 0; i <= j; i++) R[i * n + j] *= sj; }
      // qtf = R⁻ᵀ·Pᵀ·Jᵀr (0 in the singular part)
      for (let j = 0; j < n; j++) jtr!.data[j] = g.data[j] / 2;
      solveRtPermuted(R, n, perm, jtr!.data, qtf);
    } else {
      a.fill(0);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * mm + i] = Jd[i * n + j];
      qrPivot(a, mm, n, perm, rdiag, acnorm, col, pn, pw);
    }
    if (first) {
      for (let j = 0; j < n; j++) diag[j] = scaling === 'identity' || acnorm[j] === 0 ? 1 : acnorm[j];
      for (let j = 0; j < n; j++) wa[j] = diag[j] * xs[j];
      xnorm = enorm(wa);
      delta = factor * xnorm;
      if (delta === 0) delta = factor;
    }
    // qtf = first n entries of Qᵀr; R into its own n×n array
    if (!gram) {
      qv.set(r);
      applyQt(a, mm, n, qv, qtf);
      R.fill(0);
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < j; i++) R[i * n + j] = a[j * mm + i];
        R[j * n + j] = rdiag[j];
      }
    }
    // the scaled gradient: max cosine between r and J's columns
    let gnorm = 0;
    if (fnorm !== 0) {
      for (let j = 0; j < n; j++) {
        const l = perm[j];
        if (acnorm[l] === 0) continue;
        let s = 0;
        for (let i = 0; i <= j; i++) s += R[i * n + j] * (qtf[i] / fnorm);
        gnorm = Math.max(gnorm, Math.abs(s / acnorm[l]));
      }
    }
    if (gnorm <= gtol) return stop('gtol', `r is orthogonal to the columns of J: max cosine ${gnorm.toExponential(3)} ≤ gtol`);
    if (scaling === 'jacobian') for (let j = 0; j < n; j++) diag[j] = Math.max(diag[j], acnorm[j]);
    // Geodesic acceleration (Transtrum & Sethna 2012, "Improvements to the Levenberg–Marquardt
    // algorithm for nonlinear least-squares minimization"): the step v is the velocity of the
    // geodesic x(t) with x(0) = x, x'(0) = v on the model manifold; its acceleration a solves
    // (JᵀJ + λDᵀD)·a = −Jᵀr_vv with r_vv = the second directional derivative of r along v, and
    // x + v + a/2 follows the curved valley the linear model cannot see. Transtrum & Sethna
    // estimate r_vv by an extra evaluation at x + h·v, r_vv ≈ (2/h)·((r(x + h·v) − r)/h − J·v);
    // here h = 1 and r(x + v) is the poor trial just evaluated: r_vv ≈ 2·(r(x + v) − r − J·v),
    // free. With the λ of v and R from the same QR, a costs one more qrsolv. Returns 2‖Da‖/‖Dv‖.
    const acceleration = (v: Float64Array, vnorm: number): number => {
      const Jd = Jm.data;
      if (gram) {
        pvec!.data.set(v);
        space.gemv(false, 1, Jm, pvec!, 0, jv!);
        const jvd = jv!.data;
        for (let i = 0; i < m; i++) rvv[i] = 2 * (rt[i] - r[i] - jvd[i]);
        // Qᵀr_vv = R⁻ᵀ·Pᵀ·Jᵀr_vv (0 in the singular part), as qtf
        rv!.data.set(rvv.subarray(0, m));
        space.gemv(true, 1, Jm, rv!, 0, jtr!);
        solveRtPermuted(R, n, perm, jtr!.data, qtv);
      } else {
        for (let i = 0; i < m; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += Jd[i * n + j] * v[j];
          rvv[i] = 2 * (rt[i] - r[i] - s);
        }
        for (let i = m; i < mm; i++) rvv[i] = 0;
        // Qᵀr_vv by the Householder vectors, as qtf
        qv.set(rvv);
        applyQt(a, mm, n, qv, qtv);
      }
      const sp = Math.sqrt(par);
      for (let j = 0; j < n; j++) work.dd[j] = sp * diag[j];
      qrSolve(n, R, perm, work.dd, qtv, acc, work.sdiag, work.qw, work.rd);
      for (let j = 0; j < n; j++) { acc[j] = -acc[j]; wa[j] = diag[j] * acc[j]; }
      return 2 * enorm(wa) / vnorm;
    };
    // trial steps until one is taken (ρ ≥ 1e-4) or a test fires
    for (;;) {
      par = lmpar(n, R, perm, diag, qtf, delta, par, p, work);
      for (let j = 0; j < n; j++) { p[j] = -p[j]; xt[j] = xs[j] + p[j]; wa[j] = diag[j] * p[j]; }
      const pnorm = enorm(wa);
      if (first) delta = Math.min(delta, pnorm);
      let fnorm1 = residuals(xt, rt);
      // actual reduction (−1 when f grew or r(x + p) is not finite) and predicted reduction, relative to f
      let actred = Number.isFinite(fnorm1) && 0.1 * fnorm1 < fnorm ? 1 - (fnorm1 / fnorm) ** 2 : -1;
      for (let j = 0; j < n; j++) {
        wa[j] = 0;
        const t = p[perm[j]];
        for (let i = 0; i <= j; i++) wa[i] += R[i * n + j] * t;
      }
      const t1 = enorm(wa) / fnorm, t2 = Math.sqrt(par) * pnorm / fnorm;
      const prered = t1 * t1 + t2 * t2 / 0.5;
      const dirder = -(t1 * t1 + t2 * t2);
      let ratio = prered !== 0 ? actred / prered : 0;
      // a poor trial (ρ < 1/4: Δ would shrink): try once more along the geodesic, x + v + a/2,
      // against the same predicted reduction (the model's for v — the curved step is meant to
      // deliver what the linear model promised); the better of the two trials goes on, and ρ,
      // the Δ and λ updates and the tests are those of the one kept (Δ from ‖D·v‖)
      if (geodesic && ratio < 0.25 && Number.isFinite(fnorm1) && acceleration(p, pnorm) <= alpha) {
        for (let j = 0; j < n; j++) xa[j] = xt[j] + 0.5 * acc[j];
        const fnorm2 = residuals(xa, ra);
        const actred2 = Number.isFinite(fnorm2) && 0.1 * fnorm2 < fnorm ? 1 - (fnorm2 / fnorm) ** 2 : -1;
        const ratio2 = prered !== 0 ? actred2 / prered : 0;
        if (Number.isFinite(fnorm2) && ratio2 > ratio) {
          for (let j = 0; j < n; j++) { p[j] += 0.5 * acc[j]; xt[j] = xa[j]; }
          rt.set(ra);
          fnorm1 = fnorm2; actred = actred2; ratio = ratio2;
        }
      }
      if (ratio <= 0.25) {
        let t = actred >= 0 ? 0.5 : 0.5 * dirder / (dirder + 0.5 * actred);
        if (!(0.1 * fnorm1 < fnorm) || !(t >= 0.1)) t = 0.1;
        delta = t * Math.min(delta, pnorm / 0.1);
        par /= t;
      } else if (par === 0 || ratio >= 0.75) {
        delta = pnorm / 0.5;
        par *= 0.5;
      }
      const taken = ratio >= 1e-4;
      if (taken) {
        const fPrev = f;
        xs.set(xt);
        x.data.set(xs);
        r.set(rt);
        for (let j = 0; j < n; j++) wa[j] = diag[j] * xs[j];
        xnorm = enorm(wa);
        fnorm = fnorm1;
        f = fnorm * fnorm;
        first = false;
        gradient(r); // with the last J: 2J(x_prev)ᵀr(x) until the next J
        ctx.iteration++;
        const stopped = ctx.record(x, f, g, enorm(p), fPrev);
        // f ≤ tiny says more than a zero gradient or a null step at a zero residual
        if (f <= residualTolerance && (!stopped || ctx.reason === 'gradient' || ctx.reason === 'step')) {
          return stop('residual', `f = ${f.toExponential(3)} ≤ residualTolerance ${residualTolerance.toExponential(3)}`);
        }
        if (stopped) return { f, g };
      }
      const fTest = Math.abs(actred) <= ftol && prered <= ftol && 0.5 * ratio <= 1;
      const xTest = delta <= xtol * xnorm;
      if (fTest && xTest) return stop('ftol+xtol', `the relative reduction of f (actual ${actred.toExponential(3)}, predicted ${prered.toExponential(3)}) is ≤ ftol and the trust region Δ = ${delta.toExponential(3)} ≤ xtol·‖Dx‖`);
      if (fTest) return stop('ftol', `the relative reduction of f (actual ${actred.toExponential(3)}, predicted ${prered.toExponential(3)}) is ≤ ftol`);
      if (xTest) return stop('xtol', `the trust region Δ = ${delta.toExponential(3)} ≤ xtol·‖Dx‖ = ${(xtol * xnorm).toExponential(3)}`);
      if (ctx.evaluations >= ctx.maxEval) return stop('max-evaluations', `reached maxEvaluations = ${ctx.maxEval}`);
      if (Math.abs(actred) <= EPS && prered <= EPS && 0.5 * ratio <= 1) return stop('precision', 'the relative reduction of f is below machine precision: no further reduction possible');
      if (delta <= EPS * xnorm) return stop('precision', 'the trust region is below machine precision relative to ‖Dx‖: no further improvement in x possible');
      if (gnorm <= EPS) return stop('precision', 'r is orthogonal to the columns of J to machine precision');
      if (taken) break;
    }
  }
}
