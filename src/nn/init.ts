// Weight initializers, drawn from the seeded generator of src/random.ts in f64 and rounded to
// f32, so the same seed gives the same weights on every engine.
//
//   zeros / constant(c)       every weight equal: hidden units stay identical (the symmetry problem)
//   normal(mean, std)         N(mean, std²)
//   truncated-normal(std)     N(0, std²), values beyond ±2σ re-drawn
//   uniform(limit)            U(−limit, limit)
//   glorot-uniform            U(−a, a),  a = gain·√(6/(fan_in + fan_out))     Glorot & Bengio 2010
//   glorot-normal             N(0, σ²),  σ = gain·√(2/(fan_in + fan_out))
//   he-normal                 N(0, σ²),  σ = gain/√fan_in, gain √2 for ReLU   He et al. 2015
//   he-uniform                U(−a, a),  a = gain·√(3/fan_in)
// For a Dense layer with weights [fan_in, fan_out]. The gain comes from the layer's activation
// (src/nn/activations.ts) unless given.

import { DescentError, show } from '../engine/errors.js';
import { Random } from '../random.js';

export const INITIALIZERS = ['zeros', 'constant', 'normal', 'truncated-normal', 'uniform',
  'glorot-uniform', 'glorot-normal', 'he-normal', 'he-uniform'] as const;
export type InitName = (typeof INITIALIZERS)[number];

export interface InitSpec {
  name: InitName;
  /** constant: the value; normal: the mean. */
  value?: number;
  /** normal / truncated-normal standard deviation (default 0.05). */
  std?: number;
  /** uniform half-width (default 0.05). */
  limit?: number;
  /** Overrides the activation's gain for the Glorot and He families. */
  gain?: number;
}

export function checkInit(spec: unknown, what: string): InitSpec {
  const s = typeof spec === 'string' ? { name: spec } : spec;
  if (!s || typeof s !== 'object' || !INITIALIZERS.includes((s as InitSpec).name)) {
    const shown = typeof spec === 'string' ? spec : JSON.stringify(spec);
    throw new DescentError(`${what}: unknown initializer ${JSON.stringify(shown)}; known: ${INITIALIZERS.join(', ')}`);
  }
  const out = s as InitSpec;
  for (const key of ['value', 'std', 'limit', 'gain'] as const) {
    const v = out[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new DescentError(`${what}: initializer ${key} must be a finite number, got ${show(v)}`);
    }
  }
  if (out.std !== undefined && out.std < 0) throw new DescentError(`${what}: initializer std must be ≥ 0, got ${out.std}`);
  return out;
}

/** Fill `out` (fan_in × fan_out weights) according to spec. */
export function initialize(out: Float32Array, spec: InitSpec, fanIn: number, fanOut: number, gain: number, rng: Random): void {
  const g = spec.gain ?? gain;
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
      const std = g / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) out[i] = std * rng.normal();
      return;
    }
    case 'he-uniform': {
      const a = g * Math.sqrt(3 / fanIn);
      for (let i = 0; i < n; i++) out[i] = rng.range(-a, a);
      return;
    }
  }
}
