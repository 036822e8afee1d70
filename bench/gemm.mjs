// GEMM throughput against the register-only peak kernel, measured in the same run.
//
//   npm run bench                 table (runs node with --experimental-wasm-relaxed-simd)
//   npm run bench -- --json       one JSON object per line:
//       {name, op, m, n, k, isa, threads, tile, gflops, peak_gflops, ratio, runs}
//   options: --rounds N (default 7)   --isa simd|relaxed-simd   --tile 4|5|6   --quick   --blocking MC,KC,NC,ABUDGET,BBUDGET
//            --threads 1,2   thread counts to run (default 1; an engine per count). With T threads
//                            "of peak" is against T × the one-core register peak (the peak kernel
//                            runs on one thread); bench/threads.mjs compares 1 and N side by side.
//
// The machine is shared: its speed drifts within seconds. So every measurement of a case is
// paired with a measurement of the peak kernel taken right before it, and the ratio is the
// median over rounds of case/peak within each pair; GFLOP/s figures are medians too. A measurement repeats the call until
// ≥ 60 ms have passed, after warm-up calls (V8 runs a function's first call in its baseline
// tier and does not switch tiers inside a long call).
import * as descent from '../dist/node/index.js';
import { median, timeIt } from './timing.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const json = args.includes('--json');
const quick = args.includes('--quick');
const rounds = Number(opt('--rounds', quick ? 3 : 7));
const onlyIsa = opt('--isa', undefined);
const threadCounts = opt('--threads', '1').split(',').map(Number);
const tiles = opt('--tile', undefined) ? [Number(opt('--tile'))] : [undefined]; // undefined: the engine's default per ISA

// [name, op, m, n, k]: op(A) is m×k, op(B) is k×n
const cases = [
  ['128^3', 'A·B', 128, 128, 128], ['128^3', 'A·Bᵀ', 128, 128, 128], ['128^3', 'Aᵀ·B', 128, 128, 128],
  ['512^3', 'A·B', 512, 512, 512], ['512^3', 'A·Bᵀ', 512, 512, 512], ['512^3', 'Aᵀ·B', 512, 512, 512],
  ['1024^3', 'A·B', 1024, 1024, 1024], ['1024^3', 'A·Bᵀ', 1024, 1024, 1024], ['1024^3', 'Aᵀ·B', 1024, 1024, 1024],
  ['mlp fwd 100x784x500', 'A·B', 100, 500, 784], ['mlp 100x784x500', 'A·Bᵀ', 100, 500, 784], ['mlp 100x784x500', 'Aᵀ·B', 100, 500, 784],
  ['mlp fwd 100x500x300', 'A·B', 100, 300, 500],
  ['mlp dW1 784x100·100x500', 'Aᵀ·B', 784, 500, 100],
  ['mlp dX1 100x500·(784x500)ᵀ', 'A·Bᵀ', 100, 784, 500],
  ['mlp dW2 500x100·100x300', 'Aᵀ·B', 500, 300, 100],
  ['mlp dX2 100x300·(500x300)ᵀ', 'A·Bᵀ', 100, 500, 300],
].filter((c) => !quick || c[2] * c[3] * c[4] < 2e8);



function random(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 32 - 0.5; }
  return out;
}

const isas = descent.supportedIsas().filter((i) => !onlyIsa || i === onlyIsa);
if (!json) {
  console.log(`descent GEMM bench — node ${process.versions.node}, ISAs: ${isas.join(', ')}, ${rounds} rounds, medians`);
  if (!isas.includes('relaxed-simd')) console.log('(relaxed SIMD unavailable: run with node --experimental-wasm-relaxed-simd on Node 20)');
}

for (const isa of isas) {
  for (const threads of threadCounts) for (let tile of tiles) {
    const e = await descent.createEngine({ isa, gemmTile: tile, threads });
    const K = e.kernels;
    tile = e.gemmTile;
    if (opt('--blocking', undefined)) { const b = opt('--blocking').split(',').map(Number); K.gemmSetBlocking(b[0], b[1], b[2], b[3] ?? 65536, b[4] ?? 524288); } // before the workspace exists
    const peakIters = 2_000_000;
    const peakFlops = K.peakFlopsPerIteration() * peakIters;
    K.peak(1000, 1); K.peak(1000, 1);
    const prepared = cases.map(([name, op, m, n, k], idx) => {
      const transA = op.startsWith('Aᵀ'), transB = op.endsWith('Bᵀ');
      const A = e.keep(e.tensor(transA ? [k, m] : [m, k], random(m * k, 3 * idx + 1)));
      const B = e.keep(e.tensor(transB ? [n, k] : [k, n], random(k * n, 3 * idx + 2)));
      const C = e.keep(e.tensor([m, n]));
      const run = () => descent.gemm(C, A, B, { transA, transB });
      run(); run(); // warm-up: leave the baseline tier
      return { name, op, m, n, k, run, flops: 2 * m * n * k, gf: [] };
    });
    const peaks = [];
    const peakNow = () => threads * peakFlops / timeIt(() => K.peak(peakIters, 1), 30) / 1e6; // T cores' worth
    for (let r = 0; r < rounds; r++) {
      // rotate the order every round, so no case always follows the same neighbour
      const order = prepared.map((_, i) => prepared[(i + r * 5) % prepared.length]);
      for (const c of order) {
        const p = peakNow();
        const g = c.flops / timeIt(c.run) / 1e6;
        peaks.push(p);
        c.gf.push(g);
        (c.ratios ??= []).push(g / p);
      }
    }
    const peak = median(peaks);
    if (!json) {
      console.log(`\n${isa}, ${threads} thread${threads > 1 ? 's' : ''}, tile ${tile}x8: register-only peak${threads > 1 ? ` × ${threads}` : ''} ${peak.toFixed(1)} GFLOP/s (median of ${peaks.length}, range ${Math.min(...peaks).toFixed(1)}–${Math.max(...peaks).toFixed(1)})`);
      console.log(`${'case'.padEnd(30)} ${'op'.padEnd(6)} ${'m×n×k'.padEnd(15)} ${'threads'.padStart(7)} ${'GFLOP/s'.padStart(8)} ${'of peak'.padStart(8)}`);
      if (isa === 'simd') console.log('(the mul+add peak kernel is bound by the 6-cycle latency of its mul→add chains; GEMM accumulates with add-only chains and can pass it)');
    }
    for (const c of prepared) {
      const gflops = median(c.gf);
      const ratio = median(c.ratios);
      const row = { name: c.name, op: c.op, m: c.m, n: c.n, k: c.k, isa, threads, tile: `${tile}x8`, gflops: +gflops.toFixed(2), peak_gflops: +peak.toFixed(2), ratio: +ratio.toFixed(3), runs: rounds };
      if (json) console.log(JSON.stringify(row));
      else console.log(`${c.name.padEnd(30)} ${c.op.padEnd(6)} ${`${c.m}×${c.n}×${c.k}`.padEnd(15)} ${String(threads).padStart(7)} ${gflops.toFixed(1).padStart(8)} ${(100 * ratio).toFixed(0).padStart(7)}%`);
    }
  }
}
