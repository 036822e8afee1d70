// Momentum in the classical (Polyak 1964; Sutskever et al. 2013) form, where the velocity is a
// step in parameter space, and Nesterov's accelerated gradient in its look-ahead form.
//
// Classical momentum (optMomentumClassic):
//   g' = g + wd·p                          (WD)
//   v  = μ·v + (−α)·g'                     (state velocity; α = lr, or (1 − μ)·lr in the
//                                           lecture's "scaled" variant: the caller passes −α)
//   p  = p + v
// Look-ahead Nesterov (optNesterovLookahead), the gradient g taken at θ + μ·v (the caller shifted
// the parameters there with axpy(μ, v, p) before the gradient, so p holds θ + μ·v_old):
//   g' = g + wd·p                          (WD, at the look-ahead point)
//   v  = μ·v_old + (−α)·g'
//   p  = (p − μ·v_old) + v                 (= θ_old + v: back from the look-ahead point, then the step)
// PyTorch's `nesterov=True` is the same method written for the look-ahead point itself
// (Bengio, Boulanger-Lewandowski & Pascanu 2013): with b = −v/α its parameters are θ + μ·v.
//
// optMomentumClassic(n, p, g, v, mu, negAlpha, wd, flags)      flags: 1 WD
// optNesterovLookahead(n, p, g, v, mu, negAlpha, wd, flags)    flags: 1 WD

import { madd } from "../simd";
import { ld, st, WD } from "./common";

@inline function classicAt(o: usize, rem: i32, p: usize, g: usize, v: usize,
                           mu: v128, negAlpha: v128, wd: v128, decay: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const vv = madd(negAlpha, gv, f32x4.mul(mu, ld(v + o, rem)));
  st(v + o, vv, rem);
  st(p + o, f32x4.add(pv, vv), rem);
}

@inline function lookaheadAt(o: usize, rem: i32, p: usize, g: usize, v: usize,
                             mu: v128, negAlpha: v128, wd: v128, decay: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);
  const vo = ld(v + o, rem);
  const vv = madd(negAlpha, gv, f32x4.mul(mu, vo));
  st(v + o, vv, rem);
  st(p + o, f32x4.add(f32x4.sub(pv, f32x4.mul(mu, vo)), vv), rem);
}

/** The last 1–3 elements of either kernel: the same bodies, as one partial vector. */
function momentumTail(o: usize, rem: i32, p: usize, g: usize, v: usize,
                      mu: v128, negAlpha: v128, wd: v128, decay: bool, lookahead: bool): void {
  if (lookahead) lookaheadAt(o, rem, p, g, v, mu, negAlpha, wd, decay);
  else classicAt(o, rem, p, g, v, mu, negAlpha, wd, decay);
}

@inline function momentumLoop(n: i32, p: usize, g: usize, v: usize, mu: f32, negAlpha: f32, wd: f32,
                              decay: bool, lookahead: bool): void {
  const vmu = f32x4.splat(mu), va = f32x4.splat(negAlpha), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (lookahead) lookaheadAt(<usize>i << 2, 4, p, g, v, vmu, va, vwd, decay);
    else classicAt(<usize>i << 2, 4, p, g, v, vmu, va, vwd, decay);
  }
  if (i < n) momentumTail(<usize>i << 2, n - i, p, g, v, vmu, va, vwd, decay, lookahead);
}

export function optMomentumClassic(n: i32, p: usize, g: usize, v: usize, mu: f32, negAlpha: f32, wd: f32, flags: i32): void {
  if ((flags & WD) != 0) momentumLoop(n, p, g, v, mu, negAlpha, wd, true, false);
  else momentumLoop(n, p, g, v, mu, negAlpha, wd, false, false);
}

export function optNesterovLookahead(n: i32, p: usize, g: usize, v: usize, mu: f32, negAlpha: f32, wd: f32, flags: i32): void {
  if ((flags & WD) != 0) momentumLoop(n, p, g, v, mu, negAlpha, wd, true, true);
  else momentumLoop(n, p, g, v, mu, negAlpha, wd, false, true);
}
