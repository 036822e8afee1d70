// Composable update transforms (as in Optax): an optimizer is a chain of transforms of the
// update vector u followed by one step p ← p·factor + scale·u.
//
//   const t = chain(addDecayedWeights(1e-4), scaleByAdam({ betas: [0.9, 0.999] }));
//   const state = t.init(n, arena);
//   for (let step = 1; ; step++) {            // u holds a copy of the gradient
//     t.update(u, state, params, step);         // u ← transformed updates, state advanced
//     apply(params, u, -lr, 1);                 // p ← p + (−lr)·u
//   }
//
// A Transform has init(n, arena) → state (named f32 buffers of n floats in the arena, plus
// scalars) and update(updates, state, params, t), which rewrites the updates in place for step
// t = 1, 2, … (params are read only). Every number option may be a schedule (step) => value,
// evaluated at t − 1, the number of updates done before (as optimizer objects do). Each
// transform is one SIMD pass over u and its state (assembly/optim/transforms.ts):
//
//   addDecayedWeights(wd)            u ← u + wd·p                        coupled (L2) weight decay
//   trace({momentum μ, dampening d, nesterov})
//                                    b ← μ·b + (1 − d)·u (b = u on step 1); u ← nesterov ? u + μ·b : b
//                                    (torch.optim.SGD's momentum_buffer; skipped at steps with μ = 0)
//   scaleByAdagrad({eps, initial_accumulator_value})      s ← s + u²;  u ← u/(√s + ε)
//   scaleByRms({alpha α, eps, centered, momentum μ})      sq ← α·sq + (1 − α)u²;  centered: ga ←
//                                    lerp(ga, u, 1 − α), avg = √(sq − ga²) + ε, else avg = √sq + ε;
//                                    u ← u/avg;  μ > 0: b ← μ·b + u, u ← b
//   scaleByAdadelta({rho ρ, eps})    sq ← ρ·sq + (1 − ρ)u²;  δ = √(acc + ε)/√(sq + ε)·u;
//                                    acc ← ρ·acc + (1 − ρ)δ²;  u ← δ
//   scaleByAdam({betas, eps, amsgrad})  m ← lerp(m, u, 1 − β1);  v ← β2·v + (1 − β2)u²;
//                                    amsgrad: v̂ = vmax ← max(vmax, v);  u ← (m/bc1)/(√v̂/√bc2 + ε)
//   scaleByAdamax({betas, eps})      m ← lerp(m, u, 1 − β1);  r ← max(β2·r, |u| + ε);  u ← (m/bc1)/r
//   scaleByNadam({betas, eps, momentum_decay ψ})  m, v as Adam;  u ← (cg·u + cm·m)/(√(v/bc2) + ε)
//                                    with μ_t = β1(1 − ½·0.96^{tψ}), Π_t = μ_1⋯μ_t (scalar mu_product),
//                                    cg = (1 − μ_t)/(1 − Π_t), cm = μ_{t+1}/(1 − Π_t·μ_{t+1})
//   scaleByRadam({betas, eps})       m, v as Adam;  u ← m/bc1, and from the first step with ρ_t > 5
//                                    u ← (m/bc1)·(√bc2/(√v + ε))·r_t (rules.ts has ρ_t and r_t)
//   scaleByRprop({initial_step_size, etas, step_sizes})   torch's Rprop: step sizes grow by η+ while
//                                    the sign of u persists, shrink by η− when it flips (then u ← 0
//                                    for that step); u ← sign(u)·step.  Apply with scale −1.
//   chain(a, b, …)                   a, then b, …: the state is the list of their states
//   apply(p, u, scale, factor)       p ← p·factor + scale·u, one madd per element
//   averageParams({t0})              after apply: ax ← p while μ_t = 1, else ax ← ax + (p − ax)·μ_t,
//                                    μ_t = 1/max(1, t − 1 − t0) in float32 (torch.optim.ASGD's ax;
//                                    reads p, leaves u alone)
// with bc1 = 1 − β1^t, bc2 = 1 − β2^t; defaults are torch.optim's. State buffers carry
// torch.optim's names (momentum_buffer, sum, square_avg, grad_avg, acc_delta, exp_avg,
// exp_avg_sq, max_exp_avg_sq, exp_inf, prev, step_size).
//
// composed(name, hyper) builds every named optimizer of rules.ts from these pieces; hyper uses
// the rule's (PyTorch's) names and any number in it may be a schedule:
//   sgd (momentum, nesterov)  chain(addDecayedWeights(wd), trace(μ, d, nesterov)), scale −lr
//   adagrad                   chain(addDecayedWeights(wd), scaleByAdagrad), scale −lr/(1 + (t − 1)·lr_decay)
//   rmsprop / adadelta / adamax   chain(addDecayedWeights(wd), scaleBy…), scale −lr
//   adam, amsgrad, nadam, radam   chain(addDecayedWeights(wd), scaleBy…), scale −lr
//   adamw (decoupled_weight_decay)  chain(scaleByAdam), scale −lr, factor 1 − lr·wd
//   rprop                     chain(addDecayedWeights(wd), scaleByRprop(initial step lr)), scale −1
//   asgd                      chain(addDecayedWeights(wd)), scale −η_t, factor 1 − λ·η_t, then
//                             averageParams(t0) (asgd.ts: η_t from lr, lambd, alpha of the step before)
// Weight decay before the scaling is coupled L2 (Adam's weight_decay); as the parameter factor
// it is decoupled (AdamW): the difference is where it sits in the composition.
//
// Fused == composed, bit for bit. The fused kernels compute every element as the same three
// stages (assembly/optim/common.ts): [p·factor] → [g' = g + wd·p] → u = direction(g') →
// p·factor + scale·u, calling the same inline direction functions the transform kernels call,
// with coefficients from the same f64 helpers (rules.ts). Every intermediate is an f32 in both
// forms and the fused multiply-adds of the relaxed build sit at the same places, so
// composed(name, h).step gives the bits of the fused kernel for every ISA
// (test/optim-transforms.test.ts). The composed form costs more passes over memory: Adam's
// chain reads and writes u between passes, 44 bytes per parameter against the fused 28
// (bench/optim.mjs).
//
// Errors are DescentErrors naming the transform and the option: `scaleByAdam: betas must be two
// numbers in [0, 1), got [0.9,1]`. update() computes and checks every coefficient of a chain
// before any kernel runs, so a bad schedule value leaves updates and state unchanged.

import type { Arena } from '../engine/arena.js';
import { DescentError, show } from '../engine/errors.js';
import type { Kernels } from '../engine/kernels.js';
import { Tensor } from '../engine/tensor.js';
import {
  adagradLr, checkHyperSpec, adamCorrections, decoupledFactor, lerpCoef, lerpLarge, nadamCoefficients, radamCoefficients,
  rules, type Rule, type Scalars,
} from './rules.js';
import { asSchedule, type Schedule } from './schedules.js';
import { asgd, asgdEta, asgdMu } from './asgd.js';

/** A hyper-parameter: a number, or a schedule of the 0-based step. */
export type Hyper = number | Schedule;
export type Pair = readonly [number, number];

export interface TransformState {
  /** State buffers by name, n floats each, in the arena given to init (a chain: all of its members'). */
  readonly buffers: Readonly<Record<string, Tensor>>;
  /** Scalar state (NAdam's mu_product), advanced by update. */
  readonly scalars: Scalars;
  /** A chain's member states, in order. */
  readonly parts?: readonly TransformState[];
}

export interface Transform {
  readonly name: string;
  /** A fresh state for update vectors of n floats; buffers are allocated in `arena`. */
  init(n: number, arena: Arena): TransformState;
  /**
   * Rewrites `updates` in place for step t (1-based; schedules see t − 1) and advances `state`.
   * `params` (same length) are read, by weight decay only.
   */
  update(updates: Tensor, state: TransformState, params: Tensor, t: number): void;
}

/** What a transform of this file does before its kernel: check everything, then return the pass. */
const PREPARE = Symbol('prepare');
type Prepare = (updates: Tensor, state: TransformState, params: Tensor, t: number) => () => void;
interface Prepared extends Transform { readonly [PREPARE]: Prepare }

// ---- checks ----

function fail(what: string, msg: string): never {
  throw new DescentError(`${what}: ${msg}`);
}

/** Throws on keys of `given` that are not in `known`. */
function onlyKnown(what: string, given: object | undefined, known: readonly string[]): Record<string, unknown> {
  if (given === undefined) return {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) fail(what, `options must be an object, got ${show(given)}`);
  for (const k of Object.keys(given)) {
    if (!known.includes(k)) fail(what, `unknown option ${JSON.stringify(k)}; known: ${known.join(', ')}`);
  }
  return given as Record<string, unknown>;
}

/**
 * A number option as a checked schedule: finite ≥ 0 (asSchedule), then `range` (a message when
 * the value is out of range). A constant is checked now; a schedule at step 0 now and at every
 * step it is used.
 */
function hyper(what: string, key: string, x: unknown, range?: (v: number) => string | undefined): Schedule {
  const s = asSchedule(x as Hyper, `${what}: ${key}`);
  const checked: Schedule = (step) => {
    const v = s(step);
    const bad = range?.(v);
    if (bad !== undefined) fail(what, `${key} ${bad}, got ${v}${typeof x === 'function' ? ` at step ${step}` : ''}`);
    return v;
  };
  checked(0);
  return checked;
}
const atMostOne = (v: number): string | undefined => (v <= 1 ? undefined : 'must be in [0, 1]');

function flag(what: string, key: string, x: unknown): boolean {
  if (typeof x !== 'boolean') fail(what, `${key} must be true or false, got ${show(x)}`);
  return x;
}

function betasOf(what: string, b: unknown): Pair {
  if (!Array.isArray(b) || b.length !== 2 || !b.every((x) => typeof x === 'number' && x >= 0 && x < 1)) {
    fail(what, `betas must be two numbers in [0, 1), got ${JSON.stringify(b)}`);
  }
  return [b[0], b[1]];
}

function checkN(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(what, `n must be a non-negative integer, got ${show(n)}`);
  return n;
}

function checkStepNumber(what: string, t: unknown): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1) fail(what, `t must be the 1-based step number, got ${show(t)}`);
  return t;
}

/** Pointers of updates and params after checking they are tensors of one engine and one length. */
function vectors(what: string, updates: unknown, params: unknown): { K: Kernels; n: number; u: number; p: number } {
  if (!(updates instanceof Tensor)) fail(what, `updates must be a Tensor, got ${show(updates)}`);
  if (!(params instanceof Tensor)) fail(what, `params must be a Tensor, got ${show(params)}`);
  if (updates.size !== params.size) fail(what, `updates has ${updates.size} elements, params ${params.size}`);
  if (updates.engine !== params.engine) fail(what, 'updates and params live in different engines');
  return { K: updates.engine.kernels, n: updates.size, u: updates.pointer(what, 'updates'), p: params.pointer(what, 'params') };
}

// ---- leaf transforms ----

interface LeafSpec {
  name: string;
  /** [buffer name, initial value] */
  buffers: readonly (readonly [string, number])[];
  scalars?: () => Scalars;
  /** Evaluate and check the step's coefficients (on a copy of the scalars), return the pass. */
  prepare(t: number, scalars: Scalars): (K: Kernels, n: number, u: number, p: number, b: Record<string, number>) => void;
}

function leaf(spec: LeafSpec): Transform {
  const { name } = spec;
  const prepare: Prepare = (updates, state, params, t) => {
    const what = `${name}.update`;
    checkStepNumber(what, t);
    if (!state || typeof state !== 'object' || !state.scalars) fail(what, 'state must be the object init returned');
    const { K, n, u, p } = vectors(what, updates, params);
    const ptrs: Record<string, number> = {};
    for (const [b] of spec.buffers) {
      const buf = state?.buffers?.[b];
      if (!(buf instanceof Tensor)) fail(what, `state has no buffer ${JSON.stringify(b)} (use the state init made)`);
      if (buf.size !== n) fail(what, `state buffer ${b} holds ${buf.size} floats, the updates ${n}`);
      if (buf.engine !== updates.engine) fail(what, `state buffer ${b} lives in another engine than the updates`);
      ptrs[b] = buf.pointer(what, b);
    }
    const next = { ...state.scalars };
    const pass = spec.prepare(t, next);
    return () => {
      pass(K, n, u, p, ptrs);
      Object.assign(state.scalars, next);
    };
  };
  const t: Prepared = {
    name,
    init(n, arena) {
      checkN(`${name}.init`, n);
      if (!arena || typeof arena.tensor !== 'function') fail(`${name}.init`, 'arena must be an engine arena (engine.arena(name))');
      const buffers: Record<string, Tensor> = {};
      for (const [b, v] of spec.buffers) {
        const x = arena.tensor([n], undefined, `${name} ${b}`);
        if (v !== 0) x.data.fill(v);
        buffers[b] = x;
      }
      return { buffers, scalars: spec.scalars?.() ?? {} };
    },
    update(updates, state, params, step) {
      prepare(updates, state, params, step)();
    },
    [PREPARE]: prepare,
  };
  return t;
}

/** u ← u + wd·p: coupled (L2) weight decay; nothing at steps where wd = 0. */
export function addDecayedWeights(weightDecay: Hyper): Transform {
  const wd = hyper('addDecayedWeights', 'weightDecay', weightDecay);
  return leaf({
    name: 'addDecayedWeights',
    buffers: [],
    prepare(t) {
      const w = wd(t - 1);
      return (K, n, u, p) => { if (w !== 0) K.tfAddDecayedWeights(n, u, p, w); };
    },
  });
}

export interface TraceOptions { momentum?: Hyper; dampening?: Hyper; nesterov?: boolean }

/**
 * PyTorch's SGD momentum: b ← μ·b + (1 − dampening)·u (b = u on step 1), then u ← b, or
 * u ← u + μ·b with nesterov (which needs μ > 0 and dampening 0). A step with μ = 0 leaves u
 * and b alone. Defaults: momentum 0.9, dampening 0, nesterov false. State: momentum_buffer.
 */
export function trace(options: TraceOptions = {}): Transform {
  const what = 'trace';
  const o = onlyKnown(what, options, ['momentum', 'dampening', 'nesterov']);
  const mom = hyper(what, 'momentum', o.momentum ?? 0.9);
  const damp = hyper(what, 'dampening', o.dampening ?? 0);
  const nesterov = flag(what, 'nesterov', o.nesterov ?? false);
  const nesterovOk = (mu: number, d: number, step: number): void => {
    if (nesterov && (mu <= 0 || d !== 0)) {
      fail(what, `nesterov momentum requires momentum > 0 and dampening = 0, got momentum ${mu} and dampening ${d} at step ${step}`);
    }
  };
  nesterovOk(mom(0), damp(0), 0);
  return leaf({
    name: what,
    buffers: [['momentum_buffer', 0]],
    prepare(t) {
      const mu = mom(t - 1), d = damp(t - 1), first = t === 1;
      nesterovOk(mu, d, t - 1);
      return (K, n, u, _p, b) => {
        if (mu !== 0) K.tfTrace(n, u, b.momentum_buffer, first ? 0 : mu, first ? 1 : 1 - d, mu, nesterov ? 8 : 0);
      };
    },
  });
}

export interface AdagradOptions { eps?: Hyper; initial_accumulator_value?: number }

/** s ← s + u²; u ← u/(√s + ε). Defaults: eps 1e-10, initial_accumulator_value 0. State: sum. */
export function scaleByAdagrad(options: AdagradOptions = {}): Transform {
  const what = 'scaleByAdagrad';
  const o = onlyKnown(what, options, ['eps', 'initial_accumulator_value']);
  const eps = hyper(what, 'eps', o.eps ?? 1e-10);
  const s0 = o.initial_accumulator_value ?? 0;
  if (typeof s0 !== 'number' || !Number.isFinite(s0) || s0 < 0) fail(what, `initial_accumulator_value must be a finite number ≥ 0, got ${show(s0)}`);
  return leaf({
    name: what,
    buffers: [['sum', s0]],
    prepare(t) {
      const e = eps(t - 1);
      return (K, n, u, _p, b) => K.tfScaleByAdagrad(n, u, b.sum, e);
    },
  });
}

export interface RmsOptions { alpha?: Hyper; eps?: Hyper; centered?: boolean; momentum?: Hyper }

/**
 * RMSprop's scaling: sq ← α·sq + (1 − α)u²; u ← u/(√sq + ε), or u/(√(sq − ga²) + ε) centered,
 * with ga ← lerp(ga, u, 1 − α); momentum μ: b ← μ·b + u, u ← b. Defaults: alpha 0.99, eps 1e-8,
 * centered false, momentum 0. State: square_avg, grad_avg (centered), momentum_buffer (μ ≠ 0).
 */
export function scaleByRms(options: RmsOptions = {}): Transform {
  const what = 'scaleByRms';
  const o = onlyKnown(what, options, ['alpha', 'eps', 'centered', 'momentum']);
  const alpha = hyper(what, 'alpha', o.alpha ?? 0.99, atMostOne);
  const eps = hyper(what, 'eps', o.eps ?? 1e-8);
  const centered = flag(what, 'centered', o.centered ?? false);
  const momentum = o.momentum ?? 0;
  const mom = hyper(what, 'momentum', momentum);
  const buffers: [string, number][] = [['square_avg', 0]];
  if (centered) buffers.push(['grad_avg', 0]);
  if (momentum !== 0) buffers.push(['momentum_buffer', 0]);
  return leaf({
    name: what,
    buffers,
    prepare(t) {
      const a = alpha(t - 1), e = eps(t - 1), mu = mom(t - 1);
      const flags = (lerpLarge(1 - a) ? 2 : 0) | (centered ? 4 : 0) | (mu > 0 ? 8 : 0);
      return (K, n, u, _p, b) => K.tfScaleByRms(n, u, b.square_avg, b.grad_avg ?? 0, b.momentum_buffer ?? 0,
        a, 1 - a, lerpCoef(1 - a), e, mu, flags);
    },
  });
}

export interface AdadeltaOptions { rho?: Hyper; eps?: Hyper }

/**
 * Adadelta's scaling: sq ← ρ·sq + (1 − ρ)u²; δ = √(acc + ε)/√(sq + ε)·u; acc ← ρ·acc + (1 − ρ)δ²;
 * u ← δ. Defaults: rho 0.9, eps 1e-6. State: square_avg, acc_delta.
 */
export function scaleByAdadelta(options: AdadeltaOptions = {}): Transform {
  const what = 'scaleByAdadelta';
  const o = onlyKnown(what, options, ['rho', 'eps']);
  const rho = hyper(what, 'rho', o.rho ?? 0.9, atMostOne);
  const eps = hyper(what, 'eps', o.eps ?? 1e-6);
  return leaf({
    name: what,
    buffers: [['square_avg', 0], ['acc_delta', 0]],
    prepare(t) {
      const r = rho(t - 1), e = eps(t - 1);
      return (K, n, u, _p, b) => K.tfScaleByAdadelta(n, u, b.square_avg, b.acc_delta, r, 1 - r, e);
    },
  });
}

export interface AdamOptions { betas?: Pair; eps?: Hyper; amsgrad?: boolean }

/**
 * Adam's scaling: m ← lerp(m, u, 1 − β1); v ← β2·v + (1 − β2)u²; amsgrad: vmax ← max(vmax, v)
 * replaces v; u ← (m·(1/bc1))/(√v·(1/√bc2) + ε). Defaults: betas [0.9, 0.999], eps 1e-8,
 * amsgrad false. State: exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad).
 */
export function scaleByAdam(options: AdamOptions = {}): Transform {
  const what = 'scaleByAdam';
  const o = onlyKnown(what, options, ['betas', 'eps', 'amsgrad']);
  const [b1, b2] = betasOf(what, o.betas ?? [0.9, 0.999]);
  const eps = hyper(what, 'eps', o.eps ?? 1e-8);
  const amsgrad = flag(what, 'amsgrad', o.amsgrad ?? false);
  const buffers: [string, number][] = [['exp_avg', 0], ['exp_avg_sq', 0]];
  if (amsgrad) buffers.push(['max_exp_avg_sq', 0]);
  const flags = (lerpLarge(1 - b1) ? 2 : 0) | (amsgrad ? 4 : 0);
  return leaf({
    name: what,
    buffers,
    prepare(t) {
      const e = eps(t - 1);
      const [invBc1, invBc2Sqrt] = adamCorrections(t, b1, b2);
      return (K, n, u, _p, b) => K.tfScaleByAdam(n, u, b.exp_avg, b.exp_avg_sq, b.max_exp_avg_sq ?? 0,
        invBc1, invBc2Sqrt, lerpCoef(1 - b1), b2, 1 - b2, e, flags);
    },
  });
}

export interface AdamaxOptions { betas?: Pair; eps?: Hyper }

/**
 * Adamax's scaling: m ← lerp(m, u, 1 − β1); r ← max(β2·r, |u| + ε); u ← (m·(1/bc1))/r.
 * Defaults: betas [0.9, 0.999], eps 1e-8. State: exp_avg, exp_inf.
 */
export function scaleByAdamax(options: AdamaxOptions = {}): Transform {
  const what = 'scaleByAdamax';
  const o = onlyKnown(what, options, ['betas', 'eps']);
  const [b1, b2] = betasOf(what, o.betas ?? [0.9, 0.999]);
  const eps = hyper(what, 'eps', o.eps ?? 1e-8);
  return leaf({
    name: what,
    buffers: [['exp_avg', 0], ['exp_inf', 0]],
    prepare(t) {
      const e = eps(t - 1), invBc1 = adamCorrections(t, b1, b2)[0];
      return (K, n, u, _p, b) => K.tfScaleByAdamax(n, u, b.exp_avg, b.exp_inf, invBc1, lerpCoef(1 - b1), b2, e,
        lerpLarge(1 - b1) ? 2 : 0);
    },
  });
}

export interface NadamOptions { betas?: Pair; eps?: Hyper; momentum_decay?: Hyper }

/**
 * NAdam's scaling (torch ≥ 2.0): m, v as Adam; u ← (cg·u + cm·m)/(√(v·(1/bc2)) + ε), cg and cm
 * from Dozat's momentum schedule (header). Defaults: betas [0.9, 0.999], eps 1e-8,
 * momentum_decay 4e-3. State: exp_avg, exp_avg_sq; scalar mu_product.
 */
export function scaleByNadam(options: NadamOptions = {}): Transform {
  const what = 'scaleByNadam';
  const o = onlyKnown(what, options, ['betas', 'eps', 'momentum_decay']);
  const [b1, b2] = betasOf(what, o.betas ?? [0.9, 0.999]);
  const eps = hyper(what, 'eps', o.eps ?? 1e-8);
  const psi = hyper(what, 'momentum_decay', o.momentum_decay ?? 4e-3);
  return leaf({
    name: what,
    buffers: [['exp_avg', 0], ['exp_avg_sq', 0]],
    scalars: () => ({ mu_product: 1 }),
    prepare(t, sc) {
      const e = eps(t - 1);
      const [cg, cm, invBc2] = nadamCoefficients(t, b1, b2, psi(t - 1), sc);
      return (K, n, u, _p, b) => K.tfScaleByNadam(n, u, b.exp_avg, b.exp_avg_sq, cg, cm, invBc2,
        lerpCoef(1 - b1), b2, 1 - b2, e, lerpLarge(1 - b1) ? 2 : 0);
    },
  });
}

export interface RadamOptions { betas?: Pair; eps?: Hyper }

/**
 * RAdam's scaling: m, v as Adam; u ← m·(1/bc1), rectified from the first step with ρ_t > 5:
 * u ← ((m·(1/bc1))·(√bc2/(√v + ε)))·r_t. Defaults: betas [0.9, 0.999], eps 1e-8.
 * State: exp_avg, exp_avg_sq.
 */
export function scaleByRadam(options: RadamOptions = {}): Transform {
  const what = 'scaleByRadam';
  const o = onlyKnown(what, options, ['betas', 'eps']);
  const [b1, b2] = betasOf(what, o.betas ?? [0.9, 0.999]);
  const eps = hyper(what, 'eps', o.eps ?? 1e-8);
  return leaf({
    name: what,
    buffers: [['exp_avg', 0], ['exp_avg_sq', 0]],
    prepare(t) {
      const e = eps(t - 1);
      const [invBc1, bc2Sqrt, rect] = radamCoefficients(t, b1, b2);
      const flags = (lerpLarge(1 - b1) ? 2 : 0) | (rect > 0 ? 4 : 0);
      return (K, n, u, _p, b) => K.tfScaleByRadam(n, u, b.exp_avg, b.exp_avg_sq, invBc1, bc2Sqrt, rect, e,
        lerpCoef(1 - b1), b2, 1 - b2, flags);
    },
  });
}

export interface RpropOptions { initial_step_size?: number; etas?: Pair; step_sizes?: Pair }

/**
 * torch's Rprop (iRprop−) as a scaling: s = u·prev; step ← clamp(step·(s > 0 ? η+ : s < 0 ? η− : 1),
 * min, max); after a sign flip u ← 0; prev ← u; u ← sign(u)·step. Apply with scale −1.
 * Defaults: initial_step_size 1e-2 (torch's lr), etas [0.5, 1.2], step_sizes [1e-6, 50].
 * State: prev, step_size.
 */
export function scaleByRprop(options: RpropOptions = {}): Transform {
  const what = 'scaleByRprop';
  const o = onlyKnown(what, options, ['initial_step_size', 'etas', 'step_sizes']);
  const step0 = o.initial_step_size ?? 1e-2;
  if (typeof step0 !== 'number' || !Number.isFinite(step0) || step0 < 0) fail(what, `initial_step_size must be a finite number ≥ 0, got ${show(step0)}`);
  const [em, ep] = (o.etas ?? [0.5, 1.2]) as Pair, [lo, hi] = (o.step_sizes ?? [1e-6, 50]) as Pair;
  if (!(em > 0 && em < 1 && ep > 1 && Number.isFinite(ep))) fail(what, `etas must satisfy 0 < η− < 1 < η+, got ${JSON.stringify(o.etas)}`);
  if (!(lo >= 0 && hi >= lo && Number.isFinite(hi))) fail(what, `step_sizes must satisfy 0 ≤ min ≤ max, got ${JSON.stringify(o.step_sizes)}`);
  return leaf({
    name: what,
    buffers: [['prev', 0], ['step_size', step0]],
    prepare() {
      return (K, n, u, _p, b) => K.tfScaleByRprop(n, u, b.prev, b.step_size, em, ep, lo, hi);
    },
  });
}

export interface AverageOptions { t0?: Hyper }

/**
 * torch.optim.ASGD's averaged iterate ax, as a pass after apply (it reads the new parameters and
 * leaves the updates alone): at step t, μ_t = float32(1/max(1, t − 1 − t0)) with t0 of the step
 * before (μ_1 = 1); ax ← p while μ_t = 1, else ax ← ax + (p − ax)·μ_t (assembly/blas1.ts lerp:
 * multiply, then add). For an integer t0, ax is the running mean of the iterates from step
 * t0 + 2 on. Default t0 1e6 (torch's). State: ax.
 */
export function averageParams(options: AverageOptions = {}): Transform {
  const what = 'averageParams';
  const o = onlyKnown(what, options, ['t0']);
  const t0 = hyper(what, 't0', o.t0 ?? 1e6);
  return leaf({
    name: what,
    buffers: [['ax', 0]],
    prepare(t) {
      const mu = t === 1 ? 1 : asgdMu(t - 1, t0(t - 2));
      return (K, n, _u, p, b) => { if (mu === 1) K.copy(n, p, b.ax); else K.lerp(n, mu, p, b.ax); };
    },
  });
}

// ---- composition and the step ----

/** The transforms one after the other; the state holds theirs in order. */
export function chain(...transforms: Transform[]): Transform {
  transforms.forEach((t, i) => {
    if (!t || typeof t.init !== 'function' || typeof t.update !== 'function') {
      fail('chain', `argument ${i} is not a transform (an object with init and update), got ${show(t)}`);
    }
  });
  const name = `chain(${transforms.map((t) => t.name).join(', ')})`;
  const prepare: Prepare = (updates, state, params, t) => {
    const parts = state?.parts;
    if (!Array.isArray(parts) || parts.length !== transforms.length) fail(`${name}.update`, 'the state was not made by this chain\'s init');
    // every member checks its vectors and computes its coefficients before any of them runs
    const passes = transforms.map((tr, i) => {
      const own = (tr as Partial<Prepared>)[PREPARE];
      return own ? own(updates, parts[i], params, t) : () => tr.update(updates, parts[i], params, t);
    });
    return () => { for (const run of passes) run(); };
  };
  const c: Prepared = {
    name,
    init(n, arena) {
      const parts = transforms.map((t) => t.init(n, arena));
      const buffers: Record<string, Tensor> = {};
      parts.forEach((s, i) => {
        for (const [k, v] of Object.entries(s.buffers)) buffers[k in buffers ? `${k}#${i}` : k] = v;
      });
      return { buffers, scalars: {}, parts };
    },
    update(updates, state, params, t) {
      checkStepNumber(`${name}.update`, t);
      prepare(updates, state, params, t)();
    },
    [PREPARE]: prepare,
  };
  return c;
}

/** p ← p·paramFactor + scale·u, one madd per element (scale = −lr; paramFactor = 1 − lr·wd, or 1). */
export function apply(params: Tensor, updates: Tensor, scale: number, paramFactor = 1): void {
  const what = 'apply';
  if (typeof scale !== 'number' || !Number.isFinite(scale)) fail(what, `scale must be a finite number, got ${show(scale)}`);
  if (typeof paramFactor !== 'number' || !Number.isFinite(paramFactor)) fail(what, `paramFactor must be a finite number, got ${show(paramFactor)}`);
  const { K, n, u, p } = vectors(what, updates, params);
  K.tfApply(n, p, u, scale, paramFactor);
}

// ---- named optimizers as chains ----

export interface ComposedState {
  readonly transform: TransformState;
  /** The state of the pass after the step (ASGD's averageParams), if the optimizer has one. */
  readonly average?: TransformState;
  /** The update vector u: a copy of the gradient, then transformed in place. */
  readonly updates: Tensor;
}

export interface Composed {
  readonly name: string;
  /** The chain of transforms. */
  readonly transform: Transform;
  /** The step's scale at step t (1-based): −lr; Adagrad −lr/(1 + (t − 1)·lr_decay); Rprop −1. */
  scale(t: number): number;
  /** The parameter factor at step t: 1 − lr·wd with decoupled weight decay (ASGD: 1 − λ·η_t), else 1. */
  paramFactor(t: number): number;
  /** A pass after the step (ASGD: averageParams), or undefined. */
  readonly after?: Transform;
  init(n: number, arena: Arena): ComposedState;
  /** u ← g; transform u; p ← p·paramFactor(t) + scale(t)·u. The gradient is not modified. */
  step(params: Tensor, grads: Tensor, state: ComposedState, t: number): void;
}

/** Names accepted by composed(): the rules of rules.ts and the presets momentum, nesterov, amsgrad. */
export const COMPOSED_NAMES = [...Object.keys(rules), 'asgd', 'momentum', 'nesterov', 'amsgrad'] as const;
const COMPOSED_RULES: Record<string, Rule<object>> = { ...rules, asgd: asgd as unknown as Rule<object> };

const PRESETS: Record<string, [string, Record<string, unknown>]> = {
  momentum: ['sgd', { momentum: 0.9 }],
  nesterov: ['sgd', { momentum: 0.9, nesterov: true }],
  amsgrad: ['adam', { amsgrad: true }],
};

/**
 * The named optimizer `name` as chain + apply settings (see the header), with the same
 * hyper-parameters (PyTorch's names, any number may be a schedule) as optimizer(name, hyper),
 * and the same bits as its fused kernel.
 */
export function composed(name: string, hyperSpec: Record<string, unknown> = {}): Composed {
  const own = (o: object, k: unknown): boolean => typeof k === 'string' && Object.prototype.hasOwnProperty.call(o, k);
  const [ruleName, preset] = own(PRESETS, name) ? PRESETS[name] : [name, {}];
  const rule = own(COMPOSED_RULES, ruleName) ? COMPOSED_RULES[ruleName] : undefined;
  if (!rule) fail('composed', `unknown optimizer ${typeof name === 'string' ? JSON.stringify(name) : String(typeof name)}; known: ${COMPOSED_NAMES.join(', ')}`);
  checkHyperSpec(name, rule.defaults, hyperSpec, true);
  const h = { ...rule.defaults, ...preset, ...hyperSpec } as Record<string, unknown>;
  // the rule's own checks, with every schedule at step 0 (as optimizer objects do)
  rule.check(Object.fromEntries(Object.entries(h).map(([k, v]) => [k, typeof v === 'function' ? (v as Schedule)(0) : v])));
  const num = (key: string): Schedule => hyper(name, key, h[key]);
  const lr = num('lr');
  const wdSpec = h.weight_decay as Hyper;
  const wd = num('weight_decay');
  const decoupled = h.decoupled_weight_decay === true;
  const parts: Transform[] = [];
  if (wdSpec !== 0 && !decoupled) parts.push(addDecayedWeights(wdSpec));
  let scale = (t: number): number => -lr(t - 1);
  let paramFactor = (t: number): number => (decoupled ? decoupledFactor(lr(t - 1), wd(t - 1)) : 1);
  let after: Transform | undefined;
  // each transform checks its options (the rule's check above already did, at step 0)
  const o = h as Record<string, any>;
  switch (ruleName) {
    case 'sgd':
      if (h.momentum !== 0) parts.push(trace({ momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov }));
      break;
    case 'adagrad': {
      const lrDecay = num('lr_decay');
      parts.push(scaleByAdagrad({ eps: o.eps, initial_accumulator_value: o.initial_accumulator_value }));
      scale = (t) => -adagradLr(t, lr(t - 1), lrDecay(t - 1));
      break;
    }
    case 'rmsprop':
      parts.push(scaleByRms({ alpha: o.alpha, eps: o.eps, centered: o.centered, momentum: o.momentum }));
      break;
    case 'adadelta':
      parts.push(scaleByAdadelta({ rho: o.rho, eps: o.eps }));
      break;
    case 'adam': case 'adamw':
      parts.push(scaleByAdam({ betas: o.betas, eps: o.eps, amsgrad: o.amsgrad }));
      break;
    case 'adamax':
      parts.push(scaleByAdamax({ betas: o.betas, eps: o.eps }));
      break;
    case 'nadam':
      parts.push(scaleByNadam({ betas: o.betas, eps: o.eps, momentum_decay: o.momentum_decay }));
      break;
    case 'radam':
      parts.push(scaleByRadam({ betas: o.betas, eps: o.eps }));
      break;
    case 'rprop':
      parts.push(scaleByRprop({ initial_step_size: lr(0), etas: o.etas, step_sizes: o.step_sizes }));
      scale = () => -1;
      break;
    case 'asgd': {
      // η_t and the decay factor as torch computes them at the end of the step before (asgd.ts)
      const lambd = num('lambd'), alpha = num('alpha');
      const eta = (t: number): number => (t === 1 ? Math.fround(lr(0)) : asgdEta(lr(t - 2), lambd(t - 2), alpha(t - 2), t - 1));
      scale = (t) => -eta(t);
      paramFactor = (t) => 1 - lambd(t - 1) * eta(t);
      after = averageParams({ t0: o.t0 });
      break;
    }
    default:
      fail('composed', `no composition for rule ${JSON.stringify(ruleName)}`);
  }
  const transform = chain(...parts);
  return {
    name,
    transform,
    scale,
    paramFactor,
    ...(after ? { after } : {}),
    init(n, arena) {
      const st = transform.init(n, arena);
      return { transform: st, ...(after ? { average: after.init(n, arena) } : {}), updates: arena.empty([n], `${name} updates`) };
    },
    step(params, grads, state, t) {
      const what = `${name}.step`;
      checkStepNumber(what, t);
      const { K, n, u: g } = vectors(what, grads, params);
      if (!(state?.updates instanceof Tensor) || state.updates.size !== n) fail(what, `the state was made for other vectors than these ${n} parameters`);
      // everything that can fail before anything changes
      const s = scale(t), f = paramFactor(t);
      const run = (transform as Prepared)[PREPARE](state.updates, state.transform, params, t);
      if (after && !state.average) fail(what, 'the state was made without the averaged iterate (use init)');
      const runAfter = after ? (after as Prepared)[PREPARE](state.updates, state.average!, params, t) : undefined;
      K.copy(n, g, state.updates.pointer(what, 'updates'));
      run();
      apply(params, state.updates, s, f);
      runAfter?.();
    },
  };
}
