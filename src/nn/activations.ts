// Activation functions: names, the kernel ids of assembly/nn/activations.ts, and the
// initialization each one wants.
//
//   linear    y = z                          f' = 1
//   sigmoid   y = 1/(1+e^{−z})               f' = y(1−y)
//   tanh      y = tanh z                     f' = 1 − y²
//   relu      y = max(0, z)                  f' = [y > 0]
//   leaky     y = z ≥ 0 ? z : αz  (0≤α<1)    f' = y > 0 ? 1 : α
//   elu       y = z > 0 ? z : α(e^z − 1)     f' = z > 0 ? 1 : α·e^z                  (z)
//   softsign  y = z/(1+|z|)                  f' = (1 − |y|)²
//   gelu      y = z·Φ(z)                     f' = Φ(z) + z·φ(z)                       (z)
//   gelu-tanh y = ½z(1 + tanh(√(2/π)(z + 0.044715z³)))   PyTorch's approximate='tanh'  (z)
//   silu      y = z·σ(z)   (alias swish)     f' = σ(z)(1 + z(1 − σ(z)))               (z)
//   softplus  y = z > 20 ? z : log(1 + e^z)  f' = σ(z) (1 above 20)                   (z)
//   selu      y = λ(z > 0 ? z : α(e^z − 1))  f' = z > 0 ? λ : λα·e^z                  (z)
//             λ ≈ 1.0507, α ≈ 1.6733 (Klambauer et al. 2017)
//   mish      y = z·tanh(softplus z)                                                  (z)
//   hardtanh  y = min(max(z, −1), 1)         f' = −1 < z < 1 ? 1 : 0
// Most derivatives are written in terms of the output y, so those layers keep only their
// output. The ones marked (z) need the pre-activation z in backward (from the output alone
// they would be ambiguous — gelu, silu and mish are not monotone — or inaccurate: elu's
// y + α cancels for z ≪ 0, 4e-4 relative at z = −10); the model keeps z for those layers
// (needsPreActivation; nn/model.ts) and the kernel's backward takes z for them
// (assembly/nn/activations.ts). These follow PyTorch 1.13's definitions and defaults
// (nn.GELU, nn.SiLU, nn.Softplus(beta=1, threshold=20), nn.SELU, nn.Mish, nn.Hardtanh(−1, 1));
// softplus's β and threshold and hardtanh's bounds are fixed at those defaults.
//
// Gains (the factor on the variance-preserving scale, as in the lectures and Glorot & Bengio
// 2010): 1 for linear, tanh and softsign; 4 for the logistic sigmoid (its slope at 0 is ¼);
// √2 for ReLU (He et al. 2015: half the units are off); √(2/(1+α²)) for leaky ReLU; 1 for ELU;
// 3/4 for SELU (torch.nn.init.calculate_gain's value; for a self-normalizing network use
// { name: 'he-normal', gain: 1 }, LeCun normal, as Klambauer et al.); 1 for gelu, gelu-tanh,
// silu, softplus, mish and hardtanh, for which calculate_gain defines none.
// Defaults: the ReLU family (with elu, selu, gelu, silu, softplus, mish) starts from He
// (Kaiming) normal, the rest from Glorot uniform.

import { DescentError, show } from '../engine/errors.js';

export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu', 'leaky-relu', 'elu', 'softsign',
  'gelu', 'gelu-tanh', 'silu', 'softplus', 'selu', 'mish', 'hardtanh'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Kernel ids: the order of ACTIVATIONS. */
export function activationKind(name: ActivationName): number {
  return ACTIVATIONS.indexOf(name);
}

/** Whether the derivative is computed from the pre-activation z (the model keeps z), not from y. */
export function needsPreActivation(name: ActivationName): boolean {
  return name === 'elu' || name === 'gelu' || name === 'gelu-tanh' || name === 'silu' || name === 'softplus' || name === 'selu' || name === 'mish';
}

export function checkActivation(name: unknown, alpha: number | undefined, what: string): { name: ActivationName; alpha: number } {
  const aliases: Record<string, ActivationName> = { leaky_relu: 'leaky-relu', leakyrelu: 'leaky-relu', logistic: 'sigmoid', identity: 'linear', none: 'linear',
    swish: 'silu', gelu_tanh: 'gelu-tanh', hard_tanh: 'hardtanh', 'hard-tanh': 'hardtanh' };
  const n = typeof name === 'string' ? (aliases[name.toLowerCase()] ?? name.toLowerCase()) : name;
  if (!ACTIVATIONS.includes(n as ActivationName)) {
    throw new DescentError(`${what}: unknown activation ${JSON.stringify(name)}; known: ${ACTIVATIONS.join(', ')}`);
  }
  const act = n as ActivationName;
  let a = alpha ?? (act === 'leaky-relu' ? 0.01 : act === 'elu' ? 1 : 0);
  if (typeof a !== 'number' || !Number.isFinite(a)) throw new DescentError(`${what}: alpha must be a finite number, got ${show(alpha)}`);
  if (act === 'leaky-relu' && !(a >= 0 && a < 1)) throw new DescentError(`${what}: leaky-relu alpha must be in [0, 1), got ${a}`);
  if (act === 'elu' && !(a > 0)) throw new DescentError(`${what}: elu alpha must be > 0, got ${a}`);
  if (act !== 'leaky-relu' && act !== 'elu') a = 0;
  return { name: act, alpha: a };
}

export function activationGain(name: ActivationName, alpha = 0): number {
  switch (name) {
    case 'sigmoid': return 4;
    case 'relu': return Math.SQRT2;
    case 'leaky-relu': return Math.sqrt(2 / (1 + alpha * alpha));
    case 'selu': return 0.75;
    default: return 1;
  }
}

export function defaultInit(name: ActivationName): 'he-normal' | 'glorot-uniform' {
  switch (name) {
    case 'relu': case 'leaky-relu': case 'elu': case 'selu': case 'gelu': case 'gelu-tanh': case 'silu': case 'softplus': case 'mish':
      return 'he-normal';
    default:
      return 'glorot-uniform';
  }
}
