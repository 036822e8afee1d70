// Activation functions: names, the kernel ids of assembly/nn/activations.ts, and the
// initialization each one wants.
//
//   linear    y = z                          f' = 1
//   sigmoid   y = 1/(1+e^{−z})               f' = y(1−y)
//   tanh      y = tanh z                     f' = 1 − y²
//   relu      y = max(0, z)                  f' = [y > 0]
//   leaky     y = z ≥ 0 ? z : αz  (0≤α<1)    f' = y > 0 ? 1 : α
//   elu       y = z > 0 ? z : α(e^z − 1)     f' = y > 0 ? 1 : y + α
//   softsign  y = z/(1+|z|)                  f' = (1 − |y|)²
// Every derivative is written in terms of the output y, so a layer keeps only its output.
//
// Gains (the factor on the variance-preserving scale, as in the lectures and Glorot & Bengio
// 2010): 1 for linear, tanh and softsign; 4 for the logistic sigmoid (its slope at 0 is ¼);
// √2 for ReLU (He et al. 2015: half the units are off); √(2/(1+α²)) for leaky ReLU; 1 for ELU.
// Defaults: the ReLU family starts from He (Kaiming) normal, the rest from Glorot uniform.

import { DescentError, show } from '../engine/errors.js';

export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu', 'leaky-relu', 'elu', 'softsign'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Kernel ids: the order of ACTIVATIONS. */
export function activationKind(name: ActivationName): number {
  return ACTIVATIONS.indexOf(name);
}

export function checkActivation(name: unknown, alpha: number | undefined, what: string): { name: ActivationName; alpha: number } {
  const aliases: Record<string, ActivationName> = { leaky_relu: 'leaky-relu', leakyrelu: 'leaky-relu', logistic: 'sigmoid', identity: 'linear', none: 'linear' };
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
    default: return 1;
  }
}

export function defaultInit(name: ActivationName): 'he-normal' | 'glorot-uniform' {
  return name === 'relu' || name === 'leaky-relu' || name === 'elu' ? 'he-normal' : 'glorot-uniform';
}
