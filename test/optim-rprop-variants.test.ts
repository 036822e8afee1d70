// Rprop+, Rprop−, iRprop+, iRprop− (src/optim/rprop-variants.ts):
//  (a) six steps on four elements, worked out by hand from the papers' pseudo-code, for every
//      variant: sign agreement (with the Δmax cap), sign change (with the Δmin floor, with and
//      without backtracking, with and without forgetting the derivative), zero products (after
//      a forgotten change and from a zero gradient), iRprop+ with the loss going up and down.
//      All numbers are dyadic, so f32 and f64 must both hit them exactly;
//  (b) the fused f32 kernel against the f64 reference on random data, every ISA, as in
//      test/optim-rules.test.ts (same tolerance: 1e-5 of the largest magnitude along the run);
//  (c) iRprop− against the `rprop` rule (torch.optim.Rprop), bit for bit; hyper-parameter checks.
import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { rprop, withDefaults, type Rule } from '../src/optim/rules.js';
import {
  irpropMinus, irpropPlus, rpropMinus, rpropPlus, rpropVariants, type RpropVariantHyper,
} from '../src/optim/rprop-variants.js';
import { bits, rng } from './reference.js';
import { exactly, runBoth } from './rule-runner.js';
import { engineFor, isas } from './engines.js';

const SIZES = [1, 3, 7, 17, 129, 1000];
const STEPS = 20;
const TOL = 1e-5;

// ---- (a) the worked example ----
// η− = 0.5, η+ = 1.5, Δmin = 0.125, Δmax = 1, Δ0 = 0.25, p0 = 0; E(t) for iRprop+ below.
const HAND: Partial<RpropVariantHyper> = { etaMinus: 0.5, etaPlus: 1.5, deltaMin: 0.125, deltaMax: 1, delta0: 0.25 };
//                  e0    e1   e2   e3
const GRADS = [
  [2, 1, 0, 1],     // t1: every stored derivative is 0: Δ stays 0.25; e2 has g = 0, so no move
  [1, -1, 1, 2],    // t2: e1 changes sign
  [3, -2, 1, -1],   // t3: e3 changes sign (E went up: iRprop+ backtracks)
  [1, 1, 0, 3],     // t4: e1 changes sign again (Rprop−: and e3); e2 has g = 0 again
  [0.5, 1, -1, -2], // t5: e0 reaches Δmax; e3 changes sign (iRprop+: E went down, no backtrack)
  [2, -1, -1, -1],  // t6: e1 changes sign (E went up: iRprop+ backtracks)
];
const LOSSES = [10, 9, 9.5, 8, 7, 7.5]; // E(t) > E(t−1) at t = 3 and t = 6 only

// Per element, the same in all four variants where no sign ever changes:
//  e0 (+ + + + + +): Δ 0.25, ·1.5 = 0.375, 0.5625, 0.84375, 1.265625 → 1 (Δmax), 1; p −= Δ.
//  e2 (0 + + 0 − −): t1 product 0, sign(0) = 0: no move; t2 product 0 (stored 0): Δ 0.25, −0.25;
//                    t3 agree 0.375, −0.375; t4 g = 0: Δ kept, no move; t5 product 0 (stored 0):
//                    +0.375; t6 agree 0.5625, +0.5625.
const E0_STEP = [0.25, 0.375, 0.5625, 0.84375, 1, 1], E0_P = [-0.25, -0.625, -1.1875, -2.03125, -3.03125, -4.03125];
const E2_STEP = [0.25, 0.25, 0.375, 0.375, 0.375, 0.5625], E2_P = [0, -0.25, -0.625, -0.625, -0.25, 0.3125];
const E0_PREV = [2, 1, 3, 1, 0.5, 2], E2_PREV = [0, 1, 1, 0, -1, -1];

interface Expect { step: number[][]; p: number[][]; prev: number[][]; upd?: number[][] }
// Elements e1 and e3 per variant, [e1, e3] per step, from the pseudo-code.
const WORKED: Record<string, Expect> = {
  // Rprop−: adapt, then always p −= sign(g)·Δ; the derivative is stored as is.
  //  e1 (+1 −1 −2 +1 +1 −1): 0.25 −0.25 | flip 0.125 +0.125 | agree 0.1875 +0.1875 |
  //     flip 0.09375 → 0.125 (Δmin) −0.125 | agree 0.1875 −0.1875 | flip 0.125 +0.125
  //  e3 (+1 +2 −1 +3 −2 −1): 0.25 −0.25 | agree 0.375 −0.375 | flip 0.1875 +0.1875 |
  //     flip 0.125 (Δmin) −0.125 | flip 0.125 +0.125 | agree 0.1875 +0.1875
  'rprop-': {
    step: [[0.25, 0.25], [0.125, 0.375], [0.1875, 0.1875], [0.125, 0.125], [0.1875, 0.125], [0.125, 0.1875]],
    p: [[-0.25, -0.25], [-0.125, -0.625], [0.0625, -0.4375], [-0.0625, -0.5625], [-0.25, -0.4375], [-0.125, -0.25]],
    prev: [[1, 1], [-1, 2], [-2, -1], [1, 3], [1, -2], [-1, -1]],
  },
  // iRprop−: on a flip the derivative becomes 0 first: no move, and the next product is 0.
  //  e1: 0.25 −0.25 | flip 0.125, stay | product 0: 0.125 +0.125 | flip 0.125 (Δmin), stay |
  //      product 0: 0.125 −0.125 | flip 0.125, stay
  //  e3: 0.25 −0.25 | agree 0.375 −0.375 | flip 0.1875, stay | product 0: 0.1875 −0.1875 |
  //      flip 0.125 (Δmin), stay | product 0: 0.125 +0.125
  'irprop-': {
    step: [[0.25, 0.25], [0.125, 0.375], [0.125, 0.1875], [0.125, 0.1875], [0.125, 0.125], [0.125, 0.125]],
    p: [[-0.25, -0.25], [-0.25, -0.625], [-0.125, -0.625], [-0.125, -0.8125], [-0.25, -0.8125], [-0.25, -0.6875]],
    prev: [[1, 1], [0, 2], [-2, 0], [0, 3], [1, 0], [0, -1]],
  },
  // Rprop+: on a flip, undo the previous move (Δw = −Δw(t−1)) and store derivative 0.
  //  e1: Δw −0.25 | flip: Δ 0.125, Δw +0.25 (p back to 0) | product 0: +0.125 |
  //      flip: Δ 0.125, Δw −0.125 | product 0: −0.125 | flip: Δ 0.125, Δw +0.125
  //  e3: −0.25 | agree 0.375: −0.375 | flip: Δ 0.1875, Δw +0.375 | product 0: −0.1875 |
  //      flip: Δ 0.125, Δw +0.1875 | product 0: +0.125
  'rprop+': {
    step: [[0.25, 0.25], [0.125, 0.375], [0.125, 0.1875], [0.125, 0.1875], [0.125, 0.125], [0.125, 0.125]],
    p: [[-0.25, -0.25], [0, -0.625], [0.125, -0.25], [0, -0.4375], [-0.125, -0.25], [0, -0.125]],
    prev: [[1, 1], [0, 2], [-2, 0], [0, 3], [1, 0], [0, -1]],
    upd: [[-0.25, -0.25], [0.25, -0.375], [0.125, 0.375], [-0.125, -0.1875], [-0.125, 0.1875], [0.125, 0.125]],
  },
  // iRprop+: as Rprop+, but the undo happens only when E(t) > E(t−1) (t = 3, 6); otherwise a
  // flip makes no move (Δw = 0). Derivative 0 after every flip.
  //  e1: −0.25 | flip at t2 (E down): stay | product 0: +0.125 | flip at t4 (E down): stay |
  //      product 0: −0.125 | flip at t6 (E up): Δw = +0.125
  //  e3: −0.25 | agree: −0.375 | flip at t3 (E up): Δw = +0.375 | product 0: −0.1875 |
  //      flip at t5 (E down): stay | product 0: +0.125
  'irprop+': {
    step: [[0.25, 0.25], [0.125, 0.375], [0.125, 0.1875], [0.125, 0.1875], [0.125, 0.125], [0.125, 0.125]],
    p: [[-0.25, -0.25], [-0.25, -0.625], [-0.125, -0.25], [-0.125, -0.4375], [-0.25, -0.4375], [-0.125, -0.3125]],
    prev: [[1, 1], [0, 2], [-2, 0], [0, 3], [1, 0], [0, -1]],
    upd: [[-0.25, -0.25], [0, -0.375], [0.125, 0.375], [0, -0.1875], [-0.125, 0], [0.125, 0.125]],
  },
};
// prev_update of the elements that never change sign (+ variants): e0 −Δ; e2 0, −0.25, −0.375, 0, +0.375, +0.5625
const E2_UPD = [0, -0.25, -0.375, 0, 0.375, 0.5625];

for (const isa of isas) {
  describe(`Rprop variants ${isa}`, () => {
    const e = engineFor(isa);

    for (const [name, want] of Object.entries(WORKED)) {
      it(`${name}: six steps worked out from the published pseudo-code`, () => {
        const rule = rpropVariants[name as keyof typeof rpropVariants];
        const h = withDefaults(rule, HAND);
        const { f32, f64 } = runBoth(e, rule, h, [0, 0, 0, 0], GRADS, name === 'irprop+' ? LOSSES : undefined);
        for (let t = 0; t < GRADS.length; t++) {
          const stepWant = [E0_STEP[t], want.step[t][0], E2_STEP[t], want.step[t][1]];
          const pWant = [E0_P[t], want.p[t][0], E2_P[t], want.p[t][1]];
          const prevWant = [E0_PREV[t], want.prev[t][0], E2_PREV[t], want.prev[t][1]];
          for (const [form, run] of [['f32', f32], ['f64', f64]] as const) {
            const at = `${name} ${form} t=${t + 1}`;
            exactly(run.s[t].step_size, stepWant, `${at} step_size`);
            exactly(run.p[t], pWant, `${at} p`);
            exactly(run.s[t].prev_grad, prevWant, `${at} prev_grad`);
            if (want.upd) {
              exactly(run.s[t].prev_update, [-E0_STEP[t], want.upd[t][0], E2_UPD[t], want.upd[t][1]], `${at} prev_update`);
            } else {
              expect(run.s[t].prev_update, `${at}: − variants keep no prev_update`).toBeUndefined();
            }
          }
        }
      });
    }

    it('coupled weight decay decides the sign: g′ = g + wd·p', () => {
      // p = [2, −2], g = [−0.05, −0.05], wd = 0.1: g′ = [0.15, −0.25], both move against g′ by Δ0 = 0.25
      for (const rule of Object.values(rpropVariants)) {
        const h = withDefaults(rule, { ...HAND, weight_decay: 0.1 });
        const { f32, f64 } = runBoth(e, rule, h, [2, -2], [[-0.05, -0.05]], [1]);
        exactly(f32.p[0], [1.75, -1.75], `${rule.name} f32`);
        exactly(f64.p[0], [1.75, -1.75], `${rule.name} f64`);
        // g is f32(−0.05) in both forms, so g′ is 0.15 and −0.25 to f32 precision
        expect(f32.s[0].prev_grad[0]).toBeCloseTo(0.15, 6);
        expect(f64.s[0].prev_grad[1]).toBeCloseTo(-0.25, 7);
      }
    });

    it('iRprop− gives the bits of the rprop rule (torch.optim.Rprop) in both forms', () => {
      const h = withDefaults(irpropMinus, { etaMinus: 0.4, etaPlus: 1.3, deltaMin: 1e-3, deltaMax: 0.3, delta0: 0.05, weight_decay: 1e-2 });
      const ht = withDefaults(rprop, { lr: 0.05, etas: [0.4, 1.3], step_sizes: [1e-3, 0.3], weight_decay: 1e-2 });
      for (const n of [1, 7, 129]) {
        e.scope(() => {
          const r = rng(77 + n);
          const p0 = Float32Array.from({ length: n }, () => 2 * r() - 1);
          const bias = Float32Array.from({ length: n }, () => r() - 0.5);
          const mine = { P: e.tensor([n], p0), prev: e.zeros([n]), step: e.tensor([n], new Float32Array(n).fill(0.05)) };
          const torch = { P: e.tensor([n], p0), prev: e.zeros([n]), step: e.tensor([n], new Float32Array(n).fill(0.05)) };
          const p64a = Float64Array.from(p0), p64b = Float64Array.from(p0);
          const s64a = { prev_grad: new Float64Array(n), step_size: new Float64Array(n).fill(Math.fround(0.05)) };
          const s64b = { prev: new Float64Array(n), step_size: new Float64Array(n).fill(Math.fround(0.05)) };
          const G = e.zeros([n]);
          for (let t = 1; t <= 30; t++) {
            const g = bias.map((b) => b + 0.8 * (2 * r() - 1));
            G.data.set(g);
            irpropMinus.kernel(e.kernels, n, mine.P.pointer(), G.pointer(),
              { prev_grad: mine.prev.pointer(), step_size: mine.step.pointer() }, irpropMinus.coefficients(t, h, {}), h);
            rprop.kernel(e.kernels, n, torch.P.pointer(), G.pointer(),
              { prev: torch.prev.pointer(), step_size: torch.step.pointer() }, rprop.coefficients(t, ht, {}), ht);
            irpropMinus.step64(p64a, Float64Array.from(g), s64a, irpropMinus.coefficients(t, h, {}), h);
            rprop.step64(p64b, Float64Array.from(g), s64b, rprop.coefficients(t, ht, {}), ht);
          }
          expect(bits(mine.P.toArray())).toEqual(bits(torch.P.toArray()));
          expect(bits(mine.step.toArray())).toEqual(bits(torch.step.toArray()));
          expect(bits(mine.prev.toArray())).toEqual(bits(torch.prev.toArray()));
          expect(Array.from(p64a)).toEqual(Array.from(p64b));
          expect(Array.from(s64a.step_size)).toEqual(Array.from(s64b.step_size));
        });
      }
    });

    // ---- (b) kernel vs reference ----
    const cases: [Rule<RpropVariantHyper>, Partial<RpropVariantHyper>][] = [];
    for (const rule of [rpropPlus, rpropMinus, irpropPlus, irpropMinus]) {
      cases.push([rule, {}]);
      cases.push([rule, { etaMinus: 0.3, etaPlus: 1.5, deltaMin: 1e-3, deltaMax: 0.5, delta0: 0.1 }]); // both bounds reached
      cases.push([rule, { weight_decay: 1e-2, delta0: 0.02 }]);
    }
    for (const [rule, o] of cases) {
      it(`${rule.name} ${JSON.stringify(o)}: wasm f32 agrees with the f64 reference over ${STEPS} steps`, () => {
        const h = withDefaults(rule, o);
        for (const n of SIZES) {
          const r = rng(1000 * n + 11);
          const p0 = Array.from({ length: n }, () => 2 * r() - 1);
          const bias = Array.from({ length: n }, () => 2 * r() - 1);
          const grads = Array.from({ length: STEPS }, () => bias.map((b) => b + 0.8 * (2 * r() - 1)));
          const losses = Array.from({ length: STEPS }, () => r()); // E goes up about half the time
          const { f32, f64 } = runBoth(e, rule, h, p0, grads, losses);
          const scale = (series: Float64Array[], i: number, floor: number) => Math.max(floor, ...series.map((x) => Math.abs(x[i])));
          const pStart = Float64Array.from(p0, Math.fround);
          const last = STEPS - 1;
          for (let i = 0; i < n; i++) {
            const sp = scale([pStart, ...f64.p], i, 1e-3);
            expect(Math.abs(f32.p[last][i] - f64.p[last][i]), `${rule.name} n=${n} p[${i}]`).toBeLessThanOrEqual(TOL * sp);
            for (const k of Object.keys(f64.s[last])) {
              const ss = scale(f64.s.map((s) => s[k]), i, Number.MIN_VALUE);
              expect(Math.abs(f32.s[last][k][i] - f64.s[last][k][i]), `${rule.name} n=${n} ${k}[${i}]`).toBeLessThanOrEqual(TOL * ss);
            }
          }
        }
      });
    }
  });
}

describe('Rprop variants: scalars, state and hyper-parameters', () => {
  it('iRprop+ compares each loss with the previous one and needs it', () => {
    const h = withDefaults(irpropPlus);
    const sc = irpropPlus.initScalars(h);
    expect(sc).toEqual({});
    const bt = (loss: number) => irpropPlus.coefficients(1, h, sc, { loss })[5];
    expect([bt(5), bt(4), bt(4), bt(4.5), bt(1)]).toEqual([0, 0, 0, 1, 0]); // only a strict increase
    expect(sc.prev_loss).toBe(1);
    expect(() => irpropPlus.coefficients(1, h, sc)).toThrow(DescentError);
    expect(() => irpropPlus.coefficients(1, h, sc, {})).toThrow('irprop+: coefficients() needs info.loss');
    expect(rpropPlus.coefficients(1, h, {})[5]).toBe(1);
    expect(rpropMinus.coefficients(1, h, {})[5]).toBe(0);
  });

  it('defaults, state buffers and their initial values', () => {
    for (const rule of Object.values(rpropVariants)) {
      expect(rule.defaults).toEqual({ etaMinus: 0.5, etaPlus: 1.2, deltaMin: 1e-6, deltaMax: 50, delta0: 0.1, weight_decay: 0 });
      const h = withDefaults(rule, { delta0: 0.07 });
      expect(rule.initState('step_size', h)).toBe(0.07);
      expect(rule.initState('prev_grad', h)).toBe(0);
      expect(() => rule.initState('prev', h)).toThrow(`${rule.name}: unknown state buffer "prev"`);
      const plus = rule === rpropPlus || rule === irpropPlus;
      expect(rule.stateNames.filter((s) => rule.uses(s, h))).toEqual(plus ? ['prev_grad', 'step_size', 'prev_update'] : ['prev_grad', 'step_size']);
    }
    expect(Object.keys(rpropVariants)).toEqual(['rprop+', 'rprop-', 'irprop+', 'irprop-']);
  });

  it('bad hyper-parameters throw a DescentError naming the option', () => {
    const bad: [Partial<RpropVariantHyper>, string][] = [
      [{ etaMinus: 1 }, 'etaMinus must be in (0, 1), got 1'],
      [{ etaMinus: 0 }, 'etaMinus must be in (0, 1), got 0'],
      [{ etaPlus: 1 }, 'etaPlus must be > 1, got 1'],
      [{ etaPlus: Infinity }, 'etaPlus must be a finite number, got Infinity'],
      [{ deltaMin: -1 }, 'deltaMin must be ≥ 0, got -1'],
      [{ deltaMax: 1e-7 }, 'deltaMax must be ≥ deltaMin (0.000001), got 1e-7'],
      [{ delta0: 0 }, 'delta0 must be > 0 and in [deltaMin, deltaMax]'],
      [{ delta0: 60 }, 'delta0 must be > 0 and in [deltaMin, deltaMax] = [0.000001, 50], got 60'],
      [{ weight_decay: -0.1 }, 'weight_decay must be ≥ 0, got -0.1'],
      [{ weight_decay: NaN }, 'weight_decay must be a finite number, got NaN'],
    ];
    for (const rule of Object.values(rpropVariants)) {
      for (const [o, msg] of bad) {
        expect(() => withDefaults(rule, o), `${rule.name} ${JSON.stringify(o)}`).toThrow(DescentError);
        expect(() => withDefaults(rule, o)).toThrow(`${rule.name}: ${msg}`);
      }
      expect(() => withDefaults(rule, { lr: 0.1 } as never)).toThrow(`${rule.name}: unknown hyper-parameter "lr"; known: etaMinus`);
    }
  });
});
