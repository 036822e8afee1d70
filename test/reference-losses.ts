// Plain float64 reference of the losses (assembly/nn/losses.ts computes them in f32 with f64
// sums): the terms (PyTorch's reduction='none') and the gradient of their sum with respect to
// the logits / outputs, with the same cancellation-free formulas as the kernels (nn/losses.ts).
import { lossDivisor, type LossConfig } from '../src/nn/losses.js';

export interface LossInput {
  B: number;
  C: number;
  /** B×C logits or outputs, row-major. */
  x: ArrayLike<number>;
  labels?: ArrayLike<number>;
  targets?: ArrayLike<number>;
}

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Terms and ∂(Σ terms)/∂x in float64. */
export function referenceLoss(c: LossConfig, inp: LossInput): { terms: Float64Array; grad: Float64Array } {
  const { B, C, x } = inp;
  const grad = new Float64Array(B * C);
  if (c.name === 'softmax-cross-entropy') {
    const eps = c.labelSmoothing ?? 0;
    const terms = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      const z = Array.from({ length: C }, (_, j) => x[b * C + j]);
      const m = Math.max(...z);
      // log Σ e^{z − m} = log1p(Σ_{k≠argmax} e^{z_k − m} + (ties − 1))
      let others = 0, ties = -1;
      for (const v of z) if (v === m) ties++; else others += Math.exp(v - m);
      others += ties;
      const l1p = Math.log1p(others);
      const t = z.map((_, j) => (inp.labels ? (j === inp.labels[b] ? 1 - eps : 0) + eps / C : inp.targets![b * C + j] * (1 - eps) + eps / C));
      let T = 0, S = 0;
      for (let j = 0; j < C; j++) { T += t[j]; S += t[j] * (m - z[j]); }
      terms[b] = S + T * l1p;
      for (let j = 0; j < C; j++) grad[b * C + j] = (Math.exp(z[j] - m) / (1 + others)) * T - t[j];
    }
    return { terms, grad };
  }
  const terms = new Float64Array(B * C);
  const t = inp.targets!;
  for (let i = 0; i < B * C; i++) {
    const y = x[i], d = y - t[i];
    switch (c.name) {
      case 'mse': terms[i] = 0.5 * d * d; grad[i] = d; break;
      case 'mse-mean': terms[i] = d * d; grad[i] = 2 * d; break;
      case 'huber': {
        const dl = c.delta!;
        terms[i] = Math.abs(d) < dl ? 0.5 * d * d : dl * (Math.abs(d) - 0.5 * dl);
        grad[i] = Math.min(Math.max(d, -dl), dl);
        break;
      }
      case 'smooth-l1': {
        const be = c.beta!;
        terms[i] = Math.abs(d) < be ? (0.5 * d * d) / be : Math.abs(d) - 0.5 * be;
        grad[i] = be > 0 ? Math.min(Math.max(d / be, -1), 1) : Math.sign(d);
        break;
      }
      case 'bce-logits': {
        const w = c.posWeight ? c.posWeight[i % C] : 1;
        terms[i] = (1 - t[i]) * softplus(y) + w * t[i] * softplus(-y);
        grad[i] = (1 - t[i]) * sigmoid(y) - w * t[i] * sigmoid(-y);
        break;
      }
      case 'bce': {
        const p = Math.min(Math.max(y, 1e-7), 1 - 1e-7);
        terms[i] = -(t[i] * Math.log(p) + (1 - t[i]) * Math.log1p(-p));
        grad[i] = (p - t[i]) / (p * (1 - p));
        break;
      }
    }
  }
  return { terms, grad };
}

/** The reduced value and its gradient (descent's reductions: nn/losses.ts). */
export function referenceReduced(c: LossConfig, inp: LossInput): { value: number; grad: Float64Array } {
  const { terms, grad } = referenceLoss(c, inp);
  const div = lossDivisor(c, inp.B, inp.C);
  let s = 0;
  for (const v of terms) s += v;
  return { value: s / div, grad: grad.map((g) => g / div) };
}
