// descent model → ONNX graph (https://onnx.ai/onnx/operators/), for onnxruntime and friends.
//
//   input [batch, inputs] ─ preprocessing: Mul(scale) → Sub(mean) → Div(std)   (those present)
//     ─ per layer:  Dense      Gemm(x, W [inputs, units], b)   (W as descent stores it: transB 0)
//                  batchnorm  BatchNormalization(x, γ, β, running mean, running var; epsilon)
//                  layernorm  LayerNormalization(x, γ, β; axis −1, epsilon)  (opset 17)
//                  dropout    nothing (inference)
//                  conv2d     Conv(x, W [filters, c/groups, kh, kw] (OIHW), b; kernel_shape, strides,
//                             pads [top, left, bottom, right] — 'same' with an even kernel is
//                             asymmetric —, dilations, group)
//                  maxpool2d  MaxPool, avgpool2d AveragePool(count_include_pad), globalavgpool
//                             GlobalAveragePool, dropout2d Dropout (identity in inference)
//                  flatten    Flatten(axis 1); a Dense layer (or a flat batch norm) right after an
//                             image gets one too
//                  then the layer's activation: Sigmoid, Tanh, Relu, LeakyRelu(alpha),
//                  Elu(alpha), Softsign, Selu(alpha, gamma: PyTorch's constants), Softplus,
//                  Clip(−1, 1) for hardtanh (linear: nothing); and from primitive operators
//                  where opset 13/17 has none, in the forms torch.onnx.export (1.13) writes:
//                  silu x·Sigmoid(x); mish x·Tanh(Softplus(x)) (Mish is opset 18); gelu
//                  (x·(Erf(x/√2) + 1))·½ (Gelu is opset 20); gelu-tanh
//                  ½·(x·(Tanh(√(2/π)·(x + 0.044715·x·x·x)) + 1))
//     ─ Identity → "logits"        predict(x, { output: 'logits' }): the output layer's values
//                                  (for bce with a sigmoid output layer: its input)
//     ─ Softmax(axis −1) → "probabilities" for softmax-cross-entropy, Sigmoid for bce-logits and
//       bce, Identity for mse (its outputs are the prediction)
// so "probabilities" equals Model.predict. The batch dimension is symbolic ("batch"): one
// session serves any batch size. Opset 13 (IR 7), or 17 (IR 8) when a layer norm needs
// LayerNormalization. Initializers are FLOAT raw_data, named after the model file's tensors
// (layers.<i>.weight …), so a reader can map them back.
// Images. A model whose inputs are an image [c, h, w] takes "input" as NCHW [batch, c, h, w], the
// ONNX/PyTorch convention (descent's own samples are channels-last), and the image layers work on
// NCHW; batch norm after an image is per channel. ONNX flattens NCHW, so index ch·(h·w) + p of a
// flattened image is our p·c + ch: the first Dense layer after a Flatten has its weight rows (and
// a batch/layer norm in between its vectors) permuted into ONNX's order, and a layer norm over a
// whole image has γ, β as [c, h, w].
// The model's preprocessing (x' = (x·scale − mean)/std, nn/preprocess.ts) is in the graph, so
// "input" takes raw values as predict does ({ bare: true } leaves it out); class names and the
// loss travel as metadata_props ("descent.class_names"
// as JSON, "descent.loss").

import { DescentError } from '../../engine/errors.js';
import type { Model } from '../../nn/model.js';
import type { Image } from '../../nn/layers/layer.js';
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
  /** A scalar constant (one initializer per value, shared by the activations that use it). */
  const scalars = new Map<number, string>();
  const scalar = (v: number): string => {
    let name = scalars.get(v);
    if (!name) scalars.set(v, name = init(`const_${scalars.size}`, [], new Float32Array([v])));
    return name;
  };

  const pre = opts.bare ? undefined : model.preprocess;
  if (pre) {
    if (pre.scale !== undefined && pre.scale !== 1) cur = node('Mul', [cur, init('preprocess.scale', [], new Float32Array([pre.scale]))]);
    // per feature; for an image input, as [c, h, w] in NCHW order (it broadcasts over the batch)
    const shape = model.inputShape;
    const featureDims = (v: Float32Array, name: string): number[] => (checkWidth(v, model.inputs, name), shape ? [...shape] : [model.inputs]);
    const order = (v: Float32Array): Float32Array => (shape ? toNCHW(v, [shape[1], shape[2], shape[0]]) : v);
    if (pre.mean) cur = node('Sub', [cur, init('preprocess.mean', featureDims(pre.mean, 'mean'), order(pre.mean))]);
    if (pre.std) cur = node('Div', [cur, init('preprocess.std', featureDims(pre.std, 'std'), order(pre.std))]);
  }
  let opset = 13;
  // bce: the output layer's sigmoid becomes the probabilities, so logits are its input
  const last = model.layers[model.layers.length - 1];
  const sigmoidOut = model.loss === 'bce' && last.activation === 'sigmoid';
  // The graph's data is NCHW while it is an image (img: its [h, w, c]); once flattened from an
  // image it is in ONNX's (c, h, w) order until the next Dense layer (perm: that image), so
  // per-feature vectors and the Dense layer's weight rows are permuted from ours, (h, w, c).
  let img: Image | undefined = model.inputShape && [model.inputShape[1], model.inputShape[2], model.inputShape[0]];
  let perm: Image | undefined;
  const flattenImage = (): void => {
    if (!img) return;
    cur = node('Flatten', [cur], [{ name: 'axis', i: 1 }]);
    perm = img;
    img = undefined;
  };
  const vec = (v: Float32Array): Float32Array => (perm ? toNCHW(v, perm) : v);
  for (const l of model.layers) {
    const p = `layers.${l.index}`;
    const g = l.config ?? {};
    switch (l.type) {
      case 'dense': {
        flattenImage();
        const W = perm ? permuteRows(l.W.data, perm, l.units) : l.W.data;
        perm = undefined;
        const inputs = [cur, init(`${p}.weight`, [l.inputs, l.units], W)];
        if (l.b) inputs.push(init(`${p}.bias`, [l.units], l.b.data));
        cur = node('Gemm', inputs);
        break;
      }
      case 'batchnorm':
        // after an image, per channel (BatchNorm2d); a flat batch norm after an image sees features
        if (!l.image) flattenImage();
        cur = node('BatchNormalization', [cur, init(`${p}.weight`, [l.units], vec(l.W.data)), init(`${p}.bias`, [l.units], vec(l.b!.data)),
          init(`${p}.running_mean`, [l.units], vec(l.runningMean!.data)), init(`${p}.running_var`, [l.units], vec(l.runningVar!.data))], [{ name: 'epsilon', f: l.eps! }]);
        break;
      case 'layernorm':
        opset = 17;
        if (img) {
          // over every value of the image: axis 1 of NCHW, γ and β as [c, h, w]
          const dims = [img[2], img[0], img[1]];
          cur = node('LayerNormalization', [cur, init(`${p}.weight`, dims, toNCHW(l.W.data, img)), init(`${p}.bias`, dims, toNCHW(l.b!.data, img))],
            [{ name: 'axis', i: 1 }, { name: 'epsilon', f: l.eps! }]);
        } else {
          cur = node('LayerNormalization', [cur, init(`${p}.weight`, [l.units], vec(l.W.data)), init(`${p}.bias`, [l.units], vec(l.b!.data))],
            [{ name: 'axis', i: -1 }, { name: 'epsilon', f: l.eps! }]);
        }
        break;
      case 'dropout':
        break;
      case 'conv2d': {
        const f = g.filters, cg = g.c / g.groups;
        const inputs = [cur, init(`${p}.weight`, [f, cg, g.kh, g.kw], convWeightOIHW(l.W.data, f, cg, g.kh, g.kw))];
        if (l.b) inputs.push(init(`${p}.bias`, [f], l.b.data));
        cur = node('Conv', inputs, [{ name: 'kernel_shape', ints: [g.kh, g.kw] }, { name: 'strides', ints: [g.sh, g.sw] },
          { name: 'pads', ints: [g.ph, g.pw, g.phAfter, g.pwAfter] }, { name: 'dilations', ints: [g.dh, g.dw] }, { name: 'group', i: g.groups }]);
        img = l.image;
        break;
      }
      case 'maxpool2d': case 'avgpool2d':
        cur = node(l.type === 'maxpool2d' ? 'MaxPool' : 'AveragePool', [cur], [{ name: 'kernel_shape', ints: [g.kh, g.kw] }, { name: 'strides', ints: [g.sh, g.sw] },
          { name: 'pads', ints: [g.ph, g.pw, g.phAfter, g.pwAfter] }, ...(l.type === 'avgpool2d' ? [{ name: 'count_include_pad', i: g.countIncludePad }] : [])]);
        img = l.image;
        break;
      case 'globalavgpool':
        cur = node('GlobalAveragePool', [cur]);
        img = l.image;
        break;
      case 'flatten':
        flattenImage();
        break;
      case 'dropout2d':
        cur = node('Dropout', [cur]);
        break;
      default:
        throw new DescentError(`${what}: layer ${l.index} ${l.describe()} has no ONNX form here`);
    }
    if (!(sigmoidOut && l === last)) cur = activation(node, scalar, l.activation, l.alpha, cur);
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
    inputs: [{ name: ONNX_INPUT, dims: model.inputShape ? ['batch', ...model.inputShape] : ['batch', model.inputs] }],
    outputs: [{ name: ONNX_LOGITS, dims: ['batch', model.outputs] }, { name: ONNX_PROBABILITIES, dims: ['batch', model.outputs] }],
    metadata,
  });
}

function checkWidth(v: Float32Array, inputs: number, name: string): number {
  if (!(v instanceof Float32Array) || v.length !== inputs) throw new DescentError(`exportOnnx: preprocess.${name} must hold ${inputs} values, got ${(v as { length?: number })?.length}`);
  return inputs;
}

const SELU_ALPHA = 1.6732632423543772848170429916717, SELU_GAMMA = 1.0507009873554804934193349852946;

function activation(node: (op: string, inputs: string[], attrs?: AttributeOut[]) => string, scalar: (v: number) => string, act: string, alpha: number, x: string): string {
  switch (act) {
    case 'linear': return x;
    case 'sigmoid': return node('Sigmoid', [x]);
    case 'tanh': return node('Tanh', [x]);
    case 'relu': return node('Relu', [x]);
    case 'leaky-relu': return node('LeakyRelu', [x], [{ name: 'alpha', f: alpha }]);
    case 'elu': return node('Elu', [x], [{ name: 'alpha', f: alpha }]);
    case 'softsign': return node('Softsign', [x]);
    case 'selu': return node('Selu', [x], [{ name: 'alpha', f: SELU_ALPHA }, { name: 'gamma', f: SELU_GAMMA }]);
    case 'softplus': return node('Softplus', [x]); // ln(e^x + 1): PyTorch's threshold 20 changes nothing in f32
    case 'hardtanh': return node('Clip', [x, scalar(-1), scalar(1)]);
    case 'silu': return node('Mul', [x, node('Sigmoid', [x])]);
    case 'mish': return node('Mul', [x, node('Tanh', [node('Softplus', [x])])]);
    case 'gelu': return node('Mul', [node('Mul', [x, node('Add', [node('Erf', [node('Div', [x, scalar(Math.SQRT2)])]), scalar(1)])]), scalar(0.5)]);
    case 'gelu-tanh': {
      const cube = node('Mul', [x, node('Mul', [x, x])]);
      const inner = node('Mul', [scalar(Math.sqrt(2 / Math.PI)), node('Add', [x, node('Mul', [scalar(0.044715), cube])])]);
      return node('Mul', [scalar(0.5), node('Mul', [x, node('Add', [scalar(1), node('Tanh', [inner])])])]);
    }
    default: throw new DescentError(`exportOnnx: activation ${act} has no ONNX operator here`);
  }
}

/** A vector over an image's values in our order (h, w, c) → ONNX's (c, h, w). */
export function toNCHW(v: Float32Array, [h, w, c]: Image): Float32Array {
  const hw = h * w, out = new Float32Array(v.length);
  for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) out[ch * hw + p] = v[p * c + ch];
  return out;
}

/** A Dense weight [h·w·c, units] whose rows are in our order (h, w, c) → rows in ONNX's (c, h, w). */
export function permuteRows(W: Float32Array, [h, w, c]: Image, units: number): Float32Array {
  const hw = h * w, out = new Float32Array(W.length);
  for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) out.set(W.subarray((p * c + ch) * units, (p * c + ch + 1) * units), (ch * hw + p) * units);
  return out;
}

/** Our conv weight [kh·kw·cg, f] → ONNX's (PyTorch's) [f, cg, kh, kw]. */
export function convWeightOIHW(W: Float32Array, f: number, cg: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(W.length);
  for (let o = 0; o < f; o++) for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    out[((o * cg + ci) * kh + ky) * kw + kx] = W[((ky * kw + kx) * cg + ci) * f + o];
  }
  return out;
}
