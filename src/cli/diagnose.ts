// `descent diagnose`: why does (or doesn't) a network train? On a batch of training samples
// (default 256) of the model of --model FILE (a saved model) or of --layers … after --epochs of
// SGD (default 0: at initialization), it prints
//   - the finite-difference gradient check per layer (diagnostics/gradient-check.ts),
//   - per-layer weight and gradient norms, their ratio, activation mean/std, dead ReLUs and
//     saturated tanh/sigmoid outputs (diagnostics/layer-stats.ts),
//   - the Hessian's extreme eigenvalues on that batch by Lanczos on Hessian-vector products
//     (diagnostics/hessian-spectrum.ts; Dense-only models),
// and writes an SVG histogram of all weights (--out, default diagnose-weights.svg).

import { ENGINE_FLAGS, ENGINE_HELP, engineOptions } from './engine-flags.js';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-file.js';
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.js';
import { DescentError, show } from '../engine/errors.js';
import { batchInto } from '../data/dataset.js';
import { loadModel } from '../io/model-file.js';
import type { Model } from '../nn/model.js';
import { fit } from '../train/fit.js';
import { sgd } from '../train/optimizer.js';
import { gradientCheck } from '../diagnostics/gradient-check.js';
import { layerStats } from '../diagnostics/layer-stats.js';
import { lanczos } from '../diagnostics/hessian-spectrum.js';
import { histogram, histogramSvg } from '../diagnostics/histogram.js';
import { subset } from '../data/dataset.js';
import { DATA_HELP, DATA_OPTIONS, NETWORK_HELP, NETWORK_OPTIONS, buildModel, num, prepareData } from './train.js';

export const DIAGNOSE_HELP = `descent diagnose — gradient check, layer statistics and curvature of a network

Usage: descent diagnose [options]

${DATA_HELP}
${NETWORK_HELP}
Diagnose
  --model FILE         a saved model (descent train --save) instead of --layers …
  --epochs N           SGD epochs before diagnosing a new network (default 0: at initialization)
  --lr X               their learning rate (default 0.1)
  --samples N          training samples in the diagnosed batch (default 256)
  --lanczos K          Lanczos steps for the Hessian's extreme eigenvalues (default 20; 0 skips)
  --seed N             seed (default 0)
${ENGINE_HELP}  --out FILE           histogram of all weights (default diagnose-weights.svg)
`;

const fmt = (x: number | undefined): string => (x === undefined ? '—' : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(4));

export async function diagnose(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: {
      ...DATA_OPTIONS, ...NETWORK_OPTIONS,
      model: { type: 'string' }, epochs: { type: 'string' }, lr: { type: 'string' }, samples: { type: 'string' },
      lanczos: { type: 'string' }, seed: { type: 'string' }, ...ENGINE_FLAGS, out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) { out(DIAGNOSE_HELP); return 0; }
  const seed = num(v.seed, 'seed', true) ?? 0;
  const epochs = num(v.epochs, 'epochs', true) ?? 0;
  const samples = num(v.samples, 'samples', true) ?? 256;
  const k = num(v.lanczos, 'lanczos', true) ?? 20;
  const lr = num(v.lr, 'lr') ?? 0.1;
  if (epochs < 0 || samples < 1 || k < 0) throw new DescentError('--epochs and --lanczos must be ≥ 0, --samples ≥ 1');
  const engine = Engine.createSync(engineOptions(v));
  const data = await prepareData(v, seed);
  let model: Model;
  if (v.model) {
    if (!existsSync(v.model)) throw new DescentError(`--model: no such file ${v.model}`);
    model = loadModel(engine, new Uint8Array(readFileSync(v.model)), v.model);
    if (model.inputs !== data.train.features) throw new DescentError(`--model: ${model.describe()} takes ${model.inputs} inputs, the data has ${data.train.features} features`);
  } else {
    model = buildModel(engine, v, data, seed);
    if (epochs > 0) fit(model, data.train, { epochs, batchSize: 32, optimizer: sgd({ lr }), seed });
  }
  const n = Math.min(samples, data.train.n);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const x = new Float32Array(n * model.inputs);
  const labels = data.train.labels ? new Int32Array(n) : undefined;
  const targets = !data.train.labels && data.train.targets ? new Float32Array(n * model.outputs) : undefined;
  batchInto(data.train, idx, 0, n, x, labels, targets);
  const batch = { x, n, labels, targets };
  out(`descent diagnose — ${model.describe()} on ${data.name}, ${n} training samples${v.model ? '' : `, after ${epochs} epoch(s) of SGD`}\n\n`);

  const gc = gradientCheck(model, batch, { seed });
  out(`gradient check (central differences; ${gc.passed ? 'passed' : 'FAILED'}, tolerance ${gc.tolerance})\n`);
  out(`${'layer'.padEnd(28)} ${'checked'.padStart(7)} ${'max rel. error'.padStart(15)} ${'max abs. error'.padStart(15)}\n`);
  for (const l of gc.layers) out(`${`${l.layer} ${l.kind}`.padEnd(28)} ${show(l.checked).padStart(7)} ${fmt(l.maxRelativeError).padStart(15)} ${fmt(l.maxAbsoluteError).padStart(15)}\n`);

  const st = layerStats(model, batch);
  out(`\nlayer statistics (loss ${fmt(st.loss)})\n`);
  out(`${'layer'.padEnd(28)} ${'‖W‖'.padStart(9)} ${'‖∂L/∂W‖'.padStart(9)} ${'ratio'.padStart(9)} ${'act mean'.padStart(9)} ${'act std'.padStart(9)} ${'dead'.padStart(7)} ${'saturated'.padStart(9)}\n`);
  for (const l of st.layers) {
    out(`${`${l.layer} ${l.kind}`.padEnd(28)} ${fmt(l.weightNorm).padStart(9)} ${fmt(l.gradWeightNorm).padStart(9)} ${fmt(l.ratio).padStart(9)} ${fmt(l.mean).padStart(9)} ${fmt(l.std).padStart(9)} ` +
      `${(l.dead === undefined ? '—' : `${(100 * l.dead).toFixed(1)}%`).padStart(7)} ${(l.saturated === undefined ? '—' : `${(100 * l.saturated).toFixed(1)}%`).padStart(9)}\n`);
  }

  if (k > 0) {
    try {
      const obj = model.objective(subset(data.train, idx));
      const r = lanczos(obj, Float64Array.from(model.parameters().data), { steps: Math.min(k, obj.n), seed });
      out(`\nHessian on the batch (Lanczos, ${r.steps} steps): λmax ${fmt(r.max)}, λmin ${fmt(r.min)}` +
        `${Number.isFinite(r.condition) ? `, condition ≈ ${fmt(r.condition)}` : ' (indefinite along the Krylov space)'}\n`);
    } catch (e) {
      if (!(e instanceof DescentError)) throw e;
      out(`\nHessian: skipped (${e.message})\n`);
    }
  }
  const file = v.out ?? 'diagnose-weights.svg';
  const w: number[] = [];
  for (const l of model.layers) if (l.W) w.push(...l.W.toArray());
  writeFileAtomic(file, histogramSvg(histogram(w, { bins: 60 }), { title: `Weights of ${model.describe()}` }));
  out(`\nwrote ${file} (histogram of all ${w.length} weights)\n`);
  model.release();
  return 0;
}
