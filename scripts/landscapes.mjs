// Regenerates docs/pictures/landscape-{beale,rosenbrock,saddle,quadratic}.svg: every optimizer
// of issue #6 (SGD, momentum, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam, Rprop, CG, L-BFGS,
// Newton) from the function's standard start, default steps (500) and the per-function
// learning rates of src/plot/trajectories.ts, over filled contours. Prints one line per run.
// Usage: node scripts/build.mjs && node scripts/landscapes.mjs [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  landscapeProblem, landscapeSvg, optimizerTrajectory, LANDSCAPE_FUNCTIONS, TRAJECTORY_OPTIMIZERS,
} from '../dist/node/index.js';

const outDir = process.argv[2] ?? 'docs/pictures';
mkdirSync(outDir, { recursive: true });
for (const fn of LANDSCAPE_FUNCTIONS) {
  const problem = landscapeProblem(fn);
  const runs = TRAJECTORY_OPTIMIZERS.map((name) => optimizerTrajectory(problem, name));
  const file = join(outDir, `landscape-${fn}.svg`);
  writeFileSync(file, landscapeSvg(problem, runs));
  const targets = problem.minimizers ?? problem.saddles ?? [];
  for (const t of runs) {
    const k = t.x.length - 1;
    const d = Math.min(...targets.map((p) => Math.hypot(t.x[k] - p[0], t.y[k] - p[1])));
    console.log(`${fn.padEnd(11)} ${t.label.padEnd(9)} steps ${String(k).padStart(3)}  f ${t.f[k].toExponential(2).padStart(9)}  ` +
      `distance ${d.toFixed(4)}${t.stopped ? `  ${t.stopped}` : ''}`);
  }
  console.log(`wrote ${file}`);
}
