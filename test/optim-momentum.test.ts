// Momentum conventions (src/optim/momentum.ts): the classical/Sutskever form and look-ahead
// Nesterov against PyTorch's forms (rules.sgd) on a quadratic, in f64; the wasm kernels
// against their f64 references in every build; and both through fit.
import { describe, expect, it } from 'vitest';
import { momentumClassic, nesterovLookahead, type MomentumHyper } from '../src/optim/momentum.js';
import { sgd, withDefaults } from '../src/optim/rules.js';
import { optimizer } from '../src/optim/optimizer.js';
import { Model } from '../src/nn/model.js';
import { fit, evaluate } from '../src/train/fit.js';
import { digits } from '../src/data/digits.js';
import { trainTestSplit } from '../src/data/split.js';
import { Engine } from '../src/engine/engine.js';
import { engineFor, isas } from './engines.js';
import { rng } from './reference.js';

// f(x) = ½ Σ aᵢ xᵢ², condition number 100
const D = 12;
const a = Float64Array.from({ length: D }, (_, i) => 10 ** ((2 * i) / (D - 1)));
const x0 = Float64Array.from({ length: D }, (_, i) => 1 - 0.1 * i);
const grad = (x: Float64Array) => Float64Array.from(x, (xi, i) => a[i] * xi);
const lr = 0.015, mu = 0.9, STEPS = 60;

function relErr(x: Float64Array, y: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) { num = Math.max(num, Math.abs(x[i] - y[i])); den = Math.max(den, Math.abs(y[i])); }
  return num / den;
}

describe('momentum conventions agree on a quadratic (f64)', () => {
  it('classical v = μv − αg, θ += v is PyTorch momentum with v = −lr·b while lr is constant', () => {
    const hc: MomentumHyper = withDefaults(momentumClassic, { lr, momentum: mu });
    const ht = withDefaults(sgd, { lr, momentum: mu });
    const xc = x0.slice(), xt = x0.slice();
    const sc = { velocity: new Float64Array(D) }, st = { momentum_buffer: new Float64Array(D) };
    for (let t = 1; t <= STEPS; t++) {
      momentumClassic.step64(xc, grad(xc), sc, momentumClassic.coefficients(t, hc, {}), hc);
      sgd.step64(xt, grad(xt), st, sgd.coefficients(t, ht, {}), ht);
      expect(relErr(xc, xt)).toBeLessThan(1e-12);
      expect(relErr(sc.velocity, st.momentum_buffer.map((b) => -lr * b))).toBeLessThan(1e-12);
    }
    // and it converges: f fell by orders of magnitude
    const f = (x: Float64Array) => x.reduce((s, xi, i) => s + 0.5 * a[i] * xi * xi, 0);
    expect(f(xc)).toBeLessThan(1e-3 * f(x0));
  });

  it('look-ahead Nesterov: PyTorch nesterov=True holds the look-ahead point θ + μv', () => {
    const hl: MomentumHyper = withDefaults(nesterovLookahead, { lr, momentum: mu });
    const ht = withDefaults(sgd, { lr, momentum: mu, nesterov: true });
    const xl = x0.slice(), xt = x0.slice();
    const sl = { velocity: new Float64Array(D) }, st = { momentum_buffer: new Float64Array(D) };
    for (let t = 1; t <= STEPS; t++) {
      nesterovLookahead.shift64(xl, sl, hl);               // θ + μv: where the gradient is taken
      const g = grad(xl);
      nesterovLookahead.step64(xl, g, sl, nesterovLookahead.coefficients(t, hl, {}), hl);
      sgd.step64(xt, grad(xt), st, sgd.coefficients(t, ht, {}), ht);
      const ahead = Float64Array.from(xl, (xi, i) => xi + mu * sl.velocity[i]);
      expect(relErr(ahead, xt)).toBeLessThan(1e-12);
      expect(relErr(sl.velocity, st.momentum_buffer.map((b) => -lr * b))).toBeLessThan(1e-12);
    }
  });

  it("the lecture's scaled variant: with a constant gradient the velocity tends to −lr·g for any μ", () => {
    for (const m of [0.5, 0.9, 0.99]) {
      const h: MomentumHyper = withDefaults(momentumClassic, { lr: 0.1, momentum: m, scaled: true });
      const x = new Float64Array([0, 0]), s = { velocity: new Float64Array(2) };
      const g = new Float64Array([2, -1]);
      for (let t = 1; t <= 3000; t++) momentumClassic.step64(x, g, s, momentumClassic.coefficients(t, h, {}), h);
      expect(s.velocity[0]).toBeCloseTo(-0.2, 10);
      expect(s.velocity[1]).toBeCloseTo(0.1, 10);
      // one hand-worked step from v = 0: v = −(1 − μ)·lr·g
      const s1 = { velocity: new Float64Array(2) }, x1 = new Float64Array([1, 1]);
      momentumClassic.step64(x1, g, s1, momentumClassic.coefficients(1, h, {}), h);
      expect(s1.velocity[0]).toBeCloseTo(-(1 - m) * 0.2, 15);
      expect(x1[0]).toBeCloseTo(1 - (1 - m) * 0.2, 15);
    }
  });
});

describe('momentum kernels match their f64 references', () => {
  for (const isa of isas) {
    it(`${isa}: classical and look-ahead, with and without weight decay`, () => {
      const e = engineFor(isa);
      const K = e.kernels;
      for (const rule of [momentumClassic, nesterovLookahead]) {
        for (const hyper of [{ lr: 0.05, momentum: 0.9 }, { lr: 0.02, momentum: 0.5, weight_decay: 0.1, scaled: true }]) {
          const h: MomentumHyper = withDefaults(rule, hyper);
          for (const n of [1, 3, 7, 17, 129, 1000]) {
            const r = rng(n * 7 + 1);
            const A = e.arena('momentum test');
            const p = A.tensor([n], Array.from({ length: n }, () => 2 * r() - 1));
            const g = A.tensor([n]), v = A.tensor([n]);
            const p64 = Float64Array.from(p.data), s64 = { velocity: new Float64Array(n) };
            let scale = 1e-3;
            for (let t = 1; t <= 20; t++) {
              const gv = Array.from({ length: n }, (_, i) => 0.3 * Math.sin(i) + (r() - 0.5));
              if (rule === nesterovLookahead) {
                nesterovLookahead.shift(K, n, p.pointer(), { velocity: v.pointer() }, h);
                nesterovLookahead.shift64(p64, s64, h);
              }
              g.set(gv);
              const c = rule.coefficients(t, h, {});
              rule.kernel(K, n, p.pointer(), g.pointer(), { velocity: v.pointer() }, c, h);
              rule.step64(p64, Float64Array.from(g.data), s64, c, h);
              for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(p64[i]), Math.abs(s64.velocity[i]));
            }
            for (let i = 0; i < n; i++) {
              expect(Math.abs(p.data[i] - p64[i]), `${rule.name} n=${n} p[${i}]`).toBeLessThan(1e-5 * scale);
              expect(Math.abs(v.data[i] - s64.velocity[i]), `${rule.name} n=${n} v[${i}]`).toBeLessThan(1e-5 * scale);
            }
            A.release();
          }
        }
      }
    });
  }

  it('bad hyper-parameters name the option', () => {
    expect(() => withDefaults(momentumClassic, { momentum: 1 })).toThrow(/momentum-classic: momentum must be in \[0, 1\), got 1/);
    expect(() => withDefaults(nesterovLookahead, { lr: -1 })).toThrow(/nesterov-lookahead: lr must be a finite number ≥ 0/);
    expect(() => optimizer('momentum-classic', { scaled: 'yes' })).toThrow(/scaled must be true or false/);
  });
});

describe('through fit', () => {
  const e = Engine.createSync();
  const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
  const mlp = () => new Model(e, { inputs: 64, layers: [{ units: 16, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 1 });

  it('look-ahead Nesterov in f32 follows PyTorch-form Nesterov: θ + μv = θ′', () => {
    const m1 = mlp(), m2 = mlp();
    const look = optimizer('nesterov-lookahead', { lr: 0.05, momentum: 0.9 });
    const torch = optimizer('nesterov', { lr: 0.05 });
    fit(m1, train, { epochs: 5, batchSize: 64, optimizer: look, seed: 4 });
    fit(m2, train, { epochs: 5, batchSize: 64, optimizer: torch, seed: 4 });
    const v = look.stateDict().buffers.velocity, th = m1.parameters().data, tt = m2.parameters().data;
    let worst = 0, scale = 0;
    for (let i = 0; i < th.length; i++) { worst = Math.max(worst, Math.abs(th[i] + 0.9 * v[i] - tt[i])); scale = Math.max(scale, Math.abs(tt[i])); }
    expect(worst / scale).toBeLessThan(1e-4);
    expect(evaluate(m1, test).accuracy).toBeGreaterThan(0.9);
    m1.release(); m2.release();
  });

  it('classical momentum trains digits', () => {
    const m = mlp();
    fit(m, train, { epochs: 10, batchSize: 32, optimizer: optimizer('momentum-classic', { lr: 0.05, momentum: 0.9, scaled: false }), seed: 4 });
    expect(evaluate(m, test).accuracy).toBeGreaterThan(0.93);
    m.release();
  });
});
