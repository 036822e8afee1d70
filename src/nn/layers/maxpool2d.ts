// Max pooling over windows of each channel (torch.nn.MaxPool2d; stride defaults to the kernel,
// padding counts as −∞). The forward pass keeps, per output, the position of the window's first
// maximum (a NaN wins, as in PyTorch); backward sends each output's gradient there, adding where
// windows overlap (assembly/nn/pool.ts). No parameters.

import { DescentError } from '../../engine/errors.js';
import { checkActivation } from '../activations.js';
import { checkKeys, type LayerKind } from './layer.js';
import { hw, needImage, windowConfig, windowOf } from './geometry.js';

export const maxpool2d: LayerKind = {
  type: 'maxpool2d',
  inPlace: false,

  plan(s, ctx) {
    const label = `${ctx.name} (maxpool2d)`;
    checkKeys(s, ['type', 'kernel', 'stride', 'padding'], label);
    if (ctx.last) throw new DescentError(`${label}: the last layer must be Dense (the loss reads its outputs)`);
    const image = needImage(ctx.image, label);
    const win = windowOf(image, s as { kernel: unknown }, label, 'kernel', false);
    if (2 * win.ph > win.kh || 2 * win.pw > win.kw) throw new DescentError(`${label}: padding must be at most half the kernel (as PyTorch), got padding ${hw(win.ph, win.pw)} for kernel ${hw(win.kh, win.kw)}`);
    const [h, w, c] = image;
    return {
      type: 'maxpool2d', inputs: 0, units: c, fanIn: h * w * c, width: win.oh * win.ow * c, image: [win.oh, win.ow, c],
      act: checkActivation('linear', undefined, label), init: { name: 'constant', value: 1 }, hasBias: false,
      weightOffset: ctx.reserve(0), biasOffset: -1, config: { ...windowConfig(win), h, w, c },
    };
  },

  describe(p) {
    const g = p.config!;
    return `MaxPool2d(${hw(g.kh, g.kw)}${g.sh !== g.kh || g.sw !== g.kw ? `, stride ${hw(g.sh, g.sw)}` : ''}${g.ph || g.pw ? `, padding ${hw(g.ph, g.pw)}` : ''}) → ${g.oh}×${g.ow}×${g.c}`;
  },

  initialize() { /* no parameters */ },

  scratch: (l, n, empty) => ({ idx: empty(n * l.width) }),

  forward(m, l, aux, n, input, y) {
    const g = l.config!;
    m.engine.kernels.maxPoolForward(n, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow, input.pointer(), y.pointer(), aux.idx.pointer());
  },

  backward(m, l, aux, n, _input, dZ, dX) {
    const g = l.config!;
    if (dX) m.engine.kernels.maxPoolBackward(n, g.h, g.w, g.c, g.oh, g.ow, dZ.pointer(), aux.idx.pointer(), dX.pointer());
  },
};
