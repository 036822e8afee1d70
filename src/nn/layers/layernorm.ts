// Layer normalization per sample over its features (Ba, Kiros & Hinton 2016), PyTorch's
// LayerNorm(c): y = γ·x̂ + β, x̂ = (x − μ_row)/√(σ²_row + ε), the same in training and inference.
// γ [1, c] and β [c] in the flat parameter vector. Kernels: assembly/nn/layernorm.ts.

import { DescentError, show } from '../../engine/errors.js';
import { checkActivation } from '../activations.js';
import { checkKeys, type LayerKind } from './layer.js';
import { normPlacement, resetNorm } from './norm-common.js';

export const layernorm: LayerKind = {
  type: 'layernorm',
  inPlace: true,

  plan(s, ctx) {
    const label = `${ctx.name} (layernorm)`;
    checkKeys(s, ['type', 'eps', 'activation', 'alpha'], label);
    normPlacement(ctx, label);
    const eps = (s.eps as number | undefined) ?? 1e-5;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new DescentError(`${label}: eps must be a finite number > 0, got ${show(s.eps)}`);
    const act = checkActivation((s.activation as string | undefined) ?? 'linear', s.alpha as number | undefined, label);
    const c = ctx.fanIn;
    const weightOffset = ctx.reserve(c), biasOffset = ctx.reserve(c);
    return { type: 'layernorm', inputs: 1, units: c, fanIn: c, width: c, act, init: { name: 'constant', value: 1 }, hasBias: true, weightOffset, biasOffset, eps };
  },

  describe: (p) => `LayerNorm(${p.units}${p.act.name === 'linear' ? '' : `, ${p.act.name}`})`,

  initialize: resetNorm,

  scratch: (l, n, empty) => ({ xhat: empty(n * l.units), invstd: empty(n) }),

  forward(m, l, aux, n, input, y) {
    m.engine.kernels.lnForward(n, l.units, input.pointer(), y.pointer(), aux.xhat.pointer(), l.W.pointer(), l.b ? l.b.pointer() : 0, aux.invstd.pointer(), l.eps!);
  },

  backward(m, l, aux, n, _input, dZ, dX) {
    const K = m.engine.kernels, c = l.units;
    // ∂γ, ∂β by columns, then ∂x by rows (dX is dZ: the sums read it first), so both split
    // across threads; the bits of lnBackward's single pass (assembly/nn/layernorm.ts)
    K.lnParamGrads(n, c, c, aux.xhat.pointer(), dZ.pointer(), l.gW.pointer(), l.gb!.pointer());
    K.lnBackward(n, c, aux.xhat.pointer(), dZ.pointer(), l.W.pointer(), aux.invstd.pointer(), (dX ?? dZ).pointer(), 0, 0);
  },
};
