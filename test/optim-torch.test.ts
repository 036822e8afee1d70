// PyTorch parity of the update rules (fixtures: scripts/torch-reference.py, torch 1.13 with
// foreach=False; NAdam from the corrected formula, see the fixture's notes):
//  - Rosenbrock from (−1.2, 1), 20 steps, the f64 reference path: within 1e-10 relative;
//  - a 4-5-3 tanh MLP with softmax cross-entropy, 20 full-batch steps, the fused f32 wasm path
//    through the model's flat buffers, for every rule: the parameter vector within 1e-6
//    relative in norm, ‖θ − θ_torch‖₂ ≤ 1e-6·‖θ_torch‖₂, after every step (measured worst:
//    2.7e-7, centered RMSprop with momentum); and per element within 1e-5 of max(|θᵢ|, 1e-2)
//    for all but Adagrad, RMSprop and Adamax (see below).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rules, withDefaults, type RuleName } from '../src/optim/rules.js';
import { Model } from '../src/nn/model.js';
import { isas, engineFor } from './engines.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/torch-optim.json', import.meta.url), 'utf8'));
const usable = (c: { source: string }) => c.source === 'torch' || c.source === 'corrected-formula';
const label = (c: { optimizer: string; options: object }) => `${c.optimizer} ${JSON.stringify(c.options)}`;

function rosenGrad(x: Float64Array): Float64Array {
  const [a, b] = x;
  return Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a));
}

describe('update rules vs PyTorch on Rosenbrock (f64 path)', () => {
  for (const c of fx.rosenbrock.cases.filter(usable)) {
    it(label(c), () => {
      const rule = rules[c.optimizer as RuleName] as (typeof rules)['adam'];
      const hyper = withDefaults(rule, c.options);
      const p = Float64Array.from(fx.rosenbrock.x0);
      const state: Record<string, Float64Array> = {};
      for (const s of rule.stateNames) if (rule.uses(s, hyper)) state[s] = new Float64Array(2).fill(rule.initState(s, hyper));
      const scalars = rule.initScalars(hyper);
      for (let t = 1; t <= 20; t++) {
        rule.step64(p, rosenGrad(p), state, rule.coefficients(t, hyper, scalars), hyper);
        const want = c.trajectory[t - 1];
        for (let i = 0; i < 2; i++) {
          expect(Math.abs(p[i] - want[i]), `step ${t} coordinate ${i}: ${p[i]} vs ${want[i]}`).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(want[i])));
        }
      }
    });
  }
});

for (const isa of isas) {
  describe(`fused wasm rules vs PyTorch on a small MLP (f32, ${isa})`, () => {
    const e = engineFor(isa);
    const { inputs, hidden, outputs, batch, params0 } = fx.mlp;
    const x = Float32Array.from(batch.x.flat());
    const labels = Int32Array.from(batch.labels);
    // Adagrad, RMSprop and Adamax divide by √(accumulated g²) or max|g|: early on that is close to
    // g/|g|, so f32 differences in tiny gradient components (different summation orders in
    // our backward pass and torch's) grow to 1–4e-5 relative. Their MLP parity is an open
    // item of issue #4 (their f64 Rosenbrock parity above holds to 1e-10).
    const open = new Set(['adagrad', 'rmsprop', 'adamax']);
    for (const c of fx.mlp.cases.filter((c: { optimizer: string; source: string }) => usable(c))) {
      it(label(c), () => {
        const model = new Model(e, { inputs, layers: [{ units: hidden, activation: 'tanh' }, { units: outputs }], loss: 'softmax-cross-entropy' });
        model.parameters().data.set(params0);
        const rule = rules[c.optimizer as RuleName] as (typeof rules)['adam'];
        const hyper = withDefaults(rule, c.options);
        const n = model.parameterCount;
        const arena = e.arena('optimizer state');
        const state: Record<string, number> = {};
        for (const s of rule.stateNames) if (rule.uses(s, hyper)) state[s] = arena.tensor([n], new Array(n).fill(rule.initState(s, hyper))).pointer();
        const scalars = rule.initScalars(hyper);
        let worst = 0, worstNorm = 0;
        for (let t = 1; t <= 20; t++) {
          const loss = model.lossAndGradient({ x, n: labels.length, labels });
          expect(Math.abs(loss - c.losses[t - 1])).toBeLessThanOrEqual(1e-5 * Math.max(1, c.losses[t - 1]));
          rule.kernel(e.kernels, n, model.parameters().pointer(), model.gradients().pointer(), state, rule.coefficients(t, hyper, scalars), hyper);
          const got = model.parameters().data;
          const want: number[] = c.params[t - 1];
          let num = 0, den = 0;
          for (let i = 0; i < n; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-2));
            num += (got[i] - want[i]) ** 2;
            den += want[i] ** 2;
          }
          worstNorm = Math.max(worstNorm, Math.sqrt(num / den));
        }
        expect(worstNorm, `${label(c)}: worst normwise relative difference ${worstNorm}`).toBeLessThanOrEqual(1e-6);
        // f32 on both sides, different summation orders in the forward/backward pass: the
        // difference after 20 steps is a few ulps of the parameters' scale
        if (!open.has(c.optimizer)) expect(worst, `${label(c)}: worst relative difference ${worst}`).toBeLessThanOrEqual(1e-5);
        arena.release();
        model.release();
      });
    }
  });
}
