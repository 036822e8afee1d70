// Inference latency and throughput: descent (both ISAs) against onnxruntime-web (wasm backend,
// SIMD, one thread) and onnxruntime-node (native, one thread) on the same network in one run.
//
//   npm run bench:infer [-- --json] [--rounds R] [--calls C] [--onnx exporter|torch-layout] [--threads 1,2]
//
// --threads: descent's thread counts (default 1: the onnxruntime sessions run on one thread);
// each descent row names its ISA and thread count.
//
// The network is the MNIST MLP of the issue and of ../shared/TOOLCHAIN.md: 784-500-300-10 tanh,
// softmax output, built by descent with seed 1. Every runtime runs that model: the ONNX bytes
// come from the library's exporter (exportOnnx: Gemm over W as descent stores it, [in, out],
// transB 0), or with --onnx torch-layout (or a bundle without exportOnnx) from a minimal writer
// below that lays the graph out as torch.onnx.export does (Gemm with transB = 1 over [out, in]
// weights, Tanh, Softmax), the layout of the measurements. Inputs are MNIST test images
// (pixels / 255). Before timing, every runtime's probabilities for the same 32 images must
// agree with the first descent build's within 1e-4.
// Timing: warm-up calls first (V8 tiers wasm up after a first call); then R rounds, and in each
// round every runtime in turn (interleaved, so a slow phase of the shared machine hits all):
//   batch 1:    C calls, each timed alone (await for onnxruntime, whose run() is async): p50, p99
//               over all R·C calls;
//   batch 32:   60 calls, batch 1000: 3 calls, each round's samples/s; the median of rounds.
// Ratios are against onnxruntime-web: latency descent / ort-web (< 1 is faster), samples/s
// descent / ort-web (> 1 is faster). The load average is printed: the machine is shared.
import { readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { createRequire } from 'node:module';
import * as d from '../dist/node/index.js';
import { median } from './timing.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const json = args.includes('--json');
const rounds = Number(opt('--rounds', 5));
const calls = Number(opt('--calls', 500));
const onnxFrom = opt('--onnx', 'exporter');
if (onnxFrom !== 'exporter' && onnxFrom !== 'torch-layout') throw new Error(`--onnx: exporter or torch-layout, got ${onnxFrom}`);
const threadCounts = opt('--threads', '1').split(',').map(Number);
const require = createRequire(import.meta.url);
const log = (...a) => { if (!json) console.log(...a); };

// ---- the model and its ONNX bytes ----
const SPEC = { inputs: 784, layers: [{ units: 500, activation: 'tanh' }, { units: 300, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 1 };

/** Protobuf writer: just what an ONNX ModelProto of dense layers needs (varints, strings, packed ints, raw floats). */
class Pb {
  parts = [];
  varint(v) { const b = []; let x = BigInt(v); do { let byte = Number(x & 0x7fn); x >>= 7n; if (x) byte |= 0x80; b.push(byte); } while (x); this.parts.push(Uint8Array.from(b)); return this; }
  key(field, wire) { return this.varint(field * 8 + wire); }
  int(field, v) { return this.key(field, 0).varint(v); }
  bytes(field, u8) { this.key(field, 2).varint(u8.length); this.parts.push(u8); return this; }
  str(field, s) { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field, pb) { return this.bytes(field, pb.finish()); }
  finish() { const n = this.parts.reduce((s, p) => s + p.length, 0); const out = new Uint8Array(n); let o = 0; for (const p of this.parts) { out.set(p, o); o += p.length; } return out; }
}

function onnxFromModel(model) {
  const graph = new Pb().str(2, 'descent-mlp');
  const tensor = (name, dims, values) => {
    const t = new Pb();
    for (const dim of dims) t.int(1, dim);
    t.int(2, 1).str(8, name).bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    graph.msg(5, t);
  };
  const node = (op, inputs, output, attrs = []) => {
    const n = new Pb();
    for (const i of inputs) n.str(1, i);
    n.str(2, output).str(3, `${op}_${output}`).str(4, op);
    for (const [name, v] of attrs) n.msg(5, new Pb().str(1, name).int(3, v).int(20, 2));
    graph.msg(1, n);
  };
  const valueInfo = (field, name, width) => {
    const shape = new Pb().msg(1, new Pb().str(2, 'batch')).msg(1, new Pb().int(1, width));
    graph.msg(field, new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, 1).msg(2, shape))));
  };
  let x = 'input';
  model.layers.forEach((l, i) => {
    const w = l.W.toArray(), wt = new Float32Array(w.length);
    for (let p = 0; p < l.inputs; p++) for (let j = 0; j < l.units; j++) wt[j * l.inputs + p] = w[p * l.units + j];
    tensor(`${i}.weight`, [l.units, l.inputs], wt);
    tensor(`${i}.bias`, [l.units], l.b.toArray());
    const last = i === model.layers.length - 1;
    const z = last ? 'logits' : `z${i}`;
    node('Gemm', [x, `${i}.weight`, `${i}.bias`], z, [['transB', 1]]);
    if (!last) { node('Tanh', [z], `a${i}`); x = `a${i}`; }
  });
  node('Softmax', ['logits'], 'probabilities', [['axis', 1]]);
  valueInfo(11, 'input', model.inputs);
  valueInfo(12, 'logits', model.outputs);
  valueInfo(12, 'probabilities', model.outputs);
  return new Pb().int(1, 8).str(2, 'descent bench').msg(7, graph).msg(8, new Pb().str(1, '').int(2, 13)).finish();
}

// ---- data ----
const dataDir = new URL('../../shared/data/mnist/', import.meta.url);
const load = (f) => d.parseIdx(new Uint8Array(readFileSync(new URL(f, dataDir))), f);
const test = d.idxDataset(await load('t10k-images-idx3-ubyte.gz'), await load('t10k-labels-idx1-ubyte.gz'));
const X = test.x; // 10,000 × 784
const rowsAt = (start, n) => X.subarray(start * 784, (start + n) * 784);

// ---- runtimes: name → { run(x, n) → Promise<Float32Array> | Float32Array, async } ----
const runtimes = [];
let onnxBytes, onnxSource;
for (const isa of d.supportedIsas().slice().sort()) for (const threads of threadCounts) {
  const e = await d.createEngine({ isa, threads });
  const model = new d.Model(e, SPEC);
  model.eval();
  if (!onnxBytes) {
    if (onnxFrom === 'exporter' && typeof d.exportOnnx === 'function') { onnxBytes = d.exportOnnx(model); onnxSource = 'exportOnnx (Gemm transB=0, Tanh, Softmax)'; }
    else { onnxBytes = onnxFromModel(model); onnxSource = 'bench writer (Gemm transB=1, Tanh, Softmax)'; }
  }
  runtimes.push({ name: `descent ${isa === 'simd' ? 'plain' : 'relaxed'} ${threads}T`, isa, threads, sync: true, run: (x) => model.predict(x) });
}
const ortWeb = await import('onnxruntime-web');
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.simd = true;
const webSession = await ortWeb.InferenceSession.create(onnxBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
runtimes.push({ name: 'onnxruntime-web', sync: false, run: async (x, n) => (await webSession.run({ input: new ortWeb.Tensor('float32', x, [n, 784]) }, ['probabilities'])).probabilities.data });
const ortNode = require('onnxruntime-node');
const nodeSession = await ortNode.InferenceSession.create(onnxBytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
runtimes.push({ name: 'onnxruntime-node', sync: false, run: async (x, n) => (await nodeSession.run({ input: new ortNode.Tensor('float32', x, [n, 784]) }, ['probabilities'])).probabilities.data });

// ---- agreement ----
{
  const x = rowsAt(0, 32);
  const ref = await runtimes[0].run(x, 32);
  for (const r of runtimes) {
    const y = await r.run(x, 32);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(y[i] - ref[i]));
    if (!(worst <= 1e-4)) throw new Error(`${r.name}: probabilities differ from ${runtimes[0].name} by ${worst} (> 1e-4)`);
    r.agreement = worst;
  }
}

// ---- timing ----
const batch1 = new Map(runtimes.map((r) => [r.name, []]));
const rates = { 32: new Map(runtimes.map((r) => [r.name, []])), 1000: new Map(runtimes.map((r) => [r.name, []])) };
const loads = [loadavg()[0]];
for (const r of runtimes) {
  for (let i = 0; i < 200; i++) await r.run(rowsAt(i, 1), 1);
  for (const n of [32, 1000]) for (let i = 0; i < 3; i++) await r.run(rowsAt(i * n % (10000 - n), n), n);
}
for (let round = 0; round < rounds; round++) {
  for (const r of runtimes) {
    const lat = batch1.get(r.name);
    let s = round * calls;
    if (r.sync) {
      for (let i = 0; i < calls; i++, s++) {
        const x = rowsAt(s % 10000, 1);
        const t0 = performance.now();
        r.run(x, 1);
        lat.push(performance.now() - t0);
      }
    } else {
      for (let i = 0; i < calls; i++, s++) {
        const x = rowsAt(s % 10000, 1);
        const t0 = performance.now();
        await r.run(x, 1);
        lat.push(performance.now() - t0);
      }
    }
    for (const [n, reps] of [[32, 60], [1000, 3]]) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) await r.run(rowsAt((round * reps + i) * n % (10000 - n), n), n);
      rates[n].get(r.name).push(reps * n / ((performance.now() - t0) / 1000));
    }
  }
  loads.push(loadavg()[0]);
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const rows = runtimes.map((r) => ({
  runtime: r.name, threads: r.threads ?? 1,
  p50_us: +(pct(batch1.get(r.name), 0.5) * 1000).toFixed(1),
  p99_us: +(pct(batch1.get(r.name), 0.99) * 1000).toFixed(1),
  batch32_samples_per_s: Math.round(median(rates[32].get(r.name))),
  batch1000_samples_per_s: Math.round(median(rates[1000].get(r.name))),
  max_abs_diff: r.agreement,
}));
const web = rows.find((r) => r.runtime === 'onnxruntime-web');
for (const row of rows) {
  row.ratio_p50_vs_web = +(row.p50_us / web.p50_us).toFixed(2);
  row.ratio_batch32_vs_web = +(row.batch32_samples_per_s / web.batch32_samples_per_s).toFixed(2);
  row.ratio_batch1000_vs_web = +(row.batch1000_samples_per_s / web.batch1000_samples_per_s).toFixed(2);
}
const meta = { model: '784-500-300-10 tanh, softmax', onnx: onnxSource, rounds, batch1_calls: rounds * calls, node: process.version, cpus: cpus().length, loadavg_1min: loads.map((l) => +l.toFixed(2)) };
if (json) {
  console.log(JSON.stringify({ ...meta, rows }));
} else {
  log(`MNIST MLP ${meta.model}; ONNX from ${onnxSource}; ${rounds} rounds, batch 1: ${rounds * calls} calls each; Node ${process.version}; load average ${meta.loadavg_1min.join(' ')} on ${meta.cpus} CPUs`);
  log(`${'runtime'.padEnd(18)} ${'b1 p50 µs'.padStart(10)} ${'b1 p99 µs'.padStart(10)} ${'b32 /s'.padStart(9)} ${'b1000 /s'.padStart(9)}   vs ort-web: ${'p50'.padStart(5)} ${'b32'.padStart(5)} ${'b1000'.padStart(6)}   max |Δp|`);
  for (const r of rows) {
    log(`${r.runtime.padEnd(18)} ${r.p50_us.toFixed(1).padStart(10)} ${r.p99_us.toFixed(1).padStart(10)} ${String(r.batch32_samples_per_s).padStart(9)} ${String(r.batch1000_samples_per_s).padStart(9)}   ${' '.repeat(11)}${r.ratio_p50_vs_web.toFixed(2).padStart(5)} ${r.ratio_batch32_vs_web.toFixed(2).padStart(5)} ${r.ratio_batch1000_vs_web.toFixed(2).padStart(6)}   ${r.max_abs_diff.toExponential(1)}`);
  }
}
