// Hostile ONNX and safetensors input: every outcome is a model or a DescentError — no other
// exception, no hang. ONNX: a small exported model cut at every byte (each cut must be refused:
// the graph is written last), seeded random byte changes, and hand-made graphs with huge dims,
// wrong types, cycles, duplicated outputs, missing initializers, unsupported operators, deep
// nesting and malformed varints. Safetensors model files through loadModel: cuts at every byte
// and seeded mutations (bytes and header text). Counts are printed.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { Model } from '../src/nn/model.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { importOnnx } from '../src/io/onnx/import.js';
import { ProtoWriter } from '../src/io/onnx/protobuf.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { Random } from '../src/random.js';
import { engineFor, isas } from './engines.js';
import { onnxBytes, tfStyle, type TModel } from './onnx-graphs.js';

const engine = engineFor(isas[0]);
const report: string[] = [];
afterAll(() => console.log(`fuzz:\n${report.join('\n')}`));

/** 'ok' (a model), 'refused' (DescentError), or the unexpected exception. */
function outcome(f: () => Model): 'ok' | 'refused' | Error {
  try {
    f().release();
    return 'ok';
  } catch (e) {
    return e instanceof DescentError ? 'refused' : (e as Error);
  }
}

function small(): Model {
  const m = new Model(engine, { inputs: 6, seed: 1, layers: [{ units: 5, activation: 'relu' }, { type: 'batchnorm' }, { type: 'layernorm', activation: 'elu' }, { type: 'dropout', rate: 0.1 }, { units: 3 }] });
  return m.eval();
}

function mutate(r: Random, src: Uint8Array): Uint8Array {
  const b = src.slice();
  const k = 1 + r.int(4);
  for (let i = 0; i < k; i++) {
    const at = r.int(b.length);
    const kind = r.int(4);
    if (kind === 0) b[at] ^= 1 << r.int(8);
    else if (kind === 1) b[at] = r.int(256);
    else if (kind === 2) b[at] = [0, 0x7f, 0x80, 0xff][r.int(4)];
    else b[at] = (b[at] + 1) & 0xff;
  }
  return b;
}

describe('ONNX import of hostile bytes', () => {
  const m = small();
  const bytes = exportOnnx(m);

  it('refuses every truncation of an exported model', () => {
    const t0 = performance.now();
    const counts = { ok: 0, refused: 0 };
    for (let len = 0; len < bytes.length; len++) {
      const o = outcome(() => importOnnx(engine, bytes.subarray(0, len)));
      if (o instanceof Error) throw new Error(`truncation to ${len} bytes: ${o.stack}`);
      counts[o]++;
    }
    report.push(`  onnx truncations: ${bytes.length} (${counts.refused} refused, ${counts.ok} loaded) in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(counts.ok).toBe(0);
    expect(outcome(() => importOnnx(engine, bytes))).toBe('ok');
  });

  it('random byte changes (seeded): a model or a DescentError, never anything else', () => {
    const r = new Random(12);
    const counts = { ok: 0, refused: 0 };
    const t0 = performance.now();
    // an exported model, a hand-made tf2onnx-style graph, and torch's x.view(x.size(0), -1) form
    const sources = [bytes, onnxBytes(tfStyle()), new Uint8Array(readFileSync(new URL('./fixtures/onnx/torch-view-logsoftmax.onnx', import.meta.url)))];
    for (let i = 0; i < 4000; i++) {
      const b = mutate(r, sources[i % 3]);
      const o = outcome(() => importOnnx(engine, b));
      if (o instanceof Error) throw new Error(`mutation ${i}: ${o.stack}\nbytes: ${Buffer.from(b).toString('base64')}`);
      counts[o]++;
    }
    report.push(`  onnx mutations: 4000 (${counts.refused} refused, ${counts.ok} loaded) in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(counts.refused).toBeGreaterThan(1000);
  });

  const base = tfStyle;
  const edit = (f: (m: TModel) => void): Uint8Array => { const m = base(); f(m); return onnxBytes(m); };
  const cases: [string, Uint8Array, RegExp][] = [
    ['huge dims on a weight', edit((m) => { m.inits![0].dims = [2 ** 40, 2 ** 40]; }), /more than 268435456 elements/],
    ['negative dim', edit((m) => { m.inits![0].dims = [-4, 3]; }), /dimension -4/],
    ['dims that do not match the data', edit((m) => { m.inits![0].dims = [4, 4]; }), /holds 12 values, expected 16/],
    ['huge input dimension', edit((m) => { m.inputs[0].dims = ['n', 2 ** 45]; }), /feature dimension/],
    ['weight of type INT64', edit((m) => { m.inits![2] = { name: 'W2', dims: [3, 2], dataType: 7, int64s: [1, 2, 3, 4, 5, 6] }; }), /data type 7, expected FLOAT/],
    ['input of type DOUBLE', edit((m) => { m.inputs[0].elemType = 11; }), /element type 11/],
    ['attribute of the wrong type', edit((m) => { m.nodes[5].attrs = [{ name: 'axis', f: 1 }]; }), /attribute axis has type 1, expected 2/],
    ['a cycle', edit((m) => { m.nodes[1].inputs = ['h1', 'z2']; m.nodes[4].inputs = ['h2', 'b2']; }), /cycle/],
    ['a self-loop', edit((m) => { m.nodes[2].inputs = ['a1']; }), /cycle/],
    ['duplicated node output', edit((m) => { m.nodes[3].outputs = ['z1']; }), /"z1" is already defined/],
    ['output named like an initializer', edit((m) => { m.nodes[0].outputs = ['b1']; }), /"b1" is already defined/],
    ['duplicated graph output', edit((m) => { m.outputs.push({ name: 'y', dims: ['unk__0', 2] }); }), /listed twice/],
    ['missing initializer', edit((m) => { m.inits!.splice(2, 1); }), /input "W2" is not a graph input, an initializer or any node's output/],
    ['two graph inputs', edit((m) => { m.inputs.push({ name: 'extra', dims: [1, 4] }); }), /expected one graph input/],
    ['unsupported operator', edit((m) => { m.nodes[2].op = 'HardSwish'; m.nodes[2].name = 'act1'; }), /node "act1" \(HardSwish\): operator HardSwish is not supported/],
    ['a branch', edit((m) => { m.nodes[3].inputs = ['z1', 'W2']; }), /branches/],
    ['custom domain', edit((m) => { m.nodes[2].domain = 'com.microsoft'; }), /domain "com.microsoft"/],
    ['output not on the chain', edit((m) => { m.outputs = [{ name: 'a1' }, { name: 'y' }]; }), /not the end of the layer chain/],
    ['NaN weight', edit((m) => { m.inits![0].floatData = [NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; }), /NaN or Infinity/],
    ['Gather index out of range in a shape computation', edit((m) => {
      m.inits!.push({ name: 'i9', dims: [], dataType: 7, int64s: [9] }, { name: 'm1', dims: [1], dataType: 7, int64s: [-1] });
      m.nodes.unshift({ op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'Gather', inputs: ['s', 'i9'], outputs: ['g'] },
        { op: 'Unsqueeze', inputs: ['g', 'z0'], outputs: ['u'] }, { op: 'Concat', inputs: ['u', 'm1'], outputs: ['c'], attrs: [{ name: 'axis', i: 0 }] },
        { op: 'Reshape', inputs: ['x', 'c'], outputs: ['r'] });
      m.inits!.push({ name: 'z0', dims: [1], dataType: 7, int64s: [0] });
      m.nodes[5].inputs = ['r', 'W1'];
    }), /index 9 is out of range for 2 values/],
    ['no graph', new ProtoWriter().int(1, 8).finish(), /no graph/],
    ['varint of 11 bytes', new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /varint/],
    ['length past the end', new Uint8Array([0x3a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00]), /runs past the end/],
    ['group wire type', new Uint8Array([0x3b, 0x3c]), /wire type 3/],
    ['field number 0', new Uint8Array([0x02, 0x00]), /field number 0/],
    ['nested deeply (unknown fields are skipped, not followed)', nest(100_000), /no graph/],
    ['graph nested in the graph field', nestGraph(64), /nested more than 32 deep|wire type|no graph|Dimension|expected/],
  ];
  it.each(cases)('%s → DescentError', (_, b, message) => {
    let err: unknown;
    try { importOnnx(engine, b).release(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DescentError);
    expect((err as Error).message).toMatch(message);
  });

  it('a long graph listed backwards (50,000 Identity nodes) is sorted in linear time', () => {
    const m = tfStyle();
    const chain = Array.from({ length: 50_000 }, (_, k) => ({ op: 'Identity', inputs: [k ? `i${k - 1}` : 'x'], outputs: [`i${k}`] }));
    m.nodes[0].inputs = ['i49999', 'W1'];
    m.nodes = [...m.nodes, ...chain].reverse();
    const bytes = onnxBytes(m);
    const t0 = performance.now();
    importOnnx(engine, bytes).release();
    const ms = performance.now() - t0;
    report.push(`  50,000-node graph, reverse order: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5000); // quadratic work would take minutes here
  });

  it('the base hand-made graph itself imports (tf2onnx style, float_data and raw_data)', () => {
    const model = importOnnx(engine, onnxBytes(tfStyle()));
    expect(model.loss).toBe('softmax-cross-entropy');
    expect(model.describe()).toBe('Model(4 → 3 relu → 2 linear; loss softmax-cross-entropy; 23 parameters)');
    model.release();
  });
});

/** An unknown field (number 99) holding a LEN field holding … n deep: skipped without recursion. */
function nest(n: number): Uint8Array {
  let b: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < n && b.length < 1_000_000; i++) b = new ProtoWriter().bytes(99, b).finish();
  return b;
}

/** ModelProto.graph whose nodes' attributes hold tensors … (decoded to the schema's depth only). */
function nestGraph(n: number): Uint8Array {
  let b: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < n; i++) b = new ProtoWriter().bytes(7, b).finish();
  return b;
}

describe('safetensors model files (loadModel) of hostile bytes', () => {
  const bytes = saveModel(small());
  it('truncations at every byte and seeded mutations: a model or a DescentError', () => {
    const t0 = performance.now();
    const counts = { ok: 0, refused: 0 };
    const bugs: string[] = [];
    const check = (b: Uint8Array, label: string) => {
      const o = outcome(() => loadModel(engine, b));
      if (o instanceof Error) bugs.push(`${label}: ${o.name}: ${o.message}\n  bytes (base64): ${Buffer.from(b).toString('base64')}`);
      else counts[o]++;
    };
    for (let len = 0; len < bytes.length; len++) check(bytes.subarray(0, len), `truncated to ${len}`);
    const r = new Random(7);
    const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (let i = 0; i < 3000; i++) {
      let b: Uint8Array;
      if (i % 3 === 2) {
        // change the header text: digits, brackets and quotes where they matter most
        b = bytes.slice();
        const at = 8 + r.int(hlen);
        b[at] = '0123456789-e.[]{}",:nul'.charCodeAt(r.int(23));
      } else b = mutate(r, bytes);
      check(b, `mutation ${i}`);
    }
    // headers that are JSON but not objects (null was a TypeError before)
    for (const text of ['null', '[]', '5', '"x"', 'true', '{"__metadata__":null}', '{"__metadata__":[]}']) {
      const h = new TextEncoder().encode(text);
      const b = new Uint8Array(8 + h.length);
      new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
      b.set(h, 8);
      check(b, `header ${text}`);
    }
    report.push(`  safetensors: ${bytes.length} truncations + 3000 mutations (${counts.refused} refused, ${counts.ok} loaded, ${bugs.length} other exceptions) in ${(performance.now() - t0).toFixed(0)} ms`);
    if (bugs.length) console.log(`loadModel threw non-DescentErrors:\n${bugs.slice(0, 5).join('\n')}`);
    expect(bugs).toEqual([]);
  });
});

describe('values the graph holds are checked for what they mean', () => {
  it('a BatchNormalization variance below 0 is refused (npm run fuzz found models that predicted NaN for every input)', () => {
    const m = new Model(engine, { inputs: 4, seed: 3, layers: [{ units: 3, activation: 'relu' }, { type: 'batchnorm' }, { units: 2 }] });
    const v = m.buffers().find((b) => b.name.endsWith('running_var'))!.tensor;
    v.data[1] = -0.5; // written behind the model's back: what a damaged file would hold
    const bytes = exportOnnx(m);
    const before = engine.memoryStats();
    expect(() => importOnnx(engine, bytes)).toThrow(DescentError);
    expect(() => importOnnx(engine, bytes)).toThrow(/variance input holds -0\.5 at channel 1; a variance must be ≥ 0/);
    expect(engine.memoryStats().liveBytes).toBe(before.liveBytes);
    m.release();
  });
});
