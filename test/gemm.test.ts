import { describe, expect, it } from 'vitest';
import { gemm, matmul } from '../src/ops/gemm.js';
import { isas, engineFor } from './engines.js';
import { bits, firstViolation, gemmF32Blocked, gemmF64, randomF32, type GemmCase } from './reference.js';

const forms: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
const formName = ([ta, tb]: [boolean, boolean]) => `${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'}`;

// m×n×k: sizes 1, 3, 7, 17, 129, 1000, shapes that are not multiples of the 4×8 / 5×8 / 6×8 tiles,
// k > 800 (several k blocks, β applied once), m > 144 (several m blocks), n > 2048 (several n
// blocks), and k = 800 where the block budgets cut m to ≤ 81 rows and n to ≤ 655 columns
const shapes: [number, number, number][] = [
  [1, 1, 1], [3, 7, 17], [7, 3, 1], [17, 129, 3], [129, 17, 7], [5, 9, 1000], [13, 24, 513],
  [170, 6, 800], [3, 700, 800], [4, 5, 1700],
  [300, 20, 10], [3, 2100, 5], [24, 16, 32], [100, 50, 78],
];
const scalars: [number, number][] = [[1, 0], [0.5, 0], [-1.5, 0.75], [1, 1], [0, 2]];

function makeCase(form: [boolean, boolean], [m, n, k]: [number, number, number], [alpha, beta]: [number, number],
                  seed: number, withBias = false): GemmCase {
  return {
    transA: form[0], transB: form[1], m, n, k, alpha, beta,
    A: randomF32(m * k, seed), B: randomF32(k * n, seed + 1), C: randomF32(m * n, seed + 2),
    bias: withBias ? randomF32(n, seed + 3) : undefined,
  };
}

for (const isa of isas) {
  for (const tile of [4, 5, 6] as const) {
    describe(`gemm ${isa} ${tile}x8`, () => {
      const e = engineFor(isa, tile);

      function run(c: GemmCase): Float32Array {
        return e.scope(() => {
          const A = e.tensor(c.transA ? [c.k, c.m] : [c.m, c.k], c.A);
          const B = e.tensor(c.transB ? [c.n, c.k] : [c.k, c.n], c.B);
          const C = e.tensor([c.m, c.n], c.C);
          const bias = c.bias ? e.tensor([c.n], c.bias) : undefined;
          gemm(C, A, B, { transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta, bias });
          return C.toArray();
        });
      }

      for (const form of forms) {
        it(`${formName(form)} matches the f64 reference within the f32 error bound, all shapes and α/β`, () => {
          let seed = 1;
          for (const shape of shapes) {
            for (const ab of scalars) {
              const c = makeCase(form, shape, ab, seed += 4, seed % 3 === 0);
              const got = run(c);
              const { value, bound } = gemmF64(c);
              const bad = firstViolation(got, value, bound);
              expect(bad, `${shape.join('×')} α=${ab[0]} β=${ab[1]}: ${bad}`).toBeUndefined();
            }
          }
        });
      }

      if (isa === 'simd') {
        it('plain SIMD rounds exactly like the scalar f32 reference (bit for bit), all forms', () => {
          let seed = 1000;
          for (const form of forms) {
            for (const shape of shapes) {
              const c = makeCase(form, shape, [-1.5, 0.75], seed += 4, true);
              expect(bits(run(c)), `${formName(form)} ${shape.join('×')}`).toEqual(bits(gemmF32Blocked(c)));
            }
          }
        });
      }

      it('β = 0 does not read C: NaN in C does not reach the result', () => {
        for (const form of forms) {
          const c = makeCase(form, [10, 11, 12], [1, 0], 77);
          c.C.fill(NaN);
          const got = run(c);
          expect(got.every(Number.isFinite)).toBe(true);
          const { value, bound } = gemmF64(c);
          expect(firstViolation(got, value, bound)).toBeUndefined();
        }
      });

      it('α = 0 and k = 0 give β·C (+ bias)', () => {
        const c = makeCase([false, false], [5, 6, 0], [1, 0.5], 9, true);
        const got = run(c);
        expect(Array.from(got)).toEqual(Array.from(c.C.map((v, i) => Math.fround(Math.fround(0.5 * v) + c.bias![i % 6]))));
        const d = makeCase([false, true], [5, 6, 7], [0, -2], 10);
        d.A.fill(NaN); // α = 0: A is not read
        expect(Array.from(run(d))).toEqual(Array.from(d.C.map((v) => Math.fround(-2 * v))));
      });

      it('works on views at unaligned offsets (layers are views into a flat buffer)', () => {
        e.scope(() => {
          const m = 9, n = 13, k = 11;
          const flat = e.tensor([1 + m * k + 3 + k * n + 1 + m * n], randomF32(1 + m * k + 3 + k * n + 1 + m * n, 5));
          const A = flat.view(1, [m, k]);
          const B = flat.view(1 + m * k + 3, [k, n]);
          const C = flat.view(1 + m * k + 3 + k * n + 1, [m, n]);
          const c: GemmCase = { transA: false, transB: false, m, n, k, alpha: 1, beta: 0, A: A.toArray(), B: B.toArray(), C: C.toArray() };
          gemm(C, A, B);
          const { value, bound } = gemmF64(c);
          expect(firstViolation(C.toArray(), value, bound)).toBeUndefined();
        });
      });

      it('matmul allocates the result in the current scope', () => {
        const before = e.memoryStats().liveBytes;
        const out = e.scope(() => {
          const A = e.tensor([2, 3], [1, 2, 3, 4, 5, 6]);
          const B = e.tensor([2, 3], [1, 0, 1, 0, 1, 1]);
          return matmul(A, B, { transB: true }).toNested();
        });
        expect(out).toEqual([[4, 5], [10, 11]]);
        expect(e.memoryStats().liveBytes).toBe(before);
      });
    });
  }
}
