// Objectives for minimize(): a function f: ℝⁿ → ℝ in float64 with whatever derivatives it has.
//
//   value(x)                       f(x)
//   gradient(x, g)                 g ← ∇f(x)
//   valueAndGradient(x, g)         f(x), and g ← ∇f(x), in one pass when that is cheaper
//   hessian(x, H)                  H ← ∇²f(x), n×n row-major
//   hessianVector(x, v, out)       out ← ∇²f(x)·v
// Least squares, f(x) = Σᵢ rᵢ(x)² (the sum of squares, NO ½: the convention of Moré, Garbow &
// Hillstrom 1981 and of NIST StRD's "residual sum of squares", so their f* carry over):
//   m                              the number of residuals
//   residuals(x, r)                r ← r(x), length m
//   jacobian(x, J)                 J ← ∂r/∂x, m×n row-major
// For least squares ∇f = 2·Jᵀr and the Gauss–Newton approximation of ∇²f is 2·JᵀJ.
//
// Every method is optional except value; minimize() and withDerivatives() (derivatives.ts) fill
// the gaps by finite differences and say what they cost. Methods write into the arrays they
// are given and must not keep them. x is never modified by an objective.

export interface Objective {
  /** Number of variables. */
  readonly n: number;
  value(x: Float64Array): number;
  /** Write ∇f(x) into g — or return it (an array of length n, copied into g). */
  gradient?(x: Float64Array, g: Float64Array): void | ArrayLike<number>;
  valueAndGradient?(x: Float64Array, g: Float64Array): number;
  hessian?(x: Float64Array, H: Float64Array): void;
  hessianVector?(x: Float64Array, v: Float64Array, out: Float64Array): void;
  /** Number of residuals (least squares only). */
  readonly m?: number;
  /** Write r(x) into r — or return it (an array of length m). */
  residuals?(x: Float64Array, r: Float64Array): void | ArrayLike<number>;
  jacobian?(x: Float64Array, J: Float64Array): void;
}

/** A test problem: an objective with its standard start and what is known of its minimum. */
export interface Problem {
  /** Short identifier, e.g. 'rosenbrock' or 'mgh-01-rosenbrock'. */
  readonly name: string;
  /** Where it comes from (paper, section, equation). */
  readonly source: string;
  readonly objective: Objective;
  /** The standard starting point(s). */
  readonly x0: Float64Array;
  /** The minimum value when known (for MGH: the value the paper reports for the run's minimizer). */
  readonly fStar?: number;
  /** A minimizer when known. */
  readonly xStar?: Float64Array;
}
