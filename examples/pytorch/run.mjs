// The whole "outgrow one machine" loop, run by `npm run test:torch` (not part of npm test):
//
//   1. train on the digits in descent (raw pixel counts in; the model carries its preprocessing)
//   2. exportTorch → work/model.safetensors + work/model.py
//   3. torchrun --standalone --nproc_per_node 2 ddp_finetune.py: DistributedDataParallel, gloo,
//      2 CPU processes, continues training and saves work/finetuned.safetensors
//   4. importTorch → a descent model that serves it: test accuracy from raw pixels, and its
//      logits checked against torch's (|a − b| ≤ 1e-5·max(1, |b|))
//
// Needs /usr/bin/python3 (or $PYTHON) with torch; without it, says so and exits 0. Any other
// failure exits 1. In an app, import from 'descentjs' as here; the repo resolves the package
// to itself (build it first: node scripts/build.mjs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, digits, trainTestSplit, fitStandardizer, Model, fit, exportTorch, importTorch, accuracy } from 'descentjs';

const here = dirname(fileURLToPath(import.meta.url));
const work = join(here, 'work');
const python = process.env.PYTHON ?? '/usr/bin/python3';

const probe = spawnSync(python, ['-c', 'import torch, torch.distributed; print(torch.__version__, torch.distributed.is_available())'], { encoding: 'utf8' });
if (probe.status !== 0 || !probe.stdout.includes('True')) {
  console.log(`test:torch skipped: ${python} with torch (and torch.distributed) is not available here${probe.error ? ` (${probe.error.message})` : ''}`);
  process.exit(0);
}
console.log(`torch ${probe.stdout.trim().split(' ')[0]} at ${python}`);
mkdirSync(work, { recursive: true });

// 1. descent: raw pixel counts 0..16; preprocessing x' = (x/16 − mean)/std travels with the model
const engine = await init();
const raw = digits({ scale: 1 });
const { train, test } = trainTestSplit(raw, { testFraction: 0.2, seed: 1 });
const scaled = (ds) => ({ ...ds, x: ds.x.map((v) => v / 16) });
const st = fitStandardizer(scaled(train));
const model = new Model(engine, {
  inputs: 64, seed: 1,
  layers: [{ units: 64, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu' }, { units: 10 }],
});
model.setPreprocess({ scale: 1 / 16, mean: st.mean, std: st.std });
fit(model, { ...train, x: model.preprocessInputs(train.x) }, { epochs: 3, batchSize: 32, lr: 0.05, seed: 1 });
const acc = (m) => accuracy(m.predict(test.x, { output: 'classes' }), test.labels);
console.log(`descent: ${model.describe()}, 3 epochs: test accuracy ${(100 * acc(model)).toFixed(2)}%`);

// 2. export for PyTorch, and the data as the script reads it (raw pixels: the .py preprocesses)
const { safetensors, python: py } = exportTorch(model);
writeFileSync(join(work, 'model.safetensors'), safetensors);
writeFileSync(join(work, 'model.py'), py);
const rows = (ds) => ({ x: Array.from({ length: ds.n }, (_, i) => Array.from(ds.x.subarray(i * 64, i * 64 + 64))), labels: Array.from(ds.labels) });
writeFileSync(join(work, 'digits.json'), JSON.stringify({ train: rows(train), test: rows(test) }));

// 3. torchrun, 2 processes, gloo
const out = join(work, 'finetuned.safetensors');
// --redirects 1 --tee 1: torch 1.13's torchrun parses its default "0" (and "3") to None on
// Python 3.11 (IntFlag iteration yields only OUT and ERR there) and fails; OUT (1) parses: the
// workers' stdout goes to a log file and, teed, here, prefixed by their rank
const args = ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '--redirects', '1', '--tee', '1',
  join(here, 'ddp_finetune.py'), '--model', join(work, 'model.py'), '--data', join(work, 'digits.json'), '--out', out, '--epochs', '20'];
console.log(`$ torchrun ${args.slice(2).join(' ')}`);
const t0 = performance.now();
const run = spawnSync(python, args, { stdio: 'inherit', env: { ...process.env, OMP_NUM_THREADS: '1' } });
if (run.status !== 0) { console.error(`torchrun failed (exit ${run.status})`); process.exit(1); }
console.log(`torchrun took ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// 4. back in descent: import and serve from raw pixels
const served = importTorch(engine, new Uint8Array(readFileSync(out)));
const torchSide = JSON.parse(readFileSync(out.replace(/\.safetensors$/, '.json'), 'utf8'));
const logits = served.predict(test.x, { output: 'logits' });
let worst = 0;
torchSide.logits.flat().forEach((b, i) => { worst = Math.max(worst, Math.abs(logits[i] - b) / Math.max(1, Math.abs(b))); });
const a = acc(served);
console.log(`descent serves the DDP-trained model (${served.describe()}): test accuracy ${(100 * a).toFixed(2)}% from raw pixels (torch: ${(100 * torchSide.accuracy).toFixed(2)}%), max logit difference ${worst.toExponential(2)} of scale`);
// torch's accuracy is a float32 mean: equal to ours within half a sample
const ok = worst <= 1e-5 && Math.abs(a - torchSide.accuracy) < 0.5 / test.n && a >= 0.9;
console.log(ok ? 'test:torch passed' : 'test:torch FAILED');
process.exit(ok ? 0 : 1);
