// Gradient clipping, in place on the flat gradient vector g (or any tensor):
//
//   by value:        gᵢ ← min(max(gᵢ, −c), c)
//   by global norm:  g ← g · min(1, c / (‖g‖ + 1e−6))         (PyTorch clip_grad_norm_)
//   per layer:       the same, separately for each layer's slice [W | b] of the flat vector
// Each returns the norm(s) before clipping, for logging. The norm is torch's norm_type:
//   2 (default)  ‖g‖₂ = √Σgᵢ²       1  ‖g‖₁ = Σ|gᵢ|       Infinity (or 'inf')  ‖g‖∞ = max|gᵢ|
// torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type) takes the norm of all the
// parameters' gradients together, which for these three norms is the norm of the flat gradient
// vector: passing model.gradients() is clip_grad_norm_(model.parameters(), …). Other p-norms
// are not offered. 1- and 2-norms accumulate in f64 (assembly/blas1.ts asum, nrm2), so they
// do not overflow for any f32 input (torch accumulates float32 gradients in float32: its norm
// differs in the last bits, and overflows to inf where ours does not); the ∞-norm is exact.
// Deliberate difference: a non-finite norm (a NaN or ±Inf gradient) leaves g unscaled and is
// reported as is (the caller decides what a NaN gradient means); torch (error_if_nonfinite
// False) multiplies by the resulting NaN or 0 coefficient.

import { DescentError } from '../engine/errors.js';
import type { Kernels } from '../engine/kernels.js';
import type { Tensor } from '../engine/tensor.js';
import type { Model } from '../nn/model.js';
import { checkTensor } from '../ops/check.js';

/** torch's norm_type values descent supports: 1, 2, ∞ (Infinity or 'inf'). */
export type NormType = 1 | 2 | number | 'inf';

/** Infinity for 'inf', else the number; throws unless 1, 2 or ∞. */
export function checkNormType(t: unknown, what: string): 1 | 2 | number {
  const v = t === 'inf' ? Infinity : t;
  if (v !== 1 && v !== 2 && v !== Infinity) {
    throw new DescentError(`${what}: normType must be 1, 2 or Infinity ('inf'), got ${typeof t === 'string' ? JSON.stringify(t) : String(t)}`);
  }
  return v;
}

/** The norm of n floats at pointer x: 1, 2 or ∞ (checked by the caller). */
export function vectorNorm(K: Kernels, n: number, x: number, normType: number): number {
  return normType === 2 ? K.nrm2(n, x) : normType === 1 ? K.asum(n, x) : K.amax(n, x);
}

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

/**
 * Scale g by min(1, maxNorm/(‖g‖ + 1e−6)), so that ‖g‖ ≤ maxNorm (torch's clip_grad_norm_);
 * returns the norm before clipping. normType 2 (default), 1 or Infinity ('inf').
 */
export function clipByGlobalNorm(g: Tensor, maxNorm: number, normType: NormType = 2): number {
  checkLimit(maxNorm, 'clipByGlobalNorm');
  const type = checkNormType(normType, 'clipByGlobalNorm');
  checkTensor(g, 'clipByGlobalNorm', 'g');
  const K = g.engine.kernels;
  const norm = vectorNorm(K, g.size, g.pointer(), type);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) K.scal(g.size, coef, g.pointer());
  return norm;
}

/** Clip each layer's gradient slice separately; returns the per-layer norms before clipping. */
export function clipPerLayer(model: Model, maxNorm: number, g: Tensor = model.gradients(), normType: NormType = 2): number[] {
  checkLimit(maxNorm, 'clipPerLayer');
  checkNormType(normType, 'clipPerLayer');
  return model.layers.map((l) => {
    const size = l.inputs * l.units + (l.hasBias ? l.units : 0);
    return clipByGlobalNorm(g.view(l.weightOffset, [size]), maxNorm, normType);
  });
}
