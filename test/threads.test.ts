// Threads (issue #14): results are bit-identical for any thread count — whole trainings, the
// inference paths, single kernels — the pool can be closed and re-created without leaking
// workers or memory and never keeps a process alive, and init({ threads }) refuses what it
// cannot do with a clear message.
//
// This machine has 2 vCPUs: threads 3 and 8 oversubscribe it, which is the point here (chunks
// are claimed dynamically, so which thread runs which chunk changes from run to run; the bits
// must not). Which kernels a call really splits is recorded by wrapping an engine's kernel table
// (watchSplits): the plans decide it from the arguments, deterministically, whereas whether a
// worker wins a chunk is a race, so worker participation is checked on totals (threadStats).
//
// Sizes are as the issue asks (3 epochs, 64-1024bn-512ln-10, batch 256; threads 1, 2, 3 and 8),
// nothing shrunk: a training takes ~1 s. Measured with both projects at once on this machine
// (2 vCPUs, shared with other jobs): this file 21–32 s in 'node' and 10–22 s in 'node-relaxed'
// (both ISAs there). In 'node' only, being ISA-independent: the race loop (until it fails, at
// most 12 s), the 100 pool cycles in a child (6–9 s), the 2²⁷-element reduction (3–5 s).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { PLANS } from '../src/engine/threads/plans.js';
import { runningPool } from '../src/engine/threads/pool.js';
import { randomF32, rng } from './reference.js';

const ISAS: d.Isa[] = d.isaSupported('relaxed-simd') ? ['relaxed-simd', 'simd'] : ['simd'];

// ---- helpers ----

type Floats = Float32Array | Float64Array | Int32Array;

/** undefined when a and b hold the same bits, else where they first differ and in how many elements. */
function bitsDiffer(a: Floats, b: Floats): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const per = a.BYTES_PER_ELEMENT / 4;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length * per), ub = new Uint32Array(b.buffer, b.byteOffset, b.length * per);
  let first = -1, count = 0;
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) {
      if (first < 0) first = Math.floor(i / per);
      count++;
    }
  }
  return first < 0 ? undefined : `${count} words differ, first at element ${first}: ${a[first]} vs ${b[first]}`;
}

/** Object.is per number, with the position of the first difference. */
function numbersDiffer(a: readonly number[], b: readonly number[]): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const i = a.findIndex((v, j) => !Object.is(v, b[j]));
  return i < 0 ? undefined : `first at ${i}: ${a[i]} vs ${b[i]}`;
}

/** Engines by ISA and thread count, created once (createEngine waits until the workers have them). */
const engines = new Map<string, Promise<d.Engine>>();
function engineFor(isa: d.Isa, threads: number): Promise<d.Engine> {
  const key = `${isa}/${threads}`;
  if (!engines.has(key)) engines.set(key, d.createEngine({ isa, threads }));
  return engines.get(key)!;
}

interface SplitCounts { split: number; serial: number; whole: number; planned: boolean }
/**
 * Wrap every function of e's kernel table to record, per kernel name, how many calls were split
 * into chunks for several threads (split), chunked on the calling thread only (serial: a
 * reduction below the threshold of parallelism), or run whole (below the thresholds, or a kernel
 * without a plan: planned false), while fn runs; the table is restored after it. The calls
 * themselves are unchanged.
 */
async function watchSplits<T>(e: d.Engine, fn: () => T | Promise<T>): Promise<{ result: T; seen: Map<string, SplitCounts> }> {
  const seen = new Map<string, SplitCounts>();
  const table = e.kernels as unknown as Record<string, (...a: number[]) => number>;
  const originals = new Map<string, (...a: number[]) => number>();
  for (const name of Object.keys(table)) {
    const fn = table[name], plan = PLANS[name];
    if (typeof fn !== 'function') continue;
    originals.set(name, fn);
    table[name] = (...args: number[]): number => {
      const p = plan ? plan(args, e.threads) : null;
      const s = seen.get(name) ?? { split: 0, serial: 0, whole: 0, planned: !!plan };
      seen.set(name, s);
      if (p === null) s.whole++;
      else if (p.parallel && e.threads > 1 && Math.ceil(p.dim0 / p.c0) * Math.ceil(p.dim1 / p.c1) > 1) s.split++;
      else s.serial++;
      return fn(...args);
    };
  }
  try {
    return { result: await fn(), seen };
  } finally {
    for (const [name, fn] of originals) table[name] = fn;
  }
}

/** The kernels split at least once. */
const splitNames = (seen: Map<string, SplitCounts>): string[] => [...seen].filter(([, s]) => s.split > 0).map(([n]) => n).sort();

/** Chunks run by threads 1.. of the running pool since `before` (a threadStats() of the same pool). */
function workerChunks(before: number[]): number {
  const now = d.threadStats();
  return now.slice(1).reduce((s, v, i) => s + v - (before[i + 1] ?? 0), 0);
}

function labelsTensor(e: d.Engine, labels: Int32Array): d.Tensor {
  const t = e.keep(e.tensor([labels.length]));
  new Int32Array(e.memory.buffer, t.pointer(), labels.length).set(labels);
  return t;
}

// ---- 1. trainings ----

const digits = d.digits();
const { train, test } = d.trainTestSplit(digits, { testFraction: 0.2, seed: 1 });

/** 64-1024bn-512ln-10: every kernel of a step is large enough to split at batch 256. */
const NORM_NET: d.AnyLayerSpec[] = [
  { units: 1024, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu' },
  { units: 512, activation: 'linear' }, { type: 'layernorm', activation: 'tanh' },
  { units: 10 },
];
/** A plain MLP for SGD with momentum: 64-512-256-10. */
const PLAIN_NET: d.AnyLayerSpec[] = [{ units: 512, activation: 'relu' }, { units: 256, activation: 'tanh' }, { units: 10 }];

interface Outcome { params: Float32Array; buffers: Float32Array[]; history: d.History; predictions: Float32Array[] }

async function trainOn(e: d.Engine, layers: d.AnyLayerSpec[], opt: () => d.Optimizer, driver: 'fit' | 'fitAsync' = 'fit'): Promise<Outcome> {
  const m = new d.Model(e, { inputs: 64, loss: 'softmax-cross-entropy', seed: 3, layers });
  // 3 epochs of the 1437 training digits at batch 256: 18 steps; validation runs eval-mode passes
  const options: d.FitOptions = { epochs: 3, batchSize: 256, seed: 2, optimizer: opt(), validationData: test };
  const history = driver === 'fit' ? d.fit(m, train, options) : await d.fitAsync(m, train, { ...options, yieldEveryMs: 0 });
  // inference: batch 1 (gemmSmallM), 32 (gemmDirectB) and 1000 (gemm), in eval mode
  const predictions = [1, 32, 1000].map((n) => m.predict(digits.x.subarray(0, n * 64), { output: 'logits' }) as Float32Array);
  const out = { params: m.parameters().toArray(), buffers: m.buffers().map((b) => b.tensor.toArray()), history, predictions };
  m.release();
  return out;
}

function expectSame(got: Outcome, want: Outcome, what: string): void {
  expect(bitsDiffer(got.params, want.params), `${what}: parameters`).toBeUndefined();
  expect(got.buffers.length, `${what}: running statistics`).toBe(want.buffers.length);
  got.buffers.forEach((b, i) => expect(bitsDiffer(b, want.buffers[i]), `${what}: buffer ${i}`).toBeUndefined());
  for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const) {
    expect(numbersDiffer(got.history[key] ?? [], want.history[key] ?? []), `${what}: history.${key}`).toBeUndefined();
  }
  expect(got.history.loss).toHaveLength(3);
  got.predictions.forEach((p, i) => expect(bitsDiffer(p, want.predictions[i]), `${what}: predictions ${i}`).toBeUndefined());
}

describe.each(ISAS)('trainings: the same bits on 1, 2, 3 and 8 threads (%s)', (isa) => {
  it('64-1024bn-512ln-10, Adam, batch 256, 3 epochs of digits: parameters, running statistics, history, predictions', async () => {
    const adam = () => d.optimizer('adam', { lr: 1e-3 });
    const reference = await trainOn(await engineFor(isa, 1), NORM_NET, adam);
    expect(reference.buffers).toHaveLength(2); // running mean and variance of the batch norm
    expect(reference.history.loss[2]).toBeLessThan(reference.history.loss[0]);
    for (const threads of [2, 3, 8]) {
      const e = await engineFor(isa, threads);
      expect(e.backend().threads).toBe(threads);
      const before = d.threadStats();
      const { result: got, seen } = await watchSplits(e, () => trainOn(e, NORM_NET, adam));
      expectSame(got, reference, `threads ${threads}`);
      const stats = d.threadStats();
      // the workers took chunks, and no worker beyond this engine's thread count did
      expect(workerChunks(before), `threads ${threads}: chunks run by workers`).toBeGreaterThan(0);
      for (let i = threads; i < stats.length; i++) expect(stats[i] - (before[i] ?? 0), `worker ${i} of a ${threads}-thread engine`).toBe(0);
      // every kernel the training and the predictions call has a plan (only the workspace size
      // query has none), and every one was split, but for the loss and the accuracy's argmax on
      // the 10-wide output (256 × 10 elements, below the thresholds) and the input check
      // (split from 64× the threshold: it reads what the caller just copied in); among them the
      // three GEMM forms, both norms forward and backward, the optimizer, predict's small-batch
      // GEMMs
      const unplanned = [...seen].filter(([, c]) => !c.planned).map(([n]) => n).sort();
      expect(unplanned, `threads ${threads}: kernels called without a plan`).toEqual(['gemmWorkspaceBytes']);
      const neverSplit = [...seen].filter(([, c]) => c.planned && c.split === 0).map(([n]) => n).sort();
      expect(neverSplit, `threads ${threads}: kernels never split`).toEqual(['argmaxRows', 'firstNonFinite', 'softmaxXent']);
      expect(splitNames(seen)).toEqual(expect.arrayContaining(['actBackward', 'actForward', 'bnForwardEval', 'gemm', 'gemmDirectB', 'gemmSmallM', 'lnBackward', 'lnForward', 'optAdam']));
    }
  }, 120_000);

  it('64-512-256-10, SGD with momentum, 3 epochs: the same bits on 1, 2 and 3 threads', async () => {
    const momentum = () => d.optimizer('sgd', { lr: 0.05, momentum: 0.9 });
    const reference = await trainOn(await engineFor(isa, 1), PLAIN_NET, momentum);
    for (const threads of [2, 3]) {
      const e = await engineFor(isa, threads);
      const { result: got, seen } = await watchSplits(e, () => trainOn(e, PLAIN_NET, momentum));
      expectSame(got, reference, `threads ${threads}`);
      expect(splitNames(seen)).toEqual(expect.arrayContaining(['actBackward', 'actForward', 'gemm', 'optSgd']));
    }
  }, 60_000);

  it('fitAsync on 2 threads ≡ fit on 2 threads ≡ fit on 1 thread', async () => {
    const adam = () => d.optimizer('adam', { lr: 1e-3 });
    const e2 = await engineFor(isa, 2);
    const viaFit = await trainOn(e2, NORM_NET, adam);
    const before = d.threadStats();
    const viaAsync = await trainOn(e2, NORM_NET, adam, 'fitAsync');
    expect(workerChunks(before)).toBeGreaterThan(0);
    expectSame(viaAsync, viaFit, 'fitAsync vs fit, threads 2');
    expectSame(viaAsync, await trainOn(await engineFor(isa, 1), NORM_NET, adam), 'fitAsync threads 2 vs fit threads 1');
  }, 60_000);
});

// ---- 2. single kernels ----

/** Runs make(e) on threads 1, 2 and 3 and expects the same bits from each; returns the threads-2 engine's split record. */
async function sameOnAll(isa: d.Isa, what: string, make: (e: d.Engine) => (Floats | number)[]): Promise<Map<string, SplitCounts>> {
  let want: (Floats | number)[] | undefined;
  let seen2 = new Map<string, SplitCounts>();
  for (const threads of [1, 2, 3]) {
    const e = await engineFor(isa, threads);
    const { result: got, seen } = await watchSplits(e, () => e.scope(() => make(e)));
    if (threads === 2) seen2 = seen;
    if (!want) { want = got; continue; }
    got.forEach((g, i) => {
      const w = want![i];
      if (typeof g === 'number') expect(Object.is(g, w), `${what}, result ${i}: ${g} on ${threads} threads, ${w} on 1`).toBe(true);
      else expect(bitsDiffer(g, w as Floats), `${what}, result ${i}, threads ${threads} vs 1`).toBeUndefined();
    });
  }
  return seen2;
}

/** A size at least twice a threshold and 100,003, odd (no chunk boundary lands on a SIMD unroll by luck). */
const above = (threshold: number, at_least = 100_003): number => Math.max(at_least, 2 * threshold + 3) | 1;

describe.each(ISAS)('kernels: the same bits on 1, 2 and 3 threads, random inputs above the thresholds (%s)', (isa) => {
  it('gemm in all four forms, with bias, alpha and beta, split by rows and by columns', async () => {
    const before = d.threadStats();
    // [m, n, k]: rows (n ≤ m), columns (n > m), rows because n < 16, a large one; none a
    // multiple of the tiles, so every split has edges; all ≥ 10× threadThresholds().gemm
    const shapes: [number, number, number][] = [[301, 203, 157], [40, 1000, 300], [5000, 10, 64], [520, 530, 500]];
    for (const [m, n, k] of shapes) {
      expect(m * n * k).toBeGreaterThanOrEqual(10 * d.threadThresholds().gemm);
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const av = randomF32(m * k, m + k), bv = randomF32(k * n, n + 7 * k), cv = randomF32(m * n, m * n), biasv = randomF32(n, n);
          const what = `gemm ${m}×${n}×${k} transA ${transA} transB ${transB}`;
          const seen = await sameOnAll(isa, what, (e) => {
            const A = e.tensor(transA ? [k, m] : [m, k], av), B = e.tensor(transB ? [n, k] : [k, n], bv);
            const C1 = e.tensor([m, n]), C2 = e.tensor([m, n], cv);
            d.gemm(C1, A, B, { transA, transB, bias: e.tensor([n], biasv) });
            d.gemm(C2, A, B, { transA, transB, alpha: 0.75, beta: 0.5 });
            return [C1.toArray(), C2.toArray()];
          });
          expect(seen.get('gemm')?.split, what).toBe(2);
        }
      }
    }
    expect(workerChunks(before)).toBeGreaterThan(0);
  }, 60_000);

  it('activations forward and backward, all seven kinds', async () => {
    const n = above(d.threadThresholds().elementwise);
    const z = randomF32(n, 11).map((v) => v * 4), dy = randomF32(n, 12);
    for (let kind = 0; kind < d.ACTIVATIONS.length; kind++) {
      const seen = await sameOnAll(isa, `activation ${d.ACTIVATIONS[kind]}`, (e) => {
        const K = e.kernels;
        const tz = e.tensor([n], z), ty = e.tensor([n]), tdy = e.tensor([n], dy), tdz = e.tensor([n]);
        K.actForward(kind, n, 0.1, tz.pointer(), ty.pointer());
        K.actBackward(kind, n, 0.1, ty.pointer(), tdy.pointer(), tdz.pointer());
        return [ty.toArray(), tdz.toArray()];
      });
      expect(seen.get('actForward')?.split).toBe(1);
      expect(seen.get('actBackward')?.split).toBe(1);
    }
  }, 30_000);

  it('losses (returned sums and gradients), softmax, argmax, dropout', async () => {
    const min = d.threadThresholds().elementwise;
    const n = above(min), cols = 10, rows = Math.ceil(2 * min / cols) + 7;
    const r = rng(5);
    const y = randomF32(n, 21), t = randomF32(n, 22).map((v) => (v + 1) / 2), p = t.map((v) => Math.min(0.999, Math.max(0.001, (v + r()) / 2)));
    const z = randomF32(rows * cols, 23).map((v) => v * 6);
    const labels = Int32Array.from({ length: rows }, () => Math.floor(r() * cols));
    const seen = await sameOnAll(isa, 'losses', (e) => {
      const K = e.kernels;
      const ty = e.tensor([n], y), tt = e.tensor([n], t), tp = e.tensor([n], p), g1 = e.tensor([n]), g2 = e.tensor([n]), g3 = e.tensor([n]);
      const mse = K.mseLoss(n, ty.pointer(), tt.pointer(), g1.pointer(), 1 / n);
      const bce = K.bceLogits(n, ty.pointer(), tt.pointer(), g2.pointer(), 1 / n);
      const bceP = K.bceProbs(n, tp.pointer(), tt.pointer(), g3.pointer(), 1 / n, 1e-7);
      const mseOnly = K.mseLoss(n, ty.pointer(), tt.pointer(), 0, 1);
      const tz = e.tensor([rows, cols], z), tl = labelsTensor(e, labels), dz = e.tensor([rows, cols]), sm = e.tensor([rows, cols]), am = e.tensor([rows]);
      const xent = K.softmaxXent(rows, cols, tz.pointer(), tl.pointer(), dz.pointer(), 1 / rows);
      K.softmax(rows, cols, tz.pointer(), sm.pointer());
      K.argmaxRows(rows, cols, tz.pointer(), am.pointer());
      const dx = e.tensor([n]), mask = e.tensor([n]);
      K.dropoutForward(n, ty.pointer(), dx.pointer(), mask.pointer(), 0.3, 1234, 5, 0);
      return [mse, bce, bceP, mseOnly, g1.toArray(), g2.toArray(), g3.toArray(), xent, dz.toArray(), sm.toArray(),
        new Int32Array(e.memory.buffer, am.pointer(), rows).slice(), dx.toArray(), mask.toArray()];
    });
    expect(splitNames(seen)).toEqual(expect.arrayContaining(['argmaxRows', 'bceLogits', 'bceProbs', 'dropoutForward', 'mseLoss', 'softmax', 'softmaxXent']));
  }, 30_000);

  it('dot, nrm2, sum on 10⁶ elements (fixed reduction chunks), firstNonFinite (on 5·10⁶: it splits from 64× the threshold), axpy, add', async () => {
    const n = 1_000_000, big = 5_000_000;
    expect(n).toBeGreaterThanOrEqual(2 * d.threadThresholds().elementwise);
    expect(big).toBeGreaterThanOrEqual(64 * d.threadThresholds().elementwise);
    const x = randomF32(n, 31), y = randomF32(n, 32), z = randomF32(big, 33);
    const withNaN = z.slice();
    withNaN[3_700_001] = NaN;
    const seen = await sameOnAll(isa, 'BLAS-1', (e) => {
      const tx = e.tensor([n], x), ty = e.tensor([n], y), tz = e.tensor([big], z), tn = e.tensor([big], withNaN);
      const out = [d.dot(tx, ty), d.nrm2(tx), d.sum(tx), d.sum(ty), e.kernels.firstNonFinite(big, tn.pointer()), e.kernels.firstNonFinite(big, tz.pointer())];
      d.axpy(0.3, tx, ty);
      const s = d.add(tx, ty);
      return [...out, ty.toArray(), s.toArray()];
    });
    expect(splitNames(seen)).toEqual(expect.arrayContaining(['add', 'axpy', 'dot', 'firstNonFinite', 'nrm2', 'sum']));
  }, 30_000);

  // FAILS (a bug): a reduction of more than MAX_CHUNKS (8192) × REDUCE_CHUNK (16384) = 2²⁷
  // elements (a 512 MiB tensor) returns NaN on one thread — the serial path writes chunk
  // results past the end of its 8192-slot Float64Array (dropped silently) and combines
  // undefined — and throws 'threads: a job of 8195 chunks (at most 8192)' on two. A model of
  // 135M parameters clipping its gradient norm (nrm2) gets NaN. Node project only (memory).
  // registered in the 'node' project only (one run is enough; not a skip)
  if (isa === 'simd' && !process.env.DESCENT_EXPECT_RELAXED) it('sum and nrm2 of 2²⁷ + 49,152 elements (more than 8192 reduction chunks)', async () => {
    const n = 2 ** 27 + 3 * 16384;
    const results: number[][] = [];
    for (const threads of [1, 2]) {
      const e = await d.createEngine({ isa, threads, initialMemoryMB: 520 });
      const r = e.scope(() => {
        const x = e.tensor([n]);
        d.fill(x, 1);
        const out: number[] = [];
        for (const f of [() => d.sum(x), () => d.nrm2(x)]) {
          try { out.push(f()); } catch { out.push(Number.NaN); }
        }
        return out;
      });
      results.push(r);
    }
    d.closeThreads(); // the workers hold the 2-thread engine's memory (see the test of collected engines)
    // the same bits on 1 and 2 threads; the sum exact; the norm within rounding of √n (the chunk
    // partials are irrational, so their combination is not exactly Math.sqrt(n))
    expect(results[1], 'threads 2 vs 1: [sum, nrm2]').toEqual(results[0]);
    expect(results[0][0]).toBe(n);
    expect(Math.abs(results[0][1] - Math.sqrt(n)) / Math.sqrt(n)).toBeLessThan(4e-16);
  }, 60_000);

  it('fused optimizer steps on 10⁶ parameters: Adam (with weight decay, amsgrad), SGD with momentum and Nesterov', async () => {
    // above both the optimizer threshold (Adam) and the cheap kernels' one (SGD)
    const n = above(Math.max(d.threadThresholds().optimizer, d.threadThresholds().elementwise), 1_000_037);
    const p0 = randomF32(n, 41);
    const grads = [42, 43, 44].map((s) => randomF32(n, s));
    const configs: [string, Record<string, unknown>, string][] = [
      ['adam', { lr: 1e-3 }, 'optAdam'],
      ['adam', { lr: 1e-3, weight_decay: 0.01, amsgrad: true }, 'optAdam'],
      ['sgd', { lr: 0.05, momentum: 0.9 }, 'optSgd'],
      ['sgd', { lr: 0.05, momentum: 0.9, nesterov: true }, 'optSgd'],
    ];
    for (const [name, hyper, kernel] of configs) {
      const seen = await sameOnAll(isa, `${name} ${JSON.stringify(hyper)}`, (e) => {
        const opt = d.optimizer(name, hyper);
        const p = e.tensor([n], p0), g = e.tensor([n]);
        grads.forEach((gv, step) => {
          g.data.set(gv);
          opt.step(p, g, { step, epoch: 0 });
        });
        return [p.toArray()];
      });
      expect(seen.get(kernel)?.split, `${name} ${JSON.stringify(hyper)}`).toBe(3);
    }
  }, 30_000);

  it('with every threshold at 0, tiny and odd sizes split too, with the same bits', async () => {
    const saved = d.threadThresholds();
    d.threadThresholds({ elementwise: 0, optimizer: 0, gemm: 0 });
    try {
      let gemmSplits = 0;
      // k ≥ 16 splits (smaller k stays unsplit, plans.ts); k = 5 and 1 check that path too
      for (const [m, n, k] of [[7, 9, 16], [13, 3, 17], [9, 70, 19], [2, 100, 33], [7, 9, 5], [33, 17, 1]] as [number, number, number][]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const av = randomF32(m * k, m + k), bv = randomF32(k * n, n + 7 * k), biasv = randomF32(n, n);
            const seen = await sameOnAll(isa, `small gemm ${m}×${n}×${k} transA ${transA} transB ${transB}`, (e) => {
              const C = e.tensor([m, n]);
              d.gemm(C, e.tensor(transA ? [k, m] : [m, k], av), e.tensor(transB ? [n, k] : [k, n], bv), { transA, transB, bias: e.tensor([n], biasv), alpha: 1.5 });
              return [C.toArray()];
            });
            gemmSplits += seen.get('gemm')?.split ?? 0;
          }
        }
      }
      expect(gemmSplits).toBeGreaterThan(10);
      for (const n of [65, 130, 1000, 4097, 20_001]) {
        const x = randomF32(n, n), y = randomF32(n, n + 1);
        const seen = await sameOnAll(isa, `elementwise, n = ${n}`, (e) => {
          const K = e.kernels;
          const tx = e.tensor([n], x), ty = e.tensor([n], y), out = e.tensor([n]), back = e.tensor([n]);
          K.actForward(2, n, 0, tx.pointer(), out.pointer());
          K.actBackward(2, n, 0, out.pointer(), ty.pointer(), back.pointer());
          const opt = d.optimizer('adam', { lr: 0.01 });
          opt.step(tx, ty, { step: 0, epoch: 0 });
          opt.step(tx, ty, { step: 1, epoch: 0 });
          const rows = Math.max(2, Math.floor(n / 7)), sm = e.tensor([rows, 7]);
          K.softmax(rows, 7, ty.pointer(), sm.pointer());
          return [out.toArray(), back.toArray(), tx.toArray(), sm.toArray(), d.dot(tx, ty)];
        });
        expect(splitNames(seen), `n = ${n}`).toEqual(expect.arrayContaining(['actBackward', 'actForward', 'optAdam', 'softmax']));
      }
    } finally {
      d.threadThresholds(saved);
    }
    expect(d.threadThresholds()).toEqual(saved);
  }, 30_000);

  // A call equal to an earlier one (same kernel, engine, thread count and arguments) runs from
  // that call's descriptor slot without rewriting it (pool.ts): equal means bit for bit, the
  // data behind the pointers is read afresh, a thresholds change forgets the slots, and more
  // distinct calls than slots (64) only evict one another.
  it('repeated calls reuse descriptor slots: fresh data, −0 is not 0, thresholds changes, more calls than slots', async () => {
    const saved = d.threadThresholds();
    d.threadThresholds({ elementwise: 0, optimizer: 0, gemm: 0 });
    try {
      const e1 = await engineFor(isa, 1), e2 = await engineFor(isa, 2);
      const n = 4099;
      const x = randomF32(n, 11);
      // the same scal call on new data, then with α = −0 after α = 0: signs of the zeros differ
      const run = (e: d.Engine): Float32Array[] => e.scope(() => {
        const t = e.tensor([n]), out: Float32Array[] = [];
        for (const [round, alpha] of [[0, 3], [1, 3], [2, 0], [3, -0], [4, 0]] as [number, number][]) {
          t.data.set(x.map((v) => v + round));
          for (let rep = 0; rep < 3; rep++) e.kernels.scal(n, alpha, t.pointer());
          out.push(t.toArray());
        }
        return out;
      });
      const want = run(e1), got = run(e2);
      want.forEach((w, i) => expect(bitsDiffer(got[i], w), `round ${i}`).toBeUndefined());
      expect(Object.is(got[3][0], -0) && Object.is(got[4][0], 0), 'scal by −0 then by 0').toBe(true);

      // 150 distinct gemm calls (more than the 64 slots), twice over, on changing data
      const shapes = Array.from({ length: 150 }, (_, i) => [3 + (i % 7), 9 + (i % 11), 16 + (i % 5)] as [number, number, number]);
      const gemms = (e: d.Engine): Float32Array[] => e.scope(() => {
        const A = e.tensor([9, 20], randomF32(180, 1)), B = e.tensor([20, 19], randomF32(380, 2)), out: Float32Array[] = [];
        const C = e.tensor([9, 19]);
        for (let pass = 0; pass < 2; pass++) {
          A.data.set(randomF32(180, 3 + pass));
          for (const [m, nn, k] of shapes) {
            e.kernels.gemm(e.gemmTile, 0, 0, m, nn, k, 1, A.pointer(), 20, B.pointer(), 19, 0.5, C.pointer(), 19, 0, e.gemmWorkspace());
            out.push(C.toArray());
          }
        }
        return out;
      });
      const w2 = gemms(e1), g2 = gemms(e2);
      w2.forEach((w, i) => expect(bitsDiffer(g2[i], w), `gemm call ${i}`).toBeUndefined());

      // a thresholds change forgets the slots: the same call then runs whole, on this thread
      const t = e2.keep(e2.tensor([n], x));
      e2.kernels.scal(n, 1.5, t.pointer());
      d.threadThresholds({ elementwise: 1 << 30 });
      const before = d.threadStats();
      for (let i = 0; i < 50; i++) e2.kernels.scal(n, 1.5, t.pointer());
      expect(workerChunks(before), 'chunks taken by workers after the threshold went up').toBe(0);
    } finally {
      d.threadThresholds(saved);
    }
  }, 30_000);
});

// ---- 3. the pool's lifecycle ----

describe('the thread pool', () => {
  it('closeThreads() stops it; engines keep working, the next parallel call starts a new pool, new engines grow it', async () => {
    const isa = ISAS[0];
    const e = await d.createEngine({ isa, threads: 2 });
    const av = randomF32(300 * 200, 1), bv = randomF32(200 * 250, 2);
    const product = (): Float32Array => e.scope(() => {
      const C = e.tensor([300, 250]);
      d.gemm(C, e.tensor([300, 200], av), e.tensor([200, 250], bv));
      return C.toArray();
    });
    const want = product();
    expect(d.threadStats().length).toBeGreaterThanOrEqual(2);
    d.closeThreads();
    expect(d.threadStats()).toEqual([]); // no pool running
    d.closeThreads(); // twice is harmless

    // a threads-1 engine never starts a pool
    const e1 = await d.createEngine({ isa, threads: 1 });
    e1.scope(() => d.gemm(e1.tensor([300, 250]), e1.tensor([300, 200], av), e1.tensor([200, 250], bv)));
    expect(d.threadStats()).toEqual([]);

    // the old engine: same bits, on a new pool of its size
    expect(bitsDiffer(product(), want)).toBeUndefined();
    expect(d.threadStats()).toHaveLength(2);
    await e.threadsReady(); // the new worker has instantiated it
    let tries = 0;
    while (d.threadStats()[1] === 0 && tries++ < 200) {
      for (const t0 = performance.now(); runningPool()?.contended && performance.now() - t0 < 1000;); // back-off (pool.ts)
      expect(bitsDiffer(product(), want)).toBeUndefined();
    }
    expect(d.threadStats()[1], 'chunks run by the new pool\'s worker').toBeGreaterThan(0);

    // a new engine with more threads grows it
    const e3 = await d.createEngine({ isa, threads: 3 });
    expect(d.threadStats()).toHaveLength(3);
    const got3 = e3.scope(() => {
      const C = e3.tensor([300, 250]);
      d.gemm(C, e3.tensor([300, 200], av), e3.tensor([200, 250], bv));
      return C.toArray();
    });
    expect(bitsDiffer(got3, want)).toBeUndefined();
    // and the two-thread engine still uses it, with its own thread count
    const before = d.threadStats();
    for (let i = 0; i < 20; i++) product();
    expect(d.threadStats()[2] - before[2], 'worker 2 does not work for a 2-thread engine').toBe(0);
    d.closeThreads();
  });

  it('an engine with threads: 1 uses no workers and the unshared build; threads > 1 the shared one', async () => {
    const e2 = await d.createEngine({ isa: ISAS[0], threads: 2 });
    expect(e2.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const e1 = await d.createEngine({ isa: ISAS[0], threads: 1 });
    expect(e1.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(e1.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const before = d.threadStats();
    expect(before.length).toBeGreaterThanOrEqual(2); // a pool is running (e2's)
    const { seen } = await watchSplits(e1, () => {
      const m = new d.Model(e1, { inputs: 64, loss: 'softmax-cross-entropy', seed: 3, layers: NORM_NET });
      d.fit(m, train, { epochs: 1, batchSize: 256, seed: 2, optimizer: d.optimizer('adam') });
      m.predict(digits.x.subarray(0, 1000 * 64));
      m.release();
    });
    expect(d.threadStats()).toEqual(before); // not one chunk, not even on the calling thread's count
    expect(splitNames(seen)).toEqual([]);
    expect(seen.get('gemm')?.whole).toBeGreaterThan(0);
  });

  // FAILS (a bug, reproduced): a late worker can run a chunk with the next job's descriptor.
  // claim() (kit.ts) reads NCHUNKS, then compares the claim word's chunk counter against it. When
  // a job ends, the word still holds (seq, nChunks of that job); the caller's next describe()
  // writes the next job's NCHUNKS, KERNEL and arguments before run() stores the new seq. A worker
  // that saw the old seq late (woken after the caller did every chunk itself, or preempted between
  // chunks) claims chunk nChunks_old of the old seq whenever the next job has more chunks, runs it
  // on the half-written descriptor (any kernel, any pointers: here it overwrote input tensors)
  // and adds to DONE, possibly after the caller reset it (the caller may then return before its
  // chunks are done). Measured: an input corrupted after 12–61k iterations (1.9–6.2 s, six runs of
  // this loop on dist/ alone; under vitest 0.7 s and 3.5 s, one 6 s run missed it); with
  // Atomics.store(ctl, L.WORD, seq << 16 | 0xffff) at the end of ThreadPool.run (no claim on an
  // ended job), none in 454k iterations (a patched bundle).
  if (!process.env.DESCENT_EXPECT_RELAXED) it('many small jobs of alternating chunk counts on 8 threads: every output right, no input touched', async () => {
    const saved = d.threadThresholds();
    d.threadThresholds({ elementwise: 0, optimizer: 0, gemm: 0 });
    try {
      const e1 = await d.createEngine({ isa: 'simd', threads: 1 }), e8 = await d.createEngine({ isa: 'simd', threads: 8 });
      const sizes = [65, 2049, 130, 4097, 193, 1025]; // 2, 11, 3, 13, 4 and 9 chunks on 8 threads
      const xs = sizes.map((n, i) => randomF32(n, 100 + i));
      const want = sizes.map((n, i) => e1.scope(() => {
        const y = e1.tensor([n]);
        e1.kernels.actForward(2, n, 0, e1.tensor([n], xs[i]).pointer(), y.pointer());
        return y.toArray();
      }));
      const ts = sizes.map((n, i) => [e8.keep(e8.tensor([n], xs[i])), e8.keep(e8.tensor([n]))]);
      const K = e8.kernels;
      let wrong = '', iterations = 0;
      const t0 = performance.now();
      // until the first wrong output, for at most 12 s (it came within 1.9–6.2 s in six runs)
      while (!wrong && performance.now() - t0 < 12_000) {
        for (let i = 0; i < sizes.length && !wrong; i++) {
          const [x, y] = ts[i];
          const yd = y.data;
          yd.fill(Number.NaN);
          K.actForward(2, sizes[i], 0, x.pointer(), y.pointer());
          const w = want[i];
          let j = 0;
          while (j < w.length && w[j] === yd[j]) j++;
          if (j < w.length) wrong = `iteration ${iterations}, n = ${sizes[i]}: output ${j} is ${yd[j]}, want ${want[i][j]}`;
        }
        iterations++;
      }
      const touched = ts.map(([x], i) => bitsDiffer(x.toArray(), xs[i])).filter((m) => m !== undefined);
      expect(wrong, `after ${iterations} iterations`).toBe('');
      expect(touched, 'inputs changed').toEqual([]);
    } finally {
      d.threadThresholds(saved);
    }
  }, 40_000);

  // The child runs scripts/threads-cycle.mjs on dist/node/index.js (node scripts/build.mjs):
  // 100 cycles here, 1,000 with `node --expose-gc scripts/threads-cycle.mjs`. Measured on this
  // machine (2 vCPUs, shared with other jobs): a cycle takes ~70–80 ms, mostly starting the
  // worker (100 cycles: 6.9 s; 1,000: 75.8 s). 100 cycles: RSS 59.8 MiB after 10, 61.6 after
  // 100; heap 5.9–6.2 MiB; OS threads back to the start's 11 after every closeThreads(). 1,000
  // cycles: RSS 73.6 MiB after 100, 94.6 after 1,000 (heap flat at 6.0 MiB, threads at 11) —
  // a creep of glibc's per-thread malloc arenas, not of the library: with MALLOC_ARENA_MAX=1,
  // 63.0 MiB after 40 cycles, 67.5 after 400, flat from 240 on. The child exits 30–70 ms after
  // its last line, with a pool still running (unref'd workers).
  // (in the 'node' project only: it runs dist/, whose pool does not depend on the ISA)
  if (!process.env.DESCENT_EXPECT_RELAXED) it('closes and re-creates the pool 100 times in a child process: no leaked workers or memory, and the child exits by itself', () => {
    const script = new URL('../scripts/threads-cycle.mjs', import.meta.url).pathname;
    const r = spawnSync(process.execPath, ['--expose-gc', script, '100', '--json', '--isa', 'simd'], { encoding: 'utf8', timeout: 120_000 });
    const exited = Date.now();
    expect(r.error, 'the child did not exit by itself within 120 s').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      cycles: number; cyclesWithWorkerChunks: number; poolLeftRunning: number; endedAt: number;
      samples: { cycle: number; rssMB: number; heapUsedMB: number; osThreads: number | null }[];
    };
    expect(out.cycles).toBe(100);
    expect(out.poolLeftRunning).toBe(2);
    // the worker really worked (chunk 0 is the caller's, the worker may take chunk 1 if it is
    // awake before the caller finishes chunk 0: it did in 97 of 100 cycles, twice, measured
    // 2026-12-07; under load the caller can run both most of the time)
    expect(out.cyclesWithWorkerChunks).toBeGreaterThan(0);
    const [start, ...after] = out.samples;
    expect(after).toHaveLength(10);
    // no worker outlives closeThreads(): the process's OS threads are back to the start's count
    if (start.osThreads !== null) for (const s of after) expect(s.osThreads, `OS threads after ${s.cycle} cycles`).toBe(start.osThreads);
    // memory stays flat after the first cycles (first compile, first pool): the bound is ~6× the
    // 1.8 MiB measured
    const first = after[0], last = after[after.length - 1];
    expect(last.rssMB - first.rssMB, `RSS ${first.rssMB} MiB after ${first.cycle} cycles, ${last.rssMB} after ${last.cycle}`).toBeLessThan(12);
    expect(last.heapUsedMB - first.heapUsedMB, `heap ${first.heapUsedMB} MiB after ${first.cycle} cycles, ${last.heapUsedMB} after ${last.cycle}`).toBeLessThan(2);
    // and it exits by itself with a pool running (unref'd workers), promptly
    expect(exited - out.endedAt, 'ms from the last line to the exit').toBeLessThan(3000);
  }, 150_000);

  // FAILS (a bug, measured): engines collected while the pool keeps running are never let go by
  // the workers. pool.unregister mails 'drop' and the worker deletes its map entry, but its
  // isolate never collects: it sits in its spin / Atomics.wait loop, allocates next to nothing
  // and never idles in its event loop, so each dropped engine's WebAssembly.Instance and shared
  // memory stay. Measured: +1.3–1.5 MiB RSS per dropped engine of this size (300 engines:
  // 46 → 471 MiB); with a gc() in the worker after 'drop' (a patched bundle), flat at ~66 MiB.
  if (!process.env.DESCENT_EXPECT_RELAXED) it('engines collected while the pool runs on are let go by its workers (50 in a child process)', () => {
    const script = new URL('../scripts/threads-cycle.mjs', import.meta.url).pathname;
    const r = spawnSync(process.execPath, ['--expose-gc', script, '50', '--keep-pool', '--json', '--isa', 'simd'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { samples: { cycle: number; rssMB: number; osThreads: number | null }[] };
    const [start, ...after] = out.samples;
    // one worker all along: the same pool
    if (start.osThreads !== null) for (const s of after) expect(s.osThreads).toBe(start.osThreads + 1);
    const first = after[0], last = after[after.length - 1];
    expect(last.rssMB - first.rssMB, `RSS ${first.rssMB} MiB after ${first.cycle} engines, ${last.rssMB} after ${last.cycle}`).toBeLessThan(12);
  }, 90_000);
});

// ---- 4. options and errors ----

describe('init({ threads }) and backend()', () => {
  it('refuses thread counts other than \'auto\' and integers 1..64, with a DescentError naming the value', async () => {
    const message = /^init: threads must be 'auto' or an integer from 1 to 64, got /;
    for (const bad of [0, 1.5, 65, 'x', -1, Number.NaN, Infinity, null, '2']) {
      const sync = (() => { try { d.createEngineSync({ threads: bad as number }); } catch (e) { return e; } })();
      expect(sync, `createEngineSync({ threads: ${String(bad)} })`).toBeInstanceOf(d.DescentError);
      expect((sync as Error).message).toMatch(message);
      const viaInit = await d.init({ threads: bad as number }).then(() => undefined, (e: unknown) => e);
      expect(viaInit, `init({ threads: ${String(bad)} })`).toBeInstanceOf(d.DescentError);
      expect((viaInit as Error).message).toMatch(message);
    }
    await expect(d.init({ threads: 0 })).rejects.toThrow("init: threads must be 'auto' or an integer from 1 to 64, got 0");
    await expect(d.init({ threads: 65 })).rejects.toThrow('got 65');
    // a string is shown quoted: "got 2" for threads: '2' would read as if 2 were refused
    await expect(d.init({ threads: 'x' as unknown as number })).rejects.toThrow('got "x"');
    await expect(d.init({ threads: '2' as unknown as number })).rejects.toThrow('got "2"');
  });

  it('backend() reports the thread count and why', async () => {
    const cores = availableParallelism();
    await d.init();
    expect(d.backend().threads).toBe(Math.min(cores, 8));
    expect(d.backend().threadsReason).toBe(`auto: ${cores} core${cores === 1 ? '' : 's'} reported${cores > 8 ? ', capped at 8' : ''}`);
    await d.init({ threads: 'auto' });
    expect(d.backend().threads).toBe(Math.min(cores, 8));
    await d.init({ threads: 3 });
    expect(d.backend()).toMatchObject({ threads: 3, threadsReason: 'init({ threads: 3 })' });
    await d.init({ threads: 1 });
    expect(d.backend()).toMatchObject({ threads: 1, threadsReason: 'init({ threads: 1 })' });
    expect(d.createEngineSync({ threads: 64 }).backend().threads).toBe(64); // allowed, if not wise
  });

  it('a module passed in decides: a single-threaded build runs on one thread (auto) or refuses threads > 1', () => {
    const compile = (f: string) => new WebAssembly.Module(readFileSync(new URL(`../wasm/${f}.wasm`, import.meta.url)));
    const single = compile('simd');
    const auto = d.createEngineSync({ module: single });
    expect(auto.backend().threads).toBe(1);
    expect(auto.backend().threadsReason).toMatch(/^auto: one thread: the module passed is a single-threaded build/);
    expect(() => d.createEngineSync({ module: single, threads: 2 })).toThrow(/^init: threads: 2 asked for, but the module passed is a single-threaded build/);
    const shared = d.createEngineSync({ module: compile('simd-threads'), threads: 2 });
    expect(shared.backend()).toMatchObject({ threads: 2, isa: 'simd' });
    expect(shared.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
