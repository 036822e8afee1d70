// Moré–Thuente line search (src/minimize/line-search.ts) on the six test functions of Moré &
// Thuente 1994, §5 (Tables 1–6), with the paper's constants and first trials α₀ = 1e-3, 1e-1,
// 10, 1e3: the evaluation counts are the paper's, and every returned step satisfies the strong
// Wolfe conditions. Then the stopping tests (gradientNorm, relativeGradientTolerance,
// absoluteValueTolerance, 'precision') and the line-search methods on the MGH set: a run that
// reaches the minimum reports converged.
import { describe, expect, it } from 'vitest';
import { hagerZhang, moreThuente, lineSearch, type LineFunction } from '../src/minimize/line-search.js';
import { minimize } from '../src/minimize/minimize.js';
import { mghProblems } from '../src/problems/mgh.js';

type Phi = (a: number) => [number, number];
const line = (fn: Phi): LineFunction => {
  const [f0, dphi0] = fn(0);
  return { f0, dphi0, value: (a) => fn(a)[0], valueAndSlope: (a) => { const [f, dphi] = fn(a); return { f, dphi }; } };
};
// (5.1) φ(α) = −α/(α² + β)
const t1 = (b: number): Phi => (a) => [-a / (a * a + b), (a * a - b) / (a * a + b) ** 2];
// (5.2) φ(α) = (α + β)⁵ − 2(α + β)⁴
const t2 = (b: number): Phi => (a) => [(a + b) ** 5 - 2 * (a + b) ** 4, 5 * (a + b) ** 4 - 8 * (a + b) ** 3];
// (5.3) φ(α) = φ₀(α) + 2(1 − β)/(lπ)·sin(lπα/2), φ₀ piecewise linear with a quadratic joint
const t3 = (b: number, l: number): Phi => (a) => {
  const [p0, d0] = a <= 1 - b ? [1 - a, -1] : a >= 1 + b ? [a - 1, 1] : [(a - 1) ** 2 / (2 * b) + b / 2, (a - 1) / b];
  return [p0 + 2 * (1 - b) / (l * Math.PI) * Math.sin(l * Math.PI * a / 2), d0 + (1 - b) * Math.cos(l * Math.PI * a / 2)];
};
// (5.4) φ(α) = γ(β₁)·√((1 − α)² + β₂²) + γ(β₂)·√(α² + β₁²), γ(β) = √(1 + β²) − β
const gam = (b: number) => Math.sqrt(1 + b * b) - b;
const t4 = (b1: number, b2: number): Phi => (a) => [
  gam(b1) * Math.sqrt((1 - a) ** 2 + b2 * b2) + gam(b2) * Math.sqrt(a * a + b1 * b1),
  -gam(b1) * (1 - a) / Math.sqrt((1 - a) ** 2 + b2 * b2) + gam(b2) * a / Math.sqrt(a * a + b1 * b1),
];

// [table, φ, c₁ (ftol), c₂ (gtol), the paper's evaluation counts for α₀ = 1e-3, 1e-1, 10, 1e3]
const TABLES: [string, Phi, number, number, number[]][] = [
  ['Table 1: (5.1), β = 2', t1(2), 1e-3, 0.1, [6, 3, 1, 4]],
  ['Table 2: (5.2), β = 0.004', t2(0.004), 0.1, 0.1, [12, 8, 8, 11]],
  ['Table 3: (5.3), β = 0.01, l = 39', t3(0.01, 39), 0.1, 0.1, [12, 12, 10, 13]],
  ['Table 4: (5.4), β₁ = β₂ = 0.001', t4(0.001, 0.001), 0.001, 0.001, [4, 1, 3, 4]],
  ['Table 5: (5.4), β₁ = 0.01, β₂ = 0.001', t4(0.01, 0.001), 0.001, 0.001, [6, 3, 7, 8]],
  ['Table 6: (5.4), β₁ = 0.001, β₂ = 0.01', t4(0.001, 0.01), 0.001, 0.001, [13, 11, 8, 11]],
];

describe('Moré–Thuente line search on the paper\'s test functions', () => {
  for (const [name, fn, c1, c2, counts] of TABLES) {
    it(`${name}: the paper's evaluation counts, strong Wolfe at the returned step`, () => {
      const got: number[] = [];
      for (const alpha0 of [1e-3, 1e-1, 10, 1e3]) {
        const phi = line(fn);
        const r = moreThuente(phi, { c1, c2, alpha0, xtol: 1e-16 });
        expect(r.ok, `α₀ = ${alpha0}: ${r.reason}`).toBe(true);
        const [f, dphi] = fn(r.alpha);
        expect(r.f).toBe(f);
        expect(r.dphi).toBe(dphi);
        expect(f).toBeLessThanOrEqual(phi.f0 + c1 * r.alpha * phi.dphi0);
        expect(Math.abs(dphi)).toBeLessThanOrEqual(c2 * Math.abs(phi.dphi0));
        got.push(r.evaluations);
      }
      expect(got).toEqual(counts);
    });
  }

  it('Table 1\'s steps: α ≈ 1.4 from short first trials, 10 and 37 from long ones (the paper\'s)', () => {
    const steps = [1e-3, 1e-1, 10, 1e3].map((alpha0) => moreThuente(line(t1(2)), { c1: 1e-3, c2: 0.1, alpha0 }).alpha);
    expect(steps.map((a) => a.toPrecision(2))).toEqual(['1.4', '1.4', '10', '37']);
  });

  it('is the search lineSearch(\'more-thuente\') runs, and the old one stays available as \'wolfe\'', () => {
    const a = lineSearch('more-thuente', line(t1(2)), 1e-3);
    const b = moreThuente(line(t1(2)), { alpha0: 1e-3 });
    expect(a).toEqual(b);
    const w = lineSearch({ type: 'wolfe', c2: 0.1 }, line(t1(2)), 1e-3);
    expect(w.ok).toBe(true);
    expect(w.evaluations).not.toBe(lineSearch({ type: 'more-thuente', c2: 0.1 }, line(t1(2)), 1e-3).evaluations);
  });

  it('backs off from a φ that is NaN beyond some α and still returns a strong-Wolfe step', () => {
    // φ(α) = (α − 2)² on [0, 3], NaN beyond
    const phi = line((a) => (a > 3 ? [NaN, NaN] : [(a - 2) ** 2, 2 * (a - 2)]));
    const r = moreThuente(phi, { alpha0: 100, c2: 0.1 });
    expect(r.ok, r.reason).toBe(true);
    expect(Math.abs(r.dphi)).toBeLessThanOrEqual(0.1 * Math.abs(phi.dphi0));
    expect(r.alpha).toBeGreaterThan(1.5);
  });

  it('stops at alphaMax when φ keeps descending (ok = false, the step taken)', () => {
    const r = moreThuente(line((a) => [-a, -1]), { alpha0: 1, alphaMax: 50 });
    expect(r.ok).toBe(false);
    expect(r.alpha).toBe(50);
    expect(r.reason).toMatch(/alphaMax/);
  });

  it('rejects bad constants', () => {
    expect(() => moreThuente(line(t1(2)), { c1: 0 })).toThrow(/c1/);
    expect(() => moreThuente(line(t1(2)), { c2: 1 })).toThrow(/c2/);
    expect(() => moreThuente(line(t1(2)), { xtol: 1 })).toThrow(/xtol/);
  });
});

describe('Hager–Zhang line search (CG_DESCENT)', () => {
  it('returns a Wolfe or, when allowed, approximate-Wolfe step on the paper\'s functions', () => {
    // δ = min(0.1, the paper's c₁): with δ = 0.1 no step of (5.4) has sufficient decrease
    for (const [name, fn, c1] of TABLES) {
      const delta = Math.min(0.1, c1);
      for (const approximate of [false, true]) {
        for (const alpha0 of [1e-3, 1e-1, 10, 1e3]) {
          const phi = line(fn);
          const r = hagerZhang(phi, { alpha0, approximate, delta });
          expect(r.ok, `${name} α₀ = ${alpha0}: ${r.reason}`).toBe(true);
          const [f, dphi] = fn(r.alpha);
          const wolfe = f <= phi.f0 + delta * r.alpha * phi.dphi0 && dphi >= 0.9 * phi.dphi0;
          const approx = (2 * delta - 1) * phi.dphi0 >= dphi && dphi >= 0.9 * phi.dphi0 && f <= phi.f0 + 1e-6 * Math.abs(phi.f0);
          expect(wolfe || (approximate && approx), `${name} α₀ = ${alpha0} α = ${r.alpha}`).toBe(true);
          expect(r.evaluations).toBeLessThanOrEqual(30); // measured at most 26 (Table 3)
        }
      }
    }
  });

  it('without approximate steps, a flat tail is not accepted (Table 1 from α₀ = 1e3: φ ≈ 0 but no sufficient decrease)', () => {
    const phi = line(t1(2));
    const loose = hagerZhang(phi, { alpha0: 1e3, approximate: true });
    const strict = hagerZhang(phi, { alpha0: 1e3, approximate: false });
    expect(loose.alpha).toBeGreaterThan(10); // φ′ ≈ 0 far out, φ ≤ φ(0): approximate Wolfe holds
    expect(strict.alpha).toBeLessThan(10);
    expect(strict.f).toBeLessThanOrEqual(phi.f0 + 0.1 * strict.alpha * phi.dphi0);
  });

  it('CG with beta hz (CG_DESCENT) minimizes Rosenbrock and reaches f* on most MGH instances', () => {
    const r = minimize(rosenbrock, [-1.2, 1], { method: 'cg', cg: { beta: 'hz' } });
    expect(r.converged, r.message).toBe(true);
    expect(Math.abs(r.x[0] - 1)).toBeLessThan(1e-6);
    let got = 0, wrong = 0;
    for (const p of mghProblems()) {
      const q = minimize(p.objective, p.x0, { method: 'cg', cg: { beta: 'hz' }, gradientTolerance: 1e-5, gradientNorm: 'inf' });
      const ok = Math.abs(q.value - p.fStar!) <= 1e-4 * Math.abs(p.fStar!) + 1e-8;
      got += ok ? 1 : 0;
      if (ok && !q.converged) wrong++;
    }
    expect(got).toBeGreaterThanOrEqual(29); // measured 29 (SciPy's CG: 26)
    expect(wrong).toBe(0);
  });
});

const rosenbrock = {
  n: 2,
  value: (x: ArrayLike<number>) => 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
  gradient: (x: ArrayLike<number>, g: Float64Array) => {
    g[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]);
    g[1] = 200 * (x[1] - x[0] ** 2);
  },
};

describe('stopping tests', () => {
  it('gradientNorm \'inf\' tests max |gᵢ|, \'2\' the Euclidean norm', () => {
    for (const gradientNorm of ['inf', '2'] as const) {
      const r = minimize(rosenbrock, [-1.2, 1], { method: 'bfgs', gradientTolerance: 1e-5, gradientNorm });
      expect(r.reason).toBe('gradient');
      const h = r.history;
      const last = h[h.length - 1], prev = h[h.length - 2];
      // the run stopped at the first iterate whose norm passed, in the chosen norm
      const g = new Float64Array(2);
      rosenbrock.gradient(r.x, g);
      const norm = gradientNorm === 'inf' ? Math.max(Math.abs(g[0]), Math.abs(g[1])) : Math.hypot(g[0], g[1]);
      expect(norm).toBeLessThanOrEqual(1e-5);
      expect(last.gradientNorm).toBeCloseTo(Math.hypot(g[0], g[1]), 12); // history keeps ‖g‖₂
      expect(prev.gradientNorm).toBeGreaterThan(1e-5 / Math.SQRT2);
      expect(r.message).toContain(gradientNorm === 'inf' ? '‖g‖∞' : '‖g‖ =');
    }
    expect(() => minimize(rosenbrock, [-1.2, 1], { gradientNorm: '1' as never })).toThrow(/gradientNorm/);
  });

  it('relativeGradientTolerance stops at ‖g‖ ≤ tol·‖g₀‖ with reason relative-gradient', () => {
    const r = minimize(rosenbrock, [-1.2, 1], { method: 'lbfgs', relativeGradientTolerance: 1e-3, gradientTolerance: 0 });
    expect(r).toMatchObject({ reason: 'relative-gradient', converged: true });
    const g0 = r.history[0].gradientNorm;
    expect(r.gradientNorm).toBeLessThanOrEqual(1e-3 * g0);
    expect(r.history[r.history.length - 2].gradientNorm).toBeGreaterThan(1e-3 * g0);
  });

  it('absoluteValueTolerance stops when |f_{k+1} − f_k| ≤ tol with reason absolute-value', () => {
    const r = minimize(rosenbrock, [-1.2, 1], { method: 'cg', absoluteValueTolerance: 1e-6, gradientTolerance: 0 });
    expect(r).toMatchObject({ reason: 'absolute-value', converged: true });
    const h = r.history;
    expect(Math.abs(h[h.length - 2].value - h[h.length - 1].value)).toBeLessThanOrEqual(1e-6);
    for (let k = 1; k < h.length - 1; k++) expect(Math.abs(h[k - 1].value - h[k].value)).toBeGreaterThan(1e-6);
  });

  it('no decrease within rounding at a minimum is reason precision (converged); away from one it is a line-search failure', () => {
    // Brown and Dennis (MGH 16): f* ≈ 85822 and ‖g‖ stalls near 1e-4 — no absolute gradient
    // tolerance is met, and with none set the run ends where rounding stops every decrease
    const bd = mghProblems().find((p) => p.name === 'mgh-16-brown-dennis')!;
    for (const method of ['bfgs', 'lbfgs', 'cg', 'newton-cg'] as const) {
      const r = minimize(bd.objective, bd.x0, { method, gradientTolerance: 0, stepTolerance: 0 });
      expect(r.reason, `${method}: ${r.message}`).toBe('precision');
      expect(r.converged).toBe(true);
      expect(Math.abs(r.value - bd.fStar!)).toBeLessThan(1e-4 * bd.fStar!);
    }
    // a gradient that lies (its sign wrong at the start): no decrease along "descent" directions
    const liar = { n: 1, value: (x: ArrayLike<number>) => x[0] ** 2, gradient: (x: ArrayLike<number>, g: Float64Array) => { g[0] = -2 * x[0]; } };
    const s = minimize(liar, [5], { method: 'lbfgs' });
    expect(s).toMatchObject({ reason: 'line-search', converged: false });
  });
});

describe('line-search methods on the 41 MGH instances', () => {
  const problems = mghProblems();
  const reached = (f: number, fStar: number) => Math.abs(f - fStar) <= 1e-4 * Math.abs(fStar) + 1e-8;
  for (const method of ['bfgs', 'lbfgs', 'cg', 'newton-cg'] as const) {
    it(`${method}: every run that reaches f* reports converged, at the defaults and at SciPy's tolerance`, () => {
      const wrong: string[] = [];
      for (const tol of [{}, { gradientTolerance: 1e-5, gradientNorm: 'inf' as const }]) {
        for (const p of problems) {
          const r = minimize(p.objective, p.x0, { method, ...tol });
          if (reached(r.value, p.fStar!) && !r.converged) wrong.push(`${p.name} ${JSON.stringify(tol)}: ${r.reason} (${r.message})`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
