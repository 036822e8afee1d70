// Losses, as means over the batch of B samples (kernels in assembly/nn/losses.ts):
//
//   mse                    L = (1/B) Σ_b ½‖y_b − t_b‖²            ∂L/∂y = (y − t)/B
//       (the ½ convention: the gradient has no factor 2; L is half of PyTorch's MSELoss
//        with reduction='sum' divided by B)
//   softmax-cross-entropy  L = (1/B) Σ_b [log Σ_j e^{z_bj} − z_b,label]     ∂L/∂z = (softmax(z) − onehot)/B
//       fused with the softmax on the logits z of a linear output layer; log-sum-exp after
//       subtracting the row maximum, so logits of ±1000 stay finite.
//   bce-logits             L = (1/B) Σ [max(z,0) − z·t + log(1 + e^{−|z|})]   ∂L/∂z = (σ(z) − t)/B
//       binary cross-entropy on logits (stable form); linear output layer
//   bce                    L = −(1/B) Σ [t log p + (1−t) log(1−p)],  p clamped to [1e−7, 1 − 1e−7]
//       binary cross-entropy on probabilities (a sigmoid output layer); ∂L/∂p = (p − t)/(p(1−p)B)
// Targets: softmax-cross-entropy takes class labels; mse and the bce losses take targets, or
// labels turned into one-hot rows (mse) or 0/1 values (bce, one output).

import { DescentError } from '../engine/errors.js';
import type { ActivationName } from './activations.js';

export const LOSSES = ['softmax-cross-entropy', 'mse', 'bce-logits', 'bce'] as const;
export type LossName = (typeof LOSSES)[number];

export function checkLoss(name: unknown, what: string): LossName {
  const aliases: Record<string, LossName> = {
    'softmax-xent': 'softmax-cross-entropy', 'cross-entropy': 'softmax-cross-entropy', 'xent': 'softmax-cross-entropy',
    'categorical-cross-entropy': 'softmax-cross-entropy', 'mean-squared-error': 'mse',
    'binary-cross-entropy': 'bce', 'bce-with-logits': 'bce-logits',
  };
  const n = typeof name === 'string' ? (aliases[name.toLowerCase()] ?? name.toLowerCase()) : name;
  if (!LOSSES.includes(n as LossName)) {
    throw new DescentError(`${what}: unknown loss ${JSON.stringify(name)}; known: ${LOSSES.join(', ')}`);
  }
  return n as LossName;
}

/** The output activation a loss expects, where it constrains it. */
export function lossOutputActivation(loss: LossName): ActivationName | undefined {
  if (loss === 'softmax-cross-entropy' || loss === 'bce-logits') return 'linear';
  return undefined;
}

/** Whether accuracy is meaningful: the loss is a classification loss, or mse on one-hot labels. */
export function isClassification(loss: LossName): boolean {
  return loss !== 'mse';
}
