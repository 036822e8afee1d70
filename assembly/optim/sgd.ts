// SGD with momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD semantics).
//
//   g' = g + wd·p                                  (WD)
//   b  = μb·b + cg·g'                              (MOMENTUM; state momentum_buffer)
//   u  = NESTEROV ? g' + μ·b : MOMENTUM ? b : g'
//   p  = p + (−lr)·u
//
// PyTorch starts the buffer at b = g' on the first step (no dampening); the caller encodes that
// in the coefficients, μb = 0 and cg = 1 on step 1 (0·b + 1·g' = g' exactly), and μb = μ,
// cg = 1 − dampening afterwards, so the kernel has no notion of steps. The momentum part is
// also the composable transform `trace` (transforms.ts), through sgdDirection.
//
// optSgd(n, p, g, buf, negLr, muBuf, cg, mu, wd, flags)
//   flags: 1 WD, 4 MOMENTUM (buf is read and written), 8 NESTEROV (with MOMENTUM)

import { madd } from "../simd";
import { ld, st, WD } from "./common";

export const MOMENTUM: i32 = 4;
export const NESTEROV: i32 = 8;

/** The direction u from g' (the momentum trace when mom); updates momentum_buffer. */
@inline export function sgdDirection(o: usize, rem: i32, gv: v128, buf: usize,
                                     muBuf: v128, cg: v128, mu: v128, mom: bool, nest: bool): v128 {
  if (!mom) return gv;
  const b = madd(cg, gv, f32x4.mul(ld(buf + o, rem), muBuf));     // buf.mul_(μ).add_(g, alpha=1−dampening)
  st(buf + o, b, rem);
  return nest ? madd(mu, b, gv) : b;                              // grad.add(buf, alpha=μ) or buf
}

@inline function sgdAt(o: usize, rem: i32, p: usize, g: usize, buf: usize,
                       negLr: v128, muBuf: v128, cg: v128, mu: v128, wd: v128,
                       decay: bool, mom: bool, nest: bool): void {
  const pv = ld(p + o, rem);
  let gv = ld(g + o, rem);
  if (decay) gv = madd(wd, pv, gv);                               // grad.add(param, alpha=wd)
  const u = sgdDirection(o, rem, gv, buf, muBuf, cg, mu, mom, nest);
  st(p + o, madd(negLr, u, pv), rem);                             // param.add_(u, alpha=−lr)
}

/** The last 1–3 elements: the same body, flags at run time (one copy for all loop variants). */
function sgdTail(o: usize, rem: i32, p: usize, g: usize, buf: usize,
                 negLr: v128, muBuf: v128, cg: v128, mu: v128, wd: v128,
                 decay: bool, mom: bool, nest: bool): void {
  sgdAt(o, rem, p, g, buf, negLr, muBuf, cg, mu, wd, decay, mom, nest);
}

@inline function sgdLoop(n: i32, p: usize, g: usize, buf: usize,
                         negLr: f32, muBuf: f32, cg: f32, mu: f32, wd: f32,
                         decay: bool, mom: bool, nest: bool): void {
  const vl = f32x4.splat(negLr), vmb = f32x4.splat(muBuf), vcg = f32x4.splat(cg);
  const vmu = f32x4.splat(mu), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) sgdAt(<usize>i << 2, 4, p, g, buf, vl, vmb, vcg, vmu, vwd, decay, mom, nest);
  if (i < n) sgdTail(<usize>i << 2, n - i, p, g, buf, vl, vmb, vcg, vmu, vwd, decay, mom, nest);
}

export function optSgd(n: i32, p: usize, g: usize, buf: usize,
                       negLr: f32, muBuf: f32, cg: f32, mu: f32, wd: f32, flags: i32): void {
  const decay = (flags & WD) != 0;
  if ((flags & MOMENTUM) == 0) {
    if (decay) sgdLoop(n, p, g, buf, negLr, muBuf, cg, mu, wd, true, false, false);
    else sgdLoop(n, p, g, buf, negLr, muBuf, cg, mu, wd, false, false, false);
  } else if ((flags & NESTEROV) == 0) {
    if (decay) sgdLoop(n, p, g, buf, negLr, muBuf, cg, mu, wd, true, true, false);
    else sgdLoop(n, p, g, buf, negLr, muBuf, cg, mu, wd, false, true, false);
  } else {
    if (decay) sgdLoop(n, p, g, buf, negLr, muBuf, cg, mu, wd, true, true, true);
    else sgdLoop(n, p, g, buf, negLr, muBuf, cg, mu, wd, false, true, true);
  }
}
