// Gradient noise (Neelakantan, Vilnis, Le, Sutskever, Kaiser, Kurach & Martens 2015, "Adding
// gradient noise improves learning for very deep networks", arXiv:1511.06807):
//   g ← g + N(0, σ_t²),   σ_t² = η/(1 + t)^γ,   t = 0, 1, 2, … the training step.
// The paper picks η from {0.01, 0.3, 1.0} and fixes γ = 0.55. A gradient transform, applied
// after backprop (and after clipping, if any) and before the update rule.
//
// The noise of element i at step t is a pure function of (seed, t, i): the wasm kernel
// (assembly/optim/gradient-noise.ts, addGaussianNoise) draws it from Philox-2x32-10 and
// Box–Muller in f64, so runs are reproducible, the same in every engine and build, and
// independent of how the vector is split into calls (pass each part's global offset).
// The TypeScript reference below computes the same Philox words bit for bit; its Box–Muller
// uses JavaScript's Math.log/cos/sin/sqrt instead of AssemblyScript's, so its f32 results may
// differ from the kernel's in the last bit, rarely.
//
// Defaults: η = 0.01, γ = 0.55, seed = 0.

import { DescentError, show } from '../engine/errors.js';
import type { Kernels } from '../engine/kernels.js';
import { checkOptionKeys } from '../engine/options.js';

export interface GradientNoiseOptions { eta?: number; gamma?: number; seed?: number }

export interface GradientNoise {
  readonly name: 'gradient-noise';
  readonly eta: number;
  readonly gamma: number;
  readonly seed: number;
  /** σ_t = √(η/(1 + t)^γ) for the 0-based step t. */
  sigma(t: number): number;
  /** g ← g + N(0, σ_t²) on the n floats at byte pointer gPtr; offset is the global index of g[0]. */
  apply(K: Kernels, n: number, gPtr: number, t: number, offset?: number): void;
}

const U32 = 2 ** 32;

function fail(msg: string): never {
  throw new DescentError(`gradientNoise: ${msg}`);
}
function checkU32(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= U32) fail(`${what} must be an integer in [0, 2^32), got ${show(x)}`);
  return x;
}

export function gradientNoise(o: GradientNoiseOptions = {}): GradientNoise {
  checkOptionKeys(o, 'gradientNoise', ['eta', 'gamma', 'seed']);
  for (const k of Object.keys(o)) if (!['eta', 'gamma', 'seed'].includes(k)) fail(`unknown option ${JSON.stringify(k)}; known: eta, gamma, seed`);
  const { eta = 0.01, gamma = 0.55, seed = 0 } = o;
  if (typeof eta !== 'number' || !Number.isFinite(eta) || eta < 0) fail(`eta must be a finite number ≥ 0, got ${show(eta)}`);
  if (typeof gamma !== 'number' || !Number.isFinite(gamma) || gamma < 0) fail(`gamma must be a finite number ≥ 0, got ${show(gamma)}`);
  checkU32(seed, 'seed');
  const sigma = (t: number): number => Math.sqrt(eta / (1 + checkU32(t, 'step t')) ** gamma);
  return {
    name: 'gradient-noise', eta, gamma, seed, sigma,
    apply(K, n, gPtr, t, offset = 0) {
      checkU32(offset, 'offset');
      if (!Number.isInteger(n) || n < 0 || offset + n > U32) fail(`n must be an integer ≥ 0 with offset + n ≤ 2^32, got n = ${n}, offset = ${offset}`);
      K.addGaussianNoise(n, gPtr, sigma(t), seed, t, offset);
    },
  };
}

// ---- references ----

/** The high 32 bits of the 64-bit product of two u32 (exact: 16-bit halves). */
function mulhi32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const lh = al * bh, hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 0x10000)) >>> 0;
}

/** Philox-2x32-10 (Random123) of the counter (c0, c1) under key: [x0, x1]. */
export function philox2x32(c0: number, c1: number, key: number): [number, number] {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, k = key >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi = mulhi32(0xd256d193, x0);
    const lo = Math.imul(0xd256d193, x0) >>> 0;
    x0 = (hi ^ k ^ x1) >>> 0;
    x1 = lo;
    k = (k + 0x9e3779b9) >>> 0;
  }
  return [x0, x1];
}

/** The standard normal the kernel adds (times σ) to element `index` at step `counter`. */
export function standardNormal(seed: number, counter: number, index: number): number {
  const [x0, x1] = philox2x32(Math.floor(index / 2), counter, seed);
  const u1 = (x0 + 0.5) * 2 ** -32, u2 = x1 * 2 ** -32;
  const r = Math.sqrt(-2 * Math.log(u1)), th = 2 * Math.PI * u2;
  return index % 2 === 0 ? r * Math.cos(th) : r * Math.sin(th);
}

/**
 * Reference of addGaussianNoise: g[i] ← g[i] + σ·z(seed, counter, offset + i), added in f64;
 * a Float32Array rounds the sum to f32 once on store, as the kernel does.
 */
export function addGaussianNoiseRef(g: Float32Array | Float64Array, sigma: number, seed: number, counter: number, offset = 0): void {
  for (let i = 0; i < g.length; i++) g[i] = g[i] + sigma * standardNormal(seed, counter, offset + i);
}
