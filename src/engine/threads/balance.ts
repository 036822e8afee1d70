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
// 0. After each run the caller knows whether it had to wait for the workers (they are slower:
// its chunk should grow) or found them done (it was last: its chunk should shrink), and how
// long the job took. Off balance those signals are nearly unanimous — one step either side of
// the MNIST step's balanced splits, the caller waited in 92–100% or 0–2% of 3000 runs (forced
// boundaries, 2026-12-07) — and near balance they toss a coin. So runs are counted in windows
// of WINDOW, each window's median job time is remembered for its boundary, and after each
// window the boundary moves one step: to a neighbour measured faster lately (by MARGIN), if
// there is one; else the way MAJORITY of the window's signals agree on, unless jobs were
// measured no faster there lately; else it stays. Times come first because the fastest split
// is not always where the signals balance: at the MNIST step's 300×100·100×10 weight
// gradient, jobs took 10.2 µs with 160 rows for the caller, who then finished last in nearly
// every run, and 11.4–11.8 µs at 155, where the signals tossed a coin (a worker's "done"
// reaches the caller a cache-line transfer after the worker finished; the caller's own end,
// at once). A step the signals ask for onto an unmeasured boundary that proves slower is
// undone after one window.
// "Lately" is RECENT windows, and at most as long as the history behind it (the first calls'
// times — compiling, workers waking — expire quickly) or MEMORY_MS: the threads' speeds
// change. A window much slower (BURST) than its boundary's time lately — another process or an
// interrupt slowed a thread for a while — is neither remembered nor acted on.
// (This replaced a running score that moved at ±4–32 net signals and remembered times for 2 s:
// a few milliseconds of one slow thread pushed it step after step, old times refused the way
// back, and in 40,000 calls the 100-row splits visited 15 to 65 rows, 82–120 moves.)
// The workers' chunks share the rest evenly.
//
// A long call (every job ≥ LONG_JOB_MS: a 1024³ product takes ~20 ms on two threads, and a
// bench measurement runs it ~14 times) has no time for windows: it is balanced from rates
// instead (rebalance): the workers time their chunks, the caller its own, and chunk 0 goes
// straight to the length that would have made them finish together, from a running average of
// the rates.
//
// Results do not change: the boundary stays a multiple of the plan's unit (the register tile's
// height, or the 8-column panel) from the origin, where a GEMM's bits do not depend on the
// split (plans.ts). Only GEMM plans carry a balance.

import type { Plan } from './plan-shapes.js';

/** Runs after a move whose times are not counted (they re-read the descriptor). */
const WARM = 2;
/** Steps across the whole split dimension (a step is at least one unit). */
const STEPS = 40;
/** Runs per window (after WARM): their median time is the boundary's; MAJORITY of their signals agreeing move it. */
const WINDOW = 16, MAJORITY = 12;
/** Windows for which a remembered time counts as measured lately. */
const RECENT = 32;
/** A window this much slower than its boundary's time lately is neither remembered nor acted on. */
const BURST = 1.25;
/** A neighbour must have been this much faster (relative) to be moved to on times alone. */
const MARGIN = 0.02;
/** Longest a remembered time is trusted (ms). */
const MEMORY_MS = 2000;
/** Calls whose jobs all take at least this long (ms) are balanced from rates (rebalance), others by feedback. */
export const LONG_JOB_MS = 0.25;
/** Weight of the newest job in the running average of the rates. */
const RATE_WEIGHT = 0.5;

export interface Balance {
  /** The dimension split (0: rows, 1: columns), its length and the unit of the boundary. */
  readonly dim: 0 | 1; readonly len: number; readonly unit: number;
  readonly threads: number; readonly step: number;
  /** Length of chunk 0 (the caller's), of each later chunk, and the chunk count. */
  first: number; rest: number; chunks: number;
  /** Runs at this boundary in the current window (counting WARM), and the window's job times (ms, the caller's view). */
  seen: number; readonly times: Float64Array;
  /** The window's signals: runs where the caller waited for the workers, and where it found them done. */
  ups: number; downs: number;
  /** When the balance started (ms, performance.now()'s clock). */
  readonly born: number;
  /** Remembered boundaries: chunk 0's length → median job time there, when measured, trusted until. */
  readonly known: Map<number, { ms: number; window: number; until: number }>;
  /** Windows completed (the clock of RECENT). */
  windows: number;
  /** The fastest job so far (ms): the call is long (balanced from rates) while it is ≥ LONG_JOB_MS. */
  fastest: number;
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
    seen: 0, times: new Float64Array(WINDOW), ups: 0, downs: 0, windows: 0, born: now, known: new Map(), fastest: Infinity, share: 0, moves: 0,
  };
  layout(b, first);
  return b;
}

/** A length for chunk 0: at least one unit, and leaving at least one (the last may be partial). */
function clampFirst(b: Balance, first: number): number {
  return Math.min(Math.floor((b.len - 1) / b.unit) * b.unit, Math.max(b.unit, first));
}

/** Median of a window's job times (sorted in a scratch copy: ~0.4 µs a window, against ~2.4 for an Array with a comparator). */
const scratch = new Float64Array(WINDOW);
function median(t: Float64Array): number {
  scratch.set(t);
  scratch.sort();
  const n = WINDOW;
  return n % 2 ? scratch[n >> 1] : (scratch[n / 2 - 1] + scratch[n / 2]) / 2;
}

/**
 * Feed one run: its signal (+1: the caller waited for the workers; −1: it found them done; 0:
 * no information, e.g. a worker took chunk 0), its time in ms as the caller saw it, and the time
 * now (performance.now()'s clock). Returns true when the boundary moved: the caller then
 * rewrites the descriptor (between jobs, when no worker reads it).
 */
export function feedback(b: Balance, signal: number, ms: number, now = performance.now()): boolean {
  // the first runs after a move re-read the descriptor: they are left out
  const i = b.seen++ - WARM;
  if (i < 0) return false;
  b.times[i] = ms;
  if (signal > 0) b.ups++;
  else if (signal < 0) b.downs++;
  if (i + 1 < WINDOW) return false;
  const here = median(b.times);
  const dir = b.ups >= MAJORITY ? 1 : b.downs >= MAJORITY ? -1 : 0;
  b.seen = WARM; b.ups = 0; b.downs = 0;
  b.windows++;
  const recent = (k: { window: number; until: number } | undefined): boolean => k !== undefined && b.windows - k.window <= RECENT && now < k.until;
  /** A boundary's time, if measured lately (else NaN). */
  const lately = (f: number): number => {
    const k = b.known.get(f);
    return recent(k) ? k!.ms : NaN;
  };
  // a window much slower than this boundary's own time lately: something else slowed a thread
  // (another process, an interrupt) — neither remembered nor acted on. (Acted on, its signals,
  // and its times that make every other boundary look faster, walked the boundary away a step
  // per window.) A slowdown that lasts is taken for the new speed once that time is no longer
  // recent.
  if (here > BURST * lately(b.first)) return false;
  let fastest = Infinity;
  for (const k of b.known.values()) if (recent(k) && k.ms < fastest) fastest = k.ms;
  b.known.set(b.first, { ms: here, window: b.windows, until: now + Math.min(MEMORY_MS, now - b.born) });
  // a neighbour measured faster lately (by MARGIN) wins; else a step the signals agree on,
  // unless that boundary was measured no faster lately
  let to = b.first, best = here * (1 - MARGIN);
  for (const d of [-1, 1]) {
    const f = clampFirst(b, b.first + d * b.step), t = lately(f);
    if (t < best) { best = t; to = f; }
  }
  if (to === b.first && dir !== 0 && !(here > BURST * fastest)) {
    // (not from a boundary much slower than the fastest lately: there, only times lead)
    const f = clampFirst(b, b.first + dir * b.step);
    if (!(lately(f) >= here)) to = f;
  }
  if (to === b.first) return false;
  b.seen = 0; // the next runs re-read the descriptor: their times are left out
  layout(b, to);
  b.moves++;
  return true;
}

/**
 * After a job of a balanced call: ms is its time (publish to join), ownMs the calling thread's
 * time for chunk 0, results[base + c] a worker's time for chunk c when the job was timed.
 * A call whose every job took ≥ LONG_JOB_MS is balanced from rates (rebalance), others by
 * feedback. The fastest job decides, not this one: a 10 µs product whose job took 0.3 ms
 * because a thread was preempted is not long, and its rates then are nonsense (one such job
 * sent the MNIST step's 100-row splits from 40 rows to 5, then took ~130 calls to walk back).
 * Returns true when the descriptor must be rewritten: the boundary moved, or the call just
 * proved short (its workers stop timing their chunks: two clock reads each, ~0.1 µs).
 */
export function afterJob(b: Balance, signal: number, ms: number, ownMs: number, results: Float64Array, base: number, chunks: number, now: number): boolean {
  const wasLong = timed(b);
  if (ms < b.fastest) b.fastest = ms;
  if (timed(b)) return signal !== 0 && rebalance(b, ownMs, results, base, chunks);
  return feedback(b, signal, ms, now) || wasLong;
}

/** Whether workers should time their chunks of this call (while it may be long). */
export function timed(b: Balance): boolean {
  return b.fastest >= LONG_JOB_MS;
}

/**
 * A long call's balance (afterJob): ownMs is the calling thread's time for chunk 0 (it
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
