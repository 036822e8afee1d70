// Train a small network on the 8×8 digits set that ships with descentjs, then classify an image.
// Used by worker.js (in a module worker) and by index.html (on the page itself).
//
// The import is the package's browser bundle by path, as served from the app folder; with a
// bundler (Vite, webpack, esbuild) write `from 'descentjs'`. init() fetches the wasm file next
// to the bundle (node_modules/descentjs/wasm/<isa>.wasm): serve .wasm as application/wasm and
// it compiles while it downloads.

import { init, backend, digits, trainTestSplit, Model, fit, evaluate } from '../../node_modules/descentjs/dist/browser/index.js';

export async function trainDigits() {
  const t0 = performance.now();
  const engine = await init();
  const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
  const model = new Model(engine, {
    inputs: 64, loss: 'softmax-cross-entropy', seed: 1,
    layers: [{ units: 64, activation: 'tanh' }, { units: 10 }],
  });
  fit(model, train, { epochs: 10, batchSize: 32, lr: 0.2, seed: 1 });
  const { accuracy } = evaluate(model, test);
  const [digit] = model.predictLabels(test.x.subarray(0, 64)); // one test image: 64 pixels in [0, 1]
  const seconds = (performance.now() - t0) / 1000;
  return `accuracy ${(100 * accuracy).toFixed(1)}% isa ${backend().isa} · predicted ${digit} for a test image of a ${test.labels[0]} · ${seconds.toFixed(2)} s`;
}
