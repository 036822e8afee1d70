// Adamax: Adam with the infinity norm (torch.optim.Adamax semantics).
//
//   g' = g + wd·p                     (WD)
//   m  = lerp(m, g', 1 − β1)          (state exp_avg)
//   r  = max(β2·r, |g'| + ε)          (state exp_inf)
//   u  = (m·(1/bc1))/r                bc1 = 1 − β1^t
//   p  = p + (−lr)·u
//
// torch writes the update as param.addcdiv_(m, r, value=−lr/bc1), (−(lr/bc1)·m)/r; applying
// 1/bc1 and lr separately keeps lr out of the direction (fused == composed, see common.ts),
// within an ulp per step.
//
// optAdamax(n, p, g, m, r, negLr, invBc1, cLerp, beta2, eps, wd, flags)
//   flags: 1 WD, 2 LARGE (lerp weight 1 − β1 ≥ ½)

import { madd } from "../simd";
import { ld, lerp, LARGE, maskOf, st, WD } from "./common";

/** The direction u from g'; updates exp_avg and exp_inf. */
@inline export function adamaxDirection(o: usize, rem: i32, gv: v128, m: usize, r: usize,
                                        invBc1: v128, cl: v128, large: v128, beta2: v128, eps: v128): v128 {
  const mv = lerp(ld(m + o, rem), gv, cl, large);                               // exp_avg.lerp_(g, 1−β1)
  st(m + o, mv, rem);
  const rv = f32x4.max(f32x4.mul(ld(r + o, rem), beta2), f32x4.add(f32x4.abs(gv), eps)); // maximum(r·β2, |g| + ε)
  st(r + o, rv, rem);
  return f32x4.div(f32x4.mul(mv, invBc1), rv);
}

@inline function adamaxAt(o: usize, rem: i32, p: usize, g: usize, m: usize, r: usize,
                          negLr: v128, invBc1: v128, cl: v128, large: v128, beta2: v128, eps: v128, wd: v128,
                          decay: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const u = adamaxDirection(o, rem, gv, m, r, invBc1, cl, large, beta2, eps);
  st(p + o, madd(negLr, u, pv), rem);
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function adamaxTail(o: usize, rem: i32, p: usize, g: usize, m: usize, r: usize,
                    negLr: v128, invBc1: v128, cl: v128, large: v128, beta2: v128, eps: v128, wd: v128,
                    decay: bool): void {
  adamaxAt(o, rem, p, g, m, r, negLr, invBc1, cl, large, beta2, eps, wd, decay);
}

@inline function adamaxLoop(n: i32, p: usize, g: usize, m: usize, r: usize,
                            negLr: f32, invBc1: f32, cl: f32, beta2: f32, eps: f32, wd: f32, flags: i32, decay: bool): void {
  const vl = f32x4.splat(negLr), vb1 = f32x4.splat(invBc1), vcl = f32x4.splat(cl), vb2 = f32x4.splat(beta2);
  const ve = f32x4.splat(eps), vwd = f32x4.splat(wd), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) adamaxAt(<usize>i << 2, 4, p, g, m, r, vl, vb1, vcl, large, vb2, ve, vwd, decay);
  if (i < n) adamaxTail(<usize>i << 2, n - i, p, g, m, r, vl, vb1, vcl, large, vb2, ve, vwd, decay);
}

export function optAdamax(n: i32, p: usize, g: usize, m: usize, r: usize,
                          negLr: f32, invBc1: f32, cLerp: f32, beta2: f32, eps: f32, wd: f32, flags: i32): void {
  if ((flags & WD) != 0) adamaxLoop(n, p, g, m, r, negLr, invBc1, cLerp, beta2, eps, wd, flags, true);
  else adamaxLoop(n, p, g, m, r, negLr, invBc1, cLerp, beta2, eps, wd, flags, false);
}
