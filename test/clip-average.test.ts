// Gradient clipping (src/optim/clip.ts) and iterate averaging (src/optim/averaging.ts); clipping
// by global norm with norm_type 1, 2 and ∞ against torch.nn.utils.clip_grad_norm_ of PyTorch 1.13
// (fixture test/fixtures/torch-optim-extra.json, scripts/torch-optim-extra.py): the returned
// norm and the clipped gradients within 1e-6 relative (float32 on both sides; torch sums in
// float32, descent in float64).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Model } from '../src/nn/model.js';
import { clipByGlobalNorm, clipByValue, clipPerLayer } from '../src/optim/clip.js';
import { optimizer } from '../src/optim/optimizer.js';
import { emaOfWeights, polyakAverage } from '../src/optim/averaging.js';
import { isas, engineFor } from './engines.js';
import { bits, randomF32 } from './reference.js';

const norm = (x: ArrayLike<number>) => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0));
const torchClip = JSON.parse(readFileSync(new URL('./fixtures/torch-optim-extra.json', import.meta.url), 'utf8')).clip_grad_norm;
const normType = (t: number | string): number => (t === 'inf' ? Infinity : (t as number));

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
    it('clip_grad_norm_ with norm_type 1, 2 and ∞ as PyTorch 1.13 (norm and clipped gradients within 1e-6)', () => {
      expect(torchClip.cases.length).toBe(12);
      let worst = 0;
      for (const c of torchClip.cases) {
        const what = `norm_type ${c.norm_type}, max_norm ${c.max_norm}, |g| ~ ${Math.abs(c.grad[0]).toPrecision(2)}`;
        const type = normType(c.norm_type);
        const t = e.tensor([c.grad.length], c.grad);
        const total = clipByGlobalNorm(t, c.max_norm, type === Infinity && c.max_norm < 1 ? 'inf' : type);
        expect(Math.abs(total - c.total_norm), `${what}: norm ${total} vs ${c.total_norm}`).toBeLessThanOrEqual(1e-6 * c.total_norm);
        const got = t.toArray(), scale = Math.max(...c.clipped.map(Math.abs));
        for (let i = 0; i < got.length; i++) {
          worst = Math.max(worst, Math.abs(got[i] - c.clipped[i]) / scale);
          expect(Math.abs(got[i] - c.clipped[i]), `${what}: element ${i}`).toBeLessThanOrEqual(1e-6 * scale);
        }
        // the optimizer's clipNorm option clips the same way, and reports the same norm
        const g = e.tensor([c.grad.length], c.grad), p = e.zeros([c.grad.length]);
        const opt = optimizer('sgd', { lr: 0 }, { clipNorm: c.max_norm, clipNormType: c.norm_type });
        opt.step(p, g, { step: 0, epoch: 0 });
        expect(opt.lastGradientNorm).toBe(total);
        expect(Array.from(g.toArray())).toEqual(Array.from(got));
        opt.release();
        // clipped exactly when the norm exceeds the limit
        expect(c.clipped.some((v: number, i: number) => v !== c.grad[i])).toBe(c.total_norm + 1e-6 > c.max_norm);
      }
      if (process.env.DESCENT_OPTIM_REPORT === '1') console.log(`clip_grad_norm_ ${isa}: worst ${worst.toExponential(2)} of max|g|`);
    });
    it('1- and ∞-norms on every tail length, NaN propagation, bad norm types', () => {
      for (const n of [0, 1, 3, 7, 8, 9, 17, 129, 1000]) {
        const v = randomF32(n, n + 1).map((x) => 3 * x);
        const l1 = Array.from(v).reduce((s, x) => s + Math.abs(x), 0);
        const linf = Array.from(v).reduce((s, x) => Math.max(s, Math.abs(x)), 0);
        expect(clipByGlobalNorm(e.tensor([Math.max(n, 1)], n ? v : [0]), 1e30, 1)).toBeCloseTo(l1, 3);
        expect(clipByGlobalNorm(e.tensor([Math.max(n, 1)], n ? v : [0]), 1e30, Infinity)).toBe(linf);
        for (const at of n ? [0, n - 1, n >> 1] : []) {
          const w = v.slice();
          w[at] = NaN;
          for (const type of [1, 2, Infinity]) {
            const t = e.tensor([n], w);
            expect(clipByGlobalNorm(t, 1e-3, type), `n=${n}, NaN at ${at}, norm ${type}`).toBeNaN();
            expect(bits(t.toArray()), 'a NaN norm leaves g unscaled').toEqual(bits(w));
          }
        }
      }
      const t = e.tensor([3], [1, -2, 2]);
      expect(() => clipByGlobalNorm(t, 1, 3)).toThrow(/normType must be 1, 2 or Infinity \('inf'\), got 3/);
      expect(() => clipByGlobalNorm(t, 1, 'max' as never)).toThrow(/normType must be 1, 2 or Infinity/);
      expect(() => optimizer('sgd', {}, { clipNorm: 1, clipNormType: 0 })).toThrow(/sgd: normType must be 1, 2 or Infinity/);
      expect(clipPerLayer(new Model(e, { inputs: 2, layers: [{ units: 1 }] }), 1, undefined, 'inf')).toEqual([0]);
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
