// The Gram matrix of a Jacobian, G = JᵀJ (J m×n row-major, G n×n), the Gauss–Newton matrix of
// least squares: Gᵢⱼ = Σₖ JₖᵢJₖⱼ.
//
// Row-major J has its columns strided, so G is not formed from column inner products but as a
// sum of rank-1 updates, one per row k of J:  G ← G + Jₖᵀ·Jₖ, which in row i of G is the
// contiguous axpy  Gᵢ,₀..ᵢ += Jₖᵢ·Jₖ,₀..ᵢ  (f64x2 along j). G is symmetric, so only the lower
// triangle (j ≤ i) is accumulated, half the flops, and mirrored to the upper one at the end:
// G comes out exactly symmetric.
//
// Four rows of J are applied per sweep over G, each G pair loaded once, updated by the four
// products in turn and stored: a quarter of the memory traffic on G (for n = 300 the lower
// triangle is 360 KB, more than L2 on many machines) at unchanged rounding. Every element
// still sums in increasing k, Gᵢⱼ = ((J₀ᵢJ₀ⱼ + J₁ᵢJ₁ⱼ) + J₂ᵢJ₂ⱼ) + …, the order of the
// plain loop "for k, for i, for j ≤ i: G[i][j] += J[k][i]·J[k][j]" (no fused multiply-add in
// either build), which a test reproduces bit for bit. Cost m·n(n+1)/2 multiply-adds.
//
// f64GramBlock computes the elements of one rectangle of G, rows i₀ … i₀+rows−1 and columns
// c₀ … c₀+cols−1, that lie in the lower triangle, and mirrors them to the upper one; the
// thread pool splits G into such tiles (src/engine/threads/plans-f64.ts). Each element sums
// the same products in the same order whatever the rectangle (a pair of columns or a single
// one rounds alike), so any tiling gives the bits of the whole call, and the tiles of a grid
// write disjoint elements (the lower ones they own and those elements' mirrors). A tile that
// fits in cache also keeps G there across the m/4 sweeps.

import { mirrorLower } from "./triangle";

export function f64Gram(m: i32, n: i32, j: usize, g: usize): void {
  f64GramBlock(m, n, j, g, 0, n, 0, n);
}

/** The lower-triangle elements of G's rows i0 … i0+rows−1 × columns c0 … c0+cols−1, and their mirrors. */
export function f64GramBlock(m: i32, n: i32, j: usize, g: usize, i0: i32, rows: i32, c0: i32, cols: i32): void {
  const ld = <usize>n << 3;
  const i1 = i0 + rows, c1 = c0 + cols;
  const ib = max(i0, c0); // rows above c0 have no element on or below the diagonal here
  if (ib >= i1 || cols <= 0) return;
  const cb = <usize>c0 << 3;
  for (let i = ib; i < i1; i++) memory.fill(g + <usize>i * ld + cb, 0, <usize>(min(c1, i + 1) - c0) << 3);
  let k = 0;
  for (; k + 4 <= m; k += 4) {
    const r0 = j + <usize>k * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
    for (let i = ib; i < i1; i++) {
      const o = <usize>i << 3;
      const a0 = v128.load64_splat(r0 + o), a1 = v128.load64_splat(r1 + o);
      const a2 = v128.load64_splat(r2 + o), a3 = v128.load64_splat(r3 + o);
      const gi = g + <usize>i * ld;
      const ce = min(c1, i + 1);
      let c = c0;
      for (; c + 2 <= ce; c += 2) {
        const q = <usize>c << 3;
        let v = v128.load(gi + q);
        v = f64x2.add(v, f64x2.mul(a0, v128.load(r0 + q)));
        v = f64x2.add(v, f64x2.mul(a1, v128.load(r1 + q)));
        v = f64x2.add(v, f64x2.mul(a2, v128.load(r2 + q)));
        v = f64x2.add(v, f64x2.mul(a3, v128.load(r3 + q)));
        v128.store(gi + q, v);
      }
      if (c < ce) {
        const q = <usize>c << 3;
        let v = load<f64>(gi + q);
        v += f64x2.extract_lane(a0, 0) * load<f64>(r0 + q);
        v += f64x2.extract_lane(a1, 0) * load<f64>(r1 + q);
        v += f64x2.extract_lane(a2, 0) * load<f64>(r2 + q);
        v += f64x2.extract_lane(a3, 0) * load<f64>(r3 + q);
        store<f64>(gi + q, v);
      }
    }
  }
  for (; k < m; k++) {
    const r0 = j + <usize>k * ld;
    for (let i = ib; i < i1; i++) {
      const a = load<f64>(r0 + (<usize>i << 3));
      const a0 = f64x2.splat(a);
      const gi = g + <usize>i * ld;
      const ce = min(c1, i + 1);
      let c = c0;
      for (; c + 2 <= ce; c += 2) {
        const q = <usize>c << 3;
        v128.store(gi + q, f64x2.add(v128.load(gi + q), f64x2.mul(a0, v128.load(r0 + q))));
      }
      if (c < ce) {
        const q = <usize>c << 3;
        store<f64>(gi + q, load<f64>(gi + q) + a * load<f64>(r0 + q));
      }
    }
  }
  if (i0 == 0 && c0 == 0 && rows == n && cols == n) {
    mirrorLower(n, g);
    return;
  }
  // Gcᵢ ← Gᵢc for the tile's elements below the diagonal, a row of the upper triangle at a time
  for (let c = c0; c < c1 && c < i1 - 1; c++) {
    const col = g + (<usize>c << 3), dst = g + <usize>c * ld;
    for (let i = max(ib, c + 1); i < i1; i++) store<f64>(dst + (<usize>i << 3), load<f64>(col + <usize>i * ld));
  }
}
