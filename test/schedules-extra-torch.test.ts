// PyTorch 1.13 parity of polynomial (PolynomialLR), cyclic (CyclicLR: triangular, triangular2,
// exp_range, a custom scale_fn; momentum cycling), sequential (SequentialLR) and chained
// (ChainedScheduler), against test/fixtures/torch-optim-extra.json ("schedulers", written by
// scripts/torch-optim-extra.py): every value of 30 steps within 1e-12 relative (a 0 exactly).
// torch steps PolynomialLR, ExponentialLR, … recursively; descent's closed forms agree to a few ulps.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chained, cosine, cyclic, exponential, linearLR, polynomial, sequential, step, type Schedule,
} from '../src/optim/schedules.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/torch-optim-extra.json', import.meta.url), 'utf8')).schedulers;
const REL = 1e-12;
type Opts = Record<string, number>;

/** A torch scheduler given as { Name: kwargs } on base lr `lr0`, as a descent schedule. */
function torchSchedule(lr0: number, spec: Record<string, Opts>): Schedule {
  const [[name, o]] = Object.entries(spec);
  switch (name) {
    case 'LinearLR': return linearLR(lr0, { startFactor: o.start_factor, endFactor: o.end_factor, totalIters: o.total_iters });
    case 'ExponentialLR': return exponential(lr0, { gamma: o.gamma });
    case 'StepLR': return step(lr0, { stepSize: o.step_size, gamma: o.gamma });
    case 'PolynomialLR': return polynomial(lr0, { totalIters: o.total_iters, power: o.power });
    case 'CosineAnnealingLR': return cosine(lr0, { tMax: o.T_max, etaMin: o.eta_min });
    default: throw new Error(`no descent schedule for ${name}`);
  }
}

function expectSeries(s: Schedule, want: number[], what: string): number {
  let worst = 0;
  want.forEach((w, t) => {
    const got = s(t), err = Math.abs(got - w);
    if (w !== 0) worst = Math.max(worst, err / Math.abs(w));
    expect(err, `${what}, step ${t}: ${got} vs ${w}`).toBeLessThanOrEqual(REL * Math.abs(w));
  });
  return worst;
}

describe('schedules vs PyTorch 1.13 (1e-12 relative)', () => {
  const seen = new Set<string>();
  let worst = 0;
  for (const [i, c] of (fx.cases as { scheduler: string; options: Record<string, unknown>; base_lr?: number; lrs: number[]; momentum?: number[] }[]).entries()) {
    it(`${c.scheduler}[${i}] ${JSON.stringify(c.options)}`, () => {
      seen.add(c.scheduler);
      expect(c.lrs.length).toBe(fx.steps);
      const o = c.options as Record<string, never>;
      if (c.scheduler === 'PolynomialLR') {
        worst = Math.max(worst, expectSeries(polynomial(c.base_lr!, { totalIters: o.total_iters, power: o.power }), c.lrs, 'lr'));
        expect(c.lrs[fx.steps - 1]).toBe(0);
      } else if (c.scheduler === 'CyclicLR') {
        const custom = o.scale_fn !== undefined;
        const s = cyclic({
          baseLr: o.base_lr, maxLr: o.max_lr, stepSizeUp: o.step_size_up, stepSizeDown: o.step_size_down, mode: o.mode, gamma: o.gamma,
          baseMomentum: o.base_momentum, maxMomentum: o.max_momentum,
          ...(custom ? { scaleFn: (x: number) => 1 / (1 + 0.1 * x), scaleMode: o.scale_mode } : {}),
        });
        worst = Math.max(worst, expectSeries(s.lr, c.lrs, 'lr'));
        if (o.cycle_momentum) worst = Math.max(worst, expectSeries(s.momentum, c.momentum!, 'momentum'));
        else expect(new Set(c.momentum)).toEqual(new Set([0.9])); // torch leaves the optimizer's momentum alone
      } else if (c.scheduler === 'SequentialLR') {
        const parts = (o.schedulers as Record<string, Opts>[]).map((p) => torchSchedule(c.base_lr!, p));
        worst = Math.max(worst, expectSeries(sequential(parts, o.milestones), c.lrs, 'lr'));
      } else if (c.scheduler === 'ChainedScheduler') {
        const parts = (o.schedulers as Record<string, Opts>[]).map((p) => torchSchedule(c.base_lr!, p));
        worst = Math.max(worst, expectSeries(chained(c.base_lr!, parts), c.lrs, 'lr'));
      } else {
        throw new Error(`unexpected scheduler ${c.scheduler}`);
      }
    });
  }
  it('covers every scheduler and every CyclicLR mode', () => {
    expect([...seen].sort()).toEqual(['ChainedScheduler', 'CyclicLR', 'PolynomialLR', 'SequentialLR']);
    const modes = fx.cases.filter((c: { scheduler: string }) => c.scheduler === 'CyclicLR').map((c: { options: { mode?: string; scale_fn?: string } }) => c.options.scale_fn ? 'scale_fn' : c.options.mode);
    expect(new Set(modes)).toEqual(new Set(['triangular', 'triangular2', 'exp_range', 'scale_fn']));
    if (process.env.DESCENT_OPTIM_REPORT === '1') console.log(`schedules vs torch: worst relative ${worst.toExponential(2)}`);
  });
});

describe('cyclic, polynomial, sequential, chained: shapes and errors', () => {
  it('cyclic: a triangle between baseLr and maxLr, momentum the other way; triangular2 halves each cycle', () => {
    const s = cyclic({ baseLr: 0.1, maxLr: 0.5, stepSizeUp: 2, stepSizeDown: 2 });
    expect([0, 1, 2, 3, 4].map(s.lr)).toEqual([0.1, 0.30000000000000004, 0.5, 0.30000000000000004, 0.1]);
    expect(s.momentum(0)).toBe(0.9);
    expect(s.momentum(2)).toBeCloseTo(0.8, 15);
    const h = cyclic({ baseLr: 0, maxLr: 1, stepSizeUp: 1, mode: 'triangular2' });
    expect([1, 3, 5].map(h.lr)).toEqual([1, 0.5, 0.25]);
    expect(() => cyclic({ baseLr: 0.1, maxLr: 1, mode: 'sawtooth' as never })).toThrow(/cyclic: mode must be 'triangular', 'triangular2' or 'exp_range', got "sawtooth"/);
    expect(() => cyclic({ baseLr: 0.1, maxLr: 1, stepSizeUp: 0 })).toThrow(/cyclic: stepSizeUp must be positive/);
    expect(() => cyclic({ baseLr: 0.1, maxLr: 1, scaleFn: () => NaN }).lr(3)).toThrow(/scaleFn returned NaN at step 3/);
    expect(() => cyclic({ baseLr: 0.1, maxLr: 1 }).lr(-1)).toThrow(/step must be a non-negative integer/);
  });
  it('polynomial: linear by default, 0 from totalIters on', () => {
    const s = polynomial(1, { totalIters: 4 });
    expect([0, 1, 2, 3, 4, 9].map(s)).toEqual([1, 0.75, 0.5, 0.25, 0, 0]);
    expect(() => polynomial(1, { totalIters: 0 })).toThrow(/polynomial: totalIters must be a positive integer, got 0/);
    expect(() => polynomial(1, { power: -1 })).toThrow(/polynomial: power must be ≥ 0/);
  });
  it('sequential: each schedule restarts its count at its milestone; warmup is a sequential', () => {
    const s = sequential([(t) => t, (t) => 10 + t], [3]);
    expect([0, 1, 2, 3, 4].map(s)).toEqual([0, 1, 2, 10, 11]);
    expect(() => sequential([(t) => t], [3])).toThrow(/expected 0 milestones for 1 schedules/);
    expect(() => sequential([(t) => t, (t) => t, (t) => t], [3, 3])).toThrow(/milestones must be strictly increasing/);
    expect(() => chained(0.1, [])).toThrow(/chained: schedules must be a non-empty array/);
  });
});
