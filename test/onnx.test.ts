// ONNX export checked by onnxruntime-node, and import back (src/io/onnx/).
// Agreement: |a − b| ≤ 1e-5·max(1, |b|) per element, b = descent's own outputs ("logits": the
// output layer's values; "probabilities": Model.predict). Models: digits-sized MLPs of every
// activation, with batch norm (non-trivial running statistics), layer norm and dropout, each
// loss; and the MNIST-sized 784-500-300-10 tanh MLP on real MNIST test images, batches of 1, 7
// and 100 through one session (the batch dimension is symbolic). Every case's largest relative
// error is printed.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import type { Engine } from '../src/engine/engine.js';
import { Model, type ModelSpec } from '../src/nn/model.js';
import { digits } from '../src/data/digits.js';
import { parseIdx } from '../src/data/idx.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { importOnnx } from '../src/io/onnx/import.js';
import { decodeModel } from '../src/io/onnx/messages.js';
import { onnxBytes, tfStyle, type TModel } from './onnx-graphs.js';
import { DescentError } from '../src/engine/errors.js';
import { Random } from '../src/random.js';
import { engineFor, isas } from './engines.js';

const TOL = 1e-5;
const report: string[] = [];
afterAll(() => console.log(`ONNX agreement (max |a − b| / max(1, |b|)):\n${report.join('\n')}`));

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    m = Number.isNaN(r) ? Infinity : Math.max(m, r);
  }
  return m;
}

/** predict's logits, where the loss has them (bce computes its sigmoid inside the last layer). */
function logitsOf(model: Model, x: Float32Array, n: number): Float32Array | undefined {
  return model.loss === 'bce' ? undefined : model.predict(x, { n, output: 'logits' });
}

/** Random weights, biases, γ, β and running statistics, so that every parameter matters. */
function perturb(model: Model, seed: number): Model {
  const r = new Random(seed);
  for (const l of model.layers) {
    if (l.b) for (let i = 0; i < l.b.data.length; i++) l.b.data[i] = 0.3 * r.normal();
    if (l.type === 'batchnorm' || l.type === 'layernorm') {
      for (let i = 0; i < l.units; i++) l.W.data[i] = 1 + 0.3 * r.normal();
    }
    if (l.runningMean) for (let i = 0; i < l.units; i++) { l.runningMean.data[i] = 0.5 * r.normal(); l.runningVar!.data[i] = 0.2 + r.uniform(); }
  }
  return model.eval();
}

const digitsData = digits();
const xs = digitsData.x.subarray(0, 100 * 64);

const CASES: [string, Omit<ModelSpec, 'inputs'>][] = [
  ['digits 64-32-10 relu', { layers: [{ units: 32, activation: 'relu' }, { units: 10 }] }],
  ...(['linear', 'sigmoid', 'tanh', 'relu', 'leaky-relu', 'elu', 'softsign'] as const).map((a): [string, Omit<ModelSpec, 'inputs'>] =>
    [`dense ${a}`, { layers: [{ units: 24, activation: a, ...(a === 'leaky-relu' ? { alpha: 0.07 } : a === 'elu' ? { alpha: 0.8 } : {}) }, { units: 16, activation: a }, { units: 10 }] }]),
  ['batchnorm', { layers: [{ units: 32, bias: false }, { type: 'batchnorm', activation: 'relu' }, { units: 10 }] }],
  ['layernorm', { layers: [{ units: 32 }, { type: 'layernorm', activation: 'tanh', eps: 1e-4 }, { units: 10 }] }],
  ['bn + ln + dropout', { layers: [{ units: 32 }, { type: 'batchnorm', activation: 'elu' }, { type: 'dropout', rate: 0.3 }, { units: 16 }, { type: 'layernorm', activation: 'leaky-relu', alpha: 0.2 }, { units: 10 }] }],
  ['mse sigmoid output', { loss: 'mse', layers: [{ units: 20, activation: 'tanh' }, { units: 10, activation: 'sigmoid' }] }],
  ['bce-logits', { loss: 'bce-logits', layers: [{ units: 20, activation: 'relu' }, { units: 3 }] }],
  ['bce', { loss: 'bce', layers: [{ units: 20, activation: 'softsign' }, { units: 1, activation: 'sigmoid' }] }],
];

async function run(bytes: Uint8Array, x: Float32Array, n: number, features: number, session?: ort.InferenceSession) {
  const s = session ?? await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const r = await s.run({ input: new ort.Tensor('float32', x.slice(0, n * features), [n, features]) });
  return { logits: r.logits.data as Float32Array, probabilities: r.probabilities.data as Float32Array, session: s };
}

describe.each(isas)('ONNX export → onnxruntime-node (%s)', (isa) => {
  const engine: Engine = engineFor(isa);
  it.each(CASES)('%s: logits and probabilities agree, batch 1, 7, 100 in one session', async (name, spec) => {
    const model = perturb(new Model(engine, { inputs: 64, seed: 3, ...spec }), 11);
    const bytes = exportOnnx(model);
    let session: ort.InferenceSession | undefined;
    let worst = 0;
    for (const n of [1, 7, 100]) {
      const r = await run(bytes, xs, n, 64, session);
      session = r.session;
      const x = xs.subarray(0, n * 64);
      const l = logitsOf(model, x, n);
      const e1 = l ? maxRel(r.logits, l) : 0;
      const e2 = maxRel(r.probabilities, model.predict(x, n));
      worst = Math.max(worst, e1, e2);
    }
    report.push(`  ${isa.padEnd(8)} ${name.padEnd(20)} ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOL);
    // round trip through importOnnx: the same function
    const back = importOnnx(engine, bytes);
    expect(back.loss).toBe(model.loss);
    expect(maxRel(back.predict(xs, 100), model.predict(xs, 100))).toBeLessThanOrEqual(TOL);
    model.release();
    back.release();
  });

  it('preprocessing (pixel scale, mean, std) as graph nodes: raw inputs in, predict\'s outputs out; class names travel', async () => {
    const model = perturb(new Model(engine, { inputs: 64, seed: 4, layers: [{ units: 32, activation: 'relu' }, { type: 'batchnorm' }, { units: 10 }] }), 5);
    const r = new Random(8);
    const mean = new Float32Array(64).map(() => 0.3 + 0.1 * r.normal());
    const std = new Float32Array(64).map(() => 0.2 + r.uniform());
    model.setPreprocess({ scale: 1 / 16, mean, std });
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    model.setClassNames(names);
    const raw = digitsData.x.map((v) => Math.round(v * 16)).subarray(0, 100 * 64);
    const bytes = exportOnnx(model);
    expect(decodeModel(bytes).graph!.nodes.slice(0, 3).map((n) => n.opType)).toEqual(['Mul', 'Sub', 'Div']);
    const o = await run(bytes, raw, 100, 64);
    const worst = Math.max(maxRel(o.probabilities, model.predict(raw)), maxRel(o.logits, model.predict(raw, { output: 'logits' })));
    report.push(`  ${isa.padEnd(8)} ${'preprocess'.padEnd(20)} ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOL);
    const back = importOnnx(engine, bytes);
    expect(back.preprocess).toEqual(model.preprocess);
    expect(back.classNames).toEqual(names);
    expect(maxRel(back.predict(raw), model.predict(raw))).toBeLessThanOrEqual(TOL);
    // bare: the graph takes prepared inputs
    const bare = decodeModel(exportOnnx(model, { bare: true }));
    expect(bare.graph!.nodes[0].opType).toBe('Gemm');
    model.release();
    back.release();
  });

  it('opset 13 without layer norm, 17 with it; symbolic batch; dropout absent', async () => {
    const plain = new Model(engine, { inputs: 64, layers: [{ units: 8 }, { type: 'dropout', rate: 0.5 }, { units: 10 }] });
    const s1 = await ort.InferenceSession.create(exportOnnx(plain));
    expect(s1.inputNames).toEqual(['input']);
    expect(s1.outputNames).toEqual(['logits', 'probabilities']);
    const dp = decodeModel(exportOnnx(plain));
    expect(dp.graph!.nodes.map((n) => n.opType)).toEqual(['Gemm', 'Tanh', 'Gemm', 'Identity', 'Softmax']);
    expect(dp.opsets.get('')).toBe(13);
    expect(dp.irVersion).toBe(7);
    expect(dp.graph!.inputs[0].dims).toEqual(['batch', 64]);
    expect(dp.graph!.outputs.map((o) => o.dims)).toEqual([['batch', 10], ['batch', 10]]);
    const ln = new Model(engine, { inputs: 64, layers: [{ units: 8 }, { type: 'layernorm' }, { units: 10 }] });
    const dl = decodeModel(exportOnnx(ln));
    expect(dl.opsets.get('')).toBe(17);
    expect(dl.irVersion).toBe(8);
    expect(dl.graph!.nodes.map((n) => n.opType)).toContain('LayerNormalization');
    plain.release();
    ln.release();
  });
});

describe('MNIST-sized 784-500-300-10 tanh', () => {
  it.each(isas)('%s: agrees with onnxruntime-node on MNIST test images, batches 1, 7, 100 through one session', async (isa) => {
    const engine = engineFor(isa);
    const dir = new URL('../../shared/data/mnist/', import.meta.url);
    const images = await parseIdx(new Uint8Array(readFileSync(new URL('t10k-images-idx3-ubyte.gz', dir))), 'mnist');
    const x = new Float32Array(100 * 784);
    for (let i = 0; i < x.length; i++) x[i] = (images.data as Uint8Array)[i] / 255;
    const model = perturb(new Model(engine, {
      inputs: 784, seed: 5, layers: [{ units: 500, activation: 'tanh' }, { units: 300, activation: 'tanh' }, { units: 10 }],
    }), 2);
    const bytes = exportOnnx(model);
    let session: ort.InferenceSession | undefined;
    let worst = 0;
    for (const n of [1, 7, 100]) {
      const r = await run(bytes, x, n, 784, session);
      session = r.session;
      worst = Math.max(worst, maxRel(r.logits, logitsOf(model, x.subarray(0, n * 784), n)!), maxRel(r.probabilities, model.predict(x.subarray(0, n * 784), n)));
    }
    report.push(`  ${isa.padEnd(8)} ${'MNIST 784-500-300-10'.padEnd(20)} ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOL);
    const back = importOnnx(engine, bytes);
    expect(maxRel(back.predict(x, 100), model.predict(x, 100))).toBeLessThanOrEqual(TOL);
    model.release();
    back.release();
  });
});

describe('importOnnx of hand-made graphs, onnxruntime-node as the oracle', () => {
  const engine = engineFor(isas[0]);
  const r = new Random(21);
  const rand = (n: number, sd = 0.5) => Array.from({ length: n }, () => sd * r.normal());
  const graphs: [string, TModel, number[], string][] = [
    ['tf2onnx style: MatMul + Add, Relu, MatMul + Add, Softmax; float_data and raw_data', tfStyle(), [4], 'softmax-cross-entropy'],
    ['Gemm transB, alpha, beta, [1, n] bias; LeakyRelu; Gemm without bias; Sigmoid', {
      inputs: [{ name: 'x', dims: ['N', 6] }], outputs: [{ name: 'y', dims: ['N', 3] }],
      inits: [{ name: 'A', dims: [5, 6], floats: rand(30) }, { name: 'c', dims: [1, 5], floats: rand(5) }, { name: 'B', dims: [5, 3], floatData: rand(15) }],
      nodes: [
        { op: 'Gemm', inputs: ['x', 'A', 'c'], outputs: ['h'], attrs: [{ name: 'transB', i: 1 }, { name: 'alpha', f: 0.75 }, { name: 'beta', f: 1.5 }] },
        { op: 'LeakyRelu', inputs: ['h'], outputs: ['a'], attrs: [{ name: 'alpha', f: 0.2 }] },
        { op: 'Gemm', inputs: ['a', 'B'], outputs: ['z'] },
        { op: 'Sigmoid', inputs: ['z'], outputs: ['y'] },
      ],
    }, [6], 'bce-logits'],
    ['Reshape [N, 2, 3] to [-1, 6]; a Constant node added first; Identity; Dropout; Elu; Tanh output (mse)', {
      inputs: [{ name: 'x', dims: ['N', 2, 3] }], outputs: [{ name: 'y', dims: ['N', 2] }],
      inits: [{ name: 'W', dims: [6, 4], floats: rand(24) }, { name: 'b', dims: [4], floats: rand(4) }, { name: 'V', dims: [4, 2], floats: rand(8) }, { name: 'shape', dims: [2], dataType: 7, int64s: [-1, 6] }],
      nodes: [
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['f'] },
        { op: 'Constant', inputs: [], outputs: ['k'], attrs: [{ name: 'value', t: { name: 'k', dims: [4], floats: [0.1, -0.2, 0.3, 0.05] } }] },
        { op: 'MatMul', inputs: ['f', 'W'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'b'], outputs: ['m2'] },
        { op: 'Add', inputs: ['k', 'm2'], outputs: ['m3'] },
        { op: 'Identity', inputs: ['m3'], outputs: ['i'] },
        { op: 'Elu', inputs: ['i'], outputs: ['e'], attrs: [{ name: 'alpha', f: 0.5 }] },
        { op: 'Dropout', inputs: ['e'], outputs: ['d'] },
        { op: 'MatMul', inputs: ['d', 'V'], outputs: ['z'] },
        { op: 'Tanh', inputs: ['z'], outputs: ['y'] },
      ],
    }, [2, 3], 'mse'],
    ['Flatten of [N, 1, 2, 2], Sub/Div preprocessing, BatchNormalization, LayerNormalization (opset 17)', {
      opset: 17,
      inputs: [{ name: 'x', dims: ['N', 1, 2, 2] }], outputs: [{ name: 'y', dims: ['N', 3] }],
      inits: [
        { name: 'mu', dims: [4], floats: [0.1, 0.2, 0.3, 0.4] }, { name: 'sd', dims: [1, 4], floats: [0.5, 1.5, 2, 0.8] },
        { name: 'W', dims: [4, 5], floats: rand(20) }, { name: 'g', dims: [5], floats: rand(5, 1).map((v) => 1 + 0.2 * v) }, { name: 'be', dims: [5], floats: rand(5) },
        { name: 'rm', dims: [5], floats: rand(5) }, { name: 'rv', dims: [5], floats: rand(5).map((v) => 0.5 + Math.abs(v)) },
        { name: 'lg', dims: [5], floats: rand(5).map((v) => 1 + v) }, { name: 'V', dims: [3, 5], floats: rand(15) }, { name: 'vb', dims: [3], floats: rand(3) },
      ],
      nodes: [
        { op: 'Flatten', inputs: ['x'], outputs: ['f'], attrs: [{ name: 'axis', i: 1 }] },
        { op: 'Sub', inputs: ['f', 'mu'], outputs: ['s'] },
        { op: 'Div', inputs: ['s', 'sd'], outputs: ['p'] },
        { op: 'MatMul', inputs: ['p', 'W'], outputs: ['h'] },
        { op: 'BatchNormalization', inputs: ['h', 'g', 'be', 'rm', 'rv'], outputs: ['bn'], attrs: [{ name: 'epsilon', f: 1e-3 }] },
        { op: 'Relu', inputs: ['bn'], outputs: ['a'] },
        { op: 'LayerNormalization', inputs: ['a', 'lg'], outputs: ['ln'], attrs: [{ name: 'axis', i: -1 }, { name: 'epsilon', f: 1e-5 }] },
        { op: 'Softsign', inputs: ['ln'], outputs: ['q'] },
        { op: 'Gemm', inputs: ['q', 'V', 'vb'], outputs: ['z'], attrs: [{ name: 'transB', i: 1 }] },
        { op: 'Softmax', inputs: ['z'], outputs: ['y'], attrs: [{ name: 'axis', i: 1 }] },
      ],
    }, [1, 2, 2], 'softmax-cross-entropy'],
  ];
  it.each(graphs)('%s', async (name, g, shape, loss) => {
    const bytes = onnxBytes(g);
    const model = importOnnx(engine, bytes);
    expect(model.loss).toBe(loss);
    const F = shape.reduce((a, b) => a * b, 1);
    const n = 9;
    const x = Float32Array.from(rand(n * F, 1));
    const s = await ort.InferenceSession.create(bytes);
    const o = await s.run({ x: new ort.Tensor('float32', x, [n, ...shape]) });
    const e = maxRel(model.predict(x, n), o.y.data as Float32Array);
    report.push(`  import   ${name.slice(0, 40).padEnd(40)} ${e.toExponential(2)}`);
    expect(e).toBeLessThanOrEqual(TOL);
    model.release();
  });
});

describe('importOnnx refuses what it cannot map', () => {
  it('names the operator and the node', () => {
    const engine = engineFor(isas[0]);
    expect(() => importOnnx(engine, new Uint8Array([0x08]))).toThrow(DescentError);
    expect(() => importOnnx(engine, new Uint8Array(0))).toThrow(/no graph/);
  });
});
