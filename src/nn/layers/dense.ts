// Dense (fully connected) layer: Z = X·W + b, W [inputs, units] and b [units] in the flat
// parameter vector.
//   forward   Z = X·W + b            GEMM A·B with the bias fused in its write-back; inference
//                                    passes on few rows read W in place (see SMALL_M_MAX)
//   backward  ∂L/∂W = Xᵀ·dZ          GEMM Aᵀ·B, straight into the gradient buffer
//             ∂L/∂b = Σ_rows dZ      column sums
//             dX = dZ·Wᵀ             GEMM A·Bᵀ (not for the first layer)

import { DescentError } from '../../engine/errors.js';
import { gemm } from '../../ops/gemm.js';
import { checkActivation, defaultInit } from '../activations.js';
import { checkInit, initialize, initializeBias } from '../init.js';
import { lossOutputActivation } from '../losses.js';
import { checkKeys, type LayerKind } from './layer.js';

/**
 * Forward passes on up to DIRECT_B_MAX rows run through gemmDirectB (the GEMM kernel reading W
 * in place), training ones included: it has gemm()'s bits, and skips packing W — on the MNIST
 * MLP's training shapes (batch 100) the same speed or up to 4% faster on one thread, and 8%
 * faster for 100×784·784×500 on two, where each thread of a column split used to pack its half
 * of W (interleaved runs of the kernels alone, 2026-12-07). Inference passes on up to
 * SMALL_M_MAX rows take gemmSmallM instead (W streamed in place: the matrix–vector form at
 * batch 1; its own order, acc = bias, then + x·w in order, so never in training, whose bits
 * stay gemm()'s). Neither packs the weights, so nothing is cached from them and no change can
 * be missed; larger batches take gemm(), whose packing of W is then a small share of the
 * product. Crossovers measured on the MNIST MLP (README, GEMM notes).
 */
const SMALL_M_MAX = 6;
const DIRECT_B_MAX = 128;

export const dense: LayerKind = {
  type: 'dense',
  inPlace: false,

  plan(d, ctx) {
    const { name, last, loss, fanIn } = ctx;
    checkKeys(d, ['type', 'units', 'activation', 'alpha', 'bias', 'init'], name);
    const units = d.units as number;
    if (!Number.isSafeInteger(units) || units < 1) throw new DescentError(`${name}: units must be a positive integer, got ${typeof units === 'number' ? units : typeof units}`);
    if (d.bias !== undefined && typeof d.bias !== 'boolean') throw new DescentError(`${name}: bias must be true or false, got ${typeof d.bias === 'string' ? JSON.stringify(d.bias) : typeof d.bias}`);
    const forced = last ? lossOutputActivation(loss) : undefined;
    const act = checkActivation((d.activation as string | undefined) ?? (last ? (forced ?? 'linear') : 'tanh'), d.alpha as number | undefined, name);
    if (forced && act.name !== forced) {
      throw new DescentError(`${name}: loss ${loss} applies its own output function; the last layer must be linear, got ${act.name}`);
    }
    const init = checkInit((d.init as Parameters<typeof checkInit>[0] | undefined) ?? defaultInit(act.name), name);
    const hasBias = (d.bias as boolean | undefined) ?? true;
    const weightOffset = ctx.reserve(fanIn * units);
    const biasOffset = hasBias ? ctx.reserve(units) : -1;
    return { type: 'dense', inputs: fanIn, units, fanIn, width: units, act, init, hasBias, weightOffset, biasOffset };
  },

  describe: (p) => `Dense(${p.inputs}→${p.units}, ${p.act.name})`,

  initialize(l, rng, tmp) {
    const w = tmp.subarray(0, l.inputs * l.units);
    initialize(w, l.init, l.inputs, l.units, { name: l.activation, alpha: l.alpha }, rng);
    l.W.data.set(w);
    if (l.b) initializeBias(l.b.data, l.init, l.inputs, rng);
  },

  scratch: () => ({}),

  forward(m, l, _aux, n, input, y, training) {
    if (n > DIRECT_B_MAX) {
      gemm(y, input, l.W, { bias: l.b });
      return;
    }
    const K = m.engine.kernels;
    const bias = l.b ? l.b.pointer() : 0;
    if (!training && n <= SMALL_M_MAX) {
      K.gemmSmallM(n, l.units, l.inputs, input.pointer(), l.inputs, l.W.pointer(), l.units, bias, y.pointer(), l.units);
    } else {
      K.gemmDirectB(m.engine.gemmTile, n, l.units, l.inputs, input.pointer(), l.inputs, l.W.pointer(), l.units,
        y.pointer(), l.units, bias, m.engine.gemmWorkspace());
    }
  },

  backward(m, l, _aux, n, input, dZ, dX) {
    gemm(l.gW, input, dZ, { transA: true });
    if (l.gb) m.engine.kernels.colSumLd(n, l.units, l.units, dZ.pointer(), l.gb.pointer(), 0);
    if (dX) gemm(dX, dZ, l.W, { transB: true });
  },
};
