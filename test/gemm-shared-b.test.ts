// Large row-split products pack op(B) once and share it between threads (src/ops/gemm-shared-b.ts):
// the result must hold gemm()'s bits on 1 thread for every form, with β and a bias, over several
// k blocks (k > 800) and column blocks (nc < n), on 1, 2 and 3 threads; the shared path must
// really be taken (its kernels called) and a worker must really run chunks of it.

import { afterAll, describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { runningPool } from '../src/engine/threads/pool.js';
import { randomF32 } from './reference.js';

const ISAS: d.Isa[] = d.isaSupported('relaxed-simd') ? ['relaxed-simd', 'simd'] : ['simd'];

function sameBits(a: Float32Array, b: Float32Array): string | undefined {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let first = -1, count = 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) { if (first < 0) first = i; count++; }
  return first < 0 ? undefined : `${count} differ, first at ${first}: ${a[first]} vs ${b[first]}`;
}

interface Case { m: number; n: number; k: number; transA: boolean; transB: boolean; beta: number; bias: boolean }
const CASES: Case[] = [
  { m: 300, n: 260, k: 300, transA: false, transB: false, beta: 0, bias: true },    // one block, a partial panel (260 = 32·8 + 4)
  { m: 517, n: 301, k: 900, transA: false, transB: true, beta: 0.5, bias: false },  // 2 k blocks, partial panel, β
  { m: 400, n: 395, k: 1700, transA: true, transB: false, beta: 0, bias: true },    // 3 k blocks, Aᵀ
  { m: 720, n: 700, k: 1600, transA: true, transB: true, beta: -1, bias: true },    // 2 k blocks × 2 column blocks, both transposed
];

afterAll(() => d.closeThreads());

describe('gemm with B packed once for all threads', () => {
  for (const isa of ISAS) {
    it(`${isa}: the bits of one gemm() call on 1, 2 and 3 threads, and workers take part`, async () => {
      const e1 = await d.createEngine({ isa, threads: 1 });
      const results: Float32Array[][] = [];
      for (const threads of [1, 2, 3]) {
        const e = threads === 1 ? e1 : await d.createEngine({ isa, threads });
        const K = e.kernels as unknown as Record<string, (...a: number[]) => number>;
        const calls: Record<string, number> = { gemm: 0, gemmPackedB: 0, gemmPackBRange: 0 };
        const originals: Record<string, (...a: number[]) => number> = {};
        for (const name of Object.keys(calls)) {
          const f = originals[name] = K[name];
          K[name] = (...a: number[]) => { calls[name]++; return f(...a); };
        }
        const out: Float32Array[] = [];
        for (const [ci, c] of CASES.entries()) {
          const s = 100 + 4 * ci;
          out.push(e.scope(() => {
            const A = e.tensor(c.transA ? [c.k, c.m] : [c.m, c.k], randomF32(c.m * c.k, s));
            const B = e.tensor(c.transB ? [c.n, c.k] : [c.k, c.n], randomF32(c.k * c.n, s + 1));
            const C = e.tensor([c.m, c.n], randomF32(c.m * c.n, s + 2));
            const bias = c.bias ? e.tensor([c.n], randomF32(c.n, s + 3)) : undefined;
            d.gemm(C, A, B, { transA: c.transA, transB: c.transB, alpha: 0.75, beta: c.beta, bias });
            return C.data.slice();
          }));
        }
        results.push(out);
        if (threads === 1) {
          expect(calls.gemmPackedB, 'one thread: plain gemm()').toBe(0);
          expect(calls.gemm).toBe(CASES.length);
        } else {
          expect(calls.gemm, `${threads} threads: no plain gemm() call`).toBe(0);
          expect(calls.gemmPackedB).toBeGreaterThanOrEqual(CASES.length);
          expect(calls.gemmPackBRange).toBe(calls.gemmPackedB);
        }
        Object.assign(K, originals);
      }
      for (const threads of [2, 3]) {
        for (let ci = 0; ci < CASES.length; ci++) {
          expect(sameBits(results[threads - 1][ci], results[0][ci]), `${JSON.stringify(CASES[ci])}, ${threads} threads`).toBeUndefined();
        }
      }
      // a worker runs chunks of the shared path (a race: a few tries, after any back-off)
      const e2 = await d.createEngine({ isa, threads: 2 });
      const A = e2.keep(e2.tensor([512, 512], randomF32(512 * 512, 7))), B = e2.keep(e2.tensor([512, 512], randomF32(512 * 512, 8)));
      const C = e2.keep(e2.tensor([512, 512]));
      let ran = 0;
      for (let i = 0; i < 100 && ran === 0; i++) {
        for (const t0 = performance.now(); runningPool()?.contended && performance.now() - t0 < 1000;);
        const before = d.threadStats().slice(1).reduce((p, q) => p + q, 0);
        d.gemm(C, A, B);
        ran = d.threadStats().slice(1).reduce((p, q) => p + q, 0) - before;
      }
      expect(ran, 'chunks run by a worker').toBeGreaterThan(0);
    }, 120_000);
  }
});
