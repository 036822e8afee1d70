// Elementwise activations and their derivatives, over f32 arrays (pointers in bytes, n in
// elements). kind (i32):
//
//   0 linear     y = z                              f' = 1
//   1 sigmoid    y = 1/(1 + e^−z)                   f' = y(1 − y)
//   2 tanh       y = tanh z                         f' = (1 − y)(1 + y)
//   3 relu       y = max(z, 0)                      f' = y > 0 ? 1 : 0
//   4 leaky      y = z > 0 ? z : α·z   (α ∈ [0,1))  f' = y > 0 ? 1 : α
//   5 elu        y = z > 0 ? z : α(e^z − 1) (α > 0) f' = z > 0 ? 1 : α·e^z        (from z)
//   6 softsign   y = z/(1 + |z|)                    f' = (1 − |y|)²
//   7…12         gelu, gelu-tanh, silu, softplus, selu, mish: nn/activations-smooth.ts (from z)
//  13 hardtanh   y = min(max(z, −1), 1)             f' = −1 < y < 1 ? 1 : 0
//
// actForward: y = f(z), y may equal z. actBackward(kind, n, α, s, dy, dz): dz = dy ⊙ f'(z),
// dz may equal dy, where s is the output y for the kinds whose derivative is a function of y
// alone (0–4, 6, 13) and the pre-activation z for the others (elu and 7–12; the model keeps z
// for those layers, nn/model.ts). ELU took y until issue #17: f' = y + α cancels for z ≪ 0
// (y rounds towards −α: 4e-4 relative error at z = −10, all of it at z = −17), while α·e^z from
// z is good to a few ulps everywhere, as PyTorch's. An unknown kind traps (unreachable).
//
// How each is evaluated (nn/math.ts has the SIMD e^x and e^x − 1):
//   sigmoid   e = e^−|z| ∈ [0, 1];  y = (z ≥ 0 ? 1 : e)/(1 + e). Never overflows, and keeps
//             relative accuracy for z ≪ 0 (y = e/(1+e) rather than 1 − something), down to
//             y ≈ 1e-38; ±Infinity give exactly 1 and 0.
//   tanh      u = e^{−2|z|} − 1 ∈ [−1, 0] (expm1, no cancellation near 0);
//             tanh|z| = −u/(2 + u), with z's sign. This is 1 − 2/(e^{2|z|} + 1) rewritten so
//             that small |z| keeps full relative accuracy (tanh(1e-8) = 1e-8) without a second
//             polynomial: the usual split (odd Cephes tanhf polynomial below |z| = 0.625, the
//             exp formula above, both computed for every lane and blended) measured ~1.35×
//             slower here. For |z| ≥ 44, u = −1 exactly and y = ±1 (±1e30, ±Infinity too).
//   elu       α·expm1(min(z, 0)) for z ≤ 0 (no cancellation near 0).
//   softsign  z is first clamped to ±FLT_MAX so ±Infinity gives ±1 rather than ∞/∞; finite
//             inputs are unchanged (and 1 + |z| = |z| for |z| ≥ 2^24, so the limit is exact).
//   hardtanh  PyTorch's semantics: f' = 0 at z = ±1 exactly (y = ±1), NaN passes dy through.
//   backward  (1 − y) is exact for y ≥ 0.5 (Sterbenz), so tanh' = (1 − y)(1 + y) and
//             sigmoid' = y(1 − y) keep full relative accuracy as y → 1, unlike 1 − y².
//             elu' = α·e^z with z clamped to ≤ 0 (one SIMD exp per vector, no interleaving).
// NaN in gives NaN out for every kind except relu/leaky backward (dz = 0 where y is NaN) and
// hardtanh backward (dz = dy).
//
// Loops. sigmoid, tanh and elu forward: 16 floats per iteration as four f32x4 pushed through
// the exp stages side by side (nn/math.ts explains why), then the last 1–15 floats through the
// same block code with partial loads/stores, so every element rounds the same way wherever it
// sits. The other kinds and all derivatives are a few operations per vector: 8 floats per
// iteration, then one f32x4, then the last 1–3 elements as a partial vector.

import { smoothBackward, smoothForward } from "./activations-smooth";
import {
  absv, clampv, EXP_LO, expConst, expFinish, expm1Finish, expm1Poly, expReduce, expRound,
  expv, K_LOG2E, K_MAGIC, K_NC1, K_NC2, K_P0, K_P1, K_P2, K_P3, K_P4, K_P5,
  loadQuad, loadTail, negAbsv, SIGN_MASK, storeQuad, storeTail,
} from "./math";

export const ACT_LINEAR = 0;
export const ACT_SIGMOID = 1;
export const ACT_TANH = 2;
export const ACT_RELU = 3;
export const ACT_LEAKY = 4;
export const ACT_ELU = 5;
export const ACT_SOFTSIGN = 6;
export const ACT_HARDTANH = 13;

// ---- the exp-based kinds, four vectors at a time (see nn/math.ts on why interleave) ----

/** The exp argument: sigmoid −|z|, tanh −2|z|, elu min(z, 0); clamped to [EXP_LO, 0]. */
@inline function expArg(kind: i32, z: v128): v128 {
  let x: v128;
  if (kind == ACT_SIGMOID) x = negAbsv(z);
  else if (kind == ACT_TANH) { const a = negAbsv(z); x = f32x4.add(a, a); }
  else x = f32x4.pmin(z, f32x4.splat(0));
  return f32x4.pmax(x, f32x4.splat(EXP_LO)); // NaN stays NaN
}

/** f(z) from t = expRound(x) and q = e^r − 1 for x = expArg(kind, z). */
@inline function expFinishKind(kind: i32, z: v128, t: v128, q: v128, alpha: v128): v128 {
  const one = f32x4.splat(1.0);
  if (kind == ACT_SIGMOID) {
    const e = expFinish(t, q); // e^−|z|
    return f32x4.div(v128.bitselect(one, e, f32x4.ge(z, f32x4.splat(0))), f32x4.add(one, e));
  }
  const u = expm1Finish(t, q);
  if (kind == ACT_TANH) {
    // u = e^−2|z| − 1 ∈ [−1, 0]: tanh|z| = −u/(2 + u), given z's sign
    const v = f32x4.div(u, f32x4.add(f32x4.splat(2.0), u));
    return v128.or(absv(v), v128.and(z, i32x4.splat(SIGN_MASK)));
  }
  return v128.bitselect(z, f32x4.mul(alpha, u), f32x4.gt(z, f32x4.splat(0))); // elu
}

/**
 * f on the m ≤ 16 floats at z (sigmoid, tanh or elu), stage by stage over four vectors:
 * m = 16 in the main loop, the remainder once at the end (the same code, so the same bits).
 */
@inline function expBlock(kind: i32, m: i32, alpha: v128, z: usize, y: usize): void {
  const log2e = expConst(K_LOG2E), magic = expConst(K_MAGIC), nc1 = expConst(K_NC1), nc2 = expConst(K_NC2);
  const p0 = expConst(K_P0), p1 = expConst(K_P1), p2 = expConst(K_P2);
  const p3 = expConst(K_P3), p4 = expConst(K_P4), p5 = expConst(K_P5);
  const z0 = loadQuad(z, m, 0), z1 = loadQuad(z, m, 1), z2 = loadQuad(z, m, 2), z3 = loadQuad(z, m, 3);
  const x0 = expArg(kind, z0), x1 = expArg(kind, z1), x2 = expArg(kind, z2), x3 = expArg(kind, z3);
  const t0 = expRound(x0, log2e, magic), t1 = expRound(x1, log2e, magic);
  const t2 = expRound(x2, log2e, magic), t3 = expRound(x3, log2e, magic);
  const q0 = expm1Poly(expReduce(x0, t0, magic, nc1, nc2), p0, p1, p2, p3, p4, p5);
  const q1 = expm1Poly(expReduce(x1, t1, magic, nc1, nc2), p0, p1, p2, p3, p4, p5);
  const q2 = expm1Poly(expReduce(x2, t2, magic, nc1, nc2), p0, p1, p2, p3, p4, p5);
  const q3 = expm1Poly(expReduce(x3, t3, magic, nc1, nc2), p0, p1, p2, p3, p4, p5);
  storeQuad(y, expFinishKind(kind, z0, t0, q0, alpha), m, 0);
  storeQuad(y, expFinishKind(kind, z1, t1, q1, alpha), m, 1);
  storeQuad(y, expFinishKind(kind, z2, t2, q2, alpha), m, 2);
  storeQuad(y, expFinishKind(kind, z3, t3, q3, alpha), m, 3);
}

@inline function expLoop(kind: i32, n: i32, alpha: f32, z: usize, y: usize): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    expBlock(kind, 16, av, z + o, y + o);
  }
  if (i < n) {
    const o = <usize>i << 2;
    expBlock(kind, n - i, av, z + o, y + o);
  }
}

// ---- the cheap kinds and all derivatives, one vector at a time ----

/** f(z) for a constant cheap kind (the branches fold away after inlining). */
@inline function forwardv(kind: i32, z: v128, alpha: v128): v128 {
  if (kind == ACT_RELU) return f32x4.pmax(z, f32x4.splat(0)); // z < 0 ? 0 : z; NaN stays
  if (kind == ACT_LEAKY) return v128.bitselect(z, f32x4.mul(alpha, z), f32x4.gt(z, f32x4.splat(0)));
  if (kind == ACT_SOFTSIGN) {
    const c = clampv(z, -3.4028234663852886e38, 3.4028234663852886e38);
    return f32x4.div(c, f32x4.add(f32x4.splat(1.0), absv(c)));
  }
  if (kind == ACT_HARDTANH) return clampv(z, -1.0, 1.0);
  return z;
}

/** dy ⊙ f'(z), f' from y (elu: from z), for a constant kind. */
@inline function backwardv(kind: i32, y: v128, dy: v128, alpha: v128): v128 {
  const one = f32x4.splat(1.0);
  if (kind == ACT_SIGMOID) return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(one, y)));
  if (kind == ACT_TANH) return f32x4.mul(dy, f32x4.mul(f32x4.sub(one, y), f32x4.add(one, y)));
  if (kind == ACT_RELU) return v128.and(dy, f32x4.gt(y, f32x4.splat(0)));
  if (kind == ACT_LEAKY) return f32x4.mul(dy, v128.bitselect(one, alpha, f32x4.gt(y, f32x4.splat(0))));
  if (kind == ACT_ELU) {
    // y is z here: α·e^z for z ≤ 0 (NaN stays NaN)
    const neg = f32x4.mul(alpha, expv(f32x4.pmin(y, f32x4.splat(0))));
    return f32x4.mul(dy, v128.bitselect(one, neg, f32x4.gt(y, f32x4.splat(0))));
  }
  if (kind == ACT_HARDTANH) {
    const out = v128.or(f32x4.le(y, f32x4.splat(-1.0)), f32x4.ge(y, one));
    return v128.andnot(dy, out);
  }
  if (kind == ACT_SOFTSIGN) {
    const d = f32x4.sub(one, absv(y));
    return f32x4.mul(dy, f32x4.mul(d, d));
  }
  return dy;
}

@inline function forwardLoop(kind: i32, n: i32, alpha: f32, z: usize, y: usize): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = forwardv(kind, v128.load(z + o), av);
    const b = forwardv(kind, v128.load(z + o, 16), av);
    v128.store(y + o, a);
    v128.store(y + o, b, 16);
  }
  if (i + 4 <= n) {
    const o = <usize>i << 2;
    v128.store(y + o, forwardv(kind, v128.load(z + o), av));
    i += 4;
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(y + o, forwardv(kind, loadTail(z + o, n - i, 0), av), n - i);
  }
}

@inline function backwardLoop(kind: i32, n: i32, alpha: f32, y: usize, dy: usize, dz: usize): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = backwardv(kind, v128.load(y + o), v128.load(dy + o), av);
    const b = backwardv(kind, v128.load(y + o, 16), v128.load(dy + o, 16), av);
    v128.store(dz + o, a);
    v128.store(dz + o, b, 16);
  }
  if (i + 4 <= n) {
    const o = <usize>i << 2;
    v128.store(dz + o, backwardv(kind, v128.load(y + o), v128.load(dy + o), av));
    i += 4;
  }
  if (i < n) {
    const o = <usize>i << 2;
    const r = n - i;
    storeTail(dz + o, backwardv(kind, loadTail(y + o, r, 0), loadTail(dy + o, r, 0), av), r);
  }
}

/** y = f(z) elementwise; y may equal z. */
export function actForward(kind: i32, n: i32, alpha: f32, z: usize, y: usize): void {
  if (<u32>kind > <u32>ACT_HARDTANH) unreachable();
  if (n <= 0) return;
  switch (kind) {
    case ACT_LINEAR: { if (y != z) memory.copy(y, z, <usize>n << 2); break; }
    case ACT_SIGMOID: { expLoop(ACT_SIGMOID, n, alpha, z, y); break; }
    case ACT_TANH: { expLoop(ACT_TANH, n, alpha, z, y); break; }
    case ACT_RELU: { forwardLoop(ACT_RELU, n, alpha, z, y); break; }
    case ACT_LEAKY: { forwardLoop(ACT_LEAKY, n, alpha, z, y); break; }
    case ACT_ELU: { expLoop(ACT_ELU, n, alpha, z, y); break; }
    case ACT_SOFTSIGN: { forwardLoop(ACT_SOFTSIGN, n, alpha, z, y); break; }
    case ACT_HARDTANH: { forwardLoop(ACT_HARDTANH, n, alpha, z, y); break; }
    default: { smoothForward(kind, n, z, y); break; }
  }
}

/** dz = dy ⊙ f'(z) with f' computed from s: the output y, or z for elu and kinds 7–12; dz may equal dy. */
export function actBackward(kind: i32, n: i32, alpha: f32, s: usize, dy: usize, dz: usize): void {
  if (<u32>kind > <u32>ACT_HARDTANH) unreachable();
  if (n <= 0) return;
  switch (kind) {
    case ACT_LINEAR: { if (dz != dy) memory.copy(dz, dy, <usize>n << 2); break; }
    case ACT_SIGMOID: { backwardLoop(ACT_SIGMOID, n, alpha, s, dy, dz); break; }
    case ACT_TANH: { backwardLoop(ACT_TANH, n, alpha, s, dy, dz); break; }
    case ACT_RELU: { backwardLoop(ACT_RELU, n, alpha, s, dy, dz); break; }
    case ACT_LEAKY: { backwardLoop(ACT_LEAKY, n, alpha, s, dy, dz); break; }
    case ACT_ELU: { backwardLoop(ACT_ELU, n, alpha, s, dy, dz); break; }
    case ACT_SOFTSIGN: { backwardLoop(ACT_SOFTSIGN, n, alpha, s, dy, dz); break; }
    case ACT_HARDTANH: { backwardLoop(ACT_HARDTANH, n, alpha, s, dy, dz); break; }
    default: { smoothBackward(kind, n, s, dy, dz); break; }
  }
}
