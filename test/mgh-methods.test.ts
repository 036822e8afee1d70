// The minimizers on the Moré–Garbow–Hillstrom set (41 instances, src/problems/mgh.ts) with
// default options. "Reached" means |f − f*| ≤ 1e-4·|f*| + 1e-8 (f* the paper's global value).
// The bar, SciPy's counts with its defaults: BFGS 31, L-BFGS-B 26, CG 26, Newton-CG 29
// of 41 — each matching method here must beat it. docs/mgh.md has the full table
// (scripts/mgh-table.mjs), with evaluation counts.
import { describe, expect, it } from 'vitest';
import { mghProblems } from '../src/problems/mgh.js';
import { minimize, type MethodName } from '../src/minimize/minimize.js';

const problems = mghProblems();
const reached = (f: number, fStar: number) => Math.abs(f - fStar) <= 1e-4 * Math.abs(fStar) + 1e-8;

function count(method: MethodName): { reached: number; failed: string[] } {
  const failed: string[] = [];
  let n = 0;
  for (const p of problems) {
    const r = minimize(p.objective, p.x0, { method });
    if (reached(r.value, p.fStar!)) n++;
    else failed.push(`${p.name} f = ${r.value.toExponential(3)} (${r.reason})`);
  }
  return { reached: n, failed };
}

describe('Moré–Garbow–Hillstrom, 41 instances, default options', () => {
  it('has the 41 instances, each with its f*', () => {
    expect(problems.length).toBe(41);
    expect(problems.every((p) => Number.isFinite(p.fStar))).toBe(true);
  });
  for (const [method, scipy] of [['bfgs', 31], ['lbfgs', 26], ['cg', 26], ['newton-cg', 29]] as const) {
    it(`${method} beats SciPy's ${scipy}`, () => {
      const c = count(method);
      expect(c.reached, c.failed.join('\n')).toBeGreaterThan(scipy);
    }, 60_000);
  }
  it('Newton and Levenberg–Marquardt reach at least 38', () => {
    for (const method of ['newton', 'lm'] as const) {
      const c = count(method);
      expect(c.reached, `${method}:\n${c.failed.join('\n')}`).toBeGreaterThanOrEqual(38);
    }
  }, 60_000);
});
