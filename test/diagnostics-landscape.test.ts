import { describe, expect, it } from 'vitest';
import { Model } from '../src/nn/model.js';
import { lineValues, lossAlongLine, lossSurface, planeValues, randomDirection } from '../src/diagnostics/landscape-slices.js';
import { quadratic } from '../src/problems/classic.js';
import { isas, engineFor } from './engines.js';
import { randomF32, rng } from './reference.js';

/** The loss at θ + Σ cₖ·dₖ the plain way: f32 parameters set by hand, then model.lossOnly. */
function lossAt(model: Model, theta: Float32Array, batch: Parameters<Model['lossOnly']>[0], terms: [number, Float64Array][]): number {
  const p = Float64Array.from(theta);
  for (const [c, d] of terms) for (let i = 0; i < p.length; i++) p[i] += c * d[i];
  model.parameters().data.set(p);
  const l = model.lossOnly(batch);
  model.parameters().data.set(theta);
  return l;
}

describe('slices of an objective', () => {
  it('a quadratic along an eigenvector is the parabola ½λt² around the minimizer', () => {
    const p = quadratic({ n: 5, condition: 16 });
    const e4 = new Float64Array(5); e4[4] = 1;
    const r = lineValues(p.objective, p.xStar!, e4, { range: [-2, 2], points: 9 });
    expect(Array.from(r.t)).toEqual([-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2]);
    r.t.forEach((t, i) => expect(r.loss[i]).toBeCloseTo(0.5 * 16 * t * t, 12));
    const e0 = new Float64Array(5); e0[0] = 1;
    const s = planeValues(p.objective, p.xStar!, e0, e4, { points: [3, 5], sRange: [0, 1] });
    expect(s.loss).toHaveLength(15);
    for (let j = 0; j < 5; j++) for (let i = 0; i < 3; i++) expect(s.loss[j * 3 + i]).toBeCloseTo(0.5 * s.s[i] ** 2 + 8 * s.t[j] ** 2, 12);
  });
  it('names bad ranges, point counts and direction lengths', () => {
    const p = quadratic({ n: 3, condition: 2 });
    const x = new Float64Array(3), d = new Float64Array(3);
    expect(() => lineValues(p.objective, x, d, { points: 1 })).toThrow(/points must be an integer ≥ 2/);
    expect(() => lineValues(p.objective, x, d, { range: [1, 1] })).toThrow(/range must be \[a, b\]/);
    expect(() => lineValues(p.objective, x, new Float64Array(2))).toThrow(/direction must have 3 values/);
    expect(() => planeValues(p.objective, x, d, [1, 2, NaN])).toThrow(/v\[2\] is NaN/);
  });
});

for (const isa of isas) {
  describe(`loss landscape of a network ${isa}`, () => {
    const e = engineFor(isa);
    const n = 30, r = rng(4);
    const labels = Int32Array.from({ length: n }, () => Math.floor(r() * 3));
    const data = { x: randomF32(n * 4, 8), n, features: 4, labels, classes: 3 };
    const batch = { x: data.x, n, labels };

    it('line: restores θ bit for bit and matches lossOnly at every point', () => {
      const model = new Model(e, { inputs: 4, layers: [{ units: 7, activation: 'relu' }, { units: 3 }], seed: 5 });
      const theta = model.parameters().toArray();
      const d = randomDirection(model, { seed: 3, normalization: 'none' });
      const line = lossAlongLine(model, data, { direction: d, range: [-0.5, 1.5], points: 9 });
      expect(model.parameters().toArray()).toEqual(theta);
      expect(line.t[4]).toBe(0.5);
      line.t.forEach((t, i) => expect(line.loss[i]).toBe(lossAt(model, theta, batch, [[t, d]])));
      // t = 0 is the model's own loss
      const at0 = lossAlongLine(model, data, { points: 3 });
      expect(at0.loss[1]).toBe(model.lossOnly(batch));
      expect(model.parameters().toArray()).toEqual(theta);
      model.release();
    });

    it('plane: restores θ, matches lossOnly on the grid; filter-normalized directions', () => {
      const model = new Model(e, { inputs: 4, layers: [{ units: 6, activation: 'tanh' }, { units: 3 }], seed: 6 });
      const theta = model.parameters().toArray();
      const s = lossSurface(model, data, { points: [4, 3], sRange: [-1, 1], tRange: [0, 2] });
      expect(model.parameters().toArray()).toEqual(theta);
      expect(s.loss).toHaveLength(12);
      for (let j = 0; j < 3; j++) {
        for (let i = 0; i < 4; i++) expect(s.loss[j * 4 + i]).toBe(lossAt(model, theta, batch, [[s.s[i], s.u], [s.t[j], s.v]]));
      }
      // filter normalization: each unit's incoming weights of u have the norm of θ's; biases 0
      for (const l of model.layers) {
        for (let j = 0; j < l.units; j++) {
          let nu = 0, nw = 0;
          for (let p = 0; p < l.inputs; p++) { const k = l.weightOffset + p * l.units + j; nu += s.u[k] ** 2; nw += theta[k] ** 2; }
          expect(Math.sqrt(nu)).toBeCloseTo(Math.sqrt(nw), 6);
        }
        for (let j = 0; j < l.units; j++) expect(s.u[l.biasOffset + j]).toBe(0);
      }
      expect(s.u).not.toEqual(s.v);
      model.release();
    });

    it('θ is restored after non-finite losses, and untouched by a bad call', () => {
      const model = new Model(e, { inputs: 4, layers: [{ units: 3 }] });
      const theta = model.parameters().toArray();
      const huge = new Float64Array(model.parameterCount).fill(1e39); // θ ± 1e39 overflows float32
      const line = lossAlongLine(model, data, { direction: huge, points: 3 });
      expect(Number.isFinite(line.loss[0])).toBe(false);
      expect(line.loss[1]).toBe(model.lossOnly(batch));
      expect(model.parameters().toArray()).toEqual(theta);
      expect(() => lossAlongLine(model, { ...data, x: randomF32(n * 5, 1), features: 5 })).toThrow(/features/);
      expect(model.parameters().toArray()).toEqual(theta);
      model.release();
    });
  });
}
