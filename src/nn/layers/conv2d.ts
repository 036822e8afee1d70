// 2-D convolution (cross-correlation, as torch.nn.Conv2d), computed as GEMMs on lowered images.
//
// Layout. Activations are NHWC: a sample is h·w pixels of c contiguous channels. Two reasons:
// (1) lowering a batch gives the GEMM's A directly — row (image, oy, ox), columns (ky, kx, ci),
// each pixel's channels one contiguous run to copy — and the product's rows are the output
// pixels with the filters contiguous, which is NHWC again: no transposes between layers, the
// bias fused in the GEMM's write-back, and the Dense layer after the last conv reads the
// activations as they are; (2) per-channel operations (batch norm, spatial dropout, pooling) see
// a [pixels, c] matrix, the layout the existing column kernels walk. PyTorch and ONNX use NCHW:
// weights and inputs are converted at the edges (import/export), never inside training.
//
// Parameters. W is [kh·kw·cg, filters] (row (ky·kw + kx)·cg + ci, column = output channel;
// cg = c / groups input channels per group), so group g's filters are the column block
// [g·fg, (g+1)·fg) reading input channels [g·cg, (g+1)·cg); bias [filters]. PyTorch's weight
// [filters, cg, kh, kw] maps as W[(ky·kw + kx)·cg + ci][o] = weight[o][ci][ky][kx].
//
// Per group g, over the images of a batch in calls of imagesPerCall (geometry.ts):
//   forward   cols = im2col(x, channels of g)                         R × K,  K = kh·kw·cg
//             y[:, g] = cols · W[:, g] + b[g]                          GEMM, ldc = filters
//   backward  ∂L/∂b = Σ_rows dZ                                        column sums, one call
//             ∂L/∂W[:, g] (+)= colsᵀ · dZ[:, g]                        GEMM Aᵀ·B (β = 1 after the first call)
//             dcols = dZ[:, g] · W[:, g]ᵀ;  dX[:, g] = col2im(dcols)    GEMM A·Bᵀ, then the adjoint
// Two ways to run these. When one image's lowering fits the lowering scratch of a GEMM workspace
// (LOWER_FLOATS, 256 KB: oh·ow·K ≤ 65,536 — MNIST, Fashion-MNIST, CIFAR first layers), the fused
// kernels of assembly/nn/conv-fused.ts lower sb images at a time there and multiply at once, so
// the lowering never leaves cache (LeNet-5 at batch 100 on one thread: 6.5 → 9.0 k samples/s);
// each sub-block adds its own partial of ∂L/∂W, summed in sub-block order. Otherwise the batch is
// lowered into a layer scratch of up to 8 MiB per call (imagesPerCall) and handed to the GEMM;
// the lowering is recomputed in backward rather than kept (it is kh·kw times the input) — except
// for the first layer when one call lowered the whole batch of one group: backward then needs no
// input gradient, so the forward's lowering is still in the scratch and is used as it is. Either
// way, how a batch is cut depends on the shapes and the batch size only, so the order of the
// weight gradient's sums is the same for any thread count.

import { DescentError, show } from '../../engine/errors.js';
import { checkActivation, defaultInit } from '../activations.js';
import { checkInit, initialize, initializeBias } from '../init.js';
import { checkKeys, type LayerKind } from './layer.js';
import { hw, imagesPerCall, needImage, windowConfig, windowOf, LOWER_FLOATS } from './geometry.js';
import type { Aux, DenseLayer } from './layer.js';

/** Images per sub-block of the fused kernels, or 0 when one image's lowering does not fit. */
function subBlock(l: DenseLayer): number {
  const g = l.config!;
  return Math.floor(LOWER_FLOATS / (g.oh * g.ow * l.inputs));
}

/** geo of conv-fused.ts: the layer's window as 13 int32 at the tensor's memory. */
function writeGeo(memory: WebAssembly.Memory, ptr: number, l: DenseLayer): void {
  const g = l.config!;
  new Int32Array(memory.buffer, ptr, 13).set([g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow]);
}

/** Scratch whose lowering is the whole batch of the last forward pass: its rows and input. */
const lowered = new WeakMap<object, { n: number; input: number }>();

export const conv2d: LayerKind = {
  type: 'conv2d',
  inPlace: false,

  plan(s, ctx) {
    const label = `${ctx.name} (conv2d)`;
    checkKeys(s, ['type', 'filters', 'kernel', 'stride', 'padding', 'dilation', 'groups', 'bias', 'activation', 'alpha', 'init'], label);
    if (ctx.last) throw new DescentError(`${label}: the last layer must be Dense (the loss reads its outputs)`);
    const image = needImage(ctx.image, label);
    const [h, w, c] = image;
    const filters = s.filters as number;
    if (!Number.isSafeInteger(filters) || filters < 1 || filters > 65536) throw new DescentError(`${label}: filters must be a positive integer, got ${show(filters)}`);
    const groups = (s.groups as number | undefined) ?? 1;
    if (!Number.isSafeInteger(groups) || groups < 1 || c % groups !== 0 || filters % groups !== 0) {
      throw new DescentError(`${label}: groups must be a positive integer dividing both the input channels (${c}) and filters (${filters}), got ${show(s.groups)}`);
    }
    const win = windowOf(image, s as { kernel: unknown }, label, 'one', true);
    if (s.bias !== undefined && typeof s.bias !== 'boolean') throw new DescentError(`${label}: bias must be true or false, got ${show(s.bias)}`);
    const act = checkActivation((s.activation as string | undefined) ?? 'relu', s.alpha as number | undefined, label);
    const init = checkInit((s.init as Parameters<typeof checkInit>[0] | undefined) ?? defaultInit(act.name), label);
    const hasBias = (s.bias as boolean | undefined) ?? true;
    const cg = c / groups, K = win.kh * win.kw * cg;
    const width = win.oh * win.ow * filters;
    if (!(K * filters <= 2 ** 28 && width <= 2 ** 28)) throw new DescentError(`${label}: too large (${K}×${filters} weights, ${width} outputs per sample)`);
    const weightOffset = ctx.reserve(K * filters);
    const biasOffset = hasBias ? ctx.reserve(filters) : -1;
    return {
      type: 'conv2d', inputs: K, units: filters, fanIn: h * w * c, width, image: [win.oh, win.ow, filters],
      act, init, hasBias, weightOffset, biasOffset,
      config: { ...windowConfig(win), h, w, c, groups, filters },
    };
  },

  describe(p) {
    const g = p.config!;
    const extra = [g.sh !== 1 || g.sw !== 1 ? `stride ${hw(g.sh, g.sw)}` : '', g.ph || g.pw || g.phAfter || g.pwAfter ? `padding ${hw(g.ph, g.pw)}${g.phAfter !== g.ph || g.pwAfter !== g.pw ? `+${hw(g.phAfter, g.pwAfter)}` : ''}` : '',
      g.dh !== 1 || g.dw !== 1 ? `dilation ${hw(g.dh, g.dw)}` : '', g.groups !== 1 ? `groups ${g.groups}` : ''].filter(Boolean);
    return `Conv2d(${g.c}→${g.filters}, ${hw(g.kh, g.kw)}${extra.length ? `, ${extra.join(', ')}` : ''}, ${p.act.name}) → ${g.oh}×${g.ow}×${g.filters}`;
  },

  initialize(l, rng, tmp) {
    const g = l.config!;
    const w = tmp.subarray(0, l.inputs * l.units);
    // fans as PyTorch counts them: (c/groups)·kh·kw in, filters·kh·kw out
    initialize(w, l.init, l.inputs, g.filters * g.kh * g.kw, { name: l.activation, alpha: l.alpha }, rng);
    l.W.data.set(w);
    if (l.b) initializeBias(l.b.data, l.init, l.inputs, rng);
  },

  scratch(l, n, empty) {
    const g = l.config!;
    const rows = g.oh * g.ow, sb = subBlock(l);
    const aux: Aux = sb > 0
      ? { geo: empty(16), partials: empty(Math.ceil(n / sb) * l.inputs * (g.filters / g.groups)) }
      : { cols: empty(imagesPerCall(n, rows, l.inputs) * rows * l.inputs) };
    return aux;
  },

  forward(m, l, aux, n, input, y) {
    const K = m.engine.kernels, g = l.config!, tile = m.engine.gemmTile, work = m.engine.gemmWorkspace();
    const k = l.inputs, f = g.filters, fg = f / g.groups, cg = g.c / g.groups, rows = g.oh * g.ow;
    if (aux.geo) {
      const sb = subBlock(l), geo = aux.geo.pointer(), cost = rows * k * fg;
      writeGeo(m.engine.memory, geo, l);
      const x0 = input.pointer(), y0 = y.pointer(), w0 = l.W.pointer(), b0 = l.b ? l.b.pointer() : 0;
      for (let grp = 0; grp < g.groups; grp++) {
        K.convForward(n, 0, sb, cost, geo, grp * cg, cg, x0, w0 + grp * fg * 4, f, fg, b0 ? b0 + grp * fg * 4 : 0, y0 + grp * fg * 4, f, tile, work);
      }
      return;
    }
    const per = imagesPerCall(n, rows, k), cols = aux.cols.pointer();
    const x0 = input.pointer(), y0 = y.pointer(), w0 = l.W.pointer(), b0 = l.b ? l.b.pointer() : 0;
    for (let i = 0; i < n; i += per) {
      const imgs = Math.min(per, n - i), r = imgs * rows;
      const x = x0 + i * g.h * g.w * g.c * 4, yy = y0 + i * rows * f * 4;
      for (let grp = 0; grp < g.groups; grp++) {
        K.im2col(imgs, g.h, g.w, g.c, grp * cg, cg, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, x, cols);
        K.gemm(tile, 0, 0, r, fg, k, 1, cols, k, w0 + grp * fg * 4, f, 0, yy + grp * fg * 4, f, b0 ? b0 + grp * fg * 4 : 0, work);
      }
    }
    if (per >= n && g.groups === 1) lowered.set(aux.cols, { n, input: x0 });
    else lowered.delete(aux.cols);
  },

  backward(m, l, aux, n, input, dZ, dX) {
    const K = m.engine.kernels, g = l.config!, tile = m.engine.gemmTile, work = m.engine.gemmWorkspace();
    const k = l.inputs, f = g.filters, fg = f / g.groups, cg = g.c / g.groups, rows = g.oh * g.ow;
    const x0 = input.pointer(), dz0 = dZ.pointer(), w0 = l.W.pointer(), gw0 = l.gW.pointer();
    if (l.gb) K.colSumLd(n * rows, f, f, dz0, l.gb.pointer(), 0);
    if (aux.geo) {
      const sb = subBlock(l), geo = aux.geo.pointer(), parts = aux.partials.pointer(), blocks = Math.ceil(n / sb);
      writeGeo(m.engine.memory, geo, l);
      for (let grp = 0; grp < g.groups; grp++) {
        K.convWeightPartials(n, 0, sb, rows * k * fg, geo, grp * cg, cg, x0, dz0 + grp * fg * 4, f, fg, parts, tile, work);
        K.convPartialSum(blocks, k, 0, k, fg, parts, gw0 + grp * fg * 4, f);
        if (dX) K.convInputGrad(n, 0, sb, rows * k * fg, geo, grp * cg, cg, dz0 + grp * fg * 4, f, w0 + grp * fg * 4, f, fg, dX.pointer(), tile, work);
      }
      return;
    }
    const per = imagesPerCall(n, rows, k), cols = aux.cols.pointer();
    for (let i = 0; i < n; i += per) {
      const imgs = Math.min(per, n - i), r = imgs * rows;
      const img = i * g.h * g.w * g.c * 4, dz = dz0 + i * rows * f * 4;
      // the forward's lowering of this very batch is intact when no dX overwrites it (see the header)
      const kept = lowered.get(aux.cols);
      const reuse = !dX && kept !== undefined && kept.n === n && kept.input === x0;
      for (let grp = 0; grp < g.groups; grp++) {
        if (!reuse) K.im2col(imgs, g.h, g.w, g.c, grp * cg, cg, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, x0 + img, cols);
        K.gemm(tile, 1, 0, k, fg, r, 1, cols, k, dz + grp * fg * 4, f, i === 0 ? 0 : 1, gw0 + grp * fg * 4, f, 0, work);
        if (!dX) continue;
        lowered.delete(aux.cols); // dcols goes over it
        // dcols over cols (no longer needed), then its adjoint into this group's input channels
        K.gemm(tile, 0, 1, r, k, fg, 1, dz + grp * fg * 4, f, w0 + grp * fg * 4, f, 0, cols, k, 0, work);
        K.col2im(imgs, g.h, g.w, g.c, grp * cg, cg, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, cols, dX.pointer() + img, 0);
      }
    }
  },
};
