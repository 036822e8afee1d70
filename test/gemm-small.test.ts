// The inference products that read W in place: gemmSmallM (assembly/gemm/smallm.ts) and
// gemmDirectB (assembly/gemm/driver.ts), and the model's inference path through them.
import { describe, expect, it } from 'vitest';
import { Model } from '../src/nn/model.js';
import { isas, engineFor } from './engines.js';
import { bits, firstViolation, randomF32 } from './reference.js';
import { gemm } from '../src/ops/gemm.js';
import { forward as forwardF64, type RefLayer } from './reference-mlp.js';
import { smallmF32, smallmF64, type SmallmCase } from './reference-smallm.js';

// m × n × k: odd sizes on every axis (1, 3, 17, 129 units/inputs), the 8-column and 4-column
// SIMD pieces plus a scalar tail, k mod 4 ≠ 0 (the one-row remainder loop), and the MNIST
// MLP's first layer at batch 1
const shapes: [number, number, number][] = [
  [1, 1, 1], [1, 3, 17], [3, 17, 3], [1, 129, 129], [17, 129, 17], [5, 12, 7], [8, 13, 129], [2, 7, 4],
  [1, 500, 784], [4, 300, 500], [3, 1, 129],
];

function makeCase([m, n, k]: [number, number, number], seed: number, pad: number, withBias: boolean): SmallmCase {
  const ldx = k + pad, ldw = n + pad, ldy = n + pad;
  const X = randomF32(m * ldx, seed), W = randomF32(k * ldw, seed + 1);
  // padding is never read: NaN there would reach every result of its row or column
  for (let r = 0; r < m; r++) X.fill(NaN, r * ldx + k, (r + 1) * ldx);
  for (let i = 0; i < k; i++) W.fill(NaN, i * ldw + n, (i + 1) * ldw);
  return { m, n, k, ldx, ldw, ldy, X, W, bias: withBias ? randomF32(n, seed + 2) : undefined };
}

const SENTINEL = 7777.25;

for (const isa of isas) {
  describe(`gemmSmallM ${isa}`, () => {
    const e = engineFor(isa);

    /** Runs the kernel; returns the m×n result and whether Y's padding and a guard after Y are untouched. */
    function run(c: SmallmCase): { y: Float32Array; guardOk: boolean } {
      return e.scope(() => {
        const X = e.tensor([c.X.length], c.X), W = e.tensor([c.W.length], c.W);
        const bias = c.bias ? e.tensor([c.n], c.bias) : undefined;
        const ylen = c.m * c.ldy + 8;
        const Y = e.tensor([ylen], new Float32Array(ylen).fill(NaN));
        const yd = Y.data;
        for (let r = 0; r < c.m; r++) yd.fill(SENTINEL, r * c.ldy + c.n, (r + 1) * c.ldy);
        yd.fill(SENTINEL, c.m * c.ldy);
        e.kernels.gemmSmallM(c.m, c.n, c.k, X.pointer(), c.ldx, W.pointer(), c.ldw, bias ? bias.pointer() : 0, Y.pointer(), c.ldy);
        const all = Y.toArray();
        const y = new Float32Array(c.m * c.n);
        let guardOk = true;
        for (let r = 0; r < c.m; r++) {
          y.set(all.subarray(r * c.ldy, r * c.ldy + c.n), r * c.n);
          for (let j = c.n; j < c.ldy; j++) if (all[r * c.ldy + j] !== SENTINEL) guardOk = false;
        }
        for (let i = c.m * c.ldy; i < ylen; i++) if (all[i] !== SENTINEL) guardOk = false;
        return { y, guardOk };
      });
    }

    it('matches the f64 reference within the f32 error bound (odd sizes, padded strides, with and without bias)', () => {
      let seed = 1;
      for (const shape of shapes) {
        for (const pad of [0, 3]) {
          for (const withBias of [true, false]) {
            const c = makeCase(shape, seed += 3, pad, withBias);
            const { y, guardOk } = run(c);
            const { value, bound } = smallmF64(c);
            const what = `${shape.join('×')} pad ${pad}${withBias ? ' bias' : ''}`;
            expect(firstViolation(y, value, bound), what).toBeUndefined();
            expect(guardOk, `${what}: wrote outside the m×n block`).toBe(true);
          }
        }
      }
    });

    if (isa === 'simd') {
      it('plain SIMD rounds exactly like the scalar f32 reference of its summation order (bit for bit)', () => {
        let seed = 500;
        for (const shape of shapes) {
          for (const pad of [0, 3]) {
            const c = makeCase(shape, seed += 3, pad, seed % 2 === 0);
            expect(bits(run(c).y), `${shape.join('×')} pad ${pad}`).toEqual(bits(smallmF32(c)));
          }
        }
      });
    }

    it('m = 0 or n = 0 writes nothing; k = 0 gives the bias (or 0)', () => {
      const c = makeCase([3, 5, 0], 9, 0, true);
      expect(bits(run(c).y)).toEqual(bits(Float32Array.from({ length: 15 }, (_, i) => c.bias![i % 5])));
      expect(Array.from(run({ ...c, bias: undefined }).y)).toEqual(new Array(15).fill(0));
      const z = makeCase([0, 5, 4], 9, 0, true);
      expect(run(z).guardOk).toBe(true);
    });

    it('a NaN or infinity in x or W reaches exactly the outputs it feeds', () => {
      const c = makeCase([2, 9, 6], 21, 0, true);
      c.X[1 * 6 + 2] = Infinity; // row 1
      c.W[4 * 9 + 7] = NaN;      // column 7
      const { y } = run(c);
      for (let r = 0; r < 2; r++) {
        for (let j = 0; j < 9; j++) expect(Number.isFinite(y[r * 9 + j]), `(${r}, ${j})`).toBe(r !== 1 && j !== 7);
      }
    });
  });

  describe(`gemmDirectB ${isa}`, () => {
    // m×n×k: n < 8 (only the packed tail panel), n a multiple of 8 (no tail), odd n, k > 800
    // (two k blocks: β = 1 and no bias in the second), m > 144 (several A blocks), every tile
    const cases: [number, number, number][] = [
      [7, 5, 3], [9, 16, 17], [17, 129, 129], [1, 3, 1], [128, 300, 500], [150, 24, 1700], [33, 500, 784], [6, 8, 0],
    ];
    for (const tile of [4, 5, 6] as const) {
      it(`has gemm()'s bits (α = 1, β = 0, with and without bias), tile ${tile}×8`, () => {
        const e = engineFor(isa, tile);
        let seed = 900;
        for (const [m, n, k] of cases) {
          for (const withBias of [true, false]) {
            const A = randomF32(m * k, seed += 3), B = randomF32(k * n, seed + 1), bias = randomF32(n, seed + 2);
            const [want, got] = e.scope(() => {
              const tA = e.tensor([m, k], A), tB = e.tensor([k, n], B), tb = e.tensor([n], bias);
              const C1 = e.tensor([m, n], new Float32Array(m * n).fill(NaN)), C2 = e.tensor([m, n], new Float32Array(m * n).fill(NaN));
              gemm(C1, tA, tB, { bias: withBias ? tb : undefined });
              e.kernels.gemmDirectB(e.gemmTile, m, n, k, tA.pointer(), k, tB.pointer(), n, C2.pointer(), n, withBias ? tb.pointer() : 0, e.gemmWorkspace());
              return [C1.toArray(), C2.toArray()];
            });
            expect(bits(got), `${m}×${n}×${k}${withBias ? ' bias' : ''}`).toEqual(bits(want));
          }
        }
      });
    }
  });

  describe(`Model inference on a few rows ${isa}`, () => {
    const e = engineFor(isa);
    const spec = { inputs: 17, layers: [{ units: 129, activation: 'tanh' }, { units: 3, activation: 'relu' }, { units: 5 }], loss: 'mse', seed: 3 };
    const refLayers: RefLayer[] = [
      { inputs: 17, units: 129, activation: 'tanh', alpha: 0, bias: true },
      { inputs: 129, units: 3, activation: 'relu', alpha: 0, bias: true },
      { inputs: 3, units: 5, activation: 'linear', alpha: 0, bias: true },
    ];

    it('predict on 1…9 rows agrees with an f64 forward pass, and each row alone gives its row of a batch', () => {
      const model = new Model(e, spec);
      model.eval();
      const theta = Float64Array.from(model.parameters().toArray());
      const x = randomF32(9 * 17, 77);
      const want = forwardF64(refLayers, theta, Float64Array.from(x), 9);
      for (const n of [1, 2, 3, 8, 9]) {
        const got = model.predict(x.subarray(0, n * 17));
        for (let i = 0; i < n * 5; i++) expect(Math.abs(got[i] - want[i]), `n ${n}, output ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i])));
      }
      // up to 8 rows run the small-m kernel, whose bits do not depend on how many rows it gets
      const all8 = model.predict(x.subarray(0, 8 * 17));
      for (let r = 0; r < 8; r++) {
        expect(bits(model.predict(x.subarray(r * 17, (r + 1) * 17))), `row ${r}`).toEqual(bits(all8.subarray(r * 5, (r + 1) * 5)));
      }
    });

    it('inference on 7…128 rows has the training-path bits (gemmDirectB is gemm without packing)', () => {
      const model = new Model(e, spec);
      for (const n of [7, 9, 100, 128]) {
        const v = model.views(n);
        v.x.data.set(randomF32(n * 17, n));
        model.forward(v, n, true);
        const viaGemm = v.ys[2].toArray();
        model.forward(v, n, false);
        expect(bits(v.ys[2].toArray()), `n ${n}`).toEqual(bits(viaGemm));
      }
    });

    it('predict at batch 1 still refuses non-finite inputs, naming the sample and feature', () => {
      const model = new Model(e, spec);
      const x = randomF32(17, 5);
      x[11] = NaN;
      expect(() => model.predict(x)).toThrow(/NaN at sample 0, feature 11/);
    });

    it('sees parameter changes at once (nothing is cached from the weights)', () => {
      const model = new Model(e, spec);
      model.eval();
      const x = randomF32(17, 6);
      const before = model.predict(x);
      model.layers[2].b!.data[0] += 1;
      const after = model.predict(x);
      expect(after[0]).toBeCloseTo(before[0] + 1, 5);
      expect(bits(after.subarray(1))).toEqual(bits(before.subarray(1)));
    });
  });
}
