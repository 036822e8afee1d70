// Spatial dropout (torch.nn.Dropout2d; Tompson et al. 2015): in training each channel of each
// image is kept whole with probability 1 − rate, scaled by 1/(1 − rate), or zeroed whole —
// neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
// barely regularizes a conv layer. The n×c mask is dropout's Philox mask (assembly/nn/dropout.ts:
// seed per layer, the model's pass counter), broadcast over the pixels by mulChannels.

import { DescentError, show } from '../../engine/errors.js';
import { checkActivation } from '../activations.js';
import { checkKeys, type LayerKind } from './layer.js';
import { needImage } from './geometry.js';

export const dropout2d: LayerKind = {
  type: 'dropout2d',
  inPlace: true,

  plan(s, ctx) {
    const label = `${ctx.name} (dropout2d)`;
    checkKeys(s, ['type', 'rate', 'seed'], label);
    if (ctx.last) throw new DescentError(`${label}: the last layer must be Dense (the loss reads its outputs)`);
    const [h, w, c] = needImage(ctx.image, label);
    const rate = s.rate as number, seed = s.seed as number | undefined;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new DescentError(`${label}: rate must be a number in [0, 1), got ${show(rate)}`);
    if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) throw new DescentError(`${label}: seed must be a non-negative integer, got ${show(seed)}`);
    return {
      type: 'dropout2d', inputs: 0, units: c, fanIn: h * w * c, width: h * w * c, image: [h, w, c],
      act: checkActivation('linear', undefined, label), init: { name: 'constant', value: 1 }, hasBias: false,
      weightOffset: ctx.reserve(0), biasOffset: -1, rate, seed: seed !== undefined ? seed >>> 0 : undefined, config: { h, w, c },
    };
  },

  describe: (p) => `Dropout2d(${p.config!.c} channels, rate ${p.rate})`,

  initialize() { /* no parameters */ },

  scratch: (l, n, empty) => ({ mask: empty(n * l.config!.c) }),

  forward(m, l, aux, n, input, y, training) {
    const K = m.engine.kernels, g = l.config!;
    if (training && l.rate! > 0) {
      K.dropoutForward(n * g.c, 0, 0, aux.mask.pointer(), l.rate!, l.seed!, m.passes, 0);
      K.mulChannels(n, g.h * g.w, g.c, input.pointer(), aux.mask.pointer(), y.pointer());
    } else {
      K.copy(n * l.width, input.pointer(), y.pointer());
    }
  },

  backward(m, l, aux, n, _input, dZ, dX) {
    const g = l.config!;
    if (m.trainedPass && l.rate! > 0) m.engine.kernels.mulChannels(n, g.h * g.w, g.c, dZ.pointer(), aux.mask.pointer(), (dX ?? dZ).pointer());
  },
};
