// CG PR+'s default line search (src/minimize/methods/conjugate-gradient.ts): Moré–Thuente with
// xtol 0.1 and c₂ = 0.2 below n = 10, 0.15 from n = 10; and on networks it needs no more passes
// over the data than the settings CG had before issue #16 (N&W bracket-and-zoom with c₂ = 0.1,
// a restart every n iterations, Powell's restart test) to reach the loss those reach —
// scripts/network-passes.mjs measures the same against the old build itself, on more runs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mghProblem } from '../src/problems/mgh.js';
import { minimize, type MinimizeSettings } from '../src/minimize/minimize.js';
import { Engine } from '../src/engine/engine.js';
import { Model } from '../src/nn/model.js';
import { networkObjective } from '../src/nn/objective.js';
import { digits } from '../src/data/digits.js';
import { parseCsv } from '../src/data/csv.js';
import { fitStandardizer } from '../src/data/standardize.js';
import type { Dataset } from '../src/data/dataset.js';
import type { Objective } from '../src/minimize/objective.js';

const evals = (p: ReturnType<typeof mghProblem>, s: MinimizeSettings) => {
  const r = minimize(p.objective, p.x0, { method: 'cg', ...s });
  return [r.evaluations.value, r.evaluations.gradient, r.iterations];
};

describe('CG PR+ default line search', () => {
  it('is Moré–Thuente with c₂ = 0.2 for n < 10 and c₂ = 0.15 for n ≥ 10', () => {
    const mt = (c2: number): MinimizeSettings => ({ lineSearch: { type: 'more-thuente', c2, xtol: 0.1 } });
    // Wood (n = 4), extended Rosenbrock at n = 8 and 10, Broyden banded at n = 12 and 20:
    // the default run equals the run with that search named, and not the run with the other c₂
    for (const [k, n] of [[14, 4], [21, 8], [21, 10], [31, 12], [31, 20]]) {
      const p = mghProblem(k, { n });
      const [own, other] = n >= 10 ? [0.15, 0.2] : [0.2, 0.15];
      expect(evals(p, {}), p.name).toEqual(evals(p, mt(own)));
      expect(evals(p, {}), `${p.name} vs c₂ = ${other}`).not.toEqual(evals(p, mt(other)));
    }
  });
});

describe('CG PR+ on networks against the pre-#16 settings', () => {
  const e = Engine.createSync();
  const bc = (): Dataset => {
    const raw = parseCsv(readFileSync(new URL('../../shared/data/sklearn/breast_cancer.csv', import.meta.url), 'utf8'), { skipLines: 1, header: false });
    return fitStandardizer(raw).apply(raw);
  };
  it('needs no more passes in total to reach the loss they reach in 25, 50 and 100 iterations', () => {
    const K = 100, marks = [25, 50, 100];
    const before = (n: number): MinimizeSettings => ({ lineSearch: { type: 'wolfe', c2: 0.1 }, cg: { beta: 'pr+', restart: n, powellRestart: true } });
    const totals = marks.map(() => ({ before: 0, now: 0 }));
    for (const [data, hidden] of [[digits(), 16], [bc(), 8]] as const) {
      for (const seed of [1, 2, 3]) {
        const model = new Model(e, { inputs: data.features, layers: [{ units: hidden, activation: 'tanh' }, { units: data.classes! }], loss: 'softmax-cross-entropy', seed });
        const inner = networkObjective(model, data, { weightDecay: 1e-3 });
        const x0 = Float64Array.from(model.parameters().data);
        // one pass over the data = one call of value, gradient or value-and-gradient
        let passes = 0;
        const obj: Objective = {
          n: inner.n,
          value: (x) => { passes++; return inner.value(x); },
          gradient: (x, g) => { passes++; return inner.gradient!(x, g); },
          valueAndGradient: (x, g) => { passes++; return inner.valueAndGradient!(x, g); },
        };
        const trace = (s: MinimizeSettings, maxIterations: number, stopAt = -Infinity) => {
          const t: [number, number][] = [];
          passes = 0;
          minimize(obj, x0, { method: 'cg', ...s, maxIterations, history: false, callback: (i) => { t.push([passes, i.value]); return i.value <= stopAt ? 'stop' : undefined; } });
          return t;
        };
        const old = trace(before(inner.n), K);
        const targets = marks.map((k) => old[Math.min(k, old.length - 1)][1]);
        const now = trace({}, 10 * K, Math.min(...targets));
        marks.forEach((_, i) => {
          const po = old.find(([, f]) => f <= targets[i])![0];
          const pn = now.find(([, f]) => f <= targets[i])?.[0];
          expect(pn, `${data.name ?? 'breast cancer'} seed ${seed}: reaches the loss of iteration ${marks[i]}`).toBeDefined();
          totals[i].before += po;
          totals[i].now += pn!;
        });
        model.release();
      }
    }
    if (process.env.DESCENT_REPORT) console.log(`passes before → now: ${totals.map((t) => `${t.before} → ${t.now}`).join(", ")}`);
    for (const [i, t] of totals.entries()) expect(t.now, `passes to the loss of iteration ${marks[i]}`).toBeLessThanOrEqual(t.before);
  }, 60_000);
});
