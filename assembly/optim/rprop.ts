// Rprop as torch.optim.Rprop implements it: iRprop− (Igel & Hüsken 2000), no weight backtracking.
//
//   g'   = g + wd·p                      (WD; an extension: torch's Rprop has no weight decay)
//   s    = g'·prev                       (f32 product, its sign is what matters)
//   f    = s > 0 ? η+ : s < 0 ? η− : s = 0 ? 1 : s      (NaN stays NaN, as torch's sign())
//   step = min(max(step·f, step_min), step_max)        (state step_size, starts at lr)
//   g''  = s < 0 ? 0 : g'                (after a sign change: no move, and forget the sign)
//   prev = g''                           (state prev)
//   u    = sign(g'')·step                (exact: sign is ±1, ±0 or NaN)
//   p    = p + (−1)·u                    (= p − u exactly; lr is only the initial step size)
// sign(x) is ±1, 0 for ±0 and NaN for NaN, like torch.sign.
//
// optRprop(n, p, g, prev, step, etaMinus, etaPlus, stepMin, stepMax, wd, flags)
//   flags: 1 WD

import { madd } from "../simd";
import { ld, st, WD } from "./common";

/** The direction u = sign(g'')·step from g'; updates prev and step_size. */
@inline export function rpropDirection(o: usize, rem: i32, gv: v128, prev: usize, step: usize,
                                       etaMinus: v128, etaPlus: v128, stepMin: v128, stepMax: v128): v128 {
  const one = f32x4.splat(1);
  const s = f32x4.mul(gv, ld(prev + o, rem));                                 // grad.mul(prev)
  const neg = f32x4.lt(s, f32x4.splat(0));
  const f = v128.bitselect(etaPlus,
              v128.bitselect(etaMinus, v128.bitselect(one, s, f32x4.eq(s, f32x4.splat(0))), neg),
              f32x4.gt(s, f32x4.splat(0)));
  const sv = f32x4.min(f32x4.max(f32x4.mul(ld(step + o, rem), f), stepMin), stepMax); // mul_(f).clamp_(min, max)
  st(step + o, sv, rem);
  const gz = v128.andnot(gv, neg);                                            // grad[sign == η−] = 0
  st(prev + o, gz, rem);
  // sign(gz): ±1 where gz ≠ 0 and not NaN, else gz itself (±0 or NaN)
  const nonzero = v128.or(f32x4.lt(gz, f32x4.splat(0)), f32x4.gt(gz, f32x4.splat(0)));
  const sgn = v128.bitselect(v128.or(v128.and(gz, f32x4.splat(-0.0)), one), gz, nonzero);
  return f32x4.mul(sgn, sv);                                                  // sign * step_size
}

@inline function rpropAt(o: usize, rem: i32, p: usize, g: usize, prev: usize, step: usize,
                         etaMinus: v128, etaPlus: v128, stepMin: v128, stepMax: v128, wd: v128,
                         decay: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const u = rpropDirection(o, rem, gv, prev, step, etaMinus, etaPlus, stepMin, stepMax);
  st(p + o, madd(f32x4.splat(-1), u, pv), rem);                               // addcmul_(sign, step, value=−1)
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function rpropTail(o: usize, rem: i32, p: usize, g: usize, prev: usize, step: usize,
                   etaMinus: v128, etaPlus: v128, stepMin: v128, stepMax: v128, wd: v128,
                   decay: bool): void {
  rpropAt(o, rem, p, g, prev, step, etaMinus, etaPlus, stepMin, stepMax, wd, decay);
}

@inline function rpropLoop(n: i32, p: usize, g: usize, prev: usize, step: usize,
                           etaMinus: f32, etaPlus: f32, stepMin: f32, stepMax: f32, wd: f32, decay: bool): void {
  const em = f32x4.splat(etaMinus), ep = f32x4.splat(etaPlus);
  const lo = f32x4.splat(stepMin), hi = f32x4.splat(stepMax), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) rpropAt(<usize>i << 2, 4, p, g, prev, step, em, ep, lo, hi, vwd, decay);
  if (i < n) rpropTail(<usize>i << 2, n - i, p, g, prev, step, em, ep, lo, hi, vwd, decay);
}

export function optRprop(n: i32, p: usize, g: usize, prev: usize, step: usize,
                         etaMinus: f32, etaPlus: f32, stepMin: f32, stepMax: f32, wd: f32, flags: i32): void {
  if ((flags & WD) != 0) rpropLoop(n, p, g, prev, step, etaMinus, etaPlus, stepMin, stepMax, wd, true);
  else rpropLoop(n, p, g, prev, step, etaMinus, etaPlus, stepMin, stepMax, wd, false);
}
