// Full-batch training: the classical minimizers (src/minimize/) as optimizers of fit.
//
//   fit(model, data, { optimizer: lbfgs(), epochs: 200 })
//   fit(model, data, { optimizer: lbfgsTorch({ lineSearchFn: 'strong_wolfe' }), epochs: 10 })  // torch's LBFGS: epoch = step()
//
// The network and its training data become one objective of the flat parameter vector
// (nn/objective.ts: mean loss, gradient by backprop, residuals + Jacobian for MSE models), and
// minimize() runs on it from the model's current parameters, one iteration per "epoch" of
// the history: loss (and training accuracy) at that iterate, validation loss/accuracy when
// there is validation data, onEpochEnd after each iteration (return 'stop' to stop), the
// abort signal checked there too. `epochs` is the iteration limit; batchSize 'full' (the
// default here) uses every training sample, a number uses a fixed random subset of that size
// (drawn once with the fit seed). History gains `evaluations` (value + gradient + residual
// calls) and `minimize` (the minimizer's result: reason, counts).

import { DescentError } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { minimize, type MethodName, type MinimizeSettings } from '../minimize/minimize.js';
import type { MinimizeResult } from '../minimize/context.js';
import type { Optimizer } from './optimizer.js';
import { torchLbfgsSettings, type TorchLbfgsOptions } from '../minimize/methods/lbfgs-torch.js';

export type FullBatchSettings = Omit<MinimizeSettings, 'method' | 'maxIterations' | 'callback' | 'history'> & {
  /** L2 penalty on the weights (not biases) added to the training loss: ½λ‖W‖². */
  weightDecay?: number;
};

export interface FullBatchOptimizer extends Optimizer {
  readonly fullBatch: true;
  readonly method: MethodName;
  readonly settings: FullBatchSettings;
  /** The last run's minimizer result. */
  lastResult?: MinimizeResult;
}

function make(method: MethodName, settings: FullBatchSettings = {}): FullBatchOptimizer {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) throw new DescentError(`${method}: settings must be an object, got ${settings === null ? 'null' : Array.isArray(settings) ? 'an array' : typeof settings}`);
  for (const k of ['toString', 'valueOf', 'constructor', '__proto__', 'hasOwnProperty']) {
    if (Object.prototype.hasOwnProperty.call(settings, k)) throw new DescentError(`${method}: unknown setting ${JSON.stringify(k)}`);
  }
  if ('method' in settings || 'maxIterations' in settings || 'callback' in settings) {
    throw new DescentError(`${method}: give the iteration limit as fit's epochs and callbacks to fit, not to the method`);
  }
  return {
    name: method, fullBatch: true, method, settings,
    step(_p: Tensor, _g: Tensor) {
      throw new DescentError(`${method} is a full-batch method: use it through fit(…, { optimizer }) or minimize(), not step by step`);
    },
  };
}

export const lbfgs = (s?: FullBatchSettings): FullBatchOptimizer => make('lbfgs', s);
export const bfgs = (s?: FullBatchSettings): FullBatchOptimizer => make('bfgs', s);
/**
 * torch.optim.LBFGS(model.parameters(), …) replayed (minimize's 'lbfgs-torch'): each epoch of
 * fit is one `optimizer.step(closure)` call of up to maxIter iterations over the full batch,
 * so `for epoch in range(E): optimizer.step(closure)` is fit(…, { epochs: E }). Options are
 * torch's (camelCase, same defaults), plus weightDecay (½λ‖W‖² added to the loss).
 */
export const lbfgsTorch = (s: TorchLbfgsOptions & { weightDecay?: number } = {}): FullBatchOptimizer => {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new DescentError(`lbfgs-torch: settings must be an object, got ${s === null ? 'null' : Array.isArray(s) ? 'an array' : typeof s}`);
  const { weightDecay, ...torch } = s;
  torchLbfgsSettings(torch); // refuse bad options now, not at fit time
  return make('lbfgs-torch', { ...(weightDecay !== undefined ? { weightDecay } : {}), lbfgsTorch: torch });
};
export const conjugateGradient = (s?: FullBatchSettings): FullBatchOptimizer => make('cg', s);
export const scaledConjugateGradient = (s?: FullBatchSettings): FullBatchOptimizer => make('scg', s);
export const steepestDescent = (s?: FullBatchSettings): FullBatchOptimizer => make('steepest-descent', s);
export const newtonCg = (s?: FullBatchSettings): FullBatchOptimizer => make('newton-cg', s);
export const newtonMethod = (s?: FullBatchSettings): FullBatchOptimizer => make('newton', s);
/**
 * Levenberg–Marquardt on a network's MSE residuals. MINPACK's form with R from JᵀJ
 * (lm.factorization 'gram': JᵀJ in the engine's wasm kernels — Householder QR in TypeScript
 * took 10× the time at a few hundred parameters) unless lm says otherwise.
 */
export const levenbergMarquardt = (s?: FullBatchSettings): FullBatchOptimizer =>
  make('lm', s !== null && typeof s === 'object' && !Array.isArray(s) ? { ...s, lm: { factorization: 'gram', ...s.lm } } : s);

export function isFullBatch(o: Optimizer): o is FullBatchOptimizer {
  return (o as Partial<FullBatchOptimizer>).fullBatch === true;
}

export { minimize };
