// Window geometry shared by convolution and pooling: reading kernel/stride/padding/dilation
// options (a number or [h, w]) and the output size, as PyTorch computes it:
//   out = ⌊(in + pad_before + pad_after − dilation·(kernel − 1) − 1) / stride⌋ + 1.
// The kernels (assembly/nn/conv.ts, pool.ts) take the padding before each dimension; padding
// after is implied by the output size. Convolution's 'same' (stride 1) pads dilation·(k − 1) in
// all, the odd one after (PyTorch's choice for even kernels); 'valid' is no padding.

import { DescentError, show } from '../../engine/errors.js';
import type { Image } from './layer.js';

/** A size option: a positive (or, with zero, non-negative) integer or a pair [h, w] of them. */
export function pair(v: unknown, fallback: readonly [number, number] | undefined, what: string, min = 1): [number, number] {
  if (v === undefined && fallback) return [fallback[0], fallback[1]];
  const ok = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= min && (x as number) <= 65536;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  const got = typeof v === 'string' || Array.isArray(v) ? JSON.stringify(v) : show(v);
  throw new DescentError(`${what} must be ${min === 0 ? 'an integer ≥ 0' : 'a positive integer'} or a pair [height, width] of them, got ${got}`);
}

export interface Window {
  kh: number; kw: number; sh: number; sw: number;
  /** Padding before (top, left) and after (bottom, right). */
  ph: number; pw: number; phAfter: number; pwAfter: number;
  dh: number; dw: number; oh: number; ow: number;
}

/** Output size of a window sliding over a dimension, or a DescentError if there is none. */
function outSize(len: number, k: number, s: number, before: number, after: number, d: number, what: string, dim: string): number {
  const span = d * (k - 1) + 1;
  const o = Math.floor((len + before + after - span) / s) + 1;
  if (!(o >= 1)) throw new DescentError(`${what}: a ${dim} window of ${span} (kernel ${k}${d > 1 ? `, dilation ${d}` : ''}) does not fit an input ${dim} of ${len} with padding ${before}${after !== before ? `+${after}` : ''}`);
  return o;
}

/**
 * The window of a conv or pooling layer over image `image`: kernel (required), stride (default
 * `defaultStride`: 1 for convolution, the kernel for pooling), padding (a size, a pair, or for
 * convolution 'same' / 'valid'), dilation.
 */
export function windowOf(image: Image, o: { kernel: unknown; stride?: unknown; padding?: unknown; dilation?: unknown },
  what: string, defaultStride: 'one' | 'kernel', allowSame: boolean): Window {
  const [kh, kw] = pair(o.kernel, undefined, `${what}: kernel`);
  const [sh, sw] = pair(o.stride, defaultStride === 'one' ? [1, 1] : [kh, kw], `${what}: stride`);
  const [dh, dw] = pair(o.dilation, [1, 1], `${what}: dilation`);
  let ph: number, pw: number, phAfter: number, pwAfter: number;
  if (o.padding === 'same' || o.padding === 'valid') {
    if (!allowSame) throw new DescentError(`${what}: padding must be an integer ≥ 0 or a pair of them, got ${show(o.padding)}`);
    if (o.padding === 'valid') {
      ph = pw = phAfter = pwAfter = 0;
    } else {
      if (sh !== 1 || sw !== 1) throw new DescentError(`${what}: padding 'same' needs stride 1 (as PyTorch), got stride ${show(o.stride)}`);
      const th = dh * (kh - 1), tw = dw * (kw - 1);
      ph = Math.floor(th / 2); phAfter = th - ph;
      pw = Math.floor(tw / 2); pwAfter = tw - pw;
    }
  } else {
    [ph, pw] = pair(o.padding, [0, 0], `${what}: padding`, 0);
    phAfter = ph; pwAfter = pw;
  }
  const oh = outSize(image[0], kh, sh, ph, phAfter, dh, what, 'height');
  const ow = outSize(image[1], kw, sw, pw, pwAfter, dw, what, 'width');
  return { kh, kw, sh, sw, ph, pw, phAfter, pwAfter, dh, dw, oh, ow };
}

/** The window as a plain record (a layer's config). */
export function windowConfig(w: Window): Record<string, number> {
  return { ...w };
}

/** "3×3" or "3" for describe(). */
export function hw(a: number, b: number): string {
  return a === b ? `${a}` : `${a}×${b}`;
}

/** Throws unless the layer's input is an image. */
export function needImage(image: Image | undefined, what: string): Image {
  if (!image) throw new DescentError(`${what}: needs an image input — give the model inputs as [channels, height, width], or put it after another conv or pooling layer`);
  return image;
}

/**
 * Images per call of a lowering (im2col) whose rows are `rowsPerImage` × `cols` floats: as many
 * as keep the matrix within COLS_BUDGET floats (at least one). A function of the shapes and the
 * batch size only, never of the thread count, so every split of a batch is the same everywhere.
 */
export const COLS_BUDGET = 1 << 21; // 8 MiB of floats
/** Floats of lowering scratch in each GEMM workspace (assembly/gemm/driver.ts LOWER_FLOATS; a test checks they agree). */
export const LOWER_FLOATS = 65536;
export function imagesPerCall(n: number, rowsPerImage: number, cols: number): number {
  return Math.max(1, Math.min(n, Math.floor(COLS_BUDGET / Math.max(1, rowsPerImage * cols))));
}
