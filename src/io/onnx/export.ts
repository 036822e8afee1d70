// descent model → ONNX graph (https://onnx.ai/onnx/operators/), for onnxruntime and friends.
//
//   input [batch, inputs] ─ preprocessing: Mul(scale) → Sub(mean) → Div(std)   (those present)
//     ─ per layer:  Dense      Gemm(x, W [inputs, units], b)   (W as descent stores it: transB 0)
//                  batchnorm  BatchNormalization(x, γ, β, running mean, running var; epsilon)
//                  layernorm  LayerNormalization(x, γ, β; axis −1, epsilon)  (opset 17)
//                  dropout    nothing (inference)
//                  then the layer's activation: Sigmoid, Tanh, Relu, LeakyRelu(alpha),
//                  Elu(alpha), Softsign (linear: nothing)
//     ─ Identity → "logits"        predict(x, { output: 'logits' }): the output layer's values
//                                  (for bce with a sigmoid output layer: its input)
//     ─ Softmax(axis −1) → "probabilities" for softmax-cross-entropy, Sigmoid for bce-logits and
//       bce, Identity for mse (its outputs are the prediction)
// so "probabilities" equals Model.predict. The batch dimension is symbolic ("batch"): one
// session serves any batch size. Opset 13 (IR 7), or 17 (IR 8) when a layer norm needs
// LayerNormalization. Initializers are FLOAT raw_data, named after the model file's tensors
// (layers.<i>.weight …), so a reader can map them back.
// The model's preprocessing (x' = (x·scale − mean)/std, nn/preprocess.ts) is in the graph, so
// "input" takes raw values as predict does ({ bare: true } leaves it out); class names and the
// loss travel as metadata_props ("descent.class_names"
// as JSON, "descent.loss").

import { DescentError } from '../../engine/errors.js';
import type { Model } from '../../nn/model.js';
import { encodeModel, type AttributeOut, type NodeOut, type TensorOut } from './messages.js';
import { checkOptionKeys } from '../../engine/options.js';

export interface OnnxExportOptions {
  /** Leave the preprocessing out of the graph (inputs are then the preprocessed values). */
  bare?: boolean;
  /** Graph name (default "descent"). */
  name?: string;
}

export const ONNX_INPUT = 'input', ONNX_LOGITS = 'logits', ONNX_PROBABILITIES = 'probabilities';

/** The model as ONNX ModelProto bytes (see the header for the graph). */
export function exportOnnx(model: Model, opts: OnnxExportOptions = {}): Uint8Array {
  const what = 'exportOnnx';
  checkOptionKeys(opts, what, ['bare', 'name']);
  if (opts.bare !== undefined && typeof opts.bare !== 'boolean') throw new DescentError(`${what}: bare must be true or false, got ${typeof opts.bare}`);
  if (opts.name !== undefined && typeof opts.name !== 'string') throw new DescentError(`${what}: name must be a string, got ${typeof opts.name}`);
  const nodes: NodeOut[] = [];
  const inits: TensorOut[] = [];
  let cur = ONNX_INPUT;
  let k = 0;
  const node = (opType: string, inputs: string[], attributes?: AttributeOut[], out?: string): string => {
    const name = `${opType.toLowerCase()}_${k++}`;
    const o = out ?? name;
    nodes.push({ name, opType, inputs, outputs: [o], attributes });
    return o;
  };
  const init = (name: string, dims: number[], data: Float32Array): string => {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new DescentError(`${what}: ${name} holds ${data[i]} at index ${i}`);
    }
    inits.push({ name, dims, data: data.slice() });
    return name;
  };

  const pre = opts.bare ? undefined : model.preprocess;
  if (pre) {
    if (pre.scale !== undefined && pre.scale !== 1) cur = node('Mul', [cur, init('preprocess.scale', [], new Float32Array([pre.scale]))]);
    if (pre.mean) cur = node('Sub', [cur, init('preprocess.mean', [checkWidth(pre.mean, model.inputs, 'mean')], pre.mean)]);
    if (pre.std) cur = node('Div', [cur, init('preprocess.std', [checkWidth(pre.std, model.inputs, 'std')], pre.std)]);
  }
  let opset = 13;
  // bce: the output layer's sigmoid becomes the probabilities, so logits are its input
  const last = model.layers[model.layers.length - 1];
  const sigmoidOut = model.loss === 'bce' && last.activation === 'sigmoid';
  for (const l of model.layers) {
    const p = `layers.${l.index}`;
    switch (l.type) {
      case 'dense': {
        const inputs = [cur, init(`${p}.weight`, [l.inputs, l.units], l.W.data)];
        if (l.b) inputs.push(init(`${p}.bias`, [l.units], l.b.data));
        cur = node('Gemm', inputs);
        break;
      }
      case 'batchnorm':
        cur = node('BatchNormalization', [cur, init(`${p}.weight`, [l.units], l.W.data), init(`${p}.bias`, [l.units], l.b!.data),
          init(`${p}.running_mean`, [l.units], l.runningMean!.data), init(`${p}.running_var`, [l.units], l.runningVar!.data)], [{ name: 'epsilon', f: l.eps! }]);
        break;
      case 'layernorm':
        opset = 17;
        cur = node('LayerNormalization', [cur, init(`${p}.weight`, [l.units], l.W.data), init(`${p}.bias`, [l.units], l.b!.data)],
          [{ name: 'axis', i: -1 }, { name: 'epsilon', f: l.eps! }]);
        break;
      case 'dropout':
        break;
    }
    if (!(sigmoidOut && l === last)) cur = activation(node, l.activation, l.alpha, cur);
  }
  node('Identity', [cur], undefined, ONNX_LOGITS);
  if (model.loss === 'softmax-cross-entropy') node('Softmax', [ONNX_LOGITS], [{ name: 'axis', i: -1 }], ONNX_PROBABILITIES);
  else if (model.loss === 'bce-logits' || sigmoidOut) node('Sigmoid', [ONNX_LOGITS], undefined, ONNX_PROBABILITIES);
  else node('Identity', [ONNX_LOGITS], undefined, ONNX_PROBABILITIES);

  const metadata: [string, string][] = [['descent.loss', model.loss]];
  const classNames = model.classNames;
  if (classNames) metadata.push(['descent.class_names', JSON.stringify(classNames)]);
  return encodeModel({
    irVersion: opset >= 17 ? 8 : 7, opset, producer: 'descentjs', producerVersion: '1', graphName: opts.name ?? 'descent',
    doc: model.describe(), nodes, initializers: inits,
    inputs: [{ name: ONNX_INPUT, dims: ['batch', model.inputs] }],
    outputs: [{ name: ONNX_LOGITS, dims: ['batch', model.outputs] }, { name: ONNX_PROBABILITIES, dims: ['batch', model.outputs] }],
    metadata,
  });
}

function checkWidth(v: Float32Array, inputs: number, name: string): number {
  if (!(v instanceof Float32Array) || v.length !== inputs) throw new DescentError(`exportOnnx: preprocess.${name} must hold ${inputs} values, got ${(v as { length?: number })?.length}`);
  return inputs;
}

function activation(node: (op: string, inputs: string[], attrs?: AttributeOut[]) => string, act: string, alpha: number, x: string): string {
  switch (act) {
    case 'linear': return x;
    case 'sigmoid': return node('Sigmoid', [x]);
    case 'tanh': return node('Tanh', [x]);
    case 'relu': return node('Relu', [x]);
    case 'leaky-relu': return node('LeakyRelu', [x], [{ name: 'alpha', f: alpha }]);
    case 'elu': return node('Elu', [x], [{ name: 'alpha', f: alpha }]);
    case 'softsign': return node('Softsign', [x]);
    default: throw new DescentError(`exportOnnx: activation ${act} has no ONNX operator here`);
  }
}
