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
// unchanged, so files written before them still load.
// Image layers (#15): the description's inputs is then [c, h, w]. A conv2d layer stores its
// weight as the library's W, [kh·kw·cg, filters] with row (ky·kw + kx)·cg + ci and column =
// output channel (cg = c / groups; layers/conv2d.ts) — NOT PyTorch's [filters, cg, kh, kw]
// (io/torch converts) — and its bias as [filters]; batch norm after an image keeps γ, β and the
// running statistics per channel ([channels]). Pooling, flatten and dropout layers have no
// tensors. Which tensors a description implies, and their shapes, are what the layer kinds'
// plan() computes (planModel, nn/model.ts): the loader and the model share one set of rules.
// Models with dropout or batch norm also store "passes" in the metadata (the count of training
// forward passes, which numbers the dropout masks), so that training a loaded model draws the
// masks an uninterrupted run would.
//
// The model's input preprocessing and class names (nn/preprocess.ts) travel in the file too:
// tensors preprocess.mean and preprocess.std (F32 [inputs]) after the other tensors, metadata
// preprocess_scale (the number as a string) and class_names (a JSON array of strings), each only
// when set. A file without them (every file written before them) loads with no preprocessing
// and class j named "j". The output kind (probabilities, logits) follows from the loss in the
// model description: softmax for softmax-cross-entropy, sigmoid for bce-logits and bce.

import type { Engine } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import { Model, planModel, type AnyLayerSpec, type ModelSpec } from '../nn/model.js';
import type { LayerType } from '../nn/layers/layer.js';
import { checkClassNames, checkPreprocess, type Preprocess } from '../nn/preprocess.js';
import { lossSpecOf } from '../nn/losses.js';
import { brief, isRecord, label, own, parseJson, readSafetensors, type TensorInfo } from './safetensors.js';

/**
 * The spec that rebuilds `model` (same layers, shapes, parameter layout and initializers): what
 * the model file stores as its description, and what threads and transfer learning rebuild from.
 */
export function modelSpec(model: Model): ModelSpec {
  return {
    inputs: model.inputShape ? [model.inputShape[0], model.inputShape[1], model.inputShape[2]] : model.inputs,
    loss: lossSpecOf(model.lossConfig),
    seed: model.seed,
    layers: model.layers.map((l): AnyLayerSpec => {
      const alpha = l.activation === 'leaky-relu' || l.activation === 'elu' ? { alpha: l.alpha } : {};
      const g = l.config ?? {};
      // the image layers' specs are not in AnyLayerSpec's union (nn/model.ts): typed loosely here
      const image = (o: Record<string, unknown>): AnyLayerSpec => o as unknown as AnyLayerSpec;
      switch (l.type) {
        case 'batchnorm': return { type: 'batchnorm', momentum: l.momentum, eps: l.eps, activation: l.activation, ...alpha, ...(l.config?.frozenStats ? { frozenStats: true } : {}) };
        case 'layernorm': return { type: 'layernorm', eps: l.eps, activation: l.activation, ...alpha };
        case 'dropout': return { type: 'dropout', rate: l.rate!, seed: l.seed };
        case 'conv2d': {
          // 'same' padding with an even span pads one more after than before: only 'same' says that
          const same = g.phAfter !== g.ph || g.pwAfter !== g.pw;
          return image({
            type: 'conv2d', filters: g.filters, kernel: [g.kh, g.kw], stride: [g.sh, g.sw], padding: same ? 'same' : [g.ph, g.pw],
            dilation: [g.dh, g.dw], groups: g.groups, bias: l.hasBias, activation: l.activation, ...alpha, init: l.init,
          });
        }
        case 'maxpool2d': return image({ type: 'maxpool2d', kernel: [g.kh, g.kw], stride: [g.sh, g.sw], padding: [g.ph, g.pw] });
        case 'avgpool2d': return image({ type: 'avgpool2d', kernel: [g.kh, g.kw], stride: [g.sh, g.sw], padding: [g.ph, g.pw], countIncludePad: g.countIncludePad !== 0 });
        case 'dropout2d': return image({ type: 'dropout2d', rate: l.rate!, seed: l.seed });
        case 'flatten': case 'globalavgpool': return image({ type: l.type });
        case 'dense': return { units: l.units, activation: l.activation, bias: l.hasBias, init: l.init, ...alpha };
        default: {
          const never: never = l.type;
          throw new DescentError(`modelSpec: layer ${l.index} of type ${String(never)} cannot be described`);
        }
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
    if (l.inputs * l.units === 0) continue; // dropout, pooling, flatten: no parameters
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

// Loading checks everything the file says before it allocates anything (parseModelFile), then
// builds the model (buildModel). A rejected file allocates nothing in the engine: wasm memory
// can grow but never shrink, so the only way not to keep memory for a bad file is to refuse
// it first. Declared sizes are bounded by the file's length (the tensors tile the data section,
// safetensors.ts) and the model the description implies must match them tensor for tensor, so a
// file of n bytes makes the engine allocate about 2n (parameters and gradients), and not even
// that if it exceeds what the engine's memory limit leaves.

/** A model file checked whole, nothing allocated yet. */
export interface ParsedModelFile {
  what: string;
  spec: ModelSpec;
  passes: number;
  metadata: Record<string, string>;
  /** The file's tensors by name, and its data section. */
  tensors: Map<string, TensorInfo>;
  data: Uint8Array;
  preprocess: Preprocess | undefined;
  classNames: string[] | undefined;
  /** The tensors under extraPrefixes (F32, 1-D, any length), copied out. */
  extra: Map<string, Float32Array>;
  /** Floats the model allocates: parameters (and as many gradients), running statistics. */
  parameters: number;
  state: number;
}

export function readModelFile(engine: Engine, bytes: Uint8Array, what: string, extraPrefixes: readonly string[]):
  { model: Model; metadata: Record<string, unknown>; extra: Map<string, Float32Array> } {
  const file = parseModelFile(bytes, what, extraPrefixes);
  return { model: buildModel(engine, file), metadata: file.metadata, extra: file.extra };
}

/** Deepest nesting of the JSON strings in the metadata (a model description needs 3: spec → layers → layer, 4 with init). */
const MAX_SPEC_DEPTH = 16;

export function parseModelFile(bytes: Uint8Array, what: string, extraPrefixes: readonly string[]): ParsedModelFile {
  const { metadata: meta, tensors, data } = readSafetensors(bytes, what);
  if (meta.format !== 'descent' || typeof meta.model !== 'string') {
    const torch = [...tensors.keys()].some((k) => /^\d+\.weight$/.test(k));
    throw new DescentError(`${what}: not a descent model (the safetensors metadata lacks format "descent" and the model description)${torch ? '; it looks like a PyTorch nn.Sequential state_dict ([out, in] weights): read it with importTorch' : ''}`);
  }
  if (meta.version !== undefined && meta.version !== '1') throw new DescentError(`${what}: unsupported version ${brief(meta.version)} (this descent reads "1")`);
  const spec = parseJson(meta.model, `${what}: the model description`, MAX_SPEC_DEPTH);
  const plan = planTensors(spec, what);
  let passes = 0;
  if (meta.passes !== undefined) {
    passes = /^\d{1,10}$/.test(meta.passes) ? Number(meta.passes) : NaN;
    if (!(passes <= 0xffffffff)) throw new DescentError(`${what}: metadata passes must be an integer in [0, 2^32), got ${brief(meta.passes)}`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const [name, shape, nonNegative] of plan.tensors) {
    const t = tensors.get(name);
    if (!t) throw new DescentError(`${what}: tensor ${name} is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new DescentError(`${what}: tensor ${name}: shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`);
    }
    checkValues(view, t, what, nonNegative);
  }
  const planned = new Set(plan.tensors.map(([n]) => n));
  const extra = new Map<string, Float32Array>();
  // a checkpoint (checkpoint.ts) is a model file too: its optimizer tensors are not the model's
  const allowed = typeof meta.optimizer === 'string' ? [...extraPrefixes, 'optimizer'] : extraPrefixes;
  for (const [name, t] of tensors) {
    if (planned.has(name)) continue;
    if (name === 'preprocess.mean' || name === 'preprocess.std') {
      if (t.shape.length !== 1 || t.shape[0] !== plan.inputs) throw new DescentError(`${what}: tensor ${name}: shape ${JSON.stringify(t.shape)}, expected [${plan.inputs}] (the model's inputs)`);
      continue;
    }
    if (!allowed.some((p) => name.startsWith(`${p}.`))) throw new DescentError(`${what}: unexpected tensor ${label(name)} for a model of ${plan.tensors.length} tensors`);
    if (t.shape.length !== 1) throw new DescentError(`${what}: tensor ${label(name)}: shape ${JSON.stringify(t.shape)}, expected one dimension`);
    extra.set(name, floats(data, t));
  }
  const { preprocess, classNames } = readPreprocess(plan, tensors, meta, data, what);
  return {
    what, spec: spec as ModelSpec, passes, metadata: meta, tensors, data, preprocess, classNames, extra,
    parameters: plan.parameters, state: plan.state,
  };
}

/** The model of a parsed file, its parameters, statistics, preprocessing and class names set. */
export function buildModel(engine: Engine, file: ParsedModelFile): Model {
  const { what, tensors, data } = file;
  // parameters and gradients, running statistics, alignment
  const need = (2 * file.parameters + file.state) * 4 + 256;
  const room = engine.allocator.maxBytes - engine.memoryStats().liveBytes;
  if (need > room) {
    throw new DescentError(`${what}: the model needs ${(need / 2 ** 20).toFixed(1)} MiB, the engine's memory limit leaves ${(room / 2 ** 20).toFixed(1)} MiB (create the engine with a larger maxMemoryMB)`);
  }
  let model: Model;
  try {
    model = new Model(engine, file.spec);
  } catch (e) {
    throw new DescentError(`${what}: invalid model description: ${(e as Error).message}`);
  }
  try {
    const params = model.parameters().data;
    const out = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
    const put = (name: string, at: number): void => {
      const t = tensors.get(name)!;
      out.set(data.subarray(t.begin, t.end), at * 4);
    };
    for (const l of model.layers) {
      if (l.inputs * l.units > 0) put(`layers.${l.index}.weight`, l.weightOffset);
      if (l.hasBias) put(`layers.${l.index}.bias`, l.biasOffset);
    }
    for (const b of model.buffers()) {
      const t = tensors.get(b.name)!, d = b.tensor.data;
      new Uint8Array(d.buffer, d.byteOffset, d.byteLength).set(data.subarray(t.begin, t.end));
    }
    model.setPreprocess(file.preprocess).setClassNames(file.classNames);
  } catch (e) {
    model.release();
    throw e;
  }
  model.passes = file.passes;
  return model;
}

/** Every float of tensor t finite (and ≥ 0 when nonNegative), read in place. */
function checkValues(view: DataView, t: TensorInfo, what: string, nonNegative = false): void {
  for (let at = t.begin, i = 0; at < t.end; at += 4, i++) {
    const x = view.getFloat32(at, true);
    if (!Number.isFinite(x) || (nonNegative && x < 0)) {
      throw new DescentError(`${what}: tensor ${t.name} holds ${x} at index ${i}${nonNegative ? ' (a variance: it must be finite and ≥ 0)' : ''}`);
    }
  }
}

/**
 * A copy of tensor t's floats. Through a plain Uint8Array view: a Node Buffer's slice() is a view
 * into its shared pool, whose .buffer is the whole pool (loadModel(engine, readFileSync(f)) read
 * other bytes as the tensors).
 */
function floats(data: Uint8Array, t: TensorInfo): Float32Array {
  return new Float32Array(new Uint8Array(data.buffer, data.byteOffset + t.begin, t.end - t.begin).slice().buffer);
}

/**
 * The tensors a model description implies, [name, shape, non-negative], computed from the
 * description alone so that they can be compared with the file before the model is built: the
 * layer kinds' own plan() (planModel, nn/model.ts), which validates every layer (geometry,
 * groups, activations, initializers, loss) and lays out the parameters without allocating.
 * A few cheap checks come first, by value and own keys only, so that the commonest malformed
 * descriptions keep their messages and hostile values are described briefly.
 */
function planTensors(spec: unknown, what: string): { inputs: number; outputs: number; parameters: number; state: number; tensors: [string, number[], boolean][] } {
  const prefix = `${what}: invalid model description`;
  const fail = (msg: string): never => { throw new DescentError(`${prefix}: ${msg}`); };
  if (!isRecord(spec)) return fail(`expected { inputs, layers, loss }, got ${brief(spec)}`);
  const inputs = own(spec, 'inputs'), layers = own(spec, 'layers');
  if (!(typeof inputs === 'number' && Number.isSafeInteger(inputs) && inputs >= 1) && !(Array.isArray(inputs) && inputs.length === 3)) {
    return fail(`inputs must be a positive integer or an image [channels, height, width], got ${brief(inputs)}`);
  }
  if (!Array.isArray(layers) || layers.length === 0) return fail(`layers must be a non-empty array, got ${brief(layers)}`);
  layers.forEach((l: unknown, i) => {
    if (!isRecord(l)) return fail(`layer ${i} must be an object, got ${brief(l)}`);
    if ((own(l, 'type') ?? 'dense') !== 'dense') return;
    const units = own(l, 'units'), bias = own(l, 'bias') ?? true;
    if (typeof units !== 'number' || !Number.isSafeInteger(units) || units < 1) return fail(`layer ${i}: units must be a positive integer, got ${brief(units)}`);
    if (typeof bias !== 'boolean') return fail(`layer ${i}: bias must be true or false, got ${brief(bias)}`);
  });
  // the model's own rules, nothing allocated; its errors read "<what>: invalid model description: layer 2 (conv2d): …"
  const plan = planModel(spec as unknown as ModelSpec, prefix);
  if (!Number.isSafeInteger(plan.parameterCount) || !Number.isSafeInteger(plan.stateSize)) return fail('too many parameters');
  const tensors: [string, number[], boolean][] = [];
  plan.plans.forEach((p, i) => {
    if (p.inputs * p.units > 0) tensors.push([`layers.${i}.weight`, weightShape(p), false]);
    if (p.hasBias) tensors.push([`layers.${i}.bias`, [p.units], false]);
    if (p.stateOffset !== undefined) tensors.push([`layers.${i}.running_mean`, [p.units], false], [`layers.${i}.running_var`, [p.units], true]);
  });
  return { inputs: plan.inputs, outputs: plan.outputs, parameters: plan.parameterCount, state: plan.stateSize, tensors };
}

/**
 * Shape of a layer's weight tensor in the file: W as the forward pass uses it — [inputs, units]
 * for Dense, [kh·kw·cg, filters] for a convolution — and [c] for γ of a norm.
 */
function weightShape(l: { type: LayerType; inputs: number; units: number }): number[] {
  return l.type === 'batchnorm' || l.type === 'layernorm' ? [l.units] : [l.inputs, l.units];
}

/** The file's preprocessing and class names (absent: none), validated; throws on anything malformed. */
function readPreprocess(plan: { inputs: number; outputs: number }, tensors: Map<string, TensorInfo>, meta: Record<string, string>, data: Uint8Array, what: string):
  { preprocess: Preprocess | undefined; classNames: string[] | undefined } {
  const p: Preprocess = {};
  if (meta.preprocess_scale !== undefined) {
    const t = meta.preprocess_scale;
    // a plain decimal number as String(number) writes it
    if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) throw new DescentError(`${what}: metadata preprocess_scale must be a number as a string, got ${brief(t)}`);
    p.scale = Number(t);
  }
  for (const part of ['mean', 'std'] as const) {
    const t = tensors.get(`preprocess.${part}`);
    if (t) p[part] = floats(data, t);
  }
  let names: unknown;
  if (meta.class_names !== undefined) names = parseJson(meta.class_names, `${what}: metadata class_names`, 1);
  return {
    preprocess: checkPreprocess(p, plan.inputs, what),
    classNames: checkClassNames(names, plan.outputs === 1 ? 2 : plan.outputs, `${what}: class_names`),
  };
}
