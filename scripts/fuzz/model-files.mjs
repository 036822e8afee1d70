// Fuzz targets 'model' (loadModel) and 'checkpoint' (loadCheckpoint): safetensors files of
// small trained models (dense; batch norm + layer norm + dropout; preprocessing and class names;
// no bias, bce-logits) and checkpoints of them under every optimizer rule (amsgrad, centered
// RMSprop with momentum, NAdam's mu_product, iRprop+'s prev_loss, frozen groups…).
//
// Mutations: the byte mutators of harness.mjs; the header length field; the header JSON
// (any value anywhere, including inside the JSON strings of the metadata — model description,
// optimizer entry, progress, class names — replaced by null, objects, `{"toString": 1}`,
// huge/negative/fractional numbers, "NaN" strings, arrays nested 20,000 deep, or removed;
// keys added; leading/trailing whitespace); tensor offsets shifted or swapped (gaps,
// overlaps, trailing bytes); floats of the data section set to NaN, ±Inf, −1, 3e38, −0,
// denormals.
//
// An accepted model must hold finite parameters and running means, running variances that are
// finite and ≥ 0, valid preprocessing, and round-trip: save → load → save gives the same bytes.
// An accepted checkpoint also: an optimizer state whose values are valid (checked here
// independently of the library: finite buffers, second moments ≥ 0, integral steps ≥ 0, NAdam's
// mu_product in (0, 1], booleans for frozen), that loadStateDict takes or refuses with a
// DescentError, that round-trips, and whose first step keeps every parameter finite (when the
// state's magnitudes are ≤ 1e15: a valid but extreme state, 3e38 in exp_avg, may overflow f32).

import { byteMutators } from './harness.mjs';

const OPTIMIZERS = [
  ['adam', {}], ['adamw', { amsgrad: true }], ['nadam', {}], ['sgd', { momentum: 0.9 }], ['nesterov', {}],
  ['rmsprop', { centered: true, momentum: 0.5 }], ['adagrad', {}], ['adadelta', {}], ['adamax', {}], ['radam', {}],
  ['rprop', {}], ['irprop+', {}], ['rprop-', {}], ['delta-bar-delta', { momentum: 0.5 }],
  ['nesterov-lookahead', {}], ['momentum-classic', {}],
];
const SPECS = [
  { inputs: 3, seed: 1, layers: [{ units: 4, activation: 'relu' }, { units: 2 }] },
  { inputs: 3, seed: 2, layers: [{ units: 4, activation: 'relu' }, { type: 'batchnorm' }, { type: 'layernorm', activation: 'elu' }, { type: 'dropout', rate: 0.1 }, { units: 3 }] },
  { inputs: 4, seed: 3, loss: 'bce-logits', layers: [{ units: 3, activation: 'tanh', bias: false }, { type: 'batchnorm', momentum: 0.5 }, { units: 1 }] },
];
const NON_NEGATIVE = new Set(['exp_avg_sq', 'max_exp_avg_sq', 'square_avg', 'acc_delta', 'sum', 'exp_inf', 'step_size', 'learning_rate']);

function dataset(model, n, salt) {
  const x = new Float32Array(n * model.inputs).map((_, i) => Math.sin(i * 1.7 + salt));
  const labels = new Int32Array(n).map((_, i) => i % model.classes);
  return { x, n, features: model.inputs, labels, classes: model.classes };
}

function trained(d, engine, spec, opt, k) {
  const m = new d.Model(engine, spec);
  if (k === 2) m.setPreprocess({ scale: 0.5, mean: new Float32Array(spec.inputs).fill(0.1), std: new Float32Array(spec.inputs).fill(2) }).setClassNames(Array.from({ length: m.classes }, (_, j) => `class ${j}`));
  d.fit(m, dataset(m, 12, k), { epochs: 2, batchSize: 4, optimizer: opt ?? d.optimizer('adam') });
  return m;
}

function modelSeeds(d, engine) {
  return SPECS.map((spec, k) => {
    const m = trained(d, engine, spec, undefined, k);
    const bytes = d.saveModel(m);
    m.release();
    return { bytes };
  });
}

function checkpointSeeds(d, engine) {
  return OPTIMIZERS.map(([name, hyper], k) => {
    const groups = k % 5 === 0 ? { groups: [{ layers: [0], kind: 'biases', frozen: true }] } : {};
    const opt = d.optimizer(name, hyper, groups);
    const m = trained(d, engine, SPECS[k % SPECS.length], opt, k % SPECS.length);
    const bytes = d.saveCheckpoint(m, opt, { epoch: 2, step: 6 });
    m.release();
    opt.release();
    return { bytes, name, hyper, groups };
  });
}

// ---- header-aware mutators ----

function split(bytes) {
  if (bytes.length < 8) return undefined;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (n > bytes.length - 8) return undefined;
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    if (header === null || typeof header !== 'object' || Array.isArray(header)) return undefined;
    return { header, data: bytes.subarray(8 + n) };
  } catch {
    return undefined;
  }
}

/** Raw JSON text spliced in where a sentinel string stands (deep nesting, NaN, …). */
const RAW = new Map();
const raw = (text) => { const key = `\u0001raw${RAW.size}\u0001`; RAW.set(key, text); return key; };
const DEEP = raw(`${'['.repeat(20000)}${']'.repeat(20000)}`);
const DEEP_OBJ = raw(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
const BARE = ['NaN', 'Infinity', '-Infinity', '1e999', '-0', '01', 'undefined'].map(raw);
function stringify(v) {
  let s = JSON.stringify(v);
  if (s === undefined) return s;
  for (const [key, text] of RAW) if (s.includes(key)) s = s.split(JSON.stringify(key)).join(text);
  return s;
}

function assemble(header, data, rng, lengthFix = true) {
  let text = stringify(header);
  const r = rng.next();
  if (r < 0.05) text = ` ${text}`;
  else if (r < 0.1) text = `${text}\n`;
  else if (r < 0.3) text += ' '.repeat(rng.int(9));
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthFix ? h.length : h.length + rng.pick([-1, 1, 8, -8])), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const NESTED = ['model', 'optimizer', 'progress', 'class_names'];

function values(rng) {
  return rng.pick([
    null, {}, [], { toString: 1 }, { valueOf: 1 }, { __proto__: null, constructor: 1 }, 1e308, -1e308, 1e20, 2 ** 53, 2 ** 32, -1, -0.5, 0.5, 0, 1, 1.5,
    65536, 100000, 3000000, 2, 3, 4,
    'NaN', 'x', 'Infinity', '-1', '1e999', '', 'F32', 'F64', true, false, DEEP, DEEP_OBJ, rng.pick(BARE),
    [1], [1, 2, 3], [[1, 2]], [-1, 5], [0, 1e15], ['1', '2'], [null], 'x'.repeat(2000), ['a', 'b', 'c'],
  ]);
}

/** Every [container, key] in v (v itself as ['root'] of a holder). */
function slots(holder, out = []) {
  const walk = (o) => {
    if (o === null || typeof o !== 'object') return;
    for (const k of Object.keys(o)) {
      out.push([o, k]);
      walk(o[k]);
    }
  };
  walk(holder);
  return out;
}

/** The header with the metadata's JSON strings parsed, mutated by f, put back together. */
function mutateHeader(rng, bytes, f) {
  const s = split(bytes);
  if (!s) return byteMutators.flip(rng, bytes);
  const { header, data } = s;
  const meta = header.__metadata__;
  const nested = {};
  if (meta && typeof meta === 'object') {
    for (const k of NESTED) {
      if (typeof meta[k] === 'string') {
        try { nested[k] = { root: JSON.parse(meta[k]) }; } catch { /* leave it a string */ }
      }
    }
  }
  f(header, nested);
  if (meta && typeof meta === 'object') for (const k of Object.keys(nested)) meta[k] = stringify(nested[k].root);
  return assemble(header, data, rng, rng.next() < 0.95);
}

const headerMutators = {
  /** Any value anywhere (header or nested metadata JSON) replaced, or removed. */
  value(rng, bytes) {
    return mutateHeader(rng, bytes, (header, nested) => {
      const pool = slots({ root: header });
      for (const k of Object.keys(nested)) pool.push(...slots(nested[k]));
      const [o, k] = rng.pick(pool);
      if (rng.next() < 0.15 && !Array.isArray(o)) delete o[k];
      else o[k] = values(rng);
    });
  },
  /** A value inside the nested metadata JSON (model, optimizer, progress): where the meaning is. */
  nestedValue(rng, bytes) {
    return mutateHeader(rng, bytes, (_header, nested) => {
      const pool = [];
      for (const k of Object.keys(nested)) pool.push(...slots(nested[k]).slice(1));
      if (!pool.length) return;
      const [o, k] = rng.pick(pool);
      o[k] = values(rng);
    });
  },
  /** A key added to an object (unknown keys, toString, __proto__). */
  addKey(rng, bytes) {
    return mutateHeader(rng, bytes, (header, nested) => {
      const objs = [header, ...Object.values(header).filter((v) => v && typeof v === 'object' && !Array.isArray(v))];
      for (const k of Object.keys(nested)) if (nested[k].root && typeof nested[k].root === 'object') objs.push(nested[k].root);
      rng.pick(objs)[rng.pick(['toString', 'valueOf', 'hasOwnProperty', 'extra', 'layers.9.weight', 'optimizer.momentum_buffer', 'preprocess.mean', 'version'])] = values(rng);
    });
  },
  /** Offsets moved: a gap, an overlap, trailing bytes, two tensors swapped. */
  offsets(rng, bytes) {
    const s = split(bytes);
    if (!s) return byteMutators.truncate(rng, bytes);
    const { header, data } = s;
    const names = Object.keys(header).filter((k) => k !== '__metadata__' && Array.isArray(header[k]?.data_offsets) && header[k].data_offsets.every((x) => typeof x === 'number'));
    if (!names.length) return bytes;
    const t = header[rng.pick(names)];
    const kind = rng.int(4);
    let extra = data;
    if (kind === 0) t.data_offsets[rng.int(2)] += rng.pick([4, -4, 8, 1]);
    else if (kind === 1) { const u = header[rng.pick(names)]; [t.data_offsets, u.data_offsets] = [u.data_offsets, t.data_offsets]; }
    else if (kind === 2) { extra = new Uint8Array(data.length + 4); extra.set(data); }
    else { const d = rng.pick([4, 8]); t.data_offsets = [t.data_offsets[0] + d, t.data_offsets[1] + d]; }
    return assemble(header, extra, rng);
  },
  /** A float of the data section set to a special value (NaN, ±Inf, −1, 3e38, −0, a denormal). */
  float(rng, bytes) {
    const s = split(bytes);
    if (!s || s.data.length < 4) return byteMutators.flip(rng, bytes);
    const o = bytes.slice();
    const at = o.length - s.data.length + 4 * rng.int(Math.floor(s.data.length / 4));
    new DataView(o.buffer).setFloat32(at, rng.pick([NaN, Infinity, -Infinity, -1, -1e-3, 3e38, -3e38, -0, 1e-45, 0]), true);
    return o;
  },
  /** The header length field: off by a little, huge, zero. */
  length(rng, bytes) {
    if (bytes.length < 8) return bytes;
    const o = bytes.slice(), dv = new DataView(o.buffer);
    const n = dv.getBigUint64(0, true);
    dv.setBigUint64(0, rng.pick([0n, 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 32n, n + 1n, n > 0n ? n - 1n : 0n, n + 8n, BigInt(rng.int(4096))]), true);
    return o;
  },
};

const mutators = [
  ...Object.values(byteMutators),
  headerMutators.value, headerMutators.value, headerMutators.nestedValue, headerMutators.nestedValue, headerMutators.nestedValue,
  headerMutators.addKey, headerMutators.offsets, headerMutators.float, headerMutators.float, headerMutators.length,
];

// ---- invariants ----

const finiteAll = (a) => a.every((x) => Number.isFinite(x));

/** The problem with a loaded model's values, or undefined. */
function modelProblem(model) {
  const p = model.parameters().data;
  const bad = p.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) return `parameter ${bad} is ${p[bad]}`;
  for (const b of model.buffers()) {
    const v = b.tensor.data;
    const i = v.findIndex((x) => !Number.isFinite(x) || (b.name.endsWith('running_var') && x < 0));
    if (i >= 0) return `${b.name}[${i}] is ${v[i]}`;
  }
  if (!Number.isSafeInteger(model.passes) || model.passes < 0) return `passes is ${model.passes}`;
  const pre = model.preprocess;
  if (pre) {
    if (pre.scale !== undefined && !(Number.isFinite(pre.scale) && pre.scale !== 0)) return `preprocess scale ${pre.scale}`;
    if (pre.mean && !finiteAll(pre.mean)) return 'preprocess mean not finite';
    if (pre.std && !pre.std.every((x) => Number.isFinite(x) && x > 0)) return 'preprocess std not finite and > 0';
  }
  return undefined;
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * What the safetensors rules forbid in an accepted file, checked independently of the library:
 * leading whitespace, trailing characters other than spaces, tensors that do not tile the data
 * section exactly (gaps, overlaps, trailing bytes).
 */
function safetensorsProblem(bytes) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  if (text[0] !== '{') return 'accepted a header that does not begin with {';
  if (!/^[^]*\} *$/.test(text)) return 'accepted a header padded with other than spaces';
  const header = JSON.parse(text);
  const spans = Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, t]) => t.data_offsets).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [b, e] of spans) {
    if (b !== at) return `accepted tensors that do not tile the data (${b} after ${at})`;
    at = e;
  }
  if (at !== bytes.length - 8 - n) return `accepted ${bytes.length - 8 - n - at} bytes after the last tensor`;
  return undefined;
}

function checkModel(d, engine, model, bytes) {
  try {
    const problem = safetensorsProblem(bytes) ?? modelProblem(model);
    if (problem) return problem;
    const b1 = d.saveModel(model);
    const m2 = d.loadModel(engine, b1);
    try {
      const b2 = d.saveModel(m2);
      if (!same(b1, b2)) return 'save → load → save changed the bytes';
    } finally {
      m2.release();
    }
    return undefined;
  } finally {
    model.release();
  }
}

/** The problem with a loaded optimizer state dict's values (an independent check), or undefined. */
function stateProblem(sd, progress) {
  if (!(Number.isSafeInteger(progress?.epoch) && progress.epoch >= 0 && Number.isSafeInteger(progress.step) && progress.step >= 0)) return `progress ${JSON.stringify(progress)}`;
  if (sd.version !== 1 || typeof sd.rule !== 'string') return 'version or rule';
  if (!Array.isArray(sd.steps) || !sd.steps.every((t) => Number.isSafeInteger(t) && t >= 0)) return 'steps not integers ≥ 0';
  if (!Array.isArray(sd.frozen) || !sd.frozen.every((f) => typeof f === 'boolean')) return 'frozen not booleans';
  if (!Array.isArray(sd.scalars)) return 'scalars';
  for (const s of sd.scalars) {
    if (!s || typeof s !== 'object') return 'a scalars entry is not an object';
    for (const [k, v] of Object.entries(s)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `scalar ${k} = ${String(v)}`;
      if (k === 'mu_product' && !(v > 0 && v <= 1)) return `mu_product ${v}`;
    }
    if (sd.rule === 'nadam' && typeof s.mu_product !== 'number') return 'nadam without mu_product';
  }
  for (const [k, b] of Object.entries(sd.buffers)) {
    if (!(b instanceof Float32Array) || b.length !== sd.length) return `buffer ${k} shape`;
    const i = b.findIndex((x) => !Number.isFinite(x) || (NON_NEGATIVE.has(k) && x < 0));
    if (i >= 0) return `buffer ${k}[${i}] = ${b[i]}`;
  }
  return undefined;
}

function checkCheckpoint(d, engine, ck, seed, bytes) {
  const opts = [];
  const fresh = () => { const o = d.optimizer(seed.name, seed.hyper, seed.groups); opts.push(o); return o; };
  const models = [ck.model];
  try {
    const problem = safetensorsProblem(bytes) ?? modelProblem(ck.model) ?? stateProblem(ck.optimizer, ck.progress);
    if (problem) return problem;
    const opt = fresh();
    try {
      opt.loadStateDict(ck.optimizer, ck.model);
    } catch (e) {
      if (e instanceof d.DescentError) return undefined; // refused where the optimizer is known: allowed
      throw e;
    }
    const b1 = d.saveCheckpoint(ck.model, opt, ck.progress);
    const c2 = d.loadCheckpoint(engine, b1);
    models.push(c2.model);
    const opt2 = fresh();
    opt2.loadStateDict(c2.optimizer, c2.model);
    const b2 = d.saveCheckpoint(c2.model, opt2, c2.progress);
    if (!same(b1, b2)) return 'save → load → save changed the bytes';
    // one step from the loaded state
    const params = ck.model.parameters(), grads = ck.model.gradients();
    const extreme = [params.data, ...Object.values(ck.optimizer.buffers)].some((a) => a.some((x) => Math.abs(x) > 1e15));
    if (!extreme) {
      grads.data.set(grads.data.map((_, i) => 0.01 * Math.sin(i + 1)));
      if (typeof opt.beforeGradient === 'function') opt.beforeGradient(params, { step: ck.progress.step, epoch: ck.progress.epoch, model: ck.model, loss: 1 });
      opt.step(params, grads, { step: ck.progress.step, epoch: ck.progress.epoch, model: ck.model, loss: 1 });
      const p = ck.model.parameters().data;
      const bad = p.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) return `the first step from the loaded state made parameter ${bad} ${p[bad]}`;
    }
    return undefined;
  } finally {
    for (const m of models) m.release();
    for (const o of opts) o.release();
  }
}

export const modelFileTargets = [
  {
    name: 'model',
    seeds: modelSeeds,
    mutators,
    load: (d, engine, bytes) => d.loadModel(engine, bytes),
    check: (d, engine, model, _seed, bytes) => checkModel(d, engine, model, bytes),
  },
  {
    name: 'checkpoint',
    seeds: checkpointSeeds,
    mutators,
    load: (d, engine, bytes) => d.loadCheckpoint(engine, bytes),
    check: checkCheckpoint,
  },
];
