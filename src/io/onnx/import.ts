// ONNX graph → descent Model, for inference of the multilayer perceptrons and CNNs that PyTorch's
// torch.onnx.export and tf2onnx write.
//
// The graph must be one chain from its single input to its output; each node is mapped onto
// descent's layer kinds as it comes (nodes are visited in dependency order):
//   Gemm(x, B, C; transA 0, transB, alpha, beta)   → Dense, W = alpha·B (Bᵀ when transB), b = beta·C
//   MatMul(x, W) [+ Add(·, b)]                      → Dense (Add folds into its bias)
//   Relu, LeakyRelu(alpha), Elu(alpha), Tanh, Sigmoid, Softsign → the activation of the layer
//                                                      before (one per layer)
//   Selu (PyTorch's α, γ), Softplus, Clip(−1, 1), Gelu(approximate; opset 20), Mish (opset 18)
//                                                    → selu, softplus, hardtanh, gelu/gelu-tanh, mish
//   a few elementwise operators that spell an activation (x·Sigmoid(x), x·Tanh(Softplus(x)),
//     GELU from Erf or Tanh: what torch.onnx.export writes before opsets 18/20), identified by
//     evaluating them (activation-match.ts) → silu, mish, gelu, gelu-tanh
//   BatchNormalization (inference form: one output)  → batchnorm with its running statistics
//   LayerNormalization (last axis)                   → layernorm
//   Flatten(axis 1), Reshape to [batch, features], Identity, Dropout (mask unused) → nothing
//   Mul(scalar), Sub/Add, Div by constants before the first layer → preprocessing
//     x' = (x·scale − mean)/std, the model's preprocess (predict applies it)
//   a trailing Softmax (last axis)                   → loss softmax-cross-entropy: predict gives it
//   a trailing LogSoftmax                            → softmax-cross-entropy too: predict gives the
//                                                      probabilities, the exp of the graph's output
//   Shape, Gather, Unsqueeze, Concat of shapes and constants → integers for a Reshape (the form
//                                                      of x.view(x.size(0), -1))
//   a trailing Sigmoid right after a Dense layer     → loss bce-logits (predict applies it)
//   otherwise                                        → loss mse (predict returns the chain's output)
// CNNs. When the graph has a Conv, MaxPool, AveragePool or GlobalAveragePool node, its input must
// be NCHW [batch, c, h, w] and the model takes images [c, h, w] (samples channels-last, NHWC):
//   Conv(x, W [f, c/group, kh, kw], b; kernel_shape, strides, dilations, group, pads or auto_pad
//     NOTSET/VALID/SAME_UPPER/SAME_LOWER)            → conv2d, W to [kh·kw·cg, f]; pads symmetric,
//                                                      or PyTorch's 'same' (stride 1, odd one after)
//   MaxPool, AveragePool(count_include_pad; ceil_mode 0, no dilation, symmetric pads) → maxpool2d,
//     avgpool2d;  GlobalAveragePool → globalavgpool;  Pad of nothing (PyTorch's AvgPool2d) → nothing
//   BatchNormalization of an image                   → batchnorm per channel
//   LayerNormalization over a whole image (axis 1)   → layernorm, γ and β from (c, h, w) to (h, w, c)
//   Flatten / Reshape of an image                    → flatten; the next Gemm/MatMul's weight rows
//                                                      (and a norm's vectors in between) permuted
//                                                      from ONNX's (c, h, w) order to (h, w, c)
//   an activation after a MaxPool (nondecreasing) or a Flatten joins the layer before them
//   preprocessing constants broadcast over [c, h, w] (per channel: [c, 1, 1]) → per feature
// Anything else about images — ceil_mode 1, asymmetric pads, 1-D/3-D convolution, an activation
// after an average pool, non-4-D data into a Conv — is a DescentError.
// A second graph output is allowed when it is the logits feeding that trailing Softmax/Sigmoid
// (descent's own exports have "logits" and "probabilities"). Constants come from initializers
// (raw_data, float_data, double_data) or Constant nodes. Anything else — another operator, a
// branch, a cycle, an input no node produces, a weight of the wrong shape — is a DescentError
// naming the node and its operator. The reader (protobuf.ts, messages.ts) bounds every size.

import type { Engine } from '../../engine/engine.js';
import { DescentError, show } from '../../engine/errors.js';
import { Model, type AnyLayerSpec } from '../../nn/model.js';
import type { LossName } from '../../nn/losses.js';
import type { Image } from '../../nn/layers/layer.js';
import {
  AT_FLOAT, AT_INT, AT_INTS, AT_STRING, DT_FLOAT, decodeModel, tensorFloats, tensorInts, type OnnxAttribute, type OnnxNode, type OnnxTensor,
} from './messages.js';
import type { Preprocess } from '../../nn/preprocess.js';
import { elementwiseRegions, identify } from './activation-match.js';

export interface OnnxImportOptions {
  /** Name used in error messages (default "onnx model"). */
  what?: string;
}

/**
 * A value of the graph: a constant, the data flowing through the network (its version counts
 * the operations applied; dims exclude the batch), or integers computed from shapes (the
 * Shape → Gather → Unsqueeze → Concat → Reshape that x.view(x.size(0), -1) exports as), where
 * 'batch' stands for the batch size.
 */
type Val = { kind: 'const'; t: OnnxTensor } | { kind: 'dyn'; version: number; dims: number[] }
  | { kind: 'ints'; values: (number | 'batch')[]; scalar: boolean };

interface LayerBuild {
  type: 'dense' | 'batchnorm' | 'layernorm' | 'conv2d' | 'maxpool2d' | 'avgpool2d' | 'globalavgpool' | 'flatten';
  /** conv2d and pooling: the spec's geometry (kernel, stride, padding, …). */
  spec?: Record<string, unknown>;
  units: number;
  W: Float32Array;
  b?: Float32Array;
  mean?: Float32Array;
  var?: Float32Array;
  eps?: number;
  activation?: string;
  alpha?: number;
  /** The node that made the layer, for messages. */
  node: string;
}

/** Most input features accepted (a 2048×2048 image): bounds what a broadcast constant may allocate. */
const MAX_FEATURES = 2 ** 22;

/** Operators that pass the data through unchanged (and so may follow the output Softmax). */
const PASS_OPS = new Set(['Identity', 'Dropout', 'Flatten', 'Reshape']);
/** Operators that make an image model (the graph's input is then NCHW, [batch, c, h, w]). */
const IMAGE_OPS = new Set(['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool']);
/** Most values per sample an image layer's output may have. */
const MAX_IMAGE = 2 ** 24;
/** Layer kinds that carry an activation. */
const CARRIERS = new Set(['dense', 'batchnorm', 'layernorm', 'conv2d']);
const ACT_OPS: Record<string, string> = { Relu: 'relu', LeakyRelu: 'leaky-relu', Elu: 'elu', Tanh: 'tanh', Sigmoid: 'sigmoid', Softsign: 'softsign',
  Softplus: 'softplus', Mish: 'mish' };
/** Activations that are not non-decreasing (they do not commute with max pooling). */
const NOT_MONOTONE = new Set(['gelu', 'gelu-tanh', 'silu', 'mish']);
/** Operators that may begin an activation spelled with several elementwise operators. */
const COMPOSITE_START = new Set(['Sigmoid', 'Softplus', 'Tanh', 'Div', 'Mul', 'Pow', 'Erf']);

/** A descent Model (in inference mode) computing the ONNX graph's output; see the header. */
export function importOnnx(engine: Engine, bytes: Uint8Array, opts: OnnxImportOptions = {}): Model {
  const what = opts.what ?? 'onnx model';
  const m = decodeModel(bytes, what);
  const g = m.graph;
  if (!g) throw new DescentError(`${what}: no graph (not an ONNX model file?)`);
  const opset = m.opsets.get('') ?? 13;
  const label = (n: OnnxNode) => `node ${JSON.stringify(n.name || `#${n.index}`)} (${n.opType || 'no op_type'})`;

  // ---- values: constants, the one input, node outputs (each name defined once) ----
  const vals = new Map<string, Val>();
  for (const t of g.initializers) {
    if (vals.has(t.name)) throw new DescentError(`${what}: initializer ${JSON.stringify(t.name)} is defined twice`);
    vals.set(t.name, { kind: 'const', t });
  }
  const inputs = g.inputs.filter((v) => !vals.has(v.name));
  if (inputs.length !== 1) throw new DescentError(`${what}: expected one graph input besides the initializers, got ${inputs.length}${inputs.length ? ` (${inputs.map((v) => v.name).join(', ')})` : ''}`);
  const input = inputs[0];
  if (input.elemType !== DT_FLOAT) throw new DescentError(`${what}: input ${JSON.stringify(input.name)} has element type ${input.elemType}, expected FLOAT (1)`);
  if (!input.dims || input.dims.length < 2) throw new DescentError(`${what}: input ${JSON.stringify(input.name)} must have a shape [batch, features…], got ${input.dims ? `rank ${input.dims.length}` : 'no shape'}`);
  const inDims = input.dims.slice(1).map((d) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1 || d > MAX_FEATURES) throw new DescentError(`${what}: input ${JSON.stringify(input.name)} has feature dimension ${show(d)}; expected positive numbers after the batch dimension`);
    return d;
  });
  const inFeatures = inDims.reduce((a, b) => a * b, 1);
  if (inFeatures > MAX_FEATURES) throw new DescentError(`${what}: an input of ${inFeatures} features is more than this reader takes (${MAX_FEATURES})`);
  vals.set(input.name, { kind: 'dyn', version: 0, dims: inDims });
  // an image model: the input is NCHW and becomes descent's [c, h, w] (samples channels-last)
  const imageModel = g.nodes.some((n) => IMAGE_OPS.has(n.opType));
  if (imageModel && inDims.length !== 3) throw new DescentError(`${what}: input ${JSON.stringify(input.name)} must be 4-D [batch, channels, height, width] for convolution and pooling, got rank ${inDims.length + 1}`);
  const inShape = imageModel ? [inDims[0], inDims[1], inDims[2]] as const : undefined;

  // ---- dependency order (Kahn), refusing unknown inputs, duplicate outputs and cycles ----
  const producer = new Map<string, OnnxNode>();
  for (const n of g.nodes) {
    for (const o of n.outputs) {
      if (o === '') continue;
      if (vals.has(o) || producer.has(o)) throw new DescentError(`${what}: ${label(n)}: output ${JSON.stringify(o)} is already defined`);
      producer.set(o, n);
    }
  }
  const missing = new Map<OnnxNode, number>();
  const consumers = new Map<string, OnnxNode[]>();
  const ready: OnnxNode[] = [];
  for (const n of g.nodes) {
    let k = 0;
    for (const i of new Set(n.inputs)) {
      if (i === '' || vals.has(i)) continue;
      if (!producer.has(i)) throw new DescentError(`${what}: ${label(n)}: input ${JSON.stringify(i)} is not a graph input, an initializer or any node's output`);
      k++;
      const c = consumers.get(i);
      if (c) c.push(n); else consumers.set(i, [n]);
    }
    missing.set(n, k);
    if (k === 0) ready.push(n);
  }
  const order: OnnxNode[] = [];
  for (let r = 0; r < ready.length; r++) {
    const n = ready[r];
    order.push(n);
    for (const o of n.outputs) {
      for (const c of consumers.get(o) ?? []) {
        const k = missing.get(c)! - 1;
        missing.set(c, k);
        if (k === 0) ready.push(c);
      }
    }
  }
  if (order.length !== g.nodes.length) {
    const stuck = g.nodes.find((n) => missing.get(n)! > 0)!;
    throw new DescentError(`${what}: the graph has a cycle (${label(stuck)} is on it or waits for it)`);
  }

  const graphOutputs = new Set(g.outputs.map((o) => o.name));

  // ---- walk the chain ----
  const layers: LayerBuild[] = [];
  const pre: Preprocess = {};
  let head = 0;
  let open = false; // the head is the raw output of the last Dense (an Add may join its bias)
  let final: 'Softmax' | 'LogSoftmax' | undefined;
  let logitsVersion = -1;
  /** The image [h, w, c] a Flatten made the data from, until the Dense layer that reads it (ONNX order (c, h, w)). */
  let flatFrom: Image | undefined;
  /** After a LayerNormalization over an image: the graph's data is still NCHW, descent's already flat (h, w, c). */
  let normedImage = false;
  const skip = new Set<OnnxNode>();
  for (const n of order) {
    if (skip.has(n)) continue;
    const where = `${what}: ${label(n)}`;
    if (n.domain !== '' && n.domain !== 'ai.onnx') throw new DescentError(`${where}: operator domain ${JSON.stringify(n.domain)} is not supported`);
    const get = (i: number): Val | undefined => (n.inputs[i] === undefined || n.inputs[i] === '' ? undefined : vals.get(n.inputs[i]));
    const dyn = (i: number): { version: number; dims: number[] } => {
      const v = get(i);
      if (!v || v.kind !== 'dyn') throw new DescentError(`${where}: input ${i} must be the data flowing through the network`);
      if (v.version !== head) throw new DescentError(`${where}: the graph branches (input ${JSON.stringify(n.inputs[i])} is used twice); only a single chain of layers is supported`);
      if (final && !PASS_OPS.has(n.opType)) throw new DescentError(`${where}: nothing may follow the output ${final}`);
      return v;
    };
    const cnst = (i: number, name: string): Float32Array => {
      const v = get(i);
      if (!v || v.kind !== 'const') throw new DescentError(`${where}: ${name} (input ${i}) must be a constant (an initializer)`);
      return tensorFloats(v.t, where);
    };
    /** Integers: computed from shapes, or an INT64/INT32 constant. */
    const ints = (i: number): { values: (number | 'batch')[]; scalar: boolean } => {
      const v = get(i);
      if (v?.kind === 'ints') return v;
      if (v?.kind === 'const') return { values: tensorInts(v.t, where), scalar: v.t.dims.length === 0 };
      throw new DescentError(`${where}: input ${i} must be integers (a shape or a constant)`);
    };
    const cdims = (i: number): number[] => (get(i) as { t: OnnxTensor }).t.dims;
    const outs = n.outputs.filter((o, k) => o !== '' && (k === 0 || producerUsed(o)));
    if (n.outputs[0] === undefined || n.outputs[0] === '') throw new DescentError(`${where}: has no output`);
    if (outs.length > 1) throw new DescentError(`${where}: only its first output may be used (the inference form)`);
    const advance = (dims: number[]): void => { vals.set(n.outputs[0], { kind: 'dyn', version: ++head, dims }); logitsVersion = -1; };
    /** Same data under a new name (Identity, Dropout) or a new shape (Flatten, Reshape): not a new version. */
    const alias = (dims: number[]): void => { vals.set(n.outputs[0], { kind: 'dyn', version: head, dims }); };
    const width = (v: { dims: number[] }): number => {
      if (v.dims.length !== 1) throw new DescentError(`${where}: expects [batch, features] data, got rank ${v.dims.length + 1} (add a Flatten first)`);
      return v.dims[0];
    };
    /** The data as an image [c, h, w] (NCHW without the batch), or undefined when it is flat. */
    const imageDims = (v: { dims: number[] }): number[] | undefined => (imageModel && v.dims.length === 3 ? v.dims : undefined);
    const needImage = (v: { dims: number[] }): [number, number, number] => {
      const d = imageDims(v);
      if (!d) throw new DescentError(`${where}: expects 4-D NCHW data [batch, channels, height, width], got rank ${v.dims.length + 1}`);
      if (normedImage) throw new DescentError(`${where}: convolution, pooling or per-channel batch norm after a LayerNormalization over the image is not supported`);
      return [d[0], d[1], d[2]];
    };
    /** An image layer's output dims [c, h, w], bounded. */
    const imageOut = (d: number[]): number[] => {
      if (!(d[0] * d[1] * d[2] <= MAX_IMAGE)) throw new DescentError(`${where}: an output of ${d.join('×')} values per sample is more than this reader takes (${MAX_IMAGE})`);
      return d;
    };
    /** Flatten/Reshape of an image: a flatten layer; the next Dense layer's rows are in ONNX's order. */
    const flattenImage = (v: { dims: number[] }): void => {
      const d = imageDims(v);
      if (!d) return;
      flatFrom = [d[1], d[2], d[0]];
      if (normedImage) { normedImage = false; return; } // descent's data is flat already
      layers.push({ type: 'flatten', units: d[0] * d[1] * d[2], W: new Float32Array(0), node: label(n), spec: { type: 'flatten' } });
      flatFrom = [d[1], d[2], d[0]];
      open = false;
    };
    const attrs = n.attributes;
    /** The activation of the layer before; out names its result. */
    const activate = (act: string, alpha: number | undefined, x: { dims: number[] }, out: string): void => {
      // an elementwise activation commutes with a Flatten, and a nondecreasing one with max
      // pooling (padding is −∞, every window holds a value): it joins the layer before them
      const monotone = (alpha === undefined || alpha >= 0) && !NOT_MONOTONE.has(act);
      let k = layers.length - 1;
      while (k >= 0 && (layers[k].type === 'flatten' || (layers[k].type === 'maxpool2d' && monotone))) k--;
      const last = layers[k];
      if (!last) throw new DescentError(`${where}: an activation before the first layer is not supported`);
      if (!CARRIERS.has(last.type)) throw new DescentError(`${where}: an activation after ${last.type} (made by ${last.node}) is not supported`);
      if (last.activation) throw new DescentError(`${where}: the layer made by ${last.node} already has activation ${last.activation} (one activation per layer)`);
      last.activation = act;
      last.alpha = alpha;
      vals.set(out, { kind: 'dyn', version: ++head, dims: x.dims });
      logitsVersion = act === 'sigmoid' && last.type === 'dense' && k === layers.length - 1 ? head - 1 : -1;
      open = false;
    };
    // an activation spelled with several elementwise operators (activation-match.ts)
    if (layers.length > 0 && !final && COMPOSITE_START.has(n.opType)) {
      const xi = n.inputs.findIndex((i) => vals.get(i)?.kind === 'dyn');
      const scalarConst = (name: string): boolean => {
        const v = vals.get(name);
        return v?.kind === 'const' && v.t.dims.reduce((a, b) => a * b, 1) === 1;
      };
      const regions = xi >= 0 ? elementwiseRegions(n.inputs[xi], n, order, consumers, graphOutputs, scalarConst) : [];
      if (regions.length > 0) {
        const x = dyn(xi);
        const scalarOf = (name: string): number => tensorFloats((vals.get(name) as { t: OnnxTensor }).t, where)[0];
        const hit = regions.map((r) => ({ r, act: identify(r.nodes, n.inputs[xi], r.out, scalarOf) })).find((h) => h.act !== undefined);
        if (!hit) {
          const ops = regions[0].nodes.map((m) => m.opType).join(', ');
          throw new DescentError(`${where}: the elementwise operators ${ops} after the layer made by ${layers[layers.length - 1].node} compute no activation descent has (gelu, gelu-tanh, silu, mish, …)`);
        }
        for (const m of hit.r.nodes) skip.add(m);
        activate(hit.act!, undefined, x, hit.r.out);
        continue;
      }
    }
    switch (n.opType) {
      case 'Constant': {
        const a = attrs.get('value');
        if (!a?.t || attrs.size !== 1) throw new DescentError(`${where}: only a tensor 'value' is supported`);
        vals.set(n.outputs[0], { kind: 'const', t: a.t });
        break;
      }
      case 'Gemm': case 'MatMul': {
        const x = dyn(0);
        const inW = width(x);
        const B = get(1);
        if (!B || B.kind !== 'const') throw new DescentError(`${where}: the weight (input 1) must be a constant (an initializer)`);
        if (n.opType === 'Gemm' && intAttr(attrs, 'transA', 0, where) !== 0) throw new DescentError(`${where}: transA = 1 is not supported (the data must be the left operand)`);
        const transB = n.opType === 'Gemm' ? intAttr(attrs, 'transB', 0, where) : 0;
        const alpha = n.opType === 'Gemm' ? floatAttr(attrs, 'alpha', 1, where) : 1;
        const beta = n.opType === 'Gemm' ? floatAttr(attrs, 'beta', 1, where) : 1;
        const dims = B.t.dims;
        const src = tensorFloats(B.t, where);
        if (dims.length !== 2) throw new DescentError(`${where}: weight ${JSON.stringify(B.t.name)} has dims [${dims.join(', ')}], expected a matrix`);
        const [rows, cols] = transB ? [dims[1], dims[0]] : [dims[0], dims[1]];
        if (rows !== inW || !(cols >= 1)) throw new DescentError(`${where}: weight ${JSON.stringify(B.t.name)} of dims [${dims.join(', ')}]${transB ? ' (transB)' : ''} does not take ${inW} inputs`);
        let W: Float32Array = new Float32Array(rows * cols);
        if (transB) for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) W[i * cols + j] = src[j * rows + i];
        else W.set(src);
        if (alpha !== 1) for (let i = 0; i < W.length; i++) W[i] *= alpha;
        if (flatFrom) W = rowsFromNCHW(W, flatFrom, cols);
        flatFrom = undefined;
        let b: Float32Array | undefined;
        if (n.opType === 'Gemm' && get(2)) {
          b = broadcastRow(cnst(2, 'the bias'), cdims(2), cols, where);
          if (beta !== 1) for (let i = 0; i < cols; i++) b[i] *= beta;
        }
        if (n.opType === 'MatMul' && n.inputs.length > 2) throw new DescentError(`${where}: takes two inputs`);
        layers.push({ type: 'dense', units: cols, W, b, node: label(n) });
        advance([cols]);
        open = true;
        break;
      }
      case 'Add': case 'Sub': case 'Mul': case 'Div': {
        const d = get(0)?.kind === 'dyn' ? 0 : 1;
        if (n.opType !== 'Add' && n.opType !== 'Mul' && d !== 0) throw new DescentError(`${where}: the data must be the first operand`);
        const x = dyn(d);
        const c = cnst(1 - d, 'the other operand');
        if (layers.length === 0) {
          const img = imageDims(x);
          const v = img ? broadcastImage(c, cdims(1 - d), img, where) : broadcastRow(c, cdims(1 - d), width(x), where);
          if (n.opType === 'Mul') {
            if (pre.scale !== undefined || pre.mean || pre.std || c.length !== 1) throw new DescentError(`${where}: as preprocessing, Mul must be by one scalar and come first`);
            pre.scale = c[0];
          } else if (n.opType === 'Add' || n.opType === 'Sub') {
            if (pre.mean || pre.std) throw new DescentError(`${where}: as preprocessing, ${n.opType} must come before any Div and only once`);
            pre.mean = n.opType === 'Sub' ? v : v.map((y) => -y);
          } else {
            if (pre.std) throw new DescentError(`${where}: as preprocessing, Div may come only once`);
            pre.std = v;
          }
          advance(x.dims);
          break;
        }
        const last = layers[layers.length - 1];
        if (n.opType !== 'Add' || !open || last.type !== 'dense') throw new DescentError(`${where}: ${n.opType} is supported only as preprocessing before the first layer, or as the bias Add right after a MatMul/Gemm`);
        const bias = broadcastRow(c, cdims(1 - d), last.units, where);
        if (last.b) for (let i = 0; i < bias.length; i++) last.b[i] += bias[i];
        else last.b = bias;
        advance(x.dims);
        break;
      }
      case 'Abs': {
        // torch.onnx.export writes Softsign as x / (1 + |x|): Abs → Add(1) → Div(x, ·)
        const x = dyn(0);
        const only = (name: string): OnnxNode | undefined => {
          const c = consumers.get(name);
          return c?.length === 1 && !graphOutputs.has(name) ? c[0] : undefined;
        };
        const add = only(n.outputs[0]);
        const one = add?.opType === 'Add' ? vals.get(add.inputs[0] === n.outputs[0] ? add.inputs[1] : add.inputs[0]) : undefined;
        const div = add && only(add.outputs[0]);
        const isOne = one?.kind === 'const' && one.t.dims.reduce((a, b) => a * b, 1) === 1 && tensorFloats(one.t, where)[0] === 1;
        if (!isOne || !div || div.opType !== 'Div' || div.inputs[0] !== n.inputs[0] || div.inputs[1] !== add!.outputs[0] || add!.inputs.length !== 2) {
          throw new DescentError(`${where}: Abs is supported only within softsign, x / (1 + |x|)`);
        }
        skip.add(add!).add(div);
        activate('softsign', undefined, x, div.outputs[0]);
        break;
      }
      case 'Relu': case 'LeakyRelu': case 'Elu': case 'Tanh': case 'Sigmoid': case 'Softsign': case 'Softplus': case 'Mish': {
        const x = dyn(0);
        const alpha = n.opType === 'LeakyRelu' ? floatAttr(attrs, 'alpha', 0.01, where) : n.opType === 'Elu' ? floatAttr(attrs, 'alpha', 1, where) : undefined;
        activate(ACT_OPS[n.opType], alpha, x, n.outputs[0]);
        break;
      }
      case 'Selu': {
        // descent's selu has PyTorch's constants; ONNX's defaults are the same numbers in f32
        const x = dyn(0);
        const a = floatAttr(attrs, 'alpha', 1.6732632423543772, where), gamma = floatAttr(attrs, 'gamma', 1.0507009873554805, where);
        if (Math.abs(a - 1.6732632423543772) > 1e-6 || Math.abs(gamma - 1.0507009873554805) > 1e-6) {
          throw new DescentError(`${where}: Selu with alpha ${a}, gamma ${gamma}: descent's selu has PyTorch's alpha 1.6732632…, gamma (scale) 1.0507009…`);
        }
        activate('selu', undefined, x, n.outputs[0]);
        break;
      }
      case 'Gelu': {
        const x = dyn(0);
        const approx = attrs.get('approximate')?.s ?? 'none';
        if (approx !== 'none' && approx !== 'tanh') throw new DescentError(`${where}: approximate must be 'none' or 'tanh', got ${JSON.stringify(approx)}`);
        activate(approx === 'tanh' ? 'gelu-tanh' : 'gelu', undefined, x, n.outputs[0]);
        break;
      }
      case 'Clip': {
        // hardtanh: Clip(x, −1, 1) (bounds as inputs since opset 11, attributes before)
        const x = dyn(0);
        const bound = (i: number, name: string, dflt: number): number => {
          if (opset < 11) return floatAttr(attrs, name, dflt, where);
          if (n.inputs[i] === undefined || n.inputs[i] === '') return dflt;
          const c = cnst(i, name);
          if (c.length !== 1) throw new DescentError(`${where}: ${name} must be a scalar`);
          return c[0];
        };
        const lo = bound(1, 'min', -Infinity), hi = bound(2, 'max', Infinity);
        if (lo !== -1 || hi !== 1) throw new DescentError(`${where}: Clip to [${lo}, ${hi}]: descent has Clip to [−1, 1] only (hardtanh)`);
        activate('hardtanh', undefined, x, n.outputs[0]);
        break;
      }
      case 'Softmax': case 'LogSoftmax': {
        const x = dyn(0);
        width(x);
        const axis = intAttr(attrs, 'axis', opset >= 13 ? -1 : 1, where);
        if (axis !== -1 && axis !== 1) throw new DescentError(`${where}: axis ${axis}: only the feature axis is supported`);
        final = n.opType;
        advance(x.dims);
        logitsVersion = head - 1;
        open = false;
        break;
      }
      case 'BatchNormalization': case 'LayerNormalization': {
        const x = dyn(0);
        const img = imageDims(x);
        if (layers.length === 0) throw new DescentError(`${where}: normalizing the inputs before the first layer is not supported`);
        if (img && n.opType === 'LayerNormalization') {
          // over the whole image (axis 1 of NCHW): γ, β of [c, h, w] values, to descent's (h, w, c)
          const axis = intAttr(attrs, 'axis', -1, where);
          if (axis !== 1 && axis !== -3) throw new DescentError(`${where}: axis ${axis}: over an image only axis 1 (every channel and pixel) is supported`);
          if (normedImage) throw new DescentError(`${where}: a second LayerNormalization over the image is not supported`);
          const F = img[0] * img[1] * img[2], im: Image = [img[1], img[2], img[0]];
          const vecImg = (i: number, name: string, optional = false): Float32Array => {
            if (optional && !get(i)) return new Float32Array(F);
            const v = cnst(i, name);
            if (v.length !== F) throw new DescentError(`${where}: ${name} holds ${v.length} values for an image of ${img.join('×')}`);
            return fromNCHW(v, im);
          };
          layers.push({ type: 'layernorm', units: F, W: vecImg(1, 'scale'), b: vecImg(2, 'B', true), eps: floatAttr(attrs, 'epsilon', 1e-5, where), node: label(n) });
          normedImage = true;
          advance(x.dims);
          open = false;
          break;
        }
        // per channel of an image (BatchNorm2d), else per feature
        if (img) needImage(x);
        const c = img ? img[0] : width(x);
        const vec = (i: number, name: string, optional = false): Float32Array => {
          if (optional && !get(i)) return new Float32Array(c);
          const v = cnst(i, name);
          if (v.length !== c) throw new DescentError(`${where}: ${name} holds ${v.length} values for ${c} ${img ? 'channels' : 'features'}`);
          // features of a flattened image: from ONNX's order (c, h, w) to ours (h, w, c)
          return flatFrom ? fromNCHW(v, flatFrom) : v;
        };
        const eps = floatAttr(attrs, 'epsilon', 1e-5, where);
        if (n.opType === 'BatchNormalization') {
          if (intAttr(attrs, 'training_mode', 0, where) !== 0) throw new DescentError(`${where}: training_mode is not supported (export the model in eval mode)`);
          layers.push({ type: 'batchnorm', units: c, W: vec(1, 'scale'), b: vec(2, 'B'), mean: vec(3, 'mean'), var: vec(4, 'var'), eps, node: label(n) });
        } else {
          const axis = intAttr(attrs, 'axis', -1, where);
          if (axis !== -1 && axis !== 1) throw new DescentError(`${where}: axis ${axis}: only the last axis is supported`);
          layers.push({ type: 'layernorm', units: c, W: vec(1, 'scale'), b: vec(2, 'B', true), eps, node: label(n) });
        }
        advance(x.dims);
        open = false;
        break;
      }
      case 'Flatten': {
        const x = dyn(0);
        const axis = intAttr(attrs, 'axis', 1, where);
        if (axis !== 1 && axis !== -x.dims.length) throw new DescentError(`${where}: axis ${axis}: only flattening every feature axis (axis 1) is supported`);
        flattenImage(x);
        alias([x.dims.reduce((a, b) => a * b, 1)]);
        break;
      }
      case 'Conv': {
        const x = dyn(0);
        const [c, h, w] = needImage(x);
        const Wv = get(1);
        if (!Wv || Wv.kind !== 'const') throw new DescentError(`${where}: the weight (input 1) must be a constant (an initializer)`);
        const dims = Wv.t.dims;
        if (dims.length !== 4) throw new DescentError(`${where}: weight ${JSON.stringify(Wv.t.name)} has dims [${dims.join(', ')}]; only 2-D convolution (a weight [filters, channels/group, kh, kw]) is supported`);
        const [f, cg, kh, kw] = dims;
        const groups = intAttr(attrs, 'group', 1, where);
        if (!(groups >= 1 && c % groups === 0 && f % groups === 0 && cg * groups === c)) {
          throw new DescentError(`${where}: weight [${dims.join(', ')}] with group ${groups} does not fit ${c} input channels`);
        }
        const k = intsAttr(attrs, 'kernel_shape', 2, where);
        if (k && (k[0] !== kh || k[1] !== kw)) throw new DescentError(`${where}: kernel_shape [${k.join(', ')}] does not match the weight's [${kh}, ${kw}]`);
        const win = window2d(attrs, kh, kw, h, w, true, where);
        const src = tensorFloats(Wv.t, where);
        const W = new Float32Array(src.length);
        for (let o = 0; o < f; o++) for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
          W[((ky * kw + kx) * cg + ci) * f + o] = src[((o * cg + ci) * kh + ky) * kw + kx];
        }
        let b: Float32Array | undefined;
        if (get(2)) {
          b = cnst(2, 'the bias');
          if (b.length !== f) throw new DescentError(`${where}: the bias holds ${b.length} values for ${f} filters`);
        }
        if (n.inputs.length > 3) throw new DescentError(`${where}: takes at most three inputs`);
        layers.push({ type: 'conv2d', units: f, W, b, node: label(n), spec: { type: 'conv2d', filters: f, groups, bias: b !== undefined, ...win.spec } });
        advance(imageOut([f, win.oh, win.ow]));
        open = false;
        break;
      }
      case 'MaxPool': case 'AveragePool': {
        const x = dyn(0);
        const [c, h, w] = needImage(x);
        const k = intsAttr(attrs, 'kernel_shape', 2, where);
        if (!k) throw new DescentError(`${where}: needs kernel_shape of two values (2-D pooling)`);
        if (intAttr(attrs, 'ceil_mode', 0, where) !== 0) throw new DescentError(`${where}: ceil_mode = 1 is not supported (only floor, PyTorch's default)`);
        const dil = intsAttr(attrs, 'dilations', 2, where);
        if (dil && (dil[0] !== 1 || dil[1] !== 1)) throw new DescentError(`${where}: dilations [${dil.join(', ')}] are not supported for pooling`);
        const win = window2d(attrs, k[0], k[1], h, w, false, where);
        const spec: Record<string, unknown> = { type: n.opType === 'MaxPool' ? 'maxpool2d' : 'avgpool2d', kernel: win.spec.kernel, stride: win.spec.stride, padding: win.spec.padding };
        if (n.opType === 'AveragePool') spec.countIncludePad = intAttr(attrs, 'count_include_pad', 0, where) !== 0;
        layers.push({ type: spec.type as 'maxpool2d', units: c, W: new Float32Array(0), node: label(n), spec });
        advance(imageOut([c, win.oh, win.ow]));
        open = false;
        break;
      }
      case 'GlobalAveragePool': {
        const x = dyn(0);
        const [c] = needImage(x);
        layers.push({ type: 'globalavgpool', units: c, W: new Float32Array(0), node: label(n), spec: { type: 'globalavgpool' } });
        advance([c, 1, 1]);
        open = false;
        break;
      }
      case 'Shape': {
        const v = get(0);
        if (!v || v.kind !== 'dyn') throw new DescentError(`${where}: only the shape of the data flowing through the network is supported`);
        const all: (number | 'batch')[] = ['batch', ...v.dims];
        const at = (k: number) => Math.max(0, Math.min(all.length, k < 0 ? k + all.length : k));
        const values = all.slice(at(intAttr(attrs, 'start', 0, where)), at(intAttr(attrs, 'end', all.length, where)));
        vals.set(n.outputs[0], { kind: 'ints', values, scalar: false });
        break;
      }
      case 'Gather': {
        const src = ints(0), idx = ints(1);
        if (src.scalar || intAttr(attrs, 'axis', 0, where) !== 0) throw new DescentError(`${where}: only gathering from a shape vector (axis 0) is supported`);
        const L = src.values.length;
        const values = idx.values.map((k) => {
          if (typeof k !== 'number' || !(k >= -L && k < L)) throw new DescentError(`${where}: index ${k} is out of range for ${L} values`);
          return src.values[k < 0 ? k + L : k];
        });
        vals.set(n.outputs[0], { kind: 'ints', values, scalar: idx.scalar });
        break;
      }
      case 'Unsqueeze': {
        const src = ints(0);
        const axes = get(1) ? ints(1).values : attrs.get('axes')?.ints ?? [];
        if (!src.scalar || axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1)) throw new DescentError(`${where}: only a scalar made a one-element vector is supported`);
        vals.set(n.outputs[0], { kind: 'ints', values: src.values, scalar: false });
        break;
      }
      case 'Concat': {
        const axis = intAttr(attrs, 'axis', 0, where);
        const parts = n.inputs.map((_, i) => ints(i));
        if ((axis !== 0 && axis !== -1) || parts.some((p) => p.scalar)) throw new DescentError(`${where}: only joining integer vectors (axis 0) is supported`);
        const values = parts.flatMap((p) => p.values);
        if (values.length > 64) throw new DescentError(`${where}: a shape of ${values.length} dimensions`);
        vals.set(n.outputs[0], { kind: 'ints', values, scalar: false });
        break;
      }
      case 'Reshape': {
        const x = dyn(0);
        const shape = ints(1).values;
        const F = x.dims.reduce((a, b) => a * b, 1);
        if (shape.length !== 2 || !(shape[1] === F || shape[1] === -1) || !(shape[0] === 'batch' || shape[0] === -1 || shape[0] >= 0) || (shape[0] === -1 && shape[1] === -1)) {
          throw new DescentError(`${where}: Reshape to [${shape.join(', ')}] is not supported (only to [batch, ${F}])`);
        }
        flattenImage(x);
        alias([F]);
        break;
      }
      case 'Pad': {
        // PyTorch 1.13 writes AvgPool2d as Pad (of nothing) + AveragePool: only an empty Pad is supported
        const x = dyn(0);
        const mode = attr(attrs, 'mode', AT_STRING, where)?.s ?? 'constant';
        const pads = get(1) ? ints(1).values : attrs.get('pads')?.ints ?? [];
        if (mode !== 'constant' || pads.length !== 2 * (x.dims.length + 1) || pads.some((v) => v !== 0)) {
          throw new DescentError(`${where}: only a Pad that pads nothing is supported (got mode ${JSON.stringify(mode)}, pads [${pads.slice(0, 16).join(', ')}])`);
        }
        alias(x.dims);
        break;
      }
      case 'Identity': case 'Dropout': {
        const v = get(0);
        if (v?.kind === 'const') { vals.set(n.outputs[0], v); break; }
        alias(dyn(0).dims);
        break;
      }
      default:
        throw new DescentError(`${where}: operator ${n.opType || '(empty)'} is not supported for import (supported: Conv, MaxPool, AveragePool, GlobalAveragePool, Pad (of nothing), Gemm, MatMul, Add, Relu, LeakyRelu, Elu, Tanh, Sigmoid, Softsign, Softplus, Selu, Mish, Gelu, Clip(−1, 1), Erf (in GELU), Softmax, LogSoftmax, BatchNormalization, LayerNormalization, Flatten, Reshape, Identity, Dropout, Constant, Shape/Gather/Unsqueeze/Concat for a Reshape's shape, and Mul/Sub/Div as input preprocessing)`);
    }
  }
  function producerUsed(name: string): boolean {
    return (consumers.get(name)?.length ?? 0) > 0 || graphOutputs.has(name);
  }

  // ---- the output ----
  if (layers.length === 0) throw new DescentError(`${what}: the graph has no Gemm/MatMul layer`);
  const outNames = new Set<string>();
  let outputVal: { dims: number[] } | undefined;
  for (const o of g.outputs) {
    if (outNames.has(o.name)) throw new DescentError(`${what}: graph output ${JSON.stringify(o.name)} is listed twice`);
    outNames.add(o.name);
    const v = vals.get(o.name);
    if (!v || v.kind !== 'dyn') throw new DescentError(`${what}: graph output ${JSON.stringify(o.name)} is not computed from the input`);
    if (v.version === head) outputVal = v;
    else if (v.version !== logitsVersion || logitsVersion < 0) throw new DescentError(`${what}: graph output ${JSON.stringify(o.name)} is not the end of the layer chain (one chain, one output, and optionally its logits)`);
  }
  if (!outputVal) throw new DescentError(`${what}: no graph output is the end of the layer chain`);
  if (outputVal.dims.length !== 1) throw new DescentError(`${what}: the output must be [batch, outputs], got rank ${outputVal.dims.length + 1}`);
  const last = layers[layers.length - 1];
  let loss: LossName = 'mse';
  if (final) {
    if (last.type !== 'dense' || last.activation) throw new DescentError(`${what}: the ${final} must follow a Dense layer without activation (got ${last.activation ?? last.type} from ${last.node})`);
    loss = 'softmax-cross-entropy';
  } else if (last.type === 'dense' && last.activation === 'sigmoid' && logitsVersion === head - 1) {
    // the same outputs either way; descent's own exports say which loss the model trained with
    const hint = m.metadata.get('descent.loss');
    if (hint === 'mse' || hint === 'bce') loss = hint;
    else {
      last.activation = undefined;
      loss = 'bce-logits';
    }
  }

  // ---- the model ----
  const spec: AnyLayerSpec[] = layers.map((l): AnyLayerSpec => {
    const act = { activation: l.activation ?? 'linear', ...(l.alpha !== undefined ? { alpha: l.alpha } : {}) };
    if (l.type === 'dense') return { units: l.units, bias: l.b !== undefined, ...act };
    if (l.type === 'conv2d') return { ...l.spec, ...act } as unknown as AnyLayerSpec;
    if (l.spec) return { ...l.spec } as unknown as AnyLayerSpec; // pooling and flatten: no activation (activate() saw to it)
    return { type: l.type, eps: l.eps, ...act } as AnyLayerSpec;
  });
  for (const l of layers) for (const a of [l.W, l.b, l.mean, l.var]) {
    if (a && a.some((x) => !Number.isFinite(x))) throw new DescentError(`${what}: ${l.node}: its constants hold NaN or Infinity`);
  }
  // a variance below 0 makes √(var + ε) NaN for every sample (found by npm run fuzz)
  for (const l of layers) {
    const i = l.var ? l.var.findIndex((v) => v < 0) : -1;
    if (i >= 0) throw new DescentError(`${what}: ${l.node}: its variance input holds ${l.var![i]} at channel ${i}; a variance must be ≥ 0`);
  }
  let model: Model;
  try {
    model = new Model(engine, { inputs: inShape ?? inFeatures, layers: spec, loss });
  } catch (e) {
    if (!(e instanceof DescentError)) throw e;
    throw new DescentError(`${what}: the graph does not map onto a descent model: ${e.message}`);
  }
  model.layers.forEach((L, i) => {
    const l = layers[i];
    L.W.data.set(l.W);
    if (l.b) L.b!.data.set(l.b);
    if (l.mean) { L.runningMean!.data.set(l.mean); L.runningVar!.data.set(l.var!); }
  });
  try {
    model.setPreprocess(pre);
  } catch (e) {
    model.release();
    throw new DescentError(`${what}: the input preprocessing: ${(e as Error).message}`);
  }
  const names = m.metadata.get('descent.class_names');
  if (names !== undefined) {
    // advisory: class names that do not fit the model are left out
    try { model.setClassNames(JSON.parse(names)); } catch { /* not JSON, or not one string per class */ }
  }
  model.eval();
  return model;
}

function attr(attrs: Map<string, OnnxAttribute>, name: string, type: number, where: string): OnnxAttribute | undefined {
  const a = attrs.get(name);
  if (a && a.type !== 0 && a.type !== type) throw new DescentError(`${where}: attribute ${name} has type ${a.type}, expected ${type}`);
  return a;
}

function intAttr(attrs: Map<string, OnnxAttribute>, name: string, dflt: number, where: string): number {
  const a = attr(attrs, name, AT_INT, where);
  if (!a) return dflt;
  if (a.i === undefined || !Number.isSafeInteger(a.i)) throw new DescentError(`${where}: attribute ${name} has no integer value`);
  return a.i;
}

function floatAttr(attrs: Map<string, OnnxAttribute>, name: string, dflt: number, where: string): number {
  const a = attr(attrs, name, AT_FLOAT, where);
  if (!a) return dflt;
  if (a.f === undefined || !Number.isFinite(a.f)) throw new DescentError(`${where}: attribute ${name} has no finite float value`);
  return a.f;
}

/** A constant broadcast along the feature axis: dims [], [1], [n] or [1, n] → n values. */
function broadcastRow(v: Float32Array, dims: number[], n: number, where: string): Float32Array {
  const shapeOk = dims.length === 0 || (dims.length === 1 && (dims[0] === 1 || dims[0] === n)) || (dims.length === 2 && dims[0] === 1 && (dims[1] === 1 || dims[1] === n));
  if (!shapeOk) throw new DescentError(`${where}: a constant of dims [${dims.join(', ')}] does not broadcast over ${n} features`);
  return v.length === n ? v.slice() : new Float32Array(n).fill(v[0]);
}

/** An INTS attribute of exactly `len` values (undefined when absent). */
function intsAttr(attrs: Map<string, OnnxAttribute>, name: string, len: number, where: string): number[] | undefined {
  const a = attr(attrs, name, AT_INTS, where);
  if (!a) return undefined;
  if (a.ints.length !== len || !a.ints.every((v) => Number.isSafeInteger(v))) throw new DescentError(`${where}: attribute ${name} must hold ${len} integers, got [${a.ints.slice(0, 8).join(', ')}${a.ints.length > 8 ? ', …' : ''}]`);
  return a.ints;
}

/**
 * The window of a Conv or pooling node over an h × w image: strides (default 1, as ONNX),
 * dilations (default 1), pads [top, left, bottom, right] or auto_pad (NOTSET, VALID, SAME_UPPER,
 * SAME_LOWER). Descent's padding is symmetric, or (convolution, stride 1) PyTorch's 'same'; other
 * pads are refused. spec: the layer spec's kernel, stride, padding, dilation.
 */
function window2d(attrs: Map<string, OnnxAttribute>, kh: number, kw: number, h: number, w: number, conv: boolean, where: string):
  { spec: { kernel: number[]; stride: number[]; padding: number[] | 'same'; dilation: number[] }; oh: number; ow: number } {
  const size = (v: number, min: number, name: string): number => {
    if (!(Number.isSafeInteger(v) && v >= min && v <= 65536)) throw new DescentError(`${where}: ${name} ${v} is out of range (${min}…65536)`);
    return v;
  };
  size(kh, 1, 'kernel height'); size(kw, 1, 'kernel width');
  const st = intsAttr(attrs, 'strides', 2, where) ?? [1, 1];
  const di = intsAttr(attrs, 'dilations', 2, where) ?? [1, 1];
  const [sh, sw] = [size(st[0], 1, 'stride'), size(st[1], 1, 'stride')];
  const [dh, dw] = [size(di[0], 1, 'dilation'), size(di[1], 1, 'dilation')];
  const autoAttr = attr(attrs, 'auto_pad', AT_STRING, where);
  const auto = autoAttr?.s ?? 'NOTSET';
  const given = intsAttr(attrs, 'pads', 4, where);
  let pads: number[];
  if (auto === 'NOTSET') {
    pads = (given ?? [0, 0, 0, 0]).map((v) => size(v, 0, 'padding'));
  } else if (auto === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    // output ⌈in/stride⌉; the odd padding after (UPPER) or before (LOWER)
    const total = (len: number, k: number, s: number, d: number) => Math.max(0, (Math.ceil(len / s) - 1) * s + d * (k - 1) + 1 - len);
    const th = total(h, kh, sh, dh), tw = total(w, kw, sw, dw);
    const [bh, bw] = auto === 'SAME_UPPER' ? [Math.floor(th / 2), Math.floor(tw / 2)] : [Math.ceil(th / 2), Math.ceil(tw / 2)];
    pads = [bh, bw, th - bh, tw - bw];
  } else {
    throw new DescentError(`${where}: auto_pad ${JSON.stringify(auto)} is not supported (NOTSET, VALID, SAME_UPPER, SAME_LOWER)`);
  }
  const [pt, pl, pb, pr] = pads;
  let padding: number[] | 'same';
  if (pt === pb && pl === pr) padding = [pt, pl];
  else if (conv && sh === 1 && sw === 1 && pt === Math.floor(dh * (kh - 1) / 2) && pt + pb === dh * (kh - 1) && pl === Math.floor(dw * (kw - 1) / 2) && pl + pr === dw * (kw - 1)) padding = 'same';
  else throw new DescentError(`${where}: pads [${pads.join(', ')}] (top, left, bottom, right) are not supported: padding must be the same on both sides${conv ? ', or PyTorch\'s \'same\' (stride 1, the odd one after)' : ''}`);
  const out = (len: number, k: number, s: number, a: number, b: number, d: number, dim: string): number => {
    const o = Math.floor((len + a + b - d * (k - 1) - 1) / s) + 1;
    if (!(o >= 1)) throw new DescentError(`${where}: the window (kernel ${k}, dilation ${d}) does not fit the input ${dim} ${len} with padding ${a}+${b}`);
    return o;
  };
  return {
    spec: { kernel: [kh, kw], stride: [sh, sw], padding, dilation: [dh, dw] },
    oh: out(h, kh, sh, pt, pb, dh, 'height'), ow: out(w, kw, sw, pl, pr, dw, 'width'),
  };
}

/** A vector over an image's values in ONNX's order (c, h, w) → ours (h, w, c). */
function fromNCHW(v: Float32Array, [h, w, c]: Image): Float32Array {
  const hw = h * w, out = new Float32Array(v.length);
  for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) out[p * c + ch] = v[ch * hw + p];
  return out;
}

/** A Dense weight [h·w·c, units] with rows in ONNX's order (c, h, w) → rows in ours (h, w, c). */
function rowsFromNCHW(W: Float32Array, [h, w, c]: Image, units: number): Float32Array {
  const hw = h * w, out = new Float32Array(W.length);
  for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) out.set(W.subarray((ch * hw + p) * units, (ch * hw + p + 1) * units), (p * c + ch) * units);
  return out;
}

/**
 * A constant broadcast over an image input [c, h, w] (NCHW, numpy rules: dims [], [1], [c, 1, 1],
 * [1, c, h, w], …) → one value per feature in descent's sample order (h, w, c).
 */
function broadcastImage(v: Float32Array, dims: number[], [c, h, w]: number[], where: string): Float32Array {
  let d = dims.slice();
  while (d.length > 3 && d[0] === 1) d = d.slice(1);
  if (d.length > 3) throw new DescentError(`${where}: a constant of dims [${dims.join(', ')}] does not broadcast over an input of [${c}, ${h}, ${w}]`);
  while (d.length < 3) d.unshift(1);
  const full = [c, h, w];
  if (!d.every((x, i) => x === 1 || x === full[i])) throw new DescentError(`${where}: a constant of dims [${dims.join(', ')}] does not broadcast over an input of [${c}, ${h}, ${w}]`);
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
    out[(y * w + x) * c + ch] = v[((d[0] === 1 ? 0 : ch) * d[1] + (d[1] === 1 ? 0 : y)) * d[2] + (d[2] === 1 ? 0 : x)];
  }
  return out;
}
