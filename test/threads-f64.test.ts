// Threads (issue #14) on the float64 matrix kernels of the full-batch methods (gemv both ways,
// ger, symv, gram; plans in src/engine/threads/plans-f64.ts): for 1, 2, 3 and 8 threads the
// results are bit-identical to one thread's and to a TypeScript reference in the kernels' own
// order, large calls really run chunks on workers, and a Levenberg–Marquardt training of a
// network (Jacobian Gram matrices and Jᵀr products split across threads) ends on the same bits
// with 1 and 2 threads.

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { runningPool } from '../src/engine/threads/pool.js';
import { parseCsv } from '../src/data/csv.js';
import { fitStandardizer } from '../src/data/standardize.js';
import { trainTestSplit } from '../src/data/split.js';
import type { Dataset } from '../src/data/dataset.js';
import { Model } from '../src/nn/model.js';
import { fit } from '../src/train/fit.js';
import { levenbergMarquardt } from '../src/train/full-batch.js';
import { F64_PLANS } from '../src/engine/threads/plans-f64.js';
import { bits64, dotAbs, dotOrdered, dotSeq, EPS, gemvOrdered, gramRef, randomF64 } from './reference-f64.js';

const THREADS = [1, 2, 3, 8];

const engines = new Map<number, Promise<d.Engine>>();
/** Plain-SIMD engines by thread count, created once (createEngine waits for the workers). */
function engineFor(threads: number): Promise<d.Engine> {
  if (!engines.has(threads)) engines.set(threads, d.createEngine({ isa: 'simd', threads }));
  return engines.get(threads)!;
}
afterAll(() => d.closeThreads());

/** undefined when the bits agree, else where they first differ. */
function bitsDiffer(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const ba = bits64(a), bb = bits64(b);
  const i = ba.findIndex((v, j) => v !== bb[j]);
  return i < 0 ? undefined : `${ba.filter((v, j) => v !== bb[j]).length} differ, first at ${i}: ${a[i]} vs ${b[i]}`;
}

/** symv in the kernel's order: yⱼ = β·yⱼ, then for i: y₀..ᵢ₋₁ += (α·xᵢ)·Aᵢ,₀..ᵢ₋₁, yᵢ += α·tᵢ. */
function symvOrdered(n: number, alpha: number, A: Float64Array, x: Float64Array, beta: number, y: Float64Array): void {
  for (let i = 0; i < n; i++) y[i] = beta === 0 ? 0 : beta === 1 ? y[i] : beta * y[i];
  for (let i = 0; i < n; i++) {
    const t = dotOrdered(i, A, x, i * n, 0) + A[i * n + i] * x[i];
    const ax = alpha * x[i];
    for (let j = 0; j < i; j++) y[j] += ax * A[i * n + j];
    y[i] += alpha * t;
  }
}

interface Outputs { gram: Float64Array; gemvN: Float64Array; gemvT: Float64Array; ger: Float64Array; symv: Float64Array }

/** The five operations on an m×n J (and an n×n symmetric S) through F64, on `threads` threads. */
async function run(threads: number, m: number, n: number): Promise<Outputs> {
  const f = new d.F64(await engineFor(threads));
  const J = f.mat(m, n, randomF64(m * n, m + 7 * n)), G = f.mat(n, n);
  const xm = f.vec(m, randomF64(m, 2 * m)), xn = f.vec(n, randomF64(n, 3 * n));
  const ym = f.vec(m, randomF64(m, 5)), yn = f.vec(n, randomF64(n, 6)), yn2 = f.vec(n, randomF64(n, 7));
  const S = f.mat(n, n, randomF64(n * n, 9));
  f.gram(J, G);
  f.gemv(false, 1.5, J, xn, 0.5, ym);
  f.gemv(true, -0.75, J, xm, 0, yn);
  f.symv(1.25, S, xn, -2, yn2);
  const out = { gram: G.data.slice(), gemvN: ym.data.slice(), gemvT: yn.data.slice(), symv: yn2.data.slice(), ger: new Float64Array(0) };
  f.ger(0.5, xm, xn, J);
  out.ger = J.data.slice();
  f.release();
  return out;
}

/** The same in plain TypeScript, in the kernels' order. */
function reference(m: number, n: number): Outputs {
  const J = randomF64(m * n, m + 7 * n), xm = randomF64(m, 2 * m), xn = randomF64(n, 3 * n);
  const gemvN = randomF64(m, 5), gemvT = randomF64(n, 6), symv = randomF64(n, 7), S = randomF64(n * n, 9);
  gemvOrdered(false, m, n, 1.5, J, xn, 0.5, gemvN);
  gemvOrdered(true, m, n, -0.75, J, xm, 0, gemvT);
  symvOrdered(n, 1.25, S, xn, -2, symv);
  const ger = J.map((v, p) => v + (0.5 * xm[Math.floor(p / n)]) * xn[p % n]);
  return { gram: gramRef(m, n, J), gemvN, gemvT, ger, symv };
}

// Large sizes split on 2+ threads (each op above its default threshold; odd sizes give partial
// chunks and column tails past the 8-wide strips); 23×37 stays whole everywhere.
const SIZES: [number, number][] = [[23, 37], [333, 263], [640, 300], [131, 517]];

describe('float64 matrix kernels with threads', () => {
  for (const [m, n] of SIZES) {
    it(`${m}×${n}: gram, gemv, gemvᵀ, ger, symv bit-identical for threads ${THREADS.join(', ')} and to the ordered reference`, async () => {
      if (m > 23) {
        // every operation of this size splits on 2 threads (pointers do not matter to a plan)
        const plans = [F64_PLANS.f64GramBlock([m, n, 8, 8, 0, n, 0, n], 2), F64_PLANS.f64GemvLd([0, m, n, 1, 8, n, 8, 0, 8], 2),
          F64_PLANS.f64GemvLd([1, m, n, 1, 8, n, 8, 0, 8], 2), F64_PLANS.f64Ger([m, n, 1, 8, 8, 8], 2), F64_PLANS.f64SymvRows([n, 1, 8, 8, 0, 8, 0, n], 2)];
        expect(plans.map((p) => p !== null)).toEqual([true, true, true, true, true]);
      }
      const want = reference(m, n);
      const one = await run(1, m, n);
      for (const key of Object.keys(want) as (keyof Outputs)[]) {
        expect(bitsDiffer(one[key], want[key]), `${key} ${m}×${n}, 1 thread vs the kernel-order reference`).toBeUndefined();
      }
      for (const t of THREADS.slice(1)) {
        const got = await run(t, m, n);
        for (const key of Object.keys(want) as (keyof Outputs)[]) {
          expect(bitsDiffer(got[key], one[key]), `${key} ${m}×${n}, ${t} threads vs 1`).toBeUndefined();
        }
      }
    }, 60_000);
  }

  it('agree with textbook forms within rounding (left-to-right sums, the full symmetric matrix)', async () => {
    const [m, n] = [333, 263];
    const got = await run(2, m, n);
    const J = randomF64(m * n, m + 7 * n), xn = randomF64(n, 3 * n), S = randomF64(n * n, 9), y0 = randomF64(n, 7);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0, a = 0;
        for (let k = 0; k < m; k++) { s += J[k * n + i] * J[k * n + j]; a += Math.abs(J[k * n + i] * J[k * n + j]); }
        expect(Math.abs(got.gram[i * n + j] - s)).toBeLessThanOrEqual(2 * m * EPS * a);
        expect(got.gram[j * n + i]).toBe(got.gram[i * n + j]);
      }
    }
    // symv against Σⱼ Aᵢⱼxⱼ with A the symmetric matrix of S's lower triangle
    const full = (i: number, j: number): number => (j <= i ? S[i * n + j] : S[j * n + i]);
    for (let i = 0; i < n; i++) {
      let s = 0, a = 0;
      for (let j = 0; j < n; j++) { s += full(i, j) * xn[j]; a += Math.abs(full(i, j) * xn[j]); }
      const want = 1.25 * s - 2 * y0[i];
      expect(Math.abs(got.symv[i] - want)).toBeLessThanOrEqual(4 * n * EPS * (1.25 * a + 2 * Math.abs(y0[i])));
    }
    const ym0 = randomF64(m, 5);
    for (let i = 0; i < m; i++) {
      const want = 1.5 * dotSeq(n, J, xn, i * n, 0) + 0.5 * ym0[i];
      expect(Math.abs(got.gemvN[i] - want)).toBeLessThanOrEqual(4 * n * EPS * (1.5 * dotAbs(n, J, xn, i * n, 0) + 1));
    }
  }, 60_000);

  it('large calls split: plans give several chunks, and workers run some of them (threadStats)', async () => {
    const [m, n] = [640, 300];
    const e = await engineFor(2);
    const f = new d.F64(e);
    const J = f.mat(m, n, randomF64(m * n, 1)), G = f.mat(n, n), S = f.mat(n, n, randomF64(n * n, 2));
    const xm = f.vec(m, randomF64(m, 3)), xn = f.vec(n, randomF64(n, 4)), ym = f.vec(m), yn = f.vec(n);
    const calls: [string, number[], () => void][] = [
      ['f64GramBlock', [m, n, J.ptr, G.ptr, 0, n, 0, n], () => f.gram(J, G)],
      ['f64GemvLd', [0, m, n, 1, J.ptr, n, xn.ptr, 0, ym.ptr], () => f.gemv(false, 1, J, xn, 0, ym)],
      ['f64GemvLd', [1, m, n, 1, J.ptr, n, xm.ptr, 0, yn.ptr], () => f.gemv(true, 1, J, xm, 0, yn)],
      ['f64Ger', [m, n, 1e-3, xm.ptr, xn.ptr, J.ptr], () => f.ger(1e-3, xm, xn, J)],
      ['f64SymvRows', [n, 1, S.ptr, xn.ptr, 0, yn.ptr, 0, n], () => f.symv(1, S, xn, 0, yn)],
    ];
    for (const [name, args, call] of calls) {
      const p = F64_PLANS[name](args, 2);
      expect(p, `${name} plans a split on 2 threads`).not.toBeNull();
      expect(Math.ceil(p!.dim0 / p!.c0) * Math.ceil(p!.dim1 / p!.c1), `${name} chunks`).toBeGreaterThan(1);
      expect(F64_PLANS[name](args, 1), `${name} on 1 thread`).toBeNull();
      // whether a worker wins a chunk is a race (and this machine may be busy; a worker that
      // slept, or was just replaced after collected engines, takes a while to come back): try
      // calls for up to 3 s
      let workers = 0;
      for (const start = performance.now(); performance.now() - start < 3000 && workers === 0;) {
        // a busy machine may have the pool backing off (calls stay on this thread for 250 ms
        // after slow joins, pool.ts): wait that out before each try
        for (const t0 = performance.now(); runningPool()?.contended && performance.now() - t0 < 1000;);
        const before = d.threadStats();
        call();
        const after = d.threadStats();
        workers = after.slice(1).reduce((s, v, i) => s + v - (before[i + 1] ?? 0), 0);
      }
      expect(workers, `${name}: chunks run by workers`).toBeGreaterThan(0);
    }
    // small calls stay whole
    expect(F64_PLANS.f64GramBlock([20, 30, J.ptr, G.ptr, 0, 30, 0, 30], 8)).toBeNull();
    expect(F64_PLANS.f64GemvLd([1, 40, 30, 1, J.ptr, 30, xm.ptr, 0, yn.ptr], 8)).toBeNull();
    expect(F64_PLANS.f64SymvRows([60, 1, S.ptr, xn.ptr, 0, yn.ptr, 0, 60], 8)).toBeNull();
    f.release();
  }, 60_000);
});

describe('a full-batch training with threads', () => {
  it('Levenberg–Marquardt on a network: the same parameters with 1 and 2 threads', async () => {
    // breast cancer, 30-24-2 tanh MLP, MSE: J is 796×794 per iteration, its Gram matrix and Jᵀr
    // split across threads (as do the f32 GEMMs of the batched backward passes building J)
    const SK = new URL('../../shared/data/sklearn/', import.meta.url);
    const data = parseCsv(readFileSync(new URL('breast_cancer.csv', SK), 'utf8'), { skipLines: 1, header: false });
    const split = trainTestSplit(data, { testFraction: 0.3, seed: 1 });
    const train: Dataset = fitStandardizer(split.train).apply(split.train);
    const params: Float32Array[] = [];
    const before = d.threadStats();
    for (const t of [1, 2]) {
      const m = new Model(await engineFor(t), { inputs: train.features, layers: [{ units: 24, activation: 'tanh' }, { units: 2 }], loss: 'mse', seed: 5 });
      const h = fit(m, train, { epochs: 6, batchSize: 'full', optimizer: levenbergMarquardt({ weightDecay: 1e-3 }), seed: 2 });
      expect(h.minimize!.evaluations.jacobian).toBeGreaterThan(0);
      params.push(m.parameters().data.slice());
      m.release();
    }
    const after = d.threadStats();
    expect(after.slice(1).reduce((s, v, i) => s + v - (before[i + 1] ?? 0), 0), 'chunks run by workers').toBeGreaterThan(0);
    expect(bitsDiffer(params[1], params[0])).toBeUndefined();
    expect(params[0].every(Number.isFinite)).toBe(true);
  }, 120_000);
});
