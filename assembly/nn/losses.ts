// Output layers and losses over f32 arrays (pointers in bytes, sizes in elements, row-major).
// Each loss returns its SUM over elements (rows) as f64 and, when dz ≠ 0, writes the gradient
// of that sum times `scale` (the caller passes scale = 1/batch for a mean loss). dz may equal
// the first input (z, y or p): every element is read before it is written.
//
//   softmax(z)_j     = e^{z_j − m} / Σ_k e^{z_k − m},  m = max_k z_k      (stable: exponents ≤ 0)
//   softmaxXent      Σ_rows [m + log Σ_k e^{z_k − m} − z_label]
//                    dz = scale·(softmax(z) − onehot(label)); labels are i32 class indices
//   mseLoss          Σ ½(y − t)²,  dz = scale·(y − t)
//   bceLogits        Σ [max(z, 0) − z·t + log(1 + e^{−|z|})],  dz = scale·(σ(z) − t)
//   bceProbs         p̂ = min(max(p, eps), 1 − eps) (in f32; needs eps > 0)
//                    Σ −[t·log p̂ + (1 − t)·log(1 − p̂)],  dz = scale·(p̂ − t)/(p̂(1 − p̂))
//
// Precision: exponentials are the SIMD exp of nn/math.ts; sums accumulate in f64. The
// cross-entropy of a row is (m − z_label) + log1p(O), O = Σ_k e^{z_k − m} − 1: the maximum
// contributes exactly e^0 = 1, and the terms equal to 1 are counted apart from the others, so
// O is the sum of the other terms without a 1 + tiny rounding, and the loss keeps relative
// accuracy when the label's probability is near 1 (loss ≈ O, e.g. 8.7e-18 for logits
// [40, 0, 0, −3] and label 0, which log(Σ) rounds to 0 even in f64). Likewise the BCE losses
// use log1p for log(1 + e^{−|z|}) and log(1 − p̂). Logs are scalar f32 (Mathf.log): these
// kernels touch batch × outputs values, not hidden layers.
// A label outside [0, cols) makes that row's loss NaN and leaves the one-hot out of its dz;
// non-finite logits give NaN (a row of +∞ has no softmax).

import { clampv, expv, loadTail, log1pf, storeTail, SIGN_MASK } from "./math";
import { rowMax } from "./reduce";

@inline function lo64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
@inline function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/**
 * e_j = e^{x_j − m} for j < n, stored at out unless out = 0. Returns Σ_j e_j − 1 in f64: the
 * terms equal to 1 (e^0, the maxima) are counted apart from the others, so that a sum like
 * 1 + 1e-18 does not round the small terms away (the cross-entropy needs them for log1p).
 * A NaN term makes the result NaN.
 */
function expShiftSumM1(n: i32, x: usize, m: f32, out: usize): f64 {
  const mv = f32x4.splat(m), one = f32x4.splat(1.0);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), ones = f32x4.splat(0);
  for (let j = 0; j < n; j += 4) {
    const o = <usize>j << 2, r = n - j;
    // padding lanes of a partial vector: e^{−∞} = 0
    const e = expv(f32x4.sub(r >= 4 ? v128.load(x + o) : loadTail(x + o, r, -Infinity), mv));
    if (out != 0) {
      if (r >= 4) v128.store(out + o, e);
      else storeTail(out + o, e, r);
    }
    const o1 = v128.and(one, f32x4.eq(e, one)); // 1 where e = 1, else 0
    const small = f32x4.sub(e, o1); // exact: 0 or e (NaN stays)
    ones = f32x4.add(ones, o1); // small integers: exact
    s0 = f64x2.add(s0, lo64(small));
    s1 = f64x2.add(s1, hi64(small));
  }
  // ones ≥ 1 (the maximum), so subtracting 1 from the exact integer part loses nothing
  const k = f64x2.add(lo64(ones), hi64(ones));
  const small = f64x2.add(s0, s1);
  return (f64x2.extract_lane(small, 0) + f64x2.extract_lane(small, 1))
    + ((f64x2.extract_lane(k, 0) + f64x2.extract_lane(k, 1)) - 1.0);
}

/** x[j] = x[j]/d for j < n. */
function divRow(n: i32, x: usize, d: f32): void {
  const dv = f32x4.splat(d);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = x + (<usize>j << 2);
    v128.store(p, f32x4.div(v128.load(p), dv));
  }
  for (; j < n; j++) {
    const p = x + (<usize>j << 2);
    store<f32>(p, load<f32>(p) / d);
  }
}

/** Row-wise softmax, y may equal z. */
export function softmax(rows: i32, cols: i32, z: usize, y: usize): void {
  if (cols <= 0) return;
  const ld = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const zr = z + <usize>i * ld, yr = y + <usize>i * ld;
    const s = 1.0 + expShiftSumM1(cols, zr, rowMax(cols, zr), yr);
    divRow(cols, yr, <f32>s);
  }
}

/** Softmax cross-entropy with integer labels; see the file header. */
export function softmaxXent(rows: i32, cols: i32, z: usize, labels: usize, dz: usize, scale: f32): f64 {
  if (rows <= 0) return 0;
  if (cols <= 0) return NaN;
  const ld = <usize>cols << 2;
  const sv = f32x4.splat(scale);
  let loss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const zr = z + <usize>i * ld;
    const m = rowMax(cols, zr);
    const label = load<i32>(labels + (<usize>i << 2));
    const valid = <u32>label < <u32>cols;
    const zl = valid ? load<f32>(zr + (<usize>label << 2)) : f32.NaN;
    const dr = dz != 0 ? dz + <usize>i * ld : 0;
    const others = expShiftSumM1(cols, zr, m, dr); // Σ_k e^{z_k − m} − 1
    loss += (<f64>m - <f64>zl) + <f64>log1pf(<f32>others);
    const s = 1.0 + others;
    if (dr == 0) continue;
    // dr holds e_j; turn it into scale·(e_j/s − onehot)
    const sf = <f32>s, qv = f32x4.splat(sf);
    const el = valid ? load<f32>(dr + (<usize>label << 2)) : 0;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const p = dr + (<usize>j << 2);
      v128.store(p, f32x4.mul(f32x4.div(v128.load(p), qv), sv));
    }
    for (; j < cols; j++) {
      const p = dr + (<usize>j << 2);
      store<f32>(p, load<f32>(p) / sf * scale);
    }
    if (valid) store<f32>(dr + (<usize>label << 2), (el / sf - 1.0) * scale);
  }
  return loss;
}

/** Σ ½(y − t)²; dz = scale·(y − t) when dz ≠ 0. */
export function mseLoss(n: i32, y: usize, t: usize, dz: usize, scale: f32): f64 {
  const sv = f32x4.splat(scale);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const yv = v128.load(y + o), tv = v128.load(t + o);
    if (dz != 0) v128.store(dz + o, f32x4.mul(f32x4.sub(yv, tv), sv));
    const dl = f64x2.sub(lo64(yv), lo64(tv)), dh = f64x2.sub(hi64(yv), hi64(tv));
    a0 = f64x2.add(a0, f64x2.mul(dl, dl));
    a1 = f64x2.add(a1, f64x2.mul(dh, dh));
  }
  if (i < n) {
    const o = <usize>i << 2, r = n - i;
    const yv = loadTail(y + o, r, 0), tv = loadTail(t + o, r, 0); // padding: y − t = 0
    if (dz != 0) storeTail(dz + o, f32x4.mul(f32x4.sub(yv, tv), sv), r);
    const dl = f64x2.sub(lo64(yv), lo64(tv)), dh = f64x2.sub(hi64(yv), hi64(tv));
    a0 = f64x2.add(a0, f64x2.mul(dl, dl));
    a1 = f64x2.add(a1, f64x2.mul(dh, dh));
  }
  const a = f64x2.add(a0, a1);
  return 0.5 * (f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1));
}

/** max(z, 0) − z·t + log1p(e), e = e^{−|z|}: one BCE-with-logits term. */
@inline function bceLogitTerm(z: f32, t: f32, e: f32): f64 {
  return (<f64>max(z, <f32>0) - <f64>z * <f64>t) + <f64>log1pf(e);
}

/** Binary cross-entropy on logits; see the file header. */
export function bceLogits(n: i32, z: usize, t: usize, dz: usize, scale: f32): f64 {
  const sv = f32x4.splat(scale), one = f32x4.splat(1.0);
  let loss: f64 = 0;
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2, r = min(n - i, 4);
    const zv = r == 4 ? v128.load(z + o) : loadTail(z + o, r, 0);
    const tv = r == 4 ? v128.load(t + o) : loadTail(t + o, r, 0);
    const e = expv(v128.or(zv, i32x4.splat(SIGN_MASK))); // e^{−|z|}
    if (dz != 0) {
      const num = v128.bitselect(one, e, f32x4.ge(zv, f32x4.splat(0)));
      const g = f32x4.mul(f32x4.sub(f32x4.div(num, f32x4.add(one, e)), tv), sv);
      if (r == 4) v128.store(dz + o, g);
      else storeTail(dz + o, g, r);
    }
    loss += bceLogitTerm(f32x4.extract_lane(zv, 0), f32x4.extract_lane(tv, 0), f32x4.extract_lane(e, 0));
    if (r > 1) loss += bceLogitTerm(f32x4.extract_lane(zv, 1), f32x4.extract_lane(tv, 1), f32x4.extract_lane(e, 1));
    if (r > 2) loss += bceLogitTerm(f32x4.extract_lane(zv, 2), f32x4.extract_lane(tv, 2), f32x4.extract_lane(e, 2));
    if (r > 3) loss += bceLogitTerm(f32x4.extract_lane(zv, 3), f32x4.extract_lane(tv, 3), f32x4.extract_lane(e, 3));
  }
  return loss;
}

/** −[t·log p + (1 − t)·log(1 − p)] for a clamped p. */
@inline function bceProbTerm(p: f32, t: f32): f64 {
  const t64 = <f64>t;
  return -(t64 * <f64>Mathf.log(p) + (1.0 - t64) * <f64>log1pf(-p));
}

/** Binary cross-entropy on probabilities clamped to [eps, 1 − eps]; see the file header. */
export function bceProbs(n: i32, p: usize, t: usize, dz: usize, scale: f32, eps: f32): f64 {
  const sv = f32x4.splat(scale), one = f32x4.splat(1.0);
  const lo = eps, hi: f32 = 1.0 - eps;
  let loss: f64 = 0;
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2, r = min(n - i, 4);
    const pv = clampv(r == 4 ? v128.load(p + o) : loadTail(p + o, r, 0.5), lo, hi);
    const tv = r == 4 ? v128.load(t + o) : loadTail(t + o, r, 0);
    if (dz != 0) {
      const q = f32x4.div(f32x4.sub(pv, tv), f32x4.mul(pv, f32x4.sub(one, pv)));
      const g = f32x4.mul(q, sv);
      if (r == 4) v128.store(dz + o, g);
      else storeTail(dz + o, g, r);
    }
    loss += bceProbTerm(f32x4.extract_lane(pv, 0), f32x4.extract_lane(tv, 0));
    if (r > 1) loss += bceProbTerm(f32x4.extract_lane(pv, 1), f32x4.extract_lane(tv, 1));
    if (r > 2) loss += bceProbTerm(f32x4.extract_lane(pv, 2), f32x4.extract_lane(tv, 2));
    if (r > 3) loss += bceProbTerm(f32x4.extract_lane(pv, 3), f32x4.extract_lane(tv, 3));
  }
  return loss;
}
