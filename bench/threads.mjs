// descent at 1 thread and at N threads side by side, and PyTorch on one thread, in one process
// (issue #14's acceptance list).
//
//   node --experimental-wasm-relaxed-simd bench/threads.mjs [--threads N] [--rounds R] [--json]
//        [--isa simd|relaxed-simd] [--min-ms MS] [--no-torch] [--no-profile] [--quick] [--save FILE]
//
// Cases (descent: one engine with threads: 1, one with threads: N, same ISA — relaxed where the
// runtime has it):
//   (a) GEMM 1024³ (A·B)
//   (b) the GEMMs of one training step of the MNIST MLP 784-500-300-10, batch 100, as
//       model.ts calls them: forward y = x·W + b through gemmDirectB, W read in place (100×784·784×500, 100×500·500×300,
//       100×300·300×10), weight gradients xᵀ·dZ (784×100·100×500, 500×100·100×300,
//       300×100·100×10), input gradients dZ·Wᵀ (100×300·(500×300)ᵀ, 100×10·(300×10)ᵀ); and
//       their sum (the time of all eight products: one step's GEMM work)
//   (c) MNIST MLP training, 784-500-300-10 tanh, softmax cross-entropy, batch 100: SGD lr 0.1
//       (bench/mlp.mjs's configuration) and Adam lr 1e-3, samples/s through fit()
//   (d) inference at batch 1000: model.predict on 1000 test images at a time, samples/s
//   (e) the fused Adam step over 10M parameters (G params/s), with two memory-bandwidth probes
//       on the same engines: copy of 10M floats (8 B/element) and add+scal+scal over 10M
//       (Adam's 28 B/param of traffic with no arithmetic; bench/optim.mjs's reference) — what
//       one and N cores' streaming bandwidth allow the Adam step
// PyTorch (when /usr/bin/python3 imports torch; --no-torch to skip): a Python subprocess with
// OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(1) runs the same MLP training (SGD, Adam),
// inference at batch 1000 (with the softmax, as predict), GEMM 1024³ and Adam over 10M, on the
// same data. It reports which BLAS it loaded (Debian's torch without libopenblas0-pthread uses
// a reference BLAS ~10× slower: the bench refuses to compare against that).
// Data: real MNIST from ../shared/data/mnist when present, else random data of that shape (the
// output says which).
//
// Timing: every case is warmed first (V8 runs a wasm function's first calls unoptimized), then
// its repetition count is calibrated to ≥ --min-ms (default 300) per measurement. R rounds
// (default 7); in each round every case is measured on descent-1, descent-N and torch one
// right after the other (the order rotates each round), so a slow phase of the shared machine
// hits all of them. Ratios are medians over rounds of the per-round ratio; rates are medians;
// the spread is the min–max of the per-round ratios. Each measurement also records how many
// cores *other* processes used meanwhile (/proc/stat minus this process and the Python child):
// "others" is the median of that; a round is quiet when others < 0.25 cores in both halves of
// a ratio, and the median over quiet rounds is printed next to the median over all.
// Profile (--no-profile to skip): the MNIST SGD step at 1 and N threads split into forward,
// loss + backward, optimizer, and the rest of fit's step (staging the batch, checks, JS between
// kernels), each also split into time inside GEMM kernels, inside other kernels, and JS.
// --json: one JSON object per line: {kind:'meta'…}, {kind:'case'…}, {kind:'profile'…}, instead of
// the table; --save FILE writes those lines to FILE as well as printing the table.
// vCPUs (Linux with taskset; --no-vcpus to skip): before and after the rounds, bench/vcpu-speeds.mjs
// times the three small products on one thread pinned to each CPU, and the table's footer
// prints slowest/fastest, each core alone and all at once. The cores of a shared VM are not
// always equal (the small products ran up to 1.8× slower on one of this machine's two vCPUs,
// on some minutes, and ~1.0× on others): a split finishes with its slower thread, so those
// ratios bound what two threads can show in that run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as d from '../dist/node/index.js';
import { median, cpuNow as cpuNowOf, othersBetween } from './timing.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const json = args.includes('--json');
const quick = args.includes('--quick');
const N = Number(opt('--threads', 2));
const rounds = Number(opt('--rounds', quick ? 3 : 7));
const minMs = Number(opt('--min-ms', quick ? 150 : 300));
const withTorch = !args.includes('--no-torch');
const withProfile = !args.includes('--no-profile');
const withVcpus = !args.includes('--no-vcpus');
if (!Number.isInteger(N) || N < 2) throw new Error(`--threads: an integer ≥ 2, got ${opt('--threads')}`);
const isa = opt('--isa', d.supportedIsas().includes('relaxed-simd') ? 'relaxed-simd' : 'simd');
const log = (...a) => { if (!json) console.log(...a); };
const fmt = (x, dig = 2) => (x === undefined || x === null || Number.isNaN(x) ? '—' : x.toFixed(dig));

// ---- CPU used by other processes (Linux): /proc/stat busy ticks − ours − the Python child's ----
const QUIET = 0.25; // a measurement is quiet when other processes used fewer cores than this
let pyPid = 0;
const cpuNow = () => cpuNowOf(pyPid);

// ---- data ----
const dataDir = new URL('../../shared/data/mnist/', import.meta.url);
const realMnist = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
  .every((f) => existsSync(new URL(f, dataDir)));
let train, test;
if (realMnist) {
  const load = async (f) => d.parseIdx(new Uint8Array(readFileSync(new URL(f, dataDir))), f);
  train = d.idxDataset(await load('train-images-idx3-ubyte.gz'), await load('train-labels-idx1-ubyte.gz'));
  test = d.idxDataset(await load('t10k-images-idx3-ubyte.gz'), await load('t10k-labels-idx1-ubyte.gz'));
} else {
  const rnd = (n, seed) => { const o = new Float32Array(n); let s = seed; for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; o[i] = s / 2 ** 32; } return o; };
  const labels = (n) => Int32Array.from({ length: n }, (_, i) => (i * 7919) % 10);
  train = { n: 10000, features: 784, classes: 10, x: rnd(10000 * 784, 1), labels: labels(10000) };
  test = { n: 10000, features: 784, classes: 10, x: rnd(10000 * 784, 2), labels: labels(10000) };
}
const SPEC = { inputs: 784, layers: [{ units: 500, activation: 'tanh' }, { units: 300, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 1 };

function random(n, seed, lo = -0.5, hi = 0.5) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = lo + (hi - lo) * (s / 2 ** 32); }
  return out;
}

// ---- the Python side ----
const PY = String.raw`
import sys, os, json, time, gzip
import numpy as np
import torch
torch.set_num_threads(1)
torch.manual_seed(1)
data_dir, use_real = sys.argv[1], sys.argv[2] == '1'
def idx(f):
    b = gzip.open(os.path.join(data_dir, f)).read()
    nd = b[3]; dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)
if use_real:
    X = torch.from_numpy(idx('train-images-idx3-ubyte.gz').reshape(-1, 784).astype(np.float32) / 255)
    Y = torch.from_numpy(idx('train-labels-idx1-ubyte.gz').astype(np.int64))
    XT = torch.from_numpy(idx('t10k-images-idx3-ubyte.gz').reshape(-1, 784).astype(np.float32) / 255)
else:
    X = torch.rand(10000, 784); Y = torch.arange(10000) * 7919 % 10; XT = torch.rand(10000, 784)
nn = torch.nn
def mlp():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(784, 500), nn.Tanh(), nn.Linear(500, 300), nn.Tanh(), nn.Linear(300, 10))
models = {}
m = mlp(); models['sgd'] = (m, torch.optim.SGD(m.parameters(), lr=0.1))
m = mlp(); models['adam'] = (m, torch.optim.Adam(m.parameters(), lr=1e-3))
loss_fn = nn.CrossEntropyLoss()
pos = [0]
nb = X.shape[0] // 100
def train(kind, steps):
    m, o = models[kind]
    t = time.perf_counter()
    for s in range(steps):
        i = (pos[0] % nb) * 100; pos[0] += 1
        o.zero_grad()
        loss = loss_fn(m(X[i:i + 100]), Y[i:i + 100])
        loss.backward()
        o.step()
    return steps * 100, time.perf_counter() - t
def infer(reps):
    m = models['sgd'][0]
    t = time.perf_counter()
    with torch.no_grad():
        for r in range(reps):
            j = r % 10
            torch.softmax(m(XT[j * 1000:(j + 1) * 1000]), dim=1)
    return reps * 1000, time.perf_counter() - t
A = torch.rand(1024, 1024) - 0.5; B = torch.rand(1024, 1024) - 0.5; C = torch.empty(1024, 1024)
def gemm(reps):
    t = time.perf_counter()
    for r in range(reps): torch.mm(A, B, out=C)
    return reps * 2 * 1024 ** 3, time.perf_counter() - t
adam_p = None
def adam10m(reps):
    global adam_p, adam_o
    if adam_p is None:
        adam_p = torch.nn.Parameter(torch.rand(10_000_000) * 2 - 1)
        adam_p.grad = torch.rand(10_000_000) * 2 - 1
        adam_o = torch.optim.Adam([adam_p], lr=1e-3)
    t = time.perf_counter()
    for r in range(reps): adam_o.step()
    return reps * 10_000_000, time.perf_counter() - t
ops = {'sgd': lambda r: train('sgd', r), 'adam': lambda r: train('adam', r), 'infer': infer, 'gemm': gemm, 'adam10m': adam10m}
gemm(2)
blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower()})
print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas,
                  'openblas_num_threads': os.environ.get('OPENBLAS_NUM_THREADS')}), flush=True)
for line in sys.stdin:
    c = json.loads(line)
    work, sec = ops[c['op']](c['reps'])
    print(json.dumps({'work': work, 'sec': sec}), flush=True)
`;

class Torch {
  static async start() {
    const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    if (probe.status !== 0) return undefined;
    const dir = fileURLToPath(dataDir);
    const p = spawn('/usr/bin/python3', ['-c', PY, dir, realMnist ? '1' : '0'], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, stdio: ['pipe', 'pipe', 'inherit'],
    });
    const t = new Torch(p);
    t.info = await t.#next();
    pyPid = p.pid;
    return t;
  }
  #buf = '';
  #waiting = [];
  #lines = [];
  constructor(p) {
    this.p = p;
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (s) => {
      this.#buf += s;
      for (let i; (i = this.#buf.indexOf('\n')) >= 0;) {
        const line = this.#buf.slice(0, i); this.#buf = this.#buf.slice(i + 1);
        const w = this.#waiting.shift();
        if (w) w(JSON.parse(line)); else this.#lines.push(JSON.parse(line));
      }
    });
    p.on('exit', (code) => { for (const w of this.#waiting) w({ error: `python exited ${code}` }); });
  }
  #next() { return this.#lines.length ? Promise.resolve(this.#lines.shift()) : new Promise((r) => this.#waiting.push(r)); }
  async run(op, reps) {
    this.p.stdin.write(JSON.stringify({ op, reps }) + '\n');
    const r = await this.#next();
    if (r.error) throw new Error(r.error);
    return { work: r.work, ms: r.sec * 1000 };
  }
  close() { this.p.stdin.end(); }
}

// ---- descent engines and their cases ----
const engines = [await d.createEngine({ isa, threads: 1 }), await d.createEngine({ isa, threads: N })];
for (const e of engines) if (e.threads !== (e === engines[0] ? 1 : N)) throw new Error(`engine has ${e.threads} threads`);
const torch = withTorch ? await Torch.start() : undefined;
let torchNote = withTorch ? 'python3 cannot import torch: no PyTorch column' : '--no-torch';
if (torch) {
  const blas = torch.info.blas.join(' ');
  torchNote = `torch ${torch.info.torch}, ${torch.info.threads} thread, BLAS: ${blas || 'none found in the process maps (reference BLAS?)'}`;
  if (!/openblas/i.test(blas)) {
    console.error(`PyTorch does not use OpenBLAS (${blas || 'no BLAS library mapped'}): install libopenblas0-pthread; no torch column`);
    torch.close();
  }
}
const torchOk = torch && /openblas/i.test(torch.info.blas.join(' '));

/** A descent variant: run(reps) → { work, ms } of one measurement of reps repetitions. */
const kernelRun = (fn, workPerCall) => async (reps) => {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return { work: reps * workPerCall, ms: performance.now() - t0 };
};

function mlpShapes() {
  // [name, transA, transB, m, n, k, bias]; op(A) is m×k, op(B) k×n
  return [
    ['fwd  x·W1+b   100×784·784×500', false, false, 100, 500, 784, true],
    ['fwd  a1·W2+b  100×500·500×300', false, false, 100, 300, 500, true],
    ['fwd  a2·W3+b  100×300·300×10', false, false, 100, 10, 300, true],
    ['dW1  xᵀ·dZ1   784×100·100×500', true, false, 784, 500, 100, false],
    ['dW2  a1ᵀ·dZ2  500×100·100×300', true, false, 500, 300, 100, false],
    ['dW3  a2ᵀ·dZ3  300×100·100×10', true, false, 300, 10, 100, false],
    ['dX2  dZ2·W2ᵀ  100×300·(500×300)ᵀ', false, true, 100, 500, 300, false],
    ['dX3  dZ3·W3ᵀ  100×10·(300×10)ᵀ', false, true, 100, 300, 10, false],
  ];
}

function gemmVariant(e, transA, transB, m, n, k, bias, seed) {
  const A = e.keep(e.tensor(transA ? [k, m] : [m, k], random(m * k, seed)));
  const B = e.keep(e.tensor(transB ? [n, k] : [k, n], random(k * n, seed + 1)));
  const C = e.keep(e.tensor([m, n]));
  const b = bias ? e.keep(e.tensor([n], random(n, seed + 2))) : undefined;
  // a dense layer's forward pass on ≤ 128 rows reads W in place (gemmDirectB, gemm()'s bits;
  // src/nn/layers/dense.ts), training passes included
  if (bias && !transA && !transB && m <= 128) {
    const work = e.gemmWorkspace();
    return kernelRun(() => e.kernels.gemmDirectB(e.gemmTile, m, n, k, A.pointer(), k, B.pointer(), n, C.pointer(), n, b.pointer(), work), 2 * m * n * k);
  }
  return kernelRun(() => d.gemm(C, A, B, { transA, transB, bias: b }), 2 * m * n * k);
}

const STEP_WARM = 3;
function trainVariant(e, kind) {
  const model = new d.Model(e, SPEC);
  let offset = 0;
  const run = async (reps) => {
    const total = STEP_WARM + reps;
    const idx = Int32Array.from({ length: total * 100 }, (_, i) => (offset + i) % train.n);
    offset = (offset + total * 100) % train.n;
    const sub = d.subset(train, idx);
    const optimizer = kind === 'adam' ? (model.__adam ??= d.optimizer('adam', { lr: 1e-3 })) : undefined;
    let t0 = 0, seen = 0;
    d.fit(model, sub, { epochs: 1, batchSize: 100, shuffle: false, ...(optimizer ? { optimizer } : { lr: 0.1 }),
      onBatchEnd: (l) => { if (l.step === STEP_WARM) t0 = performance.now(); else if (l.step > STEP_WARM) seen += l.size; } });
    return { work: seen, ms: performance.now() - t0 };
  };
  return { model, run };
}

function inferVariant(model) {
  let j = 0;
  return async (reps) => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++, j = (j + 1) % 10) model.predict(test.x.subarray(j * 784000, (j + 1) * 784000), 1000);
    return { work: reps * 1000, ms: performance.now() - t0 };
  };
}

const BIG = 10_000_000;
function memVariants(e) {
  const arena = e.arena('bench threads 10M');
  const P = arena.tensor([BIG], random(BIG, 11, -1, 1)), G = arena.tensor([BIG], random(BIG, 12, -1, 1));
  const S = arena.tensor([BIG]), M = arena.tensor([BIG]), V = arena.tensor([BIG]);
  const K = e.kernels;
  const adam = d.optimizer('adam', { lr: 1e-3 });
  let step = 0;
  const p = P.pointer(), g = G.pointer(), s = S.pointer(), m = M.pointer(), v = V.pointer();
  return {
    adam: kernelRun(() => adam.step(P, G, { step: step++, epoch: 0 }), BIG),
    copy: kernelRun(() => K.copy(BIG, g, s), BIG * 8), // bytes moved
    ref28: kernelRun(() => { K.add(BIG, p, s, s); K.scal(BIG, 1, m); K.scal(BIG, 1, v); }, BIG), // params of 28 B
  };
}

// case: { name, unit, scale (work → unit), bar, torchBar?, variants: [d1, dN, torch?] }
const cases = [];
const G = 1e9;
cases.push({ id: 'gemm1024', name: 'GEMM 1024³ A·B', unit: 'GFLOP/s', scale: 1 / G, bar: 1.85,
  v: engines.map((e, i) => gemmVariant(e, false, false, 1024, 1024, 1024, false, 100 + i)), torch: 'gemm' });
mlpShapes().forEach(([name, ta, tb, m, n, k, bias], s) => {
  cases.push({ id: `shape${s}`, group: 'mlp-gemm', name: `MLP GEMM ${name}`, unit: 'GFLOP/s', scale: 1 / G, bar: 1.6,
    v: engines.map((e, i) => gemmVariant(e, ta, tb, m, n, k, bias, 200 + 10 * s + i)) });
});
const trainers = { sgd: engines.map((e) => trainVariant(e, 'sgd')), adam: engines.map((e) => trainVariant(e, 'adam')) };
cases.push({ id: 'train-sgd', name: 'MNIST MLP train, SGD, batch 100', unit: 'samples/s', scale: 1, bar: 1.6, torchBar: 1.0,
  v: trainers.sgd.map((t) => t.run), torch: 'sgd' });
cases.push({ id: 'train-adam', name: 'MNIST MLP train, Adam, batch 100', unit: 'samples/s', scale: 1, bar: undefined,
  v: trainers.adam.map((t) => t.run), torch: 'adam' });
cases.push({ id: 'infer1000', name: 'MNIST MLP inference, batch 1000', unit: 'samples/s', scale: 1, bar: 1.8,
  v: trainers.sgd.map((t) => inferVariant(t.model)), torch: 'infer' });
const mem = engines.map(memVariants);
cases.push({ id: 'adam10m', name: 'fused Adam step, 10M params', unit: 'G params/s', scale: 1 / G, bar: 1.3,
  v: mem.map((x) => x.adam), torch: 'adam10m' });
cases.push({ id: 'ref28', name: 'probe: add+scal+scal 10M (28 B/param)', unit: 'G params/s', scale: 1 / G,
  v: mem.map((x) => x.ref28) });
cases.push({ id: 'copy10m', name: 'probe: copy 10M floats (8 B/elem)', unit: 'GB/s', scale: 1 / G,
  v: mem.map((x) => x.copy) });
if (quick) cases.splice(1, 8, ...cases.slice(1, 9).filter((c) => c.id === 'shape0' || c.id === 'shape3'));

// ---- warm-up and calibration ----
log(`descent threads bench — node ${process.versions.node}, ${isa}, 1 vs ${N} threads, ${rounds} rounds, ≥ ${minMs} ms per measurement; ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
log(`data: ${realMnist ? 'MNIST from ../shared/data/mnist' : 'random data of MNIST\'s shape (../shared/data/mnist missing)'}; PyTorch: ${torchNote}`);
for (const c of cases) {
  c.runs = c.v.map((run) => ({ run, rates: [], others: [] }));
  if (torchOk && c.torch) c.runs.push({ run: (reps) => torch.run(c.torch, reps), rates: [], others: [], torch: true });
  for (const r of c.runs) {
    for (let w = 0; w < 3; w++) await r.run(1); // leave V8's baseline tier (and torch's first-call costs)
    const { ms } = await r.run(1);
    r.reps = Math.max(1, Math.ceil(minMs / Math.max(ms, 0.01)));
    await r.run(Math.min(r.reps, 3));
  }
}
// ---- how unequal the cores are, before and after the rounds ----
function vcpus() {
  if (!withVcpus || process.platform !== 'linux') return undefined;
  const script = fileURLToPath(new URL('./vcpu-speeds.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [...process.execArgv, script, '--rounds', '2', '--json'], { encoding: 'utf8' });
  try { const out = JSON.parse(r.stdout.trim().split('\n').pop()); return out.ratio ? out : undefined; } catch { return undefined; }
}
const vcpuBefore = vcpus();
const statsBefore = d.threadStats();

// ---- rounds ----
for (let round = 0; round < rounds; round++) {
  const order = cases.map((_, i) => cases[(i + round * 3) % cases.length]);
  for (const c of order) {
    const k = c.runs.length;
    for (let j = 0; j < k; j++) {
      const r = c.runs[(j + round) % k];
      const a = cpuNow();
      const { work, ms } = await r.run(r.reps);
      const b = cpuNow();
      r.rates.push(work / (ms / 1000) * c.scale);
      r.others.push(othersBetween(a, b));
    }
  }
}
const statsAfter = d.threadStats();
const vcpuAfter = vcpus();

// ---- results ----
function ratioStats(num, den) {
  const all = [], quiet = [];
  for (let i = 0; i < num.rates.length; i++) {
    const q = num.rates[i] / den.rates[i];
    all.push(q);
    if (num.others[i] < QUIET && den.others[i] < QUIET) quiet.push(q);
  }
  return { median: median(all), min: Math.min(...all), max: Math.max(...all), quiet: quiet.length ? median(quiet) : NaN, quietRounds: quiet.length };
}
const rows = [];
for (const c of cases) {
  const [r1, rN, rT] = c.runs;
  const row = {
    kind: 'case', id: c.id, name: c.name, unit: c.unit, isa, threads: N, rounds,
    rate_1: median(r1.rates), rate_n: median(rN.rates), rate_torch: rT ? median(rT.rates) : undefined,
    speedup: ratioStats(rN, r1), bar: c.bar,
    vs_torch: rT ? ratioStats(rN, rT) : undefined, torch_others_cores: rT ? median(rT.others) : undefined, vs_torch_1: rT ? ratioStats(r1, rT) : undefined, torch_bar: c.torchBar,
    others_cores: median([...r1.others, ...rN.others]),
    rates_1: r1.rates, rates_n: rN.rates, rates_torch: rT?.rates,
  };
  rows.push(row);
}
// the eight products of one step: time of the set, per round
{
  const shapes = cases.filter((c) => c.group === 'mlp-gemm');
  if (shapes.length) {
    const fl = shapes.map((c) => { const [, , , m, n, k] = mlpShapes()[Number(c.id.slice(5))]; return 2 * m * n * k; });
    const per = (t) => Array.from({ length: rounds }, (_, i) => fl.reduce((s, f, j) => s + f / (shapes[j].runs[t].rates[i] * G), 0));
    const t1 = per(0), tN = per(1);
    const total = fl.reduce((a, b) => a + b, 0);
    const r1 = { rates: t1.map((t) => total / t / G), others: t1.map((_, i) => Math.max(...shapes.map((c) => c.runs[0].others[i]))) };
    const rN = { rates: tN.map((t) => total / t / G), others: tN.map((_, i) => Math.max(...shapes.map((c) => c.runs[1].others[i]))) };
    const at = rows.findIndex((r) => r.id === shapes[shapes.length - 1].id) + 1;
    rows.splice(at, 0, { kind: 'case', id: 'mlp-gemm-sum', name: 'MLP GEMM all 8 of a step (sum of times)', unit: 'GFLOP/s', isa, threads: N, rounds,
      rate_1: median(r1.rates), rate_n: median(rN.rates), speedup: ratioStats(rN, r1), bar: 1.6,
      others_cores: median([...r1.others, ...rN.others]), step_ms_1: median(t1) * 1e3, step_ms_n: median(tN) * 1e3 });
  }
}

// ---- profile of the MNIST SGD step ----
const profile = [];
if (withProfile) {
  const steps = quick ? 40 : 100, reps = Number(opt('--profile-runs', quick ? 2 : 5));
  const res = engines.map(() => []);
  for (let rep = 0; rep < reps; rep++) {
    for (let ei = 0; ei < engines.length; ei++) {
      const e = engines[ei], model = trainers.sgd[ei].model, K = e.kernels;
      const acc = { forward: 0, backward: 0, optimizer: 0, kGemm: { forward: 0, backward: 0, optimizer: 0, other: 0 }, kOther: { forward: 0, backward: 0, optimizer: 0, other: 0 }, calls: 0, split: 0 };
      let phase = 'other';
      const orig = {};
      for (const name of Object.keys(K)) {
        const f = K[name];
        if (typeof f !== 'function') continue;
        orig[name] = f;
        const gemmK = name.startsWith('gemm');
        K[name] = (...a) => { const t = performance.now(); const r = f(...a); const dt = performance.now() - t; (gemmK ? acc.kGemm : acc.kOther)[phase] += dt; acc.calls++; return r; };
      }
      const wrap = (obj, key, label) => {
        const f = obj[key], own = Object.hasOwn(obj, key);
        obj[key] = function (...a) { const t = performance.now(); phase = label; try { return f.apply(this, a); } finally { phase = 'other'; acc[label] += performance.now() - t; } };
        return () => { if (own) obj[key] = f; else delete obj[key]; };
      };
      const opt = d.sgd({ lr: 0.1 });
      const undo = [wrap(model, 'forward', 'forward'), wrap(model, 'lossAndBackward', 'backward'), wrap(opt, 'step', 'optimizer')];
      const idx = Int32Array.from({ length: (steps + STEP_WARM) * 100 }, (_, i) => i % train.n);
      const sub = d.subset(train, idx);
      let t0 = 0, st0, snap, c0;
      d.fit(model, sub, { epochs: 1, batchSize: 100, shuffle: false, optimizer: opt,
        onBatchEnd: (l) => {
          if (l.step === STEP_WARM) {
            t0 = performance.now(); st0 = d.threadStats(); c0 = cpuNow();
            snap = JSON.parse(JSON.stringify({ ...acc, forward: acc.forward }));
          }
        } });
      const total = performance.now() - t0;
      const others = othersBetween(c0, cpuNow());
      const st1 = d.threadStats();
      for (const u of undo) u();
      for (const name of Object.keys(orig)) K[name] = orig[name];
      const per = (x) => x / steps;
      const sub2 = (k) => acc[k] - snap[k];
      const g = (k) => acc.kGemm[k] - snap.kGemm[k], o = (k) => acc.kOther[k] - snap.kOther[k];
      const rest = total - sub2('forward') - sub2('backward') - sub2('optimizer');
      res[ei].push({
        others, step: per(total), forward: per(sub2('forward')), backward: per(sub2('backward')), optimizer: per(sub2('optimizer')), rest: per(rest),
        gemm: { forward: per(g('forward')), backward: per(g('backward')), optimizer: per(g('optimizer')), rest: per(g('other')) },
        kernels: { forward: per(o('forward')), backward: per(o('backward')), optimizer: per(o('optimizer')), rest: per(o('other')) },
        calls: per(acc.calls - snap.calls),
        chunks_per_step: st0 && st0.length ? per(st1.reduce((a, b) => a + b, 0) - st0.reduce((a, b) => a + b, 0)) : 0,
      });
    }
  }
  const med = (list, f) => median(list.map(f));
  // quiet runs (others < QUIET) when at least two of each engine are, else all runs
  const quietRuns = res.map((L) => L.filter((x) => x.others < QUIET));
  const useQuiet = quietRuns.every((L) => L.length >= 2);
  for (let ei = 0; ei < engines.length; ei++) {
    const L = useQuiet ? quietRuns[ei] : res[ei];
    const p = { kind: 'profile', threads: engines[ei].threads, steps, reps, runs_used: L.length, quiet_only: useQuiet, others_cores: res[ei].map((x) => +x.others.toFixed(2)), calls_per_step: med(L, (x) => x.calls), chunks_per_step: med(L, (x) => x.chunks_per_step) };
    for (const part of ['forward', 'backward', 'optimizer', 'rest']) {
      const tot = med(L, (x) => x[part]);
      const gm = med(L, (x) => x.gemm[part]);
      const ok = med(L, (x) => x.kernels[part]);
      p[part] = { ms: tot, gemm_ms: gm, other_kernels_ms: ok, js_ms: tot - gm - ok };
    }
    p.step_ms = med(L, (x) => x.step);
    profile.push(p);
  }
}
torch?.close();

// ---- print ----
const meta = { kind: 'meta', node: process.version, isa, threads: N, rounds, min_ms: minMs, cpus: cpus().length, loadavg: loadavg(), data: realMnist ? 'mnist' : 'random',
  torch: torchOk ? torch.info : undefined, torch_note: torchNote, quiet_threshold_cores: QUIET,
  chunks_by_thread: statsAfter.map((x, i) => x - (statsBefore[i] ?? 0)), vcpus_before: vcpuBefore, vcpus_after: vcpuAfter };
const lines = [meta, ...rows, ...profile].map((x) => JSON.stringify(x));
if (opt('--save', undefined)) writeFileSync(opt('--save'), lines.join('\n') + '\n');
if (json) {
  for (const l of lines) console.log(l);
} else {
  const T = torchOk;
  log(`\n${'case'.padEnd(42)} ${'unit'.padEnd(10)} ${'1 thread'.padStart(9)} ${`${N} threads`.padStart(10)}  ${`${N}T/1T`.padStart(6)} ${'(min–max)'.padEnd(11)} ${'quiet'.padStart(9)} ${'bar'.padStart(5)}${T ? `  ${'torch 1T'.padStart(9)} ${`${N}T/torch`.padStart(9)} ${'(min–max)'.padEnd(11)} ${'quiet'.padStart(9)} ${'1T/torch'.padStart(8)}` : ''}  others`);
  for (const r of rows) {
    const big = r.rate_1 >= 1000;
    const v = (x) => (x === undefined ? '' : big ? Math.round(x).toString() : x.toFixed(2));
    const s = r.speedup;
    const pass = r.bar === undefined ? '' : s.median >= r.bar ? ' ok' : ' LOW';
    let line = `${r.name.padEnd(42)} ${r.unit.padEnd(10)} ${v(r.rate_1).padStart(9)} ${v(r.rate_n).padStart(10)}  ${fmt(s.median).padStart(6)} ${`(${fmt(s.min)}–${fmt(s.max)})`.padEnd(11)} ${`${fmt(s.quiet)}/${s.quietRounds}`.padStart(9)} ${(r.bar ? `${r.bar}${pass}` : '').padStart(5 + pass.length)}`;
    if (T) {
      if (r.vs_torch) {
        const tp = r.torch_bar === undefined ? '' : r.vs_torch.median >= r.torch_bar ? ' ok' : ' LOW';
        line += `  ${v(r.rate_torch).padStart(9)} ${fmt(r.vs_torch.median).padStart(9)} ${`(${fmt(r.vs_torch.min)}–${fmt(r.vs_torch.max)})`.padEnd(11)} ${`${fmt(r.vs_torch.quiet)}/${r.vs_torch.quietRounds}`.padStart(9)} ${fmt(r.vs_torch_1.median).padStart(8)}${tp}`;
      } else line += ' '.repeat(2 + 9 + 1 + 9 + 1 + 11 + 1 + 9 + 1 + 8);
    }
    log(`${line}  ${fmt(r.others_cores)}`);
  }
  log(`\nratios: medians over ${rounds} rounds of per-round ratios (range in brackets); quiet: median over rounds where other processes used < ${QUIET} cores in both measurements / how many such rounds; others: median cores used by other processes during this case's measurements`);
  const ref = rows.find((r) => r.id === 'ref28'), cp = rows.find((r) => r.id === 'copy10m'), ad = rows.find((r) => r.id === 'adam10m');
  if (ref && cp && ad) {
    log(`bandwidth: copy ${cp.rate_1.toFixed(1)} GB/s on 1 thread, ${cp.rate_n.toFixed(1)} on ${N} (×${fmt(cp.speedup.median)}); Adam's 28 B/param traffic as add+scal+scal: ${(ref.rate_1 * 28).toFixed(1)} → ${(ref.rate_n * 28).toFixed(1)} GB/s (×${fmt(ref.speedup.median)}), i.e. ≤ ${ref.rate_1.toFixed(3)} / ${ref.rate_n.toFixed(3)} G params/s for a streaming Adam; fused Adam reaches ${ad.rate_1.toFixed(3)} / ${ad.rate_n.toFixed(3)} (${(100 * ad.rate_n / ref.rate_n).toFixed(0)}% of the probe at ${N} threads)`);
  }
  if (profile.length) {
    log(`\nMNIST SGD step profile (ms per step, median of ${profile[0].quiet_only ? `the quiet ones (${profile.map((p) => p.runs_used).join(', ')})` : 'all'} of ${profile[0].reps} runs of ${profile[0].steps} steps per thread count, interleaved; cores used by others per run: ${profile.map((p) => `${p.threads}T ${p.others_cores.join(' ')}`).join('; ')}; each part: total = GEMM kernels + other kernels + JS):`);
    log(`${'threads'.padEnd(8)} ${'step'.padStart(7)}  ${['forward', 'loss+backward', 'optimizer', 'rest of fit'].map((x) => x.padEnd(27)).join(' ')} kernel calls, chunks / step`);
    for (const p of profile) {
      const part = (x) => `${fmt(x.ms, 3)} = ${fmt(x.gemm_ms, 3)}+${fmt(x.other_kernels_ms, 3)}+${fmt(x.js_ms, 3)}`.padEnd(27);
      log(`${String(p.threads).padEnd(8)} ${fmt(p.step_ms, 3).padStart(7)}  ${[p.forward, p.backward, p.optimizer, p.rest].map(part).join(' ')} ${fmt(p.calls_per_step, 0)}, ${fmt(p.chunks_per_step, 0)}`);
    }
    if (profile.length === 2) {
      const [a, b] = profile;
      log(`speedup by part (1T ms / ${N}T ms): step ${fmt(a.step_ms / b.step_ms)}, forward ${fmt(a.forward.ms / b.forward.ms)}, loss+backward ${fmt(a.backward.ms / b.backward.ms)}, optimizer ${fmt(a.optimizer.ms / b.optimizer.ms)}, rest ${fmt(a.rest.ms / b.rest.ms)}; GEMM kernels ${fmt((a.forward.gemm_ms + a.backward.gemm_ms) / (b.forward.gemm_ms + b.backward.gemm_ms))}`);
    }
  }
  log(`\nchunks run per thread during the rounds: ${meta.chunks_by_thread.join(', ')}; load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const vc = (v, key) => (v?.[key] ? Object.entries(v[key]).map(([k, r]) => `${k.split(' ')[0]} ${r.toFixed(2)}×`).join(', ') : 'not measured');
  if (withVcpus) {
    log(`vCPUs, one thread pinned to each in turn (bench/vcpu-speeds.mjs), slowest/fastest: before the rounds ${vc(vcpuBefore, 'ratio')}; after ${vc(vcpuAfter, 'ratio')}`);
    log(`  all pinned at once, slowest at once / fastest alone: before ${vc(vcpuBefore, 'ratioTogether')}; after ${vc(vcpuAfter, 'ratioTogether')} (at r×, two threads are at most 1 + 1/r times as fast as the fastest core alone)`);
  }
}
