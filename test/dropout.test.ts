// Dropout kernel (assembly/nn/dropout.ts): masks bit for bit against a BigInt Philox-2x32-10
// reference (reference-norm.ts), reproducible and split-invariant, the right keep fraction, the
// inverted scaling, and the backward pass (dx = dy ⊙ mask with the same mask) against central
// differences of the f64 reference with that mask fixed.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { engineFor, isas } from './engines.js';
import { randomF32 } from './reference.js';
import { dropoutMaskRef, philox2x32 } from './reference-norm.js';

function dropout(e: Engine, n: number, x: Float32Array | undefined, rate: number, seed: number, counter: number, offset = 0) {
  return e.scope(() => {
    const tx = x ? e.tensor([n], x) : undefined, ty = e.empty([n]), tm = e.empty([n]);
    e.kernels.dropoutForward(n, tx ? tx.pointer() : 0, ty.pointer(), tm.pointer(), rate, seed, counter, offset);
    return { y: ty.toArray(), mask: tm.toArray() };
  });
}

for (const isa of isas) {
  describe(`dropout, ${isa}`, () => {
    const e = engineFor(isa);

    it('the BigInt Philox reference agrees with the kernel the gradient noise uses', () => {
      for (const [c0, c1, key] of [[0, 0, 0], [1, 2, 3], [0xffffffff, 0x12345678, 0x9abcdef0], [17, 99, 12345]]) {
        const [x0, x1] = philox2x32(c0, c1, key);
        const got = e.kernels.philox2x32(c0 | 0, c1 | 0, key | 0);
        expect(BigInt.asUintN(64, got)).toBe((BigInt(x1) << 32n) | BigInt(x0));
      }
    });

    it('masks equal the reference bit for bit, for odd sizes and offsets', () => {
      for (const n of [1, 2, 3, 4, 5, 17, 129]) {
        for (const offset of [0, 1, 6, 7]) {
          for (const rate of [0, 0.1, 0.5, 0.9]) {
            const got = dropout(e, n, undefined, rate, 42 + n, 3, offset).mask;
            expect(got, `n=${n} offset=${offset} rate=${rate}`).toEqual(dropoutMaskRef(n, rate, 42 + n, 3, offset));
          }
        }
      }
    });

    it('y = x ⊙ mask exactly, in place too; rate 0 is the identity', () => {
      const n = 37, x = randomF32(n, 5);
      const { y, mask } = dropout(e, n, x, 0.25, 7, 1);
      expect(y).toEqual(x.map((v, i) => Math.fround(v * mask[i])));
      expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
      const same = e.scope(() => {
        const t = e.tensor([n], x), m = e.empty([n]);
        e.kernels.dropoutForward(n, t.pointer(), t.pointer(), m.pointer(), 0.25, 7, 1, 0);
        return t.toArray();
      });
      expect(same).toEqual(y);
      expect(dropout(e, n, x, 0, 7, 1).y).toEqual(x);
    });

    it('reproducible: the same (seed, counter, index) gives the same mask, however the array is cut', () => {
      const n = 1001;
      const whole = dropout(e, n, undefined, 0.3, 11, 4).mask;
      expect(dropout(e, n, undefined, 0.3, 11, 4).mask).toEqual(whole);
      const a = dropout(e, 333, undefined, 0.3, 11, 4, 0).mask, b = dropout(e, n - 333, undefined, 0.3, 11, 4, 333).mask;
      expect(Float32Array.from([...a, ...b])).toEqual(whole);
      // another step (counter) or another layer (seed) draws another mask
      expect(dropout(e, n, undefined, 0.3, 11, 5).mask).not.toEqual(whole);
      expect(dropout(e, n, undefined, 0.3, 12, 4).mask).not.toEqual(whole);
    });

    it('keeps a fraction 1 − p of the elements (within 4 standard deviations), E[y] = x', () => {
      const n = 200_000;
      for (const rate of [0.1, 0.3, 0.5, 0.8]) {
        const { mask } = dropout(e, n, undefined, rate, 2024, 0);
        let kept = 0, total = 0;
        for (const m of mask) { if (m !== 0) kept++; total += m; }
        const sd = Math.sqrt(rate * (1 - rate) / n);
        expect(Math.abs(kept / n - (1 - rate)), `rate ${rate}: kept ${kept / n}`).toBeLessThan(4 * sd);
        // mean of the mask is E[y]/x: 1 within 4 sd of the scaled Bernoulli
        expect(Math.abs(total / n - 1)).toBeLessThan((4 * sd) / (1 - rate) + 1e-6);
      }
    });

    it('backward multiplies by the same mask: against central differences with the mask fixed', () => {
      const n = 23, x = randomF32(n, 8), dy = randomF32(n, 9);
      const { mask } = dropout(e, n, x, 0.4, 3, 2);
      const dx = e.scope(() => {
        const tdy = e.tensor([n], dy), tm = e.tensor([n], mask), tdx = e.empty([n]);
        e.kernels.mul(n, tdy.pointer(), tm.pointer(), tdx.pointer());
        return tdx.toArray();
      });
      // L(x) = Σ dy ⊙ (x ⊙ mask) in f64
      const L = (v: Float64Array) => v.reduce((s, xi, i) => s + dy[i] * xi * mask[i], 0);
      const x64 = Float64Array.from(x);
      for (let i = 0; i < n; i++) {
        const t = x64[i], h = 1e-4;
        x64[i] = t + h; const up = L(x64);
        x64[i] = t - h; const down = L(x64);
        x64[i] = t;
        const num = (up - down) / (2 * h);
        expect(Math.abs(dx[i] - num), `dx[${i}]`).toBeLessThanOrEqual(1e-9 + 2 ** -24 * Math.abs(num) * 2);
      }
    });
  });
}

// Registered where both builds run (the node-relaxed and browser projects).
if (isas.length > 1) describe('both builds give the same masks and outputs', () => {
  it('simd and relaxed-simd', () => {
    const [a, b] = isas.map((i) => engineFor(i));
    const x = randomF32(99, 1);
    expect(dropout(a, 99, x, 0.35, 5, 6, 3)).toEqual(dropout(b, 99, x, 0.35, 5, 6, 3));
  });
});

// ---- in a Model ----

import { Model } from '../src/nn/model.js';
import { DescentError } from '../src/engine/errors.js';
import { gradientCheck } from '../src/diagnostics/gradient-check.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { checkModelGradient } from './norm-model-reference.js';

for (const isa of isas) {
  describe(`dropout in a Model, ${isa}`, () => {
    const e = engineFor(isa);
    const spec = { inputs: 5, loss: 'softmax-cross-entropy', seed: 4,
      layers: [{ units: 12, activation: 'tanh' }, { type: 'dropout' as const, rate: 0.4 }, { units: 3 }] };
    const n = 8, x = randomF32(n * 5, 3), labels = Int32Array.from({ length: n }, (_, i) => i % 3);

    it('backward with the mask fixed (model.frozen): every gradient entry vs f64 finite differences, and gradientCheck', () => {
      const model = new Model(e, spec);
      model.passes = 7;
      const d = model.layers[1];
      const masks = new Map([[1, dropoutMaskRef(n * d.units, d.rate!, d.seed!, 7, 0)]]);
      const err = checkModelGradient(model, n, 5, masks);
      expect(err).toBeLessThan(1e-3);
      const gc = gradientCheck(model, { x, n, labels });
      expect(gc.passed).toBe(true);
      expect(model.passes).toBe(7); // frozen: no new masks
      model.release();
    });

    it('a new reproducible mask per training pass, none in inference; the keep fraction; same seed, same masks', () => {
      const a = new Model(e, spec), b = new Model(e, spec);
      const la = [1, 2, 3].map(() => a.lossAndGradient({ x, n, labels }));
      const lb = [1, 2, 3].map(() => b.lossAndGradient({ x, n, labels }));
      expect(lb).toEqual(la);
      expect(new Set(la).size).toBe(3);
      // the layer output is the Dense output times the mask of pass 3
      const v = a.views(n);
      const d = a.layers[1];
      const mask = dropoutMaskRef(n * d.units, d.rate!, d.seed!, a.passes, 0);
      expect(v.ys[1].toArray().slice(0, n * 12)).toEqual(v.ys[0].toArray().slice(0, n * 12).map((y, i) => Math.fround(y * mask[i])));
      const kept = mask.filter((m) => m !== 0).length / mask.length;
      expect(Math.abs(kept - 0.6)).toBeLessThan(4 * Math.sqrt(0.24 / mask.length));
      // inference: dropout is the identity, so the model equals one without the dropout layer
      const plain = new Model(e, { ...spec, layers: [spec.layers[0], spec.layers[2]] });
      plain.parameters().data.set(a.parameters().data);
      expect(a.predict(x)).toEqual(plain.predict(x));
      a.eval();
      expect(a.lossOnly({ x, n, labels })).toBe(plain.lossOnly({ x, n, labels }));
      // the spec (rate, seed) survives a save/load round trip
      const back = loadModel(e, saveModel(a));
      expect(back.layers[1].rate).toBe(0.4);
      expect(back.layers[1].seed).toBe(d.seed);
      for (const m of [a, b, plain, back]) m.release();
    });

    it('bad input: a rate outside [0, 1) names the layer', () => {
      for (const rate of [1, -0.1, 1.5, NaN]) {
        expect(() => new Model(e, { ...spec, layers: [spec.layers[0], { type: 'dropout', rate }, spec.layers[2]] }))
          .toThrow(new DescentError(`model: layer 1 (dropout): rate must be a number in [0, 1), got ${rate}`));
      }
      expect(() => new Model(e, { ...spec, layers: [spec.layers[0], { type: 'dropout' } as never, spec.layers[2]] })).toThrow(/layer 1 \(dropout\): rate must be/);
    });
  });
}
