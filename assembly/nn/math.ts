// SIMD elementary functions for the neural-network kernels: e^x and e^x − 1 on f32x4, a scalar
// log1p, and the partial-vector loads/stores used for loop tails.
//
// exp (Cephes expf, re-derived here for four lanes):
//   x = n·ln2 + r,  n = round(x·log2 e),  |r| ≤ ln2/2 (+ a hair from rounding x·log2 e)
//   r = (x − n·C1) − n·C2 with ln2 = C1 + C2, C1 = 0.693359375 (9 significant bits, so n·C1 is
//       exact for |n| < 2^15, and x − n·C1 is exact: both are multiples of ulp(r), |r| < 0.5)
//   e^r − 1 ≈ r + r²·P(r),  P of degree 5 (Cephes minimax coefficients)
//   e^x = (1 + (e^r − 1))·2^n,  2^n built in the exponent bits.
// n is found without a float→int conversion: t = x·log2 e + (1.5·2^23 + 127) rounds x·log2 e
// to an integer held in the low mantissa bits (round-to-nearest-even), so t − (1.5·2^23 + 127)
// is n as a float, and the low 9 bits of bits(t) are n + 127: bits(t) << 23 is 2^n as a float.
// The input is clamped to [−88, 88], so n ∈ [−127, 127]; n = −127 gives the bit pattern +0.
// Hence: e^x for x ≤ 88 (above, e^88 ≈ 1.65e38 rather than +Infinity); subnormal results down to
// about e^−87.68, then exactly 0 (gradual underflow is cut short there). −Infinity gives 0,
// NaN gives NaN. All callers in nn/ pass x ≤ 0.
//
// expm1 (e^x − 1 without cancellation near 0), same reduction: with q = e^r − 1 = r + r²·P(r),
//   e^x − 1 = 2^n·q + (2^n − 1),
// where 2^n·q is exact (a power-of-two scaling) and 2^n − 1 is exact for |n| ≤ 24, so the only
// roundings are those of q and of the final add. For n = 0 (|x| < 0.3466) the result is q itself,
// r = x exactly, so e.g. expm1(1e-8) = 1e-8 to a few ulps. For x ≤ −88, 2^n = 0: the result −1.
//
// The evaluation is split into stages (round, reduce, polynomial, scale) so that hot loops can
// interleave four independent vectors stage by stage: one e^x is a chain of ~25 dependent
// operations (~80 cycles), and V8 does not reorder across it, so a loop over single vectors
// leaves the out-of-order window too few independent operations (measured ~1.6× slower).
// The polynomial steps use madd (fused in the relaxed build), so the two builds may differ in
// the last bit; tests compare both with tolerances.

import { madd } from "../simd";

// Cephes expf constants.
const LOG2E: f32 = 1.44269504088896341;
const C1: f32 = 0.693359375;
const C2: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
/** 1.5·2^23 + 127: t = y + this rounds y (|y| < 2^22) to an integer and biases it by 127. */
const MAGIC: f32 = 12583039.0;

/** Bounds of the exp/expm1 argument (see the header). */
export const EXP_LO: f32 = -88.0;
export const EXP_HI: f32 = 88.0;

/** The sign bit of every lane. */
export const SIGN_MASK: i32 = i32.MIN_VALUE;

/** |v| (clears the sign bits). */
@inline export function absv(v: v128): v128 {
  return v128.andnot(v, i32x4.splat(SIGN_MASK));
}

/** −|v| (sets the sign bits). */
@inline export function negAbsv(v: v128): v128 {
  return v128.or(v, i32x4.splat(SIGN_MASK));
}

/**
 * Lanes clamped to [lo, hi]; a NaN lane stays NaN (pmin/pmax return their first operand when
 * the comparison is false, and they are single minps/maxps on x86, unlike f32x4.min/max).
 */
@inline export function clampv(x: v128, lo: f32, hi: f32): v128 {
  return f32x4.pmax(f32x4.pmin(x, f32x4.splat(hi)), f32x4.splat(lo));
}

/**
 * The constants above as a table in linear memory, for hot loops: V8 (11.3) rebuilds every
 * v128.const at each use from a general register (3 instructions), so a loop that loads these
 * once per iteration into locals and passes them to the stage functions below runs ~12% faster
 * (measured on the tanh loop). Read-only, so instances sharing a memory may share it.
 */
const EXP_TABLE = memory.data<f32>([LOG2E, MAGIC, -C1, -C2, P0, P1, P2, P3, P4, P5], 16);
export const K_LOG2E = 0;
export const K_MAGIC = 1;
export const K_NC1 = 2;
export const K_NC2 = 3;
export const K_P0 = 4;
export const K_P1 = 5;
export const K_P2 = 6;
export const K_P3 = 7;
export const K_P4 = 8;
export const K_P5 = 9;

/** Entry i of the exp constant table, in every lane. */
@inline export function expConst(i: i32): v128 {
  return v128.load_splat<f32>(EXP_TABLE + (<usize>i << 2));
}

/** Stage 1: t = x·log2 e + MAGIC; for x in [EXP_LO, EXP_HI] (clamp first). */
@inline export function expRound(x: v128, log2e: v128, magic: v128): v128 {
  return madd(x, log2e, magic);
}

/** Stage 2: r = x − n·ln2 with n = t − MAGIC (exact); nc1 = −C1, nc2 = −C2. */
@inline export function expReduce(x: v128, t: v128, magic: v128, nc1: v128, nc2: v128): v128 {
  const fn = f32x4.sub(t, magic);
  return madd(fn, nc2, madd(fn, nc1, x));
}

/** Stage 3: e^r − 1 ≈ r + r²·P(r) for |r| ≤ ~0.35. */
@inline export function expm1Poly(r: v128, p0: v128, p1: v128, p2: v128, p3: v128, p4: v128, p5: v128): v128 {
  let p = madd(p0, r, p1);
  p = madd(p, r, p2);
  p = madd(p, r, p3);
  p = madd(p, r, p4);
  p = madd(p, r, p5);
  return madd(p, f32x4.mul(r, r), r);
}

/** Stage 4 helper: 2^n from t (n ∈ [−127, 127]; n = −127 gives +0). */
@inline export function pow2n(t: v128): v128 {
  return i32x4.shl(t, 23);
}

/** e^x from t = expRound(x) and q = expm1Poly(expReduce(x, t)). */
@inline export function expFinish(t: v128, q: v128): v128 {
  return f32x4.mul(f32x4.add(q, f32x4.splat(1.0)), pow2n(t));
}

/** e^x − 1 from t = expRound(x) and q = expm1Poly(expReduce(x, t)). */
@inline export function expm1Finish(t: v128, q: v128): v128 {
  const s = pow2n(t);
  // s·q is exact, so fused or not this rounds once: the builds agree here.
  return f32x4.add(f32x4.mul(s, q), f32x4.sub(s, f32x4.splat(1.0)));
}

/** q = e^r − 1 for the reduced argument of x, and t (one vector, constants inline). */
@inline function expCore(x: v128, t: v128): v128 {
  const r = expReduce(x, t, f32x4.splat(MAGIC), f32x4.splat(-C1), f32x4.splat(-C2));
  return expm1Poly(r, f32x4.splat(P0), f32x4.splat(P1), f32x4.splat(P2), f32x4.splat(P3), f32x4.splat(P4), f32x4.splat(P5));
}

/** e^x on four lanes (see the header for the range). */
@inline export function expv(x: v128): v128 {
  x = clampv(x, EXP_LO, EXP_HI);
  const t = expRound(x, f32x4.splat(LOG2E), f32x4.splat(MAGIC));
  return expFinish(t, expCore(x, t));
}

/** e^x − 1 on four lanes, accurate near 0 (see the header for the range). */
@inline export function expm1v(x: v128): v128 {
  x = clampv(x, EXP_LO, EXP_HI);
  const t = expRound(x, f32x4.splat(LOG2E), f32x4.splat(MAGIC));
  return expm1Finish(t, expCore(x, t));
}

/**
 * log(1 + x) for x > −1, accurate for tiny x (Goldberg's trick: with u = fl(1 + x),
 * log(u)·x/(u − 1) cancels the rounding of u to first order). A few ulps.
 */
export function log1pf(x: f32): f32 {
  const u: f32 = 1.0 + x;
  if (u == 1.0) return x;
  return Mathf.log(u) * (x / (u - 1.0));
}

/** Lanes 0..rem−1 loaded from p (rem in 1..3), the rest set to pad: a vector loop's tail. */
@inline export function loadTail(p: usize, rem: i32, pad: f32): v128 {
  let v = f32x4.splat(pad);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (rem > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (rem > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores lanes 0..rem−1 of v at p (rem in 1..3). */
@inline export function storeTail(p: usize, v: v128, rem: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (rem > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (rem > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * Vector j (floats 4j..4j+3) of a block of m ≤ 16 floats at p; lanes at or past m read as 0.
 * With constant m = 16 (a hot loop's body) this is a plain v128.load.
 */
@inline export function loadQuad(p: usize, m: i32, j: i32): v128 {
  if (m >= 4 * j + 4) return v128.load(p + (<usize>j << 4));
  if (m > 4 * j) return loadTail(p + (<usize>j << 4), m - 4 * j, 0);
  return f32x4.splat(0);
}

/** Stores the lanes of vector j of a block of m ≤ 16 floats at p that lie below m. */
@inline export function storeQuad(p: usize, v: v128, m: i32, j: i32): void {
  if (m >= 4 * j + 4) v128.store(p + (<usize>j << 4), v);
  else if (m > 4 * j) storeTail(p + (<usize>j << 4), v, m - 4 * j);
}
