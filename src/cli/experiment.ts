// `descent experiment NAME`: one of the lectures' claims as a runnable measurement
// (src/experiments/): prints its numbers and whether they support the claim, writes its SVG.
// `--list` names them with their claims; `--json` prints { name, claim, picture, lines,
// numbers, svg: FILE } instead of the lines (scripts/experiments.mjs collects these).
// An unknown name is a one-line DescentError (exit code 1).

import { ENGINE_FLAGS, ENGINE_HELP, engineOptions } from './engine-flags.js';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-file.js';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import { EXPERIMENTS } from '../experiments/index.js';

const names = (): string => EXPERIMENTS.map((e) => e.name).join(', ');

export const EXPERIMENT_HELP = `descent experiment — the lectures' claims as runnable experiments

Usage: descent experiment NAME [options]
       descent experiment --list

Experiments: ${names()}

Options
  --list               the experiments and their claims
  --out FILE           the SVG (default docs/pictures/experiment-NAME.svg)
  --quick              small settings (seconds; the tests use them)
  --seed N             seed of initializations and shuffles (default 1)
  --data DIR           the data folder of experiments that read files (batch-size-cnn:
                       Fashion-MNIST's four IDX files; default $DESCENT_FASHION_MNIST,
                       ../shared/data/fashion-mnist, or the download cache)
${ENGINE_HELP}  --json               print the result as JSON (name, claim, lines, numbers, svg file)
  -h, --help           this text
`;

export async function experiment(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    options: {
      list: { type: 'boolean' },
      out: { type: 'string' },
      quick: { type: 'boolean' },
      seed: { type: 'string', default: '1' },
      data: { type: 'string' },
      ...ENGINE_FLAGS,
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (v.help) { out(EXPERIMENT_HELP); return 0; }
  if (v.list) {
    const w = Math.max(...EXPERIMENTS.map((e) => e.name.length));
    for (const e of EXPERIMENTS) out(`${e.name.padEnd(w)}  ${e.claim}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new DescentError(`experiment: give one experiment name (${names()}) or --list`);
  const name = positionals[0];
  const ex = EXPERIMENTS.find((e) => e.name === name);
  if (!ex) throw new DescentError(`experiment: unknown experiment ${JSON.stringify(name)}; known: ${names()}`);
  const seed = Number(v.seed);
  if (!Number.isSafeInteger(seed)) throw new DescentError(`--seed: expected an integer, got ${JSON.stringify(v.seed)}`);
  if (!['auto', 'simd', 'relaxed-simd'].includes(v.isa!)) throw new DescentError(`--isa: expected auto, simd or relaxed-simd, got ${JSON.stringify(v.isa)}`);
  const engine = await Engine.create(engineOptions(v));
  const t0 = performance.now();
  const r = ex.run({ engine, quick: v.quick === true, seed, ...(v.data !== undefined ? { data: v.data } : {}) } as Parameters<typeof ex.run>[0]);
  const seconds = (performance.now() - t0) / 1000;
  const file = v.out ?? `docs/pictures/experiment-${ex.name}.svg`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, r.svg);
  if (v.json) {
    out(JSON.stringify({ name: ex.name, claim: ex.claim, picture: ex.picture, lines: r.lines, numbers: r.numbers, svg: file, seconds }) + '\n');
  } else {
    out(`${ex.name}: ${ex.claim}\n`);
    for (const line of r.lines) out(line + '\n');
    out(`wrote ${file} (${seconds.toFixed(1)} s)\n`);
  }
  return 0;
}
