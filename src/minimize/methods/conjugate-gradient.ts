// Nonlinear conjugate gradient: d_{k+1} = −g_{k+1} + β_{k+1}·d_k, with (y_k = g_{k+1} − g_k)
//   Fletcher–Reeves (1964)    β = g_{k+1}ᵀg_{k+1} / g_kᵀg_k
//   Polak–Ribière (1969)      β = g_{k+1}ᵀy_k / g_kᵀg_k
//   PR+ (Powell 1986)         β = max(0, β_PR)
//   Hestenes–Stiefel (1952)   β = g_{k+1}ᵀy_k / d_kᵀy_k
//   Dai–Yuan (1999)           β = g_{k+1}ᵀg_{k+1} / d_kᵀy_k
//   Hager–Zhang (2005)        β = max(β_N, η_k), β_N = (y_k − 2d_k·‖y_k‖²/d_kᵀy_k)ᵀg_{k+1} / d_kᵀy_k,
//                             η_k = −1/(‖d_k‖·min(0.01, ‖g_k‖)) — CG_DESCENT: with its own line
//                             search ('hager-zhang', approximate Wolfe) and first steps (HZ 2006:
//                             0.01·‖x₀‖∞/‖g₀‖∞, then the quadratic through φ(0.1·α_{k−1}) or 2α_{k−1})
// Restarts (β = 0, d = −g): when d is not a descent direction or a line search ends without
// its conditions (the driver), every `restart` iterations (default never, as SciPy's CG), and,
// with powellRestart, by Powell's test |g_{k+1}ᵀg_k| ≥ 0.2·‖g_{k+1}‖² (default off). Default
// line search Moré–Thuente with xtol = 0.1 and c₂ = 0.2 for n < 10, 0.15 for n ≥ 10; the first
// trial step follows N&W eq. 3.60 (α_{k−1}·φ′_{k−1}(0)/φ′_k(0)).
// Measured on the 41 MGH instances (scripts/mgh-table.mjs), against the earlier defaults (N&W
// bracket-and-zoom with c₂ = 0.1, restart every n, Powell's test: 35 reached, 1.87× SciPy's
// evaluations): this reaches 36 at 1.12× SciPy's evaluations (27 at SciPy's tolerance, 0.84×);
// with c₂ = 0.2 for every n it was 36 at 1.28× (28, 0.87×). Tried and worse: c₂ = 0.05, 0.1,
// 0.4 for every n (0.1: 1.32× and a reached instance reported as a failure); α₀ = min(1,
// 2.02(f_k − f_{k−1})/φ′(0)) (SciPy's), the same uncapped, the smaller or the larger of it and
// eq. 3.60, 2·α_{k−1} (Hager–Zhang's), eq. 3.60 capped at 4 or 10·α_{k−1} (with c₂ = 0.1: 1.36×,
// 1.49×); the geometric mean of eq. 3.60 and α_{k−1} (1.16×, but 26 reached at SciPy's
// tolerance, a failure reported, and more passes on networks); HZ's lower bound η_k in place
// of PR+'s 0 (1.74×); Powell's test with ν = 0.2…0.95 and c₂ = 0.1 (ν = 0.8: 1.33×, 0.9: 1.23×,
// 0.95: 1.23× and a failure; 26 reached at SciPy's tolerance: the outcome jumps with ν).
// Why c₂ depends on n: a more accurate search keeps more conjugacy, which pays over many
// iterations on larger problems and costs on the small, strongly curved ones. The variable-n
// MGH problems (21–31, 35 at n = 12…200, ‖g‖∞ ≤ 1e-5) take fewer evaluations with c₂ = 0.15 or
// 0.1 than with 0.2 at 6 of 7 sizes (n = 200: 7316 and 6756 against 9052), and so do the
// instances with n ≥ 10 of the standard set, while those with n < 10 (helical valley, Gulf,
// Wood, Kowalik–Osborne, Brown–Dennis, Osborne 1, Watson n = 9) need c₂ = 0.2.
// Networks (scripts/network-passes.mjs: digits 64-16-10 and 64-32-10, breast cancer 30-8-2 and
// 30-24-2, tanh, softmax cross-entropy, weight decay 1e-3, 10 seeds each; passes over the data
// to reach the loss the pre-#16 CG had after 25, 50, 100, 200 iterations, summed over the 40
// runs): 0.87×, 0.81×, 0.86×, 0.73× the old passes (c₂ = 0.2 for every n: 0.83×, 0.81×, 0.86×,
// 0.77×; 0.1 for n ≥ 10: 0.95×, 0.87×, 0.83×, 0.75×). Single runs are chaotic: the old method
// itself with c₂ = 0.12 instead of 0.1 needs up to 1.2× (25 iterations) to 2.7× (100) the
// passes on single runs while its totals stay within 3%, and near convergence runs settle in
// different local minima (breast cancer 30-8-2: f = 0.02421 vs 0.02420), so the totals decide.
// On a quadratic with exact line searches every variant is linear CG and finishes in at most n
// iterations.

import { DescentError, show } from '../../engine/errors.js';
import type { Context } from '../context.js';
import type { Vec } from '../vector-space.js';
import { firstStep, type DirectionMethod } from './driver.js';

export type CgBeta = 'fr' | 'pr' | 'pr+' | 'hs' | 'dy' | 'hz';
export interface CgOptions { beta?: CgBeta; restart?: number; powellRestart?: boolean }

export function conjugateGradient(ctx: Context, o: CgOptions = {}): DirectionMethod {
  const beta = o.beta ?? 'pr+';
  if (!['fr', 'pr', 'pr+', 'hs', 'dy', 'hz'].includes(beta)) throw new DescentError(`minimize: cg beta must be one of fr, pr, pr+, hs, dy, hz, got ${show(beta)}`);
  const hz = beta === 'hz';
  const every = o.restart ?? Infinity;
  if (!(Number.isSafeInteger(every) || every === Infinity) || every < 1) throw new DescentError(`minimize: cg restart must be a positive integer, got ${show(o.restart)}`);
  const powell = o.powellRestart ?? false;
  const { space } = ctx;
  // c₂ of the default search by problem size (the header says why)
  const c2 = ctx.n >= 10 ? 0.15 : 0.2;
  const gPrev = space.vec(ctx.n), dPrev = space.vec(ctx.n);
  let since = 0, have = false, yv: Vec | undefined;
  // CG_DESCENT's switch to approximate Wolfe steps: once |f_{k+1} − f_k| ≤ ω·C_k, C_k the
  // average of |f| with weights Δ^j (ω = 1e-3, Δ = 0.7; HZ 2006 §2); the search spec object is
  // the one ctx.search reads
  const hzSearch = { type: 'hager-zhang' as const, approximate: false };
  let q = 0, cAvg = 0;
  return {
    defaultLineSearch: hz ? hzSearch : { type: 'more-thuente', c2, xtol: 0.1 },
    direction(x, f, g, d, last) {
      if (hz) {
        q = 1 + q * 0.7;
        cAvg += (Math.abs(f) - cAvg) / q;
        if (Number.isFinite(last.fPrev) && Math.abs(f - last.fPrev) <= 1e-3 * cAvg) hzSearch.approximate = true;
      }
      const gg = space.dot(g, g);
      let b = 0;
      if (have && since < every) {
        const gpgp = space.dot(gPrev, gPrev);
        const ggp = space.dot(g, gPrev);
        if (!(powell && Math.abs(ggp) >= 0.2 * gg)) {
          const gy = gg - ggp;             // g_{k+1}ᵀy_k
          const dy = yv ? space.dot(dPrev, yv) : NaN;
          if (hz) {
            const yy = yv ? space.dot(yv, yv) : NaN, dg = space.dot(dPrev, g);
            const eta = -1 / (space.nrm2(dPrev) * Math.min(0.01, Math.sqrt(gpgp)));
            b = Math.max((gy - 2 * yy * dg / dy) / dy, eta);
          } else {
            b = beta === 'fr' ? gg / gpgp : beta === 'pr' ? gy / gpgp : beta === 'pr+' ? Math.max(0, gy / gpgp)
              : beta === 'hs' ? gy / dy : gg / dy;
          }
          if (!Number.isFinite(b)) b = 0;
        }
      }
      space.copy(g, d);
      space.scal(-1, d);
      if (b !== 0) space.axpy(b, dPrev, d);
      else since = 0;
      since++;
      space.copy(d, dPrev);
      space.copy(g, gPrev);
      have = true;
      const slope = space.dot(g, d);
      if (hz) {
        if (Number.isFinite(last.alpha)) return last.alpha;
        let xm = 0, gm = 0;
        for (const v of x.data) xm = Math.max(xm, Math.abs(v));
        for (const v of g.data) gm = Math.max(gm, Math.abs(v));
        return xm > 0 && gm > 0 ? 0.01 * xm / gm : f !== 0 && gg > 0 ? 0.01 * Math.abs(f) / gg : 1;
      }
      return Number.isFinite(last.alpha) ? last.alpha * last.slope / slope : firstStep(ctx, g);
    },
    update(_s, y) { yv = y; },
    reset() { have = false; since = 0; },
  };
}
