// The shapes of chunk plans shared by plans.ts, plans-norm.ts and plans-f64.ts: what a plan is,
// the thresholds, and the planners of elementwise and row-wise kernels. See plans.ts for the
// rules that keep results independent of the thread count.

export type Combine = 'none' | 'sum' | 'hypot' | 'first';

export interface Plan {
  dim0: number; dim1: number; c0: number; c1: number;
  /** Argument index of the chunk's length along dim0 / dim1, or −1. */
  cnt0: number; cnt1: number;
  mult0: number[]; mult1: number[];
  /** Argument index of the per-thread GEMM workspace, or −1. */
  work: number;
  combine: Combine;
  /** Worth running on several threads (else the chunks, if more than one, run here in order). */
  parallel: boolean;
  /**
   * The split may move (balance.ts): along dim0 or dim1, in multiples of unit from the origin.
   * Only for kernels whose bits do not depend on where the split falls (GEMM).
   */
  balance?: { dim: 0 | 1; unit: number };
}

/** Elements per chunk of a reduction: fixed, independent of the thread count. */
export const REDUCE_CHUNK = 16384;
/** Chunks a job may have (the control block's result slots; kit.ts MAX_CHUNKS). */
export const MAX_CHUNKS = 8192;

/**
 * Chunk length of a reduction over n units (elements or rows), `chunk` per chunk normally: a
 * function of n only, never of the thread count. Past MAX_CHUNKS·chunk (2^27 elements) the
 * chunks grow in whole multiples of chunk so that there are at most MAX_CHUNKS of them.
 */
export function reduceChunk(n: number, chunk: number): number {
  return n <= MAX_CHUNKS * chunk ? chunk : Math.ceil(n / MAX_CHUNKS / chunk) * chunk;
}
/** Default: smallest elementwise call worth splitting across threads (elements). */
export const ELEMENTWISE_MIN = 1 << 16;

/**
 * Sizes below which a call runs unsplit on the calling thread (they change speed, never bits).
 * From bench/threads-thresholds.mjs on this 2-vCPU machine (relaxed SIMD, splitting forced,
 * median of 9 rounds, 2026-12-07, quiet): a job costs ~2–5 µs to hand out and join (since the
 * descriptor slots of pool.ts, ~2 µs for a repeated call; the thresholds were not re-measured).
 *   tanh forward   8,192: 1.19×   16,384: 1.71×   65,536: 1.80×
 *   axpy          16,384: 0.90×   32,768: 1.18×   65,536: 1.49×   262,144: 1.91×
 *   SGD momentum  65,536: 0.92×  131,072: 1.02×   1,048,576: 1.17× (memory-bound; see plans.ts)
 *   Adam           8,192: 1.26×   16,384: 1.49×   65,536: 1.86×
 *   GEMM s³       32,768: 0.90×  110,592: 1.28×  262,144: 1.56×   884,736: 1.76×
 * threadThresholds() reads and sets them.
 */
export const THRESHOLDS = {
  /** elements of a cheap elementwise kernel (activations, BLAS-1, SGD and momentum updates; row-wise and normalization kernels: rows × cols) */
  elementwise: ELEMENTWISE_MIN,
  /** elements of an optimizer update with divisions or square roots (Adam, RMSprop, …) or such a transform */
  optimizer: 1 << 14,
  /** multiply-adds (m·n·k) of a GEMM */
  gemm: 1 << 18,
};

/** Decides the chunks of one call from its arguments and the engine's thread count (null: unsplit). */
export type Planner = (a: number[], threads: number) => Plan | null;

export function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

/** Chunk length for n elements over `threads`: ~2 chunks per thread, multiple of unit. */
export function share(n: number, threads: number, unit: number, chunksPerThread = 2): number {
  const c = Math.ceil(n / (threads * chunksPerThread) / unit) * unit;
  return Math.max(unit, c);
}

export interface Elementwise { count: number; ptrs: number[]; bytes?: number; offset?: number; combine?: Combine; optimizer?: boolean; minScale?: number }

/** A kernel over n consecutive elements: pointers advance by bytes per element (4, f64: 8). */
export function elementwise(spec: Elementwise): Planner {
  const bytes = spec.bytes ?? 4, combine = spec.combine ?? 'none';
  return (a, threads) => {
    const n = a[spec.count];
    const reduce = combine !== 'none';
    const parallel = threads > 1 && n >= (spec.optimizer ? THRESHOLDS.optimizer : THRESHOLDS.elementwise) * (spec.minScale ?? 1);
    if (reduce ? n <= REDUCE_CHUNK : !parallel) return null;
    const mult0 = zeros(a.length);
    for (const p of spec.ptrs) mult0[p] = a[p] === 0 ? 0 : bytes;
    if (spec.offset !== undefined) mult0[spec.offset] = 1;
    const c0 = reduce ? reduceChunk(n, REDUCE_CHUNK) : share(n, threads, 64);
    return { dim0: n, dim1: 1, c0, c1: 1, cnt0: spec.count, cnt1: -1, mult0, mult1: zeros(a.length), work: -1, combine, parallel };
  };
}

export interface Rowwise { rows: number; cols: number; rowPtrs: number[]; perRow?: number[]; combine?: Combine }

/** A kernel over rows of a row-major matrix (cols floats each); perRow pointers advance 4 bytes a row. */
export function rowwise(spec: Rowwise): Planner {
  const combine = spec.combine ?? 'none';
  return (a, threads) => {
    const rows = a[spec.rows], cols = Math.max(1, a[spec.cols]);
    const reduce = combine !== 'none';
    const parallel = threads > 1 && rows >= 2 && rows * cols >= THRESHOLDS.elementwise;
    const rowsPerReduce = reduceChunk(rows, Math.max(1, Math.floor(REDUCE_CHUNK / cols)));
    if (reduce ? rows <= rowsPerReduce : !parallel) return null;
    const mult0 = zeros(a.length);
    for (const p of spec.rowPtrs) mult0[p] = a[p] === 0 ? 0 : cols * 4;
    for (const p of spec.perRow ?? []) mult0[p] = a[p] === 0 ? 0 : 4;
    const c0 = reduce ? rowsPerReduce : share(rows, threads, 1);
    return { dim0: rows, dim1: 1, c0, c1: 1, cnt0: spec.rows, cnt1: -1, mult0, mult1: zeros(a.length), work: -1, combine, parallel };
  };
}

