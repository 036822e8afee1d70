// Chunk plans of the float64 linear-algebra kernels of the full-batch methods: see plans.ts.
//
// Each chunk computes its output elements with the instructions and summation order of the
// whole call (the kernels' headers in assembly/linalg/ say why), so the bits do not depend on
// the split, and no plan here is a reduction:
//   - f64Gemv / f64GemvLd with A·x: rows of y, one inner product each.
//   - f64GemvLd with Aᵀ·x: columns of y, each a sum over its own column of A in increasing row
//     order; a column range is a narrower A with the same leading dimension. Ranges start at
//     multiples of 8 (the kernel's register strip). f64Gemv(1, …) has no leading dimension to
//     give and runs whole: src/linalg/f64.ts calls f64GemvLd.
//   - f64Ger: rows of A (an axpy each).
//   - f64SymvRows: ranges of y; a range reads its rows of the lower triangle whole and the rows
//     below it in its columns, so A is read twice in all, but each yⱼ still receives α·tⱼ and
//     then the column updates in increasing row order, as in the whole call.
//   - f64GramBlock: square tiles of G = JᵀJ on the lower triangle (tiles above it are empty
//     chunks); a tile sums each of its elements over the rows of J in increasing order and
//     mirrors it. Square tiles of ≤ 64 rows keep the tile of G in L1/L2 over the m/4 sweeps.
// Thresholds (multiply-adds of one call), measured with a script timing 1 against 2 threads on
// this 2-vCPU machine (median of interleaved rounds): see the numbers next to each.

import { share, zeros, type Plan, type Planner } from './plan-shapes.js';

/** Smallest gemv / ger / symv worth splitting, in multiply-adds. */
export const F64_LEVEL2_MIN = 1 << 15;
/** Smallest Gram matrix worth splitting, in multiply-adds (m·n(n+1)/2). */
export const F64_GRAM_MIN = 1 << 16;

/** Rows [s, s + len) of a kernel: pointers ptrs advance by their per-row bytes. */
function rows(a: number[], threads: number, count: number, perRow: [number, number][], unit = 1): Plan | null {
  const n = a[count];
  const c0 = share(n, threads, unit);
  if (c0 >= n) return null;
  const mult0 = zeros(a.length);
  for (const [p, bytes] of perRow) mult0[p] = bytes;
  return { dim0: n, dim1: 1, c0, c1: 1, cnt0: count, cnt1: -1, mult0, mult1: zeros(a.length), work: -1, combine: 'none', parallel: true };
}

export const F64_PLANS: Record<string, Planner> = {
  // f64Gemv(trans, m, n, alpha, a, x, beta, y): A·x by rows of A
  f64Gemv: (a, t) => (t <= 1 || a[0] !== 0 || a[1] * a[2] < F64_LEVEL2_MIN ? null
    : rows(a, t, 1, [[4, a[2] * 8], [7, 8]])),
  // f64GemvLd(trans, m, n, alpha, a, ld, x, beta, y): A·x by rows, Aᵀ·x by columns
  f64GemvLd: (a, t) => {
    if (t <= 1 || a[1] * a[2] < F64_LEVEL2_MIN) return null;
    if (a[0] === 0) return rows(a, t, 1, [[4, a[5] * 8], [8, 8]]);
    const n = a[2], c1 = share(n, t, 8);
    if (c1 >= n) return null;
    const mult1 = zeros(a.length);
    mult1[4] = 8; mult1[8] = 8;
    return { dim0: 1, dim1: n, c0: 1, c1, cnt0: -1, cnt1: 2, mult0: zeros(a.length), mult1, work: -1, combine: 'none', parallel: true };
  },
  // f64Ger(m, n, alpha, x, y, a): rows of A
  f64Ger: (a, t) => (t <= 1 || a[0] * a[1] < F64_LEVEL2_MIN ? null : rows(a, t, 0, [[3, 8], [5, a[1] * 8]])),
  // f64SymvRows(n, alpha, a, x, beta, y, r0, rows): ranges of y (r0 advances, rows is the count)
  f64SymvRows: (a, t) => {
    const n = a[0];
    if (t <= 1 || n * n < F64_LEVEL2_MIN) return null;
    const p = rows(a, t, 7, [[6, 1]]);
    return p;
  },
  // f64GramBlock(m, n, j, g, i0, rows, c0, cols): square tiles of G
  f64GramBlock: (a, t) => {
    const m = a[0], n = a[1], nr = a[5], nc = a[7];
    if (t <= 1 || m * n * (n + 1) / 2 < F64_GRAM_MIN || nr < 2) return null;
    // ~8 tiles per thread on the lower triangle, 16 ≤ side ≤ 64 (cache), ≤ 90 tiles a side (chunk limit)
    const side = Math.max(Math.min(64, Math.ceil(Math.sqrt(nr * nc / (16 * t)) / 2) * 2, nr), 16, Math.ceil(Math.max(nr, nc) / 90));
    if (side >= nr && side >= nc) return null;
    const mult0 = zeros(a.length), mult1 = zeros(a.length);
    mult0[4] = 1; mult1[6] = 1;
    return { dim0: nr, dim1: nc, c0: side, c1: side, cnt0: 5, cnt1: 7, mult0, mult1, work: -1, combine: 'none', parallel: true };
  },
};
