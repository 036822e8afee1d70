// A float64 forward pass of a Model with Dense, batch-norm, layer-norm and dropout layers (the
// latter with a given mask), for finite-difference checks of the model's backward pass. Written
// from the formulas (reference-mlp.ts's Dense layers plus reference-norm.ts), not from the kernels.
// checkModelGradient: the model's loss and every gradient entry (mask fixed: model.frozen) against
// central differences of it, with model.test.ts's tolerance.
import { expect } from 'vitest';
import type { Model } from '../src/nn/model.js';
import { act, meanLoss, numericGradient } from './reference-mlp.js';
import { randomF32, rng } from './reference.js';
import { bnTrainF64, lnF64 } from './reference-norm.js';

/** Outputs of the model's layers in training mode on x (n rows), parameters theta; masks per dropout layer index. */
export function modelForwardF64(model: Model, theta: Float64Array, x: Float64Array, n: number, masks: Map<number, Float32Array>): Float64Array {
  let a = x;
  for (const l of model.layers) {
    const c = l.units;
    const W = theta.subarray(l.weightOffset, l.weightOffset + l.inputs * l.units);
    const b = l.hasBias ? theta.subarray(l.biasOffset, l.biasOffset + c) : new Float64Array(c);
    let out: Float64Array;
    switch (l.type) {
      case 'dense':
        out = new Float64Array(n * c);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < c; j++) {
            let s = b[j];
            for (let p = 0; p < l.inputs; p++) s += a[i * l.inputs + p] * W[p * c + j];
            out[i * c + j] = s;
          }
        }
        break;
      case 'batchnorm': out = bnTrainF64(n, c, a, W, b, Math.fround(l.eps!)).y; break;
      case 'layernorm': out = lnF64(n, c, a, W, b, Math.fround(l.eps!)).y; break;
      case 'dropout': { const m = masks.get(l.index)!; out = a.map((v, i) => v * m[i]); break; }
      default: throw new Error(`no reference for layer type ${l.type}`);
    }
    a = out.map((z) => act(l.activation, l.alpha, z));
  }
  return a;
}

function vec(c: number, seed: number, lo: number, hi: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: c }, () => lo + (hi - lo) * r());
}

/** Model gradient vs central differences of the f64 reference (all parameters); returns the worst error / scale. */
export function checkModelGradient(model: Model, n: number, seed: number, masks = new Map<number, Float32Array>()): number {
  const k = model.outputs, r = rng(seed);
  const x = randomF32(n * model.inputs, seed + 1).map((v, i) => v + (i % 3));
  const labels = Int32Array.from({ length: n }, () => Math.floor(r() * k));
  for (const l of model.layers) {
    if (l.type === 'batchnorm' || l.type === 'layernorm') { l.W.data.set(vec(l.units, seed + l.index, 0.5, 1.5)); l.b!.data.set(vec(l.units, seed + 50 + l.index, -0.3, 0.3)); }
  }
  model.frozen = true;
  const got = model.lossAndGradient({ x, n, labels });
  const grad = model.gradients().toArray();
  const theta = Float64Array.from(model.parameters().data);
  const x64 = Float64Array.from(x);
  const f = (t: Float64Array) => meanLoss(model.loss, modelForwardF64(model, t, x64, n, masks), n, k, labels);
  const want = f(theta);
  expect(Math.abs(got - want), `loss ${got} vs ${want}`).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(want)));
  const num = numericGradient(f, theta);
  const scale = Math.max(...num.map(Math.abs), 1e-3);
  let worstErr = 0;
  for (let i = 0; i < num.length; i++) {
    const err = Math.abs(grad[i] - num[i]);
    if (!(err <= 2e-4 * scale + 1e-3 * Math.abs(num[i]))) throw new Error(`${model.describe()}: ∂L/∂θ[${i}] = ${grad[i]}, finite differences ${num[i]}`);
    worstErr = Math.max(worstErr, err / scale);
  }
  return worstErr;
}

