// The Hessian's spectrum from Hessian-vector products only (H = ∇²f(x) is never formed).
//
// Power iteration (the eigenvalue of largest magnitude):
//   v₀ random, ‖v₀‖ = 1;   w = H·vₖ,   λₖ = vₖᵀw (Rayleigh quotient),   vₖ₊₁ = w/‖w‖,
//   stop when |λₖ − λₖ₋₁| ≤ tol·|λₖ|. The error of λₖ shrinks like (λ₂/λ₁)^{2k} for symmetric H,
//   so a close second eigenvalue makes it slow; on an indefinite H it finds max |λ|, with its
//   sign.
// Lanczos (the extreme eigenvalues, both ends at once), k steps:
//   q₁ random unit, β₀ = 0;  for j = 1…k:  w = H·q_j − β_{j−1}q_{j−1};  α_j = q_jᵀw;
//   w ← w − α_j q_j;  (full reorthogonalization: w ← w − Σᵢ (qᵢᵀw) qᵢ, twice — float64 loses
//   orthogonality once a Ritz value converges, which would duplicate it);  β_j = ‖w‖;
//   q_{j+1} = w/β_j  (stop early if β_j ≈ 0: an invariant subspace, the Ritz values are exact).
//   The k×k tridiagonal T = tridiag(β, α, β) has eigenvalues (Ritz values) whose extremes
//   converge to λ_min and λ_max of H far faster than power iteration (Chebyshev-like rate);
//   they are found by bisection on Sturm sequences: the number of negative pivots of the LDLᵀ
//   factorization of T − σI counts the eigenvalues below σ (Gershgorin bounds start it).
//   Memory k·n; cost k Hessian-vector products. Condition estimate λ_max/λ_min when λ_min > 0.
// Works on any Objective with hessianVector (src/minimize/objective.ts), e.g. networkObjective,
// where H·v is a finite difference of gradients in float32: expect ~1e-3 relative accuracy there.

import { DescentError, show } from '../engine/errors.js';
import type { Objective } from '../minimize/objective.js';
import { Random } from '../random.js';

export interface PowerIterationOptions {
  /** Maximum Hessian-vector products (default 200). */
  iterations?: number;
  /** Relative change of the Rayleigh quotient to stop at (default 1e-10). */
  tol?: number;
  /** Seed of the random start (default 0). */
  seed?: number;
}

export interface PowerIterationResult {
  /** The eigenvalue of largest magnitude. */
  eigenvalue: number;
  /** Its unit eigenvector estimate. */
  vector: Float64Array;
  iterations: number;
  converged: boolean;
}

export interface LanczosOptions {
  /** Lanczos steps k (default min(n, 30)). */
  steps?: number;
  seed?: number;
}

export interface LanczosResult {
  /** The Ritz values, ascending. */
  ritzValues: Float64Array;
  min: number;
  max: number;
  /** max/min when min > 0, else NaN (H not positive definite along the Krylov space). */
  condition: number;
  /** Steps taken (< k after an invariant subspace). */
  steps: number;
  /** The tridiagonal: diagonal α (length steps) and off-diagonal β (length steps − 1). */
  alpha: Float64Array;
  beta: Float64Array;
}

type HvObjective = Objective & Required<Pick<Objective, 'hessianVector'>>;

function needHv(obj: Objective, x: Float64Array, op: string): HvObjective {
  if (!obj || typeof obj.hessianVector !== 'function') throw new DescentError(`${op}: the objective has no hessianVector(x, v, out)`);
  if (!(x instanceof Float64Array) || x.length !== obj.n) throw new DescentError(`${op}: x must be a Float64Array of length n = ${obj.n}, got ${x?.length}`);
  return obj as HvObjective;
}

function positiveInt(v: number | undefined, dflt: number, op: string, name: string): number {
  const k = v ?? dflt;
  if (!Number.isSafeInteger(k) || k < 1) throw new DescentError(`${op}: ${name} must be a positive integer, got ${show(v)}`);
  return k;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function randomUnit(n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const v = Float64Array.from({ length: n }, () => rng.normal());
  const s = 1 / Math.sqrt(dot(v, v));
  for (let i = 0; i < n; i++) v[i] *= s;
  return v;
}

/** The eigenvalue of ∇²f(x) of largest magnitude, by power iteration (see the header). */
export function powerIteration(obj: Objective, x: Float64Array, opts: PowerIterationOptions = {}): PowerIterationResult {
  const op = 'powerIteration';
  const f = needHv(obj, x, op);
  const iterations = positiveInt(opts.iterations, 200, op, 'iterations');
  const tol = opts.tol ?? 1e-10;
  if (!(tol >= 0)) throw new DescentError(`${op}: tol must be ≥ 0, got ${show(opts.tol)}`);
  const n = f.n;
  let v: Float64Array = randomUnit(n, opts.seed ?? 0);
  let w: Float64Array = new Float64Array(n);
  let lambda = NaN;
  for (let k = 1; k <= iterations; k++) {
    f.hessianVector(x, v, w);
    const next = dot(v, w);
    const norm = Math.sqrt(dot(w, w));
    if (!Number.isFinite(norm)) throw new DescentError(`${op}: the Hessian-vector product is not finite at iteration ${k}`);
    const done = Math.abs(next - lambda) <= tol * Math.abs(next) || norm === 0;
    lambda = next;
    if (done) return { eigenvalue: lambda, vector: v, iterations: k, converged: true };
    for (let i = 0; i < n; i++) w[i] /= norm;
    [v, w] = [w, v];
  }
  return { eigenvalue: lambda, vector: v, iterations, converged: false };
}

/** The number of eigenvalues of tridiag(β, α, β) below σ (Sturm count: negative LDLᵀ pivots). */
function countBelow(alpha: Float64Array, beta: Float64Array, sigma: number): number {
  let count = 0, d = 1;
  for (let i = 0; i < alpha.length; i++) {
    const b2 = i > 0 ? beta[i - 1] * beta[i - 1] : 0;
    d = alpha[i] - sigma - (i > 0 ? b2 / d : 0);
    if (d === 0) d = -Number.EPSILON * (Math.abs(sigma) + Math.abs(alpha[i]) + Number.MIN_VALUE); // step past an exact zero pivot
    if (d < 0) count++;
  }
  return count;
}

/** All eigenvalues of the symmetric tridiagonal tridiag(β, α, β), ascending, by bisection. */
export function tridiagonalEigenvalues(alpha: Float64Array, beta: Float64Array): Float64Array {
  const k = alpha.length;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < k; i++) {
    const r = (i > 0 ? Math.abs(beta[i - 1]) : 0) + (i < k - 1 ? Math.abs(beta[i]) : 0);
    lo = Math.min(lo, alpha[i] - r);
    hi = Math.max(hi, alpha[i] + r);
  }
  const span = Math.max(Math.abs(lo), Math.abs(hi), Number.MIN_VALUE);
  const out = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    // the (j+1)-th smallest: the smallest σ with countBelow(σ) > j
    let a = lo - span * 1e-12, b = hi + span * 1e-12;
    for (let it = 0; it < 200 && b - a > 4 * Number.EPSILON * span; it++) {
      const m = 0.5 * (a + b);
      if (m === a || m === b) break;
      if (countBelow(alpha, beta, m) > j) b = m;
      else a = m;
    }
    out[j] = 0.5 * (a + b);
  }
  return out;
}

/** Extreme eigenvalues of ∇²f(x) and a condition estimate by k Lanczos steps (see the header). */
export function lanczos(obj: Objective, x: Float64Array, opts: LanczosOptions = {}): LanczosResult {
  const op = 'lanczos';
  const f = needHv(obj, x, op);
  const n = f.n;
  const k = positiveInt(opts.steps, Math.min(n, 30), op, 'steps');
  if (k > n) throw new DescentError(`${op}: steps ${k} exceeds n = ${n} (a Krylov space has at most n dimensions)`);
  const Q: Float64Array[] = [randomUnit(n, opts.seed ?? 0)];
  const alpha: number[] = [], beta: number[] = [];
  const w = new Float64Array(n);
  let scale = 0;
  for (let j = 0; j < k; j++) {
    const q = Q[j];
    f.hessianVector(x, q, w);
    const a = dot(q, w);
    if (!Number.isFinite(a)) throw new DescentError(`${op}: the Hessian-vector product is not finite at step ${j + 1}`);
    alpha.push(a);
    // full reorthogonalization against every q (subsumes the three-term recurrence), twice
    for (let pass = 0; pass < 2; pass++) {
      for (const p of Q) {
        const c = dot(p, w);
        for (let i = 0; i < n; i++) w[i] -= c * p[i];
      }
    }
    const b = Math.sqrt(dot(w, w));
    scale = Math.max(scale, Math.abs(a), b);
    if (j === k - 1 || b <= 1e-12 * scale) break;
    beta.push(b);
    Q.push(Float64Array.from(w, (v) => v / b));
  }
  const A = Float64Array.from(alpha), B = Float64Array.from(beta);
  const ritzValues = tridiagonalEigenvalues(A, B);
  const min = ritzValues[0], max = ritzValues[ritzValues.length - 1];
  return { ritzValues, min, max, condition: min > 0 ? max / min : NaN, steps: A.length, alpha: A, beta: B };
}
