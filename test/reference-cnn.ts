// Float64 forward passes of the image layers (conv2d, max/avg/global pooling, flatten, spatial
// dropout with a given mask, batch norm per channel), written from their definitions as plain
// loops over NHWC samples — not from the kernels — and a whole-model f64 forward over any mix of
// them with norm-model-reference.ts's Dense / norm / dropout layers, for finite differences.
import type { DenseLayer, Model } from '../src/nn/model.js';
import { act } from './reference-mlp.js';
import { bnTrainF64, lnF64 } from './reference-norm.js';

/** y[img, oy, ox, f] = b[f] + Σ_{ky,kx,ci} x[img, iy, ix, g·cg + ci] · W[(ky·kw + kx)·cg + ci][f] over in-image taps. */
export function conv2dF64(l: DenseLayer, x: Float64Array, n: number, W: ArrayLike<number>, b: ArrayLike<number> | undefined): Float64Array {
  const g = l.config!, f = g.filters, fg = f / g.groups, cg = g.c / g.groups;
  const y = new Float64Array(n * g.oh * g.ow * f);
  for (let i = 0; i < n; i++) for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) for (let o = 0; o < f; o++) {
    const grp = Math.floor(o / fg);
    let s = b ? b[o] : 0;
    for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) {
      const iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
      if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
      for (let ci = 0; ci < cg; ci++) s += x[((i * g.h + iy) * g.w + ix) * g.c + grp * cg + ci] * W[((ky * g.kw + kx) * cg + ci) * f + o];
    }
    y[((i * g.oh + oy) * g.ow + ox) * f + o] = s;
  }
  return y;
}

/** Max or average over each window's in-image positions (average: ÷ the window, or ÷ the in-image count). */
export function pool2dF64(l: DenseLayer, x: Float64Array, n: number, kind: 'max' | 'avg'): Float64Array {
  const g = l.config!, c = g.c;
  const y = new Float64Array(n * g.oh * g.ow * c);
  for (let i = 0; i < n; i++) for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) for (let ch = 0; ch < c; ch++) {
    let m = -Infinity, s = 0, count = 0;
    for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) {
      const iy = oy * g.sh - g.ph + ky, ix = ox * g.sw - g.pw + kx;
      if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
      const v = x[((i * g.h + iy) * g.w + ix) * c + ch];
      m = Math.max(m, v); s += v; count++;
    }
    y[((i * g.oh + oy) * g.ow + ox) * c + ch] = kind === 'max' ? m : s / (g.countIncludePad ? g.kh * g.kw : count);
  }
  return y;
}

/** Outputs of the model's layers in training mode on x (n samples); masks: per dropout / dropout2d layer index. */
export function cnnForwardF64(model: Model, theta: Float64Array, x: Float64Array, n: number, masks: Map<number, Float32Array>): Float64Array {
  let a = x;
  for (const l of model.layers) {
    const W = theta.subarray(l.weightOffset, l.weightOffset + l.inputs * l.units);
    const b = l.hasBias ? theta.subarray(l.biasOffset, l.biasOffset + l.units) : undefined;
    let out: Float64Array;
    switch (l.type) {
      case 'dense': {
        const c = l.units;
        out = new Float64Array(n * c);
        for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) {
          let s = b ? b[j] : 0;
          for (let p = 0; p < l.inputs; p++) s += a[i * l.inputs + p] * W[p * c + j];
          out[i * c + j] = s;
        }
        break;
      }
      case 'conv2d': out = conv2dF64(l, a, n, W, b); break;
      case 'maxpool2d': out = pool2dF64(l, a, n, 'max'); break;
      case 'avgpool2d': out = pool2dF64(l, a, n, 'avg'); break;
      case 'globalavgpool': {
        const g = l.config!, hw = g.h * g.w;
        out = new Float64Array(n * g.c);
        for (let i = 0; i < n; i++) for (let ch = 0; ch < g.c; ch++) {
          let s = 0;
          for (let p = 0; p < hw; p++) s += a[(i * hw + p) * g.c + ch];
          out[i * g.c + ch] = s / hw;
        }
        break;
      }
      case 'flatten': out = a.slice(); break;
      case 'batchnorm': {
        // per channel: the (n · pixels) × c matrix of an image's NHWC rows, or n × c
        const rows = n * (l.config?.pixels ?? 1);
        out = bnTrainF64(rows, l.units, a, W, b!, Math.fround(l.eps!)).y;
        break;
      }
      case 'layernorm': out = lnF64(n, l.units, a, W, b!, Math.fround(l.eps!)).y; break;
      case 'dropout': { const m = masks.get(l.index)!; out = a.map((v, i) => v * m[i]); break; }
      case 'dropout2d': {
        const m = masks.get(l.index)!, g = l.config!, hw = g.h * g.w;
        out = a.map((v, k) => { const i = Math.floor(k / (hw * g.c)); return v * m[i * g.c + (k % g.c)]; });
        break;
      }
      default: throw new Error(`no reference for layer type ${l.type}`);
    }
    a = out.map((z) => act(l.activation, l.alpha, z));
  }
  return a;
}
