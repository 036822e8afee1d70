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
// both signals come about equally often, stays put. When the balance point lies between two
// boundaries the signals flip at each move. Then the measured job times decide: the boundary
// goes back only if jobs were faster there than where it is now (with equal threads the
// caller always waits a little — the worker starts later and its "done" takes a moment to
// arrive — so the signal alone would leave it a step to either side at random). Every
// reversal (made or refused) doubles the threshold (SCORE up to SCORE_MAX), a move in the
// same direction as the last (the threads' speeds changed) sets it back to SCORE, so the
// descriptor is rarely rewritten.
// The workers' chunks share the rest evenly.
//
// Results do not change: the boundary stays a multiple of the plan's unit (the register tile's
// height, or the 8-column panel) from the origin, where a GEMM's bits do not depend on the
// split (plans.ts). Only GEMM plans carry a balance.

import type { Plan } from './plan-shapes.js';

/** Signals in one direction (net) before the boundary moves, and at most after reversals. */
const SCORE = 4, SCORE_MAX = 256;
/** Runs after a move whose times are not counted. */
const WARM = 2;
/** Steps across the whole split dimension (a step is at least one unit). */
const STEPS = 40;

export interface Balance {
  /** The dimension split (0: rows, 1: columns), its length and the unit of the boundary. */
  readonly dim: 0 | 1; readonly len: number; readonly unit: number;
  readonly threads: number; readonly step: number;
  /** Length of chunk 0 (the caller's), of each later chunk, and the chunk count. */
  first: number; rest: number; chunks: number;
  score: number; threshold: number;
  /** Direction of the last move (+1: chunk 0 grew, −1: shrank, 0: none yet). */
  last: number;
  /** Job times (ms, the caller's view) summed since the last move, and how many. */
  sum: number; runs: number; seen: number;
  /** chunk 0 before the last move, and the mean job time there. */
  prev: number; prevMean: number;
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
export function balanceOf(p: Plan, threads: number): Balance | undefined {
  if (!p.balance || threads < 2) return undefined;
  const { dim, unit } = p.balance;
  const len = dim === 0 ? p.dim0 : p.dim1;
  const first = dim === 0 ? p.c0 : p.c1;
  if (first >= len || first % unit !== 0) return undefined;
  const b: Balance = { dim, len, unit, threads, step: unit * Math.max(1, Math.round(len / unit / STEPS)), first, rest: 0, chunks: 0, score: 0, threshold: SCORE, last: 0, sum: 0, runs: 0, seen: 0, prev: -1, prevMean: 0, moves: 0 };
  layout(b, first);
  return b;
}

/**
 * Feed one run's signal (+1: the caller waited for the workers; −1: it found them done; 0: no
 * information, e.g. a worker took chunk 0) and its time in ms as the caller saw it. Returns
 * true when the boundary moved: the caller then rewrites the descriptor (between jobs, when
 * no worker reads it).
 */
export function feedback(b: Balance, signal: number, ms: number): boolean {
  if (signal === 0) return false;
  b.score += signal;
  // the first runs after a move re-read the descriptor: their times are left out
  if (++b.seen > WARM) { b.sum += ms; b.runs++; }
  if (b.score < b.threshold && b.score > -b.threshold) return false;
  const dir = b.score > 0 ? 1 : -1;
  b.score = 0;
  // chunk 0 keeps at least one unit, and leaves at least one (the last unit may be partial)
  const most = Math.floor((b.len - 1) / b.unit) * b.unit;
  const first = Math.min(most, Math.max(b.unit, b.first + dir * b.step));
  const reversal = dir === -b.last;
  b.threshold = reversal ? Math.min(SCORE_MAX, 2 * b.threshold) : SCORE;
  const mean = b.runs > 0 ? b.sum / b.runs : Infinity;
  // back to where it just came from: only if jobs were faster there (measured, not signalled);
  // a refusal is used once (prevMean forgotten), so the next reversal goes back and measures
  // that place again rather than trusting an old time
  if (first === b.first) return false;
  if (reversal && first === b.prev && mean <= b.prevMean) {
    b.prevMean = 0;
    b.sum = 0; b.runs = 0;
    return false;
  }
  b.last = dir;
  b.prev = b.first; b.prevMean = mean;
  b.sum = 0; b.runs = 0; b.seen = 0;
  layout(b, first);
  b.moves++;
  return true;
}
