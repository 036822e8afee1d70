// The activations of issue #17 everywhere a model goes: the model file (save/load), PyTorch
// (nn.GELU, nn.SiLU, nn.Softplus, nn.SELU, nn.Mish, nn.Hardtanh both ways; torch-made state
// dicts from test/fixtures/torch-activations.json reproduce torch's logits) and ONNX (export run
// by onnxruntime-node; import of descent's own exports, of single operators and of the forms
// torch.onnx.export writes), and the CLI's --activation / --help.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Engine } from '../src/engine/engine.js';
import { DescentError } from '../src/engine/errors.js';
import { Model } from '../src/nn/model.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { exportTorch, importTorch, writeSafetensors } from '../src/io/torch/index.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { importOnnx } from '../src/io/onnx/import.js';
import { onnxBytes, type TNode } from './onnx-graphs.js';
import { bits, randomF32 } from './reference.js';
import { parseLayers } from '../src/cli/layers-syntax.js';
import { digits } from '../src/data/digits.js';

const engine = Engine.createSync({ isa: 'simd', gemmTile: 4 });
const LOG = process.env.DESCENT_ACT_LOG === '1';
const fx = JSON.parse(readFileSync(new URL('./fixtures/torch-activations.json', import.meta.url), 'utf8'));
const NEW = ['gelu', 'gelu-tanh', 'silu', 'softplus', 'selu', 'mish', 'hardtanh'] as const;

/** max over elements of |a − b| / max(1, |b|). */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Number.isNaN(a[i] - b[i]) ? Infinity : Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** A 6-5-4-3 MLP with the activation on both hidden layers, weights scaled so pre-activations reach the tails. */
function mlp(act: string, seed: number): Model {
  const m = new Model(engine, { inputs: 6, layers: [{ units: 5, activation: act }, { units: 4, activation: act }, { units: 3 }], seed });
  const p = m.parameters().data;
  const r = randomF32(p.length, seed + 9);
  for (let i = 0; i < p.length; i++) p[i] = 2.5 * r[i];
  return m.eval();
}
const X = randomF32(7 * 6, 3).map((v) => 3 * v);

describe('model file', () => {
  for (const act of [...NEW, 'elu']) {
    it(`${act}: save and load give the same model and the same outputs, bit for bit`, () => {
      const m = mlp(act, 1);
      const back = loadModel(engine, saveModel(m));
      expect(back.layers.map((l) => l.activation)).toEqual([act, act, 'linear']);
      expect(bits(back.predict(X, { output: 'logits' }))).toEqual(bits(m.predict(X, { output: 'logits' })));
    });
  }
  it('aliases: swish is silu, hard_tanh is hardtanh; an unknown name lists the known ones', () => {
    const m = new Model(engine, { inputs: 2, layers: [{ units: 3, activation: 'swish' }, { units: 3, activation: 'hard_tanh' }, { units: 2 }] });
    expect(m.layers.map((l) => l.activation)).toEqual(['silu', 'hardtanh', 'linear']);
    expect(() => new Model(engine, { inputs: 2, layers: [{ units: 3, activation: 'gleu' }, { units: 2 }] })).toThrow(/unknown activation "gleu"; known: .*gelu, gelu-tanh, silu, softplus, selu, mish, hardtanh/);
  });
  it('selu takes calculate_gain\'s 3/4 (He normal by default: std 0.75/√fan_in)', () => {
    const m = new Model(engine, { inputs: 400, layers: [{ units: 300, activation: 'selu' }, { units: 2 }], seed: 5 });
    const w = m.layers[0].W.data;
    let s = 0;
    for (const v of w) s += v * v;
    expect(Math.sqrt(s / w.length)).toBeCloseTo(0.75 / 20, 3);
  });
});

describe('PyTorch', () => {
  for (const c of fx.modules as { python: string; tensors: Record<string, { shape: number[]; data: number[] }>; x: number[]; logits: number[] }[]) {
    it(`torch's ${c.python} imports and reproduces torch's logits (1e-5)`, () => {
      const bytes = writeSafetensors(Object.entries(c.tensors).map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: Float32Array.from(t.data) })), { format: 'pt' });
      const model = importTorch(engine, bytes, { python: c.python });
      const got = model.predict(Float32Array.from(c.x), { output: 'logits' });
      expect(maxRel(got, c.logits)).toBeLessThanOrEqual(1e-5);
      if (LOG) console.log(`torch import ${c.python}: ${maxRel(got, c.logits).toExponential(2)}`);
      // and back: the export names the same module, and re-imports to the same model
      const ex = exportTorch(model);
      expect(ex.modules).toContain(c.python.match(/nn\.Linear\(4, 6\), (.*), nn\.Linear/)![1]);
      const again = importTorch(engine, ex.safetensors, { python: ex.python });
      expect(bits(again.predict(Float32Array.from(c.x), { output: 'logits' }))).toEqual(bits(got));
    });
  }
  it('exports every new activation as its module and imports it back', () => {
    for (const act of NEW) {
      const m = mlp(act, 2);
      const ex = exportTorch(m);
      const want = { gelu: 'nn.GELU()', 'gelu-tanh': "nn.GELU(approximate='tanh')", silu: 'nn.SiLU()', softplus: 'nn.Softplus()', selu: 'nn.SELU()', mish: 'nn.Mish()', hardtanh: 'nn.Hardtanh()' }[act];
      expect(ex.modules.filter((s) => s === want)).toHaveLength(2);
      const back = importTorch(engine, ex.safetensors, { python: ex.python });
      expect(back.layers.map((l) => l.activation)).toEqual([act, act, 'linear']);
      expect(bits(back.predict(X, { output: 'logits' }))).toEqual(bits(m.predict(X, { output: 'logits' })));
      // from the shapes alone, given the activation
      const shapes = importTorch(engine, ex.safetensors, { activation: act });
      expect(shapes.layers.map((l) => l.activation)).toEqual([act, act, 'linear']);
    }
  });
  it('refuses what descent\'s fixed defaults cannot express, and GELU/SiLU/Mish across a max pool', () => {
    const seq = (act: string) => `nn.Sequential(nn.Linear(4, 6), ${act}, nn.Linear(6, 3))`;
    const bytes = exportTorch(mlp('relu', 1)).safetensors;
    expect(() => importTorch(engine, bytes, { python: seq('nn.Softplus(beta=2)') })).toThrow(/beta=2 has no descent equivalent/);
    expect(() => importTorch(engine, bytes, { python: seq('nn.Hardtanh(min_val=0.0, max_val=6.0)') })).toThrow(/min_val=0 has no descent equivalent/);
    expect(() => importTorch(engine, bytes, { python: seq("nn.GELU(approximate='erf')") })).toThrow(/approximate must be 'none' or 'tanh'/);
  });
});

describe('ONNX', () => {
  const run = async (bytes: Uint8Array, x: Float32Array, n: number, features: number): Promise<Float32Array> => {
    const s = await ort.InferenceSession.create(bytes);
    const out = await s.run({ input: new ort.Tensor('float32', x, [n, features]) });
    return out.logits.data as Float32Array;
  };
  for (const act of [...NEW, 'elu']) {
    it(`${act}: onnxruntime runs the export to descent's outputs (1e-5), and it imports back`, async () => {
      const m = mlp(act, 3);
      const bytes = exportOnnx(m);
      const want = m.predict(X, { output: 'logits' });
      const err = maxRel(await run(bytes, X, 7, 6), want);
      expect(err).toBeLessThanOrEqual(1e-5);
      if (LOG) console.log(`onnxruntime ${act}: ${err.toExponential(2)}`);
      const back = importOnnx(engine, bytes);
      expect(back.layers.map((l) => l.activation)).toEqual([act, act, 'linear']);
      expect(bits(back.predict(X, { output: 'logits' }))).toEqual(bits(want));
    });
  }

  /** x → Gemm → the given nodes (reading "h", writing "a") → Gemm → "y", as a hand-built file. */
  const graph = (nodes: TNode[], opset = 13, extraInits: { name: string; dims: number[]; floats: number[] }[] = []) => onnxBytes({
    opset,
    nodes: [{ op: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'] }, ...nodes, { op: 'Gemm', inputs: ['a', 'W2'], outputs: ['y'] }],
    inits: [{ name: 'W1', dims: [3, 4], floats: Array.from(randomF32(12, 1)) }, { name: 'b1', dims: [4], floats: [0.1, -0.2, 0.3, 0] },
      { name: 'W2', dims: [4, 2], floats: Array.from(randomF32(8, 2)) }, ...extraInits],
    inputs: [{ name: 'x', dims: ['batch', 3] }], outputs: [{ name: 'y', dims: ['batch', 2] }],
  });
  const c = (name: string, v: number) => ({ name, dims: [], floats: [v] });
  const activationOf = (bytes: Uint8Array) => importOnnx(engine, bytes).layers[0].activation;

  it('single operators: Gelu (opset 20), Mish (opset 18), Selu, Softplus, Clip(−1, 1)', () => {
    expect(activationOf(graph([{ op: 'Gelu', inputs: ['h'], outputs: ['a'] }], 20))).toBe('gelu');
    expect(activationOf(graph([{ op: 'Mish', inputs: ['h'], outputs: ['a'] }], 18))).toBe('mish');
    expect(activationOf(graph([{ op: 'Selu', inputs: ['h'], outputs: ['a'] }]))).toBe('selu');
    expect(activationOf(graph([{ op: 'Softplus', inputs: ['h'], outputs: ['a'] }]))).toBe('softplus');
    expect(activationOf(graph([{ op: 'Clip', inputs: ['h', 'lo', 'hi'], outputs: ['a'] }], 13, [c('lo', -1), c('hi', 1)]))).toBe('hardtanh');
    expect(() => importOnnx(engine, graph([{ op: 'Clip', inputs: ['h', 'lo', 'hi'], outputs: ['a'] }], 13, [c('lo', 0), c('hi', 6)]))).toThrow(/Clip to \[0, 6\]/);
    expect(() => importOnnx(engine, graph([{ op: 'Selu', inputs: ['h'], outputs: ['a'], attrs: [{ name: 'alpha', f: 2 }] }]))).toThrow(DescentError);
  });

  it("torch.onnx.export's forms (other operand orders than descent's): SiLU, Mish, GELU with Erf and with Tanh", () => {
    expect(activationOf(graph([{ op: 'Sigmoid', inputs: ['h'], outputs: ['s'] }, { op: 'Mul', inputs: ['s', 'h'], outputs: ['a'] }]))).toBe('silu');
    expect(activationOf(graph([{ op: 'Softplus', inputs: ['h'], outputs: ['p'] }, { op: 'Tanh', inputs: ['p'], outputs: ['t'] }, { op: 'Mul', inputs: ['h', 't'], outputs: ['a'] }]))).toBe('mish');
    // x·½·(1 + erf(x·(1/√2)))
    expect(activationOf(graph([
      { op: 'Mul', inputs: ['h', 'r2'], outputs: ['u'] }, { op: 'Erf', inputs: ['u'], outputs: ['e'] }, { op: 'Add', inputs: ['one', 'e'], outputs: ['f'] },
      { op: 'Mul', inputs: ['h', 'half'], outputs: ['hh'] }, { op: 'Mul', inputs: ['hh', 'f'], outputs: ['a'] },
    ], 13, [c('r2', Math.SQRT1_2), c('one', 1), c('half', 0.5)]))).toBe('gelu');
    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) with Pow
    expect(activationOf(graph([
      { op: 'Pow', inputs: ['h', 'three'], outputs: ['c3'] }, { op: 'Mul', inputs: ['c3', 'k'], outputs: ['kc'] }, { op: 'Add', inputs: ['h', 'kc'], outputs: ['in'] },
      { op: 'Mul', inputs: ['in', 'b'], outputs: ['u'] }, { op: 'Tanh', inputs: ['u'], outputs: ['t'] }, { op: 'Add', inputs: ['t', 'one'], outputs: ['f'] },
      { op: 'Mul', inputs: ['h', 'f'], outputs: ['g'] }, { op: 'Mul', inputs: ['g', 'half'], outputs: ['a'] },
    ], 13, [c('three', 3), c('k', 0.044715), c('b', Math.sqrt(2 / Math.PI)), c('one', 1), c('half', 0.5)]))).toBe('gelu-tanh');
  });

  it('elementwise operators that spell no known activation are refused, naming them', () => {
    // x·tanh(x): not an activation descent has
    expect(() => importOnnx(engine, graph([{ op: 'Tanh', inputs: ['h'], outputs: ['t'] }, { op: 'Mul', inputs: ['h', 't'], outputs: ['a'] }])))
      .toThrow(/elementwise operators Tanh, Mul .* compute no activation descent has/);
  });
});

describe('CLI', () => {
  it("--layers: an entry's own activation after ':' (Dense, norm, conv, output); refused elsewhere", () => {
    const d = digits();
    const { layers } = parseLayers('64-32:gelu-16bn:gelu_tanh-d0.1-8:swish-10', d, 10, { activation: 'relu' });
    expect(layers.map((l) => (l as { activation?: string }).activation)).toEqual(['gelu', 'linear', 'gelu_tanh', undefined, 'swish', 'linear']);
    const m = new Model(engine, { inputs: 64, layers });
    expect(m.layers.map((l) => l.activation)).toEqual(['gelu', 'linear', 'gelu-tanh', 'linear', 'silu', 'linear']);
    const cnn = parseLayers('c4k3:mish-p2-c4k3bn:selu-10:linear', d, 10, {}).layers.map((l) => (l as { activation?: string }).activation);
    expect(cnn).toEqual(['mish', undefined, 'linear', 'selu', 'linear']);
    expect(parseLayers('64-32-10', d, 10, { activation: 'hardtanh' }).layers[0]).toMatchObject({ activation: 'hardtanh' });
    expect(() => parseLayers('64:gelu-32-10', d, 10, {})).toThrow(/the inputs entry takes no activation/);
    expect(() => parseLayers('64-32-d0.1:gelu-10', d, 10, {})).toThrow(/only Dense, norm and conv entries take an activation/);
    expect(() => parseLayers('64-32:gelu-tanh-10', d, 10, {})).toThrow(DescentError); // "tanh" is not an entry: use gelu_tanh
    expect(() => new Model(engine, { inputs: 64, layers: parseLayers('64-32:gleu-10', d, 10, {}).layers })).toThrow(/unknown activation "gleu"/);
  });

  it('--help lists the new activations (from ACTIVATIONS)', async () => {
    const { ACTIVATIONS } = await import('../src/nn/activations.js');
    const { NETWORK_HELP } = await import('../src/cli/train.js');
    const entry = NETWORK_HELP.slice(NETWORK_HELP.indexOf('--activation NAME'), NETWORK_HELP.indexOf('--alpha'));
    for (const a of ACTIVATIONS) expect(entry).toMatch(new RegExp(`[ ,]${a}(,|\\s*$)`, 'm'));
    for (const a of NEW) expect(ACTIVATIONS).toContain(a);
  });
});
