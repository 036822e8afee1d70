// Inverted dropout (Srivastava et al. 2014; torch.nn.Dropout): in training each element is kept
// with probability 1 − rate and scaled by 1/(1 − rate); inference is the identity. The mask is
// Philox of (layer seed, pass counter, index) (assembly/nn/dropout.ts): reproducible, and fixed
// while model.frozen. No parameters.

import { DescentError, show } from '../../engine/errors.js';
import { checkActivation } from '../activations.js';
import { checkKeys, type LayerKind } from './layer.js';
import { normPlacement } from './norm-common.js';

export const dropout: LayerKind = {
  type: 'dropout',
  inPlace: true,

  plan(s, ctx) {
    const label = `${ctx.name} (dropout)`;
    checkKeys(s, ['type', 'rate', 'seed'], label);
    normPlacement(ctx, label);
    const rate = s.rate as number, seed = s.seed as number | undefined;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new DescentError(`${label}: rate must be a number in [0, 1), got ${show(rate)}`);
    if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) throw new DescentError(`${label}: seed must be a non-negative integer, got ${show(seed)}`);
    const c = ctx.fanIn;
    return { type: 'dropout', inputs: 0, units: c, fanIn: c, width: c, image: ctx.image, act: checkActivation('linear', undefined, label), init: { name: 'constant', value: 1 },
      hasBias: false, weightOffset: ctx.reserve(0), biasOffset: -1, rate, seed: seed !== undefined ? seed >>> 0 : undefined };
  },

  describe: (p) => `Dropout(${p.units}, rate ${p.rate})`,

  initialize() { /* no parameters */ },

  scratch: (l, n, empty) => ({ mask: empty(n * l.units) }),

  forward(m, l, aux, n, input, y, training) {
    const K = m.engine.kernels, c = l.units;
    if (training && l.rate! > 0) K.dropoutForward(n * c, input.pointer(), y.pointer(), aux.mask.pointer(), l.rate!, l.seed!, m.passes, 0);
    else K.copy(n * c, input.pointer(), y.pointer());
  },

  backward(m, l, aux, n, _input, dZ, dX) {
    if (m.trainedPass && l.rate! > 0) m.engine.kernels.mul(n * l.units, dZ.pointer(), aux.mask.pointer(), (dX ?? dZ).pointer());
  },
};
