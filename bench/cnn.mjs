// LeNet-5 training side by side: descent (1 and N threads), tfjs on its wasm backend, and PyTorch
// on one thread, in one process (issue #15's acceptance: descent 1T ≥ 10× tfjs-wasm and ≥ 0.5×
// one-thread PyTorch, samples/s, same run).
//
//   node --experimental-wasm-relaxed-simd bench/cnn.mjs [--rounds R] [--steps S] [--batches 64,100]
//        [--threads N] [--optimizer sgd|adam] [--isa simd|relaxed-simd] [--tfjs DIR]
//        [--tfjs-dw conv2d|conv3d] [--no-tfjs] [--no-torch] [--no-profile] [--quick] [--json]
//
// Network (LeNet-5 as commonly implemented, ReLU and max pooling), the same in every framework:
//   conv 6 5×5 padding 2, relu → maxpool 2 → conv 16 5×5, relu → maxpool 2 → dense 120 relu →
//   dense 84 relu → dense 10; softmax cross-entropy (mean over the batch); plain SGD lr 0.05
//   (--optimizer adam: Adam lr 1e-3 everywhere). 61,706 parameters.
//   descent: Model { inputs: [1, 28, 28], layers: conv2d / maxpool2d / dense } through d.fit (NHWC
//   inside), on an engine with threads: 1 and one with threads: N (default 2), same ISA (relaxed
//   where the runtime has it).
//   tfjs: @tensorflow/tfjs 4.x tf.layers.sequential, NHWC, trainOnBatch, backend 'wasm'
//   (@tensorflow/tfjs-backend-wasm, SIMD build). In Node the package reports no multithread
//   support, so it runs on one thread (the bench also sets WASM_HAS_MULTITHREAD_SUPPORT false).
//   tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a tf.layers conv2d cannot train
//   on it as shipped. The bench registers one for 'wasm' made of the backend's own kernels:
//   --tfjs-dw conv2d (default, the faster): dW = Conv2D(xᵀ [C,H,W,N], dyᵀ [OH,OW,N,F]) through
//   XNNPACK, transposed to [KH,KW,C,F]; --tfjs-dw conv3d: the backend's naive
//   Conv3DBackpropFilterV2 on depth-1 views. Stride 1 only (all LeNet-5 needs). Both are checked against the cpu
//   backend's Conv2DBackpropFilter before timing (rel. error < 1e-4).
//   tfjs is not a dependency of descent: it is loaded from the project's node_modules, else from
//   --tfjs DIR (or $TFJS_DIR): a folder where `npm install --prefix DIR @tensorflow/tfjs@4.22.0
//   @tensorflow/tfjs-backend-wasm@4.22.0` was run (outside the project); missing: no tfjs column.
//   PyTorch: /usr/bin/python3 subprocess, NCHW nn.Sequential, OPENBLAS_NUM_THREADS=1 and
//   torch.set_num_threads(1); it reports the BLAS it mapped and the bench refuses a non-OpenBLAS
//   one (Debian's torch without libopenblas0-pthread runs a reference BLAS ~10× slower).
// Data: MNIST training images (pixels / 255) from ../shared/data/mnist, the first 10,000 cycled
// through in order, the same batches for every framework; random data of that shape when absent.
//
// Timing: one measurement = STEP_WARM (3) untimed steps, then S timed steps (default 40 at batch
// 100; at other batch sizes the same number of samples, S·100/batch steps); samples/s. Every
// variant is warmed once before the rounds. R rounds (default 7, --quick 3); in each round every
// framework is measured at each batch size one right after the other (order rotating by round),
// so a slow phase of the shared machine hits all of them. Rates: median (min–max) over rounds;
// ratios: median (min–max) of the per-round ratios. "others": the median cores that *other*
// processes used during the measurements (/proc/stat minus this process and the Python child);
// a round is quiet when others < 0.25 in both halves of a ratio, and the quiet median is shown.
// Profile (--no-profile to skip): descent's batch-100 SGD step at 1 and N threads, time inside
// engine.kernels split into GEMM (and by GEMM shape), the fused conv kernels (lowering + GEMM:
// forward, weight gradient, input gradient), im2col, col2im, max pooling, activations,
// the loss, the optimizer, other kernels; the rest is JS (fit's staging, checks, layer glue).
import { existsSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as d from '../dist/node/index.js';
import { median, cpuNow as cpuNowOf, othersBetween } from './timing.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const json = args.includes('--json');
const quick = args.includes('--quick');
const rounds = Number(opt('--rounds', quick ? 3 : 7));
const steps100 = Number(opt('--steps', quick ? 20 : 40));
const batches = opt('--batches', '64,100').split(',').map(Number);
const N = Number(opt('--threads', 2));
const optName = opt('--optimizer', 'sgd');
const tfjsDw = opt('--tfjs-dw', 'conv2d');
const withTfjs = !args.includes('--no-tfjs');
const withTorch = !args.includes('--no-torch');
const withProfile = !args.includes('--no-profile');
const isa = opt('--isa', d.supportedIsas().includes('relaxed-simd') ? 'relaxed-simd' : 'simd');
if (!['sgd', 'adam'].includes(optName)) throw new Error(`--optimizer: sgd or adam, got ${optName}`);
if (!['conv2d', 'conv3d'].includes(tfjsDw)) throw new Error(`--tfjs-dw: conv2d or conv3d, got ${tfjsDw}`);
if (!Number.isInteger(N) || N < 2) throw new Error(`--threads: an integer ≥ 2, got ${opt('--threads')}`);
if (!batches.every((b) => Number.isInteger(b) && b > 0)) throw new Error(`--batches: positive integers, got ${opt('--batches')}`);
const log = (...a) => { if (!json) console.log(...a); };
const fmt = (x, dig = 2) => (x === undefined || x === null || Number.isNaN(x) ? '—' : x.toFixed(dig));
const LR_SGD = 0.05, LR_ADAM = 1e-3, STEP_WARM = 3, POOL = 10000;
const stepsFor = (batch) => Math.max(1, Math.round(steps100 * 100 / batch));
// multiply-adds per sample, forward: conv1 28·28·6·25, conv2 10·10·16·150, dense 400·120 + 120·84 + 84·10
const MACS_FWD = 784 * 6 * 25 + 100 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10;
const FLOP_TRAIN = 2 * (3 * MACS_FWD - 784 * 6 * 25); // forward, dW, dX (none for the first layer)

// ---- CPU used by other processes (Linux), as bench/threads.mjs ----
const QUIET = 0.25;
let pyPid = 0;
const cpuNow = () => cpuNowOf(pyPid);

// ---- data: the first POOL training images, [n, 784] = [n, 1, 28, 28] = [n, 28, 28, 1] ----
const dataDir = new URL('../../shared/data/mnist/', import.meta.url);
const realMnist = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'].every((f) => existsSync(new URL(f, dataDir)));
let train;
if (realMnist) {
  const load = async (f) => d.parseIdx(new Uint8Array(readFileSync(new URL(f, dataDir))), f);
  const full = d.idxDataset(await load('train-images-idx3-ubyte.gz'), await load('train-labels-idx1-ubyte.gz'));
  train = d.subset(full, Int32Array.from({ length: POOL }, (_, i) => i));
} else {
  const x = new Float32Array(POOL * 784);
  let s = 1;
  for (let i = 0; i < x.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; x[i] = s / 2 ** 32; }
  train = { n: POOL, features: 784, classes: 10, x, labels: Int32Array.from({ length: POOL }, (_, i) => (i * 7919) % 10) };
}

// ---- descent ----
const SPEC = { inputs: [1, 28, 28], layers: [
  { type: 'conv2d', filters: 6, kernel: 5, padding: 2, activation: 'relu' }, { type: 'maxpool2d', kernel: 2 },
  { type: 'conv2d', filters: 16, kernel: 5, activation: 'relu' }, { type: 'maxpool2d', kernel: 2 },
  { units: 120, activation: 'relu' }, { units: 84, activation: 'relu' }, { units: 10 },
], loss: 'softmax-cross-entropy', seed: 1 };
const engines = [await d.createEngine({ isa, threads: 1 }), await d.createEngine({ isa, threads: N })];
for (const [i, e] of engines.entries()) if (e.threads !== (i ? N : 1)) throw new Error(`engine has ${e.threads} threads, wanted ${i ? N : 1}`);

function descentVariant(e, batch) {
  const model = new d.Model(e, SPEC);
  const optimizer = optName === 'adam' ? d.optimizer('adam', { lr: LR_ADAM }) : d.sgd({ lr: LR_SGD });
  let offset = 0;
  const run = async (steps) => {
    const total = (STEP_WARM + steps) * batch;
    const sub = d.subset(train, Int32Array.from({ length: total }, (_, i) => (offset + i) % train.n));
    offset = (offset + total) % train.n;
    let t0 = 0, seen = 0, loss = NaN;
    d.fit(model, sub, { epochs: 1, batchSize: batch, shuffle: false, optimizer,
      onBatchEnd: (l) => { if (l.step === STEP_WARM) t0 = performance.now(); else if (l.step > STEP_WARM) { seen += l.size; loss = l.loss; } } });
    return { samples: seen, ms: performance.now() - t0, loss };
  };
  return { model, run, optimizer };
}

// ---- tfjs (wasm backend) ----
let tf, tfjsNote = withTfjs ? '' : '--no-tfjs';
if (withTfjs) {
  const bases = [fileURLToPath(import.meta.url), opt('--tfjs', undefined), process.env.TFJS_DIR].filter(Boolean);
  for (const base of bases) {
    try {
      const req = createRequire(base.endsWith('.mjs') ? base : join(resolve(base), 'package.json'));
      const t = req('@tensorflow/tfjs');
      const wasmPath = req.resolve('@tensorflow/tfjs-backend-wasm');
      const wasm = req('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(dirname(wasmPath) + '/');
      tf = { tf: t, wasm, from: base.endsWith('.mjs') ? 'the project\'s node_modules' : resolve(base) };
      break;
    } catch { /* next */ }
  }
  if (!tf) tfjsNote = 'no @tensorflow/tfjs + @tensorflow/tfjs-backend-wasm found (project node_modules, --tfjs DIR, $TFJS_DIR): no tfjs column';
}

/** Registers Conv2DBackpropFilter for 'wasm' from the backend's own kernels (see the header). */
function registerFilterGrad(t) {
  const k3 = t.getKernel('Conv3DBackpropFilterV2', 'wasm'), kT = t.getKernel('Transpose', 'wasm'), kC = t.getKernel('Conv2D', 'wasm');
  t.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    const { strides, pad, filterShape, dataFormat, dimRoundingMode } = attrs;
    if (dataFormat && dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter shim: NHWC only, got ${dataFormat}`);
    const s = Array.isArray(strides) ? strides : [strides, strides];
    if (s[0] !== 1 || s[1] !== 1) throw new Error('Conv2DBackpropFilter shim: stride 1 only (LeNet-5)');
    if (tfjsDw === 'conv3d') {
      const view = (a) => ({ dataId: a.dataId, dtype: a.dtype, shape: [a.shape[0], 1, ...a.shape.slice(1)] });
      const r = k3.kernelFunc({ inputs: { x: view(x), dy: view(dy) }, backend, attrs: { strides: [1, s[0], s[1]], pad, filterShape: [1, ...filterShape] } });
      return { dataId: r.dataId, dtype: r.dtype, shape: filterShape };
    }
    const p = t.backend_util.computeConv2DInfo(x.shape, filterShape, s, 1, pad, dimRoundingMode).padInfo;
    const xT = kT.kernelFunc({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }); // [C, H, W, N]
    const dyT = kT.kernelFunc({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }); // [OH, OW, N, F]
    const c = kC.kernelFunc({ inputs: { x: xT, filter: dyT }, backend,
      attrs: { strides: [1, 1], pad: [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] } }); // [C, KH, KW, F]
    const r = kT.kernelFunc({ inputs: { x: c }, backend, attrs: { perm: [1, 2, 0, 3] } }); // [KH, KW, C, F]
    for (const z of [xT, dyT, c]) backend.disposeData(z.dataId);
    return r;
  } });
}

async function setupTfjs() {
  const t = tf.tf;
  t.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await t.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialize');
  await t.ready();
  const simd = await t.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  registerFilterGrad(t);
  // the shim against the cpu backend's kernel, both LeNet shapes
  const cases = [[[7, 28, 28, 1], [7, 28, 28, 6], [5, 5, 1, 6], 'same'], [[7, 14, 14, 6], [7, 10, 10, 16], [5, 5, 6, 16], 'valid']];
  const got = [], ins = [];
  for (const [xs, dys, fs, pad, st = 1] of cases) {
    const x = t.randomUniform(xs, -1, 1, 'float32', 1), dy = t.randomUniform(dys, -1, 1, 'float32', 2);
    ins.push([x.dataSync().slice(), dy.dataSync().slice()]);
    got.push(t.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [st, st], pad, dataFormat: 'NHWC', filterShape: fs }).dataSync().slice());
    t.dispose([x, dy]);
  }
  await t.setBackend('cpu');
  let worst = 0;
  cases.forEach(([xs, dys, fs, pad, st = 1], i) => {
    const want = t.engine().runKernel('Conv2DBackpropFilter', { x: t.tensor(ins[i][0], xs), dy: t.tensor(ins[i][1], dys) }, { strides: [st, st], pad, dataFormat: 'NHWC', filterShape: fs }).dataSync();
    const scale = Math.max(...want.map(Math.abs));
    for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got[i][j] - want[j]) / scale);
  });
  t.disposeVariables();
  await t.setBackend('wasm');
  if (!(worst < 1e-4)) throw new Error(`tfjs Conv2DBackpropFilter shim (${tfjsDw}) disagrees with the cpu backend: rel. error ${worst}`);
  return { simd, worst, threads: tf.wasm.getThreadsCount?.() ?? 1 };
}

function tfjsVariant(batch, X, Y) {
  const t = tf.tf;
  const model = t.sequential({ layers: [
    t.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
    t.layers.maxPooling2d({ poolSize: 2 }),
    t.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    t.layers.maxPooling2d({ poolSize: 2 }),
    t.layers.flatten(),
    t.layers.dense({ units: 120, activation: 'relu' }),
    t.layers.dense({ units: 84, activation: 'relu' }),
    t.layers.dense({ units: 10 }),
  ] });
  model.compile({ optimizer: optName === 'adam' ? t.train.adam(LR_ADAM) : t.train.sgd(LR_SGD), loss: (y, p) => t.losses.softmaxCrossEntropy(y, p) });
  let pos = 0;
  const nb = Math.floor(POOL / batch);
  const step = async () => {
    const i = (pos++ % nb) * batch;
    const xb = X.slice([i, 0, 0, 0], [batch, 28, 28, 1]), yb = Y.slice([i, 0], [batch, 10]);
    const loss = await model.trainOnBatch(xb, yb);
    t.dispose([xb, yb]);
    return loss;
  };
  const run = async (steps) => {
    for (let s = 0; s < STEP_WARM; s++) await step();
    const t0 = performance.now();
    let loss;
    for (let s = 0; s < steps; s++) loss = await step();
    return { samples: steps * batch, ms: performance.now() - t0, loss };
  };
  return { model, run };
}

// ---- PyTorch ----
const PY = String.raw`
import sys, os, json, time, gzip
import numpy as np
import torch
torch.set_num_threads(1)
data_dir, use_real, pool, opt_name = sys.argv[1], sys.argv[2] == '1', int(sys.argv[3]), sys.argv[4]
lr_sgd, lr_adam, warm = float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
def idx(f):
    b = gzip.open(os.path.join(data_dir, f)).read()
    nd = b[3]; dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)
if use_real:
    X = torch.from_numpy(idx('train-images-idx3-ubyte.gz')[:pool].reshape(-1, 1, 28, 28).astype(np.float32) / 255)
    Y = torch.from_numpy(idx('train-labels-idx1-ubyte.gz')[:pool].astype(np.int64))
else:
    X = torch.rand(pool, 1, 28, 28); Y = torch.arange(pool) * 7919 % 10
nn = torch.nn
def lenet():
    torch.manual_seed(1)
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
loss_fn = nn.CrossEntropyLoss()
models = {}
def train(batch, steps):
    if batch not in models:
        m = lenet()
        o = torch.optim.Adam(m.parameters(), lr=lr_adam) if opt_name == 'adam' else torch.optim.SGD(m.parameters(), lr=lr_sgd)
        models[batch] = [m, o, 0]
    st = models[batch]; m, o = st[0], st[1]
    nb = pool // batch
    def step():
        i = (st[2] % nb) * batch; st[2] += 1
        o.zero_grad()
        loss = loss_fn(m(X[i:i + batch]), Y[i:i + batch])
        loss.backward()
        o.step()
        return loss
    for s in range(warm): step()
    t = time.perf_counter()
    for s in range(steps): loss = step()
    sec = time.perf_counter() - t
    return steps * batch, sec, loss.item()
m0 = lenet()
torch.mm(torch.rand(64, 64), torch.rand(64, 64))
blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower()})
print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas,
                  'params': sum(p.numel() for p in m0.parameters()), 'mkldnn': torch.backends.mkldnn.is_available(), 'openblas_num_threads': os.environ.get('OPENBLAS_NUM_THREADS')}), flush=True)
for line in sys.stdin:
    c = json.loads(line)
    n, sec, loss = train(c['batch'], c['steps'])
    print(json.dumps({'samples': n, 'sec': sec, 'loss': loss}), flush=True)
`;

class Torch {
  static async start() {
    if (spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return undefined;
    const p = spawn('/usr/bin/python3', ['-c', PY, fileURLToPath(dataDir), realMnist ? '1' : '0', String(POOL), optName, String(LR_SGD), String(LR_ADAM), String(STEP_WARM)], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, stdio: ['pipe', 'pipe', 'inherit'],
    });
    const t = new Torch(p);
    t.info = await t.next();
    if (t.info.error) throw new Error(t.info.error);
    pyPid = p.pid;
    return t;
  }
  buf = '';
  waiting = [];
  lines = [];
  constructor(p) {
    this.p = p;
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (s) => {
      this.buf += s;
      for (let i; (i = this.buf.indexOf('\n')) >= 0;) {
        const line = JSON.parse(this.buf.slice(0, i)); this.buf = this.buf.slice(i + 1);
        const w = this.waiting.shift();
        if (w) w(line); else this.lines.push(line);
      }
    });
    p.on('exit', (code) => { for (const w of this.waiting) w({ error: `python exited ${code}` }); });
  }
  next() { return this.lines.length ? Promise.resolve(this.lines.shift()) : new Promise((r) => this.waiting.push(r)); }
  async run(batch, steps) {
    this.p.stdin.write(JSON.stringify({ batch, steps }) + '\n');
    const r = await this.next();
    if (r.error) throw new Error(r.error);
    return { samples: r.samples, ms: r.sec * 1000, loss: r.loss };
  }
  close() { this.p.stdin.end(); }
}

// ---- set up every framework ----
let tfInfo, X, Y;
if (tf) {
  tfInfo = await setupTfjs();
  X = tf.tf.tensor4d(train.x, [POOL, 28, 28, 1]);
  Y = tf.tf.oneHot(tf.tf.tensor1d(train.labels, 'int32'), 10);
  tfjsNote = `@tensorflow/tfjs ${tf.tf.version.tfjs} (from ${tf.from}), backend wasm (${tfInfo.simd ? 'SIMD' : 'no SIMD'} build, ${tfInfo.threads} thread), tf.layers + trainOnBatch; Conv2DBackpropFilter shim: ${tfjsDw === 'conv2d' ? 'Conv2D (XNNPACK) on transposed operands' : 'naive Conv3DBackpropFilterV2 on depth-1 views'}, rel. error vs cpu backend ${tfInfo.worst.toExponential(1)}`;
}
const torch = withTorch ? await Torch.start() : undefined;
let torchNote = withTorch ? 'python3 cannot import torch: no PyTorch column' : '--no-torch';
if (torch) {
  const blas = torch.info.blas.join(' ');
  torchNote = `torch ${torch.info.torch}, ${torch.info.threads} thread, OPENBLAS_NUM_THREADS=${torch.info.openblas_num_threads}, oneDNN (mkldnn) ${torch.info.mkldnn ? 'available: its convolutions run there, native AVX2' : 'not available'}, BLAS: ${blas || 'none mapped (reference BLAS?)'}`;
  if (!/openblas/i.test(blas)) {
    console.error(`PyTorch does not use OpenBLAS (${blas || 'no BLAS library mapped'}): install libopenblas0-pthread; no torch column`);
    torch.close();
  }
}
const torchOk = torch && /openblas/i.test(torch.info.blas.join(' '));

// variants per batch size: [descent 1T, descent NT, tfjs?, torch?]
const groups = batches.map((batch) => {
  const v = engines.map((e, i) => ({ name: `descent ${i ? N : 1}T`, key: i ? 'dN' : 'd1', ...descentVariant(e, batch) }));
  if (tf) v.push({ name: 'tfjs-wasm 1T', key: 'tfjs', ...tfjsVariant(batch, X, Y) });
  if (torchOk) v.push({ name: 'PyTorch 1T', key: 'torch', run: (steps) => torch.run(batch, steps) });
  return { batch, steps: stepsFor(batch), v };
});
const params = [groups[0].v[0].model.parameterCount, tf ? groups[0].v.find((x) => x.key === 'tfjs')?.model.countParams() : undefined, torchOk ? torch.info.params : undefined];
if (params.some((p) => p !== undefined && p !== params[0])) throw new Error(`parameter counts differ: descent, tfjs, torch = ${params.join(', ')}`);

log(`descent LeNet-5 bench — node ${process.versions.node}, ${isa}, descent 1 and ${N} threads, ${optName === 'adam' ? `Adam lr ${LR_ADAM}` : `SGD lr ${LR_SGD}`}, batches ${batches.join(', ')}, ${rounds} rounds of ${groups.map((g) => `${g.steps} steps at batch ${g.batch}`).join(' / ')} (+${STEP_WARM} warm-up steps each); ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
log(`data: ${realMnist ? `MNIST training images (first ${POOL}) from ../shared/data/mnist` : 'random data of MNIST\'s shape (../shared/data/mnist missing)'}; ${params[0]} parameters in every framework`);
log(`tfjs: ${tfjsNote}`);
log(`PyTorch: ${torchNote}`);

// ---- warm-up, rounds ----
const tfTensors0 = tf ? tf.tf.memory().numTensors : 0;
for (const g of groups) for (const x of g.v) { await x.run(Math.max(2, Math.round(g.steps / 4))); x.rates = []; x.others = []; x.losses = []; }
for (let round = 0; round < rounds; round++) {
  for (const g of groups) {
    const k = g.v.length;
    for (let j = 0; j < k; j++) {
      const x = g.v[(j + round) % k];
      const a = cpuNow();
      const { samples, ms, loss } = await x.run(g.steps);
      const b = cpuNow();
      x.rates.push(samples / (ms / 1000));
      x.others.push(othersBetween(a, b));
      x.losses.push(loss);
    }
  }
}
const tfLeak = tf ? tf.tf.memory().numTensors - tfTensors0 : 0;
if (tfLeak > 0) console.error(`tfjs: ${tfLeak} tensors more after the rounds than before (a leak in the tfjs variant)`);

function ratio(a, b) {
  if (!a || !b) return undefined;
  const all = [], quiet = [];
  for (let i = 0; i < a.rates.length; i++) {
    const q = a.rates[i] / b.rates[i];
    all.push(q);
    if (a.others[i] < QUIET && b.others[i] < QUIET) quiet.push(q);
  }
  return { median: median(all), min: Math.min(...all), max: Math.max(...all), quiet: quiet.length ? median(quiet) : NaN, quietRounds: quiet.length };
}
const results = groups.map((g) => {
  const by = Object.fromEntries(g.v.map((x) => [x.key, x]));
  return {
    kind: 'batch', batch: g.batch, steps: g.steps, rounds,
    frameworks: g.v.map((x) => ({ name: x.name, key: x.key, median: median(x.rates), min: Math.min(...x.rates), max: Math.max(...x.rates),
      gflops: median(x.rates) * FLOP_TRAIN / 1e9, others: median(x.others), last_loss: x.losses.at(-1), rates: x.rates })),
    ratios: {
      d1_tfjs: ratio(by.d1, by.tfjs), d1_torch: ratio(by.d1, by.torch), dN_torch: ratio(by.dN, by.torch), dN_d1: ratio(by.dN, by.d1), dN_tfjs: ratio(by.dN, by.tfjs),
    },
  };
});

// ---- profile: descent's batch-100 step, time inside kernels by kind ----
const GEMM = new Set(['gemm', 'gemmDirectB', 'gemmSmallM', 'packA', 'packB']);
const KIND = (name) => (GEMM.has(name) ? 'gemm' : name === 'im2col' ? 'im2col' : name === 'col2im' ? 'col2im'
  : name === 'convForward' ? 'conv fwd' : name === 'convWeightPartials' || name === 'convPartialSum' ? 'conv dW' : name === 'convInputGrad' ? 'conv dX'
  : /pool/i.test(name) ? 'maxpool' : name.startsWith('act') ? 'activation' : /softmax|xent|loss/i.test(name) ? 'loss'
    : name.startsWith('opt') || name.startsWith('tf') ? 'optimizer' : 'other');
const profile = [];
if (withProfile) {
  const batch = batches.includes(100) ? 100 : batches[0];
  const steps = quick ? 20 : 40, reps = quick ? 2 : 5;
  const runs = engines.map(() => []);
  for (let rep = 0; rep < reps; rep++) {
    for (let ei = 0; ei < engines.length; ei++) {
      const e = engines[ei], K = e.kernels, model = groups.find((g) => g.batch === batch).v[ei].model;
      const acc = { kinds: {}, shapes: {}, calls: 0 };
      let on = false;
      const orig = {};
      for (const name of Object.keys(K)) {
        const f = K[name];
        if (typeof f !== 'function') continue;
        orig[name] = f;
        const kind = KIND(name);
        K[name] = (...a) => {
          const t = performance.now(); const r = f(...a); const dt = performance.now() - t;
          if (on) {
            acc.kinds[kind] = (acc.kinds[kind] ?? 0) + dt; acc.calls++;
            if (name === 'gemm') {
              // gemm(tile, transA, transB, m, n, k, …): op(A) m×k, op(B) k×n
              const key = `${a[1] ? 'Aᵀ' : 'A'}·${a[2] ? 'Bᵀ' : 'B'} m=${a[3]} n=${a[4]} k=${a[5]}`;
              const s = (acc.shapes[key] ??= { ms: 0, flop: 0, calls: 0 });
              s.ms += dt; s.flop += 2 * a[3] * a[4] * a[5]; s.calls++;
            } else if (GEMM.has(name)) {
              const s = (acc.shapes[name] ??= { ms: 0, flop: 0, calls: 0 });
              s.ms += dt; s.calls++;
            }
          }
          return r;
        };
      }
      const idx = Int32Array.from({ length: (steps + STEP_WARM) * batch }, (_, i) => i % train.n);
      const sub = d.subset(train, idx);
      const optimizer = optName === 'adam' ? d.optimizer('adam', { lr: LR_ADAM }) : d.sgd({ lr: LR_SGD });
      let t0 = 0, c0;
      try {
        d.fit(model, sub, { epochs: 1, batchSize: batch, shuffle: false, optimizer,
          onBatchEnd: (l) => { if (l.step === STEP_WARM) { t0 = performance.now(); c0 = cpuNow(); on = true; } } });
      } finally {
        for (const name of Object.keys(orig)) K[name] = orig[name];
      }
      const total = performance.now() - t0;
      runs[ei].push({ step: total / steps, others: othersBetween(c0, cpuNow()), kinds: Object.fromEntries(Object.entries(acc.kinds).map(([k, v]) => [k, v / steps])),
        shapes: Object.fromEntries(Object.entries(acc.shapes).map(([k, s]) => [k, { ms: s.ms / steps, gflops: s.flop / s.ms / 1e6, calls: s.calls / steps }])), calls: acc.calls / steps });
    }
  }
  for (let ei = 0; ei < engines.length; ei++) {
    const L = runs[ei];
    const kinds = [...new Set(L.flatMap((r) => Object.keys(r.kinds)))];
    const shapes = [...new Set(L.flatMap((r) => Object.keys(r.shapes)))];
    const p = { kind: 'profile', threads: engines[ei].threads, batch, steps, reps, others: L.map((r) => +r.others.toFixed(2)),
      step_ms: median(L.map((r) => r.step)), calls: median(L.map((r) => r.calls)), kinds: {}, shapes: {} };
    for (const k of kinds) p.kinds[k] = median(L.map((r) => r.kinds[k] ?? 0));
    p.kinds.js = p.step_ms - Object.values(p.kinds).reduce((a, b) => a + b, 0);
    for (const s of shapes) p.shapes[s] = { ms: median(L.map((r) => r.shapes[s]?.ms ?? 0)), gflops: median(L.map((r) => r.shapes[s]?.gflops ?? 0)), calls: median(L.map((r) => r.shapes[s]?.calls ?? 0)) };
    profile.push(p);
  }
}
torch?.close();

// ---- print ----
const meta = { kind: 'meta', node: process.version, isa, threads: N, optimizer: optName, rounds, steps100, batches, cpus: cpus().length, loadavg: loadavg(),
  data: realMnist ? 'mnist' : 'random', tfjs: tfjsNote, torch: torchNote, flop_per_sample: FLOP_TRAIN, tfjs_tensor_leak: tfLeak };
if (json) {
  for (const x of [meta, ...results, ...profile]) console.log(JSON.stringify(x));
} else {
  const BAR_TFJS = 10, BAR_TORCH = 0.5;
  const mark = (r, bar) => (r ? (r.median >= bar ? 'ok' : 'LOW') : '');
  const rs = (r) => (r ? `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)}) q ${fmt(r.quiet)}/${r.quietRounds}` : '—');
  for (const res of results) {
    log(`\nbatch ${res.batch}: samples/s over ${res.steps} steps, median (min–max) of ${rounds} rounds`);
    log(`${'framework'.padEnd(14)} ${'samples/s'.padStart(9)}  ${'(min–max)'.padEnd(15)} ${'GFLOP/s'.padStart(7)}  others  last loss`);
    for (const f of res.frameworks) log(`${f.name.padEnd(14)} ${Math.round(f.median).toString().padStart(9)}  ${`(${Math.round(f.min)}–${Math.round(f.max)})`.padEnd(15)} ${fmt(f.gflops, 1).padStart(7)}  ${fmt(f.others).padStart(6)}  ${fmt(f.last_loss, 3)}`);
    const R = res.ratios;
    log(`ratios (median of per-round ratios, (min–max), q = median over quiet rounds / their count):`);
    if (R.d1_tfjs) log(`  descent 1T / tfjs-wasm   ${rs(R.d1_tfjs).padEnd(34)} bar ≥ ${BAR_TFJS}:  ${mark(R.d1_tfjs, BAR_TFJS)}`);
    if (R.d1_torch) log(`  descent 1T / torch 1T    ${rs(R.d1_torch).padEnd(34)} bar ≥ ${BAR_TORCH}: ${mark(R.d1_torch, BAR_TORCH)}`);
    if (R.dN_torch) log(`  descent ${N}T / torch 1T    ${rs(R.dN_torch).padEnd(34)} (${BAR_TORCH}: ${mark(R.dN_torch, BAR_TORCH)})`);
    if (R.dN_tfjs) log(`  descent ${N}T / tfjs-wasm   ${rs(R.dN_tfjs)}`);
    log(`  descent ${N}T / descent 1T  ${rs(R.dN_d1)}`);
  }
  log(`\nGFLOP/s: samples/s × ${(FLOP_TRAIN / 1e6).toFixed(3)} MFLOP (forward + weight and input gradients, none for the first layer's input; pooling, activations and the loss not counted)`);
  for (const p of profile) {
    const share = (ms) => `${fmt(ms, 3)} ms ${(100 * ms / p.step_ms).toFixed(0).padStart(3)}%`;
    log(`\ndescent ${p.threads}T profile, batch ${p.batch}: ${fmt(p.step_ms, 3)} ms/step (${Math.round(p.batch / p.step_ms * 1000)} samples/s with the wrappers), median of ${p.reps} runs of ${p.steps} steps, ${fmt(p.calls, 0)} kernel calls/step; others' cores per run ${p.others.join(' ')}`);
    for (const [k, ms] of Object.entries(p.kinds).sort((a, b) => b[1] - a[1])) log(`  ${k.padEnd(11)} ${share(ms)}`);
    log(`  GEMM calls by shape (ms/step, GFLOP/s, calls/step):`);
    for (const [s, v] of Object.entries(p.shapes).sort((a, b) => b[1].ms - a[1].ms)) log(`    ${s.padEnd(30)} ${fmt(v.ms, 3).padStart(7)} ms ${fmt(v.gflops, 1).padStart(6)} GFLOP/s ${fmt(v.calls, 0).padStart(3)}`);
  }
  log(`\nload average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}${tfLeak > 0 ? `; tfjs leaked ${tfLeak} tensors` : ''}`);
}
process.exit(0);
