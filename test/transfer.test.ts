import { describe, expect, it } from 'vitest';
import { digits } from '../src/data/digits.js';
import { subset } from '../src/data/dataset.js';
import { trainTestSplit } from '../src/data/split.js';
import { DescentError } from '../src/engine/errors.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { Model, type ModelSpec } from '../src/nn/model.js';
import { greedyPretrain, growModel, withNewHead } from '../src/nn/transfer.js';
import { optimizer } from '../src/optim/optimizer.js';
import { evaluate, fit } from '../src/train/fit.js';
import { sgd } from '../src/train/optimizer.js';
import { engineFor, isas } from './engines.js';

const e = engineFor(isas[0]);
const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });

/** The bits of a float array (so −0 ≠ 0 and NaN payloads count). */
const bits = (f: Float32Array) => Array.from(new Uint32Array(f.slice().buffer));

function trained(spec: ModelSpec, epochs: number, data = train): Model {
  const m = new Model(e, spec);
  fit(m, data, { epochs, optimizer: optimizer('adam', { lr: 0.01 }), seed: 2 });
  return m;
}

describe('withNewHead', () => {
  it('copies kept parameters and batch-norm statistics bit for bit, initializes the new layers from the seed', () => {
    const base = trained({
      inputs: 64, loss: 'softmax-cross-entropy', seed: 3,
      layers: [{ units: 24, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu' }, { units: 16, activation: 'tanh' }, { units: 10 }],
    }, 2);
    const before = bits(base.parameters().data);
    const { model, kept } = withNewHead(base, { outputs: 3, loss: 'bce-logits', hidden: [{ units: 8, activation: 'relu' }, { type: 'dropout', rate: 0.2 }], seed: 5 });
    expect(kept).toEqual([0, 1, 2]);
    expect(model.engine).toBe(base.engine);
    expect(model.outputs).toBe(3);
    expect(model.loss).toBe('bce-logits');
    expect(model.layers.map((l) => l.type)).toEqual(['dense', 'batchnorm', 'dense', 'dense', 'dropout', 'dense']);
    const end = base.layers[3].weightOffset;
    expect(bits(model.parameters().data.subarray(0, end))).toEqual(before.slice(0, end));
    expect(bits(base.parameters().data)).toEqual(before); // the old model is untouched
    const rm = base.layers[1].runningMean!.data;
    expect(rm.some((v) => v !== 0)).toBe(true); // trained statistics, not the initial ones
    expect(bits(model.layers[1].runningMean!.data)).toEqual(bits(rm));
    expect(bits(model.layers[1].runningVar!.data)).toEqual(bits(base.layers[1].runningVar!.data));
    // new layers: drawn by their initializers, the same for the same seed
    const again = withNewHead(base, { outputs: 3, loss: 'bce-logits', hidden: [{ units: 8, activation: 'relu' }, { type: 'dropout', rate: 0.2 }], seed: 5 }).model;
    expect(bits(again.parameters().data)).toEqual(bits(model.parameters().data));
    expect(model.layers[3].W.data.some((v) => v !== 0)).toBe(true);
    expect(model.layers[5].W.data.some((v) => v !== 0)).toBe(true);
    const other = withNewHead(base, { outputs: 3, loss: 'bce-logits', hidden: [{ units: 8, activation: 'relu' }], seed: 6 }).model;
    expect(bits(other.layers[3].W.data)).not.toEqual(bits(model.layers[3].W.data));
    for (const m of [base, model, again, other]) m.release();
  });

  it('the new model trains; freezing the kept layers through optimizer groups leaves them bit-identical', () => {
    const base = trained({ inputs: 64, seed: 1, layers: [{ units: 32, activation: 'tanh' }, { units: 32, activation: 'tanh' }, { units: 10 }] }, 5);
    const { model, kept } = withNewHead(base, { outputs: 10, seed: 7 });
    expect(kept).toEqual([0, 1]);
    const end = model.layers[2].weightOffset;
    const keptBits = bits(model.parameters().data.subarray(0, end));
    const head = bits(model.parameters().data.subarray(end));
    const fresh = evaluate(model, test).accuracy!;
    const h = fit(model, train, { epochs: 5, optimizer: optimizer('adam', { lr: 0.01 }, { groups: [{ layers: kept, frozen: true }] }) });
    expect(bits(model.parameters().data.subarray(0, end))).toEqual(keptBits);
    expect(bits(model.parameters().data.subarray(end))).not.toEqual(head);
    expect(h.loss[h.loss.length - 1]).toBeLessThan(h.loss[0]);
    const acc = evaluate(model, test).accuracy!;
    console.log(`frozen features + new head: test accuracy ${fresh.toFixed(3)} → ${acc.toFixed(3)}`);
    expect(acc).toBeGreaterThan(0.9);
    base.release();
    model.release();
  });

  it('fine-tunes a saved and loaded model (digits 0–4) into a 10-class model', () => {
    const low = (d: typeof train) => subset(d, Int32Array.from([...d.labels!.keys()].filter((i) => d.labels![i] < 5)));
    const small = trained({ inputs: 64, seed: 4, layers: [{ units: 48, activation: 'relu' }, { units: 32, activation: 'relu' }, { units: 5 }] }, 10, { ...low(train), classes: 5 });
    const accLow = evaluate(small, { ...low(test), classes: 5 }).accuracy!;
    const loaded = loadModel(e, saveModel(small));
    expect(bits(loaded.parameters().data)).toEqual(bits(small.parameters().data));
    const { model, kept } = withNewHead(loaded, { outputs: 10, seed: 9 });
    expect(kept).toEqual([0, 1]);
    expect(model.outputs).toBe(10);
    expect(bits(model.parameters().data.subarray(0, loaded.layers[2].weightOffset))).toEqual(bits(loaded.parameters().data.subarray(0, loaded.layers[2].weightOffset)));
    fit(model, train, { epochs: 10, optimizer: optimizer('adam', { lr: 0.005 }) });
    const acc = evaluate(model, test).accuracy!;
    console.log(`digits 0–4: test accuracy ${accLow.toFixed(3)}; fine-tuned to 10 classes: ${acc.toFixed(3)}`);
    expect(accLow).toBeGreaterThan(0.95);
    expect(acc).toBeGreaterThan(0.9);
    for (const m of [small, loaded, model]) m.release();
  });
});

describe('growModel', () => {
  it('keeps the hidden layers, inserts new ones before a new output layer like the old one', () => {
    const base = trained({ inputs: 64, seed: 2, loss: 'mse', layers: [{ units: 20, activation: 'relu' }, { units: 10, activation: 'sigmoid' }] }, 2);
    const { model, kept } = growModel(base, { insert: [{ units: 12, activation: 'tanh' }, { type: 'layernorm' }] });
    expect(kept).toEqual([0]);
    expect(model.describe()).toBe(new Model(e, { inputs: 64, seed: 2, loss: 'mse', layers: [{ units: 20, activation: 'relu' }, { units: 12, activation: 'tanh' }, { type: 'layernorm' }, { units: 10, activation: 'sigmoid' }] }).describe());
    const end = base.layers[1].weightOffset;
    expect(bits(model.parameters().data.subarray(0, end))).toEqual(bits(base.parameters().data.subarray(0, end)));
    const h = fit(model, train, { epochs: 3, optimizer: optimizer('adam', { lr: 0.01 }, { groups: [{ layers: kept, frozen: true }] }) });
    expect(h.loss[2]).toBeLessThan(h.loss[0]);
    expect(bits(model.parameters().data.subarray(0, end))).toEqual(bits(base.parameters().data.subarray(0, end)));
    base.release();
    model.release();
  });

  it('gives a grown prefix of a spec the initial hidden weights of the full-depth model', () => {
    const spec: ModelSpec = { inputs: 64, seed: 8, layers: [{ units: 16 }, { units: 12 }, { units: 10 }] };
    const shallow = new Model(e, { ...spec, layers: [spec.layers[0], spec.layers[2]] });
    const deep = new Model(e, spec);
    const grown = growModel(shallow, { insert: [spec.layers[1]] }).model;
    expect(bits(grown.parameters().data)).toEqual(bits(deep.parameters().data));
    for (const m of [shallow, deep, grown]) m.release();
  });
});

describe('greedyPretrain', () => {
  it('trains layer by layer to the full depth of the spec (frozen kept layers), accuracy > 0.9', () => {
    const spec: ModelSpec = { inputs: 64, seed: 1, layers: [{ units: 32, activation: 'tanh' }, { units: 32, activation: 'tanh' }, { units: 32, activation: 'tanh' }, { units: 10 }] };
    const stages: { stage: number; kept: number[]; frozen: boolean }[] = [];
    const { model, history } = greedyPretrain(e, spec, train, {
      epochs: 8, fineTuneEpochs: 3,
      optimizer: (s) => { stages.push(s); return optimizer('adam', { lr: 0.01 }); },
      fit: { batchSize: 32, seed: 3 },
    });
    expect(model.describe()).toBe(new Model(e, spec).describe());
    expect(history.map((h) => [h.stage, h.depth, h.kept, h.frozen])).toEqual([[1, 1, [], false], [2, 2, [0], true], [3, 3, [0, 1], true], [4, 3, [], false]]);
    expect(stages.length).toBe(4);
    for (const h of history) expect(h.history.epoch.length).toBe(h.stage === 4 ? 3 : 8);
    const acc = evaluate(model, test).accuracy!;
    console.log(`greedyPretrain 64-32-32-32-10: training accuracy at the end of each stage ${history.map((h) => h.history.accuracy?.at(-1)?.toFixed(3)).join(', ')}; final test accuracy ${acc.toFixed(3)}`);
    expect(acc).toBeGreaterThan(0.9);
    model.release();
  });

  it('freezes the kept layers in each stage', () => {
    const spec: ModelSpec = { inputs: 64, seed: 2, layers: [{ units: 16, activation: 'relu' }, { units: 16, activation: 'relu' }, { units: 10 }] };
    const { model } = greedyPretrain(e, spec, train, { epochs: 2, optimizer: () => optimizer('adam', { lr: 0.01 }) });
    const firstLayer = bits(model.layers[0].W.data);
    // layer 0 is as stage 1 left it: the same as a one-hidden-layer model trained alike; without freezing it moves
    const spec1 = { ...spec, layers: [spec.layers[0], spec.layers[2]] };
    const one = new Model(e, spec1);
    fit(one, train, { epochs: 2, optimizer: optimizer('adam', { lr: 0.01 }) });
    expect(firstLayer).toEqual(bits(one.layers[0].W.data));
    const unfrozen = greedyPretrain(e, spec, train, { epochs: 2, freeze: false, optimizer: () => optimizer('adam', { lr: 0.01 }) }).model;
    expect(bits(unfrozen.layers[0].W.data)).not.toEqual(firstLayer);
    for (const m of [model, one, unfrozen]) m.release();
  });
});

describe('transfer errors', () => {
  const m = new Model(e, { inputs: 4, layers: [{ units: 3 }, { units: 2 }] });
  const lone = new Model(e, { inputs: 4, layers: [{ units: 2 }] });
  const err = (f: () => unknown, re: RegExp) => {
    expect(f).toThrow(DescentError);
    expect(f).toThrow(re);
  };
  it('withNewHead', () => {
    err(() => withNewHead(m, { outputs: 0 }), /withNewHead: outputs must be a positive integer, got 0/);
    err(() => withNewHead(m, { outputs: 2.5 }), /outputs must be a positive integer, got 2.5/);
    err(() => withNewHead(m, {} as never), /outputs must be a positive integer, got undefined/);
    err(() => withNewHead({} as never, { outputs: 2 }), /withNewHead: expected a Model/);
    err(() => withNewHead(m, { outputs: 2, loss: 'hinge' }), /withNewHead: loss/);
    err(() => withNewHead(m, { outputs: 2, hidden: [{ type: 'conv' } as never] }), /hidden\[0\]: unsupported layer type "conv"/);
    err(() => withNewHead(m, { outputs: 2, hidden: [{ units: -1 }] }), /hidden\[0\]: units must be a positive integer/);
    err(() => withNewHead(m, { outputs: 2, hidden: [{ units: 3, activation: 'prelu' }] }), /withNewHead: .*prelu/);
    err(() => withNewHead(lone, { outputs: 2, hidden: [{ type: 'batchnorm' }] }), /hidden\[0\] is a batchnorm layer, which must follow a Dense layer/);
    err(() => withNewHead(m, { outputs: 2, seed: NaN }), /withNewHead: seed must be a finite number/);
    err(() => withNewHead(m, { outputs: 2, output: 3 } as never), /withNewHead: unknown option "output"/);
    err(() => withNewHead(m, { outputs: 2, loss: 'bce-logits', outputActivation: 'tanh' }), /withNewHead: .*the last layer must be linear, got tanh/);
  });
  it('growModel', () => {
    err(() => growModel(lone, { insert: [{ units: 3 }] }), /growModel: .* has no hidden layers to keep/);
    err(() => growModel(m, { insert: [] }), /growModel: insert must hold at least one Dense layer .*none/);
    err(() => growModel(m, { insert: [{ type: 'dropout', rate: 0.1 }] }), /insert must hold at least one Dense layer .*dropout/);
    err(() => growModel(m, { insert: [{ type: 'conv2d' } as never] }), /growModel: insert\[0\]: unsupported layer type "conv2d"/);
    err(() => growModel(m, { insert: 'dense' } as never), /growModel: insert must be an array/);
    err(() => growModel(m, { insert: [{ units: 2 }, { type: 'dropout', rate: 2 }] }), /growModel: .*rate must be a number in \[0, 1\)/);
  });
  it('greedyPretrain', () => {
    const data = subset(train, Int32Array.from({ length: 40 }, (_, i) => i));
    const spec: ModelSpec = { inputs: 64, layers: [{ units: 8 }, { units: 8 }, { units: 10 }] };
    err(() => greedyPretrain(e, { inputs: 64, layers: [{ units: 10 }] }, data), /greedyPretrain: spec.layers needs at least one hidden layer/);
    err(() => greedyPretrain(e, spec, data, { epochs: 0 }), /greedyPretrain: epochs must be a positive integer/);
    err(() => greedyPretrain(e, spec, data, { fineTuneEpochs: -1 }), /fineTuneEpochs must be a non-negative integer/);
    err(() => greedyPretrain(e, spec, data, { optimizer: optimizer('adam') as never }), /greedyPretrain: optimizer must be a function/);
    err(() => greedyPretrain(e, spec, data, { epochs: 1, optimizer: () => sgd({ lr: 0.1 }) }), /greedyPretrain: freeze needs an optimizer with parameter groups/);
    err(() => greedyPretrain(e, { ...spec, layers: [{ units: 8 }, { type: 'conv' } as never, { units: 10 }] }, data), /spec.layers\[1\]: unsupported layer type "conv"/);
    err(() => greedyPretrain(e, spec, data, { lr: 0.1 } as never), /greedyPretrain: unknown option "lr"/);
    // without freezing, plain SGD is fine
    const { model } = greedyPretrain(e, spec, data, { epochs: 1, freeze: false, optimizer: () => sgd({ lr: 0.1 }) });
    expect(model.layers.length).toBe(3);
    model.release();
  });
});
