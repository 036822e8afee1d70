// cg-vs-steepest: on a quadratic ½(x − 1)ᵀA(x − 1) in m dimensions, conjugate gradients with
// exact line searches reach the minimum in at most m steps (step k minimizes f over a
// k-dimensional Krylov space, so step m minimizes it over everything); steepest descent with
// the same exact line search zig-zags, each gradient orthogonal to the previous one, and
// needs on the order of (κ/4)·ln(1/ε) iterations.
//
// Setup: m = 20 (quick: 10), κ = 10, 100 and 1000, A rotated (seed 1), start 0; minimize() with
// line search { type: 'exact', quadratic: true } (the closed-form minimizer along the line),
// stopping at ‖g‖ ≤ 10⁻⁸·‖g₀‖ (value and step tests off), for
//   CG (FR)       Fletcher–Reeves without restarts: linear CG, the method of the theorem
//   CG (PR+)      minimize's default nonlinear CG: Polak–Ribière+, restart every m steps and
//                 when consecutive gradients are far from orthogonal (Powell)
//   steepest descent.
// The m-step property is one of exact arithmetic. In float64 the directions slowly lose
// conjugacy, the more so the larger κ, so at κ = 100 and 1000 linear CG needs a few steps more
// than m to reach 10⁻⁸, and Powell's restart test, triggered by that rounding, costs PR+ much
// more. The numbers say how much. A 2-D instance, ½(x − 1)ᵀdiag(1, 10)(x − 1) from (−9, 2)
// (x₀ − x* ∝ (1/λ₁, 1/λ₂): steepest descent's worst case, error × (κ − 1)/(κ + 1) per step),
// shows the two paths: steepest descent's right-angle zig-zag and CG's two steps.

import { minimize } from '../minimize/minimize.js';
import type { CgOptions } from '../minimize/methods/conjugate-gradient.js';
import { quadratic } from '../problems/classic.js';
import { lineChartSvg, type LineSeries } from '../plot/svg-curve.js';
import { fmt, panels, table, type Experiment } from './common.js';

function solve(method: 'cg' | 'steepest-descent', cg: CgOptions | undefined, m: number, kappa: number, maxIterations: number, start?: number[]) {
  // the 2-D picture: diagonal A and the start where steepest descent zig-zags the most
  const problem = quadratic({ n: m, condition: kappa, rotated: !start, seed: 1 });
  const x0 = start ? Float64Array.from(start) : new Float64Array(m), g0 = new Float64Array(m);
  const f0 = problem.objective.valueAndGradient!(x0, g0);
  const gn0 = Math.hypot(...g0);
  const path: number[][] = [];
  const r = minimize(problem.objective, x0, {
    method, ...(cg ? { cg } : {}), lineSearch: { type: 'exact', quadratic: true },
    gradientTolerance: 1e-8 * gn0, stepTolerance: 0, valueTolerance: 0, maxIterations,
    callback: (_info, x) => { path.push([x[0], x[1]]); },
  });
  return { r, gn0, f0, path };
}

const LINEAR_CG: CgOptions = { beta: 'fr', powellRestart: false, restart: 1e9 };

export const cgVsSteepest: Experiment = {
  name: 'cg-vs-steepest',
  claim: 'With exact line searches, CG minimizes an m-dimensional quadratic in at most m steps; steepest descent zig-zags and needs many more.',
  picture: 'Left: ‖g‖/‖g₀‖ per iteration (log scale) for linear CG (solid) and steepest descent (dashed) on m-dimensional quadratics with κ = 10, 100, 1000, the line x = m dotted; right: both paths on ½(x − 1)ᵀdiag(1, 10)(x − 1) from (−9, 2) (axes not to scale, so the right angles of the zig-zag look oblique).',
  run({ quick = false }) {
    const m = quick ? 10 : 20, cap = 20000;
    const numbers: Record<string, number> = { m };
    const rows = [['κ', 'CG (FR) iterations', 'f(x_m)/f₀', 'CG (PR+, restarts)', 'steepest descent']];
    const left: (LineSeries & { x: number[]; y: number[] })[] = [];
    const colors = ['#2ca02c', '#1f77b4', '#9467bd'];
    for (const [i, kappa] of [10, 100, 1000].entries()) {
      const lin = solve('cg', LINEAR_CG, m, kappa, 10 * m);
      const prp = solve('cg', undefined, m, kappa, 10 * m);
      const sd = solve('steepest-descent', undefined, m, kappa, cap);
      const atM = lin.r.history[Math.min(m, lin.r.history.length - 1)];
      numbers[`k${kappa}.cg.iterations`] = lin.r.iterations;
      numbers[`k${kappa}.cg.valueRatioAtM`] = atM.value / lin.f0;
      numbers[`k${kappa}.cgPrPlus.iterations`] = prp.r.iterations;
      numbers[`k${kappa}.sd.iterations`] = sd.r.converged ? sd.r.iterations : Infinity;
      rows.push([String(kappa), String(lin.r.iterations), fmt(atM.value / lin.f0), String(prp.r.iterations), sd.r.converged ? String(sd.r.iterations) : `> ${cap}`]);
      const h = (run: typeof lin) => ({ x: run.r.history.map((e) => e.iteration), y: run.r.history.map((e) => e.gradientNorm / run.gn0) });
      left.push({ name: `CG, κ = ${kappa}`, ...h(lin), color: colors[i] });
      left.push({ name: `steepest descent, κ = ${kappa}`, ...h(sd), color: colors[i], dashed: true });
    }
    const two = (['cg', 'steepest-descent'] as const).map((method) => solve(method, method === 'cg' ? LINEAR_CG : undefined, 2, 10, 200, [-9, 2]));
    numbers['2d.cg.iterations'] = two[0].r.iterations;
    numbers['2d.sd.iterations'] = two[1].r.iterations;
    const it = (k: number, w: string) => numbers[`k${k}.${w}.iterations`];
    const ok = it(10, 'cg') <= m && [10, 100, 1000].every((k) => it(k, 'sd') > 2 * it(k, 'cg'));
    const lines = [
      `½(x − 1)ᵀA(x − 1), m = ${m}, A rotated, start 0, exact line search, iterations to ‖g‖ ≤ 1e-8·‖g₀‖`,
      ...table(rows),
      `2-D, diag(1, 10) from (−9, 2): CG ${numbers['2d.cg.iterations']} iterations, steepest descent ${numbers['2d.sd.iterations']}`,
      ok
        ? `supports the claim at κ = 10 (CG ${it(10, 'cg')} ≤ m = ${m}); at κ = 100 and 1000 float64 rounding costs linear CG ` +
          `${it(100, 'cg') - m} and ${it(1000, 'cg') - m} steps beyond m (f(x_m)/f₀ = ${fmt(numbers['k100.cg.valueRatioAtM'])}, ${fmt(numbers['k1000.cg.valueRatioAtM'])}), ` +
          `still ${Math.round(it(100, 'sd') / it(100, 'cg'))}× and ${Math.round(it(1000, 'sd') / it(1000, 'cg'))}× fewer than steepest descent`
        : `does NOT support the claim: see the table`,
    ];
    const xMax = 6 * m;
    const clip = left.map((s) => {
      const k = s.x.findIndex((x) => x > xMax);
      return k < 0 ? s : { ...s, x: s.x.slice(0, k), y: s.y.slice(0, k) };
    });
    const all: LineSeries[] = clip;
    all.push({ name: `m = ${m}`, x: [m, m], y: [1e-9, 2], color: '#7f7f7f', dashed: true });
    const leftSvg = lineChartSvg(all, {
      title: `‖g‖ per iteration, m = ${m} (first ${xMax} iterations)`, xLabel: 'iteration', yLabel: '‖g‖ / ‖g₀‖ (log scale)', logY: true,
      yDomain: [1e-9, 2], width: 640, height: 460,
    });
    const rightSvg = lineChartSvg([
      { name: `steepest descent (${numbers['2d.sd.iterations']} steps)`, x: two[1].path.map((p) => p[0]), y: two[1].path.map((p) => p[1]), color: '#d62728' },
      { name: `CG (${numbers['2d.cg.iterations']} steps)`, x: two[0].path.map((p) => p[0]), y: two[0].path.map((p) => p[1]), color: '#1f77b4' },
    ], { title: '½(x−1)ᵀdiag(1, 10)(x−1): paths from (−9, 2)', xLabel: 'x₁', yLabel: 'x₂', width: 440, height: 460 });
    return { lines, numbers, svg: panels([leftSvg, rightSvg], 'Conjugate gradients vs steepest descent, exact line searches') };
  },
};
