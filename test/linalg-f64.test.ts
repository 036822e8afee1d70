// Float64 linear algebra (src/linalg/f64.ts over assembly/linalg/), in both builds.
//
// Bit for bit (no fused multiply-add in either build, and the reference repeats the kernel's
// operation order; see test/reference-f64.ts): dot, nrm2 (normal range), axpy, scal, copy,
// fill, gemv (both forms), ger, addDiagonal, gram, cholesky, trsv (all four), cholSolve and
// bfgsInverseUpdate. Within rounding bounds: dot and gemv against left-to-right sums, nrm2 at
// extreme magnitudes, symv, gram against column inner products, L·Lᵀ against A, cholSolve and
// trsv residuals, bfgsInverseUpdate against the explicit product formula and the secant
// equation. Then failure indices of cholesky, errors, and guard zones around every operand.
import { describe, expect, it } from 'vitest';
import { F64, type Mat64, type Vec64 } from '../src/linalg/f64.js';
import { DescentError } from '../src/engine/errors.js';
import type { VectorSpace } from '../src/minimize/vector-space.js';
import { isas, engineFor } from './engines.js';
import {
  EPS, bfgsExplicit, bfgsOrdered, bits64, choleskyRef, dotAbs, dotOrdered, dotSeq, gemvOrdered, gramRef,
  matmul, maxAbs, maxDiff, nrm2Scaled, randomF64, randomSpd, trsvOrdered,
} from './reference-f64.js';

const SIZES = [1, 2, 3, 7, 17, 129];

/** undefined when got and want hold the same 64-bit patterns, else where they first differ. */
function bitDiff(got: ArrayLike<number>, want: ArrayLike<number>): string | undefined {
  if (got.length !== want.length) return `lengths ${got.length} and ${want.length}`;
  const g = bits64(got), w = bits64(want);
  for (let i = 0; i < g.length; i++) if (g[i] !== w[i]) return `element ${i}: got ${got[i]}, want ${want[i]}`;
  return undefined;
}

/** undefined when |got − want| ≤ bound elementwise, else the first violation. */
function beyond(got: ArrayLike<number>, want: ArrayLike<number>, bound: (i: number) => number): string | undefined {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= bound(i))) return `element ${i}: got ${got[i]}, want ${want[i]} ± ${bound(i)}`;
  }
  return undefined;
}

const transpose = (m: number, n: number, A: ArrayLike<number>) => {
  const T = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) T[j * m + i] = A[i * n + j];
  return T;
};

/** A well-conditioned triangular n×n matrix: diagonal in [1, 2), off-diagonal in [−1, 1)/n. */
function randomTriangular(n: number, lower: boolean, seed: number): Float64Array {
  const T = randomF64(n * n, seed);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) T[i * n + j] = 1.5 + 0.5 * T[i * n + j];
      else if ((j < i) === lower) T[i * n + j] /= n;
      else T[i * n + j] = 0;
    }
  }
  return T;
}

for (const isa of isas) {
  describe(`F64 linear algebra ${isa}`, () => {
    const e = engineFor(isa);

    it('vec and mat: zero-filled or from values, views rebuilt after growth, release frees', () => {
      const f = new F64(e, 'test');
      const v = f.vec(5), w = f.vec(3, [1, 2, 3]), m = f.mat(2, 3, [1, 2, 3, 4, 5, 6]), z = f.mat(4, 0);
      expect(Array.from(v.data)).toEqual([0, 0, 0, 0, 0]);
      expect(Array.from(w.data)).toEqual([1, 2, 3]);
      expect([m.rows, m.cols, Array.from(m.data)]).toEqual([2, 3, [1, 2, 3, 4, 5, 6]]);
      expect([z.rows, z.cols, z.data.length]).toEqual([4, 0, 0]);
      for (const h of [v, w, m]) expect(h.ptr % 64).toBe(0);
      expect(f.vec(0).data.length).toBe(0);
      const held = f.stats().bytes;
      const big = f.vec(4_000_000); // 32 MB: the memory grows and old views detach
      expect(f.stats().bytes).toBeGreaterThan(held);
      big.data[3_999_999] = 7;
      expect(Array.from(w.data)).toEqual([1, 2, 3]);
      f.release();
      expect(f.stats()).toEqual({ blocks: 0, bytes: 0 });
      expect(() => w.data).toThrow(/released/);
      expect(() => f.dot(w, w)).toThrow(DescentError);
      expect(f.vec(2, [8, 9]).data[1]).toBe(9); // usable again
      // F64 stands in for the minimizers' VectorSpace (src/minimize/vector-space.ts)
      const space: VectorSpace = f;
      expect(space.dot(space.vec(2, [1, 2]), space.vec(2, [3, 4]))).toBe(11);
      f.release();
    });

    it('values that are a view of the engine memory survive the growth their own allocation causes', () => {
      e.scope(() => {
        const f = new F64(e, 'test');
        const n = Math.ceil(e.memory.buffer.byteLength / 8) + 1024; // n doubles cannot fit: the memory grows
        const t = e.tensor([n], Float32Array.from({ length: n }, (_, i) => (i % 97) - 48));
        const before = e.memory.buffer.byteLength;
        const v = f.vec(n, t.data); // a Float32Array over e.memory.buffer, detached by the growth
        expect(e.memory.buffer.byteLength).toBeGreaterThan(before);
        expect([v.data[0], v.data[97], v.data[n - 1]]).toEqual([-48, -48, ((n - 1) % 97) - 48]);
        const m = f.mat(2, 2, t.data.subarray(0, 4));
        expect(Array.from(m.data)).toEqual([-48, -47, -46, -45]);
        f.release();
      });
    });

    it('level 1: dot, nrm2, axpy, scal, copy, fill bit for bit; dot within the bound of a plain sum', () => {
      const f = new F64(e);
      for (const n of [0, ...SIZES, 1000]) {
        const xs = randomF64(n, 10 * n + 1), ys = randomF64(n, 10 * n + 2);
        const x = f.vec(n, xs), y = f.vec(n, ys);
        const d = f.dot(x, y);
        expect(bits64([d]), `dot n=${n}`).toEqual(bits64([dotOrdered(n, xs, ys)]));
        expect(Math.abs(d - dotSeq(n, xs, ys)), `dot vs left-to-right n=${n}`).toBeLessThanOrEqual(n * EPS * dotAbs(n, xs, ys));
        expect(bits64([f.nrm2(x)]), `nrm2 n=${n}`).toEqual(bits64([Math.sqrt(dotOrdered(n, xs, xs))]));
        expect(Math.abs(f.nrm2(x) - nrm2Scaled(xs))).toBeLessThanOrEqual(n * EPS * nrm2Scaled(xs));
        f.axpy(-0.37, x, y);
        expect(bitDiff(y.data, ys.map((v, i) => v + -0.37 * xs[i])), `axpy n=${n}`).toBeUndefined();
        f.scal(1.3, x);
        expect(bitDiff(x.data, xs.map((v) => 1.3 * v)), `scal n=${n}`).toBeUndefined();
        f.copy(y, x);
        expect(bitDiff(x.data, y.data), `copy n=${n}`).toBeUndefined();
        f.fill(x, -2.5);
        expect(Array.from(x.data)).toEqual(new Array(n).fill(-2.5));
      }
      // matrices as flat arrays
      const As = randomF64(12, 5), Bs = randomF64(12, 6);
      const A = f.mat(3, 4, As), B = f.mat(3, 4, Bs);
      expect(f.dot(A, B)).toBe(dotOrdered(12, As, Bs));
      f.axpy(2, A, B);
      expect(bitDiff(B.data, Bs.map((v, i) => v + 2 * As[i]))).toBeUndefined();
      expect(f.nrm2(A)).toBe(Math.sqrt(dotOrdered(12, As, As)));
      f.release();
    });

    it('nrm2 neither overflows nor underflows; ∞ and NaN propagate', () => {
      const f = new F64(e);
      for (const n of SIZES) {
        for (const scale of [1e300, 1e200, 1e-160, 1e-200, 1e-300, 5e-320]) {
          const xs = randomF64(n, n + 3).map((v) => v * scale);
          const want = nrm2Scaled(xs);
          expect(Math.abs(f.nrm2(f.vec(n, xs)) - want) / want, `n=${n} scale=${scale}`).toBeLessThan(scale < 1e-307 ? 1e-3 : 1e-14);
        }
      }
      expect(Math.abs(f.nrm2(f.vec(3, [3e200, 4e200, 0])) / 5e200 - 1)).toBeLessThan(1e-15);
      expect(Math.abs(f.nrm2(f.vec(2, [3e-200, 4e-200])) / 5e-200 - 1)).toBeLessThan(1e-15);
      expect(f.nrm2(f.vec(2, [1.7e308, 1.7e308]))).toBe(Infinity);
      expect(f.nrm2(f.vec(3, [1, -Infinity, 2]))).toBe(Infinity);
      expect(f.nrm2(f.vec(3, [1, NaN, Infinity]))).toBeNaN();
      expect(f.nrm2(f.vec(9))).toBe(0);
      expect(f.nrm2(f.vec(1, [-5e-324]))).toBe(5e-324);
      f.release();
    });

    it('gemv: y = α·op(A)·x + β·y bit for bit; β = 0 ignores y (NaN included)', () => {
      const f = new F64(e);
      for (const m of SIZES) {
        for (const n of SIZES) {
          const As = randomF64(m * n, 100 * m + n);
          const A = f.mat(m, n, As);
          for (const trans of [false, true]) {
            const lx = trans ? m : n, ly = trans ? n : m;
            const xs = randomF64(lx, 7 * m + n);
            for (const [alpha, beta] of [[1, 0], [-0.7, 0.4], [2, 1]]) {
              const ys = randomF64(ly, 3 * m + 5 * n);
              if (beta === 0) ys.fill(NaN);
              const x = f.vec(lx, xs), y = f.vec(ly, ys);
              f.gemv(trans, alpha, A, x, beta, y);
              const want = ys.slice();
              gemvOrdered(trans, m, n, alpha, As, xs, beta, want);
              expect(bitDiff(y.data, want), `gemv ${trans ? 'Aᵀ' : 'A'} ${m}×${n} α=${alpha} β=${beta}`).toBeUndefined();
              // against left-to-right sums
              const At = trans ? transpose(m, n, As) : As;
              const plain = Array.from({ length: ly }, (_, i) => alpha * dotSeq(lx, At, xs, i * lx, 0) + (beta === 0 ? 0 : beta * ys[i]));
              const bound = (i: number) => (lx + 2) * EPS * (Math.abs(alpha) * dotAbs(lx, At, xs, i * lx, 0) + Math.abs(beta * (beta === 0 ? 0 : ys[i])));
              expect(beyond(y.data, plain, bound)).toBeUndefined();
            }
          }
        }
      }
      f.release();
    });

    it('ger, addDiagonal (scalar and vector, rectangular) bit for bit; symv reads only the lower triangle', () => {
      const f = new F64(e);
      for (const [m, n] of [[1, 1], [2, 3], [3, 2], [7, 17], [17, 7], [129, 3], [3, 129]]) {
        const As = randomF64(m * n, m + 31 * n), xs = randomF64(m, 2 * m), ys = randomF64(n, 3 * n);
        const A = f.mat(m, n, As);
        f.ger(0.3, f.vec(m, xs), f.vec(n, ys), A);
        const want = As.map((v, p) => v + 0.3 * xs[Math.floor(p / n)] * ys[p % n]);
        expect(bitDiff(A.data, want), `ger ${m}×${n}`).toBeUndefined();
        const k = Math.min(m, n);
        f.addDiagonal(A, 1.25);
        for (let i = 0; i < k; i++) want[i * n + i] += 1.25;
        const ds = randomF64(k, 9);
        f.addDiagonal(A, f.vec(k, ds));
        for (let i = 0; i < k; i++) want[i * n + i] += ds[i];
        expect(bitDiff(A.data, want), `addDiagonal ${m}×${n}`).toBeUndefined();
      }
      for (const n of SIZES) {
        const S = randomSpd(n, n), xs = randomF64(n, n + 1), ys = randomF64(n, n + 2);
        const Sl = S.slice();
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) Sl[i * n + j] = NaN;
        for (const [alpha, beta] of [[1, 0], [0.5, -2], [1, 1]]) {
          const y = f.vec(n, ys);
          f.symv(alpha, f.mat(n, n, Sl), f.vec(n, xs), beta, y);
          const want = Array.from({ length: n }, (_, i) => alpha * dotSeq(n, S, xs, i * n, 0) + beta * ys[i]);
          const bound = (i: number) => 2 * (n + 2) * EPS * (Math.abs(alpha) * dotAbs(n, S, xs, i * n, 0) + Math.abs(beta * ys[i]));
          expect(beyond(y.data, want, bound), `symv n=${n}`).toBeUndefined();
        }
      }
      f.release();
    });

    it('gram: JᵀJ bit for bit against the rank-1 loop, exactly symmetric, and equal to column inner products', () => {
      const f = new F64(e);
      const shapes: [number, number][] = [[500, 300]];
      for (const m of SIZES) for (const n of SIZES) if (m * n <= 129 * 17) shapes.push([m, n]);
      shapes.push([129, 129]);
      for (const [m, n] of shapes) {
        const Js = randomF64(m * n, m * 1000 + n);
        const G = f.mat(n, n, new Float64Array(n * n).fill(NaN)); // gram overwrites everything
        f.gram(f.mat(m, n, Js), G);
        const g = G.data;
        expect(bitDiff(g, gramRef(m, n, Js)), `gram ${m}×${n}`).toBeUndefined();
        const Jt = transpose(m, n, Js);
        expect(beyond(g, Array.from({ length: n * n }, (_, p) => dotSeq(m, Jt, Jt, Math.floor(p / n) * m, (p % n) * m)),
          (p) => 2 * m * EPS * dotAbs(m, Jt, Jt, Math.floor(p / n) * m, (p % n) * m)), `gram ${m}×${n}`).toBeUndefined();
      }
      f.release();
    });

    it('cholesky: bit for bit against the column loop, reads only the lower triangle, L·Lᵀ ≈ A to 1e-13', () => {
      const f = new F64(e);
      for (const n of [...SIZES, 4, 5, 8, 9, 64, 200]) {
        const As = randomSpd(n, 17 * n);
        const input = As.slice();
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) input[i * n + j] = NaN;
        const A = f.mat(n, n, input);
        expect(f.cholesky(A), `n=${n}`).toBe(-1);
        const want = As.slice();
        expect(choleskyRef(n, want)).toBe(-1);
        const L = A.data.slice();
        expect(bitDiff(L, want), `cholesky n=${n}`).toBeUndefined();
        const LLt = matmul(n, n, n, L, transpose(n, n, L));
        expect(maxDiff(LLt, As) / maxAbs(As), `‖L·Lᵀ − A‖/‖A‖ n=${n}`).toBeLessThan(1e-13);
      }
      f.release();
    });

    it('cholesky: returns the first non-positive pivot on singular and indefinite matrices', () => {
      const f = new F64(e);
      // A = L·D·Lᵀ with unit lower L of entries in {−1, 0, 1} and D of 1s and 4s: every step of
      // the factorization is exact integer arithmetic, so pivot k is exactly D[k]
      const ldl = (n: number, D: number[], seed: number) => {
        const r = randomF64(n * n, seed);
        const L = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) L[i * n + j] = Math.round(r[i * n + j]);
        for (let i = 0; i < n; i++) L[i * n + i] = 1;
        const LD = L.map((v, p) => v * D[p % n]);
        return matmul(n, n, n, LD, transpose(n, n, L));
      };
      for (const n of SIZES) {
        for (const k of new Set([0, 1, Math.floor(n / 2), n - 1].filter((k) => k < n))) {
          for (const dk of [0, -1, -4]) {
            const D = Array.from({ length: n }, (_, i) => (i === k ? dk : i % 3 === 0 ? 4 : 1));
            const As = ldl(n, D, n * 10 + k);
            expect(f.cholesky(f.mat(n, n, As)), `n=${n} D[${k}]=${dk}`).toBe(k);
            expect(choleskyRef(n, As.slice())).toBe(k);
          }
          const D = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 4 : 1));
          const ok = f.mat(n, n, ldl(n, D, n * 10 + k));
          expect(f.cholesky(ok), `n=${n} positive definite`).toBe(-1);
          expect(Array.from(ok.data.filter((_, p) => p % (n + 1) === 0))).toEqual(D.map(Math.sqrt));
          for (const bad of [NaN, Infinity, -Infinity]) {
            const As = randomSpd(n, n + 5);
            As[k * n + k] = bad;
            expect(f.cholesky(f.mat(n, n, As)), `n=${n} A[${k}][${k}]=${bad}`).toBe(k);
          }
        }
        // a random symmetric indefinite matrix fails where the reference fails
        const R = randomF64(n * n, n + 77);
        const Rs = R.map((v, p) => v + R[(p % n) * n + Math.floor(p / n)]);
        Rs[0] = Math.abs(Rs[0]) + 0.5;
        Rs[n * n - 1] = -10; // a negative diagonal entry: not positive definite
        const at = choleskyRef(n, Rs.slice());
        if (n > 1) expect(at).toBeGreaterThan(0);
        expect(f.cholesky(f.mat(n, n, Rs)), `indefinite n=${n}`).toBe(at);
      }
      expect(f.cholesky(f.mat(0, 0))).toBe(-1);
      f.release();
    });

    it('cholSolve: bit for bit against two ordered triangular solves; residual ‖Ax − b‖ ≤ 1e-13·‖A‖‖x‖; x may be b', () => {
      const f = new F64(e);
      for (const n of [...SIZES, 300]) {
        const As = randomSpd(n, 3 * n), bs = randomF64(n, 4 * n);
        const L = f.mat(n, n, As);
        expect(f.cholesky(L)).toBe(-1);
        const b = f.vec(n, bs), x = f.vec(n);
        f.cholSolve(L, b, x);
        const want = bs.slice(), Ls = L.data.slice();
        trsvOrdered(true, false, n, Ls, want);
        trsvOrdered(true, true, n, Ls, want);
        expect(bitDiff(x.data, want), `cholSolve n=${n}`).toBeUndefined();
        expect(bitDiff(b.data, bs)).toBeUndefined();
        const xs = x.data.slice();
        const r = Array.from({ length: n }, (_, i) => dotSeq(n, As, xs, i * n, 0) - bs[i]);
        let normA = 0;
        for (let i = 0; i < n; i++) normA = Math.max(normA, dotAbs(n, As, new Float64Array(n).fill(1), i * n, 0));
        expect(maxAbs(r) / (normA * maxAbs(xs)), `residual n=${n}`).toBeLessThan(1e-13);
        f.cholSolve(L, b, b);
        expect(bitDiff(b.data, want), `cholSolve in place n=${n}`).toBeUndefined();
      }
      f.release();
    });

    it('trsv: the four triangular solves bit for bit, with small residuals', () => {
      const f = new F64(e);
      for (const n of SIZES) {
        for (const lower of [true, false]) {
          for (const trans of [false, true]) {
            const Ts = randomTriangular(n, lower, n * 4 + (lower ? 1 : 0) + (trans ? 2 : 0));
            const bs = randomF64(n, 99 * n);
            const b = f.vec(n, bs);
            f.trsv(lower, trans, f.mat(n, n, Ts), b);
            const want = bs.slice();
            trsvOrdered(lower, trans, n, Ts, want);
            const what = `trsv ${lower ? 'L' : 'U'}${trans ? 'ᵀ' : ''} n=${n}`;
            expect(bitDiff(b.data, want), what).toBeUndefined();
            const op = trans ? transpose(n, n, Ts) : Ts;
            const xs = b.data.slice();
            expect(beyond(Array.from({ length: n }, (_, i) => dotSeq(n, op, xs, i * n, 0)), bs,
              (i) => 4 * n * EPS * dotAbs(n, op, xs, i * n, 0)), what).toBeUndefined();
          }
        }
      }
      f.release();
    });

    it('bfgsInverseUpdate: bit for bit, the explicit formula to 1e-13, the secant equation, exact symmetry', () => {
      const f = new F64(e);
      for (const n of SIZES) {
        const B = randomSpd(n, 5 * n, 1); // y = B·s makes yᵀs > 0
        let Hs = randomSpd(n, 6 * n, 0.5);
        const H = f.mat(n, n, Hs), work = f.vec(n);
        for (let step = 0; step < 5; step++) {
          const ss = randomF64(n, 1000 * n + step);
          const ysArr = Array.from({ length: n }, (_, i) => dotSeq(n, B, ss, i * n, 0));
          f.bfgsInverseUpdate(H, f.vec(n, ss), f.vec(n, ysArr), work);
          const got = H.data.slice();
          const ordered = Hs.slice();
          bfgsOrdered(n, ordered, ss, ysArr);
          expect(bitDiff(got, ordered), `bfgs n=${n} step ${step}`).toBeUndefined();
          const explicit = bfgsExplicit(n, Hs, ss, ysArr);
          expect(maxDiff(got, explicit) / maxAbs(explicit), `explicit n=${n} step ${step}`).toBeLessThan(1e-13);
          const Hy = Array.from({ length: n }, (_, i) => dotSeq(n, got, ysArr, i * n, 0));
          expect(maxDiff(Hy, ss) / maxAbs(ss), `secant n=${n} step ${step}`).toBeLessThan(1e-12);
          expect(bitDiff(got, transpose(n, n, got)), `symmetric n=${n} step ${step}`).toBeUndefined();
          Hs = got;
        }
        const before = H.data.slice();
        const s = f.vec(n, randomF64(n, 3)), negY = f.vec(n, s.data.map((v) => -v));
        expect(() => f.bfgsInverseUpdate(H, s, negY, work)).toThrow(/bfgsInverseUpdate: needs yᵀs > 0/);
        expect(bitDiff(H.data, before)).toBeUndefined();
      }
      f.release();
    });

    it('errors name the operation and the sizes', () => {
      const f = new F64(e);
      const v3 = f.vec(3), v4 = f.vec(4), m34 = f.mat(3, 4), m33 = f.mat(3, 3), m44 = f.mat(4, 4);
      const cases: [() => unknown, RegExp][] = [
        [() => f.dot(v3, v4), /F64\.dot: sizes differ: x is a vector of 3 elements, y is a vector of 4 elements/],
        [() => f.axpy(1, v3, m33 as unknown as Vec64), /F64\.axpy: sizes differ: x is a vector of 3 elements, y is a 3×3 matrix/],
        [() => f.copy(m34, m44), /F64\.copy: sizes differ: src is a 3×4 matrix, dst is a 4×4 matrix/],
        [() => f.gemv(false, 1, m34, v3, 0, v3), /F64\.gemv\(A·x\): A is 3×4, so x needs 4 elements and y 3; got x 3, y 3/],
        [() => f.gemv(true, 1, m34, v4, 0, v4), /F64\.gemv\(Aᵀ·x\): A is 3×4, so x needs 3 elements and y 4; got x 4, y 4/],
        [() => f.gemv(false, 1, m33, v3, 0, v3), /F64\.gemv\(A·x\): y must not be the same memory as x/],
        [() => f.gram(m34, m33), /F64\.gram: J is 3×4, so out needs 4×4, got 3×3/],
        [() => f.cholesky(m34), /F64\.cholesky: A must be square, got 3×4/],
        [() => f.cholSolve(m33, v3, v4), /F64\.cholSolve: L is 3×3, so b and x need 3 elements; got b 3, x 4/],
        [() => f.trsv(true, true, m44, v3), /F64\.trsv\(Lᵀ\): T is 4×4, so b needs 4 elements, got 3/],
        [() => f.addDiagonal(m34, v4), /F64\.addDiagonal: A is 3×4, so d needs 3 elements, got 4/],
        [() => f.ger(1, v4, v4, m34), /F64\.ger: A is 3×4, so x needs 3 elements and y 4; got x 4, y 4/],
        [() => f.symv(1, m33, v3, 0, v4), /F64\.symv: A is 3×3, so x and y need 3 elements; got x 3, y 4/],
        [() => f.bfgsInverseUpdate(m33, v3, v3, v4), /F64\.bfgsInverseUpdate: H is 3×3, so s, y and work need 3 elements; got s 3, y 3, work 4/],
        [() => f.bfgsInverseUpdate(m33, v3, f.vec(3), v3), /F64\.bfgsInverseUpdate: work must not be the same memory as s/],
        [() => f.gemv(false, 1, v3 as unknown as Mat64, v3, 0, v3), /F64\.gemv\(A·x\): A must be a matrix, got a vector\(3\)/],
        [() => f.dot({ n: 3, data: new Float64Array(3) } as unknown as Vec64, v3), /F64\.dot: x must be a vector or matrix made by F64\.vec \/ F64\.mat/],
        [() => f.vec(-1), /F64\.vec: n must be a non-negative integer, got -1/],
        [() => f.vec(2, [1, 2, 3]), /F64\.vec: 2 elements need 2 values, got 3/],
        [() => f.mat(2, 2, [1]), /F64\.mat: a 2×2 matrix needs 4 values, got 1/],
        [() => f.scal('2' as unknown as number, v3), /F64\.scal: a must be a number, got string/],
      ];
      for (const [fn, message] of cases) {
        expect(fn).toThrow(DescentError);
        expect(fn).toThrow(message);
      }
      const other = new F64(engineFor(isa));
      expect(() => f.dot(other.vec(3), v3)).toThrow(/F64\.dot: x \(vector\(3\)\) belongs to another engine/);
      other.release();
      const g = new F64(e);
      const w = g.vec(3);
      g.release();
      expect(() => f.dot(w, v3)).toThrow(/F64\.dot: x \(vector\(3\)\) was used after its F64 was released/);
      f.release();
    });

    it('kernels neither read nor write outside their operands (odd offsets, NaN guards)', () => {
      const f = new F64(e);
      const k = e.kernels;
      const GUARD = 3;
      const guardBits = 0x7ff8deadbeef0001n;
      // operands laid out in one buffer, each starting 8 bytes past a 16-byte boundary, between guards
      const layout = (sizes: number[]) => {
        const offsets: number[] = [];
        let at = GUARD + 1;
        for (const s of sizes) { if (at % 2 === 0) at++; offsets.push(at); at += s + GUARD; }
        const buf = f.vec(at + GUARD);
        const raw = new BigUint64Array(e.memory.buffer, buf.ptr, at + GUARD);
        raw.fill(guardBits);
        const view = (i: number) => new Float64Array(e.memory.buffer, buf.ptr + 8 * offsets[i], sizes[i]);
        const ptr = (i: number) => buf.ptr + 8 * offsets[i];
        const intact = () => {
          const r = new BigUint64Array(e.memory.buffer, buf.ptr, at + GUARD);
          const inside = new Uint8Array(at + GUARD);
          offsets.forEach((o, i) => inside.fill(1, o, o + sizes[i]));
          for (let p = 0; p < r.length; p++) if (!inside[p] && r[p] !== guardBits) return `guard at ${p} overwritten`;
          return undefined;
        };
        return { view, ptr, intact };
      };
      for (const n of [1, 2, 3, 5, 7, 9, 17]) {
        const xs = randomF64(n, n), ys = randomF64(n, n + 1);
        const L = layout([n, n]);
        L.view(0).set(xs); L.view(1).set(ys);
        expect(k.f64Dot(n, L.ptr(0), L.ptr(1))).toBe(dotOrdered(n, xs, ys));
        expect(k.f64Nrm2(n, L.ptr(0))).toBe(Math.sqrt(dotOrdered(n, xs, xs)));
        L.view(0).set(xs.map((v) => v * 1e-300));
        expect(Math.abs(k.f64Nrm2(n, L.ptr(0)) / (1e-300 * nrm2Scaled(xs)) - 1)).toBeLessThan(1e-14);
        L.view(0).set(xs);
        k.f64Axpy(n, 0.5, L.ptr(0), L.ptr(1));
        k.f64Scal(n, 3, L.ptr(0));
        expect(bitDiff(L.view(1), ys.map((v, i) => v + 0.5 * xs[i]))).toBeUndefined();
        expect(bitDiff(L.view(0), xs.map((v) => 3 * v))).toBeUndefined();
        k.f64Copy(n, L.ptr(1), L.ptr(0));
        k.f64Fill(n, 2, L.ptr(1));
        expect(L.intact(), `level 1 n=${n}`).toBeUndefined();
        expect(Array.from(L.view(1))).toEqual(new Array(n).fill(2));
      }
      for (const [m, n] of [[1, 1], [2, 3], [3, 2], [7, 9], [9, 7], [17, 3], [3, 17]]) {
        const As = randomF64(m * n, m + n), xs = randomF64(Math.max(m, n), m), ys = randomF64(Math.max(m, n), n);
        for (const trans of [0, 1]) {
          const lx = trans ? m : n, ly = trans ? n : m;
          const L = layout([m * n, lx, ly]);
          L.view(0).set(As); L.view(1).set(xs.subarray(0, lx)); L.view(2).set(ys.subarray(0, ly));
          k.f64Gemv(trans, m, n, 1.5, L.ptr(0), L.ptr(1), 0.5, L.ptr(2));
          const want = ys.slice(0, ly);
          gemvOrdered(trans === 1, m, n, 1.5, As, xs, 0.5, want);
          expect(bitDiff(L.view(2), want), `gemv ${trans} ${m}×${n}`).toBeUndefined();
          expect(L.intact(), `gemv ${trans} ${m}×${n}`).toBeUndefined();
        }
        const G = layout([m * n, n * n, m, n]);
        G.view(0).set(As); G.view(2).set(xs.subarray(0, m)); G.view(3).set(ys.subarray(0, n));
        k.f64Gram(m, n, G.ptr(0), G.ptr(1));
        expect(bitDiff(G.view(1), gramRef(m, n, As)), `gram ${m}×${n}`).toBeUndefined();
        k.f64Ger(m, n, 2, G.ptr(2), G.ptr(3), G.ptr(0));
        k.f64AddDiagonal(m, n, G.ptr(0), 0, G.ptr(2));
        k.f64AddDiagonal(m, n, G.ptr(0), 1, 0);
        expect(G.intact(), `gram/ger/addDiagonal ${m}×${n}`).toBeUndefined();
      }
      for (const n of [1, 2, 3, 4, 5, 7, 9, 17]) {
        const As = randomSpd(n, n), bs = randomF64(n, 2 * n);
        const C = layout([n * n, n, n, n]);
        C.view(0).set(As); C.view(1).set(bs);
        expect(k.f64Cholesky(n, C.ptr(0))).toBe(-1);
        const Ls = As.slice();
        choleskyRef(n, Ls);
        expect(bitDiff(C.view(0), Ls), `cholesky n=${n}`).toBeUndefined();
        k.f64CholSolve(n, C.ptr(0), C.ptr(1), C.ptr(2));
        for (const lower of [0, 1]) for (const trans of [0, 1]) k.f64Trsv(lower, trans, n, C.ptr(0), C.ptr(1));
        C.view(0).set(As);
        k.f64Symv(n, 1, C.ptr(0), C.ptr(2), 0, C.ptr(3));
        C.view(2).set(randomF64(n, 5)); // s
        C.view(3).set(Array.from({ length: n }, (_, i) => dotSeq(n, As, C.view(2), i * n, 0))); // y = A·s
        expect(k.f64BfgsInverseUpdate(n, C.ptr(0), C.ptr(2), C.ptr(3), C.ptr(1))).toBeGreaterThan(0);
        expect(C.intact(), `cholesky/solves/symv/bfgs n=${n}`).toBeUndefined();
        expect(C.view(0).every(Number.isFinite)).toBe(true);
      }
      f.release();
    });
  });
}
