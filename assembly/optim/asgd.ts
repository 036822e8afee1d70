// ASGD: averaged SGD (torch.optim.ASGD semantics; Polyak & Juditsky 1992).
//
//   g' = g + wd·p                                  (WD; with p before this step's decay)
//   p  = madd(−η, g', p·(1 − λη))                  torch: param.mul_(1 − λη); param.add_(g', alpha=−η)
//   ax = AVERAGE ? ax + (p − ax)·μ : p             (state ax, the averaged iterate)
//
// The step size η_t, the decay factor 1 − λη_t and the averaging weight μ_t arrive as per-step
// scalars from src/optim/rules.ts (asgd), which keeps torch's scalar state eta and mu. torch
// copies p into ax while μ = 1 (before t0 steps) and averages afterwards; the caller says which
// with the AVERAGE flag. The average is ax + (p − ax)·μ with a separate multiply and add (never
// fused), as torch's three tensor ops and assembly/blas1.ts lerp compute it: the composed form
// (src/optim/transforms.ts) averages with that lerp, and both give the same bits.
//
// The step is the common shape of common.ts with factor = 1 − λη, except that coupled decay
// reads p before the factor (torch adds wd·param to the gradient before param.mul_): the
// composed form's addDecayedWeights also reads p before tfApply, so both agree.
//
// optAsgd(n, p, g, ax, negEta, factor, wd, mu, flags)
//   flags: 1 WD, 4 AVERAGE (ax ← ax + (p − ax)·μ; otherwise ax ← p)

import { madd } from "../simd";
import { ld, st, WD } from "./common";

export const AVERAGE: i32 = 4;

/** The averaged iterate after the step: ax + (p − ax)·μ (multiply, then add), or p. */
@inline export function asgdAverage(pv: v128, axv: v128, mu: v128, avg: bool): v128 {
  return avg ? f32x4.add(axv, f32x4.mul(mu, f32x4.sub(pv, axv))) : pv;
}

@inline function asgdAt(o: usize, rem: i32, p: usize, g: usize, ax: usize,
                        negEta: v128, factor: v128, wd: v128, mu: v128, decay: bool, avg: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);                                 // grad.add(param, alpha=wd)
  const pn = madd(negEta, gv, f32x4.mul(pv, factor));               // param.mul_(1 − λη).add_(g', alpha=−η)
  st(p + o, pn, rem);
  st(ax + o, asgdAverage(pn, avg ? ld(ax + o, rem) : pn, mu, avg), rem);
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function asgdTail(o: usize, rem: i32, p: usize, g: usize, ax: usize,
                  negEta: v128, factor: v128, wd: v128, mu: v128, decay: bool, avg: bool): void {
  asgdAt(o, rem, p, g, ax, negEta, factor, wd, mu, decay, avg);
}

@inline function asgdLoop(n: i32, p: usize, g: usize, ax: usize,
                          negEta: f32, factor: f32, wd: f32, mu: f32, decay: bool, avg: bool): void {
  const ve = f32x4.splat(negEta), vf = f32x4.splat(factor), vwd = f32x4.splat(wd), vmu = f32x4.splat(mu);
  let i = 0;
  for (; i + 4 <= n; i += 4) asgdAt(<usize>i << 2, 4, p, g, ax, ve, vf, vwd, vmu, decay, avg);
  if (i < n) asgdTail(<usize>i << 2, n - i, p, g, ax, ve, vf, vwd, vmu, decay, avg);
}

export function optAsgd(n: i32, p: usize, g: usize, ax: usize,
                        negEta: f32, factor: f32, wd: f32, mu: f32, flags: i32): void {
  const decay = (flags & WD) != 0;
  if ((flags & AVERAGE) != 0) {
    if (decay) asgdLoop(n, p, g, ax, negEta, factor, wd, mu, true, true);
    else asgdLoop(n, p, g, ax, negEta, factor, wd, mu, false, true);
  } else {
    if (decay) asgdLoop(n, p, g, ax, negEta, factor, wd, mu, true, false);
    else asgdLoop(n, p, g, ax, negEta, factor, wd, mu, false, false);
  }
}
