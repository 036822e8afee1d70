// What the layers placed between Dense layers (batch/layer norm, dropout) share: where they may
// stand, and their initial values.

import { DescentError } from '../../engine/errors.js';
import type { DenseLayer, PlanContext } from './layer.js';

/** Throws unless the layer follows another and is not the output layer (the loss reads a Dense one). */
export function normPlacement(ctx: PlanContext, label: string): void {
  if (ctx.first) throw new DescentError(`${label}: must follow a Dense layer, not be the first layer`);
  if (ctx.last) throw new DescentError(`${label}: the last layer must be Dense (the loss reads its outputs)`);
}

/**
 * γ = 1, β = 0; running mean 0, variance 1 (as PyTorch). No draws from the model's generator,
 * so the Dense layers get the same weights as without these layers.
 */
export function resetNorm(l: DenseLayer): void {
  l.W.data.fill(1);
  l.b?.data.fill(0);
  l.runningMean?.data.fill(0);
  l.runningVar?.data.fill(1);
}
