// The elementwise update rules of the first-order optimizers, each in three agreeing forms:
//
//   coefficients(t, hyper, scalars)  the per-step scalars (bias corrections, step sizes, …),
//                                    computed once per step in f64 and shared by the two below;
//   kernel(K, n, p, g, state, c, h)  the fused f32 SIMD wasm kernel (assembly/optim/<name>.ts):
//                                    one pass over the flat parameter, gradient and state buffers;
//   step64(p, g, state, c, h)        a plain float64 reference with the same per-element order
//                                    of operations, for tests.
// The kernel receives the coefficients rounded to f32; that, and f32 arithmetic per element,
// is all that separates the two forms (test/optim-rules.test.ts measures by how much).
//
// Every rule has one per-element shape (assembly/optim/common.ts):
//   p ← p·factor (decoupled decay) → g' = g + wd·p (coupled decay) → u = the rule's direction
//   from g' and the state (lr not involved) → p ← p + scale·u, scale = −lr (Adagrad: −clr, Rprop: −1).
// The composable transforms of src/optim/transforms.ts compute the same three stages as separate
// passes with the same coefficients (exported below), so a chain gives the fused kernel's bits.
//
// Conventions: torch.optim, single-tensor path (torch ≥ 2.0), per element in torch's order:
// hyper-parameter and state names are PyTorch's (weight_decay, betas, exp_avg, …); the first
// moment is exp_avg.lerp_(g, 1 − β1) as torch ≥ 2.1 writes it (ATen's two-sided lerp, see
// assembly/optim/common.ts), not m·β1 + (1 − β1)·g; `add(x, alpha=a)` is x·a fused into the sum
// in the relaxed build. Deliberate regroupings, each within an ulp or so per step (the PyTorch
// parity tests hold at their tolerances):
//  - torch's last operation is addcdiv(p, x, y, value=c) = p + (c·x)/y with lr folded into c
//    (Adagrad, RMSprop: c = −lr; Adam, Adamax: c = −lr/bc1; NAdam: two such addcdivs). Here the
//    direction leaves lr out, u = x/y (Adagrad, RMSprop), (x·(1/bc1))/y (Adam, Adamax),
//    (cg·g' + cm·m)/denom (NAdam: one division for both terms), and p ← p + (−lr)·u comes last
//    (RAdam: lr moves from the first product to the last): u must not depend on lr for the
//    composed form to reproduce the fused one.
//  - a tensor divided by a per-step scalar (bc1 in Adam, Adamax and RAdam, √bc2 in Adam, bc2 in
//    NAdam) is multiplied by the scalar's f64 reciprocal (the divider is Adam's bottleneck, see
//    assembly/optim/adam.ts).
// Differences from torch: no
// `maximize`, no complex parameters, one step counter for the whole flat buffer (NAdam's
// mu_product is a scalar), and Rprop accepts a (coupled) weight_decay.
//
// Weight decay: coupled (L2, g ← g + wd·p, torch's `weight_decay`) everywhere; decoupled
// (p ← p·(1 − lr·wd) before the step, AdamW) where torch offers `decoupled_weight_decay`:
// Adam, NAdam, RAdam. `adamw` is `adam` with decoupled_weight_decay = true and wd = 1e-2.
//
// Use: per optimizer, allocate the state buffers of `stateNames` that `uses(name, hyper)`
// (each filled with initState(name, hyper)) and keep scalars = initScalars(hyper); then for
// t = 1, 2, …: c = coefficients(t, hyper, scalars) (once per step: NAdam advances mu_product
// in it) and kernel(K, n, p, g, statePointers, c, hyper). Unused state pointers may be 0.

import { DescentError, show } from '../engine/errors.js';
import type { Kernels } from '../engine/kernels.js';

export type Betas = readonly [number, number];
/** What the caller knows about the step beyond the gradient. */
export interface StepInfo { loss?: number }
/** Scalar optimizer state kept by the caller across steps (NAdam's mu_product). */
export type Scalars = Record<string, number>;

export interface Rule<H extends object> {
  readonly name: string;
  /** PyTorch's defaults. */
  readonly defaults: Readonly<H>;
  /** Every state buffer the rule may use, named as in torch.optim's state. */
  readonly stateNames: readonly string[];
  /** Whether `hyper` needs buffer `name` (max_exp_avg_sq only with amsgrad, …). */
  uses(name: string, hyper: H): boolean;
  /** The value a state buffer starts filled with. */
  initState(name: string, hyper: H): number;
  initScalars(hyper: H): Scalars;
  /**
   * The f64 scalars of step t (1-based). Call once per step: it may advance `scalars`.
   * info.loss is the loss at the parameters the gradient was taken at, when the caller knows
   * it (iRprop+ compares it with the previous step's).
   */
  coefficients(t: number, hyper: H, scalars: Scalars, info?: StepInfo): number[];
  /** The f64 reference update, in place (g is not modified). */
  step64(p: Float64Array, g: Float64Array, state: Record<string, Float64Array>, coeffs: readonly number[], hyper: H): void;
  /** The fused wasm update of n floats at byte pointers p, g and state[name]. */
  kernel(K: Kernels, n: number, p: number, g: number, state: Record<string, number>, coeffs: readonly number[], hyper: H): void;
  /** Throws a DescentError naming the rule and the hyper-parameter if `hyper` is invalid. */
  check(hyper: H): void;
}

// ---- shared pieces (flag bits as in assembly/optim/common.ts) ----

const WD = 1;     // coupled weight decay
const LARGE = 2;  // torch.lerp's second form for the first-moment average
const BIT4 = 4, BIT8 = 8;

/** torch.lerp(a, b, w) evaluates a + w(b − a) for |w| < ½, else b − (b − a)(1 − w). */
export const lerpLarge = (w: number): boolean => !(Math.abs(w) < 0.5);
/** The coefficient c of lerp = base + c·(b − a): w, or −(1 − w) in the second form. */
export const lerpCoef = (w: number): number => (lerpLarge(w) ? -(1 - w) : w);

// Per-step scalars shared with the composed transforms (transforms.ts), so both forms see the
// same f64 values, hence the same f32 coefficients.

/** [1/bc1, 1/√bc2] with bc = 1 − β^t (Adam; Adamax uses the first). */
export function adamCorrections(t: number, b1: number, b2: number): [number, number] {
  return [1 / (1 - b1 ** t), 1 / Math.sqrt(1 - b2 ** t)];
}

/**
 * NAdam's [cg, cm, 1/bc2] of step t: μ_t = β1(1 − ½·0.96^{tψ}), Π_t = μ_1⋯μ_t (advances
 * sc.mu_product to Π_t), cg = (1 − μ_t)/(1 − Π_t), cm = μ_{t+1}/(1 − Π_t·μ_{t+1}).
 */
export function nadamCoefficients(t: number, b1: number, b2: number, psi: number, sc: Scalars): [number, number, number] {
  const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
  const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
  const prod = (sc.mu_product ?? 1) * mu;
  sc.mu_product = prod;
  return [(1 - mu) / (1 - prod), muNext / (1 - prod * muNext), 1 / (1 - b2 ** t)];
}

/**
 * RAdam's [1/bc1, √bc2, r] of step t: ρ∞ = 2/(1 − β2) − 1, ρ_t = ρ∞ − 2tβ2^t/bc2, and
 * r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)) when ρ_t > 5, else 0 (no rectification).
 */
export function radamCoefficients(t: number, b1: number, b2: number): [number, number, number] {
  const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
  const rhoInf = 2 / (1 - b2) - 1;
  const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
  const rect = rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
  return [1 / bc1, bc2 ** 0.5, rect];
}

/** Adagrad's decayed learning rate lr/(1 + (t − 1)·lr_decay). */
export const adagradLr = (t: number, lr: number, lrDecay: number): number => lr / (1 + (t - 1) * lrDecay);

/** The factor of decoupled weight decay, p ← p·(1 − lr·wd). */
export const decoupledFactor = (lr: number, wd: number): number => 1 - lr * wd;

const lerp64 = (a: number, b: number, c: number, large: boolean): number => (large ? b : a) + c * (b - a);

function fail(rule: string, msg: string): never {
  throw new DescentError(`${rule}: ${msg}`);
}
function nonNegative(rule: string, h: object, ...keys: string[]): void {
  for (const k of keys) {
    const v = (h as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(rule, `${k} must be a finite number ≥ 0, got ${show(v)}`);
  }
}
function checkBetas(rule: string, b: Betas): void {
  if (!Array.isArray(b) || b.length !== 2 || !b.every((x) => typeof x === 'number' && x >= 0 && x < 1)) {
    fail(rule, `betas must be two numbers in [0, 1), got ${JSON.stringify(b)}`);
  }
}
/** Throws unless `name` is one of the rule's state buffers. */
function known(rule: string, names: readonly string[], name: string): void {
  if (!names.includes(name)) fail(rule, `unknown state buffer ${JSON.stringify(name)}; known: ${names.join(', ')}`);
}
/** initState for rules whose buffers all start at 0. */
const zeros = (rule: string, names: readonly string[]) => (name: string): number => {
  known(rule, names, name);
  return 0;
};

/**
 * Checks the keys and value types of user hyper-parameters against `defaults`: every key must be
 * an own key of the defaults (so `toString`, `constructor` or `__proto__` are unknown), a
 * boolean default takes a boolean, a number a number (or, with `schedules`, a function of the
 * step), a pair of numbers an array of as many numbers. Types are checked by value: an object
 * with a `valueOf` or `toString` is refused. Ranges are the rule's check.
 */
export function checkHyperSpec(name: string, defaults: object, spec: unknown, schedules: boolean): void {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) fail(name, `hyper-parameters must be an object, got ${spec === null ? 'null' : Array.isArray(spec) ? 'an array' : typeof spec}`);
  const known = (): string => Object.keys(defaults).join(', ');
  for (const k of Object.keys(spec)) {
    if (!Object.prototype.hasOwnProperty.call(defaults, k)) fail(name, `unknown hyper-parameter ${JSON.stringify(k)}; known: ${known()}`);
    const d = (defaults as Record<string, unknown>)[k], v = (spec as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof d === 'boolean') {
      if (typeof v !== 'boolean') fail(name, `${k} must be true or false, got ${describeValue(v)}`);
    } else if (typeof d === 'number') {
      if (typeof v !== 'number' && !(schedules && typeof v === 'function')) fail(name, `${k} must be a number${schedules ? ' or a schedule (step) => number' : ''}, got ${describeValue(v)}`);
    } else if (Array.isArray(d)) {
      if (!Array.isArray(v) || v.length !== d.length || !v.every((x) => typeof x === 'number')) fail(name, `${k} must be an array of ${d.length} numbers, got ${describeValue(v)}`);
    }
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'number' ? String(x) : typeof x)).join(', ')}]`;
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
}

/** The defaults of `rule` overridden by `overrides`; unknown keys and invalid values throw. */
export function withDefaults<H extends object>(rule: Rule<H>, overrides: Partial<H> = {}): H {
  checkHyperSpec(rule.name, rule.defaults, overrides, false);
  const h = { ...rule.defaults, ...overrides } as H;
  rule.check(h);
  return h;
}

// ---- SGD ----

export interface SgdHyper { lr: number; momentum: number; dampening: number; nesterov: boolean; weight_decay: number }
const SGD_MOMENTUM = BIT4, SGD_NESTEROV = BIT8;
const sgdFlags = (h: SgdHyper): number =>
  (h.weight_decay !== 0 ? WD : 0) | (h.momentum !== 0 ? SGD_MOMENTUM : 0) | (h.nesterov ? SGD_NESTEROV : 0);

/**
 * SGD: g' = g + wd·p; b = μ·b + (1 − dampening)·g' (b = g' on step 1); d = nesterov ? g' + μ·b : b;
 * p ← p − lr·d. Coefficients [−lr, μb, cg, μ, wd] with (μb, cg) = (0, 1) on step 1, else (μ, 1 − dampening).
 */
export const sgd: Rule<SgdHyper> = {
  name: 'sgd',
  defaults: { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0 },
  stateNames: ['momentum_buffer'],
  uses: (name, h) => name === 'momentum_buffer' && h.momentum !== 0,
  initState: zeros('sgd', ['momentum_buffer']),
  initScalars: () => ({}),
  coefficients(t, h) {
    const first = t === 1;
    return [-h.lr, first ? 0 : h.momentum, first ? 1 : 1 - h.dampening, h.momentum, h.weight_decay];
  },
  step64(p, g, s, c, h) {
    const [negLr, muBuf, cg, mu, wd] = c;
    const f = sgdFlags(h), buf = s.momentum_buffer;
    for (let i = 0; i < p.length; i++) {
      let d = g[i];
      if (f & WD) d = d + wd * p[i];
      if (f & SGD_MOMENTUM) {
        const b = buf[i] * muBuf + cg * d;
        buf[i] = b;
        d = f & SGD_NESTEROV ? d + mu * b : b;
      }
      p[i] = p[i] + negLr * d;
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optSgd(n, p, g, s.momentum_buffer ?? 0, c[0], c[1], c[2], c[3], c[4], sgdFlags(h));
  },
  check(h) {
    nonNegative('sgd', h, 'lr', 'momentum', 'dampening', 'weight_decay');
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) fail('sgd', 'nesterov momentum requires momentum > 0 and dampening = 0');
  },
};

// ---- Adagrad ----

export interface AdagradHyper { lr: number; lr_decay: number; weight_decay: number; initial_accumulator_value: number; eps: number }

/** Adagrad: s += g'²; u = g'/(√s + ε); p ← p − clr·u, clr = lr/(1 + (t − 1)·lr_decay). Coefficients [−clr, ε, wd]. */
export const adagrad: Rule<AdagradHyper> = {
  name: 'adagrad',
  defaults: { lr: 1e-2, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10 },
  stateNames: ['sum'],
  uses: (name) => name === 'sum',
  initState: (name, h) => {
    known('adagrad', ['sum'], name);
    return h.initial_accumulator_value;
  },
  initScalars: () => ({}),
  coefficients: (t, h) => [-adagradLr(t, h.lr, h.lr_decay), h.eps, h.weight_decay],
  step64(p, g, s, c, h) {
    const [negClr, eps, wd] = c;
    const sum = s.sum, decay = h.weight_decay !== 0;
    for (let i = 0; i < p.length; i++) {
      const gi = decay ? g[i] + wd * p[i] : g[i];
      const si = sum[i] + gi * gi;
      sum[i] = si;
      p[i] = p[i] + negClr * (gi / (Math.sqrt(si) + eps));
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optAdagrad(n, p, g, s.sum, c[0], c[1], c[2], h.weight_decay !== 0 ? WD : 0);
  },
  check: (h) => nonNegative('adagrad', h, 'lr', 'lr_decay', 'weight_decay', 'initial_accumulator_value', 'eps'),
};

// ---- RMSprop ----

export interface RmspropHyper { lr: number; alpha: number; eps: number; weight_decay: number; momentum: number; centered: boolean }
const RMS_CENTERED = BIT4, RMS_MOMENTUM = BIT8;
const rmspropFlags = (h: RmspropHyper): number =>
  (h.weight_decay !== 0 ? WD : 0) | (lerpLarge(1 - h.alpha) ? LARGE : 0) |
  (h.centered ? RMS_CENTERED : 0) | (h.momentum > 0 ? RMS_MOMENTUM : 0);

/**
 * RMSprop: sq = α·sq + (1 − α)g'²; centered: ga = lerp(ga, g', 1 − α), avg = √(sq − ga²) + ε, else
 * avg = √sq + ε; u = g'/avg; momentum: u ← b = μ·b + u; p ← p − lr·u.
 * Coefficients [−lr, α, 1 − α, lerp coefficient of 1 − α, ε, μ, wd].
 */
export const rmsprop: Rule<RmspropHyper> = {
  name: 'rmsprop',
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false },
  stateNames: ['square_avg', 'grad_avg', 'momentum_buffer'],
  // momentum !== 0 rather than > 0: a schedule (a function) may be positive at some steps
  uses: (name, h) => name === 'square_avg' || (name === 'grad_avg' && h.centered) || (name === 'momentum_buffer' && h.momentum !== 0),
  initState: zeros('rmsprop', ['square_avg', 'grad_avg', 'momentum_buffer']),
  initScalars: () => ({}),
  coefficients: (_t, h) => [-h.lr, h.alpha, 1 - h.alpha, lerpCoef(1 - h.alpha), h.eps, h.momentum, h.weight_decay],
  step64(p, g, s, c, h) {
    const [negLr, alpha, c1, cl, eps, mu, wd] = c;
    const f = rmspropFlags(h), large = (f & LARGE) !== 0;
    const sq = s.square_avg, ga = s.grad_avg, buf = s.momentum_buffer;
    for (let i = 0; i < p.length; i++) {
      const gi = f & WD ? g[i] + wd * p[i] : g[i];
      const si = sq[i] * alpha + (c1 * gi) * gi;
      sq[i] = si;
      let avg: number;
      if (f & RMS_CENTERED) {
        const a = lerp64(ga[i], gi, cl, large);
        ga[i] = a;
        avg = Math.sqrt(si - a * a);
      } else {
        avg = Math.sqrt(si);
      }
      avg = avg + eps;
      let u = gi / avg;
      if (f & RMS_MOMENTUM) {
        u = buf[i] * mu + u;
        buf[i] = u;
      }
      p[i] = p[i] + negLr * u;
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optRmsprop(n, p, g, s.square_avg, s.grad_avg ?? 0, s.momentum_buffer ?? 0,
      c[0], c[1], c[2], c[3], c[4], c[5], c[6], rmspropFlags(h));
  },
  check(h) {
    nonNegative('rmsprop', h, 'lr', 'alpha', 'eps', 'weight_decay', 'momentum');
    if (h.alpha > 1) fail('rmsprop', `alpha must be in [0, 1], got ${h.alpha}`);
  },
};

// ---- Adadelta ----

export interface AdadeltaHyper { lr: number; rho: number; eps: number; weight_decay: number }

/**
 * Adadelta: sq = ρ·sq + (1 − ρ)g'²; δ = √(acc + ε)/√(sq + ε)·g'; acc = ρ·acc + (1 − ρ)δ²; p ← p − lr·δ.
 * Coefficients [−lr, ρ, 1 − ρ, ε, wd].
 */
export const adadelta: Rule<AdadeltaHyper> = {
  name: 'adadelta',
  defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0 },
  stateNames: ['square_avg', 'acc_delta'],
  uses: (name) => name === 'square_avg' || name === 'acc_delta',
  initState: zeros('adadelta', ['square_avg', 'acc_delta']),
  initScalars: () => ({}),
  coefficients: (_t, h) => [-h.lr, h.rho, 1 - h.rho, h.eps, h.weight_decay],
  step64(p, g, s, c, h) {
    const [negLr, rho, c1, eps, wd] = c;
    const sq = s.square_avg, acc = s.acc_delta, decay = h.weight_decay !== 0;
    for (let i = 0; i < p.length; i++) {
      const gi = decay ? g[i] + wd * p[i] : g[i];
      const si = sq[i] * rho + (c1 * gi) * gi;
      sq[i] = si;
      const a = acc[i];
      const d = (Math.sqrt(a + eps) / Math.sqrt(si + eps)) * gi;
      acc[i] = a * rho + (c1 * d) * d;
      p[i] = p[i] + negLr * d;
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optAdadelta(n, p, g, s.square_avg, s.acc_delta, c[0], c[1], c[2], c[3], c[4], h.weight_decay !== 0 ? WD : 0);
  },
  check(h) {
    nonNegative('adadelta', h, 'lr', 'rho', 'eps', 'weight_decay');
    if (h.rho > 1) fail('adadelta', `rho must be in [0, 1], got ${h.rho}`);
  },
};

// ---- Adam, AdamW, AMSGrad ----

export interface AdamHyper {
  lr: number; betas: Betas; eps: number; weight_decay: number; amsgrad: boolean; decoupled_weight_decay: boolean;
}
const ADAM_AMSGRAD = BIT4;
const coupled = (h: { weight_decay: number; decoupled_weight_decay: boolean }): boolean =>
  h.weight_decay !== 0 && !h.decoupled_weight_decay;
/** [wd for g ← g + wd·p (0 when decoupled), factor for p ← p·(1 − lr·wd) (1 when coupled)]. */
const decayCoefs = (h: { lr: number; weight_decay: number; decoupled_weight_decay: boolean }): [number, number] =>
  h.decoupled_weight_decay ? [0, decoupledFactor(h.lr, h.weight_decay)] : [h.weight_decay, 1];
const adamFlags = (h: AdamHyper): number =>
  (coupled(h) ? WD : 0) | (lerpLarge(1 - h.betas[0]) ? LARGE : 0) | (h.amsgrad ? ADAM_AMSGRAD : 0);

/**
 * Adam (torch.optim.adam._single_tensor_adam): m = lerp(m, g', 1 − β1); v = β2·v + (1 − β2)g'²;
 * amsgrad: vmax = max(vmax, v) replaces v below; u = (m·(1/bc1))/(√v·(1/√bc2) + ε); p ← p − lr·u.
 * Coefficients [−lr, 1/bc1, 1/√bc2, lerp coefficient of 1 − β1, β2, 1 − β2, ε, wd (coupled), decay].
 */
function makeAdam(name: string, defaults: AdamHyper): Rule<AdamHyper> {
  return {
    name,
    defaults,
    stateNames: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
    uses: (s, h) => s === 'exp_avg' || s === 'exp_avg_sq' || (s === 'max_exp_avg_sq' && h.amsgrad),
    initState: zeros(name, ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']),
    initScalars: () => ({}),
    coefficients(t, h) {
      const [b1, b2] = h.betas;
      return [-h.lr, ...adamCorrections(t, b1, b2), lerpCoef(1 - b1), b2, 1 - b2, h.eps, ...decayCoefs(h)];
    },
    step64(p, g, s, c, h) {
      const [negLr, invBc1, invBc2Sqrt, cl, b2, c2, eps, wd, decay] = c;
      const f = adamFlags(h), large = (f & LARGE) !== 0;
      const m = s.exp_avg, v = s.exp_avg_sq, vmax = s.max_exp_avg_sq;
      for (let i = 0; i < p.length; i++) {
        const pi = p[i] * decay;
        const gi = f & WD ? g[i] + wd * pi : g[i];
        const mi = lerp64(m[i], gi, cl, large);
        m[i] = mi;
        let vi = v[i] * b2 + (c2 * gi) * gi;
        v[i] = vi;
        if (f & ADAM_AMSGRAD) vmax[i] = vi = Math.max(vmax[i], vi);
        p[i] = pi + negLr * ((mi * invBc1) / (Math.sqrt(vi) * invBc2Sqrt + eps));
      }
    },
    kernel(K, n, p, g, s, c, h) {
      K.optAdam(n, p, g, s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq ?? 0,
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], adamFlags(h));
    },
    check(h) {
      nonNegative(name, h, 'lr', 'eps', 'weight_decay');
      checkBetas(name, h.betas);
    },
  };
}

export const adam = makeAdam('adam',
  { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, decoupled_weight_decay: false });
export const adamw = makeAdam('adamw',
  { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 1e-2, amsgrad: false, decoupled_weight_decay: true });

// ---- Adamax ----

export interface AdamaxHyper { lr: number; betas: Betas; eps: number; weight_decay: number }
const adamaxFlags = (h: AdamaxHyper): number => (h.weight_decay !== 0 ? WD : 0) | (lerpLarge(1 - h.betas[0]) ? LARGE : 0);

/**
 * Adamax: m = lerp(m, g', 1 − β1); r = max(β2·r, |g'| + ε) (exp_inf); u = (m·(1/bc1))/r; p ← p − lr·u.
 * Coefficients [−lr, 1/bc1, lerp coefficient of 1 − β1, β2, ε, wd].
 */
export const adamax: Rule<AdamaxHyper> = {
  name: 'adamax',
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 },
  stateNames: ['exp_avg', 'exp_inf'],
  uses: (name) => name === 'exp_avg' || name === 'exp_inf',
  initState: zeros('adamax', ['exp_avg', 'exp_inf']),
  initScalars: () => ({}),
  coefficients(t, h) {
    const [b1, b2] = h.betas;
    return [-h.lr, adamCorrections(t, b1, b2)[0], lerpCoef(1 - b1), b2, h.eps, h.weight_decay];
  },
  step64(p, g, s, c, h) {
    const [negLr, invBc1, cl, b2, eps, wd] = c;
    const f = adamaxFlags(h), large = (f & LARGE) !== 0;
    const m = s.exp_avg, r = s.exp_inf;
    for (let i = 0; i < p.length; i++) {
      const gi = f & WD ? g[i] + wd * p[i] : g[i];
      const mi = lerp64(m[i], gi, cl, large);
      m[i] = mi;
      const ri = Math.max(r[i] * b2, Math.abs(gi) + eps);
      r[i] = ri;
      p[i] = p[i] + negLr * ((mi * invBc1) / ri);
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optAdamax(n, p, g, s.exp_avg, s.exp_inf, c[0], c[1], c[2], c[3], c[4], c[5], adamaxFlags(h));
  },
  check(h) {
    nonNegative('adamax', h, 'lr', 'eps', 'weight_decay');
    checkBetas('adamax', h.betas);
  },
};

// ---- NAdam ----

export interface NadamHyper {
  lr: number; betas: Betas; eps: number; weight_decay: number; momentum_decay: number; decoupled_weight_decay: boolean;
}
const nadamFlags = (h: NadamHyper): number => (coupled(h) ? WD : 0) | (lerpLarge(1 - h.betas[0]) ? LARGE : 0);

/**
 * NAdam (Dozat 2016) as torch ≥ 2.0 computes it, with the momentum schedule
 * μ_t = β1(1 − ½·0.96^{tψ}) and the scalar state mu_product Π_t = μ_1⋯μ_t:
 *   denom = √(v·(1/bc2)) + ε;  u = (cg·g' + cm·m)/denom;  p ← p − lr·u,
 *   cg = (1 − μ_t)/(1 − Π_t),  cm = μ_{t+1}/(1 − Π_t·μ_{t+1})
 * (torch subtracts the two terms from p one at a time, lr inside each coefficient).
 * PyTorch 1.13's single-tensor `differentiable` path used Π_t·μ_t·μ_{t+1} in the last
 * denominator, counting μ_t twice (Π_t already holds it); fixed for 2.0 in pytorch/pytorch#92699.
 * Coefficients [−lr, cg, cm, 1/bc2, lerp coefficient of 1 − β1, β2, 1 − β2, ε, wd (coupled), decay].
 */
export const nadam: Rule<NadamHyper> = {
  name: 'nadam',
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, momentum_decay: 4e-3, decoupled_weight_decay: false },
  stateNames: ['exp_avg', 'exp_avg_sq'],
  uses: (name) => name === 'exp_avg' || name === 'exp_avg_sq',
  initState: zeros('nadam', ['exp_avg', 'exp_avg_sq']),
  initScalars: () => ({ mu_product: 1 }),
  coefficients(t, h, sc) {
    const [b1, b2] = h.betas;
    return [-h.lr, ...nadamCoefficients(t, b1, b2, h.momentum_decay, sc), lerpCoef(1 - b1), b2, 1 - b2, h.eps, ...decayCoefs(h)];
  },
  step64(p, g, s, c, h) {
    const [negLr, cg, cm, invBc2, cl, b2, c2, eps, wd, decay] = c;
    const f = nadamFlags(h), large = (f & LARGE) !== 0;
    const m = s.exp_avg, v = s.exp_avg_sq;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] * decay;
      const gi = f & WD ? g[i] + wd * pi : g[i];
      const mi = lerp64(m[i], gi, cl, large);
      m[i] = mi;
      const vi = v[i] * b2 + (c2 * gi) * gi;
      v[i] = vi;
      const denom = Math.sqrt(vi * invBc2) + eps;
      p[i] = pi + negLr * ((cg * gi + cm * mi) / denom);
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optNadam(n, p, g, s.exp_avg, s.exp_avg_sq, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], nadamFlags(h));
  },
  check(h) {
    nonNegative('nadam', h, 'lr', 'eps', 'weight_decay', 'momentum_decay');
    checkBetas('nadam', h.betas);
  },
};

// ---- RAdam ----

export interface RadamHyper { lr: number; betas: Betas; eps: number; weight_decay: number; decoupled_weight_decay: boolean }
const RADAM_RECTIFY = BIT4;
/** coeffs[3] is the rectification r, 0 on the steps where ρ_t ≤ 5 (r > 0 whenever ρ_t > 5). */
const radamFlags = (h: RadamHyper, c: readonly number[]): number =>
  (coupled(h) ? WD : 0) | (lerpLarge(1 - h.betas[0]) ? LARGE : 0) | (c[3] > 0 ? RADAM_RECTIFY : 0);

/**
 * RAdam (Liu et al. 2020): ρ∞ = 2/(1 − β2) − 1, ρ_t = ρ∞ − 2tβ2^t/bc2; while ρ_t ≤ 5 the step is
 * SGD with momentum, u = m·(1/bc1); after, u = ((m·(1/bc1))·(√bc2/(√v + ε)))·r with
 * r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)); p ← p − lr·u.
 * Coefficients [−lr, 1/bc1, √bc2, r or 0, ε, lerp coefficient of 1 − β1, β2, 1 − β2, wd (coupled), decay].
 */
export const radam: Rule<RadamHyper> = {
  name: 'radam',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, decoupled_weight_decay: false },
  stateNames: ['exp_avg', 'exp_avg_sq'],
  uses: (name) => name === 'exp_avg' || name === 'exp_avg_sq',
  initState: zeros('radam', ['exp_avg', 'exp_avg_sq']),
  initScalars: () => ({}),
  coefficients(t, h) {
    const [b1, b2] = h.betas;
    return [-h.lr, ...radamCoefficients(t, b1, b2), h.eps, lerpCoef(1 - b1), b2, 1 - b2, ...decayCoefs(h)];
  },
  step64(p, g, s, c, h) {
    const [negLr, invBc1, bc2Sqrt, rect, eps, cl, b2, c2, wd, decay] = c;
    const f = radamFlags(h, c), large = (f & LARGE) !== 0;
    const m = s.exp_avg, v = s.exp_avg_sq;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] * decay;
      const gi = f & WD ? g[i] + wd * pi : g[i];
      const mi = lerp64(m[i], gi, cl, large);
      m[i] = mi;
      const vi = v[i] * b2 + (c2 * gi) * gi;
      v[i] = vi;
      let u = mi * invBc1;
      if (f & RADAM_RECTIFY) u = (u * (bc2Sqrt / (Math.sqrt(vi) + eps))) * rect;
      p[i] = pi + negLr * u;
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optRadam(n, p, g, s.exp_avg, s.exp_avg_sq, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], radamFlags(h, c));
  },
  check(h) {
    nonNegative('radam', h, 'lr', 'eps', 'weight_decay');
    checkBetas('radam', h.betas);
  },
};

// ---- Rprop ----

export interface RpropHyper { lr: number; etas: Betas; step_sizes: Betas; weight_decay: number }

/**
 * Rprop as torch.optim.Rprop (iRprop−): s = g'·prev; step ← clamp(step·(s > 0 ? η+ : s < 0 ? η− : 1), min, max);
 * after a sign change (s < 0) g' ← 0 (no move; prev = 0 so the next step does not shrink again);
 * u = sign(g')·step; p ← p − u; prev = g'. The step sizes start at lr. weight_decay (coupled) is a
 * descent extension, 0 by default. Coefficients [η−, η+, step_min, step_max, wd].
 */
export const rprop: Rule<RpropHyper> = {
  name: 'rprop',
  defaults: { lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50], weight_decay: 0 },
  stateNames: ['prev', 'step_size'],
  uses: (name) => name === 'prev' || name === 'step_size',
  initState: (name, h) => {
    known('rprop', ['prev', 'step_size'], name);
    return name === 'step_size' ? h.lr : 0;
  },
  initScalars: () => ({}),
  coefficients: (_t, h) => [h.etas[0], h.etas[1], h.step_sizes[0], h.step_sizes[1], h.weight_decay],
  step64(p, g, s, c, h) {
    const [etaMinus, etaPlus, lo, hi, wd] = c;
    const prev = s.prev, step = s.step_size, decay = h.weight_decay !== 0;
    for (let i = 0; i < p.length; i++) {
      const gi = decay ? g[i] + wd * p[i] : g[i];
      const si = gi * prev[i];
      const f = si > 0 ? etaPlus : si < 0 ? etaMinus : si === 0 ? 1 : si;
      const st = Math.min(Math.max(step[i] * f, lo), hi);
      step[i] = st;
      const gz = si < 0 ? 0 : gi;
      prev[i] = gz;
      p[i] = p[i] - Math.sign(gz) * st;
    }
  },
  kernel(K, n, p, g, s, c, h) {
    K.optRprop(n, p, g, s.prev, s.step_size, c[0], c[1], c[2], c[3], c[4], h.weight_decay !== 0 ? WD : 0);
  },
  check(h) {
    nonNegative('rprop', h, 'lr', 'weight_decay');
    const [em, ep] = h.etas ?? [], [lo, hi] = h.step_sizes ?? [];
    if (!(em > 0 && em < 1 && ep > 1 && Number.isFinite(ep))) fail('rprop', `etas must satisfy 0 < η− < 1 < η+, got ${JSON.stringify(h.etas)}`);
    if (!(lo >= 0 && hi >= lo && Number.isFinite(hi))) fail('rprop', `step_sizes must satisfy 0 ≤ min ≤ max, got ${JSON.stringify(h.step_sizes)}`);
  },
};

/** Every rule by name. */
export const rules = { sgd, adagrad, rmsprop, adadelta, adam, adamw, adamax, nadam, radam, rprop } as const;
export type RuleName = keyof typeof rules;
