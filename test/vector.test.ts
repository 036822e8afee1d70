import { describe, expect, it } from 'vitest';
import { add, axpy, copy, dot, fill, mul, nrm2, scal, scale, sum } from '../src/ops/vector.js';
import { isas, engineFor } from './engines.js';
import { addF32, axpyF32, bits, dotF64, firstViolation, mulF32, randomF32, scaleF32, sumF64 } from './reference.js';

const sizes = [0, 1, 3, 7, 15, 16, 17, 129, 1000, 4099];

for (const isa of isas) {
  describe(`vector kernels ${isa}`, () => {
    const e = engineFor(isa);
    const T = (v: Float32Array) => e.tensor([v.length], v);

    it('dot, sum and nrm2 agree with f64 references', () => {
      e.scope(() => {
        for (const n of sizes) {
          const x = randomF32(n, n + 1), y = randomF32(n, n + 2);
          const d = dotF64(x, y), s = sumF64(x), q = dotF64(x, x);
          expect(Math.abs(dot(T(x), T(y)) - d.value), `dot n=${n}`).toBeLessThanOrEqual(d.bound);
          expect(Math.abs(sum(T(x)) - s.value), `sum n=${n}`).toBeLessThanOrEqual(s.bound);
          expect(Math.abs(nrm2(T(x)) - Math.sqrt(q.value)), `nrm2 n=${n}`).toBeLessThanOrEqual(q.bound + 1e-15 * Math.sqrt(q.value));
        }
      });
    });

    it('nrm2 neither overflows nor underflows where f32 squares would', () => {
      e.scope(() => {
        for (const n of [1, 7, 129, 1000]) {
          for (const v of [3e38, 1e30, 1e-30, 1e-44]) {
            const x = new Float32Array(n).fill(v);
            const want = Math.fround(v) * Math.sqrt(n);
            expect(Math.abs(nrm2(T(x)) - want) / want, `n=${n} v=${v}`).toBeLessThan(1e-12);
          }
        }
        expect(nrm2(T(new Float32Array(9)))).toBe(0);
      });
    });

    it('elementwise kernels match scalar f32 code (bit for bit; axpy fused in relaxed SIMD)', () => {
      e.scope(() => {
        for (const n of sizes) {
          const x = randomF32(n, 3 * n + 1), y = randomF32(n, 3 * n + 2);
          expect(bits(add(T(x), T(y)).toArray()), `add ${n}`).toEqual(bits(addF32(x, y)));
          expect(bits(mul(T(x), T(y)).toArray()), `mul ${n}`).toEqual(bits(mulF32(x, y)));
          expect(bits(scale(T(x), -0.37).toArray()), `scale ${n}`).toEqual(bits(scaleF32(-0.37, x)));
          expect(bits(scal(1.7, T(x)).toArray()), `scal ${n}`).toEqual(bits(scaleF32(1.7, x)));
          const yy = axpy(0.3, T(x), T(y)).toArray();
          if (isa === 'simd') {
            expect(bits(yy), `axpy ${n}`).toEqual(bits(axpyF32(0.3, x, y)));
          } else {
            // fused: one rounding of 0.3·x + y, within an ulp of the two-rounding result
            const want = x.map((v, i) => 0.3 * v + y[i]);
            expect(firstViolation(yy, want, want.map((w, i) => 2 ** -23 * (Math.abs(w) + Math.abs(0.3 * x[i])) + 1e-40))).toBeUndefined();
          }
          const z = T(new Float32Array(n));
          expect(Array.from(fill(z, 2.5).toArray())).toEqual(new Array(n).fill(2.5));
          expect(bits(copy(T(x), z).toArray())).toEqual(bits(x));
        }
      });
    });

    it('add/mul/scale accept out equal to an input and write in place', () => {
      e.scope(() => {
        const x = randomF32(33, 1), y = randomF32(33, 2);
        const tx = T(x), ty = T(y);
        add(tx, ty, tx);
        expect(bits(tx.toArray())).toEqual(bits(addF32(x, y)));
        mul(ty, ty, ty);
        expect(bits(ty.toArray())).toEqual(bits(mulF32(y, y)));
      });
    });

    it('copy handles overlapping ranges like memmove', () => {
      e.scope(() => {
        const v = randomF32(40, 8);
        const t = T(v);
        copy(t.view(0, [30]), t.view(5, [30]));
        const want = Float32Array.from(v);
        want.set(v.subarray(0, 30), 5);
        expect(bits(t.toArray())).toEqual(bits(want));
      });
    });

    it('addSign adds a·sign(x) bit for bit like scalar f32 code (sign(±0) = 0, NaN adds nothing)', () => {
      const K = e.kernels;
      e.scope(() => {
        for (const n of sizes) {
          const x = randomF32(n, n + 5), y = randomF32(n, n + 6);
          if (n > 3) { x[0] = 0; x[1] = -0; x[2] = NaN; }
          const a = Math.fround(0.0123);
          const want = Float32Array.from(y, (yi, i) => Math.fround(yi + (x[i] > 0 ? a : x[i] < 0 ? -a : 0)));
          const tx = T(x), ty = T(y);
          K.addSign(n, a, tx.pointer(), ty.pointer());
          expect(bits(ty.toArray()), `n=${n}`).toEqual(bits(want));
        }
      });
    });
  });
}
