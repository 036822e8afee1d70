// Flatten: an image becomes a plain vector of its h·w·c values in the activation layout (NHWC).
// A Dense layer after an image flattens by itself; this kind exists so specs and imported
// PyTorch/ONNX graphs can say it. (PyTorch flattens NCHW: the import/export of the next Dense
// layer's weights permutes its rows.) Forward copies; backward is the identity (in place).

import { DescentError } from '../../engine/errors.js';
import { checkActivation } from '../activations.js';
import { checkKeys, type LayerKind } from './layer.js';
import { needImage } from './geometry.js';

export const flatten: LayerKind = {
  type: 'flatten',
  inPlace: true,

  plan(s, ctx) {
    const label = `${ctx.name} (flatten)`;
    checkKeys(s, ['type'], label);
    if (ctx.last) throw new DescentError(`${label}: the last layer must be Dense (the loss reads its outputs)`);
    const [h, w, c] = needImage(ctx.image, label);
    return {
      type: 'flatten', inputs: 0, units: h * w * c, fanIn: h * w * c, width: h * w * c,
      act: checkActivation('linear', undefined, label), init: { name: 'constant', value: 1 }, hasBias: false,
      weightOffset: ctx.reserve(0), biasOffset: -1, config: { h, w, c },
    };
  },

  describe: (p) => `Flatten(${p.config!.h}×${p.config!.w}×${p.config!.c})`,

  initialize() { /* no parameters */ },

  scratch: () => ({}),

  forward(m, l, _aux, n, input, y) {
    m.engine.kernels.copy(n * l.width, input.pointer(), y.pointer());
  },

  backward() { /* the identity: dX is dZ */ },
};
