// `descent export` through dist/cli.js: a model trained by `descent train` exported as ONNX runs
// in onnxruntime-node on raw digits pixels and gives descent's predictions within 1e-5; --bare
// leaves the preprocessing out; torch writes its two files; mistakes are one-line errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Engine } from '../src/engine/engine.js';
import { loadModel } from '../src/io/model-file.js';
import { digits } from '../src/data/digits.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return a.length === b.length ? m : Infinity;
}

describe('descent export', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
    dir = mkdtempSync(join(tmpdir(), 'descent-export-'));
    const r = run(['train', '--epochs', '5', '--out', 'm.safetensors'], dir);
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  it('--format onnx: onnxruntime-node on raw pixels gives predict\'s outputs (all 1797 digits)', async () => {
    const r = run(['export', '--format', 'onnx', '--model', 'm.safetensors'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote m\.onnx \(onnx, [\d.]+ KiB\)/);
    expect(r.stdout).toContain('input preprocessing included');
    const model = loadModel(Engine.createSync({}), new Uint8Array(readFileSync(join(dir, 'm.safetensors'))));
    const raw = digits({ scale: 1 }).x;
    const s = await ort.InferenceSession.create(join(dir, 'm.onnx'));
    const o = await s.run({ input: new ort.Tensor('float32', raw, [1797, 64]) });
    const e = Math.max(maxRel(o.probabilities.data as Float32Array, model.predict(raw)), maxRel(o.logits.data as Float32Array, model.predict(raw, { output: 'logits' })));
    console.log(`descent export → onnxruntime-node, trained digits model, 1797 raw rows: max relative error ${e.toExponential(2)}`);
    expect(e).toBeLessThanOrEqual(1e-5);

    // --bare, the format from the .onnx extension: inputs are the prepared values
    const b = run(['export', '--model', 'm.safetensors', '--out', 'bare.onnx', '--bare'], dir);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain('left out (--bare)');
    const sb = await ort.InferenceSession.create(join(dir, 'bare.onnx'));
    const prepared = model.preprocessInputs(raw);
    const ob = await sb.run({ input: new ort.Tensor('float32', prepared, [1797, 64]) });
    expect(maxRel(ob.probabilities.data as Float32Array, model.predict(prepared, { preprocess: false }))).toBeLessThanOrEqual(1e-5);
  });

  it('--format torch writes the state_dict and its module', () => {
    const r = run(['export', '--format', 'torch', '--model', 'm.safetensors', '--out', 't.safetensors'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, 't.safetensors')) && existsSync(join(dir, 't.py'))).toBe(true);
  });

  it.each([
    [['export', '--model', 'm.safetensors'], /--format is required \(onnx, torch\)/],
    [['export', '--format', 'tflite', '--model', 'm.safetensors'], /unknown format "tflite"; known: onnx, torch/],
    [['export', '--format', 'onnx'], /--model FILE is required/],
    [['export', '--format', 'onnx', '--model', 'm.safetensors', '--out', 'm.safetensors'], /would overwrite the model file/],
    [['export', '--format', 'onnx', '--model', 'missing.safetensors'], /missing\.safetensors/],
  ])('%j → exit 1, one line', (args, message) => {
    const r = run(args as string[], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBe(1);
  });

  it('is listed in descent --help and has its own help', () => {
    expect(run(['--help'], dir).stdout).toMatch(/export {5}write a saved model as ONNX/);
    expect(run(['export', '--help'], dir).stdout).toContain('Usage: descent export --format F --model FILE');
  });
});
