// Test problems shipped with descent: classic functions (classic.ts) and the Moré–Garbow–
// Hillstrom set (mgh.ts), each a Problem (minimize/objective.ts) with analytic derivatives.

export {
  rosenbrock,
  rosenbrockChained,
  beale,
  booth,
  himmelblau,
  HIMMELBLAU_MINIMA,
  saddle,
  monkeySaddle,
  quadratic,
  classicProblems,
  type ClassicProblem,
  type QuadraticOptions,
  type QuadraticProblem,
  type SmoothObjective,
} from './classic.js';
export { mghProblem, mghProblems, MGH_INSTANCES, type MghProblem, type MghMinimum, type LeastSquaresObjective } from './mgh.js';
export { sumOfSquares, type ResidualModel } from './mgh/least-squares.js';
