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
//
// so the state_dict names are <module index>.weight etc. exactly as torch numbers them. The
// other way, parseSequential reads the module list of the first nn.Sequential(...) in a Python
// text (the .py exportTorch writes, or a hand-written simple one: calls of nn.X(args) with
// literal arguments), and modulesToSpec turns modules into a descent ModelSpec, also accepting
// nn.Identity and nn.Flatten (no-ops on [batch, features]) and a final nn.Softmax/LogSoftmax
// (descent's softmax-cross-entropy models output logits and apply softmax in predict).

import { DescentError, show } from '../../engine/errors.js';
import type { AnyLayerSpec, DenseLayer, ModelSpec } from '../../nn/model.js';
import type { ActivationName } from '../../nn/activations.js';

export type TorchModule =
  | { kind: 'Linear'; inFeatures: number; outFeatures: number; bias: boolean }
  | { kind: 'BatchNorm1d'; features: number; eps: number; momentum: number }
  | { kind: 'LayerNorm'; features: number; eps: number }
  | { kind: 'Dropout'; p: number }
  | { kind: 'Tanh' | 'ReLU' | 'Sigmoid' | 'Softsign' | 'Identity' | 'Flatten' | 'Softmax' | 'LogSoftmax' }
  | { kind: 'LeakyReLU'; slope: number }
  | { kind: 'ELU'; alpha: number };

const ACT_MODULE: Partial<Record<ActivationName, string>> = { tanh: 'Tanh', relu: 'ReLU', sigmoid: 'Sigmoid', softsign: 'Softsign', 'leaky-relu': 'LeakyReLU', elu: 'ELU' };

/** The modules of a model's layers, and for each layer the index of its module. */
export function modulesOf(layers: readonly DenseLayer[]): { modules: TorchModule[]; index: number[] } {
  const modules: TorchModule[] = [];
  const index: number[] = [];
  for (const l of layers) {
    index.push(modules.length);
    switch (l.type) {
      case 'dense': modules.push({ kind: 'Linear', inFeatures: l.inputs, outFeatures: l.units, bias: l.hasBias }); break;
      case 'batchnorm': modules.push({ kind: 'BatchNorm1d', features: l.units, eps: l.eps!, momentum: l.momentum! }); break;
      case 'layernorm': modules.push({ kind: 'LayerNorm', features: l.units, eps: l.eps! }); break;
      case 'dropout': modules.push({ kind: 'Dropout', p: l.rate! }); break;
    }
    if (l.activation === 'leaky-relu') modules.push({ kind: 'LeakyReLU', slope: l.alpha });
    else if (l.activation === 'elu') modules.push({ kind: 'ELU', alpha: l.alpha });
    else if (l.activation !== 'linear') modules.push({ kind: ACT_MODULE[l.activation] as 'Tanh' });
  }
  return { modules, index };
}

/** Python float literal (JS and Python agree on shortest round-trip reprs, save the exponent form). */
export function pyFloat(x: number): string {
  const s = String(x);
  return /[.en]/.test(s) ? s : `${s}.0`;
}

/** The module as Python source, e.g. `nn.Linear(64, 16)`. */
export function moduleSource(m: TorchModule): string {
  switch (m.kind) {
    case 'Linear': return `nn.Linear(${m.inFeatures}, ${m.outFeatures}${m.bias ? '' : ', bias=False'})`;
    case 'BatchNorm1d': return `nn.BatchNorm1d(${m.features}, eps=${pyFloat(m.eps)}, momentum=${pyFloat(m.momentum)})`;
    case 'LayerNorm': return `nn.LayerNorm(${m.features}, eps=${pyFloat(m.eps)})`;
    case 'Dropout': return `nn.Dropout(p=${pyFloat(m.p)})`;
    case 'LeakyReLU': return `nn.LeakyReLU(negative_slope=${pyFloat(m.slope)})`;
    case 'ELU': return `nn.ELU(alpha=${pyFloat(m.alpha)})`;
    case 'Softmax': case 'LogSoftmax': return `nn.${m.kind}(dim=1)`;
    default: return `nn.${m.kind}()`;
  }
}

/** Signatures: positional parameter names, and their defaults (undefined: required). */
const SIGNATURES: Record<string, [string, number | boolean | undefined][]> = {
  Linear: [['in_features', undefined], ['out_features', undefined], ['bias', true]],
  BatchNorm1d: [['num_features', undefined], ['eps', 1e-5], ['momentum', 0.1], ['affine', true], ['track_running_stats', true]],
  LayerNorm: [['normalized_shape', undefined], ['eps', 1e-5], ['elementwise_affine', true]],
  Dropout: [['p', 0.5], ['inplace', false]],
  LeakyReLU: [['negative_slope', 0.01], ['inplace', false]],
  ELU: [['alpha', 1], ['inplace', false]],
  ReLU: [['inplace', false]], Tanh: [], Sigmoid: [], Softsign: [], Identity: [],
  Flatten: [['start_dim', 1], ['end_dim', -1]],
  Softmax: [['dim', undefined]], LogSoftmax: [['dim', undefined]],
};

/**
 * The modules of the first `nn.Sequential(...)` in Python source. Arguments must be literals
 * (ints, floats, True/False, a one-element list or tuple for LayerNorm's shape).
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
  // arguments may hold one level of parentheses: nn.LayerNorm((16,))
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
  const sig = SIGNATURES[kind];
  if (!sig) throw new DescentError(`${what}: unsupported module (supported: ${Object.keys(SIGNATURES).join(', ')})`);
  const values = new Map<string, number | boolean>();
  // split at the commas outside brackets: (16,) is one argument
  const parts = args.split(/,(?![^([]*[)\]])/).map((s) => s.trim()).filter((s) => s.length > 0);
  parts.forEach((p, k) => {
    const eq = p.match(/^(\w+)\s*=\s*(.+)$/);
    const name = eq ? eq[1] : sig[k]?.[0];
    if (!name || !sig.some(([n]) => n === name)) throw new DescentError(`${what}: unexpected argument ${p}`);
    values.set(name, literal(eq ? eq[2] : p, `${what}: ${name}`));
  });
  const get = (name: string): number | boolean => {
    const v = values.get(name) ?? sig.find(([n]) => n === name)![1];
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
  switch (kind) {
    case 'Linear': return { kind, inFeatures: int('in_features'), outFeatures: int('out_features'), bias: get('bias') !== false };
    case 'BatchNorm1d':
      if (get('affine') === false || get('track_running_stats') === false) throw new DescentError(`${what}: affine=False and track_running_stats=False have no descent equivalent (descent's batch norm has γ, β and running statistics)`);
      return { kind, features: int('num_features'), eps: num('eps'), momentum: num('momentum') };
    case 'LayerNorm':
      if (get('elementwise_affine') === false) throw new DescentError(`${what}: elementwise_affine=False has no descent equivalent`);
      return { kind, features: int('normalized_shape'), eps: num('eps') };
    case 'Dropout': return { kind, p: num('p') };
    case 'LeakyReLU': return { kind, slope: num('negative_slope') };
    case 'ELU': return { kind, alpha: num('alpha') };
    case 'Softmax': case 'LogSoftmax': {
      const d = get('dim');
      if (d !== 1 && d !== -1) throw new DescentError(`${what}: dim must be 1 or -1 (over the features), got ${show(d)}`);
      return { kind };
    }
    case 'Flatten':
      return { kind };
    default: return { kind: kind as 'Tanh' };
  }
}

function literal(s: string, what: string): number | boolean {
  const t = s.trim().replace(/^[[(]\s*([^,\])]+?)\s*,?\s*[\])]$/, '$1');
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') throw new DescentError(`${what}: None is not supported`);
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  throw new DescentError(`${what}: expected a literal number or True/False, got ${s}`);
}

const MODULE_ACT: Record<string, ActivationName> = { Tanh: 'tanh', ReLU: 'relu', Sigmoid: 'sigmoid', Softsign: 'softsign', LeakyReLU: 'leaky-relu', ELU: 'elu' };

/**
 * A descent spec for a module list, and for each descent layer the index of its module (the
 * prefix of its tensors). Refuses what descent cannot express, naming the module.
 */
export function modulesToSpec(modules: readonly TorchModule[], what: string, loss?: string): { spec: ModelSpec; index: number[] } {
  const layers: AnyLayerSpec[] = [];
  const index: number[] = [];
  let inputs = 0, width = 0;
  const name = (i: number) => `${what}: module ${i} ${moduleSource(modules[i])}`;
  modules.forEach((m, i) => {
    const prev = layers[layers.length - 1] as { type?: string; activation?: string; alpha?: number } | undefined;
    switch (m.kind) {
      case 'Linear':
        if (layers.length === 0) inputs = m.inFeatures;
        else if (m.inFeatures !== width) throw new DescentError(`${name(i)}: in_features ${m.inFeatures}, but the module before outputs ${width}`);
        layers.push({ units: m.outFeatures, activation: 'linear', bias: m.bias });
        index.push(i);
        width = m.outFeatures;
        return;
      case 'BatchNorm1d': case 'LayerNorm':
        if (layers.length === 0) throw new DescentError(`${name(i)}: descent's normalization layers follow a Linear layer; a model cannot start with one`);
        if (m.features !== width) throw new DescentError(`${name(i)}: ${m.features} features, but the module before outputs ${width}`);
        layers.push(m.kind === 'BatchNorm1d' ? { type: 'batchnorm', eps: m.eps, momentum: m.momentum, activation: 'linear' } : { type: 'layernorm', eps: m.eps, activation: 'linear' });
        index.push(i);
        return;
      case 'Dropout':
        if (layers.length === 0) throw new DescentError(`${name(i)}: descent's dropout follows a Linear layer; a model cannot start with one`);
        layers.push({ type: 'dropout', rate: m.p });
        index.push(i);
        return;
      case 'Identity': case 'Flatten':
        return;
      case 'Softmax': case 'LogSoftmax':
        if (i !== modules.length - 1 || prev?.type !== undefined && prev.type !== 'dense' || (prev?.activation ?? 'linear') !== 'linear') {
          throw new DescentError(`${name(i)}: only accepted as the last module, after a Linear one (descent outputs logits and applies softmax in predict)`);
        }
        if (loss !== undefined && loss !== 'softmax-cross-entropy') throw new DescentError(`${name(i)}: a final ${m.kind} goes with loss softmax-cross-entropy, not ${loss}`);
        return;
      default: {
        const act = MODULE_ACT[m.kind];
        if (!prev) throw new DescentError(`${name(i)}: an activation before the first Linear layer has no descent equivalent`);
        if (prev.type === 'dropout') throw new DescentError(`${name(i)}: an activation after Dropout has no descent equivalent (put it before the Dropout)`);
        if (prev.activation !== 'linear') throw new DescentError(`${name(i)}: two activations in a row (${prev.activation}, then ${act})`);
        prev.activation = act;
        if (m.kind === 'LeakyReLU') prev.alpha = m.slope;
        if (m.kind === 'ELU') prev.alpha = m.alpha;
      }
    }
  });
  if (layers.length === 0) throw new DescentError(`${what}: no Linear layer`);
  return { spec: { inputs, layers, ...(loss !== undefined ? { loss } : {}) }, index };
}
