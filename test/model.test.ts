import { describe, expect, it } from 'vitest';
import { Model, type LayerSpec } from '../src/nn/model.js';
import { isas, engineFor } from './engines.js';
import { forward, meanLoss, numericGradient, type RefLayer } from './reference-mlp.js';
import { randomF32, rng } from './reference.js';

const activations = ['linear', 'sigmoid', 'tanh', 'relu', 'leaky-relu', 'elu', 'softsign'] as const;

function refLayers(model: Model): RefLayer[] {
  return model.layers.map((l) => ({ inputs: l.inputs, units: l.units, activation: l.activation, alpha: l.alpha, bias: l.hasBias }));
}

for (const isa of isas) {
  describe(`model ${isa}: forward and backward vs a float64 reference with finite differences`, () => {
    const e = engineFor(isa);

    function check(layers: LayerSpec[], loss: string, inputs: number, n: number, seed: number) {
      const model = new Model(e, { inputs, layers, loss, seed });
      const k = model.outputs;
      const r = rng(seed);
      const x = randomF32(n * inputs, seed + 7);
      const labels = Int32Array.from({ length: n }, () => Math.floor(r() * (k === 1 ? 2 : k)));
      const targets = loss === 'bce' || loss === 'bce-logits'
        ? Float32Array.from({ length: n * k }, () => (r() < 0.5 ? 0 : 1))
        : randomF32(n * k, seed + 9);
      // small random biases so every path of the bias gradient is exercised
      for (const l of model.layers) if (l.b) l.b.data.set(randomF32(l.units, seed + l.index).map((v) => 0.1 * v));
      const batch = loss === 'softmax-cross-entropy' ? { x, n, labels } : { x, n, targets };
      const got = model.lossAndGradient(batch);
      const grad = model.gradients().toArray();
      const theta = Float64Array.from(model.parameters().data); // read after the call: it may grow memory
      const x64 = Float64Array.from(x), t64 = Float64Array.from(targets);
      const f = (t: Float64Array) => meanLoss(loss, forward(refLayers(model), t, x64, n), n, k, labels, t64);
      const want = f(theta);
      expect(Math.abs(got - want), `loss ${got} vs ${want}`).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(want)));
      const num = numericGradient(f, theta);
      const scale = Math.max(...num.map(Math.abs), 1e-3);
      for (let i = 0; i < num.length; i++) {
        if (!(Math.abs(grad[i] - num[i]) <= 2e-4 * scale + 1e-3 * Math.abs(num[i]))) {
          throw new Error(`${layers.map((l) => l.activation).join('/')} ${loss}: ∂L/∂θ[${i}] = ${grad[i]}, finite differences ${num[i]} (scale ${scale})`);
        }
      }
      model.release();
    }

    for (const a of activations) {
      it(`hidden ${a}, softmax cross-entropy`, () => {
        check([{ units: 5, activation: a, alpha: a === 'elu' ? 0.7 : a === 'leaky-relu' ? 0.1 : undefined }, { units: 4, activation: a }, { units: 3 }],
          'softmax-cross-entropy', 6, 7, 11);
      });
    }
    it('mse with a tanh output layer, a layer without bias, and batch 1', () => {
      check([{ units: 4, activation: 'relu', bias: false }, { units: 3, activation: 'tanh' }], 'mse', 5, 6, 3);
      check([{ units: 4, activation: 'sigmoid' }, { units: 2, activation: 'linear' }], 'mse', 3, 1, 4);
    });
    it('binary cross-entropy on logits and on probabilities', () => {
      check([{ units: 6, activation: 'elu' }, { units: 1 }], 'bce-logits', 4, 9, 5);
      check([{ units: 6, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], 'bce', 4, 9, 6);
      check([{ units: 3, activation: 'softsign' }, { units: 2, activation: 'sigmoid' }], 'bce', 4, 5, 7);
    });
    it('gemm-sized layers: 37 inputs, 29 and 17 units, batch 13', () => {
      check([{ units: 29, activation: 'tanh' }, { units: 17, activation: 'relu' }, { units: 10 }], 'softmax-cross-entropy', 37, 13, 8);
    });
  });
}
