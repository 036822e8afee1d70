// A Vite app: `import … from 'descentjs'`. The package locates its wasm files with
// new URL('../../wasm/<build>.wasm', import.meta.url), which Vite recognizes and copies into the
// build (assets/simd-<hash>.wasm, assets/relaxed-simd-<hash>.wasm). Training runs in a Web
// Worker through fitInWorker, so the page stays responsive; the worker gets the page's compiled
// module, so it gives the same bits as fit() on the page — shown by training once in each.

import { init, backend, digits, trainTestSplit, Model, fit, fitInWorker, evaluate, optimizer } from 'descentjs';

const out = document.querySelector('#out');
const print = (text) => { out.textContent += `${text}\n`; };

function report(model, test, t0) {
  const { accuracy } = evaluate(model, test);
  const [digit] = model.predictLabels(test.x.subarray(0, 64)); // one test image: 64 pixels in [0, 1]
  const seconds = (performance.now() - t0) / 1000;
  return `accuracy ${(100 * accuracy).toFixed(1)}% isa ${backend().isa} · predicted ${digit} for a test image of a ${test.labels[0]} · ${seconds.toFixed(2)} s`;
}

try {
  const engine = await init();
  const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
  const spec = { inputs: 64, loss: 'softmax-cross-entropy', seed: 1, layers: [{ units: 64, activation: 'tanh' }, { units: 10 }] };
  const options = { epochs: 10, batchSize: 32, seed: 1, optimizer: { name: 'adam', hyper: { lr: 3e-3 } } };

  let t0 = performance.now();
  const inWorker = new Model(engine, spec);
  await fitInWorker(inWorker, train, options);
  print(`worker: ${report(inWorker, test, t0)}`);

  t0 = performance.now();
  const onPage = new Model(engine, spec);
  fit(onPage, train, { ...options, optimizer: optimizer('adam', { lr: 3e-3 }) });
  print(`page: ${report(onPage, test, t0)}`);

  const a = onPage.parameters().toArray(), b = inWorker.parameters().toArray();
  const same = a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  print(`same parameters: ${same} · wasm from ${backend().source}`);
} catch (e) {
  print(`error: ${e?.stack ?? e}`);
}
out.dataset.done = 'true';
