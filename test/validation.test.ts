// One validation approach for the public entry points (issue #13, item 4): option objects are
// checked by own keys (prototype names such as toString, constructor, __proto__ are unknown
// keys, never lookups into Object.prototype), types by value (an object with valueOf/toString
// is not a number, "yes" is not a boolean), then integer / positive / range checks. Every bad
// call below must throw a DescentError naming the option and change nothing: parameters,
// gradients, batch-norm running statistics, the dropout pass counter, the training mode,
// optimizer state and the engine's memoryStats are compared before and after.
// Also the examples of the issue: optimizer('constructor' | '__proto__' | 'toString'),
// hyper-parameter keys toString/valueOf/hasOwnProperty, amsgrad "yes", seed NaN, optimizer {},
// groups 'x', batch norm with one sample, a schedule returning NaN mid-fit, and
// evaluate({ batchSize: 0 }) (hung), -5 (RangeError), NaN (left the model in inference mode).
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { DescentError } from '../src/engine/errors.js';
import { Model, type ModelSpec } from '../src/nn/model.js';
import { evaluate, fit, fitAsync } from '../src/train/fit.js';
import { optimizer } from '../src/optim/optimizer.js';
import { composed } from '../src/optim/transforms.js';
import { withDefaults, adam } from '../src/optim/rules.js';
import type { Dataset } from '../src/data/dataset.js';
import * as d from '../src/index.js';

const engine = Engine.createSync({ isa: 'simd' });
const SPEC: ModelSpec = { inputs: 4, layers: [{ units: 8 }, { type: 'batchnorm' }, { type: 'dropout', rate: 0.5 }, { units: 3 }], seed: 2 };

function dataset(n = 40, seed = 1): Dataset {
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const x = Float32Array.from({ length: n * 4 }, () => r() * 2 - 1);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return { x, n, features: 4, labels, classes: 3 };
}
const DATA = dataset();

/** Everything a refused call must leave as it was. */
function snapshot(m: Model) {
  const st = m.engine.memoryStats();
  return {
    params: Array.from(m.parameters().data),
    grads: Array.from(m.gradients().data),
    buffers: m.buffers().map((b) => Array.from(b.tensor.data)),
    passes: m.passes,
    training: m.training,
    liveBytes: st.liveBytes,
    liveBlocks: st.liveBlocks,
    memoryBytes: st.memoryBytes,
  };
}

/** A model trained a little (so statistics and counters are not at their defaults). */
function trained(): Model {
  const m = new Model(engine, SPEC);
  fit(m, DATA, { epochs: 1, batchSize: 8, optimizer: optimizer('adam', { lr: 1e-2 }) });
  return m;
}

function refused(f: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err, `expected a DescentError matching ${pattern}`).toBeInstanceOf(DescentError);
  expect((err as Error).message).toMatch(pattern);
}

const hostileNumber = (): [string, unknown][] => [
  ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity], ['negative', -5], ['string', '0.1'],
  ['valueOf object', { valueOf: () => 0.1 }], ['toString object', { toString: () => '0.1' }], ['null', null], ['array', [1]],
];

describe('optimizer(): names, hyper-parameters and options', () => {
  const names: unknown[] = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '', 42, null, { toString: () => 'adam' }];
  for (const name of names) {
    it(`refuses the name ${typeof name === 'string' ? JSON.stringify(name) : String(name)}`, () => {
      refused(() => optimizer(name as string), /optimizer: (unknown optimizer|the name must be a string)/);
    });
  }
  const keys = ['toString', 'valueOf', 'hasOwnProperty', 'constructor', 'isPrototypeOf', '__defineGetter__'];
  for (const k of keys) {
    it(`refuses the hyper-parameter key ${k} (own keys of the defaults only)`, () => {
      refused(() => optimizer('adam', { [k]: 1 }), new RegExp(`unknown hyper-parameter "${k}"; known: lr, betas`));
      refused(() => composed('adam', { [k]: 1 }), new RegExp(`unknown hyper-parameter "${k}"`));
      refused(() => withDefaults(adam, { [k]: 1 } as never), new RegExp(`unknown hyper-parameter "${k}"`));
    });
  }
  it('refuses an own __proto__ key (JSON.parse makes one)', () => {
    refused(() => optimizer('adam', JSON.parse('{"__proto__": {"lr": 1}}')), /unknown hyper-parameter "__proto__"/);
    refused(() => optimizer('adam', {}, JSON.parse('{"__proto__": {"l1": 1}}')), /unknown option "__proto__"/);
  });
  const typed: [string, string, Record<string, unknown>, RegExp][] = [
    ['adam', 'amsgrad "yes"', { amsgrad: 'yes' }, /amsgrad must be true or false, got "yes"/],
    ['adam', 'amsgrad 1', { amsgrad: 1 }, /amsgrad must be true or false, got 1/],
    ['adam', 'amsgrad object', { amsgrad: { valueOf: () => true } }, /amsgrad must be true or false, got an object/],
    ['sgd', 'nesterov "false"', { momentum: 0.9, nesterov: 'false' }, /nesterov must be true or false/],
    ['adam', 'betas one number', { betas: [0.9] }, /betas must be an array of 2 numbers/],
    ['adam', 'betas string', { betas: '0.9,0.999' }, /betas must be an array of 2 numbers/],
    ['adam', 'betas of strings', { betas: ['0.9', '0.999'] }, /betas must be an array of 2 numbers/],
    ...hostileNumber().map(([what, v]): [string, string, Record<string, unknown>, RegExp] => ['adam', `lr ${what}`, { lr: v }, /lr must be/]),
    ['sgd', 'momentum -0.5', { momentum: -0.5 }, /momentum must be a finite number ≥ 0/],
  ];
  for (const [name, what, hyper, pattern] of typed) {
    it(`${name}: refuses ${what}`, () => refused(() => optimizer(name, hyper), pattern));
  }
  const options: [string, unknown, RegExp][] = [
    ['null options', null, /options must be an object, got null/],
    ['string options', 'x', /options must be an object, got string/],
    ["groups 'x'", { groups: 'x' }, /groups must be an array/],
    ['groups of null', { groups: [null] }, /group 0 must be an object/],
    ['group layers string', { groups: [{ layers: '0' }] }, /group 0: layers must be an array of layer indices/],
    ['group layers NaN', { groups: [{ layers: [NaN] }] }, /group 0: layers must be an array of layer indices/],
    ['group frozen "yes"', { groups: [{ frozen: 'yes' }] }, /group 0: frozen must be true or false/],
    ['group toString key', { groups: [{ toString: 1 }] }, /group 0: unknown key "toString"/],
    ['group lrScale Infinity', { groups: [{ lrScale: Infinity }] }, /group 0: lrScale must be a finite number/],
    ['clipNorm NaN', { clipNorm: NaN }, /clipNorm must be a finite number > 0/],
    ['clipNorm 0', { clipNorm: 0 }, /clipNorm must be a finite number > 0/],
    ['clipNorm valueOf', { clipNorm: { valueOf: () => 1 } }, /clipNorm must be a finite number/],
    ['l1 -1', { l1: -1 }, /l1 must be a finite number ≥ 0/],
    ['decayBiases "yes"', { decayBiases: 'yes' }, /decayBiases must be true or false/],
    ['scheduleUnit "day"', { scheduleUnit: 'day' }, /scheduleUnit must be 'step' or 'epoch'/],
    ['noise null', { noise: null }, /noise must be a gradientNoise/],
    ['name 5', { name: 5 }, /name must be a non-empty string/],
    ['unknown key toString', { toString: 1 }, /unknown option "toString"; known: groups/],
    ['unknown key constructor', { constructor: 1 }, /unknown option "constructor"/],
  ];
  for (const [what, opts, pattern] of options) {
    it(`refuses ${what}`, () => refused(() => optimizer('adam', {}, opts as never), pattern));
  }
});

describe('fit / fitAsync: bad options change nothing', () => {
  const cases: [string, Record<string, unknown> | null, RegExp][] = [
    ['options null', null, /options must be an object, got null/],
    ['seed NaN', { seed: NaN }, /seed must be a finite number, got NaN/],
    ['seed Infinity', { seed: Infinity }, /seed must be a finite number/],
    ['seed "1"', { seed: '1' }, /seed must be a finite number, got "1"/],
    ['seed valueOf', { seed: { valueOf: () => 1 } }, /seed must be a finite number, got an object/],
    ['optimizer {}', { optimizer: {} }, /optimizer must be an optimizer .* with a step method, got an object/],
    ['optimizer null', { optimizer: null }, /optimizer must be an optimizer/],
    ['optimizer "adam"', { optimizer: 'adam' }, /optimizer must be an optimizer/],
    ['optimizer with beforeGradient 1', { optimizer: { step() {}, beforeGradient: 1 } }, /optimizer.beforeGradient must be a function/],
    ['epochs NaN', { epochs: NaN }, /epochs must be a positive integer/],
    ['epochs -1', { epochs: -1 }, /epochs must be a positive integer/],
    ['epochs 1e300', { epochs: 1e300 }, /epochs must be a positive integer/],
    ['epochs 1.5', { epochs: 1.5 }, /epochs must be a positive integer/],
    ['epochs valueOf', { epochs: { valueOf: () => 1 } }, /epochs must be a positive integer/],
    ['batchSize 0', { batchSize: 0 }, /batchSize must be a positive integer or 'full'/],
    ['batchSize NaN', { batchSize: NaN }, /batchSize must be a positive integer or 'full'/],
    ['batchSize "x"', { batchSize: 'x' }, /batchSize must be a positive integer or 'full', got "x"/],
    ['batchSize 2^53', { batchSize: 2 ** 53 }, /batchSize/],
    ['batchSize too large', { batchSize: 41 }, /batchSize 41 is larger than the training set/],
    ['lr NaN', { lr: NaN }, /lr: learning rate must be a positive finite number/],
    ['lr -1', { lr: -1 }, /lr: learning rate must be a positive finite number/],
    ['lr Infinity', { lr: Infinity }, /lr: learning rate must be a positive finite number/],
    ['lr "0.1"', { lr: '0.1' }, /lr: learning rate must be a positive finite number, got "0.1"/],
    ['shuffle "yes"', { shuffle: 'yes' }, /shuffle must be true or false/],
    ['recordSteps 1', { recordSteps: 1 }, /recordSteps must be true or false/],
    ['onBatchEnd "x"', { onBatchEnd: 'x' }, /onBatchEnd must be a function/],
    ['onEpochEnd {}', { onEpochEnd: {} }, /onEpochEnd must be a function/],
    ['earlyStopping "x"', { earlyStopping: 'x' }, /earlyStopping must be true, false or/],
    ['earlyStopping toString key', { earlyStopping: { toString: 1 } }, /earlyStopping: unknown option "toString"/],
    ['earlyStopping patience -1', { earlyStopping: { patience: -1 } }, /earlyStopping.patience must be an integer ≥ 0/],
    ['earlyStopping patience NaN', { earlyStopping: { patience: NaN } }, /earlyStopping.patience/],
    ['earlyStopping minDelta Infinity', { earlyStopping: { minDelta: Infinity } }, /earlyStopping.minDelta/],
    ['earlyStopping monitor "toString"', { earlyStopping: { monitor: 'toString' } }, /earlyStopping.monitor must be/],
    ['earlyStopping mode "up"', { earlyStopping: { mode: 'up' } }, /earlyStopping.mode must be 'min' or 'max'/],
    ['signal {}', { signal: {} }, /signal must be an AbortSignal/],
    ['validationSplit NaN', { validationSplit: NaN }, /validationSplit must be in \(0, 1\)/],
    ['validationSplit 1', { validationSplit: 1 }, /validationSplit must be in \(0, 1\)/],
    ['validationData "x"', { validationData: 'x' }, /validationData must be a data set/],
    ['initialEpoch -1', { initialEpoch: -1 }, /initialEpoch must be an integer/],
    ['progressEveryMs NaN', { progressEveryMs: NaN }, /progressEveryMs must be a non-negative number/],
    ['unknown key toString', { toString: 1 }, /unknown option "toString"; known: epochs/],
    ['unknown key constructor', { constructor: 1 }, /unknown option "constructor"/],
    ['own __proto__ key', JSON.parse('{"__proto__": {"epochs": 1}}'), /unknown option "__proto__"/],
  ];
  for (const [what, opts, pattern] of cases) {
    it(`fit refuses ${what}`, () => {
      const m = trained();
      const before = snapshot(m);
      refused(() => fit(m, DATA, opts as never), new RegExp(`fit: .*${pattern.source}`));
      expect(snapshot(m)).toEqual(before);
    });
  }
  it('fitAsync refuses the same options (the promise rejects, nothing changes)', async () => {
    const m = trained();
    const before = snapshot(m);
    for (const [what, opts, pattern] of cases) {
      const err = await fitAsync(m, DATA, opts as never).then(() => undefined, (e: unknown) => e);
      expect(err, what).toBeInstanceOf(DescentError);
      expect((err as Error).message, what).toMatch(pattern);
    }
    expect(snapshot(m)).toEqual(before);
  });

  it('a schedule that returns NaN mid-fit stops before the forward pass: statistics, dropout counter and parameters are those after the good steps', () => {
    const lr = (s: number) => (s < 3 ? 0.1 : NaN);
    const a = new Model(engine, SPEC), b = new Model(engine, SPEC);
    refused(() => fit(a, DATA, { epochs: 1, batchSize: 8, shuffle: false, optimizer: optimizer('sgd', { lr, momentum: 0.9 }) }),
      /sgd: lr schedule returned NaN at step 3/);
    // the same run, stopped by a callback after exactly 3 updates
    fit(b, DATA, { epochs: 1, batchSize: 8, shuffle: false, optimizer: optimizer('sgd', { lr: 0.1, momentum: 0.9 }), onBatchEnd: (l) => (l.step === 3 ? 'stop' : undefined) });
    expect(a.passes).toBe(3);
    const sa = snapshot(a), sb = snapshot(b);
    expect(sa.params).toEqual(sb.params);
    expect(sa.buffers).toEqual(sb.buffers);
    expect(sa.passes).toBe(sb.passes);
  });
});

describe('evaluate: options checked before anything moves, training mode restored', () => {
  const cases: [string, unknown, RegExp][] = [
    ['batchSize 0 (hung)', { batchSize: 0 }, /batchSize must be a positive integer, got 0/],
    ['batchSize -5 (RangeError)', { batchSize: -5 }, /batchSize must be a positive integer, got -5/],
    ['batchSize NaN (left inference mode)', { batchSize: NaN }, /batchSize must be a positive integer, got NaN/],
    ['batchSize Infinity', { batchSize: Infinity }, /batchSize must be a positive integer/],
    ['batchSize 1.5', { batchSize: 1.5 }, /batchSize must be a positive integer/],
    ['batchSize "10"', { batchSize: '10' }, /batchSize must be a positive integer, got "10"/],
    ['batchSize valueOf', { batchSize: { valueOf: () => 10 } }, /batchSize must be a positive integer, got an object/],
    ['preprocess "yes"', { preprocess: 'yes' }, /preprocess must be true or false/],
    ['unknown key toString', { toString: 1 }, /unknown option "toString"; known: batchSize, preprocess/],
    ['options null', null, /options must be an object, got null/],
  ];
  for (const [what, opts, pattern] of cases) {
    it(`refuses ${what}`, () => {
      const m = trained();
      m.train();
      const before = snapshot(m);
      refused(() => evaluate(m, DATA, opts as never), new RegExp(`evaluate: ${pattern.source}`));
      expect(snapshot(m)).toEqual(before);
      expect(m.training).toBe(true);
    });
  }
  it('restores training mode when the pass throws (finally)', () => {
    const m = trained();
    m.train();
    const bad = { ...DATA, x: DATA.x.slice() };
    bad.x[5] = NaN;
    expect(() => evaluate(m, bad)).toThrow(DescentError);
    expect(m.training).toBe(true);
    expect(evaluate(m, DATA, { batchSize: 7 }).n).toBe(40);
    expect(m.training).toBe(true);
  });
});

describe('Model: constructor, lossAndGradient, predict', () => {
  it('batch norm lossAndGradient on one sample throws before the pass counter, statistics or memory move', () => {
    const m = new Model(engine, SPEC); // no batch buffers yet
    const before = snapshot(m);
    refused(() => m.lossAndGradient({ x: new Float32Array(4), n: 1, labels: Int32Array.of(0) }), /training mode needs a batch of at least 2 samples/);
    refused(() => m.lossOnly({ x: new Float32Array(4), n: 1, labels: Int32Array.of(0) }), /training mode needs a batch of at least 2 samples/);
    expect(snapshot(m)).toEqual(before);
    const t = trained();
    const b2 = snapshot(t);
    refused(() => t.lossAndGradient({ x: new Float32Array(4), n: 1, labels: Int32Array.of(0) }), /at least 2 samples/);
    expect(snapshot(t)).toEqual(b2);
  });
  const specs: [string, unknown, RegExp][] = [
    ['inputs NaN', { inputs: NaN, layers: [{ units: 2 }] }, /inputs must be a positive integer/],
    ['inputs "4"', { inputs: '4', layers: [{ units: 2 }] }, /inputs must be a positive integer/],
    ['inputs valueOf', { inputs: { valueOf: () => 4 }, layers: [{ units: 2 }] }, /inputs must be a positive integer/],
    ['layers "x"', { inputs: 4, layers: 'x' }, /layers must be a non-empty array/],
    ['units NaN', { inputs: 4, layers: [{ units: NaN }] }, /units must be a positive integer/],
    ['units -1', { inputs: 4, layers: [{ units: -1 }] }, /units must be a positive integer/],
    ['units huge', { inputs: 4, layers: [{ units: 2 ** 40 }] }, /out of memory: .*nothing was allocated/],
    ['seed NaN', { inputs: 4, layers: [{ units: 2 }], seed: NaN }, /seed must be a finite number/],
    ['seed Infinity', { inputs: 4, layers: [{ units: 2 }], seed: Infinity }, /seed must be a finite number/],
    ['dropout rate NaN', { inputs: 4, layers: [{ units: 2 }, { type: 'dropout', rate: NaN }, { units: 2 }] }, /rate must be a number in \[0, 1\)/],
    ['batchnorm eps -1', { inputs: 4, layers: [{ units: 2 }, { type: 'batchnorm', eps: -1 }, { units: 2 }] }, /eps must be a finite number > 0/],
    ['layer type toString', { inputs: 4, layers: [{ units: 2 }, { type: 'toString' }, { units: 2 }] }, /unknown layer type "toString"/],
    ['unknown key toString', { inputs: 4, layers: [{ units: 2 }], toString: 1 }, /unknown key "toString"/],
    ['bias "no"', { inputs: 4, layers: [{ units: 2, bias: 'no' }] }, /bias must be true or false/],
  ];
  for (const [what, spec, pattern] of specs) {
    it(`new Model refuses ${what}, allocating nothing`, () => {
      const before = engine.memoryStats();
      refused(() => new Model(engine, spec as ModelSpec), new RegExp(`model: .*${pattern.source}`));
      const after = engine.memoryStats();
      expect(after.liveBytes).toBe(before.liveBytes);
      expect(after.liveBlocks).toBe(before.liveBlocks);
    });
  }
  const predicts: [string, unknown, RegExp][] = [
    ['n NaN', { n: NaN }, /n must be a positive integer/],
    ['n valueOf', { n: { valueOf: () => 1 } }, /n must be a positive integer/],
    ['preprocess "yes"', { preprocess: 'yes' }, /preprocess must be true or false/],
    ['output "toString"', { output: 'toString' }, /output must be one of/],
    ['unknown key toString', { toString: 1 }, /unknown option "toString"/],
    ['null', null, /the second argument must be n or/],
  ];
  for (const [what, opts, pattern] of predicts) {
    it(`predict refuses ${what}`, () => {
      const m = trained();
      const before = snapshot(m);
      refused(() => m.predict(new Float32Array(8), opts as never), pattern);
      expect(snapshot(m)).toEqual(before);
    });
  }
});

describe('createEngine options', () => {
  const cases: [string, unknown, RegExp][] = [
    ['maxMemoryMB NaN', { maxMemoryMB: NaN }, /maxMemoryMB must be between 1 and 4096/],
    ['maxMemoryMB "256"', { maxMemoryMB: '256' }, /maxMemoryMB must be between 1 and 4096/],
    ['maxMemoryMB 1e9', { maxMemoryMB: 1e9 }, /maxMemoryMB must be between 1 and 4096/],
    ['initialMemoryMB -1', { initialMemoryMB: -1 }, /initialMemoryMB must be between 1/],
    ['gemmTile "4"', { gemmTile: '4' }, /gemmTile must be 4, 5 or 6/],
    ['unknown key toString', { toString: 1 }, /unknown option "toString"/],
    ['null', null, /options must be an object/],
  ];
  for (const [what, opts, pattern] of cases) {
    it(`refuses ${what}`, () => refused(() => Engine.createSync(opts as never), pattern));
  }
});

describe('the other entry points with an options object: own keys, a plain object, a DescentError', () => {
  const m = () => new Model(engine, { inputs: 4, layers: [{ units: 5 }, { units: 3 }] });
  const batch = { x: DATA.x.subarray(0, 16), n: 4, labels: DATA.labels!.subarray(0, 4) };
  const calls: [string, (o: unknown) => unknown][] = [
    ['trainTestSplit', (o) => d.trainTestSplit(DATA, o as never)],
    ['reduceOnPlateau', (o) => d.reduceOnPlateau(0.1, o as never)],
    ['gradientNoise', (o) => d.gradientNoise(o as never)],
    ['polyakAverage', (o) => d.polyakAverage(m(), o as never)],
    ['emaOfWeights', (o) => d.emaOfWeights(m(), o as never)],
    ['gradientCheck', (o) => d.gradientCheck(m(), batch, o as never)],
    ['histogram', (o) => d.histogram([1, 2, 3], o as never)],
    ['histogramSvg', (o) => d.histogramSvg(d.histogram([1, 2, 3]), o as never)],
    ['networkObjective', (o) => d.networkObjective(m(), DATA, o as never)],
    ['lossAlongLine', (o) => d.lossAlongLine(m(), DATA, o as never)],
    ['lossSurface', (o) => d.lossSurface(m(), DATA, o as never)],
    ['randomDirection', (o) => d.randomDirection(m(), o as never)],
    ['lineChartSvg', (o) => d.lineChartSvg([{ name: 'a', x: [1, 2], y: [1, 2] }], o as never)],
    ['trainingCurveSvg', (o) => d.trainingCurveSvg({ epoch: [1, 2], loss: [1, 0.5] }, o as never)],
    ['rocCurveSvg', (o) => d.rocCurveSvg([], o as never)],
    ['confusionMatrixSvg', (o) => d.confusionMatrixSvg(d.confusionMatrix(Int32Array.of(0, 1), Int32Array.of(0, 1), 2), o as never)],
    ['exportOnnx', (o) => d.exportOnnx(m(), o as never)],
    ['exportTorch', (o) => d.exportTorch(m(), o as never)],
    ['lbfgs', (o) => d.lbfgs(o as never)],
  ];
  const hostile: [string, unknown][] = [['null', null], ['a string', 'x'], ['toString key', { toString: 1 }], ['own __proto__ key', JSON.parse('{"__proto__": {"a": 1}}')]];
  for (const [name, call] of calls) {
    it(`${name} refuses null, a string, and prototype-named keys`, () => {
      for (const [what, o] of hostile) {
        let err: unknown;
        try { call(o); } catch (e) { err = e; }
        expect(err, `${name}(${what})`).toBeInstanceOf(DescentError);
        expect((err as Error).message, `${name}(${what})`).toMatch(new RegExp(`^${name}: `));
      }
    });
  }
  it('layerStats and clipByGlobalNorm refuse a null batch and a toString object as a limit', () => {
    refused(() => d.layerStats(m(), null as never), /layerStats: the batch must be an object/);
    refused(() => d.clipByGlobalNorm(m().gradients(), { toString: 1 } as never), /clipByGlobalNorm: the limit must be a positive finite number, got object/);
  });
});

describe('values whose String() throws ({ toString: 1 }) still give the library error, naming the option', () => {
  const evil = { toString: 1 } as never;
  const engine = Engine.createSync({ isa: 'simd' });
  const data = d.trainTestSplit(d.digits(), { testFraction: 0.2, seed: 1 }).train;
  it('fit, fitAsync, reduceOnPlateau, tensor shapes, error messages of the optimizers', async () => {
    const m = new Model(engine, { inputs: 64, seed: 1, layers: [{ units: 4, activation: 'tanh' }, { units: 10 }] });
    const before = m.parameters().toArray();
    expect(() => fit(m, data, { epochs: evil })).toThrow(/epochs must be a positive integer, got \[object Object\]/);
    await expect(fitAsync(m, data, { epochs: evil })).rejects.toThrow(DescentError);
    expect(() => d.reduceOnPlateau(evil)).toThrow(/reduceOnPlateau: lr0 must be a positive finite number, got \[object Object\]/);
    expect(() => engine.tensor([evil])).toThrow(DescentError);
    expect(() => optimizer('adam', { lr: evil })).toThrow(DescentError);
    expect(m.parameters().toArray()).toEqual(before);
    m.release();
  });
  it('null options: digits, loadDataset, minimize', async () => {
    expect(() => d.digits(null as never)).toThrow(/digits: options must be an object/);
    await expect(d.loadDataset('mnist', null as never)).rejects.toThrow(/loadDataset: options must be an object \{ mirror, .*\}, got null/);
    await expect(d.loadDataset('mnist', { toString: 1 } as never)).rejects.toThrow(/loadDataset: unknown option "toString"; known: mirror/);
    expect(() => d.minimize({ n: 1, value: (x: Float64Array) => x[0] * x[0] }, [1], null as never)).toThrow(/minimize: options must be an object/);
    expect(() => d.digits({ toString: 1 } as never)).toThrow(/digits: unknown option "toString"/);
  });
});
