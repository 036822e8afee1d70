import { describe, expect, it } from 'vitest';
import { Model, type Batch, type LayerSpec } from '../src/nn/model.js';
import { gradientCheck, type Checkable } from '../src/diagnostics/gradient-check.js';
import { isas, engineFor } from './engines.js';
import { randomF32, rng } from './reference.js';

const LOG = process.env.DESCENT_DIAG_LOG === '1';

function batchFor(model: Model, loss: string, n: number, seed: number): Batch {
  const k = model.outputs;
  const r = rng(seed);
  const x = randomF32(n * model.inputs, seed + 1);
  if (loss === 'softmax-cross-entropy') return { x, n, labels: Int32Array.from({ length: n }, () => Math.floor(r() * k)) };
  if (loss === 'bce' || loss === 'bce-logits') return { x, n, targets: Float32Array.from({ length: n * k }, () => (r() < 0.5 ? 0 : 1)) };
  return { x, n, targets: randomF32(n * k, seed + 2) };
}

const cases: { loss: string; layers: LayerSpec[] }[] = [
  { loss: 'softmax-cross-entropy', layers: [{ units: 8, activation: 'tanh' }, { units: 6, activation: 'relu' }, { units: 4, activation: 'sigmoid' }, { units: 3 }] },
  { loss: 'mse', layers: [{ units: 8, activation: 'relu' }, { units: 6, activation: 'sigmoid' }, { units: 2, activation: 'tanh' }] },
  { loss: 'bce-logits', layers: [{ units: 8, activation: 'sigmoid' }, { units: 6, activation: 'tanh' }, { units: 1 }] },
  { loss: 'bce', layers: [{ units: 8, activation: 'tanh' }, { units: 6, activation: 'relu' }, { units: 2, activation: 'sigmoid' }] },
];

for (const isa of isas) {
  describe(`gradientCheck ${isa}`, () => {
    const e = engineFor(isa);

    for (const c of cases) {
      it(`passes on tanh/relu/sigmoid MLPs with ${c.loss} (10 initializations), and leaves θ bit for bit`, () => {
        let worst = 0, worstRaw = 0;
        for (let seed = 0; seed < 10; seed++) {
          const model = new Model(e, { inputs: 5, layers: c.layers, loss: c.loss, seed });
          for (const l of model.layers) l.b?.data.set(randomF32(l.units, 40 + l.index + seed).map((v) => 0.1 * v));
          const batch = batchFor(model, c.loss, 12, 7 + seed);
          const before = model.parameters().toArray();
          const r = gradientCheck(model, batch, { samples: 12, seed });
          expect(r.layers).toHaveLength(c.layers.length);
          for (const l of r.layers) {
            const ml = model.layers[l.layer];
            expect(l.checked).toBe(Math.min(12, ml.inputs * ml.units) + Math.min(12, ml.units));
          }
          expect(r.passed, `seed ${seed}: ${JSON.stringify(r.layers)}`).toBe(true);
          expect(model.parameters().toArray()).toEqual(before);
          // without the rounding allowance: the raw relative differences of float32 quotients
          const raw = gradientCheck(model, batch, { samples: 12, seed, noise: 0 });
          worst = Math.max(worst, r.maxRelativeError);
          worstRaw = Math.max(worstRaw, raw.maxRelativeError);
          model.release();
        }
        if (LOG) console.log(`${isa} ${c.loss}: max relative error ${worst.toExponential(2)} (raw, noise 0: ${worstRaw.toExponential(2)})`);
        expect(worst).toBeLessThan(1e-2);
        expect(worstRaw).toBeLessThan(5e-2);
      });
    }

    it('fails detectably when the gradient is corrupted, naming the layer', () => {
      const model = new Model(e, { inputs: 5, layers: cases[0].layers, loss: cases[0].loss, seed: 3 });
      const batch = batchFor(model, cases[0].loss, 12, 7);
      const bad = model.layers[1];
      let factor = 1.1;
      // a model whose backward pass is wrong by 10% in one layer's weight gradient
      const corrupted: Checkable = {
        layers: model.layers,
        parameterCount: model.parameterCount,
        parameters: () => model.parameters(),
        gradients: () => model.gradients(),
        lossOnly: (b) => model.lossOnly(b),
        lossAndGradient: (b) => {
          const loss = model.lossAndGradient(b);
          const g = model.gradients().data;
          for (let i = bad.weightOffset; i < bad.weightOffset + bad.inputs * bad.units; i++) g[i] *= factor;
          return loss;
        },
      };
      const before = model.parameters().toArray();
      const r = gradientCheck(corrupted, batch, { samples: 48, seed: 1 });
      if (LOG) console.log(`${isa} corrupted ×1.1: per layer ${r.layers.map((l) => l.maxRelativeError.toExponential(2)).join(' ')}`);
      expect(r.passed).toBe(false);
      expect(r.layers[1].maxRelativeError).toBeGreaterThan(0.05);
      for (const l of r.layers) if (l.layer !== 1) expect(l.maxRelativeError).toBeLessThan(1e-2);
      // 3% is still seen
      factor = 1.03;
      const r3 = gradientCheck(corrupted, batch, { samples: 48, seed: 1 });
      if (LOG) console.log(`${isa} corrupted ×1.03: per layer ${r3.layers.map((l) => l.maxRelativeError.toExponential(2)).join(' ')}`);
      expect(r3.passed).toBe(false);
      expect(r3.layers[1].maxRelativeError).toBeGreaterThan(0.015);
      expect(model.parameters().toArray()).toEqual(before);
      // a sign error in one bias is caught as well
      const flipped: Checkable = {
        ...corrupted,
        lossAndGradient: (b) => {
          const loss = model.lossAndGradient(b);
          const g = model.gradients().data;
          g[model.layers[3].biasOffset + 1] *= -1;
          return loss;
        },
      };
      const f = gradientCheck(flipped, batch, { samples: 48, seed: 1 });
      expect(f.layers[3].maxRelativeError).toBeGreaterThan(1);
      expect(f.layers[3].worst.index).toBe(model.layers[3].biasOffset + 1);
      model.release();
    });

    it('restores θ when the loss throws, and names bad options', () => {
      const model = new Model(e, { inputs: 3, layers: [{ units: 2 }], loss: 'mse' });
      const before = model.parameters().toArray();
      expect(() => gradientCheck(model, { x: new Float32Array(3), n: 1 })).toThrow(/targets/);
      expect(() => gradientCheck(model, { x: new Float32Array(3), n: 1, targets: new Float32Array(2) }, { epsilon: 0 })).toThrow(/epsilon/);
      expect(() => gradientCheck(model, { x: new Float32Array(3), n: 1, targets: new Float32Array(2) }, { samples: 1.5 })).toThrow(/samples/);
      expect(model.parameters().toArray()).toEqual(before);
      model.release();
    });
  });
}
