// PyTorch → ONNX → descent: MLPs exported by torch.onnx.export (scripts/torch-onnx-fixtures.py,
// PyTorch 1.13, committed under test/fixtures/onnx/) imported with importOnnx give PyTorch's
// outputs within 1e-5 (|a − b| ≤ 1e-5·max(1, |b|)): Linear + ReLU/Tanh, Flatten, LeakyReLU,
// ELU, Softsign, Sigmoid, Dropout, BatchNorm1d (running statistics), LayerNorm (opset 17), a
// trailing Softmax (→ softmax-cross-entropy) and a trailing Sigmoid (→ bce-logits); and the
// x.view(x.size(0), -1) … log_softmax form (Shape/Gather/Unsqueeze/Concat/Reshape, LogSoftmax →
// softmax-cross-entropy whose probabilities are exp of torch's output).
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../src/io/onnx/import.js';
import { engineFor, isas } from './engines.js';

interface Fixture { file: string; opset: number; shape: number[]; x: number[]; y: number[]; softmax: boolean; sigmoid: boolean; logsoftmax: boolean }
const dir = new URL('./fixtures/onnx/', import.meta.url);
const { torch, fixtures } = JSON.parse(readFileSync(new URL('torch-onnx.json', dir), 'utf8')) as { torch: string; fixtures: Record<string, Fixture> };
const report: string[] = [];
afterAll(() => console.log(`PyTorch ${torch} → ONNX → descent (max relative error):\n${report.join('\n')}`));

describe.each(isas)('PyTorch-made ONNX files import (%s)', (isa) => {
  const engine = engineFor(isa);
  it.each(Object.entries(fixtures))('%s', (name, f) => {
    const model = importOnnx(engine, new Uint8Array(readFileSync(new URL(f.file, dir))), { what: f.file });
    const n = f.shape[0];
    expect(model.inputs).toBe(f.x.length / n);
    expect(model.loss).toBe(f.softmax ? 'softmax-cross-entropy' : f.sigmoid ? 'bce-logits' : 'mse');
    const y = model.predict(new Float32Array(f.x), n);
    // log_softmax: predict gives the probabilities, and its logits give the log-probabilities back
    const want = f.logsoftmax ? f.y.map(Math.exp) : f.y;
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - want[i]) / Math.max(1, Math.abs(want[i])));
    if (f.logsoftmax) {
      const z = model.predict(new Float32Array(f.x), { n, output: 'logits' });
      for (let r = 0; r < n; r++) {
        const row = z.subarray(r * 10, r * 10 + 10);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
        for (let j = 0; j < 10; j++) worst = Math.max(worst, Math.abs(row[j] - lse - f.y[r * 10 + j]) / Math.max(1, Math.abs(f.y[r * 10 + j])));
      }
    }
    report.push(`  ${isa.padEnd(8)} ${name.padEnd(22)} opset ${f.opset}  ${worst.toExponential(2)}  ${model.describe()}`);
    expect(y.length).toBe(f.y.length);
    expect(worst).toBeLessThanOrEqual(1e-5);
    model.release();
  });
});
