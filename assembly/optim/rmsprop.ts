// RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop semantics).
//
//   g'  = g + wd·p                                 (WD)
//   sq  = α·sq + ((1 − α)·g')·g'                   (state square_avg)
//   ga  = lerp(ga, g', 1 − α)                      (CENTERED; state grad_avg)
//   avg = CENTERED ? √(sq − ga·ga) + ε : √sq + ε
//   u   = MOMENTUM ? (b = μ·b + g'/avg) : g'/avg    (state momentum_buffer)
//   p   = p + (−lr)·u
//
// Without momentum torch writes param.addcdiv_(g, avg, value=−lr), (−lr·g')/avg; u times −lr
// is within an ulp of it and keeps lr out of the direction (fused == composed, common.ts).
//
// optRmsprop(n, p, g, sq, ga, buf, negLr, alpha, oneMinusAlpha, cLerp, eps, mu, wd, flags)
//   cLerp: the lerp coefficient of 1 − α (common.ts), with flag LARGE when 1 − α ≥ ½
//   flags: 1 WD, 2 LARGE, 4 CENTERED, 8 MOMENTUM

import { madd } from "../simd";
import { ld, lerp, LARGE, maskOf, st, WD } from "./common";

export const CENTERED: i32 = 4;
export const MOMENTUM: i32 = 8;

/** The direction u from g'; updates square_avg, grad_avg (centered), momentum_buffer (mom). */
@inline export function rmspropDirection(o: usize, rem: i32, gv: v128, sq: usize, ga: usize, buf: usize,
                                         alpha: v128, c1: v128, cl: v128, large: v128, eps: v128, mu: v128,
                                         centered: bool, mom: bool): v128 {
  const s = madd(f32x4.mul(c1, gv), gv, f32x4.mul(ld(sq + o, rem), alpha)); // mul_(α).addcmul_(g, g, value=1−α)
  st(sq + o, s, rem);
  let avg: v128;
  if (centered) {
    const a = lerp(ld(ga + o, rem), gv, cl, large);                         // grad_avg.lerp_(g, 1−α)
    st(ga + o, a, rem);
    avg = f32x4.sqrt(madd(f32x4.neg(a), a, s));                              // sq.addcmul(ga, ga, value=−1).sqrt_()
  } else {
    avg = f32x4.sqrt(s);
  }
  avg = f32x4.add(avg, eps);
  const d = f32x4.div(gv, avg);
  if (!mom) return d;
  const b = f32x4.add(f32x4.mul(ld(buf + o, rem), mu), d);                  // buf.mul_(μ).addcdiv_(g, avg)
  st(buf + o, b, rem);
  return b;
}

@inline function rmspropAt(o: usize, rem: i32, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
                           negLr: v128, alpha: v128, c1: v128, cl: v128, large: v128, eps: v128,
                           mu: v128, wd: v128, decay: bool, centered: bool, mom: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const u = rmspropDirection(o, rem, gv, sq, ga, buf, alpha, c1, cl, large, eps, mu, centered, mom);
  st(p + o, madd(negLr, u, pv), rem);                                        // param.add_(u, alpha=−lr)
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function rmspropTail(o: usize, rem: i32, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
                     negLr: v128, alpha: v128, c1: v128, cl: v128, large: v128, eps: v128,
                     mu: v128, wd: v128, decay: bool, centered: bool, mom: bool): void {
  rmspropAt(o, rem, p, g, sq, ga, buf, negLr, alpha, c1, cl, large, eps, mu, wd, decay, centered, mom);
}

@inline function rmspropLoop(n: i32, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
                             negLr: f32, alpha: f32, c1: f32, cl: f32, eps: f32, mu: f32, wd: f32,
                             flags: i32, decay: bool, centered: bool, mom: bool): void {
  const vl = f32x4.splat(negLr), va = f32x4.splat(alpha), vc1 = f32x4.splat(c1), vcl = f32x4.splat(cl);
  const ve = f32x4.splat(eps), vmu = f32x4.splat(mu), vwd = f32x4.splat(wd), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    rmspropAt(<usize>i << 2, 4, p, g, sq, ga, buf, vl, va, vc1, vcl, large, ve, vmu, vwd, decay, centered, mom);
  }
  if (i < n) rmspropTail(<usize>i << 2, n - i, p, g, sq, ga, buf, vl, va, vc1, vcl, large, ve, vmu, vwd, decay, centered, mom);
}

export function optRmsprop(n: i32, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
                           negLr: f32, alpha: f32, oneMinusAlpha: f32, cLerp: f32, eps: f32, mu: f32, wd: f32,
                           flags: i32): void {
  const decay = (flags & WD) != 0;
  const kind = (flags & (CENTERED | MOMENTUM)) >> 2;
  const c1 = oneMinusAlpha;
  if (decay) {
    if (kind == 0) rmspropLoop(n, p, g, sq, ga, buf, negLr, alpha, c1, cLerp, eps, mu, wd, flags, true, false, false);
    else if (kind == 1) rmspropLoop(n, p, g, sq, ga, buf, negLr, alpha, c1, cLerp, eps, mu, wd, flags, true, true, false);
    else if (kind == 2) rmspropLoop(n, p, g, sq, ga, buf, negLr, alpha, c1, cLerp, eps, mu, wd, flags, true, false, true);
    else rmspropLoop(n, p, g, sq, ga, buf, negLr, alpha, c1, cLerp, eps, mu, wd, flags, true, true, true);
  } else {
    if (kind == 0) rmspropLoop(n, p, g, sq, ga, buf, negLr, alpha, c1, cLerp, eps, mu, wd, flags, false, false, false);
    else if (kind == 1) rmspropLoop(n, p, g, sq, ga, buf, negLr, alpha, c1, cLerp, eps, mu, wd, flags, false, true, false);
    else if (kind == 2) rmspropLoop(n, p, g, sq, ga, buf, negLr, alpha, c1, cLerp, eps, mu, wd, flags, false, false, true);
    else rmspropLoop(n, p, g, sq, ga, buf, negLr, alpha, c1, cLerp, eps, mu, wd, flags, false, true, true);
  }
}
