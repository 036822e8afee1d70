// Gradient clipping, in place on the flat gradient vector g (or any tensor):
//
//   by value:        gᵢ ← min(max(gᵢ, −c), c)
//   by global norm:  g ← g · min(1, c / (‖g‖₂ + 1e−6))        (PyTorch clip_grad_norm_)
//   per layer:       the same, separately for each layer's slice [W | b] of the flat vector
// Each returns the norm(s) before clipping, for logging. Norms accumulate in f64
// (assembly/blas1.ts nrm2), so they do not overflow for any f32 input; a non-finite norm
// leaves g unscaled and is reported as is (the caller decides what a NaN gradient means).

import { DescentError } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import type { Model } from '../nn/model.js';
import { checkTensor } from '../ops/check.js';

function checkLimit(c: unknown, what: string): number {
  if (typeof c !== 'number' || !Number.isFinite(c) || c <= 0) {
    throw new DescentError(`${what}: the limit must be a positive finite number, got ${typeof c === 'number' ? c : typeof c}`);
  }
  return c;
}

/** Clamp every element to [−limit, limit]; returns the L2 norm before clipping. */
export function clipByValue(g: Tensor, limit: number): number {
  checkLimit(limit, 'clipByValue');
  checkTensor(g, 'clipByValue', 'g');
  const K = g.engine.kernels;
  const norm = K.nrm2(g.size, g.pointer());
  K.clamp(g.size, -limit, limit, g.pointer());
  return norm;
}

/** Scale g so that ‖g‖₂ ≤ maxNorm; returns the norm before clipping. */
export function clipByGlobalNorm(g: Tensor, maxNorm: number): number {
  checkLimit(maxNorm, 'clipByGlobalNorm');
  checkTensor(g, 'clipByGlobalNorm', 'g');
  const K = g.engine.kernels;
  const norm = K.nrm2(g.size, g.pointer());
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) K.scal(g.size, coef, g.pointer());
  return norm;
}

/** Clip each layer's gradient slice separately; returns the per-layer norms before clipping. */
export function clipPerLayer(model: Model, maxNorm: number, g: Tensor = model.gradients()): number[] {
  checkLimit(maxNorm, 'clipPerLayer');
  return model.layers.map((l) => {
    const size = l.inputs * l.units + (l.hasBias ? l.units : 0);
    return clipByGlobalNorm(g.view(l.weightOffset, [size]), maxNorm);
  });
}
