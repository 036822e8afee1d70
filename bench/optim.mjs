// Optimizer update throughput: fused Adam, the same update composed from transforms, and a
// memory-bound reference with Adam's traffic, measured in the same run.
//
//   node --experimental-wasm-relaxed-simd bench/optim.mjs [--json] [--rounds N] [--isa simd|relaxed-simd] [--sizes 1e6,1e7] [--threads 1,2]
//   --threads: thread counts to run, one engine each (default 1)
//   --json: one object per line {name, n, isa, threads, params_per_s, gparams_per_s, bytes_per_param,
//           gbytes_per_s, ratio_to_reference, reference_gbytes_per_s, rounds}
//
// Cases, per ISA and vector length n (1M: 16 MB of p, g, m, v, inside a 32 MB L3; 10M: DRAM):
//   adam fused     optimizer('adam').step: one pass, read p, g, m, v and write p, m, v: 28 B/param
//   adam composed  composed('adam').step: copy g → u (8 B), scaleByAdam (u, m, v in and out:
//                  24 B), apply (p, u in, p out: 12 B): 44 B/param in three passes
//   reference      add(p, g → p), scal(1, m), scal(1, v): the fused kernel's 28 B/param with no
//                  arithmetic to speak of, the machine's streaming bandwidth for this traffic
// The reference runs as three passes, the fused kernel as one: from DRAM the one pass may beat
// the three (by ~10% on an EPYC), so read the reference as a floor for the streaming bandwidth
// of this traffic rather than a ceiling. In cache (1M) the fused kernel is bound by its
// arithmetic (sqrt and a division per vector), the composed one by its extra 16 B/param.
// The machine is shared and its speed drifts, so each case's measurement is paired with a
// reference measurement taken right before it: ratio_to_reference is the median over rounds of
// (case params/s) / (reference params/s) within each pair; params/s figures are medians too.
// gbytes_per_s counts the bytes a case must move (bytes_per_param × params/s). Every case is
// warmed up before timing (V8 runs a wasm function's first calls in its baseline tier and
// switches tiers between calls, not inside one), and the case order rotates every round.
//
// Transforms are not in the public index yet, so this bench bundles the working tree's src/
// with esbuild (wasm/*.wasm must be current: node scripts/build.mjs --wasm-only).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { median, timeIt } from './timing.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const json = args.includes('--json');
const rounds = Number(opt('--rounds', 7));
const onlyIsa = opt('--isa', undefined);
const sizes = opt('--sizes', '1e6,1e7').split(',').map(Number);
const threadCounts = opt('--threads', '1').split(',').map(Number);

// ---- load src/ ----
const root = fileURLToPath(new URL('..', import.meta.url));
const bundled = await build({
  stdin: {
    contents: `export { Engine } from './src/engine/engine.ts';
export { supportedIsas } from './src/engine/isa.ts';
export { optimizer } from './src/optim/optimizer.ts';
export { composed } from './src/optim/transforms.ts';`,
    resolveDir: root, loader: 'ts', sourcefile: 'bench-optim-entry.ts',
  },
  bundle: true, format: 'esm', platform: 'node', target: 'es2022', write: false,
  loader: { '.wasm': 'binary' }, logLevel: 'warning',
  define: { __DESCENT_WASM_DIR__: JSON.stringify(new URL('../wasm/', import.meta.url).href) },
});
const dir = mkdtempSync(join(tmpdir(), 'descent-bench-optim-'));
const file = join(dir, 'descent.mjs');
writeFileSync(file, bundled.outputFiles[0].contents);
const d = await import(pathToFileURL(file).href);
rmSync(dir, { recursive: true, force: true });

// ---- timing ----

function random(n, seed, lo, hi) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = lo + (hi - lo) * (s / 2 ** 32); }
  return out;
}

const isas = d.supportedIsas().filter((i) => !onlyIsa || i === onlyIsa);
if (!json) {
  console.log(`descent optimizer-update bench — node ${process.versions.node}, ISAs: ${isas.join(', ')}, ${rounds} rounds, medians`);
  if (!isas.includes('relaxed-simd')) console.log('(relaxed SIMD unavailable: run with node --experimental-wasm-relaxed-simd on Node 20)');
}

for (const isa of isas) for (const threads of threadCounts) {
  for (const n of sizes) {
    const e = await d.Engine.create({ isa, threads });
    const K = e.kernels;
    const arena = e.arena('bench optim');
    const P = arena.tensor([n], random(n, 1, -1, 1)), G = arena.tensor([n], random(n, 2, -1, 1));
    const fused = d.optimizer('adam', { lr: 1e-3 });
    const comp = d.composed('adam', { lr: 1e-3 });
    const cstate = comp.init(n, arena);
    let tf = 0, tc = 0;
    const cases = [
      { name: 'adam fused', bytes: 28, run: () => fused.step(P, G, { step: tf++, epoch: 0 }) },
      { name: 'adam composed (copy, scaleByAdam, apply)', bytes: 44, run: () => comp.step(P, G, cstate, ++tc) },
    ];
    // the reference streams p, g and the composed state's m, v (scal by 1 leaves them as they are)
    const { exp_avg: M, exp_avg_sq: V } = cstate.transform.buffers;
    const p = P.pointer(), g = G.pointer(), m = M.pointer(), v = V.pointer();
    const reference = () => { K.add(n, p, g, p); K.scal(n, 1, m); K.scal(n, 1, v); };
    // warm-up: several calls of each, so every function has left the baseline tier
    for (let w = 0; w < 3; w++) { timeIt(reference, 30); for (const c of cases) timeIt(c.run, 30); }
    const refRates = [];
    for (const c of cases) { c.rates = []; c.ratios = []; }
    for (let r = 0; r < rounds; r++) {
      const order = cases.map((_, i) => cases[(i + r) % cases.length]);
      for (const c of order) {
        const ref = n / timeIt(reference) * 1e3;
        const rate = n / timeIt(c.run) * 1e3;
        refRates.push(ref);
        c.rates.push(rate);
        c.ratios.push(rate / ref);
      }
    }
    const ref = median(refRates);
    const rows = [
      { name: 'reference add+scal+scal (28 B/param)', bytes: 28, rate: ref, ratio: 1 },
      ...cases.map((c) => ({ name: c.name, bytes: c.bytes, rate: median(c.rates), ratio: median(c.ratios) })),
    ];
    if (!json) {
      console.log(`\n${isa}, ${threads} thread${threads > 1 ? 's' : ''}, n = ${n.toExponential(0)}: reference ${(ref * 28 / 1e9).toFixed(1)} GB/s (range ${(Math.min(...refRates) * 28 / 1e9).toFixed(1)}–${(Math.max(...refRates) * 28 / 1e9).toFixed(1)})`);
      console.log(`${'case'.padEnd(42)} ${'threads'.padStart(7)} ${'G params/s'.padStart(10)} ${'B/param'.padStart(8)} ${'GB/s'.padStart(6)} ${'of ref'.padStart(7)}`);
    }
    for (const row of rows) {
      const out = {
        name: row.name, n, isa, threads, params_per_s: Math.round(row.rate), gparams_per_s: +(row.rate / 1e9).toFixed(3),
        bytes_per_param: row.bytes, gbytes_per_s: +(row.rate * row.bytes / 1e9).toFixed(2),
        ratio_to_reference: +row.ratio.toFixed(3), reference_gbytes_per_s: +(ref * 28 / 1e9).toFixed(2), rounds,
      };
      if (json) console.log(JSON.stringify(out));
      else console.log(`${row.name.padEnd(42)} ${String(threads).padStart(7)} ${out.gparams_per_s.toFixed(3).padStart(10)} ${String(row.bytes).padStart(8)} ${out.gbytes_per_s.toFixed(1).padStart(6)} ${(100 * row.ratio).toFixed(0).padStart(6)}%`);
    }
    fused.release();
    arena.release();
  }
}
