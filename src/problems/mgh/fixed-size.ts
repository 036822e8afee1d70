// Moré, Garbow & Hillstrom (1981), problems 1–19: the ones whose number of variables is fixed
// (for 6, 11, 12, 16 and 18 the number of residuals m may vary; the paper's f* is for the m
// given in mgh.ts). Residuals are written as in the paper, fᵢ(x) for i = 1…m, with the paper's
// 1-based indices in the comments and 0-based arrays in the code; f(x) = Σ fᵢ(x)².
//
// Each residual model gives r, J = ∂r/∂x and S = Σ wᵢ∇²rᵢ, all by hand-derived formulas: the
// derivations are short and sit next to the code. Data tables are the paper's.
//
// Reference: J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing unconstrained optimization
// software", ACM Trans. Math. Software 7(1):17–41, 1981, section 3 (problem definitions).

import { addSym } from './least-squares.js';
import { vec, type MghDefinition } from './definition.js';

const TWO_PI = 2 * Math.PI;

/** (1) Rosenbrock: f₁ = 10(x₂ − x₁²), f₂ = 1 − x₁. */
const rosenbrock: MghDefinition = {
  number: 1, slug: 'rosenbrock', title: 'Rosenbrock function',
  n: { fixed: 2 }, m: { of: () => 2 },
  build: () => ({
    model: {
      n: 2, m: 2,
      residuals(x, r) {
        r[0] = 10 * (x[1] - x[0] * x[0]);
        r[1] = 1 - x[0];
      },
      jacobian(x, J) {
        J[0] = -20 * x[0]; J[1] = 10;
        J[2] = -1;
      },
      residualHessians(_x, w, S) {
        S[0] += -20 * w[0];
      },
    },
    x0: vec([-1.2, 1]),
    fStar: 0, xStar: vec([1, 1]),
    note: 'f = 0 at (1, 1)',
  }),
};

/** (2) Freudenstein and Roth: f₁ = −13 + x₁ + ((5 − x₂)x₂ − 2)x₂, f₂ = −29 + x₁ + ((x₂ + 1)x₂ − 14)x₂. */
const freudensteinRoth: MghDefinition = {
  number: 2, slug: 'freudenstein-roth', title: 'Freudenstein and Roth function',
  n: { fixed: 2 }, m: { of: () => 2 },
  build: () => ({
    model: {
      n: 2, m: 2,
      residuals(x, r) {
        const y = x[1];
        r[0] = -13 + x[0] + ((5 - y) * y - 2) * y;
        r[1] = -29 + x[0] + ((y + 1) * y - 14) * y;
      },
      jacobian(x, J) {
        const y = x[1];
        J[0] = 1; J[1] = 10 * y - 3 * y * y - 2;
        J[2] = 1; J[3] = 3 * y * y + 2 * y - 14;
      },
      residualHessians(x, w, S) {
        const y = x[1];
        S[3] += w[0] * (10 - 6 * y) + w[1] * (6 * y + 2);
      },
    },
    x0: vec([0.5, -2]),
    fStar: 0, xStar: vec([5, 4]),
    note: 'f = 0 at (5, 4); f = 48.9842... at (11.41..., −0.8968...)',
    otherMinima: [{ fStar: 48.9842, note: 'local minimum at (11.41..., −0.8968...)' }],
  }),
};

/** (3) Powell badly scaled: f₁ = 10⁴x₁x₂ − 1, f₂ = exp(−x₁) + exp(−x₂) − 1.0001. */
const powellBadlyScaled: MghDefinition = {
  number: 3, slug: 'powell-badly-scaled', title: 'Powell badly scaled function',
  n: { fixed: 2 }, m: { of: () => 2 },
  build: () => ({
    model: {
      n: 2, m: 2,
      residuals(x, r) {
        r[0] = 1e4 * x[0] * x[1] - 1;
        r[1] = Math.exp(-x[0]) + Math.exp(-x[1]) - 1.0001;
      },
      jacobian(x, J) {
        J[0] = 1e4 * x[1]; J[1] = 1e4 * x[0];
        J[2] = -Math.exp(-x[0]); J[3] = -Math.exp(-x[1]);
      },
      residualHessians(x, w, S) {
        addSym(S, 2, 0, 1, 1e4 * w[0]);
        S[0] += w[1] * Math.exp(-x[0]);
        S[3] += w[1] * Math.exp(-x[1]);
      },
    },
    x0: vec([0, 1]),
    fStar: 0,
    note: 'f = 0 at (1.098...×10⁻⁵, 9.106...)',
  }),
};

/** (4) Brown badly scaled: f₁ = x₁ − 10⁶, f₂ = x₂ − 2·10⁻⁶, f₃ = x₁x₂ − 2. */
const brownBadlyScaled: MghDefinition = {
  number: 4, slug: 'brown-badly-scaled', title: 'Brown badly scaled function',
  n: { fixed: 2 }, m: { of: () => 3 },
  build: () => ({
    model: {
      n: 2, m: 3,
      residuals(x, r) {
        r[0] = x[0] - 1e6;
        r[1] = x[1] - 2e-6;
        r[2] = x[0] * x[1] - 2;
      },
      jacobian(x, J) {
        J[0] = 1;
        J[3] = 1;
        J[4] = x[1]; J[5] = x[0];
      },
      residualHessians(_x, w, S) {
        addSym(S, 2, 0, 1, w[2]);
      },
    },
    x0: vec([1, 1]),
    fStar: 0, xStar: vec([1e6, 2e-6]),
    note: 'f = 0 at (10⁶, 2·10⁻⁶)',
  }),
};

/** (5) Beale: fᵢ = yᵢ − x₁(1 − x₂ⁱ), y = (1.5, 2.25, 2.625). */
const BEALE_Y = [1.5, 2.25, 2.625];
const beale: MghDefinition = {
  number: 5, slug: 'beale', title: 'Beale function',
  n: { fixed: 2 }, m: { of: () => 3 },
  build: () => ({
    model: {
      n: 2, m: 3,
      residuals(x, r) {
        for (let i = 0; i < 3; i++) r[i] = BEALE_Y[i] - x[0] * (1 - x[1] ** (i + 1));
      },
      jacobian(x, J) {
        for (let i = 0; i < 3; i++) {
          const k = i + 1;
          J[2 * i] = -(1 - x[1] ** k);
          J[2 * i + 1] = x[0] * k * x[1] ** (k - 1);
        }
      },
      residualHessians(x, w, S) {
        // ∂²/∂x₁∂x₂ = k·x₂^(k−1), ∂²/∂x₂² = x₁·k(k−1)·x₂^(k−2)
        for (let i = 0; i < 3; i++) {
          const k = i + 1;
          addSym(S, 2, 0, 1, w[i] * k * x[1] ** (k - 1));
          if (k >= 2) S[3] += w[i] * x[0] * k * (k - 1) * x[1] ** (k - 2);
        }
      },
    },
    x0: vec([1, 1]),
    fStar: 0, xStar: vec([3, 0.5]),
    note: 'f = 0 at (3, 0.5)',
  }),
};

/** (6) Jennrich and Sampson: fᵢ = 2 + 2i − (exp(i·x₁) + exp(i·x₂)), m ≥ n. */
const jennrichSampson: MghDefinition = {
  number: 6, slug: 'jennrich-sampson', title: 'Jennrich and Sampson function',
  n: { fixed: 2 }, m: { minOf: () => 2 },
  build: (_n, m) => ({
    model: {
      n: 2, m,
      residuals(x, r) {
        for (let i = 0; i < m; i++) {
          const k = i + 1;
          r[i] = 2 + 2 * k - (Math.exp(k * x[0]) + Math.exp(k * x[1]));
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < m; i++) {
          const k = i + 1;
          J[2 * i] = -k * Math.exp(k * x[0]);
          J[2 * i + 1] = -k * Math.exp(k * x[1]);
        }
      },
      residualHessians(x, w, S) {
        for (let i = 0; i < m; i++) {
          const k = i + 1;
          S[0] -= w[i] * k * k * Math.exp(k * x[0]);
          S[3] -= w[i] * k * k * Math.exp(k * x[1]);
        }
      },
    },
    x0: vec([0.3, 0.4]),
    fStar: m === 10 ? 124.362 : undefined,
    note: 'f = 124.362... at x₁ = x₂ = 0.2578... for m = 10',
  }),
};

/**
 * (7) Helical valley: f₁ = 10[x₃ − 10θ(x₁, x₂)], f₂ = 10[(x₁² + x₂²)^½ − 1], f₃ = x₃, with
 * 2πθ = arctan(x₂/x₁) for x₁ > 0 and arctan(x₂/x₁) + π for x₁ < 0 (θ ∈ (−¼, ¾), cut along the
 * negative x₂ axis). The paper leaves x₁ = 0 open; MINPACK's ±¼ (by the sign of x₂) is used.
 * With ρ² = x₁² + x₂²: θ₁ = −x₂/(2πρ²), θ₂ = x₁/(2πρ²), θ₁₁ = 2x₁x₂/(2πρ⁴) = −θ₂₂,
 * θ₁₂ = (x₂² − x₁²)/(2πρ⁴); ρ₁₁ = x₂²/ρ³, ρ₂₂ = x₁²/ρ³, ρ₁₂ = −x₁x₂/ρ³.
 */
function helicalTheta(x1: number, x2: number): number {
  if (x1 > 0) return Math.atan(x2 / x1) / TWO_PI;
  if (x1 < 0) return Math.atan(x2 / x1) / TWO_PI + 0.5;
  return x2 >= 0 ? 0.25 : -0.25;
}
const helicalValley: MghDefinition = {
  number: 7, slug: 'helical-valley', title: 'Helical valley function',
  n: { fixed: 3 }, m: { of: () => 3 },
  build: () => ({
    model: {
      n: 3, m: 3,
      residuals(x, r) {
        r[0] = 10 * (x[2] - 10 * helicalTheta(x[0], x[1]));
        r[1] = 10 * (Math.hypot(x[0], x[1]) - 1);
        r[2] = x[2];
      },
      jacobian(x, J) {
        const rho2 = x[0] * x[0] + x[1] * x[1];
        const rho = Math.sqrt(rho2);
        J[0] = (100 * x[1]) / (TWO_PI * rho2); J[1] = (-100 * x[0]) / (TWO_PI * rho2); J[2] = 10;
        J[3] = (10 * x[0]) / rho; J[4] = (10 * x[1]) / rho;
        J[8] = 1;
      },
      residualHessians(x, w, S) {
        const [a, b] = x;
        const rho2 = a * a + b * b;
        const rho = Math.sqrt(rho2);
        const c = -100 * w[0] / (TWO_PI * rho2 * rho2); // f₁ = … − 100θ
        S[0] += c * 2 * a * b;
        S[4] += c * -2 * a * b;
        addSym(S, 3, 0, 1, c * (b * b - a * a));
        const d = (10 * w[1]) / (rho2 * rho);
        S[0] += d * b * b;
        S[4] += d * a * a;
        addSym(S, 3, 0, 1, -d * a * b);
      },
    },
    x0: vec([-1, 0, 0]),
    fStar: 0, xStar: vec([1, 0, 0]),
    note: 'f = 0 at (1, 0, 0)',
  }),
};

/** (8) Bard: fᵢ = yᵢ − (x₁ + uᵢ/(vᵢx₂ + wᵢx₃)), uᵢ = i, vᵢ = 16 − i, wᵢ = min(uᵢ, vᵢ). */
const BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.1, 4.39];
const bard: MghDefinition = {
  number: 8, slug: 'bard', title: 'Bard function',
  n: { fixed: 3 }, m: { of: () => 15 },
  build: () => ({
    model: {
      n: 3, m: 15,
      residuals(x, r) {
        for (let i = 0; i < 15; i++) {
          const u = i + 1, v = 15 - i, w = Math.min(u, v);
          r[i] = BARD_Y[i] - (x[0] + u / (v * x[1] + w * x[2]));
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < 15; i++) {
          const u = i + 1, v = 15 - i, w = Math.min(u, v);
          const d = v * x[1] + w * x[2];
          J[3 * i] = -1;
          J[3 * i + 1] = (u * v) / (d * d);
          J[3 * i + 2] = (u * w) / (d * d);
        }
      },
      residualHessians(x, wt, S) {
        // ∂²(u/d)/∂xⱼ∂xₖ = 2u·cⱼcₖ/d³ with c = (v, w); the residual carries a minus sign
        for (let i = 0; i < 15; i++) {
          const u = i + 1, v = 15 - i, w = Math.min(u, v);
          const d = v * x[1] + w * x[2];
          const c = (-2 * u * wt[i]) / (d * d * d);
          S[4] += c * v * v;
          addSym(S, 3, 1, 2, c * v * w);
          S[8] += c * w * w;
        }
      },
    },
    x0: vec([1, 1, 1]),
    fStar: 8.21487e-3,
    note: 'f = 8.21487...×10⁻³; f = 17.4286... at (0.8406..., −∞, −∞)',
    otherMinima: [{ fStar: 17.4286, note: 'at (0.8406..., −∞, −∞)' }],
  }),
};

/** (9) Gaussian: fᵢ = x₁·exp(−x₂(tᵢ − x₃)²/2) − yᵢ, tᵢ = (8 − i)/2. */
const GAUSSIAN_Y = [0.0009, 0.0044, 0.0175, 0.054, 0.1295, 0.242, 0.3521, 0.3989, 0.3521, 0.242, 0.1295, 0.054, 0.0175, 0.0044, 0.0009];
const gaussian: MghDefinition = {
  number: 9, slug: 'gaussian', title: 'Gaussian function',
  n: { fixed: 3 }, m: { of: () => 15 },
  build: () => ({
    model: {
      n: 3, m: 15,
      residuals(x, r) {
        for (let i = 0; i < 15; i++) {
          const s = (7 - i) / 2 - x[2];
          r[i] = x[0] * Math.exp((-x[1] * s * s) / 2) - GAUSSIAN_Y[i];
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < 15; i++) {
          const s = (7 - i) / 2 - x[2];
          const e = Math.exp((-x[1] * s * s) / 2);
          J[3 * i] = e;
          J[3 * i + 1] = (-x[0] * e * s * s) / 2;
          J[3 * i + 2] = x[0] * x[1] * e * s;
        }
      },
      residualHessians(x, w, S) {
        // s = t − x₃, E = exp(−x₂s²/2): ∂E/∂x₂ = −Es²/2, ∂E/∂x₃ = Ex₂s, ∂s/∂x₃ = −1
        for (let i = 0; i < 15; i++) {
          const s = (7 - i) / 2 - x[2];
          const e = w[i] * Math.exp((-x[1] * s * s) / 2);
          const s2 = s * s;
          addSym(S, 3, 0, 1, (-e * s2) / 2);
          addSym(S, 3, 0, 2, e * x[1] * s);
          S[4] += (x[0] * e * s2 * s2) / 4;
          addSym(S, 3, 1, 2, x[0] * e * (s - (x[1] * s2 * s) / 2));
          S[8] += x[0] * x[1] * e * (x[1] * s2 - 1);
        }
      },
    },
    x0: vec([0.4, 1, 0]),
    fStar: 1.12793e-8,
    note: 'f = 1.12793...×10⁻⁸',
  }),
};

/** (10) Meyer: fᵢ = x₁·exp(x₂/(tᵢ + x₃)) − yᵢ, tᵢ = 45 + 5i. */
const MEYER_Y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872];
const meyer: MghDefinition = {
  number: 10, slug: 'meyer', title: 'Meyer function',
  n: { fixed: 3 }, m: { of: () => 16 },
  build: () => ({
    model: {
      n: 3, m: 16,
      residuals(x, r) {
        for (let i = 0; i < 16; i++) r[i] = x[0] * Math.exp(x[1] / (50 + 5 * i + x[2])) - MEYER_Y[i];
      },
      jacobian(x, J) {
        for (let i = 0; i < 16; i++) {
          const q = 50 + 5 * i + x[2];
          const e = Math.exp(x[1] / q);
          J[3 * i] = e;
          J[3 * i + 1] = (x[0] * e) / q;
          J[3 * i + 2] = (-x[0] * x[1] * e) / (q * q);
        }
      },
      residualHessians(x, w, S) {
        // q = t + x₃, E = exp(x₂/q): ∂E/∂x₂ = E/q, ∂E/∂x₃ = −x₂E/q²
        for (let i = 0; i < 16; i++) {
          const q = 50 + 5 * i + x[2];
          const e = w[i] * Math.exp(x[1] / q);
          const q2 = q * q;
          addSym(S, 3, 0, 1, e / q);
          addSym(S, 3, 0, 2, (-x[1] * e) / q2);
          S[4] += (x[0] * e) / q2;
          addSym(S, 3, 1, 2, (-x[0] * e * (x[1] + q)) / (q2 * q));
          S[8] += (x[0] * x[1] * e * (x[1] + 2 * q)) / (q2 * q2);
        }
      },
    },
    x0: vec([0.02, 4000, 250]),
    fStar: 87.9458,
    note: 'f = 87.9458...',
  }),
};

/**
 * (11) Gulf research and development: fᵢ = exp(−|yᵢ − x₂|^x₃ / x₁) − tᵢ, tᵢ = i/100,
 * yᵢ = 25 + (−50 ln tᵢ)^(2/3), n ≤ m ≤ 100. (The paper prints "yᵢmᵢx₂" where the minus sign
 * belongs.) With d = yᵢ − x₂, P = |d|^x₃, L = ln|d|, z = P/x₁, r = e^(−z) − t:
 * ∂r/∂xⱼ = −e^(−z)zⱼ and ∂²r/∂xⱼ∂xₖ = e^(−z)(zⱼzₖ − zⱼₖ), where z₁ = −P/x₁², z₂ = −x₃P/(d·x₁),
 * z₃ = PL/x₁, z₁₁ = 2P/x₁³, z₁₂ = x₃P/(d·x₁²), z₁₃ = −PL/x₁², z₂₂ = x₃(x₃ − 1)P/(d²x₁),
 * z₂₃ = −P(1 + x₃L)/(d·x₁), z₃₃ = PL²/x₁. At d = 0 (never at the paper's points) P and its terms are 0.
 */
function gulfY(i: number): number {
  return 25 + Math.cbrt(-50 * Math.log((i + 1) / 100)) ** 2;
}
const gulf: MghDefinition = {
  number: 11, slug: 'gulf', title: 'Gulf research and development function',
  n: { fixed: 3 }, m: { minOf: () => 3, max: 100 },
  build: (_n, m) => {
    const y = Float64Array.from({ length: m }, (_, i) => gulfY(i));
    /** z and its first derivatives for residual i; z' in zd. */
    const terms = (x: Float64Array, i: number) => {
      const d = y[i] - x[1];
      const a = Math.abs(d);
      const P = a === 0 ? 0 : a ** x[2];
      const L = a === 0 ? 0 : Math.log(a);
      const q = a === 0 ? 0 : P / d; // P/d, 0 at d = 0 (x₃ > 1 there)
      return { d, P, L, q, z: P / x[0] };
    };
    return {
      model: {
        n: 3, m,
        residuals(x, r) {
          for (let i = 0; i < m; i++) r[i] = Math.exp(-terms(x, i).z) - (i + 1) / 100;
        },
        jacobian(x, J) {
          for (let i = 0; i < m; i++) {
            const { P, L, q, z } = terms(x, i);
            const e = Math.exp(-z);
            J[3 * i] = (e * P) / (x[0] * x[0]);
            J[3 * i + 1] = (e * x[2] * q) / x[0];
            J[3 * i + 2] = (-e * P * L) / x[0];
          }
        },
        residualHessians(x, w, S) {
          const [x1, , x3] = x;
          for (let i = 0; i < m; i++) {
            const { d, P, L, q, z } = terms(x, i);
            if (P === 0) continue;
            const e = w[i] * Math.exp(-z);
            const z1 = -P / (x1 * x1), z2 = (-x3 * q) / x1, z3 = (P * L) / x1;
            const z11 = (2 * P) / (x1 * x1 * x1), z12 = (x3 * q) / (x1 * x1), z13 = (-P * L) / (x1 * x1);
            const z22 = (x3 * (x3 - 1) * q) / (d * x1), z23 = (-q * (1 + x3 * L)) / x1, z33 = (P * L * L) / x1;
            S[0] += e * (z1 * z1 - z11);
            addSym(S, 3, 0, 1, e * (z1 * z2 - z12));
            addSym(S, 3, 0, 2, e * (z1 * z3 - z13));
            S[4] += e * (z2 * z2 - z22);
            addSym(S, 3, 1, 2, e * (z2 * z3 - z23));
            S[8] += e * (z3 * z3 - z33);
          }
        },
      },
      x0: vec([5, 2.5, 0.15]),
      fStar: 0, xStar: vec([50, 25, 1.5]),
      note: 'f = 0 at (50, 25, 1.5)',
    };
  },
};

/** (12) Box three-dimensional: fᵢ = exp(−tᵢx₁) − exp(−tᵢx₂) − x₃(exp(−tᵢ) − exp(−10tᵢ)), tᵢ = 0.1i, m ≥ n. */
const box3d: MghDefinition = {
  number: 12, slug: 'box-3d', title: 'Box three-dimensional function',
  n: { fixed: 3 }, m: { minOf: () => 3 },
  build: (_n, m) => ({
    model: {
      n: 3, m,
      residuals(x, r) {
        for (let i = 0; i < m; i++) {
          const t = 0.1 * (i + 1);
          r[i] = Math.exp(-t * x[0]) - Math.exp(-t * x[1]) - x[2] * (Math.exp(-t) - Math.exp(-10 * t));
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < m; i++) {
          const t = 0.1 * (i + 1);
          J[3 * i] = -t * Math.exp(-t * x[0]);
          J[3 * i + 1] = t * Math.exp(-t * x[1]);
          J[3 * i + 2] = -(Math.exp(-t) - Math.exp(-10 * t));
        }
      },
      residualHessians(x, w, S) {
        for (let i = 0; i < m; i++) {
          const t = 0.1 * (i + 1);
          S[0] += w[i] * t * t * Math.exp(-t * x[0]);
          S[4] -= w[i] * t * t * Math.exp(-t * x[1]);
        }
      },
    },
    x0: vec([0, 10, 20]),
    fStar: 0, xStar: vec([1, 10, 1]),
    note: 'f = 0 at (1, 10, 1), (10, 1, −1) and wherever x₁ = x₂ and x₃ = 0',
    otherMinima: [
      { fStar: 0, xStar: vec([10, 1, -1]), note: 'a second isolated minimizer' },
      { fStar: 0, note: 'the line x₁ = x₂, x₃ = 0' },
    ],
  }),
};

/** The Powell singular block on x[o…o+3] into r[o…o+3]: shared by problems 13 and 22. */
export const powellBlock = {
  residuals(x: Float64Array, r: Float64Array, o: number): void {
    r[o] = x[o] + 10 * x[o + 1];
    r[o + 1] = Math.sqrt(5) * (x[o + 2] - x[o + 3]);
    r[o + 2] = (x[o + 1] - 2 * x[o + 2]) ** 2;
    r[o + 3] = Math.sqrt(10) * (x[o] - x[o + 3]) ** 2;
  },
  jacobian(x: Float64Array, J: Float64Array, n: number, o: number): void {
    const a = x[o + 1] - 2 * x[o + 2];
    const b = x[o] - x[o + 3];
    J[o * n + o] = 1; J[o * n + o + 1] = 10;
    J[(o + 1) * n + o + 2] = Math.sqrt(5); J[(o + 1) * n + o + 3] = -Math.sqrt(5);
    J[(o + 2) * n + o + 1] = 2 * a; J[(o + 2) * n + o + 2] = -4 * a;
    J[(o + 3) * n + o] = 2 * Math.sqrt(10) * b; J[(o + 3) * n + o + 3] = -2 * Math.sqrt(10) * b;
  },
  residualHessians(w: Float64Array, S: Float64Array, n: number, o: number): void {
    const w3 = w[o + 2], w4 = 2 * Math.sqrt(10) * w[o + 3];
    addSym(S, n, o + 1, o + 1, 2 * w3);
    addSym(S, n, o + 1, o + 2, -4 * w3);
    addSym(S, n, o + 2, o + 2, 8 * w3);
    addSym(S, n, o, o, w4);
    addSym(S, n, o, o + 3, -w4);
    addSym(S, n, o + 3, o + 3, w4);
  },
};

/** (13) Powell singular: f₁ = x₁ + 10x₂, f₂ = √5(x₃ − x₄), f₃ = (x₂ − 2x₃)², f₄ = √10(x₁ − x₄)². */
const powellSingular: MghDefinition = {
  number: 13, slug: 'powell-singular', title: 'Powell singular function',
  n: { fixed: 4 }, m: { of: () => 4 },
  build: () => ({
    model: {
      n: 4, m: 4,
      residuals: (x, r) => powellBlock.residuals(x, r, 0),
      jacobian: (x, J) => powellBlock.jacobian(x, J, 4, 0),
      residualHessians: (_x, w, S) => powellBlock.residualHessians(w, S, 4, 0),
    },
    x0: vec([3, -1, 0, 1]),
    fStar: 0, xStar: vec([0, 0, 0, 0]),
    note: 'f = 0 at the origin',
  }),
};

/**
 * (14) Wood: f₁ = 10(x₂ − x₁²), f₂ = 1 − x₁, f₃ = √90(x₄ − x₃²), f₄ = 1 − x₃,
 * f₅ = √10(x₂ + x₄ − 2), f₆ = 10^(−½)(x₂ − x₄).
 */
const wood: MghDefinition = {
  number: 14, slug: 'wood', title: 'Wood function',
  n: { fixed: 4 }, m: { of: () => 6 },
  build: () => ({
    model: {
      n: 4, m: 6,
      residuals(x, r) {
        r[0] = 10 * (x[1] - x[0] * x[0]);
        r[1] = 1 - x[0];
        r[2] = Math.sqrt(90) * (x[3] - x[2] * x[2]);
        r[3] = 1 - x[2];
        r[4] = Math.sqrt(10) * (x[1] + x[3] - 2);
        r[5] = (x[1] - x[3]) / Math.sqrt(10);
      },
      jacobian(x, J) {
        J[0] = -20 * x[0]; J[1] = 10;
        J[4] = -1;
        J[10] = -2 * Math.sqrt(90) * x[2]; J[11] = Math.sqrt(90);
        J[14] = -1;
        J[17] = Math.sqrt(10); J[19] = Math.sqrt(10);
        J[21] = 1 / Math.sqrt(10); J[23] = -1 / Math.sqrt(10);
      },
      residualHessians(_x, w, S) {
        S[0] += -20 * w[0];
        S[10] += -2 * Math.sqrt(90) * w[2];
      },
    },
    x0: vec([-3, -1, -3, -1]),
    fStar: 0, xStar: vec([1, 1, 1, 1]),
    note: 'f = 0 at (1, 1, 1, 1)',
  }),
};

/** (15) Kowalik and Osborne: fᵢ = yᵢ − x₁(uᵢ² + uᵢx₂)/(uᵢ² + uᵢx₃ + x₄). */
const KOWALIK_Y = [0.1957, 0.1947, 0.1735, 0.16, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246];
const KOWALIK_U = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625];
const kowalikOsborne: MghDefinition = {
  number: 15, slug: 'kowalik-osborne', title: 'Kowalik and Osborne function',
  n: { fixed: 4 }, m: { of: () => 11 },
  build: () => ({
    model: {
      n: 4, m: 11,
      residuals(x, r) {
        for (let i = 0; i < 11; i++) {
          const u = KOWALIK_U[i];
          r[i] = KOWALIK_Y[i] - (x[0] * (u * u + u * x[1])) / (u * u + u * x[2] + x[3]);
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < 11; i++) {
          const u = KOWALIK_U[i];
          const N = u * u + u * x[1], D = u * u + u * x[2] + x[3];
          J[4 * i] = -N / D;
          J[4 * i + 1] = (-x[0] * u) / D;
          J[4 * i + 2] = (x[0] * N * u) / (D * D);
          J[4 * i + 3] = (x[0] * N) / (D * D);
        }
      },
      residualHessians(x, w, S) {
        // r = y − x₁N/D, N = u² + ux₂, D = u² + ux₃ + x₄
        for (let i = 0; i < 11; i++) {
          const u = KOWALIK_U[i];
          const N = u * u + u * x[1], D = u * u + u * x[2] + x[3];
          const c = w[i], D2 = D * D, D3 = D2 * D;
          addSym(S, 4, 0, 1, (-c * u) / D);
          addSym(S, 4, 0, 2, (c * N * u) / D2);
          addSym(S, 4, 0, 3, (c * N) / D2);
          addSym(S, 4, 1, 2, (c * x[0] * u * u) / D2);
          addSym(S, 4, 1, 3, (c * x[0] * u) / D2);
          S[10] += (-2 * c * x[0] * N * u * u) / D3;
          addSym(S, 4, 2, 3, (-2 * c * x[0] * N * u) / D3);
          S[15] += (-2 * c * x[0] * N) / D3;
        }
      },
    },
    x0: vec([0.25, 0.39, 0.415, 0.39]),
    fStar: 3.07505e-4,
    note: 'f = 3.07505...×10⁻⁴; f = 1.02734...×10⁻³ at (+∞, −14.07..., −∞, −∞)',
    otherMinima: [{ fStar: 1.02734e-3, note: 'at (+∞, −14.07..., −∞, −∞)' }],
  }),
};

/** (16) Brown and Dennis: fᵢ = (x₁ + tᵢx₂ − exp(tᵢ))² + (x₃ + x₄sin(tᵢ) − cos(tᵢ))², tᵢ = i/5, m ≥ n. */
const brownDennis: MghDefinition = {
  number: 16, slug: 'brown-dennis', title: 'Brown and Dennis function',
  n: { fixed: 4 }, m: { minOf: () => 4 },
  build: (_n, m) => ({
    model: {
      n: 4, m,
      residuals(x, r) {
        for (let i = 0; i < m; i++) {
          const t = (i + 1) / 5;
          const a = x[0] + t * x[1] - Math.exp(t), b = x[2] + x[3] * Math.sin(t) - Math.cos(t);
          r[i] = a * a + b * b;
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < m; i++) {
          const t = (i + 1) / 5, s = Math.sin(t);
          const a = x[0] + t * x[1] - Math.exp(t), b = x[2] + x[3] * s - Math.cos(t);
          J[4 * i] = 2 * a; J[4 * i + 1] = 2 * a * t;
          J[4 * i + 2] = 2 * b; J[4 * i + 3] = 2 * b * s;
        }
      },
      residualHessians(_x, w, S) {
        // ∇²(a²) = 2∇a∇aᵀ with ∇a = (1, t, 0, 0); ∇²(b²) = 2∇b∇bᵀ with ∇b = (0, 0, 1, sin t)
        for (let i = 0; i < m; i++) {
          const t = (i + 1) / 5, s = Math.sin(t), c = 2 * w[i];
          S[0] += c;
          addSym(S, 4, 0, 1, c * t);
          S[5] += c * t * t;
          S[10] += c;
          addSym(S, 4, 2, 3, c * s);
          S[15] += c * s * s;
        }
      },
    },
    x0: vec([25, 5, -5, -1]),
    fStar: m === 20 ? 85822.2 : undefined,
    note: 'f = 85822.2... if m = 20',
  }),
};

/** (17) Osborne 1: fᵢ = yᵢ − (x₁ + x₂exp(−tᵢx₄) + x₃exp(−tᵢx₅)), tᵢ = 10(i − 1). */
const OSBORNE1_Y = [
  0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.85, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.58,
  0.558, 0.538, 0.522, 0.506, 0.49, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.42, 0.414, 0.411, 0.406,
];
const osborne1: MghDefinition = {
  number: 17, slug: 'osborne-1', title: 'Osborne 1 function',
  n: { fixed: 5 }, m: { of: () => 33 },
  build: () => ({
    model: {
      n: 5, m: 33,
      residuals(x, r) {
        for (let i = 0; i < 33; i++) {
          const t = 10 * i;
          r[i] = OSBORNE1_Y[i] - (x[0] + x[1] * Math.exp(-t * x[3]) + x[2] * Math.exp(-t * x[4]));
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < 33; i++) {
          const t = 10 * i, e1 = Math.exp(-t * x[3]), e2 = Math.exp(-t * x[4]);
          J[5 * i] = -1; J[5 * i + 1] = -e1; J[5 * i + 2] = -e2;
          J[5 * i + 3] = t * x[1] * e1; J[5 * i + 4] = t * x[2] * e2;
        }
      },
      residualHessians(x, w, S) {
        for (let i = 0; i < 33; i++) {
          const t = 10 * i, e1 = w[i] * Math.exp(-t * x[3]), e2 = w[i] * Math.exp(-t * x[4]);
          addSym(S, 5, 1, 3, t * e1);
          S[18] -= t * t * x[1] * e1;
          addSym(S, 5, 2, 4, t * e2);
          S[24] -= t * t * x[2] * e2;
        }
      },
    },
    x0: vec([0.5, 1.5, -1, 0.01, 0.02]),
    fStar: 5.46489e-5,
    note: 'f = 5.46489...×10⁻⁵',
  }),
};

/**
 * (18) Biggs EXP6: fᵢ = x₃exp(−tᵢx₁) − x₄exp(−tᵢx₂) + x₆exp(−tᵢx₅) − yᵢ, tᵢ = 0.1i,
 * yᵢ = exp(−tᵢ) − 5exp(−10tᵢ) + 3exp(−4tᵢ), m ≥ n.
 */
const biggsExp6: MghDefinition = {
  number: 18, slug: 'biggs-exp6', title: 'Biggs EXP6 function',
  n: { fixed: 6 }, m: { minOf: () => 6 },
  build: (_n, m) => ({
    model: {
      n: 6, m,
      residuals(x, r) {
        for (let i = 0; i < m; i++) {
          const t = 0.1 * (i + 1);
          const y = Math.exp(-t) - 5 * Math.exp(-10 * t) + 3 * Math.exp(-4 * t);
          r[i] = x[2] * Math.exp(-t * x[0]) - x[3] * Math.exp(-t * x[1]) + x[5] * Math.exp(-t * x[4]) - y;
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < m; i++) {
          const t = 0.1 * (i + 1);
          const e0 = Math.exp(-t * x[0]), e1 = Math.exp(-t * x[1]), e4 = Math.exp(-t * x[4]);
          const o = 6 * i;
          J[o] = -t * x[2] * e0; J[o + 1] = t * x[3] * e1; J[o + 2] = e0;
          J[o + 3] = -e1; J[o + 4] = -t * x[5] * e4; J[o + 5] = e4;
        }
      },
      residualHessians(x, w, S) {
        for (let i = 0; i < m; i++) {
          const t = 0.1 * (i + 1);
          const e0 = w[i] * Math.exp(-t * x[0]), e1 = w[i] * Math.exp(-t * x[1]), e4 = w[i] * Math.exp(-t * x[4]);
          S[0] += t * t * x[2] * e0;
          addSym(S, 6, 0, 2, -t * e0);
          S[7] -= t * t * x[3] * e1;
          addSym(S, 6, 1, 3, t * e1);
          S[28] += t * t * x[5] * e4;
          addSym(S, 6, 4, 5, -t * e4);
        }
      },
    },
    x0: vec([1, 2, 1, 1, 1, 1]),
    fStar: 0, xStar: vec([1, 10, 1, 5, 4, 3]),
    note: 'f = 5.65565...×10⁻³ if m = 13; f = 0 at (1, 10, 1, 5, 4, 3)',
    otherMinima: m === 13 ? [{ fStar: 5.65565e-3, note: 'the value the paper reports for m = 13 (a local minimum)' }] : undefined,
  }),
};

/**
 * (19) Osborne 2: fᵢ = yᵢ − (x₁e^(−tᵢx₅) + x₂e^(−(tᵢ−x₉)²x₆) + x₃e^(−(tᵢ−x₁₀)²x₇) + x₄e^(−(tᵢ−x₁₁)²x₈)),
 * tᵢ = (i − 1)/10. For a bump x_a·G with G = exp(−s²b), s = t − c: ∂G/∂b = −s²G, ∂G/∂c = 2sbG,
 * ∂²G/∂b² = s⁴G, ∂²G/∂b∂c = (2s − 2bs³)G, ∂²G/∂c² = 2b(2bs² − 1)G.
 */
const OSBORNE2_Y = [
  1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608, 0.655, 0.616, 0.606, 0.602,
  0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.5, 0.423, 0.395, 0.375,
  0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591,
  0.559, 0.597, 0.625, 0.739, 0.71, 0.729, 0.72, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
];
const osborne2: MghDefinition = {
  number: 19, slug: 'osborne-2', title: 'Osborne 2 function',
  n: { fixed: 11 }, m: { of: () => 65 },
  build: () => ({
    model: {
      n: 11, m: 65,
      residuals(x, r) {
        for (let i = 0; i < 65; i++) {
          const t = i / 10;
          let g = x[0] * Math.exp(-t * x[4]);
          for (let k = 1; k <= 3; k++) {
            const s = t - x[7 + k];
            g += x[k] * Math.exp(-s * s * x[4 + k]);
          }
          r[i] = OSBORNE2_Y[i] - g;
        }
      },
      jacobian(x, J) {
        for (let i = 0; i < 65; i++) {
          const t = i / 10, o = 11 * i;
          const e = Math.exp(-t * x[4]);
          J[o] = -e;
          J[o + 4] = t * x[0] * e;
          for (let k = 1; k <= 3; k++) {
            const s = t - x[7 + k], b = x[4 + k];
            const G = Math.exp(-s * s * b);
            J[o + k] = -G;
            J[o + 4 + k] = x[k] * s * s * G;
            J[o + 7 + k] = -2 * x[k] * s * b * G;
          }
        }
      },
      residualHessians(x, w, S) {
        for (let i = 0; i < 65; i++) {
          const t = i / 10, c = -w[i]; // r = y − g: ∇²r = −∇²g
          const e = c * Math.exp(-t * x[4]);
          addSym(S, 11, 0, 4, -t * e);
          S[4 * 11 + 4] += t * t * x[0] * e;
          for (let k = 1; k <= 3; k++) {
            const s = t - x[7 + k], b = x[4 + k], a = x[k];
            const G = c * Math.exp(-s * s * b);
            const ib = 4 + k, ic = 7 + k;
            addSym(S, 11, k, ib, -s * s * G);
            addSym(S, 11, k, ic, 2 * s * b * G);
            S[ib * 11 + ib] += a * s * s * s * s * G;
            addSym(S, 11, ib, ic, a * (2 * s - 2 * b * s * s * s) * G);
            S[ic * 11 + ic] += 2 * a * b * (2 * b * s * s - 1) * G;
          }
        }
      },
    },
    x0: vec([1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5]),
    fStar: 4.01377e-2,
    note: 'f = 4.01377...×10⁻²',
  }),
};

export const FIXED_SIZE: readonly MghDefinition[] = [
  rosenbrock, freudensteinRoth, powellBadlyScaled, brownBadlyScaled, beale, jennrichSampson, helicalValley, bard,
  gaussian, meyer, gulf, box3d, powellSingular, wood, kowalikOsborne, brownDennis, osborne1, biggsExp6, osborne2,
];

