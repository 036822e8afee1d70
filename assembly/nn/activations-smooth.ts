// The smooth activations PyTorch users reach for, forward and derivative, over f32 arrays.
// kind (i32, the ids of activations.ts):
//
//   7  gelu       y = z·Φ(z)                         f' = Φ(z) + z·φ(z)
//   8  gelu-tanh  y = ½z(1 + tanh u),                f' = ½(1 + tanh u) + ½z·sech²u·√(2/π)(1 + 3κz²)
//                 u = √(2/π)(z + κz³), κ = 0.044715
//   9  silu       y = z·σ(z)                         f' = σ(z)(1 + z(1 − σ(z)))
//  10  softplus   y = z > 20 ? z : log(1 + e^z)      f' = z > 20 ? 1 : e^z/(1 + e^z)
//  11  selu       y = λ(z > 0 ? z : α(e^z − 1))      f' = z > 0 ? λ : λα·e^z
//  12  mish       y = z·tanh(softplus z)             f' = t + z·sech²(softplus z)·σ(z),  t = tanh(softplus z)
//
// Φ, φ: the standard normal distribution function and density; σ the logistic sigmoid.
// softplus is PyTorch's default (β = 1, threshold 20: above it the input itself). selu's
// λ = 1.0507009873554804934…, α = 1.6732632423543772848… (Klambauer et al. 2017, PyTorch's).
// The derivatives need the pre-activation z: actBackward gets z, not the output y, for these
// kinds (activations.ts; the model keeps z for them, nn/model.ts).
//
// Every element is computed in f64 from its f32 input and rounded once to f32: the result is
// within an ulp or so of the exact value, also where an f32 evaluation loses relative accuracy
// — the arguments of e^(…) in gelu (−z²/2, exact in f64 for an f32 z) and gelu-tanh (2|u|,
// ~87 at z = −10: f32 rounding of u alone would cost 1e-5 relative), and the tails, written
// without cancellation:
//   gelu       Φ(z) = Q(−z) for z < 0, 1 − Q(z) otherwise, Q(a) = ½erfc(a/√2) = P(N > a):
//              erfc(t) = s·e^{−t²}·R(s), s = 1/(1 + t/2), R a degree-13 Chebyshev series
//              fitted to 6e-10 relative over all t ≥ 0 (scripts/fit-gelu-erfc.py); e^{−t²} =
//              e^{−z²/2} is φ's too, so forward and backward take one exp. So gelu(−10) =
//              −7.6e-23 to full accuracy, where PyTorch's 1 + erf(z/√2) is 0.
//   gelu-tanh  1 + tanh u = 2/(1 + E) for u ≥ 0 and 2E/(1 + E) for u < 0, E = e^{−2|u|};
//              sech²u = 4E/(1 + E)².
//   silu       σ and 1 − σ from e = e^{−|z|} (each e/(1 + e) or 1/(1 + e)).
//   mish       with w = e^z: tanh(log(1 + w)) = w(w + 2)/(w(w + 2) + 2) and the second term of
//              f' is 4z·w(w + 1)/D², D = w(w + 2) + 2; for z > 0 the same with v = e^{−z}:
//              t = (1 + 2v)/(1 + 2v + 2v²), 4z·v²(1 + v)/(1 + 2v + 2v²)². No log, no overflow.
//   selu       expm1 (AssemblyScript's Math, f64) for the negative branch.
// dz = dy·f'(z) is one f64 product, rounded once. NaN in gives NaN out (forward and backward).
//
// Speed: scalar f64 (AssemblyScript's Math.exp/expm1/log1p), one element at a time, except
// gelu's series, run for two elements at once in f64x2 lanes (erfcR2). Measured (CPU time,
// 51,200 elements, a loaded 2-vCPU machine): ~8–15 ns per element forward or backward for
// gelu-tanh, silu, softplus, selu and mish, ~17 ns for gelu (~25–33 ns one at a time), against
// ~2 ns for the SIMD tanh of activations.ts — small next to the product that feeds a layer (one
// activation per output against fan_in multiply-adds), though visible for narrow layers. A full
// SIMD version would need the exp arguments in extended precision (f64x2 lanes); not done.

export const ACT_GELU = 7;
export const ACT_GELU_TANH = 8;
export const ACT_SILU = 9;
export const ACT_SOFTPLUS = 10;
export const ACT_SELU = 11;
export const ACT_MISH = 12;

const SQRT1_2: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327; // 1/√(2π)
const SQRT_2_OVER_PI: f64 = 0.7978845608028654; // √(2/π)
const KAPPA: f64 = 0.044715;
const SELU_LAMBDA: f64 = 1.0507009873554804934193349852946;
const SELU_ALPHA: f64 = 1.6732632423543772848170429916717;

// Chebyshev coefficients of R (scripts/fit-gelu-erfc.py; worst relative error of erfc 6.3e-10).
const ERFC_DEGREE = 13;
const ERFC_CHEB = memory.data<f64>([
  0.5770337386164704, 0.35543692127049714, 0.06509515882878714,
  0.003671142395836579, -0.0011128447433531824, -0.0001607582991523693,
  3.278031574027321e-05, 5.442441646714805e-06, -1.5154665559281184e-06,
  -1.4297608179980572e-07, 8.234608899002322e-08, -1.2962858823100604e-09,
  -4.154720223161403e-09, 6.347046411937889e-10,
]);

/** R(s) by Clenshaw's recurrence in x = 2s − 1. */
@inline function erfcR(s: f64): f64 {
  const x = 2.0 * s - 1.0, x2 = 2.0 * x;
  let b1 = 0.0, b2 = 0.0;
  for (let k = ERFC_DEGREE; k >= 1; k--) {
    const b = load<f64>(ERFC_CHEB + (<usize>k << 3)) + x2 * b1 - b2;
    b2 = b1;
    b1 = b;
  }
  return load<f64>(ERFC_CHEB) + x * b1 - b2;
}

/**
 * erfcR at two points (lanes 0 and 1), lane by lane the operations of erfcR in the same order
 * (f64x2 add/mul/sub round as scalar ones): the same bits, two independent chains at once (the
 * 13-step recurrence is latency-bound: gelu went from ~25–33 to ~17 ns per element).
 */
@inline function erfcR2(s: v128): v128 {
  const x = f64x2.sub(f64x2.mul(f64x2.splat(2.0), s), f64x2.splat(1.0)), x2 = f64x2.mul(f64x2.splat(2.0), x);
  let b1 = f64x2.splat(0.0), b2 = f64x2.splat(0.0);
  for (let k = ERFC_DEGREE; k >= 1; k--) {
    const b = f64x2.sub(f64x2.add(v128.load_splat<f64>(ERFC_CHEB + (<usize>k << 3)), f64x2.mul(x2, b1)), b2);
    b2 = b1;
    b1 = b;
  }
  return f64x2.sub(f64x2.add(v128.load_splat<f64>(ERFC_CHEB), f64x2.mul(x, b1)), b2);
}

/** s = 1/(1 + t/2) for t = a/√2 (a = |z|). */
@inline function geluS(a: f64): f64 {
  return 1.0 / (1.0 + 0.5 * SQRT1_2 * a);
}

/** gelu(z) from a = |z|, s and r = R(s): Q(a) = ½·s·R(s)·e^{−a²/2} (a² is exact in f64). */
@inline function geluY(z: f64, a: f64, s: f64, r: f64): f64 {
  const q = 0.5 * s * r * Math.exp(-0.5 * a * a);
  return z < 0 ? z * q : z * (1.0 - q);
}

/** gelu'(z) = Φ(z) + z·φ(z) from a, s, r as geluY. */
@inline function geluD(z: f64, a: f64, s: f64, r: f64): f64 {
  const e = Math.exp(-0.5 * a * a);
  const q = 0.5 * s * r * e;
  return (z < 0 ? q : 1.0 - q) + z * (INV_SQRT_2PI * e);
}

/** gelu (backward: dz = dy·gelu'(z)) on two elements per iteration (erfcR2), the last one alone. */
function geluLoop(backward: bool, n: i32, z: usize, dy: usize, out: usize): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 2;
    const z0 = <f64>load<f32>(z + o), z1 = <f64>load<f32>(z + o, 4);
    const a0 = Math.abs(z0), a1 = Math.abs(z1);
    const s0 = geluS(a0), s1 = geluS(a1);
    const r = erfcR2(f64x2.replace_lane(f64x2.splat(s0), 1, s1));
    const r0 = f64x2.extract_lane(r, 0), r1 = f64x2.extract_lane(r, 1);
    if (backward) {
      const d0 = <f64>load<f32>(dy + o), d1 = <f64>load<f32>(dy + o, 4);
      store<f32>(out + o, <f32>(d0 * geluD(z0, a0, s0, r0)));
      store<f32>(out + o, <f32>(d1 * geluD(z1, a1, s1, r1)), 4);
    } else {
      store<f32>(out + o, <f32>geluY(z0, a0, s0, r0));
      store<f32>(out + o, <f32>geluY(z1, a1, s1, r1), 4);
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    const z0 = <f64>load<f32>(z + o), a0 = Math.abs(z0), s0 = geluS(a0), r0 = erfcR(s0);
    if (backward) store<f32>(out + o, <f32>(<f64>load<f32>(dy + o) * geluD(z0, a0, s0, r0)));
    else store<f32>(out + o, <f32>geluY(z0, a0, s0, r0));
  }
}

@inline function forward1(kind: i32, z: f64): f64 {
  if (kind == ACT_GELU_TANH) {
    const u = SQRT_2_OVER_PI * (z + KAPPA * z * z * z);
    const e = Math.exp(-2.0 * Math.abs(u));
    return u >= 0 ? z / (1.0 + e) : (z * e) / (1.0 + e);
  }
  if (kind == ACT_SILU) {
    const e = Math.exp(-Math.abs(z));
    return z >= 0 ? z / (1.0 + e) : (z * e) / (1.0 + e);
  }
  if (kind == ACT_SOFTPLUS) return z > 20.0 ? z : Math.log1p(Math.exp(z));
  if (kind == ACT_SELU) return z > 0 ? SELU_LAMBDA * z : SELU_LAMBDA * SELU_ALPHA * Math.expm1(z);
  // mish
  if (z > 0) {
    const v = Math.exp(-z);
    return (z * (1.0 + 2.0 * v)) / (1.0 + 2.0 * v * (1.0 + v));
  }
  const w = Math.exp(z), ww = w * (w + 2.0);
  return (z * ww) / (ww + 2.0);
}

@inline function derivative1(kind: i32, z: f64): f64 {
  if (kind == ACT_GELU_TANH) {
    const z2 = z * z;
    const u = SQRT_2_OVER_PI * (z + KAPPA * z2 * z);
    const e = Math.exp(-2.0 * Math.abs(u)), d = 1.0 + e;
    const half = u >= 0 ? 1.0 / d : e / d; // ½(1 + tanh u)
    const sech2 = (4.0 * e) / (d * d);
    return half + 0.5 * z * sech2 * (SQRT_2_OVER_PI * (1.0 + 3.0 * KAPPA * z2));
  }
  if (kind == ACT_SILU) {
    const e = Math.exp(-Math.abs(z)), d = 1.0 + e;
    const s = z >= 0 ? 1.0 / d : e / d, c = z >= 0 ? e / d : 1.0 / d; // σ(z), 1 − σ(z)
    return s * (1.0 + z * c);
  }
  if (kind == ACT_SOFTPLUS) {
    if (z > 20.0) return 1.0;
    const w = Math.exp(z);
    return w / (w + 1.0);
  }
  if (kind == ACT_SELU) return z > 0 ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * Math.exp(z);
  // mish
  if (z > 0) {
    const v = Math.exp(-z), d = 1.0 + 2.0 * v * (1.0 + v);
    return (1.0 + 2.0 * v) / d + (4.0 * z * v * v * (1.0 + v)) / (d * d);
  }
  const w = Math.exp(z), d = w * (w + 2.0) + 2.0;
  return (w * (w + 2.0)) / d + (4.0 * z * w * (w + 1.0)) / (d * d);
}

@inline function smoothForwardLoop(kind: i32, n: i32, z: usize, y: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, <f32>forward1(kind, <f64>load<f32>(z + o)));
  }
}

@inline function smoothBackwardLoop(kind: i32, n: i32, z: usize, dy: usize, dz: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, <f32>(<f64>load<f32>(dy + o) * derivative1(kind, <f64>load<f32>(z + o))));
  }
}

/** y = f(z) for a kind of this file (7…12); y may equal z. */
export function smoothForward(kind: i32, n: i32, z: usize, y: usize): void {
  switch (kind) {
    case ACT_GELU: { geluLoop(false, n, z, 0, y); break; }
    case ACT_GELU_TANH: { smoothForwardLoop(ACT_GELU_TANH, n, z, y); break; }
    case ACT_SILU: { smoothForwardLoop(ACT_SILU, n, z, y); break; }
    case ACT_SOFTPLUS: { smoothForwardLoop(ACT_SOFTPLUS, n, z, y); break; }
    case ACT_SELU: { smoothForwardLoop(ACT_SELU, n, z, y); break; }
    case ACT_MISH: { smoothForwardLoop(ACT_MISH, n, z, y); break; }
    default: unreachable();
  }
}

/** dz = dy·f'(z) for a kind of this file, from the pre-activation z; dz may equal dy. */
export function smoothBackward(kind: i32, n: i32, z: usize, dy: usize, dz: usize): void {
  switch (kind) {
    case ACT_GELU: { geluLoop(true, n, z, dy, dz); break; }
    case ACT_GELU_TANH: { smoothBackwardLoop(ACT_GELU_TANH, n, z, dy, dz); break; }
    case ACT_SILU: { smoothBackwardLoop(ACT_SILU, n, z, dy, dz); break; }
    case ACT_SOFTPLUS: { smoothBackwardLoop(ACT_SOFTPLUS, n, z, dy, dz); break; }
    case ACT_SELU: { smoothBackwardLoop(ACT_SELU, n, z, dy, dz); break; }
    case ACT_MISH: { smoothBackwardLoop(ACT_MISH, n, z, dy, dz); break; }
    default: unreachable();
  }
}
