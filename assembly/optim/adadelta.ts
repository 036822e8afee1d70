// Adadelta (torch.optim.Adadelta semantics).
//
//   g'  = g + wd·p                           (WD)
//   sq  = ρ·sq + ((1 − ρ)·g')·g'             (state square_avg)
//   u   = √(acc + ε) / √(sq + ε) · g'        (acc: state acc_delta, before its update)
//   acc = ρ·acc + ((1 − ρ)·u)·u
//   p   = p + (−lr)·u
//
// optAdadelta(n, p, g, sq, acc, negLr, rho, oneMinusRho, eps, wd, flags)
//   flags: 1 WD

import { madd } from "../simd";
import { ld, st, WD } from "./common";

/** The direction u (torch's delta) from g'; updates square_avg and acc_delta. */
@inline export function adadeltaDirection(o: usize, rem: i32, gv: v128, sq: usize, acc: usize,
                                          rho: v128, c1: v128, eps: v128): v128 {
  const s = madd(f32x4.mul(c1, gv), gv, f32x4.mul(ld(sq + o, rem), rho));  // mul_(ρ).addcmul_(g, g, value=1−ρ)
  st(sq + o, s, rem);
  const std = f32x4.sqrt(f32x4.add(s, eps));                               // square_avg.add(eps).sqrt_()
  const a = ld(acc + o, rem);
  const d = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(a, eps)), std), gv);  // acc.add(eps).sqrt_().div_(std).mul_(g)
  st(acc + o, madd(f32x4.mul(c1, d), d, f32x4.mul(a, rho)), rem);          // acc.mul_(ρ).addcmul_(δ, δ, value=1−ρ)
  return d;
}

@inline function adadeltaAt(o: usize, rem: i32, p: usize, g: usize, sq: usize, acc: usize,
                            negLr: v128, rho: v128, c1: v128, eps: v128, wd: v128, decay: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const u = adadeltaDirection(o, rem, gv, sq, acc, rho, c1, eps);
  st(p + o, madd(negLr, u, pv), rem);                                      // param.add_(δ, alpha=−lr)
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function adadeltaTail(o: usize, rem: i32, p: usize, g: usize, sq: usize, acc: usize,
                      negLr: v128, rho: v128, c1: v128, eps: v128, wd: v128, decay: bool): void {
  adadeltaAt(o, rem, p, g, sq, acc, negLr, rho, c1, eps, wd, decay);
}

@inline function adadeltaLoop(n: i32, p: usize, g: usize, sq: usize, acc: usize,
                              negLr: f32, rho: f32, c1: f32, eps: f32, wd: f32, decay: bool): void {
  const vl = f32x4.splat(negLr), vr = f32x4.splat(rho), vc = f32x4.splat(c1);
  const ve = f32x4.splat(eps), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) adadeltaAt(<usize>i << 2, 4, p, g, sq, acc, vl, vr, vc, ve, vwd, decay);
  if (i < n) adadeltaTail(<usize>i << 2, n - i, p, g, sq, acc, vl, vr, vc, ve, vwd, decay);
}

export function optAdadelta(n: i32, p: usize, g: usize, sq: usize, acc: usize,
                            negLr: f32, rho: f32, oneMinusRho: f32, eps: f32, wd: f32, flags: i32): void {
  if ((flags & WD) != 0) adadeltaLoop(n, p, g, sq, acc, negLr, rho, oneMinusRho, eps, wd, true);
  else adadeltaLoop(n, p, g, sq, acc, negLr, rho, oneMinusRho, eps, wd, false);
}
