// Are this machine's cores equally fast? One thread's time for the MNIST step's three small
// products (k or n = 10) and the register-only peak kernel, pinned to each CPU in turn with
// taskset (Linux), in rounds — the evidence behind src/engine/threads/balance.ts.
//
//   node --experimental-wasm-relaxed-simd bench/vcpu-speeds.mjs [--rounds R] [--json]
//
// --json: one line, {cpus, rounds, medians: {case: [µs on CPU 0, CPU 1, …]}, ratio: {case:
// slowest/fastest}, mediansTogether, ratioTogether: {case: slowest with all CPUs busy / fastest
// alone}} (bench/threads.mjs runs it before and after its rounds).
//
// A split product finishes with its slower thread: when one core runs a kernel 1.2× slower
// than the other, an even split on two threads is at best 2/1.2 = 1.67× one thread on the
// faster core, before any hand-off cost.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
if (args[0] === '--child') {
  // one measurement on whatever CPU we were pinned to: the threads build, as the pool runs it
  const relaxed = args[1] === 'relaxed';
  const file = new URL(`../wasm/${relaxed ? 'relaxed-simd' : 'simd'}-threads.wasm`, import.meta.url);
  const mod = new WebAssembly.Module(readFileSync(file));
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 1024, shared: true });
  const ex = new WebAssembly.Instance(mod, { env: { memory } }).exports;
  const base = (ex.heapBase() + 65536 + 65535) & ~65535;
  const f32 = new Float32Array(memory.buffer);
  for (let i = base >> 2; i < (base >> 2) + 4e6; i++) f32[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const time = (f, n = 2000) => { const r = []; for (let j = 0; j < 5; j++) { for (let i = 0; i < 200; i++) f(); const t0 = performance.now(); for (let i = 0; i < n; i++) f(); r.push((performance.now() - t0) / n * 1000); } return med(r); };
  // operands and workspace at unrelated offsets (no two at the same address modulo 4 KB)
  const A = base, B = base + (1 << 20) + 1088, C = base + (2 << 20) + 2176, W = base + (4 << 20) + 3264;
  const tile = relaxed ? 5 : 4;
  const out = {};
  for (const [name, [ta, tb, m, n, k, lda, ldb]] of Object.entries({
    'a2·W3 100×300·300×10': [0, 0, 100, 10, 300, 300, 10], 'dW3 300×100·100×10': [1, 0, 300, 10, 100, 300, 10], 'dX3 100×10·(300×10)ᵀ': [0, 1, 100, 300, 10, 10, 10],
  })) out[name] = time(() => ex.gemm(tile, ta, tb, m, n, k, 1, A, lda, B, ldb, 0, C, n, 0, W));
  out['peak kernel'] = time(() => ex.peak(10000, 1), 500);
  console.log(JSON.stringify(out));
  process.exit(0);
}

const rounds = Number(args[args.indexOf('--rounds') + 1] || 3);
const json = args.includes('--json');
const say = (...a) => { if (!json) console.log(...a); };
const relaxed = (() => { try { new WebAssembly.Module(readFileSync(new URL('../wasm/relaxed-simd.wasm', import.meta.url))); return true; } catch { return false; } })();
if (spawnSync('taskset', ['-c', '0', 'true']).status !== 0) {
  console.log(json ? JSON.stringify({ error: 'no taskset' }) : 'taskset is not available here (Linux util-linux): cannot pin a process to one CPU');
  process.exit(0);
}
const n = cpus().length;
const self = fileURLToPath(import.meta.url);
say(`one thread pinned to each of ${n} CPUs, ${rounds} rounds, ${relaxed ? 'relaxed' : 'plain'} SIMD; µs per call (median of 5)`);
const all = {};
for (let r = 0; r < rounds; r++) {
  for (let c = 0; c < n; c++) {
    const p = spawnSync('taskset', ['-c', String(c), process.execPath, ...process.execArgv, self, '--child', relaxed ? 'relaxed' : 'plain'], { encoding: 'utf8' });
    if (p.status !== 0) { console.log(p.stderr); process.exit(1); }
    const res = JSON.parse(p.stdout.trim().split('\n').pop());
    say(`round ${r + 1}, CPU ${c}: ` + Object.entries(res).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
    for (const [k, v] of Object.entries(res)) ((all[k] ??= {})[c] ??= []).push(v);
  }
}
const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
say('\nmedians; slowest CPU / fastest CPU:');
const medians = {}, ratio = {};
for (const [k, per] of Object.entries(all)) {
  const m = Object.values(per).map(med);
  medians[k] = m;
  ratio[k] = Math.max(...m) / Math.min(...m);
  say(`  ${k}: ${m.map((v, c) => `CPU ${c} ${v.toFixed(1)}`).join(', ')}; ${ratio[k].toFixed(2)}×`);
}

// Together: one pinned process per CPU, all started at once, so the cores run the same products
// at the same time (their runs overlap but are not locked in step). A split product's threads
// run like this; on a shared VM a core can be as fast as the others alone and slower when they
// are busy (another tenant on its sibling hyperthread, shared cache or bandwidth).
const child = (c) => new Promise((resolve, reject) => {
  const p = spawn('taskset', ['-c', String(c), process.execPath, ...process.execArgv, self, '--child', relaxed ? 'relaxed' : 'plain']);
  let out = '';
  p.stdout.on('data', (b) => { out += b; });
  p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`child on CPU ${c} exited ${code}`))));
});
const together = {};
for (let r = 0; r < rounds; r++) {
  const res = await Promise.all(Array.from({ length: n }, (_, c) => child(c)));
  res.forEach((x, c) => { for (const [k, v] of Object.entries(x)) ((together[k] ??= {})[c] ??= []).push(v); });
}
// slowest CPU when all run / fastest CPU alone: what bounds a product split across all of them
say('\nall CPUs at once, medians; slowest CPU at once / fastest CPU alone:');
const mediansTogether = {}, ratioTogether = {};
for (const [k, per] of Object.entries(together)) {
  const m = Object.values(per).map(med);
  mediansTogether[k] = m;
  ratioTogether[k] = Math.max(...m) / Math.min(...medians[k]);
  say(`  ${k}: ${m.map((v, c) => `CPU ${c} ${v.toFixed(1)}`).join(', ')}; ${ratioTogether[k].toFixed(2)}×`);
}
if (json) console.log(JSON.stringify({ cpus: n, rounds, medians, ratio, mediansTogether, ratioTogether }));
