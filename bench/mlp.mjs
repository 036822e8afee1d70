// MLP training and inference throughput on MNIST (from ../shared/data/mnist), per ISA.
//
//   npm run bench:mlp [-- --json] [--epochs-fraction F] [--isa simd|relaxed-simd] [--threads 1,2]
//
// --threads: thread counts to run, one engine each (default 1); every row says its count.
// (Side by side, interleaved, with PyTorch and ratios: bench/threads.mjs.)
//
// Network 784-500-300-10 tanh, softmax cross-entropy, batch 100, SGD lr 0.1 (the configuration
// of the issue and of the peers quoted in ../shared/TOOLCHAIN.md: tfjs-wasm ~700 samples/s,
// native PyTorch ~17,000 on one core). Training: samples/s over `--steps` updates after 20
// warm-up updates, median of `--rounds` rounds; inference: model.predict at batch 1000 over
// the 10,000 test images, median of rounds. A register-only peak measurement precedes each
// round (GFLOP/s) so slow phases of a shared machine are visible in the output.
import { readFileSync } from 'node:fs';
import * as d from '../dist/node/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const json = args.includes('--json');
const rounds = Number(opt('--rounds', 5));
const steps = Number(opt('--steps', 150));
const onlyIsa = opt('--isa', undefined);
const threadCounts = opt('--threads', '1').split(',').map(Number);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const dataDir = new URL('../../shared/data/mnist/', import.meta.url);
const load = async (f) => d.parseIdx(new Uint8Array(readFileSync(new URL(f, dataDir))), f);
const train = d.idxDataset(await load('train-images-idx3-ubyte.gz'), await load('train-labels-idx1-ubyte.gz'));
const test = d.idxDataset(await load('t10k-images-idx3-ubyte.gz'), await load('t10k-labels-idx1-ubyte.gz'));
const flopsPerSample = 2 * (784 * 500 + 500 * 300 + 300 * 10) * 2 + 2 * (500 * 300 + 300 * 10);

for (const isa of d.supportedIsas().filter((i) => !onlyIsa || i === onlyIsa)) for (const threads of threadCounts) {
  const e = await d.createEngine({ isa, threads });
  const model = new d.Model(e, { inputs: 784, layers: [{ units: 500, activation: 'tanh' }, { units: 300, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 1 });
  const sub = d.subset(train, Int32Array.from({ length: (steps + 20) * 100 }, (_, i) => i % train.n));
  const peak = () => { const t0 = performance.now(); e.kernels.peak(2e6, 1); return 96 * 2e6 / (performance.now() - t0) / 1e6; };
  e.kernels.peak(1000, 1);
  const trainRates = [], inferRates = [], peaks = [];
  for (let r = 0; r < rounds; r++) {
    peaks.push(peak());
    let t0 = 0, seen = 0;
    d.fit(model, sub, { epochs: 1, batchSize: 100, lr: 0.1, seed: r, shuffle: false,
      onBatchEnd: (l) => { if (l.step === 20) t0 = performance.now(); else if (l.step > 20) seen += l.size; } });
    trainRates.push(seen / ((performance.now() - t0) / 1000));
    model.predict(test.x.subarray(0, 784 * 1000), 1000);
    const t1 = performance.now();
    model.predict(test.x, test.n);
    inferRates.push(test.n / ((performance.now() - t1) / 1000));
  }
  const rows = [
    { name: 'mnist mlp train 784-500-300-10 tanh sgd', batch: 100, samples_per_s: Math.round(median(trainRates)), gflops: +(median(trainRates) * flopsPerSample / 1e9).toFixed(1) },
    { name: 'mnist mlp inference 784-500-300-10 tanh', batch: 1000, samples_per_s: Math.round(median(inferRates)), gflops: +(median(inferRates) * 2 * (784 * 500 + 500 * 300 + 300 * 10) / 1e9).toFixed(1) },
  ];
  for (const row of rows) {
    const full = { ...row, isa, threads: e.threads, peak_gflops: +median(peaks).toFixed(1), rounds };
    if (json) console.log(JSON.stringify(full));
    else console.log(`${isa.padEnd(13)} ${String(e.threads).padStart(2)} thread${e.threads > 1 ? 's' : ' '} ${row.name.padEnd(42)} batch ${String(row.batch).padStart(4)}: ${String(row.samples_per_s).padStart(6)} samples/s (${row.gflops} GFLOP/s; one core's register peak ${median(peaks).toFixed(1)})`);
  }
}
