// A model file is the whole model (issue #12 item 1): preprocessing and class names travel in
// the file, predict applies them to raw inputs, old files load with the documented defaults,
// hostile values are refused without changing anything; predict's output kinds vs f64.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Model, type LayerSpec } from '../src/nn/model.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint.js';
import { optimizer } from '../src/optim/optimizer.js';
import { digits } from '../src/data/digits.js';
import { fitStandardizer } from '../src/data/standardize.js';
import { fit, evaluate } from '../src/train/fit.js';
import { DescentError } from '../src/engine/errors.js';
import { growModel, withNewHead } from '../src/nn/transfer.js';
import { isas, engineFor } from './engines.js';
import { forward, type RefLayer } from './reference-mlp.js';
import { randomF32 } from './reference.js';

const refLayers = (m: Model): RefLayer[] => m.layers.map((l) => ({ inputs: l.inputs, units: l.units, activation: l.activation, alpha: l.alpha, bias: l.hasBias }));

/** safetensors bytes with the header changed by `edit` (the data section kept, optionally edited too). */
function rewrite(bytes: Uint8Array, edit: (h: Record<string, any>) => void, editData?: (data: DataView) => void): Uint8Array {
  const hlen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  const data = bytes.slice(8 + hlen);
  edit(header);
  editData?.(new DataView(data.buffer));
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + hb.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out;
}

for (const isa of isas) {
  describe(`model files carry preprocessing and class names (${isa})`, () => {
    const e = engineFor(isa);
    const spec = { inputs: 64, layers: [{ units: 16, activation: 'tanh' }, { units: 10 }] as LayerSpec[], seed: 3 };

    it('predict on raw values gives, bit for bit, what the network gives on the prepared ones; round trip exact', () => {
      const raw = digits({ scale: 1 }); // pixel counts 0…16, as the data set stores them
      const scaled = digits(); // × 1/16, what training read
      const s = fitStandardizer(scaled);
      const prepared = s.apply(scaled);
      const m = new Model(e, spec);
      fit(m, prepared, { epochs: 3, batchSize: 32, seed: 1 });
      const want = m.predict(prepared.x); // no preprocessing set yet
      const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine,"quoted"'];
      m.setPreprocess({ scale: 1 / 16, mean: s.mean, std: s.std }).setClassNames(names);
      expect(m.predict(raw.x)).toEqual(want);
      expect(m.predict(prepared.x, { preprocess: false })).toEqual(want);
      expect(m.preprocessInputs(raw.x)).toEqual(prepared.x);
      expect(evaluate(m, raw, { preprocess: true })).toEqual(evaluate(m, prepared));

      const back = loadModel(e, saveModel(m));
      const p = back.preprocess!;
      expect(p.scale).toBe(1 / 16);
      expect(p.mean).toEqual(s.mean);
      expect(p.std).toEqual(s.std);
      expect(back.classNames).toEqual(names);
      expect(back.predict(raw.x)).toEqual(want);
      expect(back.predict(raw.x, { output: 'classes' })).toEqual(m.predictLabels(prepared.x, { preprocess: false }));
      // a checkpoint is a model file too
      const opt = optimizer('adam', { lr: 1e-3 });
      opt.bind(m);
      const ck = loadCheckpoint(e, saveCheckpoint(m, opt, { epoch: 3, step: 10 }));
      expect(ck.model.preprocess).toEqual(m.preprocess);
      expect(ck.model.classNames).toEqual(names);
      // preprocess is a copy: changing it changes nothing
      m.preprocess!.mean![0] = NaN;
      expect(m.preprocess!.mean![0]).toBe(s.mean[0]);
      // each part alone
      for (const part of [{ scale: 0.5 }, { mean: s.mean }, { std: s.std }]) {
        const one = loadModel(e, saveModel(m.setPreprocess(part)));
        expect(one.preprocess).toEqual(part);
        expect(one.classNames).toEqual(names);
      }
      m.setPreprocess(undefined).setClassNames(undefined);
      const none = loadModel(e, saveModel(m));
      expect(none.preprocess).toBeUndefined();
      expect(none.classNames).toBeUndefined();
    });

    it('growModel keeps the preprocessing and class names, withNewHead the preprocessing', () => {
      const m = new Model(e, spec);
      const pre = { scale: 0.5, mean: new Float32Array(64).fill(1), std: new Float32Array(64).fill(3) };
      m.setPreprocess(pre).setClassNames(Array.from({ length: 10 }, (_, i) => `c${i}`));
      const grown = growModel(m, { insert: [{ units: 12 }] }).model;
      expect(grown.preprocess).toEqual(pre);
      expect(grown.classNames).toEqual(m.classNames);
      const head = withNewHead(m, { outputs: 3 }).model;
      expect(head.preprocess).toEqual(pre);
      expect(head.classNames).toBeUndefined();
    });

    it('a file written before preprocessing was stored loads: no preprocessing, classes 0..k−1', () => {
      // written by saveModel at b7048f9 (the commit before this feature): 64-8-10 tanh, 2 epochs on digits
      const m = loadModel(e, new Uint8Array(readFileSync(new URL('./fixtures/model-v1-digits.safetensors', import.meta.url))));
      expect(m.describe()).toBe('Model(64 → 8 tanh → 10 linear; loss softmax-cross-entropy; 610 parameters)');
      expect(m.preprocess).toBeUndefined();
      expect(m.classNames).toBeUndefined();
      expect(m.classes).toBe(10);
      // what that version's predict printed for the first two digits (digits() as input)
      const then = [0.205666855, 0.0720646456, 0.0684345812, 0.103282429, 0.0793172419, 0.115661815, 0.0534411930, 0.135489836, 0.0747877434, 0.0918537155,
        0.0412356257, 0.300535917, 0.0725568309, 0.0771295279, 0.130223930, 0.0942125842, 0.0717156157, 0.0672650337, 0.0674911961, 0.0776337162];
      const now = m.predict(digits().x.subarray(0, 128));
      then.forEach((p, i) => expect(Math.abs(now[i] - p)).toBeLessThanOrEqual(1e-6));
    });

    it('hostile preprocessing and class names are refused and change nothing', () => {
      const m = new Model(e, spec);
      const mean = Float32Array.from({ length: 64 }, (_, j) => j / 10), std = new Float32Array(64).fill(2);
      m.setPreprocess({ scale: 0.25, mean, std }).setClassNames(Array.from({ length: 10 }, (_, i) => `c${i}`));
      const before = { p: m.preprocess, c: m.classNames };
      const with1 = (j: number, v: number, base = std) => { const a = base.slice(); a[j] = v; return a; };
      const bad: [unknown, RegExp][] = [
        [{ mean: with1(3, NaN, mean) }, /mean\[3\] is NaN/],
        [{ std: with1(5, Infinity) }, /std\[5\] is Infinity/],
        [{ std: with1(0, -1) }, /std\[0\] must be > 0/],
        [{ std: with1(0, 0) }, /std\[0\] must be > 0/],
        [{ std: Array.from(std, (v, j) => (j === 7 ? 1e-50 : v)) }, /std\[7\] must be > 0, got 1e-50 \(0 as f32\)/],
        [{ mean: Float64Array.from(mean, (v, j) => (j === 1 ? 1e39 : v)) }, /mean\[1\] is 1e\+39 \(not finite as f32\)/],
        [{ mean: new Float32Array(63) }, /mean holds 63 values, the model takes 64 inputs/],
        [{ std: new Float32Array(65).fill(1) }, /std holds 65 values/],
        [{ mean: 'abc' }, /mean must be a Float32Array/],
        [{ mean: [...mean.slice(0, 63), '1'] }, /mean\[63\] is not a number/],
        [{ scale: 0 }, /scale must be a finite non-zero number/],
        [{ scale: NaN }, /scale must be a finite non-zero number/],
        [{ offset: 1 }, /unknown key "offset"/],
        [[1, 2], /must be \{ scale\?, mean\?, std\? \}/],
      ];
      for (const [p, msg] of bad) {
        expect(() => m.setPreprocess(p as never), JSON.stringify(p)?.slice(0, 60)).toThrow(msg);
        expect(m.preprocess).toEqual(before.p);
      }
      const badNames: [unknown, RegExp][] = [
        [['a', 'b'], /2 class names for a model of 10 classes/],
        [Array.from({ length: 10 }, (_, i) => (i === 4 ? 4 : `c${i}`)), /class name 4 is not a string \(number\)/],
        [Array.from({ length: 10 }, (_, i) => (i === 2 ? 'x'.repeat(1001) : `c${i}`)), /class name 2 is 1001 characters long/],
        ['abc', /must be an array of strings/],
      ];
      for (const [c, msg] of badNames) {
        expect(() => m.setClassNames(c as never)).toThrow(msg);
        expect(m.classNames).toEqual(before.c);
      }
      expect(m.preprocess).toEqual(before.p);
    });

    it('hostile model files are refused with a clear error', () => {
      const m = new Model(e, spec);
      m.setPreprocess({ scale: 0.25, mean: new Float32Array(64).fill(0.5), std: new Float32Array(64).fill(2) }).setClassNames(Array.from({ length: 10 }, (_, i) => `c${i}`));
      const good = saveModel(m);
      const stdAt = (h: Record<string, any>) => h['preprocess.std'].data_offsets[0] as number;
      let stdOffset = 0;
      rewrite(good, (h) => { stdOffset = stdAt(h); });
      const cases: [Uint8Array, RegExp][] = [
        [rewrite(good, (h) => { h['preprocess.mean'].shape = [63]; }), /tensor preprocess.mean: data_offsets \[\d+, \d+\] hold 256 bytes, shape \[63\] needs 252/],
        [rewrite(good, (h) => { h['preprocess.mean'].dtype = 'F64'; }), /tensor preprocess.mean: dtype F64, expected F32/],
        [rewrite(good, (h) => { h['preprocess.std'].data_offsets = [0, 1e15]; }), /tensor preprocess.std: data_offsets \[0, 1000000000000000\] hold/],
        [rewrite(good, (h) => { h['preprocess.std'].shape = [1e12]; }), /tensor preprocess.std: data_offsets .* shape \[1000000000000\] needs 4000000000000/],
        [rewrite(good, () => {}, (d) => d.setFloat32(stdOffset + 8, -3, true)), /std\[2\] must be > 0, got -3/],
        [rewrite(good, () => {}, (d) => d.setFloat32(stdOffset, NaN, true)), /std\[0\] is NaN/],
        [rewrite(good, () => {}, (d) => d.setFloat32(stdOffset - 4, Infinity, true)), /mean\[63\] is Infinity/],
        [rewrite(good, (h) => { h.__metadata__.preprocess_scale = 'NaN'; }), /preprocess_scale must be a number as a string, got "NaN"/],
        [rewrite(good, (h) => { h.__metadata__.preprocess_scale = '1e999'; }), /scale must be a finite non-zero number/],
        [rewrite(good, (h) => { h.__metadata__.preprocess_scale = 0.25; }), /metadata "preprocess_scale" must be a string, got 0.25/],
        [rewrite(good, (h) => { h.__metadata__.class_names = 'not json'; }), /class_names is not valid JSON/],
        [rewrite(good, (h) => { h.__metadata__.class_names = '{"a":1}'; }), /must be an array of strings/],
        [rewrite(good, (h) => { h.__metadata__.class_names = JSON.stringify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); }), /class name 0 is not a string/],
        [rewrite(good, (h) => { h.__metadata__.class_names = JSON.stringify(Array.from({ length: 1e6 }, () => 'x')); }), /1000000 class names for a model of 10 classes/],
        [rewrite(good, (h) => { h.__metadata__.class_names = ['a']; }), /metadata "class_names" must be a string, got an array of 1/],
      ];
      for (const [bytes, msg] of cases) {
        let err: unknown;
        try { loadModel(e, bytes); } catch (x) { err = x; }
        expect(err, String(msg)).toBeInstanceOf(DescentError);
        expect((err as Error).message).toMatch(msg);
      }
      // the untouched file still loads
      expect(loadModel(e, good).classNames).toEqual(m.classNames);
    });

    it('predict output kinds: probabilities = softmax of the logits (f64), logits = the f64 forward, classes = argmax', () => {
      const n = 37;
      for (const [loss, k] of [['softmax-cross-entropy', 7], ['bce-logits', 3], ['mse', 2], ['bce', 1]] as const) {
        const m = new Model(e, { inputs: 5, layers: [{ units: 6, activation: 'tanh' }, { units: k, activation: loss === 'bce' ? 'sigmoid' : 'linear' }], loss, seed: 9 });
        for (const l of m.layers) l.b!.data.set(randomF32(l.units, 4 + l.index));
        const x = randomF32(n * 5, 11);
        const ref = forward(refLayers(m), Float64Array.from(m.parameters().data), Float64Array.from(x), n); // output layer values, f64
        const tol = (want: number) => 2e-6 * Math.max(1, Math.abs(want));
        if (loss !== 'bce') {
          const logits = m.predict(x, { output: 'logits' });
          ref.forEach((r, i) => expect(Math.abs(logits[i] - r), `${loss} logit ${i}`).toBeLessThanOrEqual(tol(r)));
        } else {
          expect(() => m.predict(x, { output: 'logits' })).toThrow(/loss bce applies the sigmoid inside the last layer/);
        }
        if (loss !== 'mse') {
          const p = m.predict(x, { output: 'probabilities' });
          expect(m.predict(x)).toEqual(p); // the default
          expect(m.predict(x, n)).toEqual(p); // predict(x, n) as before
          for (let i = 0; i < n; i++) {
            const row = Array.from(ref.subarray(i * k, (i + 1) * k));
            const probs = loss === 'softmax-cross-entropy'
              ? (() => { const mx = Math.max(...row); const ex = row.map((z) => Math.exp(z - mx)); const s = ex.reduce((a, b) => a + b); return ex.map((v) => v / s); })()
              : loss === 'bce-logits' ? row.map((z) => 1 / (1 + Math.exp(-z))) : row;
            probs.forEach((q, j) => expect(Math.abs(p[i * k + j] - q), `${loss} p[${i},${j}]`).toBeLessThanOrEqual(2e-6));
          }
        } else {
          expect(() => m.predict(x, { output: 'probabilities' })).toThrow(/output 'probabilities' needs a classification loss/);
          expect(m.predict(x)).toEqual(m.predict(x, { output: 'logits' }));
        }
        const classes = m.predict(x, { output: 'classes' });
        expect(classes).toBeInstanceOf(Int32Array);
        expect(classes).toEqual(m.predictLabels(x));
        for (let i = 0; i < n; i++) {
          const row = Array.from(ref.subarray(i * k, (i + 1) * k));
          const want = k === 1 ? (row[0] > 0.5 ? 1 : 0) : row.indexOf(Math.max(...row));
          expect(classes[i], `${loss} class of ${i}`).toBe(want);
        }
      }
      const m = new Model(e, spec);
      expect(() => m.predict(new Float32Array(64), { output: 'scores' as never })).toThrow(/output must be one of probabilities, logits, classes, got "scores"/);
    });
  });
}
