import { describe, expect, it } from 'vitest';
import { Model } from '../src/nn/model.js';
import { fit } from '../src/train/fit.js';
import { layerStats, recordLayerStats } from '../src/diagnostics/layer-stats.js';
import { histogram, histogramSvg } from '../src/diagnostics/histogram.js';
import { isas, engineFor } from './engines.js';
import { rng } from './reference.js';

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

describe('histogram', () => {
  it('counts against a hand count: half-open bins, the last one closed', () => {
    const h = histogram([0, 0.1, 0.25, 0.5, 0.5, 0.74, 0.75, 0.99, 1], { bins: 4 });
    expect(Array.from(h.edges)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    // [0, .25): 0, .1   [.25, .5): .25   [.5, .75): .5, .5, .74   [.75, 1]: .75, .99, 1
    expect(Array.from(h.counts)).toEqual([2, 1, 3, 3]);
    expect(h.outside).toBe(0);
  });
  it('a given range drops values outside it; constant data gets a unit-wide range', () => {
    const h = histogram([-5, -1, -0.5, 0, 0.3, 2, 9], { bins: 2, range: [-1, 1] });
    expect(Array.from(h.counts)).toEqual([2, 2]);
    expect(h.outside).toBe(3);
    const c = histogram(new Float32Array([3, 3, 3]), { bins: 3 });
    expect(Array.from(c.edges)).toEqual([2.5, 2.5 + 1 / 3, 2.5 + 2 / 3, 3.5]);
    expect(Array.from(c.counts)).toEqual([0, 3, 0]);
  });
  it('every value lands in the bin its edges say (tenths, 10 bins: float edges)', () => {
    const v = Array.from({ length: 101 }, (_, i) => i / 100);
    const h = histogram(v, { bins: 10 });
    const byEdges = Array.from({ length: 10 }, (_, k) => v.filter((x) => x >= h.edges[k] && (k === 9 ? x <= h.edges[10] : x < h.edges[k + 1])).length);
    expect(Array.from(h.counts)).toEqual(byEdges);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(101);
  });
  it('errors name the option: empty input, NaN, bad bins, bad range', () => {
    expect(() => histogram([])).toThrow(/histogram: no values \(empty input\)/);
    expect(() => histogram([1, NaN, 2])).toThrow(/values\[1\] is NaN/);
    expect(() => histogram([1, Infinity])).toThrow(/values\[1\] is Infinity/);
    expect(() => histogram([1, 2], { bins: 0 })).toThrow(/bins must be a positive integer, got 0/);
    expect(() => histogram([1, 2], { bins: 2.5 })).toThrow(/bins must be a positive integer/);
    expect(() => histogram([1, 2], { range: [1, 1] })).toThrow(/range must be \[lo, hi\]/);
  });
  it('renders as SVG, one bar per non-empty bin, text escaped', () => {
    const svg = histogramSvg(histogram([0, 0.1, 0.25, 0.5, 0.9], { bins: 5 }), { title: 'W₁ <layer 0>', xLabel: 'weight' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect /g)!.length).toBe(1 + 4); // background + bins 0, 1, 2, 4
    expect(svg).toContain('W₁ &lt;layer 0&gt;');
    expect(() => histogramSvg({ edges: new Float64Array(2), counts: new Int32Array(2), outside: 0 })).toThrow(/histogramSvg/);
  });
});

for (const isa of isas) {
  describe(`layer statistics ${isa}`, () => {
    const e = engineFor(isa);
    const n = 20, r = rng(2);
    const x = Float32Array.from({ length: n * 4 }, () => 0.1 + r()); // positive inputs
    const labels = Int32Array.from({ length: n }, () => Math.floor(r() * 3));
    const batch = { x, n, labels };

    it('all-negative pre-activations: 100% dead ReLUs, zero gradient into them', () => {
      const model = new Model(e, { inputs: 4, layers: [{ units: 5, activation: 'relu' }, { units: 6, activation: 'relu' }, { units: 3 }], seed: 1 });
      const l0 = model.layers[0];
      l0.W.data.set(l0.W.data.map((w) => -Math.abs(w) - 0.01)); // negative weights on positive inputs
      l0.b!.data.fill(-0.1);
      const s = layerStats(model, batch);
      expect(s.layers[0].dead).toBe(1);
      expect(s.layers[0].mean).toBe(0);
      expect(s.layers[0].gradWeightNorm).toBe(0);
      expect(s.layers[1].dead).toBe(1); // its input is all zero and its bias is 0
      expect(s.layers[2].dead).toBeUndefined();
      expect(s.layers[2].saturated).toBeUndefined();
      model.release();
    });

    it('norms and activation moments by hand; gradients match lossAndGradient; buffers restored', () => {
      const model = new Model(e, { inputs: 4, layers: [{ units: 7, activation: 'tanh' }, { units: 5, activation: 'sigmoid' }, { units: 3 }], seed: 3 });
      const l0 = model.layers[0];
      l0.W.data.set(l0.W.data.map((w, i) => (i % 7 < 3 ? 30 * w : w))); // units 0–2 saturate
      const theta = model.parameters().toArray();
      model.gradients().data.fill(0.5);
      const s = layerStats(model, batch);
      expect(model.parameters().toArray()).toEqual(theta);
      expect(Array.from(model.gradients().data).every((g) => g === 0.5)).toBe(true);
      const loss = model.lossAndGradient(batch);
      expect(s.loss).toBe(loss);
      for (const [i, l] of model.layers.entries()) {
        expect(s.layers[i].weightNorm).toBeCloseTo(norm(l.W.data), 10);
        expect(s.layers[i].biasNorm).toBeCloseTo(norm(l.b!.data), 10);
        expect(s.layers[i].gradWeightNorm).toBeCloseTo(norm(l.gW.data), 10);
        expect(s.layers[i].gradBiasNorm).toBeCloseTo(norm(l.gb!.data), 10);
        expect(s.layers[i].ratio).toBeCloseTo(norm(l.gW.data) / norm(l.W.data), 10);
      }
      // the first layer's output by hand: tanh(x·W + b) in float64
      const W = l0.W.data, ys: number[] = [];
      for (let k = 0; k < n; k++) for (let u = 0; u < 7; u++) {
        let z = 0;
        for (let p = 0; p < 4; p++) z += x[k * 4 + p] * W[p * 7 + u];
        ys.push(Math.tanh(z));
      }
      const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
      const std = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length);
      expect(s.layers[0].mean).toBeCloseTo(mean, 4);
      expect(s.layers[0].std).toBeCloseTo(std, 4);
      const sat = ys.filter((y) => Math.abs(y) > 0.99).length / ys.length;
      expect(sat).toBeGreaterThan(0.2);
      expect(Math.abs(s.layers[0].saturated! - sat)).toBeLessThanOrEqual(1 / ys.length); // a value at 0.99 may round either way
      expect(s.layers[1].saturated).toBeGreaterThanOrEqual(0);
      expect(s.layers[0].dead).toBeUndefined();
      model.release();
    });

    it('recordLayerStats inside fit: one row per epoch, training unchanged bit for bit', () => {
      const spec = { inputs: 4, layers: [{ units: 6, activation: 'relu' as const }, { units: 3 }], seed: 4 };
      const data = { x, n, features: 4, labels, classes: 3 };
      const a = new Model(e, spec), b = new Model(e, spec);
      const rec = recordLayerStats(a, batch);
      rec.record(0);
      const ha = fit(a, data, { epochs: 4, batchSize: 5, lr: 0.5, onEpochEnd: rec.onEpochEnd });
      const hb = fit(b, data, { epochs: 4, batchSize: 5, lr: 0.5 });
      expect(ha.loss).toEqual(hb.loss);
      expect(a.parameters().toArray()).toEqual(b.parameters().toArray());
      expect(rec.history.epoch).toEqual([0, 1, 2, 3, 4]);
      expect(rec.history.layers[0].gradWeightNorm).toHaveLength(5);
      expect(rec.history.layers[0].dead).toHaveLength(5);
      expect(rec.history.layers[1].dead).toBeUndefined();
      expect(rec.history.loss[4]).toBe(a.lossOnly(batch));
      a.release(); b.release();
    });
  });
}
