// Balancing a split GEMM between the calling thread and the workers, by feedback.
//
// A GEMM split in one chunk per thread finishes when its slowest thread does, and threads are
// not equally fast: phones and laptops mix big and little cores, and on the 2-vCPU machine of
// our benchmarks the second vCPU runs the MNIST step's small products 1.15–1.65× slower than
// the first (each pinned with taskset, 2026-12-07), so an even split waited for it. Finer
// chunks claimed dynamically would balance too, but every chunk packs its operand again and
// costs a claim (split in 4–10 chunks, those products ran slower than in 2).
//
// So a repeated call (one descriptor slot, pool.ts) moves the boundary of the caller's chunk
// 0: after each run the caller knows whether it had to wait for the workers (they are slower:
// its chunk grows) or found them done (it was last: its chunk shrinks). A score of those
// signals moves the boundary one step when it reaches ±threshold, so a balanced split, where
// both signals come about equally often, stays put — mostly: near balance the signals are a
// coin toss, and a random walk reaches any threshold in time. So the job times decide too:
// the median time at each boundary it leaves is remembered, and a move to a boundary where
// jobs were measured no faster than here is refused. (Without that memory, the MNIST step's
// 300×100·100×10 weight gradient moved 78 times in 40,000 calls between rows 150 and 160,
// where jobs took 12.7 and 17.4 µs.) A memory is trusted as long as the history behind it, at
// most MEMORY_MS — the first calls' times (compiling, workers waking) expire quickly, and
// the threads' speeds may change. Every refusal or reversal doubles the threshold (SCORE up
// to SCORE_MAX), a move in the same direction as the last (the speeds changed) sets it back to
// SCORE. The cap is low on purpose: where the signals balance, a threshold is reached only by
// chance, and each time it is, a neighbour not measured lately is tried — that is how the
// boundary finds the fastest place when it is not where the signals balance (with a cap of
// 256 that took ~65,000 calls; in a bench run the MNIST products' boundaries sat at 256 for
// whole 300 ms measurements). A refusal costs nothing, and a neighbour is re-measured at most
// once per memory. (In one process, 8 rounds of 300 ms, 256 against 32: 1.73 / 1.76×,
// 1.96 / 1.96×, 1.90 / 1.88× on the three small products — the same within this machine's
// noise.)
// The workers' chunks share the rest evenly.
//
// A long job (≥ LONG_JOB_MS: a 1024³ product takes ~20 ms on two threads, and a bench
// measurement runs it ~14 times) has no time for signals: it is balanced from rates instead
// (rebalance): the workers time their chunks, the caller its own, and chunk 0 goes straight to
// the length that would have made them finish together, from a running average of the rates.
//
// Results do not change: the boundary stays a multiple of the plan's unit (the register tile's
// height, or the 8-column panel) from the origin, where a GEMM's bits do not depend on the
// split (plans.ts). Only GEMM plans carry a balance.

import type { Plan } from './plan-shapes.js';

/** Signals in one direction (net) before the boundary moves, and at most after reversals. */
const SCORE = 4, SCORE_MAX = 32;
/** Runs after a move whose times are not counted. */
const WARM = 2;
/** Steps across the whole split dimension (a step is at least one unit). */
const STEPS = 40;
/** Job times kept at the current boundary (their median is its time). */
const TIMES = 9;
/** Longest a remembered time is trusted (ms). */
const MEMORY_MS = 2000;
/** Jobs at least this long (ms) are balanced from rates (rebalance), shorter ones by signals. */
export const LONG_JOB_MS = 0.25;
/** Weight of the newest job in the running average of the rates. */
const RATE_WEIGHT = 0.5;

export interface Balance {
  /** The dimension split (0: rows, 1: columns), its length and the unit of the boundary. */
  readonly dim: 0 | 1; readonly len: number; readonly unit: number;
  readonly threads: number; readonly step: number;
  /** Length of chunk 0 (the caller's), of each later chunk, and the chunk count. */
  first: number; rest: number; chunks: number;
  score: number; threshold: number;
  /** Direction of the last move (+1: chunk 0 grew, −1: shrank, 0: none yet). */
  last: number;
  /** The latest job times (ms, the caller's view) at this boundary: a ring of TIMES, `runs` of them filled. */
  readonly times: Float64Array; runs: number; seen: number;
  /** When the balance started (ms, performance.now()'s clock). */
  readonly born: number;
  /** Remembered boundaries: chunk 0's length → median job time there, when measured, trusted until. */
  readonly known: Map<number, { ms: number; until: number }>;
  /** Running average of the caller's share of the speed: its rate / the sum of all threads' (rebalance). */
  share: number;
  /** Times the boundary moved (diagnostics). */
  moves: number;
}

/** Chunk lengths when chunk 0 has `first`: the rest evenly over the other threads. */
function layout(b: Balance, first: number): void {
  const left = b.len - first;
  b.first = first;
  b.rest = Math.ceil(left / Math.max(1, b.threads - 1) / b.unit) * b.unit;
  b.chunks = 1 + Math.ceil(left / b.rest);
}

/** The balance of a plan about to run on `threads` threads, starting from its even split. */
export function balanceOf(p: Plan, threads: number, now = performance.now()): Balance | undefined {
  if (!p.balance || threads < 2) return undefined;
  const { dim, unit } = p.balance;
  const len = dim === 0 ? p.dim0 : p.dim1;
  const first = dim === 0 ? p.c0 : p.c1;
  if (first >= len || first % unit !== 0) return undefined;
  const b: Balance = {
    dim, len, unit, threads, step: unit * Math.max(1, Math.round(len / unit / STEPS)), first, rest: 0, chunks: 0,
    score: 0, threshold: SCORE, last: 0, times: new Float64Array(TIMES), runs: 0, seen: 0, born: now, known: new Map(), share: 0, moves: 0,
  };
  layout(b, first);
  return b;
}

/** A length for chunk 0: at least one unit, and leaving at least one (the last may be partial). */
function clampFirst(b: Balance, first: number): number {
  return Math.min(Math.floor((b.len - 1) / b.unit) * b.unit, Math.max(b.unit, first));
}

/** Median of the times measured at the current boundary (Infinity before any). */
function median(b: Balance): number {
  const n = Math.min(b.runs, TIMES);
  if (n === 0) return Infinity;
  const t = Array.from(b.times.subarray(0, n)).sort((x, y) => x - y);
  return n % 2 ? t[n >> 1] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/**
 * Feed one run's signal (+1: the caller waited for the workers; −1: it found them done; 0: no
 * information, e.g. a worker took chunk 0), its time in ms as the caller saw it, and the time
 * now (performance.now()'s clock). Returns true when the boundary moved: the caller then
 * rewrites the descriptor (between jobs, when no worker reads it).
 */
export function feedback(b: Balance, signal: number, ms: number, now = performance.now()): boolean {
  if (signal === 0) return false;
  b.score += signal;
  // the first runs after a move re-read the descriptor: their times are left out
  if (++b.seen > WARM) b.times[b.runs++ % TIMES] = ms;
  if (b.score < b.threshold && b.score > -b.threshold) return false;
  let dir = b.score > 0 ? 1 : -1;
  b.score = 0;
  const to = (d: number): number => clampFirst(b, b.first + d * b.step);
  const here = median(b);
  // trusted for as long as the history behind it (the first calls' times expire quickly)
  if (here < Infinity) b.known.set(b.first, { ms: here, until: now + Math.min(MEMORY_MS, now - b.born) });
  const slower = (f: number): boolean => {
    const k = b.known.get(f);
    return f === b.first || (k !== undefined && now < k.until && k.ms >= here);
  };
  let first = to(dir);
  if (first === b.first) return false; // at the end of its range
  if (slower(first)) {
    // jobs were no faster there, lately. The signals only say which thread finished last, and
    // times need not follow them (cores that share lines near the boundary, cache effects of
    // where it lies): so try the other side if it was not measured lately, else stay
    first = to(-dir);
    if (slower(first)) {
      b.threshold = Math.min(SCORE_MAX, 2 * b.threshold);
      b.runs = 0; // measure here afresh
      return false;
    }
    dir = -dir;
  }
  b.threshold = dir === -b.last ? Math.min(SCORE_MAX, 2 * b.threshold) : SCORE;
  b.last = dir;
  b.runs = 0; b.seen = 0;
  layout(b, first);
  b.moves++;
  return true;
}

/**
 * A long job's balance (ms ≥ LONG_JOB_MS): ownMs is the calling thread's time for chunk 0 (it
 * ran that chunk only), results[base + c] the time a worker took for chunk c. The speeds, in
 * units per ms, give the caller's share of the total; chunk 0 is set to that share of the
 * dimension (a running average over jobs, rounded to units). Returns true when it moved.
 */
export function rebalance(b: Balance, ownMs: number, results: Float64Array, base: number, chunks: number): boolean {
  if (!(ownMs > 0)) return false;
  let units = 0, ms = 0;
  for (let c = 1; c < chunks; c++) {
    const t = results[base + c];
    if (!(t > 0)) return false; // a chunk not timed (a worker of an older build, or none ran it)
    ms += t;
    units += Math.min(b.rest, b.len - b.first - (c - 1) * b.rest);
  }
  const own = b.first / ownMs, theirs = units / ms; // one worker's speed, averaged
  const share = own / (own + (b.threads - 1) * theirs);
  b.share = b.share === 0 ? share : b.share + RATE_WEIGHT * (share - b.share);
  const first = clampFirst(b, Math.round((b.share * b.len) / b.unit) * b.unit);
  if (first === b.first) return false;
  layout(b, first);
  b.moves++;
  return true;
}
