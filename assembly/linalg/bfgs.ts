// The BFGS update of an inverse-Hessian approximation H (n×n, symmetric, row-major) from a
// step s = x⁺ − x and a gradient change y = ∇f(x⁺) − ∇f(x) (Nocedal & Wright, Numerical
// Optimization, 2nd ed., eq. 6.17):
//
//   H⁺ = (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ,   ρ = 1 / (yᵀs)
//
// which satisfies the secant equation H⁺y = s and stays positive definite when yᵀs > 0.
// Multiplying out with h = H·y and yᵀH = hᵀ (H symmetric):
//
//   H⁺ = H − ρ·(s·hᵀ + h·sᵀ) + (ρ²·yᵀh + ρ)·s·sᵀ  =  H + s·wᵀ + w·sᵀ,
//   w = (c/2)·s − ρ·h,   c = ρ²·(yᵀh) + ρ,
//
// a symmetric rank-2 update: O(n²) (one gemv for h, one pass over H) instead of two O(n³)
// matrix products. `work` receives h, then w.
// Symmetry is kept exactly: element (i, j) gets Hᵢⱼ + (sᵢwⱼ + wᵢsⱼ), element (j, i) gets
// Hⱼᵢ + (sⱼwᵢ + wⱼsᵢ): the same two products, added in either order (IEEE addition and
// multiplication commute), so an exactly symmetric H stays exactly symmetric, step after step.
// yᵀs and yᵀh are inner products in the order of blas64.ts; no fused multiply-add.
//
// Returns yᵀs. If it is not positive (or is NaN) the update is undefined and H is left as is;
// the caller (src/linalg/f64.ts) reports it.

import { dotOrdered, f64Gemv } from "./blas64";

export function f64BfgsInverseUpdate(n: i32, h: usize, s: usize, y: usize, work: usize): f64 {
  const ys = dotOrdered(n, y, s);
  if (!(ys > 0)) return ys;
  const rho = 1 / ys;
  f64Gemv(0, n, n, 1, h, y, 0, work);
  const yh = dotOrdered(n, y, work);
  const halfC = 0.5 * (rho * rho * yh + rho);
  // work ← (c/2)·s − ρ·h
  const cv = f64x2.splat(halfC), rv = f64x2.splat(rho);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(work + o, f64x2.sub(f64x2.mul(cv, v128.load(s + o)), f64x2.mul(rv, v128.load(work + o))));
  }
  if (i < n) {
    const o = <usize>i << 3;
    store<f64>(work + o, halfC * load<f64>(s + o) - rho * load<f64>(work + o));
  }
  // H ← H + s·wᵀ + w·sᵀ, row by row
  const ld = <usize>n << 3;
  for (let r = 0; r < n; r++) {
    const o = <usize>r << 3;
    const sr = load<f64>(s + o), wr = load<f64>(work + o);
    const sv = f64x2.splat(sr), wv = f64x2.splat(wr);
    const row = h + <usize>r * ld;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const q = <usize>j << 3;
      const u0 = f64x2.add(f64x2.mul(sv, v128.load(work + q)), f64x2.mul(wv, v128.load(s + q)));
      const u1 = f64x2.add(f64x2.mul(sv, v128.load(work + q, 16)), f64x2.mul(wv, v128.load(s + q, 16)));
      v128.store(row + q, f64x2.add(v128.load(row + q), u0));
      v128.store(row + q, f64x2.add(v128.load(row + q, 16), u1), 16);
    }
    for (; j + 2 <= n; j += 2) {
      const q = <usize>j << 3;
      const u0 = f64x2.add(f64x2.mul(sv, v128.load(work + q)), f64x2.mul(wv, v128.load(s + q)));
      v128.store(row + q, f64x2.add(v128.load(row + q), u0));
    }
    if (j < n) {
      const q = <usize>j << 3;
      store<f64>(row + q, load<f64>(row + q) + (sr * load<f64>(work + q) + wr * load<f64>(s + q)));
    }
  }
  return ys;
}
