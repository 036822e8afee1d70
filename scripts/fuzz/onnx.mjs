// Fuzz target 'onnx' (importOnnx): ONNX files of small models written by the library's exporter
// (dense; batch norm + layer norm + dropout with preprocessing and class names; bce-logits) and
// the files PyTorch 1.13 wrote for the tests (test/fixtures/onnx/*.onnx: Gemm/MatMul graphs,
// Flatten, the Shape/Gather/Concat arithmetic of x.view, LogSoftmax).
//
// Mutations: the byte mutators of harness.mjs, and two protobuf-aware ones: a varint made
// overlong or huge (lengths, dims, counts), and a length-delimited field's length byte moved.
//
// An accepted model must hold finite values only, predict finite outputs for a fixed input
// (unless its values are finite but extreme, > 1e15: a mutated exponent byte can make a weight
// 2e38, which is valid and overflows — 17 of 100,000 cases did), survive export → import with
// the same outputs (its own export, so the check does not depend on the mutated file's layout),
// and be released.
import { readdirSync, readFileSync } from 'node:fs';
import { byteMutators } from './harness.mjs';

const SPECS = [
  { inputs: 5, seed: 1, layers: [{ units: 4, activation: 'relu' }, { units: 3 }] },
  { inputs: 5, seed: 2, layers: [{ units: 4, activation: 'tanh' }, { type: 'batchnorm' }, { type: 'layernorm', activation: 'elu' }, { type: 'dropout', rate: 0.1 }, { units: 3 }] },
  { inputs: 4, seed: 3, loss: 'bce-logits', layers: [{ units: 3, activation: 'softsign', bias: false }, { units: 1 }] },
];
const FIXTURES = new URL('../../test/fixtures/onnx/', import.meta.url);

function seeds(d, engine) {
  const out = SPECS.map((spec, k) => {
    const m = new d.Model(engine, spec);
    if (k === 1) m.setPreprocess({ scale: 0.5, mean: new Float32Array(spec.inputs).fill(0.1), std: new Float32Array(spec.inputs).fill(2) }).setClassNames(['a', 'b', 'c']);
    const bytes = d.exportOnnx(m);
    m.predict(new Float32Array(spec.inputs)); // the engine's GEMM workspace exists before the campaign counts live bytes
    m.release();
    return { bytes };
  });
  for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.onnx')).sort()) out.push({ bytes: new Uint8Array(readFileSync(new URL(f, FIXTURES))) });
  return out;
}

const mutators = [
  ...Object.values(byteMutators),
  /** A byte with the continuation bit set inserted (overlong varint) or a run of 0xff (huge value). */
  (rng, b) => {
    if (!b.length) return b.slice();
    const at = rng.int(b.length), run = rng.next() < 0.5 ? [0x80] : new Array(1 + rng.int(10)).fill(0xff);
    return new Uint8Array([...b.subarray(0, at), ...run, ...b.subarray(at)]);
  },
  /** A byte after a length-delimited tag (wire type 2) changed: the length of that field. */
  (rng, b) => {
    const o = b.slice();
    const tags = [];
    for (let i = 0; i + 1 < o.length; i++) if ((o[i] & 7) === 2 && o[i] < 0x80) tags.push(i + 1);
    if (tags.length) o[rng.pick(tags)] = rng.int(256);
    return o;
  },
];

function check(d, engine, model) {
  try {
    const x = new Float32Array(model.inputs * 3).map((_, i) => Math.sin(i + 1));
    const p = model.predict(x, { n: 3 });
    // values the importer keeps must be finite; outputs too, unless the file holds finite but
    // extreme values (a mutated exponent byte makes a weight 2e38: valid f32 that overflows)
    let extreme = 0;
    for (const t of [model.parameters(), ...model.buffers().map((b) => b.tensor)]) {
      for (const v of t.toArray()) {
        if (!Number.isFinite(v)) return `an accepted model holds ${v}`;
        extreme = Math.max(extreme, Math.abs(v));
      }
    }
    if (extreme <= 1e15) for (const v of p) if (!Number.isFinite(v)) return `an accepted model with values ≤ 1e15 predicts ${v}`;
    let back;
    try {
      back = d.importOnnx(engine, d.exportOnnx(model));
      const q = back.predict(x, { n: 3 });
      for (let i = 0; i < p.length; i++) if (Math.abs(q[i] - p[i]) > 1e-5 * Math.max(1, Math.abs(p[i]))) return `export → import changes output ${i}: ${p[i]} → ${q[i]}`;
    } finally {
      back?.release();
    }
    return undefined;
  } finally {
    model.release();
  }
}

export const onnxTargets = [
  { name: 'onnx', seeds, mutators, load: (d, engine, bytes) => d.importOnnx(engine, bytes), check },
];
