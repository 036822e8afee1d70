// Shared pieces of the optimizer update kernels (assembly/optim/*.ts).
//
// Each kernel is one fused pass over flat f32 buffers of n elements (byte pointers): the
// parameters p (updated in place), the gradient g (read only: weight decay works on a local)
// and the optimizer's state buffers, named after the math as in torch.optim. The per-step
// scalars (bias corrections, step sizes, …) arrive as f32 arguments, computed once per step in
// f64 by src/optim/rules.ts, which also holds each rule's f64 reference with the same
// per-element order of operations. Unused state buffers (e.g. max_exp_avg_sq without amsgrad)
// are never touched: their pointer may be 0.
//
// Every kernel has the same per-element shape, so that a chain of separate transforms
// (assembly/optim/transforms.ts, src/optim/transforms.ts) reproduces it bit for bit:
//   p' = p·factor                    factor = 1 − lr·wd for decoupled decay (AdamW), else 1 (exact)
//   g' = madd(wd, p', g)             coupled (L2) decay, only when wd ≠ 0
//   u  = direction(g', state)        the rule proper, exported by each file as an @inline
//                                    function <rule>Direction that also updates the state
//   p  = madd(scale, u, p')          scale = −lr (−clr for Adagrad, −1 for Rprop)
// The composed form runs these as separate passes and keeps u in memory in between; every
// intermediate is an f32 in both forms, and both forms call the same inline functions, so the
// operations and the places of madd (fused in the relaxed build) are the same.
//
// Loops: four floats per iteration as one f32x4. Flags that change the memory traffic or the
// formula (weight decay, amsgrad, momentum, centered, …) select one of a few specialized copies
// of the loop: the per-element body (xAt) is inlined with constant booleans and the branches
// not taken are compiled away. The last 1–3 elements go through that same body as one partial
// vector (loadTail/storeTail), in a single non-specialized copy (xTail, flags at run time), so
// every element rounds the same way wherever it sits. A scalar tail could not promise that in
// the relaxed build, where madd is a fused multiply-add and wasm has no scalar FMA; and the
// partial-vector tail in every specialized loop cost ~10 KB of module size for nothing.
//
// Flag bits shared by the kernels (rule-specific bits start at 4, see each file):
//   WD     1  coupled (L2) weight decay: g ← g + wd·p, as torch's grad.add(param, alpha=wd)
//   LARGE  2  torch.lerp's second form for the first-moment average (weight ≥ ½), see lerp

import { madd } from "../simd";
import { loadTail, storeTail } from "../nn/math";

export const WD: i32 = 1;
export const LARGE: i32 = 2;

/** Lanes of the rem ≥ 1 elements at p: a plain load for rem = 4 (constant in the main loop). */
@inline export function ld(p: usize, rem: i32): v128 {
  return rem >= 4 ? v128.load(p) : loadTail(p, rem, 0);
}

/** Stores the first min(rem, 4) lanes of v at p. */
@inline export function st(p: usize, v: v128, rem: i32): void {
  if (rem >= 4) v128.store(p, v);
  else storeTail(p, v, rem);
}

/** All lanes set when flag bit `bit` is on: the mask for lerp's `large`. */
@inline export function maskOf(flags: i32, bit: i32): v128 {
  return i32x4.splat((flags & bit) != 0 ? -1 : 0);
}

/**
 * torch.lerp(a, b, w) as ATen evaluates it (aten/src/ATen/native/Lerp.h, vectorized with FMA):
 *   |w| < ½:  a + w·(b − a)            |w| ≥ ½:  b − (b − a)·(1 − w)
 * written as base + c·(b − a) with (base, c) = (a, w) or (b, −(1 − w)); the caller passes c
 * and the mask `large` (all ones for the second form). The second form makes β1 = 0 give
 * exactly m = g.
 */
@inline export function lerp(a: v128, b: v128, c: v128, large: v128): v128 {
  return madd(c, f32x4.sub(b, a), v128.bitselect(b, a, large));
}
