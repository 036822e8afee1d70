// Weight initializers, drawn from the seeded generator of src/random.ts in f64 and rounded to
// f32, so the same seed gives the same weights on every engine.
//
//   zeros / constant(c)       every weight equal: hidden units stay identical (the symmetry problem)
//   normal(mean, std)         N(mean, std²)
//   truncated-normal(std)     N(0, std²), values beyond ±2σ re-drawn
//   uniform(limit)            U(−limit, limit)
//   glorot-uniform            U(−a, a),  a = gain·√(6/(fan_in + fan_out))     Glorot & Bengio 2010
//   glorot-normal             N(0, σ²),  σ = gain·√(2/(fan_in + fan_out))
//   he-normal                 N(0, σ²),  σ = gain/√fan,  fan = fan_in (mode 'fan_in', default)
//   he-uniform                U(−a, a),  a = gain·√(3/fan)   or fan_out (mode 'fan_out')  He et al. 2015
//   torch-default             weights U(±1/√fan_in), bias U(±1/√fan_in): torch.nn.Linear's and
//                             Conv2d's reset_parameters (1.13), kaiming_uniform_(w, a=√5) — He
//                             uniform with leaky-ReLU gain √(2/(1+a²)) = 1/√3, so a = √(3/fan_in)/√3
//                             — and the bias from the same fan_in. The only initializer that draws
//                             the bias (after the weights, as torch); the others set it to 0.
// For a Dense layer with weights [fan_in, fan_out]; a convolution counts as PyTorch does, fan_in =
// (c/groups)·kh·kw and fan_out = filters·kh·kw (torch's kaiming_* with mode='fan_out' on a
// Linear weight [out, in] uses out, on a Conv2d weight filters·kh·kw: the same numbers).
//
// Gains (Glorot and He families), `gain` in the spec:
//   'lecture' (default)  activationGain (activations.ts): the lectures' 1 for linear, tanh,
//                        softsign, elu; 4 for the logistic sigmoid (its slope at 0 is ¼); √2 for
//                        ReLU; √(2/(1+α²)) for leaky ReLU (and torch's 3/4 for SELU, 1 elsewhere)
//   'torch'              torch.nn.init.calculate_gain: 1 for linear and sigmoid, 5/3 for tanh, √2
//                        for ReLU, √(2/(1+α²)) for leaky ReLU (α the layer's slope; torch's own
//                        default slope is 0.01, as descent's), 3/4 for SELU. torch has no gain for
//                        the other activations (calculate_gain raises): descent uses 1 there.
//   a number             that gain.
// The two tables differ for tanh (1 vs 5/3) and sigmoid (4 vs 1) only. A porting user who wrote
// xavier_uniform_(w, gain=calculate_gain('tanh')) writes { name: 'glorot-uniform', gain: 'torch' }.
// Where descent differs from torch.nn.init on purpose: kaiming_* take the nonlinearity as an
// argument (default 'leaky_relu' with a = 0: gain √2, whatever follows the layer); descent takes
// it from the layer's own activation, so kaiming_normal_(w) on a tanh layer is
// { name: 'he-normal', gain: Math.SQRT2 }. Specs may be given as text, "NAME[:key=value,…]"
// (the CLI's --init): "he-normal:mode=fan_out,gain=torch", "normal:std=0.01".

import { DescentError, show } from '../engine/errors.js';
import { Random } from '../random.js';
import { activationGain, type ActivationName } from './activations.js';

export const INITIALIZERS = ['zeros', 'constant', 'normal', 'truncated-normal', 'uniform',
  'glorot-uniform', 'glorot-normal', 'he-normal', 'he-uniform', 'torch-default'] as const;
export type InitName = (typeof INITIALIZERS)[number];
/** An initializer as text: its name, or "NAME:key=value,…" (see the header). */
export type InitText = InitName | `${InitName}:${string}`;

/** Which gain table the Glorot and He families use: see the header. */
export type GainChoice = 'lecture' | 'torch' | number;

export interface InitSpec {
  name: InitName;
  /** constant: the value; normal: the mean. */
  value?: number;
  /** normal / truncated-normal standard deviation (default 0.05). */
  std?: number;
  /** uniform half-width (default 0.05). */
  limit?: number;
  /** Glorot and He families: 'lecture' (default), 'torch' (calculate_gain) or a number. */
  gain?: GainChoice;
  /** He family: the fan the variance is scaled by (default 'fan_in'). */
  mode?: 'fan_in' | 'fan_out';
}

const KEYS = ['name', 'value', 'std', 'limit', 'gain', 'mode'] as const;
const GAINED: readonly InitName[] = ['glorot-uniform', 'glorot-normal', 'he-normal', 'he-uniform'];

/** "NAME[:key=value,…]" as an InitSpec object (numbers where the text is one), unchecked. */
function parseInitText(text: string, what: string): Record<string, unknown> {
  const colon = text.indexOf(':');
  if (colon < 0) return { name: text };
  const out: Record<string, unknown> = { name: text.slice(0, colon) };
  for (const part of text.slice(colon + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new DescentError(`${what}: initializer ${JSON.stringify(text)}: expected key=value after the name, got ${JSON.stringify(part)}`);
    const key = part.slice(0, eq).trim(), v = part.slice(eq + 1).trim();
    out[key] = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

/** Validates an initializer spec (a name, "NAME[:key=value,…]" text or an object); returns it as an object. */
export function checkInit(spec: unknown, what: string): InitSpec {
  const s = typeof spec === 'string' ? parseInitText(spec, what) : spec;
  if (!s || typeof s !== 'object' || !INITIALIZERS.includes((s as InitSpec).name)) {
    const shown = typeof spec === 'string' ? spec : JSON.stringify(spec);
    throw new DescentError(`${what}: unknown initializer ${JSON.stringify(shown)}; known: ${INITIALIZERS.join(', ')}`);
  }
  const out = s as InitSpec;
  for (const k of Object.keys(out)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new DescentError(`${what}: initializer ${out.name}: unknown key ${JSON.stringify(k)}; known: ${KEYS.join(', ')}`);
  }
  for (const key of ['value', 'std', 'limit'] as const) {
    const v = out[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new DescentError(`${what}: initializer ${key} must be a finite number, got ${show(v)}`);
    }
  }
  if (out.std !== undefined && out.std < 0) throw new DescentError(`${what}: initializer std must be ≥ 0, got ${out.std}`);
  const g = out.gain;
  if (g !== undefined) {
    if (!(typeof g === 'number' && Number.isFinite(g)) && g !== 'lecture' && g !== 'torch') {
      throw new DescentError(`${what}: initializer gain must be a finite number, 'lecture' or 'torch', got ${show(g)}`);
    }
    if (!GAINED.includes(out.name)) throw new DescentError(`${what}: initializer ${out.name} takes no gain (only ${GAINED.join(', ')})`);
  }
  if (out.mode !== undefined) {
    if (out.mode !== 'fan_in' && out.mode !== 'fan_out') throw new DescentError(`${what}: initializer mode must be 'fan_in' or 'fan_out', got ${show(out.mode)}`);
    if (out.name !== 'he-normal' && out.name !== 'he-uniform') throw new DescentError(`${what}: initializer ${out.name} takes no mode (only he-normal, he-uniform)`);
  }
  return out;
}

/**
 * torch.nn.init.calculate_gain(nonlinearity, α) for descent's activation names; 1 where torch
 * has no entry (it raises there).
 */
export function torchGain(activation: string, alpha = 0.01): number {
  switch (activation) {
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky-relu': return Math.sqrt(2 / (1 + alpha * alpha));
    case 'selu': return 3 / 4;
    default: return 1; // linear, sigmoid (torch's 1), and activations torch gives no gain
  }
}

/** The gain a Glorot/He initializer uses for a layer with activation `act` (see the header). */
export function initGain(spec: InitSpec, act: { name: string; alpha: number }): number {
  const g = spec.gain ?? 'lecture';
  if (typeof g === 'number') return g;
  return g === 'torch' ? torchGain(act.name, act.alpha) : activationGain(act.name as ActivationName, act.alpha);
}

/** Fill `out` (fan_in × fan_out weights) according to spec, for a layer whose output has activation `act`. */
export function initialize(out: Float32Array, spec: InitSpec, fanIn: number, fanOut: number, act: { name: string; alpha: number }, rng: Random): void {
  const g = initGain(spec, act);
  const n = out.length;
  switch (spec.name) {
    case 'zeros': out.fill(0); return;
    case 'constant': out.fill(spec.value ?? 0); return;
    case 'normal': {
      const mean = spec.value ?? 0, std = spec.std ?? 0.05;
      for (let i = 0; i < n; i++) out[i] = mean + std * rng.normal();
      return;
    }
    case 'truncated-normal': {
      const std = spec.std ?? 0.05;
      for (let i = 0; i < n; i++) {
        let z = rng.normal();
        while (Math.abs(z) > 2) z = rng.normal();
        out[i] = std * z;
      }
      return;
    }
    case 'uniform': {
      const a = spec.limit ?? 0.05;
      for (let i = 0; i < n; i++) out[i] = rng.range(-a, a);
      return;
    }
    case 'glorot-uniform': {
      const a = g * Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = rng.range(-a, a);
      return;
    }
    case 'glorot-normal': {
      const std = g * Math.sqrt(2 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = std * rng.normal();
      return;
    }
    case 'he-normal': {
      const std = g / Math.sqrt(spec.mode === 'fan_out' ? fanOut : fanIn);
      for (let i = 0; i < n; i++) out[i] = std * rng.normal();
      return;
    }
    case 'he-uniform': {
      const a = g * Math.sqrt(3 / (spec.mode === 'fan_out' ? fanOut : fanIn));
      for (let i = 0; i < n; i++) out[i] = rng.range(-a, a);
      return;
    }
    case 'torch-default': {
      const a = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) out[i] = rng.range(-a, a);
      return;
    }
  }
}

/** The bias after the weights: U(±1/√fan_in) for torch-default (drawn from the same rng), else 0. */
export function initializeBias(b: Float32Array, spec: InitSpec, fanIn: number, rng: Random): void {
  if (spec.name !== 'torch-default') {
    b.fill(0);
    return;
  }
  const a = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < b.length; i++) b[i] = rng.range(-a, a);
}
