// Batch normalization per feature over the batch (Ioffe & Szegedy 2015), PyTorch's BatchNorm1d:
//   training   y = γ·x̂ + β,  x̂ = (x − μ_B)/√(σ²_B + ε) with the batch's mean and biased
//              variance; running mean/variance updated with momentum (unbiased batch variance)
//   inference  the running statistics instead
//   frozen     (frozenStats: true) the running statistics in training passes too, never updated:
//              the layer is the affine map of inference while the rest of the model trains —
//              fine-tuning with torch's bn.eval() on the batch-norm modules only
// Backward after a training pass differentiates through the batch statistics; after an
// inference-mode pass (model.eval(), as torch allows) or in a frozen layer it is the gradient of
// the affine map: ∂x = dy·γ/√(σ²+ε), ∂γ = Σ dy·x̂, ∂β = Σ dy with x̂ from the running statistics
// (bnBackwardEvalLd), which are left as they are.
// γ is a [1, c] "weight" and β a [c] "bias" in the flat parameter vector; the running mean and
// variance (start 0 and 1) live in the model's state buffer and are saved with it. Kernels and
// formulas: assembly/nn/batchnorm.ts.
// After an image-shaped layer it is PyTorch's BatchNorm2d: statistics per channel over the batch
// and every pixel. In the NHWC layout that is the same kernels on an (n·h·w) × c matrix.

import { DescentError, show } from '../../engine/errors.js';
import { checkActivation } from '../activations.js';
import { checkKeys, type DenseLayer, type LayerKind } from './layer.js';
import { normPlacement, resetNorm } from './norm-common.js';

function needsTwo(l: DenseLayer, n: number): DescentError {
  return new DescentError(`model: layer ${l.index} ${l.describe()}: training mode needs a batch of at least 2 samples to normalize over, got ${n} (use model.eval() for single samples)`);
}

export const batchnorm: LayerKind = {
  type: 'batchnorm',
  inPlace: true,

  plan(s, ctx) {
    const label = `${ctx.name} (batchnorm)`;
    checkKeys(s, ['type', 'momentum', 'eps', 'activation', 'alpha', 'frozenStats'], label);
    normPlacement(ctx, label);
    const eps = (s.eps as number | undefined) ?? 1e-5;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new DescentError(`${label}: eps must be a finite number > 0, got ${show(s.eps)}`);
    const momentum = (s.momentum as number | undefined) ?? 0.1;
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new DescentError(`${label}: momentum must be a number in [0, 1], got ${show(momentum)}`);
    if (s.frozenStats !== undefined && typeof s.frozenStats !== 'boolean') throw new DescentError(`${label}: frozenStats must be true or false, got ${show(s.frozenStats)}`);
    const act = checkActivation((s.activation as string | undefined) ?? 'linear', s.alpha as number | undefined, label);
    // per channel of an image (pixels are more rows), else per feature
    const c = ctx.image ? ctx.image[2] : ctx.fanIn;
    const weightOffset = ctx.reserve(c), biasOffset = ctx.reserve(c);
    return { type: 'batchnorm', inputs: 1, units: c, fanIn: ctx.fanIn, width: ctx.fanIn, image: ctx.image, act, init: { name: 'constant', value: 1 }, hasBias: true,
      weightOffset, biasOffset, eps, momentum, stateOffset: ctx.reserveState(2 * c), config: { pixels: ctx.image ? ctx.image[0] * ctx.image[1] : 1, frozenStats: s.frozenStats ? 1 : 0 } };
  },

  describe: (p) => `BatchNorm${p.image ? '2d' : ''}(${p.units}${p.act.name === 'linear' ? '' : `, ${p.act.name}`}${p.config!.frozenStats ? ', frozen statistics' : ''})`,

  initialize: resetNorm,

  scratch: (l, n, empty) => ({ xhat: empty(n * l.width), mean: empty(l.units), invstd: empty(l.units) }),

  checkPass(l, n, training) {
    if (training && !l.config!.frozenStats && n * l.config!.pixels < 2) throw needsTwo(l, n);
  },

  forward(m, l, aux, batch, input, y, training) {
    const K = m.engine.kernels;
    const n = batch * l.config!.pixels; // rows: samples, or samples × pixels
    const c = l.units, gamma = l.W.pointer(), beta = l.b ? l.b.pointer() : 0;
    if (!training || l.config!.frozenStats) {
      K.bnForwardEval(n, c, input.pointer(), y.pointer(), gamma, beta, l.runningMean!.pointer(), l.runningVar!.pointer(), l.eps!);
      return;
    }
    if (n < 2) throw needsTwo(l, batch);
    const upd = !m.frozen;
    K.bnForwardTrainLd(n, c, c, input.pointer(), y.pointer(), aux.xhat.pointer(), gamma, beta, aux.mean.pointer(), aux.invstd.pointer(),
      upd ? l.runningMean!.pointer() : 0, upd ? l.runningVar!.pointer() : 0, l.momentum!, l.eps!);
  },

  backward(m, l, aux, batch, input, dZ, dX) {
    const n = batch * l.config!.pixels;
    const c = l.units;
    if (!m.trainedPass || l.config!.frozenStats) {
      m.engine.kernels.bnBackwardEvalLd(n, c, c, input.pointer(), dZ.pointer(), l.W.pointer(), l.runningMean!.pointer(), l.runningVar!.pointer(),
        l.eps!, (dX ?? dZ).pointer(), l.gW.pointer(), l.gb!.pointer());
      return;
    }
    m.engine.kernels.bnBackwardLd(n, c, c, aux.xhat.pointer(), dZ.pointer(), l.W.pointer(), aux.invstd.pointer(), (dX ?? dZ).pointer(), l.gW.pointer(), l.gb!.pointer());
  },
};
