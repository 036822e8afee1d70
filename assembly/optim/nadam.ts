// NAdam: Adam with Nesterov momentum and Dozat's momentum schedule (torch.optim.NAdam, ≥ 2.0).
//
//   p  = p·decay                        decay = 1 − lr·wd (decoupled_weight_decay), else 1
//   g' = g + wd·p                       (WD)
//   m  = lerp(m, g', 1 − β1)            (state exp_avg)
//   v  = β2·v + ((1 − β2)·g')·g'        (state exp_avg_sq)
//   denom = √(v·(1/bc2)) + ε            bc2 = 1 − β2^t
//   u  = (cg·g' + cm·m)/denom
//   p  = p + (−lr)·u
// with, from the caller (μ_t = β1(1 − ½·0.96^{tψ}), Π_t = μ_1⋯μ_t):
//   cg = (1 − μ_t)/(1 − Π_t),   cm = μ_{t+1}/(1 − Π_t·μ_{t+1})
//
// torch adds the two terms to p one after the other, p + (−lr·cg·g')/denom + (−lr·cm·m)/denom,
// with lr inside each coefficient and a division by bc2. Here both terms share one division
// and lr multiplies their sum (the direction u, the same in the composed form, common.ts);
// 1/bc2 is an f64 reciprocal rounded once to f32 (see adam.ts). Each regrouping is within an
// ulp or two of the terms' magnitudes.
//
// optNadam(n, p, g, m, v, negLr, cg, cm, invBc2, cLerp, beta2, oneMinusBeta2, eps, wd, decay, flags)
//   flags: 1 WD, 2 LARGE (lerp weight 1 − β1 ≥ ½)

import { madd } from "../simd";
import { ld, lerp, LARGE, maskOf, st, WD } from "./common";

/** The direction u from g'; updates exp_avg and exp_avg_sq. */
@inline export function nadamDirection(o: usize, rem: i32, gv: v128, m: usize, v: usize,
                                       cg: v128, cm: v128, invBc2: v128, cl: v128, large: v128, beta2: v128,
                                       c2: v128, eps: v128): v128 {
  const mv = lerp(ld(m + o, rem), gv, cl, large);                            // exp_avg.lerp_(g, 1−β1)
  st(m + o, mv, rem);
  const vv = madd(f32x4.mul(c2, gv), gv, f32x4.mul(ld(v + o, rem), beta2));  // mul_(β2).addcmul_(g, g, value=1−β2)
  st(v + o, vv, rem);
  const denom = f32x4.add(f32x4.sqrt(f32x4.mul(vv, invBc2)), eps);          // v.div(bc2).sqrt().add_(eps)
  return f32x4.div(madd(cm, mv, f32x4.mul(cg, gv)), denom);
}

@inline function nadamAt(o: usize, rem: i32, p: usize, g: usize, m: usize, v: usize,
                         negLr: v128, cg: v128, cm: v128, invBc2: v128, cl: v128, large: v128, beta2: v128, c2: v128,
                         eps: v128, wd: v128, decayF: v128, decay: bool): void {
  const pv = f32x4.mul(ld(p + o, rem), decayF);                              // param.mul_(1 − lr·wd)
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const u = nadamDirection(o, rem, gv, m, v, cg, cm, invBc2, cl, large, beta2, c2, eps);
  st(p + o, madd(negLr, u, pv), rem);
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function nadamTail(o: usize, rem: i32, p: usize, g: usize, m: usize, v: usize,
                   negLr: v128, cg: v128, cm: v128, invBc2: v128, cl: v128, large: v128, beta2: v128, c2: v128,
                   eps: v128, wd: v128, decayF: v128, decay: bool): void {
  nadamAt(o, rem, p, g, m, v, negLr, cg, cm, invBc2, cl, large, beta2, c2, eps, wd, decayF, decay);
}

@inline function nadamLoop(n: i32, p: usize, g: usize, m: usize, v: usize,
                           negLr: f32, cg: f32, cm: f32, invBc2: f32, cl: f32, beta2: f32, c2: f32, eps: f32,
                           wd: f32, decayF: f32, flags: i32, decay: bool): void {
  const vl = f32x4.splat(negLr), vcg = f32x4.splat(cg), vcm = f32x4.splat(cm), vbc = f32x4.splat(invBc2);
  const vcl = f32x4.splat(cl), vb2 = f32x4.splat(beta2), vc2 = f32x4.splat(c2), ve = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vdf = f32x4.splat(decayF), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) nadamAt(<usize>i << 2, 4, p, g, m, v, vl, vcg, vcm, vbc, vcl, large, vb2, vc2, ve, vwd, vdf, decay);
  if (i < n) nadamTail(<usize>i << 2, n - i, p, g, m, v, vl, vcg, vcm, vbc, vcl, large, vb2, vc2, ve, vwd, vdf, decay);
}

export function optNadam(n: i32, p: usize, g: usize, m: usize, v: usize,
                         negLr: f32, cg: f32, cm: f32, invBc2: f32, cLerp: f32, beta2: f32, oneMinusBeta2: f32,
                         eps: f32, wd: f32, decay: f32, flags: i32): void {
  if ((flags & WD) != 0) nadamLoop(n, p, g, m, v, negLr, cg, cm, invBc2, cLerp, beta2, oneMinusBeta2, eps, wd, decay, flags, true);
  else nadamLoop(n, p, g, m, v, negLr, cg, cm, invBc2, cLerp, beta2, oneMinusBeta2, eps, wd, decay, flags, false);
}
