// Gradient noise (src/optim/gradient-noise.ts, assembly/optim/gradient-noise.ts):
//  - Philox-2x32-10 against Random123's known-answer vectors, in TypeScript and in wasm;
//  - the distribution of 1e5 draws: mean, variance, P(|z| < 1), P(|z| < 2), fourth moment,
//    Kolmogorov–Smirnov distance to N(0, 1), correlations between neighbours, steps and seeds.
//    Bounds are 5 standard errors (KS: the 0.1% critical value); the draws are deterministic,
//    so these are fixed checks, not flaky ones;
//  - reproducibility (same seed and step, same bits: twice, in a fresh engine, in both builds),
//    independence of the split (any cut into calls with their offsets gives the same bits),
//    agreement with the TypeScript reference, and the σ_t schedule.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { DescentError } from '../src/engine/errors.js';
import { addGaussianNoiseRef, gradientNoise, philox2x32, standardNormal } from '../src/optim/gradient-noise.js';
import { bits } from './reference.js';
import { engineFor, isas } from './engines.js';

const N = 100_000;

/** Adds the noise of (seed, step t) to g in wasm, as one call or in pieces [cuts[i], cuts[i+1]). */
function noisy(e: Engine, g: Float32Array, o: { eta: number; seed: number }, t: number, offset = 0, cuts?: number[]): Float32Array {
  const noise = gradientNoise({ eta: o.eta, seed: o.seed });
  return e.scope(() => {
    const G = e.tensor([g.length], g);
    const edges = cuts ?? [0, g.length];
    for (let k = 0; k + 1 < edges.length; k++) {
      const a = edges[k], b = edges[k + 1];
      noise.apply(e.kernels, b - a, G.pointer() + 4 * a, t, offset + a);
    }
    return G.toArray();
  });
}

/** Φ(x) through erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2, k = 1 / (1 + 0.3275911 * z);
  const erf = 1 - k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function corr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) { sa += a[i]; sb += b[i]; sab += a[i] * b[i]; saa += a[i] * a[i]; sbb += b[i] * b[i]; }
  const cov = sab / n - (sa / n) * (sb / n);
  return cov / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
}

describe('Philox-2x32-10', () => {
  // Random123 kat_vectors: "philox2x32 10 <ctr0> <ctr1> <key>   <out0> <out1>"
  const KAT: [number, number, number, number, number][] = [
    [0x00000000, 0x00000000, 0x00000000, 0xff1dae59, 0x6cd10df2],
    [0xffffffff, 0xffffffff, 0xffffffff, 0x2c3f628b, 0xab4fd7ad],
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0xdd7ce038, 0xf62a4c12],
  ];
  it('the TypeScript reference matches the known-answer vectors', () => {
    for (const [c0, c1, k, x0, x1] of KAT) expect(philox2x32(c0, c1, k)).toEqual([x0, x1]);
  });
  for (const isa of isas) {
    it(`the wasm generator matches them (${isa})`, () => {
      const K = engineFor(isa).kernels;
      for (const [c0, c1, k, x0, x1] of KAT) {
        const x = BigInt.asUintN(64, K.philox2x32(c0, c1, k)); // an i64 arrives signed
        expect([Number(x & 0xffffffffn), Number(x >> 32n)]).toEqual([x0, x1]);
      }
    });
  }
});

for (const isa of isas) {
  describe(`gradient noise ${isa}`, () => {
    const e = engineFor(isa);

    it(`1e5 draws look like N(0, σ²): moments, tails, KS distance, no correlations`, () => {
      const eta = 0.3, sigma = Math.sqrt(0.3); // t = 0: σ² = η
      const z = Array.from(noisy(e, new Float32Array(N), { eta, seed: 12345 }, 0), (x) => x / sigma);
      const mean = z.reduce((s, x) => s + x, 0) / N;
      const variance = z.reduce((s, x) => s + (x - mean) ** 2, 0) / (N - 1);
      const m4 = z.reduce((s, x) => s + x ** 4, 0) / N;
      const within = (c: number) => z.filter((x) => Math.abs(x) < c).length / N;
      expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));                       // 0.0158
      expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / (N - 1)));     // 0.0224
      expect(Math.abs(m4 - 3)).toBeLessThan(5 * Math.sqrt(96 / N));                // E z⁸ − 9 = 96: 0.155
      expect(Math.abs(within(1) - 0.6826895)).toBeLessThan(5 * Math.sqrt(0.6827 * 0.3173 / N));
      expect(Math.abs(within(2) - 0.9544997)).toBeLessThan(5 * Math.sqrt(0.9545 * 0.0455 / N));
      expect(Math.max(...z.map(Math.abs))).toBeLessThan(6.77);                    // u1 ≥ 2^-33: |z| ≤ √(66 ln 2)
      const sorted = z.slice().sort((a, b) => a - b);
      let ks = 0;
      sorted.forEach((x, i) => { const F = normalCdf(x); ks = Math.max(ks, Math.abs(F - i / N), Math.abs(F - (i + 1) / N)); });
      expect(ks).toBeLessThan(1.95 / Math.sqrt(N));                                 // KS, α = 0.001
      // neighbours: even/odd are the cosine and sine of one Box–Muller pair; odd/even cross pairs
      const even = z.filter((_, i) => i % 2 === 0), odd = z.filter((_, i) => i % 2 === 1);
      expect(Math.abs(corr(even, odd))).toBeLessThan(5 / Math.sqrt(N / 2));
      expect(Math.abs(corr(odd.slice(0, -1), even.slice(1)))).toBeLessThan(5 / Math.sqrt(N / 2));
      // the next step and another seed are new draws
      const z1 = noisy(e, new Float32Array(N), { eta, seed: 12345 }, 1);
      const z2 = noisy(e, new Float32Array(N), { eta, seed: 12346 }, 0);
      expect(Math.abs(corr(z, z1))).toBeLessThan(5 / Math.sqrt(N));
      expect(Math.abs(corr(z, z2))).toBeLessThan(5 / Math.sqrt(N));
    });

    it('adds to the gradient with σ_t² = η/(1 + t)^γ', () => {
      const g0 = Float32Array.from({ length: 4000 }, (_, i) => (i % 7) - 3);
      for (const t of [0, 9, 99]) {
        const out = noisy(e, g0, { eta: 1, seed: 7 }, t);
        const d = Array.from(out, (x, i) => x - g0[i]);
        const v = d.reduce((s, x) => s + x * x, 0) / d.length;
        const want = 1 / (1 + t) ** 0.55; // 1, 0.2818, 0.0794
        expect(Math.abs(v / want - 1), `t=${t}`).toBeLessThan(5 * Math.sqrt(2 / d.length));
      }
    });

    it('is reproducible: same seed and step, same bits (twice, in a fresh engine)', () => {
      const g0 = Float32Array.from({ length: 1003 }, (_, i) => Math.sin(i));
      const a = noisy(e, g0, { eta: 0.01, seed: 99 }, 42);
      const b = noisy(e, g0, { eta: 0.01, seed: 99 }, 42);
      const c = noisy(engineFor(isa), g0, { eta: 0.01, seed: 99 }, 42);
      expect(bits(b)).toEqual(bits(a));
      expect(bits(c)).toEqual(bits(a));
      expect(bits(noisy(e, g0, { eta: 0.01, seed: 99 }, 43))).not.toEqual(bits(a));
      expect(bits(noisy(e, g0, { eta: 0.01, seed: 98 }, 42))).not.toEqual(bits(a));
    });

    it('does not depend on how the vector is split into calls', () => {
      const n = 1001, g0 = Float32Array.from({ length: n }, (_, i) => i / n);
      const whole = bits(noisy(e, g0, { eta: 1, seed: 3 }, 5));
      for (const cuts of [[0, 1, 4, 17, 500, 1001], [0, 3, 4, 5, 6, 999, 1000, 1001], [0, 2, 130, 1001]]) {
        expect(bits(noisy(e, g0, { eta: 1, seed: 3 }, 5, 0, cuts)), JSON.stringify(cuts)).toEqual(whole);
      }
      // a part that starts at global index 5 gets elements 5… of the whole
      const tail = noisy(e, g0.subarray(5), { eta: 1, seed: 3 }, 5, 5);
      expect(bits(tail)).toEqual(whole.slice(5));
      expect(bits(noisy(e, g0.subarray(5), { eta: 1, seed: 3 }, 5, 5, [0, 1, 2, 996]))).toEqual(whole.slice(5));
    });

    it('agrees with the TypeScript reference (same Philox bits; Box–Muller in JS Math)', () => {
      const g0 = Float32Array.from({ length: N }, (_, i) => ((i * 37) % 101) / 50 - 1);
      const sigma = gradientNoise({ eta: 0.3 }).sigma(17);
      const got = noisy(e, g0, { eta: 0.3, seed: 2024 }, 17, 11);
      const want = g0.slice();
      addGaussianNoiseRef(want, sigma, 2024, 17, 11);
      let differ = 0;
      for (let i = 0; i < N; i++) {
        if (got[i] !== want[i]) {
          differ++;
          expect(Math.abs(got[i] - want[i]), `element ${i}`).toBeLessThanOrEqual(2 ** -23 * Math.max(Math.abs(want[i]), 2 ** -10));
        }
      }
      expect(differ).toBeLessThan(N / 1000); // f64 log/cos/sin of two libraries differ by ≤ 1 ulp, rarely visible in f32
      const w64 = Float64Array.from(g0);
      addGaussianNoiseRef(w64, sigma, 2024, 17, 11);
      for (let i = 0; i < 100; i++) expect(w64[i] - g0[i]).toBeCloseTo(sigma * standardNormal(2024, 17, 11 + i), 14);
    });
  });
}

// Registered where both builds run (the node-relaxed and browser projects): no skipped test elsewhere.
if (isas.length > 1) describe('gradient noise: both builds', () => {
  it('plain and relaxed builds give the same bits', () => {
    const g0 = Float32Array.from({ length: 777 }, (_, i) => Math.cos(i));
    const [a, b] = isas.map((isa) => bits(noisy(engineFor(isa), g0, { eta: 1, seed: 1 }, 3)));
    expect(b).toEqual(a);
  });
});

describe('gradient noise: schedule and options', () => {
  it('σ_t = √(η/(1 + t)^γ), γ = 0.55 by default', () => {
    const n = gradientNoise({ eta: 1 });
    expect(n.sigma(0)).toBe(1);
    expect(n.sigma(3)).toBeCloseTo(0.6830202, 6);            // 4^(−0.275) = 2^(−0.55)
    expect(gradientNoise({ eta: 0.3 }).sigma(0)).toBeCloseTo(0.5477226, 6); // √0.3
    expect(gradientNoise({ eta: 1, gamma: 1 }).sigma(3)).toBe(0.5);
    expect(gradientNoise()).toMatchObject({ name: 'gradient-noise', eta: 0.01, gamma: 0.55, seed: 0 });
  });

  it('bad options throw a DescentError naming the option', () => {
    const bad: [object, string][] = [
      [{ eta: -1 }, 'eta must be a finite number ≥ 0, got -1'],
      [{ eta: NaN }, 'eta must be a finite number ≥ 0, got NaN'],
      [{ gamma: -0.5 }, 'gamma must be a finite number ≥ 0, got -0.5'],
      [{ seed: 1.5 }, 'seed must be an integer in [0, 2^32), got 1.5'],
      [{ seed: 2 ** 32 }, 'seed must be an integer in [0, 2^32)'],
      [{ sigma: 1 }, 'unknown option "sigma"; known: eta, gamma, seed'],
    ];
    for (const [o, msg] of bad) {
      expect(() => gradientNoise(o as never), JSON.stringify(o)).toThrow(DescentError);
      expect(() => gradientNoise(o as never)).toThrow(`gradientNoise: ${msg}`);
    }
    const n = gradientNoise();
    expect(() => n.sigma(-1)).toThrow('gradientNoise: step t must be an integer in [0, 2^32), got -1');
    const K = engineFor(isas[0]).kernels;
    expect(() => n.apply(K, 4, 0, 0.5)).toThrow('gradientNoise: step t must be an integer');
    expect(() => n.apply(K, 4, 0, 0, -1)).toThrow('gradientNoise: offset must be an integer');
    expect(() => n.apply(K, 2 ** 32, 0, 0, 1)).toThrow('gradientNoise: n must be an integer ≥ 0 with offset + n ≤ 2^32');
  });
});
