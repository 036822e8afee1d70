// importTorch: a PyTorch nn.Sequential state_dict saved as safetensors (safetensors.torch's
// save_file, or save() of the .py exportTorch writes) as a descent Model.
//
// The architecture comes from, in this order:
//   1. options.spec — a descent ModelSpec; its layers map to module indices as in modules.ts
//      (a non-linear activation takes the index after its layer);
//   2. options.python — Python source whose first nn.Sequential(...) lists the modules
//      (modules.ts: parseSequential);
//   3. the file's metadata "sequential" (written by exportTorch and by the .py's save());
//   4. inference from the tensors alone, where it is unambiguous: a 2-D k.weight is nn.Linear
//      [out, in], a 1-D one with k.running_mean is BatchNorm1d, without it LayerNorm (with the
//      default eps 1e-5 and momentum 0.1 — the file does not hold them). Tensors cannot say what
//      sits between: a module index with no tensors is an activation or a Dropout, so a gap
//      needs options.activation (one activation for every gap; dropout is then not
//      representable, which changes nothing at inference). A gap of more than one module is
//      refused. So a Linear-only chain imports from its shapes alone, anything else needs 1–3.
// Every expected tensor must be present with exactly its shape ([out, in] for Linear: a
// descent model file's [inputs, units] is refused, and a descent file is refused outright, so
// the transposed layout cannot load silently even for a square layer); any other tensor is an
// error, except preprocess.scale/mean/std, which become model.preprocess (setPreprocess); the
// metadata class_names (JSON list) become model.classNames, and metadata passes (exportTorch's)
// model.passes, else the largest num_batches_tracked.
//
// Images (CNNs). torch's activations are NCHW, descent's NHWC (nn/layers/conv2d.ts). A module
// list that starts with an image module (nn.Conv2d, a pooling, nn.Flatten, …) needs the input
// size [c, h, w], which no tensor holds: from options.inputs, else the "# Input shape: [N, c, h,
// w]" comment of options.python (the .py exportTorch writes states it), else the file's
// metadata input_shape (exportTorch's, and the .py's save()); without it the import is refused.
// Conv2d weights [out, in/groups, kh, kw] become W [kh·kw·cg, out]; the rows of a Linear that
// reads a flattened image are permuted from torch's order (ch·h·w + pixel) to descent's
// (pixel·c + ch), as are the per-feature vectors of a BatchNorm1d/LayerNorm on such features,
// and preprocess.mean/std, stored [c, h, w] for an image model (they broadcast over [N, c, h, w]).

import type { Engine } from '../../engine/engine.js';
import { DescentError, fmtShape, show } from '../../engine/errors.js';
import { Model, type ModelSpec } from '../../nn/model.js';
import { checkActivation } from '../../nn/activations.js';
import type { Image } from '../../nn/layers/layer.js';
import { windowOf } from '../../nn/layers/geometry.js';
import { activationModule, modulesOf, modulesToSpec, moduleSource, nhwcOrder, parseSequential, torchIndex, type TorchModule } from './modules.js';
import { readSafetensors, toFloat32, toInteger, type RawTensor } from './safetensors.js';
import type { Preprocessing } from './export.js';

export interface TorchImportOptions {
  /** The architecture as a descent spec (inputs, layers; loss and seed kept). */
  spec?: ModelSpec;
  /** Python source with the nn.Sequential(...) to read the module list from (e.g. the exported .py). */
  python?: string;
  /** For inference from the tensors: the activation in every gap between parameterized modules. */
  activation?: string;
  /** Loss of the model (default: the file's metadata loss, else softmax-cross-entropy). */
  loss?: string;
  /**
   * The input: an image [channels, height, width] (torch's [N, c, h, w] without N) or a feature
   * count. Needed for module lists that start with an image module when neither options.python's
   * "# Input shape" comment nor the file's metadata input_shape says it.
   */
  inputs?: number | readonly [c: number, h: number, w: number];
}

type Shape = number | readonly [number, number, number];

/** A valid input: a feature count, or an image [c, h, w] of at most 2^28 values. */
function checkShape(v: unknown, what: string): Shape {
  const ok = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 1;
  if (ok(v) && v <= 2 ** 28) return v;
  if (Array.isArray(v) && v.length === 3 && v.every((x) => ok(x) && x <= 65536) && v[0] * v[1] * v[2] <= 2 ** 28) return [v[0], v[1], v[2]];
  throw new DescentError(`${what} must be an image [channels, height, width] of positive integers (at most 2^28 values) or a feature count, got ${show(v)}`);
}

/** The "# Input shape: [N, c, h, w]" comment of an exported .py, if any. */
function pythonInputShape(source: string, what: string): Shape | undefined {
  const m = source.match(/^# Input shape: \[N, (\d{1,9}), (\d{1,9}), (\d{1,9})\]/m);
  return m ? checkShape([Number(m[1]), Number(m[2]), Number(m[3])], `${what}: the "# Input shape" comment`) : undefined;
}

export function importTorch(engine: Engine, bytes: Uint8Array, options: TorchImportOptions | ModelSpec = {}): Model {
  const what = 'importTorch';
  const opts: TorchImportOptions = options && Array.isArray((options as ModelSpec).layers) ? { spec: options as ModelSpec } : (options as TorchImportOptions) ?? {};
  const known = new Set(['spec', 'python', 'activation', 'loss', 'inputs']);
  for (const k of Object.keys(opts)) if (!known.has(k)) throw new DescentError(`${what}: unknown option ${JSON.stringify(k)}; known: ${[...known].join(', ')}`);
  const { tensors, metadata } = readSafetensors(bytes, what);
  if (metadata.format === 'descent') {
    throw new DescentError(`${what}: this is a descent model file (layers.<i>.weight stored [inputs, units]), not a PyTorch state_dict: load it with loadModel, or make a PyTorch one with exportTorch`);
  }
  if (tensors.has('layers.0.weight')) throw new DescentError(`${what}: tensor layers.0.weight is named as in a descent model file; a PyTorch nn.Sequential state_dict names it 0.weight ([out, in])`);
  const loss = opts.loss ?? opts.spec?.loss ?? metadata.loss;
  if (opts.python !== undefined && typeof opts.python !== 'string') throw new DescentError(`${what}: options.python must be a string of Python source`);

  // the input: options.inputs, else the .py's comment, else the metadata (see the header)
  let inputShape: Shape | undefined;
  if (opts.inputs !== undefined) {
    if (opts.spec) throw new DescentError(`${what}: give the input in the spec (spec.inputs), not options.inputs`);
    inputShape = checkShape(opts.inputs, `${what}: options.inputs`);
  } else if (!opts.spec) {
    inputShape = opts.python !== undefined ? pythonInputShape(opts.python, what) : undefined;
    if (inputShape === undefined && metadata.input_shape !== undefined) {
      let v: unknown;
      try { v = JSON.parse(metadata.input_shape); } catch { v = metadata.input_shape; }
      inputShape = checkShape(v, `${what}: metadata input_shape`);
    }
  }

  // the architecture and, per descent layer, the index of its module
  let spec: ModelSpec, index: number[], modules: readonly TorchModule[] | undefined, source: string;
  if (opts.spec) {
    source = 'the given spec';
    spec = { ...opts.spec, ...(loss !== undefined ? { loss } : {}) };
  } else {
    if (opts.python !== undefined) { modules = parseSequential(opts.python, `${what}: options.python`); source = 'the Python module list'; }
    else if (metadata.sequential) { modules = parseSequential(`nn.Sequential(${metadata.sequential.replace(/;/g, ',')})`, `${what}: metadata sequential`); source = "the file's module list (metadata sequential)"; }
    else { modules = inferModules(tensors, opts.activation, what); source = 'the tensor shapes'; }
    ({ spec } = modulesToSpec(modules, what, loss, inputShape));
  }
  // before allocating: an architecture much larger than the file (a hostile or mistaken module
  // list) is refused without reserving its memory; smaller mismatches get the per-tensor message
  const needed = parameterCount(spec);
  let held = 0;
  for (const t of tensors.values()) held += t.shape.reduce((x, y) => x * y, 1);
  if (needed > held + 2 ** 20) throw new DescentError(`${what}: the architecture from ${source} has ${needed} parameters, the file holds ${held} values`);
  let model: Model;
  try {
    model = new Model(engine, spec);
  } catch (e) {
    throw new DescentError(`${what}: the architecture from ${source} is not a valid descent model: ${(e as Error).message}`);
  }
  try {
    let ours: ReturnType<typeof modulesOf> | undefined;
    if (!modules) {
      try { ours = modulesOf(model.layers, model.inputShape); } catch (e) { throw e instanceof DescentError ? new DescentError(`${what}: ${e.message}`) : e; }
    }
    index = modules ? modulesToSpec(modules, what, loss, inputShape).index : ours!.index;
    fill(model, tensors, index, modules ?? ours!.modules, what, source, parseClassNames(metadata.class_names, what));
    if (metadata.passes !== undefined) {
      if (!/^\d{1,10}$/.test(metadata.passes) || Number(metadata.passes) > 0xffffffff) throw new DescentError(`${what}: metadata passes must be an integer in [0, 2^32), got ${JSON.stringify(metadata.passes)}`);
      model.passes = Number(metadata.passes);
    }
  } catch (e) {
    model.release();
    throw e;
  }
  return model;
}

function fill(model: Model, tensors: Map<string, RawTensor>, index: readonly number[], modules: readonly TorchModule[], what: string, source: string, classNames: string[] | undefined): void {
  const used = new Set<string>();
  const take = (name: string, shape: number[], module: string): Float32Array => {
    const t = tensors.get(name);
    if (!t) throw new DescentError(`${what}: tensor ${name} of ${module} is missing (architecture from ${source}; the file has ${[...tensors.keys()].slice(0, 12).join(', ')}${tensors.size > 12 ? ', …' : ''})`);
    if (fmtShape(t.shape) !== fmtShape(shape)) {
      const transposed = shape.length === 2 && fmtShape(t.shape) === fmtShape([shape[1], shape[0]]);
      throw new DescentError(`${what}: size mismatch for ${name}: the file has ${fmtShape(t.shape)}, ${module} needs ${fmtShape(shape)}${transposed ? ' (transposed: PyTorch stores Linear weights [out, in]; a descent model file stores [inputs, units] and is read by loadModel)' : ''}`);
    }
    used.add(name);
    return toFloat32(t, what);
  };
  let passes = 0;
  // torch's NCHW order → descent's NHWC order of a flattened image's per-feature values
  const permute = (v: Float32Array, order: Image | undefined): Float32Array => {
    if (!order) return v;
    const perm = torchIndex(order), out = new Float32Array(v.length);
    for (let j = 0; j < out.length; j++) out[j] = v[perm[j]];
    return out;
  };
  model.layers.forEach((l, i) => {
    const k = index[i];
    const module = `module ${k} ${moduleSource(modules[k])}`;
    if (l.type !== 'dense' && l.type !== 'conv2d' && l.type !== 'batchnorm' && l.type !== 'layernorm') return; // no parameters
    const order = l.image ? undefined : nhwcOrder(model.layers, i, model.inputShape);
    if (l.type === 'dense') {
      const w = take(`${k}.weight`, [l.units, l.inputs], module);
      const W = l.W.data, n = l.inputs, m = l.units;
      const perm = order ? torchIndex(order) : undefined;
      for (let r = 0; r < n; r++) {
        const t = perm ? perm[r] : r;
        for (let c = 0; c < m; c++) W[r * m + c] = w[c * n + t];
      }
    } else if (l.type === 'conv2d') {
      const g = l.config!, f = g.filters, cg = g.c / g.groups, kh = g.kh, kw = g.kw;
      const w = take(`${k}.weight`, [f, cg, kh, kw], module), W = l.W.data;
      for (let o = 0; o < f; o++) for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        W[((ky * kw + kx) * cg + ci) * f + o] = w[((o * cg + ci) * kh + ky) * kw + kx];
      }
    } else {
      l.W.data.set(permute(take(`${k}.weight`, [l.units], module), order));
    }
    if (l.b) l.b.data.set(l.type === 'dense' || l.type === 'conv2d' ? take(`${k}.bias`, [l.units], module) : permute(take(`${k}.bias`, [l.units], module), order));
    if (l.type === 'batchnorm') {
      l.runningMean!.data.set(permute(take(`${k}.running_mean`, [l.units], module), order));
      const v = permute(take(`${k}.running_var`, [l.units], module), order);
      const neg = v.findIndex((x) => x < 0);
      if (neg >= 0) throw new DescentError(`${what}: tensor ${k}.running_var holds ${v[neg]} at index ${neg}; a variance is ≥ 0`);
      l.runningVar!.data.set(v);
      const nbt = tensors.get(`${k}.num_batches_tracked`);
      if (nbt) { passes = Math.max(passes, toInteger(nbt, what)); used.add(nbt.name); }
    }
  });
  const pre: Preprocessing = {};
  // an image model's mean and std are [c, h, w] (NCHW), broadcast over torch's [N, c, h, w]
  const shape = model.inputShape ? [...model.inputShape] : [model.inputs];
  const inputOrder = model.inputShape ? nhwcOrder(model.layers, 0, model.inputShape) : undefined;
  for (const part of ['scale', 'mean', 'std'] as const) {
    const name = `preprocess.${part}`;
    if (!tensors.has(name)) continue;
    const v = take(name, part === 'scale' ? tensors.get(name)!.shape.length === 0 ? [] : [1] : shape, 'the preprocessing');
    if (part === 'scale') pre.scale = v[0];
    else pre[part] = permute(v, inputOrder);
  }
  if (pre.std?.some((s) => s === 0)) throw new DescentError(`${what}: tensor preprocess.std holds 0 at index ${pre.std.indexOf(0)}`);
  const extra = [...tensors.keys()].filter((n) => !used.has(n));
  if (extra.length > 0) {
    throw new DescentError(`${what}: unexpected tensor${extra.length > 1 ? 's' : ''} ${extra.slice(0, 6).join(', ')}${extra.length > 6 ? ', …' : ''} for ${modules.map(moduleSource).join(' → ')} (architecture from ${source})`);
  }
  // 0 … 2^32−1: the counter of dropout masks (a larger count only matters to momentum=None in torch)
  model.passes = passes >>> 0 === passes ? passes : 0xffffffff;
  const m = model as unknown as { setPreprocess?: (p: Preprocessing) => void; setClassNames?: (n: string[]) => void };
  if (Object.keys(pre).length > 0) {
    if (!m.setPreprocess) throw new DescentError(`${what}: the file holds preprocess.* tensors, which this version of descent cannot apply`);
    m.setPreprocess(pre);
  }
  if (classNames !== undefined && m.setClassNames) m.setClassNames(classNames);
}

/** Parameters of a spec's layers (NaN where the spec is malformed: the Model refuses it). */
function parameterCount(spec: ModelSpec): number {
  try {
    const inp = spec?.inputs;
    let img: Image | undefined = Array.isArray(inp) ? [inp[1], inp[2], inp[0]] : undefined;
    let fanIn = typeof inp === 'number' ? inp : img ? img[0] * img[1] * img[2] : NaN, n = 0;
    for (const l of Array.isArray(spec?.layers) ? spec.layers : []) {
      const s = l as unknown as Record<string, unknown>;
      const type = s?.type ?? 'dense';
      if (type === 'dense') {
        const units = (s.units as number | undefined) ?? NaN;
        n += fanIn * units + (s.bias === false ? 0 : units);
        fanIn = units;
        img = undefined;
      } else if (type === 'batchnorm' || type === 'layernorm') {
        n += 2 * (img && type === 'batchnorm' ? img[2] : fanIn);
        if (type === 'layernorm') img = undefined;
      } else if (type === 'conv2d' || type === 'maxpool2d' || type === 'avgpool2d') {
        const w = windowOf(img!, s as { kernel: unknown }, 'count', type === 'conv2d' ? 'one' : 'kernel', type === 'conv2d');
        const f = type === 'conv2d' ? s.filters as number : img![2];
        if (type === 'conv2d') n += w.kh * w.kw * (img![2] / ((s.groups as number | undefined) ?? 1)) * f + (s.bias === false ? 0 : f);
        img = [w.oh, w.ow, f];
        fanIn = w.oh * w.ow * f;
      } else if (type === 'globalavgpool') {
        img = [1, 1, img![2]];
        fanIn = img[2];
      } else if (type === 'flatten') {
        img = undefined;
      }
    }
    return n;
  } catch {
    return NaN;
  }
}

function parseClassNames(s: string | undefined, what: string): string[] | undefined {
  if (s === undefined) return undefined;
  let v: unknown;
  try { v = JSON.parse(s); } catch (e) { throw new DescentError(`${what}: metadata class_names is not valid JSON (${(e as Error).message})`); }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new DescentError(`${what}: metadata class_names must be a JSON list of strings`);
  return v;
}

/** The module list from the tensors alone (see the header); gaps are filled with `activation`. */
function inferModules(tensors: Map<string, RawTensor>, activation: string | undefined, what: string): TorchModule[] {
  const byIndex = new Map<number, Map<string, RawTensor>>();
  for (const [name, t] of tensors) {
    if (name.startsWith('preprocess.')) continue;
    const m = name.match(/^(0|[1-9]\d{0,5})\.(weight|bias|running_mean|running_var|num_batches_tracked)$/);
    if (!m) throw new DescentError(`${what}: tensor ${name} is not named as in an nn.Sequential of Linear, BatchNorm1d and LayerNorm modules (<index>.weight, .bias, …); pass options.spec or options.python`);
    const k = Number(m[1]);
    if (!byIndex.has(k)) byIndex.set(k, new Map());
    byIndex.get(k)!.set(m[2], t);
  }
  const ks = [...byIndex.keys()].sort((a, b) => a - b);
  if (ks.length === 0) throw new DescentError(`${what}: the file holds no nn.Sequential parameters`);
  const gaps: number[] = [];
  const modules: TorchModule[] = [];
  let act: TorchModule | undefined;
  if (activation !== undefined) {
    const a = checkActivation(activation, undefined, `${what}: options.activation`);
    act = activationModule(a.name, a.alpha) ?? { kind: 'Identity' };
  }
  for (let k = 0; k <= ks[ks.length - 1]; k++) {
    const parts = byIndex.get(k);
    if (!parts) {
      if (!byIndex.has(k - 1) || !byIndex.has(k + 1)) throw new DescentError(`${what}: modules ${k}… hold no tensors for more than one index in a row; the shapes cannot tell what they are: pass options.spec or options.python`);
      gaps.push(k);
      modules.push(act ?? { kind: 'Identity' });
      continue;
    }
    const w = parts.get('weight');
    if (!w) throw new DescentError(`${what}: module ${k} has ${[...parts.keys()].join(', ')} but no weight`);
    if (w.shape.length === 2) {
      modules.push({ kind: 'Linear', outFeatures: w.shape[0], inFeatures: w.shape[1], bias: parts.has('bias') });
    } else if (w.shape.length === 1) {
      modules.push(parts.has('running_mean') ? { kind: 'BatchNorm1d', features: w.shape[0], eps: 1e-5, momentum: 0.1 } : { kind: 'LayerNorm', features: w.shape[0], eps: 1e-5 });
    } else if (w.shape.length === 4) {
      throw new DescentError(`${what}: tensor ${k}.weight has shape ${fmtShape(w.shape)}, a Conv2d weight: its stride, padding, dilation and the input image size are not in the tensors; pass options.python (e.g. the .py exportTorch wrote) or options.spec`);
    } else {
      throw new DescentError(`${what}: tensor ${k}.weight has shape ${fmtShape(w.shape)}; only Linear ([out, in]) and 1-D normalization weights are known`);
    }
  }
  if (gaps.length > 0 && !act) {
    throw new DescentError(`${what}: module${gaps.length > 1 ? 's' : ''} ${gaps.join(', ')} hold${gaps.length > 1 ? '' : 's'} no tensors: activations (or dropout) that the shapes cannot name; pass options.activation (one for every gap), options.python or options.spec`);
  }
  return modules;
}
