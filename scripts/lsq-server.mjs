// Serves descent's least-squares test problems — the 41 Moré–Garbow–Hillstrom instances
// (src/problems/mgh.ts) and the 27 NIST StRD nonlinear regression problems from both starts
// (src/problems/nist-strd.ts) — as residuals and Jacobians over stdin/stdout, one JSON object
// per line, so MINPACK (through SciPy: scripts/minpack-lm.py, dev-time only) runs on exactly the
// functions descent's own tables use. After `npm run build`:
//   node scripts/lsq-server.mjs [path/to/nist-strd]   (default ../shared/data/nist-strd)
//   first line out: [{ set, name, start?, n, m, x0, fStar?, xStar? }, …]
//   in: { "p": index, "x": [...] }              → out: { "r": r(x) }   (null for non-finite)
//   in: { "p": index, "x": [...], "J": true }   → out: { "J": J(x) }   m×n row-major
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as d from '../dist/node/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = process.argv[2] ?? join(root, '..', 'shared', 'data', 'nist-strd');
const problems = d.mghProblems().map((p) => ({ set: 'mgh', name: p.name, n: p.n, m: p.m, x0: p.x0, fStar: p.fStar, objective: p.objective }));
for (const name of d.NIST_NAMES) {
  const data = d.parseNistStrd(readFileSync(join(dir, `${name}.dat`), 'utf8'), name);
  for (const start of [1, 2]) {
    const p = d.nistProblem(data, start);
    problems.push({ set: 'nist', name, start, n: p.objective.n, m: p.objective.m, x0: p.x0, xStar: Array.from(p.xStar), objective: p.objective });
  }
}
const fin = (a) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
process.stdout.write(JSON.stringify(problems.map(({ objective, x0, ...p }) => ({ ...p, x0: Array.from(x0) }))) + '\n');
for await (const line of createInterface({ input: process.stdin })) {
  const q = JSON.parse(line);
  const p = problems[q.p];
  const x = Float64Array.from(q.x);
  if (q.J) {
    const J = new Float64Array(p.m * p.n);
    p.objective.jacobian(x, J);
    process.stdout.write(JSON.stringify({ J: fin(J) }) + '\n');
  } else {
    const r = new Float64Array(p.m);
    const out = p.objective.residuals(x, r);
    process.stdout.write(JSON.stringify({ r: fin(out ?? r) }) + '\n');
  }
}
