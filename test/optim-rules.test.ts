// Optimizer update rules (src/optim/rules.ts): the fused f32 wasm kernels against the f64
// references, for every ISA, plus worked examples written from the formulas.
//
// Agreement test: each rule and hyper-parameter set runs 20 steps on vectors of 1, 3, 7, 17, 129
// and 1000 floats (every tail length, the SIMD body, and enough elements for rare cases), with
// a fresh seeded gradient per step: a fixed per-element bias plus noise, so some signs persist
// (Rprop's steps grow) and others flip (they shrink). Both forms start from the same f32 values
// and share the f64 coefficients of each step; the kernel sees them rounded to f32.
//
// Tolerances. Every step rounds p, the state and each intermediate to f32 (2^-24 relative),
// and the coefficients too, once per step. The errors of one step are a few ulps of the
// magnitudes involved then (|p|, |update|, |state|), and later steps carry them forward, so
// the honest scale of an element's error is the largest magnitude its f64 value took along
// the run (start included), not its final value: a p that travels from 0.9 to 0.001 keeps
// the absolute error it picked up near 0.9, and an exp_avg that averages ±1 gradients to
// near 0 keeps the rounding of those ±1 terms. After 20 steps that is ≲ 20·(a few)·2^-24 ≈
// 4e-6 of the scale. We assert, per element,
//   |x32 − x64| ≤ TOL · max(max_t |x64_t|, floor) · κ,   TOL = 1e-5,
// floor 1e-3 for parameters (0 for state), κ = 1 except for centered RMSprop (below).
// Measured worst over all cases and both builds: 1.2e-6 (NAdam and RAdam with decoupled decay:
// the f32 rounding of the factor 1 − lr·wd repeats every step), 1.0e-6 (Rprop), ≤ 1e-6 for the
// rest; DESCENT_OPTIM_REPORT=1 prints them per case and buffer.
// Centered RMSprop divides by √(sq − ga²), the square root of a difference that cancels when
// the gradient's mean dominates its spread: its relative error is κ = sq/(sq − ga²) times
// that of sq (the same in torch). With α = 0.3 below, κ reaches ~860 and p errs by 2e-5 of its
// scale; so for p and momentum_buffer of centered RMSprop the bound is multiplied by each
// element's largest κ along the run (measured then: error ≤ 5e-8·scale·κ).
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import type { Tensor } from '../src/engine/tensor.js';
import {
  adadelta, adagrad, adam, adamax, adamw, nadam, radam, rmsprop, rprop, rules, sgd, withDefaults,
  type Rule, type Scalars, type SgdHyper,
} from '../src/optim/rules.js';
import { bits, rng } from './reference.js';
import { engineFor, isas } from './engines.js';

const f = Math.fround;
const SIZES = [1, 3, 7, 17, 129, 1000];
const STEPS = 20;
const TOL = 1e-5;
const REPORT = process.env.DESCENT_OPTIM_REPORT === '1';

interface Case { label: string; rule: Rule<object>; hyper: object }
function kase<H extends object>(rule: Rule<H>, o: Partial<H> = {}): Case {
  return { label: `${rule.name} ${JSON.stringify(o)}`, rule: rule as unknown as Rule<object>, hyper: withDefaults(rule, o) };
}

const CASES: Case[] = [
  kase(sgd, { lr: 0.1 }),
  kase(sgd, { lr: 0.05, momentum: 0.9 }),
  kase(sgd, { lr: 0.05, momentum: 0.9, dampening: 0.3, weight_decay: 1e-2 }),
  kase(sgd, { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-3 }),
  kase(adagrad),
  kase(adagrad, { lr: 0.1, lr_decay: 0.05, weight_decay: 1e-2, initial_accumulator_value: 0.1 }),
  kase(rmsprop),
  kase(rmsprop, { centered: true }),
  kase(rmsprop, { momentum: 0.9, lr: 1e-3 }),
  kase(rmsprop, { centered: true, momentum: 0.5, weight_decay: 1e-2, alpha: 0.9, lr: 1e-3 }),
  kase(rmsprop, { centered: true, alpha: 0.3 }), // lerp weight 0.7: torch.lerp's second form
  kase(adadelta),
  kase(adadelta, { lr: 0.5, rho: 0.95, weight_decay: 1e-2 }),
  kase(adam),
  kase(adam, { amsgrad: true }),
  kase(adam, { weight_decay: 1e-2, lr: 1e-2 }),
  kase(adam, { betas: [0.3, 0.99] }),            // lerp weight 0.7
  kase(adam, { betas: [0, 0.999], amsgrad: true }), // m = g exactly
  kase(adamw),
  kase(adamw, { amsgrad: true, lr: 1e-2, weight_decay: 0.1 }),
  kase(adamax),
  kase(adamax, { weight_decay: 1e-2, betas: [0.2, 0.9] }),
  kase(nadam),
  kase(nadam, { weight_decay: 1e-2 }),
  kase(nadam, { decoupled_weight_decay: true, weight_decay: 0.1, momentum_decay: 0.1 }),
  kase(radam),                                    // rectified from step 6 on (ρ_t > 5)
  kase(radam, { decoupled_weight_decay: true, weight_decay: 0.1 }),
  kase(radam, { weight_decay: 1e-2, betas: [0.9, 0.9] }), // ρ∞ = 19: other rectification factors
  kase(rprop),
  kase(rprop, { lr: 0.1, etas: [0.3, 1.5], step_sizes: [1e-3, 0.5] }), // both clamps reached
  kase(rprop, { weight_decay: 1e-2 }),
];

/** n f32 gradients for step t: bias_i + 0.8·noise, bias fixed per element. */
function gradient(bias: Float32Array, seed: number): Float32Array {
  const r = rng(seed);
  return bias.map((b) => b + 0.8 * (2 * r() - 1));
}

interface Buffers {
  P: Tensor; G: Tensor; S: Record<string, Tensor>;
  p64: Float64Array; s64: Record<string, Float64Array>;
  /** Per element, the largest magnitude the f64 value took so far (the error scale). */
  pMax: Float64Array; sMax: Record<string, Float64Array>;
  /** Per element, the largest condition number of the step's denominator (1 but for centered RMSprop). */
  kappa: Float64Array;
}

function setup(e: Engine, c: Case, p0: Float32Array): Buffers {
  const n = p0.length;
  const P = e.tensor([n], p0), G = e.zeros([n]);
  const S: Record<string, Tensor> = {}, s64: Record<string, Float64Array> = {}, sMax: Record<string, Float64Array> = {};
  for (const name of c.rule.stateNames.filter((s) => c.rule.uses(s, c.hyper))) {
    const v = f(c.rule.initState(name, c.hyper));
    S[name] = e.tensor([n], new Float32Array(n).fill(v));
    s64[name] = new Float64Array(n).fill(v);
    sMax[name] = new Float64Array(n).fill(Math.abs(v));
  }
  return { P, G, S, p64: Float64Array.from(p0), s64, pMax: Float64Array.from(p0, Math.abs), sMax, kappa: new Float64Array(n).fill(1) };
}

function trackMax(max: Float64Array, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) max[i] = Math.max(max[i], Math.abs(x[i]));
}

/** One step in both forms with the same coefficients; checks g is left alone. */
function stepBoth(e: Engine, c: Case, b: Buffers, t: number, g: Float32Array, sc: Scalars): void {
  const n = g.length;
  b.G.data.set(g);
  const coeffs = c.rule.coefficients(t, c.hyper, sc);
  const ptrs: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.S)) ptrs[k] = v.pointer();
  c.rule.kernel(e.kernels, n, b.P.pointer(), b.G.pointer(), ptrs, coeffs, c.hyper);
  c.rule.step64(b.p64, Float64Array.from(g), b.s64, coeffs, c.hyper);
  trackMax(b.pMax, b.p64);
  for (const k of Object.keys(b.s64)) trackMax(b.sMax[k], b.s64[k]);
  const { square_avg: sq, grad_avg: ga } = b.s64;
  if (c.rule.name === 'rmsprop' && ga) {
    for (let i = 0; i < n; i++) b.kappa[i] = Math.max(b.kappa[i], sq[i] / (sq[i] - ga[i] * ga[i]));
  }
  expect(bits(b.G.toArray()), `${c.label}: the kernel wrote to g`).toEqual(bits(g));
}

/** Largest error relative to max(scale_i, floor)·kappa_i, and where. */
function worst(got: Float32Array, want: Float64Array, scale: Float64Array, floor: number, kappa?: Float64Array): { err: number; at: number } {
  let err = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (Math.max(scale[i], floor) * (kappa ? kappa[i] : 1));
    if (!(d <= err)) { err = d; at = i; } // NaN counts as worst
  }
  return { err, at };
}

interface SmallRun {
  p32: Float32Array[]; p64: Float64Array[];
  s32: Record<string, Float32Array>[]; s64: Record<string, Float64Array>[];
}

/** Runs both forms on the given gradients; snapshots after every step. */
function runSmall<H extends object>(e: Engine, rule: Rule<H>, hyper: H, p0: number[], grads: number[][]): SmallRun {
  const c: Case = { label: rule.name, rule: rule as unknown as Rule<object>, hyper };
  const out: SmallRun = { p32: [], p64: [], s32: [], s64: [] };
  e.scope(() => {
    const b = setup(e, c, Float32Array.from(p0));
    const sc = rule.initScalars(hyper);
    grads.forEach((g, t) => {
      stepBoth(e, c, b, t + 1, Float32Array.from(g), sc);
      out.p32.push(b.P.toArray());
      out.p64.push(b.p64.slice());
      out.s32.push(Object.fromEntries(Object.entries(b.S).map(([k, v]) => [k, v.toArray()])));
      out.s64.push(Object.fromEntries(Object.entries(b.s64).map(([k, v]) => [k, v.slice()])));
    });
  });
  return out;
}

for (const isa of isas) {
  describe(`optimizer rules ${isa}`, () => {
    const e = engineFor(isa);
    const measured = new Map<string, number>();

    for (const c of CASES) {
      it(`${c.label}: wasm f32 agrees with the f64 reference over ${STEPS} steps`, () => {
        for (const n of SIZES) {
          e.scope(() => {
            const r = rng(1000 * n + 7);
            const p0 = Float32Array.from({ length: n }, () => 2 * r() - 1);
            const bias = Float32Array.from({ length: n }, () => 2 * r() - 1);
            const b = setup(e, c, p0);
            const sc = c.rule.initScalars(c.hyper);
            for (let t = 1; t <= STEPS; t++) stepBoth(e, c, b, t, gradient(bias, 31 * n + t), sc);

            const wp = worst(b.P.toArray(), b.p64, b.pMax, 1e-3, b.kappa);
            measured.set(`${c.label} p`, Math.max(measured.get(`${c.label} p`) ?? 0, wp.err));
            expect(wp.err, `${c.label} n=${n}: p[${wp.at}] = ${b.P.data[wp.at]} vs ${b.p64[wp.at]}`).toBeLessThanOrEqual(TOL);
            for (const [name, t32] of Object.entries(b.S)) {
              const w = b.s64[name];
              const ws = worst(t32.toArray(), w, b.sMax[name], Number.MIN_VALUE, name === 'momentum_buffer' ? b.kappa : undefined);
              measured.set(`${c.label} ${name}`, Math.max(measured.get(`${c.label} ${name}`) ?? 0, ws.err));
              expect(ws.err, `${c.label} n=${n}: ${name}[${ws.at}] = ${t32.data[ws.at]} vs ${w[ws.at]}`).toBeLessThanOrEqual(TOL);
            }
          });
        }
      });
    }

    it('Adam: the first two steps written out from the formulas', () => {
      // lr 0.1, β = (0.9, 0.999), ε = 1e-8, p0 = [1, −2], g1 = [0.5, −1], g2 = [−0.25, 2]
      const lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const p0 = [1, -2], g1 = [0.5, -1], g2 = [-0.25, 2];
      const m1 = g1.map((g) => (1 - b1) * g), v1 = g1.map((g) => (1 - b2) * g * g);
      // step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε): ≈ lr·sign(g)
      const p1 = p0.map((p, i) => p - (lr / (1 - b1)) * m1[i] / (Math.sqrt(v1[i]) / Math.sqrt(1 - b2) + eps));
      const m2 = m1.map((m, i) => b1 * m + (1 - b1) * g2[i]), v2 = v1.map((v, i) => b2 * v + (1 - b2) * g2[i] ** 2);
      const bc1 = 1 - b1 ** 2, bc2 = 1 - b2 ** 2;
      const p2 = p1.map((p, i) => p - (lr / bc1) * m2[i] / (Math.sqrt(v2[i]) / Math.sqrt(bc2) + eps));
      // the same numbers by hand: m2 = [0.02, 0.11], v2 = [3.1225e-4, 4.999e-3], bc1 = 0.19, bc2 = 1.999e-3
      expect(p1[0]).toBeCloseTo(0.9, 8);
      expect(p1[1]).toBeCloseTo(-1.9, 8);
      expect(p2[0]).toBeCloseTo(0.9 - (0.1 / 0.19) * 0.02 / Math.sqrt(3.1225e-4 / 1.999e-3), 8);
      expect(p2[1]).toBeCloseTo(-1.9 - (0.1 / 0.19) * 0.11 / Math.sqrt(4.999e-3 / 1.999e-3), 8);
      const run = runSmall(e, adam, withDefaults(adam, { lr }), p0, [g1, g2]);
      for (const [t, want] of [[0, p1], [1, p2]] as const) {
        for (let i = 0; i < 2; i++) {
          expect(run.p64[t][i]).toBeCloseTo(want[i], 14);
          expect(run.p32[t][i]).toBeCloseTo(want[i], 6);
        }
      }
      expect(Array.from(run.s64[1].exp_avg)).toEqual(m2.map((x) => expect.closeTo(x, 15)));
      expect(Array.from(run.s64[1].exp_avg_sq)).toEqual(v2.map((x) => expect.closeTo(x, 15)));
    });

    it('SGD momentum (plain, dampened, Nesterov): the first two steps by hand', () => {
      // lr 0.1, μ 0.9, p0 = [1, −2], g1 = [0.5, −1], g2 = [−0.25, 2]; PyTorch: b1 = g1 (no dampening)
      const p0 = [1, -2], grads = [[0.5, -1], [-0.25, 2]];
      const cases: [Partial<SgdHyper>, number[][], number[][]][] = [
        // b1 = [0.5, −1], p1 = p0 − 0.1·b1; b2 = 0.9·b1 + g2 = [0.2, 1.1], p2 = p1 − 0.1·b2
        [{ lr: 0.1, momentum: 0.9 }, [[0.95, -1.9], [0.93, -2.01]], [[0.5, -1], [0.2, 1.1]]],
        // dampening 0.5: b1 = g1 still; b2 = 0.9·b1 + 0.5·g2 = [0.325, 0.1]
        [{ lr: 0.1, momentum: 0.9, dampening: 0.5 }, [[0.95, -1.9], [0.9175, -1.91]], [[0.5, -1], [0.325, 0.1]]],
        // Nesterov: d = g + 0.9·b: d1 = 1.9·g1 = [0.95, −1.9]; d2 = g2 + 0.9·[0.2, 1.1] = [−0.07, 2.99]
        [{ lr: 0.1, momentum: 0.9, nesterov: true }, [[0.905, -1.81], [0.912, -2.109]], [[0.5, -1], [0.2, 1.1]]],
      ];
      for (const [o, ps, bufs] of cases) {
        const run = runSmall(e, sgd, withDefaults(sgd, o), p0, grads);
        for (let t = 0; t < 2; t++) {
          for (let i = 0; i < 2; i++) {
            expect(run.p64[t][i], `${JSON.stringify(o)} p${t + 1}[${i}]`).toBeCloseTo(ps[t][i], 14);
            expect(run.p32[t][i], `${JSON.stringify(o)} p${t + 1}[${i}] f32`).toBeCloseTo(ps[t][i], 6);
            expect(run.s64[t].momentum_buffer[i]).toBeCloseTo(bufs[t][i], 14);
            expect(run.s32[t].momentum_buffer[i]).toBeCloseTo(bufs[t][i], 6);
          }
        }
      }
    });

    it('Adam with β1 = 0 keeps m = g exactly (torch.lerp\'s second form)', () => {
      const grads = [[0.3, -1e-3, 7, 0, -2.5], [1e-20, 0.1, -0.7, 3, 1]];
      const run = runSmall(e, adam, withDefaults(adam, { betas: [0, 0.999], weight_decay: 0 }), [1, 2, 3, 4, 5], grads);
      grads.forEach((g, t) => expect(bits(run.s32[t].exp_avg), `step ${t + 1}`).toEqual(bits(Float32Array.from(g))));
    });

    it('Rprop: step sizes and signs on a crafted gradient sequence', () => {
      // lr 0.1 (initial step), η = (0.5, 1.2), steps clamped to [0.04, 0.13]; four elements:
      //  0: +1 +1 +1 +1   same sign: 0.1, 0.12, 0.144 → 0.13, 0.156 → 0.13; p −= each step
      //  1: +1 −1 −1 +1   flip: 0.05, no move, prev = 0; then s = 0: keep 0.05 and move (+0.05);
      //                   flip again: 0.025 → 0.04 (the floor), no move
      //  2:  0  0  0  0   s = 0 and sign(0) = 0: the step stays at lr, p never moves
      //  3: −2 −3 +½ +½   0.1 (+0.1), 0.12 (+0.12), flip: 0.06, no move; s = 0: 0.06 (−0.06)
      const h = withDefaults(rprop, { lr: 0.1, etas: [0.5, 1.2], step_sizes: [0.04, 0.13] });
      const grads = [[1, 1, 0, -2], [1, -1, 0, -3], [1, -1, 0, 0.5], [1, 1, 0, 0.5]];
      const steps = [[0.1, 0.1, 0.1, 0.1], [0.12, 0.05, 0.1, 0.12], [0.13, 0.05, 0.1, 0.06], [0.13, 0.04, 0.1, 0.06]];
      const moves = [[-0.1, -0.1, 0, 0.1], [-0.12, 0, 0, 0.12], [-0.13, 0.05, 0, 0], [-0.13, 0, 0, -0.06]];
      const prevs = [[1, 1, 0, -2], [1, 0, 0, -3], [1, -1, 0, 0], [1, 0, 0, 0.5]];
      const run = runSmall(e, rprop, h, [1, 1, 1, 1], grads);
      const p = [1, 1, 1, 1];
      for (let t = 0; t < 4; t++) {
        for (let i = 0; i < 4; i++) {
          p[i] += moves[t][i];
          const at = `step ${t + 1} element ${i}`;
          expect(run.s64[t].step_size[i], at).toBeCloseTo(steps[t][i], 8); // started at f32(0.1)
          expect(run.s32[t].step_size[i], at).toBeCloseTo(steps[t][i], 6);
          expect(run.s32[t].prev[i], at).toBe(prevs[t][i]);
          expect(run.s64[t].prev[i], at).toBe(prevs[t][i]);
          expect(run.p64[t][i], at).toBeCloseTo(p[i], 8);
          expect(run.p32[t][i], at).toBeCloseTo(p[i], 6);
        }
      }
    });

    if (REPORT) {
      it('report', () => {
        for (const [k, v] of measured) console.log(`${isa} ${k}: ${v.toExponential(2)}`);
      });
    }
  });
}

describe('optimizer rules: state, coefficients and hyper-parameters', () => {
  it('state buffers start where PyTorch starts them', () => {
    expect(adagrad.initState('sum', withDefaults(adagrad, { initial_accumulator_value: 0.25 }))).toBe(0.25);
    expect(adagrad.initState('sum', withDefaults(adagrad))).toBe(0);
    expect(rprop.initState('step_size', withDefaults(rprop, { lr: 0.03 }))).toBe(0.03);
    expect(rprop.initState('prev', withDefaults(rprop, { lr: 0.03 }))).toBe(0);
    for (const r of Object.values(rules) as Rule<object>[]) {
      const h = withDefaults(r);
      for (const name of r.stateNames) {
        if ((r === adagrad && name === 'sum') || (r === rprop && name === 'step_size')) continue;
        expect(r.initState(name, h), `${r.name} ${name}`).toBe(0);
      }
      expect(() => r.initState('nope', h)).toThrow(`${r.name}: unknown state buffer "nope"`);
      expect(r.initScalars(h)).toEqual(r === nadam ? { mu_product: 1 } : {});
    }
  });

  it('only the buffers a configuration needs are used', () => {
    const used = <H extends object>(r: Rule<H>, o: Partial<H> = {}) => r.stateNames.filter((s) => r.uses(s, withDefaults(r, o)));
    expect(used(sgd)).toEqual([]);
    expect(used(sgd, { momentum: 0.9 })).toEqual(['momentum_buffer']);
    expect(used(rmsprop)).toEqual(['square_avg']);
    expect(used(rmsprop, { centered: true, momentum: 0.5 })).toEqual(['square_avg', 'grad_avg', 'momentum_buffer']);
    expect(used(adam)).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(used(adamw, { amsgrad: true })).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    expect(used(rprop)).toEqual(['prev', 'step_size']);
  });

  it('defaults are PyTorch\'s; adamw is adam with decoupled decay 1e-2', () => {
    expect(adam.defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, decoupled_weight_decay: false });
    expect(adamw.defaults).toEqual({ ...adam.defaults, weight_decay: 1e-2, decoupled_weight_decay: true });
    expect(rmsprop.defaults).toMatchObject({ lr: 1e-2, alpha: 0.99, eps: 1e-8 });
    expect(adadelta.defaults).toMatchObject({ lr: 1, rho: 0.9, eps: 1e-6 });
    expect(adagrad.defaults).toMatchObject({ lr: 1e-2, eps: 1e-10, lr_decay: 0, initial_accumulator_value: 0 });
    expect(adamax.defaults).toMatchObject({ lr: 2e-3, eps: 1e-8 });
    expect(nadam.defaults).toMatchObject({ lr: 2e-3, momentum_decay: 4e-3 });
    expect(rprop.defaults).toMatchObject({ lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50] });
  });

  it('NAdam: mu_product and the two step sizes of torch ≥ 2.0', () => {
    const h = withDefaults(nadam, { lr: 0.01 });
    const mu = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3));
    const sc = nadam.initScalars(h);
    const c1 = nadam.coefficients(1, h, sc);
    expect(sc.mu_product).toBe(mu(1));
    // [−lr, cg, cm, 1/bc2, …]: lr multiplies u = (cg·g' + cm·m)/denom, torch's steps are −lr·cg and −lr·cm
    expect(c1[0]).toBe(-0.01);
    expect(c1[1]).toBeCloseTo((1 - mu(1)) / (1 - mu(1)), 16);   // = 1 on the first step
    expect(c1[2]).toBeCloseTo(mu(2) / (1 - mu(1) * mu(2)), 16);
    const c2 = nadam.coefficients(2, h, sc);
    expect(sc.mu_product).toBeCloseTo(mu(1) * mu(2), 16);
    expect(c2[1]).toBeCloseTo((1 - mu(2)) / (1 - mu(1) * mu(2)), 16);
    // μ_2 counted once (PyTorch 1.13's differentiable path had Π_2·μ_2·μ_3 here)
    expect(c2[2]).toBeCloseTo(mu(3) / (1 - mu(1) * mu(2) * mu(3)), 16);
    expect(c2[3]).toBeCloseTo(1 / (1 - 0.999 ** 2), 12);
  });

  it('RAdam rectifies from the first step with ρ_t > 5 (step 6 with the defaults)', () => {
    const h = withDefaults(radam);
    const rect = (t: number) => radam.coefficients(t, h, {})[3];
    expect([1, 2, 3, 4, 5].map(rect)).toEqual([0, 0, 0, 0, 0]); // ρ_5 ≈ 4.996
    const rhoInf = 2 / (1 - 0.999) - 1, rho6 = rhoInf - (2 * 6 * 0.999 ** 6) / (1 - 0.999 ** 6);
    expect(rect(6)).toBeCloseTo(Math.sqrt(((rho6 - 4) * (rho6 - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho6)), 14);
  });

  it('Adagrad decays its learning rate as lr/(1 + (t − 1)·lr_decay)', () => {
    const h = withDefaults(adagrad, { lr: 0.1, lr_decay: 0.5 });
    expect([1, 2, 3].map((t) => adagrad.coefficients(t, h, {})[0])).toEqual([-0.1, -0.1 / 1.5, -0.1 / 2]);
  });

  it('hyper-parameters are checked, naming the rule and the value', () => {
    expect(() => withDefaults(adam, { beta1: 0.9 } as never)).toThrow('adam: unknown hyper-parameter "beta1"; known: lr, betas');
    expect(() => withDefaults(adam, { betas: [0.9, 1] })).toThrow('adam: betas must be two numbers in [0, 1), got [0.9,1]');
    expect(() => withDefaults(sgd, { lr: -1 })).toThrow('sgd: lr must be a finite number ≥ 0, got -1');
    expect(() => withDefaults(sgd, { nesterov: true })).toThrow('sgd: nesterov momentum requires momentum > 0 and dampening = 0');
    expect(() => withDefaults(rprop, { etas: [1.2, 0.5] })).toThrow('rprop: etas must satisfy 0 < η− < 1 < η+');
    expect(() => withDefaults(rmsprop, { eps: NaN })).toThrow('rmsprop: eps must be a finite number ≥ 0, got NaN');
  });
});
