// The four published Rprop variants in one kernel (src/optim/rprop-variants.ts has the rules,
// the f64 references and the pseudo-code of the papers):
//
//   g'  = g + wd·p                                  (WD; coupled decay, not in the papers)
//   s   = g'·prev_grad                              (f32 product: only its sign matters)
//   Δ   = s > 0 ? min(Δ·η+, Δmax) : s < 0 ? max(Δ·η−, Δmin) : Δ       (state step_size)
//   sign change (s < 0), FORGET or PLUS:  g'' = 0   (no move now, no adaptation next step)
//   otherwise                             g'' = g'
//   Δw  = −(sign(g'')·Δ)
//   PLUS and BACKTRACK, where s < 0:      Δw = −prev_update      (undo the last move)
//   p   = p + Δw;  prev_grad = g'';  PLUS: prev_update = Δw      (the move just made)
// sign(x) is ±1, 0 for ±0 and NaN for NaN, like torch.sign. A NaN product takes none of the
// branches (Δ kept) and the NaN reaches p through sign(g'').
//
//   Rprop−   flags 0                 Rprop+   PLUS | BACKTRACK
//   iRprop−  FORGET                  iRprop+  PLUS, and BACKTRACK on the steps where E(t) > E(t−1)
// iRprop− gives the bits of optRprop (assembly/optim/rprop.ts, torch.optim.Rprop) whenever Δ
// starts inside [Δmin, Δmax]; that kernel clamps both ends on every step, this one follows the
// papers' branches.
//
// optRpropVariant(n, p, g, prevGrad, stepSize, prevUpdate, etaMinus, etaPlus, deltaMin, deltaMax, wd, flags)
//   flags: 1 WD, 4 PLUS (prev_update is read and written), 8 BACKTRACK (with PLUS), 16 FORGET

import { madd } from "../simd";
import { ld, st, WD } from "./common";

const PLUS: i32 = 4;
const BACKTRACK: i32 = 8;
const FORGET: i32 = 16;

@inline function rpropVariantAt(o: usize, rem: i32, p: usize, g: usize, prev: usize, step: usize, upd: usize,
                                etaMinus: v128, etaPlus: v128, lo: v128, hi: v128, wd: v128,
                                forget: v128, backtrack: v128, decay: bool, plus: bool): void {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const s = f32x4.mul(gv, ld(prev + o, rem));
  const pos = f32x4.gt(s, zero), neg = f32x4.lt(s, zero);
  const d0 = ld(step + o, rem);
  const d = v128.bitselect(f32x4.min(f32x4.mul(d0, etaPlus), hi),
              v128.bitselect(f32x4.max(f32x4.mul(d0, etaMinus), lo), d0, neg), pos);
  st(step + o, d, rem);
  const gz = v128.andnot(gv, v128.and(neg, forget));                     // g'' (+0 after a forgotten change)
  st(prev + o, gz, rem);
  const nonzero = v128.or(f32x4.lt(gz, zero), f32x4.gt(gz, zero));
  const sgn = v128.bitselect(v128.or(v128.and(gz, f32x4.splat(-0.0)), one), gz, nonzero);
  let dw = f32x4.neg(f32x4.mul(sgn, d));
  if (plus) {
    dw = v128.bitselect(f32x4.neg(ld(upd + o, rem)), dw, v128.and(neg, backtrack));
    st(upd + o, dw, rem);
  }
  st(p + o, f32x4.add(pv, dw), rem);
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function rpropVariantTail(o: usize, rem: i32, p: usize, g: usize, prev: usize, step: usize, upd: usize,
                          etaMinus: v128, etaPlus: v128, lo: v128, hi: v128, wd: v128,
                          forget: v128, backtrack: v128, decay: bool, plus: bool): void {
  rpropVariantAt(o, rem, p, g, prev, step, upd, etaMinus, etaPlus, lo, hi, wd, forget, backtrack, decay, plus);
}

@inline function rpropVariantLoop(n: i32, p: usize, g: usize, prev: usize, step: usize, upd: usize,
                                  etaMinus: f32, etaPlus: f32, deltaMin: f32, deltaMax: f32, wd: f32,
                                  flags: i32, decay: bool, plus: bool): void {
  const em = f32x4.splat(etaMinus), ep = f32x4.splat(etaPlus);
  const lo = f32x4.splat(deltaMin), hi = f32x4.splat(deltaMax), vwd = f32x4.splat(wd);
  const forget = i32x4.splat((flags & (FORGET | PLUS)) != 0 ? -1 : 0);
  const backtrack = i32x4.splat((flags & BACKTRACK) != 0 ? -1 : 0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    rpropVariantAt(<usize>i << 2, 4, p, g, prev, step, upd, em, ep, lo, hi, vwd, forget, backtrack, decay, plus);
  }
  if (i < n) rpropVariantTail(<usize>i << 2, n - i, p, g, prev, step, upd, em, ep, lo, hi, vwd, forget, backtrack, decay, plus);
}

export function optRpropVariant(n: i32, p: usize, g: usize, prevGrad: usize, stepSize: usize, prevUpdate: usize,
                                etaMinus: f32, etaPlus: f32, deltaMin: f32, deltaMax: f32, wd: f32, flags: i32): void {
  const decay = (flags & WD) != 0;
  if ((flags & PLUS) != 0) {
    if (decay) rpropVariantLoop(n, p, g, prevGrad, stepSize, prevUpdate, etaMinus, etaPlus, deltaMin, deltaMax, wd, flags, true, true);
    else rpropVariantLoop(n, p, g, prevGrad, stepSize, prevUpdate, etaMinus, etaPlus, deltaMin, deltaMax, wd, flags, false, true);
  } else {
    if (decay) rpropVariantLoop(n, p, g, prevGrad, stepSize, prevUpdate, etaMinus, etaPlus, deltaMin, deltaMax, wd, flags, true, false);
    else rpropVariantLoop(n, p, g, prevGrad, stepSize, prevUpdate, etaMinus, etaPlus, deltaMin, deltaMax, wd, flags, false, false);
  }
}
