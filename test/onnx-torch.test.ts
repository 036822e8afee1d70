// PyTorch → ONNX → descent: MLPs exported by torch.onnx.export (scripts/torch-onnx-fixtures.py,
// PyTorch 1.13, committed under test/fixtures/onnx/) imported with importOnnx give PyTorch's
// outputs within 1e-5 (|a − b| ≤ 1e-5·max(1, |b|)): Linear + ReLU/Tanh, Flatten, LeakyReLU,
// ELU, Softsign, Sigmoid, Dropout, BatchNorm1d (running statistics), LayerNorm (opset 17), a
// trailing Softmax (→ softmax-cross-entropy) and a trailing Sigmoid (→ bce-logits).
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../src/io/onnx/import.js';
import { engineFor, isas } from './engines.js';

interface Fixture { file: string; opset: number; shape: number[]; x: number[]; y: number[]; softmax: boolean; sigmoid: boolean }
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
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - f.y[i]) / Math.max(1, Math.abs(f.y[i])));
    report.push(`  ${isa.padEnd(8)} ${name.padEnd(22)} opset ${f.opset}  ${worst.toExponential(2)}  ${model.describe()}`);
    expect(y.length).toBe(f.y.length);
    expect(worst).toBeLessThanOrEqual(1e-5);
    model.release();
  });
});
