// Saving and loading models in the safetensors layout (https://github.com/huggingface/safetensors):
//
//   u64 little-endian N | N bytes of JSON header (UTF-8, space-padded to a multiple of 8) | data
//
// The header maps tensor names to { dtype: "F32", shape, data_offsets: [begin, end) } (offsets
// relative to the start of the data) and holds "__metadata__": { format: "descent",
// model: <the model spec as a JSON string> }. Tensors are named layers.<i>.weight
// ([inputs, units], row-major, as used by the forward pass) and layers.<i>.bias, and are stored
// in the order of the model's flat parameter vector, so the data section IS that vector and a
// round trip is exact. Other safetensors readers (Python's safetensors, for one) can read the file.
// Batch and layer norm layers store γ and β as layers.<i>.weight and layers.<i>.bias ([c] each,
// PyTorch's names), and batch norm's running statistics follow the parameters as
// layers.<i>.running_mean and layers.<i>.running_var; files of models without these layers are
// unchanged, so files written before them still load. Models with dropout or batch norm also
// store "passes" in the metadata (the count of training forward passes, which numbers the
// dropout masks), so that training a loaded model draws the masks an uninterrupted run would.
//
// The model's input preprocessing and class names (nn/preprocess.ts) travel in the file too:
// tensors preprocess.mean and preprocess.std (F32 [inputs]) after the other tensors, metadata
// preprocess_scale (the number as a string) and class_names (a JSON array of strings), each only
// when set. A file without them (every file written before them) loads with no preprocessing
// and class j named "j". The output kind (probabilities, logits) follows from the loss in the
// model description: softmax for softmax-cross-entropy, sigmoid for bce-logits and bce.

import type { Engine } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import { Model, type AnyLayerSpec, type DenseLayer, type ModelSpec } from '../nn/model.js';
import { checkClassNames, checkPreprocess, type Preprocess } from '../nn/preprocess.js';

interface TensorEntry { dtype: string; shape: number[]; data_offsets: [number, number] }

export function modelSpec(model: Model): ModelSpec {
  return {
    inputs: model.inputs,
    loss: model.loss,
    seed: model.seed,
    layers: model.layers.map((l): AnyLayerSpec => {
      const alpha = l.activation === 'leaky-relu' || l.activation === 'elu' ? { alpha: l.alpha } : {};
      switch (l.type) {
        case 'batchnorm': return { type: 'batchnorm', momentum: l.momentum, eps: l.eps, activation: l.activation, ...alpha };
        case 'layernorm': return { type: 'layernorm', eps: l.eps, activation: l.activation, ...alpha };
        case 'dropout': return { type: 'dropout', rate: l.rate!, seed: l.seed };
        default: return { units: l.units, activation: l.activation, bias: l.hasBias, init: l.init, ...alpha };
      }
    }),
  };
}

/** Tensors stored after the model's parameters, and metadata entries (checkpoint.ts). */
export interface ExtraContent {
  metadata: Record<string, string>;
  tensors: { name: string; data: Float32Array }[];
}

/** The model as safetensors bytes. */
export function saveModel(model: Model, extra?: ExtraContent): Uint8Array {
  const header: Record<string, unknown> = {
    __metadata__: {
      format: 'descent', version: '1', model: JSON.stringify(modelSpec(model)),
      ...(model.hasNormalization ? { passes: String(model.passes) } : {}),
      ...(model.preprocess?.scale !== undefined ? { preprocess_scale: String(model.preprocess.scale) } : {}),
      ...(model.classNames ? { class_names: JSON.stringify(model.classNames) } : {}),
      ...extra?.metadata,
    },
  };
  for (const l of model.layers) {
    if (l.type === 'dropout') continue;
    header[`layers.${l.index}.weight`] = { dtype: 'F32', shape: weightShape(l), data_offsets: [l.weightOffset * 4, (l.weightOffset + l.inputs * l.units) * 4] };
    if (l.hasBias) header[`layers.${l.index}.bias`] = { dtype: 'F32', shape: [l.units], data_offsets: [l.biasOffset * 4, (l.biasOffset + l.units) * 4] };
  }
  let end = model.parameterCount * 4;
  const pre = model.preprocess;
  const tensors = [
    ...model.buffers().map((b) => ({ name: b.name, data: b.tensor.data })),
    ...(pre?.mean ? [{ name: 'preprocess.mean', data: pre.mean }] : []),
    ...(pre?.std ? [{ name: 'preprocess.std', data: pre.std }] : []),
    ...extra?.tensors ?? [],
  ];
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: [t.data.length], data_offsets: [end, end + t.data.length * 4] };
    end += t.data.length * 4;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) { json += ' '.repeat(pad); hb = enc.encode(json); }
  const params = model.parameters().data;
  const out = new Uint8Array(8 + hb.length + end);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  // f32 little-endian: copy the bytes (wasm memory is little-endian on every host)
  out.set(new Uint8Array(params.buffer, params.byteOffset, params.byteLength), 8 + hb.length);
  let at = 8 + hb.length + params.byteLength;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * A model from safetensors bytes written by saveModel (or saveCheckpoint); every inconsistency
 * is an error. Tensors named `<prefix>.…` for a prefix in `extraPrefixes` are not the model's:
 * they are checked for layout and returned in `extra` by readModelFile.
 */
export function loadModel(engine: Engine, bytes: Uint8Array, what = 'model file'): Model {
  return readModelFile(engine, bytes, what, []).model;
}

export function readModelFile(engine: Engine, bytes: Uint8Array, what: string, extraPrefixes: readonly string[]):
  { model: Model; metadata: Record<string, unknown>; extra: Map<string, Float32Array> } {
  if (!(bytes instanceof Uint8Array)) throw new DescentError(`${what}: expected bytes (Uint8Array)`);
  if (bytes.length < 8) throw new DescentError(`${what}: truncated: ${bytes.length} bytes, the header length alone takes 8`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > bytes.length - 8) throw new DescentError(`${what}: truncated or not a safetensors file: header length ${hlen} exceeds the ${bytes.length - 8} bytes that follow`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new DescentError(`${what}: the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new DescentError(`${what}: the header is not a JSON object`);
  const meta = header.__metadata__ as Record<string, unknown> | undefined;
  if (!meta || meta.format !== 'descent' || typeof meta.model !== 'string') {
    const torch = Object.keys(header).some((k) => /^\d+\.weight$/.test(k));
    throw new DescentError(`${what}: not a descent model (the safetensors metadata lacks format "descent" and the model description)${torch ? '; it looks like a PyTorch nn.Sequential state_dict ([out, in] weights): read it with importTorch' : ''}`);
  }
  let spec: ModelSpec;
  try {
    spec = JSON.parse(meta.model);
  } catch (e) {
    throw new DescentError(`${what}: the model description is not valid JSON (${(e as Error).message})`);
  }
  let passes = 0;
  if (meta.passes !== undefined) {
    passes = typeof meta.passes === 'string' && /^\d{1,10}$/.test(meta.passes) ? Number(meta.passes) : NaN;
    if (!(passes <= 0xffffffff)) throw new DescentError(`${what}: metadata passes must be an integer in [0, 2^32), got ${JSON.stringify(meta.passes)}`);
  }
  const data = bytes.subarray(8 + hlen);
  // check every tensor before building anything
  let model: Model;
  try {
    model = new Model(engine, spec);
  } catch (e) {
    throw new DescentError(`${what}: invalid model description: ${(e as Error).message}`);
  }
  const expected = new Set<string>();
  const copies: [number, Uint8Array][] = [];
  const states = new Map(model.buffers().map((b) => [b.name, b.tensor]));
  const stateCopies: [string, Uint8Array][] = [];
  for (const l of model.layers) {
    const parts: [string, number[], number][] = [];
    if (l.type !== 'dropout') parts.push([`layers.${l.index}.weight`, weightShape(l), l.weightOffset]);
    if (l.hasBias) parts.push([`layers.${l.index}.bias`, [l.units], l.biasOffset]);
    if (l.runningMean) parts.push([`layers.${l.index}.running_mean`, [l.units], -1], [`layers.${l.index}.running_var`, [l.units], -1]);
    for (const [name, shape, offset] of parts) {
      expected.add(name);
      const t = header[name] as TensorEntry | undefined;
      if (!t) { model.release(); throw new DescentError(`${what}: tensor ${name} is missing`); }
      const size = shape.reduce((a, b) => a * b, 1);
      const [b0, b1] = Array.isArray(t.data_offsets) ? t.data_offsets : [NaN, NaN];
      const problem = t.dtype !== 'F32' ? `dtype ${t.dtype}, expected F32`
        : JSON.stringify(t.shape) !== JSON.stringify(shape) ? `shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`
        : !(Number.isSafeInteger(b0) && Number.isSafeInteger(b1) && b1 - b0 === size * 4 && b0 >= 0) ? `data offsets ${JSON.stringify(t.data_offsets)} do not hold ${size} floats`
        : b1 > data.length ? `its data ends at byte ${b1} but the file has ${data.length} bytes of data (truncated)`
        : undefined;
      if (problem) { model.release(); throw new DescentError(`${what}: tensor ${name}: ${problem}`); }
      const chunk = data.subarray(b0, b1);
      const f = new Float32Array(chunk.slice().buffer);
      const bad = f.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) { model.release(); throw new DescentError(`${what}: tensor ${name} holds ${f[bad]} at index ${bad}`); }
      if (offset >= 0) copies.push([offset, chunk]);
      else stateCopies.push([name, chunk]);
    }
  }
  const extra = new Map<string, Float32Array>();
  for (const key of Object.keys(header)) {
    if (key === '__metadata__' || expected.has(key) || key === 'preprocess.mean' || key === 'preprocess.std') continue;
    // a checkpoint (checkpoint.ts) is a model file too: its optimizer tensors are not the model's
    const allowed = typeof meta.optimizer === 'string' ? [...extraPrefixes, 'optimizer'] : extraPrefixes;
    if (!allowed.some((p) => key.startsWith(`${p}.`))) { model.release(); throw new DescentError(`${what}: unexpected tensor ${key} for ${model.describe()}`); }
    const t = header[key] as TensorEntry;
    const [b0, b1] = Array.isArray(t?.data_offsets) ? t.data_offsets : [NaN, NaN];
    const size = Array.isArray(t?.shape) && t.shape.length === 1 ? t.shape[0] : NaN;
    const problem = t?.dtype !== 'F32' ? `dtype ${String(t?.dtype)}, expected F32`
      : !(Number.isSafeInteger(size) && Number.isSafeInteger(b0) && Number.isSafeInteger(b1) && b0 >= 0 && b1 - b0 === size * 4) ? `shape ${JSON.stringify(t.shape)} and data offsets ${JSON.stringify(t.data_offsets)} do not agree`
      : b1 > data.length ? `its data ends at byte ${b1} but the file has ${data.length} bytes of data (truncated)`
      : undefined;
    if (problem) { model.release(); throw new DescentError(`${what}: tensor ${key}: ${problem}`); }
    extra.set(key, new Float32Array(data.subarray(b0, b1).slice().buffer));
  }
  try {
    readPreprocess(model, header, meta, data, what);
  } catch (e) {
    model.release();
    throw e;
  }
  const params = model.parameters().data;
  const view = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  for (const [offset, chunk] of copies) view.set(chunk, offset * 4);
  for (const [name, chunk] of stateCopies) {
    const t = states.get(name)!.data;
    new Uint8Array(t.buffer, t.byteOffset, t.byteLength).set(chunk);
  }
  model.passes = passes;
  return { model, metadata: meta, extra };
}

/** Shape of a layer's weight tensor in the file: [inputs, units] for Dense, [c] for γ of a norm. */
function weightShape(l: DenseLayer): number[] {
  return l.type === 'dense' ? [l.inputs, l.units] : [l.units];
}

/** Sets model.preprocess and model.classNames from the file (absent: none); throws on anything malformed. */
function readPreprocess(model: Model, header: Record<string, unknown>, meta: Record<string, unknown>, data: Uint8Array, what: string): void {
  const p: Preprocess = {};
  if (meta.preprocess_scale !== undefined) {
    const t = meta.preprocess_scale;
    // a plain decimal number as String(number) writes it
    if (typeof t !== 'string' || !/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) throw new DescentError(`${what}: metadata preprocess_scale must be a number as a string, got ${JSON.stringify(t)?.slice(0, 80)}`);
    p.scale = Number(t);
  }
  for (const part of ['mean', 'std'] as const) {
    const name = `preprocess.${part}`;
    const t = header[name] as TensorEntry | undefined;
    if (t === undefined) continue;
    const [b0, b1] = Array.isArray(t?.data_offsets) ? t.data_offsets : [NaN, NaN];
    const problem = t?.dtype !== 'F32' ? `dtype ${String(t?.dtype)}, expected F32`
      : JSON.stringify(t.shape) !== JSON.stringify([model.inputs]) ? `shape ${JSON.stringify(t.shape)?.slice(0, 80)}, expected [${model.inputs}] (the model's inputs)`
      : !(Number.isSafeInteger(b0) && Number.isSafeInteger(b1) && b0 >= 0 && b1 - b0 === model.inputs * 4) ? `data offsets ${JSON.stringify(t.data_offsets)?.slice(0, 80)} do not hold ${model.inputs} floats`
      : b1 > data.length ? `its data ends at byte ${b1} but the file has ${data.length} bytes of data (truncated)`
      : undefined;
    if (problem) throw new DescentError(`${what}: tensor ${name}: ${problem}`);
    p[part] = new Float32Array(data.subarray(b0, b1).slice().buffer);
  }
  let names: unknown;
  if (meta.class_names !== undefined) {
    if (typeof meta.class_names !== 'string') throw new DescentError(`${what}: metadata class_names must be a JSON array of strings as a string`);
    try {
      names = JSON.parse(meta.class_names);
    } catch (e) {
      throw new DescentError(`${what}: metadata class_names is not valid JSON (${(e as Error).message})`);
    }
  }
  // validate both before setting either (the setters name the problem)
  const pre = checkPreprocess(p, model.inputs, what);
  const cn = checkClassNames(names, model.classes, `${what}: class_names`);
  model.setPreprocess(pre).setClassNames(cn);
}
