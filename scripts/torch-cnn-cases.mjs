// The descent → PyTorch CNN cases, shared by the dev-time generator (scripts/torch-cnn-fixtures.py
// runs scripts/torch-cnn-fixtures.mjs, which passes a bundle of src/) and by
// test/torch-cnn.test.ts (which passes the sources), so both make the same models. Each is a
// seeded CNN trained a few full-batch SGD steps on digits rows 0..63 in training mode (batch
// norm statistics, dropout masks), then put in eval mode; the exports' bytes follow the GEMM
// kernels' summation order (plain SIMD build, 4×8 tile), so the generator commits the exported
// safetensors torch ran (test/fixtures/torch/cnn-export-<name>.safetensors).
//
// cnnCases(d) → [{ name, model, exported: { safetensors, python, modules }, inputs, logits }]
//   inputs   what the generator feeds the exported .py, flat, channels-last (NHWC) like descent's
//            samples: it reshapes them to [N, h, w, c] and permutes to torch's [N, c, h, w]
//            (raw digits pixel counts 0..16 for the model with preprocessing, else pixels / 16)
//   logits   descent's own logits on those inputs (after model.preprocessInputs where it has one)
import { logits } from './torch-export-cases.mjs';

const ROWS = [100, 116]; // the 16 samples the logits are compared on
const TRAIN = [0, 64]; // the rows the models train on

export const CNN_SPECS = {
  // conv 'same' (odd kernel) → BatchNorm2d → max pool → grouped conv (tanh) → Dropout2d → average
  // pool without the padding in the count → flatten → BatchNorm1d on the flattened image
  // (its γ, β, statistics permuted) → dropout → Dense
  'cnn-pool': {
    inputs: [1, 8, 8], seed: 11,
    layers: [
      { type: 'conv2d', filters: 4, kernel: 3, padding: 'same', activation: 'linear' },
      { type: 'batchnorm', activation: 'relu' },
      { type: 'maxpool2d', kernel: 2 },
      { type: 'conv2d', filters: 8, kernel: 3, padding: 1, groups: 2, activation: 'tanh' },
      { type: 'dropout2d', rate: 0.25, seed: 5 },
      { type: 'avgpool2d', kernel: 2, stride: 1, padding: 1, countIncludePad: false },
      { type: 'flatten' },
      { type: 'batchnorm' },
      { type: 'dropout', rate: 0.2 },
      { units: 10 },
    ],
  },
  // conv 'same' with an even kernel (padded one more after), a depthwise stride-2 conv without
  // bias, BatchNorm2d, a dilated conv (ELU), global average pool → Dense (nn.AdaptiveAvgPool2d(1),
  // nn.Flatten(), nn.Linear)
  'cnn-global': {
    inputs: [1, 8, 8], seed: 12,
    layers: [
      { type: 'conv2d', filters: 6, kernel: 2, padding: 'same', activation: 'leaky-relu', alpha: 0.1 },
      { type: 'conv2d', filters: 6, kernel: 3, stride: 2, padding: 1, groups: 6, bias: false, activation: 'linear' },
      { type: 'batchnorm', activation: 'relu' },
      { type: 'conv2d', filters: 8, kernel: 3, padding: 2, dilation: 2, activation: 'elu', alpha: 0.7 },
      { type: 'globalavgpool' },
      { units: 10 },
    ],
  },
  // two input channels ([2, 8, 4]: a digit's 64 pixels read as 8×4 pixels of 2 channels), with
  // per-feature preprocessing (exported [c, h, w] in NCHW order), a strided conv with a
  // rectangular kernel and a Dense reading the 4×2×3 image directly (nn.Flatten() written)
  'cnn-channels': {
    inputs: [2, 8, 4], seed: 13,
    layers: [
      { type: 'conv2d', filters: 3, kernel: [3, 2], stride: 2, padding: [1, 0], activation: 'relu' },
      { units: 10 },
    ],
  },
};

/** `steps` full-batch SGD steps in training mode (batch norm statistics, dropout masks). */
export function train(model, x, labels, steps, lr) {
  model.train();
  const p = model.parameters().data;
  for (let s = 0; s < steps; s++) {
    model.lossAndGradient({ x, n: labels.length, labels });
    const g = model.gradients().data;
    for (let i = 0; i < p.length; i++) p[i] = Math.fround(p[i] - Math.fround(lr * g[i]));
  }
  model.eval();
}

export function cnnCases(d) {
  const engine = d.createEngineSync({ isa: 'simd', gemmTile: 4 });
  const raw = d.digits({ scale: 1 });
  const scaled = d.digits();
  const rows = (ds, [a, b]) => ds.x.slice(a * 64, b * 64);
  const labels = raw.labels.slice(TRAIN[0], TRAIN[1]);
  const out = [];
  for (const [name, spec] of Object.entries(CNN_SPECS)) {
    const model = new d.Model(engine, spec);
    if (name === 'cnn-channels') {
      const mean = new Float32Array(64), std = new Float32Array(64);
      const x = rows(raw, TRAIN);
      for (let j = 0; j < 64; j++) {
        let s = 0, s2 = 0;
        for (let i = 0; i < 64; i++) { const v = x[i * 64 + j] / 16; s += v; s2 += v * v; }
        mean[j] = s / 64;
        std[j] = Math.max(Math.sqrt(Math.max(s2 / 64 - (s / 64) ** 2, 0)), 0.1);
      }
      model.setPreprocess({ scale: 1 / 16, mean, std });
      train(model, model.preprocessInputs(x), labels, 4, 0.1);
      const inputs = rows(raw, ROWS);
      out.push({ name, model, exported: d.exportTorch(model), inputs, logits: logits(model, model.preprocessInputs(inputs)) });
    } else {
      train(model, rows(scaled, TRAIN), labels, 4, 0.1);
      const inputs = rows(scaled, ROWS);
      out.push({ name, model, exported: d.exportTorch(model), inputs, logits: logits(model, inputs) });
    }
  }
  return out;
}
