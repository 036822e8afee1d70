// `descent landscape`: optimizer paths over the contours of a 2-D test function.
//
// Runs each optimizer from the function's standard start (src/plot/trajectories.ts: the
// first-order rules through their float64 references, CG, L-BFGS and Newton through
// minimize), prints a table (optimizer, learning rate, steps taken, final f, distance to the
// nearest known minimizer, or to the saddle point for the saddle, and how the run ended) and
// writes one SVG (src/plot/landscape.ts). Unknown names and malformed numbers fail before
// anything runs, with a one-line DescentError (exit code 1).

import { writeFileAtomic } from '../io/atomic-file.js';
import { parseArgs } from 'node:util';
import { DescentError } from '../engine/errors.js';
import { landscapeSvg } from '../plot/landscape.js';
import {
  hasLearningRate, LANDSCAPE_FUNCTIONS, LANDSCAPE_LR, landscapeProblem, optimizerTrajectory, TRAJECTORY_OPTIMIZERS,
  type LandscapeFunction, type Trajectory,
} from '../plot/trajectories.js';

export const DEFAULT_LANDSCAPE_OPTIMIZERS = ['sgd', 'momentum', 'adam', 'lbfgs'] as const;

/** The per-function default learning rates for the help text, wrapped at 96 columns. */
function lrTable(): string {
  const indent = ' '.repeat(23);
  const lines: string[] = [];
  for (const fn of LANDSCAPE_FUNCTIONS) {
    let line = `${indent}${fn.padEnd(11)} `;
    const entries = Object.entries(LANDSCAPE_LR[fn]).map(([k, v]) => `${k} ${v}`);
    entries.forEach((e, i) => {
      const piece = e + (i < entries.length - 1 ? ',' : '');
      if (line.trim().length > fn.length && line.length + piece.length + 1 > 96) {
        lines.push(line.trimEnd());
        line = `${indent}${' '.repeat(12)}`;
      }
      line += piece + ' ';
    });
    lines.push(line.trimEnd());
  }
  return lines.join('\n');
}

export const LANDSCAPE_HELP = `descent landscape — optimizer paths over the contours of a 2-D function

Usage: descent landscape [options]

Options
  --fn NAME            ${LANDSCAPE_FUNCTIONS.join(', ')} (default rosenbrock)
  --optimizers A,B,…   in legend order (default ${DEFAULT_LANDSCAPE_OPTIMIZERS.join(',')}); any of
                       ${TRAJECTORY_OPTIMIZERS.slice(0, 8).join(', ')},
                       ${TRAJECTORY_OPTIMIZERS.slice(8).join(', ')}
  --steps N            steps of the first-order rules, iterations of cg/lbfgs/newton (default 500)
  --lr NAME=X,…        learning rates of first-order rules, e.g. --lr adam=0.05,sgd=0.002; a
                       bare number sets all of them. Defaults per function:
${lrTable()}
  --out FILE           the SVG (default landscape-<fn>.svg)
  --lines              level lines only, no filled bands
  -h, --help           this text
`;

function parseNames(text: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new DescentError('--optimizers: give at least one optimizer name');
  for (const n of names) {
    if (!(TRAJECTORY_OPTIMIZERS as readonly string[]).includes(n)) {
      throw new DescentError(`--optimizers: unknown optimizer ${JSON.stringify(n)}; known: ${TRAJECTORY_OPTIMIZERS.join(', ')}`);
    }
    if (names.indexOf(n) !== names.lastIndexOf(n)) throw new DescentError(`--optimizers: ${n} is listed twice`);
  }
  return names;
}

function positive(text: string, what: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || x <= 0) throw new DescentError(`${what}: expected a positive number, got ${JSON.stringify(text)}`);
  return x;
}

/** --lr: one number for every first-order rule, or NAME=X pairs among the chosen optimizers. */
function parseLr(text: string | undefined, names: readonly string[]): Map<string, number> {
  const lrs = new Map<string, number>();
  if (text === undefined) return lrs;
  if (!text.includes('=')) {
    const x = positive(text, '--lr');
    for (const n of names) if (hasLearningRate(n)) lrs.set(n, x);
    return lrs;
  }
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new DescentError(`--lr ${text}: expected NAME=X pairs separated by commas, e.g. adam=0.05,sgd=0.002`);
    const name = part.slice(0, eq).trim();
    if (!names.includes(name)) throw new DescentError(`--lr ${text}: ${JSON.stringify(name)} is not among the optimizers (${names.join(', ')})`);
    if (!hasLearningRate(name)) throw new DescentError(`--lr ${text}: ${name} has no learning rate (it uses a line search)`);
    lrs.set(name, positive(part.slice(eq + 1).trim(), `--lr ${name}`));
  }
  return lrs;
}

/** Distance from the run's last iterate to the nearest of `points`. */
function nearest(t: Trajectory, points: readonly ArrayLike<number>[]): number {
  const k = t.x.length - 1;
  let best = Infinity;
  for (const p of points) best = Math.min(best, Math.hypot(t.x[k] - p[0], t.y[k] - p[1]));
  return best;
}

const fmt = (v: number): string => (!Number.isFinite(v) ? String(v) : v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(2));

export async function landscape(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      fn: { type: 'string', default: 'rosenbrock' },
      optimizers: { type: 'string', default: DEFAULT_LANDSCAPE_OPTIMIZERS.join(',') },
      steps: { type: 'string', default: '500' },
      lr: { type: 'string' },
      out: { type: 'string' },
      lines: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) { out(LANDSCAPE_HELP); return 0; }
  const fn = v.fn!;
  if (!(LANDSCAPE_FUNCTIONS as readonly string[]).includes(fn)) {
    throw new DescentError(`--fn: unknown function ${JSON.stringify(fn)}; known: ${LANDSCAPE_FUNCTIONS.join(', ')}`);
  }
  const names = parseNames(v.optimizers!);
  const steps = Number(v.steps);
  if (!Number.isSafeInteger(steps) || steps < 1) throw new DescentError(`--steps: expected a positive integer, got ${JSON.stringify(v.steps)}`);
  const lrs = parseLr(v.lr, names);
  const file = v.out ?? `landscape-${fn}.svg`;

  const problem = landscapeProblem(fn as LandscapeFunction);
  const runs = names.map((n) => optimizerTrajectory(problem, n, { steps, lr: lrs.get(n) }));
  writeFileAtomic(file, landscapeSvg(problem, runs, { filled: !v.lines }));

  const targets = problem.minimizers ?? problem.saddles ?? [];
  const toWhat = problem.minimizers ? 'to minimum' : 'to saddle';
  const rows = [['optimizer', 'lr', 'steps', 'final f', toWhat, 'end']];
  for (const t of runs) {
    const k = t.x.length - 1;
    const f = t.f[k];
    rows.push([
      t.label, t.lr === undefined ? '-' : String(t.lr), String(k), fmt(f), targets.length ? fmt(nearest(t, targets)) : '-',
      t.stopped === 'left' ? 'left the window' : t.stopped === 'diverged' ? 'diverged' : k < steps ? 'converged' : 'step limit',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  out(`${problem.name}: f = ${problem.formula}, start (${Array.from(problem.x0).join(', ')})\n`);
  for (const r of rows) out(r.map((cell, c) => (c === 0 || c === 5 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd() + '\n');
  out(`wrote ${file}\n`);
  return 0;
}
