// Convolution lowering for NHWC activations (pointers in bytes, sizes in elements).
//
// A 2-D convolution is one GEMM on a lowered matrix: row r = (img·oh + oy)·ow + ox of the
// "im2col" matrix holds the kh·kw·cg input values under the kernel when it sits at output
// position (oy, ox), ordered (ky, kx, ci) with ci fastest. That order is the one NHWC itself
// uses (channels fastest, then x, then y), so each in-image tap is a run of cg contiguous floats
// in both x and cols, and the product
//   y[n·oh·ow, cout] = cols[n·oh·ow, kh·kw·cg] · W[kh·kw·cg, cout]      (W as [kh, kw, cin, cout])
// is already the NHWC output: no transposes, and the fast GEMM (assembly/gemm/) does the work.
// The price is memory and copying: kh·kw times the input, O(n·oh·ow·kh·kw·cg) against the
// product's O(n·oh·ow·kh·kw·cg·cout), so lowering is a small share unless cout is small.
//
//   im2col: cols[r·K + (ky·kw + kx)·cg + ci] = x[img, iy, ix, c0 + ci],   K = kh·kw·cg,
//           iy = oy·sh − ph + ky·dh,  ix = ox·sw − pw + kx·dw,  and 0 outside the image.
//   col2im: its adjoint (transpose): dx[img, iy, ix, c0 + ci] += cols[...] over every in-image
//           (r, ky, kx); the input gradient is col2im(dY · Wᵀ). accumulate = 0 first sets
//           channels c0..c0+cg−1 of dx to 0; other channels are never touched.
// Grouped convolutions call once per group with its channel range c0..c0+cg−1 of c.
//
// The in-image taps of a window form ranges ky0 ≤ ky < ky1 (once per oy) and kx0 ≤ kx < kx1
// (ix is increasing in kx; once per edge column, the interior columns have all kw taps), with a
// division only when the dilation is > 1. So the loops never test a single element: zeros outside
// the ranges are vector stores, each tap a run of cg floats copied 16 and 4 at a time. When dw = 1 and cg = c the taps are
// adjacent in x as well, and the whole range is one run (the c = 1 or 3 first layer of a CNN:
// kw·c floats at once instead of kw runs of 1 or 3).
//
// Determinism: col2im adds into each dx element in ascending r (the same dx element cannot be
// hit twice within one row: distinct (ky, kx) give distinct (iy, ix) as dh, dw ≥ 1), starting
// from 0 when accumulate = 0 — exactly the roundings of the obvious scalar loop. Images touch
// disjoint parts of x, cols and dx, so a call split by images (offset pointers) gives the same
// bits as one call.

/** dst[0..len) = src[0..len) (len ≥ 0; the buffers must not overlap). */
@inline function copyRun(dst: usize, src: usize, len: i32): void {
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const o = <usize>i << 2;
    const s = src + o, d = dst + o;
    v128.store(d, v128.load(s));
    v128.store(d, v128.load(s, 16), 16);
    v128.store(d, v128.load(s, 32), 32);
    v128.store(d, v128.load(s, 48), 48);
  }
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, v128.load(src + o));
  }
  if (i < len) {
    if (len >= 4) {
      // the last 4 floats again, overlapping the previous store (copying twice is harmless)
      const o = <usize>(len - 4) << 2;
      v128.store(dst + o, v128.load(src + o));
    } else {
      for (; i < len; i++) {
        const o = <usize>i << 2;
        store<f32>(dst + o, load<f32>(src + o));
      }
    }
  }
}

/** dst[0..len) = 0. */
@inline function zeroRun(dst: usize, len: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const d = dst + (<usize>i << 2);
    v128.store(d, z);
    v128.store(d, z, 16);
    v128.store(d, z, 32);
    v128.store(d, z, 48);
  }
  for (; i + 4 <= len; i += 4) v128.store(dst + (<usize>i << 2), z);
  if (i < len) {
    if (len >= 4) v128.store(dst + (<usize>(len - 4) << 2), z);
    else for (; i < len; i++) store<f32>(dst + (<usize>i << 2), 0);
  }
}

/** dst[0..len) += src[0..len), one f32 addition per element (no overlapping tail: adds are not idempotent). */
@inline function addRun(dst: usize, src: usize, len: i32): void {
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const o = <usize>i << 2;
    const s = src + o, d = dst + o;
    v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
    v128.store(d, f32x4.add(v128.load(d, 16), v128.load(s, 16)), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), v128.load(s, 32)), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), v128.load(s, 48)), 48);
  }
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/** First kx with ix0 + kx·dw ≥ 0, clamped to [0, kw]. */
@inline function tapsFrom(ix0: i32, dw: i32, kw: i32): i32 {
  if (ix0 >= 0) return 0;
  // an integer division costs more than copying a c = 1 row: avoid it in the common dw = 1
  return min(kw, dw == 1 ? -ix0 : (-ix0 + dw - 1) / dw);
}

/** One past the last kx with ix0 + kx·dw ≤ w − 1, clamped to [lo, kw]. */
@inline function tapsTo(ix0: i32, dw: i32, kw: i32, w: i32, lo: i32): i32 {
  const room = w - 1 - ix0;
  if (room < 0) return lo;
  return max(lo, min(kw, (dw == 1 ? room : room / dw) + 1));
}

/**
 * dst[0..len) = src[0..len) in whole vectors: up to 3 floats past len are written (with
 * whatever follows src[len − 1]) and up to 3 read. Only where a later store covers them.
 */
@inline function copySpill(dst: usize, src: usize, len: i32): void {
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const o = <usize>i << 2;
    const s = src + o, d = dst + o;
    v128.store(d, v128.load(s));
    v128.store(d, v128.load(s, 16), 16);
    v128.store(d, v128.load(s, 32), 32);
    v128.store(d, v128.load(s, 48), 48);
  }
  for (; i < len; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, v128.load(src + o));
  }
}

/** dst[0..len) = 0 in whole vectors, up to 3 floats past len too (as copySpill). */
@inline function zeroSpill(dst: usize, len: i32): void {
  const z = f32x4.splat(0);
  for (let i = 0; i < len; i += 4) v128.store(dst + (<usize>i << 2), z);
}

/** Output columns [lo, hi) whose kw taps all lie inside the width w (lo = hi when there are none). */
@inline function interiorFrom(sw: i32, pw: i32, ow: i32): i32 {
  return min(ow, (pw + sw - 1) / sw);
}
@inline function interiorTo(w: i32, kw: i32, sw: i32, pw: i32, dw: i32, ow: i32, lo: i32): i32 {
  const lim = w - 1 + pw - (kw - 1) * dw;          // largest ox·sw with the last tap inside
  if (lim < 0) return lo;
  return max(lo, min(ow, lim / sw + 1));
}

/**
 * One row of cols at o for a window whose ky taps ky0 .. ky0+nky−1 lie in the image (nky may be 0)
 * and whose kx taps may be cut by the left or right edge: the general case, for the edge columns.
 */
function im2colRow(o: usize, top: usize, ix0: i32, ky0: i32, nky: i32, kh: i32, kw: i32, w: i32, cg: i32,
                   dw: i32, pixB: usize, dyB: usize, oneRun: bool, colsEnd: usize, xEnd: usize): void {
  const tapRow = kw * cg;
  const tapRowB = <usize>tapRow << 2;
  const rowLen = kh * tapRow;
  const kx0 = tapsFrom(ix0, dw, kw);
  const nkx = tapsTo(ix0, dw, kw, w, kx0) - kx0;
  if (nky == 0 || nkx == 0) {
    zeroRun(o, rowLen);
    return;
  }
  const cgB = <usize>cg << 2;
  const tapB = <usize>dw * pixB;
  const inLen = nkx * cg;
  const lead = kx0 * cg;
  const trail = tapRow - lead - inLen;
  const leadB = <usize>lead << 2;
  const trailAt = <usize>(lead + inLen) << 2;
  let s = top + <usize>(ix0 + kx0 * dw) * pixB;   // tap (ky0, kx0)
  let d = o + <usize>ky0 * tapRowB;
  const readEnd = s + <usize>(nky - 1) * dyB + <usize>(nkx - 1) * tapB + cgB + 12;
  const spill = o + (<usize>rowLen << 2) + 16 <= colsEnd && readEnd <= xEnd;
  if (ky0 > 0) zeroRun(o, ky0 * tapRow);
  for (let ky = 0; ky < nky; ky++) {
    if (lead > 0) zeroRun(d, lead);
    if (oneRun) {
      if (spill) copySpill(d + leadB, s, inLen);
      else copyRun(d + leadB, s, inLen);
    } else {
      let dd = d + leadB, ss = s;
      for (let kx = 0; kx < nkx; kx++) {
        if (spill) copySpill(dd, ss, cg);
        else copyRun(dd, ss, cg);
        dd += cgB;
        ss += tapB;
      }
    }
    if (trail > 0) zeroRun(d + trailAt, trail);
    d += tapRowB;
    s += dyB;
  }
  if (ky0 + nky < kh) zeroRun(d, (kh - ky0 - nky) * tapRow);
}

// x: [n, h, w, c] NHWC; channels c0 .. c0+cg−1 are lowered into cols [n·oh·ow, kh·kw·cg].
//
// Rows of cols are written in ascending address order (zeros, runs, zeros, next ky, next row),
// so a store may spill up to 3 floats past the run it writes: the floats after it are written
// later anyway. That turns a run of 1–3 floats (c = 1, or cg = 1 in a depthwise layer) into one
// vector copy. A row spills only if its spill stays inside cols and its loads inside x (the
// images this call lowers); otherwise — the last rows — it is written with exact-length runs.
// The interior columns (all kw taps inside the width, a range computed once per call) take a
// loop without range arithmetic: at c = 1 that arithmetic cost more than the copying.
export function im2col(n: i32, h: i32, w: i32, c: i32, c0: i32, cg: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                       ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32, x: usize, cols: usize): void {
  if (n <= 0 || oh <= 0 || ow <= 0 || cg <= 0 || kh <= 0 || kw <= 0) return;
  const tapRow = kw * cg;                          // floats of one ky in a row of cols
  const tapRowB = <usize>tapRow << 2;
  const rowLenB = <usize>kh * tapRowB;             // bytes of a row of cols
  const cgB = <usize>cg << 2;
  const pixB = <usize>c << 2;                      // bytes between horizontally adjacent pixels
  const tapB = <usize>dw * pixB;                   // bytes between kx taps
  const rowB = <usize>w * pixB;                    // bytes between image rows
  const dyB = <usize>dh * rowB;                    // bytes between ky taps
  const oxStepB = <usize>sw * pixB;                // bytes between the windows of adjacent ox
  const imgB = <usize>h * rowB;
  const oneRun = dw == 1 && cg == c;
  const colsEnd = cols + <usize>n * oh * ow * rowLenB;
  const xEnd = x + <usize>n * imgB;
  const oxLo = interiorFrom(sw, pw, ow);
  const oxHi = interiorTo(w, kw, sw, pw, dw, ow, oxLo);
  // bytes from a window's first in-image tap to the end of its last (+ 12 that a spill may read)
  const windowB = <usize>(kw - 1) * tapB + cgB + 12;
  let o = cols;
  let xi = x + (<usize>c0 << 2);
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - ph;
      const ky0 = tapsFrom(iy0, dh, kh);
      const nky = tapsTo(iy0, dh, kh, h, ky0) - ky0;
      const top = xi + <usize>(iy0 + ky0 * dh) * rowB;  // image row of tap ky0 (if nky > 0)
      const head = ky0 * tapRow;                        // zeros before tap ky0, and after the last
      const tail = (kh - ky0 - nky) * tapRow;
      // the interior columns, if their last row may spill
      let lo = oxLo, hi = oxHi;
      if (nky == 0) hi = lo;
      else if (lo < hi) {
        const lastRow = o + <usize>(hi - 1) * rowLenB;
        const lastRead = top + <usize>((hi - 1) * sw - pw) * pixB + <usize>(nky - 1) * dyB + windowB;
        if (lastRow + rowLenB + 16 > colsEnd || lastRead > xEnd) hi = lo;
      }
      let ox = 0;
      for (; ox < lo; ox++) {
        im2colRow(o, top, ox * sw - pw, ky0, nky, kh, kw, w, cg, dw, pixB, dyB, oneRun, colsEnd, xEnd);
        o += rowLenB;
      }
      let s0 = top + <usize>(lo * sw - pw) * pixB;
      for (; ox < hi; ox++) {
        if (head > 0) zeroSpill(o, head);
        let d = o + (<usize>head << 2), s = s0;
        for (let ky = 0; ky < nky; ky++) {
          if (oneRun) {
            copySpill(d, s, tapRow);
          } else {
            let dd = d, ss = s;
            for (let kx = 0; kx < kw; kx++) {
              copySpill(dd, ss, cg);
              dd += cgB;
              ss += tapB;
            }
          }
          d += tapRowB;
          s += dyB;
        }
        if (tail > 0) zeroSpill(d, tail);
        o += rowLenB;
        s0 += oxStepB;
      }
      for (; ox < ow; ox++) {
        im2colRow(o, top, ox * sw - pw, ky0, nky, kh, kw, w, cg, dw, pixB, dyB, oneRun, colsEnd, xEnd);
        o += rowLenB;
      }
    }
    xi += imgB;
  }
}

// The adjoint of im2col: dx[img, iy, ix, c0 + ci] += cols[r, (ky·kw + kx)·cg + ci], in ascending r.
// Adds cannot spill (a + garbage is not a), so runs have their exact length.
export function col2im(n: i32, h: i32, w: i32, c: i32, c0: i32, cg: i32, kh: i32, kw: i32, sh: i32, sw: i32,
                       ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32, cols: usize, dx: usize, accumulate: i32): void {
  if (n <= 0 || cg <= 0) return;
  const pixB = <usize>c << 2;
  const rowB = <usize>w * pixB;
  const imgB = <usize>h * rowB;
  let xi = dx + (<usize>c0 << 2);
  if (accumulate == 0) {
    if (cg == c) {
      // all channels: the images' whole block (≤ 2^30 floats in a 32-bit memory, fits an i32)
      zeroRun(xi, n * h * w * c);
    } else {
      const pixels = n * h * w;
      let p = xi;
      for (let i = 0; i < pixels; i++) {
        zeroRun(p, cg);
        p += pixB;
      }
    }
  }
  if (oh <= 0 || ow <= 0 || kh <= 0 || kw <= 0) return;
  const tapRow = kw * cg;
  const tapRowB = <usize>tapRow << 2;
  const rowLenB = <usize>kh * tapRowB;
  const cgB = <usize>cg << 2;
  const tapB = <usize>dw * pixB;
  const dyB = <usize>dh * rowB;
  const oxStepB = <usize>sw * pixB;
  const oneRun = dw == 1 && cg == c;
  const oxLo = interiorFrom(sw, pw, ow);
  const oxHi = interiorTo(w, kw, sw, pw, dw, ow, oxLo);
  let o = cols;
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - ph;
      const ky0 = tapsFrom(iy0, dh, kh);
      const nky = tapsTo(iy0, dh, kh, h, ky0) - ky0;
      if (nky == 0) {
        o += <usize>ow * rowLenB;
        continue;
      }
      const top = xi + <usize>(iy0 + ky0 * dh) * rowB;
      const skip = <usize>ky0 * tapRowB;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - pw;
        let kx0 = 0, nkx = kw;
        if (ox < oxLo || ox >= oxHi) {
          kx0 = tapsFrom(ix0, dw, kw);
          nkx = tapsTo(ix0, dw, kw, w, kx0) - kx0;
        }
        if (nkx > 0) {
          const inLen = nkx * cg;
          let d = top + <usize>(ix0 + kx0 * dw) * pixB;
          let s = o + skip + (<usize>(kx0 * cg) << 2);
          for (let ky = 0; ky < nky; ky++) {
            if (oneRun) {
              addRun(d, s, inLen);
            } else {
              let dd = d, ss = s;
              for (let kx = 0; kx < nkx; kx++) {
                addRun(dd, ss, cg);
                ss += cgB;
                dd += tapB;
              }
            }
            d += dyB;
            s += tapRowB;
          }
        }
        o += rowLenB;
      }
    }
    xi += imgB;
  }
}
