// The run state every minimization method shares: evaluations with counting, the line
// function φ(α) along a direction, convergence tests, limits, history and the per-iteration
// callback. Methods (methods/*.ts) drive their loop through it.
//
// Stopping (checked after every iteration, first match wins; `converged` says whether the
// reason is a success):
//   'gradient'        ‖g‖ ≤ gradientTolerance (‖·‖₂, or max |gᵢ| with gradientNorm 'inf' as
//                     SciPy and L-BFGS-B test)                                       converged
//   'relative-gradient' ‖g‖ ≤ relativeGradientTolerance·‖g₀‖ (default off)           converged
//   'step'            ‖x_{k+1} − x_k‖₂ ≤ stepTolerance·(‖x_k‖₂ + stepTolerance)       converged
//   'value'           |f_{k+1} − f_k| ≤ valueTolerance·max(|f_k|, |f_{k+1}|, tiny)   converged
//   'absolute-value'  |f_{k+1} − f_k| ≤ absoluteValueTolerance (default off)         converged
//   'precision'       line-search methods: no step decreases f beyond rounding and the
//                     relative gradient max|gᵢ|·max(|xᵢ|,1)/max(|f|,1) ≤ ε^⅓ (Dennis &
//                     Schnabel's test; methods/driver.ts)                              converged
//   (the step and value tests are skipped after a line search that ended without its
//   conditions: the method restarts from −g instead)
//   'damping'         Levenberg–Marquardt: no step decreases f however large μ grows (a
//                     minimum to working precision)                               converged
//   'ftol', 'xtol', 'ftol+xtol', 'gtol', 'residual', 'precision'   Levenberg–Marquardt's
//                     MINPACK tests (methods/lm-minpack.ts says what each means)   converged
//   'max-iterations', 'max-evaluations', 'callback'                                not converged
//   'line-search' (no acceptable step along a descent direction), 'not-finite' (the objective
//   returned NaN/Inf at the start), or a method's own reason                        not converged

import { DescentError, show } from '../engine/errors.js';
import type { FullObjective } from './derivatives.js';
import { lineSearch, type LineFunction, type LineSearchResult, type LineSearchSpec } from './line-search.js';
import type { Vec, VectorSpace } from './vector-space.js';

export interface IterationInfo {
  iteration: number;
  value: number;
  gradientNorm: number;
  /** ‖x_k − x_{k−1}‖₂ (0 on iteration 0). */
  stepNorm: number;
  /** The line-search step length α, when a line search ran. */
  alpha?: number;
  /** Value + gradient + residual evaluations so far. */
  evaluations: number;
}

export interface MinimizeOptions {
  /** Stop when ‖g‖ ≤ gradientTolerance (the norm: gradientNorm). */
  gradientTolerance?: number;
  /** The norm of the gradient tests: '2' (default) or 'inf' (max |gᵢ|, what SciPy and L-BFGS-B test). */
  gradientNorm?: '2' | 'inf';
  /** Stop when ‖g‖ ≤ relativeGradientTolerance·‖g₀‖ (default 0: off). */
  relativeGradientTolerance?: number;
  /** Stop when ‖x_{k+1} − x_k‖₂ ≤ stepTolerance·(‖x_{k+1}‖₂ + stepTolerance). */
  stepTolerance?: number;
  /** Stop when |f_{k+1} − f_k| ≤ valueTolerance·max(|f_k|, |f_{k+1}|) (default 0: off). */
  valueTolerance?: number;
  /** Stop when |f_{k+1} − f_k| ≤ absoluteValueTolerance (default 0: off). */
  absoluteValueTolerance?: number;
  maxIterations?: number;
  /** Limit on value + gradient + residual evaluations (a valueAndGradient call counts one of each). */
  maxEvaluations?: number;
  lineSearch?: LineSearchSpec;
  /** Called after every iteration (and for iteration 0); return 'stop' to stop. */
  callback?: (info: IterationInfo, x: Float64Array) => void | 'stop';
  /** Keep the per-iteration history (default true). */
  history?: boolean;
}

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  gradientNorm: number;
  iterations: number;
  evaluations: { value: number; gradient: number; hessian: number; hessianVector: number; residuals: number; jacobian: number };
  converged: boolean;
  reason: string;
  /** A sentence on why it stopped. */
  message: string;
  history: IterationInfo[];
}

const CONVERGED = new Set(['gradient', 'relative-gradient', 'step', 'value', 'absolute-value', 'damping', 'precision',
  // Levenberg–Marquardt's MINPACK tests (methods/lm-minpack.ts)
  'ftol', 'xtol', 'ftol+xtol', 'gtol', 'residual']);

export class Context {
  readonly n: number;
  readonly gtol: number;
  readonly xtol: number;
  readonly ftol: number;
  readonly fatol: number;
  readonly gtolRel: number;
  readonly normInf: boolean;
  /** ‖g₀‖ in the gradient norm (set by the first record()). */
  g0Norm = NaN;
  readonly maxIter: number;
  readonly maxEval: number;
  iteration = 0;
  readonly history: IterationInfo[] = [];
  reason: string | undefined;
  message = '';
  /** Scratch for the line function: trial point and its gradient. */
  readonly xt: Vec;
  readonly gt: Vec;
  #gtAlpha = NaN;
  #hv: Vec | undefined;

  constructor(readonly obj: FullObjective, readonly space: VectorSpace, readonly opts: MinimizeOptions, public defaultLineSearch: LineSearchSpec,
              defaultGradientTolerance = 1e-8) {
    this.n = obj.n;
    const num = (name: keyof MinimizeOptions, v: unknown, dflt: number, integer = false): number => {
      const x = v ?? dflt;
      if (typeof x !== 'number' || Number.isNaN(x) || x < 0 || (integer && !(Number.isSafeInteger(x) || x === Infinity))) {
        throw new DescentError(`minimize: ${name} must be ${integer ? 'an integer' : 'a number'} ≥ 0, got ${show(v)}`);
      }
      return x;
    };
    this.gtol = num('gradientTolerance', opts.gradientTolerance, defaultGradientTolerance);
    this.xtol = num('stepTolerance', opts.stepTolerance, 1e-14);
    this.ftol = num('valueTolerance', opts.valueTolerance, 0);
    this.fatol = num('absoluteValueTolerance', opts.absoluteValueTolerance, 0);
    this.gtolRel = num('relativeGradientTolerance', opts.relativeGradientTolerance, 0);
    const norm = opts.gradientNorm ?? '2';
    if (norm !== '2' && norm !== 'inf') throw new DescentError(`minimize: gradientNorm must be '2' or 'inf', got ${show(opts.gradientNorm)}`);
    this.normInf = norm === 'inf';
    this.maxIter = num('maxIterations', opts.maxIterations, 10_000, true);
    this.maxEval = num('maxEvaluations', opts.maxEvaluations, 100_000, true);
    if (opts.callback !== undefined && typeof opts.callback !== 'function') throw new DescentError('minimize: callback must be a function');
    this.xt = space.vec(this.n);
    this.gt = space.vec(this.n);
  }

  /** Evaluations so far: value + gradient + residual calls (a combined value-and-gradient call counts one of each). */
  get evaluations(): number {
    const c = this.obj.counts;
    return c.value + c.gradient + c.residuals;
  }

  value(x: Vec): number {
    return this.obj.value(x.data);
  }

  valueAndGradient(x: Vec, g: Vec): number {
    return this.obj.valueAndGradient(x.data, g.data);
  }

  /**
   * φ along d from x (f0 = f(x), slope0 = gᵀd < 0). After a search, gradientAt(α) copies the
   * gradient at x + α·d into g when the search computed it, and says whether it did.
   */
  lineFunction(x: Vec, f0: number, d: Vec, slope0: number): LineFunction {
    const { space, xt, gt } = this;
    this.#gtAlpha = NaN;
    const point = (alpha: number) => { space.copy(x, xt); space.axpy(alpha, d, xt); };
    const lf: LineFunction = {
      f0, dphi0: slope0,
      value: (alpha) => { point(alpha); return this.value(xt); },
      valueAndSlope: (alpha) => {
        point(alpha);
        const f = this.valueAndGradient(xt, gt);
        this.#gtAlpha = alpha;
        return { f, dphi: space.dot(gt, d) };
      },
      curvature: () => {
        // one scratch vector for the run: an F64 space would otherwise grow its arena every search
        const hv = (this.#hv ??= space.vec(this.n));
        this.obj.hessianVector(x.data, d.data, hv.data);
        return space.dot(d, hv);
      },
    };
    return lf;
  }

  /** Run the configured line search from x along d; on success x ← x + α·d, f, g updated. */
  search(x: Vec, f: number, g: Vec, d: Vec, alpha0: number, spec: LineSearchSpec = this.opts.lineSearch ?? this.defaultLineSearch): LineSearchResult & { f: number } {
    const slope = this.space.dot(g, d);
    const r = lineSearch(spec, this.lineFunction(x, f, d, slope), alpha0);
    if (r.alpha > 0 && Number.isFinite(r.f) && r.f <= f) {
      this.space.axpy(r.alpha, d, x);
      if (this.#gtAlpha === r.alpha) this.space.copy(this.gt, g);
      else this.valueAndGradient(x, g);
    }
    return r;
  }

  /** ‖g‖ in the norm the gradient tests use. */
  gradientNorm(g: Vec): number {
    if (!this.normInf) return this.space.nrm2(g);
    let m = 0;
    for (const v of g.data) { const a = Math.abs(v); if (!(a <= m)) m = a; } // NaN propagates
    return m;
  }

  /** Record iteration k's state; returns true when the run must stop (reason set). */
  record(x: Vec, f: number, g: Vec, stepNorm: number, fPrev: number, alpha?: number, poorStep = false): boolean {
    const gn = this.space.nrm2(g);
    const gt = this.normInf ? this.gradientNorm(g) : gn;
    if (this.iteration === 0 || !Number.isFinite(this.g0Norm)) this.g0Norm = gt;
    const info: IterationInfo = { iteration: this.iteration, value: f, gradientNorm: gn, stepNorm, evaluations: this.evaluations };
    if (alpha !== undefined) info.alpha = alpha;
    if (this.opts.history ?? true) this.history.push(info);
    if (this.opts.callback?.(info, x.data.slice()) === 'stop') return this.stop('callback', 'the callback asked to stop');
    if (!Number.isFinite(f) || !Number.isFinite(gn)) return this.stop('not-finite', `the objective returned ${f} (gradient norm ${gn})`);
    const normName = this.normInf ? '‖g‖∞' : '‖g‖';
    if (gt <= this.gtol) return this.stop('gradient', `${normName} = ${gt.toExponential(3)} ≤ gradientTolerance`);
    if (this.iteration > 0 && gt <= this.gtolRel * this.g0Norm) {
      return this.stop('relative-gradient', `${normName} = ${gt.toExponential(3)} ≤ relativeGradientTolerance·${normName}₀ (${this.g0Norm.toExponential(3)})`);
    }
    if (this.iteration > 0 && !poorStep) {
      const xn = this.space.nrm2(x);
      if (stepNorm <= this.xtol * (xn + this.xtol)) return this.stop('step', `the step ${stepNorm.toExponential(3)} is below stepTolerance relative to ‖x‖`);
      if (this.ftol > 0 && Math.abs(fPrev - f) <= this.ftol * Math.max(Math.abs(f), Math.abs(fPrev), 1e-300)) {
        return this.stop('value', `the value changed by ${Math.abs(fPrev - f).toExponential(3)}, below valueTolerance`);
      }
      if (this.fatol > 0 && Math.abs(fPrev - f) <= this.fatol) return this.stop('absolute-value', `the value changed by ${Math.abs(fPrev - f).toExponential(3)} ≤ absoluteValueTolerance`);
    }
    if (this.iteration >= this.maxIter) return this.stop('max-iterations', `reached maxIterations = ${this.maxIter}`);
    if (this.evaluations >= this.maxEval) return this.stop('max-evaluations', `reached maxEvaluations = ${this.maxEval}`);
    return false;
  }

  stop(reason: string, message: string): true {
    this.reason = reason;
    this.message = message;
    return true;
  }

  result(x: Vec, f: number, g: Vec): MinimizeResult {
    const c = this.obj.counts;
    return {
      x: x.data.slice(), value: f, gradientNorm: this.space.nrm2(g), iterations: this.iteration,
      evaluations: { value: c.value, gradient: c.gradient, hessian: c.hessian, hessianVector: c.hessianVector, residuals: c.residuals, jacobian: c.jacobian },
      converged: CONVERGED.has(this.reason ?? ''), reason: this.reason ?? 'unknown', message: this.message, history: this.history,
    };
  }
}
