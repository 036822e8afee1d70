// Delta-bar-delta (Jacobs 1988): a learning rate per parameter, raised additively while the
// gradient keeps the sign of its recent average and cut multiplicatively when it flips
// (src/optim/delta-bar-delta.ts has the rule, the defaults and the f64 reference).
//
//   δ   = g + wd·p                                  (WD; coupled decay)
//   s   = δ̄·δ                                      (δ̄ = delta_bar of the previous step)
//   ε   = s > 0 ? ε + κ : s < 0 ? ε·(1 − φ) : ε    (state learning_rate, starts at lr)
//   δ̄   = (1 − θ)·δ + θ·δ̄                           (state delta_bar, starts at 0)
//   u   = ε·δ
//   MOMENTUM: Δw = μ·Δw − u; p = p + Δw              (state prev_update)
//   else:     p = p − u
//
// optDeltaBarDelta(n, p, g, lr, deltaBar, prevUpdate, kappa, oneMinusPhi, theta, oneMinusTheta, mu, wd, flags)
//   flags: 1 WD, 4 MOMENTUM (prev_update is read and written)

import { madd } from "../simd";
import { ld, st, WD } from "./common";

const MOMENTUM: i32 = 4;

@inline function dbdAt(o: usize, rem: i32, p: usize, g: usize, lr: usize, bar: usize, upd: usize,
                       kappa: v128, keep: v128, theta: v128, c1: v128, mu: v128, wd: v128,
                       decay: bool, mom: bool): void {
  const zero = f32x4.splat(0);
  const pv = ld(p + o, rem);
  let d = ld(g + o, rem);
  if (decay) d = madd(wd, pv, d);
  const b = ld(bar + o, rem);
  const s = f32x4.mul(b, d);
  const e0 = ld(lr + o, rem);
  const e = v128.bitselect(f32x4.add(e0, kappa),
              v128.bitselect(f32x4.mul(e0, keep), e0, f32x4.lt(s, zero)), f32x4.gt(s, zero));
  st(lr + o, e, rem);
  st(bar + o, madd(c1, d, f32x4.mul(b, theta)), rem);
  const u = f32x4.mul(e, d);
  if (mom) {
    const dw = madd(mu, ld(upd + o, rem), f32x4.neg(u));
    st(upd + o, dw, rem);
    st(p + o, f32x4.add(pv, dw), rem);
  } else {
    st(p + o, f32x4.sub(pv, u), rem);
  }
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function dbdTail(o: usize, rem: i32, p: usize, g: usize, lr: usize, bar: usize, upd: usize,
                 kappa: v128, keep: v128, theta: v128, c1: v128, mu: v128, wd: v128, decay: bool, mom: bool): void {
  dbdAt(o, rem, p, g, lr, bar, upd, kappa, keep, theta, c1, mu, wd, decay, mom);
}

@inline function dbdLoop(n: i32, p: usize, g: usize, lr: usize, bar: usize, upd: usize,
                         kappa: f32, keep: f32, theta: f32, c1: f32, mu: f32, wd: f32, decay: bool, mom: bool): void {
  const vk = f32x4.splat(kappa), vkeep = f32x4.splat(keep), vth = f32x4.splat(theta);
  const vc1 = f32x4.splat(c1), vmu = f32x4.splat(mu), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) dbdAt(<usize>i << 2, 4, p, g, lr, bar, upd, vk, vkeep, vth, vc1, vmu, vwd, decay, mom);
  if (i < n) dbdTail(<usize>i << 2, n - i, p, g, lr, bar, upd, vk, vkeep, vth, vc1, vmu, vwd, decay, mom);
}

export function optDeltaBarDelta(n: i32, p: usize, g: usize, lr: usize, deltaBar: usize, prevUpdate: usize,
                                 kappa: f32, oneMinusPhi: f32, theta: f32, oneMinusTheta: f32, mu: f32, wd: f32,
                                 flags: i32): void {
  const decay = (flags & WD) != 0;
  if ((flags & MOMENTUM) != 0) {
    if (decay) dbdLoop(n, p, g, lr, deltaBar, prevUpdate, kappa, oneMinusPhi, theta, oneMinusTheta, mu, wd, true, true);
    else dbdLoop(n, p, g, lr, deltaBar, prevUpdate, kappa, oneMinusPhi, theta, oneMinusTheta, mu, wd, false, true);
  } else {
    if (decay) dbdLoop(n, p, g, lr, deltaBar, prevUpdate, kappa, oneMinusPhi, theta, oneMinusTheta, mu, wd, true, false);
    else dbdLoop(n, p, g, lr, deltaBar, prevUpdate, kappa, oneMinusPhi, theta, oneMinusTheta, mu, wd, false, false);
  }
}
