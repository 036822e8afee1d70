// ONNX export and import of CNNs (src/io/onnx/), checked by onnxruntime-node.
// Models: digits CNNs (inputs [1, 8, 8]) with convolution of every option (stride, padding,
// 'same' with an even kernel — asymmetric pads —, dilation, groups, depthwise, no bias), batch
// norm after a conv (per channel) and after a Flatten (per feature), layer norm over an image,
// max/average/global pooling, spatial dropout, explicit and implicit Flatten, Dense heads; and a
// 3-channel model on random images with per-feature preprocessing. Each is trained a few steps
// (batch norm then has real running statistics), exported, run in onnxruntime on NCHW inputs
// (descent is given the same images channels-last) and compared: |a − b| ≤ 1e-5·max(1, |b|).
// The exported file imported back gives the same predictions and the same parameter bits.
// Hand-made graphs check the import of PyTorch's forms (Reshape flatten, activation after
// MaxPool, auto_pad, per-channel preprocessing) and its refusals.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import * as d from '../src/index.js';
import { Model, type AnyLayerSpec, type ModelSpec } from '../src/nn/model.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { importOnnx } from '../src/io/onnx/import.js';
import { decodeModel } from '../src/io/onnx/messages.js';
import { ProtoWriter } from '../src/io/onnx/protobuf.js';
import { DescentError } from '../src/engine/errors.js';
import { Random } from '../src/random.js';
import { engineFor, isas } from './engines.js';

const TOL = 1e-5;
const report: string[] = [];
afterAll(() => console.log(`ONNX CNN agreement (max |a − b| / max(1, |b|)):\n${report.join('\n')}`));

const L = (s: Record<string, unknown>): AnyLayerSpec => s as unknown as AnyLayerSpec;

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    m = Number.isNaN(r) ? Infinity : Math.max(m, r);
  }
  return m;
}

/** n samples channels-last (h, w, c) → NCHW. */
function nchw(x: Float32Array, n: number, [c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(i * c + ch) * h * w + p] = x[(i * h * w + p) * c + ch];
  return out;
}

const digits = d.digits();
const N = 100;
const xd = digits.x.subarray(0, N * 64);
const rimg = new Random(21);
const SHAPE3 = [3, 10, 12] as const;
const x3 = Float32Array.from({ length: N * 360 }, () => rimg.normal());

interface Case { name: string; spec: ModelSpec; x: Float32Array; preprocess?: boolean }
const digitsSpec = (layers: Record<string, unknown>[], extra: Partial<ModelSpec> = {}): ModelSpec => ({ inputs: [1, 8, 8], seed: 3, layers: layers.map(L), ...extra });
const CASES: Case[] = [
  { name: 'conv pad-stride, maxpool, implicit flatten', x: xd, spec: digitsSpec([
    { type: 'conv2d', filters: 6, kernel: 3, padding: 1, activation: 'relu' },
    { type: 'maxpool2d', kernel: 2 },
    { type: 'conv2d', filters: 8, kernel: 3, stride: 2, padding: 1, activation: 'tanh' },
    { units: 10 }]) },
  { name: "'same' even kernel, bn2d, avgpool", x: xd, spec: digitsSpec([
    { type: 'conv2d', filters: 5, kernel: 2, padding: 'same', activation: 'elu', alpha: 0.7 },
    { type: 'batchnorm', activation: 'relu' },
    { type: 'avgpool2d', kernel: 2, padding: 1, countIncludePad: false },
    { type: 'flatten' },
    { units: 16, activation: 'relu' },
    { units: 10 }]) },
  { name: 'dilation, groups, depthwise, gap', x: xd, spec: digitsSpec([
    { type: 'conv2d', filters: 4, kernel: 3, activation: 'leaky-relu', alpha: 0.1 },
    { type: 'conv2d', filters: 6, kernel: 3, dilation: 2, padding: 2, groups: 2, activation: 'relu' },
    { type: 'conv2d', filters: 6, kernel: 3, padding: 1, groups: 6, bias: false, activation: 'sigmoid' },
    { type: 'globalavgpool' },
    { units: 10 }]) },
  { name: 'pool stride/pad, dropout2d, flat bn', x: xd, spec: digitsSpec([
    { type: 'conv2d', filters: 4, kernel: [3, 2], stride: [1, 2], padding: [1, 0], activation: 'softsign' },
    { type: 'batchnorm' },
    { type: 'dropout2d', rate: 0.2 },
    { type: 'maxpool2d', kernel: 3, stride: 2, padding: 1 },
    { type: 'avgpool2d', kernel: 3, stride: 1, padding: 1 },
    { type: 'flatten' },
    { type: 'batchnorm', activation: 'tanh' },
    { type: 'dropout', rate: 0.1 },
    { units: 10 }]) },
  { name: 'layernorm over an image', x: xd, spec: digitsSpec([
    { type: 'conv2d', filters: 3, kernel: 3, stride: 2, activation: 'linear' },
    { type: 'layernorm', activation: 'relu' },
    { type: 'batchnorm' },
    { units: 10 }]) },
  { name: '3-channel bce-logits + preprocess', x: x3, preprocess: true, spec: { inputs: SHAPE3, seed: 5, loss: 'bce-logits', layers: [
    { type: 'conv2d', filters: 6, kernel: 3, padding: 'same', groups: 3, activation: 'relu' },
    { type: 'maxpool2d', kernel: 2 },
    { type: 'conv2d', filters: 8, kernel: [2, 3], activation: 'tanh' },
    { type: 'batchnorm' },
    { type: 'flatten' },
    { units: 4 }].map(L) } },
];

/** A few steps of training (batch norm running statistics, weights away from their init). */
function trained(engine: d.Engine, c: Case): Model {
  const model = new Model(engine, c.spec);
  const features = model.inputs;
  const data: d.Dataset = c.x === xd
    ? d.subset(digits, Int32Array.from({ length: 200 }, (_, i) => i))
    : { x: c.x, n: N, features, targets: Float32Array.from({ length: N * 4 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), targetWidth: 4 };
  d.fit(model, data, { epochs: 2, batchSize: 25, optimizer: d.optimizer('adam', { lr: 3e-3 }), seed: 4 });
  if (c.preprocess) {
    const r = new Random(9);
    model.setPreprocess({ scale: 0.5, mean: new Float32Array(features).map(() => 0.1 * r.normal()), std: new Float32Array(features).map(() => 0.5 + r.uniform()) });
  }
  return model.eval();
}

async function session(bytes: Uint8Array) {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}
async function run(s: ort.InferenceSession, x: Float32Array, n: number, shape: readonly number[]) {
  const r = await s.run({ input: new ort.Tensor('float32', nchw(x, n, shape), [n, ...shape]) });
  return { logits: r.logits.data as Float32Array, probabilities: r.probabilities.data as Float32Array };
}

/** Every parameter and running statistic, bit for bit. */
function sameBits(a: Model, b: Model): void {
  // dropout is not in an inference graph, and a Flatten comes back as a layer: compare the rest
  const kept = (m: Model) => m.layers.filter((l) => !['dropout', 'dropout2d', 'flatten'].includes(l.type));
  const [la, lb] = [kept(a), kept(b)];
  expect(lb.map((l) => l.type)).toEqual(la.map((l) => l.type));
  la.forEach((l, i) => {
    const m = lb[i];
    expect([m.activation, Math.fround(m.alpha)], `layer ${i} ${l.type}`).toEqual([l.activation, Math.fround(l.alpha)]); // α travels as a float32 attribute
    for (const [x, y] of [[l.W, m.W], [l.b, m.b], [l.runningMean, m.runningMean], [l.runningVar, m.runningVar]] as const) {
      expect(y === undefined, `layer ${i} ${l.type}`).toBe(x === undefined);
      if (!x || !y) continue;
      const p = new Uint32Array(x.toArray().buffer), q = new Uint32Array(y.toArray().buffer);
      expect(q.findIndex((v, k) => v !== p[k]), `layer ${i} ${l.type}: first differing bit pattern`).toBe(-1);
    }
  });
}

describe.each(isas)('CNN → ONNX → onnxruntime-node (%s)', (isa) => {
  const engine = engineFor(isa);
  it.each(CASES.map((c) => [c.name, c] as const))('%s: logits and probabilities agree on NCHW inputs; import gives the same model', async (_name, c) => {
    const model = trained(engine, c);
    const shape = model.inputShape!;
    const bytes = exportOnnx(model);
    const dm = decodeModel(bytes);
    expect(dm.graph!.inputs[0].dims).toEqual(['batch', ...shape]);
    const s = await session(bytes);
    let worst = 0;
    for (const n of [1, 7, N]) {
      const x = c.x.subarray(0, n * model.inputs);
      const o = await run(s, x, n, shape);
      worst = Math.max(worst, maxRel(o.logits, model.predict(x, { n, output: 'logits' })), maxRel(o.probabilities, model.predict(x, { n })));
    }
    report.push(`  ${isa.padEnd(8)} ${c.name.padEnd(44)} ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOL);
    const back = importOnnx(engine, bytes);
    expect(back.inputShape).toEqual(shape);
    expect(back.loss).toBe(model.loss);
    sameBits(model, back);
    if (c.preprocess) {
      const [p, q] = [model.preprocess!, back.preprocess!];
      expect(q.scale).toBe(p.scale);
      expect(Array.from(q.mean!)).toEqual(Array.from(p.mean!));
      expect(Array.from(q.std!)).toEqual(Array.from(p.std!));
    }
    const want = model.predict(c.x), got = back.predict(c.x);
    expect(maxRel(got, want)).toBe(0);
    model.release();
    back.release();
  }, 60_000);
});

describe('CNN export graph', () => {
  const engine = engineFor(isas[0]);
  it('operators and attributes: Conv (OIHW, asymmetric pads for even \'same\'), pools, implicit Flatten, opset 13', () => {
    const model = new Model(engine, digitsSpec([
      { type: 'conv2d', filters: 2, kernel: 2, padding: 'same', dilation: 1 },
      { type: 'maxpool2d', kernel: 2 },
      { type: 'dropout2d', rate: 0.5 },
      { units: 10 }]));
    const g = decodeModel(exportOnnx(model)).graph!;
    expect(g.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'MaxPool', 'Dropout', 'Flatten', 'Gemm', 'Identity', 'Softmax']);
    const conv = g.nodes[0].attributes;
    expect(conv.get('pads')!.ints).toEqual([0, 0, 1, 1]);
    expect(conv.get('kernel_shape')!.ints).toEqual([2, 2]);
    expect(g.initializers.find((t) => t.name === 'layers.0.weight')!.dims).toEqual([2, 1, 2, 2]);
    expect(g.initializers.find((t) => t.name === 'layers.3.weight')!.dims).toEqual([32, 10]);
    model.release();
  });
});

// ---- import of hand-made graphs (PyTorch's forms) ----

interface GInit { name: string; dims: number[]; floats?: ArrayLike<number>; int64s?: number[] }
interface GAttr { name: string; i?: number; f?: number; ints?: number[]; s?: string }
interface GNode { op: string; inputs: string[]; outputs: string[]; attrs?: GAttr[] }
function graph(nodes: GNode[], inits: GInit[], inDims: (number | string)[], outDims: (number | string)[] = ['N', 3]): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 7).string(2, 'test');
  w.message(8, (o) => o.string(1, '').int(2, 13));
  const value = (vw: ProtoWriter, name: string, dims: (number | string)[]) => vw.string(1, name).message(2, (t) => t.message(1, (tt) => {
    tt.int(1, 1).message(2, (s) => { for (const dd of dims) s.message(1, (dw) => (typeof dd === 'number' ? dw.int(1, dd) : dw.string(2, dd))); });
  }));
  w.message(7, (g) => {
    nodes.forEach((n, k) => g.message(1, (nw) => {
      for (const i of n.inputs) nw.string(1, i);
      for (const o of n.outputs) nw.string(2, o);
      nw.string(3, `n${k}`).string(4, n.op);
      for (const a of n.attrs ?? []) nw.message(5, (aw) => {
        aw.string(1, a.name);
        if (a.f !== undefined) aw.float(2, a.f).int(20, 1);
        else if (a.i !== undefined) aw.int(3, a.i).int(20, 2);
        else if (a.s !== undefined) aw.string(4, a.s).int(20, 3);
        else if (a.ints !== undefined) aw.packedInts(8, a.ints).int(20, 7);
      });
    }));
    g.string(2, 'g');
    for (const t of inits) g.message(5, (tw) => {
      tw.packedInts(1, t.dims).int(2, t.int64s ? 7 : 1).string(8, t.name);
      if (t.int64s) tw.packedInts(7, t.int64s);
      else tw.bytes(9, new Uint8Array(Float32Array.from(t.floats!).buffer));
    });
    g.message(11, (vw) => value(vw, 'x', inDims));
    g.message(12, (vw) => value(vw, 'y', outDims));
  });
  return w.finish();
}

const rnd = (r: Random, k: number, s = 0.5) => Array.from({ length: k }, () => s * r.normal());

/**
 * A PyTorch-style CNN on [2, 6, 5] inputs: per-channel Sub/Div preprocessing, Conv (pads given),
 * MaxPool → Relu (the activation after the pool), Conv with auto_pad SAME_UPPER (even kernel),
 * BatchNormalization, Relu, Reshape to [N, -1] via Shape/Gather/Unsqueeze/Concat, Gemm (transB),
 * Softmax. `edit` changes a node's attributes for the refusal tests.
 */
function torchLike(edit?: (nodes: GNode[], inits: GInit[]) => void): Uint8Array {
  const r = new Random(77);
  const inits: GInit[] = [
    { name: 'mean', dims: [1, 2, 1, 1], floats: [0.2, -0.1] }, { name: 'std', dims: [2, 1, 1], floats: [0.5, 2] },
    { name: 'w1', dims: [4, 2, 3, 3], floats: rnd(r, 72) }, { name: 'b1', dims: [4], floats: rnd(r, 4) },
    { name: 'w2', dims: [4, 1, 2, 2], floats: rnd(r, 16) }, { name: 'b2', dims: [4], floats: rnd(r, 4) },
    { name: 'g', dims: [4], floats: rnd(r, 4).map((v) => 1 + v) }, { name: 'be', dims: [4], floats: rnd(r, 4) },
    { name: 'rm', dims: [4], floats: rnd(r, 4) }, { name: 'rv', dims: [4], floats: rnd(r, 4).map((v) => 0.5 + Math.abs(v)) },
    { name: 'fw', dims: [3, 24], floats: rnd(r, 72) }, { name: 'fb', dims: [3], floats: rnd(r, 3) },
    { name: 'zero', dims: [], int64s: [0] }, { name: 'm1', dims: [1], int64s: [-1] }, { name: 'ax0', dims: [1], int64s: [0] },
  ];
  const nodes: GNode[] = [
    { op: 'Sub', inputs: ['x', 'mean'], outputs: ['p1'] },
    { op: 'Div', inputs: ['p1', 'std'], outputs: ['p2'] },
    { op: 'Conv', inputs: ['p2', 'w1', 'b1'], outputs: ['c1'], attrs: [{ name: 'kernel_shape', ints: [3, 3] }, { name: 'pads', ints: [1, 1, 1, 1] }, { name: 'strides', ints: [1, 1] }] },
    { op: 'MaxPool', inputs: ['c1'], outputs: ['m1o'], attrs: [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'strides', ints: [2, 2] }, { name: 'ceil_mode', i: 0 }] },
    { op: 'Relu', inputs: ['m1o'], outputs: ['r1'] },
    { op: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'group', i: 4 }, { name: 'auto_pad', s: 'SAME_UPPER' }] },
    { op: 'BatchNormalization', inputs: ['c2', 'g', 'be', 'rm', 'rv'], outputs: ['bn'], attrs: [{ name: 'epsilon', f: 1e-5 }] },
    { op: 'Relu', inputs: ['bn'], outputs: ['r2'] },
    { op: 'Shape', inputs: ['r2'], outputs: ['sh'] },
    { op: 'Gather', inputs: ['sh', 'zero'], outputs: ['n0'], attrs: [{ name: 'axis', i: 0 }] },
    { op: 'Unsqueeze', inputs: ['n0', 'ax0'], outputs: ['n1'] },
    { op: 'Concat', inputs: ['n1', 'm1'], outputs: ['shape'], attrs: [{ name: 'axis', i: 0 }] },
    { op: 'Reshape', inputs: ['r2', 'shape'], outputs: ['flat'] },
    { op: 'Gemm', inputs: ['flat', 'fw', 'fb'], outputs: ['z'], attrs: [{ name: 'transB', i: 1 }] },
    { op: 'Softmax', inputs: ['z'], outputs: ['y'], attrs: [{ name: 'axis', i: 1 }] },
  ];
  edit?.(nodes, inits);
  return graph(nodes, inits, ['N', 2, 6, 5]);
}

describe('ONNX import of CNN graphs', () => {
  const engine = engineFor(isas[0]);
  it('a PyTorch-style graph (per-channel preprocessing, MaxPool → Relu, SAME_UPPER, Reshape flatten, Gemm transB) agrees with onnxruntime', async () => {
    const bytes = torchLike();
    const model = importOnnx(engine, bytes);
    expect(model.inputShape).toEqual([2, 6, 5]);
    expect(model.layers.map((l) => l.type)).toEqual(['conv2d', 'maxpool2d', 'conv2d', 'batchnorm', 'flatten', 'dense']);
    expect(model.layers[0].activation).toBe('relu');
    expect(model.layers[3].activation).toBe('relu');
    expect(model.loss).toBe('softmax-cross-entropy');
    const n = 9, r = new Random(3);
    const x = Float32Array.from({ length: n * 60 }, () => r.normal());
    const s = await ort.InferenceSession.create(bytes);
    const o = await s.run({ x: new ort.Tensor('float32', nchw(x, n, [2, 6, 5]), [n, 2, 6, 5]) });
    const err = maxRel(o.y.data as Float32Array, model.predict(x));
    report.push(`  import   ${'PyTorch-style graph'.padEnd(44)} ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(TOL);
    model.release();
  });

  const refuse = (what: string, edit: (nodes: GNode[], inits: GInit[]) => void, re: RegExp) =>
    it(`refuses ${what}`, () => {
      let err: unknown;
      try { importOnnx(engine, torchLike(edit)).release(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(DescentError);
      expect((err as Error).message).toMatch(re);
    });
  const conv = (nodes: GNode[]) => nodes.find((n) => n.op === 'Conv')!;
  refuse('auto_pad SAME_LOWER with asymmetric pads', (ns) => { ns[5].attrs![2].s = 'SAME_LOWER'; }, /pads \[1, 1, 0, 0\].*not supported/);
  refuse('an unknown auto_pad', (ns) => { ns[5].attrs![2].s = 'MAYBE'; }, /auto_pad "MAYBE" is not supported/);
  refuse('ceil_mode = 1', (ns) => { ns[3].attrs![2].i = 1; }, /ceil_mode = 1 is not supported/);
  refuse('asymmetric pads that are not \'same\'', (ns) => { conv(ns).attrs![1].ints = [1, 1, 0, 2]; }, /pads \[1, 1, 0, 2\].*not supported/);
  refuse('asymmetric pool pads', (ns) => { ns[3].attrs!.push({ name: 'pads', ints: [0, 0, 1, 1] }); }, /pads \[0, 0, 1, 1\]/);
  refuse('negative pads', (ns) => { conv(ns).attrs![1].ints = [-1, -1, -1, -1]; }, /padding -1 is out of range/);
  refuse('a huge stride', (ns) => { conv(ns).attrs![2].ints = [2 ** 40, 1]; }, /stride \d+ is out of range/);
  refuse('a 3-D convolution weight', (_ns, is) => { is[2].dims = [4, 2, 3, 3, 1]; }, /only 2-D convolution/);
  refuse('a kernel_shape that contradicts the weight', (ns) => { conv(ns).attrs![0].ints = [3, 2]; }, /kernel_shape \[3, 2\] does not match/);
  refuse('a group that does not fit the channels', (ns) => { ns[5].attrs![1].i = 3; }, /group 3 does not fit 4 input channels/);
  refuse('a weight whose data is short', (_ns, is) => { is[2].floats = rnd(new Random(1), 10); }, /holds 10 values, expected 72/);
  refuse('a kernel larger than the padded input', (ns, is) => { conv(ns).attrs![0].ints = [9, 3]; is[2].dims = [4, 2, 9, 3]; is[2].floats = rnd(new Random(1), 216); }, /does not fit the input height 6/);
  refuse('pool dilations', (ns) => { ns[3].attrs!.push({ name: 'dilations', ints: [2, 2] }); }, /dilations \[2, 2\] are not supported/);
  refuse('a conv with a non-constant weight', (ns) => { conv(ns).inputs[1] = 'p1'; }, /weight \(input 1\) must be a constant/);
  refuse('an activation after average pooling', (ns) => { ns[3].op = 'AveragePool'; }, /activation after avgpool2d/);
  refuse('a negative-slope LeakyRelu after max pooling', (ns) => { ns[4].op = 'LeakyRelu'; ns[4].attrs = [{ name: 'alpha', f: -0.5 }]; }, /activation after maxpool2d/);
  refuse('a broadcast constant that does not fit the image', (_ns, is) => { is[0].dims = [1, 3, 1, 1]; is[0].floats = [1, 2, 3]; }, /does not broadcast over an input of \[2, 6, 5\]/);
  refuse('a pool without kernel_shape', (ns) => { ns[3].attrs!.shift(); }, /needs kernel_shape/);

  it('refuses convolution on a non-4-D input, and an enormous output', () => {
    const r = new Random(2);
    const conv3 = graph([{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: [{ name: 'kernel_shape', ints: [1, 1] }] }], [{ name: 'w', dims: [2, 3, 1, 1], floats: rnd(r, 6) }], ['N', 3, 5]);
    expect(() => importOnnx(engine, conv3)).toThrow(/must be 4-D \[batch, channels, height, width\].*rank 3/);
    const huge = graph([{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: [{ name: 'pads', ints: [60000, 60000, 60000, 60000] }] }], [{ name: 'w', dims: [2, 1, 1, 1], floats: rnd(r, 2) }], ['N', 1, 4, 4]);
    expect(() => importOnnx(engine, huge)).toThrow(/more than this reader takes/);
  });

  it('hostile bytes: every cut and 300 mutations of an exported CNN are a model or a DescentError', () => {
    const model = new Model(engine, digitsSpec([
      { type: 'conv2d', filters: 3, kernel: 2, padding: 'same' }, { type: 'batchnorm' }, { type: 'maxpool2d', kernel: 2 },
      { type: 'avgpool2d', kernel: 2, stride: 1, padding: 1 }, { type: 'flatten' }, { units: 10 }]));
    const bytes = exportOnnx(model.eval());
    model.release();
    const counts = { ok: 0, refused: 0 };
    const outcome = (b: Uint8Array) => {
      try { importOnnx(engine, b).release(); counts.ok++; } catch (e) {
        if (!(e instanceof DescentError)) throw e;
        counts.refused++;
      }
    };
    for (let len = 0; len < bytes.length; len += 3) outcome(bytes.subarray(0, len));
    const r = new Random(5);
    for (let k = 0; k < 300; k++) {
      const b = bytes.slice();
      for (let j = 1 + r.int(3); j > 0; j--) b[r.int(b.length)] = [0, 0x7f, 0x80, 0xff, r.int(256)][r.int(5)];
      outcome(b);
    }
    report.push(`  fuzz     ${bytes.length} bytes: ${counts.ok} models, ${counts.refused} refused`);
    expect(counts.refused).toBeGreaterThan(0);
  });
});

// CNNs exported by torch.onnx.export (PyTorch 1.13; scripts/torch-onnx-cnn-fixture.py writes
// test/fixtures/onnx/torch-cnn*.onnx and torch-cnn.json: NCHW inputs, PyTorch's outputs).
describe('PyTorch CNN → ONNX → descent', () => {
  const engine = engineFor(isas[0]);
  const f = JSON.parse(readFileSync(new URL('./fixtures/onnx/torch-cnn.json', import.meta.url), 'utf8')) as
    { torch: string; shape: [number, number, number]; fixtures: Record<string, { x: number[]; y: number[] }> };
  it.each(Object.keys(f.fixtures))('%s predicts as PyTorch did (inputs given channels-last)', (name) => {
    const { x: xs, y } = f.fixtures[name];
    const model = importOnnx(engine, readFileSync(new URL(`./fixtures/onnx/${name}.onnx`, import.meta.url)));
    const [c, h, w] = f.shape;
    expect(model.inputShape).toEqual([c, h, w]);
    const n = xs.length / (c * h * w);
    const x = new Float32Array(xs.length);
    for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) x[(i * h * w + p) * c + ch] = xs[(i * c + ch) * h * w + p];
    const err = maxRel(model.predict(x), y);
    report.push(`  torch ${f.torch.padEnd(6)} ${name.padEnd(40)} ${err.toExponential(2)}  (${model.layers.map((l) => l.type).join(', ')})`);
    expect(err).toBeLessThanOrEqual(TOL);
    model.release();
  });
});
