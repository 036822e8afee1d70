// L-BFGS on an MLP objective: where does the time go? The network objective (forward +
// backward over a fixed batch, in wasm) against everything else L-BFGS does — the strong-Wolfe
// line search's bookkeeping, the two-loop recursion (4m vector passes, m = 10) and the
// float64 ↔ float32 copies of θ. The issue asks for overhead < 10% of evaluation time.
//
//   node bench/lbfgs.mjs [--json] [--samples N] [--iterations K] [--space js|wasm] [--threads 1,2]
//   (--threads: thread counts to run, one engine each, default 1; rows say it)
//
// Network 784-100-10 tanh, softmax cross-entropy (79,510 parameters), N MNIST training images
// (default 5000) as one full batch; K iterations (default 40). Reported: evaluation time,
// overhead = total − evaluation time, and their ratio. --space wasm runs the vector work in
// float64 wasm kernels (src/linalg/f64.ts), js in plain TypeScript.
import { readFileSync } from 'node:fs';
import * as d from '../dist/node/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const json = args.includes('--json');
const N = Number(opt('--samples', 5000));
const K = Number(opt('--iterations', 40));
const threadCounts = opt('--threads', '1').split(',').map(Number);
const spaces = opt('--space', undefined) ? [opt('--space')] : (d.F64 ? ['wasm', 'js'] : ['js']);
const dataDir = new URL('../../shared/data/mnist/', import.meta.url);
const load = async (f) => d.parseIdx(new Uint8Array(readFileSync(new URL(f, dataDir))), f);
const train = d.idxDataset(await load('train-images-idx3-ubyte.gz'), await load('train-labels-idx1-ubyte.gz'));
const data = d.subset(train, Int32Array.from({ length: N }, (_, i) => i));

for (const spaceName of spaces) for (const threads of threadCounts) {
  const e = await d.createEngine({ threads });
  const model = new d.Model(e, { inputs: 784, layers: [{ units: 100, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 1 });
  const inner = d.networkObjective(model, data);
  let evalMs = 0;
  const timed = (fn) => (...a) => { const t0 = performance.now(); const r = fn(...a); evalMs += performance.now() - t0; return r; };
  const objective = { n: inner.n, value: timed(inner.value), gradient: timed(inner.gradient), valueAndGradient: timed(inner.valueAndGradient) };
  const space = spaceName === 'wasm' ? new d.F64(e, 'lbfgs bench') : new d.JsF64();
  const x0 = Float64Array.from(model.parameters().data);
  // warm-up (tier-up of the wasm kernels), then the measured run
  d.minimize(objective, x0, { method: 'lbfgs', maxIterations: 3, space });
  evalMs = 0;
  const t0 = performance.now();
  const r = d.minimize(objective, x0, { method: 'lbfgs', maxIterations: K, space });
  const total = performance.now() - t0;
  const overhead = total - evalMs;
  const row = { name: 'lbfgs mlp 784-100-10', space: spaceName, isa: e.isa, threads: e.threads, n: inner.n, samples: N, iterations: r.iterations,
    evaluations: r.evaluations.value + r.evaluations.gradient, eval_ms: +evalMs.toFixed(1), overhead_ms: +overhead.toFixed(1),
    overhead_ratio: +(overhead / evalMs).toFixed(4), loss: +r.value.toFixed(5) };
  if (json) console.log(JSON.stringify(row));
  else console.log(`L-BFGS ${spaceName.padEnd(4)} ${e.isa}, ${e.threads} thread${e.threads > 1 ? 's' : ''}: ${r.iterations} iterations, ${row.evaluations} evaluations, ` +
    `evaluations ${evalMs.toFixed(0)} ms, overhead ${overhead.toFixed(1)} ms = ${(100 * overhead / evalMs).toFixed(2)}% of evaluation time, loss ${r.value.toPrecision(4)} (${r.reason})`);
  space.release();
  model.release();
}
