// Model files and checkpoints of CNNs (image layers, #15): a CNN trained a few steps on the 8×8
// digits saves and loads to the same parameters, running statistics, predictions (bits) and
// spec; a checkpoint resumes to the bits of an uninterrupted run; and hostile descriptions of
// image layers (a kernel larger than the image, groups that do not divide, a tensor of the wrong
// shape, huge filters) are refused with a DescentError before anything is allocated.
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import type { AnyLayerSpec, ModelSpec } from '../src/nn/model.js';
import { planModel } from '../src/nn/model.js';
import { engineFor, isas } from './engines.js';
import { bits } from './reference.js';

const L = (x: unknown): AnyLayerSpec => x as AnyLayerSpec;

// conv: asymmetric 'same' (even kernel height), groups + leaky-relu, stride 2 + padding + an
// initializer; batch norm 2d after a conv; max pool; spatial dropout; avg pool without the
// padding in the count; global average pool — and a second net ending in flatten
const SPECS: [string, ModelSpec][] = [
  ['conv-bn-conv(groups)-maxpool-dropout2d-conv(stride)-avgpool-globalavgpool-dense', {
    inputs: [1, 8, 8], seed: 3, layers: [
      L({ type: 'conv2d', filters: 4, kernel: [2, 3], padding: 'same', bias: false, activation: 'linear' }),
      L({ type: 'batchnorm', momentum: 0.2, activation: 'relu' }),
      L({ type: 'conv2d', filters: 8, kernel: 3, padding: 1, groups: 2, activation: 'leaky-relu', alpha: 0.1 }),
      L({ type: 'maxpool2d', kernel: 2 }),
      L({ type: 'dropout2d', rate: 0.25, seed: 5 }),
      L({ type: 'conv2d', filters: 8, kernel: 3, stride: 2, padding: 1, init: 'he-uniform', activation: 'relu' }),
      L({ type: 'avgpool2d', kernel: 2, stride: 1, padding: 1, countIncludePad: false }),
      L({ type: 'globalavgpool' }),
      { units: 10 }],
  }],
  ['conv(stride, dilation)-bn-avgpool(count pad)-dropout2d-flatten-dense-dense', {
    inputs: [1, 8, 8], seed: 4, layers: [
      L({ type: 'conv2d', filters: 6, kernel: [3, 2], stride: [1, 2], padding: [2, 1], dilation: [2, 1], activation: 'tanh' }),
      L({ type: 'batchnorm', eps: 1e-3 }),
      L({ type: 'avgpool2d', kernel: 3, stride: 2, padding: 1 }),
      L({ type: 'dropout2d', rate: 0.1 }),
      L({ type: 'flatten' }),
      { units: 12, activation: 'elu', alpha: 0.5 },
      { units: 10 }],
  }],
];

const digits = d.digits();
const part = d.subset(digits, Int32Array.from({ length: 192 }, (_, i) => i));
const probe = d.subset(digits, Int32Array.from({ length: 64 }, (_, i) => 1000 + i));

const enc = new TextEncoder();
function parts(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}
/** bytes with the header rewritten by f (the data section as it was). */
function rewrite(bytes: Uint8Array, f: (h: Record<string, any>) => void): Uint8Array {
  const { header, data } = parts(bytes);
  f(header);
  const h = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
/** The file with its model description's layer i (parsed) rewritten by f. */
const withLayer = (bytes: Uint8Array, i: number, f: (l: Record<string, any>, spec: Record<string, any>) => void): Uint8Array => rewrite(bytes, (h) => {
  const spec = JSON.parse(h.__metadata__.model);
  f(spec.layers[i], spec);
  h.__metadata__.model = JSON.stringify(spec);
});

describe.each(isas)('CNN model files (%s)', (isa) => {
  const e = engineFor(isa);

  function trained(spec: ModelSpec, epochs = 1): d.Model {
    const m = new d.Model(e, spec);
    d.fit(m, part, { epochs, batchSize: 32, seed: 2, optimizer: d.optimizer('adam', { lr: 3e-3 }) });
    return m;
  }

  it.each(SPECS)('%s: save → load gives the same parameters, statistics, predictions (bits) and spec', (_name, spec) => {
    const m = trained(spec);
    expect(m.passes).toBe(6);
    const bytes = d.saveModel(m);
    // the file's conv weights are the library's W [kh·kw·cg, filters], batch norm's tensors [channels]
    const { header } = parts(bytes);
    const conv = m.layers[0].config!;
    expect(header['layers.0.weight'].shape).toEqual([conv.kh * conv.kw * conv.c / conv.groups, conv.filters]);
    expect(header['layers.1.running_var'].shape).toEqual([conv.filters]);
    expect(Object.keys(header).filter((k) => k.startsWith(`layers.${m.layers.findIndex((l) => l.type === 'dropout2d')}.`))).toEqual([]);
    expect(JSON.parse(header.__metadata__.model).inputs).toEqual([1, 8, 8]);

    const e2 = engineFor(isa);
    const back = d.loadModel(e2, bytes);
    expect(d.modelSpec(back)).toEqual(d.modelSpec(m));
    expect(back.describe()).toBe(m.describe());
    expect(back.inputShape).toEqual([1, 8, 8]);
    expect(back.passes).toBe(m.passes);
    expect(bits(back.parameters().toArray())).toEqual(bits(m.parameters().toArray()));
    const stats = (x: d.Model) => x.buffers().map((b) => [b.name, bits(b.tensor.toArray())]);
    expect(stats(back)).toEqual(stats(m));
    expect(stats(m).length).toBe(2);
    expect(bits(back.predict(probe.x))).toEqual(bits(m.predict(probe.x)));
    expect(Array.from(back.predictLabels(probe.x))).toEqual(Array.from(m.predictLabels(probe.x)));
    // and saving the loaded model gives the same bytes
    expect(d.saveModel(back)).toEqual(bytes);
    // training on continues identically (masks numbered by the stored pass counter)
    for (const x of [m, back]) d.fit(x, part, { epochs: 1, batchSize: 64, seed: 9, optimizer: d.optimizer('sgd', { lr: 0.05 }) });
    expect(bits(back.parameters().toArray())).toEqual(bits(m.parameters().toArray()));
    back.release();
    m.release();
  }, 30_000);

  it.each(SPECS)('%s: the spec written rebuilds the identical model', (_name, spec) => {
    const a = new d.Model(e, spec);
    const s = d.modelSpec(a);
    const b = new d.Model(e, s);
    expect(b.describe()).toBe(a.describe());
    expect(b.layers.map((l) => [l.type, l.width, l.image, l.config, l.weightOffset, l.biasOffset, l.activation, l.alpha, l.init, l.seed, l.rate]))
      .toEqual(a.layers.map((l) => [l.type, l.width, l.image, l.config, l.weightOffset, l.biasOffset, l.activation, l.alpha, l.init, l.seed, l.rate]));
    expect(bits(b.parameters().toArray())).toEqual(bits(a.parameters().toArray())); // same initialization
    expect(d.modelSpec(b)).toEqual(s);
    // planModel, the constructor's checks and layout without allocating
    const p = planModel(s);
    expect([p.parameterCount, p.outputs, p.inputs]).toEqual([a.parameterCount, a.outputs, a.inputs]);
    expect(p.plans.map((q) => q.weightOffset)).toEqual(a.layers.map((l) => l.weightOffset));
    a.release();
    b.release();
  });

  it("'same' padding that is asymmetric is written as 'same', symmetric as [ph, pw]", () => {
    const m = new d.Model(e, { inputs: [2, 7, 6], layers: [
      L({ type: 'conv2d', filters: 2, kernel: [4, 3], padding: 'same' }),
      L({ type: 'conv2d', filters: 2, kernel: 3, padding: 'same' }),
      L({ type: 'conv2d', filters: 2, kernel: [3, 2], dilation: [1, 3], padding: 'same' }),
      { units: 2 }] });
    const s = d.modelSpec(m).layers as unknown as Record<string, unknown>[];
    expect(s.map((l) => l.padding).slice(0, 3)).toEqual(['same', [1, 1], 'same']);
    const back = d.loadModel(e, d.saveModel(m));
    expect(back.layers.map((l) => l.config)).toEqual(m.layers.map((l) => l.config));
    back.release();
    m.release();
  });

  it('a checkpoint of a CNN resumes to the bits of the uninterrupted run', () => {
    const [, spec] = SPECS[0];
    const config = () => d.optimizer('nadam', { lr: d.schedules.cosine(4e-3, { tMax: 24 }) }, { groups: [{ layers: [2], lrScale: 0.5 }] });
    const opts = { batchSize: 32, seed: 3 };
    const straight = new d.Model(e, spec);
    d.fit(straight, part, { ...opts, epochs: 4, optimizer: config() });

    const first = new d.Model(e, spec);
    const opt1 = config();
    d.fit(first, part, { ...opts, epochs: 2, optimizer: opt1 });
    const bytes = d.saveCheckpoint(first, opt1, { epoch: 2, step: 12 });
    first.release(); opt1.release();

    const e2 = engineFor(isa);
    const ck = d.loadCheckpoint(e2, bytes);
    expect(ck.progress).toEqual({ epoch: 2, step: 12 });
    expect(d.modelSpec(ck.model)).toEqual(d.modelSpec(straight));
    const opt2 = config();
    opt2.loadStateDict(ck.optimizer, ck.model);
    d.fit(ck.model, part, { ...opts, epochs: 4, initialEpoch: ck.progress.epoch, optimizer: opt2 });
    expect(bits(ck.model.parameters().toArray())).toEqual(bits(straight.parameters().toArray()));
    const stats = (x: d.Model) => x.buffers().map((b) => bits(b.tensor.toArray()));
    expect(stats(ck.model)).toEqual(stats(straight));
    expect(bits(ck.model.predict(probe.x))).toEqual(bits(straight.predict(probe.x)));
    // a checkpoint is a model file too
    const asModel = d.loadModel(e2, bytes);
    expect(asModel.parameterCount).toBe(straight.parameterCount);
    for (const x of [straight, ck.model, asModel]) x.release();
    opt2.release();
  }, 30_000);

  describe('hostile files are refused with a DescentError before anything is allocated', () => {
    const m = trained(SPECS[0][1]);
    const good = d.saveModel(m);
    const opt = d.optimizer('adam');
    d.fit(m, part, { epochs: 1, batchSize: 64, optimizer: opt });
    const ckpt = d.saveCheckpoint(m, opt, { epoch: 1, step: 3 });
    m.release();
    opt.release();

    /** Throws a DescentError matching msg and leaves the engine's memory (live and grown) as it was. */
    function refused(load: () => unknown, msg: RegExp): void {
      const before = e.memoryStats();
      let err: unknown;
      try { load(); } catch (x) { err = x; }
      expect(err, `expected a DescentError matching ${msg}`).toBeInstanceOf(d.DescentError);
      expect((err as Error).message).toMatch(msg);
      const after = e.memoryStats();
      expect([after.liveBytes, after.liveBlocks, after.memoryBytes]).toEqual([before.liveBytes, before.liveBlocks, before.memoryBytes]);
    }
    const both = (bytes: (base: Uint8Array) => Uint8Array, msg: RegExp): void => {
      refused(() => d.loadModel(e, bytes(good)), msg);
      refused(() => d.loadCheckpoint(e, bytes(ckpt)), msg);
    };

    it('the untouched files load', () => {
      d.loadModel(e, good).release();
      d.loadCheckpoint(e, ckpt).model.release();
    });

    it('a conv kernel larger than the image', () => {
      both((b) => withLayer(b, 0, (l) => { l.kernel = [9, 9]; l.padding = [0, 0]; }), /invalid model description: layer 0 \(conv2d\): a height window of 9 \(kernel 9\) does not fit an input height of 8 with padding 0/);
      both((b) => withLayer(b, 5, (l) => { l.kernel = 7; }), /layer 5 \(conv2d\): a height window of 7 .* does not fit an input height of 4/);
      both((b) => withLayer(b, 3, (l) => { l.kernel = 16; }), /layer 3 \(maxpool2d\): a height window of 16/);
    });

    it('groups that do not divide the channels or the filters', () => {
      both((b) => withLayer(b, 2, (l) => { l.groups = 3; }), /layer 2 \(conv2d\): groups must be a positive integer dividing both the input channels \(4\) and filters \(8\), got 3/);
      both((b) => withLayer(b, 2, (l) => { l.groups = 0; }), /groups must be a positive integer/);
      both((b) => withLayer(b, 2, (l) => { l.groups = { toString: 1 }; }), /groups must be a positive integer/);
    });

    it('a tensor of the wrong shape: PyTorch layout, transposed, a running statistic per pixel', () => {
      both((b) => rewrite(b, (h) => { h['layers.2.weight'].shape = [8, 2, 3, 3]; }), /tensor layers.2.weight: shape \[8,2,3,3\], expected \[18,8\]/);
      both((b) => rewrite(b, (h) => { h['layers.2.weight'].shape = [8, 18]; }), /tensor layers.2.weight: shape \[8,18\], expected \[18,8\]/);
      both((b) => rewrite(b, (h) => { h['layers.1.running_mean'].shape = [1, 4]; }), /tensor layers.1.running_mean: shape \[1,4\], expected \[4\]/);
      // a description that changes the shapes the tensors must have
      both((b) => withLayer(b, 2, (l) => { l.groups = 1; }), /tensor layers.2.weight: shape \[18,8\], expected \[36,8\]/);
      both((b) => withLayer(b, 0, (_l, s) => { s.inputs = [2, 8, 8]; }), /tensor layers.0.weight: shape \[6,4\], expected \[12,4\]/);
      // a tensor for a layer that has none, or a missing one
      both((b) => rewrite(b, (h) => { h['layers.3.weight'] = h['layers.0.weight']; delete h['layers.0.weight']; }), /tensor layers.0.weight is missing|unexpected tensor layers.3.weight/);
      both((b) => withLayer(b, 0, (l) => { l.bias = true; }), /tensor layers.0.bias is missing/);
    });

    it('huge filters, a huge image, and other bad values', () => {
      both((b) => withLayer(b, 5, (l) => { l.filters = 1e9; }), /layer 5 \(conv2d\): filters must be a positive integer, got 1000000000/);
      both((b) => withLayer(b, 5, (l) => { l.filters = 65536; }), /tensor layers.5.weight: shape \[72,8\], expected \[72,65536\]/);
      both((b) => withLayer(b, 0, (l, s) => { s.inputs = [1, 40000, 40000]; l.filters = 4096; l.kernel = 8; }), /layer 0 \(conv2d\): too large/);
      both((b) => withLayer(b, 0, (_l, s) => { s.inputs = [1, 8]; }), /invalid model description: inputs must be a positive integer or an image/);
      both((b) => withLayer(b, 0, (_l, s) => { s.inputs = [1, 0, 8]; }), /invalid model description: inputs must be/);
      both((b) => withLayer(b, 0, (_l, s) => { s.inputs = 64; }), /layer 0 \(conv2d\): needs an image input/);
      both((b) => withLayer(b, 0, (l) => { l.padding = 'full'; }), /layer 0 \(conv2d\): padding must be an integer ≥ 0 or a pair/);
      both((b) => withLayer(b, 3, (l) => { l.padding = 'same'; }), /layer 3 \(maxpool2d\): padding must be an integer ≥ 0/);
      both((b) => withLayer(b, 3, (l) => { Object.assign(l, { toString: 1 }); }), /layer 3 \(maxpool2d\): unknown key "toString"/);
      both((b) => withLayer(b, 4, (l) => { l.rate = 1; }), /layer 4 \(dropout2d\): rate must be a number in \[0, 1\)/);
      both((b) => withLayer(b, 6, (l) => { l.countIncludePad = 'no'; }), /layer 6 \(avgpool2d\): countIncludePad must be true or false/);
      both((b) => withLayer(b, 7, (l) => { l.type = 'globalmaxpool'; }), /layer 7: unknown layer type "globalmaxpool"/);
      both((b) => withLayer(b, 8, (l) => { l.type = 'flatten'; delete l.units; delete l.activation; delete l.bias; delete l.init; }), /layer 8 \(flatten\): the last layer must be Dense/);
    });
  });
});
