// Classic small test functions, each a Problem with analytic gradient, Hessian and Hessian-vector
// product (and residuals/Jacobian where the function is a sum of squares, f = Σ rᵢ², no ½):
//
//   rosenbrock()            f = (1 − x₁)² + 100(x₂ − x₁²)²; start (−1.2, 1), min 0 at (1, 1).
//                           H. H. Rosenbrock, "An automatic method for finding the greatest or
//                           least value of a function", Computer Journal 3(3):175–184, 1960; the
//                           start is Rosenbrock's and Moré–Garbow–Hillstrom's (problem 1).
//   rosenbrockChained(n)    the CHAINED (coupled) n-D form, Σᵢ₌₁ⁿ⁻¹ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²
//                           (the form of SciPy's `rosen`); for n = 2 it is rosenbrock(). Start
//                           (−1.2, 1, −1.2, 1, …) as in MGH's extended form. Min 0 at (1, …, 1);
//                           for n ≥ 4 also a local minimizer near (−1, 1, …, 1), f ≈ 3.70 (n = 4)
//                           rising to ≈ 3.987 (n ≥ 10) (found by Newton from (−1, 1, …, 1), Hessian
//                           positive definite there; checked by us for n = 4…10 and 30). The
//                           uncoupled "extended" form is MGH problem 21 (mgh.ts).
//   beale()                 f = Σᵢ₌₁³ (yᵢ − x₁(1 − x₂ⁱ))², y = (1.5, 2.25, 2.625); start (1, 1),
//                           min 0 at (3, ½). E. M. L. Beale, "On an iterative method for finding a
//                           local minimum of a function of more than one variable", Tech. Rep. 25,
//                           Princeton 1958; start as in Moré–Garbow–Hillstrom (problem 5).
//   booth()                 f = (x₁ + 2x₂ − 7)² + (2x₁ + x₂ − 5)²: a linear least-squares bowl,
//                           min 0 at (1, 3). No standard start is published; ours is (0, 0).
//   himmelblau()            f = (x₁² + x₂ − 11)² + (x₁ + x₂² − 7)²: four minima of value 0 at (3, 2)
//                           and at the three points in HIMMELBLAU_MINIMA (computed by Newton's
//                           method to full double precision), a local maximum near
//                           (−0.2708, −0.9230) and four saddles. D. M. Himmelblau, "Applied
//                           Nonlinear Programming", McGraw-Hill 1972. Start (0, 0) is our choice.
//   saddle()                f = x₁² − x₂²: a non-degenerate saddle at 0, unbounded below.
//   monkeySaddle()          f = x₁³ − 3x₁x₂²: a degenerate saddle at 0 (zero Hessian), three
//                           descending valleys, unbounded below.
//                           Both saddles start at (1, 10⁻³) (ours): just off the axis that gradient
//                           descent follows into the saddle, so a method must notice curvature (or
//                           wait for the small component to grow) to escape.
//   quadratic({ n, condition, rotated?, seed? })
//                           the "oblong" (ill-conditioned) quadratic f = ½(x − x*)ᵀA(x − x*),
//                           x* = (1, …, 1), start 0, with eigenvalues λᵢ = κ^(i/(n−1)), i = 0…n−1:
//                           log-uniformly spaced from exactly 1 to exactly κ = condition. A = Λ
//                           (diagonal, the default) or A = QΛQᵀ with Q a seeded random orthogonal
//                           matrix (Gram–Schmidt, twice, on a Gaussian matrix: Haar-distributed).
//
// Every x0 and xStar is a fresh Float64Array per call; objectives keep only their own scratch.

import { DescentError } from '../engine/errors.js';
import type { Objective, Problem } from '../minimize/objective.js';
import { Random } from '../random.js';
import { mghProblem } from './mgh.js';
import { addSym, sumOfSquares } from './mgh/least-squares.js';

/** An objective with value, gradient, Hessian and Hessian-vector product all present. */
export type SmoothObjective = Objective & Required<Pick<Objective, 'n' | 'value' | 'gradient' | 'valueAndGradient' | 'hessian' | 'hessianVector'>>;

export interface ClassicProblem extends Problem {
  readonly objective: SmoothObjective;
  /** Every known minimizer (Himmelblau has four); xStar is the first. */
  readonly minimizers?: readonly Float64Array[];
  /** Stationary points that are saddles, where the problem is about them. */
  readonly saddles?: readonly Float64Array[];
  readonly note?: string;
}

const ROSENBROCK_1960 = 'H. H. Rosenbrock, Computer Journal 3(3):175–184 (1960)';

/** The chained Rosenbrock function in n ≥ 2 variables (see the header). */
export function rosenbrockChained(n: number): ClassicProblem {
  if (!Number.isSafeInteger(n) || n < 2) throw new DescentError(`rosenbrockChained: n must be an integer ≥ 2, got ${n}`);
  const value = (x: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < n - 1; i++) {
      const a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
      f += 100 * a * a + b * b;
    }
    return f;
  };
  const valueAndGradient = (x: Float64Array, g: Float64Array): number => {
    let f = 0;
    g.fill(0, 0, n);
    for (let i = 0; i < n - 1; i++) {
      const a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
      f += 100 * a * a + b * b;
      g[i] += -400 * x[i] * a - 2 * b;
      g[i + 1] += 200 * a;
    }
    return f;
  };
  /** The tridiagonal Hessian: diagonal d, super-diagonal e. */
  const d = new Float64Array(n), e = new Float64Array(n);
  const tridiagonal = (x: Float64Array): void => {
    d.fill(0);
    for (let i = 0; i < n - 1; i++) {
      d[i] += 1200 * x[i] * x[i] - 400 * x[i + 1] + 2;
      d[i + 1] += 200;
      e[i] = -400 * x[i];
    }
  };
  const m = 2 * (n - 1);
  const objective: SmoothObjective = {
    n,
    m,
    value,
    valueAndGradient,
    gradient(x, g) {
      valueAndGradient(x, g);
    },
    hessian(x, H) {
      tridiagonal(x);
      H.fill(0, 0, n * n);
      for (let i = 0; i < n; i++) {
        H[i * n + i] = d[i];
        if (i < n - 1) H[i * n + i + 1] = H[(i + 1) * n + i] = e[i];
      }
    },
    hessianVector(x, v, out) {
      tridiagonal(x);
      for (let i = 0; i < n; i++) {
        let s = d[i] * v[i];
        if (i > 0) s += e[i - 1] * v[i - 1];
        if (i < n - 1) s += e[i] * v[i + 1];
        out[i] = s;
      }
    },
    // residuals r₂ᵢ = 10(xᵢ₊₁ − xᵢ²), r₂ᵢ₊₁ = 1 − xᵢ: Σ r² = f
    residuals(x, r) {
      for (let i = 0; i < n - 1; i++) {
        r[2 * i] = 10 * (x[i + 1] - x[i] * x[i]);
        r[2 * i + 1] = 1 - x[i];
      }
    },
    jacobian(x, J) {
      J.fill(0, 0, m * n);
      for (let i = 0; i < n - 1; i++) {
        J[2 * i * n + i] = -20 * x[i];
        J[2 * i * n + i + 1] = 10;
        J[(2 * i + 1) * n + i] = -1;
      }
    },
  };
  const ones = () => new Float64Array(n).fill(1);
  return {
    name: n === 2 ? 'rosenbrock' : `rosenbrock-chained-n${n}`,
    source: n === 2 ? `${ROSENBROCK_1960}; start (−1.2, 1)` : `chained Rosenbrock (${ROSENBROCK_1960}, coupled n-D form)`,
    objective,
    x0: Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1)),
    fStar: 0,
    xStar: ones(),
    minimizers: [ones()],
    note: n >= 4 ? 'also a local minimizer near (−1, 1, …, 1) with f ≈ 3.7–3.99' : undefined,
  };
}

/** Rosenbrock's banana valley in 2-D. */
export function rosenbrock(): ClassicProblem {
  return rosenbrockChained(2);
}

/** Beale's function (the residual model of MGH problem 5). */
export function beale(): ClassicProblem {
  const p = mghProblem(5);
  return {
    name: 'beale',
    source: 'E. M. L. Beale, Tech. Rep. 25, Princeton (1958); start (1, 1) as in Moré–Garbow–Hillstrom (1981) problem 5',
    objective: p.objective,
    x0: p.x0,
    fStar: 0,
    xStar: Float64Array.of(3, 0.5),
    minimizers: [Float64Array.of(3, 0.5)],
  };
}

/** Booth's function: (x₁ + 2x₂ − 7)² + (2x₁ + x₂ − 5)². */
export function booth(): ClassicProblem {
  const objective = sumOfSquares({
    n: 2, m: 2,
    residuals(x, r) {
      r[0] = x[0] + 2 * x[1] - 7;
      r[1] = 2 * x[0] + x[1] - 5;
    },
    jacobian(_x, J) {
      J[0] = 1; J[1] = 2;
      J[2] = 2; J[3] = 1;
    },
    residualHessians() {},
  });
  return {
    name: 'booth',
    source: 'Booth function (linear least squares); start (0, 0) is ours',
    objective,
    x0: Float64Array.of(0, 0),
    fStar: 0,
    xStar: Float64Array.of(1, 3),
    minimizers: [Float64Array.of(1, 3)],
  };
}

/** Himmelblau's four minimizers: (3, 2) and three irrational points (Newton, full double precision). */
export const HIMMELBLAU_MINIMA: readonly (readonly [number, number])[] = [
  [3, 2],
  [-2.805118086952745, 3.131312518250573],
  [-3.779310253377747, -3.2831859912861696],
  [3.5844283403304917, -1.8481265269644036],
];

/** Himmelblau's function: (x₁² + x₂ − 11)² + (x₁ + x₂² − 7)². */
export function himmelblau(): ClassicProblem {
  const objective = sumOfSquares({
    n: 2, m: 2,
    residuals(x, r) {
      r[0] = x[0] * x[0] + x[1] - 11;
      r[1] = x[0] + x[1] * x[1] - 7;
    },
    jacobian(x, J) {
      J[0] = 2 * x[0]; J[1] = 1;
      J[2] = 1; J[3] = 2 * x[1];
    },
    residualHessians(_x, w, S) {
      addSym(S, 2, 0, 0, 2 * w[0]);
      addSym(S, 2, 1, 1, 2 * w[1]);
    },
  });
  const minimizers = HIMMELBLAU_MINIMA.map((p) => Float64Array.from(p));
  return {
    name: 'himmelblau',
    source: 'D. M. Himmelblau, Applied Nonlinear Programming, McGraw-Hill (1972); start (0, 0) is ours',
    objective,
    x0: Float64Array.of(0, 0),
    fStar: 0,
    xStar: Float64Array.from(HIMMELBLAU_MINIMA[0]),
    minimizers,
    note: 'four minima of value 0; a local maximum f = 181.617 at (−0.270845, −0.923039)',
  };
}

/** f = x₁² − x₂²: the plain saddle, unbounded below (no fStar). */
export function saddle(): ClassicProblem {
  const objective: SmoothObjective = {
    n: 2,
    value: (x) => x[0] * x[0] - x[1] * x[1],
    gradient(x, g) {
      g[0] = 2 * x[0];
      g[1] = -2 * x[1];
    },
    valueAndGradient(x, g) {
      g[0] = 2 * x[0];
      g[1] = -2 * x[1];
      return x[0] * x[0] - x[1] * x[1];
    },
    hessian(_x, H) {
      H[0] = 2; H[1] = 0;
      H[2] = 0; H[3] = -2;
    },
    hessianVector(_x, v, out) {
      out[0] = 2 * v[0];
      out[1] = -2 * v[1];
    },
  };
  return {
    name: 'saddle',
    source: 'f = x² − y² (a non-degenerate saddle at the origin); start (1, 10⁻³) is ours',
    objective,
    x0: Float64Array.of(1, 1e-3),
    saddles: [Float64Array.of(0, 0)],
    note: 'unbounded below; the only stationary point is the saddle at (0, 0), Hessian diag(2, −2)',
  };
}

/** f = x₁³ − 3x₁x₂²: the monkey saddle, unbounded below (no fStar). */
export function monkeySaddle(): ClassicProblem {
  const value = (x: Float64Array) => x[0] * x[0] * x[0] - 3 * x[0] * x[1] * x[1];
  const gradient = (x: Float64Array, g: Float64Array) => {
    g[0] = 3 * x[0] * x[0] - 3 * x[1] * x[1];
    g[1] = -6 * x[0] * x[1];
  };
  const objective: SmoothObjective = {
    n: 2,
    value,
    gradient,
    valueAndGradient(x, g) {
      gradient(x, g);
      return value(x);
    },
    hessian(x, H) {
      H[0] = 6 * x[0]; H[1] = -6 * x[1];
      H[2] = -6 * x[1]; H[3] = -6 * x[0];
    },
    hessianVector(x, v, out) {
      out[0] = 6 * x[0] * v[0] - 6 * x[1] * v[1];
      out[1] = -6 * x[1] * v[0] - 6 * x[0] * v[1];
    },
  };
  return {
    name: 'monkey-saddle',
    source: 'f = x³ − 3xy² (the monkey saddle, degenerate at the origin); start (1, 10⁻³) is ours',
    objective,
    x0: Float64Array.of(1, 1e-3),
    saddles: [Float64Array.of(0, 0)],
    note: 'unbounded below; the only stationary point is the origin, where the Hessian is zero',
  };
}

export interface QuadraticOptions {
  /** Number of variables. */
  n: number;
  /** κ = λmax/λmin ≥ 1: the eigenvalues run log-uniformly from 1 to κ. */
  condition: number;
  /** A = QΛQᵀ with a seeded random orthogonal Q (true), or A = Λ diagonal (false, the default). */
  rotated?: boolean;
  /** Seed of the rotation (default 1); ignored when not rotated. */
  seed?: number;
}

export interface QuadraticProblem extends ClassicProblem {
  /** λ₀ = 1 ≤ … ≤ λₙ₋₁ = κ. */
  readonly eigenvalues: Float64Array;
  /** Q (n×n row-major, column j the eigenvector of λⱼ) when rotated. */
  readonly eigenvectors?: Float64Array;
}

/** A seeded Haar-random orthogonal n×n matrix (row-major): Gram–Schmidt, twice, on Gaussian columns. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const rnd = new Random(seed);
  const Q = new Float64Array(n * n);
  const v = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) v[i] = rnd.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += v[i] * Q[i * n + k];
        for (let i = 0; i < n; i++) v[i] -= dot * Q[i * n + k];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) Q[i * n + j] = v[i] / norm;
  }
  return Q;
}

/** The oblong quadratic ½(x − 1)ᵀA(x − 1) with condition number κ (see the header). */
export function quadratic(opts: QuadraticOptions): QuadraticProblem {
  const { n, condition: kappa, rotated = false, seed = 1 } = opts ?? ({} as QuadraticOptions);
  if (!Number.isSafeInteger(n) || n < 1) throw new DescentError(`quadratic: n must be a positive integer, got ${n}`);
  if (!(Number.isFinite(kappa) && kappa >= 1)) throw new DescentError(`quadratic: condition must be a finite number ≥ 1, got ${kappa}`);
  if (n === 1 && kappa !== 1) throw new DescentError(`quadratic: one variable has condition 1, got ${kappa}`);
  if (rotated && !Number.isFinite(seed)) throw new DescentError(`quadratic: seed must be a finite number, got ${seed}`);
  const lam = Float64Array.from({ length: n }, (_, i) => (n === 1 ? 1 : i === n - 1 ? kappa : kappa ** (i / (n - 1))));
  const Q = rotated ? randomOrthogonal(n, seed) : undefined;
  let A: Float64Array | undefined;
  if (Q) {
    A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += Q[i * n + k] * lam[k] * Q[j * n + k];
        A[i * n + j] = A[j * n + i] = s;
      }
    }
  }
  /** out ← A·v. */
  const apply = (v: Float64Array, out: Float64Array): void => {
    if (!A) {
      for (let i = 0; i < n; i++) out[i] = lam[i] * v[i];
      return;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * v[j];
      out[i] = s;
    }
  };
  const dx = new Float64Array(n), Ad = new Float64Array(n);
  const valueAndGradient = (x: Float64Array, g: Float64Array): number => {
    for (let i = 0; i < n; i++) dx[i] = x[i] - 1;
    apply(dx, g);
    let f = 0;
    for (let i = 0; i < n; i++) f += dx[i] * g[i];
    return f / 2;
  };
  const objective: SmoothObjective = {
    n,
    value: (x) => valueAndGradient(x, Ad),
    valueAndGradient,
    gradient(x, g) {
      valueAndGradient(x, g);
    },
    hessian(_x, H) {
      if (A) H.set(A);
      else {
        H.fill(0, 0, n * n);
        for (let i = 0; i < n; i++) H[i * n + i] = lam[i];
      }
    },
    hessianVector(_x, v, out) {
      apply(v, out);
    },
  };
  const kind = rotated ? `rotated-seed${seed}` : 'diagonal';
  return {
    name: `quadratic-n${n}-cond${kappa}-${kind}`,
    source: `½(x − 1)ᵀA(x − 1), A ${rotated ? 'QΛQᵀ, Q seeded Haar-orthogonal' : 'diagonal'}, eigenvalues κ^(i/(n−1)) from 1 to κ = ${kappa}`,
    objective,
    x0: new Float64Array(n),
    fStar: 0,
    xStar: new Float64Array(n).fill(1),
    minimizers: [new Float64Array(n).fill(1)],
    eigenvalues: lam,
    eigenvectors: Q,
  };
}

/** The classic problems at their default sizes (quadratics: n = 10, κ = 10³, both forms). */
export function classicProblems(): ClassicProblem[] {
  return [
    rosenbrock(),
    rosenbrockChained(10),
    beale(),
    booth(),
    himmelblau(),
    saddle(),
    monkeySaddle(),
    quadratic({ n: 10, condition: 1e3 }),
    quadratic({ n: 10, condition: 1e3, rotated: true, seed: 1 }),
  ];
}
