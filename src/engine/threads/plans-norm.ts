// Chunk plans of the normalization kernels (batch norm, layer norm) and of colSum: see plans.ts.
//
// Batch norm's statistics and both layer-norm parameter sums (∂γ, ∂β) and the bias gradient
// (colSum) are sums down the rows, one per column; a row split would cut those sums and need
// partials combined in some order. They split by columns instead: each chunk is the whole call
// on a block of columns, with every row, through the kernels' leading-dimension forms
// (bnForwardTrainLd, bnBackwardLd, bnBackwardEvalLd, colSumLd, lnParamGrads: rows ld floats
// apart, the count c replaced by the chunk's width). The kernels keep one column per f32 lane and walk all rows in
// order for each block of 16 columns, then 4, then one, so a split at a multiple of 16, from
// column 0, gives every column the instructions and order of the unsplit call: the bits do not
// depend on the thread count (tested in test/threads-norm.test.ts). A chunk owns its columns of
// every output (y, x̂, ∂x, and the per-feature μ, s, running statistics, ∂γ, ∂β), so chunks never
// write the same memory, also when the model runs them in place (dx = dy, y = x).
// Layer norm's ∂x is per row: lnBackward called with dgamma = dbeta = 0 (the model calls
// lnParamGrads first) splits by whole rows, as lnForward does in plans.ts. With either
// parameter gradient requested, lnBackward accumulates them over rows and runs unsplit.
// The forms without ld (bnForwardTrain, bnBackward, colSum) cannot express a column chunk
// (their row stride is c) and run unsplit: the model calls the ld forms.
//
// Thresholds: measured with a throwaway script on this 2-vCPU machine (relaxed SIMD, 1 vs 2
// threads, best of 41 interleaved rounds: other sessions kept the machine busy, medians swung
// 0.6–1.7× from one run to the next). At n·c = 2^16 the column splits gain 1.3–1.7×, batch
// norm's forward 0.98× (512×128: 20.4 → 20.9 µs) to 1.75× (64×1024: 93 → 53), colSum 0.95–1.4×
// (one add per element for the same cost of a job); at 2^17 (256×512):
// bnForwardTrainLd 123 → 67 µs, bnBackwardLd 76 → 35, lnParamGrads 27 → 16, lnBackward's ∂x
// (rows) 60 → 32, colSumLd 9.2 → 6.6. Below 2^16 nothing gained (256×128: 1.00× or worse). So
// THRESHOLDS.elementwise (2^16) for the normalization kernels, twice that for colSum (both move
// with threadThresholds({ elementwise })). Larger calls gain less where they outgrow the caches:
// at 256×1024 batch norm's forward 435 → 232 µs but the backward and the layer-norm passes
// ~1.0×, and at 1024×1024 nothing — two cores streaming from memory share its bandwidth.

import { rowwise, share, zeros, THRESHOLDS, type Plan, type Planner } from './plan-shapes.js';

/** Columns per chunk are a multiple of this (the widest block of any kernel here). */
const COLUMN_UNIT = 16;

/** minScale: the smallest call split is minScale·THRESHOLDS.elementwise elements (default 1). */
export interface Columnwise { rows: number; cols: number; ptrs: number[]; minScale?: number }

/**
 * A kernel over the first cols columns of a row-major matrix with a leading-dimension argument,
 * split into blocks of columns: every pointer (matrix or per-column vector) advances 4 bytes a
 * column; pointers 0 (outputs not wanted) stay 0.
 */
export function columnwise(spec: Columnwise): Planner {
  const scale = spec.minScale ?? 1;
  return (a, threads): Plan | null => {
    const rows = a[spec.rows], cols = a[spec.cols];
    if (threads <= 1 || rows <= 0 || cols < 2 * COLUMN_UNIT || rows * cols < scale * THRESHOLDS.elementwise) return null;
    const c1 = share(cols, threads, COLUMN_UNIT);
    if (c1 >= cols) return null;
    const mult1 = zeros(a.length);
    for (const p of spec.ptrs) mult1[p] = a[p] === 0 ? 0 : 4;
    return { dim0: rows, dim1: cols, c0: rows, c1, cnt0: -1, cnt1: spec.cols, mult0: zeros(a.length), mult1, work: -1, combine: 'none', parallel: true };
  };
}

// lnBackward(n, c, xhat, dy, gamma, invstd, dx, dgamma, dbeta): rows, when it computes ∂x only
// (the threshold of the other row-wise kernels, plans.ts)
const lnBackwardRows = rowwise({ rows: 0, cols: 1, rowPtrs: [2, 3, 6], perRow: [5] });

export const NORM_PLANS: Record<string, Planner> = {
  // bnForwardTrainLd(n, c, ld, x, y, xhat, gamma, beta, mean, invstd, runMean, runVar, momentum, eps)
  bnForwardTrainLd: columnwise({ rows: 0, cols: 1, ptrs: [3, 4, 5, 6, 7, 8, 9, 10, 11] }),
  // bnBackwardLd(n, c, ld, xhat, dy, gamma, invstd, dx, dgamma, dbeta)
  bnBackwardLd: columnwise({ rows: 0, cols: 1, ptrs: [3, 4, 5, 6, 7, 8, 9] }),
  // bnBackwardEvalLd(n, c, ld, x, dy, gamma, runMean, runVar, eps, dx, dgamma, dbeta): frozen
  // statistics (batch norm after an inference-mode forward, or a layer with frozenStats)
  bnBackwardEvalLd: columnwise({ rows: 0, cols: 1, ptrs: [3, 4, 5, 6, 7, 9, 10, 11] }),
  // lnParamGrads(n, c, ld, xhat, dy, dgamma, dbeta)
  lnParamGrads: columnwise({ rows: 0, cols: 1, ptrs: [3, 4, 5, 6] }),
  // colSumLd(rows, cols, ld, x, out, beta)
  colSumLd: columnwise({ rows: 0, cols: 1, ptrs: [3, 4], minScale: 2 }),
  lnBackward: (a, t) => (a[7] === 0 && a[8] === 0 ? lnBackwardRows(a, t) : null),
};
