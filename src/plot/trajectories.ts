// Optimizer trajectories on 2-D test functions, in float64: the iterates x₀, x₁, … of one
// optimizer from the problem's start, for drawing over a contour plot (landscape.ts).
//
//   first-order rules   sgd, momentum (SGD, μ = 0.9, PyTorch form b ← μb + g, θ ← θ − lr·b),
//                       nesterov (the same with nesterov = true), adagrad, rmsprop, adadelta,
//                       adam, rprop: each rule's f64 reference step64(p, g, state, coeffs, hyper)
//                       with coeffs = coefficients(t, hyper, scalars) (src/optim/rules.ts), the
//                       same arithmetic as the fused wasm kernels but in double precision. One
//                       iterate per step; PyTorch's hyper-parameters apart from lr.
//   full-batch methods  cg (Polak–Ribière+), lbfgs (memory 10), newton (safeguarded: H + τI made
//                       positive definite): minimize() with maxIterations = steps, its callback
//                       collecting one iterate per outer iteration (each may cost several
//                       evaluations in the line search).
//
// Landscapes (landscapeProblem): beale (start (1, 1), min (3, ½)), rosenbrock (start (−1.2, 1),
// min (1, 1)), saddle x₁² − x₂² (start (1, 10⁻³), saddle at 0, unbounded below) and quadratic,
// the oblong quadratic ½(x − 1)ᵀA(x − 1) in 2-D with κ = 10, A rotated by a seeded random
// orthogonal Q (seed 1) so that the ellipses' axes are not the coordinate axes; start 0.
// Each comes with a view window that holds the start, the minimum and most paths.
//
// Default learning rates (LANDSCAPE_LR), chosen by short sweeps on these starts with the
// default 500 steps so that each method makes visible progress without blowing up; rules not
// listed fall back to PyTorch's default:
//                 sgd     momentum nesterov adagrad rmsprop adadelta adam   rprop
//   beale         0.01    0.002    0.002    0.5     0.02    1        0.05   0.01
//   rosenbrock    0.0015  0.0003   0.0003   1       0.01    1        0.1    0.01
//   saddle        0.05    0.01     0.01     0.1     0.01    1        0.05   0.01
//   quadratic     0.15    0.02     0.02     0.5     0.02    1        0.1    0.05
// Plain SGD on Rosenbrock must stay below 2/λmax ≈ 2/1000 near the valley floor, so it crawls
// along the valley (and stops short of (1, 1) in 500 steps); momentum's effective step is
// lr/(1 − μ) = 10·lr. Adadelta's first steps are ≈ √ε·lr = 10⁻³·lr whatever the gradient (its
// numerator √(acc + ε) starts at √ε), so it starts slowly and speeds up. Rprop's lr is its
// initial step size. Constant-lr RMSProp and Adam hover at a distance of about lr around a
// minimum instead of converging, which shows on the quadratic at larger rates.
//
// Runs that produce a non-finite value or iterate stop there ('diverged'); runs that leave the
// bounds (by default the view window, so the picture shows where they went out) are cut where
// the last step crosses the boundary ('left', f taken at the cut point): the saddle is
// unbounded below, so every method that escapes it ends that way. Either way `stopped` says so
// and the picture marks the end with ×.

import { DescentError, show } from '../engine/errors.js';
import { minimize } from '../minimize/minimize.js';
import type { Objective } from '../minimize/objective.js';
import { beale, quadratic, rosenbrock, saddle, type ClassicProblem } from '../problems/classic.js';
import { rules as ruleTable, withDefaults, type Rule } from '../optim/rules.js';

export const LANDSCAPE_FUNCTIONS = ['beale', 'rosenbrock', 'saddle', 'quadratic'] as const;
export type LandscapeFunction = (typeof LANDSCAPE_FUNCTIONS)[number];

export const TRAJECTORY_OPTIMIZERS = [
  'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adadelta', 'adam', 'rprop', 'cg', 'lbfgs', 'newton',
] as const;
export type TrajectoryOptimizer = (typeof TRAJECTORY_OPTIMIZERS)[number];

/** Display names for legends and tables. */
export const OPTIMIZER_LABELS: Readonly<Record<TrajectoryOptimizer, string>> = {
  sgd: 'SGD', momentum: 'Momentum', nesterov: 'Nesterov', adagrad: 'AdaGrad', rmsprop: 'RMSProp', adadelta: 'AdaDelta',
  adam: 'Adam', rprop: 'Rprop', cg: 'CG', lbfgs: 'L-BFGS', newton: 'Newton',
};

/** The learning rates of the header's table, by landscape function and optimizer. */
export const LANDSCAPE_LR: Readonly<Record<LandscapeFunction, Readonly<Record<string, number>>>> = {
  beale: { sgd: 0.01, momentum: 0.002, nesterov: 0.002, adagrad: 0.5, rmsprop: 0.02, adadelta: 1, adam: 0.05, rprop: 0.01 },
  rosenbrock: { sgd: 0.0015, momentum: 0.0003, nesterov: 0.0003, adagrad: 1, rmsprop: 0.01, adadelta: 1, adam: 0.1, rprop: 0.01 },
  saddle: { sgd: 0.05, momentum: 0.01, nesterov: 0.01, adagrad: 0.1, rmsprop: 0.01, adadelta: 1, adam: 0.05, rprop: 0.01 },
  quadratic: { sgd: 0.15, momentum: 0.02, nesterov: 0.02, adagrad: 0.5, rmsprop: 0.02, adadelta: 1, adam: 0.1, rprop: 0.05 },
};

/** A 2-D problem with its view window. */
export interface LandscapeProblem extends ClassicProblem {
  /** View window [min, max] of x₁ and of x₂. */
  readonly xDomain: readonly [number, number];
  readonly yDomain: readonly [number, number];
  /** A formula for titles. */
  readonly formula: string;
}

/** One of the four landscapes by name (see the header). */
export function landscapeProblem(name: string): LandscapeProblem {
  switch (name) {
    case 'beale':
      return { ...beale(), xDomain: [0, 4], yDomain: [-1, 1.5], formula: 'Σᵢ (yᵢ − x₁(1 − x₂ⁱ))², y = (1.5, 2.25, 2.625)' };
    case 'rosenbrock':
      return { ...rosenbrock(), xDomain: [-1.6, 1.4], yDomain: [-0.6, 2.2], formula: '(1 − x₁)² + 100(x₂ − x₁²)²' };
    case 'saddle':
      return { ...saddle(), xDomain: [-1.5, 1.5], yDomain: [-1.5, 1.5], formula: 'x₁² − x₂²' };
    case 'quadratic':
      return {
        ...quadratic({ n: 2, condition: 10, rotated: true, seed: 1 }),
        name: 'quadratic',
        xDomain: [-0.75, 2.25],
        yDomain: [-0.75, 2.25],
        formula: '½(x − 1)ᵀA(x − 1), κ(A) = 10, rotated',
      };
    default:
      throw new DescentError(`landscapeProblem: unknown function ${JSON.stringify(name)}; known: ${LANDSCAPE_FUNCTIONS.join(', ')}`);
  }
}

export interface TrajectoryOptions {
  /** Steps (first-order rules) or iterations (cg, lbfgs, newton); default 500. */
  steps?: number;
  /** Learning rate (first-order rules only); default LANDSCAPE_LR for the problem, else PyTorch's. */
  lr?: number;
  /** Start; default the problem's x0. */
  x0?: ArrayLike<number>;
  /** Stop when an iterate leaves [x₁min, x₁max] × [x₂min, x₂max]; default: the problem's view window, else |xᵢ| ≤ 10⁶. */
  bounds?: readonly [readonly [number, number], readonly [number, number]];
}

export interface Trajectory {
  /** The optimizer's name (TRAJECTORY_OPTIMIZERS). */
  name: TrajectoryOptimizer;
  /** Display name, e.g. "Adam". */
  label: string;
  /** The learning rate used (first-order rules). */
  lr?: number;
  /** Iterates: x₁ and x₂ of x₀, x₁, …, and f at each. */
  x: number[];
  y: number[];
  f: number[];
  /** 'rule': a first-order update rule; 'minimize': a line-search method (cg, lbfgs, newton). */
  method: 'rule' | 'minimize';
  /** Why the run ended early: a non-finite value or iterate, or it left the bounds (cut there). */
  stopped?: 'diverged' | 'left';
}

/** A 2-D problem as optimizerTrajectory needs it. */
export interface TrajectoryProblem {
  readonly name: string;
  readonly objective: Objective;
  readonly x0: ArrayLike<number>;
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
}

/** The first-order rules: rule and fixed hyper-parameters besides lr. */
const FIRST_ORDER: Readonly<Record<string, [Rule<object>, object]>> = {
  sgd: [ruleTable.sgd as unknown as Rule<object>, {}],
  momentum: [ruleTable.sgd as unknown as Rule<object>, { momentum: 0.9 }],
  nesterov: [ruleTable.sgd as unknown as Rule<object>, { momentum: 0.9, nesterov: true }],
  adagrad: [ruleTable.adagrad as unknown as Rule<object>, {}],
  rmsprop: [ruleTable.rmsprop as unknown as Rule<object>, {}],
  adadelta: [ruleTable.adadelta as unknown as Rule<object>, {}],
  adam: [ruleTable.adam as unknown as Rule<object>, {}],
  rprop: [ruleTable.rprop as unknown as Rule<object>, {}],
};

const METHOD: Readonly<Record<string, 'cg' | 'lbfgs' | 'newton'>> = { cg: 'cg', lbfgs: 'lbfgs', newton: 'newton' };

/** Whether `name` is a first-order rule (has a learning rate). */
export function hasLearningRate(name: string): boolean {
  return name in FIRST_ORDER;
}

/** The default learning rate of `name` on `problem` (undefined for cg, lbfgs, newton). */
export function defaultLearningRate(problem: { name: string }, name: string): number | undefined {
  const entry = FIRST_ORDER[name];
  if (!entry) return undefined;
  const table = (LANDSCAPE_LR as Record<string, Record<string, number>>)[problem.name];
  return table?.[name] ?? (entry[0].defaults as { lr: number }).lr;
}

/** The bounds of the header: the view window, else |xᵢ| ≤ 10⁶. */
function defaultBounds(p: TrajectoryProblem): [[number, number], [number, number]] {
  return [p.xDomain ? [p.xDomain[0], p.xDomain[1]] : [-1e6, 1e6], p.yDomain ? [p.yDomain[0], p.yDomain[1]] : [-1e6, 1e6]];
}

/**
 * Appends (x, y, f) unless the step from the last point leaves the bounds or is not finite;
 * then appends the point where the segment crosses the boundary (for 'left') and returns why
 * the run stops.
 */
function push(t: Trajectory, x: number, y: number, f: number, b: readonly (readonly [number, number])[], value: (x: Float64Array) => number): Trajectory['stopped'] {
  if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(f)) return 'diverged';
  const inside = x >= b[0][0] && x <= b[0][1] && y >= b[1][0] && y <= b[1][1];
  if (inside) {
    t.x.push(x); t.y.push(y); t.f.push(f);
    return undefined;
  }
  // the largest s in [0, 1] with last + s·(new − last) inside (the last point is inside)
  const x0 = t.x[t.x.length - 1], y0 = t.y[t.y.length - 1];
  let s = 1;
  const clip = (from: number, to: number, lo: number, hi: number) => {
    if (to > hi) s = Math.min(s, (hi - from) / (to - from));
    if (to < lo) s = Math.min(s, (lo - from) / (to - from));
  };
  clip(x0, x, b[0][0], b[0][1]);
  clip(y0, y, b[1][0], b[1][1]);
  const cut = Float64Array.of(x0 + s * (x - x0), y0 + s * (y - y0));
  t.x.push(cut[0]); t.y.push(cut[1]); t.f.push(value(cut));
  return 'left';
}

/** The iterates of optimizer `name` on a 2-D problem (see the header). */
export function optimizerTrajectory(problem: TrajectoryProblem, name: string, opts: TrajectoryOptions = {}): Trajectory {
  const op = 'optimizerTrajectory';
  if (!problem || !problem.objective || typeof problem.objective.value !== 'function') throw new DescentError(`${op}: problem must have an objective`);
  if (problem.objective.n !== 2) throw new DescentError(`${op}: ${problem.name} has ${problem.objective.n} variables; trajectories need 2`);
  if (!(TRAJECTORY_OPTIMIZERS as readonly string[]).includes(name)) {
    throw new DescentError(`${op}: unknown optimizer ${JSON.stringify(name)}; known: ${TRAJECTORY_OPTIMIZERS.join(', ')}`);
  }
  const steps = opts.steps ?? 500;
  if (!Number.isSafeInteger(steps) || steps < 1) throw new DescentError(`${op}: steps must be a positive integer, got ${show(opts.steps)}`);
  const start = opts.x0 ?? problem.x0;
  if (!start || start.length !== 2 || !Number.isFinite(start[0]) || !Number.isFinite(start[1])) {
    throw new DescentError(`${op}: x0 must be two finite numbers, got ${JSON.stringify(Array.from(start ?? []))}`);
  }
  const bounds = opts.bounds ?? defaultBounds(problem);
  const obj = problem.objective;
  if (typeof obj.gradient !== 'function' && typeof obj.valueAndGradient !== 'function') throw new DescentError(`${op}: ${problem.name} has no gradient`);
  const valueAndGradient = (x: Float64Array, g: Float64Array): number => {
    if (obj.valueAndGradient) return obj.valueAndGradient(x, g);
    const r = obj.gradient!(x, g);
    if (r) g.set(Array.from(r));
    return obj.value(x);
  };
  const key = name as TrajectoryOptimizer;
  const p = Float64Array.from(start);
  const g = new Float64Array(2);
  const t: Trajectory = { name: key, label: OPTIMIZER_LABELS[key], method: name in FIRST_ORDER ? 'rule' : 'minimize', x: [p[0]], y: [p[1]], f: [valueAndGradient(p, g)] };

  const entry = FIRST_ORDER[name];
  if (entry) {
    const [rule, fixed] = entry;
    const lr = opts.lr ?? defaultLearningRate(problem, name)!;
    if (!(Number.isFinite(lr) && lr > 0)) throw new DescentError(`${op}: lr of ${name} must be a positive number, got ${show(opts.lr)}`);
    t.lr = lr;
    const hyper = withDefaults(rule, { ...fixed, lr });
    const state: Record<string, Float64Array> = {};
    for (const s of rule.stateNames) if (rule.uses(s, hyper)) state[s] = new Float64Array(2).fill(rule.initState(s, hyper));
    const scalars = rule.initScalars(hyper);
    let f = t.f[0]; // g holds ∇f(x₀)
    if (!Number.isFinite(f)) { t.stopped = 'diverged'; return t; }
    for (let k = 1; k <= steps; k++) {
      rule.step64(p, g, state, rule.coefficients(k, hyper, scalars, { loss: f }), hyper);
      f = valueAndGradient(p, g);
      const why = push(t, p[0], p[1], f, bounds, (z) => obj.value(z));
      if (why) { t.stopped = why; break; }
    }
    return t;
  }

  let why: Trajectory['stopped'];
  minimize(obj, start, {
    method: METHOD[name],
    maxIterations: steps,
    callback(info, x) {
      if (info.iteration === 0) return undefined;
      why = push(t, x[0], x[1], info.value, bounds, (z) => obj.value(z));
      return why ? 'stop' : undefined;
    },
  });
  if (why) t.stopped = why;
  return t;
}
