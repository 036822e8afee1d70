// Writes docs/pictures/confusion-digits.svg and docs/pictures/roc-digits.svg: a 64-32-10 tanh
// MLP trained on the embedded digits set (Adam, 20 epochs), its test-set confusion matrix, and
// the one-vs-rest ROC curves of three digits from its predicted probabilities. After `npm run build`.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as d from '../dist/node/index.js';

const out = fileURLToPath(new URL('../docs/pictures/', import.meta.url));
mkdirSync(out, { recursive: true });
const e = await d.createEngine();
const { train, test } = d.trainTestSplit(d.digits(), { testFraction: 0.2, seed: 1 });
const z = d.fitStandardizer(train);
const tr = z.apply(train), te = z.apply(test);
const model = new d.Model(e, { inputs: 64, layers: [{ units: 32, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 3 });
d.fit(model, tr, { epochs: 20, batchSize: 32, optimizer: d.optimizer('adam', { lr: 3e-3 }), seed: 1 });
const probs = model.predict(te.x, te.n);
const pred = model.predictLabels(te.x, te.n);
const m = d.confusionMatrix(pred, te.labels, 10);
writeFileSync(out + 'confusion-digits.svg', d.confusionMatrixSvg(m, { title: `Digits test set: confusion matrix (${te.n} samples, accuracy ${(100 * d.evaluate(model, te).accuracy).toFixed(1)}%)` }));
const curves = [3, 8, 9].map((k) => ({
  name: `digit ${k} vs rest`,
  roc: d.rocCurve(Float64Array.from({ length: te.n }, (_, i) => probs[i * 10 + k]), Int32Array.from(te.labels, (l) => (l === k ? 1 : 0))),
}));
writeFileSync(out + 'roc-digits.svg', d.rocCurveSvg(curves, { title: 'Digits: one-vs-rest ROC from the predicted probabilities' }));
console.log('wrote docs/pictures/confusion-digits.svg and roc-digits.svg');
