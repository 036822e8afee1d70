// Serves the Moré–Garbow–Hillstrom instances of src/problems/mgh.ts over stdin/stdout, one JSON
// object per line, so an outside optimizer (scripts/scipy-mgh.py: SciPy, dev-time only) runs on
// exactly the functions descent's own table uses. After `npm run build`.
//   first line out: [{ name, n, m, x0, fStar }, …]
//   in: { "p": index, "x": [...] }                → out: { "f": f(x), "g": ∇f(x) }
//   in: { "p": index, "x": [...], "v": [...] }    → out: { "hv": ∇²f(x)·v }
import { createInterface } from 'node:readline';
import * as d from '../dist/node/index.js';

const problems = d.mghProblems();
process.stdout.write(JSON.stringify(problems.map((p) => ({ name: p.name, n: p.n, m: p.m, x0: Array.from(p.x0), fStar: p.fStar }))) + '\n');
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const q = JSON.parse(line);
  const p = problems[q.p];
  const x = Float64Array.from(q.x);
  if (q.v) {
    const out = new Float64Array(p.n);
    p.objective.hessianVector(x, Float64Array.from(q.v), out);
    process.stdout.write(JSON.stringify({ hv: Array.from(out) }) + '\n');
  } else {
    const g = new Float64Array(p.n);
    const f = p.objective.valueAndGradient ? p.objective.valueAndGradient(x, g) : (p.objective.gradient(x, g), p.objective.value(x));
    process.stdout.write(JSON.stringify({ f: Number.isFinite(f) ? f : null, g: Array.from(g, (v) => (Number.isFinite(v) ? v : null)) }) + '\n');
  }
}
