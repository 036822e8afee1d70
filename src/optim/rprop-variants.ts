// Rprop in its four published variants, as Rules (src/optim/rules.ts): one fused wasm kernel
// (assembly/optim/rprop-variants.ts, optRpropVariant) and one f64 reference for all four.
//
// Per weight w with derivative ∂(t) = ∂E(t)/∂w at step t and update value Δ (step_size):
//
// Rprop+ (Riedmiller & Braun 1993, "A direct adaptive method for faster backpropagation
// learning: the RPROP algorithm", ICNN; the name Rprop+ is Igel & Hüsken's), with
// weight-backtracking:
//   if ∂(t−1)·∂(t) > 0:  Δ(t) = min(Δ(t−1)·η⁺, Δmax);  Δw(t) = −sign(∂(t))·Δ(t);  w ← w + Δw(t)
//   if ∂(t−1)·∂(t) < 0:  Δ(t) = max(Δ(t−1)·η⁻, Δmin);  w ← w − Δw(t−1)   (undo the last move);
//                        ∂(t) := 0                       (so step t+1 neither adapts nor backtracks)
//   if ∂(t−1)·∂(t) = 0:  Δ(t) = Δ(t−1);  Δw(t) = −sign(∂(t))·Δ(t);  w ← w + Δw(t)
// Rprop− (Igel & Hüsken 2000, "Improving the Rprop learning algorithm", NC 2000, pp. 115–121),
// without backtracking: Δ(t) adapts in the same three cases, then in every case
//   w ← w − sign(∂(t))·Δ(t)
// so a sign change still moves, by the reduced step, and ∂(t) is kept as is.
// iRprop− (Igel & Hüsken 2000): Rprop− plus ∂(t) := 0 on a sign change, before the move: no move
// on that step and no adaptation on the next. This is torch.optim.Rprop, and the `rprop` rule
// of rules.ts (same bits while Δ₀ ∈ [Δmin, Δmax], which check() requires).
// iRprop+ (Igel & Hüsken 2000): Rprop+, but on a sign change the move is undone only if the
// error went up, E(t) > E(t−1); ∂(t) := 0 on every sign change all the same.
//
// Which variants zero the stored derivative after a sign change: Rprop+, iRprop+ and iRprop−.
// Rprop− does not: zeroing it is precisely what turns Rprop− into iRprop−. At t = 1 the stored
// derivative is 0 (the "= 0" case) and Δ = Δ₀. Δw(t) on a sign-change step is left unassigned
// in the papers (the next step is an "= 0" step and overwrites it before reading it); the state
// prev_update holds the move actually made: −Δw(t−1) after backtracking, 0 otherwise.
//
// Defaults: η⁻ = 0.5, η⁺ = 1.2, Δmin = 1e-6, Δmax = 50, Δ₀ = 0.1 (Riedmiller & Braun 1993,
// also Igel & Hüsken's experiments). weight_decay (coupled, ∂ ← ∂ + wd·w before everything
// else) is a descent extension, 0 by default.
//
// State: prev_grad (∂(t−1) as stored, 0 at start), step_size (Δ, starts at Δ₀), prev_update
// (Δw(t−1), + variants only). Scalars: iRprop+ keeps prev_loss, E(t−1); it needs info.loss in
// coefficients(), the loss at the parameters the gradient was taken at. Coefficients
// [η⁻, η⁺, Δmin, Δmax, wd, backtrack] with backtrack = 1 for Rprop+, 1 or 0 per step for
// iRprop+ (E(t) > E(t−1)), unused 0 for the − variants.

import { DescentError, show } from '../engine/errors.js';
import type { Rule, Scalars, StepInfo } from './rules.js';

export interface RpropVariantHyper {
  etaMinus: number; etaPlus: number; deltaMin: number; deltaMax: number; delta0: number; weight_decay: number;
}
export type RpropVariantName = 'rprop+' | 'rprop-' | 'irprop+' | 'irprop-';

// flag bits of optRpropVariant
const WD = 1, PLUS = 4, BACKTRACK = 8, FORGET = 16;
const STATE = ['prev_grad', 'step_size', 'prev_update'] as const;

interface Variant { plus: boolean; forget: boolean; backtrack: 'always' | 'on-error-increase' | 'never' }

function fail(rule: string, msg: string): never {
  throw new DescentError(`${rule}: ${msg}`);
}

function makeVariant(name: RpropVariantName, v: Variant): Rule<RpropVariantHyper> {
  const flags = (h: RpropVariantHyper, c: readonly number[]): number =>
    (h.weight_decay !== 0 ? WD : 0) | (v.plus ? PLUS : 0) | (v.forget ? FORGET : 0) | (c[5] !== 0 ? BACKTRACK : 0);
  return {
    name,
    defaults: { etaMinus: 0.5, etaPlus: 1.2, deltaMin: 1e-6, deltaMax: 50, delta0: 0.1, weight_decay: 0 },
    stateNames: STATE,
    uses: (s) => s === 'prev_grad' || s === 'step_size' || (s === 'prev_update' && v.plus),
    initState(s, h) {
      if (!(STATE as readonly string[]).includes(s)) fail(name, `unknown state buffer ${JSON.stringify(s)}; known: ${STATE.join(', ')}`);
      return s === 'step_size' ? h.delta0 : 0;
    },
    initScalars: () => ({}),
    coefficients(_t: number, h: RpropVariantHyper, sc: Scalars, info?: StepInfo) {
      let backtrack = v.backtrack === 'always' ? 1 : 0;
      if (v.backtrack === 'on-error-increase') {
        const loss = info?.loss;
        if (typeof loss !== 'number') fail(name, 'coefficients() needs info.loss, the loss where the gradient was taken (E(t) > E(t−1) decides the backtracking)');
        backtrack = sc.prev_loss !== undefined && loss > sc.prev_loss ? 1 : 0;
        sc.prev_loss = loss;
      }
      return [h.etaMinus, h.etaPlus, h.deltaMin, h.deltaMax, h.weight_decay, backtrack];
    },
    step64(p, g, s, c, h) {
      const [etaMinus, etaPlus, lo, hi, wd, bt] = c;
      const decay = h.weight_decay !== 0, forget = v.plus || v.forget, backtrack = v.plus && bt !== 0;
      const prev = s.prev_grad, step = s.step_size, upd = s.prev_update;
      for (let i = 0; i < p.length; i++) {
        const gi = decay ? g[i] + wd * p[i] : g[i];
        const si = gi * prev[i];
        let d = step[i];
        if (si > 0) d = Math.min(d * etaPlus, hi);
        else if (si < 0) d = Math.max(d * etaMinus, lo);
        step[i] = d;
        const gz = si < 0 && forget ? 0 : gi;
        prev[i] = gz;
        let dw = -(Math.sign(gz) * d);
        if (v.plus) {
          if (si < 0 && backtrack) dw = -upd[i];
          upd[i] = dw;
        }
        p[i] = p[i] + dw;
      }
    },
    kernel(K, n, p, g, s, c, h) {
      K.optRpropVariant(n, p, g, s.prev_grad, s.step_size, s.prev_update ?? 0, c[0], c[1], c[2], c[3], c[4], flags(h, c));
    },
    check(h) {
      const num = (k: keyof RpropVariantHyper): number => {
        const x = h[k];
        if (typeof x !== 'number' || !Number.isFinite(x)) fail(name, `${k} must be a finite number, got ${show(x)}`);
        return x;
      };
      const em = num('etaMinus'), ep = num('etaPlus'), lo = num('deltaMin'), hi = num('deltaMax'), d0 = num('delta0');
      if (!(em > 0 && em < 1)) fail(name, `etaMinus must be in (0, 1), got ${em}`);
      if (!(ep > 1)) fail(name, `etaPlus must be > 1, got ${ep}`);
      if (!(lo >= 0)) fail(name, `deltaMin must be ≥ 0, got ${lo}`);
      if (!(hi >= lo)) fail(name, `deltaMax must be ≥ deltaMin (${lo}), got ${hi}`);
      if (!(d0 > 0 && d0 >= lo && d0 <= hi)) fail(name, `delta0 must be > 0 and in [deltaMin, deltaMax] = [${lo}, ${hi}], got ${d0}`);
      if (!(num('weight_decay') >= 0)) fail(name, `weight_decay must be ≥ 0, got ${h.weight_decay}`);
    },
  };
}

/** Rprop+: Riedmiller & Braun 1993, with weight-backtracking on every sign change. */
export const rpropPlus = makeVariant('rprop+', { plus: true, forget: true, backtrack: 'always' });
/** Rprop−: no backtracking, the derivative is kept after a sign change (moves by the reduced step). */
export const rpropMinus = makeVariant('rprop-', { plus: false, forget: false, backtrack: 'never' });
/** iRprop+: backtracks only when the loss went up, E(t) > E(t−1); needs info.loss. */
export const irpropPlus = makeVariant('irprop+', { plus: true, forget: true, backtrack: 'on-error-increase' });
/** iRprop−: no backtracking, the derivative is zeroed after a sign change (torch.optim.Rprop). */
export const irpropMinus = makeVariant('irprop-', { plus: false, forget: true, backtrack: 'never' });

/** The four variants by name. */
export const rpropVariants: Readonly<Record<RpropVariantName, Rule<RpropVariantHyper>>> = {
  'rprop+': rpropPlus, 'rprop-': rpropMinus, 'irprop+': irpropPlus, 'irprop-': irpropMinus,
};
