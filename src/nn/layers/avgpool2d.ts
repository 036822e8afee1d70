// Average pooling over windows of each channel (torch.nn.AvgPool2d: stride defaults to the
// kernel; with padding, the divisor is the whole window unless countIncludePad is false, as
// PyTorch's count_include_pad). No parameters. Kernels: assembly/nn/pool.ts.

import { DescentError, show } from '../../engine/errors.js';
import { checkActivation } from '../activations.js';
import { checkKeys, type LayerKind } from './layer.js';
import { hw, needImage, windowConfig, windowOf } from './geometry.js';

export const avgpool2d: LayerKind = {
  type: 'avgpool2d',
  inPlace: false,

  plan(s, ctx) {
    const label = `${ctx.name} (avgpool2d)`;
    checkKeys(s, ['type', 'kernel', 'stride', 'padding', 'countIncludePad'], label);
    if (ctx.last) throw new DescentError(`${label}: the last layer must be Dense (the loss reads its outputs)`);
    const image = needImage(ctx.image, label);
    const win = windowOf(image, s as { kernel: unknown }, label, 'kernel', false);
    if (2 * win.ph > win.kh || 2 * win.pw > win.kw) throw new DescentError(`${label}: padding must be at most half the kernel (as PyTorch), got padding ${hw(win.ph, win.pw)} for kernel ${hw(win.kh, win.kw)}`);
    if (s.countIncludePad !== undefined && typeof s.countIncludePad !== 'boolean') throw new DescentError(`${label}: countIncludePad must be true or false, got ${show(s.countIncludePad)}`);
    const [h, w, c] = image;
    return {
      type: 'avgpool2d', inputs: 0, units: c, fanIn: h * w * c, width: win.oh * win.ow * c, image: [win.oh, win.ow, c],
      act: checkActivation('linear', undefined, label), init: { name: 'constant', value: 1 }, hasBias: false,
      weightOffset: ctx.reserve(0), biasOffset: -1,
      config: { ...windowConfig(win), h, w, c, countIncludePad: s.countIncludePad === false ? 0 : 1 },
    };
  },

  describe(p) {
    const g = p.config!;
    return `AvgPool2d(${hw(g.kh, g.kw)}${g.sh !== g.kh || g.sw !== g.kw ? `, stride ${hw(g.sh, g.sw)}` : ''}${g.ph || g.pw ? `, padding ${hw(g.ph, g.pw)}${g.countIncludePad ? '' : ', without the padding in the count'}` : ''}) → ${g.oh}×${g.ow}×${g.c}`;
  },

  initialize() { /* no parameters */ },

  scratch: () => ({}),

  forward(m, l, _aux, n, input, y) {
    const g = l.config!;
    m.engine.kernels.avgPoolForward(n, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow, g.countIncludePad, input.pointer(), y.pointer());
  },

  backward(m, l, _aux, n, _input, dZ, dX) {
    const g = l.config!;
    if (dX) m.engine.kernels.avgPoolBackward(n, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow, g.countIncludePad, dZ.pointer(), dX.pointer());
  },
};
