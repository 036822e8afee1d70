// Adam, AdamW and AMSGrad: the per-element operations of torch.optim.adam._single_tensor_adam,
// regrouped so that lr multiplies a direction u (fused == composed, see common.ts).
//
//   p  = p·decay                           decay = 1 − lr·wd (decoupled: AdamW), else 1 (exact)
//   g' = g + wd·p                          (WD: coupled L2 decay, Adam's weight_decay)
//   m  = lerp(m, g', 1 − β1)               (state exp_avg)
//   v  = β2·v + ((1 − β2)·g')·g'           (state exp_avg_sq)
//   v̂  = AMSGRAD ? (vmax = max(vmax, v)) : v   (state max_exp_avg_sq)
//   m̂  = m·(1/bc1)                         bc1 = 1 − β1^t
//   u  = m̂ / (√v̂·(1/√bc2) + ε)             bc2 = 1 − β2^t
//   p  = p + (−lr)·u
//
// torch computes p + (−(lr/bc1)·m)/(√v̂/√bc2 + ε), with lr/bc1 one scalar: here lr and 1/bc1
// act separately, so that the direction u does not depend on lr (m̂ rounds to f32 once more).
// Each regrouping is within an ulp; the PyTorch parity tests hold with unchanged tolerances.
// √v̂/√bc2 is a multiplication by 1/√bc2 (computed in f64, rounded once to f32), as m/bc1 is by
// 1/bc1: two f32x4 divisions per vector would cost more than the multiplications, and the
// divider is the bottleneck once the data sit in cache (sqrt plus two divisions take ~12
// cycles per vector on Zen 3). From DRAM the update is memory-bound: 28 bytes per parameter
// (read p, g, m, v; write p, m, v); bench/optim.mjs compares it in the same run with kernels
// moving the same bytes without math. Unrolling to two vectors per iteration changed nothing.
//
// optAdam(n, p, g, m, v, vmax, negLr, invBc1, invBc2Sqrt, cLerp, beta2, oneMinusBeta2, eps, wd, decay, flags)
//   cLerp: the lerp coefficient of 1 − β1 (common.ts), with flag LARGE when 1 − β1 ≥ ½
//   flags: 1 WD, 2 LARGE, 4 AMSGRAD (vmax is read and written)

import { madd } from "../simd";
import { ld, lerp, LARGE, maskOf, st, WD } from "./common";

export const AMSGRAD: i32 = 4;

/** The direction u from g'; updates exp_avg, exp_avg_sq and (ams) max_exp_avg_sq. */
@inline export function adamDirection(o: usize, rem: i32, gv: v128, m: usize, v: usize, vmax: usize,
                                      invBc1: v128, invBc2Sqrt: v128, cl: v128, large: v128, beta2: v128,
                                      c2: v128, eps: v128, ams: bool): v128 {
  const mv = lerp(ld(m + o, rem), gv, cl, large);                            // exp_avg.lerp_(g, 1−β1)
  st(m + o, mv, rem);
  let vv = madd(f32x4.mul(c2, gv), gv, f32x4.mul(ld(v + o, rem), beta2));    // mul_(β2).addcmul_(g, g, value=1−β2)
  st(v + o, vv, rem);
  if (ams) {
    vv = f32x4.max(ld(vmax + o, rem), vv);                                   // torch.maximum(vmax, v, out=vmax)
    st(vmax + o, vv, rem);
  }
  const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vv), invBc2Sqrt), eps);      // (v.sqrt() / √bc2).add_(eps)
  return f32x4.div(f32x4.mul(mv, invBc1), denom);                           // (exp_avg / bc1) / denom
}

@inline function adamAt(o: usize, rem: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
                        negLr: v128, invBc1: v128, invBc2Sqrt: v128, cl: v128, large: v128, beta2: v128,
                        c2: v128, eps: v128, wd: v128, decayF: v128, decay: bool, ams: bool): void {
  const pv = f32x4.mul(ld(p + o, rem), decayF);                              // param.mul_(1 − lr·wd)
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);                                          // grad.add(param, alpha=wd)
  const u = adamDirection(o, rem, gv, m, v, vmax, invBc1, invBc2Sqrt, cl, large, beta2, c2, eps, ams);
  st(p + o, madd(negLr, u, pv), rem);                                        // param.add_(u, alpha=−lr)
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function adamTail(o: usize, rem: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
                  negLr: v128, invBc1: v128, invBc2Sqrt: v128, cl: v128, large: v128, beta2: v128,
                  c2: v128, eps: v128, wd: v128, decayF: v128, decay: bool, ams: bool): void {
  adamAt(o, rem, p, g, m, v, vmax, negLr, invBc1, invBc2Sqrt, cl, large, beta2, c2, eps, wd, decayF, decay, ams);
}

@inline function adamLoop(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
                          negLr: f32, invBc1: f32, invBc2Sqrt: f32, cl: f32, beta2: f32, c2: f32, eps: f32,
                          wd: f32, decayF: f32, flags: i32, decay: bool, ams: bool): void {
  const vl = f32x4.splat(negLr), vb1 = f32x4.splat(invBc1), vb = f32x4.splat(invBc2Sqrt), vcl = f32x4.splat(cl);
  const vb2 = f32x4.splat(beta2), vc2 = f32x4.splat(c2), ve = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vdf = f32x4.splat(decayF), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    adamAt(<usize>i << 2, 4, p, g, m, v, vmax, vl, vb1, vb, vcl, large, vb2, vc2, ve, vwd, vdf, decay, ams);
  }
  if (i < n) adamTail(<usize>i << 2, n - i, p, g, m, v, vmax, vl, vb1, vb, vcl, large, vb2, vc2, ve, vwd, vdf, decay, ams);
}

export function optAdam(n: i32, p: usize, g: usize, m: usize, v: usize, vmax: usize,
                        negLr: f32, invBc1: f32, invBc2Sqrt: f32, cLerp: f32, beta2: f32, oneMinusBeta2: f32,
                        eps: f32, wd: f32, decay: f32, flags: i32): void {
  const c2 = oneMinusBeta2;
  if ((flags & AMSGRAD) != 0) {
    if ((flags & WD) != 0) adamLoop(n, p, g, m, v, vmax, negLr, invBc1, invBc2Sqrt, cLerp, beta2, c2, eps, wd, decay, flags, true, true);
    else adamLoop(n, p, g, m, v, vmax, negLr, invBc1, invBc2Sqrt, cLerp, beta2, c2, eps, wd, decay, flags, false, true);
  } else {
    if ((flags & WD) != 0) adamLoop(n, p, g, m, v, vmax, negLr, invBc1, invBc2Sqrt, cLerp, beta2, c2, eps, wd, decay, flags, true, false);
    else adamLoop(n, p, g, m, v, vmax, negLr, invBc1, invBc2Sqrt, cLerp, beta2, c2, eps, wd, decay, flags, false, false);
  }
}
