// Loss options (nn/losses.ts): validation before anything is allocated, reductions through
// fit/evaluate/objectives, probability targets in training, the model file and transfer
// keeping the options, and the CLI flags (--loss huber:δ, --label-smoothing, --pos-weight,
// --reduction). Values against PyTorch: losses-torch.test.ts.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { Model, type ModelSpec } from '../src/nn/model.js';
import { checkLossSpec, lossSpecOf } from '../src/nn/losses.js';
import { loadModel, modelSpec, saveModel } from '../src/io/model-file.js';
import { evaluate, fit } from '../src/train/fit.js';
import { growModel } from '../src/nn/transfer.js';
import { sgd } from '../src/train/optimizer.js';
import { Random } from '../src/random.js';
import { train } from '../src/cli/train.js';
import { lossFromFlags } from '../src/cli/loss-flags.js';
import { isas, engineFor } from './engines.js';
import { closeThreads, createEngine } from '../src/index.js';

const e = engineFor(isas[0]);
const spec = (loss: unknown, outputs = 3): ModelSpec => ({ inputs: 4, layers: [{ units: 5, activation: 'tanh' }, { units: outputs }], loss: loss as never });

function data(n: number, outputs: number, kind: 'labels' | 'soft' | 'real', seed = 1) {
  const r = new Random(seed);
  const x = Float32Array.from({ length: n * 4 }, () => r.normal());
  if (kind === 'labels') return { x, n, features: 4, labels: Int32Array.from({ length: n }, (_, i) => (x[i * 4] > 0 ? 1 : 0) + (x[i * 4 + 1] > 0 ? 1 : 0)), classes: outputs };
  const t = new Float32Array(n * outputs);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < outputs; j++) { t[i * outputs + j] = kind === 'real' ? x[i * 4 + j % 4] * 2 : Math.exp(x[i * 4 + (j % 4)]); s += t[i * outputs + j]; }
    if (kind === 'soft') for (let j = 0; j < outputs; j++) t[i * outputs + j] /= s;
  }
  return { x, n, features: 4, targets: t, targetWidth: outputs };
}

describe('loss options: validation', () => {
  const bad: [unknown, RegExp][] = [
    ['hubber', /unknown loss "hubber"; known: softmax-cross-entropy, mse, mse-mean, huber, smooth-l1, bce-logits, bce/],
    [{ name: 'softmax-cross-entropy', labelSmoothing: 1.5 }, /labelSmoothing must be a number in \[0, 1\], got 1.5/],
    [{ name: 'softmax-cross-entropy', labelSmoothing: '0.1' }, /labelSmoothing must be a number in \[0, 1\]/],
    [{ name: 'mse', labelSmoothing: 0.1 }, /loss mse has no option "labelSmoothing" \(labelSmoothing belongs to softmax-cross-entropy\)/],
    [{ name: 'bce-logits', posWeight: [1, 2] }, /posWeight has 2 weights, the model has 3 outputs/],
    [{ name: 'bce-logits', posWeight: [1, -2, 1] }, /posWeight\[1\] must be a finite number ≥ 0, got -2/],
    [{ name: 'bce-logits', posWeight: NaN }, /posWeight must be finite numbers ≥ 0/],
    [{ name: 'huber', delta: 0 }, /loss huber: delta must be a finite number > 0, got 0/],
    [{ name: 'huber', beta: 1 }, /loss huber has no option "beta" \(beta belongs to smooth-l1\)/],
    [{ name: 'smooth-l1', beta: -1 }, /beta must be a finite number ≥ 0, got -1/],
    [{ name: 'mse', reduction: 'none' }, /reduction 'none' leaves no scalar to train on/],
    [{ name: 'mse', reduction: 'avg' }, /loss reduction must be 'mean' or 'sum', got "avg"/],
    [{ reduction: 'sum' }, /loss name: unknown loss undefined/],
    [['mse'], /loss must be a name .* or \{ name, reduction\?, … \}/],
  ];
  for (const [loss, msg] of bad) {
    it(`refuses ${JSON.stringify(loss)} before allocating anything`, () => {
      const before = e.memoryStats().liveBytes;
      let err: unknown;
      try { new Model(e, spec(loss)); } catch (x) { err = x; }
      expect(err).toBeInstanceOf(DescentError);
      expect((err as Error).message).toMatch(msg);
      expect(e.memoryStats().liveBytes).toBe(before);
    });
  }

  it('defaults: the options of each loss, a bare name when nothing differs', () => {
    expect(checkLossSpec('huber', 't')).toEqual({ name: 'huber', reduction: 'mean', delta: 1 });
    expect(checkLossSpec({ name: 'smoothl1' }, 't')).toEqual({ name: 'smooth-l1', reduction: 'mean', beta: 1 });
    expect(checkLossSpec('mse-torch', 't').name).toBe('mse-mean');
    expect(checkLossSpec({ name: 'bce-logits', posWeight: 2 }, 't', 3).posWeight).toEqual([2, 2, 2]);
    expect(checkLossSpec({ name: 'bce-logits', posWeight: [1, 1] }, 't', 2).posWeight).toBeUndefined();
    expect(() => new Model(e, spec({ name: 'bce-logits', posWeight: [1, 1] }))).toThrow(/posWeight has 2 weights, the model has 3 outputs/);
    expect(lossSpecOf(checkLossSpec({ name: 'huber', delta: 1, reduction: 'mean' }, 't'))).toBe('huber');
    expect(lossSpecOf(checkLossSpec({ name: 'huber', delta: 2, reduction: 'sum' }, 't'))).toEqual({ name: 'huber', delta: 2, reduction: 'sum' });
  });

  it('evaluate and training data: reduction and probability targets are checked', () => {
    const m = new Model(e, spec('softmax-cross-entropy'));
    expect(() => evaluate(m, data(6, 3, 'soft'), { reduction: 'avg' as never })).toThrow(/reduction must be 'mean', 'sum' or 'none', got "avg"/);
    const d = data(6, 3, 'soft');
    d.targets![4] = 1.5;
    expect(() => evaluate(m, d)).toThrow(/probability targets in \[0, 1\]; the data has target 1.5 at sample 1, class 1/);
    expect(() => m.lossOnly({ x: d.x, n: 6, targets: d.targets })).toThrow(/probability targets in \[0, 1\]; target 1.5 at sample 1, class 1/);
  });
});

describe('loss options: reductions through the model, fit, evaluate and objectives', () => {
  it("'sum' is B (or B·C) times 'mean', in values and gradients; unreducedLoss sums to it", () => {
    for (const [loss, kind] of [['huber', 'real'], ['mse-mean', 'real'], ['softmax-cross-entropy', 'labels'], ['bce-logits', 'soft'], ['mse', 'real']] as const) {
      const d = data(7, 3, kind);
      const batch = { x: d.x, n: 7, labels: d.labels, targets: d.targets };
      const a = new Model(e, spec({ name: loss, reduction: 'mean' }));
      const b = new Model(e, spec({ name: loss, reduction: 'sum' }));
      const la = a.lossAndGradient(batch), lb = b.lossAndGradient(batch);
      const div = a.lossDivisor(7);
      expect(div).toBe(loss === 'huber' || loss === 'mse-mean' ? 21 : 7);
      expect(b.lossDivisor(7)).toBe(1);
      expect(Math.abs(lb - la * div)).toBeLessThanOrEqual(1e-12 * lb);
      const ga = Float32Array.from(a.gradients().data), gb = Float32Array.from(b.gradients().data);
      const gmax = gb.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
      for (let i = 0; i < ga.length; i++) expect(Math.abs(gb[i] - ga[i] * div)).toBeLessThanOrEqual(1e-6 * (Math.abs(gb[i]) + gmax));
      const terms = a.unreducedLoss(batch);
      expect(terms.length).toBe(loss === 'softmax-cross-entropy' ? 7 : 21);
      expect(Math.abs(terms.reduce((s, v) => s + v, 0) - lb)).toBeLessThanOrEqual(1e-6 * lb);
      // evaluate: the model's reduction by default, another on request
      const ev = evaluate(a, d as never);
      expect(Math.abs(ev.loss - la)).toBeLessThanOrEqual(1e-7 * la);
      expect(Math.abs(evaluate(a, d as never, { reduction: 'sum' }).loss - lb)).toBeLessThanOrEqual(1e-7 * lb);
      expect(Math.abs(evaluate(b, d as never).loss - lb)).toBeLessThanOrEqual(1e-7 * lb);
      // the full-batch objective (batches of 3: reweighted per batch)
      const obj = b.objective(d as never, { batchSize: 3 });
      const theta = Float64Array.from(b.parameters().data);
      const g = new Float64Array(b.parameterCount);
      expect(Math.abs(obj.valueAndGradient!(theta, g) - lb)).toBeLessThanOrEqual(1e-6 * lb);
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - gb[i])).toBeLessThanOrEqual(1e-5 * Math.abs(gb[i]) + 1e-6);
      const objA = a.objective(d as never, { batchSize: 3 });
      expect(Math.abs(objA.value(theta) - la)).toBeLessThanOrEqual(1e-6 * la);
    }
  });

  it('least squares: mse and mse-mean objectives with either reduction have residuals with Σ r² = f', () => {
    const d = data(7, 3, 'real');
    for (const loss of [{ name: 'mse' }, { name: 'mse', reduction: 'sum' }, { name: 'mse-mean' }, { name: 'mse-mean', reduction: 'sum' }]) {
      const m = new Model(e, spec(loss));
      const obj = m.objective(d as never, { batchSize: 3 });
      const theta = Float64Array.from(m.parameters().data);
      expect(obj.m).toBe(21);
      const r = new Float64Array(obj.m!);
      obj.residuals!(theta, r);
      const f = obj.value(theta);
      expect(Math.abs(r.reduce((s, v) => s + v * v, 0) - f), JSON.stringify(loss)).toBeLessThanOrEqual(1e-6 * f);
    }
    expect(new Model(e, spec('huber')).objective(d as never).residuals).toBeUndefined();
  });

  it('fit with probability targets and label smoothing lowers the loss; the epoch loss is the data set reduction', () => {
    const d = data(64, 3, 'soft');
    const m = new Model(e, { ...spec({ name: 'softmax-cross-entropy', labelSmoothing: 0.1 }), seed: 2 });
    const before = evaluate(m, d as never).loss;
    const h = fit(m, d as never, { epochs: 30, batchSize: 64, shuffle: false, seed: 1 });
    expect(h.loss[h.loss.length - 1]).toBeLessThan(0.9 * before);
    // one full batch per epoch: the epoch's loss is the loss before its update
    const m2 = new Model(e, { ...spec({ name: 'softmax-cross-entropy', labelSmoothing: 0.1, reduction: 'sum' }), seed: 2 });
    const s0 = evaluate(m2, d as never).loss;
    const h2 = fit(m2, d as never, { epochs: 1, batchSize: 64, shuffle: false, seed: 1, optimizer: sgd({ lr: 0.01 }) });
    expect(Math.abs(h2.loss[0] - s0)).toBeLessThanOrEqual(1e-6 * s0);
    expect(Math.abs(s0 - 64 * before)).toBeLessThanOrEqual(1e-5 * s0);
  });
});

describe('loss options: saved, rebuilt and transferred with the model', () => {
  const cases: unknown[] = [
    { name: 'softmax-cross-entropy', labelSmoothing: 0.1 },
    { name: 'bce-logits', posWeight: [2, 0.5, 3], reduction: 'sum' },
    { name: 'bce-logits', posWeight: 4 },
    { name: 'bce-logits', posWeight: [1, 1, 1] },
    { name: 'huber', delta: 1.5 },
    { name: 'smooth-l1', beta: 0, reduction: 'sum' },
    'mse-mean',
    'softmax-cross-entropy',
  ];
  for (const loss of cases) {
    it(`${JSON.stringify(loss)} round-trips through saveModel/loadModel`, () => {
      const m = new Model(e, { ...spec(loss), seed: 5 });
      const kind = m.loss === 'softmax-cross-entropy' ? 'labels' : m.loss === 'bce-logits' ? 'soft' : 'real';
      const d = data(5, 3, kind);
      const batch = { x: d.x, n: 5, labels: d.labels, targets: d.targets };
      const bytes = saveModel(m);
      const back = loadModel(e, bytes);
      expect(back.lossConfig).toEqual(m.lossConfig);
      expect(back.describe()).toBe(m.describe());
      expect(back.lossOnly(batch)).toBe(m.lossOnly(batch));
      expect(saveModel(back)).toEqual(bytes);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)))));
      const stored = JSON.parse(header.__metadata__.model).loss;
      if (typeof loss === 'string') expect(stored).toBe(loss); // old files: the bare name
      else expect(stored).toEqual(lossSpecOf(m.lossConfig));
      expect(new Model(e, modelSpec(m)).lossConfig).toEqual(m.lossConfig);
    });
  }

  it('a tampered loss in a model file is refused with the model file message', () => {
    const m = new Model(e, spec({ name: 'huber', delta: 2 }));
    const bytes = saveModel(m);
    // the description is JSON inside the header's JSON: "delta":2 appears as \"delta\":2
    const needle = new TextEncoder().encode('\\"delta\\":2');
    const at = bytes.findIndex((_, i) => needle.every((b, j) => bytes[i + j] === b));
    expect(at).toBeGreaterThan(0);
    const bad = bytes.slice();
    bad[at + needle.length - 1] = '0'.charCodeAt(0);
    expect(() => loadModel(e, bad)).toThrow(/invalid model description: loss huber: delta must be a finite number > 0, got 0/);
  });

  it('growModel keeps the loss options', () => {
    const m = new Model(e, spec({ name: 'bce-logits', posWeight: [2, 0.5, 3], reduction: 'sum' }));
    const g = growModel(m, { insert: [{ units: 4, activation: 'tanh' }] } as never);
    expect(g.model.lossConfig).toEqual(m.lossConfig);
  });
});

describe('loss options: the CLI', () => {
  it('--loss NAME[:P], --label-smoothing, --pos-weight, --reduction make the LossSpec', () => {
    expect(lossFromFlags({ loss: 'huber:1.5' })).toEqual({ name: 'huber', delta: 1.5 });
    expect(lossFromFlags({ loss: 'smooth-l1:0', reduction: 'sum' })).toEqual({ name: 'smooth-l1', beta: 0, reduction: 'sum' });
    expect(lossFromFlags({ loss: 'cross-entropy', 'label-smoothing': '0.1' })).toEqual({ name: 'softmax-cross-entropy', labelSmoothing: 0.1 });
    expect(lossFromFlags({ loss: 'bce-logits', 'pos-weight': '2,0.5' })).toEqual({ name: 'bce-logits', posWeight: [2, 0.5] });
    expect(lossFromFlags({ loss: 'mse' })).toBe('mse');
    expect(lossFromFlags({})).toBe('softmax-cross-entropy');
    const bad: [Record<string, string>, RegExp][] = [
      [{ loss: 'mse:2' }, /--loss mse:2: mse takes no parameter after ':'/],
      [{ loss: 'huber:x' }, /--loss huber:x: expected a number, got "x"/],
      [{ loss: 'huber:0' }, /--loss huber:0: delta must be a finite number > 0, got 0/],
      [{ loss: 'mse', 'label-smoothing': '0.1' }, /--label-smoothing goes with --loss softmax-cross-entropy, not mse/],
      [{ loss: 'softmax-cross-entropy', 'label-smoothing': '2' }, /--label-smoothing must be a number in \[0, 1\], got 2/],
      [{ loss: 'bce', 'pos-weight': '2' }, /--pos-weight goes with --loss bce-logits, not bce/],
      [{ loss: 'bce-logits', 'pos-weight': '2,-1' }, /--pos-weight\[1\] must be a finite number ≥ 0, got -1/],
      [{ loss: 'mse', reduction: 'none' }, /--reduction must be mean or sum, got "none"/],
      [{ loss: 'hubber' }, /--loss: unknown loss "hubber"/],
    ];
    for (const [v, msg] of bad) expect(() => lossFromFlags(v), JSON.stringify(v)).toThrow(msg);
  });

  it('descent train --help lists the losses and their flags; a run saves the loss with its options', async () => {
    let help = '';
    await train(['--help'], (s) => { help += s; });
    expect(help).toMatch(/--loss NAME\[:P\]\s+softmax-cross-entropy, mse, mse-mean, huber, smooth-l1, bce-logits, bce/);
    expect(help).toMatch(/--label-smoothing E/);
    expect(help).toMatch(/--pos-weight W\[,W…\]/);
    expect(help).toMatch(/--reduction R/);
    const dir = mkdtempSync(join(tmpdir(), 'descent-loss-'));
    const out = join(dir, 'm.safetensors');
    let text = '';
    const code = await train(['--layers', '64-16-10', '--epochs', '1', '--loss', 'softmax-cross-entropy', '--label-smoothing', '0.1', '--reduction', 'sum',
      '--lr', '0.001', '--out', out, '--curve', join(dir, 'c.svg'), '--no-progress'], (s) => { text += s; });
    expect(code).toBe(0);
    expect(text).toMatch(/loss softmax-cross-entropy\(ε=0.1, sum\)/);
    const m = loadModel(e, new Uint8Array(readFileSync(out)));
    expect(m.lossConfig).toEqual({ name: 'softmax-cross-entropy', reduction: 'sum', labelSmoothing: 0.1 });
    await expect(train(['--loss', 'huber:-1', '--epochs', '1', '--out', out], () => {})).rejects.toThrow(/--loss huber:-1: delta must be a finite number > 0, got -1/);
  }, 120_000);
});

describe('loss options: threads', () => {
  it('2 threads give the bits of 1 for every loss (split kernels and unsplit ones)', async () => {
    const e1 = await createEngine({ isa: isas[0], threads: 1 });
    const e2 = await createEngine({ isa: isas[0], threads: 2 });
    try {
      const n = 3000, C = 10, r = new Random(5);
      const x = Float32Array.from({ length: n * 4 }, () => r.normal());
      const labels = Int32Array.from({ length: n }, (_, i) => i % C);
      const t = Float32Array.from({ length: n * C }, () => r.uniform());
      for (const loss of [{ name: 'softmax-cross-entropy' }, { name: 'softmax-cross-entropy', labelSmoothing: 0.1 }, { name: 'bce-logits' },
        { name: 'bce-logits', posWeight: 2 }, { name: 'huber', delta: 0.3 }, { name: 'mse' }, { name: 'smooth-l1', reduction: 'sum' }]) {
        const s: ModelSpec = { inputs: 4, layers: [{ units: 16, activation: 'tanh' }, { units: C }], loss: loss as never, seed: 3 };
        const batch = loss.name === 'softmax-cross-entropy' && !loss.labelSmoothing ? { x, n, labels } : { x, n, targets: t };
        const [a, b] = [new Model(e1, s), new Model(e2, s)];
        expect(b.lossAndGradient(batch), JSON.stringify(loss)).toBe(a.lossAndGradient(batch));
        expect(Array.from(b.gradients().data)).toEqual(Array.from(a.gradients().data));
        expect(Array.from(b.unreducedLoss(batch))).toEqual(Array.from(a.unreducedLoss(batch)));
      }
    } finally {
      closeThreads();
    }
  }, 60_000);
});
