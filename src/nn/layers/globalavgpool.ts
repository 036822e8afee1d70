// Global average pooling (torch.nn.AdaptiveAvgPool2d(1)): each channel's mean over the image,
// an image of 1×1×c. No parameters. Kernels: assembly/nn/pool.ts.

import { DescentError } from '../../engine/errors.js';
import { checkActivation } from '../activations.js';
import { checkKeys, type LayerKind } from './layer.js';
import { needImage } from './geometry.js';

export const globalavgpool: LayerKind = {
  type: 'globalavgpool',
  inPlace: false,

  plan(s, ctx) {
    const label = `${ctx.name} (globalavgpool)`;
    checkKeys(s, ['type'], label);
    if (ctx.last) throw new DescentError(`${label}: the last layer must be Dense (the loss reads its outputs)`);
    const [h, w, c] = needImage(ctx.image, label);
    return {
      type: 'globalavgpool', inputs: 0, units: c, fanIn: h * w * c, width: c, image: [1, 1, c],
      act: checkActivation('linear', undefined, label), init: { name: 'constant', value: 1 }, hasBias: false,
      weightOffset: ctx.reserve(0), biasOffset: -1, config: { h, w, c },
    };
  },

  describe: (p) => `GlobalAvgPool(${p.config!.h}×${p.config!.w}) → ${p.config!.c}`,

  initialize() { /* no parameters */ },

  scratch: () => ({}),

  forward(m, l, _aux, n, input, y) {
    const g = l.config!;
    m.engine.kernels.globalAvgPoolForward(n, g.h * g.w, g.c, input.pointer(), y.pointer());
  },

  backward(m, l, _aux, n, _input, dZ, dX) {
    const g = l.config!;
    if (dX) m.engine.kernels.globalAvgPoolBackward(n, g.h * g.w, g.c, dZ.pointer(), dX.pointer());
  },
};
