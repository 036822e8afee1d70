// Soak: training steps on the embedded digits set, then load/predict/drop cycles of a model file,
// with flat memory.
//   node --expose-gc bench/soak.mjs [--steps N] [--cycles C] [--threads T] [--hidden H]
//   (defaults 200000, 10000, 1 and 64)
// --threads: the engine's threads (more than 1: the shared-memory build and the worker pool). With
// the default network (64-64-10, batch 32) no kernel is large enough to split, so the pool idles;
// --hidden H widens the hidden layer (e.g. 1024: every GEMM and activation of a step splits).
// The chunks each thread ran are printed, so a run shows whether the workers took part.
// Training: the allocator statistics after the first 1,000 steps and at the end must match.
// Cycles: each loads the saved model (loadModel), predicts a batch and drops the model without
// release() — its memory comes back through the finalizer (FinalizationRegistry) when the model is
// collected. With --expose-gc the script collects every 100 cycles; after cycle 1,000 and after
// the last one the memory size must be the same and live bytes/blocks those of the trained model
// alone. Without --expose-gc collection is up to V8 and only the memory size is compared.
import * as d from '../dist/node/index.js';

const args = process.argv.slice(2);
const arg = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const total = arg('--steps', 200000);
const cycles = arg('--cycles', 10000);
const threads = arg('--threads', 1);
const hidden = arg('--hidden', 64);
const gc = globalThis.gc;

const e = await d.createEngine({ threads });
const data = d.digits();
const model = new d.Model(e, { inputs: 64, layers: [{ units: hidden, activation: 'tanh' }, { units: 10 }], seed: 1 });
const perEpoch = Math.ceil(data.n / 32);
let after1k;
let t0 = performance.now();
d.fit(model, data, { epochs: Math.ceil(total / perEpoch), batchSize: 32, lr: 0.05,
  onBatchEnd: (l) => {
    if (l.step === 1000) after1k = e.memoryStats();
    if (l.step >= total) return 'stop';
  } });
const end = e.memoryStats();
console.log(`engine: ${e.isa}, ${e.backend().threads} thread${e.threads > 1 ? 's' : ''} (${e.backend().threadsReason}); network 64-${hidden}-10, batch 32`);
console.log(`training: ${total} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log('  after 1k  ', JSON.stringify(after1k));
console.log('  at the end', JSON.stringify(end));
const flat = (a, b) => a.memoryBytes === b.memoryBytes && a.footprintBytes === b.footprintBytes && a.liveBytes === b.liveBytes;
const trainFlat = flat(after1k, end);
if (e.threads > 1) console.log(`  chunks run by each thread so far: ${d.threadStats().join(', ')}`);
console.log(trainFlat ? '  flat: memory size, footprint and live bytes unchanged' : '  NOT FLAT');

// ---- load / predict / drop ----
const file = d.saveModel(model);
const x = data.x.subarray(0, 64 * 32);
const expected = model.predict(x, 32);
const settle = async () => { gc?.(); await new Promise((r) => setTimeout(r, 0)); gc?.(); await new Promise((r) => setTimeout(r, 0)); };
let at1k, mismatches = 0;
t0 = performance.now();
for (let c = 1; c <= cycles; c++) {
  const m = d.loadModel(e, file);
  const p = m.predict(x, 32);
  for (let i = 0; i < p.length; i++) if (p[i] !== expected[i]) { mismatches++; break; }
  if (c % 100 === 0) await settle();
  if (c === 1000) at1k = e.memoryStats();
}
await settle();
const last = e.memoryStats();
console.log(`cycles: ${cycles} loads, predictions and drops in ${((performance.now() - t0) / 1000).toFixed(1)} s (${gc ? 'collected every 100' : 'no --expose-gc: V8 collects when it likes'}); predictions differing from the original model: ${mismatches}`);
console.log('  after 1k  ', JSON.stringify(at1k));
console.log('  at the end', JSON.stringify(last));
if (e.threads > 1) console.log(`  chunks run by each thread in all: ${d.threadStats().join(', ')}`);
// live bytes and blocks: every dropped model came back; memory size: nothing grew after cycle 1,000
// (the footprint — the extent up to the last block in use — depends on where the free blocks fell)
const cyclesFlat = at1k.memoryBytes === last.memoryBytes && (!gc || (at1k.liveBytes === last.liveBytes && at1k.liveBlocks === last.liveBlocks && last.liveBytes === end.liveBytes));
console.log(cyclesFlat ? `  flat: ${gc ? 'memory size unchanged, live bytes and blocks back to those of the trained model alone' : 'memory size unchanged'}` : '  NOT FLAT');
model.release(); // the trained model stays referenced (and allocated) until here
process.exitCode = trainFlat && cyclesFlat && mismatches === 0 ? 0 : 1;
