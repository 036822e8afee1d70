// PyTorch both ways for CNNs (src/io/torch/; issue #15 layers), against fixtures made by torch 1.13
// at dev time (scripts/torch-cnn-fixtures.py → test/fixtures/torch-cnn.json; no Python here):
//  (a) round trip: the CNNs of scripts/torch-cnn-cases.mjs (conv 'same' odd and even, stride,
//      padding, groups, depthwise, dilation, no bias; BatchNorm2d after conv, BatchNorm1d after a
//      flatten; max/avg/global pooling; flatten; Dropout2d, dropout; dense; preprocessing on a
//      two-channel input), trained 4 steps on digits, exported and imported: the same parameters,
//      running statistics and predictions, bit for bit — from the file alone (metadata), from the
//      .py, and from the model's spec;
//  (b) descent → PyTorch: torch ran exactly these .py files (SHA-256) on the committed
//      safetensors; descent serving them gives torch's logits within 1e-5 of max|torch|, and
//      exporting what it read reproduces them byte for byte;
//  (c) PyTorch → descent: torch-made CNN state_dicts imported with the module list and the input
//      size give torch's logits within 1e-5 of max|torch|;
//  and the refusals: unknown input size, layouts and options descent lacks, hostile files.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { Engine } from '../src/engine/engine.js';
import { Model, type AnyLayerSpec } from '../src/nn/model.js';
import { modelSpec } from '../src/io/model-file.js';
import { exportTorch, importTorch, readSafetensors, writeSafetensors, parseSequential } from '../src/io/torch/index.js';
import { logits } from '../scripts/torch-export-cases.mjs';
import { cnnCases, train } from '../scripts/torch-cnn-cases.mjs';

const fixture = (p: string) => new URL(`./fixtures/${p}`, import.meta.url);
const F = JSON.parse(readFileSync(fixture('torch-cnn.json'), 'utf8')) as {
  import: { inputs: number[]; models: { name: string; file: string; python: string; inputShape: [number, number, number]; logits: number[] }[] };
  export: { name: string; describe: string; pythonSha256: string; safetensorsSha256: string; stateDict: Record<string, number[]>; inputs: number[]; descentLogits: number[]; torchLogits: number[] }[];
};
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const engine = Engine.createSync({ isa: 'simd', gemmTile: 4 });
const TOL = 1e-5;

/** max |a − b| / max |b| (b: torch's). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return err / Math.max(scale, 1e-30);
}

const bits = (m: Model) => Array.from(m.parameters().data);
const report: string[] = [];
const made = cnnCases(d);

describe('round trip: descent CNN → exportTorch → importTorch', () => {
  for (const c of made) {
    it(`${c.name}: identical parameters, statistics and predictions (file alone, .py, spec)`, () => {
      const x = c.inputs;
      const want = c.model.predict(x, { output: 'logits' });
      const spec = modelSpec(c.model);
      const imported = [
        ['the file alone', importTorch(engine, c.exported.safetensors)],
        ['the .py', importTorch(engine, c.exported.safetensors, { python: c.exported.python })],
        ['the spec', importTorch(engine, c.exported.safetensors, spec)],
      ] as const;
      for (const [how, m] of imported) {
        expect(m.inputShape, how).toEqual(c.model.inputShape);
        // a Dense reading an image comes back behind a flatten layer (torch needs the nn.Flatten())
        expect(m.describe().replace(' Flatten(4×2×3) →', ''), how).toBe(c.model.describe());
        expect(m.layers.length - c.model.layers.length, how).toBe(c.name === 'cnn-channels' && how !== 'the spec' ? 1 : 0);
        expect(bits(m), how).toEqual(bits(c.model));
        for (const [i, l] of m.layers.entries()) {
          if (l.runningMean) {
            expect(Array.from(l.runningMean.data), how).toEqual(Array.from(c.model.layers[i].runningMean!.data));
            expect(Array.from(l.runningVar!.data), how).toEqual(Array.from(c.model.layers[i].runningVar!.data));
          }
        }
        expect(m.passes, how).toBe(c.model.passes);
        expect(Array.from(m.predict(x, { output: 'logits' })), how).toEqual(Array.from(want));
        if (c.model.preprocess) {
          expect(Array.from(m.preprocess!.mean!), how).toEqual(Array.from(c.model.preprocess.mean!));
          expect(Array.from(m.preprocess!.std!), how).toEqual(Array.from(c.model.preprocess.std!));
        }
        // and exported again: the same bytes
        expect(sha256(exportTorch(m).safetensors), how).toBe(sha256(c.exported.safetensors));
        m.release();
      }
    });
  }

  it('a Dense reading an image gets nn.Flatten() before its Linear (re-imported as a flatten layer; same numbers)', () => {
    const c = made.find((x) => x.name === 'cnn-channels')!;
    expect(c.exported.modules).toEqual(['nn.Conv2d(2, 3, kernel_size=(3, 2), stride=2, padding=(1, 0))', 'nn.ReLU()', 'nn.Flatten()', 'nn.Linear(24, 10)']);
    const g = made.find((x) => x.name === 'cnn-global')!;
    expect(g.exported.modules.slice(-3)).toEqual(['nn.AdaptiveAvgPool2d(1)', 'nn.Flatten()', 'nn.Linear(8, 10)']);
    expect(g.exported.modules[0]).toBe("nn.Conv2d(1, 6, kernel_size=2, padding='same')");
    // a Dense straight on the model's input image
    const m = new Model(engine, { inputs: [3, 2, 2], layers: [{ units: 4, activation: 'tanh' }, { units: 2 }], seed: 2 });
    const ex = exportTorch(m);
    expect(ex.modules).toEqual(['nn.Flatten()', 'nn.Linear(12, 4)', 'nn.Tanh()', 'nn.Linear(4, 2)']);
    // torch's input index ch·4 + p is descent's p·3 + ch: column ch·4 + p of 1.weight is row p·3 + ch of W
    const w = new Float32Array(readSafetensors(ex.safetensors, 'test').tensors.get('1.weight')!.bytes.slice().buffer);
    for (let p = 0; p < 4; p++) for (let ch = 0; ch < 3; ch++) for (let o = 0; o < 4; o++) expect(w[o * 12 + ch * 4 + p]).toBe(m.layers[0].W.data[(p * 3 + ch) * 4 + o]);
    const back = importTorch(engine, ex.safetensors);
    expect(back.layers.map((l) => l.type)).toEqual(['flatten', 'dense', 'dense']);
    expect(bits(back)).toEqual(bits(m));
    const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
    expect(Array.from(back.predict(x, { output: 'logits' }))).toEqual(Array.from(m.predict(x, { output: 'logits' })));
  });

  it('training continues identically after the round trip', () => {
    const c = made.find((x) => x.name === 'cnn-pool')!;
    const m = importTorch(engine, c.exported.safetensors);
    const again = importTorch(engine, c.exported.safetensors);
    const ds = d.digits();
    const x = ds.x.slice(64 * 64, 96 * 64), labels = ds.labels!.slice(64, 96);
    train(m, x, labels, 2, 0.05);
    train(again, x, labels, 2, 0.05);
    expect(bits(m)).toEqual(bits(again));
    expect(bits(m)).not.toEqual(bits(c.model));
  });
});

describe('descent → PyTorch (exports loaded by their generated .py in torch 1.13)', () => {
  it('the fixture has every case', () => {
    expect(F.export.map((c) => c.name)).toEqual(made.map((c) => c.name));
  });
  for (const c of made) {
    it(c.name, () => {
      const f = F.export.find((x) => x.name === c.name)!;
      // the .py torch ran is exactly this one (its text depends on the architecture only)
      expect(sha256(c.exported.python), 'the .py torch ran').toBe(f.pythonSha256);
      expect(c.model.describe()).toBe(f.describe);
      expect(Array.from(c.inputs)).toEqual(f.inputs);
      const ran = new Uint8Array(readFileSync(fixture(`torch/cnn-export-${c.name}.safetensors`)));
      expect(sha256(ran), 'the safetensors torch loaded').toBe(f.safetensorsSha256);
      // descent serving the file torch ran gives torch's logits (importTorch checked against torch),
      // and exporting what it read gives the file torch ran, byte for byte (exportTorch checked)
      const served = importTorch(engine, ran);
      const x = served.preprocess ? served.preprocessInputs(c.inputs) : c.inputs;
      const e0 = relErr(logits(served, x), f.torchLogits);
      expect(e0).toBeLessThanOrEqual(TOL);
      expect(sha256(exportTorch(served).safetensors), 'exportTorch(importTorch(the file torch ran))').toBe(f.safetensorsSha256);
      // the model trained here: its bits follow the training code (GEMM summation order, dropout
      // masks), so it is the fixture's model only while that code is unchanged since the fixture
      // was made; then its export is the same file (regenerate: /usr/bin/python3 scripts/torch-cnn-fixtures.py)
      const e1 = relErr(c.logits, f.torchLogits);
      const sameBytes = sha256(c.exported.safetensors) === f.safetensorsSha256;
      report.push(`export ${c.name}: ${e0.toExponential(2)} (the file torch ran), ${e1.toExponential(2)} (trained here${sameBytes ? ': the same bytes' : ': training changed since the fixture'})`);
      if (sameBytes) expect(e1).toBeLessThanOrEqual(TOL);
      const a = readSafetensors(c.exported.safetensors, 'test').tensors, b = readSafetensors(ran, 'test').tensors;
      expect([...a.keys()]).toEqual([...b.keys()]);
      for (const [k, t] of a) expect(t.shape, k).toEqual(b.get(k)!.shape);
      // names and shapes are the Sequential's state_dict (plus preprocess.*)
      const shapes = Object.fromEntries([...a].filter(([k]) => !k.startsWith('preprocess.')).map(([k, t]) => [k, t.shape]));
      expect(shapes).toEqual(f.stateDict);
      served.release();
    });
  }
});

describe('PyTorch → descent (torch-made CNN state_dicts)', () => {
  const inputs = Float32Array.from(F.import.inputs); // [N, 1, 8, 8]: one channel, so NCHW = NHWC
  for (const m of F.import.models) {
    it(`${m.name}: ${m.python.slice(0, 60)}…`, () => {
      const bytes = new Uint8Array(readFileSync(fixture(m.file)));
      const model = importTorch(engine, bytes, { python: m.python, inputs: m.inputShape });
      const e = relErr(logits(model, inputs), m.logits);
      report.push(`import ${m.name}: ${e.toExponential(2)} — ${model.describe()}`);
      expect(e).toBeLessThanOrEqual(TOL);
      // the same through its descent spec, and exported → imported again
      const again = importTorch(engine, bytes, modelSpec(model));
      expect(bits(again)).toEqual(bits(model));
      const back = importTorch(engine, exportTorch(model).safetensors);
      expect(Array.from(back.predict(inputs, { output: 'logits' }))).toEqual(Array.from(model.predict(inputs, { output: 'logits' })));
      // the input size is not in a plain state_dict
      expect(() => importTorch(engine, bytes, { python: m.python })).toThrow(/module 0 nn\.Conv2d\(1, \d, kernel_size=\d, padding=.*\): takes images \[N, channels, height, width\], and the input image size is not known: pass options\.inputs = \[channels, height, width\]/);
      for (const x of [model, again, back]) x.release();
    });
  }

  it('torch-pool: the ReLU after MaxPool2d moved onto the BatchNorm2d; Dropout2d, flatten and BatchNorm1d came across', () => {
    const m = F.import.models.find((x) => x.name === 'torch-pool')!;
    const model = importTorch(engine, new Uint8Array(readFileSync(fixture(m.file))), { python: m.python, inputs: [1, 8, 8] });
    expect(model.layers.map((l) => `${l.type}${l.activation !== 'linear' ? `:${l.activation}` : ''}`)).toEqual(
      ['conv2d', 'batchnorm:relu', 'maxpool2d', 'conv2d:tanh', 'dropout2d', 'avgpool2d', 'flatten', 'dense', 'batchnorm:relu', 'dropout', 'dense']);
    expect(model.passes).toBe(6);
    model.release();
  });

  it('prints the worst errors', () => {
    console.log(report.join('\n'));
  });
});

describe('refusals', () => {
  const c = made.find((x) => x.name === 'cnn-pool')!;
  const st = readSafetensors(c.exported.safetensors, 'test');
  const f32 = [...st.tensors.values()].filter((t) => t.dtype === 'F32').map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: new Float32Array(t.bytes.slice().buffer) }));

  it('the input size: unknown, or given in two ways, or malformed', () => {
    const noShape = writeSafetensors(f32, { sequential: st.metadata.sequential });
    expect(() => importTorch(engine, noShape)).toThrow(/importTorch: module 0 nn.Conv2d\(1, 4, kernel_size=3, padding=1\): takes images \[N, channels, height, width\], and the input image size is not known: pass options.inputs/);
    expect(importTorch(engine, noShape, { inputs: [1, 8, 8] }).describe()).toBe(c.model.describe());
    expect(importTorch(engine, noShape, { python: c.exported.python }).describe()).toBe(c.model.describe());
    expect(() => importTorch(engine, noShape, { inputs: [1, 10, 8] })).toThrow(/module 9 nn.BatchNorm1d\(200, eps=0.00001, momentum=0.1\): features 200, but the module before outputs 240/);
    expect(() => importTorch(engine, noShape, { inputs: [2, 8, 8] })).toThrow(/module 0 nn.Conv2d\(1, 4, kernel_size=3, padding=1\): in_channels 1, but the input has 2 channels/);
    expect(() => importTorch(engine, noShape, { inputs: [1, 8] as unknown as [number, number, number] })).toThrow(/options.inputs must be an image \[channels, height, width\]/);
    expect(() => importTorch(engine, noShape, { inputs: [65536, 65536, 1] })).toThrow(/options.inputs must be an image/);
    expect(() => importTorch(engine, c.exported.safetensors, { spec: modelSpec(c.model), inputs: [1, 8, 8] })).toThrow(/give the input in the spec/);
    for (const bad of ['[1, 8]', 'x', '[0, 8, 8]', '[1e9, 1e9, 1e9]']) {
      expect(() => importTorch(engine, writeSafetensors(f32, { sequential: st.metadata.sequential, input_shape: bad }))).toThrow(/metadata input_shape must be an image/);
    }
    expect(() => importTorch(engine, noShape, { python: c.exported.python.replace('# Input shape: [N, 1, 8, 8]', '# Input shape: [N, 1, 0, 8]') })).toThrow(/the "# Input shape" comment must be an image/);
  });

  it('modules and options descent lacks', () => {
    const py = (body: string) => importTorch(engine, c.exported.safetensors, { python: `nn.Sequential(${body})`, inputs: [1, 8, 8] });
    expect(() => py("nn.Conv2d(1, 4, 3, padding=1, padding_mode='reflect')")).toThrow(/module 0 nn.Conv2d: padding_mode=reflect has no descent equivalent \(descent pads with zeros\)/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.MaxPool2d(2, ceil_mode=True)')).toThrow(/module 1 nn.MaxPool2d: ceil_mode=true has no descent equivalent/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.MaxPool2d(2, dilation=2)')).toThrow(/module 1 nn.MaxPool2d: dilation=2 has no descent equivalent/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.AvgPool2d(2, divisor_override=3)')).toThrow(/divisor_override=3 has no descent equivalent/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.AdaptiveAvgPool2d(2)')).toThrow(/output_size=2 has no descent equivalent \(only nn.AdaptiveAvgPool2d\(1\)/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.Flatten(2)')).toThrow(/start_dim=2 has no descent equivalent/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.Linear(144, 10)')).toThrow(/module 1 nn.Linear\(144, 10\): takes flat features, but the module before outputs an image \[4, 6, 6\] \(channels, height, width\): put nn.Flatten\(\) before it/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.AvgPool2d(2), nn.ReLU()')).toThrow(/module 2 nn.ReLU\(\): an activation after AvgPool2d has no descent equivalent/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.LeakyReLU(-0.5)')).toThrow(/module 2 nn.LeakyReLU\(negative_slope=-0.5\): an activation after MaxPool2d has no descent equivalent/);
    expect(() => py('nn.Conv2d(1, 4, 3, stride=2, padding="same")')).toThrow(/padding 'same' needs stride 1/);
    expect(() => py('nn.Conv2d(1, 4, 9)')).toThrow(/a height window of 9 \(kernel 9\) does not fit an input height of 8/);
    expect(() => py('nn.Conv2d(1, 4, 3, groups=2)')).toThrow(/groups 2 must divide in_channels 1/);
    expect(() => py('nn.Conv2d(1, 4, (3, 3, 3))')).toThrow(/expected a literal number or True\/False/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.BatchNorm1d(4)')).toThrow(/takes flat features, but the module before outputs an image/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.Flatten(), nn.BatchNorm2d(4)')).toThrow(/takes images, but the module before outputs 144 flat features/);
    expect(() => py('nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(144, 10), nn.Softmax(dim=1)')).toThrow(/tensor 2.weight of module 2 nn.Linear\(144, 10\) is missing/); // the module list itself is accepted
    // a Conv2d weight cannot be inferred from the tensors alone
    expect(() => importTorch(engine, writeSafetensors(f32, {}))).toThrow(/tensor 0.weight has shape \[4, 1, 3, 3\], a Conv2d weight: its stride, padding, dilation and the input image size are not in the tensors; pass options.python/);
    // a layer norm over a whole image has no nn.Sequential export here
    const ln = new Model(engine, { inputs: [1, 4, 4], layers: [{ type: 'conv2d', filters: 2, kernel: 3 }, { type: 'layernorm' }, { units: 2 }] as AnyLayerSpec[] });
    expect(() => exportTorch(ln)).toThrow(/exportTorch: layer 1 .*layer norm over a whole image has no nn.Sequential equivalent here/);
  });

  it('tensors of the wrong layout or size, and architectures much larger than the file', () => {
    const swapped = f32.map((t) => (t.name === '0.weight' ? { ...t, shape: [1, 4, 3, 3] } : t));
    expect(() => importTorch(engine, writeSafetensors(swapped, { sequential: st.metadata.sequential, input_shape: '[1,8,8]' }))).toThrow(/size mismatch for 0.weight: the file has \[1, 4, 3, 3\], module 0 nn.Conv2d\(1, 4, kernel_size=3, padding=1\) needs \[4, 1, 3, 3\]/);
    const grouped = f32.map((t) => (t.name === '4.weight' ? { ...t, shape: [8, 4, 3, 3], data: new Float32Array(288) } : t));
    expect(() => importTorch(engine, writeSafetensors(grouped, { sequential: st.metadata.sequential, input_shape: '[1,8,8]' }))).toThrow(/size mismatch for 4.weight: the file has \[8, 4, 3, 3\], module 4 nn.Conv2d\(4, 8, kernel_size=3, padding=1, groups=2\) needs \[8, 2, 3, 3\]/);
    expect(() => importTorch(engine, c.exported.safetensors, { python: 'nn.Sequential(nn.Conv2d(1, 4096, 3), nn.Conv2d(4096, 4096, 3), nn.Flatten(), nn.Linear(65536, 10))', inputs: [1, 8, 8] }))
      .toThrow(/the architecture from the Python module list has 151695370 parameters, the file holds 3020 values/);
  });

  it('fuzz: a CNN export cut at every 7th byte, and 1,500 seeded byte changes: a model or a DescentError', () => {
    const good = made.find((x) => x.name === 'cnn-global')!.exported.safetensors;
    for (let cut = 0; cut < good.length; cut += 7) {
      expect(() => importTorch(engine, good.subarray(0, cut))).toThrow(d.DescentError);
    }
    const rng = new d.Random(15);
    let models = 0;
    for (let k = 0; k < 1500; k++) {
      const b = good.slice();
      // half the changes in the header (JSON: names, shapes, metadata), half anywhere
      const headerEnd = 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
      for (let j = 0, changes = 1 + (k % 3); j < changes; j++) b[Math.floor(rng.uniform() * (k % 2 ? b.length : headerEnd))] = Math.floor(rng.uniform() * 256);
      try {
        importTorch(engine, b).release();
        models++;
      } catch (e) {
        expect(e).toBeInstanceOf(d.DescentError);
      }
    }
    expect(models).toBeGreaterThan(0);
  });

  it('module lists as people write them', () => {
    const src = `net = nn.Sequential(\n  nn.Conv2d(in_channels=3, out_channels=16, kernel_size=(3, 5), stride=(1, 2), padding='same' if False else 1),\n)`;
    expect(() => parseSequential(src, 'test')).toThrow(/expected a literal/);
    const ok = parseSequential("model = torch.nn.Sequential(\n  torch.nn.Conv2d(3, 16, kernel_size=(3, 5), stride=(1, 2), padding=(1, 2), bias=False),  # stem\n  nn.BatchNorm2d(16),\n  nn.ReLU(inplace=True),\n  nn.MaxPool2d(kernel_size=2, stride=None),\n  nn.AvgPool2d(2, 2, 0, False, False),\n  nn.AdaptiveAvgPool2d(output_size=(1, 1)),\n  nn.Flatten(1, -1),\n  nn.Dropout2d(p=0.1),\n)", 'test');
    expect(ok[0]).toEqual({ kind: 'Conv2d', inChannels: 3, outChannels: 16, kernel: [3, 5], stride: [1, 2], padding: [1, 2], dilation: [1, 1], groups: 1, bias: false });
    expect(ok[3]).toEqual({ kind: 'MaxPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0] });
    expect(ok[4]).toEqual({ kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0], countIncludePad: false });
    expect(ok.map((m) => m.kind)).toEqual(['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d', 'AvgPool2d', 'AdaptiveAvgPool2d', 'Flatten', 'Dropout2d']);
    expect(() => parseSequential('nn.Sequential(nn.Conv2d(1, 4, 3, stride=1, stride=2))', 'test')).toThrow(/argument stride given twice/);
    expect(() => parseSequential('nn.Sequential(nn.Conv2d(1, 4, 3, device="cuda"))', 'test')).toThrow(/unexpected argument device="cuda"/);
    expect(() => parseSequential('nn.Sequential(nn.constructor())', 'test')).toThrow(/unsupported module/);
  });
});
