// ASGD (src/optim/asgd.ts, assembly/optim/asgd.ts) against PyTorch 1.13's torch.optim.ASGD
// (fixture test/fixtures/torch-optim-extra.json, scripts/torch-optim-extra.py):
//  - Rosenbrock from (−1.2, 1), 30 steps, the f64 reference: parameters and ax within 1e-12
//    relative (of max(1, |x|)) after every step, eta and mu (torch's float32 scalars) exactly,
//    with weight decay, a small t0 so that the averaging runs, and an ExponentialLR schedule
//    (torch's eta takes the new lr one step late);
//  - the 4-5-3 tanh MLP of torch-optim.json, 30 full-batch steps, the fused f32 kernel through
//    an optimizer object: parameters and ax within 1e-6 relative in norm after every step;
//  - fused f32 kernel vs f64 reference on odd sizes, state dict round trip (resume gives the
//    bits of the uninterrupted run), errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asgd, asgdEta, asgdMu, type AsgdHyper } from '../src/optim/asgd.js';
import { withDefaults, type Scalars } from '../src/optim/rules.js';
import { optimizer } from '../src/optim/optimizer.js';
import { exponential } from '../src/optim/schedules.js';
import { Model } from '../src/nn/model.js';
import { Engine } from '../src/engine/engine.js';
import { threadStats } from '../src/engine/threads/pool.js';
import { bits, rng } from './reference.js';
import { engineFor, isas } from './engines.js';
import { runBoth } from './rule-runner.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/torch-optim-extra.json', import.meta.url), 'utf8')).asgd;
const base = JSON.parse(readFileSync(new URL('./fixtures/torch-optim.json', import.meta.url), 'utf8')).mlp;
const REPORT = process.env.DESCENT_OPTIM_REPORT === '1';

function rosenGrad(x: Float64Array): Float64Array {
  const [a, b] = x;
  return Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a));
}

describe('ASGD vs PyTorch on Rosenbrock (f64 reference, 1e-12)', () => {
  for (const c of fx.rosenbrock.cases) {
    const label = `${JSON.stringify(c.options)}${c.scheduler ? ` with ${JSON.stringify(c.scheduler)}` : ''}`;
    it(label, () => {
      const h = withDefaults(asgd, c.options as Partial<AsgdHyper>);
      const lr = c.scheduler ? exponential(h.lr, { gamma: c.scheduler.ExponentialLR.gamma }) : () => h.lr;
      const p = Float64Array.from(fx.rosenbrock.x0);
      const state = { ax: new Float64Array(2) };
      const sc: Scalars = asgd.initScalars(h);
      let worst = 0;
      for (let t = 1; t <= fx.steps; t++) {
        const ht = { ...h, lr: lr(t - 1) };
        asgd.step64(p, rosenGrad(p), state, asgd.coefficients(t, ht, sc), ht);
        const want = c.trajectory[t - 1], wantAx = c.ax[t - 1];
        for (let i = 0; i < 2; i++) {
          const e = Math.max(Math.abs(p[i] - want[i]) / Math.max(1, Math.abs(want[i])), Math.abs(state.ax[i] - wantAx[i]) / Math.max(1, Math.abs(wantAx[i])));
          worst = Math.max(worst, e);
          expect(e, `step ${t} coordinate ${i}: p ${p[i]} vs ${want[i]}, ax ${state.ax[i]} vs ${wantAx[i]}`).toBeLessThanOrEqual(1e-12);
        }
        expect(sc.eta, `step ${t}: eta`).toBe(c.state[t - 1].eta);
        expect(sc.mu, `step ${t}: mu`).toBe(c.state[t - 1].mu);
      }
      if (REPORT) console.log(`asgd rosenbrock ${label}: worst ${worst.toExponential(2)}`);
      // the averaging ran (or, with t0 = 1e6, ax is p)
      const last = c.state[fx.steps - 1];
      if (h.t0 < fx.steps - 2) expect(last.mu).toBeLessThan(1);
      else expect(state.ax).toEqual(p);
    });
  }
});

for (const isa of isas) {
  describe(`ASGD fused f32 kernel vs PyTorch on a small MLP (${isa}, 1e-6)`, () => {
    const e = engineFor(isa);
    const { inputs, hidden, outputs, batch, params0 } = base;
    const x = Float32Array.from(batch.x.flat());
    const labels = Int32Array.from(batch.labels);
    for (const c of fx.mlp.cases) {
      it(JSON.stringify(c.options), () => {
        const model = new Model(e, { inputs, layers: [{ units: hidden, activation: 'tanh' }, { units: outputs }], loss: 'softmax-cross-entropy' });
        model.parameters().data.set(params0);
        // not bound to the model: one segment, weight decay on biases too (as torch)
        const opt = optimizer('asgd', c.options);
        let worst = 0, worstAx = 0;
        const rel = (got: ArrayLike<number>, want: number[]): number => {
          let num = 0, den = 0;
          for (let i = 0; i < want.length; i++) { num += (got[i] - want[i]) ** 2; den += want[i] ** 2; }
          return Math.sqrt(num / den);
        };
        for (let t = 1; t <= fx.steps; t++) {
          const loss = model.lossAndGradient({ x, n: labels.length, labels });
          expect(Math.abs(loss - c.losses[t - 1])).toBeLessThanOrEqual(1e-5 * Math.max(1, c.losses[t - 1]));
          opt.step(model.parameters(), model.gradients(), { step: t - 1, epoch: 0 });
          const sd = opt.stateDict();
          worst = Math.max(worst, rel(model.parameters().data, c.params[t - 1]));
          worstAx = Math.max(worstAx, rel(sd.buffers.ax, c.ax[t - 1]));
          expect(sd.steps).toEqual([c.state[t - 1].step]);
          expect(sd.scalars[0].eta).toBe(c.state[t - 1].eta);
          expect(sd.scalars[0].mu).toBe(c.state[t - 1].mu);
        }
        if (REPORT) console.log(`asgd mlp ${isa} ${JSON.stringify(c.options)}: params ${worst.toExponential(2)}, ax ${worstAx.toExponential(2)}`);
        expect(worst, 'parameters, worst normwise relative difference').toBeLessThanOrEqual(1e-6);
        expect(worstAx, 'ax, worst normwise relative difference').toBeLessThanOrEqual(1e-6);
        opt.release();
        model.release();
      });
    }
  });

  describe(`ASGD kernel vs f64 reference, state dict (${isa})`, () => {
    const e = engineFor(isa);
    const cases: Partial<AsgdHyper>[] = [{}, { lr: 0.05, t0: 3, weight_decay: 0.1 }, { lr: 0.2, lambd: 0.5, alpha: 1, t0: 0 }];
    for (const o of cases) {
      it(`${JSON.stringify(o)}: odd sizes, 20 steps, within 1e-5 of the run's scale`, () => {
        const h = withDefaults(asgd, o);
        for (const n of [1, 3, 7, 17, 129]) {
          const r = rng(n);
          const p0 = Array.from({ length: n }, () => 2 * r() - 1);
          const bias = Array.from({ length: n }, () => 2 * r() - 1);
          const grads = Array.from({ length: 20 }, () => bias.map((b) => b + 0.8 * (2 * r() - 1)));
          const { f32, f64 } = runBoth(e, asgd, h, p0, grads);
          for (const key of ['p', 'ax'] as const) {
            let scale = 1e-3;
            for (let t = 0; t < 20; t++) {
              const w = key === 'p' ? f64.p[t] : f64.s[t].ax, g = key === 'p' ? f32.p[t] : f32.s[t].ax;
              for (let i = 0; i < n; i++) {
                scale = Math.max(scale, Math.abs(w[i]));
                expect(Math.abs(g[i] - w[i]), `n=${n} step ${t + 1} ${key}[${i}]`).toBeLessThanOrEqual(1e-5 * scale);
              }
            }
          }
        }
      });
    }
    it('state dict: ax, eta, mu and steps round-trip; a resumed run gives the uninterrupted bits', () => {
      const h = { lr: 0.05, t0: 4, weight_decay: 0.01, lambd: 0.01 };
      const spec = { inputs: 5, layers: [{ units: 6 }], seed: 3 };
      const A = new Model(e, spec), B = new Model(e, spec);
      const n = A.parameterCount;
      const r = rng(5);
      const grads = Array.from({ length: 16 }, () => Float32Array.from({ length: n }, () => 2 * r() - 1));
      e.scope(() => {
        const a = optimizer('asgd', h);
        a.bind(A);
        for (let t = 0; t < 16; t++) { A.gradients().data.set(grads[t]); a.step(A.parameters(), A.gradients(), { step: t, epoch: 0 }); }
        const b = optimizer('asgd', h);
        b.bind(B);
        for (let t = 0; t < 8; t++) { B.gradients().data.set(grads[t]); b.step(B.parameters(), B.gradients(), { step: t, epoch: 0 }); }
        const sd = b.stateDict();
        expect(Object.keys(sd.buffers)).toEqual(['ax']);
        expect(sd.steps).toEqual([8, 8]);
        expect(Object.keys(sd.scalars[0]).sort()).toEqual(['eta', 'mu']);
        expect(sd.scalars[0].mu).toBe(Math.fround(1 / 4)); // 1/max(1, 8 − 4)
        expect(sd.scalars[0].eta).toBe(asgdEta(0.05, 0.01, 0.75, 8));
        const c = optimizer('asgd', h);
        c.loadStateDict(sd, B);
        for (let t = 8; t < 16; t++) { B.gradients().data.set(grads[t]); c.step(B.parameters(), B.gradients(), { step: t, epoch: 0 }); }
        expect(bits(B.parameters().toArray())).toEqual(bits(A.parameters().toArray()));
        expect(bits(c.stateDict().buffers.ax)).toEqual(bits(a.stateDict().buffers.ax));
        expect(() => c.loadStateDict({ ...sd, scalars: [{ eta: 0.05, mu: 2 }, {}] })).toThrow(/scalars\[0\]\.mu must be a number in \(0, 1\]/);
        expect(() => c.loadStateDict({ ...sd, scalars: [{ mu_product: 0.5 }, {}] })).toThrow(/not scalar state of asgd/);
        a.release(); b.release(); c.release();
      });
      A.release(); B.release();
    });
  });
}

describe('ASGD on 2 threads', () => {
  it('the fused kernel split over threads gives the 1-thread bits (averaging on, 100003 parameters)', async () => {
    const n = 100_003, h = { lr: 0.05, t0: 1, weight_decay: 0.01, lambd: 0.01 };
    const r = rng(9);
    const p0 = Float32Array.from({ length: n }, () => 2 * r() - 1);
    const grads = Array.from({ length: 6 }, () => Float32Array.from({ length: n }, () => 2 * r() - 1));
    const run = (e: Engine): [Float32Array, Float32Array] => e.scope(() => {
      const P = e.tensor([n], p0), G = e.zeros([n]);
      const o = optimizer('asgd', h);
      grads.forEach((g, t) => { G.data.set(g); o.step(P, G, { step: t, epoch: 0 }); });
      const out: [Float32Array, Float32Array] = [P.toArray(), o.stateDict().buffers.ax];
      o.release();
      return out;
    });
    for (const isa of isas) {
      const [p1, ax1] = run(await Engine.create({ isa, threads: 1 }));
      const e2 = await Engine.create({ isa, threads: 2 });
      // On a busy machine the pool may be backing off (calls on the calling thread for 250 ms
      // after slow joins, pool.ts) or the worker descheduled: run again until the worker took
      // part. Every run must give the 1-thread bits.
      let workers = 0;
      for (let attempt = 0; attempt < 20 && workers === 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 300));
        const before = threadStats();
        const [p2, ax2] = run(e2);
        workers = threadStats().slice(1).reduce((s, v, i) => s + v - (before[i + 1] ?? 0), 0);
        expect(bits(p2)).toEqual(bits(p1));
        expect(bits(ax2)).toEqual(bits(ax1));
      }
      expect(workers, 'chunks run by the worker').toBeGreaterThan(0);
      expect(bits(ax1)).not.toEqual(bits(p1)); // the average ran
    }
  }, 60_000);
});

describe('ASGD: defaults, scalars, errors', () => {
  it("torch's defaults, state names and float32 scalars", () => {
    expect(asgd.defaults).toEqual({ lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weight_decay: 0 });
    expect(asgd.stateNames).toEqual(['ax']);
    expect(asgdEta(0.1, 0.5, 1, 2)).toBe(Math.fround(0.1 / 1.1));
    expect(asgdMu(7, 4)).toBe(Math.fround(1 / 3));
    expect(asgdMu(5, 4)).toBe(1);
    // step 1 uses eta = lr and mu = 1, then the scalars hold the next step's
    const sc: Scalars = {};
    expect(asgd.coefficients(1, withDefaults(asgd, { lr: 0.1, lambd: 0.5 }), sc)).toEqual([-Math.fround(0.1), 1 - 0.5 * Math.fround(0.1), 0, 1]);
    expect(sc).toEqual({ eta: asgdEta(0.1, 0.5, 0.75, 1), mu: 1 });
  });
  it('worked example: 5 steps on f(x) = x², lambd 0, t0 0 — ax is the mean of the iterates from step 2 (float32 μ)', () => {
    // g = 2x, η = float32(0.1) throughout (λ = 0), so x_t = (1 − 2η)^t; μ = 1, 1, ½, ⅓, ¼
    const h = withDefaults(asgd, { lr: 0.1, lambd: 0, t0: 0 });
    const p = Float64Array.of(1), s = { ax: new Float64Array(1) }, sc: Scalars = {};
    const eta = Math.fround(0.1), xs: number[] = [];
    let ref = 0;
    for (let t = 1; t <= 5; t++) {
      asgd.step64(p, Float64Array.of(2 * p[0]), s, asgd.coefficients(t, h, sc), h);
      xs.push(p[0]);
      expect(p[0]).toBeCloseTo((1 - 2 * eta) ** t, 15);
      const from2 = xs.slice(1), mean = t === 1 ? xs[0] : from2.reduce((a, b) => a + b, 0) / from2.length;
      // the running mean with torch's float32 μ = 1/k: within float32 rounding of the exact mean
      ref = t <= 2 ? p[0] : ref + (p[0] - ref) * Math.fround(1 / (t - 1));
      expect(s.ax[0], `step ${t}`).toBe(ref);
      expect(Math.abs(s.ax[0] - mean), `step ${t}`).toBeLessThanOrEqual(1e-8);
    }
    expect(sc.mu).toBe(Math.fround(1 / 5));
  });
  it('names the hyper-parameter at fault', () => {
    expect(() => optimizer('asgd', { lambd: -1 })).toThrow(/asgd: lambd must be a finite number ≥ 0, got -1/);
    expect(() => optimizer('asgd', { t0: NaN })).toThrow(/asgd: t0 must be a finite number ≥ 0/);
    expect(() => optimizer('asgd', { momentum: 0.9 })).toThrow(/unknown hyper-parameter "momentum"/);
  });
});
