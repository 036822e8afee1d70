// Train a small network on the 8×8 digits set that ships with descentjs, in Bun, then classify an image.
//
//   bun add descentjs
//   bun train-digits.ts
//
// Bun takes the package's "bun" export (the Node bundle), which reads its own wasm file from
// node_modules/descentjs/wasm/. Bun runs relaxed SIMD (fused multiply-add).

import { init, backend, digits, trainTestSplit, Model, fit, evaluate } from 'descentjs';

const t0 = performance.now();
const engine = await init();
const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
const model = new Model(engine, {
  inputs: 64, loss: 'softmax-cross-entropy', seed: 1,
  layers: [{ units: 64, activation: 'tanh' }, { units: 10 }],
});
fit(model, train, { epochs: 10, batchSize: 32, lr: 0.2, seed: 1 });
const { accuracy = NaN } = evaluate(model, test);

const image: Float32Array = test.x.subarray(0, 64); // one test image: 64 pixels in [0, 1]
const [digit] = model.predictLabels(image);
const seconds = (performance.now() - t0) / 1000;
console.log(`accuracy ${(100 * accuracy).toFixed(1)}% isa ${backend().isa} · predicted ${digit} for a test image of a ${test.labels![0]} · ${seconds.toFixed(2)} s`);
