// A least-squares objective f(x) = Σᵢ rᵢ(x)² (the sum of squares, NO ½) built from a residual
// model that knows its residuals, its Jacobian and the curvature of each residual:
//
//   f   = Σᵢ rᵢ²                         = rᵀr
//   ∇f  = 2·Σᵢ rᵢ∇rᵢ                     = 2·Jᵀr
//   ∇²f = 2·Σᵢ (∇rᵢ∇rᵢᵀ + rᵢ∇²rᵢ)        = 2·(JᵀJ + S),  S = Σᵢ rᵢ∇²rᵢ
//   ∇²f·v = 2·(Jᵀ(Jv) + S·v)
//
// Everything is exact: the model supplies ∇rᵢ (the rows of J) and S(x, w) = Σᵢ wᵢ∇²rᵢ(x)
// analytically, called here with w = r. No finite differences anywhere. The sizes of the test
// problems (n ≤ a few dozen) make the dense n×n S cheap, so hessianVector forms S and multiplies.
//
// Scratch arrays belong to the objective; the arrays passed in are written, never kept.

import type { Objective } from '../../minimize/objective.js';

/** What a least-squares test problem defines: residuals and their first and second derivatives. */
export interface ResidualModel {
  readonly n: number;
  readonly m: number;
  /** r ← r(x), length m. */
  residuals(x: Float64Array, r: Float64Array): void;
  /** J ← ∂r/∂x, m×n row-major. J arrives zeroed: set the nonzeros only. */
  jacobian(x: Float64Array, J: Float64Array): void;
  /**
   * S ← Σᵢ wᵢ·∇²rᵢ(x), n×n row-major, both triangles. S arrives zeroed: add the nonzeros only
   * (addSym keeps the two triangles equal). Linear residuals add nothing.
   */
  residualHessians(x: Float64Array, w: Float64Array, S: Float64Array): void;
}

/** A least-squares objective with every method present. */
export type LeastSquaresObjective = Required<
  Pick<Objective, 'n' | 'm' | 'value' | 'gradient' | 'valueAndGradient' | 'hessian' | 'hessianVector' | 'residuals' | 'jacobian'>
>;

/** S[i][j] += v and, off the diagonal, S[j][i] += v: one term of a symmetric second derivative. */
export function addSym(S: Float64Array, n: number, i: number, j: number, v: number): void {
  S[i * n + j] += v;
  if (i !== j) S[j * n + i] += v;
}

/** f = Σ rᵢ² with its gradient 2Jᵀr, Hessian 2(JᵀJ + Σ rᵢ∇²rᵢ) and Hessian-vector products. */
export function sumOfSquares(model: ResidualModel): LeastSquaresObjective {
  const { n, m } = model;
  const r = new Float64Array(m);
  const J = new Float64Array(m * n);
  const S = new Float64Array(n * n);
  const Jv = new Float64Array(m);

  const jacobian = (x: Float64Array, out: Float64Array): void => {
    out.fill(0, 0, m * n);
    model.jacobian(x, out);
  };
  const valueAndGradient = (x: Float64Array, g: Float64Array): number => {
    model.residuals(x, r);
    jacobian(x, J);
    let f = 0;
    for (let i = 0; i < m; i++) f += r[i] * r[i];
    g.fill(0, 0, n);
    for (let i = 0; i < m; i++) {
      const ri2 = 2 * r[i];
      if (ri2 === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) g[j] += ri2 * J[row + j];
    }
    return f;
  };
  /** r, J and S at x into the scratch arrays. */
  const secondOrder = (x: Float64Array): void => {
    model.residuals(x, r);
    jacobian(x, J);
    S.fill(0);
    model.residualHessians(x, r, S);
  };

  return {
    n,
    m,
    value(x) {
      model.residuals(x, r);
      let f = 0;
      for (let i = 0; i < m; i++) f += r[i] * r[i];
      return f;
    },
    gradient(x, g) {
      valueAndGradient(x, g);
    },
    valueAndGradient,
    residuals(x, out) {
      model.residuals(x, out);
    },
    jacobian,
    hessian(x, H) {
      secondOrder(x);
      for (let a = 0; a < n; a++) {
        for (let b = a; b < n; b++) {
          let s = 0;
          for (let i = 0; i < m; i++) s += J[i * n + a] * J[i * n + b];
          const h = 2 * (s + S[a * n + b]);
          H[a * n + b] = h;
          H[b * n + a] = h;
        }
      }
    },
    hessianVector(x, v, out) {
      secondOrder(x);
      for (let i = 0; i < m; i++) {
        let s = 0;
        const row = i * n;
        for (let j = 0; j < n; j++) s += J[row + j] * v[j];
        Jv[i] = s;
      }
      for (let a = 0; a < n; a++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += J[i * n + a] * Jv[i];
        const row = a * n;
        for (let b = 0; b < n; b++) s += S[row + b] * v[b];
        out[a] = 2 * s;
      }
    },
  };
}
