// descent layers ↔ the modules of a torch.nn.Sequential, one list both ways.
//
// A descent layer becomes one module, and its activation (when not linear) the module after it:
//
//   Dense(in→out, act, bias)        nn.Linear(in, out[, bias=False])   [, activation module]
//   batchnorm(c, eps, momentum, act) nn.BatchNorm1d(c, eps=…, momentum=…) [, activation module]
//   layernorm(c, eps, act)           nn.LayerNorm(c, eps=…)             [, activation module]
//   dropout(rate)                    nn.Dropout(p=rate)
//   tanh · relu · sigmoid · softsign → nn.Tanh() · nn.ReLU() · nn.Sigmoid() · nn.Softsign()
//   leaky-relu(α) · elu(α)           → nn.LeakyReLU(negative_slope=α) · nn.ELU(alpha=α)
//   gelu · gelu-tanh                 → nn.GELU() · nn.GELU(approximate='tanh')
//   silu · softplus · selu · mish · hardtanh → nn.SiLU() · nn.Softplus() · nn.SELU() · nn.Mish() · nn.Hardtanh()
//                                    (nn.Softplus and nn.Hardtanh only with their defaults: beta=1,
//                                    threshold=20; min_val=-1, max_val=1 — descent's fixed ones)
//
// and the image layers (issue #15; activations NCHW in torch, NHWC in descent):
//
//   conv2d(filters, kernel, stride, padding, dilation, groups, bias, act)
//                                    nn.Conv2d(c, filters, kernel_size=…, stride=…, padding=… | 'same', dilation=…, groups=…[, bias=False])
//   maxpool2d(kernel, stride, padding)         nn.MaxPool2d(kernel_size=…, stride=…, padding=…)
//   avgpool2d(…, countIncludePad)              nn.AvgPool2d(…[, count_include_pad=False])
//   globalavgpool                              nn.AdaptiveAvgPool2d(1)
//   flatten                                    nn.Flatten()
//   batchnorm after an image                   nn.BatchNorm2d(c, eps=…, momentum=…)
//   dropout2d(rate)                            nn.Dropout2d(p=rate)
//   a Dense layer reading an image             nn.Flatten(), nn.Linear(h·w·c, units)
//
// (a Dense layer flattens an image by itself; torch needs the nn.Flatten(), so it is written
// before the Linear — after a global pool that gives nn.AdaptiveAvgPool2d(1), nn.Flatten()).
//
// so the state_dict names are <module index>.weight etc. exactly as torch numbers them. The
// other way, parseSequential reads the module list of the first nn.Sequential(...) in a Python
// text (the .py exportTorch writes, or a hand-written simple one: calls of nn.X(args) with
// literal arguments), and modulesToSpec turns modules into a descent ModelSpec, also accepting
// nn.Identity and nn.Flatten (no-ops on [batch, features]) and a final nn.Softmax/LogSoftmax
// (descent's softmax-cross-entropy models output logits and apply softmax in predict). On an
// image nn.Flatten becomes a descent flatten layer, except on a 1×1 image (after
// nn.AdaptiveAvgPool2d(1)), where both layouts agree and the Dense layer after it reads the
// image as it is. An activation module after nn.MaxPool2d or nn.Flatten (torch code often puts
// ReLU after the pooling) moves before them onto the Conv2d/Linear/norm layer: max pooling
// commutes with a non-decreasing activation and flattening with any, so the function is the same
// (GELU, SiLU and Mish are not monotone: after a max pool they are refused).
// Module lists that start with an image module need the input size (options.inputs, or the
// "# Input shape" comment of the exported .py, or the file's metadata input_shape): import.ts.

import { DescentError, show } from '../../engine/errors.js';
import type { AnyLayerSpec, DenseLayer, ModelSpec } from '../../nn/model.js';
import type { ActivationName } from '../../nn/activations.js';
import type { LossSpec } from '../../nn/losses.js';
import type { Image } from '../../nn/layers/layer.js';
import { pair, windowOf } from '../../nn/layers/geometry.js';

type Pair = [number, number];

export type TorchModule =
  | { kind: 'Linear'; inFeatures: number; outFeatures: number; bias: boolean }
  | { kind: 'BatchNorm1d' | 'BatchNorm2d'; features: number; eps: number; momentum: number }
  | { kind: 'LayerNorm'; features: number; eps: number }
  | { kind: 'Dropout' | 'Dropout2d'; p: number }
  | { kind: 'Tanh' | 'ReLU' | 'Sigmoid' | 'Softsign' | 'Identity' | 'Flatten' | 'Softmax' | 'LogSoftmax' | 'AdaptiveAvgPool2d' }
  | { kind: 'LeakyReLU'; slope: number }
  | { kind: 'ELU'; alpha: number }
  | { kind: 'GELU'; approximate: 'none' | 'tanh' }
  | { kind: 'SiLU' | 'Softplus' | 'SELU' | 'Mish' | 'Hardtanh' }
  | { kind: 'Conv2d'; inChannels: number; outChannels: number; kernel: Pair; stride: Pair; padding: Pair | 'same' | 'valid'; dilation: Pair; groups: number; bias: boolean }
  | { kind: 'MaxPool2d'; kernel: Pair; stride: Pair; padding: Pair }
  | { kind: 'AvgPool2d'; kernel: Pair; stride: Pair; padding: Pair; countIncludePad: boolean };

const ACT_MODULE: Partial<Record<ActivationName, string>> = { tanh: 'Tanh', relu: 'ReLU', sigmoid: 'Sigmoid', softsign: 'Softsign', 'leaky-relu': 'LeakyReLU', elu: 'ELU',
  silu: 'SiLU', softplus: 'Softplus', selu: 'SELU', mish: 'Mish', hardtanh: 'Hardtanh' };

/** The torch module of a descent activation (α: leaky-relu's slope, elu's α); undefined for linear. */
export function activationModule(name: ActivationName, alpha: number): TorchModule | undefined {
  switch (name) {
    case 'linear': return undefined;
    case 'leaky-relu': return { kind: 'LeakyReLU', slope: alpha };
    case 'elu': return { kind: 'ELU', alpha };
    case 'gelu': return { kind: 'GELU', approximate: 'none' };
    case 'gelu-tanh': return { kind: 'GELU', approximate: 'tanh' };
    default: return { kind: ACT_MODULE[name] as 'Tanh' };
  }
}

/** The [h, w, c] image (NHWC) a model's layer i reads, when its input is one (not yet flattened). */
export function imageInput(layers: readonly DenseLayer[], i: number, inputShape: readonly [number, number, number] | undefined): Image | undefined {
  if (i > 0) return layers[i - 1].image;
  return inputShape ? [inputShape[1], inputShape[2], inputShape[0]] : undefined;
}

/**
 * The image [h, w, c] whose values layer i's input holds in descent's NHWC order — as an image,
 * or flattened by a flatten layer and carried through dropout or normalization layers — where
 * torch's tensor holds them NCHW (flattened: index ch·h·w + pixel for descent's pixel·c + ch).
 * undefined when the orders agree (flat features, or an image of one channel or one pixel).
 */
export function nhwcOrder(layers: readonly DenseLayer[], i: number, inputShape: readonly [number, number, number] | undefined): Image | undefined {
  let img: Image | undefined;
  for (let j = i - 1; ; j--) {
    if (j < 0) { img = inputShape ? [inputShape[1], inputShape[2], inputShape[0]] : undefined; break; }
    const l = layers[j];
    if (l.image) { img = l.image; break; }
    if (l.type === 'flatten') { img = [l.config!.h, l.config!.w, l.config!.c]; break; }
    if (l.type === 'dropout' || l.type === 'batchnorm' || l.type === 'layernorm') continue;
    return undefined;
  }
  return img && img[2] > 1 && img[0] * img[1] > 1 ? img : undefined;
}

/** For an image [h, w, c]: torch's (NCHW-flattened) index of each descent (NHWC) index. */
export function torchIndex(img: Image): Int32Array {
  const [h, w, c] = img, hw = h * w, out = new Int32Array(hw * c);
  for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) out[p * c + ch] = ch * hw + p;
  return out;
}

/**
 * The modules of a model's layers; for each layer the index of its own module (its tensors'
 * prefix) and of its first module (an nn.Flatten written before a Linear that reads an image).
 */
export function modulesOf(layers: readonly DenseLayer[], inputShape?: readonly [number, number, number]): { modules: TorchModule[]; index: number[]; start: number[] } {
  const modules: TorchModule[] = [];
  const index: number[] = [];
  const start: number[] = [];
  for (const l of layers) {
    start.push(modules.length);
    const inImage = imageInput(layers, l.index, inputShape);
    const g = l.config ?? {};
    if (l.type === 'dense' && inImage) modules.push({ kind: 'Flatten' });
    index.push(modules.length);
    switch (l.type) {
      case 'dense': modules.push({ kind: 'Linear', inFeatures: l.inputs, outFeatures: l.units, bias: l.hasBias }); break;
      case 'batchnorm': modules.push({ kind: l.image ? 'BatchNorm2d' : 'BatchNorm1d', features: l.units, eps: l.eps!, momentum: l.momentum! }); break;
      case 'layernorm':
        if (inImage) throw new DescentError(`layer ${l.index} ${l.describe()}: layer norm over a whole image has no nn.Sequential equivalent here (flatten first)`);
        modules.push({ kind: 'LayerNorm', features: l.units, eps: l.eps! });
        break;
      case 'dropout': modules.push({ kind: 'Dropout', p: l.rate! }); break;
      case 'dropout2d': modules.push({ kind: 'Dropout2d', p: l.rate! }); break;
      case 'flatten': modules.push({ kind: 'Flatten' }); break;
      case 'globalavgpool': modules.push({ kind: 'AdaptiveAvgPool2d' }); break;
      case 'conv2d': {
        let padding: Pair | 'same';
        if (g.ph === g.phAfter && g.pw === g.pwAfter) padding = [g.ph, g.pw];
        else if (g.sh === 1 && g.sw === 1 && g.ph + g.phAfter === g.dh * (g.kh - 1) && g.pw + g.pwAfter === g.dw * (g.kw - 1)
          && g.ph === Math.floor((g.ph + g.phAfter) / 2) && g.pw === Math.floor((g.pw + g.pwAfter) / 2)) padding = 'same';
        else throw new DescentError(`layer ${l.index} ${l.describe()}: padding ${g.ph}+${g.phAfter} × ${g.pw}+${g.pwAfter} has no nn.Conv2d equivalent`);
        modules.push({ kind: 'Conv2d', inChannels: g.c, outChannels: g.filters, kernel: [g.kh, g.kw], stride: [g.sh, g.sw], padding, dilation: [g.dh, g.dw], groups: g.groups, bias: l.hasBias });
        break;
      }
      case 'maxpool2d': modules.push({ kind: 'MaxPool2d', kernel: [g.kh, g.kw], stride: [g.sh, g.sw], padding: [g.ph, g.pw] }); break;
      case 'avgpool2d': modules.push({ kind: 'AvgPool2d', kernel: [g.kh, g.kw], stride: [g.sh, g.sw], padding: [g.ph, g.pw], countIncludePad: g.countIncludePad !== 0 }); break;
      default: throw new DescentError(`layer ${l.index} of type ${String(l.type)} has no PyTorch module`);
    }
    const act = activationModule(l.activation, l.alpha);
    if (act) modules.push(act);
  }
  return { modules, index, start };
}

/** Python float literal (JS and Python agree on shortest round-trip reprs, save the exponent form). */
export function pyFloat(x: number): string {
  const s = String(x);
  return /[.en]/.test(s) ? s : `${s}.0`;
}

/** 3 or (3, 2). */
function pyPair(p: Pair): string {
  return p[0] === p[1] ? `${p[0]}` : `(${p[0]}, ${p[1]})`;
}

const is = (p: Pair, v: number): boolean => p[0] === v && p[1] === v;
const same = (a: Pair, b: Pair): boolean => a[0] === b[0] && a[1] === b[1];

/** The module as Python source, e.g. `nn.Linear(64, 16)`. */
export function moduleSource(m: TorchModule): string {
  switch (m.kind) {
    case 'Linear': return `nn.Linear(${m.inFeatures}, ${m.outFeatures}${m.bias ? '' : ', bias=False'})`;
    case 'BatchNorm1d': case 'BatchNorm2d': return `nn.${m.kind}(${m.features}, eps=${pyFloat(m.eps)}, momentum=${pyFloat(m.momentum)})`;
    case 'LayerNorm': return `nn.LayerNorm(${m.features}, eps=${pyFloat(m.eps)})`;
    case 'Dropout': case 'Dropout2d': return `nn.${m.kind}(p=${pyFloat(m.p)})`;
    case 'LeakyReLU': return `nn.LeakyReLU(negative_slope=${pyFloat(m.slope)})`;
    case 'ELU': return `nn.ELU(alpha=${pyFloat(m.alpha)})`;
    case 'GELU': return m.approximate === 'tanh' ? "nn.GELU(approximate='tanh')" : 'nn.GELU()';
    case 'Softmax': case 'LogSoftmax': return `nn.${m.kind}(dim=1)`;
    case 'AdaptiveAvgPool2d': return 'nn.AdaptiveAvgPool2d(1)';
    case 'Conv2d': {
      const pad = typeof m.padding === 'string' ? `, padding='${m.padding}'` : is(m.padding, 0) ? '' : `, padding=${pyPair(m.padding)}`;
      return `nn.Conv2d(${m.inChannels}, ${m.outChannels}, kernel_size=${pyPair(m.kernel)}${is(m.stride, 1) ? '' : `, stride=${pyPair(m.stride)}`}${pad}`
        + `${is(m.dilation, 1) ? '' : `, dilation=${pyPair(m.dilation)}`}${m.groups === 1 ? '' : `, groups=${m.groups}`}${m.bias ? '' : ', bias=False'})`;
    }
    case 'MaxPool2d': case 'AvgPool2d':
      return `nn.${m.kind}(kernel_size=${pyPair(m.kernel)}${same(m.stride, m.kernel) ? '' : `, stride=${pyPair(m.stride)}`}${is(m.padding, 0) ? '' : `, padding=${pyPair(m.padding)}`}`
        + `${m.kind === 'AvgPool2d' && !m.countIncludePad ? ', count_include_pad=False' : ''})`;
    default: return `nn.${m.kind}()`;
  }
}

/** An argument's literal value: a number, True/False, None, a string, or a pair (h, w). */
type Value = number | boolean | string | null | Pair;

/** Signatures: positional parameter names, and their defaults (undefined: required; null: None). */
const BN: [string, Value | undefined][] = [['num_features', undefined], ['eps', 1e-5], ['momentum', 0.1], ['affine', true], ['track_running_stats', true]];
const SIGNATURES: Record<string, [string, Value | undefined][]> = {
  Linear: [['in_features', undefined], ['out_features', undefined], ['bias', true]],
  BatchNorm1d: BN, BatchNorm2d: BN,
  LayerNorm: [['normalized_shape', undefined], ['eps', 1e-5], ['elementwise_affine', true]],
  Dropout: [['p', 0.5], ['inplace', false]],
  Dropout2d: [['p', 0.5], ['inplace', false]],
  LeakyReLU: [['negative_slope', 0.01], ['inplace', false]],
  ELU: [['alpha', 1], ['inplace', false]],
  ReLU: [['inplace', false]], Tanh: [], Sigmoid: [], Softsign: [], Identity: [],
  GELU: [['approximate', 'none']],
  SiLU: [['inplace', false]], SELU: [['inplace', false]], Mish: [['inplace', false]],
  Softplus: [['beta', 1], ['threshold', 20]],
  Hardtanh: [['min_val', -1], ['max_val', 1], ['inplace', false]],
  Flatten: [['start_dim', 1], ['end_dim', -1]],
  Softmax: [['dim', undefined]], LogSoftmax: [['dim', undefined]],
  Conv2d: [['in_channels', undefined], ['out_channels', undefined], ['kernel_size', undefined], ['stride', 1], ['padding', 0], ['dilation', 1], ['groups', 1], ['bias', true], ['padding_mode', 'zeros']],
  MaxPool2d: [['kernel_size', undefined], ['stride', null], ['padding', 0], ['dilation', 1], ['return_indices', false], ['ceil_mode', false]],
  AvgPool2d: [['kernel_size', undefined], ['stride', null], ['padding', 0], ['ceil_mode', false], ['count_include_pad', true], ['divisor_override', null]],
  AdaptiveAvgPool2d: [['output_size', undefined]],
};

/**
 * The modules of the first `nn.Sequential(...)` in Python source. Arguments must be literals
 * (ints, floats, True/False, None, strings such as 'same', pairs (h, w); a one-element list or
 * tuple for LayerNorm's shape).
 */
export function parseSequential(source: string, what: string): TorchModule[] {
  // the first nn.Sequential( whose arguments read as modules: comments and code such as
  // nn.Sequential(pre, net) in the generated .py come before or after build()'s
  let first: DescentError | undefined;
  for (const m of source.matchAll(/\b(?:torch\.)?nn\.Sequential\s*\(/g)) {
    try {
      return parseSequentialAt(source, m.index! + m[0].length, what);
    } catch (e) {
      if (!(e instanceof DescentError)) throw e;
      first ??= e;
    }
  }
  throw first ?? new DescentError(`${what}: no nn.Sequential(...) in the Python source`);
}

function parseSequentialAt(source: string, open: number, what: string): TorchModule[] {
  let i = open;
  for (let depth = 1; depth > 0; i++) {
    if (i >= source.length) throw new DescentError(`${what}: nn.Sequential( is not closed`);
    const ch = source[i];
    if (ch === '#') { while (i < source.length && source[i] !== '\n') i++; continue; }
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
  }
  const body = source.slice(open, i - 1).replace(/#[^\n]*/g, '');
  const modules: TorchModule[] = [];
  // arguments may hold one level of parentheses: nn.LayerNorm((16,)), kernel_size=(3, 2)
  const call = /(?:torch\.)?nn\.(\w+)\s*\(((?:[^()]|\([^()]*\))*)\)/g;
  let pos = 0;
  for (let m = call.exec(body); m; m = call.exec(body)) {
    // between two calls only a comma and white space
    const between = body.slice(pos, m.index);
    if (!/^\s*$/.test(between.replace(modules.length > 0 ? /^\s*,/ : /^/, ''))) {
      throw new DescentError(`${what}: cannot read module ${modules.length} of nn.Sequential at "${between.trim().slice(0, 40)}" (expected nn.Name(literal arguments))`);
    }
    modules.push(parseModule(m[1], m[2], `${what}: module ${modules.length} nn.${m[1]}`));
    pos = call.lastIndex;
  }
  if (!/^\s*,?\s*$/.test(body.slice(pos))) throw new DescentError(`${what}: cannot read module ${modules.length} of nn.Sequential at "${body.slice(pos).trim().slice(0, 40)}" (expected nn.Name(literal arguments))`);
  if (modules.length === 0) throw new DescentError(`${what}: nn.Sequential() has no modules`);
  return modules;
}

function parseModule(kind: string, args: string, what: string): TorchModule {
  const sig = Object.hasOwn(SIGNATURES, kind) ? SIGNATURES[kind] : undefined;
  if (!sig) throw new DescentError(`${what}: unsupported module (supported: ${Object.keys(SIGNATURES).join(', ')})`);
  const values = new Map<string, Value>();
  // split at the commas outside brackets: (16,) is one argument
  const parts = args.split(/,(?![^([]*[)\]])/).map((s) => s.trim()).filter((s) => s.length > 0);
  parts.forEach((p, k) => {
    const eq = p.match(/^(\w+)\s*=\s*(.+)$/);
    const name = eq ? eq[1] : sig[k]?.[0];
    if (!name || !sig.some(([n]) => n === name)) throw new DescentError(`${what}: unexpected argument ${p}`);
    if (values.has(name)) throw new DescentError(`${what}: argument ${name} given twice`);
    values.set(name, literal(eq ? eq[2] : p, `${what}: ${name}`));
  });
  const get = (name: string): Value => {
    const v = values.has(name) ? values.get(name)! : sig.find(([n]) => n === name)![1];
    if (v === undefined) throw new DescentError(`${what}: argument ${name} is required`);
    return v;
  };
  const int = (name: string): number => {
    const v = get(name);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new DescentError(`${what}: ${name} must be a positive integer, got ${show(v)}`);
    return v;
  };
  const num = (name: string): number => {
    const v = get(name);
    if (typeof v !== 'number') throw new DescentError(`${what}: ${name} must be a number, got ${show(v)}`);
    return v;
  };
  const bool = (name: string): boolean => {
    const v = get(name);
    if (typeof v !== 'boolean') throw new DescentError(`${what}: ${name} must be True or False, got ${show(v)}`);
    return v;
  };
  const size = (name: string, min = 1): Pair => pair(get(name), undefined, `${what}: ${name}`, min);
  const must = (name: string, ok: Value, why: string): void => {
    const v = get(name);
    if (v !== ok && !(Array.isArray(v) && typeof ok === 'number' && is(v, ok))) throw new DescentError(`${what}: ${name}=${show(v)} ${why}`);
  };
  const none = 'has no descent equivalent';
  switch (kind) {
    case 'Linear': return { kind, inFeatures: int('in_features'), outFeatures: int('out_features'), bias: bool('bias') };
    case 'BatchNorm1d': case 'BatchNorm2d':
      if (get('affine') === false || get('track_running_stats') === false) throw new DescentError(`${what}: affine=False and track_running_stats=False have no descent equivalent (descent's batch norm has γ, β and running statistics)`);
      return { kind, features: int('num_features'), eps: num('eps'), momentum: num('momentum') };
    case 'LayerNorm':
      if (get('elementwise_affine') === false) throw new DescentError(`${what}: elementwise_affine=False has no descent equivalent`);
      return { kind, features: int('normalized_shape'), eps: num('eps') };
    case 'Dropout': case 'Dropout2d': return { kind, p: num('p') };
    case 'LeakyReLU': return { kind, slope: num('negative_slope') };
    case 'ELU': return { kind, alpha: num('alpha') };
    case 'GELU': {
      const a = get('approximate');
      if (a !== 'none' && a !== 'tanh') throw new DescentError(`${what}: approximate must be 'none' or 'tanh', got ${show(a)}`);
      return { kind, approximate: a };
    }
    case 'Softplus':
      must('beta', 1, `${none} (descent's softplus is PyTorch's default, beta=1, threshold=20)`);
      must('threshold', 20, `${none} (descent's softplus is PyTorch's default, beta=1, threshold=20)`);
      return { kind };
    case 'Hardtanh':
      must('min_val', -1, `${none} (descent's hardtanh clamps to [-1, 1])`);
      must('max_val', 1, `${none} (descent's hardtanh clamps to [-1, 1])`);
      return { kind };
    case 'Softmax': case 'LogSoftmax': {
      const d = get('dim');
      if (d !== 1 && d !== -1) throw new DescentError(`${what}: dim must be 1 or -1 (over the features), got ${show(d)}`);
      return { kind };
    }
    case 'Flatten':
      must('start_dim', 1, `${none} (descent flattens everything but the batch: start_dim=1, end_dim=-1)`);
      must('end_dim', -1, `${none} (descent flattens everything but the batch: start_dim=1, end_dim=-1)`);
      return { kind };
    case 'Conv2d': {
      must('padding_mode', 'zeros', `${none} (descent pads with zeros)`);
      const p = get('padding');
      const padding = p === 'same' || p === 'valid' ? p : size('padding', 0);
      return { kind, inChannels: int('in_channels'), outChannels: int('out_channels'), kernel: size('kernel_size'), stride: size('stride'), padding, dilation: size('dilation'), groups: int('groups'), bias: bool('bias') };
    }
    case 'MaxPool2d': case 'AvgPool2d': {
      must('ceil_mode', false, none);
      if (kind === 'MaxPool2d') { must('dilation', 1, none); must('return_indices', false, none); } else must('divisor_override', null, none);
      const kernel = size('kernel_size');
      const stride = get('stride') === null ? kernel : size('stride');
      const padding = size('padding', 0);
      return kind === 'MaxPool2d' ? { kind, kernel, stride, padding } : { kind, kernel, stride, padding, countIncludePad: bool('count_include_pad') };
    }
    case 'AdaptiveAvgPool2d':
      must('output_size', 1, `${none} (only nn.AdaptiveAvgPool2d(1), a global average pool)`);
      return { kind };
    default: return { kind: kind as 'Tanh' };
  }
}

function literal(s: string, what: string): Value {
  const t = s.trim().replace(/^[[(]\s*([^,\])]+?)\s*,?\s*[\])]$/, '$1');
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') return null;
  const str = t.match(/^(['"])([a-z_]{1,16})\1$/);
  if (str) return str[2];
  const number = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  if (number.test(t)) return Number(t);
  const two = t.match(/^[[(]\s*([^,\])]+?)\s*,\s*([^,\])]+?)\s*,?\s*[\])]$/);
  if (two && number.test(two[1]) && number.test(two[2])) return [Number(two[1]), Number(two[2])];
  throw new DescentError(`${what}: expected a literal number or True/False, got ${s}`);
}

const MODULE_ACT: Record<string, ActivationName> = { Tanh: 'tanh', ReLU: 'relu', Sigmoid: 'sigmoid', Softsign: 'softsign', LeakyReLU: 'leaky-relu', ELU: 'elu',
  SiLU: 'silu', Softplus: 'softplus', SELU: 'selu', Mish: 'mish', Hardtanh: 'hardtanh' };
/** Activation modules that are not non-decreasing: they do not commute with max pooling. */
const NOT_MONOTONE = ['GELU', 'SiLU', 'Mish'];
/** Spec types that carry an activation of their own. */
const TAKES_ACTIVATION = ['dense', 'conv2d', 'batchnorm', 'layernorm'];
const TORCH_NAME: Record<string, string> = { dense: 'Linear', conv2d: 'Conv2d', batchnorm: 'BatchNorm', layernorm: 'LayerNorm', dropout: 'Dropout', dropout2d: 'Dropout2d',
  maxpool2d: 'MaxPool2d', avgpool2d: 'AvgPool2d', globalavgpool: 'AdaptiveAvgPool2d', flatten: 'Flatten' };

/**
 * A descent spec for a module list, and for each descent layer the index of its module (the
 * prefix of its tensors). Refuses what descent cannot express, naming the module. `inputShape`
 * [c, h, w] (or a feature count) is the input when known; module lists that start with an image
 * module need it.
 */
export function modulesToSpec(modules: readonly TorchModule[], what: string, loss?: string | LossSpec, inputShape?: number | readonly [number, number, number]): { spec: ModelSpec; index: number[] } {
  const lossName = typeof loss === 'object' && loss !== null ? loss.name : loss;
  const layers: AnyLayerSpec[] = [];
  const index: number[] = [];
  type Loose = { type?: string; activation?: string; alpha?: number };
  const typeOf = (l: AnyLayerSpec | undefined): string | undefined => l && ((l as Loose).type ?? 'dense');
  // the current shape: an image [h, w, c] (NHWC) or `width` flat features (0: not known yet)
  let img: Image | undefined = typeof inputShape === 'object' ? [inputShape[1], inputShape[2], inputShape[0]] : undefined;
  let width = typeof inputShape === 'number' ? inputShape : img ? img[0] * img[1] * img[2] : 0;
  const name = (i: number) => `${what}: module ${i} ${moduleSource(modules[i])}`;
  const needImage = (i: number): Image => {
    if (img) return img;
    if (width === 0) throw new DescentError(`${name(i)}: takes images [N, channels, height, width], and the input image size is not known: pass options.inputs = [channels, height, width] (the .py exportTorch writes states it in its "# Input shape" comment, read with options.python, and the file's metadata input_shape)`);
    throw new DescentError(`${name(i)}: takes images, but the module before outputs ${width} flat features`);
  };
  const needFlat = (i: number, features: number, what2: string): void => {
    if (img) throw new DescentError(`${name(i)}: takes flat features, but the module before outputs an image [${img[2]}, ${img[0]}, ${img[1]}] (channels, height, width): put nn.Flatten() before it`);
    if (width !== 0 && features !== width) throw new DescentError(`${name(i)}: ${what2} ${features}, but the ${layers.length === 0 && index.length === 0 ? 'input has' : 'module before outputs'} ${width}`);
  };
  const push = (i: number, spec: Record<string, unknown>): void => {
    layers.push(spec as unknown as AnyLayerSpec);
    index.push(i);
  };
  const window = (i: number, m: { kernel: Pair; stride: Pair; padding: Pair | string; dilation?: Pair }, conv: boolean) => {
    const w = windowOf(needImage(i), { kernel: m.kernel, stride: m.stride, padding: m.padding, dilation: m.dilation }, name(i), conv ? 'one' : 'kernel', conv);
    if (!conv && (2 * w.ph > w.kh || 2 * w.pw > w.kw)) throw new DescentError(`${name(i)}: padding must be at most half the kernel (as PyTorch)`);
    return w;
  };
  modules.forEach((m, i) => {
    const prev = layers[layers.length - 1] as Loose | undefined;
    switch (m.kind) {
      case 'Linear':
        needFlat(i, m.inFeatures, 'in_features');
        push(i, { units: m.outFeatures, activation: 'linear', bias: m.bias });
        width = m.outFeatures;
        return;
      case 'BatchNorm1d': case 'LayerNorm':
        if (layers.length === 0) throw new DescentError(`${name(i)}: descent's normalization layers follow a Linear layer; a model cannot start with one`);
        needFlat(i, m.features, 'features');
        push(i, m.kind === 'BatchNorm1d' ? { type: 'batchnorm', eps: m.eps, momentum: m.momentum, activation: 'linear' } : { type: 'layernorm', eps: m.eps, activation: 'linear' });
        return;
      case 'BatchNorm2d': {
        if (layers.length === 0) throw new DescentError(`${name(i)}: descent's batch norm follows a Conv2d or Linear layer; a model cannot start with one`);
        const [, , c] = needImage(i);
        if (m.features !== c) throw new DescentError(`${name(i)}: ${m.features} channels, but the module before outputs ${c}`);
        push(i, { type: 'batchnorm', eps: m.eps, momentum: m.momentum, activation: 'linear' });
        return;
      }
      case 'Dropout':
        if (layers.length === 0) throw new DescentError(`${name(i)}: descent's dropout follows a Linear layer; a model cannot start with one`);
        push(i, { type: 'dropout', rate: m.p });
        return;
      case 'Dropout2d':
        needImage(i);
        push(i, { type: 'dropout2d', rate: m.p });
        return;
      case 'Conv2d': {
        const [, , c] = needImage(i);
        if (m.inChannels !== c) throw new DescentError(`${name(i)}: in_channels ${m.inChannels}, but the ${layers.length === 0 ? 'input has' : 'module before outputs'} ${c} channels`);
        if (c % m.groups !== 0 || m.outChannels % m.groups !== 0) throw new DescentError(`${name(i)}: groups ${m.groups} must divide in_channels ${c} and out_channels ${m.outChannels}`);
        if (m.outChannels > 65536) throw new DescentError(`${name(i)}: out_channels ${m.outChannels} is too large`);
        const w = window(i, m, true);
        push(i, { type: 'conv2d', filters: m.outChannels, kernel: m.kernel, stride: m.stride, padding: m.padding, dilation: m.dilation, groups: m.groups, bias: m.bias, activation: 'linear' });
        img = [w.oh, w.ow, m.outChannels];
        return;
      }
      case 'MaxPool2d': case 'AvgPool2d': {
        const [, , c] = needImage(i);
        const w = window(i, m, false);
        push(i, m.kind === 'MaxPool2d' ? { type: 'maxpool2d', kernel: m.kernel, stride: m.stride, padding: m.padding }
          : { type: 'avgpool2d', kernel: m.kernel, stride: m.stride, padding: m.padding, countIncludePad: m.countIncludePad });
        img = [w.oh, w.ow, c];
        return;
      }
      case 'AdaptiveAvgPool2d': {
        const [, , c] = needImage(i);
        push(i, { type: 'globalavgpool' });
        img = [1, 1, c];
        return;
      }
      case 'Flatten':
        if (!img) return; // flat already: a no-op
        width = img[0] * img[1] * img[2];
        // a 1×1 image reads the same in both layouts: the Dense layer after it takes it as it is
        if (img[0] * img[1] > 1) push(i, { type: 'flatten' });
        img = undefined;
        return;
      case 'Identity':
        return;
      case 'Softmax': case 'LogSoftmax':
        if (i !== modules.length - 1 || typeOf(prev as AnyLayerSpec) !== 'dense' || (prev?.activation ?? 'linear') !== 'linear') {
          throw new DescentError(`${name(i)}: only accepted as the last module, after a Linear one (descent outputs logits and applies softmax in predict)`);
        }
        if (lossName !== undefined && lossName !== 'softmax-cross-entropy') throw new DescentError(`${name(i)}: a final ${m.kind} goes with loss softmax-cross-entropy, not ${lossName}`);
        return;
      default: {
        const act = m.kind === 'GELU' ? (m.approximate === 'tanh' ? 'gelu-tanh' : 'gelu') : MODULE_ACT[m.kind];
        // an activation after max pooling or flattening belongs to the layer before them
        const slope = m.kind === 'LeakyReLU' ? m.slope : m.kind === 'ELU' ? m.alpha : 0;
        const monotone = slope >= 0 && !NOT_MONOTONE.includes(m.kind);
        let j = layers.length - 1;
        while (j >= 0 && (typeOf(layers[j]) === 'flatten' || typeOf(layers[j]) === 'maxpool2d' && monotone)) j--;
        const target = layers[j] as Loose | undefined;
        if (!target) throw new DescentError(`${name(i)}: an activation before the first Linear or Conv2d layer has no descent equivalent`);
        const t = typeOf(target as AnyLayerSpec)!;
        if (t === 'dropout') throw new DescentError(`${name(i)}: an activation after Dropout has no descent equivalent (put it before the Dropout)`);
        if (!TAKES_ACTIVATION.includes(t)) throw new DescentError(`${name(i)}: an activation after ${TORCH_NAME[t] ?? t} has no descent equivalent (descent applies activations after Linear, Conv2d and normalization layers; put it before the ${TORCH_NAME[t] ?? t})`);
        if (target.activation !== 'linear') throw new DescentError(`${name(i)}: two activations in a row (${target.activation}, then ${act})`);
        target.activation = act;
        if (m.kind === 'LeakyReLU') target.alpha = m.slope;
        if (m.kind === 'ELU') target.alpha = m.alpha;
      }
    }
  });
  if (!layers.some((l) => typeOf(l) === 'dense')) throw new DescentError(`${what}: no Linear layer`);
  const inputs = typeof inputShape === 'object' ? [inputShape[0], inputShape[1], inputShape[2]] as const
    : typeof inputShape === 'number' ? inputShape : (layers[0] as { units?: number }).units !== undefined ? (modules[index[0]] as { inFeatures: number }).inFeatures : 0;
  return { spec: { inputs, layers, ...(loss !== undefined ? { loss } : {}) }, index };
}
