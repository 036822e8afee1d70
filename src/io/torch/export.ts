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

import { DescentError } from '../../engine/errors.js';
import type { Model } from '../../nn/model.js';
import { modulesOf, type TorchModule } from './modules.js';
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
  const { modules, index } = modulesOf(model.layers);
  const tensors: TensorOut[] = [];
  model.layers.forEach((l, i) => {
    const k = index[i];
    if (l.type === 'dropout') return;
    if (l.type === 'dense') {
      const W = l.W.data, n = l.inputs, m = l.units;
      const t = new Float32Array(n * m);
      for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) t[c * n + r] = W[r * m + c];
      tensors.push({ name: `${k}.weight`, dtype: 'F32', shape: [m, n], data: t });
    } else {
      tensors.push({ name: `${k}.weight`, dtype: 'F32', shape: [l.units], data: l.W.data.slice() });
    }
    if (l.b) tensors.push({ name: `${k}.bias`, dtype: 'F32', shape: [l.units], data: l.b.data.slice() });
    if (l.type === 'batchnorm') {
      tensors.push(
        { name: `${k}.running_mean`, dtype: 'F32', shape: [l.units], data: l.runningMean!.data.slice() },
        { name: `${k}.running_var`, dtype: 'F32', shape: [l.units], data: l.runningVar!.data.slice() },
        { name: `${k}.num_batches_tracked`, dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(model.passes)) },
      );
    }
  });
  const pre = options.bare ? undefined : modelPreprocessing(model);
  if (pre) {
    if (pre.scale !== undefined) tensors.push({ name: 'preprocess.scale', dtype: 'F32', shape: [], data: Float32Array.of(pre.scale) });
    for (const part of ['mean', 'std'] as const) {
      const v = pre[part];
      if (v === undefined) continue;
      if (v.length !== model.inputs) throw new DescentError(`${what}: model.preprocess.${part} has ${v.length} values for ${model.inputs} inputs`);
      tensors.push({ name: `preprocess.${part}`, dtype: 'F32', shape: [model.inputs], data: Float32Array.from(v) });
    }
  }
  const classNames = modelClassNames(model);
  const sequential = modules.map(moduleSource);
  const metadata: Record<string, string> = {
    format: 'pt', producer: 'descent', sequential: sequential.join('; '), loss: model.loss,
    ...(model.hasNormalization ? { passes: String(model.passes) } : {}),
    ...(classNames ? { class_names: JSON.stringify(classNames) } : {}),
  };
  return {
    safetensors: writeSafetensors(tensors, metadata),
    python: pythonModule({ modules, comments: comments(model, modules, index), inputs: model.inputs, outputs: model.outputs, loss: model.loss, classNames }),
    modules: sequential,
  };
}

function comments(model: Model, modules: readonly TorchModule[], index: readonly number[]): string[] {
  const out = modules.map(() => '');
  model.layers.forEach((l, i) => {
    out[index[i]] = `descent layer ${i}, ${l.describe()}`;
    for (let k = index[i] + 1; k < (index[i + 1] ?? modules.length); k++) out[k] = `its activation (${l.activation})`;
  });
  return out;
}
