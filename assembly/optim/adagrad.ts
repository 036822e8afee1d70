// Adagrad (torch.optim.Adagrad semantics).
//
//   g' = g + wd·p                 (WD)
//   s  = s + g'·g'                (state sum, starts at initial_accumulator_value)
//   u  = g'/(√s + ε)
//   p  = p + (−clr)·u             clr = lr/(1 + (t − 1)·lr_decay), computed by the caller
//
// torch writes the last two lines as param.addcdiv_(g, std, value=−clr), i.e. (−clr·g')/std;
// u times −clr differs from it by an ulp at most, and keeps lr out of the direction (fused ==
// composed, see common.ts).
//
// optAdagrad(n, p, g, sum, negClr, eps, wd, flags)
//   flags: 1 WD

import { madd } from "../simd";
import { ld, st, WD } from "./common";

/** The direction u = g'/(√s + ε); updates sum. */
@inline export function adagradDirection(o: usize, rem: i32, gv: v128, sum: usize, eps: v128): v128 {
  const s = madd(gv, gv, ld(sum + o, rem));                    // sum.addcmul_(g, g, value=1)
  st(sum + o, s, rem);
  return f32x4.div(gv, f32x4.add(f32x4.sqrt(s), eps));         // g / sum.sqrt().add_(eps)
}

@inline function adagradAt(o: usize, rem: i32, p: usize, g: usize, sum: usize,
                           negClr: v128, eps: v128, wd: v128, decay: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const u = adagradDirection(o, rem, gv, sum, eps);
  st(p + o, madd(negClr, u, pv), rem);
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function adagradTail(o: usize, rem: i32, p: usize, g: usize, sum: usize,
                     negClr: v128, eps: v128, wd: v128, decay: bool): void {
  adagradAt(o, rem, p, g, sum, negClr, eps, wd, decay);
}

@inline function adagradLoop(n: i32, p: usize, g: usize, sum: usize,
                             negClr: f32, eps: f32, wd: f32, decay: bool): void {
  const vc = f32x4.splat(negClr), ve = f32x4.splat(eps), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) adagradAt(<usize>i << 2, 4, p, g, sum, vc, ve, vwd, decay);
  if (i < n) adagradTail(<usize>i << 2, n - i, p, g, sum, vc, ve, vwd, decay);
}

export function optAdagrad(n: i32, p: usize, g: usize, sum: usize,
                           negClr: f32, eps: f32, wd: f32, flags: i32): void {
  if ((flags & WD) != 0) adagradLoop(n, p, g, sum, negClr, eps, wd, true);
  else adagradLoop(n, p, g, sum, negClr, eps, wd, false);
}
