// Learning-rate and momentum schedules: plain functions of the step, `(t) => value`.
//
// t is a 0-based count: the number of updates done before the one that uses the value, or,
// when the caller steps per epoch, the number of epochs done. The caller chooses the unit;
// every formula below reads the same either way. schedule(t) is what PyTorch's scheduler
// holds after t calls of scheduler.step() (t = 0: right after construction). Each returned
// function throws a DescentError for a negative or non-integer t; each factory validates its
// options and names the one at fault.
//
//   constant(v)                             v
//   step(η₀, {stepSize, γ=0.1})             η₀·γ^⌊t/stepSize⌋                       PyTorch StepLR
//   multiStep(η₀, {milestones, γ=0.1})      η₀·γ^#{m ∈ milestones : m ≤ t}          PyTorch MultiStepLR
//   exponential(η₀, {γ})                    η₀·γ^t                                  PyTorch ExponentialLR
//   exponentialDecay(η₀, {k})               η₀·e^(−k·t)                             CS231n notes, "exponential decay"
//   inverseTime(η₀, {k})                    η₀/(1 + k·t)                            CS231n notes, "1/t decay"; Bottou 2012
//   linear(a, b, {steps}) = ramp(a, b, n)   a + (b − a)·t/n for t < n, then b
//   linearLR(η₀, {s=1/3, e=1, T=5})         η₀·(s + (e − s)·min(t, T)/T)            PyTorch LinearLR (closed form)
//   linearDecayThenConstant(α₀, α_τ, {τ})   (1 − t/τ)·α₀ + (t/τ)·α_τ for t < τ, then α_τ
//                                           Goodfellow, Bengio & Courville, Deep Learning (2016) §8.3.1, eq. 8.14
//   cosine(η₀, {tMax, ηmin=0})              ηmin + (η₀ − ηmin)·(1 + cos(π·t/tMax))/2
//                                           PyTorch CosineAnnealingLR (closed form). It is not clamped at
//                                           t = tMax: past it the cosine rises again (period 2·tMax), as
//                                           both of PyTorch's forms do. Choose tMax = the run's length.
//   cosineWarmRestarts(η₀, {t0, tMult=1, ηmin=0})
//                                           the same with t → T_cur, tMax → T_i, where the i-th cycle lasts
//                                           T_i = t0·tMult^i steps and T_cur counts steps since its start
//                                           (integer tMult ≥ 1, as PyTorch requires). SGDR: Loshchilov &
//                                           Hutter, ICLR 2017; PyTorch CosineAnnealingWarmRestarts stepped
//                                           once per step.
//   warmup(s, {steps=n, startFactor=f=0})   s(0)·(f + (1 − f)·t/n) for t < n, then s(t − n)
//                                           The inner schedule starts after the warm-up: it sees t − n, so
//                                           warmup(cosine(η, {tMax: T − n}), {steps: n}) spans T steps.
//                                           Goyal et al. 2017, "Accurate, large minibatch SGD" §2.2.
//   oneCycle({maxLr, totalSteps, ...})      { lr, momentum }: PyTorch OneCycleLR with cycle_momentum,
//                                           Smith & Topin 2017, "Super-convergence". See its doc comment.
//   momentumWarmup(μ₀=0.5, μ₁=0.99, {steps})  ramp(μ₀, μ₁, steps): Hinton et al. 2012 (arXiv:1207.0580), §A.
//   polynomial(η₀, {totalIters=T=5, power=p=1})  η₀·(1 − min(t, T)/T)^p                PyTorch PolynomialLR (closed form)
//   cyclic({baseLr, maxLr, stepSizeUp, ...})  { lr, momentum }: PyTorch CyclicLR (triangular, triangular2,
//                                           exp_range, or a custom scaleFn), momentum cycled inversely
//                                           (cycle_momentum). Smith 2017, "Cyclical learning rates". See its doc.
//   sequential([s₀, s₁, …], [m₁, m₂, …])   s₀(t) for t < m₁, s₁(t − m₁) for m₁ ≤ t < m₂, …   PyTorch SequentialLR
//   chained(η₀, [s₁, s₂, …])                η₀·Π sᵢ(t)/η₀                                     PyTorch ChainedScheduler
//                                           (for its multiplicative schedulers; see chained's doc)
//
// Composition. PyTorch has two: SequentialLR hands over from one scheduler to the next at
// milestones, each restarting its own count (the next one starts from the base lr), and
// ChainedScheduler steps all of them every step, each multiplying the lr by its own factor.
// `warmup(s, {steps})` and the CLI's `+` (warmup:N+cosine) are the first kind: SequentialLR of a
// linear ramp and s with milestone N, except that the ramp may start at 0 (PyTorch's LinearLR
// needs start_factor > 0) and ends at s(0) rather than at the base lr. sequential() is the
// general form, chained() the second kind.
//
// Arithmetic follows PyTorch's closed forms operation by operation, so values agree to the
// last bit or two (PyTorch's default recursive updates drift from its closed forms by a few
// ulps per step; that is the only difference a parity test should see).
//
// checkSchedule(s, name) wraps a user schedule for optimizers: it rejects a bad step and a
// value that is not a finite number ≥ 0 ("lr schedule returned NaN at step 12 ...").
// asSchedule(x, name) accepts either a number or a schedule.

import { DescentError } from '../engine/errors.js';

/** A hyper-parameter as a function of the 0-based step (updates or epochs done: the caller chooses). */
export type Schedule = (step: number) => number;

// ---- validation -------------------------------------------------------------------------

function show(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(show).join(', ')}]`;
  return String(x);
}

function finite(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new DescentError(`${what} must be a finite number, got ${show(x)}`);
  }
  return x;
}

function positive(x: unknown, what: string): number {
  if (finite(x, what) <= 0) throw new DescentError(`${what} must be positive, got ${show(x)}`);
  return x as number;
}

function nonNegative(x: unknown, what: string): number {
  if (finite(x, what) < 0) throw new DescentError(`${what} must be ≥ 0, got ${show(x)}`);
  return x as number;
}

function inRange(x: unknown, lo: number, hi: number, what: string, interval: string): number {
  const v = finite(x, what);
  if (!(v >= lo && v <= hi)) throw new DescentError(`${what} must be in ${interval}, got ${show(x)}`);
  return v;
}

function integer(x: unknown, min: number, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) {
    const kind = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw new DescentError(`${what} must be ${kind}, got ${show(x)}`);
  }
  return x;
}

function momentumValue(x: unknown, what: string): number {
  const v = finite(x, what);
  if (!(v >= 0 && v < 1)) throw new DescentError(`${what} must be in [0, 1), got ${show(x)}`);
  return v;
}

function isFn(s: unknown, what: string): Schedule {
  if (typeof s !== 'function') {
    throw new DescentError(`${what} must be a schedule, a function (step) => number, got ${typeof s}`);
  }
  return s as Schedule;
}

/** Throws unless t is a non-negative integer; `what` names the schedule. */
export function checkStep(t: unknown, what: string): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    throw new DescentError(`${what}: step must be a non-negative integer, got ${show(t)}`);
  }
  return t;
}

/** `f` behind a step check; `label` names the schedule in errors, e.g. "cosine(0.1, { tMax: 100 })". */
function schedule(label: string, f: (t: number) => number): Schedule {
  return (t: number) => f(checkStep(t, label));
}

function label(name: string, args: readonly unknown[], opts: Record<string, unknown> = {}): string {
  const o = Object.entries(opts).map(([k, v]) => `${k}: ${show(v)}`);
  const parts = [...args.map(show), ...(o.length ? [`{ ${o.join(', ')} }`] : [])];
  return `${name}(${parts.join(', ')})`;
}

// ---- wrappers used by optimizers ----------------------------------------------------------

/**
 * Wrap a (user-provided) schedule so that a bad value fails loudly where it appears:
 * `checkSchedule(s, 'lr schedule')(12)` throws "lr schedule returned NaN at step 12: expected
 * a finite number ≥ 0" if s(12) is NaN. Steps are checked as for every schedule.
 */
export function checkSchedule(s: Schedule, name: string): Schedule {
  const f = isFn(s, name);
  return (t: number) => {
    checkStep(t, name);
    const v: unknown = f(t);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new DescentError(`${name} returned ${show(v)} at step ${t}: expected a finite number ≥ 0`);
    }
    return v;
  };
}

/** A number (a constant, checked finite ≥ 0) or a schedule (wrapped by checkSchedule). */
export function asSchedule(x: number | Schedule, name: string): Schedule {
  if (typeof x === 'function') return checkSchedule(x, name);
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
    throw new DescentError(`${name} must be a finite number ≥ 0 or a schedule (step) => number, got ${show(x)}`);
  }
  return constant(x);
}

// ---- schedules ------------------------------------------------------------------------------

/** v at every step. */
export function constant(v: number): Schedule {
  nonNegative(v, 'constant: value');
  return schedule(label('constant', [v]), () => v);
}

/** lr0·γ^⌊t/stepSize⌋ (PyTorch StepLR). */
export function step(lr0: number, opts: { stepSize: number; gamma?: number }): Schedule {
  positive(lr0, 'step: lr0');
  const stepSize = integer(opts?.stepSize, 1, 'step: stepSize');
  const gamma = positive(opts.gamma ?? 0.1, 'step: gamma');
  return schedule(label('step', [lr0], { stepSize, gamma }), (t) => lr0 * gamma ** Math.floor(t / stepSize));
}

/** lr0·γ^(number of milestones ≤ t) (PyTorch MultiStepLR); milestones strictly increasing integers ≥ 0. */
export function multiStep(lr0: number, opts: { milestones: readonly number[]; gamma?: number }): Schedule {
  positive(lr0, 'multiStep: lr0');
  const ms = opts?.milestones;
  if (!Array.isArray(ms)) throw new DescentError(`multiStep: milestones must be an array of steps, got ${show(ms)}`);
  const milestones = ms.map((m, i) => integer(m, 0, `multiStep: milestones[${i}]`));
  for (let i = 1; i < milestones.length; i++) {
    if (milestones[i] <= milestones[i - 1]) {
      throw new DescentError(`multiStep: milestones must be strictly increasing, got ${show(milestones)}`);
    }
  }
  const gamma = positive(opts.gamma ?? 0.1, 'multiStep: gamma');
  return schedule(label('multiStep', [lr0], { milestones, gamma }), (t) => {
    let lo = 0;
    let hi = milestones.length; // first index with milestones[i] > t
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (milestones[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lr0 * gamma ** lo;
  });
}

/** lr0·γ^t (PyTorch ExponentialLR). */
export function exponential(lr0: number, opts: { gamma: number }): Schedule {
  positive(lr0, 'exponential: lr0');
  const gamma = positive(opts?.gamma, 'exponential: gamma');
  return schedule(label('exponential', [lr0], { gamma }), (t) => lr0 * gamma ** t);
}

/** lr0·e^(−k·t). */
export function exponentialDecay(lr0: number, opts: { k: number }): Schedule {
  positive(lr0, 'exponentialDecay: lr0');
  const k = nonNegative(opts?.k, 'exponentialDecay: k');
  return schedule(label('exponentialDecay', [lr0], { k }), (t) => lr0 * Math.exp(-k * t));
}

/** lr0/(1 + k·t). */
export function inverseTime(lr0: number, opts: { k: number }): Schedule {
  positive(lr0, 'inverseTime: lr0');
  const k = nonNegative(opts?.k, 'inverseTime: k');
  return schedule(label('inverseTime', [lr0], { k }), (t) => lr0 / (1 + k * t));
}

function linearImpl(name: string, from: number, to: number, steps: number): Schedule {
  nonNegative(from, `${name}: from`);
  nonNegative(to, `${name}: to`);
  integer(steps, 0, `${name}: steps`);
  return schedule(label(name, [from, to], { steps }), (t) => (t < steps ? from + ((to - from) * t) / steps : to));
}

/** from + (to − from)·t/steps for t < steps, then to. steps = 0 gives `to` at once. */
export function linear(from: number, to: number, opts: { steps: number }): Schedule {
  return linearImpl('linear', from, to, opts?.steps);
}

/** linear(from, to, { steps }) with positional steps. */
export function ramp(from: number, to: number, steps: number): Schedule {
  return linearImpl('ramp', from, to, steps);
}

/**
 * PyTorch LinearLR: lr0·(startFactor + (endFactor − startFactor)·min(t, totalIters)/totalIters),
 * with PyTorch's defaults and ranges (0 < startFactor ≤ 1, 0 ≤ endFactor ≤ 1).
 */
export function linearLR(
  lr0: number,
  opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {},
): Schedule {
  positive(lr0, 'linearLR: lr0');
  const s = finite(opts.startFactor ?? 1 / 3, 'linearLR: startFactor');
  if (!(s > 0 && s <= 1)) throw new DescentError(`linearLR: startFactor must be in (0, 1], got ${s}`);
  const e = inRange(opts.endFactor ?? 1, 0, 1, 'linearLR: endFactor', '[0, 1]');
  const T = integer(opts.totalIters ?? 5, 1, 'linearLR: totalIters');
  return schedule(label('linearLR', [lr0], { startFactor: s, endFactor: e, totalIters: T }), (t) =>
    lr0 * (s + ((e - s) * Math.min(T, t)) / T),
  );
}

/**
 * The lecture's rule (Goodfellow et al. §8.3.1): α_t = (1 − t/τ)·α₀ + (t/τ)·α_τ for t < τ, then α_τ.
 * α_τ is typically about 1% of α₀.
 */
export function linearDecayThenConstant(lr0: number, lrTau: number, opts: { tau: number }): Schedule {
  positive(lr0, 'linearDecayThenConstant: lr0');
  nonNegative(lrTau, 'linearDecayThenConstant: lrTau');
  const tau = integer(opts?.tau, 1, 'linearDecayThenConstant: tau');
  return schedule(label('linearDecayThenConstant', [lr0, lrTau], { tau }), (t) => {
    if (t >= tau) return lrTau;
    const a = t / tau;
    return (1 - a) * lr0 + a * lrTau;
  });
}

/**
 * ηmin + (lr0 − ηmin)·(1 + cos(π·t/tMax))/2 (PyTorch CosineAnnealingLR, closed form).
 * Not clamped: for t > tMax it rises again (period 2·tMax) as PyTorch's does.
 */
export function cosine(lr0: number, opts: { tMax: number; etaMin?: number }): Schedule {
  positive(lr0, 'cosine: lr0');
  const tMax = integer(opts?.tMax, 1, 'cosine: tMax');
  const etaMin = nonNegative(opts.etaMin ?? 0, 'cosine: etaMin');
  return schedule(label('cosine', [lr0], { tMax, etaMin }), (t) =>
    etaMin + ((lr0 - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2,
  );
}

/**
 * SGDR (Loshchilov & Hutter 2017): cosine annealing from lr0 to ηmin over cycles of
 * t0, t0·tMult, t0·tMult², … steps, restarting at lr0 (PyTorch CosineAnnealingWarmRestarts
 * stepped once per step). At a restart step the value is lr0; it never reaches ηmin exactly.
 */
export function cosineWarmRestarts(lr0: number, opts: { t0: number; tMult?: number; etaMin?: number }): Schedule {
  positive(lr0, 'cosineWarmRestarts: lr0');
  const t0 = integer(opts?.t0, 1, 'cosineWarmRestarts: t0');
  const tMult = integer(opts.tMult ?? 1, 1, 'cosineWarmRestarts: tMult');
  const etaMin = nonNegative(opts.etaMin ?? 0, 'cosineWarmRestarts: etaMin');
  return schedule(label('cosineWarmRestarts', [lr0], { t0, tMult, etaMin }), (t) => {
    let ti = t0;
    let tcur = t;
    if (tMult === 1) tcur = t % t0;
    else {
      while (tcur >= ti) {
        tcur -= ti;
        ti *= tMult;
      }
    }
    return etaMin + ((lr0 - etaMin) * (1 + Math.cos((Math.PI * tcur) / ti))) / 2;
  });
}

/**
 * Linear warm-up in front of any schedule: s(0)·(f + (1 − f)·t/steps) for t < steps, then
 * s(t − steps). The inner schedule starts after the warm-up; steps = 0 returns s's values.
 */
export function warmup(s: Schedule, opts: { steps: number; startFactor?: number }): Schedule {
  const inner = isFn(s, 'warmup: schedule');
  const steps = integer(opts?.steps, 0, 'warmup: steps');
  const f = inRange(opts.startFactor ?? 0, 0, 1, 'warmup: startFactor', '[0, 1]');
  return schedule(label('warmup', [], { steps, startFactor: f }), (t) =>
    t < steps ? inner(0) * (f + ((1 - f) * t) / steps) : inner(t - steps),
  );
}

export interface OneCycleOptions {
  /** The peak learning rate. */
  maxLr: number;
  /** Number of updates in the cycle. */
  totalSteps: number;
  /** Fraction of the cycle spent raising the lr. Default 0.3. */
  pctStart?: number;
  /** 'cos' (default) or 'linear' annealing within each phase. */
  annealStrategy?: 'cos' | 'linear';
  /** initialLr = maxLr/divFactor. Default 25. */
  divFactor?: number;
  /** minLr = initialLr/finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Three phases (up, down to initialLr, down to minLr) as in the paper. Default false (fastai's two). */
  threePhase?: boolean;
  /** Momentum at the lr peak. Default 0.85. */
  baseMomentum?: number;
  /** Momentum at the start and end. Default 0.95. */
  maxMomentum?: number;
}

/**
 * The 1cycle policy (Smith & Topin 2017) exactly as PyTorch's OneCycleLR computes it, momentum
 * cycled inversely to the lr (cycle_momentum). With p = pctStart·totalSteps and T = totalSteps,
 * phases end at steps (as floats, compared with t)
 *   two-phase:   p − 1: initialLr → maxLr,   T − 1: maxLr → minLr
 *   three-phase: p − 1: initialLr → maxLr, 2p − 2: maxLr → initialLr, T − 1: initialLr → minLr
 * Within a phase from step a to b, with x = (t − a)/(b − a) (a = 0 for the first):
 *   cos:    end + (start − end)/2·(cos(πx) + 1)        linear: (end − start)·x + start
 * momentum goes maxMomentum → baseMomentum → maxMomentum (three-phase: then stays at max).
 * Defined for 0 ≤ t ≤ T: t = T is the value PyTorch holds after its last step, an
 * extrapolation of the last phase (x > 1; with 'linear' it lies below minLr and may be
 * negative). Beyond T it throws, as PyTorch does.
 */
export function oneCycle(opts: OneCycleOptions): { lr: Schedule; momentum: Schedule } {
  if (typeof opts !== 'object' || opts === null) throw new DescentError(`oneCycle: options must be an object, got ${show(opts)}`);
  const maxLr = positive(opts.maxLr, 'oneCycle: maxLr');
  const T = integer(opts.totalSteps, 1, 'oneCycle: totalSteps');
  const pct = inRange(opts.pctStart ?? 0.3, 0, 1, 'oneCycle: pctStart', '[0, 1]');
  const strategy = opts.annealStrategy ?? 'cos';
  if (strategy !== 'cos' && strategy !== 'linear') {
    throw new DescentError(`oneCycle: annealStrategy must be 'cos' or 'linear', got ${show(strategy)}`);
  }
  const divFactor = positive(opts.divFactor ?? 25, 'oneCycle: divFactor');
  const finalDivFactor = positive(opts.finalDivFactor ?? 1e4, 'oneCycle: finalDivFactor');
  const threePhase = opts.threePhase ?? false;
  if (typeof threePhase !== 'boolean') throw new DescentError(`oneCycle: threePhase must be a boolean, got ${show(threePhase)}`);
  const mBase = momentumValue(opts.baseMomentum ?? 0.85, 'oneCycle: baseMomentum');
  const mMax = momentumValue(opts.maxMomentum ?? 0.95, 'oneCycle: maxMomentum');

  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  type Phase = { end: number; lr: [number, number]; m: [number, number] };
  const phases: Phase[] = threePhase
    ? [
        { end: pct * T - 1, lr: [initialLr, maxLr], m: [mMax, mBase] },
        { end: 2 * pct * T - 2, lr: [maxLr, initialLr], m: [mBase, mMax] },
        { end: T - 1, lr: [initialLr, minLr], m: [mMax, mMax] },
      ]
    : [
        { end: pct * T - 1, lr: [initialLr, maxLr], m: [mMax, mBase] },
        { end: T - 1, lr: [maxLr, minLr], m: [mBase, mMax] },
      ];
  // A phase of zero length that some step reaches would divide by zero (PyTorch raises
  // ZeroDivisionError): the first when pctStart·totalSteps = 1 (t = 0 lands on it), the last
  // when the one before ends at T − 1 (t = T lands on it).
  const last = phases.length - 1;
  if (phases[0].end === 0 || phases[last].end === phases[last - 1].end) {
    throw new DescentError(
      `oneCycle: pctStart·totalSteps = ${pct * T} leaves a phase of zero length ` +
        `(pctStart ${pct}, totalSteps ${T}${threePhase ? ', threePhase' : ''}); change pctStart or totalSteps`,
    );
  }
  const anneal =
    strategy === 'cos'
      ? (a: number, b: number, x: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * x) + 1)
      : (a: number, b: number, x: number) => (b - a) * x + a;
  const name = label('oneCycle', [], { maxLr, totalSteps: T, pctStart: pct, annealStrategy: strategy, threePhase });
  const at = (which: 'lr' | 'm', what: string) =>
    schedule(`${name}.${what}`, (t) => {
      if (t > T) throw new DescentError(`${name}.${what}: step ${t} is past totalSteps ${T}`);
      let start = 0;
      for (let i = 0; i <= last; i++) {
        const ph = phases[i];
        if (t <= ph.end || i === last) {
          const [a, b] = ph[which];
          return anneal(a, b, (t - start) / (ph.end - start));
        }
        start = ph.end;
      }
      throw new DescentError(`${name}.${what}: unreachable`);
    });
  return { lr: at('lr', 'lr'), momentum: at('m', 'momentum') };
}

/**
 * PyTorch PolynomialLR (torch ≥ 1.13), closed form: lr0·(1 − min(t, totalIters)/totalIters)^power,
 * 0 from totalIters on. Defaults as PyTorch: totalIters 5, power 1.
 */
export function polynomial(lr0: number, opts: { totalIters?: number; power?: number } = {}): Schedule {
  positive(lr0, 'polynomial: lr0');
  const T = integer(opts?.totalIters ?? 5, 1, 'polynomial: totalIters');
  const power = nonNegative(opts.power ?? 1, 'polynomial: power');
  return schedule(label('polynomial', [lr0], { totalIters: T, power }), (t) => lr0 * (1 - Math.min(T, t) / T) ** power);
}

export interface CyclicOptions {
  /** The lower bound of the cycle (and the lr at step 0). */
  baseLr: number;
  /** The upper bound (reached at the end of the rise, before scaling). */
  maxLr: number;
  /** Steps of the rise. Default 2000 (PyTorch's). */
  stepSizeUp?: number;
  /** Steps of the fall. Default stepSizeUp. */
  stepSizeDown?: number;
  /** 'triangular' (default), 'triangular2' (amplitude halved every cycle) or 'exp_range' (× gamma^t). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** exp_range's factor per step. Default 1. */
  gamma?: number;
  /** A custom amplitude scale, replacing mode: scaleFn(cycle) or scaleFn(t), see scaleMode. */
  scaleFn?: (x: number) => number;
  /** What scaleFn is given: 'cycle' (1, 2, …; default) or 'iterations' (the step t). */
  scaleMode?: 'cycle' | 'iterations';
  /** Momentum at the top of the lr cycle. Default 0.8. */
  baseMomentum?: number;
  /** Momentum at the bottom of the lr cycle (and at step 0). Default 0.9. */
  maxMomentum?: number;
}

/**
 * Cyclical learning rates (Smith 2017, "Cyclical learning rates for training neural networks")
 * exactly as PyTorch 1.13's CyclicLR computes them, stepped once per update (t = updates done):
 *   total = up + down,  cycle = ⌊1 + t/total⌋,  x = 1 + t/total − cycle,  r = up/total
 *   s = x ≤ r ? x/r : (x − 1)/(r − 1)                                     (0 → 1 → 0 over a cycle)
 *   lr(t) = baseLr + (maxLr − baseLr)·s·f,  momentum(t) = maxMomentum − (maxMomentum − baseMomentum)·s·f
 * with f = 1 (triangular), 1/2^(cycle − 1) (triangular2), gamma^t (exp_range), or scaleFn(cycle)
 * / scaleFn(t) for a custom scaleFn by scaleMode. momentum is PyTorch's cycle_momentum: pass it
 * as the optimizer's momentum (SGD, RMSprop); with cycle_momentum=False simply ignore it.
 * PyTorch 1.13 refuses cycle_momentum for an optimizer without a `momentum` hyper-parameter
 * (Adam: torch ≥ 2.1 cycles betas[0]); here momentum can drive any hyper-parameter, beta1 too,
 * but it is the caller's choice (optimizer({ betas }) takes no schedule).
 */
export function cyclic(opts: CyclicOptions): { lr: Schedule; momentum: Schedule } {
  if (typeof opts !== 'object' || opts === null) throw new DescentError(`cyclic: options must be an object, got ${show(opts)}`);
  const baseLr = nonNegative(opts.baseLr, 'cyclic: baseLr');
  const maxLr = nonNegative(opts.maxLr, 'cyclic: maxLr');
  const up = positive(opts.stepSizeUp ?? 2000, 'cyclic: stepSizeUp');
  const down = positive(opts.stepSizeDown ?? up, 'cyclic: stepSizeDown');
  const mode = opts.mode ?? 'triangular';
  if (mode !== 'triangular' && mode !== 'triangular2' && mode !== 'exp_range') {
    throw new DescentError(`cyclic: mode must be 'triangular', 'triangular2' or 'exp_range', got ${show(mode)}`);
  }
  const gamma = positive(opts.gamma ?? 1, 'cyclic: gamma');
  const custom = opts.scaleFn;
  if (custom !== undefined && typeof custom !== 'function') throw new DescentError(`cyclic: scaleFn must be a function (x) => number, got ${typeof custom}`);
  const scaleMode = custom ? opts.scaleMode ?? 'cycle' : mode === 'exp_range' ? 'iterations' : 'cycle';
  if (scaleMode !== 'cycle' && scaleMode !== 'iterations') throw new DescentError(`cyclic: scaleMode must be 'cycle' or 'iterations', got ${show(scaleMode)}`);
  const mBase = momentumValue(opts.baseMomentum ?? 0.8, 'cyclic: baseMomentum');
  const mMax = momentumValue(opts.maxMomentum ?? 0.9, 'cyclic: maxMomentum');
  const total = up + down, ratio = up / total;
  const fn = custom ?? (mode === 'triangular' ? () => 1 : mode === 'triangular2' ? (c: number) => 1 / 2 ** (c - 1) : (t: number) => gamma ** t);
  const name = label('cyclic', [], { baseLr, maxLr, stepSizeUp: up, stepSizeDown: down, mode: custom ? 'scaleFn' : mode, ...(mode === 'exp_range' ? { gamma } : {}) });
  /** [s, f] at step t, f checked finite. */
  const at = (t: number): [number, number] => {
    const cycle = Math.floor(1 + t / total);
    const x = 1 + t / total - cycle;
    const s = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    const f = fn(scaleMode === 'cycle' ? cycle : t);
    if (typeof f !== 'number' || !Number.isFinite(f)) throw new DescentError(`${name}: scaleFn returned ${show(f)} at step ${t}: expected a finite number`);
    return [s, f];
  };
  return {
    lr: schedule(`${name}.lr`, (t) => { const [s, f] = at(t); return baseLr + (maxLr - baseLr) * s * f; }),
    momentum: schedule(`${name}.momentum`, (t) => { const [s, f] = at(t); return mMax - (mMax - mBase) * s * f; }),
  };
}

/**
 * PyTorch SequentialLR: schedules[0] until milestones[0], then schedules[1] counted from 0 at
 * milestones[0] (value schedules[1](t − milestones[0])), and so on: each schedule restarts its
 * own count where it takes over. milestones: strictly increasing integers ≥ 1, one fewer than
 * the schedules. warmup(s, { steps }) is sequential([ramp, s], [steps]).
 */
export function sequential(schedules: readonly Schedule[], milestones: readonly number[]): Schedule {
  if (!Array.isArray(schedules) || schedules.length === 0) throw new DescentError(`sequential: schedules must be a non-empty array of schedules, got ${show(schedules)}`);
  const parts = schedules.map((s, i) => isFn(s, `sequential: schedules[${i}]`));
  if (!Array.isArray(milestones) || milestones.length !== parts.length - 1) {
    throw new DescentError(`sequential: expected ${parts.length - 1} milestone${parts.length === 2 ? '' : 's'} for ${parts.length} schedules, got ${show(milestones)}`);
  }
  const ms = milestones.map((m, i) => integer(m, 1, `sequential: milestones[${i}]`));
  for (let i = 1; i < ms.length; i++) {
    if (ms[i] <= ms[i - 1]) throw new DescentError(`sequential: milestones must be strictly increasing, got ${show(ms)}`);
  }
  return schedule(label('sequential', [], { milestones: ms }), (t) => {
    let i = 0;
    while (i < ms.length && t >= ms[i]) i++;
    return parts[i](i === 0 ? t : t - ms[i - 1]);
  });
}

/**
 * PyTorch ChainedScheduler: every scheduler multiplies the lr by its own factor each step, so
 * with schedules built on the same base lr0 the value is lr0·Π sᵢ(t)/lr0 (e.g.
 * chained(0.1, [step(0.1, { stepSize: 30 }), linearLR(0.1, { startFactor: 0.25 })]) is a step
 * decay with a linear warm-up). That is PyTorch's result for its multiplicative schedulers
 * (StepLR, MultiStepLR, ExponentialLR, ConstantLR, LinearLR, PolynomialLR), whose recursive
 * steps are ratios; PyTorch's recursive cosine annealing is not a ratio, and chaining it gives
 * values no closed form describes: chained() of a cosine is the product above, not PyTorch's.
 */
export function chained(lr0: number, schedules: readonly Schedule[]): Schedule {
  positive(lr0, 'chained: lr0');
  if (!Array.isArray(schedules) || schedules.length === 0) throw new DescentError(`chained: schedules must be a non-empty array of schedules, got ${show(schedules)}`);
  const parts = schedules.map((s, i) => isFn(s, `chained: schedules[${i}]`));
  return schedule(label('chained', [lr0]), (t) => parts.reduce((v, s) => v * (s(t) / lr0), lr0));
}

/** Momentum ramp: `from` (0.5) to `to` (0.99) linearly over `steps`, then constant (Hinton et al. 2012). */
export function momentumWarmup(opts: { steps: number; from?: number; to?: number }): Schedule;
export function momentumWarmup(from: number | undefined, to: number | undefined, opts: { steps: number }): Schedule;
export function momentumWarmup(
  a: number | undefined | { steps: number; from?: number; to?: number },
  b?: number,
  c?: { steps: number },
): Schedule {
  const o = typeof a === 'object' && a !== null ? a : { steps: c?.steps, from: a, to: b };
  const from = momentumValue(o.from ?? 0.5, 'momentumWarmup: from');
  const to = momentumValue(o.to ?? 0.99, 'momentumWarmup: to');
  return linearImpl('momentumWarmup', from, to, o.steps as number);
}
