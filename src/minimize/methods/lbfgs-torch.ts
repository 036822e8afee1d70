// PyTorch's L-BFGS (torch.optim.LBFGS, torch 1.13), reproduced: the same iterates and the same
// closure calls, so a port of `opt = LBFGS(params, …); opt.step(closure)` replays torch's run.
// descent's own 'lbfgs' (lbfgs.ts) is the better minimizer; this one is for reproducing.
//
// One step() call (torch's `optimizer.step(closure)`), from x with f = f(x), g = ∇f(x) (the
// call's first closure evaluation):
//   return at once if max|g| ≤ tolerance_grad
//   up to max_iter iterations (the iteration count k runs on across calls; so does the memory):
//     k = 1:   d = −g, memory empty, H_diag = 1
//     k > 1:   y = g − g_prev, s = t·d (the previous direction and step); if yᵀs > 1e-10 the
//              pair joins the memory (the oldest leaves beyond history_size) and
//              H_diag = yᵀs / yᵀy; then d = −H·g by the two-loop recursion with H₀ = H_diag·I
//              (H_diag stays from the last accepted pair when a pair is refused)
//     t = lr, except at k = 1: t = min(1, 1/‖g‖₁)·lr
//     stop if gᵀd > −tolerance_change (not a descent direction) — x stays
//     strong Wolfe: t from the line search below (which returns f and g at x + t·d);
//     none:         x ← x + t·d and f, g evaluated there — except in the call's last
//                   iteration, whose point is first evaluated by the next call
//     stop if max_iter iterations ran, the call's evaluations reached max_eval (default
//     ⌊5·max_iter/4⌋, counting the first), max|g| ≤ tolerance_grad, max|t·d| ≤
//     tolerance_change, or |f − f_prev| < tolerance_change
// Defaults as torch: lr 1, max_iter 20, tolerance_grad 1e-7, tolerance_change 1e-9,
// history_size 100, no line search.
//
// The strong Wolfe search (torch's _strong_wolfe, after minFunc / torch7's lswolfe.lua),
// c₁ = 1e-4, c₂ = 0.9, at most 25 evaluations, on φ(t) = f(x + t·d), φ′ = ∇fᵀd:
//   bracketing from t: stop with a bracket [t_prev, t] when φ(t) > φ(0) + c₁·t·φ′(0) or (after
//   the second trial) φ(t) ≥ φ(t_prev), or when φ′(t) ≥ 0; accept t when |φ′(t)| ≤ −c₂·φ′(0);
//   else the next trial is the minimizer of the cubic through both points' values and slopes,
//   clamped to [t + 0.01·(t − t_prev), 10·t] (their midpoint when the cubic has no minimum).
//   zoom: the cubic's minimizer within the bracket; a trial within a tenth of the bracket's
//   width from an end is moved to that distance if the previous trial was also that close or
//   it lies on/outside the end (else it stands, once). The trial replaces the high end when it
//   fails sufficient decrease or is not below the low end; otherwise it becomes the low end
//   (the old low becomes the high end when φ′(t) points away from it) and ends the search if
//   |φ′(t)| ≤ −c₂·φ′(0). It stops when the bracket's width times max|d| falls below 1e-9 —
//   torch 1.13 does not pass tolerance_change to the search, so neither do we — or after 25
//   evaluations; the result is the low end (t = 0 is possible: x stays).
// Comparisons keep Python's semantics (max(a, b) is a unless b > a), so a NaN travels as it
// does in torch.
//
// Rounding follows torch's CPU kernels: x + t·d and the two-loop updates are fused
// multiply-adds there (Tensor.add_(v, alpha=a); emulated exactly by fma() below), dot products
// run in order (as OpenBLAS's ddot does for n ≤ 15; its blocked order beyond that is
// CPU-specific and not followed), ‖g‖₁ in torch's blocked order (asum). With an objective that
// rounds as the user's torch closure does, runs are bit-identical to torch's
// (test/lbfgs-torch.test.ts). Hence plain TypeScript on Float64Arrays, not a VectorSpace.
//
// Where descent's own L-BFGS (lbfgs.ts) deliberately differs: it stops on ‖g‖₂ and on the
// step relative to ‖x‖, not on max-norms and absolute changes; it never moves without a line
// search (torch's fixed step lr can overshoot, and without a search the last iterate of a call
// is not evaluated); its Wolfe search brackets by cubic extrapolation within 1.1–4× the last
// increment (torch: up to 10·t) and clamps every zoom trial to the bracket's inner 80%; a pair
// with sᵀy ≤ 0 is skipped (torch: ≤ 1e-10, absolute); a failed search falls back to steepest
// descent once; memory 10 (torch: 100).

import { DescentError, show } from '../../engine/errors.js';
import type { Context } from '../context.js';
import type { Vec } from '../vector-space.js';

export interface TorchLbfgsOptions {
  /** Step scale (torch's lr): the fixed step without line search, the first trial step with it (default 1). */
  lr?: number;
  /** Iterations per step() call (default 20). */
  maxIter?: number;
  /** Closure calls per step() call, its first included (default ⌊5·maxIter/4⌋). */
  maxEval?: number;
  /** Stop when max|g| ≤ toleranceGrad (default 1e-7). */
  toleranceGrad?: number;
  /** Stop when max|t·d| ≤ toleranceChange or the loss changes by less (default 1e-9). */
  toleranceChange?: number;
  /** Curvature pairs kept (default 100). */
  historySize?: number;
  /** 'strong_wolfe', or null/undefined for the fixed step lr (default). */
  lineSearchFn?: 'strong_wolfe' | null;
}

export type TorchLbfgsSettings = Required<Omit<TorchLbfgsOptions, 'lineSearchFn'>> & { lineSearchFn: 'strong_wolfe' | null };

const KEYS = ['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearchFn'];

/** Options with torch's defaults filled in, checked. */
export function torchLbfgsSettings(o: TorchLbfgsOptions = {}, op = 'lbfgs-torch'): TorchLbfgsSettings {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new DescentError(`${op}: options must be an object, got ${show(o)}`);
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new DescentError(`${op}: unknown option ${JSON.stringify(k)}; known: ${KEYS.join(', ')}`);
  const num = (name: string, v: unknown, dflt: number, integer: boolean, min: number): number => {
    const x = v ?? dflt;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min || (integer && !Number.isSafeInteger(x))) {
      throw new DescentError(`${op}: ${name} must be ${integer ? 'an integer' : 'a finite number'} ≥ ${min}, got ${show(v)}`);
    }
    return x;
  };
  const maxIter = num('maxIter', o.maxIter, 20, true, 1);
  const ls = o.lineSearchFn ?? null;
  if (ls !== null && ls !== 'strong_wolfe') throw new DescentError(`${op}: lineSearchFn must be 'strong_wolfe' or null, got ${show(o.lineSearchFn)}`);
  const lr = num('lr', o.lr, 1, false, 0);
  if (!(lr > 0)) throw new DescentError(`${op}: lr must be > 0, got ${show(o.lr)}`);
  return {
    lr, maxIter,
    maxEval: num('maxEval', o.maxEval, Math.floor(maxIter * 5 / 4), true, 1),
    toleranceGrad: num('toleranceGrad', o.toleranceGrad, 1e-7, false, 0),
    toleranceChange: num('toleranceChange', o.toleranceChange, 1e-9, false, 0),
    historySize: num('historySize', o.historySize, 100, true, 1),
    lineSearchFn: ls,
  };
}

/** What TorchLbfgs carries between step() calls: torch's state names, camelCase (old_stps = s, old_dirs = y, ro = 1/yᵀs, oldest first). */
export interface TorchLbfgsState {
  nIter: number;
  funcEvals: number;
  t: number;
  hDiag: number;
  d: Float64Array;
  prevFlatGrad: Float64Array;
  oldStps: Float64Array[];
  oldDirs: Float64Array[];
  ro: number[];
}

/** f(x) with ∇f(x) written into g: one closure call. */
export type Evaluate = (x: Float64Array, g: Float64Array) => number;

/** Why a step() call returned. */
export type TorchStepExit = 'tolerance-grad' | 'max-iter' | 'max-eval' | 'not-descent' | 'tolerance-change-step' | 'tolerance-change-loss';

export interface TorchStepResult {
  /** f and g at x after the call are known (false only after a fixed-step call that ran max_iter iterations). */
  fresh: boolean;
  /** f at x when fresh. */
  f: number;
  /** Closure calls of this call, its first included. */
  evaluations: number;
  exit: TorchStepExit;
  /** Whether x moved. */
  moved: boolean;
}

// Python's max/min of two: the first unless the second compares larger/smaller (NaN stays put).
const pyMax = (a: number, b: number) => (b > a ? b : a);
const pyMin = (a: number, b: number) => (b < a ? b : a);

/** max|aᵢ|, NaN if any is (as torch's Tensor.max): a NaN gradient passes no tolerance test. */
function amax(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/**
 * Σ|aᵢ| in the order of torch 1.13's CPU sum kernel (aten/src/ATen/native/cpu/SumKernel.cpp,
 * its AVX2 build: 4-lane float64 vectors): below 4 values a plain loop; else whole vectors are
 * summed lane-wise by 4 interleaved accumulators (a cascade of 4 levels every 16 rows of 4
 * vectors), the accumulators added, then the leftover scalars summed first and the 4 lanes added
 * onto them one by one. It matters for the first step length min(1, 1/‖g‖₁)·lr only — but an
 * ulp there moves a sensitive run (10-D Rosenbrock without line search) visibly.
 */
function asum(a: Float64Array): number {
  const n = a.length, W = 4, ILP = 4, LEVELS = 4;
  let s = 0;
  if (n < W) {
    for (let i = 0; i < n; i++) s += Math.abs(a[i]);
    return s;
  }
  const vectors = Math.floor(n / W), rows = Math.floor(vectors / ILP);
  const power = Math.max(4, Math.floor((rows <= 2 ? 1 : (rows - 1).toString(2).length) / LEVELS));
  const stepRows = 2 ** power, mask = stepRows - 1;
  // acc[level][k·W + lane]
  const acc = Array.from({ length: LEVELS }, () => new Float64Array(ILP * W));
  const addRow = (r: number) => { for (let j = 0; j < ILP * W; j++) acc[0][j] += Math.abs(a[r * ILP * W + j]); };
  let i = 0;
  while (i + stepRows <= rows) {
    for (let j = 0; j < stepRows; j++) addRow(i++);
    for (let l = 1; l < LEVELS; l++) {
      for (let j = 0; j < ILP * W; j++) { acc[l][j] += acc[l - 1][j]; acc[l - 1][j] = 0; }
      if ((i & (mask * 2 ** (l * power))) !== 0) break;
    }
  }
  for (; i < rows; i++) addRow(i);
  const p = acc[0];
  for (let l = 1; l < LEVELS; l++) for (let j = 0; j < ILP * W; j++) p[j] += acc[l][j];
  for (let v = rows * ILP; v < vectors; v++) for (let l = 0; l < W; l++) p[l] += Math.abs(a[v * W + l]);
  for (let k = 1; k < ILP; k++) for (let l = 0; l < W; l++) p[l] += p[k * W + l];
  for (let j = vectors * W; j < n; j++) s += Math.abs(a[j]);
  for (let l = 0; l < W; l++) s += p[l];
  return s;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter for float64

/**
 * a·b + c rounded once, as a fused multiply-add (JavaScript has none): a·b = p + e exactly
 * (Dekker's product), p + c = s + t exactly (Knuth's two-sum), then s + (t + e). Correctly
 * rounded except in rare double-rounding ties of t + e.
 */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  if (!Number.isFinite(p) || !Number.isFinite(c) || Math.abs(a) > 1e300 || Math.abs(b) > 1e300) return p + c;
  let u = SPLIT * a;
  const ah = u - (u - a), al = a - ah;
  u = SPLIT * b;
  const bh = u - (u - b), bl = b - bh;
  const e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  const s = p + c, v = s - p;
  const t = (p - (s - v)) + (c - v);
  return s + (t + e);
}

/** y ← y + α·x with torch's rounding (Tensor.add_(x, alpha=α) is fused on CPU). */
function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = fma(alpha, x[i], y[i]);
}

/** out ← x + α·d, torch's rounding. */
function along(x: Float64Array, alpha: number, d: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] = fma(alpha, d[i], x[i]);
}

function scal(alpha: number, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] *= alpha;
}

/** Minimizer of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to [lo, hi] (default: the two points). */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, lo?: number, hi?: number): number {
  if (lo === undefined || hi === undefined) [lo, hi] = x1 <= x2 ? [x1, x2] : [x2, x1];
  const d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (!(d2sq >= 0)) return (lo + hi) / 2;
  const d2 = Math.sqrt(d2sq);
  const t = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return pyMin(pyMax(t, lo), hi);
}

/**
 * torch.optim.LBFGS on a float64 parameter vector that it moves in place:
 *
 *   const x = Float64Array.from([-1.2, 1]);
 *   const opt = new TorchLbfgs(x, { lineSearchFn: 'strong_wolfe' });
 *   for (let i = 0; i < 5; i++) opt.step((x, g) => rosenbrock(x, g));  // f(x), ∇f(x) into g
 *
 * The closure is always called with the parameter array itself (line-search trial points are
 * written into it and the iterate restored afterwards, as torch does), so it may also read x
 * from its own scope. State (memory, iteration count) carries over between step() calls.
 */
export class TorchLbfgs {
  readonly settings: TorchLbfgsSettings;
  /** Iterations over all calls (torch's state['n_iter']). */
  nIter = 0;
  /** Closure calls over all calls (torch's state['func_evals']). */
  funcEvals = 0;
  readonly params: Float64Array;
  readonly #n: number;
  /** Memory, oldest first: torch's old_stps (s), old_dirs (y), ro. */
  readonly #S: Float64Array[] = [];
  readonly #Y: Float64Array[] = [];
  readonly #rho: number[] = [];
  /** Vectors that left the memory (or were refused), for reuse. */
  readonly #pool: Float64Array[] = [];
  readonly #alpha: number[] = [];
  #hDiag = 1;
  #t = NaN;
  readonly #d: Float64Array;
  readonly #g: Float64Array;
  readonly #gPrev: Float64Array;
  readonly #y: Float64Array;
  /** Line-search scratch: the iterate while trial points are evaluated, three gradient buffers. */
  readonly #x0: Float64Array;
  readonly #gBuf: Float64Array[];

  constructor(params: Float64Array, options: TorchLbfgsOptions = {}) {
    if (!(params instanceof Float64Array) || params.length < 1) throw new DescentError(`lbfgs-torch: params must be a non-empty Float64Array, got ${show(params)}`);
    this.settings = torchLbfgsSettings(options);
    this.params = params;
    const n = this.#n = params.length;
    this.#d = new Float64Array(n);
    this.#g = new Float64Array(n);
    this.#gPrev = new Float64Array(n);
    this.#y = new Float64Array(n);
    this.#x0 = new Float64Array(n);
    this.#gBuf = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  }

  /**
   * The state carried between step() calls, as torch's state_dict() holds it (copies): resume
   * with loadStateDict on a TorchLbfgs with the same options and the run continues exactly.
   */
  stateDict(): TorchLbfgsState {
    return {
      nIter: this.nIter, funcEvals: this.funcEvals, t: this.#t, hDiag: this.#hDiag,
      d: this.#d.slice(), prevFlatGrad: this.#gPrev.slice(),
      oldStps: this.#S.map((v) => v.slice()), oldDirs: this.#Y.map((v) => v.slice()), ro: [...this.#rho],
    };
  }

  loadStateDict(state: TorchLbfgsState): void {
    const n = this.#n;
    const vec = (v: unknown, what: string): Float64Array => {
      if (!(v instanceof Float64Array) || v.length !== n) throw new DescentError(`lbfgs-torch: loadStateDict: ${what} must be a Float64Array of ${n} values`);
      return v;
    };
    if (state === null || typeof state !== 'object') throw new DescentError(`lbfgs-torch: loadStateDict: expected a state object, got ${show(state)}`);
    const { oldStps, oldDirs, ro } = state;
    if (!Array.isArray(oldStps) || !Array.isArray(oldDirs) || !Array.isArray(ro) || oldStps.length !== oldDirs.length || ro.length !== oldStps.length
        || oldStps.length > this.settings.historySize) {
      throw new DescentError(`lbfgs-torch: loadStateDict: oldStps, oldDirs and ro must be arrays of one length ≤ historySize (${this.settings.historySize})`);
    }
    if (!Number.isSafeInteger(state.nIter) || state.nIter < 0 || !Number.isSafeInteger(state.funcEvals) || state.funcEvals < 0) {
      throw new DescentError('lbfgs-torch: loadStateDict: nIter and funcEvals must be integers ≥ 0');
    }
    this.#d.set(vec(state.d, 'd'));
    this.#gPrev.set(vec(state.prevFlatGrad, 'prevFlatGrad'));
    this.#S.splice(0, this.#S.length, ...oldStps.map((v, i) => vec(v, `oldStps[${i}]`).slice()));
    this.#Y.splice(0, this.#Y.length, ...oldDirs.map((v, i) => vec(v, `oldDirs[${i}]`).slice()));
    this.#rho.splice(0, this.#rho.length, ...ro.map(Number));
    this.nIter = state.nIter;
    this.funcEvals = state.funcEvals;
    this.#t = Number(state.t);
    this.#hDiag = Number(state.hDiag);
  }

  /** torch's optimizer.step(closure): returns the loss at the start of the call (torch's orig_loss). */
  step(closure: Evaluate): number {
    const f = closure(this.params, this.#g);
    this.iterate(f, this.#g, closure);
    return f;
  }

  /**
   * One step() call after its first closure call: the caller has just evaluated f = f(x) and
   * g = ∇f(x) at x = params (that call counts here). Moves params in place; on return g holds
   * ∇f there when `fresh`.
   */
  iterate(f: number, g: Float64Array, evaluate: Evaluate): TorchStepResult {
    const x = this.params, o = this.settings, d = this.#d;
    let evals = 1;
    this.funcEvals++;
    const result = (exit: TorchStepExit, fresh: boolean, moved: boolean): TorchStepResult => ({ fresh, f, evaluations: evals, exit, moved });
    if (amax(g) <= o.toleranceGrad) return result('tolerance-grad', true, false);
    let moved = false;
    for (let k = 1; k <= o.maxIter; k++) {
      this.nIter++;
      if (this.nIter === 1) {
        d.set(g);
        scal(-1, d);
        this.#hDiag = 1;
      } else {
        this.#remember(g);
        this.#direction(g);
      }
      this.#gPrev.set(g);
      const fPrev = f;
      const t = this.nIter === 1 ? pyMin(1, 1 / asum(g)) * o.lr : o.lr;
      const gtd = dot(g, d);
      if (gtd > -o.toleranceChange) { this.#t = t; return result('not-descent', true, moved); }
      let fresh = true;
      if (o.lineSearchFn === 'strong_wolfe') {
        const r = this.#strongWolfe(x, t, f, g, gtd, evaluate);
        this.#t = r.t;
        f = r.f;
        axpy(r.t, d, x);
        evals += r.evaluations;
        this.funcEvals += r.evaluations;
      } else {
        this.#t = t;
        axpy(t, d, x);
        if (k !== o.maxIter) {
          f = evaluate(x, g);
          evals++;
          this.funcEvals++;
        } else fresh = false;
      }
      moved = true;
      if (k === o.maxIter) return result('max-iter', fresh, true);
      if (evals >= o.maxEval) return result('max-eval', true, true);
      if (amax(g) <= o.toleranceGrad) return result('tolerance-grad', true, true);
      if (Math.abs(this.#t) * amax(d) <= o.toleranceChange) return result('tolerance-change-step', true, true);
      if (Math.abs(f - fPrev) < o.toleranceChange) return result('tolerance-change-loss', true, true);
    }
    /* c8 ignore next */
    return result('max-iter', true, moved);
  }

  /** A vector for the memory: a discarded one, or a new one. */
  #take(): Float64Array {
    return this.#pool.pop() ?? new Float64Array(this.#n);
  }

  /** The pair of the previous iteration (s = t·d, y = g − g_prev) joins the memory if yᵀs > 1e-10. */
  #remember(g: Float64Array): void {
    const y = this.#y;
    const gPrev = this.#gPrev;
    for (let i = 0; i < y.length; i++) y[i] = g[i] - gPrev[i];
    // s = t·d is formed as a vector before the product (as torch does: ys rounds as torch's)
    const s = this.#take();
    s.set(this.#d);
    scal(this.#t, s);
    const ys = dot(y, s);
    if (!(ys > 1e-10)) {
      this.#pool.push(s);
      return;
    }
    if (this.#S.length === this.settings.historySize) {
      this.#pool.push(this.#S.shift()!, this.#Y.shift()!);
      this.#rho.shift();
    }
    const yv = this.#take();
    yv.set(y);
    this.#S.push(s);
    this.#Y.push(yv);
    this.#rho.push(1 / ys);
    this.#hDiag = ys / dot(y, y);
  }

  /** d = −H·g by the two-loop recursion over the memory, H₀ = H_diag·I. */
  #direction(g: Float64Array): void {
    const d = this.#d, S = this.#S, Y = this.#Y, rho = this.#rho, a = this.#alpha;
    d.set(g);
    scal(-1, d);
    for (let i = S.length - 1; i >= 0; i--) {
      a[i] = dot(S[i], d) * rho[i];
      axpy(-a[i], Y[i], d);
    }
    scal(this.#hDiag, d);
    for (let i = 0; i < S.length; i++) {
      const b = dot(Y[i], d) * rho[i];
      axpy(a[i] - b, S[i], d);
    }
  }

  /** torch's _strong_wolfe from x along d: the accepted t, f and (into g) ∇f there, and its evaluations. */
  #strongWolfe(x: Float64Array, t: number, f: number, g: Float64Array, gtd: number, evaluate: Evaluate): { t: number; f: number; evaluations: number } {
    const d = this.#d, x0 = this.#x0;
    const c1 = 1e-4, c2 = 0.9, tolerance = 1e-9, maxLs = 25;
    const dNorm = amax(d);
    let [gPrevBuf, gNew, spare] = this.#gBuf;
    // trial points are written into x (the parameters) and x restored after each, as torch does
    const phi = (a: number, into: Float64Array): { f: number; gtd: number } => {
      x0.set(x);
      along(x0, a, d, x);
      const fv = evaluate(x, into);
      x.set(x0);
      return { f: fv, gtd: dot(into, d) };
    };
    gPrevBuf.set(g);
    let { f: fNew, gtd: gtdNew } = phi(t, gNew);
    let evals = 1;
    let tPrev = 0, fPrev = f, gtdPrev = gtd;
    // the bracket: positions, values, gradients, slopes; done = a single accepted point
    let br: number[] = [], bf: number[] = [], bg: Float64Array[] = [], bgtd: number[] = [];
    let done = false, iter = 0;
    while (iter < maxLs) {
      if (fNew > f + c1 * t * gtd || (iter > 1 && fNew >= fPrev)) {
        br = [tPrev, t]; bf = [fPrev, fNew]; bg = [gPrevBuf, gNew]; bgtd = [gtdPrev, gtdNew];
        break;
      }
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        br = [t]; bf = [fNew]; bg = [gNew]; done = true;
        break;
      }
      if (gtdNew >= 0) {
        br = [tPrev, t]; bf = [fPrev, fNew]; bg = [gPrevBuf, gNew]; bgtd = [gtdPrev, gtdNew];
        break;
      }
      const next = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, t + 0.01 * (t - tPrev), t * 10);
      tPrev = t; fPrev = fNew; gtdPrev = gtdNew;
      [gPrevBuf, gNew] = [gNew, gPrevBuf];
      t = next;
      ({ f: fNew, gtd: gtdNew } = phi(t, gNew));
      evals++;
      iter++;
    }
    if (iter === maxLs) {
      // out of evaluations while extrapolating: choose between x and the last trial
      gPrevBuf.set(g);
      br = [0, t]; bf = [f, fNew]; bg = [gPrevBuf, gNew];
    }
    let low = bf[0] <= bf[bf.length - 1] ? 0 : 1, high = 1 - low;
    let insufficient = false;
    while (!done && iter < maxLs) {
      if (Math.abs(br[1] - br[0]) * dNorm < tolerance) break;
      t = cubicInterpolate(br[0], bf[0], bgtd[0], br[1], bf[1], bgtd[1]);
      const hi = pyMax(br[0], br[1]), lo = pyMin(br[0], br[1]);
      const eps = 0.1 * (hi - lo);
      if (pyMin(hi - t, t - lo) < eps) {
        if (insufficient || t >= hi || t <= lo) {
          t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
          insufficient = false;
        } else insufficient = true;
      } else insufficient = false;
      ({ f: fNew, gtd: gtdNew } = phi(t, spare));
      evals++;
      iter++;
      if (fNew > f + c1 * t * gtd || fNew >= bf[low]) {
        const old = bg[high];
        br[high] = t; bf[high] = fNew; bg[high] = spare; bgtd[high] = gtdNew;
        spare = old;
        [low, high] = bf[0] <= bf[1] ? [0, 1] : [1, 0];
      } else {
        let old: Float64Array;
        if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
        else if (gtdNew * (br[high] - br[low]) >= 0) {
          old = bg[high];
          br[high] = br[low]; bf[high] = bf[low]; bg[high] = bg[low]; bgtd[high] = bgtd[low];
          bg[low] = old; // freed below
        }
        old = bg[low];
        br[low] = t; bf[low] = fNew; bg[low] = spare; bgtd[low] = gtdNew;
        spare = old;
      }
    }
    g.set(bg[low]);
    return { t: br[low], f: bf[low], evaluations: evals };
  }
}

/**
 * minimize()'s method 'lbfgs-torch': repeated torch step() calls from x, one per iteration
 * (maxIterations = the number of calls, fit's epochs). Each call's first closure call also
 * gives the value recorded for the previous iteration, so a run of k calls evaluates once more
 * than torch's k calls did: at the final point, where torch's next call would start. Stops on
 * the context's limits and callback, and when further calls cannot change anything: max|g| ≤
 * toleranceGrad at a call's start (reason 'gradient'), or a call that did not move x ('step').
 * The context must have gradientTolerance = stepTolerance = valueTolerance = 0 (torch's tests
 * replace them) and plain float64 vectors (x.data, g.data are the arrays worked on).
 */
export function runTorchLbfgs(ctx: Context, x: Vec, g: Vec, options?: TorchLbfgsOptions): number {
  const opt = new TorchLbfgs(x.data, options);
  const evaluate: Evaluate = (xv, gv) => ctx.obj.valueAndGradient(xv, gv);
  const xPrev = new Float64Array(ctx.n);
  let f = evaluate(x.data, g.data), fPrev = f, stepNorm = 0;
  for (;;) {
    if (ctx.record(x, f, g, stepNorm, fPrev)) return f;
    if (amax(g.data) <= opt.settings.toleranceGrad) {
      ctx.stop('gradient', `max|g| = ${amax(g.data).toExponential(3)} ≤ toleranceGrad: a further step() call returns at once`);
      return f;
    }
    ctx.iteration++;
    xPrev.set(x.data);
    opt.iterate(f, g.data, evaluate);
    fPrev = f;
    f = evaluate(x.data, g.data);
    let s = 0;
    for (let i = 0; i < ctx.n; i++) s += (x.data[i] - xPrev[i]) ** 2;
    stepNorm = Math.sqrt(s);
  }
}
