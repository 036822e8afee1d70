// Cholesky factorization A = L·Lᵀ of a symmetric positive definite n×n matrix (row-major, in
// place; only the lower triangle of A is read), and the solve x = (L·Lᵀ)⁻¹·b.
//
//   Lⱼⱼ = √(Aⱼⱼ − Σ_{k<j} Lⱼₖ²)          Lᵢⱼ = (Aᵢⱼ − Σ_{k<j} LᵢₖLⱼₖ) / Lⱼⱼ   (i > j)
//
// Organization. In row-major storage the contiguous direction of the lower triangle is along
// rows, but the update that dominates the cost, Aᵢⱼ −= LᵢₖLⱼₖ over the trailing matrix for each
// k, runs down columns of L. So the factorization works on the transpose: the lower triangle
// is first mirrored into the upper one, where row k holds column k of L (U = Lᵀ, A = UᵀU), and
// the right-looking ("outer product") algorithm runs on the rows of U:
//
//   for k = 0, 1, …:   Uₖₖ = √Aₖₖ,  Uₖⱼ = Aₖⱼ / Uₖₖ (j > k),
//                      Aᵢⱼ −= UₖᵢUₖⱼ  for k < i ≤ j   (row i: an f64x2 axpy along j)
//
// then U is moved back into the lower triangle and the strict upper triangle is zeroed, so the
// returned matrix is exactly L. The two O(n²) copies are small beside the n³/3 flops.
// Blocking: the trailing update applies four rows of U per sweep (rows k…k+3 are first
// finished against each other), loading and storing each pair of A once for four products:
// the trailing matrix streams through the cache a quarter as often.
//
// Rounding. Every element receives its updates in increasing k, each product rounded and then
// subtracted, followed by one correctly rounded division or square root: exactly the
// operations of the scalar column loop "for j: d = Aⱼⱼ; for k < j: d −= Lⱼₖ·Lⱼₖ; Lⱼⱼ = √d;
// for i > j: s = Aᵢⱼ; for k < j: s −= Lᵢₖ·Lⱼₖ; Lᵢⱼ = s / Lⱼⱼ", so that loop reproduces L
// bit for bit, in both builds.
//
// Failure. If a pivot Aₖₖ − Σ Lₖⱼ² is not positive (or is NaN or ∞), A is not (numerically)
// positive definite: the factorization stops and returns k, the index of that pivot; A is
// then left in an unspecified state. Success returns −1. The test is exact, d > 0: a
// semidefinite matrix whose zero pivot comes out as a rounding-level positive number is
// "factored" with a tiny Lₖₖ; callers that need a margin add it to the diagonal first.

import { axpyKernel } from "./blas64";
import { mirrorLower, moveUpperToLower, f64Trsv } from "./triangle";

/** Factor row k of U: pivot check, square root, division of the rest of the row. */
@inline function pivotRow(n: i32, a: usize, k: i32): bool {
  const ld = <usize>n << 3;
  const row = a + <usize>k * ld;
  const pk = row + (<usize>k << 3);
  const d = load<f64>(pk);
  if (!(d > 0 && d < Infinity)) return false;
  const u = Math.sqrt(d);
  store<f64>(pk, u);
  const uv = f64x2.splat(u);
  let j = k + 1;
  for (; j + 2 <= n; j += 2) {
    const p = row + (<usize>j << 3);
    v128.store(p, f64x2.div(v128.load(p), uv));
  }
  if (j < n) {
    const p = row + (<usize>j << 3);
    store<f64>(p, load<f64>(p) / u);
  }
  return true;
}

/** In place A = L·Lᵀ from the lower triangle of A; −1 on success, else the failing pivot. */
export function f64Cholesky(n: i32, a: usize): i32 {
  const ld = <usize>n << 3;
  mirrorLower(n, a);
  for (let k = 0; k < n; k += 4) {
    const kb = min(4, n - k);
    // the panel: rows k … k+kb−1 of U, each updated by the panel rows above it, in order
    for (let r = k; r < k + kb; r++) {
      const rowR = a + <usize>r * ld + (<usize>r << 3);
      for (let q = k; q < r; q++) {
        const rowQ = a + <usize>q * ld;
        axpyKernel(n - r, -load<f64>(rowQ + (<usize>r << 3)), rowQ + (<usize>r << 3), rowR);
      }
      if (!pivotRow(n, a, r)) return r;
    }
    if (kb < 4) break; // the last panel: nothing trails it
    // the trailing update: A[i][j] −= U[k][i]U[k][j] + … + U[k+3][i]U[k+3][j], k+4 ≤ i ≤ j
    const u0 = a + <usize>k * ld, u1 = u0 + ld, u2 = u1 + ld, u3 = u2 + ld;
    for (let i = k + 4; i < n; i++) {
      const o = <usize>i << 3;
      const c0 = f64x2.neg(v128.load64_splat(u0 + o)), c1 = f64x2.neg(v128.load64_splat(u1 + o));
      const c2 = f64x2.neg(v128.load64_splat(u2 + o)), c3 = f64x2.neg(v128.load64_splat(u3 + o));
      const ai = a + <usize>i * ld;
      let j = i;
      for (; j + 2 <= n; j += 2) {
        const q = <usize>j << 3;
        let v = v128.load(ai + q);
        v = f64x2.add(v, f64x2.mul(c0, v128.load(u0 + q)));
        v = f64x2.add(v, f64x2.mul(c1, v128.load(u1 + q)));
        v = f64x2.add(v, f64x2.mul(c2, v128.load(u2 + q)));
        v = f64x2.add(v, f64x2.mul(c3, v128.load(u3 + q)));
        v128.store(ai + q, v);
      }
      if (j < n) {
        const q = <usize>j << 3;
        let v = load<f64>(ai + q);
        v += f64x2.extract_lane(c0, 0) * load<f64>(u0 + q);
        v += f64x2.extract_lane(c1, 0) * load<f64>(u1 + q);
        v += f64x2.extract_lane(c2, 0) * load<f64>(u2 + q);
        v += f64x2.extract_lane(c3, 0) * load<f64>(u3 + q);
        store<f64>(ai + q, v);
      }
    }
  }
  moveUpperToLower(n, a);
  return -1;
}

/** x ← (L·Lᵀ)⁻¹·b: L·z = b forward, then Lᵀ·x = z backward (x may equal b). */
export function f64CholSolve(n: i32, l: usize, b: usize, x: usize): void {
  if (x != b) memory.copy(x, b, <usize>n << 3);
  f64Trsv(1, 0, n, l, x);
  f64Trsv(1, 1, n, l, x);
}
