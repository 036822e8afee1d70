// Hostile model files and checkpoints (issue #13): every example of the issue as a regression
// test, then a short fixed-seed fuzz campaign of both loaders (scripts/fuzz/model-files.mjs; the
// long one is `npm run fuzz`). Every outcome is a valid model / checkpoint or a DescentError, and a
// refusal leaves the engine's memory as it was.
import { afterAll, describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { DescentError } from '../src/engine/errors.js';
import { Engine } from '../src/engine/engine.js';
import { Model } from '../src/nn/model.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint.js';
import { MAX_HEADER_BYTES } from '../src/io/safetensors.js';
import { optimizer } from '../src/optim/optimizer.js';
import { fit } from '../src/train/fit.js';
import { campaign } from '../scripts/fuzz/harness.mjs';
import { modelFileTargets } from '../scripts/fuzz/model-files.mjs';
import { onnxTargets } from '../scripts/fuzz/onnx.mjs';

const engine = Engine.createSync();
const report: string[] = [];
afterAll(() => console.log(report.join('\n')));

const enc = new TextEncoder();
/** A safetensors file from header text (as is) and data bytes. */
function file(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
function parts(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}
/** bytes with its header rewritten by f (and the data by g). */
function rewrite(bytes: Uint8Array, f: (h: Record<string, any>) => void, g?: (data: DataView, header: Record<string, any>) => void): Uint8Array {
  const { header, data } = parts(bytes);
  f(header);
  const copy = data.slice();
  g?.(new DataView(copy.buffer), header);
  return file(JSON.stringify(header), copy);
}
const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;

/** Throws a DescentError matching msg, and leaves the engine's memory (live and grown) as it was. */
function refused(load: () => unknown, msg: RegExp, e: Engine = engine): void {
  const before = e.memoryStats();
  let err: unknown;
  try { load(); } catch (x) { err = x; }
  expect(err, `expected a DescentError matching ${msg}`).toBeInstanceOf(DescentError);
  expect((err as Error).message).toMatch(msg);
  const after = e.memoryStats();
  expect([after.liveBytes, after.liveBlocks, after.memoryBytes]).toEqual([before.liveBytes, before.liveBlocks, before.memoryBytes]);
}

function bnModel(): Model {
  const m = new Model(engine, { inputs: 3, seed: 1, layers: [{ units: 4, activation: 'relu' }, { type: 'batchnorm' }, { units: 2 }] });
  fit(m, { x: new Float32Array(24).map((_, i) => Math.sin(i)), n: 8, features: 3, labels: new Int32Array(8).map((_, i) => i % 2), classes: 2 }, { epochs: 1, batchSize: 4 });
  return m;
}
function checkpointOf(name: string, hyper: Record<string, unknown> = {}): Uint8Array {
  const m = bnModel();
  const opt = optimizer(name, hyper);
  fit(m, { x: new Float32Array(24).map((_, i) => Math.cos(i)), n: 8, features: 3, labels: new Int32Array(8).map((_, i) => i % 2), classes: 2 }, { epochs: 1, batchSize: 4, optimizer: opt });
  const bytes = saveCheckpoint(m, opt, { epoch: 1, step: 2 });
  m.release();
  opt.release();
  return bytes;
}
/** The checkpoint with the optimizer entry (parsed) rewritten by f. */
const withOptimizer = (bytes: Uint8Array, f: (o: Record<string, any>) => void): Uint8Array => rewrite(bytes, (h) => {
  const o = JSON.parse(h.__metadata__.optimizer);
  f(o);
  h.__metadata__.optimizer = JSON.stringify(o);
});

describe('the examples of issue #13 are refused with a DescentError, nothing kept', () => {
  const m = bnModel();
  const good = saveModel(m);
  const adam = checkpointOf('adam');
  const nadam = checkpointOf('nadam');

  it('a header that is JSON null, an array, a number; leading whitespace; padding other than spaces', () => {
    refused(() => loadModel(engine, file('null')), /header must begin with '\{'/);
    refused(() => loadModel(engine, file('[1]')), /header must begin with '\{'/);
    refused(() => loadModel(engine, file('{"a":1} \n')), /must end with '\}' followed by spaces only/);
    const { header, data } = parts(good);
    refused(() => loadModel(engine, file(` ${JSON.stringify(header)}`, data)), /no leading whitespace/);
    refused(() => loadModel(engine, file(`\n${JSON.stringify(header)}`, data)), /no leading whitespace/);
    refused(() => loadModel(engine, file(`${JSON.stringify(header)}\t`, data)), /followed by spaces only/);
    // trailing spaces are the padding safetensors allows
    loadModel(engine, file(`${JSON.stringify(header)}       `, data)).release();
  });

  it('"dtype": {"toString": 1} and other values of the wrong type', () => {
    refused(() => loadModel(engine, rewrite(good, (h) => { h['layers.0.weight'].dtype = { toString: 1 }; })), /tensor layers.0.weight: dtype must be a string, got an object/);
    refused(() => loadModel(engine, rewrite(good, (h) => { h['layers.0.weight'].shape = ['3', '4']; })), /shape must be an array of at most 8 integers ≥ 0/);
    refused(() => loadModel(engine, rewrite(good, (h) => { h['layers.0.weight'].data_offsets = { 0: 0, 1: 48, length: 2 }; })), /data_offsets must be two integers/);
    refused(() => loadModel(engine, rewrite(good, (h) => { h['layers.0.weight'].extra = 1; })), /unknown key "extra"/);
    refused(() => loadModel(engine, rewrite(good, (h) => { h.__metadata__.passes = 5; })), /metadata "passes" must be a string, got 5/);
    refused(() => loadModel(engine, rewrite(good, (h) => { h.__metadata__ = null; })), /__metadata__ must map names to strings, got null/);
    refused(() => loadModel(engine, rewrite(good, (h) => { h.__metadata__.model = JSON.stringify({ inputs: 3, layers: [{ units: { toString: 1 } }, { units: 2 }] }); })), /invalid model description: layer 0: units must be a positive integer, got an object/);
    refused(() => loadModel(engine, rewrite(good, (h) => { h.__metadata__.model = JSON.stringify({ inputs: 3, layers: [{ units: 4, bias: 'yes' }, { units: 2 }] }); })), /bias must be true or false/);
    refused(() => loadModel(engine, rewrite(good, (h) => { h.__metadata__.version = '2'; })), /unsupported version "2"/);
  });

  it('arrays nested 20,000 deep in shape, data_offsets, passes, layout and progress', () => {
    const { header, data } = parts(good);
    for (const key of ['shape', 'data_offsets']) {
      const text = JSON.stringify(header).replace(new RegExp(`"${key}":\\[[^\\]]*\\]`), `"${key}":${deep(20000)}`);
      refused(() => loadModel(engine, file(text, data)), /the header: JSON nested deeper than 8 levels/);
    }
    const passes = JSON.stringify(header).replace(/"passes":"\d+"/, `"passes":${deep(20000)}`);
    refused(() => loadModel(engine, file(passes, data)), /JSON nested deeper than 8 levels/);
    const model = rewrite(good, (h) => { h.__metadata__.model = h.__metadata__.model.replace('"layers":[', `"layers":[${deep(20000)},`); });
    refused(() => loadModel(engine, model), /the model description: JSON nested deeper than 16 levels/);
    const cp = parts(adam);
    for (const [entry, at] of [['optimizer', '"layout":'], ['progress', '"epoch":']]) {
      const h = structuredClone(cp.header);
      h.__metadata__[entry] = h.__metadata__[entry].replace(at, `${at}${deep(20000)},"x":`);
      refused(() => loadCheckpoint(engine, file(JSON.stringify(h), cp.data)), new RegExp(`the ${entry} entry: JSON nested deeper than`));
    }
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.layout = [[[0, 12]]]; })), /the optimizer entry: JSON nested deeper than 3 levels/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.layout[0] = ['0', 12]; })), /layout segment 0 must be \[offset, length\]/);
  });

  it('a checkpoint version object, and other optimizer entries of the wrong type', () => {
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.version = { valueOf: 1 }; })), /unsupported version an object/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.version = '1'; })), /unsupported version "1"/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.steps[0] = 1.5; })), /steps\[0\] must be an integer ≥ 0, got 1.5/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.steps[0] = -1; })), /steps\[0\] must be an integer ≥ 0, got -1/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.frozen[0] = 'yes'; })), /frozen\[0\] must be true or false/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.scalars[0] = { mu_product: 0.5 }; })), /"mu_product" is not scalar state of adam \(it keeps none\)/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { Object.assign(o, { toString: 1 }); })), /unknown key "toString"/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.name = { toString: 1 }; })), /optimizer's name must be a string/);
    refused(() => loadCheckpoint(engine, withOptimizer(adam, (o) => { o.length += 1; })), /the layout covers \d+ parameters, the state \d+/);
    refused(() => loadCheckpoint(engine, rewrite(adam, (h) => { h.__metadata__.progress = '{"epoch":1,"step":"2"}'; })), /progress must be \{ epoch, step \}/);
  });

  it('batch-norm running_var −1 (and NaN, Inf), running_mean Inf: refused instead of predicting NaN', () => {
    for (const [name, v] of [['running_var', -1], ['running_var', NaN], ['running_var', Infinity], ['running_mean', -Infinity]] as const) {
      const bad = rewrite(good, () => {}, (dv, h) => dv.setFloat32(h[`layers.1.${name}`].data_offsets[0] + 4, v, true));
      refused(() => loadModel(engine, bad), new RegExp(`tensor layers.1.${name} holds ${v} at index 1`));
    }
    // −0 is a variance ≥ 0
    loadModel(engine, rewrite(good, () => {}, (dv, h) => dv.setFloat32(h['layers.1.running_var'].data_offsets[0], -0, true))).release();
  });

  it('optimizer exp_avg_sq −1 or ±Inf, exp_avg NaN: refused by loadCheckpoint and by loadStateDict', () => {
    const at = (h: Record<string, any>, k: string) => h[`optimizer.${k}`].data_offsets[0] + 8;
    for (const [k, v] of [['exp_avg_sq', -1], ['exp_avg_sq', Infinity], ['exp_avg_sq', -Infinity], ['exp_avg', NaN], ['exp_avg', Infinity]] as const) {
      refused(() => loadCheckpoint(engine, rewrite(adam, () => {}, (dv, h) => dv.setFloat32(at(h, k), v, true))), new RegExp(`buffer ${k} holds ${v} at index 2`));
    }
    // the same through loadStateDict, which leaves the optimizer's state as it was
    const ck = loadCheckpoint(engine, adam);
    const opt = optimizer('adam');
    opt.loadStateDict(ck.optimizer, ck.model);
    const before = opt.stateDict();
    for (const v of [-1, Infinity, -Infinity, NaN]) {
      const sd = structuredClone(before);
      sd.buffers.exp_avg_sq[3] = v;
      refused(() => opt.loadStateDict(sd, ck.model), /buffer exp_avg_sq holds .* at index 3/);
      expect(opt.stateDict()).toEqual(before);
    }
    const sd = structuredClone(before);
    sd.steps = sd.steps.map(() => 2.5);
    refused(() => opt.loadStateDict(sd, ck.model), /steps\[0\] must be an integer/);
    // an unbound optimizer allocates no state for a dict it refuses
    const fresh = optimizer('adam');
    const bad = structuredClone(before);
    bad.buffers.exp_avg_sq[0] = -1;
    fresh.bind(ck.model);
    refused(() => fresh.loadStateDict(bad), /exp_avg_sq holds -1/);
    ck.model.release();
    opt.release();
    fresh.release();
  });

  it('NAdam mu_product "x", 0, 1.5, NaN or missing: refused', () => {
    refused(() => loadCheckpoint(engine, withOptimizer(nadam, (o) => { o.scalars[0].mu_product = {}; })), /JSON nested deeper than 3 levels/);
    for (const v of ['"x"', '0', '1.5', '-0.5', '"NaN"', 'null', '1e999']) {
      refused(() => loadCheckpoint(engine, withOptimizer(nadam, (o) => { o.scalars[0].mu_product = JSON.parse(v); })), /scalars\[0\].mu_product must be a number in \(0, 1\]/);
    }
    refused(() => loadCheckpoint(engine, withOptimizer(nadam, (o) => { delete o.scalars[1].mu_product; })), /scalars\[1\].mu_product must be a number in \(0, 1\], got undefined/);
    const ck = loadCheckpoint(engine, nadam);
    expect(ck.optimizer.scalars[0].mu_product).toBeGreaterThan(0);
    ck.model.release();
  });

  it('centered RMSprop: square_avg below grad_avg² is refused (√ of a negative at the next step)', () => {
    const rms = checkpointOf('rmsprop', { centered: true });
    refused(() => loadCheckpoint(engine, rewrite(rms, () => {}, (dv, h) => dv.setFloat32(h['optimizer.grad_avg'].data_offsets[0], 1e3, true))), /square_avg holds .* below grad_avg²/);
    loadCheckpoint(engine, rms).model.release();
  });

  it('offsets the safetensors rules forbid: overlapping, gapped, out of order, trailing bytes', () => {
    const { header, data } = parts(good);
    const [a, b] = ['layers.0.weight', 'layers.0.bias'];
    const overlap = structuredClone(header);
    overlap[b].data_offsets = overlap[b].data_offsets.map((x: number) => x - 4);
    refused(() => loadModel(engine, file(JSON.stringify(overlap), data)), /overlapping; safetensors tensors tile the data section/);
    const gap = structuredClone(header);
    for (const k of Object.keys(gap)) if (k !== '__metadata__' && k !== a) gap[k].data_offsets = gap[k].data_offsets.map((x: number) => x + 4);
    const gapped = new Uint8Array(data.length + 4);
    gapped.set(data.subarray(0, 48));
    gapped.set(data.subarray(48), 52);
    refused(() => loadModel(engine, file(JSON.stringify(gap), gapped)), /a gap; safetensors tensors tile/);
    const trailing = new Uint8Array(data.length + 4);
    trailing.set(data);
    refused(() => loadModel(engine, file(JSON.stringify(header), trailing)), /4 bytes after the last tensor \(safetensors allows no trailing bytes\)/);
    const shared = structuredClone(header);
    shared[b].data_offsets = shared[a].data_offsets.slice();
    shared[b].shape = shared[a].shape;
    refused(() => loadModel(engine, file(JSON.stringify(shared), data)), /overlapping|tile/);
  });

  it('amplification: a 300-byte file declaring a 1.2 GB model is refused in under 50 ms without allocating', () => {
    const e = Engine.createSync();
    const before = e.memoryStats();
    // a description of 100,000 → 3,000 → 2 (300 M parameters: 2.4 GB with gradients) over tiny tensors
    const spec = JSON.stringify({ inputs: 100000, layers: [{ units: 3000, bias: false }, { units: 2, bias: false }] });
    const text = JSON.stringify({
      __metadata__: { format: 'descent', model: spec },
      'layers.0.weight': { dtype: 'F32', shape: [1, 1], data_offsets: [0, 4] },
      'layers.1.weight': { dtype: 'F32', shape: [1, 2], data_offsets: [4, 12] },
    });
    const small = file(text, new Uint8Array(12));
    // and one whose header declares the huge shape itself (data_offsets past the end)
    const text2 = JSON.stringify({
      __metadata__: { format: 'descent', model: spec },
      'layers.0.weight': { dtype: 'F32', shape: [100000, 3000], data_offsets: [0, 1.2e9] },
    });
    const declared = file(text2, new Uint8Array(12));
    report.push(`amplification files: ${small.length} and ${declared.length} bytes`);
    expect(small.length).toBeLessThan(400);
    for (const [bytes, msg] of [[small, /tensor layers.0.weight: shape \[1,1\], expected \[100000,3000\]/], [declared, /its data ends at byte 1200000000 but the file has 12 bytes of data \(truncated\)/]] as const) {
      const t0 = performance.now();
      refused(() => loadModel(e, bytes), msg, e);
      expect(performance.now() - t0).toBeLessThan(50);
    }
    const after = e.memoryStats();
    expect([after.memoryBytes, after.peakFootprintBytes]).toEqual([before.memoryBytes, before.peakFootprintBytes]);
  });

  it("a valid file too big for the engine's memory limit is refused before allocating", () => {
    const e = Engine.createSync({ maxMemoryMB: 16 });
    const big = new Model(engine, { inputs: 1000, layers: [{ units: 2500 }, { units: 2 }] }); // 2.5 M floats: 20 MB with gradients
    const bytes = saveModel(big);
    big.release();
    refused(() => loadModel(e, bytes), /the model needs 19\.1 MiB, the engine's memory limit leaves \d+\.\d MiB/, e);
    expect(e.memoryStats().peakFootprintBytes).toBeLessThan(1 << 20);
  });

  it('a header over the limit is refused from its length field alone', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    refused(() => loadModel(engine, b), /header length 16777217 exceeds the limit of 16777216 bytes/);
    new DataView(b.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    refused(() => loadModel(engine, b), /exceeds the limit/);
  });

  it('valid files still load and round-trip', () => {
    const back = loadModel(engine, good);
    expect(saveModel(back)).toEqual(good);
    back.release();
    const ck = loadCheckpoint(engine, nadam);
    const opt = optimizer('nadam');
    opt.loadStateDict(ck.optimizer, ck.model);
    expect(saveCheckpoint(ck.model, opt, ck.progress)).toEqual(nadam);
    ck.model.release();
    opt.release();
  });
});

describe('fuzz: a short fixed-seed campaign per loader (npm run fuzz runs ≥ 100,000)', () => {
  for (const target of [...modelFileTargets, ...onnxTargets]) { // onnx: importOnnx, scripts/fuzz/onnx.mjs
    it(`${target.name}: 2,500 mutated files, every one a valid load or a DescentError, no leak, no costly refusal`, () => {
      const t0 = performance.now();
      const { counts, findings } = campaign(d, engine, target, { cases: 2500, seed: 13 });
      report.push(`fuzz ${target.name}: ${JSON.stringify(counts)} in ${(performance.now() - t0).toFixed(0)} ms`);
      expect(findings).toEqual([]);
      expect(counts.accepted).toBeGreaterThan(50);
      expect(counts.refused).toBeGreaterThan(1500);
    }, 60000);
  }
});
