// exportTorch: a descent model as a torch.nn.Sequential state_dict in safetensors, and the .py
// that builds that Sequential (python.ts).
//
// Layouts — the one thing not to get wrong, since a square layer loads silently either way:
//   descent model file   layers.<i>.weight  [inputs, units]  (row-major, as the forward pass uses it)
//   PyTorch export       <k>.weight         [out, in]        (nn.Linear's own layout: the transpose)
// The names differ as well as the layout, so neither reader accepts the other's file: loadModel
// refuses a PyTorch file ("not a descent model") and importTorch a descent one (import.ts).
// Module indices k follow modules.ts (a layer's activation is its own module). Tensors:
//   Linear       k.weight [out, in], k.bias [out] (absent with bias: false)
//   BatchNorm1d  k.weight, k.bias, k.running_mean, k.running_var [c], k.num_batches_tracked
//                (I64, shape [], = model.passes: the training passes, each of which updated them)
//   LayerNorm    k.weight, k.bias [c]
//   Dropout      none
//   preprocess.scale [], preprocess.mean, preprocess.std [inputs] — unless bare, and only the
//   parts the model has (model.preprocess, where this version of descent has it).
// Metadata: format "pt" (what safetensors.torch writes), sequential (the module list as Python,
// which importTorch reads back for the activations), loss, class_names (JSON) where known, and
// passes (model.passes, the counter of dropout masks) for models with norm or dropout layers.
//
// Image models (CNNs; modules.ts lists the modules). torch's activations are NCHW, descent's
// NHWC (nn/layers/conv2d.ts), so the export converts at the edges:
//   Conv2d       k.weight [out, in/groups, kh, kw] ← W [kh·kw·cg, out]: weight[o][ci][ky][kx] =
//                W[(ky·kw + kx)·cg + ci][o]; k.bias [out]
//   BatchNorm2d  as BatchNorm1d, per channel
//   the Linear reading a flattened image [h, w, c]: torch flattens NCHW, so its input index
//                ch·h·w + p is descent's p·c + ch (p = y·w + x): the columns of k.weight are
//                permuted (so are the per-feature tensors of a BatchNorm1d/LayerNorm between a
//                flatten and that Linear), and nn.Flatten() is written before it where descent's
//                Dense flattened by itself;
//   preprocess.mean, .std [c, h, w] in NCHW order (they broadcast over [N, c, h, w]).
// The metadata adds input_shape "[c, h, w]", and the .py states "# Input shape: [N, c, h, w]"
// (importTorch reads either back). MLP exports are unchanged by all this.

import { DescentError } from '../../engine/errors.js';
import type { Model } from '../../nn/model.js';
import type { Image } from '../../nn/layers/layer.js';
import { modulesOf, nhwcOrder, torchIndex, type TorchModule } from './modules.js';
import { pythonModule } from './python.js';
import { writeSafetensors, type TensorOut } from './safetensors.js';
import { moduleSource } from './modules.js';
import { checkOptionKeys } from '../../engine/options.js';

export interface TorchExportOptions {
  /** Leave the preprocessing out (the network alone; inputs must be preprocessed by the caller). */
  bare?: boolean;
}

export interface TorchExport {
  /** The state_dict (+ preprocess.* tensors) as safetensors bytes. */
  safetensors: Uint8Array;
  /** The PyTorch module definition to write beside it, same name with .py. */
  python: string;
  /** The modules, as Python: e.g. ["nn.Linear(64, 32)", "nn.Tanh()", …]. */
  modules: string[];
}

/** What a model may carry besides its layers (model.preprocess / classNames, issue #12 item 1). */
export interface Preprocessing { scale?: number; mean?: Float32Array; std?: Float32Array }

export function modelPreprocessing(model: Model): Preprocessing | undefined {
  return (model as unknown as { preprocess?: Preprocessing }).preprocess ?? undefined;
}

export function modelClassNames(model: Model): readonly string[] | undefined {
  const names = (model as unknown as { classNames?: readonly string[] }).classNames;
  return Array.isArray(names) ? names : undefined;
}

export function exportTorch(model: Model, options: TorchExportOptions = {}): TorchExport {
  const what = 'exportTorch';
  checkOptionKeys(options, what, ['bare']);
  if (options.bare !== undefined && typeof options.bare !== 'boolean') throw new DescentError(`${what}: bare must be true or false, got ${typeof options.bare}`);
  let mods: ReturnType<typeof modulesOf>;
  try {
    mods = modulesOf(model.layers, model.inputShape);
  } catch (e) {
    if (e instanceof DescentError) throw new DescentError(`${what}: ${e.message}`);
    throw e;
  }
  const { modules, index, start } = mods;
  const tensors: TensorOut[] = [];
  // descent's NHWC order → torch's NCHW order of a flattened image's per-feature values
  const permute = (v: Float32Array, order: Image | undefined): Float32Array => {
    if (!order) return v.slice();
    const perm = torchIndex(order), out = new Float32Array(v.length);
    for (let j = 0; j < v.length; j++) out[perm[j]] = v[j];
    return out;
  };
  model.layers.forEach((l, i) => {
    const k = index[i];
    if (l.type !== 'dense' && l.type !== 'conv2d' && l.type !== 'batchnorm' && l.type !== 'layernorm') return; // no parameters
    const order = l.image ? undefined : nhwcOrder(model.layers, i, model.inputShape);
    if (l.type === 'dense') {
      const W = l.W.data, n = l.inputs, m = l.units;
      const t = new Float32Array(n * m);
      const perm = order ? torchIndex(order) : undefined;
      for (let r = 0; r < n; r++) {
        const col = perm ? perm[r] : r;
        for (let c = 0; c < m; c++) t[c * n + col] = W[r * m + c];
      }
      tensors.push({ name: `${k}.weight`, dtype: 'F32', shape: [m, n], data: t });
    } else if (l.type === 'conv2d') {
      const g = l.config!, f = g.filters, cg = g.c / g.groups, kh = g.kh, kw = g.kw, W = l.W.data;
      const t = new Float32Array(f * cg * kh * kw);
      for (let o = 0; o < f; o++) for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        t[((o * cg + ci) * kh + ky) * kw + kx] = W[((ky * kw + kx) * cg + ci) * f + o];
      }
      tensors.push({ name: `${k}.weight`, dtype: 'F32', shape: [f, cg, kh, kw], data: t });
    } else {
      tensors.push({ name: `${k}.weight`, dtype: 'F32', shape: [l.units], data: permute(l.W.data, order) });
    }
    if (l.b) tensors.push({ name: `${k}.bias`, dtype: 'F32', shape: [l.units], data: l.type === 'dense' || l.type === 'conv2d' ? l.b.data.slice() : permute(l.b.data, order) });
    if (l.type === 'batchnorm') {
      tensors.push(
        { name: `${k}.running_mean`, dtype: 'F32', shape: [l.units], data: permute(l.runningMean!.data, order) },
        { name: `${k}.running_var`, dtype: 'F32', shape: [l.units], data: permute(l.runningVar!.data, order) },
        { name: `${k}.num_batches_tracked`, dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(model.passes)) },
      );
    }
  });
  const pre = options.bare ? undefined : modelPreprocessing(model);
  const inputShape = model.inputShape ? [model.inputShape[0], model.inputShape[1], model.inputShape[2]] : undefined;
  if (pre) {
    if (pre.scale !== undefined) tensors.push({ name: 'preprocess.scale', dtype: 'F32', shape: [], data: Float32Array.of(pre.scale) });
    // an image model's [c, h, w] in NCHW order, to broadcast over torch's [N, c, h, w]
    const inputOrder = model.inputShape ? nhwcOrder(model.layers, 0, model.inputShape) : undefined;
    for (const part of ['mean', 'std'] as const) {
      const v = pre[part];
      if (v === undefined) continue;
      if (v.length !== model.inputs) throw new DescentError(`${what}: model.preprocess.${part} has ${v.length} values for ${model.inputs} inputs`);
      tensors.push({ name: `preprocess.${part}`, dtype: 'F32', shape: inputShape ?? [model.inputs], data: permute(Float32Array.from(v), inputOrder) });
    }
  }
  const classNames = modelClassNames(model);
  const sequential = modules.map(moduleSource);
  const metadata: Record<string, string> = {
    format: 'pt', producer: 'descent', sequential: sequential.join('; '), loss: model.loss,
    ...(model.hasNormalization ? { passes: String(model.passes) } : {}),
    ...(classNames ? { class_names: JSON.stringify(classNames) } : {}),
    ...(inputShape ? { input_shape: JSON.stringify(inputShape) } : {}),
  };
  return {
    safetensors: writeSafetensors(tensors, metadata),
    python: pythonModule({ modules, comments: comments(model, modules, index, start), inputs: model.inputs, outputs: model.outputs, loss: model.loss, classNames,
      ...(inputShape ? { inputShape: inputShape as [number, number, number] } : {}) }),
    modules: sequential,
  };
}

function comments(model: Model, modules: readonly TorchModule[], index: readonly number[], start: readonly number[]): string[] {
  const out = modules.map(() => '');
  model.layers.forEach((l, i) => {
    for (let k = start[i]; k < index[i]; k++) out[k] = `flattens (NCHW) for descent layer ${i}, which reads the image as it is (NHWC)`;
    out[index[i]] = `descent layer ${i}, ${l.describe()}`;
    for (let k = index[i] + 1; k < (start[i + 1] ?? modules.length); k++) out[k] = `its activation (${l.activation})`;
  });
  return out;
}
