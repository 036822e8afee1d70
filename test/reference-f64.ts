// Plain TypeScript float64 references for the linear-algebra kernels (assembly/linalg/).
//
// Two kinds, kept apart by name:
//  - the kernels' own operation order (…Ordered, and the loops whose order every sensible
//    implementation shares), which the wasm results must equal bit for bit: no fused
//    multiply-add in either build, so the same operations in the same order round alike;
//  - textbook forms (left-to-right sums, explicit matrix products), which they must match
//    within a rounding bound.
// Matrices are row-major Float64Arrays with their sizes passed alongside.

import { rng } from './reference.js';

export const EPS = 2 ** -52;

/** n doubles uniform in [lo, hi), all 53 bits random. */
export function randomF64(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * (r() + r() * 2 ** -32);
  return out;
}

/** A random symmetric positive definite n×n matrix BᵀB/n + shift·I (condition ~10² for shift 0.1). */
export function randomSpd(n: number, seed: number, shift = 0.1): Float64Array {
  const B = randomF64(n * n, seed);
  const A = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += B[k * n + i] * B[k * n + j];
  }
  for (let i = 0; i < n * n; i++) A[i] /= n;
  for (let i = 0; i < n; i++) A[i * n + i] += shift;
  return A;
}

/** The 64 bits of each double, as hex strings (so −0 ≠ +0 and NaN payloads count). */
export function bits64(x: ArrayLike<number>): string[] {
  const a = Float64Array.from(x);
  return Array.from(new BigUint64Array(a.buffer), (b) => b.toString(16));
}

/** Left to right: Σ xᵢyᵢ. */
export function dotSeq(n: number, x: ArrayLike<number>, y: ArrayLike<number>, xo = 0, yo = 0): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xo + i] * y[yo + i];
  return s;
}

/** Σ|xᵢyᵢ|: scales the rounding bound of an inner product. */
export function dotAbs(n: number, x: ArrayLike<number>, y: ArrayLike<number>, xo = 0, yo = 0): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(x[xo + i] * y[yo + i]);
  return s;
}

/**
 * The kernels' inner product: eight partial sums pₗ over i ≡ l (mod 8) of the full blocks,
 * r = ((p₀ + p₂) + (p₄ + p₆)) + ((p₁ + p₃) + (p₅ + p₇)), then the tail added left to right.
 */
export function dotOrdered(n: number, x: ArrayLike<number>, y: ArrayLike<number>, xo = 0, yo = 0): number {
  const p = [0, 0, 0, 0, 0, 0, 0, 0];
  let i = 0;
  for (; i + 8 <= n; i += 8) for (let l = 0; l < 8; l++) p[l] += x[xo + i + l] * y[yo + i + l];
  let r = ((p[0] + p[2]) + (p[4] + p[6])) + ((p[1] + p[3]) + (p[5] + p[7]));
  for (; i < n; i++) r += x[xo + i] * y[yo + i];
  return r;
}

/** ‖x‖₂ scaled by max|xᵢ| (LAPACK dnrm2's idea): the textbook reference, any magnitude. */
export function nrm2Scaled(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  if (m === 0 || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] / m) ** 2;
  return m * Math.sqrt(s);
}

/** y ← α·op(A)·x + β·y in the kernel's order (rows: dotOrdered; Aᵀ: column sums by row). */
export function gemvOrdered(trans: boolean, m: number, n: number, alpha: number, A: ArrayLike<number>,
                            x: ArrayLike<number>, beta: number, y: Float64Array): void {
  if (!trans) {
    for (let i = 0; i < m; i++) {
      const t = alpha * dotOrdered(n, A, x, i * n, 0);
      y[i] = beta === 0 ? t : t + beta * y[i];
    }
    return;
  }
  for (let j = 0; j < n; j++) {
    let t = 0;
    for (let i = 0; i < m; i++) t += A[i * n + j] * x[i];
    y[j] = beta === 0 ? alpha * t : alpha * t + beta * y[j];
  }
}

/** G ← JᵀJ: for each row k of J, for i, for j ≤ i: Gᵢⱼ += JₖᵢJₖⱼ; then the upper = the lower. */
export function gramRef(m: number, n: number, J: ArrayLike<number>): Float64Array {
  const G = new Float64Array(n * n);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < n; i++) {
      const a = J[k * n + i];
      for (let j = 0; j <= i; j++) G[i * n + j] += a * J[k * n + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) G[j * n + i] = G[i * n + j];
  return G;
}

/**
 * The column Cholesky loop on the lower triangle of A (in place; strict upper zeroed on
 * success): −1, or the first k whose pivot Aₖₖ − Σⱼ Lₖⱼ² is not positive and finite.
 */
export function choleskyRef(n: number, A: Float64Array): number {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0 && d < Infinity)) return j;
    const ljj = Math.sqrt(d);
    A[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / ljj;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[i * n + j] = 0;
  return -1;
}

/** b ← op(T)⁻¹·b in the kernel's order: dot forms with dotOrdered, axpy forms by solved unknown. */
export function trsvOrdered(lower: boolean, trans: boolean, n: number, T: ArrayLike<number>, b: Float64Array): void {
  if (lower && !trans) {
    for (let i = 0; i < n; i++) b[i] = (b[i] - dotOrdered(i, T, b, i * n, 0)) / T[i * n + i];
  } else if (!lower && !trans) {
    for (let i = n - 1; i >= 0; i--) b[i] = (b[i] - dotOrdered(n - i - 1, T, b, i * n + i + 1, i + 1)) / T[i * n + i];
  } else if (lower) {
    for (let i = n - 1; i >= 0; i--) {
      const xi = b[i] / T[i * n + i];
      b[i] = xi;
      for (let j = 0; j < i; j++) b[j] += -xi * T[i * n + j];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const xi = b[i] / T[i * n + i];
      b[i] = xi;
      for (let j = i + 1; j < n; j++) b[j] += -xi * T[i * n + j];
    }
  }
}

/** The BFGS inverse update in the kernel's order (H ← H + s·wᵀ + w·sᵀ, w = (c/2)s − ρHy). */
export function bfgsOrdered(n: number, H: Float64Array, s: ArrayLike<number>, y: ArrayLike<number>): void {
  const rho = 1 / dotOrdered(n, y, s);
  const h = new Float64Array(n);
  gemvOrdered(false, n, n, 1, H, y, 0, h);
  const halfC = 0.5 * (rho * rho * dotOrdered(n, y, h) + rho);
  const w = h.map((hi, i) => halfC * s[i] - rho * hi);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H[i * n + j] += s[i] * w[j] + w[i] * s[j];
}

/** C = A·B for row-major A (m×k) and B (k×n), left-to-right sums. */
export function matmul(m: number, k: number, n: number, A: ArrayLike<number>, B: ArrayLike<number>): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
      C[i * n + j] = s;
    }
  }
  return C;
}

/** The BFGS inverse update written as the formula: (I − ρsyᵀ)·H·(I − ρysᵀ) + ρssᵀ. */
export function bfgsExplicit(n: number, H: ArrayLike<number>, s: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  const rho = 1 / dotSeq(n, y, s);
  const left = new Float64Array(n * n), right = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      left[i * n + j] = (i === j ? 1 : 0) - rho * s[i] * y[j];
      right[i * n + j] = (i === j ? 1 : 0) - rho * y[i] * s[j];
    }
  }
  const out = matmul(n, n, n, matmul(n, n, n, left, H), right);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] += rho * s[i] * s[j];
  return out;
}

/** max |aᵢ| */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** max |aᵢ − bᵢ| */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
