// Filling in missing derivatives by finite differences, and counting evaluations.
//
// Steps (per coordinate, scaled to the variable: hᵢ = c·max(|xᵢ|, 1)), with ε = 2⁻⁵² the f64
// machine epsilon — the choices that balance truncation and rounding error (Nocedal & Wright,
// Numerical Optimization, 2nd ed., §8.1; Dennis & Schnabel §5.4):
//   forward gradient   gᵢ ≈ (f(x + hᵢeᵢ) − f(x))/hᵢ,           c = √ε ≈ 1.5e-8      n value evaluations
//   central gradient   gᵢ ≈ (f(x + hᵢeᵢ) − f(x − hᵢeᵢ))/(2hᵢ),  c = ε^(1/3) ≈ 6e-6  2n value evaluations
//   Hessian            column j ≈ (∇f(x + hⱼeⱼ) − ∇f(x))/hⱼ, then symmetrized ½(H + Hᵀ), c = √ε;
//                      n gradient evaluations (n² value evaluations through a forward-difference
//                      gradient when there is no gradient either, c = ε^(1/3) then)
//   Hessian·v          (∇f(x + h·v/‖v‖) − ∇f(x))·‖v‖/h, h = √ε·max(‖x‖, 1): one gradient evaluation
//   Jacobian           column j ≈ (r(x + hⱼeⱼ) − r(x))/hⱼ, c = √ε: n residual evaluations
// Least squares without a gradient: ∇f = 2·Jᵀr (from the Jacobian, analytic or differenced).
// Accuracy: forward differences give ~√ε ≈ 1e-8 relative accuracy at best, central ~ε^(2/3)
// ≈ 4e-11; methods that need tight gradients (Newton to 1e-8, CG restarts) want central.
//
// Counting: the returned objective counts calls of each user function; `counts` is live.

import { DescentError, show } from '../engine/errors.js';
import type { Objective } from './objective.js';

export interface EvaluationCounts {
  value: number;
  gradient: number;
  hessian: number;
  /** Hessian-vector products (analytic or differenced; each differenced one also counts a gradient). */
  hessianVector: number;
  residuals: number;
  jacobian: number;
}

export interface DerivativeOptions {
  /** Finite-difference scheme for a missing gradient (default 'central'). */
  gradient?: 'forward' | 'central';
}

/** A complete objective: every method present. */
export type FullObjective = Required<Pick<Objective, 'n' | 'value' | 'gradient' | 'valueAndGradient' | 'hessian' | 'hessianVector'>> &
  Pick<Objective, 'm' | 'residuals' | 'jacobian'> & {
    readonly counts: EvaluationCounts;
    /** Which derivatives are finite differences. */
    readonly approximated: { gradient: boolean; hessian: boolean; hessianVector: boolean; jacobian: boolean };
  };

const EPS = 2 ** -52;
const SQRT_EPS = Math.sqrt(EPS);
const CBRT_EPS = Math.cbrt(EPS);

export function checkObjective(obj: Objective, what = 'minimize'): void {
  if (!obj || typeof obj !== 'object') throw new DescentError(`${what}: the objective must be an object with n and value(x)`);
  if (!Number.isSafeInteger(obj.n) || obj.n < 1) throw new DescentError(`${what}: objective.n must be a positive integer, got ${show(obj.n)}`);
  if (typeof obj.value !== 'function') throw new DescentError(`${what}: objective.value(x) is missing`);
  if ((obj.residuals || obj.jacobian) && !(Number.isSafeInteger(obj.m) && obj.m! >= 1)) {
    throw new DescentError(`${what}: a least-squares objective needs m, the number of residuals, got ${show(obj.m)}`);
  }
}

/** The objective with every derivative (finite differences where missing) and call counts. */
export function withDerivatives(obj: Objective, opts: DerivativeOptions = {}): FullObjective {
  checkObjective(obj);
  const n = obj.n;
  const counts: EvaluationCounts = { value: 0, gradient: 0, hessian: 0, hessianVector: 0, residuals: 0, jacobian: 0 };
  const scheme = opts.gradient ?? 'central';
  if (scheme !== 'forward' && scheme !== 'central') throw new DescentError(`minimize: gradient scheme must be 'forward' or 'central', got ${show(scheme)}`);
  const m = obj.m ?? 0;
  const lsq = typeof obj.residuals === 'function';
  const xt = new Float64Array(n);
  const r0 = new Float64Array(m), r1 = new Float64Array(m);

  // A gradient or residual function may return its result instead of writing it; the first
  // call also checks that every entry was written: the array is pre-filled with a NaN of a
  // particular bit pattern, which no arithmetic produces, and none may survive the call.
  let gradChecked = false, resChecked = false;
  const SENT_HI = 0x7ff4dead, SENT_LO = 0xbeef1234;
  const mark = (a: Float64Array) => {
    const w = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
    for (let i = 0; i < a.length; i++) { w[2 * i] = SENT_LO; w[2 * i + 1] = SENT_HI; }
  };
  const unwritten = (a: Float64Array): number => {
    const w = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
    for (let i = 0; i < a.length; i++) if (w[2 * i] === SENT_LO && w[2 * i + 1] === SENT_HI) return i;
    return -1;
  };
  const userGradient = obj.gradient ? (x: Float64Array, g: Float64Array): void => {
    if (!gradChecked) mark(g);
    const ret = obj.gradient!(x, g);
    if (ret !== undefined && ret !== null) {
      if (ret.length !== n) throw new DescentError(`minimize: the gradient has ${ret.length} values, expected n = ${n}`);
      for (let i = 0; i < n; i++) g[i] = ret[i];
    }
    if (!gradChecked) {
      gradChecked = true;
      const i = unwritten(g);
      if (i >= 0) throw new DescentError(`minimize: gradient(x, g) did not write g[${i}] (the gradient has n = ${n} entries)`);
    }
  } : undefined;
  const userResiduals = obj.residuals ? (x: Float64Array, r: Float64Array): void => {
    if (!resChecked) mark(r);
    const ret = obj.residuals!(x, r);
    if (ret !== undefined && ret !== null) {
      if (ret.length !== m) throw new DescentError(`minimize: residuals returned ${ret.length} values, expected m = ${m}`);
      for (let i = 0; i < m; i++) r[i] = ret[i];
    }
    if (!resChecked) {
      resChecked = true;
      const i = unwritten(r);
      if (i >= 0) throw new DescentError(`minimize: residuals(x, r) did not write r[${i}] (m = ${m} residuals)`);
    }
  } : undefined;

  const value = (x: Float64Array): number => {
    counts.value++;
    return obj.value(x);
  };
  const residuals = userResiduals ? (x: Float64Array, r: Float64Array): void => {
    counts.residuals++;
    userResiduals(x, r);
  } : undefined;

  let jacobian: ((x: Float64Array, J: Float64Array) => void) | undefined;
  if (obj.jacobian) {
    jacobian = (x, J) => { counts.jacobian++; obj.jacobian!(x, J); };
  } else if (residuals) {
    jacobian = (x, J) => {
      residuals(x, r0);
      xt.set(x);
      for (let j = 0; j < n; j++) {
        const h = SQRT_EPS * Math.max(Math.abs(x[j]), 1);
        xt[j] = x[j] + h;
        const hj = xt[j] - x[j]; // the step actually taken
        residuals(xt, r1);
        for (let i = 0; i < m; i++) J[i * n + j] = (r1[i] - r0[i]) / hj;
        xt[j] = x[j];
      }
    };
  }

  let gradient: (x: Float64Array, g: Float64Array) => void;
  let gradApprox = false;
  if (userGradient) {
    gradient = (x, g) => { counts.gradient++; userGradient(x, g); };
  } else if (obj.valueAndGradient) {
    gradient = (x, g) => { counts.gradient++; obj.valueAndGradient!(x, g); };
  } else if (residuals && jacobian) {
    const J = new Float64Array(m * n), r = new Float64Array(m);
    gradient = (x, g) => {
      residuals(x, r);
      jacobian!(x, J);
      g.fill(0);
      for (let i = 0; i < m; i++) {
        const ri = 2 * r[i];
        for (let j = 0; j < n; j++) g[j] += ri * J[i * n + j];
      }
    };
    gradApprox = !obj.jacobian;
  } else {
    gradApprox = true;
    gradient = (x, g) => {
      xt.set(x);
      const f0 = scheme === 'forward' ? value(x) : 0;
      for (let j = 0; j < n; j++) {
        const h = (scheme === 'forward' ? SQRT_EPS : CBRT_EPS) * Math.max(Math.abs(x[j]), 1);
        xt[j] = x[j] + h;
        const hp = xt[j] - x[j];
        const fp = value(xt);
        if (scheme === 'forward') {
          g[j] = (fp - f0) / hp;
        } else {
          xt[j] = x[j] - h;
          const hm = x[j] - xt[j];
          g[j] = (fp - value(xt)) / (hp + hm);
        }
        xt[j] = x[j];
      }
    };
  }

  const valueAndGradient = obj.valueAndGradient
    ? (x: Float64Array, g: Float64Array): number => { counts.value++; counts.gradient++; return obj.valueAndGradient!(x, g); }
    : (x: Float64Array, g: Float64Array): number => { gradient(x, g); return value(x); };

  const g0 = new Float64Array(n), g1 = new Float64Array(n), xh = new Float64Array(n);
  let hessian: (x: Float64Array, H: Float64Array) => void;
  let hessApprox = false;
  if (obj.hessian) {
    hessian = (x, H) => { counts.hessian++; obj.hessian!(x, H); };
  } else {
    hessApprox = true;
    hessian = (x, H) => {
      gradient(x, g0);
      xh.set(x);
      for (let j = 0; j < n; j++) {
        const h = (gradApprox ? CBRT_EPS : SQRT_EPS) * Math.max(Math.abs(x[j]), 1);
        xh[j] = x[j] + h;
        const hj = xh[j] - x[j];
        gradient(xh, g1);
        for (let i = 0; i < n; i++) H[i * n + j] = (g1[i] - g0[i]) / hj;
        xh[j] = x[j];
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) {
          const s = 0.5 * (H[i * n + j] + H[j * n + i]);
          H[i * n + j] = s;
          H[j * n + i] = s;
        }
      }
    };
  }

  let hessianVector: (x: Float64Array, v: Float64Array, out: Float64Array) => void;
  let hvApprox = false;
  if (obj.hessianVector) {
    hessianVector = (x, v, out) => { counts.hessianVector++; obj.hessianVector!(x, v, out); };
  } else if (obj.hessian) {
    const H = new Float64Array(n * n);
    hessianVector = (x, v, out) => {
      counts.hessianVector++;
      hessian(x, H);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += H[i * n + j] * v[j];
        out[i] = s;
      }
    };
  } else {
    hvApprox = true;
    hessianVector = (x, v, out) => {
      counts.hessianVector++;
      let vn = 0, xn = 0;
      for (let i = 0; i < n; i++) { vn += v[i] * v[i]; xn += x[i] * x[i]; }
      vn = Math.sqrt(vn);
      if (vn === 0) { out.fill(0); return; }
      const h = SQRT_EPS * Math.max(Math.sqrt(xn), 1);
      gradient(x, g0);
      for (let i = 0; i < n; i++) xh[i] = x[i] + (h / vn) * v[i];
      gradient(xh, g1);
      for (let i = 0; i < n; i++) out[i] = ((g1[i] - g0[i]) / h) * vn;
    };
  }

  return {
    n, m: obj.m, value, gradient, valueAndGradient, hessian, hessianVector,
    residuals, jacobian, counts,
    approximated: { gradient: gradApprox, hessian: hessApprox, hessianVector: hvApprox, jacobian: lsq && !obj.jacobian },
  };
}
