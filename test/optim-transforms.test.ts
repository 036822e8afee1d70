// Composable transforms (src/optim/transforms.ts): every named optimizer built as a chain of
// transforms plus apply gives the same bits as its fused kernel, for every ISA; chain semantics
// against hand-written f64 loops; errors that name the transform and the option.
//
// Equality test: each case runs 20 steps on vectors of 1, 3, 7, 17, 129 and 1000 floats (every
// tail length, the SIMD body, enough elements for rare branches) with a fresh seeded gradient
// per step (a fixed per-element bias plus noise, so some signs persist and others flip, and
// about one element in 16 exactly 0). The fused side is the optimizer object of optimizer.ts
// (the rule's fused kernel over one segment), the composed side composed(name, hyper).step.
// Parameters are compared after every step, every state buffer at the end: bit for bit.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { DescentError } from '../src/engine/errors.js';
import type { Tensor } from '../src/engine/tensor.js';
import { optimizer } from '../src/optim/optimizer.js';
import * as schedules from '../src/optim/schedules.js';
import {
  addDecayedWeights, apply, chain, composed, COMPOSED_NAMES, scaleByAdadelta, scaleByAdagrad, scaleByAdam,
  scaleByAdamax, scaleByNadam, scaleByRadam, scaleByRms, scaleByRprop, trace, type Transform,
} from '../src/optim/transforms.js';
import { bits, rng } from './reference.js';
import { engineFor, isas } from './engines.js';

const SIZES = [1, 3, 7, 17, 129, 1000];
const STEPS = 20;

type Spec = Record<string, unknown>;
const warmCosine = schedules.warmup(schedules.cosine(1e-2, { tMax: 15 }), { steps: 5 });
const CASES: [string, Spec][] = [
  ['sgd', { lr: 0.1 }],
  ['sgd', { lr: 0.05, momentum: 0.9, dampening: 0.3, weight_decay: 1e-2 }],
  ['sgd', { lr: schedules.cosine(0.1, { tMax: 20 }), momentum: (t: number) => Math.min(0.9, 0.5 + 0.05 * t) }],
  ['momentum', { lr: 0.05 }],
  ['nesterov', { lr: 0.05, weight_decay: 1e-3 }],
  ['adagrad', {}],
  ['adagrad', { lr: 0.1, lr_decay: 0.05, weight_decay: 1e-2, initial_accumulator_value: 0.1 }],
  ['rmsprop', {}],
  ['rmsprop', { momentum: 0.9, lr: 1e-3 }],
  ['rmsprop', { centered: true, momentum: 0.5, weight_decay: 1e-2, alpha: 0.9, lr: 1e-3 }],
  ['rmsprop', { centered: true, alpha: 0.3 }], // lerp weight 0.7: torch.lerp's second form
  ['adadelta', {}],
  ['adadelta', { lr: 0.5, rho: 0.95, weight_decay: 1e-2 }],
  ['adam', {}],
  ['adam', { weight_decay: 1e-2, lr: 1e-2 }],                 // coupled L2
  ['adam', { betas: [0.3, 0.99] }],
  ['adam', { lr: warmCosine, eps: (t: number) => 1e-8 * (1 + t) }],
  ['amsgrad', {}],
  ['adam', { betas: [0, 0.999], amsgrad: true }],
  ['adamw', {}],                                             // decoupled
  ['adamw', { amsgrad: true, lr: 1e-2, weight_decay: 0.1 }],
  ['adamw', { lr: warmCosine, weight_decay: (t: number) => 0.1 * 0.9 ** t }],
  ['adamax', {}],
  ['adamax', { weight_decay: 1e-2, betas: [0.2, 0.9] }],
  ['nadam', {}],
  ['nadam', { weight_decay: 1e-2 }],
  ['nadam', { decoupled_weight_decay: true, weight_decay: 0.1, momentum_decay: 0.1 }],
  ['radam', {}],                                             // rectified from step 6 on
  ['radam', { decoupled_weight_decay: true, weight_decay: 0.1 }],
  ['radam', { weight_decay: 1e-2, betas: [0.9, 0.9] }],
  ['rprop', {}],
  ['rprop', { lr: 0.1, etas: [0.3, 1.5], step_sizes: [1e-3, 0.5] }],
  ['rprop', { weight_decay: 1e-2 }],
  ['asgd', {}],                                              // t0 = 1e6: ax copies p
  ['asgd', { lr: 0.05, lambd: 0.01, t0: 4, weight_decay: 1e-2 }],  // averaging from step 6
  ['asgd', { lr: schedules.cosine(0.1, { tMax: 20 }), lambd: 0.1, alpha: 0.5, t0: (t: number) => (t < 5 ? 1e6 : 2) }],
];

const show = (name: string, spec: Spec): string =>
  `${name} ${JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'function' ? 'schedule' : v))}`;

/** n f32 gradients for one step: bias_i + 0.8·noise, and about 1 in 16 exactly 0. */
function gradient(bias: Float32Array, seed: number): Float32Array {
  const r = rng(seed);
  return bias.map((b) => (r() < 1 / 16 ? 0 : b + 0.8 * (2 * r() - 1)));
}

/** The optimizer object that runs the fused kernel for `name` (amsgrad is adam's flag there). */
const fusedOptimizer = (name: string, spec: Spec) =>
  name === 'amsgrad' ? optimizer('adam', { amsgrad: true, ...spec }) : optimizer(name, spec);

function runBoth(e: Engine, name: string, spec: Spec, n: number): void {
  e.scope(() => {
    const r = rng(1000 * n + 17);
    const p0 = Float32Array.from({ length: n }, () => 2 * r() - 1);
    const bias = Float32Array.from({ length: n }, () => 2 * r() - 1);
    const label = `${show(name, spec)} n=${n}`;
    const fused = fusedOptimizer(name, spec);
    const comp = composed(name, spec);
    const arena = e.arena('composed state');
    const state = comp.init(n, arena);
    const Pf = e.tensor([n], p0), Pc = e.tensor([n], p0), G = e.zeros([n]);
    try {
      for (let t = 1; t <= STEPS; t++) {
        const g = gradient(bias, 31 * n + t);
        G.data.set(g);
        fused.step(Pf, G, { step: t - 1, epoch: 0 });
        comp.step(Pc, G, state, t);
        expect(bits(G.toArray()), `${label}: the gradient was modified`).toEqual(bits(g));
        expect(bits(Pc.toArray()), `${label}: parameters after step ${t}`).toEqual(bits(Pf.toArray()));
      }
      const want = fused.stateDict().buffers;
      const got = { ...state.transform.buffers, ...state.average?.buffers };
      expect(Object.keys(got).sort(), `${label}: state buffers`).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) expect(bits(got[k].toArray()), `${label}: ${k}`).toEqual(bits(want[k]));
    } finally {
      arena.release();
      fused.release();
    }
  });
}

for (const isa of isas) {
  describe(`fused == composed, bit for bit (${isa})`, () => {
    const e = engineFor(isa);
    for (const [name, spec] of CASES) {
      it(`${show(name, spec)}: parameters and state over ${STEPS} steps`, () => {
        for (const n of SIZES) runBoth(e, name, spec, n);
      });
    }
  });
}

describe('transforms: chain semantics against f64 loops', () => {
  const e = engineFor(isas[0]);
  const n = 9, wd = 0.05, mu = 0.8, damp = 0.25, lr = 0.1;
  const r = rng(5);
  const p0 = Float64Array.from({ length: n }, () => Math.fround(2 * r() - 1));
  const grads = Array.from({ length: 5 }, () => Float64Array.from({ length: n }, () => Math.fround(2 * r() - 1)));

  /** Runs `tr` + apply(−lr) for the gradients above; returns p after each step. */
  function run(tr: Transform): Float32Array[] {
    return e.scope(() => {
      const arena = e.arena('chain test');
      const st = tr.init(n, arena), P = e.tensor([n], p0), U = e.zeros([n]);
      const out = grads.map((g, i) => {
        U.data.set(g);
        tr.update(U, st, P, i + 1);
        apply(P, U, -lr);
        return P.toArray();
      });
      arena.release();
      return out;
    });
  }
  /** The same in f64: decay before or after the momentum trace. */
  function reference(decayFirst: boolean, nesterov: boolean): Float64Array[] {
    const p = p0.slice(), b = new Float64Array(n);
    return grads.map((g, s) => {
      for (let i = 0; i < n; i++) {
        let u = g[i];
        if (decayFirst) u += wd * p[i];
        b[i] = s === 0 ? u : mu * b[i] + (1 - damp) * u;
        u = nesterov ? u + mu * b[i] : b[i];
        if (!decayFirst) u += wd * p[i];
        p[i] -= lr * u;
      }
      return p.slice();
    });
  }
  const close = (got: Float32Array[], want: Float64Array[]) => {
    got.forEach((p, s) => p.forEach((x, i) => expect(Math.abs(x - want[s][i]), `step ${s + 1} element ${i}`).toBeLessThanOrEqual(1e-6)));
  };

  it('chain(addDecayedWeights, trace): L2 decay enters the momentum', () => {
    close(run(chain(addDecayedWeights(wd), trace({ momentum: mu, dampening: damp }))), reference(true, false));
  });

  it('chain(trace, addDecayedWeights): the decay is added after the momentum, a different optimizer', () => {
    const after = run(chain(trace({ momentum: mu, dampening: damp }), addDecayedWeights(wd)));
    close(after, reference(false, false));
    expect(Math.abs(after[4][0] - reference(true, false)[4][0])).toBeGreaterThan(1e-4);
  });

  it('Nesterov: u + μ·b', () => {
    close(run(chain(addDecayedWeights(wd), trace({ momentum: mu, nesterov: true }))), (() => {
      const p = p0.slice(), b = new Float64Array(n);
      return grads.map((g, s) => {
        for (let i = 0; i < n; i++) {
          const u = g[i] + wd * p[i];
          b[i] = s === 0 ? u : mu * b[i] + u;
          p[i] -= lr * (u + mu * b[i]);
        }
        return p.slice();
      });
    })());
  });

  it('Adam on f(x) = Σx², five steps: the worked example', () => {
    // x0 = [1, −2, 0.5], lr 0.1, defaults otherwise; the gradient is 2x.
    const x0 = [1, -2, 0.5], b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const x = x0.slice(), m = [0, 0, 0], v = [0, 0, 0];
    const want: number[][] = [];
    for (let t = 1; t <= 5; t++) {
      for (let i = 0; i < 3; i++) {
        const g = 2 * x[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        x[i] -= 0.1 * (m[i] / (1 - b1 ** t)) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
      }
      want.push(x.slice());
    }
    // step 1 moves every coordinate by lr against its sign (m̂ = g, v̂ = g²)
    expect(want[0].map((xi, i) => xi - x0[i])).toEqual([-0.1, 0.1, -0.1].map((d) => expect.closeTo(d, 7)));
    e.scope(() => {
      const arena = e.arena('adam example');
      const c = composed('adam', { lr: 0.1 });
      const st = c.init(3, arena), X = e.tensor([3], x0), G = e.zeros([3]);
      for (let t = 1; t <= 5; t++) {
        G.data.set(X.data.map((xi) => 2 * xi));
        c.step(X, G, st, t);
        X.data.forEach((xi, i) => expect(xi, `step ${t} x[${i}]`).toBeCloseTo(want[t - 1][i], 6));
      }
      arena.release();
    });
  });

  it('a user transform (plain init/update) chains with the built-in ones', () => {
    const double: Transform = {
      name: 'double',
      init: () => ({ buffers: {}, scalars: {} }),
      update: (u: Tensor) => { u.engine.kernels.scal(u.size, 2, u.pointer()); },
    };
    const once = run(chain(addDecayedWeights(wd), trace({ momentum: mu, dampening: damp })));
    const twice = run(chain(addDecayedWeights(wd), trace({ momentum: mu, dampening: damp }), double));
    // doubling u doubles each step's move; compare the first step exactly
    for (let i = 0; i < n; i++) expect(twice[0][i] - p0[i]).toBeCloseTo(2 * (once[0][i] - p0[i]), 6);
  });

  it('every name composes, and the chain holds torch\'s state names', () => {
    const names = (name: string, spec: Spec = {}) => e.scope(() => {
      const arena = e.arena('names');
      const keys = Object.keys(composed(name, spec).init(4, arena).transform.buffers);
      arena.release();
      return keys;
    });
    for (const name of COMPOSED_NAMES) expect(() => names(name)).not.toThrow();
    expect(names('adam')).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(names('amsgrad')).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    expect(names('sgd')).toEqual([]);
    expect(names('nesterov')).toEqual(['momentum_buffer']);
    expect(names('rmsprop', { centered: true, momentum: 0.9 })).toEqual(['square_avg', 'grad_avg', 'momentum_buffer']);
    expect(names('rprop')).toEqual(['prev', 'step_size']);
    expect(composed('adamw', { lr: 0.01, weight_decay: 0.1 }).paramFactor(1)).toBe(1 - 0.01 * 0.1);
    expect(composed('adam', { lr: 0.01, weight_decay: 0.1 }).paramFactor(1)).toBe(1);
    expect(composed('adagrad', { lr: 0.1, lr_decay: 0.5 }).scale(3)).toBe(-0.1 / 2);
    expect(composed('rprop').scale(1)).toBe(-1);
    expect(composed('adam', { lr: schedules.step(0.1, { stepSize: 2 }) }).scale(3)).toBeCloseTo(-0.01, 15); // schedule at t − 1 = 2
  });
});

describe('transforms: errors name the transform and the option', () => {
  const e = engineFor(isas[0]);

  it('bad options', () => {
    expect(() => scaleByAdam({ betas: [0.9, 1] })).toThrow('scaleByAdam: betas must be two numbers in [0, 1), got [0.9,1]');
    expect(() => scaleByAdam({ beta1: 0.9 } as never)).toThrow('scaleByAdam: unknown option "beta1"; known: betas, eps, amsgrad');
    expect(() => scaleByAdam({ amsgrad: 1 } as never)).toThrow('scaleByAdam: amsgrad must be true or false, got 1');
    expect(() => scaleByRms({ alpha: 1.5 })).toThrow('scaleByRms: alpha must be in [0, 1], got 1.5');
    expect(() => scaleByRms({ eps: -1 })).toThrow('scaleByRms: eps must be a finite number ≥ 0 or a schedule');
    expect(() => scaleByAdadelta({ rho: 2 })).toThrow('scaleByAdadelta: rho must be in [0, 1], got 2');
    expect(() => scaleByAdagrad({ initial_accumulator_value: -1 })).toThrow('scaleByAdagrad: initial_accumulator_value must be a finite number ≥ 0, got -1');
    expect(() => scaleByAdamax({ betas: [1, 0.9] })).toThrow('scaleByAdamax: betas');
    expect(() => scaleByNadam({ momentum_decay: NaN })).toThrow('scaleByNadam: momentum_decay must be a finite number ≥ 0');
    expect(() => scaleByRadam({ eps: 'x' as never })).toThrow('scaleByRadam: eps must be a finite number ≥ 0');
    expect(() => scaleByRprop({ etas: [1.2, 0.5] })).toThrow('scaleByRprop: etas must satisfy 0 < η− < 1 < η+, got [1.2,0.5]');
    expect(() => scaleByRprop({ step_sizes: [1, 0.1] })).toThrow('scaleByRprop: step_sizes must satisfy 0 ≤ min ≤ max');
    expect(() => trace({ nesterov: true, dampening: 0.1 })).toThrow('trace: nesterov momentum requires momentum > 0 and dampening = 0');
    expect(() => addDecayedWeights(NaN)).toThrow('addDecayedWeights: weightDecay must be a finite number ≥ 0 or a schedule');
    expect(() => chain(scaleByAdam(), 3 as never)).toThrow('chain: argument 1 is not a transform');
    expect(() => apply(e.zeros([2]), e.zeros([2]), NaN)).toThrow('apply: scale must be a finite number, got NaN');
    expect(() => composed('adamx')).toThrow('composed: unknown optimizer "adamx"; known: sgd');
    expect(() => composed('adam', { beta1: 0.9 })).toThrow('adam: unknown hyper-parameter "beta1"');
    expect(() => composed('sgd', { nesterov: true })).toThrow('sgd: nesterov momentum requires momentum > 0 and dampening = 0');
    expect(() => composed('adam', { lr: -1 })).toThrow('adam: lr must be a finite number ≥ 0');
    for (const f of [() => scaleByAdam({ betas: [0.9, 1] }), () => composed('adamx')]) expect(f).toThrow(DescentError);
  });

  it('bad vectors, state and steps', () => {
    e.scope(() => {
      const arena = e.arena('errors');
      const adamT = scaleByAdam(), st = adamT.init(4, arena);
      const u4 = e.zeros([4]), p4 = e.zeros([4]);
      expect(() => adamT.init(-1, arena)).toThrow('scaleByAdam.init: n must be a non-negative integer, got -1');
      expect(() => adamT.update(u4, st, e.zeros([5]), 1)).toThrow('scaleByAdam.update: updates has 4 elements, params 5');
      expect(() => adamT.update(e.zeros([5]), st, e.zeros([5]), 1)).toThrow('scaleByAdam.update: state buffer exp_avg holds 4 floats, the updates 5');
      expect(() => adamT.update(u4, scaleByRms().init(4, arena), p4, 1)).toThrow('scaleByAdam.update: state has no buffer "exp_avg"');
      expect(() => adamT.update(u4, st, p4, 0)).toThrow('scaleByAdam.update: t must be the 1-based step number, got 0');
      expect(() => chain(adamT).update(u4, st, p4, 1)).toThrow('the state was not made by this chain\'s init');
      arena.release();
    });
  });

  it('a schedule that turns bad stops the chain before anything changes', () => {
    e.scope(() => {
      const arena = e.arena('atomic');
      const tr = chain(scaleByAdam(), addDecayedWeights((t) => (t < 3 ? 0.1 : NaN)));
      const st = tr.init(5, arena), U = e.tensor([5], [1, 2, 3, 4, 5]), P = e.tensor([5], [1, 1, 1, 1, 1]);
      for (let t = 1; t <= 3; t++) { U.data.set([1, 2, 3, 4, 5]); tr.update(U, st, P, t); }
      const m = st.buffers.exp_avg.toArray(), u = Float32Array.of(1, 2, 3, 4, 5);
      U.data.set(u);
      expect(() => tr.update(U, st, P, 4)).toThrow('addDecayedWeights: weightDecay returned NaN at step 3');
      expect(bits(st.buffers.exp_avg.toArray())).toEqual(bits(m));
      expect(bits(U.toArray())).toEqual(bits(u));
      arena.release();
    });
  });
});
