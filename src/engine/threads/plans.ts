// How each kernel splits into chunks (see kit.ts for what a chunk is), and when it is worth it.
//
// Determinism: every split here leaves each output element computed by the same instructions
// in the same order as an unsplit call, so the bits do not depend on the split:
//   - GEMM: rows split at multiples of the register tile's height, columns at multiples of the
//     8-column panel, from the origin; k blocking depends on k only (assembly/gemm/driver.ts), so
//     every element sees the same k blocks, tiles and edge handling. Rows or columns, whichever
//     duplicates less packing (a row split packs B once per chunk, a column split packs A).
//     The boundary of the calling thread's chunk may move in those units (balance.ts).
//   - elementwise kernels (activations, optimizer updates, BLAS-1, dropout and noise with their
//     counter offset): split at multiples of 64 elements, past any SIMD unrolling.
//   - row-wise kernels (softmax, layer norm forward, batch norm in eval mode, argmax): whole rows.
// Reductions (sums, dots, norms, losses) are the exception: their result depends on the order
// of additions. They are always computed in fixed chunks (REDUCE_CHUNK elements, or as many rows
// as hold that many) whose partials are combined in chunk order — also on one thread and in the
// single-threaded build — so the bits do not depend on the thread count. A reduction shorter
// than one chunk is one plain call, as before threads.
// Thresholds: below them a call runs unsplit on the calling thread (measured with
// bench/threads-thresholds.mjs on a 2-vCPU machine; a job costs ~2 µs to hand out and join when
// its descriptor slot is reused, more when it is written).

import { NORM_PLANS } from './plans-norm.js';
import { F64_PLANS } from './plans-f64.js';
import { CONV_PLANS } from './plans-conv.js';
import { elementwise, rowwise, share, zeros, THRESHOLDS, type Combine, type Plan, type Planner } from './plan-shapes.js';

export { REDUCE_CHUNK, type Combine, type Plan, type Planner } from './plan-shapes.js';

/**
 * GEMM chunks over the m×n output. Argument indices of m, n, k, A, lda, B, ldb, C, ldc, bias,
 * workspace, and how A and B advance (transposed or not) come from the form.
 */
function gemmPlan(a: number[], threads: number, f: {
  m: number; n: number; k: number; tileRows: number;
  aPtr: number; aRowBytes: number; bPtr: number; bColBytes: number; cPtr: number; ldc: number;
  bias: number; work: number; rowsOnly?: boolean;
}): Plan | null {
  const m = a[f.m], n = a[f.n], k = a[f.k];
  // small k splits too: the MNIST step's 100×10·(300×10)ᵀ (k = 10, bound by writing C) runs
  // 1.65× split by rows, 1.70× by columns on 2 threads (forced splits, quiet, 2026-12-07 18:40;
  // an early pool measured 0.90× and kept k < 16 unsplit)
  if (threads <= 1 || m * n * k < THRESHOLDS.gemm || m === 0 || n === 0) return null;
  // one chunk per thread: every extra chunk packs its operand again (a 1024³ product split in
  // 8 row chunks packed B 8 times: 1.65× on 2 threads; in 2 chunks: see bench/threads.mjs)
  const perThread = 1;
  const mult0 = zeros(a.length), mult1 = zeros(a.length);
  // a row split packs B in every chunk, a column split packs A: duplicate the smaller. With a
  // short k (≤ 32) both are cheap and C is written row tile by row tile (driver.ts): rows,
  // so each thread writes one block of C — split by columns, every row's stores ran into the
  // other thread's columns (the MNIST step's 100×10·(300×10)ᵀ, 2 threads: 18.4 µs by columns,
  // 10.2 µs by rows, 13.9 µs on one thread)
  const byRows = f.rowsOnly || ((n <= m || k <= 32) && m >= 2 * f.tileRows) || n < 16;
  if (byRows) {
    const c0 = share(m, threads, f.tileRows, perThread);
    if (c0 >= m) return null;
    if (f.aPtr >= 0) mult0[f.aPtr] = f.aRowBytes;
    mult0[f.cPtr] = a[f.ldc] * 4;
    return { dim0: m, dim1: n, c0, c1: n, cnt0: f.m, cnt1: f.n, mult0, mult1, work: f.work, combine: 'none', parallel: true, balance: { dim: 0, unit: f.tileRows } };
  }
  const c1 = share(n, threads, 8, perThread);
  if (c1 >= n) return null;
  mult1[f.bPtr] = f.bColBytes;
  mult1[f.cPtr] = 4;
  if (f.bias >= 0 && a[f.bias] !== 0) mult1[f.bias] = 4;
  return { dim0: m, dim1: n, c0: m, c1, cnt0: f.m, cnt1: f.n, mult0, mult1, work: f.work, combine: 'none', parallel: true, balance: { dim: 1, unit: 8 } };
}

const TILE_ROWS = (tile: number): number => (tile === 6 ? 6 : tile === 5 ? 5 : 4);

/** Plans by kernel name (kernels not listed always run unsplit). */
const CORE_PLANS: Record<string, Planner> = {
  // gemm(tile, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, work)
  gemm: (a, t) => (a[6] === 0 ? null : gemmPlan(a, t, {
    m: 3, n: 4, k: 5, tileRows: TILE_ROWS(a[0]),
    aPtr: 7, aRowBytes: a[1] ? 4 : a[8] * 4, bPtr: 9, bColBytes: a[2] ? a[10] * 4 : 4, cPtr: 12, ldc: 13, bias: 14, work: 15,
  })),
  // gemmDirectB(tile, m, n, k, a, lda, b, ldb, c, ldc, bias, work)
  gemmDirectB: (a, t) => gemmPlan(a, t, {
    m: 1, n: 2, k: 3, tileRows: TILE_ROWS(a[0]),
    aPtr: 4, aRowBytes: a[5] * 4, bPtr: 6, bColBytes: 4, cPtr: 8, ldc: 9, bias: 10, work: 11,
  }),
  // gemmSmallM(m, n, k, x, ldx, w, ldw, bias, y, ldy): columns only (a handful of rows)
  gemmSmallM: (a, t) => {
    const m = a[0], n = a[1], k = a[2];
    if (t <= 1 || m * n * k < THRESHOLDS.gemm || n < 64) return null;
    const mult1 = zeros(a.length);
    mult1[5] = 4; mult1[8] = 4;
    if (a[7] !== 0) mult1[7] = 4;
    return { dim0: m, dim1: n, c0: m, c1: share(n, t, 32, 1), cnt0: 0, cnt1: 1, mult0: zeros(a.length), mult1, work: -1, combine: 'none', parallel: true };
  },

  actForward: elementwise({ count: 1, ptrs: [3, 4] }),
  actBackward: elementwise({ count: 1, ptrs: [3, 4, 5] }),
  softmax: rowwise({ rows: 0, cols: 1, rowPtrs: [2, 3] }),
  softmaxXent: rowwise({ rows: 0, cols: 1, rowPtrs: [2, 4], perRow: [3], combine: 'sum' }),
  argmaxRows: rowwise({ rows: 0, cols: 1, rowPtrs: [2], perRow: [3] }),
  mseLoss: elementwise({ count: 0, ptrs: [1, 2, 3], combine: 'sum' }),
  bceLogits: elementwise({ count: 0, ptrs: [1, 2, 3], combine: 'sum' }),
  bceProbs: elementwise({ count: 0, ptrs: [1, 2, 3], combine: 'sum' }),
  dropoutForward: elementwise({ count: 0, ptrs: [1, 2, 3], offset: 7 }),
  lnForward: rowwise({ rows: 0, cols: 1, rowPtrs: [2, 3, 4], perRow: [7] }),
  bnForwardEval: rowwise({ rows: 0, cols: 1, rowPtrs: [2, 3] }),

  // BLAS-1, f32
  dot: elementwise({ count: 0, ptrs: [1, 2], combine: 'sum' }),
  sum: elementwise({ count: 0, ptrs: [1], combine: 'sum' }),
  nrm2: elementwise({ count: 0, ptrs: [1], combine: 'hypot' }),
  // the input check of predict()/fit() scans data this thread has just copied in: a worker
  // would pull every line from this core's cache (MNIST inference, batch 1000, the check of
  // 784,000 floats: 0.127 ms on 1 thread, 0.189 ms split on 2). Still in fixed chunks (bits).
  firstNonFinite: elementwise({ count: 0, ptrs: [1], combine: 'first', minScale: 64 }),
  axpy: elementwise({ count: 0, ptrs: [2, 3] }),
  scal: elementwise({ count: 0, ptrs: [2] }),
  scale: elementwise({ count: 0, ptrs: [2, 3] }),
  add: elementwise({ count: 0, ptrs: [1, 2, 3] }),
  mul: elementwise({ count: 0, ptrs: [1, 2, 3] }),
  fill: elementwise({ count: 0, ptrs: [2] }),
  copy: elementwise({ count: 0, ptrs: [1, 2] }),
  clamp: elementwise({ count: 0, ptrs: [3] }),
  lerp: elementwise({ count: 0, ptrs: [2, 3] }),
  addSign: elementwise({ count: 0, ptrs: [2, 3] }),

  // fused optimizer updates: (n, p, g, state…, scalars…, flags). SGD and momentum are a few
  // loads and stores per element, memory-bound (alone ≤ 1.17× on 2 threads even at 10^6,
  // bench/threads-thresholds.mjs): the cheap kernels' threshold. Inside a training step they
  // still gain from splitting: the gradient was just written by both cores, and one thread
  // alone must pull the other core's half (the MNIST step's plain-SGD axpy over 545,810
  // parameters: 0.154 ms split, 0.237 ms unsplit, 0.068 ms on a 1-thread engine; bench/threads.mjs
  // profile). The others do divisions and square roots: the optimizer threshold.
  optSgd: elementwise({ count: 0, ptrs: [1, 2, 3] }),
  optAdagrad: elementwise({ count: 0, ptrs: [1, 2, 3], optimizer: true }),
  optRmsprop: elementwise({ count: 0, ptrs: [1, 2, 3, 4, 5], optimizer: true }),
  optAdadelta: elementwise({ count: 0, ptrs: [1, 2, 3, 4], optimizer: true }),
  optAdam: elementwise({ count: 0, ptrs: [1, 2, 3, 4, 5], optimizer: true }),
  optAdamax: elementwise({ count: 0, ptrs: [1, 2, 3, 4], optimizer: true }),
  optNadam: elementwise({ count: 0, ptrs: [1, 2, 3, 4], optimizer: true }),
  optRadam: elementwise({ count: 0, ptrs: [1, 2, 3, 4], optimizer: true }),
  optRprop: elementwise({ count: 0, ptrs: [1, 2, 3, 4], optimizer: true }),
  optRpropVariant: elementwise({ count: 0, ptrs: [1, 2, 3, 4, 5], optimizer: true }),
  optDeltaBarDelta: elementwise({ count: 0, ptrs: [1, 2, 3, 4, 5], optimizer: true }),
  optMomentumClassic: elementwise({ count: 0, ptrs: [1, 2, 3] }),
  optNesterovLookahead: elementwise({ count: 0, ptrs: [1, 2, 3] }),
  optAsgd: elementwise({ count: 0, ptrs: [1, 2, 3] }),
  addGaussianNoise: elementwise({ count: 0, ptrs: [1], offset: 5, optimizer: true }),
  // update transforms: (n, u, other buffers…, scalars…)
  tfAddDecayedWeights: elementwise({ count: 0, ptrs: [1, 2] }),
  tfApply: elementwise({ count: 0, ptrs: [1, 2] }),
  tfTrace: elementwise({ count: 0, ptrs: [1, 2] }),
  tfScaleByAdagrad: elementwise({ count: 0, ptrs: [1, 2], optimizer: true }),
  tfScaleByRms: elementwise({ count: 0, ptrs: [1, 2, 3, 4], optimizer: true }),
  tfScaleByAdadelta: elementwise({ count: 0, ptrs: [1, 2, 3], optimizer: true }),
  tfScaleByAdam: elementwise({ count: 0, ptrs: [1, 2, 3, 4], optimizer: true }),
  tfScaleByAdamax: elementwise({ count: 0, ptrs: [1, 2, 3], optimizer: true }),
  tfScaleByNadam: elementwise({ count: 0, ptrs: [1, 2, 3], optimizer: true }),
  tfScaleByRadam: elementwise({ count: 0, ptrs: [1, 2, 3], optimizer: true }),
  tfScaleByRprop: elementwise({ count: 0, ptrs: [1, 2, 3], optimizer: true }),

  // float64 BLAS-1 (8 bytes per element)
  f64Dot: elementwise({ count: 0, ptrs: [1, 2], bytes: 8, combine: 'sum' }),
  f64Nrm2: elementwise({ count: 0, ptrs: [1], bytes: 8, combine: 'hypot' }),
  f64Axpy: elementwise({ count: 0, ptrs: [2, 3], bytes: 8 }),
  f64Scal: elementwise({ count: 0, ptrs: [2], bytes: 8 }),
  f64Fill: elementwise({ count: 0, ptrs: [2], bytes: 8 }),
  f64Copy: elementwise({ count: 0, ptrs: [1, 2], bytes: 8 }),
};

/** Every plan: the core ones above, normalization (plans-norm.ts), float64 linear algebra (plans-f64.ts), images (plans-conv.ts). */
export const PLANS: Record<string, Planner> = { ...CORE_PLANS, ...NORM_PLANS, ...F64_PLANS, ...CONV_PLANS };

/** Combine chunk results in chunk order. */
export function combine(kind: Combine, results: Float64Array, base: number, n: number, chunk: number): number {
  if (kind === 'sum') {
    let s = 0;
    for (let c = 0; c < n; c++) s += results[base + c];
    return s;
  }
  if (kind === 'hypot') {
    // partial norms r_c: ‖x‖ = √Σ r_c², scaled by the largest to avoid overflow and underflow
    let big = 0;
    for (let c = 0; c < n; c++) big = Math.max(big, Math.abs(results[base + c]));
    if (big === 0 || !Number.isFinite(big)) return big;
    let s = 0;
    for (let c = 0; c < n; c++) { const r = results[base + c] / big; s += r * r; }
    return big * Math.sqrt(s);
  }
  if (kind === 'first') {
    for (let c = 0; c < n; c++) if (results[base + c] >= 0) return c * chunk + results[base + c];
    return -1;
  }
  return 0;
}
