// Neural-network kernels (assembly/nn/) against the float64 references of reference-nn.ts, for
// every ISA this runtime runs. Every gradient is checked twice: against its analytic formula and
// against central finite differences of the f64 reference forward / loss.
//
// Tolerances (ε = 2^-24, "ulps" are f32 ulps of the exact value):
//  - linear, relu, leaky forward: exact (one f32 product at most, as in scalar code).
//  - softsign forward: 2 ulps (two roundings: 1 + |z| and the division, each ≤ ε relative).
//  - sigmoid, tanh, elu forward: 4 ulps where |y| ≥ 2^-126 (measured worst over 1.2M points on
//    dense and log-spaced sweeps: sigmoid 2.2, tanh 2.5, elu 1.6, both builds), and |y| ≤ 2^-126
//    where the exact value is subnormal (the SIMD exp flushes below e^−87.68, see nn/math.ts).
//    Also, for sigmoid and tanh, the stated targets: absolute ≤ 2e-7, relative ≤ 1e-6 if |y| > 1e-3.
//  - backward given y (elu: given z, since issue #17): the counted roundings of its formula
//    (reference-nn.ts), and for elu the SIMD exp's flush of subnormal results (|dy|·α·2^-126).
//  - backward vs f'(z) (analytic or finite differences): the above plus |dy|·L·|y − f(z)|, the
//    effect of the error already in the forward output y (L bounds |d f'/dy|), plus the finite
//    difference's own truncation/rounding bound.
//  - losses: bounds derived per element in reference-nn.ts from the kernels' roundings.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import type { Tensor } from '../src/engine/tensor.js';
import { engineFor, isas } from './engines.js';
import { bits, rng } from './reference.js';
import {
  ACT, ACT_NAMES, type ActName, EPS32, EPS64, actDerivF64, actDerivFromY, actF64, actThirdDerivBound,
  argmaxRowsRef, backwardFlush, backwardFromZ, backwardRoundings, bceLogitsTerm, bceProbsTerm, centralDiff, clampProb, colSumF32,
  derivLipschitzInY, hasKinkAtZero, mseTerm, sigmoidF64, softmaxRowF64, ulpError,
} from './reference-nn.js';

const f = Math.fround;
const FLT_MIN = 2 ** -126;

/** Values every activation test includes. */
const SPECIALS = [
  0, -0, 1e-8, -1e-8, 1e-30, -1e-30, 1e-45, 0.5, -0.5, 0.625, -0.625, 1, -1, 3, -3, 9, -9, 20, -20,
  44, -44, 87.5, -87.5, 88, -88, 89, -89, 100, -100, 1e30, -1e30, 3.4e38, -3.4e38, Infinity, -Infinity,
];

/** n values: the specials first, then log-uniform magnitudes in [1e-9, 3e2) and uniform [−10, 10). */
function activationInputs(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (i < SPECIALS.length) out[i] = SPECIALS[i];
    else if (i % 2) out[i] = (r() < 0.5 ? -1 : 1) * 10 ** (-9 + 11.5 * r());
    else out[i] = r() * 20 - 10;
  }
  return out;
}

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

const ALPHA: Record<ActName, number[]> = {
  linear: [0], sigmoid: [0], tanh: [0], relu: [0], leaky: [0.01, 0.2], elu: [1, 0.7], softsign: [0],
};
const SIZES = [1, 3, 7, 17, 129, 1000];

/** The forward tolerance described in the file header; undefined if got is acceptable. */
function forwardViolation(kind: ActName, z: number, got: number, want: number): string | undefined {
  const at = `${kind}(${z}) = ${got}, want ${want}`;
  if (Number.isNaN(want)) return Number.isNaN(got) ? undefined : at;
  switch (kind) {
    case 'linear': case 'relu': case 'leaky':
      return got === f(want) ? undefined : at;
    case 'softsign':
      return ulpError(got, want) <= 2 ? undefined : `${at} (${ulpError(got, want)} ulps)`;
    default: {
      if (Math.abs(want) < FLT_MIN) return Math.abs(got - want) <= FLT_MIN ? undefined : at;
      const u = ulpError(got, want);
      if (!(u <= 4)) return `${at} (${u} ulps)`;
      if (kind === 'sigmoid' || kind === 'tanh') {
        const e = Math.abs(got - want);
        if (!(e <= 2e-7)) return `${at} (absolute error ${e})`;
        if (Math.abs(want) > 1e-3 && !(e / Math.abs(want) <= 1e-6)) return `${at} (relative error ${e / Math.abs(want)})`;
      }
      return undefined;
    }
  }
}

for (const isa of isas) {
  describe(`nn kernels ${isa}`, () => {
    const e: Engine = engineFor(isa);
    const k = e.kernels;
    const T = (v: ArrayLike<number>, shape = [v.length]): Tensor => e.tensor(shape, v);
    /** An i32 array in wasm memory (a float tensor's bytes, viewed as i32). */
    const I32 = (v: ArrayLike<number>): Tensor => {
      const t = e.zeros([Math.max(v.length, 1)]);
      new Int32Array(e.memory.buffer, t.pointer(), v.length).set(Array.from(v));
      return t;
    };
    const readI32 = (t: Tensor, n: number): number[] => Array.from(new Int32Array(e.memory.buffer, t.pointer(), n));
    const forward = (kind: ActName, z: Float32Array, alpha: number): Float32Array => {
      const tz = T(z), ty = e.empty([z.length]);
      k.actForward(ACT[kind], z.length, alpha, tz.pointer(), ty.pointer());
      return ty.toArray();
    };
    const backward = (kind: ActName, y: Float32Array, dy: Float32Array, alpha: number): Float32Array => {
      const ty = T(y), tdy = T(dy), tdz = e.empty([y.length]);
      k.actBackward(ACT[kind], y.length, alpha, ty.pointer(), tdy.pointer(), tdz.pointer());
      return tdz.toArray();
    };

    describe('activations', () => {
      for (const kind of ACT_NAMES) {
        for (const alpha of ALPHA[kind]) {
          const name = `${kind}${alpha ? ` α=${alpha}` : ''}`;

          it(`${name} forward matches the f64 reference (sizes ${SIZES.join(', ')})`, () => {
            e.scope(() => {
              for (const n of SIZES) {
                const z = activationInputs(n, 17 * n + ACT[kind]);
                const y = forward(kind, z, alpha);
                for (let i = 0; i < n; i++) {
                  const v = forwardViolation(kind, z[i], y[i], actF64(kind, z[i], alpha));
                  expect(v, `n=${n} i=${i}`).toBeUndefined();
                }
              }
            });
          });

          it(`${name} forward: in place, NaN in → NaN out, and the same bits at any position`, () => {
            e.scope(() => {
              const z = activationInputs(1000, 5 + ACT[kind]);
              const y = forward(kind, z, alpha);
              const tz = T(z);
              k.actForward(ACT[kind], z.length, alpha, tz.pointer(), tz.pointer());
              expect(bits(tz.toArray())).toEqual(bits(y));
              // every element alone (the loop tail) equals its value inside the long run
              for (let i = 0; i < 80; i++) {
                const one = forward(kind, z.subarray(i, i + 1), alpha);
                expect(bits(one), `i=${i}`).toEqual(bits(y.subarray(i, i + 1)));
              }
              for (const n of [1, 2, 3, 5, 15, 16, 17, 33]) {
                const yn = forward(kind, z.subarray(0, n), alpha);
                expect(bits(yn), `n=${n}`).toEqual(bits(y.subarray(0, n)));
              }
              const nan = forward(kind, new Float32Array([NaN, 1, NaN, -2, 3, NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NaN]), alpha);
              for (const i of [0, 2, 5, 16]) expect(nan[i], `i=${i}`).toBeNaN();
            });
          });

          it(`${name} backward from y matches its formula in f64`, () => {
            e.scope(() => {
              for (const n of SIZES) {
                const z = activationInputs(n, 31 * n + ACT[kind]);
                const y = Float32Array.from(z, (v) => actF64(kind, v, alpha)); // rounded exact outputs
                const dy = uniform(n, -2, 2, n);
                const dz = backward(kind, backwardFromZ(kind) ? z : y, dy, alpha);
                const r = backwardRoundings(kind);
                for (let i = 0; i < n; i++) {
                  const want = dy[i] * (backwardFromZ(kind) ? actDerivF64(kind, z[i], alpha) : actDerivFromY(kind, y[i], alpha));
                  const bound = (r * EPS32 + r * r * EPS32 * EPS32) * Math.abs(want) + r * 2 ** -149 + backwardFlush(kind, dy[i], alpha);
                  expect(Math.abs(dz[i] - want), `${kind} n=${n} i=${i} y=${y[i]} dz=${dz[i]} want=${want}`).toBeLessThanOrEqual(bound);
                }
              }
            });
          });

          it(`${name} backward vs the analytic derivative and central differences of the f64 forward`, () => {
            e.scope(() => {
              const zs = [...SPECIALS, ...uniform(300, -8, 8, 99 + ACT[kind]), ...activationInputs(200, 7).subarray(SPECIALS.length)];
              const z = Float32Array.from(zs);
              const n = z.length;
              const y = forward(kind, z, alpha); // the backward kernel sees the forward kernel's y
              const dy = uniform(n, -2, 2, 3);
              const dz = backward(kind, backwardFromZ(kind) ? z : y, dy, alpha);
              const r = backwardRoundings(kind), L = derivLipschitzInY(kind), m3 = actThirdDerivBound(kind, alpha);
              let fdChecked = 0;
              for (let i = 0; i < n; i++) {
                const zi = z[i];
                const yRef = actF64(kind, zi, alpha);
                // |y − f(z)| as far as f64 can tell: the f64 reference itself is good to a few
                // EPS64·|f(z)| (e.g. σ(44) rounds to 1 in f64, elu(−20) = α·expm1(−20) cancels)
                const yErr = Number.isFinite(zi) ? Math.abs(y[i] - yRef) + 4 * EPS64 * Math.abs(yRef) : 0;
                const base = (r + 1) * EPS32 * Math.abs(dz[i]) + (L ? Math.abs(dy[i]) * L * yErr : 0) + 2 ** -140 + backwardFlush(kind, dy[i], alpha);
                const analytic = dy[i] * actDerivF64(kind, zi, alpha);
                if (!((kind === 'relu' || kind === 'leaky') && zi === 0)) {
                  const bound = base + 4 * EPS64 * Math.abs(analytic);
                  expect(Math.abs(dz[i] - analytic), `analytic ${kind}'(${zi}): dz=${dz[i]} want=${analytic}`).toBeLessThanOrEqual(bound);
                }
                if (!Number.isFinite(zi)) continue;
                const h = 1e-4 * Math.max(1, Math.abs(zi));
                if (hasKinkAtZero(kind) && Math.abs(zi) <= 2 * h) continue;
                const fd = centralDiff((x) => actF64(kind, x, alpha), zi, h, m3);
                const want = dy[i] * fd.value;
                const bound = base + Math.abs(dy[i]) * fd.bound;
                expect(Math.abs(dz[i] - want), `finite difference ${kind}'(${zi}): dz=${dz[i]} fd=${want} ± ${bound}`).toBeLessThanOrEqual(bound);
                fdChecked++;
              }
              expect(fdChecked).toBeGreaterThan(450);
            });
          });

          it(`${name} backward in place (dz = dy)`, () => {
            e.scope(() => {
              const z = activationInputs(37, 1);
              const y = forward(kind, z, alpha);
              const dy = uniform(37, -1, 1, 2);
              const want = backward(kind, y, dy, alpha);
              const ty = T(y), tdy = T(dy);
              k.actBackward(ACT[kind], 37, alpha, ty.pointer(), tdy.pointer(), tdy.pointer());
              expect(bits(tdy.toArray())).toEqual(bits(want));
            });
          });
        }
      }

      it('saturates: sigmoid and tanh of huge and infinite inputs are exactly 0/±1, never NaN', () => {
        e.scope(() => {
          const z = new Float32Array([1e30, -1e30, Infinity, -Infinity, 3.4e38, -3.4e38, 50, -50, 100, -100]);
          expect(Array.from(forward('tanh', z, 0))).toEqual([1, -1, 1, -1, 1, -1, 1, -1, 1, -1]);
          expect(Array.from(forward('sigmoid', z, 0))).toEqual([1, 0, 1, 0, 1, 0, 1, f(actF64('sigmoid', -50)), 1, 0]);
          expect(Array.from(forward('softsign', z, 0))).toEqual([1, -1, 1, -1, 1, -1, f(50 / 51), f(-50 / 51), f(100 / 101), f(-100 / 101)]);
          expect(Array.from(forward('elu', z.subarray(0, 4), 0.5))).toEqual([1e30 as number, -0.5, Infinity, -0.5].map(f));
          // relative accuracy near 0 (no cancellation): tanh(z) ≈ z, elu(z) ≈ αz
          const tiny = new Float32Array([1e-8, -1e-8, 1e-20, -3e-5]);
          const th = forward('tanh', tiny, 0), el = forward('elu', tiny, 0.7);
          for (let i = 0; i < 4; i++) {
            expect(ulpError(th[i], Math.tanh(tiny[i]))).toBeLessThanOrEqual(4);
            expect(ulpError(el[i], actF64('elu', tiny[i], 0.7))).toBeLessThanOrEqual(4);
          }
        });
      });

      it('an unknown activation kind traps', () => {
        e.scope(() => {
          const t = T([1, 2]);
          expect(() => k.actForward(14, 2, 0, t.pointer(), t.pointer())).toThrow(); // 0–13 are kinds (src/nn/activations.ts)
          expect(() => k.actBackward(-1, 2, 0, t.pointer(), t.pointer(), t.pointer())).toThrow();
        });
      });
    });

    describe('softmax and cross-entropy', () => {
      const shapes: [number, number][] = [[1, 1], [1, 3], [4, 10], [7, 17], [100, 10], [3, 129], [2, 4], [5, 5]];

      function logits(rows: number, cols: number, seed: number): Float32Array {
        const r = rng(seed);
        const z = Float32Array.from({ length: rows * cols }, () => (r() + r() + r() - 1.5) * 4);
        if (rows >= 4 && cols >= 4) {
          z.set([1000, -1000, 0, 1000], 0); // huge logits, two tied maxima
          z.set([-1000, -1000, -1000, -1000], cols); // equal
          z.set([40, 0, 0, -3], 2 * cols); // label 0 gets probability 1 − 4e-18
        }
        return z;
      }
      function labelsFor(rows: number, cols: number, seed: number): number[] {
        const r = rng(seed);
        const l = Array.from({ length: rows }, () => Math.floor(r() * cols));
        if (rows >= 4 && cols >= 4) { l[0] = 1; l[1] = 2; l[2] = 0; }
        return l;
      }

      it('softmaxXent: loss vs f64 log-sum-exp, gradient vs scale·(softmax − onehot) and central differences', () => {
        e.scope(() => {
          for (const [rows, cols] of shapes) {
            const z = logits(rows, cols, rows * 100 + cols);
            const labels = labelsFor(rows, cols, rows + cols);
            const scale = f(1 / rows);
            const tz = T(z), tl = I32(labels), tdz = e.empty([rows * cols]);
            const loss = k.softmaxXent(rows, cols, tz.pointer(), tl.pointer(), tdz.pointer(), scale);
            const dz = tdz.toArray();
            let want = 0, bound = 0;
            for (let i = 0; i < rows; i++) {
              const row = z.subarray(i * cols, (i + 1) * cols);
              const ref = softmaxRowF64(row, labels[i]);
              want += ref.loss;
              bound += ref.lossBound;
              for (let j = 0; j < cols; j++) {
                const d = ref.p[j] - (j === labels[i] ? 1 : 0);
                const g = dz[i * cols + j];
                const gBound = scale * (ref.pBound[j] + 2 * EPS32 * Math.abs(d)) * (1 + 2 * EPS32) + 1e-45;
                expect(Math.abs(g - scale * d), `dz[${i},${j}] = ${g}, want ${scale * d} ± ${gBound}`).toBeLessThanOrEqual(gBound);
                // central difference of the f64 row loss (|∂³/∂z³ lse| ≤ 1/(6√3))
                const fd = centralDiff((x) => {
                  const r2 = Float64Array.from(row);
                  r2[j] = x;
                  return softmaxRowF64(r2, labels[i]).loss;
                }, row[j], 1e-4, 1 / (6 * Math.sqrt(3)));
                const fdBound = gBound + scale * fd.bound;
                expect(Math.abs(g - scale * fd.value), `fd dz[${i},${j}] = ${g}, fd ${scale * fd.value} ± ${fdBound}`).toBeLessThanOrEqual(fdBound);
              }
            }
            expect(Number.isFinite(loss), `${rows}x${cols}`).toBe(true);
            expect(Math.abs(loss - want), `loss ${rows}x${cols}: ${loss} vs ${want} ± ${bound}`).toBeLessThanOrEqual(bound + rows * EPS64 * Math.abs(want));
          }
        });
      });

      it('softmaxXent: logits ±1000 give a finite loss and gradient; confident rows keep relative accuracy', () => {
        e.scope(() => {
          const z = new Float32Array([1000, -1000, 0, 1000, /**/ -1000, -1000, -1000, -1000, /**/ 40, 0, 0, -3]);
          const tl = I32([0, 3, 0]), tdz = e.empty([12]);
          const loss = k.softmaxXent(3, 4, T(z).pointer(), tl.pointer(), tdz.pointer(), 1);
          const want = Math.LN2 + Math.log(4) + (2 * Math.exp(-40) + Math.exp(-43));
          expect(Math.abs(loss - want) / want).toBeLessThan(1e-6);
          expect(tdz.toArray().every(Number.isFinite)).toBe(true);
          // the third row alone: loss ≈ 8.7e-18, which log of the sum would round to 0 (in f32 or f64)
          const l3 = k.softmaxXent(1, 4, T(z.subarray(8)).pointer(), I32([0]).pointer(), 0, 1);
          const w3 = softmaxRowF64(z.subarray(8), 0).loss;
          expect(w3).toBeGreaterThan(4e-18);
          expect(Math.abs(l3 - w3) / w3).toBeLessThan(1e-6);
        });
      });

      it('softmaxXent: dz = 0 computes the loss only; dz = z works in place; a bad label gives NaN', () => {
        e.scope(() => {
          const rows = 7, cols = 17;
          const z = logits(rows, cols, 3), labels = labelsFor(rows, cols, 4);
          const tz = T(z), tl = I32(labels), tdz = e.empty([rows * cols]);
          const l1 = k.softmaxXent(rows, cols, tz.pointer(), tl.pointer(), tdz.pointer(), 0.25);
          const l0 = k.softmaxXent(rows, cols, tz.pointer(), tl.pointer(), 0, 0.25);
          expect(l0).toBe(l1);
          expect(bits(tz.toArray())).toEqual(bits(z)); // z untouched
          const l2 = k.softmaxXent(rows, cols, tz.pointer(), tl.pointer(), tz.pointer(), 0.25);
          expect(l2).toBe(l1);
          expect(bits(tz.toArray())).toEqual(bits(tdz.toArray()));
          const bad = k.softmaxXent(2, 3, T([1, 2, 3, 4, 5, 6]).pointer(), I32([0, 3]).pointer(), 0, 1);
          expect(bad).toBeNaN();
          expect(k.softmaxXent(2, 3, T([1, 2, 3, 4, 5, 6]).pointer(), I32([0, -1]).pointer(), 0, 1)).toBeNaN();
          expect(k.softmaxXent(0, 3, tz.pointer(), tl.pointer(), 0, 1)).toBe(0);
        });
      });

      it('softmax: rows sum to 1, values match f64, in place works', () => {
        e.scope(() => {
          for (const [rows, cols] of shapes) {
            const z = logits(rows, cols, 7 * rows + cols);
            const ty = e.empty([rows * cols]);
            k.softmax(rows, cols, T(z).pointer(), ty.pointer());
            const y = ty.toArray();
            for (let i = 0; i < rows; i++) {
              const ref = softmaxRowF64(z.subarray(i * cols, (i + 1) * cols));
              let sum = 0, sumBound = 0;
              for (let j = 0; j < cols; j++) {
                const v = y[i * cols + j];
                expect(Math.abs(v - ref.p[j]), `softmax[${i},${j}]`).toBeLessThanOrEqual(ref.pBound[j] + 1e-45);
                sum += v;
                sumBound += ref.pBound[j];
              }
              expect(Math.abs(sum - 1), `row ${i} of ${rows}x${cols} sums to ${sum}`).toBeLessThanOrEqual(sumBound + 2 * EPS64);
            }
            const tz = T(z);
            k.softmax(rows, cols, tz.pointer(), tz.pointer());
            expect(bits(tz.toArray())).toEqual(bits(y));
          }
        });
      });
    });

    describe('elementwise losses', () => {
      const sizes = [1, 3, 4, 7, 17, 129, 1000];

      it('mseLoss: value, gradient, central differences, dz = 0', () => {
        e.scope(() => {
          for (const n of sizes) {
            const y = uniform(n, -3, 3, n), t = uniform(n, -3, 3, n + 1);
            const scale = f(1 / n);
            const tdz = e.empty([n]);
            const loss = k.mseLoss(n, T(y).pointer(), T(t).pointer(), tdz.pointer(), scale);
            const dz = tdz.toArray();
            let want = 0;
            for (let i = 0; i < n; i++) {
              want += mseTerm(y[i], t[i]);
              const g = scale * (y[i] - t[i]);
              // two roundings: y − t, then ·scale
              expect(Math.abs(dz[i] - g), `mse dz[${i}]`).toBeLessThanOrEqual(2.001 * EPS32 * Math.abs(g) + 1e-45);
              const fd = centralDiff((x) => mseTerm(x, t[i]), y[i], 1e-3, 0);
              expect(Math.abs(dz[i] - scale * fd.value), `mse fd[${i}]`).toBeLessThanOrEqual(2.001 * EPS32 * Math.abs(g) + scale * fd.bound + 1e-45);
            }
            expect(Math.abs(loss - want), `mse n=${n}`).toBeLessThanOrEqual((n + 4) * EPS64 * want);
            expect(k.mseLoss(n, T(y).pointer(), T(t).pointer(), 0, scale)).toBe(loss);
          }
        });
      });

      it('bceLogits: value (incl. |z| = 50), gradient, central differences', () => {
        e.scope(() => {
          for (const n of sizes) {
            const r = rng(n + 9);
            const z = Float32Array.from({ length: n }, (_, i) => [50, -50, 20, -20, 0, 1e-8][i] ?? (r() * 16 - 8));
            const t = Float32Array.from({ length: n }, (_, i) => [1, 0, 0, 1, 1, 0][i] ?? (i % 3 === 0 ? r() : i % 3 === 1 ? 1 : 0));
            const scale = f(1 / n);
            const tdz = e.empty([n]);
            const loss = k.bceLogits(n, T(z).pointer(), T(t).pointer(), tdz.pointer(), scale);
            const dz = tdz.toArray();
            let want = 0, bound = 0;
            for (let i = 0; i < n; i++) {
              const term = bceLogitsTerm(z[i], t[i]);
              want += term;
              // f64 part (max(z,0) − z·t) rounds once; log1p(e^{−|z|}) carries ≤ 12ε (exp 4ε, log1pf 8ε)
              bound += 2 * EPS64 * (Math.max(z[i], 0) + Math.abs(z[i] * t[i])) + 12 * EPS32 * Math.log1p(Math.exp(-Math.abs(z[i])));
              const s = sigmoidF64(z[i]), sn = sigmoidF64(-z[i]); // sn = 1 − s without cancellation
              const g = scale * ((1 - t[i]) * s - t[i] * sn);
              // (1 − t)·σ(z) − t·σ(−z), each σ to ≤ 5ε relative (exp, 1 + e, division, e·q), then
              // the products, the difference and ·scale: relative to the two terms, not to |σ − t|
              const gBound = scale * (6 * EPS32 * ((1 - t[i]) * s + t[i] * sn) + 2 * EPS32 * Math.abs(g / scale)) + 1e-45;
              expect(Math.abs(dz[i] - g), `bceLogits dz[${i}] z=${z[i]}`).toBeLessThanOrEqual(gBound);
              const fd = centralDiff((x) => bceLogitsTerm(x, t[i]), z[i], 1e-4 * Math.max(1, Math.abs(z[i])), 0.1);
              expect(Math.abs(dz[i] - scale * fd.value), `bceLogits fd[${i}] z=${z[i]}`).toBeLessThanOrEqual(gBound + scale * fd.bound);
            }
            expect(Math.abs(loss - want), `bceLogits n=${n}: ${loss} vs ${want}`).toBeLessThanOrEqual(bound + (n + 2) * EPS64 * want);
          }
          // the |z| = 50 terms alone keep relative accuracy: log1p(e^−50) = 1.9e-22
          const l = k.bceLogits(2, T([50, -50]).pointer(), T([1, 0]).pointer(), 0, 1);
          expect(Math.abs(l - 2 * Math.log1p(Math.exp(-50))) / l).toBeLessThan(1e-6);
        });
      });

      it('bceProbs: clamping, value, gradient, central differences', () => {
        e.scope(() => {
          for (const eps of [1e-7, 1e-3]) {
            for (const n of sizes) {
              const r = rng(n + 77);
              const p = Float32Array.from({ length: n }, (_, i) => [0, 1, 1e-9, 0.5, 0.999999][i] ?? (0.02 + 0.96 * r()));
              const t = Float32Array.from({ length: n }, (_, i) => [0, 1, 1, 0, 0][i] ?? (i % 3 === 0 ? r() : i % 3 === 1 ? 1 : 0));
              const scale = f(1 / n);
              const tdz = e.empty([n]);
              const loss = k.bceProbs(n, T(p).pointer(), T(t).pointer(), tdz.pointer(), scale, eps);
              const dz = tdz.toArray();
              let want = 0, bound = 0;
              for (let i = 0; i < n; i++) {
                const pc = clampProb(p[i], eps);
                const a = t[i] * Math.log(pc), b = (1 - t[i]) * Math.log1p(-pc);
                want += bceProbsTerm(pc, t[i]);
                // Mathf.log ≤ 2ε relative, log1pf ≤ 8ε; f64 products and sums
                bound += 2 * EPS32 * Math.abs(a) + 8 * EPS32 * Math.abs(b) + 4 * EPS64 * Math.abs(a + b);
                const g = (scale * (pc - t[i])) / (pc * (1 - pc));
                // five roundings: p − t, 1 − p, p·(1 − p), the division, ·scale
                const gBound = 6 * EPS32 * Math.abs(g) + 1e-45;
                expect(Math.abs(dz[i] - g), `bceProbs dz[${i}] p=${p[i]} eps=${eps}`).toBeLessThanOrEqual(gBound);
                if (pc === p[i] && p[i] > 0.05 && p[i] < 0.95) {
                  const m = Math.min(p[i], 1 - p[i]) - 1e-5;
                  const fd = centralDiff((x) => bceProbsTerm(x, t[i]), p[i], 1e-5, 2 * (t[i] + (1 - t[i])) / (m * m * m));
                  expect(Math.abs(dz[i] - scale * fd.value), `bceProbs fd[${i}]`).toBeLessThanOrEqual(gBound + scale * fd.bound);
                }
              }
              expect(Math.abs(loss - want), `bceProbs n=${n} eps=${eps}`).toBeLessThanOrEqual(bound + (n + 2) * EPS64 * want);
              expect(Number.isFinite(loss)).toBe(true);
            }
          }
        });
      });
    });

    describe('reductions', () => {
      it('colSum: bit-exact column sums; beta = 0 never reads out (NaN does not leak), beta = 1 accumulates', () => {
        e.scope(() => {
          for (const rows of [0, 1, 3, 100]) {
            for (const cols of [1, 3, 4, 5, 15, 16, 17, 33, 500]) {
              const x = uniform(rows * cols, -1, 1, rows * 1000 + cols);
              const tx = T(x.length ? x : [0]);
              for (const beta of [0, 1, 0.5]) {
                const out0 = beta === 0 ? new Float32Array(cols).fill(NaN) : uniform(cols, -1, 1, cols);
                const tout = T(out0);
                k.colSum(rows, cols, tx.pointer(), tout.pointer(), beta);
                const want = colSumF32(rows, cols, x, out0, beta);
                expect(bits(tout.toArray()), `rows=${rows} cols=${cols} beta=${beta}`).toEqual(bits(want));
              }
            }
          }
        });
      });

      it('argmaxRows: index of the first maximum (ties → first), for every width', () => {
        e.scope(() => {
          const r = rng(5);
          for (const cols of [1, 2, 3, 4, 5, 7, 8, 9, 10, 16, 17, 33, 100]) {
            const rows = 24;
            const x = Float32Array.from({ length: rows * cols }, () => Math.floor(r() * 7) - 3); // many ties
            // a few special rows
            x.fill(2, 0, cols); // all equal → 0
            if (cols >= 3) { x.fill(-Infinity, cols, 2 * cols); x[cols + cols - 1] = -3; } // max at the end
            x.fill(-0, 2 * cols, 3 * cols); x[2 * cols + cols - 1] = 0; // −0 and 0 tie → 0
            for (let i = 3; i < 8; i++) x[i * cols + (i * 7) % cols] = 9; // one clear max
            const to = I32(new Array(rows).fill(-7));
            k.argmaxRows(rows, cols, T(x).pointer(), to.pointer());
            expect(readI32(to, rows), `cols=${cols}`).toEqual(argmaxRowsRef(rows, cols, x));
          }
        });
      });
    });
  });
}
