// Pooling kernels on NHWC activations (assembly/nn/pool.ts) against scalar TypeScript references
// written here from the kernel header's definitions, bit for bit (Math.fround at every f32
// rounding the header names; Object.is, so −0 ≠ +0 and NaN = NaN). Covered: kernel 2 and 3 (and
// a 2×3 one), strides 1–3 (overlapping windows, stride ≠ kernel, gaps), padding 0 and 1, odd
// sizes (5×7), c = 1, 3, 4, 17, 32 (every block width and the scalar tail), n = 1 and 3, ties
// (first maximum wins), NaN and ±∞ in windows, countIncludePad 0 and 1, backward accumulation
// where windows overlap, calls split by images, and the gradients of average, global average and
// max pooling against central differences of f64 forwards.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import type { Tensor } from '../src/engine/tensor.js';
import { engineFor, isas } from './engines.js';
import { rng } from './reference.js';

const f = Math.fround;

interface Geom { h: number; w: number; kh: number; kw: number; sh: number; sw: number; ph: number; pw: number }
interface Dims extends Geom { n: number; c: number; oh: number; ow: number }

/** PyTorch's output size (floor mode). */
const outSize = (h: number, k: number, s: number, p: number): number => Math.floor((h + 2 * p - k) / s) + 1;

const GEOMS: Geom[] = [
  { h: 5, w: 7, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 }, // the usual 2×2/2, odd sizes drop a row and a column
  { h: 5, w: 7, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 }, // 'same' 3×3: every pixel in up to 9 windows
  { h: 5, w: 7, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }, // overlapping, stride ≠ kernel
  { h: 5, w: 7, kh: 2, kw: 2, sh: 3, sw: 3, ph: 1, pw: 1 }, // stride > kernel: pixels in no window
  { h: 6, w: 6, kh: 3, kw: 3, sh: 3, sw: 3, ph: 0, pw: 0 },
  { h: 5, w: 7, kh: 2, kw: 3, sh: 1, sw: 2, ph: 1, pw: 0 }, // non-square everything
  { h: 4, w: 5, kh: 2, kw: 2, sh: 1, sw: 1, ph: 1, pw: 1 },
  { h: 5, w: 7, kh: 3, kw: 2, sh: 2, sw: 1, ph: 0, pw: 1 },
];
const CHANNELS = [1, 3, 4, 17, 32];
const BATCHES = [1, 3];

function dims(g: Geom, n: number, c: number): Dims {
  return { ...g, n, c, oh: outSize(g.h, g.kh, g.sh, g.ph), ow: outSize(g.w, g.kw, g.sw, g.pw) };
}
const label = (d: Dims): string =>
  `n=${d.n} ${d.h}×${d.w}×${d.c} k=${d.kh}×${d.kw} s=${d.sh},${d.sw} p=${d.ph},${d.pw}`;

/** The in-image part of window (oy, ox): rows [ya, yb), columns [xa, xb). */
function window(d: Dims, oy: number, ox: number) {
  const iy0 = oy * d.sh - d.ph, ix0 = ox * d.sw - d.pw;
  return { ya: Math.max(iy0, 0), yb: Math.min(iy0 + d.kh, d.h), xa: Math.max(ix0, 0), xb: Math.min(ix0 + d.kw, d.w) };
}

// ---- scalar references ------------------------------------------------------------------------

function maxPoolRef(d: Dims, x: Float32Array): { y: Float32Array; idx: Int32Array } {
  const { n, h, w, c, oh, ow } = d;
  const y = new Float32Array(n * oh * ow * c), idx = new Int32Array(y.length);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const { ya, yb, xa, xb } = window(d, oy, ox);
        for (let ch = 0; ch < c; ch++) {
          let m = -Infinity, k = ya * w + xa;
          for (let iy = ya; iy < yb; iy++) {
            for (let ix = xa; ix < xb; ix++) {
              const v = x[((b * h + iy) * w + ix) * c + ch];
              if (v > m || Number.isNaN(v)) { m = v; k = iy * w + ix; }
            }
          }
          const o = ((b * oh + oy) * ow + ox) * c + ch;
          y[o] = m;
          idx[o] = k;
        }
      }
    }
  }
  return { y, idx };
}

function maxPoolBackwardRef(d: Dims, dy: Float32Array, idx: Int32Array): Float32Array {
  const { n, h, w, c, oh, ow } = d;
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < oh * ow; o++) {
      for (let ch = 0; ch < c; ch++) {
        const q = (b * oh * ow + o) * c + ch, t = (b * h * w + idx[q]) * c + ch;
        dx[t] = f(dx[t] + dy[q]);
      }
    }
  }
  return dx;
}

function divisor(d: Dims, win: ReturnType<typeof window>, countIncludePad: number): number {
  return countIncludePad ? d.kh * d.kw : (win.yb - win.ya) * (win.xb - win.xa);
}

function avgPoolRef(d: Dims, x: Float32Array, countIncludePad: number): Float32Array {
  const { n, h, w, c, oh, ow } = d;
  const y = new Float32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const win = window(d, oy, ox);
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let iy = win.ya; iy < win.yb; iy++) {
            for (let ix = win.xa; ix < win.xb; ix++) s = f(s + x[((b * h + iy) * w + ix) * c + ch]);
          }
          y[((b * oh + oy) * ow + ox) * c + ch] = f(s / divisor(d, win, countIncludePad));
        }
      }
    }
  }
  return y;
}

function avgPoolBackwardRef(d: Dims, dy: Float32Array, countIncludePad: number): Float32Array {
  const { n, h, w, c, oh, ow } = d;
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const win = window(d, oy, ox);
        for (let ch = 0; ch < c; ch++) {
          const g = f(dy[((b * oh + oy) * ow + ox) * c + ch] / divisor(d, win, countIncludePad));
          for (let iy = win.ya; iy < win.yb; iy++) {
            for (let ix = win.xa; ix < win.xb; ix++) {
              const t = ((b * h + iy) * w + ix) * c + ch;
              dx[t] = f(dx[t] + g);
            }
          }
        }
      }
    }
  }
  return dx;
}

function globalAvgRef(n: number, hw: number, c: number, x: Float32Array): Float32Array {
  const y = new Float32Array(n * c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s = f(s + x[(b * hw + p) * c + ch]);
      y[b * c + ch] = f(s / hw);
    }
  }
  return y;
}

function globalAvgBackwardRef(n: number, hw: number, c: number, dy: Float32Array): Float32Array {
  const dx = new Float32Array(n * hw * c);
  for (let b = 0; b < n; b++) for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) dx[(b * hw + p) * c + ch] = f(dy[b * c + ch] / hw);
  return dx;
}

function mulChannelsRef(n: number, hw: number, c: number, x: Float32Array, s: Float32Array): Float32Array {
  const y = new Float32Array(n * hw * c);
  for (let b = 0; b < n; b++) for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) {
    const i = (b * hw + p) * c + ch;
    y[i] = f(x[i] * s[b * c + ch]);
  }
  return y;
}

// ---- data -------------------------------------------------------------------------------------

function uniform(len: number, seed: number, lo = -2, hi = 2): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: len }, () => lo + (hi - lo) * r());
}

/** Few distinct values (many ties), including −0 and +0 side by side. */
function tied(len: number, seed: number): Float32Array {
  const r = rng(seed);
  const levels = [-1, -0, 0, 0.5, 1];
  return Float32Array.from({ length: len }, () => levels[Math.floor(r() * levels.length)]);
}

/** A permutation of well-separated values: every window has a unique maximum by a margin ≥ 1. */
function distinct(len: number, seed: number): Float32Array {
  const r = rng(seed);
  const v = Float32Array.from({ length: len }, (_, i) => i - len / 2);
  for (let i = len - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [v[i], v[j]] = [v[j], v[i]]; }
  return v;
}

/** Index of the first element that differs (Object.is: bits, NaN = NaN), with the values; or undefined. */
function firstDiff(got: ArrayLike<number>, want: ArrayLike<number>): string | undefined {
  if (got.length !== want.length) return `length ${got.length} ≠ ${want.length}`;
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return `element ${i}: got ${got[i]}, want ${want[i]}`;
  return undefined;
}

/** Central difference of a scalar f64 function of x along each coordinate. */
function centralDiff(x: Float64Array, fn: (x: Float64Array) => number, step: number): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + step; const up = fn(x);
    x[i] = v - step; const dn = fn(x);
    x[i] = v;
    g[i] = (up - dn) / (2 * step);
  }
  return g;
}

// ---- kernel callers ---------------------------------------------------------------------------

function kernels(e: Engine) {
  const k = e.kernels;
  const T = (v: ArrayLike<number>): Tensor => e.tensor([Math.max(v.length, 1)], v.length ? v : [0]);
  const E = (len: number): Tensor => e.empty([Math.max(len, 1)]);
  /** i32 contents of a tensor's first len words (copied out: a later allocation may grow memory). */
  const i32Of = (t: Tensor, len: number): Int32Array => new Int32Array(e.memory.buffer, t.pointer(), len).slice();
  const I32 = (v: Int32Array): Tensor => {
    const t = E(v.length);
    new Int32Array(e.memory.buffer, t.pointer(), v.length).set(v);
    return t;
  };
  const B = 4; // bytes per element

  return {
    /** Forward on images [0, n) in `splits` calls (pointers advanced by whole images). */
    maxFwd(d: Dims, x: Float32Array, splits: number[] = [d.n]) {
      return e.scope(() => {
        const outLen = d.n * d.oh * d.ow * d.c, inImg = d.h * d.w * d.c, outImg = d.oh * d.ow * d.c;
        const tx = T(x), ty = E(outLen), ti = E(outLen);
        let b0 = 0;
        for (const m of splits) {
          k.maxPoolForward(m, d.h, d.w, d.c, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.oh, d.ow,
            tx.pointer() + B * b0 * inImg, ty.pointer() + B * b0 * outImg, ti.pointer() + B * b0 * outImg);
          b0 += m;
        }
        return { y: ty.toArray().subarray(0, outLen), idx: i32Of(ti, outLen) };
      });
    },
    maxBwd(d: Dims, dy: Float32Array, idx: Int32Array, splits: number[] = [d.n], garbage = false) {
      return e.scope(() => {
        const inLen = d.n * d.h * d.w * d.c, inImg = d.h * d.w * d.c, outImg = d.oh * d.ow * d.c;
        const tdy = T(dy), ti = I32(idx), tdx = garbage ? T(uniform(inLen, 99, -1e30, 1e30)) : E(inLen);
        let b0 = 0;
        for (const m of splits) {
          k.maxPoolBackward(m, d.h, d.w, d.c, d.oh, d.ow,
            tdy.pointer() + B * b0 * outImg, ti.pointer() + B * b0 * outImg, tdx.pointer() + B * b0 * inImg);
          b0 += m;
        }
        return tdx.toArray().subarray(0, inLen);
      });
    },
    avgFwd(d: Dims, x: Float32Array, cip: number, splits: number[] = [d.n]) {
      return e.scope(() => {
        const outLen = d.n * d.oh * d.ow * d.c, inImg = d.h * d.w * d.c, outImg = d.oh * d.ow * d.c;
        const tx = T(x), ty = E(outLen);
        let b0 = 0;
        for (const m of splits) {
          k.avgPoolForward(m, d.h, d.w, d.c, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.oh, d.ow, cip,
            tx.pointer() + B * b0 * inImg, ty.pointer() + B * b0 * outImg);
          b0 += m;
        }
        return ty.toArray().subarray(0, outLen);
      });
    },
    avgBwd(d: Dims, dy: Float32Array, cip: number, splits: number[] = [d.n], garbage = false) {
      return e.scope(() => {
        const inLen = d.n * d.h * d.w * d.c, inImg = d.h * d.w * d.c, outImg = d.oh * d.ow * d.c;
        const tdy = T(dy), tdx = garbage ? T(uniform(inLen, 98, -1e30, 1e30)) : E(inLen);
        let b0 = 0;
        for (const m of splits) {
          k.avgPoolBackward(m, d.h, d.w, d.c, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw, d.oh, d.ow, cip,
            tdy.pointer() + B * b0 * outImg, tdx.pointer() + B * b0 * inImg);
          b0 += m;
        }
        return tdx.toArray().subarray(0, inLen);
      });
    },
    gapFwd(n: number, hw: number, c: number, x: Float32Array, splits: number[] = [n]) {
      return e.scope(() => {
        const tx = T(x), ty = E(n * c);
        let b0 = 0;
        for (const m of splits) {
          k.globalAvgPoolForward(m, hw, c, tx.pointer() + B * b0 * hw * c, ty.pointer() + B * b0 * c);
          b0 += m;
        }
        return ty.toArray().subarray(0, n * c);
      });
    },
    gapBwd(n: number, hw: number, c: number, dy: Float32Array, splits: number[] = [n]) {
      return e.scope(() => {
        const tdy = T(dy), tdx = E(n * hw * c);
        let b0 = 0;
        for (const m of splits) {
          k.globalAvgPoolBackward(m, hw, c, tdy.pointer() + B * b0 * c, tdx.pointer() + B * b0 * hw * c);
          b0 += m;
        }
        return tdx.toArray().subarray(0, n * hw * c);
      });
    },
    mulCh(n: number, hw: number, c: number, x: Float32Array, s: Float32Array, inPlace = false, splits: number[] = [n]) {
      return e.scope(() => {
        const tx = T(x), ts = T(s), ty = inPlace ? tx : E(n * hw * c);
        let b0 = 0;
        for (const m of splits) {
          k.mulChannels(m, hw, c, tx.pointer() + B * b0 * hw * c, ts.pointer() + B * b0 * c, ty.pointer() + B * b0 * hw * c);
          b0 += m;
        }
        return ty.toArray().subarray(0, n * hw * c);
      });
    },
  };
}

/** Every geometry × channel count × batch, with a seed per case. */
function* cases(): Generator<{ d: Dims; seed: number }> {
  let seed = 1;
  for (const g of GEOMS) for (const c of CHANNELS) for (const n of BATCHES) yield { d: dims(g, n, c), seed: seed++ };
}

for (const isa of isas) {
  describe(`pooling kernels ${isa}`, () => {
    const e = engineFor(isa);
    const K = kernels(e);

    it('the geometries are PyTorch-valid and have the intended shapes', () => {
      for (const g of GEOMS) {
        expect(g.ph <= g.kh / 2 && g.pw <= g.kw / 2).toBe(true);
        const d = dims(g, 1, 1);
        expect(d.oh).toBeGreaterThan(0);
        expect(d.ow).toBeGreaterThan(0);
      }
      expect(dims(GEOMS[0], 1, 1)).toMatchObject({ oh: 2, ow: 3 });
      expect(dims(GEOMS[1], 1, 1)).toMatchObject({ oh: 5, ow: 7 });
      expect(dims(GEOMS[3], 1, 1)).toMatchObject({ oh: 2, ow: 3 });
    });

    it('max pool forward: values and indices equal the reference (random and tied data)', () => {
      for (const { d, seed } of cases()) {
        const len = d.n * d.h * d.w * d.c;
        for (const x of [uniform(len, seed), tied(len, seed)]) {
          const got = K.maxFwd(d, x), want = maxPoolRef(d, x);
          expect(firstDiff(got.y, want.y), label(d)).toBeUndefined();
          expect(firstDiff(got.idx, want.idx), label(d)).toBeUndefined();
        }
      }
    });

    it('max pool: ties go to the first maximum in (ky, kx) order, padding never wins, −0 before +0', () => {
      const d = dims({ h: 2, w: 2, kh: 2, kw: 2, sh: 1, sw: 1, ph: 1, pw: 1 }, 1, 17);
      // every channel: all four pixels equal; channel ch's value is −ch (all negative but channel 0,
      // so −∞ padding must not win); channel 16 holds −0, +0, +0, −0
      const x = new Float32Array(4 * 17);
      for (let p = 0; p < 4; p++) for (let ch = 0; ch < 16; ch++) x[p * 17 + ch] = -ch;
      [-0, 0, 0, -0].forEach((v, p) => { x[p * 17 + 16] = v; });
      const { y, idx } = K.maxFwd(d, x);
      expect(d.oh * d.ow).toBe(9);
      for (let oy = 0; oy < 3; oy++) {
        for (let ox = 0; ox < 3; ox++) {
          const { ya, xa } = window(d, oy, ox);
          for (let ch = 0; ch < 16; ch++) {
            const o = (oy * 3 + ox) * 17 + ch;
            expect(y[o]).toBe(-ch);
            expect(idx[o], `(${oy}, ${ox}) ch ${ch}`).toBe(ya * 2 + xa);
          }
          // the first in-image element of the window, −0 or +0
          const o = (oy * 3 + ox) * 17 + 16;
          expect(Object.is(y[o], x[(ya * 2 + xa) * 17 + 16])).toBe(true);
          expect(idx[o]).toBe(ya * 2 + xa);
        }
      }
    });

    it('max pool: NaN in a window wins (the last NaN, as PyTorch); ±∞ are ordinary values', () => {
      for (const c of [1, 3, 4, 17, 32]) {
        const d = dims({ h: 5, w: 7, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }, 1, c);
        const x = uniform(d.h * d.w * c, 7 + c);
        const at = (iy: number, ix: number, ch: number) => (iy * d.w + ix) * c + ch;
        for (let ch = 0; ch < c; ch++) {
          x[at(1, 1, ch)] = NaN;                   // in windows (0|1, 0|1): with others around
          x[at(3, 2 + (ch % 2), ch)] = NaN;        // two NaNs in window (1, 1) for odd channels
          x[at(3, 3, ch)] = NaN;
          x[at(4, 6, ch)] = ch % 3 === 0 ? Infinity : -Infinity;
          x[at(0, 6, ch)] = -Infinity; x[at(0, 5, ch)] = -Infinity; x[at(1, 5, ch)] = -Infinity; x[at(1, 6, ch)] = -Infinity;
        }
        const got = K.maxFwd(d, x), want = maxPoolRef(d, x);
        expect(firstDiff(got.y, want.y), `c=${c}`).toBeUndefined();
        expect(firstDiff(got.idx, want.idx), `c=${c}`).toBeUndefined();
        const o = (oy: number, ox: number, ch: number) => (oy * d.ow + ox) * c + ch;
        for (let ch = 0; ch < c; ch++) {
          for (const [oy, ox] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            expect(got.y[o(oy, ox, ch)], `(${oy}, ${ox}) ch ${ch}`).toBeNaN();
          }
          expect(got.idx[o(0, 0, ch)]).toBe(1 * d.w + 1);
          // window (1, 1) covers rows 1–3, columns 1–3: NaNs at (1, 1), (3, 2 or 3), (3, 3); the last wins
          expect(got.idx[o(1, 1, ch)]).toBe(3 * d.w + 3);
          // window (0, 3) covers rows 0–1, columns 5–6: all −∞, so its first position
          expect(got.y[o(0, 3, ch)]).toBe(-Infinity);
          expect(got.idx[o(0, 3, ch)]).toBe(0 * d.w + 5);
          if (ch % 3 === 0) expect(got.y[o(2, 3, ch)]).toBe(Infinity);
        }
      }
    });

    it('max pool backward: scatter-adds in (oy, ox) order, overlapping windows accumulate; dx is zeroed first', () => {
      let overlapped = 0;
      for (const { d, seed } of cases()) {
        const len = d.n * d.h * d.w * d.c;
        for (const x of [uniform(len, seed), tied(len, seed)]) {
          const { idx } = maxPoolRef(d, x);
          const dy = uniform(idx.length, seed + 1000);
          const want = maxPoolBackwardRef(d, dy, idx);
          expect(firstDiff(K.maxBwd(d, dy, idx, [d.n], true), want), label(d)).toBeUndefined();
          // gradients arriving at each (image, pixel, channel)
          const hits = new Uint16Array(len);
          for (let q = 0; q < idx.length; q++) {
            const b = Math.floor(q / (d.oh * d.ow * d.c));
            hits[(b * d.h * d.w + idx[q]) * d.c + (q % d.c)]++;
          }
          if (hits.some((v) => v >= 3)) overlapped++;
        }
      }
      expect(overlapped).toBeGreaterThan(20); // tied data in stride-1 windows sends 3+ gradients to one pixel
    });

    it('average pool forward and backward equal the reference, countIncludePad 0 and 1', () => {
      for (const { d, seed } of cases()) {
        const len = d.n * d.h * d.w * d.c;
        const x = seed % 2 ? uniform(len, seed) : tied(len, seed);
        const dy = uniform(d.n * d.oh * d.ow * d.c, seed + 500);
        for (const cip of [0, 1]) {
          expect(firstDiff(K.avgFwd(d, x, cip), avgPoolRef(d, x, cip)), `${label(d)} cip=${cip}`).toBeUndefined();
          expect(firstDiff(K.avgBwd(d, dy, cip, [d.n], true), avgPoolBackwardRef(d, dy, cip)), `${label(d)} cip=${cip}`).toBeUndefined();
        }
      }
    });

    it('average pool: an all −0 window gives +0 (the sum starts at +0); NaN and ∞ propagate', () => {
      const d = dims({ h: 4, w: 4, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 }, 1, 5);
      const x = new Float32Array(16 * 5).fill(-0);
      const at = (iy: number, ix: number, ch: number) => (iy * 4 + ix) * 5 + ch;
      x[at(0, 2, 1)] = NaN;
      x[at(2, 0, 2)] = Infinity;
      x[at(3, 3, 3)] = Infinity; x[at(2, 2, 3)] = -Infinity;
      for (const cip of [0, 1]) {
        const y = K.avgFwd(d, x, cip);
        expect(firstDiff(y, avgPoolRef(d, x, cip))).toBeUndefined();
        expect(Object.is(y[0], 0)).toBe(true);
        expect(y[(0 * 2 + 1) * 5 + 1]).toBeNaN();
        expect(y[(1 * 2 + 0) * 5 + 2]).toBe(Infinity);
        expect(y[(1 * 2 + 1) * 5 + 3]).toBeNaN();
      }
    });

    it('global average pool forward and backward, and mulChannels (also in place), equal the reference', () => {
      for (const hw of [1, 5, 35, 49]) {
        for (const c of [1, 2, 3, 4, 5, 16, 17, 20, 32, 35]) {
          for (const n of BATCHES) {
            const seed = hw * 1000 + c * 10 + n;
            const x = uniform(n * hw * c, seed), dy = uniform(n * c, seed + 1), s = uniform(n * c, seed + 2);
            const at = `n=${n} hw=${hw} c=${c}`;
            expect(firstDiff(K.gapFwd(n, hw, c, x), globalAvgRef(n, hw, c, x)), at).toBeUndefined();
            expect(firstDiff(K.gapBwd(n, hw, c, dy), globalAvgBackwardRef(n, hw, c, dy)), at).toBeUndefined();
            const want = mulChannelsRef(n, hw, c, x, s);
            expect(firstDiff(K.mulCh(n, hw, c, x, s), want), at).toBeUndefined();
            expect(firstDiff(K.mulCh(n, hw, c, x, s, true), want), at).toBeUndefined();
          }
        }
      }
      // a spatial-dropout mask: zeros and one scale; NaN·0 stays NaN
      const x = uniform(2 * 6 * 3, 5);
      x[4] = NaN;
      const s = Float32Array.from([0, 2, 0, 2, 0, 2]);
      expect(firstDiff(K.mulCh(2, 6, 3, x, s), mulChannelsRef(2, 6, 3, x, s))).toBeUndefined();
    });

    it('a call split by images gives the bits of one call (every kernel)', () => {
      const splitsOf = (n: number): number[][] => (n === 3 ? [[1, 1, 1], [2, 1], [1, 2]] : [[1]]);
      for (const { d, seed } of cases()) {
        if (d.n !== 3) continue;
        const len = d.n * d.h * d.w * d.c;
        const x = tied(len, seed), dy = uniform(d.n * d.oh * d.ow * d.c, seed + 3);
        const whole = K.maxFwd(d, x);
        const wholeBack = K.maxBwd(d, dy, whole.idx);
        const avg = [0, 1].map((cip) => K.avgFwd(d, x, cip));
        const avgBack = [0, 1].map((cip) => K.avgBwd(d, dy, cip));
        for (const sp of splitsOf(d.n)) {
          const at = `${label(d)} split ${sp.join('+')}`;
          const part = K.maxFwd(d, x, sp);
          expect(firstDiff(part.y, whole.y), at).toBeUndefined();
          expect(firstDiff(part.idx, whole.idx), at).toBeUndefined();
          expect(firstDiff(K.maxBwd(d, dy, whole.idx, sp, true), wholeBack), at).toBeUndefined();
          for (const cip of [0, 1]) {
            expect(firstDiff(K.avgFwd(d, x, cip, sp), avg[cip]), at).toBeUndefined();
            expect(firstDiff(K.avgBwd(d, dy, cip, sp, true), avgBack[cip]), at).toBeUndefined();
          }
        }
      }
      for (const c of [1, 3, 17, 32]) {
        const n = 3, hw = 35, x = uniform(n * hw * c, c), dy = uniform(n * c, c + 1), s = uniform(n * c, c + 2);
        for (const sp of [[1, 1, 1], [2, 1]]) {
          expect(firstDiff(K.gapFwd(n, hw, c, x, sp), K.gapFwd(n, hw, c, x))).toBeUndefined();
          expect(firstDiff(K.gapBwd(n, hw, c, dy, sp), K.gapBwd(n, hw, c, dy))).toBeUndefined();
          expect(firstDiff(K.mulCh(n, hw, c, x, s, false, sp), K.mulCh(n, hw, c, x, s))).toBeUndefined();
        }
      }
    });

    it('gradients: avg, global avg and max pool backward against central differences of f64 forwards', () => {
      // L(x) = Σ r·pool(x) with fixed weights r; ∂L/∂x is the backward kernel applied to dy = r.
      // Average pools are linear, so the central difference is exact up to f64 rounding; the
      // kernels' f32 results carry a few roundings: tolerance 1e-5 relative to the magnitude.
      const close = (got: Float32Array, want: Float64Array, scale: number, at: string) => {
        for (let i = 0; i < want.length; i++) {
          expect(Math.abs(got[i] - want[i]), `${at} element ${i}: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(1e-5 * scale + 1e-9);
        }
      };
      const avg64 = (d: Dims, x: Float64Array, r: Float32Array, cip: number): number => {
        let L = 0;
        for (let b = 0; b < d.n; b++) for (let oy = 0; oy < d.oh; oy++) for (let ox = 0; ox < d.ow; ox++) {
          const win = window(d, oy, ox), dv = divisor(d, win, cip);
          for (let ch = 0; ch < d.c; ch++) {
            let s = 0;
            for (let iy = win.ya; iy < win.yb; iy++) for (let ix = win.xa; ix < win.xb; ix++) s += x[((b * d.h + iy) * d.w + ix) * d.c + ch];
            L += r[((b * d.oh + oy) * d.ow + ox) * d.c + ch] * (s / dv);
          }
        }
        return L;
      };
      const max64 = (d: Dims, x: Float64Array, r: Float32Array): number => {
        let L = 0;
        for (let b = 0; b < d.n; b++) for (let oy = 0; oy < d.oh; oy++) for (let ox = 0; ox < d.ow; ox++) {
          const win = window(d, oy, ox);
          for (let ch = 0; ch < d.c; ch++) {
            let m = -Infinity;
            for (let iy = win.ya; iy < win.yb; iy++) for (let ix = win.xa; ix < win.xb; ix++) m = Math.max(m, x[((b * d.h + iy) * d.w + ix) * d.c + ch]);
            L += r[((b * d.oh + oy) * d.ow + ox) * d.c + ch] * m;
          }
        }
        return L;
      };
      for (const g of [GEOMS[1], GEOMS[2], GEOMS[3], GEOMS[5]]) {
        for (const c of g === GEOMS[2] ? [1, 5, 17] : [1, 5]) {
          const d = dims(g, 2, c);
          const len = d.n * d.h * d.w * d.c;
          const r = uniform(d.n * d.oh * d.ow * d.c, len + c);
          for (const cip of [0, 1]) {
            const x = Float64Array.from(uniform(len, c + cip));
            const fd = centralDiff(x, (v) => avg64(d, v, r, cip), 1e-3);
            close(K.avgBwd(d, r, cip), fd, 2, `avg ${label(d)} cip=${cip}`);
          }
          // max: a unique maximum by a margin ≥ 1 per window, so a step of 1e-3 never changes the argmax
          const xd = distinct(len, 3 * c);
          const fdMax = centralDiff(Float64Array.from(xd), (v) => max64(d, v, r), 1e-3);
          close(K.maxBwd(d, r, K.maxFwd(d, xd).idx), fdMax, 4, `max ${label(d)}`);
        }
      }
      for (const [n, hw, c] of [[2, 35, 1], [3, 49, 17], [1, 5, 32]]) {
        const x = Float64Array.from(uniform(n * hw * c, hw)), r = uniform(n * c, c);
        const gap64 = (v: Float64Array): number => {
          let L = 0;
          for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) {
            let s = 0;
            for (let p = 0; p < hw; p++) s += v[(b * hw + p) * c + ch];
            L += r[b * c + ch] * (s / hw);
          }
          return L;
        };
        close(K.gapBwd(n, hw, c, r), centralDiff(x, gap64, 1e-3), 2, `global n=${n} hw=${hw} c=${c}`);
      }
    });
  });
}
