// Train a small network on the 8×8 digits set that ships with descentjs, in Deno, then classify an image.
//
//   deno run --allow-read train-digits.ts
//
// --allow-read lets descentjs read its own wasm file (node_modules/descentjs/wasm/*.wasm, or
// Deno's npm cache when there is no node_modules). In a folder with a package.json and
// node_modules, Deno takes the installed package (the version must match); elsewhere it
// downloads it from npm. Deno runs relaxed SIMD (fused multiply-add).

import { init, backend, digits, trainTestSplit, Model, fit, evaluate } from 'npm:descentjs@0.2.0';

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
