// Delta-bar-delta (src/optim/delta-bar-delta.ts):
//  (a) five steps on three elements worked out by hand from Jacobs' rule, without and with
//      momentum: additive increase, multiplicative decrease, a zero product (δ̄ = 0 at the start,
//      δ = 0 later), and a decrease decided by the average δ̄ although the last two derivatives
//      agree. Dyadic numbers throughout, so f32 and f64 must both hit them exactly;
//  (b) the fused f32 kernel against the f64 reference on random data, every ISA, with the
//      tolerance of test/optim-rules.test.ts (1e-5 of the largest magnitude along the run);
//  (c) hyper-parameter checks.
import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { withDefaults } from '../src/optim/rules.js';
import { deltaBarDelta, type DeltaBarDeltaHyper } from '../src/optim/delta-bar-delta.js';
import { rng } from './reference.js';
import { exactly, runBoth } from './rule-runner.js';
import { engineFor, isas } from './engines.js';

const SIZES = [1, 3, 7, 17, 129, 1000];
const STEPS = 20;
const TOL = 1e-5;

// ---- (a) the worked example ----
// ε0 = lr = 0.5, κ = 0.25, φ = 0.5, θ = 0.5 (δ̄ ← ½δ + ½δ̄), p0 = 0.
const HAND: Partial<DeltaBarDeltaHyper> = { lr: 0.5, kappa: 0.25, phi: 0.5, theta: 0.5 };
//              e0  e1  e2
const GRADS = [
  [1, 4, -2],   // t1: δ̄ = 0 everywhere: product 0, ε stays 0.5
  [1, -1, -2],  // t2: e0, e2 agree with δ̄ (+κ); e1 disagrees (·(1 − φ))
  [1, -1, 0],   // t3: e1: δ̄(2) = 0.5 > 0 still, so −1 disagrees though δ(2) = −1 too; e2: δ = 0
  [1, 2, 1],    // t4: e1, e2 disagree with δ̄
  [1, 0, 1],    // t5: e1: δ = 0, ε kept, no move; e2 agrees with δ̄(4) = 0.125
];
// By hand, per element (ε after adapting, δ̄ after averaging, p after the step p −= ε·δ):
//  e0: ε 0.5, 0.75, 1, 1.25, 1.5;   δ̄ 0.5, 0.75, 0.875, 0.9375, 0.96875
//      p −0.5, −1.25, −2.25, −3.5, −5
//  e1: ε 0.5, 0.25, 0.125, 0.0625, 0.0625;   δ̄ 2, 0.5, −0.25, 0.875, 0.4375
//      p −2, −1.75, −1.625, −1.75, −1.75
//  e2: ε 0.5, 0.75, 0.75, 0.375, 0.625;   δ̄ −1, −1.5, −0.75, 0.125, 0.5625
//      p 1, 2.5, 2.5, 2.125, 1.5
const LR = [[0.5, 0.5, 0.5], [0.75, 0.25, 0.75], [1, 0.125, 0.75], [1.25, 0.0625, 0.375], [1.5, 0.0625, 0.625]];
const BAR = [[0.5, 2, -1], [0.75, 0.5, -1.5], [0.875, -0.25, -0.75], [0.9375, 0.875, 0.125], [0.96875, 0.4375, 0.5625]];
const P = [[-0.5, -2, 1], [-1.25, -1.75, 2.5], [-2.25, -1.625, 2.5], [-3.5, -1.75, 2.125], [-5, -1.75, 1.5]];
// With momentum μ = 0.5: Δw = ½Δw − ε·δ, p += Δw (ε and δ̄ as above):
//  e0: Δw −0.5, −1, −1.5, −2, −2.5;            p −0.5, −1.5, −3, −5, −7.5
//  e1: Δw −2, −0.75, −0.25, −0.25, −0.125;     p −2, −2.75, −3, −3.25, −3.375
//  e2: Δw 1, 2, 1, 0.125, −0.5625;              p 1, 3, 4, 4.125, 3.5625
const DW_M = [[-0.5, -2, 1], [-1, -0.75, 2], [-1.5, -0.25, 1], [-2, -0.25, 0.125], [-2.5, -0.125, -0.5625]];
const P_M = [[-0.5, -2, 1], [-1.5, -2.75, 3], [-3, -3, 4], [-5, -3.25, 4.125], [-7.5, -3.375, 3.5625]];

for (const isa of isas) {
  describe(`delta-bar-delta ${isa}`, () => {
    const e = engineFor(isa);

    it('five steps worked out by hand from Jacobs\' rule', () => {
      const { f32, f64 } = runBoth(e, deltaBarDelta, withDefaults(deltaBarDelta, HAND), [0, 0, 0], GRADS);
      for (let t = 0; t < GRADS.length; t++) {
        for (const [form, run] of [['f32', f32], ['f64', f64]] as const) {
          const at = `${form} t=${t + 1}`;
          exactly(run.s[t].learning_rate, LR[t], `${at} learning_rate`);
          exactly(run.s[t].delta_bar, BAR[t], `${at} delta_bar`);
          exactly(run.p[t], P[t], `${at} p`);
          expect(run.s[t].prev_update, 'no momentum, no prev_update').toBeUndefined();
        }
      }
    });

    it('with momentum μ = 0.5: the same rates, heavy-ball steps', () => {
      const { f32, f64 } = runBoth(e, deltaBarDelta, withDefaults(deltaBarDelta, { ...HAND, momentum: 0.5 }), [0, 0, 0], GRADS);
      for (let t = 0; t < GRADS.length; t++) {
        for (const [form, run] of [['f32', f32], ['f64', f64]] as const) {
          const at = `${form} t=${t + 1}`;
          exactly(run.s[t].learning_rate, LR[t], `${at} learning_rate`);
          exactly(run.s[t].delta_bar, BAR[t], `${at} delta_bar`);
          exactly(run.s[t].prev_update, DW_M[t], `${at} prev_update`);
          exactly(run.p[t], P_M[t], `${at} p`);
        }
      }
    });

    it('coupled weight decay: δ = g + wd·p drives both the rate and the step', () => {
      // p = [2], g = [−0.125], wd = 0.125: δ = 0.125; t1: p = 2 − 0.5·0.125 = 1.9375;
      // t2: δ = −0.125 + 0.125·1.9375 = 0.1171875 agrees with δ̄ = 0.0625: ε = 0.75,
      //     p = 1.9375 − 0.75·0.1171875 = 1.849609375
      const { f32, f64 } = runBoth(e, deltaBarDelta, withDefaults(deltaBarDelta, { ...HAND, weight_decay: 0.125 }), [2], [[-0.125], [-0.125]]);
      for (const run of [f32, f64]) {
        exactly([run.p[0][0], run.p[1][0]], [1.9375, 1.849609375], 'p');
        exactly([run.s[1].learning_rate[0]], [0.75], 'learning_rate');
      }
    });

    const cases: Partial<DeltaBarDeltaHyper>[] = [
      {},
      { lr: 0.05, kappa: 0.01, phi: 0.3, theta: 0.5 },
      { momentum: 0.9, weight_decay: 1e-2 },
      { theta: 0, phi: 0 },                       // δ̄ = δ(t−1); rates only grow
    ];
    for (const o of cases) {
      it(`${JSON.stringify(o)}: wasm f32 agrees with the f64 reference over ${STEPS} steps`, () => {
        const h = withDefaults(deltaBarDelta, o);
        for (const n of SIZES) {
          const r = rng(1000 * n + 13);
          const p0 = Array.from({ length: n }, () => 2 * r() - 1);
          const bias = Array.from({ length: n }, () => 2 * r() - 1);
          const grads = Array.from({ length: STEPS }, () => bias.map((b) => b + 0.8 * (2 * r() - 1)));
          const { f32, f64 } = runBoth(e, deltaBarDelta, h, p0, grads);
          const scale = (series: Float64Array[], i: number, floor: number) => Math.max(floor, ...series.map((x) => Math.abs(x[i])));
          const pStart = Float64Array.from(p0, Math.fround);
          const last = STEPS - 1;
          for (let i = 0; i < n; i++) {
            const sp = scale([pStart, ...f64.p], i, 1e-3);
            expect(Math.abs(f32.p[last][i] - f64.p[last][i]), `n=${n} p[${i}]`).toBeLessThanOrEqual(TOL * sp);
            for (const k of Object.keys(f64.s[last])) {
              const ss = scale(f64.s.map((s) => s[k]), i, Number.MIN_VALUE);
              expect(Math.abs(f32.s[last][k][i] - f64.s[last][k][i]), `n=${n} ${k}[${i}]`).toBeLessThanOrEqual(TOL * ss);
            }
          }
        }
      });
    }
  });
}

describe('delta-bar-delta: defaults, state and hyper-parameters', () => {
  it('defaults and state buffers', () => {
    expect(deltaBarDelta.defaults).toEqual({ lr: 0.01, kappa: 1e-3, phi: 0.1, theta: 0.7, momentum: 0, weight_decay: 0 });
    const h = withDefaults(deltaBarDelta, { lr: 0.03 });
    expect(deltaBarDelta.initState('learning_rate', h)).toBe(0.03);
    expect(deltaBarDelta.initState('delta_bar', h)).toBe(0);
    expect(() => deltaBarDelta.initState('exp_avg', h)).toThrow('delta-bar-delta: unknown state buffer "exp_avg"');
    const used = (o: Partial<DeltaBarDeltaHyper>) => deltaBarDelta.stateNames.filter((s) => deltaBarDelta.uses(s, withDefaults(deltaBarDelta, o)));
    expect(used({})).toEqual(['learning_rate', 'delta_bar']);
    expect(used({ momentum: 0.9 })).toEqual(['learning_rate', 'delta_bar', 'prev_update']);
    expect(deltaBarDelta.coefficients(1, withDefaults(deltaBarDelta), {})).toEqual([1e-3, 0.9, 0.7, 1 - 0.7, 0, 0]);
  });

  it('bad hyper-parameters throw a DescentError naming the option', () => {
    const bad: [Partial<DeltaBarDeltaHyper>, string][] = [
      [{ lr: 0 }, 'lr must be > 0, got 0'],
      [{ lr: NaN }, 'lr must be a finite number, got NaN'],
      [{ kappa: -1e-3 }, 'kappa must be ≥ 0, got -0.001'],
      [{ phi: 1 }, 'phi must be in [0, 1), got 1'],
      [{ theta: -0.1 }, 'theta must be in [0, 1), got -0.1'],
      [{ momentum: 1 }, 'momentum must be in [0, 1), got 1'],
      [{ weight_decay: -1 }, 'weight_decay must be ≥ 0, got -1'],
    ];
    for (const [o, msg] of bad) {
      expect(() => withDefaults(deltaBarDelta, o), JSON.stringify(o)).toThrow(DescentError);
      expect(() => withDefaults(deltaBarDelta, o)).toThrow(`delta-bar-delta: ${msg}`);
    }
    expect(() => withDefaults(deltaBarDelta, { eta: 0.1 } as never)).toThrow('delta-bar-delta: unknown hyper-parameter "eta"; known: lr, kappa');
  });
});
