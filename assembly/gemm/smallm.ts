// Small-m product without packing:  Y[m×n] = X[m×k]·W[k×n] (+ bias per column), row-major.
//
// The inference path of a Dense layer for a few rows (batch 1 is a vector times a matrix).
// The blocked GEMM (driver.ts) packs W into 8-column panels on every call: O(kn) copying
// against O(mkn) work, which at m = 1 costs as much as the product itself, and a panel packed
// once per model would have to be re-packed whenever the parameters change (optimizer steps,
// loads, direct writes through model.parameters()). This kernel reads W in its stored layout
// instead, so there is nothing to keep in sync:
//   y[r,:] = bias + Σᵢ x[r,i]·W[i,:]
// W streams through once, row by row (sequential reads that the prefetcher follows; 2.2 MB
// for the MNIST 784-500-300-10 MLP, which lives in L3, not L2), four rows at a time: the four
// x[r,i] are splatted once per row block, and each 8-column piece of y[r,:] is loaded, gets
// four multiply-adds per lane and is stored. For m > 1 the 4×n block of W is read from
// memory once and from L1 for the other rows of X. Accumulators live in y (L1: 2 KB for
// n = 500), so there is no register tile and no edge case beyond the last n mod 8 columns.
//
// Summation order, per element (r, j), fixed for every m, n and k and both loops below:
//   acc = bias[j] (0 without bias);  for i = 0 … k−1: acc = acc + x[r,i]·W[i,j]
// each step rounded to f32 (plain SIMD: mul then add, two roundings; relaxed: FMA, one).
// So the plain build gives the same bits in every engine, and the scalar reference is a
// single loop (test/reference-smallm.ts). These are not the blocked GEMM's bits: it adds the
// bias after the sum.
// x may not overlap y; W and bias are read only. ldx, ldw, ldy are row strides in floats.

import { madd, maddf } from "../simd";

@inline function ldf(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

export function gemmSmallM(m: i32, n: i32, k: i32, x: usize, ldx: i32, w: usize, ldw: i32,
                           bias: usize, y: usize, ldy: i32): void {
  if (m <= 0 || n <= 0) return;
  const ldwb = <usize>ldw << 2;
  const n8 = n & ~7;
  const n4 = n & ~3;
  // acc = bias (or 0)
  for (let r = 0; r < m; r++) {
    const yr = y + ((<usize>r * ldy) << 2);
    if (bias != 0) memory.copy(yr, bias, <usize>n << 2);
    else memory.fill(yr, 0, <usize>n << 2);
  }
  let i = 0;
  for (; i + 4 <= k; i += 4) {
    const w0 = w + <usize>i * ldwb;
    const w1 = w0 + ldwb;
    const w2 = w1 + ldwb;
    const w3 = w2 + ldwb;
    for (let r = 0; r < m; r++) {
      const xr = x + ((<usize>r * ldx + i) << 2);
      const f0 = load<f32>(xr), f1 = load<f32>(xr, 4), f2 = load<f32>(xr, 8), f3 = load<f32>(xr, 12);
      const s0 = f32x4.splat(f0), s1 = f32x4.splat(f1), s2 = f32x4.splat(f2), s3 = f32x4.splat(f3);
      const yr = y + ((<usize>r * ldy) << 2);
      let j = 0;
      for (; j < n8; j += 8) {
        const o = <usize>j << 2;
        let a0 = v128.load(yr + o), a1 = v128.load(yr + o, 16);
        a0 = madd(s0, v128.load(w0 + o), a0); a1 = madd(s0, v128.load(w0 + o, 16), a1);
        a0 = madd(s1, v128.load(w1 + o), a0); a1 = madd(s1, v128.load(w1 + o, 16), a1);
        a0 = madd(s2, v128.load(w2 + o), a0); a1 = madd(s2, v128.load(w2 + o, 16), a1);
        a0 = madd(s3, v128.load(w3 + o), a0); a1 = madd(s3, v128.load(w3 + o, 16), a1);
        v128.store(yr + o, a0); v128.store(yr + o, a1, 16);
      }
      if (j < n4) {
        const o = <usize>j << 2;
        let a0 = v128.load(yr + o);
        a0 = madd(s0, v128.load(w0 + o), a0);
        a0 = madd(s1, v128.load(w1 + o), a0);
        a0 = madd(s2, v128.load(w2 + o), a0);
        a0 = madd(s3, v128.load(w3 + o), a0);
        v128.store(yr + o, a0);
        j += 4;
      }
      for (; j < n; j++) {
        let a = ldf(yr, j);
        a = maddf(f0, ldf(w0, j), a);
        a = maddf(f1, ldf(w1, j), a);
        a = maddf(f2, ldf(w2, j), a);
        a = maddf(f3, ldf(w3, j), a);
        store<f32>(yr + (<usize>j << 2), a);
      }
    }
  }
  // the last k mod 4 rows of W, one at a time (same order: the sum continues with row i)
  for (; i < k; i++) {
    const wi = w + <usize>i * ldwb;
    for (let r = 0; r < m; r++) {
      const f = ldf(x + ((<usize>r * ldx) << 2), i);
      const s = f32x4.splat(f);
      const yr = y + ((<usize>r * ldy) << 2);
      let j = 0;
      for (; j < n4; j += 4) {
        const o = <usize>j << 2;
        v128.store(yr + o, madd(s, v128.load(wi + o), v128.load(yr + o)));
      }
      for (; j < n; j++) store<f32>(yr + (<usize>j << 2), maddf(f, ldf(wi, j), ldf(yr, j)));
    }
  }
}
