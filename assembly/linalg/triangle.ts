// Triangular matrices (n×n, row-major): solves and the copies between the two triangles.
//
//   trsv: b ← T⁻¹·b or b ← T⁻ᵀ·b in place, T lower or upper triangular with its diagonal
//   mirrorLower:  Aⱼᵢ ← Aᵢⱼ for j < i (the upper triangle becomes the lower one's transpose)
//   moveUpperToLower:  Aᵢⱼ ← Aⱼᵢ, Aⱼᵢ ← 0 for j < i
//
// The four solves, each touching T row by row (contiguous) in the form that does:
//   L·x = b   forward,  dot form:   xᵢ = (bᵢ − Lᵢ,₀..ᵢ₋₁·x₀..ᵢ₋₁) / Lᵢᵢ,   i = 0 … n−1
//   U·x = b   backward, dot form:   xᵢ = (bᵢ − Uᵢ,ᵢ₊₁..·xᵢ₊₁..) / Uᵢᵢ,      i = n−1 … 0
//   Lᵀ·x = b  backward, axpy form: xᵢ = bᵢ / Lᵢᵢ, then b₀..ᵢ₋₁ −= xᵢ·Lᵢ,₀..ᵢ₋₁, i = n−1 … 0
//   Uᵀ·x = b  forward,  axpy form: xᵢ = bᵢ / Uᵢᵢ, then bᵢ₊₁.. −= xᵢ·Uᵢ,ᵢ₊₁..,   i = 0 … n−1
// (a row of L is a column of Lᵀ: the transposed solves subtract each solved unknown's column
// from the right-hand side at once). Inner products sum in the order of blas64.ts's header;
// in the axpy forms each bⱼ receives its updates in the order the loop solves the unknowns.
// A zero on the diagonal gives ±∞ / NaN, not an error: the callers factor first and know.
//
// The copies walk 16×16 tiles, so the strided side of the transpose stays within 16 cache lines.

import { dotOrdered, axpyKernel } from "./blas64";

const TILE = 16;

export function mirrorLower(n: i32, a: usize): void {
  const ld = <usize>n << 3;
  for (let ib = 0; ib < n; ib += TILE) {
    const ie = min(ib + TILE, n);
    for (let jb = 0; jb <= ib; jb += TILE) {
      for (let i = ib; i < ie; i++) {
        const je = min(jb + TILE, i);
        const row = a + <usize>i * ld, col = a + (<usize>i << 3);
        for (let j = jb; j < je; j++) store<f64>(col + <usize>j * ld, load<f64>(row + (<usize>j << 3)));
      }
    }
  }
}

export function moveUpperToLower(n: i32, a: usize): void {
  const ld = <usize>n << 3;
  for (let ib = 0; ib < n; ib += TILE) {
    const ie = min(ib + TILE, n);
    for (let jb = 0; jb <= ib; jb += TILE) {
      for (let i = ib; i < ie; i++) {
        const je = min(jb + TILE, i);
        const row = a + <usize>i * ld, col = a + (<usize>i << 3);
        for (let j = jb; j < je; j++) {
          const p = col + <usize>j * ld;
          store<f64>(row + (<usize>j << 3), load<f64>(p));
          store<f64>(p, 0);
        }
      }
    }
  }
}

/** b ← op(T)⁻¹·b in place; lower ≠ 0: T lower triangular, else upper; trans ≠ 0: op(T) = Tᵀ. */
export function f64Trsv(lower: i32, trans: i32, n: i32, t: usize, b: usize): void {
  const ld = <usize>n << 3;
  if (lower != 0 && trans == 0) {
    for (let i = 0; i < n; i++) {
      const row = t + <usize>i * ld, pb = b + (<usize>i << 3);
      store<f64>(pb, (load<f64>(pb) - dotOrdered(i, row, b)) / load<f64>(row + (<usize>i << 3)));
    }
  } else if (lower == 0 && trans == 0) {
    for (let i = n - 1; i >= 0; i--) {
      const row = t + <usize>i * ld, pb = b + (<usize>i << 3);
      const tail = <usize>(i + 1) << 3;
      store<f64>(pb, (load<f64>(pb) - dotOrdered(n - i - 1, row + tail, b + tail)) / load<f64>(row + (<usize>i << 3)));
    }
  } else if (lower != 0) {
    for (let i = n - 1; i >= 0; i--) {
      const row = t + <usize>i * ld, pb = b + (<usize>i << 3);
      const xi = load<f64>(pb) / load<f64>(row + (<usize>i << 3));
      store<f64>(pb, xi);
      axpyKernel(i, -xi, row, b);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const row = t + <usize>i * ld, pb = b + (<usize>i << 3);
      const xi = load<f64>(pb) / load<f64>(row + (<usize>i << 3));
      store<f64>(pb, xi);
      const tail = <usize>(i + 1) << 3;
      axpyKernel(n - i - 1, -xi, row + tail, b + tail);
    }
  }
}
