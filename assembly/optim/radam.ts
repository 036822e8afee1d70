// RAdam: Adam with the variance rectification of Liu et al. 2020 (torch.optim.RAdam semantics).
//
//   p  = p·decay                        decay = 1 − lr·wd (decoupled_weight_decay), else 1
//   g' = g + wd·p                       (WD)
//   m  = lerp(m, g', 1 − β1)            (state exp_avg)
//   v  = β2·v + ((1 − β2)·g')·g'        (state exp_avg_sq)
//   u  = m·(1/bc1)                      (torch divides by bc1: see adam.ts)
//   RECTIFY (ρ_t > 5):  u = (u·(√bc2/(√v + ε)))·r
//   p  = p + (−lr)·u
// bc1, bc2 = 1 − β^t; ρ∞ = 2/(1 − β2) − 1, ρ_t = ρ∞ − 2tβ2^t/bc2 and
// r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)) come from the caller. torch multiplies
// `bias_corrected_exp_avg * lr * _compute_adaptive_lr() * _compute_rect()` and subtracts; here
// lr moves from second to last place (fused == composed, common.ts), within an ulp.
//
// optRadam(n, p, g, m, v, negLr, invBc1, bc2Sqrt, rect, eps, cLerp, beta2, oneMinusBeta2, wd, decay, flags)
//   flags: 1 WD, 2 LARGE (lerp weight 1 − β1 ≥ ½), 4 RECTIFY

import { madd } from "../simd";
import { ld, lerp, LARGE, maskOf, st, WD } from "./common";

export const RECTIFY: i32 = 4;

/** The direction u from g'; updates exp_avg and exp_avg_sq. */
@inline export function radamDirection(o: usize, rem: i32, gv: v128, m: usize, v: usize,
                                       invBc1: v128, bc2Sqrt: v128, rect: v128, eps: v128, cl: v128, large: v128,
                                       beta2: v128, c2: v128, rectify: bool): v128 {
  const mv = lerp(ld(m + o, rem), gv, cl, large);                            // exp_avg.lerp_(g, 1−β1)
  st(m + o, mv, rem);
  const vv = madd(f32x4.mul(c2, gv), gv, f32x4.mul(ld(v + o, rem), beta2));  // mul_(β2).addcmul_(g, g, value=1−β2)
  st(v + o, vv, rem);
  let u = f32x4.mul(mv, invBc1);                                             // exp_avg / bc1
  if (rectify) {
    const a = f32x4.div(bc2Sqrt, f32x4.add(f32x4.sqrt(vv), eps));           // bc2**0.5 / (v.sqrt() + eps)
    u = f32x4.mul(f32x4.mul(u, a), rect);
  }
  return u;
}

@inline function radamAt(o: usize, rem: i32, p: usize, g: usize, m: usize, v: usize,
                         negLr: v128, invBc1: v128, bc2Sqrt: v128, rect: v128, eps: v128, cl: v128, large: v128,
                         beta2: v128, c2: v128, wd: v128, decayF: v128, decay: bool, rectify: bool): void {
  const pv = f32x4.mul(ld(p + o, rem), decayF);                              // param.mul_(1 − lr·wd)
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const u = radamDirection(o, rem, gv, m, v, invBc1, bc2Sqrt, rect, eps, cl, large, beta2, c2, rectify);
  st(p + o, madd(negLr, u, pv), rem);                                        // param.add_(u, alpha=−lr)
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function radamTail(o: usize, rem: i32, p: usize, g: usize, m: usize, v: usize,
                   negLr: v128, invBc1: v128, bc2Sqrt: v128, rect: v128, eps: v128, cl: v128, large: v128,
                   beta2: v128, c2: v128, wd: v128, decayF: v128, decay: bool, rectify: bool): void {
  radamAt(o, rem, p, g, m, v, negLr, invBc1, bc2Sqrt, rect, eps, cl, large, beta2, c2, wd, decayF, decay, rectify);
}

@inline function radamLoop(n: i32, p: usize, g: usize, m: usize, v: usize,
                           negLr: f32, invBc1: f32, bc2Sqrt: f32, rect: f32, eps: f32, cl: f32, beta2: f32,
                           c2: f32, wd: f32, decayF: f32, flags: i32, decay: bool, rectify: bool): void {
  const vl = f32x4.splat(negLr), vib = f32x4.splat(invBc1), vbs = f32x4.splat(bc2Sqrt), vr = f32x4.splat(rect);
  const ve = f32x4.splat(eps), vcl = f32x4.splat(cl), vb2 = f32x4.splat(beta2), vc2 = f32x4.splat(c2);
  const vwd = f32x4.splat(wd), vdf = f32x4.splat(decayF), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    radamAt(<usize>i << 2, 4, p, g, m, v, vl, vib, vbs, vr, ve, vcl, large, vb2, vc2, vwd, vdf, decay, rectify);
  }
  if (i < n) radamTail(<usize>i << 2, n - i, p, g, m, v, vl, vib, vbs, vr, ve, vcl, large, vb2, vc2, vwd, vdf, decay, rectify);
}

export function optRadam(n: i32, p: usize, g: usize, m: usize, v: usize,
                         negLr: f32, invBc1: f32, bc2Sqrt: f32, rect: f32, eps: f32, cLerp: f32, beta2: f32,
                         oneMinusBeta2: f32, wd: f32, decay: f32, flags: i32): void {
  const c2 = oneMinusBeta2;
  if ((flags & RECTIFY) != 0) {
    if ((flags & WD) != 0) radamLoop(n, p, g, m, v, negLr, invBc1, bc2Sqrt, rect, eps, cLerp, beta2, c2, wd, decay, flags, true, true);
    else radamLoop(n, p, g, m, v, negLr, invBc1, bc2Sqrt, rect, eps, cLerp, beta2, c2, wd, decay, flags, false, true);
  } else {
    if ((flags & WD) != 0) radamLoop(n, p, g, m, v, negLr, invBc1, bc2Sqrt, rect, eps, cLerp, beta2, c2, wd, decay, flags, true, false);
    else radamLoop(n, p, g, m, v, negLr, invBc1, bc2Sqrt, rect, eps, cLerp, beta2, c2, wd, decay, flags, false, false);
  }
}
