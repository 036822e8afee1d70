// Test page for fitInWorker in Chromium (train-worker.browser.test.ts): the browser bundle,
// served from its place in the package (/dist/browser/index.js, which fetches
// /wasm/<build>.wasm and starts /dist/browser/train-worker.js). Each run in a worker is compared
// with fit on this page's main thread, bit for bit. The test calls window.runTrainWorker().
import * as d from '/dist/browser/index.js';

const u32 = (a) => new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** '' when the two Float32Arrays have the same bits, else how many elements differ. */
function differ(a, b) {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const x = u32(a), y = u32(b);
  let n = 0, first = -1;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) { n++; if (first < 0) first = i; }
  return n ? `${n} of ${a.length} differ, first at ${first}: ${a[first]} vs ${b[first]}` : '';
}

/** Parameters, running statistics and pass counter of two models: '' when all equal. */
function modelDiff(a, b) {
  const out = [];
  const p = differ(a.parameters().toArray(), b.parameters().toArray());
  if (p) out.push(`parameters: ${p}`);
  a.buffers().forEach((x, i) => {
    const s = differ(x.tensor.toArray(), b.buffers()[i].tensor.toArray());
    if (s) out.push(`${x.name}: ${s}`);
  });
  if (a.passes !== b.passes) out.push(`passes ${a.passes} vs ${b.passes}`);
  return out.join('; ');
}

const json = (h) => JSON.stringify(h, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v));

/** requestAnimationFrame callbacks counted while `fn` runs. */
async function countFrames(fn) {
  let frames = 0, on = true;
  const tick = () => { if (on) { frames++; requestAnimationFrame(tick); } };
  requestAnimationFrame(tick);
  try {
    const value = await fn();
    return { value, frames };
  } finally {
    on = false;
  }
}

async function runTrainWorker() {
  const engine = await d.init();
  const { train, test } = d.trainTestSplit(d.digits(), { testFraction: 0.2, seed: 1 });
  const small = d.subset(train, Int32Array.from({ length: 200 }, (_, i) => i));
  const out = {
    crossOriginIsolated: self.crossOriginIsolated, sharedArrayBuffer: typeof SharedArrayBuffer, backend: engine.backend(),
  };

  // 1. a batch-norm + dropout model with Adam: worker vs this thread; rAF frames during each
  const spec = { inputs: 64, seed: 2, layers: [{ units: 256, bias: false }, { type: 'batchnorm', activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { units: 128 }, { units: 10 }] };
  const options = { epochs: 6, batchSize: 16, seed: 4, validationData: test };
  const b = new d.Model(engine, spec);
  const epochs = [];
  const progress = [];
  const inWorker = await countFrames(() => d.fitInWorker(b, train, {
    ...options, optimizer: { name: 'adam', hyper: { lr: 1e-3 } },
    onEpochEnd: (l) => { epochs.push(l.epoch); }, onProgress: (p) => { progress.push(p.step); },
  }));
  const a = new d.Model(engine, spec);
  const onMain = await countFrames(() => d.fit(a, train, { ...options, optimizer: d.optimizer('adam', { lr: 1e-3 }) }));
  out.adam = {
    model: modelDiff(a, b), history: json(inWorker.value) === json(onMain.value), passes: b.passes, epochs, progressEvents: progress.length,
    framesInWorker: inWorker.frames, framesOnMain: onMain.frames, valAccuracy: inWorker.value.valAccuracy.at(-1),
  };

  // 2. fit's default (plain SGD): history and parameters
  {
    const mlp = () => new d.Model(engine, { inputs: 64, layers: [{ units: 32 }, { units: 10 }], seed: 1 });
    const x = mlp(), y = mlp();
    const hx = d.fit(x, train, { epochs: 2, lr: 0.1, seed: 3, recordSteps: true });
    const hy = await d.fitInWorker(y, train, { epochs: 2, lr: 0.1, seed: 3, recordSteps: true });
    out.sgd = { model: modelDiff(x, y), history: json(hx) === json(hy) };
  }

  // 3. abort mid-epoch from a progress event; compared with fit aborted after the same step
  {
    const mlp = () => new d.Model(engine, { inputs: 64, layers: [{ units: 64 }, { units: 10 }], seed: 5 });
    const y = mlp();
    const controller = new AbortController();
    const B = 8, stepsPerEpoch = Math.ceil(train.n / B), abortAt = stepsPerEpoch + 20;
    const hy = await d.fitInWorker(y, train, {
      epochs: 4, batchSize: B, seed: 3, recordSteps: true, progressEveryMs: 0, signal: controller.signal,
      onProgress: (p) => { if (p.step === abortAt) controller.abort(); },
    });
    const steps = hy.steps.length;
    const x = mlp();
    const here = new AbortController();
    const hx = d.fit(x, train, { epochs: 4, batchSize: B, seed: 3, recordSteps: true, signal: here.signal, onBatchEnd: (l) => { if (l.step === steps) here.abort(); } });
    out.abort = {
      abortAt, steps, total: 4 * stepsPerEpoch, stopped: hy.stopped, model: modelDiff(x, y), history: json(hx) === json(hy),
      accuracy: d.evaluate(y, test).accuracy, predicted: y.predictLabels(test.x).length,
    };
  }

  // 4. full-batch L-BFGS: the same run; and a 'stop' at iteration 3 keeps that iterate
  {
    const mlp = () => new d.Model(engine, { inputs: 64, layers: [{ units: 16 }, { units: 10 }], seed: 6 });
    const x = mlp(), y = mlp();
    const hx = d.fit(x, small, { epochs: 8, optimizer: d.lbfgs() });
    const hy = await d.fitInWorker(y, small, { epochs: 8, optimizer: { name: 'lbfgs' } });
    const stop = (l) => (l.epoch === 3 ? 'stop' : undefined);
    const s = mlp(), t = mlp();
    const hs = d.fit(s, small, { epochs: 8, optimizer: d.lbfgs(), onEpochEnd: stop });
    const ht = await d.fitInWorker(t, small, { epochs: 8, optimizer: { name: 'lbfgs' }, onEpochEnd: stop });
    out.lbfgs = {
      model: modelDiff(x, y), history: json(hx) === json(hy),
      stopModel: modelDiff(s, t), stopHistory: json({ ...hs, minimize: undefined }) === json(ht), stopped: ht.stopped,
    };
  }

  // 5. an error only the worker notices
  {
    const m = new d.Model(engine, { inputs: 64, layers: [{ units: 10 }] });
    const expected = await d.fitAsync(m, train, { batchSize: 5000 }).then(() => 'resolved', (e) => e.message);
    const got = await d.fitInWorker(m, train, { batchSize: 5000 }).then(() => ({ name: 'resolved' }), (e) => ({ name: e.name, message: e.message, isDescentError: e instanceof d.DescentError }));
    out.error = { expected, ...got };
  }
  return out;
}

window.runTrainWorker = runTrainWorker;
window.trainWorkerPageReady = true;
