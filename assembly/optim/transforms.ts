// Composable update transforms: the pieces of the fused optimizer kernels as separate passes
// over a flat f32 vector of updates u (src/optim/transforms.ts chains them).
//
//   tfAddDecayedWeights   u = madd(wd, p, u)                     coupled (L2) weight decay
//   tfTrace               u = sgdDirection(u)                    PyTorch momentum (+ Nesterov)
//   tfScaleByAdagrad      u = adagradDirection(u)                … and so on for RMSprop,
//   tfScaleByRms, tfScaleByAdadelta, tfScaleByAdam,              Adadelta, Adam/AMSGrad, Adamax,
//   tfScaleByAdamax, tfScaleByNadam, tfScaleByRadam,             NAdam, RAdam and Rprop, with
//   tfScaleByRprop                                               their state buffers
//   tfApply               p = madd(scale, u, p·factor)           the step: scale = −lr,
//                                                                factor = 1 − lr·wd (decoupled) or 1
//
// Each scaleBy… kernel calls the very @inline direction function its fused kernel calls
// (assembly/optim/<rule>.ts), with the same coefficients and flags, and coupled decay and the
// step are the fused kernels' madd(wd, p, g) and madd(scale, u, p·factor): so a chain of these
// passes computes every element with the same f32 operations, in the same order, as the fused
// kernel (common.ts). The only difference is that u goes through memory between passes, which
// changes no bit. Flag bits are those of the fused kernels.
//
// Loops as in common.ts: four floats per iteration, flags select specialized copies of the
// inlined body, and the last 1–3 elements run through the same body as one partial vector.

import { madd } from "../simd";
import { ld, LARGE, maskOf, st } from "./common";
import { sgdDirection, NESTEROV } from "./sgd";
import { adagradDirection } from "./adagrad";
import { rmspropDirection, CENTERED, MOMENTUM as RMS_MOMENTUM } from "./rmsprop";
import { adadeltaDirection } from "./adadelta";
import { adamDirection, AMSGRAD } from "./adam";
import { adamaxDirection } from "./adamax";
import { nadamDirection } from "./nadam";
import { radamDirection, RECTIFY } from "./radam";
import { rpropDirection } from "./rprop";

// ---- weight decay and the step ----

@inline function decayAt(o: usize, rem: i32, u: usize, p: usize, wd: v128): void {
  st(u + o, madd(wd, ld(p + o, rem), ld(u + o, rem)), rem);
}
function decayTail(o: usize, rem: i32, u: usize, p: usize, wd: v128): void {
  decayAt(o, rem, u, p, wd);
}

/** u ← u + wd·p. */
export function tfAddDecayedWeights(n: i32, u: usize, p: usize, wd: f32): void {
  const vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) decayAt(<usize>i << 2, 4, u, p, vwd);
  if (i < n) decayTail(<usize>i << 2, n - i, u, p, vwd);
}

@inline function applyAt(o: usize, rem: i32, p: usize, u: usize, scale: v128, factor: v128): void {
  st(p + o, madd(scale, ld(u + o, rem), f32x4.mul(ld(p + o, rem), factor)), rem);
}
function applyTail(o: usize, rem: i32, p: usize, u: usize, scale: v128, factor: v128): void {
  applyAt(o, rem, p, u, scale, factor);
}

/** p ← p·factor + scale·u (one madd per element). */
export function tfApply(n: i32, p: usize, u: usize, scale: f32, factor: f32): void {
  const vs = f32x4.splat(scale), vf = f32x4.splat(factor);
  let i = 0;
  for (; i + 4 <= n; i += 4) applyAt(<usize>i << 2, 4, p, u, vs, vf);
  if (i < n) applyTail(<usize>i << 2, n - i, p, u, vs, vf);
}

// ---- SGD momentum ----

@inline function traceAt(o: usize, rem: i32, u: usize, buf: usize, muBuf: v128, cg: v128, mu: v128, nest: bool): void {
  st(u + o, sgdDirection(o, rem, ld(u + o, rem), buf, muBuf, cg, mu, true, nest), rem);
}
function traceTail(o: usize, rem: i32, u: usize, buf: usize, muBuf: v128, cg: v128, mu: v128, nest: bool): void {
  traceAt(o, rem, u, buf, muBuf, cg, mu, nest);
}
@inline function traceLoop(n: i32, u: usize, buf: usize, muBuf: f32, cg: f32, mu: f32, nest: bool): void {
  const vmb = f32x4.splat(muBuf), vcg = f32x4.splat(cg), vmu = f32x4.splat(mu);
  let i = 0;
  for (; i + 4 <= n; i += 4) traceAt(<usize>i << 2, 4, u, buf, vmb, vcg, vmu, nest);
  if (i < n) traceTail(<usize>i << 2, n - i, u, buf, vmb, vcg, vmu, nest);
}

/** b = μb·b + cg·u; u ← NESTEROV ? u + μ·b : b. flags: 8 NESTEROV. */
export function tfTrace(n: i32, u: usize, buf: usize, muBuf: f32, cg: f32, mu: f32, flags: i32): void {
  if ((flags & NESTEROV) != 0) traceLoop(n, u, buf, muBuf, cg, mu, true);
  else traceLoop(n, u, buf, muBuf, cg, mu, false);
}

// ---- Adagrad ----

@inline function adagradAt(o: usize, rem: i32, u: usize, sum: usize, eps: v128): void {
  st(u + o, adagradDirection(o, rem, ld(u + o, rem), sum, eps), rem);
}
function adagradTail(o: usize, rem: i32, u: usize, sum: usize, eps: v128): void {
  adagradAt(o, rem, u, sum, eps);
}

/** s += u²; u ← u/(√s + ε). */
export function tfScaleByAdagrad(n: i32, u: usize, sum: usize, eps: f32): void {
  const ve = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) adagradAt(<usize>i << 2, 4, u, sum, ve);
  if (i < n) adagradTail(<usize>i << 2, n - i, u, sum, ve);
}

// ---- RMSprop ----

@inline function rmsAt(o: usize, rem: i32, u: usize, sq: usize, ga: usize, buf: usize,
                       alpha: v128, c1: v128, cl: v128, large: v128, eps: v128, mu: v128,
                       centered: bool, mom: bool): void {
  st(u + o, rmspropDirection(o, rem, ld(u + o, rem), sq, ga, buf, alpha, c1, cl, large, eps, mu, centered, mom), rem);
}
function rmsTail(o: usize, rem: i32, u: usize, sq: usize, ga: usize, buf: usize,
                 alpha: v128, c1: v128, cl: v128, large: v128, eps: v128, mu: v128,
                 centered: bool, mom: bool): void {
  rmsAt(o, rem, u, sq, ga, buf, alpha, c1, cl, large, eps, mu, centered, mom);
}
@inline function rmsLoop(n: i32, u: usize, sq: usize, ga: usize, buf: usize,
                         alpha: f32, c1: f32, cl: f32, eps: f32, mu: f32, flags: i32, centered: bool, mom: bool): void {
  const va = f32x4.splat(alpha), vc1 = f32x4.splat(c1), vcl = f32x4.splat(cl);
  const ve = f32x4.splat(eps), vmu = f32x4.splat(mu), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) rmsAt(<usize>i << 2, 4, u, sq, ga, buf, va, vc1, vcl, large, ve, vmu, centered, mom);
  if (i < n) rmsTail(<usize>i << 2, n - i, u, sq, ga, buf, va, vc1, vcl, large, ve, vmu, centered, mom);
}

/** RMSprop's direction (rmsprop.ts). flags: 2 LARGE, 4 CENTERED (ga), 8 MOMENTUM (buf). */
export function tfScaleByRms(n: i32, u: usize, sq: usize, ga: usize, buf: usize,
                             alpha: f32, oneMinusAlpha: f32, cLerp: f32, eps: f32, mu: f32, flags: i32): void {
  const kind = (flags & (CENTERED | RMS_MOMENTUM)) >> 2;
  if (kind == 0) rmsLoop(n, u, sq, ga, buf, alpha, oneMinusAlpha, cLerp, eps, mu, flags, false, false);
  else if (kind == 1) rmsLoop(n, u, sq, ga, buf, alpha, oneMinusAlpha, cLerp, eps, mu, flags, true, false);
  else if (kind == 2) rmsLoop(n, u, sq, ga, buf, alpha, oneMinusAlpha, cLerp, eps, mu, flags, false, true);
  else rmsLoop(n, u, sq, ga, buf, alpha, oneMinusAlpha, cLerp, eps, mu, flags, true, true);
}

// ---- Adadelta ----

@inline function adadeltaAt(o: usize, rem: i32, u: usize, sq: usize, acc: usize, rho: v128, c1: v128, eps: v128): void {
  st(u + o, adadeltaDirection(o, rem, ld(u + o, rem), sq, acc, rho, c1, eps), rem);
}
function adadeltaTail(o: usize, rem: i32, u: usize, sq: usize, acc: usize, rho: v128, c1: v128, eps: v128): void {
  adadeltaAt(o, rem, u, sq, acc, rho, c1, eps);
}

/** Adadelta's direction (adadelta.ts). */
export function tfScaleByAdadelta(n: i32, u: usize, sq: usize, acc: usize, rho: f32, oneMinusRho: f32, eps: f32): void {
  const vr = f32x4.splat(rho), vc = f32x4.splat(oneMinusRho), ve = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) adadeltaAt(<usize>i << 2, 4, u, sq, acc, vr, vc, ve);
  if (i < n) adadeltaTail(<usize>i << 2, n - i, u, sq, acc, vr, vc, ve);
}

// ---- Adam, AMSGrad ----

@inline function adamAt(o: usize, rem: i32, u: usize, m: usize, v: usize, vmax: usize,
                        invBc1: v128, invBc2Sqrt: v128, cl: v128, large: v128, beta2: v128, c2: v128,
                        eps: v128, ams: bool): void {
  st(u + o, adamDirection(o, rem, ld(u + o, rem), m, v, vmax, invBc1, invBc2Sqrt, cl, large, beta2, c2, eps, ams), rem);
}
function adamTail(o: usize, rem: i32, u: usize, m: usize, v: usize, vmax: usize,
                  invBc1: v128, invBc2Sqrt: v128, cl: v128, large: v128, beta2: v128, c2: v128,
                  eps: v128, ams: bool): void {
  adamAt(o, rem, u, m, v, vmax, invBc1, invBc2Sqrt, cl, large, beta2, c2, eps, ams);
}
@inline function adamLoop(n: i32, u: usize, m: usize, v: usize, vmax: usize,
                          invBc1: f32, invBc2Sqrt: f32, cl: f32, beta2: f32, c2: f32, eps: f32,
                          flags: i32, ams: bool): void {
  const vb1 = f32x4.splat(invBc1), vb = f32x4.splat(invBc2Sqrt), vcl = f32x4.splat(cl);
  const vb2 = f32x4.splat(beta2), vc2 = f32x4.splat(c2), ve = f32x4.splat(eps), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) adamAt(<usize>i << 2, 4, u, m, v, vmax, vb1, vb, vcl, large, vb2, vc2, ve, ams);
  if (i < n) adamTail(<usize>i << 2, n - i, u, m, v, vmax, vb1, vb, vcl, large, vb2, vc2, ve, ams);
}

/** Adam's direction (adam.ts). flags: 2 LARGE, 4 AMSGRAD (vmax). */
export function tfScaleByAdam(n: i32, u: usize, m: usize, v: usize, vmax: usize,
                              invBc1: f32, invBc2Sqrt: f32, cLerp: f32, beta2: f32, oneMinusBeta2: f32,
                              eps: f32, flags: i32): void {
  if ((flags & AMSGRAD) != 0) adamLoop(n, u, m, v, vmax, invBc1, invBc2Sqrt, cLerp, beta2, oneMinusBeta2, eps, flags, true);
  else adamLoop(n, u, m, v, vmax, invBc1, invBc2Sqrt, cLerp, beta2, oneMinusBeta2, eps, flags, false);
}

// ---- Adamax ----

@inline function adamaxAt(o: usize, rem: i32, u: usize, m: usize, r: usize,
                          invBc1: v128, cl: v128, large: v128, beta2: v128, eps: v128): void {
  st(u + o, adamaxDirection(o, rem, ld(u + o, rem), m, r, invBc1, cl, large, beta2, eps), rem);
}
function adamaxTail(o: usize, rem: i32, u: usize, m: usize, r: usize,
                    invBc1: v128, cl: v128, large: v128, beta2: v128, eps: v128): void {
  adamaxAt(o, rem, u, m, r, invBc1, cl, large, beta2, eps);
}

/** Adamax's direction (adamax.ts). flags: 2 LARGE. */
export function tfScaleByAdamax(n: i32, u: usize, m: usize, r: usize,
                                invBc1: f32, cLerp: f32, beta2: f32, eps: f32, flags: i32): void {
  const vb1 = f32x4.splat(invBc1), vcl = f32x4.splat(cLerp), vb2 = f32x4.splat(beta2), ve = f32x4.splat(eps);
  const large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) adamaxAt(<usize>i << 2, 4, u, m, r, vb1, vcl, large, vb2, ve);
  if (i < n) adamaxTail(<usize>i << 2, n - i, u, m, r, vb1, vcl, large, vb2, ve);
}

// ---- NAdam ----

@inline function nadamAt(o: usize, rem: i32, u: usize, m: usize, v: usize,
                         cg: v128, cm: v128, invBc2: v128, cl: v128, large: v128, beta2: v128, c2: v128, eps: v128): void {
  st(u + o, nadamDirection(o, rem, ld(u + o, rem), m, v, cg, cm, invBc2, cl, large, beta2, c2, eps), rem);
}
function nadamTail(o: usize, rem: i32, u: usize, m: usize, v: usize,
                   cg: v128, cm: v128, invBc2: v128, cl: v128, large: v128, beta2: v128, c2: v128, eps: v128): void {
  nadamAt(o, rem, u, m, v, cg, cm, invBc2, cl, large, beta2, c2, eps);
}

/** NAdam's direction (nadam.ts). flags: 2 LARGE. */
export function tfScaleByNadam(n: i32, u: usize, m: usize, v: usize,
                               cg: f32, cm: f32, invBc2: f32, cLerp: f32, beta2: f32, oneMinusBeta2: f32,
                               eps: f32, flags: i32): void {
  const vcg = f32x4.splat(cg), vcm = f32x4.splat(cm), vbc = f32x4.splat(invBc2), vcl = f32x4.splat(cLerp);
  const vb2 = f32x4.splat(beta2), vc2 = f32x4.splat(oneMinusBeta2), ve = f32x4.splat(eps), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) nadamAt(<usize>i << 2, 4, u, m, v, vcg, vcm, vbc, vcl, large, vb2, vc2, ve);
  if (i < n) nadamTail(<usize>i << 2, n - i, u, m, v, vcg, vcm, vbc, vcl, large, vb2, vc2, ve);
}

// ---- RAdam ----

@inline function radamAt(o: usize, rem: i32, u: usize, m: usize, v: usize,
                         invBc1: v128, bc2Sqrt: v128, rect: v128, eps: v128, cl: v128, large: v128,
                         beta2: v128, c2: v128, rectify: bool): void {
  st(u + o, radamDirection(o, rem, ld(u + o, rem), m, v, invBc1, bc2Sqrt, rect, eps, cl, large, beta2, c2, rectify), rem);
}
function radamTail(o: usize, rem: i32, u: usize, m: usize, v: usize,
                   invBc1: v128, bc2Sqrt: v128, rect: v128, eps: v128, cl: v128, large: v128,
                   beta2: v128, c2: v128, rectify: bool): void {
  radamAt(o, rem, u, m, v, invBc1, bc2Sqrt, rect, eps, cl, large, beta2, c2, rectify);
}
@inline function radamLoop(n: i32, u: usize, m: usize, v: usize,
                           invBc1: f32, bc2Sqrt: f32, rect: f32, eps: f32, cl: f32, beta2: f32, c2: f32,
                           flags: i32, rectify: bool): void {
  const vib = f32x4.splat(invBc1), vbs = f32x4.splat(bc2Sqrt), vr = f32x4.splat(rect), ve = f32x4.splat(eps);
  const vcl = f32x4.splat(cl), vb2 = f32x4.splat(beta2), vc2 = f32x4.splat(c2), large = maskOf(flags, LARGE);
  let i = 0;
  for (; i + 4 <= n; i += 4) radamAt(<usize>i << 2, 4, u, m, v, vib, vbs, vr, ve, vcl, large, vb2, vc2, rectify);
  if (i < n) radamTail(<usize>i << 2, n - i, u, m, v, vib, vbs, vr, ve, vcl, large, vb2, vc2, rectify);
}

/** RAdam's direction (radam.ts). flags: 2 LARGE, 4 RECTIFY. */
export function tfScaleByRadam(n: i32, u: usize, m: usize, v: usize,
                               invBc1: f32, bc2Sqrt: f32, rect: f32, eps: f32, cLerp: f32, beta2: f32,
                               oneMinusBeta2: f32, flags: i32): void {
  if ((flags & RECTIFY) != 0) radamLoop(n, u, m, v, invBc1, bc2Sqrt, rect, eps, cLerp, beta2, oneMinusBeta2, flags, true);
  else radamLoop(n, u, m, v, invBc1, bc2Sqrt, rect, eps, cLerp, beta2, oneMinusBeta2, flags, false);
}

// ---- Rprop ----

@inline function rpropAt(o: usize, rem: i32, u: usize, prev: usize, step: usize,
                         etaMinus: v128, etaPlus: v128, stepMin: v128, stepMax: v128): void {
  st(u + o, rpropDirection(o, rem, ld(u + o, rem), prev, step, etaMinus, etaPlus, stepMin, stepMax), rem);
}
function rpropTail(o: usize, rem: i32, u: usize, prev: usize, step: usize,
                   etaMinus: v128, etaPlus: v128, stepMin: v128, stepMax: v128): void {
  rpropAt(o, rem, u, prev, step, etaMinus, etaPlus, stepMin, stepMax);
}

/** Rprop's direction sign(u'')·step (rprop.ts); apply it with scale −1. */
export function tfScaleByRprop(n: i32, u: usize, prev: usize, step: usize,
                               etaMinus: f32, etaPlus: f32, stepMin: f32, stepMax: f32): void {
  const em = f32x4.splat(etaMinus), ep = f32x4.splat(etaPlus), lo = f32x4.splat(stepMin), hi = f32x4.splat(stepMax);
  let i = 0;
  for (; i + 4 <= n; i += 4) rpropAt(<usize>i << 2, 4, u, prev, step, em, ep, lo, hi);
  if (i < n) rpropTail(<usize>i << 2, n - i, u, prev, step, em, ep, lo, hi);
}
