// Moré, Garbow & Hillstrom (1981), problems 20–35: the ones whose number of variables n is a
// parameter. The paper's 1-based indices are in the comments, 0-based arrays in the code;
// f(x) = Σ fᵢ(x)². As in fixed-size.ts, J and S = Σ wᵢ∇²rᵢ are hand-derived and exact.
//
// Reference: J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing unconstrained optimization
// software", ACM Trans. Math. Software 7(1):17–41, 1981, section 3 (problem definitions).

import { addSym } from './least-squares.js';
import { fill, type MghDefinition } from './definition.js';
import { powellBlock } from './fixed-size.js';

/**
 * (20) Watson, 2 ≤ n ≤ 31, m = 31: for tᵢ = i/29, 1 ≤ i ≤ 29,
 * fᵢ = Σ_{j=2..n} (j − 1)xⱼtᵢ^(j−2) − (Σ_{j=1..n} xⱼtᵢ^(j−1))² − 1; f₃₀ = x₁, f₃₁ = x₂ − x₁² − 1.
 * With s = Σ xⱼtᵢ^(j−1): ∂fᵢ/∂xⱼ = (j − 1)tᵢ^(j−2) − 2s·tᵢ^(j−1), ∂²fᵢ/∂xⱼ∂xₖ = −2tᵢ^(j+k−2).
 */
const WATSON_F: Record<number, number> = { 6: 2.28767e-3, 9: 1.39976e-6, 12: 4.72238e-10 };
const watson: MghDefinition = {
  number: 20, slug: 'watson', title: 'Watson function',
  n: { min: 2, max: 31 }, m: { of: () => 31 },
  build: (n) => {
    const pw = new Float64Array(2 * n); // tⁱ powers, reused per residual
    const powers = (t: number) => {
      pw[0] = 1;
      for (let k = 1; k < 2 * n; k++) pw[k] = pw[k - 1] * t;
    };
    return {
      model: {
        n, m: 31,
        residuals(x, r) {
          for (let i = 0; i < 29; i++) {
            powers((i + 1) / 29);
            let a = 0, s = 0;
            for (let j = 0; j < n; j++) {
              if (j > 0) a += j * x[j] * pw[j - 1];
              s += x[j] * pw[j];
            }
            r[i] = a - s * s - 1;
          }
          r[29] = x[0];
          r[30] = x[1] - x[0] * x[0] - 1;
        },
        jacobian(x, J) {
          for (let i = 0; i < 29; i++) {
            powers((i + 1) / 29);
            let s = 0;
            for (let j = 0; j < n; j++) s += x[j] * pw[j];
            for (let j = 0; j < n; j++) J[i * n + j] = (j > 0 ? j * pw[j - 1] : 0) - 2 * s * pw[j];
          }
          J[29 * n] = 1;
          J[30 * n] = -2 * x[0];
          J[30 * n + 1] = 1;
        },
        residualHessians(_x, w, S) {
          for (let i = 0; i < 29; i++) {
            powers((i + 1) / 29);
            const c = -2 * w[i];
            for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) S[j * n + k] += c * pw[j + k];
          }
          S[0] += -2 * w[30];
        },
      },
      x0: new Float64Array(n),
      fStar: WATSON_F[n],
      note: 'f = 2.28767...×10⁻³ if n = 6; f = 1.39976...×10⁻⁶ if n = 9; f = 4.72238...×10⁻¹⁰ if n = 12',
    };
  },
};

/** (21) Extended Rosenbrock, n even, m = n: f₂ᵢ₋₁ = 10(x₂ᵢ − x₂ᵢ₋₁²), f₂ᵢ = 1 − x₂ᵢ₋₁. */
const extendedRosenbrock: MghDefinition = {
  number: 21, slug: 'extended-rosenbrock', title: 'Extended Rosenbrock function',
  n: { min: 2, multipleOf: 2 }, m: { of: (n) => n },
  build: (n) => ({
    model: {
      n, m: n,
      residuals(x, r) {
        for (let i = 0; i < n; i += 2) {
          r[i] = 10 * (x[i + 1] - x[i] * x[i]);
          r[i + 1] = 1 - x[i];
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < n; i += 2) {
          J[i * n + i] = -20 * x[i];
          J[i * n + i + 1] = 10;
          J[(i + 1) * n + i] = -1;
        }
      },
      residualHessians(_x, w, S) {
        for (let i = 0; i < n; i += 2) S[i * n + i] += -20 * w[i];
      },
    },
    x0: fill(n, (j) => (j % 2 === 0 ? -1.2 : 1)),
    fStar: 0, xStar: fill(n, () => 1),
    note: 'f = 0 at (1, …, 1)',
  }),
};

/** (22) Extended Powell singular, n a multiple of 4, m = n: the Powell singular block (13) repeated. */
const extendedPowell: MghDefinition = {
  number: 22, slug: 'extended-powell-singular', title: 'Extended Powell singular function',
  n: { min: 4, multipleOf: 4 }, m: { of: (n) => n },
  build: (n) => ({
    model: {
      n, m: n,
      residuals(x, r) {
        for (let o = 0; o < n; o += 4) powellBlock.residuals(x, r, o);
      },
      jacobian(x, J) {
        for (let o = 0; o < n; o += 4) powellBlock.jacobian(x, J, n, o);
      },
      residualHessians(_x, w, S) {
        for (let o = 0; o < n; o += 4) powellBlock.residualHessians(w, S, n, o);
      },
    },
    x0: fill(n, (j) => [3, -1, 0, 1][j % 4]),
    fStar: 0, xStar: new Float64Array(n),
    note: 'f = 0 at the origin',
  }),
};

/** (23) Penalty I, m = n + 1: fᵢ = a^½(xᵢ − 1), 1 ≤ i ≤ n; fₙ₊₁ = Σ xⱼ² − ¼; a = 10⁻⁵. */
const PENALTY1_F: Record<number, number> = { 4: 2.24997e-5, 10: 7.08765e-5 };
const penalty1: MghDefinition = {
  number: 23, slug: 'penalty-1', title: 'Penalty function I',
  n: { min: 1 }, m: { of: (n) => n + 1 },
  build: (n) => {
    const sa = Math.sqrt(1e-5);
    return {
      model: {
        n, m: n + 1,
        residuals(x, r) {
          let s = 0;
          for (let j = 0; j < n; j++) {
            r[j] = sa * (x[j] - 1);
            s += x[j] * x[j];
          }
          r[n] = s - 0.25;
        },
        jacobian(x, J) {
          for (let j = 0; j < n; j++) {
            J[j * n + j] = sa;
            J[n * n + j] = 2 * x[j];
          }
        },
        residualHessians(_x, w, S) {
          for (let j = 0; j < n; j++) S[j * n + j] += 2 * w[n];
        },
      },
      x0: fill(n, (j) => j + 1),
      fStar: PENALTY1_F[n],
      note: 'f = 2.24997...×10⁻⁵ if n = 4; f = 7.08765...×10⁻⁵ if n = 10',
    };
  },
};

/**
 * (24) Penalty II, m = 2n: f₁ = x₁ − 0.2; fᵢ = a^½(exp(xᵢ/10) + exp(xᵢ₋₁/10) − yᵢ), 2 ≤ i ≤ n;
 * fᵢ = a^½(exp(xᵢ₋ₙ₊₁/10) − exp(−1/10)), n < i < 2n; f₂ₙ = Σⱼ (n − j + 1)xⱼ² − 1;
 * a = 10⁻⁵, yᵢ = exp(i/10) + exp((i − 1)/10).
 */
const PENALTY2_F: Record<number, number> = { 4: 9.37629e-6, 10: 2.9366e-4 };
const penalty2: MghDefinition = {
  number: 24, slug: 'penalty-2', title: 'Penalty function II',
  n: { min: 1 }, m: { of: (n) => 2 * n },
  build: (n) => {
    const sa = Math.sqrt(1e-5);
    const e01 = Math.exp(-0.1);
    return {
      model: {
        n, m: 2 * n,
        residuals(x, r) {
          r[0] = x[0] - 0.2;
          for (let i = 1; i < n; i++) {
            const y = Math.exp((i + 1) / 10) + Math.exp(i / 10);
            r[i] = sa * (Math.exp(x[i] / 10) + Math.exp(x[i - 1] / 10) - y);
          }
          for (let i = n; i < 2 * n - 1; i++) r[i] = sa * (Math.exp(x[i - n + 1] / 10) - e01);
          let s = 0;
          for (let j = 0; j < n; j++) s += (n - j) * x[j] * x[j];
          r[2 * n - 1] = s - 1;
        },
        jacobian(x, J) {
          J[0] = 1;
          for (let i = 1; i < n; i++) {
            J[i * n + i] = (sa / 10) * Math.exp(x[i] / 10);
            J[i * n + i - 1] = (sa / 10) * Math.exp(x[i - 1] / 10);
          }
          for (let i = n; i < 2 * n - 1; i++) J[i * n + i - n + 1] = (sa / 10) * Math.exp(x[i - n + 1] / 10);
          for (let j = 0; j < n; j++) J[(2 * n - 1) * n + j] = 2 * (n - j) * x[j];
        },
        residualHessians(x, w, S) {
          const c = sa / 100;
          for (let i = 1; i < n; i++) {
            S[i * n + i] += w[i] * c * Math.exp(x[i] / 10);
            S[(i - 1) * n + i - 1] += w[i] * c * Math.exp(x[i - 1] / 10);
          }
          for (let i = n; i < 2 * n - 1; i++) {
            const j = i - n + 1;
            S[j * n + j] += w[i] * c * Math.exp(x[j] / 10);
          }
          for (let j = 0; j < n; j++) S[j * n + j] += w[2 * n - 1] * 2 * (n - j);
        },
      },
      x0: fill(n, () => 0.5),
      fStar: PENALTY2_F[n],
      note: 'f = 9.37629...×10⁻⁶ if n = 4; f = 2.93660...×10⁻⁴ if n = 10',
    };
  },
};

/**
 * (25) Variably dimensioned, m = n + 2: fᵢ = xᵢ − 1, 1 ≤ i ≤ n; fₙ₊₁ = Σ j(xⱼ − 1);
 * fₙ₊₂ = (Σ j(xⱼ − 1))². x0ⱼ = 1 − j/n.
 */
const variablyDimensioned: MghDefinition = {
  number: 25, slug: 'variably-dimensioned', title: 'Variably dimensioned function',
  n: { min: 1 }, m: { of: (n) => n + 2 },
  build: (n) => {
    const weighted = (x: Float64Array) => {
      let s = 0;
      for (let j = 0; j < n; j++) s += (j + 1) * (x[j] - 1);
      return s;
    };
    return {
      model: {
        n, m: n + 2,
        residuals(x, r) {
          for (let j = 0; j < n; j++) r[j] = x[j] - 1;
          const s = weighted(x);
          r[n] = s;
          r[n + 1] = s * s;
        },
        jacobian(x, J) {
          const s = weighted(x);
          for (let j = 0; j < n; j++) {
            J[j * n + j] = 1;
            J[n * n + j] = j + 1;
            J[(n + 1) * n + j] = 2 * s * (j + 1);
          }
        },
        residualHessians(_x, w, S) {
          const c = 2 * w[n + 1];
          for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) S[j * n + k] += c * (j + 1) * (k + 1);
        },
      },
      x0: fill(n, (j) => 1 - (j + 1) / n),
      fStar: 0, xStar: fill(n, () => 1),
      note: 'f = 0 at (1, …, 1)',
    };
  },
};

/** (26) Trigonometric, m = n: fᵢ = n − Σⱼ cos xⱼ + i(1 − cos xᵢ) − sin xᵢ. x0 = (1/n, …). */
const trigonometric: MghDefinition = {
  number: 26, slug: 'trigonometric', title: 'Trigonometric function',
  n: { min: 1 }, m: { of: (n) => n },
  build: (n) => ({
    model: {
      n, m: n,
      residuals(x, r) {
        let c = 0;
        for (let j = 0; j < n; j++) c += Math.cos(x[j]);
        for (let i = 0; i < n; i++) r[i] = n - c + (i + 1) * (1 - Math.cos(x[i])) - Math.sin(x[i]);
      },
      jacobian(x, J) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) J[i * n + j] = Math.sin(x[j]);
          J[i * n + i] += (i + 1) * Math.sin(x[i]) - Math.cos(x[i]);
        }
      },
      residualHessians(x, w, S) {
        // ∂²fᵢ/∂xⱼ² = cos xⱼ, plus i·cos xᵢ + sin xᵢ on j = i; no mixed terms
        let sw = 0;
        for (let i = 0; i < n; i++) sw += w[i];
        for (let j = 0; j < n; j++) S[j * n + j] += sw * Math.cos(x[j]) + w[j] * ((j + 1) * Math.cos(x[j]) + Math.sin(x[j]));
      },
    },
    x0: fill(n, () => 1 / n),
    fStar: 0,
    note: 'f = 0',
  }),
};

/**
 * (27) Brown almost-linear, m = n: fᵢ = xᵢ + Σⱼ xⱼ − (n + 1), 1 ≤ i < n; fₙ = (Πⱼ xⱼ) − 1.
 * The products leave one or two factors out by explicit loops, so zeros in x are fine.
 */
function productExcept(x: Float64Array, a: number, b = -1): number {
  let p = 1;
  for (let k = 0; k < x.length; k++) if (k !== a && k !== b) p *= x[k];
  return p;
}
const brownAlmostLinear: MghDefinition = {
  number: 27, slug: 'brown-almost-linear', title: 'Brown almost-linear function',
  n: { min: 1 }, m: { of: (n) => n },
  build: (n) => ({
    model: {
      n, m: n,
      residuals(x, r) {
        let s = 0;
        for (let j = 0; j < n; j++) s += x[j];
        for (let i = 0; i < n - 1; i++) r[i] = x[i] + s - (n + 1);
        r[n - 1] = productExcept(x, -1) - 1;
      },
      jacobian(x, J) {
        for (let i = 0; i < n - 1; i++) {
          for (let j = 0; j < n; j++) J[i * n + j] = 1;
          J[i * n + i] = 2;
        }
        for (let j = 0; j < n; j++) J[(n - 1) * n + j] = productExcept(x, j);
      },
      residualHessians(x, w, S) {
        const c = w[n - 1];
        for (let j = 0; j < n; j++) for (let k = j + 1; k < n; k++) addSym(S, n, j, k, c * productExcept(x, j, k));
      },
    },
    x0: fill(n, () => 0.5),
    fStar: 0, xStar: fill(n, () => 1),
    note: 'f = 0 at (α, …, α, α^(1−n)), where α satisfies nαⁿ − (n + 1)α^(n−1) + 1 = 0 (in particular α = 1); f = 1 at (0, …, 0, n + 1)',
    otherMinima: [{ fStar: 1, xStar: fill(n, (j) => (j === n - 1 ? n + 1 : 0)), note: 'at (0, …, 0, n + 1)' }],
  }),
};

/**
 * (28) Discrete boundary value, m = n: fᵢ = 2xᵢ − xᵢ₋₁ − xᵢ₊₁ + h²(xᵢ + tᵢ + 1)³/2,
 * h = 1/(n + 1), tᵢ = ih, x₀ = xₙ₊₁ = 0. x0ⱼ = tⱼ(tⱼ − 1).
 */
const discreteBoundaryValue: MghDefinition = {
  number: 28, slug: 'discrete-boundary-value', title: 'Discrete boundary value function',
  n: { min: 1 }, m: { of: (n) => n },
  build: (n) => {
    const h = 1 / (n + 1);
    return {
      model: {
        n, m: n,
        residuals(x, r) {
          for (let i = 0; i < n; i++) {
            const u = x[i] + (i + 1) * h + 1;
            r[i] = 2 * x[i] - (i > 0 ? x[i - 1] : 0) - (i < n - 1 ? x[i + 1] : 0) + (h * h * u * u * u) / 2;
          }
        },
        jacobian(x, J) {
          for (let i = 0; i < n; i++) {
            const u = x[i] + (i + 1) * h + 1;
            J[i * n + i] = 2 + 1.5 * h * h * u * u;
            if (i > 0) J[i * n + i - 1] = -1;
            if (i < n - 1) J[i * n + i + 1] = -1;
          }
        },
        residualHessians(x, w, S) {
          for (let i = 0; i < n; i++) S[i * n + i] += w[i] * 3 * h * h * (x[i] + (i + 1) * h + 1);
        },
      },
      x0: fill(n, (j) => ((j + 1) * h) * ((j + 1) * h - 1)),
      fStar: 0,
      note: 'f = 0',
    };
  },
};

/**
 * (29) Discrete integral equation, m = n: fᵢ = xᵢ + h[(1 − tᵢ)Σ_{j≤i} tⱼ(xⱼ + tⱼ + 1)³ +
 * tᵢΣ_{j>i} (1 − tⱼ)(xⱼ + tⱼ + 1)³]/2, h = 1/(n + 1), tᵢ = ih. x0ⱼ = tⱼ(tⱼ − 1).
 * With cᵢⱼ the bracket's coefficient of (xⱼ + tⱼ + 1)³: ∂fᵢ/∂xⱼ = δᵢⱼ + 3h·cᵢⱼ(xⱼ + tⱼ + 1)²/2.
 */
const discreteIntegralEquation: MghDefinition = {
  number: 29, slug: 'discrete-integral-equation', title: 'Discrete integral equation function',
  n: { min: 1 }, m: { of: (n) => n },
  build: (n) => {
    const h = 1 / (n + 1);
    const t = (i: number) => (i + 1) * h;
    const coef = (i: number, j: number) => (j <= i ? (1 - t(i)) * t(j) : t(i) * (1 - t(j)));
    return {
      model: {
        n, m: n,
        residuals(x, r) {
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let j = 0; j < n; j++) {
              const u = x[j] + t(j) + 1;
              s += coef(i, j) * u * u * u;
            }
            r[i] = x[i] + (h * s) / 2;
          }
        },
        jacobian(x, J) {
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              const u = x[j] + t(j) + 1;
              J[i * n + j] = 1.5 * h * coef(i, j) * u * u;
            }
            J[i * n + i] += 1;
          }
        },
        residualHessians(x, w, S) {
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) S[j * n + j] += w[i] * 3 * h * coef(i, j) * (x[j] + t(j) + 1);
          }
        },
      },
      x0: fill(n, (j) => t(j) * (t(j) - 1)),
      fStar: 0,
      note: 'f = 0',
    };
  },
};

/** (30) Broyden tridiagonal, m = n: fᵢ = (3 − 2xᵢ)xᵢ − xᵢ₋₁ − 2xᵢ₊₁ + 1, x₀ = xₙ₊₁ = 0. x0 = (−1, …). */
const broydenTridiagonal: MghDefinition = {
  number: 30, slug: 'broyden-tridiagonal', title: 'Broyden tridiagonal function',
  n: { min: 1 }, m: { of: (n) => n },
  build: (n) => ({
    model: {
      n, m: n,
      residuals(x, r) {
        for (let i = 0; i < n; i++) {
          r[i] = (3 - 2 * x[i]) * x[i] - (i > 0 ? x[i - 1] : 0) - 2 * (i < n - 1 ? x[i + 1] : 0) + 1;
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < n; i++) {
          J[i * n + i] = 3 - 4 * x[i];
          if (i > 0) J[i * n + i - 1] = -1;
          if (i < n - 1) J[i * n + i + 1] = -2;
        }
      },
      residualHessians(_x, w, S) {
        for (let i = 0; i < n; i++) S[i * n + i] += -4 * w[i];
      },
    },
    x0: fill(n, () => -1),
    fStar: 0,
    note: 'f = 0',
  }),
};

/**
 * (31) Broyden banded, m = n: fᵢ = xᵢ(2 + 5xᵢ²) + 1 − Σ_{j∈Jᵢ} xⱼ(1 + xⱼ),
 * Jᵢ = {j ≠ i : max(1, i − mₗ) ≤ j ≤ min(n, i + mᵤ)}, mₗ = 5, mᵤ = 1. x0 = (−1, …).
 */
const broydenBanded: MghDefinition = {
  number: 31, slug: 'broyden-banded', title: 'Broyden banded function',
  n: { min: 1 }, m: { of: (n) => n },
  build: (n) => {
    const lo = (i: number) => Math.max(0, i - 5);
    const hi = (i: number) => Math.min(n - 1, i + 1);
    return {
      model: {
        n, m: n,
        residuals(x, r) {
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let j = lo(i); j <= hi(i); j++) if (j !== i) s += x[j] * (1 + x[j]);
            r[i] = x[i] * (2 + 5 * x[i] * x[i]) + 1 - s;
          }
        },
        jacobian(x, J) {
          for (let i = 0; i < n; i++) {
            for (let j = lo(i); j <= hi(i); j++) J[i * n + j] = j === i ? 2 + 15 * x[i] * x[i] : -(1 + 2 * x[j]);
          }
        },
        residualHessians(x, w, S) {
          for (let i = 0; i < n; i++) {
            for (let j = lo(i); j <= hi(i); j++) S[j * n + j] += j === i ? w[i] * 30 * x[i] : -2 * w[i];
          }
        },
      },
      x0: fill(n, () => -1),
      fStar: 0,
      note: 'f = 0',
    };
  },
};

/**
 * (32) Linear function — full rank, m ≥ n: fᵢ = xᵢ − (2/m)Σⱼ xⱼ − 1, 1 ≤ i ≤ n;
 * fᵢ = −(2/m)Σⱼ xⱼ − 1, n < i ≤ m. x0 = (1, …).
 */
const linearFullRank: MghDefinition = {
  number: 32, slug: 'linear-full-rank', title: 'Linear function — full rank',
  n: { min: 1 }, m: { minOf: (n) => n },
  build: (n, m) => ({
    model: {
      n, m,
      residuals(x, r) {
        let s = 0;
        for (let j = 0; j < n; j++) s += x[j];
        for (let i = 0; i < m; i++) r[i] = (i < n ? x[i] : 0) - (2 / m) * s - 1;
      },
      jacobian(_x, J) {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) J[i * n + j] = -2 / m;
          if (i < n) J[i * n + i] += 1;
        }
      },
      residualHessians() {},
    },
    x0: fill(n, () => 1),
    fStar: m - n, xStar: fill(n, () => -1),
    note: 'f = m − n at (−1, …, −1)',
  }),
};

/** (33) Linear function — rank 1, m ≥ n: fᵢ = i(Σⱼ j·xⱼ) − 1. x0 = (1, …). */
const linearRank1: MghDefinition = {
  number: 33, slug: 'linear-rank-1', title: 'Linear function — rank 1',
  n: { min: 1 }, m: { minOf: (n) => n },
  build: (n, m) => ({
    model: {
      n, m,
      residuals(x, r) {
        let s = 0;
        for (let j = 0; j < n; j++) s += (j + 1) * x[j];
        for (let i = 0; i < m; i++) r[i] = (i + 1) * s - 1;
      },
      jacobian(_x, J) {
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) J[i * n + j] = (i + 1) * (j + 1);
      },
      residualHessians() {},
    },
    x0: fill(n, () => 1),
    fStar: (m * (m - 1)) / (2 * (2 * m + 1)),
    // one point of the minimizing set: all xⱼ equal with Σ j·xⱼ = 3/(2m + 1)
    xStar: fill(n, () => 3 / (2 * m + 1) / ((n * (n + 1)) / 2)),
    note: 'f = m(m − 1)/(2(2m + 1)) at any point where Σⱼ j·xⱼ = 3/(2m + 1)',
  }),
};

/**
 * (34) Linear function — rank 1 with zero columns and rows, m ≥ n: f₁ = −1;
 * fᵢ = (i − 1)(Σ_{j=2..n−1} j·xⱼ) − 1, 2 ≤ i < m; fₘ = −1. x0 = (1, …).
 */
const linearRank1Zero: MghDefinition = {
  number: 34, slug: 'linear-rank-1-zero', title: 'Linear function — rank 1 with zero columns and rows',
  n: { min: 3 }, m: { minOf: (n) => n },
  build: (n, m) => ({
    model: {
      n, m,
      residuals(x, r) {
        let s = 0;
        for (let j = 1; j < n - 1; j++) s += (j + 1) * x[j];
        r[0] = -1;
        for (let i = 1; i < m - 1; i++) r[i] = i * s - 1;
        r[m - 1] = -1;
      },
      jacobian(_x, J) {
        for (let i = 1; i < m - 1; i++) for (let j = 1; j < n - 1; j++) J[i * n + j] = i * (j + 1);
      },
      residualHessians() {},
    },
    x0: fill(n, () => 1),
    fStar: (m * m + 3 * m - 6) / (2 * (2 * m - 3)),
    // one point of the minimizing set: x₁ = xₙ = 0 (free), the others equal with Σ j·xⱼ = 3/(2m − 3)
    xStar: fill(n, (j) => (j === 0 || j === n - 1 ? 0 : 3 / (2 * m - 3) / ((n * (n - 1)) / 2 - 1))),
    note: 'f = (m² + 3m − 6)/(2(2m − 3)) at any point where Σ_{j=2..n−1} j·xⱼ = 3/(2m − 3)',
  }),
};

/**
 * (35) Chebyquad, m ≥ n: fᵢ = (1/n)Σⱼ Tᵢ(xⱼ) − ∫₀¹Tᵢ(ξ)dξ, Tᵢ the i-th Chebyshev polynomial
 * shifted to [0, 1]: Tᵢ(ξ) = Cᵢ(2ξ − 1); ∫₀¹Tᵢ = −1/(i² − 1) for even i, 0 for odd i.
 * Cᵢ, Cᵢ′ and Cᵢ″ by the three-term recurrence C_{k+1} = 2yC_k − C_{k−1} and its derivatives;
 * the chain rule brings factors 2 and 4. x0ⱼ = j/(n + 1).
 */
const CHEBYQUAD_F: Record<number, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 3.51687e-3, 9: 0, 10: 6.50395e-3 };
/** c[k], d[k], e[k] ← C_{k+1}(y), C′_{k+1}(y), C″_{k+1}(y) for k = 0…m−1. */
function chebyshev(y: number, m: number, c: Float64Array, d: Float64Array, e: Float64Array): void {
  let c0 = 1, c1 = y, d0 = 0, d1 = 1, e0 = 0, e1 = 0;
  for (let k = 0; k < m; k++) {
    c[k] = c1; d[k] = d1; e[k] = e1;
    const c2 = 2 * y * c1 - c0, d2 = 2 * c1 + 2 * y * d1 - d0, e2 = 4 * d1 + 2 * y * e1 - e0;
    c0 = c1; c1 = c2; d0 = d1; d1 = d2; e0 = e1; e1 = e2;
  }
}
const chebyquad: MghDefinition = {
  number: 35, slug: 'chebyquad', title: 'Chebyquad function',
  n: { min: 1 }, m: { minOf: (n) => n },
  build: (n, m) => {
    const c = new Float64Array(m), d = new Float64Array(m), e = new Float64Array(m);
    return {
      model: {
        n, m,
        residuals(x, r) {
          for (let i = 0; i < m; i++) r[i] = (i + 1) % 2 === 0 ? 1 / ((i + 1) * (i + 1) - 1) : 0;
          for (let j = 0; j < n; j++) {
            chebyshev(2 * x[j] - 1, m, c, d, e);
            for (let i = 0; i < m; i++) r[i] += c[i] / n;
          }
        },
        jacobian(x, J) {
          for (let j = 0; j < n; j++) {
            chebyshev(2 * x[j] - 1, m, c, d, e);
            for (let i = 0; i < m; i++) J[i * n + j] = (2 * d[i]) / n;
          }
        },
        residualHessians(x, w, S) {
          for (let j = 0; j < n; j++) {
            chebyshev(2 * x[j] - 1, m, c, d, e);
            let s = 0;
            for (let i = 0; i < m; i++) s += w[i] * e[i];
            S[j * n + j] += (4 * s) / n;
          }
        },
      },
      x0: fill(n, (j) => (j + 1) / (n + 1)),
      fStar: m === n ? CHEBYQUAD_F[n] : undefined,
      note: 'f = 0 for m = n, 1 ≤ n ≤ 7 and n = 9; f = 3.51687...×10⁻³ for m = n = 8; f = 6.50395...×10⁻³ for m = n = 10',
    };
  },
};

export const VARIABLE_SIZE: readonly MghDefinition[] = [
  watson, extendedRosenbrock, extendedPowell, penalty1, penalty2, variablyDimensioned, trigonometric,
  brownAlmostLinear, discreteBoundaryValue, discreteIntegralEquation, broydenTridiagonal, broydenBanded,
  linearFullRank, linearRank1, linearRank1Zero, chebyquad,
];

