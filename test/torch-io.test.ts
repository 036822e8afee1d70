// PyTorch both ways (src/io/torch/), against fixtures made by torch 1.13 at dev time
// (scripts/torch-export-fixtures.py; no Python here):
//  (a) PyTorch → descent: torch-made state_dicts imported give torch's logits within 1e-5
//      (|a − b| ≤ 1e-5·max(1, |b|)), from the module list, an explicit spec, or the shapes;
//  (b) descent → PyTorch: the exports of scripts/torch-export-cases.mjs, regenerated here, are
//      byte-identical to the ones torch loaded (SHA-256 of the safetensors and of the .py), and
//      torch's logits from them equal descent's within 1e-5;
//  (c) fine-tune: a torch state_dict imported, trained more in descent, exported — same checks;
//  and the refusals: transposed / descent-layout weights, missing and unexpected tensors, gaps
//  the shapes cannot name, hostile safetensors.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { Engine } from '../src/engine/engine.js';
import { Model } from '../src/nn/model.js';
import { saveModel } from '../src/io/model-file.js';
import { exportTorch, importTorch, readSafetensors, writeSafetensors, parseSequential } from '../src/io/torch/index.js';
import { cases, logits } from '../scripts/torch-export-cases.mjs';

const fixture = (p: string) => new URL(`./fixtures/${p}`, import.meta.url);
const imp = JSON.parse(readFileSync(fixture('torch-import.json'), 'utf8'));
const exp = JSON.parse(readFileSync(fixture('torch-export.json'), 'utf8'));
const bytesOf = (name: string) => new Uint8Array(readFileSync(fixture(imp.models.find((m: { name: string }) => m.name === name).file)));
const importFixture = (name: string) => ({ bytes: bytesOf(name), python: imp.models.find((m: { name: string }) => m.name === name).python });
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const engine = Engine.createSync({ isa: 'simd', gemmTile: 4 });

/** max over elements of |a − b| / max(1, |b|). */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return w;
}

const inputs = Float32Array.from(imp.inputs.flat());
const report: string[] = [];

describe('PyTorch → descent (torch-made state_dicts)', () => {
  for (const m of imp.models) {
    it(`${m.name}: ${m.python}`, () => {
      const want = (m.logits as number[][]).flat();
      const fromPython = importTorch(engine, bytesOf(m.name), { python: m.python });
      const e1 = worst(logits(fromPython, inputs), want);
      // the same through an explicit descent spec (from the module list)
      const spec = d.modelSpec(fromPython);
      const fromSpec = importTorch(engine, bytesOf(m.name), spec);
      const e2 = worst(logits(fromSpec, inputs), want);
      report.push(`import ${m.name}: ${e1.toExponential(2)} (python), ${e2.toExponential(2)} (spec)`);
      expect(e1).toBeLessThanOrEqual(1e-5);
      expect(e2).toBeLessThanOrEqual(1e-5);
      // predict's logits are the same numbers
      expect(Array.from(fromPython.predict(inputs, { output: 'logits' }))).toEqual(logits(fromPython, inputs));
    });
  }

  it('a Linear/Tanh chain from its shapes alone, given the activation; refused without it', () => {
    const m = imp.models.find((x: { name: string }) => x.name === 'tanh-chain');
    const model = importTorch(engine, bytesOf('tanh-chain'), { activation: 'tanh' });
    expect(model.describe()).toBe('Model(64 → 16 tanh → 16 tanh → 10 linear; loss softmax-cross-entropy; 1482 parameters)');
    expect(worst(logits(model, inputs), m.logits.flat())).toBeLessThanOrEqual(1e-5);
    expect(() => importTorch(engine, bytesOf('tanh-chain'))).toThrow(/modules 1, 3 hold no tensors: activations \(or dropout\) that the shapes cannot name; pass options.activation/);
  });

  it('a file written by the safetensors library (0.8.0, save_file) reads the same', () => {
    const m = imp.models.find((x: { name: string }) => x.name === 'relu-square');
    const official = new Uint8Array(readFileSync(fixture('torch/import-relu-square-official.safetensors')));
    const model = importTorch(engine, official, { python: m.python });
    expect(worst(logits(model, inputs), m.logits.flat())).toBeLessThanOrEqual(1e-5);
    const ours = importTorch(engine, bytesOf('relu-square'), { python: m.python });
    expect(Array.from(model.parameters().data)).toEqual(Array.from(ours.parameters().data));
  });

  it('batch norm: running statistics and num_batches_tracked come across', () => {
    const model = importTorch(engine, bytesOf('batchnorm'), { python: importFixture('batchnorm').python });
    const bn = model.layers[1];
    expect(bn.type).toBe('batchnorm');
    expect(Array.from(bn.runningVar!.data).some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
    expect(model.passes).toBe(6);
    expect(model.layers[3].eps).toBe(0.001);
    expect(model.layers[3].momentum).toBe(0.2);
  });
});

describe('descent → PyTorch (exports loaded by their generated .py in torch)', () => {
  const made = cases(d, importFixture);
  it('the fixture has every case', () => {
    expect(exp.cases.map((c: { name: string }) => c.name)).toEqual(made.map((c) => c.name));
  });
  for (const c of made) {
    it(c.name, () => {
      const f = exp.cases.find((x: { name: string }) => x.name === c.name);
      // the files torch ran are exactly these (regenerate the fixtures if exportTorch changed:
      // node scripts/build.mjs && /usr/bin/python3 scripts/torch-export-fixtures.py)
      expect(sha256(c.exported.python), 'the .py torch ran').toBe(f.pythonSha256);
      expect(Array.from(c.inputs)).toEqual(f.inputs);
      if (!c.name.startsWith('finetune')) {
        expect(sha256(c.exported.safetensors), 'the safetensors torch loaded').toBe(f.safetensorsSha256);
      } else {
        // trained through the GEMM kernels: the file torch ran is committed; descent serves it
        // with torch's logits, and the regenerated export's tensors equal it within 1e-5
        const ran = new Uint8Array(readFileSync(fixture(`torch/export-${c.name}.safetensors`)));
        expect(sha256(ran), 'the safetensors torch loaded').toBe(f.safetensorsSha256);
        const served = importTorch(engine, ran);
        const e0 = worst(logits(served, c.inputs), f.torchLogits);
        report.push(`export ${c.name} (the file torch ran): ${e0.toExponential(2)}`);
        expect(e0).toBeLessThanOrEqual(1e-5);
        const a = readSafetensors(c.exported.safetensors, 'test').tensors, b = readSafetensors(ran, 'test').tensors;
        expect([...a.keys()]).toEqual([...b.keys()]);
        for (const [k, t] of a) {
          if (t.dtype === 'F32') expect(worst(new Float32Array(t.bytes.slice().buffer), new Float32Array(b.get(k)!.bytes.slice().buffer)), k).toBeLessThanOrEqual(1e-5);
          else expect(t.bytes).toEqual(b.get(k)!.bytes);
        }
      }
      const e = worst(c.logits, f.torchLogits);
      report.push(`export ${c.name}: ${e.toExponential(2)}`);
      expect(e).toBeLessThanOrEqual(1e-5);
      // names and shapes are the Sequential's state_dict (plus preprocess.*)
      const st = readSafetensors(c.exported.safetensors, 'test');
      const shapes = Object.fromEntries([...st.tensors].filter(([k]) => !k.startsWith('preprocess.')).map(([k, t]) => [k, t.shape]));
      expect(shapes).toEqual(f.stateDict);
      // and importTorch reads it back exactly
      const back = importTorch(engine, c.exported.safetensors);
      expect(Array.from(back.parameters().data)).toEqual(Array.from(c.model.parameters().data));
      expect(back.passes).toBe(c.model.passes);
      for (const [i, l] of back.layers.entries()) {
        if (l.runningMean) expect(Array.from(l.runningVar!.data)).toEqual(Array.from(c.model.layers[i].runningVar!.data));
      }
      expect(back.preprocess === undefined).toBe(c.name.endsWith('bare') || c.model.preprocess === undefined);
    });
  }

  it('a square layer: [out, in] in the export, the transpose of descent\'s [inputs, units]', () => {
    const model = new Model(engine, { inputs: 3, layers: [{ units: 3, activation: 'tanh' }, { units: 2 }] });
    model.parameters().data.set([1, 2, 3, 4, 5, 6, 7, 8, 9], 0); // W [inputs, units] row-major
    const st = readSafetensors(exportTorch(model).safetensors, 'test');
    expect(st.tensors.get('0.weight')!.shape).toEqual([3, 3]);
    expect(Array.from(new Float32Array(st.tensors.get('0.weight')!.bytes.slice().buffer))).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9]);
    expect(st.metadata.sequential).toBe('nn.Linear(3, 3); nn.Tanh(); nn.Linear(3, 2)');
  });

  it('the .py names modules in torch order and carries the preprocessing (unless bare)', () => {
    const c = made.find((x) => x.name === 'layernorm-preprocess')!;
    expect(c.exported.modules).toEqual(['nn.Linear(64, 16)', 'nn.LayerNorm(16, eps=0.00001)', 'nn.LeakyReLU(negative_slope=0.1)', 'nn.Linear(16, 16)', 'nn.Sigmoid()', 'nn.Linear(16, 16)', 'nn.Softsign()', 'nn.Linear(16, 10)']);
    expect(parseSequential(c.exported.python, 'test').length).toBe(8);
    const names = [...readSafetensors(c.exported.safetensors, 'test').tensors.keys()];
    expect(names.filter((n) => n.startsWith('preprocess.'))).toEqual(['preprocess.scale', 'preprocess.mean', 'preprocess.std']);
    const bare = made.find((x) => x.name === 'layernorm-bare')!;
    expect([...readSafetensors(bare.exported.safetensors, 'test').tensors.keys()].some((n) => n.startsWith('preprocess.'))).toBe(false);
  });

  it('prints the worst errors', () => {
    console.log(report.join('\n'));
  });
});

describe('refusals', () => {
  const what = /importTorch/;
  it('a descent model file, whatever its shapes', () => {
    const m = new Model(engine, { inputs: 4, layers: [{ units: 4 }, { units: 2 }] });
    expect(() => importTorch(engine, saveModel(m))).toThrow(/this is a descent model file \(layers.<i>.weight stored \[inputs, units\]\), not a PyTorch state_dict: load it with loadModel/);
    expect(() => d.loadModel(engine, exportTorch(m).safetensors)).toThrow(/not a descent model .*; it looks like a PyTorch nn.Sequential state_dict \(\[out, in\] weights\): read it with importTorch/);
  });

  it('a transposed Linear weight, named with its shapes', () => {
    const m = new Model(engine, { inputs: 64, layers: [{ units: 10, activation: 'tanh' }, { units: 10 }] });
    const st = readSafetensors(exportTorch(m).safetensors, 'test');
    const tensors = [...st.tensors.values()].map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.name === '0.weight' ? [64, 10] : t.shape, data: new Float32Array(t.bytes.slice().buffer) }));
    const bad = writeSafetensors(tensors, { sequential: st.metadata.sequential });
    expect(() => importTorch(engine, bad)).toThrow('importTorch: size mismatch for 0.weight: the file has [64, 10], module 0 nn.Linear(64, 10) needs [10, 64] (transposed: PyTorch stores Linear weights [out, in]; a descent model file stores [inputs, units] and is read by loadModel)');
  });

  it('missing and unexpected tensors, a wrong spec', () => {
    const m = new Model(engine, { inputs: 8, layers: [{ units: 4, activation: 'relu' }, { type: 'batchnorm' }, { units: 2 }] });
    const st = readSafetensors(exportTorch(m).safetensors, 'test');
    const all = [...st.tensors.values()].filter((t) => t.dtype === 'F32').map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: new Float32Array(t.bytes.slice().buffer) }));
    const without = writeSafetensors(all.filter((t) => t.name !== '2.running_var'), { sequential: st.metadata.sequential });
    expect(() => importTorch(engine, without)).toThrow(/tensor 2.running_var of module 2 nn.BatchNorm1d\(4, eps=0.00001, momentum=0.1\) is missing/);
    const extra = writeSafetensors([...all, { name: 'head.weight', dtype: 'F32', shape: [1], data: Float32Array.of(1) }], { sequential: st.metadata.sequential });
    expect(() => importTorch(engine, extra)).toThrow(/unexpected tensor head.weight for nn.Linear\(8, 4\) → nn.ReLU\(\) → nn.BatchNorm1d/);
    expect(() => importTorch(engine, exportTorch(m).safetensors, { inputs: 8, layers: [{ units: 5 }, { type: 'batchnorm' }, { units: 2 }] })).toThrow(/size mismatch for 0.weight: the file has \[4, 8\], module 0 nn.Linear\(8, 5\) needs \[5, 8\]/);
    expect(() => importTorch(engine, exportTorch(m).safetensors, { python: 'nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 100000000))' })).toThrow('importTorch: the architecture from the Python module list has 500000036 parameters, the file holds 63 values');
    expect(() => importTorch(engine, exportTorch(m).safetensors, { python: 'nn.Sequential(nn.Linear(8, 4), nn.Conv1d(4, 4, 3))' })).toThrow(/module 1 nn.Conv1d: unsupported module/);
    expect(() => importTorch(engine, exportTorch(m).safetensors, { python: 'nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.ReLU())' })).toThrow(/module 2 nn.ReLU\(\): two activations in a row/);
  });

  it('Python module lists as people write them', () => {
    const src = `import torch\nmodel = torch.nn.Sequential(\n  torch.nn.Linear(8, 4),  # hidden\n  nn.LayerNorm((4,), eps=1e-6),\n  nn.ReLU(inplace=True),\n  nn.Dropout(0.1),\n  nn.Linear(in_features=4, out_features=3, bias=False),\n  nn.Softmax(dim=1),\n)\n`;
    const modules = parseSequential(src, 'test');
    expect(modules.map((m) => m.kind)).toEqual(['Linear', 'LayerNorm', 'ReLU', 'Dropout', 'Linear', 'Softmax']);
    expect(modules[1]).toEqual({ kind: 'LayerNorm', features: 4, eps: 1e-6 });
    expect(modules[4]).toEqual({ kind: 'Linear', inFeatures: 4, outFeatures: 3, bias: false });
    expect(() => parseSequential('nn.Sequential(nn.Linear(8, n_hidden))', 'test')).toThrow(/expected a literal number or True\/False, got n_hidden/);
    expect(() => parseSequential('nn.Sequential(*layers)', 'test')).toThrow(/cannot read module 0 of nn.Sequential at "\*layers"/);
  });

  it('fuzz: an export cut at every byte, and 2,000 seeded byte changes: a model or a DescentError', () => {
    const m = new Model(engine, { inputs: 6, layers: [{ units: 5, activation: 'elu' }, { type: 'batchnorm', activation: 'relu' }, { type: 'dropout', rate: 0.5 }, { units: 3 }] });
    m.setPreprocess({ scale: 0.5, mean: new Float32Array(6).fill(0.1), std: new Float32Array(6).fill(2) });
    const good = exportTorch(m).safetensors;
    for (let cut = 0; cut < good.length; cut++) {
      expect(() => importTorch(engine, good.subarray(0, cut))).toThrow(d.DescentError);
    }
    const rng = new d.Random(12);
    let models = 0;
    for (let k = 0; k < 2000; k++) {
      const b = good.slice();
      for (let j = 0, changes = 1 + (k % 4); j < changes; j++) b[Math.floor(rng.uniform() * b.length)] = Math.floor(rng.uniform() * 256);
      try {
        importTorch(engine, b).release();
        models++;
      } catch (e) {
        expect(e).toBeInstanceOf(d.DescentError);
      }
    }
    expect(models).toBeGreaterThan(0);
  });

  it('hostile safetensors: truncated, huge header, offsets outside, overflowing shapes, wrong dtypes', () => {
    const good = exportTorch(new Model(engine, { inputs: 2, layers: [{ units: 2 }] })).safetensors;
    const header = (h: object) => {
      const j = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + j.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(j.length), true);
      out.set(j, 8);
      return out;
    };
    const huge = good.slice(); new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /truncated: 5 bytes/],
      [good.subarray(0, good.length - 3), /truncated/],
      [huge, /header length 9223372036854775808 exceeds/],
      [header({ '0.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 1600] } }), /data_offsets \[0, 1600\] hold 1600 bytes, but F32 \[2, 2\] takes 16/],
      [header({ '0.weight': { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 16] } }), /is too large/],
      [header({ '0.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [8, 24] } }), /ends at byte 24 but the file has 16 bytes of data/],
      [header({ '0.weight': { dtype: 'Q4', shape: [2, 2], data_offsets: [0, 16] } }), /unsupported dtype "Q4"/],
      [header({ '0.weight': { dtype: 'I32', shape: [2, 2], data_offsets: [0, 16] }, '0.bias': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }), /expected a floating-point tensor/],
      [header({ '0.weight': { dtype: 'F32', shape: [-2, 2], data_offsets: [0, 16] } }), /shape must be a list of at most 8 non-negative integers/],
      [header([1, 2]), /header is not a JSON object/],
      [header({ __metadata__: { sequential: 3 } }), /__metadata__.sequential must be a string/],
    ];
    for (const [bytes, msg] of cases) {
      expect(() => importTorch(engine, bytes), String(msg)).toThrow(d.DescentError);
      expect(() => importTorch(engine, bytes)).toThrow(msg);
      expect(() => importTorch(engine, bytes)).toThrow(what);
    }
    const nan = new Float32Array([1, NaN, 0, 0]);
    expect(() => importTorch(engine, writeSafetensors([{ name: '0.weight', dtype: 'F32', shape: [2, 2], data: nan }], {}))).toThrow(/tensor 0.weight holds NaN at index 1/);
  });
});
