// The losses against PyTorch 1.13 (fixture: scripts/torch-losses.py → fixtures/torch-losses.json)
// and an exact (50-digit mpmath) reference on the same float32 inputs:
//  - descent (f32 kernels, through a Model: lossAndGradient, unreducedLoss, evaluate) against
//    the exact values: every loss value and term within 1e-6 relative; every gradient element
//    within 1e-6 relative to the size of what its formula subtracts (softmax: |p·T| + |t'|;
//    BCE with logits: (1 − t)σ(z) + w·t·σ(−z); the others: the element itself) — an f32
//    softmax(z) − t cannot resolve the e^−60 left of 1 − p at a ±30 logit, nor can torch;
//  - descent against torch float32: within 1e-6 of the largest |torch| of the array (normwise;
//    gradient elements: or of the size of what they subtract, as above, if larger):
//    torch's own f32 formulas cancel (σ(z) − t at z = 12 is 0.9% off, BCE with logits at
//    |z| = 30 gives 0 for 9.4e-14, log(1 − p) near p = 1), so its elements are not held to
//    1e-6 of themselves;
//  - the float64 reference (test/reference-losses.ts, the kernels' formulas in plain f64)
//    within 1e-12 of the exact values (same measure) and of torch float64 (normwise: torch f64
//    loses 1e-3 relative on the 9.4e-14 BCE terms at |z| = 30).
// Deliberate difference: smooth-l1 with β = 0 has gradient sign(d) = 0 at d = 0 (L1Loss's
// subgradient); torch 1.13's smooth_l1_loss backward gives −1 there (asserted below).
// Then finite-difference gradient checks through small models for every loss and option.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Model, type Batch } from '../src/nn/model.js';
import { checkLossSpec, lossDivisor, type LossSpec } from '../src/nn/losses.js';
import { evaluate } from '../src/train/fit.js';
import { gradientCheck } from '../src/diagnostics/gradient-check.js';
import { Random } from '../src/random.js';
import { isas, engineFor } from './engines.js';
import { referenceLoss, referenceReduced } from './reference-losses.js';

interface Run { value: number | number[]; grad?: number[] }
interface Case {
  name: string; loss: string; options: Record<string, unknown>; B: number; C: number; x: number[];
  labels?: number[]; targets?: number[];
  float32: Record<'mean' | 'sum' | 'none', Run>; float64: Record<'mean' | 'sum' | 'none', Run>;
  exact: { terms: number[]; gradSum: number[] };
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/torch-losses.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };

/** Worst |a − r| / max(|r|, scale_i, floor·max|r|) over the elements (scale: per element, or none). */
function worst(a: ArrayLike<number>, r: ArrayLike<number>, floor: number, skip?: (i: number) => boolean, scale?: ArrayLike<number>): number {
  expect(a.length).toBe(r.length);
  let m = 0;
  for (let i = 0; i < r.length; i++) m = Math.max(m, Math.abs(r[i]));
  let w = 0;
  for (let i = 0; i < r.length; i++) {
    if (skip?.(i)) continue;
    const e = Math.abs(a[i] - r[i]) / Math.max(Math.abs(r[i]), scale ? scale[i] : 0, floor * m, 1e-300);
    if (!(e <= w)) w = e; // NaN propagates
  }
  return w;
}

/** Per gradient element of Σ terms: the size of the terms its formula subtracts (see the header). */
function gradScale(c: Case): Float64Array {
  const { B, C, x } = c;
  const out = new Float64Array(B * C);
  const eps = (c.options.labelSmoothing as number | undefined) ?? 0;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < C; j++) {
      const i = b * C + j, g = c.exact.gradSum[i];
      if (c.loss === 'softmax-cross-entropy') {
        const t = c.labels ? (j === c.labels[b] ? 1 - eps : 0) + eps / C : c.targets![i] * (1 - eps) + eps / C;
        out[i] = Math.abs(g + t) + Math.abs(t); // |p·T| + |t'|
      } else if (c.loss === 'bce-logits') {
        const pw = c.options.posWeight as number | number[] | undefined;
        const w = pw === undefined ? 1 : typeof pw === 'number' ? pw : pw[j];
        const t = c.targets![i], s = 1 / (1 + Math.exp(-x[i]));
        out[i] = (1 - t) * s + w * t * (1 - s);
      } else {
        out[i] = Math.abs(g);
      }
    }
  }
  return out;
}

const specOf = (c: Case, reduction: 'mean' | 'sum'): LossSpec => ({ name: c.loss, ...c.options, reduction }) as LossSpec;

/** A model whose output is x itself and whose weight gradient is ∂L/∂x: W = x (B×C), input I_B, no bias. */
function identityModel(isa: (typeof isas)[number], c: Case, reduction: 'mean' | 'sum') {
  const m = new Model(engineFor(isa), { inputs: c.B, layers: [{ units: c.C, activation: 'linear', bias: false }], loss: specOf(c, reduction) });
  m.parameters().data.set(Float32Array.from(c.x));
  const x = new Float32Array(c.B * c.B);
  for (let i = 0; i < c.B; i++) x[i * c.B + i] = 1;
  const batch: Batch = { x, n: c.B, ...(c.labels ? { labels: Int32Array.from(c.labels) } : { targets: Float32Array.from(c.targets!) }) };
  return { m, batch };
}

/** smooth-l1 β = 0 at d = 0: descent's gradient 0 (torch: −1). */
const l1Zero = (c: Case) => (i: number) => c.loss === 'smooth-l1' && c.options.beta === 0 && c.x[i] === c.targets![i];

const measured = { vsExact: 0, vsTorch32: 0, ref64vsExact: 0, ref64vsTorch64: 0 };

describe(`losses vs torch ${fx.torch} and exact values`, () => {
  it('the fixture covers every loss, both label kinds, ε 0 and 0.1, posWeight, ties at δ and β', () => {
    const names = new Set(fx.cases.map((c) => c.loss));
    expect([...names].sort()).toEqual(['bce', 'bce-logits', 'huber', 'mse', 'mse-mean', 'smooth-l1', 'softmax-cross-entropy']);
    expect(fx.cases.filter((c) => c.loss === 'softmax-cross-entropy' && c.targets && c.options.labelSmoothing === 0.1).length).toBeGreaterThan(0);
    expect(fx.cases.some((c) => c.x.includes(30) && c.x.includes(-30))).toBe(true);
  });

  for (const c of fx.cases) {
    describe(c.name, () => {
      for (const isa of isas) {
        for (const reduction of ['mean', 'sum'] as const) {
          it(`${isa}: ${reduction}: value and gradient`, () => {
            const { m, batch } = identityModel(isa, c, reduction);
            const value = m.lossAndGradient(batch);
            const grad = m.gradients().data;
            const div = lossDivisor(m.lossConfig, c.B, c.C);
            const exactValue = c.exact.terms.reduce((s, v) => s + v, 0) / div;
            const exactGrad = c.exact.gradSum.map((g) => g / div);
            const eV = worst([value], [exactValue], 0), eG = worst(grad, exactGrad, 0, undefined, gradScale(c).map((v) => v / div));
            expect(eV).toBeLessThanOrEqual(1e-6);
            expect(eG).toBeLessThanOrEqual(1e-6);
            const t = c.float32[reduction];
            const tV = worst([value], [t.value as number], 0), tG = worst(grad, t.grad!, 1, l1Zero(c), gradScale(c).map((v) => v / div));
            expect(tV).toBeLessThanOrEqual(1e-6);
            expect(tG).toBeLessThanOrEqual(1e-6);
            measured.vsExact = Math.max(measured.vsExact, eV, eG);
            measured.vsTorch32 = Math.max(measured.vsTorch32, tV, tG);
            // lossOnly agrees with lossAndGradient
            expect(m.lossOnly(batch)).toBe(value);
          });
        }
        it(`${isa}: none: the terms (unreducedLoss and evaluate)`, () => {
          const { m, batch } = identityModel(isa, c, 'mean');
          const terms = m.unreducedLoss(batch);
          const eT = worst(terms, c.exact.terms, 0);
          const tT = worst(terms, c.float32.none.value as number[], 1);
          expect(eT).toBeLessThanOrEqual(1e-6);
          expect(tT).toBeLessThanOrEqual(1e-6);
          measured.vsExact = Math.max(measured.vsExact, eT);
          measured.vsTorch32 = Math.max(measured.vsTorch32, tT);
          const data = { x: batch.x, n: c.B, features: c.B, ...(c.labels ? { labels: batch.labels, classes: Math.max(c.C, 2) } : { targets: batch.targets, targetWidth: c.C }) };
          const ev = evaluate(m, data as never, { reduction: 'none' });
          expect(Array.from(ev.losses!)).toEqual(Array.from(terms));
          const sum = evaluate(m, data as never, { reduction: 'sum' }).loss;
          expect(Math.abs(sum - c.exact.terms.reduce((s, v) => s + v, 0))).toBeLessThanOrEqual(1e-6 * Math.abs(sum));
        });
      }
      it('float64 reference: exact to 1e-12, torch float64 to 1e-12', () => {
        const cfg = checkLossSpec(specOf(c, 'mean'), 'test', c.C);
        const inp = { B: c.B, C: c.C, x: c.x, labels: c.labels, targets: c.targets };
        const { terms, grad } = referenceLoss(cfg, inp);
        const e1 = worst(terms, c.exact.terms, 0), e2 = worst(grad, c.exact.gradSum, 0, undefined, gradScale(c));
        expect(e1).toBeLessThanOrEqual(1e-12);
        expect(e2).toBeLessThanOrEqual(1e-12);
        let t = worst(terms, c.float64.none.value as number[], 1);
        for (const r of ['mean', 'sum'] as const) {
          const red = referenceReduced({ ...cfg, reduction: r }, inp);
          t = Math.max(t, worst([red.value], [c.float64[r].value as number], 0), worst(red.grad, c.float64[r].grad!, 1, l1Zero(c), gradScale(c).map((v) => v / lossDivisor({ ...cfg, reduction: r }, c.B, c.C))));
        }
        expect(t).toBeLessThanOrEqual(1e-12);
        measured.ref64vsExact = Math.max(measured.ref64vsExact, e1, e2);
        measured.ref64vsTorch64 = Math.max(measured.ref64vsTorch64, t);
      });
    });
  }

  it('smooth-l1 with β = 0 at d = 0: torch gives −1, descent 0 (the documented difference)', () => {
    const c = fx.cases.find((k) => k.loss === 'smooth-l1' && k.options.beta === 0)!;
    const i = c.x.findIndex((v, j) => v === c.targets![j]);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(c.float32.sum.grad![i]).toBe(-1);
    const { m, batch } = identityModel(isas[0], c, 'sum');
    m.lossAndGradient(batch);
    expect(m.gradients().data[i]).toBe(0);
  });

  it('reports the worst errors', () => {
    console.log(`losses: worst relative error, descent f32 vs exact ${measured.vsExact.toExponential(2)}, vs torch f32 ${measured.vsTorch32.toExponential(2)}; ` +
      `f64 reference vs exact ${measured.ref64vsExact.toExponential(2)}, vs torch f64 ${measured.ref64vsTorch64.toExponential(2)}`);
    expect(measured.vsExact).toBeGreaterThan(0); // the comparisons ran
  });
});

describe('finite-difference gradient checks through small models', () => {
  const rng = new Random(7);
  const B = 9, IN = 5;
  const x = Float32Array.from({ length: B * IN }, () => rng.normal());
  const specs: { loss: LossSpec; out: number; act?: string; kind: 'labels' | 'soft' | 'binary' | 'real' | 'prob' }[] = [
    { loss: { name: 'softmax-cross-entropy', labelSmoothing: 0.1 }, out: 4, kind: 'labels' },
    { loss: { name: 'softmax-cross-entropy', labelSmoothing: 0.1, reduction: 'sum' }, out: 4, kind: 'soft' },
    { loss: { name: 'softmax-cross-entropy' }, out: 3, kind: 'soft' },
    { loss: { name: 'bce-logits', posWeight: [3, 0.5] }, out: 2, kind: 'binary' },
    { loss: { name: 'bce-logits', posWeight: 2, reduction: 'sum' }, out: 1, kind: 'binary' },
    { loss: { name: 'mse-mean' }, out: 3, kind: 'real' },
    { loss: { name: 'mse', reduction: 'sum' }, out: 2, kind: 'real', act: 'tanh' },
    { loss: { name: 'huber', delta: 0.5 }, out: 3, kind: 'real' },
    { loss: { name: 'smooth-l1', beta: 0.7, reduction: 'sum' }, out: 3, kind: 'real', act: 'tanh' },
    { loss: { name: 'bce', reduction: 'sum' }, out: 2, kind: 'prob', act: 'sigmoid' },
  ];
  for (const s of specs) {
    it(`${JSON.stringify(s.loss)}${s.act ? ` (${s.act} output)` : ''}`, () => {
      const m = new Model(engineFor(isas[0]), {
        inputs: IN, seed: 3, loss: s.loss,
        layers: [{ units: 6, activation: 'tanh' }, { units: s.out, activation: (s.act ?? 'linear') as never }],
      });
      const r = new Random(11);
      let batch;
      if (s.kind === 'labels') batch = { x, n: B, labels: Int32Array.from({ length: B }, (_, i) => i % s.out) };
      else {
        const t = new Float32Array(B * s.out);
        for (let i = 0; i < B; i++) {
          let sum = 0;
          for (let j = 0; j < s.out; j++) {
            const v = s.kind === 'binary' ? (r.uniform() < 0.5 ? 0 : 1) : s.kind === 'real' ? 2 * r.normal() : r.uniform();
            t[i * s.out + j] = v;
            sum += v;
          }
          if (s.kind === 'soft') for (let j = 0; j < s.out; j++) t[i * s.out + j] /= sum;
        }
        batch = { x, n: B, targets: t };
      }
      const g = gradientCheck(m, batch, { samples: 30 });
      expect(g.maxRelativeError).toBeLessThanOrEqual(1e-2);
    });
  }
});
