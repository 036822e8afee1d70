import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { digits } from '../src/data/digits.js';
import { trainTestSplit } from '../src/data/split.js';
import type { Dataset } from '../src/data/dataset.js';
import { Model } from '../src/nn/model.js';
import { fit, evaluate } from '../src/train/fit.js';
import { sgd } from '../src/train/optimizer.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { bits } from './reference.js';

const e = Engine.createSync({ isa: 'simd' });
const data = digits();
const { train, test } = trainTestSplit(data, { testFraction: 0.2, seed: 1 });
const small: Dataset = { ...train, n: 40, x: train.x.slice(0, 40 * 64), labels: train.labels!.slice(0, 40) };
const mlp = (seed = 1, hidden = 16, activation = 'tanh') =>
  new Model(e, { inputs: 64, layers: [{ units: hidden, activation }, { units: 10 }], loss: 'softmax-cross-entropy', seed });

describe('fit', () => {
  it('learns digits with mini-batch SGD and reports per-epoch history', () => {
    const m = mlp(1, 32);
    const h = fit(m, train, { epochs: 20, batchSize: 32, lr: 0.1, validationData: test });
    expect(h.epoch).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(h.loss[19]).toBeLessThan(h.loss[0] / 5);
    expect(h.valAccuracy![19]).toBeGreaterThan(0.93);
    expect(evaluate(m, test).accuracy).toBe(h.valAccuracy![19]);
    m.release();
  });

  it('batch, stochastic and mini-batch modes take ⌈n/B⌉ steps per epoch', () => {
    for (const [B, steps] of [['full', 1], [1, 40], [16, 3], [40, 1]] as const) {
      const m = mlp();
      let count = 0;
      fit(m, small, { epochs: 2, batchSize: B, lr: 0.05, onBatchEnd: (l) => { count++; expect(l.stepsPerEpoch).toBe(steps); } });
      expect(count).toBe(2 * steps);
      m.release();
    }
  });

  it('full-batch gradient descent equals one manual step per epoch on the whole set', () => {
    const a = mlp(3), b = mlp(3);
    fit(a, small, { epochs: 3, batchSize: 'full', lr: 0.2 });
    for (let i = 0; i < 3; i++) {
      b.lossAndGradient({ x: small.x, n: small.n, labels: small.labels });
      sgd({ lr: 0.2 }).step(b.parameters(), b.gradients(), { step: i, epoch: i });
    }
    expect(bits(a.parameters().toArray())).toEqual(bits(b.parameters().toArray()));
  });

  it('is reproducible with a fixed seed and differs with another', () => {
    const run = (seed: number) => {
      const m = mlp(seed);
      fit(m, train, { epochs: 2, batchSize: 25, lr: 0.1, seed });
      const p = m.parameters().toArray();
      m.release();
      return p;
    };
    expect(bits(run(5))).toEqual(bits(run(5)));
    expect(bits(run(5))).not.toEqual(bits(run(6)));
  });

  it('validation split, early stopping with restore, and stopping from callbacks', () => {
    const m = mlp();
    const h = fit(m, train, { epochs: 200, batchSize: 64, lr: 0.5, validationSplit: 0.25, earlyStopping: { patience: 2, minDelta: 1e-3 } });
    expect(h.stopped).toBe('early-stopping');
    expect(h.epoch.length).toBeLessThan(200);
    expect(h.valLoss!.length).toBe(h.epoch.length);
    const best = Math.min(...h.valLoss!);
    expect(h.valLoss![h.bestEpoch! - 1]).toBe(best);
    const h2 = fit(m, train, { epochs: 10, onEpochEnd: (l) => (l.epoch === 3 ? 'stop' : undefined) });
    expect(h2.epoch).toEqual([1, 2, 3]);
    expect(h2.stopped).toBe('callback');
    const h3 = fit(m, train, { epochs: 10, recordSteps: true, onBatchEnd: (l) => (l.step === 7 ? 'stop' : undefined) });
    expect(h3.steps!.length).toBe(7);
    const ctl = new AbortController();
    const h4 = fit(m, train, { epochs: 10, signal: ctl.signal, onBatchEnd: (l) => { if (l.step === 2) ctl.abort(); } });
    expect(h4.stopped).toBe('aborted');
  });

  it('a NaN loss stops with an error naming the epoch and step', () => {
    const m = mlp(1, 16, 'relu');
    expect(() => fit(m, train, { epochs: 5, batchSize: 32, lr: 1e12 })).toThrow(/fit: the loss became (NaN|Infinity) at epoch \d+, step \d+ of 45 \(update \d+\)/);
  });

  it('bad input is refused before any update: the model is unchanged', () => {
    const m = mlp();
    const before = m.parameters().toArray();
    const bad = (patch: Partial<Dataset>) => ({ ...small, ...patch });
    const x = small.x.slice(); x[5 * 64 + 3] = NaN;
    const lab = small.labels!.slice(); lab[7] = 10;
    expect(() => fit(m, bad({ x }), { epochs: 1 })).toThrow(/NaN at sample 5, feature 3/);
    expect(() => fit(m, bad({ labels: lab }), { epochs: 1 })).toThrow(/label.*10.*sample 7/);
    expect(() => fit(m, { ...small, features: 63, featureShape: undefined, x: small.x.slice(0, 40 * 63) }, { epochs: 1 })).toThrow('fit: the data has 63 features per sample but Model(64 → 16 tanh → 10 linear; loss softmax-cross-entropy; 1210 parameters) expects 64');
    expect(() => fit(m, bad({ n: 0, x: new Float32Array(0), labels: new Int32Array(0) }), { epochs: 1 })).toThrow(/empty/);
    expect(() => fit(m, small, { batchSize: 0 })).toThrow("fit: batchSize must be a positive integer or 'full', got 0");
    expect(() => fit(m, small, { batchSize: 41 })).toThrow(/batchSize 41 is larger than the training set \(40 samples\)/);
    expect(() => fit(m, small, { epochs: 0 })).toThrow(/epochs must be a positive integer/);
    expect(() => fit(m, small, { lr: -1 })).toThrow(/learning rate must be a positive finite number, got -1/);
    expect(() => fit(m, small, { validationSplit: 1.5 })).toThrow(/validationSplit must be in \(0, 1\)/);
    expect(() => fit(m, small, { epoch: 3 } as never)).toThrow(/unknown option "epoch"/);
    expect(bits(m.parameters().toArray())).toEqual(bits(before));
    expect(() => new Model(e, { inputs: 4, layers: [{ units: 3, activation: 'prelu' }] })).toThrow(/unknown activation "prelu"; known: linear, sigmoid/);
    expect(() => new Model(e, { inputs: 4, layers: [{ units: 3 }], loss: 'hinge' })).toThrow(/unknown loss "hinge"/);
    expect(() => new Model(e, { inputs: 4, layers: [{ units: 3, activation: 'tanh' }], loss: 'softmax-cross-entropy' })).toThrow(/last layer must be linear/);
    expect(() => new Model(e, { inputs: 4, layers: [{ units: 0 }] })).toThrow(/units must be a positive integer/);
    expect(() => m.lossAndGradient({ x: new Float32Array(65), n: 1, labels: Int32Array.of(1) })).toThrow(/expected x of 1×64 = 64 values/);
  });

  it('memory stays flat over thousands of steps (the 100k-step soak is bench/soak.mjs)', () => {
    const m = mlp();
    let at500: ReturnType<Engine['memoryStats']> | undefined;
    fit(m, train, { epochs: 70, batchSize: 32, lr: 0.05, validationData: test, onBatchEnd: (l) => { if (l.step === 500) at500 = e.memoryStats(); } });
    const end = e.memoryStats();
    expect(end.memoryBytes).toBe(at500!.memoryBytes);
    expect(end.footprintBytes).toBe(at500!.footprintBytes);
    expect(end.liveBytes).toBe(at500!.liveBytes);
    m.release();
  }, 60_000);
});

describe('initializers', () => {
  const weights = (init: unknown, activation = 'tanh', seed = 1) => {
    const m = new Model(e, { inputs: 200, layers: [{ units: 100, activation, init: init as never }, { units: 10 }], seed });
    const w = m.layers[0].W.toArray();
    m.release();
    return w;
  };
  const std = (w: Float32Array) => Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  it('same seed, same weights; zeros and constant are symmetric', () => {
    expect(bits(weights('glorot-uniform'))).toEqual(bits(weights('glorot-uniform')));
    expect(bits(weights('glorot-uniform', 'tanh', 2))).not.toEqual(bits(weights('glorot-uniform')));
    expect(weights('zeros').every((v) => v === 0)).toBe(true);
    expect(weights({ name: 'constant', value: 0.5 }).every((v) => v === 0.5)).toBe(true);
  });
  it('scales follow the published formulas and gains', () => {
    const a = Math.sqrt(6 / 300);
    const gu = weights('glorot-uniform');
    expect(Math.max(...gu.map(Math.abs))).toBeLessThanOrEqual(a);
    expect(std(gu)).toBeCloseTo(a / Math.sqrt(3), 2);
    expect(std(weights('glorot-uniform', 'sigmoid'))).toBeCloseTo(4 * a / Math.sqrt(3), 2);
    expect(std(weights('glorot-normal'))).toBeCloseTo(Math.sqrt(2 / 300), 2);
    expect(std(weights('he-normal', 'relu'))).toBeCloseTo(Math.sqrt(2 / 200), 2);
    expect(std(weights('he-uniform', 'relu'))).toBeCloseTo(Math.sqrt(2 / 200), 2);
    const tn = weights({ name: 'truncated-normal', std: 0.1 });
    expect(Math.max(...tn.map(Math.abs))).toBeLessThanOrEqual(0.2 + 1e-7);
    expect(Math.max(...weights({ name: 'uniform', limit: 0.3 }).map(Math.abs))).toBeLessThanOrEqual(0.3);
    expect(std(weights({ name: 'normal', std: 0.2 }))).toBeCloseTo(0.2, 2);
    // defaults: He normal for the ReLU family, Glorot uniform otherwise
    expect(std(weights(undefined, 'relu'))).toBeCloseTo(Math.sqrt(2 / 200), 2);
    expect(bits(weights(undefined, 'tanh'))).toEqual(bits(gu));
  });
  it('unknown initializers are refused', () => {
    expect(() => weights('xavier-magic')).toThrow(/unknown initializer "xavier-magic"/);
  });
});

describe('save / load', () => {
  it('round-trips exactly and predicts the same', () => {
    const m = new Model(e, { inputs: 64, layers: [{ units: 12, activation: 'leaky-relu', alpha: 0.2 }, { units: 7, activation: 'elu', bias: false }, { units: 10 }], seed: 4 });
    fit(m, train, { epochs: 2, lr: 0.05 });
    const bytes = saveModel(m);
    const m2 = loadModel(e, bytes);
    expect(m2.describe()).toBe(m.describe());
    expect(bits(m2.parameters().toArray())).toEqual(bits(m.parameters().toArray()));
    expect(bits(m2.predict(test.x, test.n))).toEqual(bits(m.predict(test.x, test.n)));
    expect(m2.layers[0].alpha).toBeCloseTo(0.2);
    // the header is standard safetensors
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header['layers.0.weight']).toEqual({ dtype: 'F32', shape: [64, 12], data_offsets: [0, 64 * 12 * 4] });
    expect(header['layers.1.bias']).toBeUndefined();
  });

  it('refuses corrupt, truncated and foreign files with a clear error', () => {
    const m = mlp();
    const bytes = saveModel(m);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const live = e.memoryStats().liveBytes;
    expect(() => loadModel(e, bytes.subarray(0, 5))).toThrow(/truncated: 5 bytes/);
    expect(() => loadModel(e, bytes.subarray(0, bytes.length - 10))).toThrow(/tensor layers\.1\.bias: its data ends at byte \d+ but the file has \d+ bytes of data \(truncated\)/);
    expect(() => loadModel(e, bytes.subarray(0, 100))).toThrow(/header length \d+ exceeds/);
    const garbled = bytes.slice(); garbled[8] = 0x5b;
    expect(() => loadModel(e, garbled)).toThrow(/the header must begin with '\{' \(safetensors allows no leading whitespace\)/);
    const broken = bytes.slice(); broken[9] = 0x7b;
    expect(() => loadModel(e, broken)).toThrow(/header is not valid JSON/);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const rebuild = (h: object) => {
      const hb = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + hb.length + (bytes.length - 8 - n));
      new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
      out.set(hb, 8); out.set(bytes.subarray(8 + n), 8 + hb.length);
      return out;
    };
    expect(() => loadModel(e, rebuild({ ...header, __metadata__: {} }))).toThrow(/not a descent model/);
    expect(() => loadModel(e, rebuild({ ...header, 'layers.0.weight': { ...header['layers.0.weight'], shape: [16, 64] } }))).toThrow(/tensor layers\.0\.weight: shape \[16,64\], expected \[64,16\]/);
    expect(() => loadModel(e, rebuild({ ...header, 'layers.0.weight': { ...header['layers.0.weight'], dtype: 'F16' } }))).toThrow(/dtype F16, expected F32/);
    const spec = JSON.parse(header.__metadata__.model);
    spec.layers[0].activation = 'prelu';
    expect(() => loadModel(e, rebuild({ ...header, __metadata__: { ...header.__metadata__, model: JSON.stringify(spec) } }))).toThrow(/invalid model description: .*unknown activation "prelu"/);
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(8 + n + 8, NaN, true);
    expect(() => loadModel(e, nan)).toThrow(/tensor layers\.0\.weight holds NaN at index 2/);
    expect(e.memoryStats().liveBytes).toBe(live); // failed loads free what they allocated
  });
});

describe('evaluate on a fresh engine', () => {
  it('reports the right accuracy on the first call (memory growth in the first forward pass)', () => {
    const fresh = Engine.createSync({ isa: 'simd' });
    const m = new Model(fresh, { inputs: 64, layers: [{ units: 16, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 1 });
    m.parameters().data.set(mlp(1, 16).parameters().data);
    const first = evaluate(m, test).accuracy!;
    const second = evaluate(m, test).accuracy!;
    expect(first).toBe(second);
    expect(first).toBeGreaterThan(0);
    m.release();
  });
});
