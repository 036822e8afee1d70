// `descent predict` through dist/cli.js, as a user runs it (issue #12 item 2).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { loadModel } from '../src/io/model-file.js';
import { digits } from '../src/data/digits.js';
import { encodeIdx } from '../src/data/idx.js';
import { trainTestSplit } from '../src/data/split.js';
import { parseCsv } from '../src/data/csv.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
const accuracyLine = (s: string) => /test accuracy [\d.]+% \(error [\d.]+%\), test loss [\d.]+/.exec(s)?.[0];

describe('descent predict', () => {
  let dir: string;
  let trained: ReturnType<typeof run>;
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
    dir = mkdtempSync(join(tmpdir(), 'descent-predict-'));
    trained = run(['train'], dir); // the defaults: digits, standardized, seed 0, 100 epochs
    expect(trained.status, trained.stderr).toBe(0);
  }, 120_000);

  it('after a default descent train, --split test prints exactly the test accuracy and loss train printed, from raw pixels', () => {
    const r = run(['predict', '--model', 'descent-model.safetensors', '--data', 'digits', '--split', 'test'], dir);
    expect(r.status, r.stderr).toBe(0);
    const want = accuracyLine(trained.stdout)!;
    expect(want).toBeDefined();
    expect(accuracyLine(r.stderr)).toBe(want); // the report goes to stderr when the predictions take stdout
    // the same confusion matrix and per-class table
    const table = (s: string) => s.slice(s.indexOf('confusion matrix'), s.indexOf('accuracy 0.'));
    expect(table(r.stderr)).toBe(table(trained.stdout));
    // the file carries the pixel scale and the standardizer: the library on the data set's own values agrees
    const model = loadModel(Engine.createSync({ isa: 'simd' }), new Uint8Array(readFileSync(join(dir, 'descent-model.safetensors'))));
    expect(model.preprocess?.scale).toBe(1 / 16);
    expect(model.preprocess?.mean?.length).toBe(64);
    const { test } = trainTestSplit(digits({ scale: 1 }), { seed: 0 });
    const pred = model.predictLabels(test.x);
    const acc = pred.filter((c, i) => c === test.labels![i]).length / test.n;
    expect(`${(100 * acc).toFixed(2)}%`).toBe(/test accuracy ([\d.]+%)/.exec(want)![1]);
    expect(acc).toBeGreaterThan(0.95);
    // CSV on stdout: header, one row per test sample, rows are the split's rows of the data set
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(['row', 'label', 'class', ...Array.from({ length: 10 }, (_, j) => `p_${j}`)].join(','));
    expect(lines.length).toBe(1 + test.n);
    const { testIndices } = trainTestSplit(digits(), { seed: 0 });
    lines.slice(1).forEach((l, i) => {
      const c = l.split(',').map(Number);
      expect(c[0]).toBe(testIndices[i]);
      expect(c[1]).toBe(test.labels![i]);
      expect(c[2]).toBe(pred[i]);
      expect(Math.abs(c.slice(3).reduce((a, b) => a + b) - 1)).toBeLessThan(1e-5);
    });
  }, 120_000);

  it('--format jsonl --output logits|classes --out FILE', () => {
    const r = run(['predict', '--model', 'descent-model.safetensors', '--split', 'test', '--format', 'jsonl', '--output', 'logits', '--out', 'p.jsonl'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(accuracyLine(r.stdout)).toBe(accuracyLine(trained.stdout)); // with --out the report takes stdout
    expect(r.stdout).toMatch(/wrote 359 predictions \(logits, jsonl\) to p.jsonl/);
    const rows = readFileSync(join(dir, 'p.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(359);
    for (const o of rows) {
      expect(Object.keys(o)).toEqual(['row', 'label', 'class', 'logits']);
      expect(o.logits.length).toBe(10);
      expect(o.class).toBe(o.logits.indexOf(Math.max(...o.logits)));
    }
    const c = run(['predict', '--model', 'descent-model.safetensors', '--output', 'classes', '--format', 'jsonl', '--quiet'], dir);
    expect(c.status, c.stderr).toBe(0);
    const first = c.stdout.split('\n')[0];
    expect(Object.keys(JSON.parse(first))).toEqual(['row', 'label', 'class']);
    expect(c.stderr).toMatch(/^accuracy [\d.]+% \(error [\d.]+%\), loss [\d.]+ · 1797 samples/);
    expect(c.stderr).not.toMatch(/confusion/);
  }, 60_000);

  it('--split all | train | test: every row once, train and test the seeded split of train (--seed)', () => {
    const get = (split: string, seed = '0') => {
      const r = run(['predict', '--model', 'descent-model.safetensors', '--split', split, '--seed', seed, '--output', 'classes'], dir);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(',').map(Number));
    };
    const all = get('all');
    expect(all.map((c) => c[0])).toEqual(Array.from({ length: 1797 }, (_, i) => i));
    expect(all.map((c) => c[1])).toEqual(Array.from(digits().labels!));
    for (const seed of ['0', '7']) {
      const tr = get('train', seed), te = get('test', seed);
      const split = trainTestSplit(digits(), { seed: Number(seed) });
      expect(te.map((c) => c[0])).toEqual(Array.from(split.testIndices));
      expect(tr.map((c) => c[0])).toEqual(Array.from(split.trainIndices));
      // the same predictions as in --split all
      for (const c of [...tr, ...te]) expect(c[2]).toBe(all[c[0]][2]);
    }
    // a different --test-fraction is a different split
    const r = run(['predict', '--model', 'descent-model.safetensors', '--split', 'test', '--test-fraction', '0.5', '--output', 'classes', '--quiet'], dir);
    expect(r.stdout.trimEnd().split('\n').length).toBe(1 + Math.round(1797 * 0.5));
  }, 60_000);

  it('image data: train stores the pixel scale 1/255, predict reads the bytes and prints the same test accuracy', () => {
    const idx = join(dir, 'idx');
    mkdirSync(idx, { recursive: true });
    const d = digits({ scale: 1 });
    const { train, test } = trainTestSplit(d, { seed: 1 });
    const bytes = (x: Float32Array) => Uint8Array.from(x, (v) => v * 15); // 0…240: byte images
    const put = (stem: string, ds: typeof train) => {
      writeFileSync(join(idx, `${stem}-images-idx3-ubyte`), encodeIdx({ type: 'u8', dims: [ds.n, 8, 8], data: bytes(ds.x) }));
      writeFileSync(join(idx, `${stem}-labels-idx1-ubyte`), encodeIdx({ type: 'u8', dims: [ds.n], data: Uint8Array.from(ds.labels!) }));
    };
    put('train', train);
    put('t10k', test);
    const t = run(['train', '--data', 'idx:idx', '--epochs', '20', '--quiet', '--out', 'img.safetensors'], dir);
    expect(t.status, t.stderr).toBe(0);
    const model = loadModel(Engine.createSync({ isa: 'simd' }), new Uint8Array(readFileSync(join(dir, 'img.safetensors'))));
    expect(model.preprocess).toEqual({ scale: 1 / 255 });
    const p = run(['predict', '--model', 'img.safetensors', '--data', 'idx:idx', '--split', 'test', '--out', 'img.csv', '--quiet'], dir);
    expect(p.status, p.stderr).toBe(0);
    expect(accuracyLine(p.stdout)).toBe(accuracyLine(t.stdout));
    const rows = readFileSync(join(dir, 'img.csv'), 'utf8').trimEnd().split('\n');
    expect(rows.length).toBe(1 + test.n);
    expect(rows[1].split(',')[0]).toBe(String(train.n)); // test rows follow the training files' rows
  }, 120_000);

  it('csv data: string class names travel in the file and labels are matched by name', () => {
    const d = digits();
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const csv = (order: number[]) => ['species,' + Array.from({ length: 64 }, (_, i) => `p${i}`).join(','),
      ...order.map((i) => [names[d.labels![i]], ...Array.from(d.x.subarray(i * 64, i * 64 + 64))].join(','))].join('\n');
    const rows = Array.from({ length: 600 }, (_, i) => i);
    writeFileSync(join(dir, 'named.csv'), csv(rows));
    const t = run(['train', '--data', 'csv:named.csv', '--label', 'species', '--epochs', '30', '--quiet', '--out', 'named.safetensors'], dir);
    expect(t.status, t.stderr).toBe(0);
    const model = loadModel(Engine.createSync({ isa: 'simd' }), new Uint8Array(readFileSync(join(dir, 'named.safetensors'))));
    // the CSV names classes in the order they first appear
    expect([...model.classNames!].sort()).toEqual([...names].sort());
    const p = run(['predict', '--model', 'named.safetensors', '--data', 'csv:named.csv', '--label', 'species', '--split', 'test', '--quiet'], dir);
    expect(p.status, p.stderr).toBe(0);
    expect(accuracyLine(p.stderr)).toBe(accuracyLine(t.stdout));
    expect(p.stdout.split('\n')[0]).toBe(['row', 'label', 'class', 'class_name', ...model.classNames!.map((n) => `p_${n}`)].join(','));
    // another file whose classes appear in another order: its labels are mapped onto the model's ids by name
    writeFileSync(join(dir, 'other.csv'), csv(Array.from({ length: 300 }, (_, i) => 1796 - i)));
    const o = run(['predict', '--model', 'named.safetensors', '--data', 'csv:other.csv', '--label', 'species', '--output', 'classes'], dir);
    expect(o.status, o.stderr).toBe(0);
    const got = o.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(','));
    got.forEach((c, i) => expect(model.classNames![Number(c[1])]).toBe(names[d.labels![1796 - i]]));
    expect(Number(/^accuracy ([\d.]+)%/.exec(o.stderr)![1])).toBeGreaterThan(85);
  }, 120_000);

  it('--no-label: a CSV of features only (the values as the data holds them) gets predictions and no report', () => {
    const d = digits({ scale: 1 });
    const csv = ['p' + Array.from({ length: 64 }, (_, i) => i).join(',p'), ...Array.from({ length: 5 }, (_, i) => Array.from(d.x.subarray(i * 64, i * 64 + 64)).join(','))].join('\n');
    writeFileSync(join(dir, 'features.csv'), csv);
    const parsed = parseCsv(csv, { label: null });
    expect([parsed.n, parsed.features, parsed.labels, parsed.featureNames?.[63]]).toEqual([5, 64, undefined, 'p63']);
    const r = run(['predict', '--model', 'descent-model.safetensors', '--data', 'csv:features.csv', '--no-label', '--output', 'classes'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const model = loadModel(Engine.createSync({ isa: 'simd' }), new Uint8Array(readFileSync(join(dir, 'descent-model.safetensors'))));
    const want = model.predictLabels(d.x.subarray(0, 5 * 64));
    expect(r.stdout).toBe(['row,class', ...Array.from(want, (c, i) => `${i},${c}`)].join('\n') + '\n');
    expect(Array.from(want)).toEqual(Array.from(d.labels!.subarray(0, 5)));
  }, 60_000);

  it('errors are one line and exit 1', () => {
    writeFileSync(join(dir, 'narrow.csv'), ['a,b,label', '1,2,0', '3,4,1', '5,6,0'].join('\n'));
    const bad = (args: string[], msg: RegExp) => {
      const r = run(['predict', ...args], dir);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr.trimEnd().split('\n').length).toBe(1);
      expect(r.stderr).toMatch(msg);
    };
    bad([], /--model FILE is required/);
    bad(['--model', 'missing.safetensors'], /--model missing.safetensors: no such file/);
    bad(['--model', 'descent-model.safetensors', '--split', 'val'], /--split: expected test, train, all, got "val"/);
    bad(['--model', 'descent-model.safetensors', '--format', 'xml'], /--format: expected csv or jsonl/);
    bad(['--model', 'descent-model.safetensors', '--output', 'scores'], /--output: expected probabilities, logits, classes/);
    bad(['--model', 'descent-model.safetensors', '--data', 'csv:narrow.csv'], /2 features per sample, the model takes 64/);
    bad(['--model', 'narrow.csv'], /not a safetensors file|not valid JSON|truncated/);
    bad(['--model', 'descent-model.safetensors', '--standardize'], /Unknown option '--standardize'/);
  }, 60_000);
});
