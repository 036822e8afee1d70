import { describe, expect, it } from 'vitest';
import { Model } from '../src/nn/model.js';
import { clipByGlobalNorm, clipByValue, clipPerLayer } from '../src/optim/clip.js';
import { emaOfWeights, polyakAverage } from '../src/optim/averaging.js';
import { isas, engineFor } from './engines.js';
import { randomF32 } from './reference.js';

const norm = (x: ArrayLike<number>) => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0));

for (const isa of isas) {
  describe(`clipping ${isa}`, () => {
    const e = engineFor(isa);
    it('by value clamps and reports the pre-clip norm; NaN passes through', () => {
      for (const n of [1, 3, 7, 17, 129]) {
        const v = randomF32(n, n).map((x) => 3 * x);
        v[0] = NaN;
        const t = e.tensor([n], v);
        const pre = clipByValue(t, 1.5);
        expect(pre).toBeNaN();
        const out = t.toArray();
        expect(out[0]).toBeNaN();
        for (let i = 1; i < n; i++) expect(out[i]).toBe(Math.fround(Math.min(1.5, Math.max(-1.5, v[i]))));
      }
      const t = e.tensor([5], [3, -4, 0, 0, 0]);
      expect(clipByValue(t, 10)).toBeCloseTo(5, 6);
    });
    it('by global norm scales to the limit (PyTorch coefficient c/(‖g‖+1e−6)) and leaves small gradients alone', () => {
      const v = randomF32(1000, 3);
      const t = e.tensor([1000], v);
      const pre = clipByGlobalNorm(t, 1);
      expect(pre).toBeCloseTo(norm(v), 4);
      expect(norm(t.toArray())).toBeCloseTo(1 / (1 + 1e-6 / pre), 5);
      const small = e.tensor([3], [0.1, 0.2, 0.2]);
      clipByGlobalNorm(small, 1);
      expect(Array.from(small.toArray())).toEqual(Array.from(Float32Array.of(0.1, 0.2, 0.2)));
      expect(() => clipByGlobalNorm(small, 0)).toThrow(/limit must be a positive finite number, got 0/);
      expect(() => clipByValue(small, NaN)).toThrow(/limit must be a positive finite number/);
    });
    it('per layer clips each [W | b] slice separately and returns the norms', () => {
      const m = new Model(e, { inputs: 5, layers: [{ units: 4 }, { units: 3 }], seed: 1 });
      const g = m.gradients();
      g.data.set(randomF32(g.size, 9).map((x) => 10 * x));
      const before = g.toArray();
      const norms = clipPerLayer(m, 1);
      const s0 = 5 * 4 + 4;
      expect(norms[0]).toBeCloseTo(norm(before.subarray(0, s0)), 3);
      expect(norms[1]).toBeCloseTo(norm(before.subarray(s0)), 3);
      expect(norm(g.toArray().subarray(0, s0))).toBeCloseTo(1, 4);
      expect(norm(g.toArray().subarray(s0))).toBeCloseTo(1, 4);
      m.release();
    });
  });

  describe(`averaging ${isa}`, () => {
    const e = engineFor(isa);
    it('Polyak: the running mean of the iterates from `start`, with windows restarting', () => {
      const m = new Model(e, { inputs: 3, layers: [{ units: 2 }], seed: 2 });
      const p = m.parameters();
      const avg = polyakAverage(m, { start: 2 });
      const seen: Float32Array[] = [];
      for (let step = 0; step < 6; step++) {
        p.data.set(randomF32(p.size, 100 + step));
        if (step >= 2) seen.push(p.toArray());
        avg.update(step);
      }
      expect(avg.count).toBe(4);
      const mean = seen[0].map((_, i) => seen.reduce((s, x) => s + x[i], 0) / seen.length);
      const got = avg.average.toArray();
      for (let i = 0; i < mean.length; i++) expect(got[i]).toBeCloseTo(mean[i], 6);
      const w = polyakAverage(m, { window: 2 });
      const it: Float32Array[] = [];
      for (let step = 0; step < 5; step++) { p.data.set(randomF32(p.size, 200 + step)); it.push(p.toArray()); w.update(step); }
      expect(Array.from(w.average.toArray())).toEqual(Array.from(it[4])); // window restarted at the 5th iterate
      avg.release(); w.release(); m.release();
    });
    it('EMA of weights, and evaluation with the average keeps the live weights', () => {
      const m = new Model(e, { inputs: 3, layers: [{ units: 2 }], seed: 2 });
      const p = m.parameters();
      const ema = emaOfWeights(m, { decay: 0.9 });
      let ref: Float64Array | undefined;
      for (let step = 0; step < 10; step++) {
        p.data.set(randomF32(p.size, 300 + step));
        ema.update(step);
        const x = Float64Array.from(p.toArray());
        ref = ref ? ref.map((v, i) => v + 0.1 * (x[i] - v)) : x;
      }
      const got = ema.average.toArray();
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(ref![i], 6);
      const live = p.toArray();
      const seenInside = ema.evaluateWith(() => m.parameters().toArray());
      expect(Array.from(seenInside)).toEqual(Array.from(got));
      expect(Array.from(p.toArray())).toEqual(Array.from(live));
      expect(() => emaOfWeights(m, { decay: 1 })).toThrow(/decay must be in \[0, 1\)/);
      ema.release(); m.release();
    });
  });
}
