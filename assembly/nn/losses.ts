// Output layers and losses over f32 arrays (pointers in bytes, sizes in elements, row-major).
// Each loss returns its SUM over elements (rows) as f64 and, when dz ≠ 0, writes the gradient
// of that sum times `scale` (the caller passes scale = 1/batch for a mean loss). dz may equal
// the first input (z, y or p): every element is read before it is written.
//
//   softmax(z)_j     = e^{z_j − m} / Σ_k e^{z_k − m},  m = max_k z_k      (stable: exponents ≤ 0)
//   softmaxXent      Σ_rows [m + log Σ_k e^{z_k − m} − z_label]
//                    dz = scale·(softmax(z) − onehot(label)); labels are i32 class indices
//   mseLoss          Σ ½(y − t)²,  dz = scale·(y − t)
//   bceLogits        Σ [(1 − t)·sp(z) + t·sp(−z)] (sp(x) = log(1 + e^x)) = Σ [max(z, 0) − z·t + log(1 + e^{−|z|})],
//                    dz = scale·((1 − t)σ(z) − t·σ(−z)) = scale·(σ(z) − t); bceLogitsW below
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
//
// PyTorch-semantics kernels (issue #17; src/nn/losses.ts documents the reductions). Each also
// takes `out`: when ≠ 0, the unreduced terms (PyTorch's reduction='none') are stored there as
// f32 — one per row for the cross-entropies, one per element for the others.
//   xentLabels       softmaxXent with label smoothing ε: target t = (1 − ε)·onehot + ε/C,
//                    row loss (1 − ε)(m − z_label) + (ε/C)·Σ_j (m − z_j) + log1p(O)
//                    (= Σ_j t_j·(log Σ_k e^{z_k} − z_j): every term ≥ 0, no cancellation),
//                    dz = scale·(softmax(z) − t); ε = 0 is softmaxXent, bit for bit
//   xentSoft         probability (soft) targets, smoothed likewise: t' = (1 − ε)·t + ε/C,
//                    row loss Σ_j t'_j (m − z_j) + T·log1p(O), T = Σ_j t'_j (rows need not sum
//                    to 1, as in PyTorch), dz = scale·(softmax(z)·T − t')
//   bceLogitsW       BCE on logits with a positive weight w_j per output column (pw = 0: all 1):
//                    (1 − t)·sp(z) + w·t·sp(−z), sp(x) = log(1 + e^x) = max(x, 0) + log1p(e^{−|x|})
//                    (for t ∈ [0, 1], w ≥ 0 both terms are ≥ 0: no cancellation, unlike the
//                    textbook (1 − t)z + (1 + (w − 1)t)·sp(−z)), dz = scale·((1 − t)σ(z) − w·t·σ(−z))
//   regressionLoss   per element of d = y − t, by kind: 0 ½d² (grad d), 1 d² (grad 2d),
//                    2 Huber(δ): ½d² if |d| < δ else δ(|d| − ½δ) (grad clamp(d, −δ, δ)),
//                    3 smooth L1(β): ½d²/β if |d| < β else |d| − ½β (grad clamp(d/β, −1, 1);
//                    β = 0: |d|, grad sign(d) with sign(0) = 0); dz = scale·grad
//   bceProbsOut      bceProbs with `out`

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
  return xentLabels(rows, cols, z, labels, dz, scale, 0, 0);
}

/** Σ_j (m − z_j) over a row, in f64 (every term ≥ 0 when m is the row maximum). */
function shiftSum(n: i32, x: usize, m: f32): f64 {
  const mv = f64x2.splat(<f64>m);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const v = v128.load(x + (<usize>j << 2));
    s0 = f64x2.add(s0, f64x2.sub(mv, lo64(v)));
    s1 = f64x2.add(s1, f64x2.sub(mv, hi64(v)));
  }
  const s = f64x2.add(s0, s1);
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; j < n; j++) r += <f64>m - <f64>load<f32>(x + (<usize>j << 2));
  return r;
}

/** Softmax cross-entropy with integer labels and label smoothing eps; see the file header. */
export function xentLabels(rows: i32, cols: i32, z: usize, labels: usize, dz: usize, scale: f32, eps: f32, out: usize): f64 {
  if (rows <= 0) return 0;
  if (cols <= 0) return NaN;
  const ld = <usize>cols << 2;
  const sv = f32x4.splat(scale);
  const u: f32 = eps / <f32>cols; // ε/C, the smoothing mass of every class
  const uv = f32x4.splat(u);
  const tl: f32 = (<f32>1.0 - eps) + u; // the label's target
  let loss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const zr = z + <usize>i * ld;
    const m = rowMax(cols, zr);
    const label = load<i32>(labels + (<usize>i << 2));
    const valid = <u32>label < <u32>cols;
    const zl = valid ? load<f32>(zr + (<usize>label << 2)) : f32.NaN;
    // read before the exponentials may overwrite z (dz = z)
    const spread = eps != 0 ? shiftSum(cols, zr, m) : 0;
    const dr = dz != 0 ? dz + <usize>i * ld : 0;
    const others = expShiftSumM1(cols, zr, m, dr); // Σ_k e^{z_k − m} − 1
    let row: f64 = <f64>m - <f64>zl;
    if (eps != 0) row = (1.0 - <f64>eps) * row + (<f64>eps / <f64>cols) * spread;
    row += <f64>log1pf(<f32>others);
    loss += row;
    if (out != 0) store<f32>(out + (<usize>i << 2), <f32>row);
    const s = 1.0 + others;
    if (dr == 0) continue;
    // dr holds e_j; turn it into scale·(e_j/s − t_j)
    const sf = <f32>s, qv = f32x4.splat(sf);
    const el = valid ? load<f32>(dr + (<usize>label << 2)) : 0;
    let j = 0;
    if (eps == 0) {
      for (; j + 4 <= cols; j += 4) {
        const p = dr + (<usize>j << 2);
        v128.store(p, f32x4.mul(f32x4.div(v128.load(p), qv), sv));
      }
      for (; j < cols; j++) {
        const p = dr + (<usize>j << 2);
        store<f32>(p, load<f32>(p) / sf * scale);
      }
      if (valid) store<f32>(dr + (<usize>label << 2), (el / sf - 1.0) * scale);
    } else {
      for (; j + 4 <= cols; j += 4) {
        const p = dr + (<usize>j << 2);
        v128.store(p, f32x4.mul(f32x4.sub(f32x4.div(v128.load(p), qv), uv), sv));
      }
      for (; j < cols; j++) {
        const p = dr + (<usize>j << 2);
        store<f32>(p, (load<f32>(p) / sf - u) * scale);
      }
      if (valid) store<f32>(dr + (<usize>label << 2), (el / sf - tl) * scale);
    }
  }
  return loss;
}

/** Softmax cross-entropy with probability targets t (rows × cols) and label smoothing eps; see the file header. */
export function xentSoft(rows: i32, cols: i32, z: usize, t: usize, dz: usize, scale: f32, eps: f32, out: usize): f64 {
  if (rows <= 0) return 0;
  if (cols <= 0) return NaN;
  const ld = <usize>cols << 2;
  const sv = f32x4.splat(scale);
  const keep: f32 = <f32>1.0 - eps, u: f32 = eps / <f32>cols;
  const kv = f32x4.splat(keep), uv = f32x4.splat(u);
  let loss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const zr = z + <usize>i * ld, tr = t + <usize>i * ld;
    const m = rowMax(cols, zr);
    // T = Σ t'_j and S = Σ t'_j (m − z_j), before the exponentials may overwrite z (dz = z)
    const mv = f64x2.splat(<f64>m);
    let T0 = f64x2.splat(0), T1 = f64x2.splat(0), S0 = f64x2.splat(0), S1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const tp = f32x4.add(f32x4.mul(v128.load(tr + o), kv), uv);
      const zv = v128.load(zr + o);
      const tl = lo64(tp), th = hi64(tp);
      T0 = f64x2.add(T0, tl);
      T1 = f64x2.add(T1, th);
      S0 = f64x2.add(S0, f64x2.mul(tl, f64x2.sub(mv, lo64(zv))));
      S1 = f64x2.add(S1, f64x2.mul(th, f64x2.sub(mv, hi64(zv))));
    }
    const Tv = f64x2.add(T0, T1), Sv = f64x2.add(S0, S1);
    let T = f64x2.extract_lane(Tv, 0) + f64x2.extract_lane(Tv, 1);
    let S = f64x2.extract_lane(Sv, 0) + f64x2.extract_lane(Sv, 1);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const tp = <f64>(load<f32>(tr + o) * keep + u);
      T += tp;
      S += tp * (<f64>m - <f64>load<f32>(zr + o));
    }
    const dr = dz != 0 ? dz + <usize>i * ld : 0;
    const others = expShiftSumM1(cols, zr, m, dr);
    const row = S + T * <f64>log1pf(<f32>others);
    loss += row;
    if (out != 0) store<f32>(out + (<usize>i << 2), <f32>row);
    if (dr == 0) continue;
    // dr holds e_j; turn it into scale·(e_j/s·T − t'_j)
    const sf = <f32>(1.0 + others), qv = f32x4.splat(sf);
    const Tf = <f32>T, Tfv = f32x4.splat(Tf);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const tp = f32x4.add(f32x4.mul(v128.load(tr + o), kv), uv);
      const pr = f32x4.mul(f32x4.div(v128.load(dr + o), qv), Tfv);
      v128.store(dr + o, f32x4.mul(f32x4.sub(pr, tp), sv));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const tp = load<f32>(tr + o) * keep + u;
      store<f32>(dr + o, (load<f32>(dr + o) / sf * Tf - tp) * scale);
    }
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

/**
 * Binary cross-entropy on logits; see the file header: bceLogitsW with every weight 1, whose
 * gradient (1 − t)σ(z) − t·σ(−z) keeps relative accuracy where σ(z) − t cancels (z = 12, t = 1:
 * −6.144e-6, where 1/(1 + e^{−12}) − 1 in f32 is −6.199e-6).
 */
export function bceLogits(n: i32, z: usize, t: usize, dz: usize, scale: f32): f64 {
  return bceWSegment(n, z, t, 0, dz, f32x4.splat(scale), 0);
}

/** −[t·log p + (1 − t)·log(1 − p)] for a clamped p. */
@inline function bceProbTerm(p: f32, t: f32): f64 {
  const t64 = <f64>t;
  return -(t64 * <f64>Mathf.log(p) + (1.0 - t64) * <f64>log1pf(-p));
}

/** Binary cross-entropy on probabilities clamped to [eps, 1 − eps]; see the file header. */
export function bceProbs(n: i32, p: usize, t: usize, dz: usize, scale: f32, eps: f32): f64 {
  return bceProbsOut(n, p, t, dz, scale, eps, 0);
}

/** bceProbs storing each element's term at out when out ≠ 0. */
export function bceProbsOut(n: i32, p: usize, t: usize, dz: usize, scale: f32, eps: f32, out: usize): f64 {
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
    const l0 = bceProbTerm(f32x4.extract_lane(pv, 0), f32x4.extract_lane(tv, 0));
    loss += l0;
    if (out != 0) store<f32>(out + o, <f32>l0);
    if (r > 1) {
      const l = bceProbTerm(f32x4.extract_lane(pv, 1), f32x4.extract_lane(tv, 1));
      loss += l;
      if (out != 0) store<f32>(out + o, <f32>l, 4);
    }
    if (r > 2) {
      const l = bceProbTerm(f32x4.extract_lane(pv, 2), f32x4.extract_lane(tv, 2));
      loss += l;
      if (out != 0) store<f32>(out + o, <f32>l, 8);
    }
    if (r > 3) {
      const l = bceProbTerm(f32x4.extract_lane(pv, 3), f32x4.extract_lane(tv, 3));
      loss += l;
      if (out != 0) store<f32>(out + o, <f32>l, 12);
    }
  }
  return loss;
}

/** (1 − t)·sp(z) + w·t·sp(−z) with e = e^{−|z|}, l1p = log1p(e): one weighted BCE-with-logits term. */
@inline function bceWTerm(z: f32, t: f32, w: f32, l1p: f32): f64 {
  const z64 = <f64>z, t64 = <f64>t;
  const spPos = max(z64, 0) + <f64>l1p, spNeg = max(-z64, 0) + <f64>l1p;
  return (1.0 - t64) * spPos + <f64>w * t64 * spNeg;
}

/**
 * n contiguous elements of weighted BCE with logits: weights from pw (one per element, read at
 * the same offsets as z) or all 1 when pw = 0. Sums the terms; see bceLogitsW.
 */
function bceWSegment(n: i32, z: usize, t: usize, pw: usize, dz: usize, sv: v128, out: usize): f64 {
  const one = f32x4.splat(1.0), zero = f32x4.splat(0);
  let loss: f64 = 0;
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2, r = min(n - i, 4);
    const zv = r == 4 ? v128.load(z + o) : loadTail(z + o, r, 0);
    const tv = r == 4 ? v128.load(t + o) : loadTail(t + o, r, 0);
    const wv = pw == 0 ? one : r == 4 ? v128.load(pw + o) : loadTail(pw + o, r, 1);
    const e = expv(v128.or(zv, i32x4.splat(SIGN_MASK))); // e^{−|z|}
    if (dz != 0) {
      // σ(z) and σ(−z) = 1 − σ(z), each as a quotient without cancellation
      const q = f32x4.div(one, f32x4.add(one, e));
      const qe = f32x4.mul(e, q);
      const pos = f32x4.ge(zv, zero);
      const sig = v128.bitselect(q, qe, pos), sigNeg = v128.bitselect(qe, q, pos);
      const g = f32x4.sub(f32x4.mul(f32x4.sub(one, tv), sig), f32x4.mul(f32x4.mul(wv, tv), sigNeg));
      const gs = f32x4.mul(g, sv);
      if (r == 4) v128.store(dz + o, gs);
      else storeTail(dz + o, gs, r);
    }
    for (let k = 0; k < r; k++) {
      const zk = load<f32>(z + o + (<usize>k << 2)), tk = load<f32>(t + o + (<usize>k << 2));
      const wk: f32 = pw == 0 ? 1 : load<f32>(pw + o + (<usize>k << 2));
      // lane k of e, without a variable lane index
      const ek = k == 0 ? f32x4.extract_lane(e, 0) : k == 1 ? f32x4.extract_lane(e, 1) : k == 2 ? f32x4.extract_lane(e, 2) : f32x4.extract_lane(e, 3);
      const l = bceWTerm(zk, tk, wk, log1pf(ek));
      loss += l;
      if (out != 0) store<f32>(out + o + (<usize>k << 2), <f32>l);
    }
  }
  return loss;
}

/**
 * Binary cross-entropy on logits, rows × cols, with a positive weight per column (pw: cols
 * floats, or 0 for none) and the unreduced terms at out when ≠ 0; see the file header.
 * dz may equal z (each vector is read before it is written).
 */
export function bceLogitsW(rows: i32, cols: i32, z: usize, t: usize, dz: usize, scale: f32, pw: usize, out: usize): f64 {
  if (rows <= 0 || cols <= 0) return 0;
  const sv = f32x4.splat(scale);
  if (pw == 0) return bceWSegment(rows * cols, z, t, 0, dz, sv, out);
  const ld = <usize>cols << 2;
  let loss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * ld;
    loss += bceWSegment(cols, z + off, t + off, pw, dz != 0 ? dz + off : 0, sv, out != 0 ? out + off : 0);
  }
  return loss;
}

/**
 * Elementwise regression losses of d = y − t (kind 0 ½d², 1 d², 2 Huber with δ = param,
 * 3 smooth L1 with β = param; see the file header). Returns the f64 sum of the terms, writes
 * dz = scale·∂term/∂y when dz ≠ 0 (dz may equal y) and the terms at out when out ≠ 0.
 */
export function regressionLoss(kind: i32, n: i32, y: usize, t: usize, dz: usize, scale: f32, param: f32, out: usize): f64 {
  const sv = f32x4.splat(scale);
  const pf = param, pv = f32x4.splat(param), npv = f32x4.splat(-param);
  const one = f32x4.splat(1.0), mone = f32x4.splat(-1.0), zero = f32x4.splat(0);
  const p64 = <f64>param;
  const halfv = f64x2.splat(0.5), p2 = f64x2.splat(p64), hp = f64x2.splat(0.5 * p64);
  const invp = f64x2.splat(1.0 / p64);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2, r = min(n - i, 4);
    const yv = r == 4 ? v128.load(y + o) : loadTail(y + o, r, 0);
    const tv = r == 4 ? v128.load(t + o) : loadTail(t + o, r, 0); // padding: d = 0, term 0
    const d = f32x4.sub(yv, tv);
    if (dz != 0) {
      let g: v128;
      if (kind == 0) g = d;
      else if (kind == 1) g = f32x4.add(d, d);
      else if (kind == 2) g = f32x4.pmax(f32x4.pmin(d, pv), npv);
      else if (pf > 0) g = f32x4.pmax(f32x4.pmin(f32x4.div(d, pv), one), mone);
      else g = v128.or(v128.and(f32x4.gt(d, zero), one), v128.and(f32x4.lt(d, zero), mone)); // sign, 0 at 0
      const gs = f32x4.mul(g, sv);
      if (r == 4) v128.store(dz + o, gs);
      else storeTail(dz + o, gs, r);
    }
    // the terms in f64, from the f32 differences (exact as f64)
    const dl = lo64(d), dh = hi64(d);
    let ql: v128, qh: v128;
    if (kind == 0) {
      ql = f64x2.mul(halfv, f64x2.mul(dl, dl));
      qh = f64x2.mul(halfv, f64x2.mul(dh, dh));
    } else if (kind == 1) {
      ql = f64x2.mul(dl, dl);
      qh = f64x2.mul(dh, dh);
    } else {
      const al = f64x2.abs(dl), ah = f64x2.abs(dh);
      if (kind == 2) {
        // ½d² if |d| < δ, else δ(|d| − ½δ)
        ql = v128.bitselect(f64x2.mul(halfv, f64x2.mul(dl, dl)), f64x2.mul(p2, f64x2.sub(al, hp)), f64x2.lt(al, p2));
        qh = v128.bitselect(f64x2.mul(halfv, f64x2.mul(dh, dh)), f64x2.mul(p2, f64x2.sub(ah, hp)), f64x2.lt(ah, p2));
      } else {
        // ½d²/β if |d| < β, else |d| − ½β (β = 0: never quadratic, |d|)
        ql = v128.bitselect(f64x2.mul(f64x2.mul(halfv, f64x2.mul(dl, dl)), invp), f64x2.sub(al, hp), f64x2.lt(al, p2));
        qh = v128.bitselect(f64x2.mul(f64x2.mul(halfv, f64x2.mul(dh, dh)), invp), f64x2.sub(ah, hp), f64x2.lt(ah, p2));
      }
    }
    if (out != 0) {
      store<f32>(out + o, <f32>f64x2.extract_lane(ql, 0));
      if (r > 1) store<f32>(out + o, <f32>f64x2.extract_lane(ql, 1), 4);
      if (r > 2) store<f32>(out + o, <f32>f64x2.extract_lane(qh, 0), 8);
      if (r > 3) store<f32>(out + o, <f32>f64x2.extract_lane(qh, 1), 12);
    }
    a0 = f64x2.add(a0, ql);
    a1 = f64x2.add(a1, qh);
  }
  const a = f64x2.add(a0, a1);
  return f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
}
