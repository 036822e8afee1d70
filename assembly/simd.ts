// Small SIMD helpers shared by every kernel.
//
// One source compiles to two modules: plain SIMD (mul then add, two roundings) and relaxed
// SIMD (f32x4.relaxed_madd, a fused multiply-add on FMA hardware: one rounding). The switch
// is the compile-time constant ASC_FEATURE_RELAXED_SIMD, so the branch not taken is never
// compiled and the plain module contains no relaxed opcode.

/** c + a·b, fused in the relaxed build. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Scalar counterpart of madd: the same rounding as the vector lanes. */
@inline export function maddf(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // wasm has no scalar FMA; f64 holds a·b exactly (24+24 bits), so one f64 add then one
    // rounding to f32 is the fused result except for rare double-rounding ties.
    return <f32>(<f64>a * <f64>b + <f64>c);
  } else {
    return a * b + c;
  }
}

/** 1 when this module was built with relaxed SIMD. */
export function isRelaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** First byte of linear memory not used by the module's static data: the JS allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}
