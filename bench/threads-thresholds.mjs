// Where splitting a kernel across threads starts to pay: each kernel at growing sizes on an
// engine with 1 thread and one with N (default 2), interleaved, with every threshold set to 0
// (so the N-thread engine splits every call), median of 9 rounds. The defaults in
// src/engine/threads/plan-shapes.ts (THRESHOLDS) are the smallest sizes whose ratio was ≥ ~1.1
// on a 2-vCPU machine. A job costs a few µs to hand out and join, so the break-even is where
// half a call's time exceeds that.
//
//   node --experimental-wasm-relaxed-simd bench/threads-thresholds.mjs [--threads N] [--json]
import * as d from '../dist/node/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const T = Number(opt('--threads', 2));
const json = args.includes('--json');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

const defaults = d.threadThresholds();
d.threadThresholds({ elementwise: 0, optimizer: 0, gemm: 0 });
const e1 = d.createEngineSync({ threads: 1 });
const eN = d.createEngineSync({ threads: T });

/** Median µs per call of f over rounds, each timing enough calls to last ~2 ms. */
function time(f) {
  f(); f();
  let reps = 1;
  for (;;) { const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); if (performance.now() - t0 > 2) break; reps *= 2; }
  const xs = [];
  for (let r = 0; r < 9; r++) { const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); xs.push((performance.now() - t0) * 1000 / reps); }
  return median(xs);
}

function kernelsFor(e, n) {
  const a = e.tensor([n]), b = e.tensor([n]), c = e.tensor([n]), v = e.tensor([n]);
  a.data.fill(0.5); b.data.fill(0.25);
  const K = e.kernels;
  return {
    'tanh forward': () => K.actForward(2, n, 0, a.pointer(), c.pointer()),
    'sgd momentum': () => K.optSgd(n, a.pointer(), b.pointer(), c.pointer(), -1e-3, 0.9, 1, 0.9, 0, 4),
    'adam': () => K.optAdam(n, a.pointer(), b.pointer(), c.pointer(), v.pointer(), 0, -1e-3, 1.1, 1.01, 0.1, 0.999, 0.001, 1e-8, 0, 1, 0),
    'axpy': () => K.axpy(n, 0.5, a.pointer(), b.pointer()),
  };
}

const rows = [];
for (const n of [1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 20]) {
  const k1 = kernelsFor(e1, n), kN = kernelsFor(eN, n);
  for (const name of Object.keys(k1)) {
    const t1 = time(k1[name]), tN = time(kN[name]);
    rows.push({ kernel: name, n, us1: +t1.toFixed(2), usN: +tN.toFixed(2), ratio: +(t1 / tN).toFixed(2) });
  }
}
for (const s of [16, 24, 32, 48, 64, 96, 128]) {
  const mk = (e) => { const A = e.tensor([s, s]), B = e.tensor([s, s]), C = e.tensor([s, s]); A.data.fill(0.5); B.data.fill(0.25); return () => d.gemm(C, A, B); };
  const t1 = time(mk(e1)), tN = time(mk(eN));
  rows.push({ kernel: 'gemm s×s×s', n: s * s * s, us1: +t1.toFixed(2), usN: +tN.toFixed(2), ratio: +(t1 / tN).toFixed(2) });
}
d.threadThresholds(defaults);
if (json) for (const r of rows) console.log(JSON.stringify({ ...r, threads: T }));
else {
  console.log(`threads 1 vs ${T} (µs per call, median of 9 rounds; ratio > 1: the split pays); defaults ${JSON.stringify(defaults)}`);
  for (const r of rows) console.log(`${r.kernel.padEnd(14)} n ${String(r.n).padStart(8)}  ${String(r.us1).padStart(9)} µs  ${String(r.usN).padStart(9)} µs  ${r.ratio.toFixed(2)}×`);
}
