// Passes over the training data a full-batch minimizer needs to train a network, two builds
// side by side (issue #16's bar: "network training with L-BFGS and CG needs no more passes over
// the data than today for the same loss").
//
//   node scripts/network-passes.mjs --old <index.js> [--new <index.js>] [--method cg|cg-hz|lbfgs]
//        [--iterations K] [--weight-decay λ] [--cases digits,breast-cancer] [--seeds 1,2,3,4,5] [--nets 'digits:64']
//        [--settings JSON] [--json]
//
// --old / --new: the two builds' dist/node/index.js (default --new: this checkout's dist).
// --method cg-hz runs Hager–Zhang CG in the new build against the old build's default CG (PR+).
// Cases: digits (the 1797 8×8 images, pixels/16) with 64-16-10 and 64-32-10 tanh networks,
// breast cancer (all 569 samples, standardized) with 30-8-2 and 30-24-2, softmax cross-entropy,
// weights from seeds 1 to 5: the same data and starting θ for both builds (f(θ₀) is printed
// for each; it must agree). One pass = one call of the objective's value, gradient or
// value-and-gradient (each runs the network over every sample), counted by a wrapper here.
//
// The old build runs K iterations (default 200; gradientTolerance 1e-8, the default, does not
// fire first on these nets); its loss after K/4, K/2 and K iterations are the targets. The new
// build runs from the same θ₀ until its loss is at or below each target (at most 20·K
// iterations). Printed per case and target: the passes each build needed, and the new/old
// ratio; at the end the totals over the cases the new build reached, the worst single ratio,
// and how many cases needed more. The totals are the measure: single runs are chaotic (the
// old method with c₂ = 0.12 for 0.1 needs up to 2.7× its own passes on some runs), and near
// convergence runs settle in different local minima ("never": the new run stopped, converged,
// above the old run's loss — its final f and reason are printed).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const json = args.includes('--json');
const K = Number(opt('--iterations', 200));
const WD = Number(opt('--weight-decay', 1e-3));
const method = opt('--method', 'cg');
const cases = opt('--cases', 'digits,breast-cancer').split(',');
const modPath = (p) => pathToFileURL(resolve(p)).href;
if (!opt('--old')) { console.error('network-passes: give --old <path to the old build\'s dist/node/index.js>'); process.exit(2); }
const OLD = await import(modPath(opt('--old')));
const NEW = await import(opt('--new') ? modPath(opt('--new')) : new URL('../dist/node/index.js', import.meta.url).href);
const SK = new URL('../../shared/data/sklearn/', import.meta.url);

const settings = method === 'cg' ? { method: 'cg' } : method === 'cg-hz' ? { method: 'cg', cg: { beta: 'hz' } }
  : method === 'lbfgs' ? { method: 'lbfgs' } : (() => { throw new Error(`unknown --method ${method}`); })();
// --settings '{…}': minimize settings added to the new build's runs only (to try options
// against the old defaults), e.g. '{"lineSearch":{"type":"more-thuente","c2":0.1}}'
const newSettings = { ...settings, ...JSON.parse(opt('--settings', '{}')) };
// Hager–Zhang CG did not exist before issue #16: cg-hz's old runs are the old default CG (PR+)
const oldSettings = method === 'cg-hz' ? { method: 'cg' } : settings;

function dataset(d, name) {
  if (name === 'digits') return d.digits();
  if (name === 'breast-cancer') {
    const raw = d.parseCsv(readFileSync(new URL('breast_cancer.csv', SK), 'utf8'), { skipLines: 1, header: false });
    return d.fitStandardizer(raw).apply(raw);
  }
  throw new Error(`unknown case ${name}`);
}
// --nets 'digits:64;breast-cancer:8,16': other hidden-layer widths
const NETS = { digits: [16, 32], 'breast-cancer': [8, 24] };
for (const spec of opt('--nets', '').split(';').filter(Boolean)) { const [k, v] = spec.split(':'); NETS[k] = v.split(',').map(Number); }
const SEEDS = opt('--seeds', '1,2,3,4,5').split(',').map(Number);

/** One side's setup: engine, data, model; run(maxIterations, stopAt) → per-iteration [passes, f]. */
async function side(d, name, hidden, seed, settings) {
  const e = await d.createEngine({ threads: 1 });
  const data = dataset(d, name);
  const model = new d.Model(e, { inputs: data.features, layers: [{ units: hidden, activation: 'tanh' }, { units: data.classes }], loss: 'softmax-cross-entropy', seed });
  const inner = d.networkObjective(model, data, WD > 0 ? { weightDecay: WD } : {});
  const x0 = Float64Array.from(model.parameters().data);
  let passes = 0;
  const obj = {
    n: inner.n,
    value: (x) => { passes++; return inner.value(x); },
    gradient: (x, g) => { passes++; return inner.gradient(x, g); },
    valueAndGradient: (x, g) => { passes++; return inner.valueAndGradient(x, g); },
  };
  const f0 = inner.value(x0);
  return {
    f0,
    run(maxIterations, stopAt = -Infinity) {
      passes = 0;
      const trace = [];
      const r = d.minimize(obj, x0, { ...settings, maxIterations, history: false,
        callback: (info) => { trace.push([passes, info.value]); return info.value <= stopAt ? 'stop' : undefined; } });
      return { trace, reason: r.reason, value: r.value };
    },
    release() { model.release(); },
  };
}

/** Passes at the first iterate with f ≤ target, or undefined. */
const passesTo = (trace, target) => trace.find(([, f]) => f <= target)?.[0];

const rows = [];
const totals = [0, 0, 0].map(() => ({ old: 0, new: 0, missed: 0, ratios: [] }));
for (const name of cases) for (const hidden of NETS[name]) for (const seed of SEEDS) {
  const o = await side(OLD, name, hidden, seed, oldSettings), n = await side(NEW, name, hidden, seed, newSettings);
  const ro = o.run(K);
  const marks = [Math.round(K / 4), Math.round(K / 2), K].map((k) => Math.min(k, ro.trace.length - 1));
  const targets = marks.map((k) => ro.trace[k][1]);
  const rn = n.run(20 * K, targets[2]);
  const cells = targets.map((t, i) => {
    const po = passesTo(ro.trace, t), pn = passesTo(rn.trace, t);
    if (pn === undefined) totals[i].missed++; else { totals[i].old += po; totals[i].new += pn; }
    totals[i].ratios.push(pn === undefined ? Infinity : pn / po);
    return { iteration: marks[i], target: t, old: po, new: pn ?? null };
  });
  const row = { method, data: name, hidden, seed, f0old: o.f0, f0new: n.f0, oldReason: ro.reason, newReason: rn.reason, newFinal: rn.value, cells };
  rows.push(row);
  if (json) console.log(JSON.stringify(row));
  else {
    const net = name === 'digits' ? `64-${hidden}-10` : `30-${hidden}-2`;
    console.log(`${method} ${name.padEnd(13)} ${net.padEnd(8)} seed ${seed}  f0 ${o.f0.toPrecision(6)}${o.f0 === n.f0 ? '' : ` (new ${n.f0.toPrecision(6)})`}  ` +
      cells.map((c) => `it ${String(c.iteration).padStart(3)} f ${c.target.toExponential(3)}: ${String(c.old).padStart(4)} → ${String(c.new ?? 'never').padStart(5)}` +
        (c.new ? ` (${(c.new / c.old).toFixed(2)}×)` : '')).join('  ') + (ro.reason !== 'max-iterations' ? `  [old stopped: ${ro.reason}]` : '') +
      (cells[2].new === null ? `  [new stopped: ${rn.reason} at f ${rn.value.toExponential(4)} after ${rn.trace.at(-1)[0]} passes]` : ''));
  }
  o.release(); n.release();
}
// totals over the cases the new build reached; worst: the largest per-case ratio
// among those reached; over: how many cases needed more passes than the old build
const summary = totals.map((t, i) => ({ target: ['K/4', 'K/2', 'K'][i], old: t.old, new: t.new, missed: t.missed, ratio: +(t.new / t.old).toFixed(3),
  worst: +Math.max(...t.ratios.filter(Number.isFinite)).toFixed(2), over: t.ratios.filter((r) => r > 1).length, ratios: t.ratios.map((r) => +r.toFixed(2)) }));
if (json) console.log(JSON.stringify({ summary, method, iterations: K, weightDecay: WD }));
else console.log(`${method}, K = ${K}${WD ? `, weight decay ${WD}` : ''}: total passes old → new ` +
  summary.map((s) => `to the loss at ${s.target}: ${s.old} → ${s.new} (${s.ratio}×, worst ${s.worst}×, ${s.over} of ${s.ratios.length} over${s.missed ? `, ${s.missed} never reached` : ''})`).join('; ') +
  `\nper case at K: ${summary[2].ratios.join(' ')}`);
