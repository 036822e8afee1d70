// Level-1 vector kernels over f32 arrays in linear memory (pointers in bytes, n in elements).
//
//   dot(x, y)  = Σ xᵢyᵢ          sum(x) = Σ xᵢ          nrm2(x) = √(Σ xᵢ²)
//   asum(x) = Σ |xᵢ|             amax(x) = max |xᵢ| (NaN if any xᵢ is NaN)
//   axpy: y ← a·x + y            scal: x ← a·x          scale: out ← a·x
//   add: out ← x + y             mul: out ← x ⊙ y       fill: x ← v        copy: dst ← src
//   clamp: x ← min(max(x, lo), hi)                      lerp: y ← y + t·(x − y)
//   addSign: y ← y + a·sign(x)   (the L1 subgradient)
//
// Reductions accumulate in f64: the product of two f32 is exact in f64 (24 + 24 < 53 bits),
// so dot and nrm2 lose nothing per term and only round in the f64 sum. That also makes nrm2
// overflow- and underflow-safe without the scaling loop of the classic BLAS snrm2: the largest
// f32 squared is ≈ 1.2e77 and the smallest subnormal squared ≈ 2e-90, both far inside f64
// range, so Σxᵢ² cannot overflow for any n that fits in memory.
// Elementwise kernels run 16 floats per iteration (4 independent f32x4), then f32x4, then a
// scalar tail. In the plain-SIMD build they round exactly like scalar f32 code; axpy uses
// the fused multiply-add in the relaxed build.

import { madd, maddf } from "./simd";

@inline function lo64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
@inline function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

export function dot(n: i32, x: usize, y: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const xa = v128.load(x + o), ya = v128.load(y + o);
    const xb = v128.load(x + o, 16), yb = v128.load(y + o, 16);
    s0 = f64x2.add(s0, f64x2.mul(lo64(xa), lo64(ya)));
    s1 = f64x2.add(s1, f64x2.mul(hi64(xa), hi64(ya)));
    s2 = f64x2.add(s2, f64x2.mul(lo64(xb), lo64(yb)));
    s3 = f64x2.add(s3, f64x2.mul(hi64(xb), hi64(yb)));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    r += <f64>load<f32>(x + o) * <f64>load<f32>(y + o);
  }
  return r;
}

export function sum(n: i32, x: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const xa = v128.load(x + o), xb = v128.load(x + o, 16);
    s0 = f64x2.add(s0, lo64(xa));
    s1 = f64x2.add(s1, hi64(xa));
    s2 = f64x2.add(s2, lo64(xb));
    s3 = f64x2.add(s3, hi64(xb));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) r += <f64>load<f32>(x + (<usize>i << 2));
  return r;
}

export function nrm2(n: i32, x: usize): f64 {
  return Math.sqrt(dot(n, x, x));
}

/** Σ |xᵢ| in f64 (the 1-norm of gradient clipping). */
export function asum(n: i32, x: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const xa = f32x4.abs(v128.load(x + o)), xb = f32x4.abs(v128.load(x + o, 16));
    s0 = f64x2.add(s0, lo64(xa));
    s1 = f64x2.add(s1, hi64(xa));
    s2 = f64x2.add(s2, lo64(xb));
    s3 = f64x2.add(s3, hi64(xb));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) r += <f64>Mathf.abs(load<f32>(x + (<usize>i << 2)));
  return r;
}

/**
 * max |xᵢ| (the ∞-norm of gradient clipping), 0 for n = 0. A NaN anywhere gives NaN, as
 * torch's abs().max() does: f32x4.max propagates NaN, and the scalar tail checks for it.
 */
export function amax(n: i32, x: usize): f32 {
  let m0 = f32x4.splat(0), m1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    m0 = f32x4.max(m0, f32x4.abs(v128.load(x + o)));
    m1 = f32x4.max(m1, f32x4.abs(v128.load(x + o, 16)));
  }
  const m = f32x4.max(m0, m1);
  let r = f32x4.max(m, v128.shuffle<f32>(m, m, 2, 3, 0, 1));
  let best = f32x4.extract_lane(f32x4.max(r, v128.shuffle<f32>(r, r, 1, 0, 3, 2)), 0);
  for (; i < n; i++) {
    const v = Mathf.abs(load<f32>(x + (<usize>i << 2)));
    if (v != v || v > best) best = v; // a NaN best stays: NaN > x is false
  }
  return best;
}

export function axpy(n: i32, a: f32, x: usize, y: usize): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
    v128.store(py, madd(av, v128.load(px), v128.load(py)));
    v128.store(py, madd(av, v128.load(px, 16), v128.load(py, 16)), 16);
    v128.store(py, madd(av, v128.load(px, 32), v128.load(py, 32)), 32);
    v128.store(py, madd(av, v128.load(px, 48), v128.load(py, 48)), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
    v128.store(py, madd(av, v128.load(px), v128.load(py)));
  }
  for (; i < n; i++) {
    const py = y + (<usize>i << 2);
    store<f32>(py, maddf(a, load<f32>(x + (<usize>i << 2)), load<f32>(py)));
  }
}

/** out ← a·x (out may equal x: then this is BLAS scal). */
export function scale(n: i32, a: f32, x: usize, out: usize): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const px = x + (<usize>i << 2), po = out + (<usize>i << 2);
    v128.store(po, f32x4.mul(av, v128.load(px)));
    v128.store(po, f32x4.mul(av, v128.load(px, 16)), 16);
    v128.store(po, f32x4.mul(av, v128.load(px, 32)), 32);
    v128.store(po, f32x4.mul(av, v128.load(px, 48)), 48);
  }
  for (; i + 4 <= n; i += 4) {
    v128.store(out + (<usize>i << 2), f32x4.mul(av, v128.load(x + (<usize>i << 2))));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), a * load<f32>(x + (<usize>i << 2)));
}

export function scal(n: i32, a: f32, x: usize): void {
  scale(n, a, x, x);
}

export function add(n: i32, x: usize, y: usize, out: usize): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
    v128.store(out + o, f32x4.add(v128.load(x + o, 16), v128.load(y + o, 16)), 16);
    v128.store(out + o, f32x4.add(v128.load(x + o, 32), v128.load(y + o, 32)), 32);
    v128.store(out + o, f32x4.add(v128.load(x + o, 48), v128.load(y + o, 48)), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

export function mul(n: i32, x: usize, y: usize, out: usize): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    v128.store(out + o, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)), 16);
    v128.store(out + o, f32x4.mul(v128.load(x + o, 32), v128.load(y + o, 32)), 32);
    v128.store(out + o, f32x4.mul(v128.load(x + o, 48), v128.load(y + o, 48)), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * load<f32>(y + o));
  }
}

export function fill(n: i32, v: f32, x: usize): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), v);
}

/** dst ← src; the regions may overlap (memmove semantics). */
export function copy(n: i32, src: usize, dst: usize): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** x ← min(max(x, lo), hi), elementwise (gradient clipping by value). NaN stays NaN. */
export function clamp(n: i32, lo: f32, hi: f32, x: usize): void {
  const lov = f32x4.splat(lo), hiv = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 2);
    const v = v128.load(p);
    // pmin/pmax keep the first operand when the comparison is false, so NaN passes through
    v128.store(p, f32x4.pmax(f32x4.pmin(v, hiv), lov));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    const v = load<f32>(p);
    store<f32>(p, v < lo ? lo : v > hi ? hi : v);
  }
}

/** y ← y + t·(x − y): the running mean and the exponential moving average of iterates. */
export function lerp(n: i32, t: f32, x: usize, y: usize): void {
  const tv = f32x4.splat(t);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
    const yv = v128.load(py);
    v128.store(py, f32x4.add(yv, f32x4.mul(tv, f32x4.sub(v128.load(px), yv))));
  }
  for (; i < n; i++) {
    const py = y + (<usize>i << 2);
    const yv = load<f32>(py);
    store<f32>(py, yv + t * (load<f32>(x + (<usize>i << 2)) - yv));
  }
}

/**
 * y ← y + a·sign(x), sign(±0) = 0: the subgradient of the L1 penalty a·‖x‖₁ added to a
 * gradient y. Always multiply then add (no fused multiply-add), so both builds agree bit for bit.
 */
export function addSign(n: i32, a: f32, x: usize, y: usize): void {
  const av = f32x4.splat(a), nav = f32x4.splat(-a), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
    const xv = v128.load(px);
    // a where x > 0, −a where x < 0, 0 elsewhere (±0; NaN gives 0, the gradient stays as is)
    const s = v128.or(v128.and(av, f32x4.gt(xv, zero)), v128.and(nav, f32x4.lt(xv, zero)));
    v128.store(py, f32x4.add(v128.load(py), s));
  }
  for (; i < n; i++) {
    const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
    const xv = load<f32>(px);
    const s: f32 = xv > 0 ? a : xv < 0 ? -a : 0;
    store<f32>(py, load<f32>(py) + s);
  }
}
