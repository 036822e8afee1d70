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
//   - f64GramBlock: tiles of G = JᵀJ, 16–64 rows × 256 columns, on the lower triangle (tiles
//     wholly above it are empty chunks); a tile sums each of its elements over the rows of J in
//     increasing order and mirrors it. Run one after another on one thread, such tiles take as
//     long as the whole call (measured: 1000×500 and 796×794 within ±2%; 64×64 tiles were 7%
//     slower, shorter rows of G per sweep).
// Measured 1 against 2 threads on this 2-vCPU machine (interleaved rounds; the machine was never
// idle, so the best round of each, a core free, is quoted): Gram 100×40 (2^16.3 multiply-adds)
// 1.15×, 200×100 1.56×, 500×200 1.75–1.79×, but 1000×500 and 796×794 (2^27–2^28) only
// 1.0–1.2×; gemv 1000×500 1.34× (A·x), 1.51× (Aᵀ·x); level-2 calls under 2^15 never gained.
// The thresholds below sit at the sizes where the gains started.

import { share, zeros, THRESHOLDS, type Plan, type Planner } from './plan-shapes.js';

/**
 * Smallest gemv / ger / symv worth splitting: THRESHOLDS.elementwise multiply-adds (2^16 by
 * default; one f64 multiply-add of these streams A once, about an f64 axpy element's cost).
 */
const level2Min = (): number => THRESHOLDS.elementwise;
/**
 * Smallest Gram matrix worth splitting: a quarter of THRESHOLDS.gemm in multiply-adds (~m·n²/2;
 * 2^16 by default, ~8 µs on one thread here; f64 multiply-adds are slower than the GEMM's f32).
 */
const gramMin = (): number => THRESHOLDS.gemm / 4;

/** Columns of a Gram tile: rows of ≥ 256 keep the inner loop as long as in a whole call's G. */
const GRAM_TILE_COLS = 256;
/** The control block's chunk limit (kit.ts). */
const MAX_CHUNKS = 8192;

/** Rows [s, s + len) of a kernel: pointers ptrs advance by their per-row bytes. */
function rows(a: number[], threads: number, count: number, perRow: [number, number][]): Plan | null {
  const n = a[count];
  const c0 = share(n, threads, 1);
  if (c0 >= n) return null;
  const mult0 = zeros(a.length);
  for (const [p, bytes] of perRow) mult0[p] = bytes;
  return { dim0: n, dim1: 1, c0, c1: 1, cnt0: count, cnt1: -1, mult0, mult1: zeros(a.length), work: -1, combine: 'none', parallel: true };
}

export const F64_PLANS: Record<string, Planner> = {
  // f64Gemv(trans, m, n, alpha, a, x, beta, y): A·x by rows of A
  f64Gemv: (a, t) => (t <= 1 || a[0] !== 0 || a[1] * a[2] < level2Min() ? null
    : rows(a, t, 1, [[4, a[2] * 8], [7, 8]])),
  // f64GemvLd(trans, m, n, alpha, a, ld, x, beta, y): A·x by rows, Aᵀ·x by columns
  f64GemvLd: (a, t) => {
    if (t <= 1 || a[1] * a[2] < level2Min()) return null;
    if (a[0] === 0) return rows(a, t, 1, [[4, a[5] * 8], [8, 8]]);
    const n = a[2], c1 = share(n, t, 8);
    if (c1 >= n) return null;
    const mult1 = zeros(a.length);
    mult1[4] = 8; mult1[8] = 8;
    return { dim0: 1, dim1: n, c0: 1, c1, cnt0: -1, cnt1: 2, mult0: zeros(a.length), mult1, work: -1, combine: 'none', parallel: true };
  },
  // f64Ger(m, n, alpha, x, y, a): rows of A
  f64Ger: (a, t) => (t <= 1 || a[0] * a[1] < level2Min() ? null : rows(a, t, 0, [[3, 8], [5, a[1] * 8]])),
  // f64SymvRows(n, alpha, a, x, beta, y, r0, rows): ranges of y (r0 advances, rows is the count)
  f64SymvRows: (a, t) => {
    const n = a[0];
    if (t <= 1 || n * n < level2Min()) return null;
    return rows(a, t, 7, [[6, 1]]);
  },
  // f64GramBlock(m, n, j, g, i0, rows, c0, cols): tiles of G
  f64GramBlock: (a, t) => {
    const m = a[0], nr = a[5], nc = a[7];
    if (t <= 1 || m * nr * nc / 2 < gramMin() || nr < 2) return null;
    const c1 = Math.min(GRAM_TILE_COLS, nc), grid1 = Math.ceil(nc / c1);
    // ~8 chunks per thread on the lower triangle, at most MAX_CHUNKS in all
    const c0 = Math.max(Math.min(64, Math.ceil(nr * nc / (16 * t * c1) / 2) * 2), 16, Math.ceil(nr / Math.floor(MAX_CHUNKS / grid1)));
    if (c0 >= nr && grid1 === 1) return null;
    const mult0 = zeros(a.length), mult1 = zeros(a.length);
    mult0[4] = 1; mult1[6] = 1;
    return { dim0: nr, dim1: nc, c0, c1, cnt0: 5, cnt1: 7, mult0, mult1, work: -1, combine: 'none', parallel: true };
  },
};
