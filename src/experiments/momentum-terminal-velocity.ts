// momentum-terminal-velocity: classical momentum, v ← μv − αg, θ ← θ + v.
//   1. On a plane f(x) = gᵀx the gradient is the constant g, so v_t = −α(1 + μ + … + μ^{t−1})g
//      = −α(1 − μ^t)/(1 − μ)·g: the step grows to the terminal velocity α/(1 − μ)·g, ten times
//      the plain gradient step for μ = 0.9. Printed: ‖θ_t − θ_{t−1}‖ / (α‖g‖/(1 − μ)) over t.
//   2. In a ravine (the oblong quadratic ½(x − 1)ᵀdiag(1, 100)(x − 1), start (−9, 1.5)),
//      gradient descent at its best constant rate (α = 0.019 ≈ 2/(λmin + λmax)) zig-zags across
//      the ravine, every step reversing, and crawls along it (its slow factor is 1 − αλmin
//      = 0.981 per step); with momentum (μ = 0.9, α = 0.005) the gradients that alternate
//      across the ravine cancel in v while the consistent one along it accumulates.
//      Measured over the first 100 steps: reversals of the step across the ravine, the total
//      distance travelled across it (Σ|Δx₂|; the start is 0.5 from the valley floor), the
//      largest distance from the valley floor over steps 50–100, and f at 50 and 100 steps.
//      Momentum trades GD's step-by-step zig-zag for a slow swing across the ravine that decays
//      more slowly (|z| = √μ ≈ 0.949 per step against GD's |1 − αλmax| = 0.9): the numbers show
//      both, and the picture shows the swing.
// Both runs use the f64 reference of the 'momentum-classic' rule (src/optim/momentum.ts), GD as
// the same rule with μ = 0.

import { momentumClassic, type MomentumHyper } from '../optim/momentum.js';
import { quadratic } from '../problems/classic.js';
import { lineChartSvg } from '../plot/svg-curve.js';
import { fmt, panels, table, type Experiment } from './common.js';
import { iterate, type SmoothFunction } from './iterate.js';

const hyper = (lr: number, momentum: number): MomentumHyper => ({ lr, momentum, weight_decay: 0, scaled: false });

function ravineStats(x: Float64Array[]): { reversals: number; across: number; late: number } {
  let reversals = 0, across = 0, late = 0;
  for (let k = 1; k < x.length; k++) {
    if (k >= 50) late = Math.max(late, Math.abs(x[k][1] - 1));
    const d = x[k][1] - x[k - 1][1];
    across += Math.abs(d);
    if (k >= 2 && d * (x[k - 1][1] - x[k - 2][1]) < 0) reversals++;
  }
  return { reversals, across, late };
}

export const momentumTerminalVelocity: Experiment = {
  name: 'momentum-terminal-velocity',
  claim: 'On a plane, classical momentum\'s step grows to the terminal velocity α/(1 − μ)·g; in a ravine momentum damps the zig-zag across and speeds up the progress along it compared with gradient descent.',
  picture: 'Left: the momentum step divided by α‖g‖/(1 − μ) on a plane, per iteration (μ = 0.5, 0.9, 0.99). Right: the first 100 iterates of gradient descent and momentum in the ravine ½(x − 1)ᵀdiag(1, 100)(x − 1).',
  run({ quick = false }) {
    const numbers: Record<string, number> = {};
    const lines: string[] = [];
    // 1. the plane
    const gPlane = Float64Array.of(0.6, 0.8); // ‖g‖ = 1
    const plane: SmoothFunction = {
      n: 2,
      valueAndGradient(x, g) { g.set(gPlane); return gPlane[0] * x[0] + gPlane[1] * x[1]; },
    };
    const alpha = 0.01, T = quick ? 100 : 300;
    const checkpoints = [1, 2, 5, 10, 20, 50, 100, 200, 300].filter((t) => t <= T);
    const rows = [['μ', ...checkpoints.map((t) => `t=${t}`), 'expected at t=100']];
    const left = [];
    for (const [i, mu] of [0.5, 0.9, 0.99].entries()) {
      const run = iterate(momentumClassic, hyper(alpha, mu), plane, [0, 0], T);
      const terminal = alpha / (1 - mu);
      const ratio = run.x.slice(1).map((x, k) => Math.hypot(x[0] - run.x[k][0], x[1] - run.x[k][1]) / terminal);
      rows.push([String(mu), ...checkpoints.map((t) => ratio[t - 1].toFixed(4)), (1 - mu ** 100).toFixed(4)]);
      numbers[`plane.mu${mu}.ratio100`] = ratio[99];
      numbers[`plane.mu${mu}.ratioEnd`] = ratio[T - 1];
      left.push({ name: `μ = ${mu}`, x: ratio.map((_, k) => k + 1), y: ratio, color: ['#2ca02c', '#1f77b4', '#9467bd'][i] });
    }
    lines.push(`plane f = gᵀx, ‖g‖ = 1, α = ${alpha}: step / (α‖g‖/(1 − μ)), which should be 1 − μ^t`, ...table(rows));
    // 2. the ravine
    const ravine = quadratic({ n: 2, condition: 100 });
    const x0 = [-9, 1.5], steps = 100;
    const gd = iterate(momentumClassic, hyper(0.019, 0), ravine.objective, x0, steps);
    const mo = iterate(momentumClassic, hyper(0.005, 0.9), ravine.objective, x0, steps);
    const rrows = [['method', 'reversals across', 'distance across', 'max |x₂ − 1| after 50', 'f at 50', 'f at 100']];
    for (const [key, label, run] of [['gd', 'GD α=0.019', gd], ['momentum', 'momentum α=0.005 μ=0.9', mo]] as const) {
      const s = ravineStats(run.x);
      numbers[`ravine.${key}.reversals`] = s.reversals;
      numbers[`ravine.${key}.across`] = s.across;
      numbers[`ravine.${key}.late`] = s.late;
      numbers[`ravine.${key}.f50`] = run.f[50];
      numbers[`ravine.${key}.f100`] = run.f[100];
      rrows.push([label, String(s.reversals), fmt(s.across), fmt(s.late), fmt(run.f[50]), fmt(run.f[100])]);
    }
    lines.push(`ravine ½(x − 1)ᵀdiag(1, 100)(x − 1) from (−9, 1.5), ${steps} steps`, ...table(rrows));
    const r9 = numbers['plane.mu0.9.ratio100'];
    const okPlane = Math.abs(r9 - 1) < 0.01;
    const okRavine = numbers['ravine.momentum.reversals'] < numbers['ravine.gd.reversals'] &&
      numbers['ravine.momentum.across'] < numbers['ravine.gd.across'] && numbers['ravine.momentum.f100'] < numbers['ravine.gd.f100'];
    lines.push(okPlane
      ? `supports the terminal-velocity claim: after 100 steps the μ = 0.9 step is ${r9.toFixed(6)} of α‖g‖/(1 − μ) (1 − 0.9¹⁰⁰ = ${(1 - 0.9 ** 100).toFixed(6)}); μ = 0.99 needs ${Math.ceil(Math.log(0.01) / Math.log(0.99))} steps to get within 1%`
      : `does NOT support the terminal-velocity claim: ratio ${r9} after 100 steps`);
    lines.push(okRavine
      ? `supports the ravine claim: momentum reverses across the ravine ${numbers['ravine.momentum.reversals']} times vs ${numbers['ravine.gd.reversals']} for GD, ` +
        `travels ${fmt(numbers['ravine.momentum.across'])} across vs ${fmt(numbers['ravine.gd.across'])}, and ends at f = ${fmt(numbers['ravine.momentum.f100'])} vs ${fmt(numbers['ravine.gd.f100'])}; ` +
        `but its swing across decays more slowly (max |x₂ − 1| after step 50: ${fmt(numbers['ravine.momentum.late'])} vs ${fmt(numbers['ravine.gd.late'])} for GD)`
      : 'does NOT support the ravine claim: see the table');
    const leftSvg = lineChartSvg(left.concat([{ name: 'terminal velocity', x: [1, T], y: [1, 1], color: '#7f7f7f', dashed: true } as never]), {
      title: 'Plane f = gᵀx: step / (α‖g‖/(1 − μ))', xLabel: 'iteration t', yLabel: 'step / terminal velocity', yDomain: [0, 1.1], width: 520, height: 440,
    });
    const path = (run: { x: Float64Array[] }) => ({ x: run.x.map((p) => p[0]), y: run.x.map((p) => p[1]) });
    const rightSvg = lineChartSvg([
      { name: 'GD α = 0.019', ...path(gd), color: '#d62728' },
      { name: 'momentum α = 0.005, μ = 0.9', ...path(mo), color: '#1f77b4' },
      { name: 'valley floor x₂ = 1', x: [-9, 1.5], y: [1, 1], color: '#7f7f7f', dashed: true },
    ], {
      title: 'Ravine ½(x−1)ᵀdiag(1, 100)(x−1): first 100 iterates', xLabel: 'x₁ (along the ravine; minimum at 1)', yLabel: 'x₂ (across)', width: 620, height: 440,
    });
    return { lines, numbers, svg: panels([leftSvg, rightSvg], 'Momentum: terminal velocity on a plane, damping in a ravine') };
  },
};
