// Pooling and per-channel scaling for convolutional layers, on NHWC activations: x[img, iy, ix, ch]
// at float (((img·h + iy)·w + ix)·c + ch), row-major f32. The c channels of a pixel are
// contiguous, so every kernel walks runs of channels with f32x4: blocks of 16 channels (four
// vectors, one cache line, enough independent work to hide the latency of each compare/add
// chain), then blocks of 4, then the last 1–3 channels one at a time. Every lane does the same
// operations in the same order as the scalar tail, so a channel's bits depend neither on c nor
// on which block it falls in, and each kernel equals the obvious scalar loop bit for bit.
//
// Windows (PyTorch's MaxPool2d / AvgPool2d, floor mode). Output pixel (oy, ox) covers input rows
//   iy = oy·sh − ph + ky (0 ≤ ky < kh) and columns ix = ox·sw − pw + kx (0 ≤ kx < kw);
// only positions inside the image take part. The caller passes oh = ⌊(h + 2ph − kh)/sh⌋ + 1 and
// ow likewise; with ph ≤ kh/2 and pw ≤ kw/2 (PyTorch refuses more) no window is empty and none
// reaches past the padding, so kh·kw is also PyTorch's count_include_pad divisor.
//
//   maxPoolForward:  y = max of the window; idx (i32, y's shape) = iy·w + ix of that element, the
//                    position inside its image. Scan in (ky, kx) order from m = −∞, index = first
//                    in-image position, and take v when v > m or v is NaN (PyTorch's rule,
//                    `(val > maxval) || isnan(val)`): so the first of equal maxima wins, padding
//                    never does (as −∞ padding would not), an all −∞ window yields its first
//                    position, and a NaN wins over any number — the last NaN of the window if
//                    there are several, as in PyTorch. (An empty window would give −∞, idx −1.)
//   maxPoolBackward: dx = 0, then for (oy, ox) ascending, dx[img, idx, ch] += dy[img, oy, ox, ch].
//                    A fixed order, so overlapping windows (stride < kernel) sum their gradients
//                    deterministically. It needs no window geometry: idx says where each goes.
//                    The lanes of one pixel scatter to different positions, so this is scalar
//                    code; an idx outside [0, h·w) (−1 of an empty window) is skipped.
//   avgPoolForward:  y = (Σ window, f32 from +0 in (ky, kx) order) / d, one division, where
//                    d = kh·kw if countIncludePad (PyTorch's default) else the in-image count
//                    (an empty window would give 0/d = 0, or 0/0 = NaN without the padding).
//   avgPoolBackward: dx = 0, then windows in ascending (oy, ox): g = dy / d (one rounding), and
//                    g is added to each in-image position of the window in (ky, kx) order.
//   globalAvgPoolForward:  y[img, ch] = (Σ_{p<hw} x[img, p, ch], f32 from +0 in p order) / hw.
//   globalAvgPoolBackward: dx[img, p, ch] = dy[img, ch] / hw (one rounding, the same for every p).
//   mulChannels: y[img, p, ch] = x[img, p, ch]·s[img, ch] (one rounding): a per-(image, channel)
//                scale such as spatial dropout's mask. y may equal x.
//
// Images are independent: each kernel reads and writes only image img's slices for img's
// results (the backward kernels zero dx image by image), so a call on images [a, b) with
// pointers advanced by a images gives the same bits as those images of a whole call — a
// caller may split by images. hw is exact as an f32 (< 2^24 positions), so are kh·kw and the counts.
// Arithmetic is adds, compares and one division or product per output: no madd, so the plain and
// relaxed builds agree bit for bit. The max scan's selects differ only in instructions: the relaxed
// build uses lane selects (blendvps), exact for compare masks; on 100×28×28×32 (this machine,
// under load) that took 3×3/1 max pooling from ~7.4 to ~4.9 ms, 2×2/2 from ~0.80 to ~0.64 ms. The backward kernels' dx starts at +0, and a sum started at
// +0 never becomes −0 under round-to-nearest, so dx is +0 wherever nothing (or a net 0) arrives.

const NEG_INF: f32 = -Infinity;

// ---------------------------------------------------------------------------------------------
// Max pooling

/** v replaces m (and its index) where v > m or v is NaN. */
@inline function takeMask(v: v128, m: v128): v128 {
  return v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
}

/**
 * t ? a : b per lane, for a compare mask t (each lane all ones or all zeros), where the relaxed
 * lane select is defined and equals bitselect: one blendvps on x64 instead of and/andnot/or.
 */
@inline function select(a: v128, b: v128, t: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i32x4.relaxed_laneselect(a, b, t);
  } else {
    return v128.bitselect(a, b, t);
  }
}

/**
 * t ? pos : k per lane. Positions grow along the scan and k ≥ 0 is an earlier one, so in the
 * plain build this is max(k, t & pos): two instructions (pand, pmaxsd) instead of three.
 */
@inline function takeIndex(pos: v128, k: v128, t: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i32x4.relaxed_laneselect(pos, k, t);
  } else {
    return i32x4.max_s(k, v128.and(t, pos));
  }
}

export function maxPoolForward(n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                               oh: i32, ow: i32, x: usize, y: usize, idx: usize): void {
  if (n <= 0 || c <= 0 || oh <= 0 || ow <= 0) return;
  const pix = <usize>c << 2;                   // bytes per pixel (x, y and idx alike)
  const row = <usize>w * pix;
  const img = <usize>h * row;
  const ninf = f32x4.splat(NEG_INF);
  let yo = y, io = idx;                        // output pixels are written in order
  for (let b = 0; b < n; b++) {
    const xi = x + <usize>b * img;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - ph;
      const ya = max(iy0, 0), yb = min(iy0 + kh, h);
      for (let ox = 0; ox < ow; ox++, yo += pix, io += pix) {
        const ix0 = ox * sw - pw;
        const xa = max(ix0, 0), xb = min(ix0 + kw, w);
        if (ya >= yb || xa >= xb) {
          for (let ch = 0; ch < c; ch++) {
            store<f32>(yo + (<usize>ch << 2), NEG_INF);
            store<i32>(io + (<usize>ch << 2), -1);
          }
          continue;
        }
        const first = ya * w + xa;
        const corner = xi + <usize>ya * row + <usize>xa * pix;   // (ya, xa), channel 0
        let ch = 0;
        for (; ch + 16 <= c; ch += 16) {
          const cb = <usize>ch << 2;
          let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
          let i0 = i32x4.splat(first);
          let i1 = i0, i2 = i0, i3 = i0;
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            let pos = iy * w + xa;
            for (let ix = xa; ix < xb; ix++, pos++, p += pix) {
              const pv = i32x4.splat(pos);
              const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
              const t0 = takeMask(v0, m0), t1 = takeMask(v1, m1), t2 = takeMask(v2, m2), t3 = takeMask(v3, m3);
              m0 = select(v0, m0, t0); i0 = takeIndex(pv, i0, t0);
              m1 = select(v1, m1, t1); i1 = takeIndex(pv, i1, t1);
              m2 = select(v2, m2, t2); i2 = takeIndex(pv, i2, t2);
              m3 = select(v3, m3, t3); i3 = takeIndex(pv, i3, t3);
            }
          }
          v128.store(yo + cb, m0); v128.store(yo + cb, m1, 16); v128.store(yo + cb, m2, 32); v128.store(yo + cb, m3, 48);
          v128.store(io + cb, i0); v128.store(io + cb, i1, 16); v128.store(io + cb, i2, 32); v128.store(io + cb, i3, 48);
        }
        for (; ch + 4 <= c; ch += 4) {
          const cb = <usize>ch << 2;
          let m0 = ninf;
          let i0 = i32x4.splat(first);
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            let pos = iy * w + xa;
            for (let ix = xa; ix < xb; ix++, pos++, p += pix) {
              const v0 = v128.load(p);
              const t0 = takeMask(v0, m0);
              m0 = select(v0, m0, t0);
              i0 = takeIndex(i32x4.splat(pos), i0, t0);
            }
          }
          v128.store(yo + cb, m0);
          v128.store(io + cb, i0);
        }
        for (; ch < c; ch++) {
          const cb = <usize>ch << 2;
          let m = NEG_INF;
          let k = first;
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            let pos = iy * w + xa;
            for (let ix = xa; ix < xb; ix++, pos++, p += pix) {
              const v = load<f32>(p);
              if (v > m || v != v) { m = v; k = pos; }
            }
          }
          store<f32>(yo + cb, m);
          store<i32>(io + cb, k);
        }
      }
    }
  }
}

export function maxPoolBackward(n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, dy: usize, idx: usize, dx: usize): void {
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return;
  const hw = h * w;
  const img = <usize>hw * c << 2;
  const outs = max(oh, 0) * max(ow, 0);
  let d = dy, io = idx;
  for (let b = 0; b < n; b++) {
    const dxi = dx + <usize>b * img;
    memory.fill(dxi, 0, img);
    for (let o = 0; o < outs; o++) {
      let ch = 0;
      // four channels per step: independent read-modify-writes the CPU can overlap
      for (; ch + 4 <= c; ch += 4, d += 16, io += 16) {
        const k0 = load<i32>(io), k1 = load<i32>(io, 4), k2 = load<i32>(io, 8), k3 = load<i32>(io, 12);
        if (<u32>k0 < <u32>hw) { const a = dxi + ((<usize>k0 * c + ch) << 2); store<f32>(a, load<f32>(a) + load<f32>(d)); }
        if (<u32>k1 < <u32>hw) { const a = dxi + ((<usize>k1 * c + ch + 1) << 2); store<f32>(a, load<f32>(a) + load<f32>(d, 4)); }
        if (<u32>k2 < <u32>hw) { const a = dxi + ((<usize>k2 * c + ch + 2) << 2); store<f32>(a, load<f32>(a) + load<f32>(d, 8)); }
        if (<u32>k3 < <u32>hw) { const a = dxi + ((<usize>k3 * c + ch + 3) << 2); store<f32>(a, load<f32>(a) + load<f32>(d, 12)); }
      }
      for (; ch < c; ch++, d += 4, io += 4) {
        const k = load<i32>(io);
        if (<u32>k < <u32>hw) { const a = dxi + ((<usize>k * c + ch) << 2); store<f32>(a, load<f32>(a) + load<f32>(d)); }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Average pooling

export function avgPoolForward(n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                               oh: i32, ow: i32, countIncludePad: i32, x: usize, y: usize): void {
  if (n <= 0 || c <= 0 || oh <= 0 || ow <= 0) return;
  const pix = <usize>c << 2;
  const row = <usize>w * pix;
  const img = <usize>h * row;
  const zero = f32x4.splat(0);
  let yo = y;
  for (let b = 0; b < n; b++) {
    const xi = x + <usize>b * img;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - ph;
      const ya = max(iy0, 0), yb = min(iy0 + kh, h);
      for (let ox = 0; ox < ow; ox++, yo += pix) {
        const ix0 = ox * sw - pw;
        const xa = max(ix0, 0), xb = min(ix0 + kw, w);
        const ds = <f32>(countIncludePad != 0 ? kh * kw : max(yb - ya, 0) * max(xb - xa, 0));
        const dv = f32x4.splat(ds);
        const corner = xi + <usize>ya * row + <usize>xa * pix;   // not read if the window is empty
        let ch = 0;
        for (; ch + 16 <= c; ch += 16) {
          const cb = <usize>ch << 2;
          let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            for (let ix = xa; ix < xb; ix++, p += pix) {
              s0 = f32x4.add(s0, v128.load(p));
              s1 = f32x4.add(s1, v128.load(p, 16));
              s2 = f32x4.add(s2, v128.load(p, 32));
              s3 = f32x4.add(s3, v128.load(p, 48));
            }
          }
          v128.store(yo + cb, f32x4.div(s0, dv));
          v128.store(yo + cb, f32x4.div(s1, dv), 16);
          v128.store(yo + cb, f32x4.div(s2, dv), 32);
          v128.store(yo + cb, f32x4.div(s3, dv), 48);
        }
        for (; ch + 4 <= c; ch += 4) {
          const cb = <usize>ch << 2;
          let s0 = zero;
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            for (let ix = xa; ix < xb; ix++, p += pix) s0 = f32x4.add(s0, v128.load(p));
          }
          v128.store(yo + cb, f32x4.div(s0, dv));
        }
        for (; ch < c; ch++) {
          const cb = <usize>ch << 2;
          let s: f32 = 0;
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            for (let ix = xa; ix < xb; ix++, p += pix) s += load<f32>(p);
          }
          store<f32>(yo + cb, s / ds);
        }
      }
    }
  }
}

export function avgPoolBackward(n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
                                oh: i32, ow: i32, countIncludePad: i32, dy: usize, dx: usize): void {
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return;
  const pix = <usize>c << 2;
  const row = <usize>w * pix;
  const img = <usize>h * row;
  let d = dy;
  for (let b = 0; b < n; b++) {
    const dxi = dx + <usize>b * img;
    memory.fill(dxi, 0, img);
    if (oh <= 0 || ow <= 0) continue;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - ph;
      const ya = max(iy0, 0), yb = min(iy0 + kh, h);
      for (let ox = 0; ox < ow; ox++, d += pix) {
        const ix0 = ox * sw - pw;
        const xa = max(ix0, 0), xb = min(ix0 + kw, w);
        if (ya >= yb || xa >= xb) continue;
        const ds = <f32>(countIncludePad != 0 ? kh * kw : (yb - ya) * (xb - xa));
        const dv = f32x4.splat(ds);
        const corner = dxi + <usize>ya * row + <usize>xa * pix;
        let ch = 0;
        for (; ch + 16 <= c; ch += 16) {
          const cb = <usize>ch << 2;
          const g0 = f32x4.div(v128.load(d + cb), dv), g1 = f32x4.div(v128.load(d + cb, 16), dv);
          const g2 = f32x4.div(v128.load(d + cb, 32), dv), g3 = f32x4.div(v128.load(d + cb, 48), dv);
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            for (let ix = xa; ix < xb; ix++, p += pix) {
              v128.store(p, f32x4.add(v128.load(p), g0));
              v128.store(p, f32x4.add(v128.load(p, 16), g1), 16);
              v128.store(p, f32x4.add(v128.load(p, 32), g2), 32);
              v128.store(p, f32x4.add(v128.load(p, 48), g3), 48);
            }
          }
        }
        for (; ch + 4 <= c; ch += 4) {
          const cb = <usize>ch << 2;
          const g0 = f32x4.div(v128.load(d + cb), dv);
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            for (let ix = xa; ix < xb; ix++, p += pix) v128.store(p, f32x4.add(v128.load(p), g0));
          }
        }
        for (; ch < c; ch++) {
          const cb = <usize>ch << 2;
          const g = load<f32>(d + cb) / ds;
          let pr = corner + cb;
          for (let iy = ya; iy < yb; iy++, pr += row) {
            let p = pr;
            for (let ix = xa; ix < xb; ix++, p += pix) store<f32>(p, load<f32>(p) + g);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Global average pooling and per-channel scaling. A block of channels keeps its sums (or its
// gradient, or its scale) in registers while it walks all hw pixels of the image.

export function globalAvgPoolForward(n: i32, hw: i32, c: i32, x: usize, y: usize): void {
  if (n <= 0 || c <= 0) return;
  const pix = <usize>c << 2;
  const img = <usize>max(hw, 0) * pix;
  const ds = <f32>hw;
  const dv = f32x4.splat(ds);
  const zero = f32x4.splat(0);
  for (let b = 0; b < n; b++) {
    const xi = x + <usize>b * img;
    const yi = y + <usize>b * pix;
    let ch = 0;
    for (; ch + 16 <= c; ch += 16) {
      const cb = <usize>ch << 2;
      let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
      let p = xi + cb;
      for (let q = 0; q < hw; q++, p += pix) {
        s0 = f32x4.add(s0, v128.load(p));
        s1 = f32x4.add(s1, v128.load(p, 16));
        s2 = f32x4.add(s2, v128.load(p, 32));
        s3 = f32x4.add(s3, v128.load(p, 48));
      }
      v128.store(yi + cb, f32x4.div(s0, dv));
      v128.store(yi + cb, f32x4.div(s1, dv), 16);
      v128.store(yi + cb, f32x4.div(s2, dv), 32);
      v128.store(yi + cb, f32x4.div(s3, dv), 48);
    }
    for (; ch + 4 <= c; ch += 4) {
      const cb = <usize>ch << 2;
      let s0 = zero;
      let p = xi + cb;
      for (let q = 0; q < hw; q++, p += pix) s0 = f32x4.add(s0, v128.load(p));
      v128.store(yi + cb, f32x4.div(s0, dv));
    }
    for (; ch < c; ch++) {
      const cb = <usize>ch << 2;
      let s: f32 = 0;
      let p = xi + cb;
      for (let q = 0; q < hw; q++, p += pix) s += load<f32>(p);
      store<f32>(yi + cb, s / ds);
    }
  }
}

/** dst[i] = v for i < len floats (vector stores, then scalar). */
@inline function fillRun(dst: usize, len: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(dst + (<usize>i << 2), vv);
  for (; i < len; i++) store<f32>(dst + (<usize>i << 2), v);
}

/** dst[i] = src[i]·v for i < len floats (vector, then scalar). dst may equal src. */
@inline function scaleRun(src: usize, dst: usize, len: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.mul(v128.load(src + o), vv));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(src + o) * v);
  }
}

export function globalAvgPoolBackward(n: i32, hw: i32, c: i32, dy: usize, dx: usize): void {
  if (n <= 0 || c <= 0 || hw <= 0) return;
  const pix = <usize>c << 2;
  const img = <usize>hw * pix;
  const ds = <f32>hw;
  const dv = f32x4.splat(ds);
  for (let b = 0; b < n; b++) {
    const dxi = dx + <usize>b * img;
    const d = dy + <usize>b * pix;
    if (c == 1) {                              // one value for the whole image: a contiguous run
      fillRun(dxi, hw, load<f32>(d) / ds);
      continue;
    }
    let ch = 0;
    for (; ch + 16 <= c; ch += 16) {
      const cb = <usize>ch << 2;
      const g0 = f32x4.div(v128.load(d + cb), dv), g1 = f32x4.div(v128.load(d + cb, 16), dv);
      const g2 = f32x4.div(v128.load(d + cb, 32), dv), g3 = f32x4.div(v128.load(d + cb, 48), dv);
      let p = dxi + cb;
      for (let q = 0; q < hw; q++, p += pix) {
        v128.store(p, g0); v128.store(p, g1, 16); v128.store(p, g2, 32); v128.store(p, g3, 48);
      }
    }
    for (; ch + 4 <= c; ch += 4) {
      const cb = <usize>ch << 2;
      const g0 = f32x4.div(v128.load(d + cb), dv);
      let p = dxi + cb;
      for (let q = 0; q < hw; q++, p += pix) v128.store(p, g0);
    }
    for (; ch < c; ch++) {
      const cb = <usize>ch << 2;
      const g = load<f32>(d + cb) / ds;
      let p = dxi + cb;
      for (let q = 0; q < hw; q++, p += pix) store<f32>(p, g);
    }
  }
}

export function mulChannels(n: i32, hw: i32, c: i32, x: usize, s: usize, y: usize): void {
  if (n <= 0 || c <= 0 || hw <= 0) return;
  const pix = <usize>c << 2;
  const img = <usize>hw * pix;
  for (let b = 0; b < n; b++) {
    const o = <usize>b * img;
    const si = s + <usize>b * pix;
    if (c == 1) {                              // one scale for the whole image: a contiguous run
      scaleRun(x + o, y + o, hw, load<f32>(si));
      continue;
    }
    let ch = 0;
    for (; ch + 16 <= c; ch += 16) {
      const cb = <usize>ch << 2;
      const s0 = v128.load(si + cb), s1 = v128.load(si + cb, 16), s2 = v128.load(si + cb, 32), s3 = v128.load(si + cb, 48);
      let p = o + cb;
      for (let q = 0; q < hw; q++, p += pix) {
        v128.store(y + p, f32x4.mul(v128.load(x + p), s0));
        v128.store(y + p, f32x4.mul(v128.load(x + p, 16), s1), 16);
        v128.store(y + p, f32x4.mul(v128.load(x + p, 32), s2), 32);
        v128.store(y + p, f32x4.mul(v128.load(x + p, 48), s3), 48);
      }
    }
    for (; ch + 4 <= c; ch += 4) {
      const cb = <usize>ch << 2;
      const s0 = v128.load(si + cb);
      let p = o + cb;
      for (let q = 0; q < hw; q++, p += pix) v128.store(y + p, f32x4.mul(v128.load(x + p), s0));
    }
    for (; ch < c; ch++) {
      const cb = <usize>ch << 2;
      const sv = load<f32>(si + cb);
      let p = o + cb;
      for (let q = 0; q < hw; q++, p += pix) store<f32>(y + p, load<f32>(x + p) * sv);
    }
  }
}
