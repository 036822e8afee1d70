// Convolution lowering kernels (assembly/nn/conv.ts) against plain scalar references, for every
// ISA this runtime runs.
//
// Both comparisons are exact (bit for bit):
//  - im2col only copies floats or writes +0, so its output is determined.
//  - col2im adds into each dx element in ascending row r of cols (a row cannot hit the same dx
//    element twice), starting from +0 for accumulate = 0 or from the given dx for accumulate = 1.
//    The reference below walks r, ky, kx, ci in ascending order and rounds every sum to f32
//    (Math.fround), which is the same sequence of additions per element.
// Channels outside c0..c0+cg−1 of dx must keep their values: the reference copies them, and the
// exact comparison covers them. A few sentinel floats after cols and dx catch stores past the end
// (the vector tails of the kernel).
// The adjoint identity ⟨im2col(x), Y⟩ = ⟨x, col2im(Y)⟩ is checked in f64: the left side is exact
// products of f32 values summed in f64; on the right each dx element is an f32 sum of at most
// kh·kw terms, whose rounding error is at most (kh·kw − 1)·2^-24·Σ|terms|, so the two differ by
// at most kh·kw·2^-24·⟨|im2col(x)|, |Y|⟩ (plus f64 summation noise far below that).
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { engineFor, isas } from './engines.js';
import { bits, rng } from './reference.js';

const f = Math.fround;
const SENTINEL = 12345.5;
const PAD = 9;                   // sentinel floats after each output buffer

interface Conv {
  n: number; h: number; w: number; c: number; c0: number; cg: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}
interface Sized extends Conv { oh: number; ow: number; K: number; rows: number }

/** Output size as PyTorch: floor((h + 2·ph − dh·(kh − 1) − 1)/sh) + 1. */
function sized(p: Conv): Sized {
  const oh = Math.floor((p.h + 2 * p.ph - p.dh * (p.kh - 1) - 1) / p.sh) + 1;
  const ow = Math.floor((p.w + 2 * p.pw - p.dw * (p.kw - 1) - 1) / p.sw) + 1;
  return { ...p, oh, ow, K: p.kh * p.kw * p.cg, rows: p.n * oh * ow };
}

function conv(o: Partial<Conv> & Pick<Conv, 'h' | 'w' | 'c' | 'kh' | 'kw'>): Sized {
  return sized({ n: 1, c0: 0, cg: o.c, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, ...o });
}

function label(p: Sized): string {
  return `n${p.n} ${p.h}×${p.w}×${p.c} [${p.c0},+${p.cg}) k${p.kh}×${p.kw} s${p.sh},${p.sw} p${p.ph},${p.pw} d${p.dh},${p.dw} → ${p.oh}×${p.ow}`;
}

/** Calls fn(r, t, xIndex) for every (row r, column t of cols) and its x index, or −1 outside the image, in ascending (r, ky, kx, ci). */
function forTaps(p: Sized, fn: (r: number, t: number, xi: number) => void): void {
  for (let img = 0; img < p.n; img++) {
    for (let oy = 0; oy < p.oh; oy++) {
      for (let ox = 0; ox < p.ow; ox++) {
        const r = (img * p.oh + oy) * p.ow + ox;
        for (let ky = 0; ky < p.kh; ky++) {
          for (let kx = 0; kx < p.kw; kx++) {
            const iy = oy * p.sh - p.ph + ky * p.dh;
            const ix = ox * p.sw - p.pw + kx * p.dw;
            const inside = iy >= 0 && iy < p.h && ix >= 0 && ix < p.w;
            for (let ci = 0; ci < p.cg; ci++) {
              const t = (ky * p.kw + kx) * p.cg + ci;
              fn(r, t, inside ? ((img * p.h + iy) * p.w + ix) * p.c + p.c0 + ci : -1);
            }
          }
        }
      }
    }
  }
}

function im2colRef(p: Sized, x: Float32Array): Float32Array {
  const cols = new Float32Array(p.rows * p.K);
  forTaps(p, (r, t, xi) => { cols[r * p.K + t] = xi < 0 ? 0 : x[xi]; });
  return cols;
}

function col2imRef(p: Sized, cols: Float32Array, dx0: Float32Array, accumulate: number): Float32Array {
  const dx = dx0.slice();
  if (!accumulate) {
    for (let pix = 0; pix < p.n * p.h * p.w; pix++) dx.fill(0, pix * p.c + p.c0, pix * p.c + p.c0 + p.cg);
  }
  forTaps(p, (r, t, xi) => { if (xi >= 0) dx[xi] = f(dx[xi] + cols[r * p.K + t]); });
  return dx;
}

function random(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 4 - 2);
}

function withSentinels(a: Float32Array): Float32Array {
  const out = new Float32Array(a.length + PAD).fill(SENTINEL);
  out.set(a);
  return out;
}

interface Ran { cols: Float32Array; dx: Float32Array }

/** im2col of x, then col2im of cols into dx0 (both through the kernels); outputs without sentinels, which are checked. */
function run(e: Engine, p: Sized, x: Float32Array, y: Float32Array, dx0: Float32Array, accumulate: number): Ran {
  return e.scope(() => {
    const tx = e.tensor([x.length], x);
    const tc = e.tensor([p.rows * p.K + PAD], withSentinels(new Float32Array(p.rows * p.K).fill(-7)));
    e.kernels.im2col(p.n, p.h, p.w, p.c, p.c0, p.cg, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.oh, p.ow,
      tx.pointer(), tc.pointer());
    const cols = tc.toArray();
    const ty = e.tensor([y.length], y);
    const tdx = e.tensor([dx0.length + PAD], withSentinels(dx0));
    e.kernels.col2im(p.n, p.h, p.w, p.c, p.c0, p.cg, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.oh, p.ow,
      ty.pointer(), tdx.pointer(), accumulate);
    const dx = tdx.toArray();
    expect(Array.from(cols.subarray(p.rows * p.K)), 'im2col wrote past cols').toEqual(new Array(PAD).fill(SENTINEL));
    expect(Array.from(dx.subarray(dx0.length)), 'col2im wrote past dx').toEqual(new Array(PAD).fill(SENTINEL));
    return { cols: cols.slice(0, p.rows * p.K), dx: dx.slice(0, dx0.length) };
  });
}

/** The listed shapes: every feature the brief names at least once, most of them several times. */
const CASES: Sized[] = [
  conv({ h: 5, w: 7, c: 1, kh: 3, kw: 3 }),                                          // cg = 1, odd h ≠ w
  conv({ h: 5, w: 7, c: 3, kh: 3, kw: 3, ph: 1, pw: 1 }),                            // cg = 3, "same"
  conv({ h: 7, w: 5, c: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, n: 3 }),        // stride 2, cg = 5
  conv({ h: 8, w: 9, c: 16, kh: 3, kw: 3, sh: 3, sw: 3, ph: 2, pw: 2 }),             // stride 3, padding 2
  conv({ h: 7, w: 5, c: 33, kh: 3, kw: 3, dh: 2, dw: 2, ph: 2, pw: 2, n: 3 }),       // dilation 2, cg = 33
  conv({ h: 2, w: 3, c: 3, kh: 5, kw: 5, ph: 2, pw: 2 }),                            // kernel larger than the input
  conv({ h: 3, w: 2, c: 1, kh: 5, kw: 4, ph: 2, pw: 2, n: 3 }),
  conv({ h: 4, w: 3, c: 5, kh: 2, kw: 2, ph: 2, pw: 2 }),                            // padding ≥ kernel: rows of zeros
  conv({ h: 4, w: 6, c: 16, kh: 1, kw: 1, ph: 2, pw: 1, sh: 2, sw: 3 }),             // 1×1 kernel with padding
  conv({ h: 6, w: 5, c: 16, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 0, dh: 1, dw: 2 }),
  conv({ h: 9, w: 7, c: 64, kh: 3, kw: 3, sh: 1, sw: 2, ph: 0, pw: 1, dh: 2, dw: 1, n: 3 }),
  conv({ h: 5, w: 7, c: 48, c0: 16, cg: 16, kh: 3, kw: 3, ph: 1, pw: 1, n: 3 }),     // groups
  conv({ h: 5, w: 7, c: 7, c0: 2, cg: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }),
  conv({ h: 6, w: 5, c: 66, c0: 33, cg: 33, kh: 3, kw: 3, dh: 2, dw: 2, ph: 2, pw: 1 }),
  conv({ h: 5, w: 7, c: 4, c0: 1, cg: 1, kh: 3, kw: 3, sh: 3, sw: 2, ph: 2, pw: 2 }),
  conv({ h: 5, w: 7, c: 6, c0: 3, cg: 3, kh: 5, kw: 5, ph: 2, pw: 2, n: 3 }),
  conv({ h: 4, w: 4, c: 32, c0: 0, cg: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 }),
  conv({ h: 1, w: 1, c: 3, kh: 3, kw: 3, ph: 1, pw: 1 }),                            // one pixel
  conv({ h: 2, w: 2, c: 2, kh: 1, kw: 1, sh: 3, sw: 3, n: 3 }),                      // stride past the image: pixels never read
];

/** Random shapes: sizes 1..9, channels up to 40, every stride/padding/dilation combination mixed. */
function randomCases(count: number, seed: number): Sized[] {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const out: Sized[] = [];
  while (out.length < count) {
    const cg = [1, 2, 3, 4, 5, 8, 16, 17, 33, 40][int(0, 9)];
    const c = r() < 0.5 ? cg : cg + int(1, 9);
    const p = sized({
      n: int(1, 3), h: int(1, 9), w: int(1, 9), c, c0: int(0, c - cg), cg,
      kh: int(1, 5), kw: int(1, 5), sh: int(1, 3), sw: int(1, 3), ph: int(0, 3), pw: int(0, 3), dh: int(1, 3), dw: int(1, 3),
    });
    if (p.oh > 0 && p.ow > 0) out.push(p);
  }
  return out;
}

function checkAgainstReference(e: Engine, p: Sized, seed: number): void {
  const x = random(p.n * p.h * p.w * p.c, seed);
  const y = random(p.rows * p.K, seed + 1);
  const dx0 = random(x.length, seed + 2);
  const wantCols = im2colRef(p, x);
  for (const accumulate of [0, 1]) {
    const got = run(e, p, x, y, dx0, accumulate);
    expect(bits(got.cols), `im2col ${label(p)}`).toEqual(bits(wantCols));
    expect(bits(got.dx), `col2im ${label(p)} accumulate ${accumulate}`).toEqual(bits(col2imRef(p, y, dx0, accumulate)));
  }
}

for (const isa of isas) {
  describe(`conv lowering (${isa})`, () => {
    const e: Engine = engineFor(isa);

    it('im2col and col2im match the scalar references bit for bit on the listed shapes', () => {
      CASES.forEach((p, i) => {
        expect(p.oh > 0 && p.ow > 0, label(p)).toBe(true);
        checkAgainstReference(e, p, 100 + 10 * i);
      });
    });

    it('and on 150 random shapes', () => {
      randomCases(150, 7).forEach((p, i) => checkAgainstReference(e, p, 5000 + 10 * i));
    });

    it('col2im with accumulate = 0 ignores what was in dx (NaN included) on its channels only', () => {
      const p = conv({ h: 5, w: 7, c: 7, c0: 2, cg: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, n: 3 });
      const x = random(p.n * p.h * p.w * p.c, 1);
      const y = random(p.rows * p.K, 2);
      const dx0 = random(x.length, 3);
      for (let i = 0; i < dx0.length; i++) if (i % p.c >= p.c0 && i % p.c < p.c0 + p.cg) dx0[i] = NaN;
      const got = run(e, p, x, y, dx0, 0).dx;
      for (let i = 0; i < got.length; i++) {
        const mine = i % p.c >= p.c0 && i % p.c < p.c0 + p.cg;
        if (mine) expect(Number.isFinite(got[i]), `dx[${i}]`).toBe(true);
        else expect(Object.is(got[i], dx0[i]), `dx[${i}] (other channel) changed`).toBe(true);
      }
    });

    it('adjoint identity ⟨im2col(x), Y⟩ = ⟨x, col2im(Y)⟩ in f64', () => {
      const shapes = [...CASES, ...randomCases(40, 11)];
      shapes.forEach((p, i) => {
        const x = random(p.n * p.h * p.w * p.c, 900 + i);
        const y = random(p.rows * p.K, 1900 + i);
        const { cols, dx } = run(e, p, x, y, new Float32Array(x.length).fill(NaN), 0);
        let left = 0, scale = 0, right = 0;
        for (let k = 0; k < cols.length; k++) {
          left += cols[k] * y[k];
          scale += Math.abs(cols[k] * y[k]);
        }
        for (let k = 0; k < x.length; k++) {
          const pix = k % p.c;
          if (pix >= p.c0 && pix < p.c0 + p.cg) right += x[k] * dx[k];
        }
        const bound = p.kh * p.kw * 2 ** -24 * scale + 1e-12 * (scale + 1);
        expect(Math.abs(left - right), label(p)).toBeLessThanOrEqual(bound);
      });
    });

    it('a call split by images (offset pointers) gives the same bits as one call', () => {
      const shapes = [
        conv({ h: 5, w: 7, c: 3, kh: 3, kw: 3, ph: 1, pw: 1, n: 5 }),
        conv({ h: 7, w: 5, c: 33, c0: 0, cg: 33, kh: 3, kw: 3, sh: 2, sw: 2, ph: 2, pw: 2, dh: 2, dw: 1, n: 5 }),
        conv({ h: 6, w: 6, c: 20, c0: 4, cg: 16, kh: 3, kw: 3, sh: 1, sw: 2, ph: 1, pw: 1, n: 5 }),
        conv({ h: 5, w: 6, c: 7, c0: 2, cg: 5, kh: 3, kw: 3, n: 5 }),   // no padding: an image ends on a copied run
      ];
      for (const p of shapes) {
        const n1 = 2, n2 = p.n - n1;
        const xImg = p.h * p.w * p.c, rowsImg = p.oh * p.ow;
        const x = random(p.n * xImg, 31);
        const y = random(p.rows * p.K, 32);
        const dx0 = random(x.length, 33);
        for (const accumulate of [0, 1]) {
          const whole = run(e, p, x, y, dx0, accumulate);
          const parts = e.scope(() => {
            const tx = e.tensor([x.length], x);
            const tc = e.tensor([y.length], new Float32Array(y.length).fill(-7));
            const ty = e.tensor([y.length], y);
            const tdx = e.tensor([x.length], dx0);
            // the later images first: a store of the first call spilling past its own images
            // would then clobber what the second call wrote
            for (const [img0, cnt] of [[n1, n2], [0, n1]]) {
              const xo = img0 * xImg * 4, co = img0 * rowsImg * p.K * 4;
              e.kernels.im2col(cnt, p.h, p.w, p.c, p.c0, p.cg, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.oh, p.ow,
                tx.pointer() + xo, tc.pointer() + co);
              e.kernels.col2im(cnt, p.h, p.w, p.c, p.c0, p.cg, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.oh, p.ow,
                ty.pointer() + co, tdx.pointer() + xo, accumulate);
            }
            return { cols: tc.toArray(), dx: tdx.toArray() };
          });
          expect(bits(parts.cols), `im2col ${label(p)}`).toEqual(bits(whole.cols));
          expect(bits(parts.dx), `col2im ${label(p)} accumulate ${accumulate}`).toEqual(bits(whole.dx));
        }
      }
    });

    it('sizes with nothing to do leave memory alone (n = 0, cg = 0)', () => {
      const p = conv({ h: 3, w: 3, c: 4, kh: 3, kw: 3, ph: 1, pw: 1 });
      e.scope(() => {
        const tx = e.tensor([36], random(36, 1));
        const tc = e.tensor([PAD], new Float32Array(PAD).fill(SENTINEL));
        const tdx = e.tensor([PAD], new Float32Array(PAD).fill(SENTINEL));
        for (const [n, cg] of [[0, 4], [1, 0]]) {
          e.kernels.im2col(n, p.h, p.w, p.c, 0, cg, p.kh, p.kw, 1, 1, 1, 1, 1, 1, p.oh, p.ow, tx.pointer(), tc.pointer());
          e.kernels.col2im(n, p.h, p.w, p.c, 0, cg, p.kh, p.kw, 1, 1, 1, 1, 1, 1, p.oh, p.ow, tx.pointer(), tdx.pointer(), 0);
        }
        expect(Array.from(tc.toArray())).toEqual(new Array(PAD).fill(SENTINEL));
        expect(Array.from(tdx.toArray())).toEqual(new Array(PAD).fill(SENTINEL));
      });
    });
  });
}
