// Balanced GEMM splits (src/engine/threads/balance.ts): the boundary of the caller's chunk moves
// by feedback, and wherever it is, the bits are those of one thread.
//   1. the controller alone: even start, windows of signals, times near balance, bursts,
//      memories, long calls balanced from rates, clamping
//   2. skewed boundaries forced through the plans (the caller's chunk one unit, or all but
//      one unit; 2 and 3 threads; rows and columns; gemm and gemmDirectB): bits of 1 thread
//   3. the live loop: a product repeated on 2 threads, its boundary free to move, equal to the
//      1-thread result on every call

import { afterEach, describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { afterJob, balanceOf, feedback, rebalance, timed } from '../src/engine/threads/balance.js';
import { PLANS, type Plan } from '../src/engine/threads/plans.js';
import { runningPool } from '../src/engine/threads/pool.js';
import { randomF32 } from './reference.js';

const ISAS: d.Isa[] = d.isaSupported('relaxed-simd') ? ['relaxed-simd', 'simd'] : ['simd'];

function sameBits(a: Float32Array, b: Float32Array): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const i = ua.findIndex((v, j) => v !== ub[j]);
  return i < 0 ? undefined : `first difference at ${i}: ${a[i]} vs ${b[i]}`;
}

const plan = (dim0: number, dim1: number, c0: number, c1: number, balance?: Plan['balance']): Plan =>
  ({ dim0, dim1, c0, c1, cnt0: 0, cnt1: 1, mult0: [], mult1: [], work: -1, combine: 'none', parallel: true, balance });

describe('the controller', () => {
  it('starts from the plan\'s even split; only plans with a balance and more than one thread get one', () => {
    const b = balanceOf(plan(100, 10, 50, 10, { dim: 0, unit: 5 }), 2)!;
    expect(b).toMatchObject({ dim: 0, len: 100, unit: 5, first: 50, rest: 50, chunks: 2, step: 5 });
    const b3 = balanceOf(plan(100, 10, 35, 10, { dim: 0, unit: 5 }), 3)!;
    expect(b3).toMatchObject({ first: 35, rest: 35, chunks: 3 });
    expect(balanceOf(plan(100, 10, 50, 10), 2)).toBeUndefined();
    expect(balanceOf(plan(100, 10, 50, 10, { dim: 0, unit: 5 }), 1)).toBeUndefined();
    // columns: 300 in panels of 8, a step of one panel (300 / 8 / 40 rounds to 1)
    expect(balanceOf(plan(100, 300, 100, 152, { dim: 1, unit: 8 }), 2)).toMatchObject({ first: 152, rest: 152, chunks: 2, step: 8 });
    // a long dimension moves in larger steps: 1024 rows of 5 → 5 tiles a step
    expect(balanceOf(plan(1024, 1024, 515, 1024, { dim: 0, unit: 5 }), 2)!.step).toBe(25);
  });

  // a balance 10 s old (its memories trusted for the full MEMORY_MS) and a clock in ms
  const WINDOW = 16, WARM = 2;
  function driver(len = 100, first = 50) {
    const b = balanceOf(plan(len, 10, first, 10, { dim: 0, unit: 5 }), 2, 0)!;
    let t = 10_000;
    /** One window after a move (WARM runs first) or not: ups signals +1, downs −1, the rest 0, all taking ms. */
    const window = (ups: number, downs: number, ms: number, afterMove = false): boolean[] => {
      const out: boolean[] = [];
      for (let i = 0; i < (afterMove ? WARM : 0); i++) out.push(feedback(b, -1, 99, t++)); // left out
      for (let i = 0; i < WINDOW; i++) out.push(feedback(b, i < ups ? 1 : i < ups + downs ? -1 : 0, ms, t++));
      return out;
    };
    return { b, window, tick: (ms: number) => { t += ms; } };
  }

  it('moves one step when 12 of a window\'s 16 signals agree, in whole units; mixed or silent windows do not move it', () => {
    const { b, window } = driver();
    // the first window starts with WARM runs that are left out (their signals too)
    const first = window(12, 4, 1, true);
    expect(first.slice(0, -1).every((m) => !m)).toBe(true);
    expect(first.at(-1)).toBe(true); // the caller waited in 12 of 16: its chunk grows
    expect(b).toMatchObject({ first: 55, rest: 45, chunks: 2, moves: 1 });
    expect(window(11, 5, 1, true).some((m) => m)).toBe(false); // 11 of 16: not enough
    expect(window(0, 0, 1).some((m) => m)).toBe(false); // no signal (a worker took chunk 0)
    expect(window(8, 8, 1).some((m) => m)).toBe(false);
    // found them done in 12 of 16: shrinks (from a fresh balance: 50's time is not known)
    const d2 = driver();
    expect(d2.window(4, 12, 1, true).at(-1)).toBe(true);
    expect(d2.b).toMatchObject({ first: 45, rest: 55, moves: 1 });
  });

  it('times decide near balance: the signals\' step is refused onto a boundary measured no faster lately, and a neighbour measured faster (by 2%) is moved to', () => {
    const { b, window } = driver();
    window(16, 0, 1.0, true); // 50 (1.0 ms) → 55
    expect(b.first).toBe(55);
    window(8, 8, 0.9, true); // 55 (0.9), mixed: 50 was slower, stay
    expect(b.first).toBe(55);
    expect(window(0, 16, 0.9).some((m) => m)).toBe(false); // the signals say 50: measured slower, refused
    expect(window(16, 0, 0.9).at(-1)).toBe(true); // they say 60: not measured yet, taken
    expect(b.first).toBe(60);
    expect(window(8, 8, 1.3, true).at(-1)).toBe(true); // 60 (1.3), mixed: back to 55 (0.9)
    expect(b).toMatchObject({ first: 55, moves: 3 });
    expect(window(16, 0, 0.9, true).some((m) => m)).toBe(false); // 60 measured slower lately: stay
    expect(window(0, 16, 0.9).some((m) => m)).toBe(false); // 50 too
    // within the margin a neighbour does not count as faster: 55 at 1.0, 60 at 0.99 → stay
    const m = driver(100, 55);
    m.window(16, 0, 0.99, true); // 55 → 60 (0.99)
    m.window(0, 16, 1.0, true); // 60 → 55
    expect(m.b.first).toBe(55);
    expect(m.window(8, 8, 1.0, true).some((x) => x)).toBe(false);
  });

  it('a balanced split with slower boundaries on both sides stays there under signals that toss a coin, away only to re-measure a neighbour', () => {
    const b = balanceOf(plan(300, 10, 150, 10, { dim: 0, unit: 5 }), 2, 0)!;
    let t = 10_000;
    // the MNIST weight gradient's profile (µs): 12.7 at 150, 17.4 at 160, 14 at 140
    const cost = (first: number): number => (first === 150 ? 0.0127 : first > 150 ? 0.0174 : 0.014);
    let seed = 7;
    const coin = (): number => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed < 2 ** 31 ? 1 : -1; };
    let away = 0;
    const visited = new Set<number>();
    for (let i = 0; i < 40_000; i++) {
      visited.add(b.first);
      feedback(b, coin(), cost(b.first), t);
      t += 0.0127;
      if (b.first !== 150) away++;
    }
    // a coin gives 12 of 16 either way in 7.7% of windows; a neighbour is re-measured when its
    // memory is no longer recent (32 windows), for one window
    expect([...visited].sort()).toEqual([140, 150, 160]);
    expect(away / 40_000, 'share of calls away from 150').toBeLessThan(0.05);
    expect(b.moves, 'moves').toBeLessThan(200);
  });

  it('windows much slower (×1.25) than their boundary\'s time lately are neither remembered nor acted on: a burst of slow runs whose signals all say "shrink" does not walk the boundary away', () => {
    const { b, window } = driver();
    window(8, 8, 1.0, true); // 50: 1.0
    window(16, 0, 1.0); // → 55 (not measured)
    window(8, 8, 1.2, true); // 55: 1.2 → back to 50
    window(0, 16, 1.0, true); // → 45 (not measured)
    window(8, 8, 1.2, true); // 45: 1.2 → back to 50
    expect(b).toMatchObject({ first: 50, moves: 4 });
    // 12 windows of a thread slowed to 3× whose caller found the workers done every time
    for (let w = 0; w < 12; w++) expect(window(0, 16, 3.0).some((m) => m)).toBe(false);
    expect(b.first).toBe(50);
    expect(b.known.get(50)!.ms).toBe(1.0); // not overwritten by the burst
    // over: it stays (both neighbours measured slower lately)
    expect(window(0, 16, 1.0).some((m) => m)).toBe(false);
    expect(b).toMatchObject({ first: 50, moves: 4 });
    // a slowdown that lasts becomes the new speed once the faster times are no longer recent
    const s = driver();
    s.window(8, 8, 1.0, true);
    let n = 0;
    while (!s.window(16, 0, 2.0).at(-1)) n++;
    expect(n).toBe(32); // 32 windows ignored, then 50's 1.0 is no longer recent
    expect(s.b.first).toBe(55);
  });

  it('memories expire: after 32 windows, or MEMORY_MS, or as soon as the history behind them', () => {
    // 15 rows in tiles of 5: chunk 0 is 5 or 10 rows
    const { b, window, tick } = driver(15, 5);
    window(16, 0, 1.0, true); // 5 (1.0) → 10
    window(0, 16, 1.5, true); // 10 (1.5) → 5
    expect(b).toMatchObject({ first: 5, moves: 2 });
    // at 5 (1.2 now) the signals say 10: refused while 10's 1.5 is recent …
    let n = 0;
    while (!window(16, 0, 1.2, n === 0).at(-1)) n++;
    // … and taken once it is more than 32 windows old (its window, then 32 here)
    expect(n).toBe(32);
    expect(b.first).toBe(10);
    // the time limit: 10 → 5 again (at 10, 5 was measured at 1.2; 10 takes 1.5 now)
    expect(window(0, 16, 1.5, true).at(-1)).toBe(true);
    expect(window(16, 0, 1.2, true).some((m) => m)).toBe(false);
    tick(2001);
    expect(window(16, 0, 1.2).at(-1)).toBe(true);
    // a young balance's memories last as long as its history: here 5 ms
    const y = balanceOf(plan(15, 10, 5, 10, { dim: 0, unit: 5 }), 2, 0)!;
    const run = (s: number, ms: number, at: number, runs = WINDOW + WARM): boolean => {
      let moved = false;
      for (let i = 0; i < runs; i++) moved = feedback(y, s, ms, at) || moved;
      return moved;
    };
    expect(run(1, 1.0, 1)).toBe(true); // 5 → 10
    expect(run(-1, 9.0, 5)).toBe(true); // 10 measured slow at 5 ms of age → 5
    expect(run(1, 1.0, 6)).toBe(false); // trusted until 10 ms
    expect(run(1, 1.0, 11, WINDOW)).toBe(true);
  });

  it('a long call goes straight to the boundary its measured speeds ask for (a running average, in whole units)', () => {
    const b = balanceOf(plan(1000, 10, 500, 10, { dim: 0, unit: 5 }), 2)!;
    const res = new Float64Array(4);
    // the caller did 500 rows in 5 ms, the worker 500 in 2.5: the caller is half as fast, so a
    // third of the rows: 333.3 → 335
    res[1] = 2.5;
    expect(rebalance(b, 5, res, 0, 2)).toBe(true);
    expect(b).toMatchObject({ first: 335, rest: 665, chunks: 2, moves: 1 });
    expect(b.share).toBeCloseTo(1 / 3, 12);
    // the same speeds at the new boundary: no move
    res[1] = 665 / 200;
    expect(rebalance(b, 335 / 100, res, 0, 2)).toBe(false);
    // equal speeds now: the average moves half-way, 1/3 → 5/12 of 1000 = 416.7 → 415
    res[1] = 665 / 100;
    expect(rebalance(b, 335 / 100, res, 0, 2)).toBe(true);
    expect(b.first).toBe(415);
    // a chunk without a time (not timed, or not run by a worker): nothing is learnt
    res[1] = 0;
    expect(rebalance(b, 4, res, 0, 2)).toBe(false);
    expect(b.first).toBe(415);
    // three threads: two workers at the caller's speed → a third of the rows each
    const t = balanceOf(plan(1000, 10, 340, 10, { dim: 0, unit: 5 }), 3)!;
    expect(t).toMatchObject({ first: 340, rest: 330, chunks: 3 });
    res[1] = 3.3; res[2] = 3.3;
    expect(rebalance(t, 3.4, res, 0, 3)).toBe(true); // 1000 / 3 = 333.3 → 335 in units of 5
    expect(t).toMatchObject({ first: 335, rest: 335, chunks: 3 });
    // workers far faster than the caller: chunk 0 shrinks to one unit, never to none
    const f = balanceOf(plan(1000, 10, 500, 10, { dim: 0, unit: 5 }), 2)!;
    res[1] = 1e-6;
    rebalance(f, 5, res, 0, 2);
    expect(f.first).toBe(5);
  });

  it('afterJob: a call is balanced from rates only while every job of it took ≥ 0.25 ms; one slow job of a short call is a slow sample, not a rate', () => {
    const res = new Float64Array(4);
    const long = balanceOf(plan(1000, 10, 500, 10, { dim: 0, unit: 5 }), 2, 0)!;
    expect(timed(long)).toBe(true); // workers time their chunks until a job proves short
    res[1] = 2.5;
    expect(afterJob(long, 1, 5.2, 5, res, 0, 2, 1)).toBe(true); // caller half as fast: 335 rows
    expect(long).toMatchObject({ first: 335, moves: 1 });
    expect(timed(long)).toBe(true);
    // a short call (10 µs jobs): its first job proves it short, and the caller is told to
    // rewrite the descriptor (the workers stop timing)
    const short = balanceOf(plan(100, 10, 50, 10, { dim: 0, unit: 5 }), 2, 0)!;
    expect(afterJob(short, 1, 0.01, 0.009, res, 0, 2, 1)).toBe(true);
    expect(timed(short)).toBe(false);
    expect(short).toMatchObject({ first: 50, moves: 0 });
    // then a 2 ms job (a thread preempted) whose rates say the caller is 100× slower: not a
    // rate, no jump (the old rule, this job's own length, sent such a split to one unit)
    res[1] = 0.00001;
    expect(afterJob(short, 0, 2, 2, res, 0, 2, 2)).toBe(false);
    expect(afterJob(short, 1, 2, 2, res, 0, 2, 3)).toBe(false);
    expect(short).toMatchObject({ first: 50, moves: 0 });
  });

  it('clamps chunk 0 to at least one unit and leaves at least one (partial) unit to the workers', () => {
    const down = balanceOf(plan(100, 10, 50, 10, { dim: 0, unit: 5 }), 2)!;
    for (let i = 0; i < 400; i++) feedback(down, -1, 1);
    expect(down).toMatchObject({ first: 5, rest: 95, chunks: 2 });
    const up = balanceOf(plan(100, 10, 50, 10, { dim: 0, unit: 5 }), 2)!;
    for (let i = 0; i < 400; i++) feedback(up, 1, 1);
    expect(up).toMatchObject({ first: 95, rest: 5, chunks: 2 });
    // 300 columns in panels of 8: the last whole panel boundary below 300 is 296
    const cols = balanceOf(plan(100, 300, 100, 152, { dim: 1, unit: 8 }), 2)!;
    for (let i = 0; i < 2000; i++) feedback(cols, 1, 1);
    expect(cols).toMatchObject({ first: 296, rest: 8, chunks: 2 });
    expect(cols.first % 8).toBe(0);
    // 3 threads: the rest shared by two workers in whole units
    const three = balanceOf(plan(100, 10, 35, 10, { dim: 0, unit: 5 }), 3)!;
    for (let i = 0; i < 2000; i++) feedback(three, -1, 1);
    expect(three).toMatchObject({ first: 5, rest: 50, chunks: 3 });
  });
});

// ---- skewed boundaries through the pool ----

const engines = new Map<string, Promise<d.Engine>>();
function engineFor(isa: d.Isa, threads: number): Promise<d.Engine> {
  const key = `${isa}/${threads}`;
  if (!engines.has(key)) engines.set(key, d.createEngine({ isa, threads }));
  return engines.get(key)!;
}

/** Make the GEMM plans start from chunk 0 = `pick(len, unit)` along their balanced dimension. */
function skew(pick: (len: number, unit: number) => number): () => void {
  const saved = { gemm: PLANS.gemm, gemmDirectB: PLANS.gemmDirectB };
  for (const name of ['gemm', 'gemmDirectB'] as const) {
    const orig = saved[name];
    PLANS[name] = (a, t) => {
      const p = orig(a, t);
      if (!p?.balance) return p;
      const len = p.balance.dim === 0 ? p.dim0 : p.dim1, first = pick(len, p.balance.unit);
      return p.balance.dim === 0 ? { ...p, c0: first } : { ...p, c1: first };
    };
  }
  runningPool()?.forgetSlots();
  return () => { Object.assign(PLANS, saved); runningPool()?.forgetSlots(); };
}

/**
 * Wait out a back-off of the pool (pool.ts #watch: joins that wait longer than the caller's own
 * work look like another process holding a core — which a split skewed on purpose does).
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 100 && runningPool()?.contended; i++) await new Promise((r) => setTimeout(r, 20));
  expect(runningPool()?.contended ?? false, 'the pool still backs off after 2 s').toBe(false);
}

let restore: (() => void) | undefined;
afterEach(() => { restore?.(); restore = undefined; });

describe.each(ISAS)('skewed boundaries give the bits of one thread (%s)', (isa) => {
  // [m, n, k]: split by rows (n ≤ m), by columns (n > m), the MNIST step's three small ones
  const shapes: [number, number, number][] = [[301, 203, 157], [40, 1000, 300], [100, 10, 300], [100, 300, 10], [300, 10, 100]];
  const edges: [string, (len: number, unit: number) => number][] = [
    ['one unit', (_len, unit) => unit],
    ['all but the last unit', (len, unit) => Math.floor((len - 1) / unit) * unit],
    ['one unit past the middle', (len, unit) => (Math.floor(len / 2 / unit) + 1) * unit],
  ];
  it.each(edges)('chunk 0 = %s: gemm (four forms, bias) and gemmDirectB on 2 and 3 threads', async (_label, pick) => {
    const one = await engineFor(isa, 1);
    const want = new Map<string, Float32Array>();
    const run = (e: d.Engine, m: number, n: number, k: number, transA: boolean, transB: boolean, direct: boolean): Float32Array => e.scope(() => {
      const A = e.tensor(transA ? [k, m] : [m, k], randomF32(m * k, m + k)), B = e.tensor(transB ? [n, k] : [k, n], randomF32(k * n, n + 7 * k));
      const bias = e.tensor([n], randomF32(n, n)), C = e.tensor([m, n], randomF32(m * n, 3));
      if (direct) e.kernels.gemmDirectB(e.gemmTile as unknown as number, m, n, k, A.pointer(), k, B.pointer(), n, C.pointer(), n, bias.pointer(), e.gemmWorkspace());
      else d.gemm(C, A, B, { transA, transB, bias, alpha: 0.75, beta: 0.5 });
      return C.toArray() as Float32Array;
    });
    const cases: [number, number, number, boolean, boolean, boolean][] = [];
    for (const [m, n, k] of shapes) {
      for (const ta of [false, true]) for (const tb of [false, true]) cases.push([m, n, k, ta, tb, false]);
      cases.push([m, n, k, false, false, true]);
    }
    for (const c of cases) want.set(c.join(), run(one, ...c));
    restore = skew(pick);
    for (const threads of [2, 3]) {
      const e = await engineFor(isa, threads);
      await settle();
      const before = d.threadStats();
      for (const c of cases) expect(sameBits(run(e, ...c), want.get(c.join())!), `${c.join()} on ${threads} threads`).toBeUndefined();
      const after = d.threadStats();
      expect(after.slice(1).reduce((s, v, i) => s + v - (before[i + 1] ?? 0), 0), `worker chunks on ${threads} threads`).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe('the live loop', () => {
  it('a product repeated 3000 times on 2 threads, its boundary free to move: every result has the 1-thread bits', async () => {
    const one = await engineFor('simd', 1), two = await engineFor('simd', 2);
    const m = 100, n = 10, k = 300;
    const av = randomF32(m * k, 5), bv = randomF32(k * n, 6), biasv = randomF32(n, 7);
    const ref = one.scope(() => {
      const C = one.tensor([m, n]);
      d.gemm(C, one.tensor([m, k], av), one.tensor([k, n], bv), { bias: one.tensor([n], biasv) });
      return C.toArray() as Float32Array;
    });
    await settle();
    const A = two.keep(two.tensor([m, k], av)), B = two.keep(two.tensor([k, n], bv)), bias = two.keep(two.tensor([n], biasv)), C = two.keep(two.tensor([m, n]));
    const out = new Float32Array(C.size);
    let wrong = 0, firstWrong = '';
    for (let i = 0; i < 3000; i++) {
      new Float32Array(two.memory.buffer, C.pointer(), C.size).fill(Number.NaN);
      d.gemm(C, A, B, { bias });
      out.set(new Float32Array(two.memory.buffer, C.pointer(), C.size));
      const diff = sameBits(out, ref);
      if (diff && wrong++ === 0) firstWrong = `call ${i}: ${diff}`;
    }
    expect(wrong, firstWrong).toBe(0);
    const b = runningPool()!.balances().find((x) => x.len === m && x.dim === 0);
    expect(b, 'the repeated call has a balanced slot').toBeDefined();
    const tileRows = (two.gemmTile as unknown as number) === 6 ? 6 : (two.gemmTile as unknown as number) === 5 ? 5 : 4;
    expect(b!.first % tileRows, `chunk 0 of ${b!.first} rows, tiles of ${tileRows}`).toBe(0);
  }, 60_000);
});

describe('the live loop, a long product', () => {
  it('a 384³ product (≥ 0.25 ms a call: balanced from measured speeds) repeated 150 times on 2 threads: every result has the 1-thread bits', async () => {
    const one = await engineFor('simd', 1), two = await engineFor('simd', 2);
    const m = 384, n = 384, k = 384;
    const av = randomF32(m * k, 15), bv = randomF32(k * n, 16);
    const ref = one.scope(() => {
      const C = one.tensor([m, n]);
      d.gemm(C, one.tensor([m, k], av), one.tensor([k, n], bv));
      return C.toArray() as Float32Array;
    });
    await settle();
    const A = two.keep(two.tensor([m, k], av)), B = two.keep(two.tensor([k, n], bv)), C = two.keep(two.tensor([m, n]));
    const out = new Float32Array(C.size);
    let wrong = 0, firstWrong = '';
    const balance = () => runningPool()!.balances().find((x) => x.len === m && x.dim === 0);
    // 150 calls, and on until speeds were measured (a job the caller ran alone, e.g. while the
    // other project's run of this file holds the cores, teaches nothing), for at most 30 s (once,
    // with both projects in this loop at once, 10 s were not enough)
    const t0 = performance.now();
    for (let i = 0; i < 150 || (!(balance()?.share) && performance.now() - t0 < 30_000); i++) {
      new Float32Array(two.memory.buffer, C.pointer(), C.size).fill(Number.NaN);
      d.gemm(C, A, B);
      out.set(new Float32Array(two.memory.buffer, C.pointer(), C.size));
      const diff = sameBits(out, ref);
      if (diff && wrong++ === 0) firstWrong = `call ${i}: ${diff}`;
    }
    expect(wrong, firstWrong).toBe(0);
    const b = balance();
    expect(b, 'the repeated call has a balanced slot').toBeDefined();
    // the rates were measured: the running share is a fraction (the workers timed their chunks)
    expect(b!.share, `share of the rows the speeds gave the caller (${JSON.stringify(b)}, back-offs ${runningPool()!.backoffs}, chunks per thread ${runningPool()!.stats()})`).toBeGreaterThan(0);
    expect(b!.share).toBeLessThan(1);
    expect(b!.first % 4).toBe(0); // the plain-SIMD tile: 4 rows
  }, 60_000);
});

describe('descriptor slots', () => {
  it('an MNIST-shaped training step keeps its split calls in their slots: none described again after the first step, each keeps its balance', async () => {
    const two = await engineFor('simd', 2);
    await settle();
    const n = 600, features = 784;
    const data = { n, features, classes: 10, x: randomF32(n * features, 11), labels: Int32Array.from({ length: n }, (_, i) => (i * 7) % 10) };
    const model = new d.Model(two, { inputs: features, layers: [{ units: 500, activation: 'tanh' }, { units: 300, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 3 });
    const pool = runningPool()!;
    const before = pool.described;
    // Epochs of 6 steps until one without a back-off describes nothing new: normally the
    // second. (When other tests hold the cores the pool backs off for 250 ms, and calls made
    // meanwhile run on one thread, undescribed: an epoch that backed off proves nothing.) With
    // the 64 slots and one place per hash of before, 6 of the 9 split calls collided and were
    // described on every step: never stable. (The 40-call test below is the one that fails
    // with one place per hash today.)
    let epochs = 0, last = -1, backoffs = -1;
    while (epochs < 20 && (pool.described !== last || pool.backoffs !== backoffs)) {
      await settle();
      last = pool.described; backoffs = pool.backoffs;
      d.fit(model, data, { epochs: 1, batchSize: 100, lr: 0.1 });
      epochs++;
    }
    expect(pool.described, `still describing after ${epochs} epochs`).toBe(last);
    // the 8 products and the SGD update (the 10-wide softmax, the 50,000-float activations and
    // the input check stay unsplit)
    expect(last - before, 'split calls described').toBe(9);
    await settle();
    d.fit(model, data, { epochs: 2, batchSize: 100, lr: 0.1 });
    expect(pool.described - last, 'described in two more epochs').toBe(0);
    expect(pool.balances().filter((b) => b.len === 100 || b.len === 300).length, 'balanced m = 100 and 300 products in slots').toBeGreaterThanOrEqual(4);
  }, 60_000);
});

describe('descriptor slots, many calls', () => {
  it('40 different split calls repeated in turn: each is described once (8 slots per hash; with one, 6 of the 40 were described again on every turn)', async () => {
    const two = await engineFor('simd', 2);
    await settle();
    const saved = d.threadThresholds();
    d.threadThresholds({ elementwise: 0 });
    try {
      const xs = Array.from({ length: 40 }, (_, i) => two.keep(two.tensor([256], randomF32(256, 100 + i))));
      const pool = runningPool()!;
      const turn = (): void => { for (const x of xs) two.kernels.scal(256, 1, x.pointer()); };
      const before = pool.described;
      turn();
      const first = pool.described - before;
      turn(); turn();
      expect(first, 'described in the first turn').toBe(40);
      expect(pool.described - before - first, 'described in the next two turns').toBe(0);
    } finally {
      d.threadThresholds(saved);
    }
  }, 60_000);
});
