// Gradient check: the backpropagated gradient against central differences of the loss, on a
// few randomly chosen parameters of every layer's weights and bias.
//
// For a parameter θᵢ with analytic derivative aᵢ = ∂L/∂θᵢ (model.lossAndGradient):
//   h   = ε·max(1, |θᵢ|)                            (default ε = 1e-2, see below)
//   θ±  = fl₃₂(θᵢ ± h)                               (the values the network actually sees)
//   nᵢ  = (L(θ+) − L(θ−)) / (θ+ − θ−)                (central difference, O(h²) truncation)
//   absolute error  |aᵢ − nᵢ|
//   relative error  max(0, |aᵢ − nᵢ| − ν) / max(|aᵢ|, |nᵢ|, τ)
//                   ν = κ·ε₃₂·|L|/(2h)   the float32 resolution of the quotient at the first
//                                        step h (κ = noise, default 32)
//                   τ = floor·max_j |a_j|  (floor 1e-2)
// The network computes in float32, so L carries a rounding error of a few ε₃₂·|L| (ε₃₂ = 2⁻²³;
// every perturbation re-rounds the whole forward pass), and the quotient divides it by 2h.
// ε = 1e-2 balances that (≈ 1e-5·|L| absolute per ulp) against the h² truncation term; a much
// smaller ε (the float64 habit, 1e-6) would measure rounding noise only. Measured differences
// of correct gradients reach ~20 ulps of L / 2h, so up to κ = 32 of them are not counted as
// error. The floor τ keeps derivatives that are zero up to noise (a dead unit, an input that
// is 0) from reporting huge relative errors on nothing; it is relative to the largest gradient
// entry, so it scales with the loss. Both allowances mean a float32 check cannot see errors
// smaller than about ν (absolute) or in entries far below the largest. Denominator θ+ − θ− (not 2h) removes the error of
// rounding θ ± h to float32.
// Non-smooth activations (relu, leaky-relu): if θ ± h moves some pre-activation across 0 the
// difference quotient mixes two slopes (an O(1) error on that entry). So an entry whose error
// exceeds tolerance/10 is recomputed centrally with h/10 and h/100 (a kink at distance
// between h/100 and h is left behind), then one-sided to second order on either side,
//   (−3L(θ) + 4L(θ ± h) − L(θ ± 2h)) / (±2h)   (O(h²), from points on one side only),
// which misses a kink closer than h/100 on the other side; the smallest error is reported.
// A wrong gradient is wrong by every formula; a kink leaves at most one of them.
// Bound: a correct gradient in float32 passes `maxRelativeError ≤ tolerance`, default 1e-2.
// Measured on tanh/relu/sigmoid MLPs (5 → 8 → 6 → …, batch 12) with each of the four losses,
// 100 initializations each, both ISAs: every one passes, worst 1.6e-3 (without the rounding
// allowance, noise 0: worst 1.5e-2, and 7 of 800 fail). One layer's weight gradient scaled by
// 1.1 shows as 8.4e-2 in that layer, by 1.03 as 2.2e-2; a flipped sign as 2
// (test/diagnostics-gradient-check.test.ts).
// The parameters are restored bit for bit before returning (also when an evaluation throws);
// the gradient buffer holds the batch's backpropagated gradient afterwards.

import { DescentError, show } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import type { Batch, DenseLayer, Model } from '../nn/model.js';
import { Random } from '../random.js';
import { checkOptionKeys } from '../engine/options.js';

const F32_EPS = 2 ** -23;

/** What gradientCheck needs of a model (a Model, or a wrapper around one). */
export type Checkable = Pick<Model, 'layers' | 'parameterCount' | 'parameters' | 'gradients' | 'lossAndGradient' | 'lossOnly'>;

export interface GradientCheckOptions {
  /** Parameters checked per layer in the weights, and again in the bias (default 10; all if fewer). */
  samples?: number;
  /** Relative step ε: h = ε·max(1, |θᵢ|) (default 1e-2). */
  epsilon?: number;
  /** Seed of the choice of parameters (default 0). */
  seed?: number;
  /** τ/max|a|: floor of the relative error's denominator (default 1e-2). */
  floor?: number;
  /** κ: rounding allowance in units of ε₃₂·|L| (default 32; 0 counts every difference). */
  noise?: number;
  /** Bound on the max relative error for `passed` (default 1e-2). */
  tolerance?: number;
}

export interface LayerGradientCheck {
  layer: number;
  /** The layer, e.g. "Dense(4→3, tanh)". */
  kind: string;
  /** Parameters checked (weights + bias). */
  checked: number;
  maxRelativeError: number;
  maxAbsoluteError: number;
  /** The worst entry: flat parameter index, analytic and numeric derivative. */
  worst: { index: number; analytic: number; numeric: number };
}

export interface GradientCheck {
  layers: LayerGradientCheck[];
  maxRelativeError: number;
  maxAbsoluteError: number;
  /** maxRelativeError ≤ tolerance. */
  passed: boolean;
  tolerance: number;
  /** The batch's loss at θ. */
  loss: number;
  /** Difference quotients recomputed (smaller steps, one-sided) for entries above tolerance/10. */
  retried: number;
}

/** (L(θ+) − L(θ−)) / (θ+ − θ−) for parameter i at value t, step h; leaves θᵢ = t. */
function centralDifference(model: Checkable, batch: Batch, params: Tensor, t: number, i: number, h: number): number {
  params.data[i] = t + h;
  const up = params.data[i];
  const lp = model.lossOnly(batch);
  params.data[i] = t - h;
  const down = params.data[i];
  const lm = model.lossOnly(batch);
  params.data[i] = t;
  return (lp - lm) / (up - down);
}

/**
 * One-sided second-order quotient from L(θ) = l0 and two points on one side (sign ±1), exact
 * for quadratics at the float32-rounded offsets d₁ ≈ ±h, d₂ ≈ ±2h:
 *   f'(θ) ≈ −(d₁+d₂)/(d₁d₂)·L₀ + d₂/(d₁(d₂−d₁))·L₁ − d₁/(d₂(d₂−d₁))·L₂.
 */
function oneSidedDifference(model: Checkable, batch: Batch, params: Tensor, t: number, i: number, h: number, l0: number): number {
  params.data[i] = t + h;
  const d1 = params.data[i] - t;
  const l1 = model.lossOnly(batch);
  params.data[i] = t + 2 * h;
  const d2 = params.data[i] - t;
  const l2 = model.lossOnly(batch);
  params.data[i] = t;
  return (-(d1 + d2) / (d1 * d2)) * l0 + (d2 / (d1 * (d2 - d1))) * l1 - (d1 / (d2 * (d2 - d1))) * l2;
}

function positive(v: number | undefined, dflt: number, name: string): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 0)) throw new DescentError(`gradientCheck: ${name} must be a finite number > 0, got ${show(v)}`);
  return x;
}

/** k distinct indices in [0, n) (all of them when k ≥ n), sorted. */
function choose(n: number, k: number, rng: Random): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const picked = new Set<number>();
  while (picked.size < k) picked.add(rng.int(n));
  return [...picked].sort((a, b) => a - b);
}

/** Check the backpropagated gradient of `model` on `batch` against central differences (see the header). */
export function gradientCheck(model: Checkable, batch: Batch, opts: GradientCheckOptions = {}): GradientCheck {
  checkOptionKeys(opts, 'gradientCheck', ['samples', 'epsilon', 'seed', 'floor', 'noise', 'tolerance']);
  const samples = opts.samples ?? 10;
  if (!Number.isSafeInteger(samples) || samples < 1) throw new DescentError(`gradientCheck: samples must be a positive integer, got ${show(opts.samples)}`);
  const epsilon = positive(opts.epsilon, 1e-2, 'epsilon');
  const floor = positive(opts.floor, 1e-2, 'floor');
  const tolerance = positive(opts.tolerance, 1e-2, 'tolerance');
  const noise = opts.noise ?? 32;
  if (typeof noise !== 'number' || !(noise >= 0) || !Number.isFinite(noise)) throw new DescentError(`gradientCheck: noise must be a finite number ≥ 0, got ${show(opts.noise)}`);
  const seed = opts.seed ?? 0;
  if (!Number.isFinite(seed)) throw new DescentError(`gradientCheck: seed must be a finite number, got ${seed}`);
  const rng = new Random(seed);

  const params: Tensor = model.parameters();
  const saved = params.toArray();
  try {
    const loss = model.lossAndGradient(batch);
    const analytic = model.gradients().toArray();
    let amax = 0;
    for (let i = 0; i < analytic.length; i++) amax = Math.max(amax, Math.abs(analytic[i]));
    const tau = floor * Math.max(amax, Number.MIN_VALUE);
    let retried = 0;
    const layers = model.layers.map((l: DenseLayer) => {
      const idx = choose(l.inputs * l.units, samples, rng).map((i) => l.weightOffset + i);
      if (l.hasBias) for (const i of choose(l.units, samples, rng)) idx.push(l.biasOffset + i);
      let rel = 0, abs = 0;
      let worst = { index: idx[0], analytic: 0, numeric: 0 };
      for (const i of idx) {
        const a = analytic[i];
        let e = Infinity, r = Infinity, numeric = NaN;
        const h0 = epsilon * Math.max(1, Math.abs(saved[i]));
        const nu = (noise * F32_EPS * Math.abs(loss)) / (2 * h0); // float32 resolution of the quotient at h₀
        // an entry above tolerance/10 is retried (a kink near θ?): central at h/10 and h/100, then
        // one-sided at h on either side; the smallest error counts
        for (let s = 0; s < 5 && !(r <= 0.1 * tolerance); s++) {
          const n = s < 3
            ? centralDifference(model, batch, params, saved[i], i, h0 / 10 ** s)
            : oneSidedDifference(model, batch, params, saved[i], i, s === 3 ? h0 : -h0, loss);
          const es = Math.abs(a - n);
          // the one-sided quotient weighs three rounded losses by 3/2h, 4/2h, 1/2h: 4× the allowance
          const rs = Math.max(0, es - (s < 3 ? nu : 4 * nu)) / Math.max(Math.abs(a), Math.abs(n), tau);
          if (s === 0 || rs < r) { e = es; r = rs; numeric = n; }
          if (s > 0) retried++;
        }
        // NaN (a loss that overflowed) counts as a failure, not as 0
        if (!Number.isNaN(rel) && !(r <= rel)) { rel = r; worst = { index: i, analytic: a, numeric }; }
        if (!Number.isNaN(abs) && !(e <= abs)) abs = e;
      }
      return { layer: l.index, kind: l.describe(), checked: idx.length, maxRelativeError: rel, maxAbsoluteError: abs, worst };
    });
    const maxRelativeError = layers.reduce((m, l) => (l.maxRelativeError > m || Number.isNaN(l.maxRelativeError) ? l.maxRelativeError : m), 0);
    const maxAbsoluteError = layers.reduce((m, l) => (l.maxAbsoluteError > m || Number.isNaN(l.maxAbsoluteError) ? l.maxAbsoluteError : m), 0);
    return { layers, maxRelativeError, maxAbsoluteError, passed: maxRelativeError <= tolerance, tolerance, loss, retried };
  } finally {
    params.data.set(saved);
  }
}
