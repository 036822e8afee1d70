// Soak: 100k training steps on the embedded digits set with flat memory.
//   node bench/soak.mjs [--steps N]   (default 100000)
// Prints the allocator statistics after the first 1,000 steps and at the end; they must match.
import * as d from '../dist/node/index.js';
const args = process.argv.slice(2);
const total = Number(args[args.indexOf('--steps') + 1] || 100000);
const e = await d.createEngine();
const data = d.digits();
const model = new d.Model(e, { inputs: 64, layers: [{ units: 64, activation: 'tanh' }, { units: 10 }], seed: 1 });
const perEpoch = Math.ceil(data.n / 32);
let after1k;
const t0 = performance.now();
d.fit(model, data, { epochs: Math.ceil(total / perEpoch), batchSize: 32, lr: 0.05,
  onBatchEnd: (l) => {
    if (l.step === 1000) after1k = e.memoryStats();
    if (l.step >= total) return 'stop';
  } });
const end = e.memoryStats();
console.log(`steps ${total} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log('after 1k  ', JSON.stringify(after1k));
console.log('at the end', JSON.stringify(end));
const same = after1k.memoryBytes === end.memoryBytes && after1k.footprintBytes === end.footprintBytes && after1k.liveBytes === end.liveBytes;
console.log(same ? 'flat: memory size, footprint and live bytes unchanged' : 'NOT FLAT');
process.exitCode = same ? 0 : 1;
