// Adamax: Adam with the infinity norm (torch.optim.Adamax semantics).
//
//   g' = g + wd·p                     (WD)
//   m  = lerp(m, g', 1 − β1)          (state exp_avg)
//   u  = max(β2·u, |g'| + ε)          (state exp_inf)
//   p  = p + (−clr·m)/u               clr = lr/(1 − β1^t)
//
// optAdamax(n, p, g, m, u, negClr, cLerp, beta2, eps, wd, flags)
//   flags: 1 WD, 2 LARGE (lerp weight 1 − β1 ≥ ½)

import { madd } from "../simd";
import { ld, lerp, LARGE, maskOf, st, WD } from "./common";

@inline function adamaxAt(o: usize, rem: i32, p: usize, g: usize, m: usize, u: usize,
                          negClr: v128, cl: v128, large: v128, beta2: v128, eps: v128, wd: v128,
                          decay: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const mv = lerp(ld(m + o, rem), gv, cl, large);                               // exp_avg.lerp_(g, 1−β1)
  st(m + o, mv, rem);
  const uv = f32x4.max(f32x4.mul(ld(u + o, rem), beta2), f32x4.add(f32x4.abs(gv), eps)); // maximum(u·β2, |g| + ε)
  st(u + o, uv, rem);
  st(p + o, f32x4.add(pv, f32x4.div(f32x4.mul(negClr, mv), uv)), rem);         // addcdiv_(m, u, value=−clr)
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function adamaxTail(o: usize, rem: i32, p: usize, g: usize, m: usize, u: usize,
                    negClr: v128, cl: v128, large: v128, beta2: v128, eps: v128, wd: v128,
                    decay: bool): void {
  adamaxAt(o, rem, p, g, m, u, negClr, cl, large, beta2, eps, wd, decay);
}

@inline function adamaxLoop(n: i32, p: usize, g: usize, m: usize, u: usize,
                            negClr: f32, cl: f32, beta2: f32, eps: f32, wd: f32, flags: i32, decay: bool): void {
  const vc = f32x4.splat(negClr), vcl = f32x4.splat(cl), vb2 = f32x4.splat(beta2);
  const ve = f32x4.splat(eps), vwd = f32x4.splat(wd), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) adamaxAt(<usize>i << 2, 4, p, g, m, u, vc, vcl, large, vb2, ve, vwd, decay);
  if (i < n) adamaxTail(<usize>i << 2, n - i, p, g, m, u, vc, vcl, large, vb2, ve, vwd, decay);
}

export function optAdamax(n: i32, p: usize, g: usize, m: usize, u: usize,
                          negClr: f32, cLerp: f32, beta2: f32, eps: f32, wd: f32, flags: i32): void {
  if ((flags & WD) != 0) adamaxLoop(n, p, g, m, u, negClr, cLerp, beta2, eps, wd, flags, true);
  else adamaxLoop(n, p, g, m, u, negClr, cLerp, beta2, eps, wd, flags, false);
}
