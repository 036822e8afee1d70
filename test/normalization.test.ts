// Batch norm and layer norm kernels (assembly/nn/batchnorm.ts, layernorm.ts) against float64
// references written from the formulas (reference-norm.ts), on every ISA; the backward passes
// against central finite differences; batch norm's running statistics against PyTorch.
//
// Bounds (ε = 2^-24). For batch norm on column j with M = max_i |x_ij|, s = 1/√(σ² + ε_bn):
//   x̂:  |Δx̂| ≤ (n + 8)·ε·(s·M + |x̂|)      (μ and the two-pass variance are sums of n terms in
//        f32; x − μ, the square root, the division and the product add a few roundings)
//   y:  |Δy| ≤ 2·(n + 8)·ε·(|γ|·(s·M + |x̂|) + |β|)
//   dx: |Δdx| ≤ 4·(n + 8)·ε·|γ|·s/n·(n·|dy| + Σ|dy| + (|x̂| + 1)·Σ|dy|·(|x̂| + s·M))
//   dγ, dβ: sums of n terms: (n + 8)·ε·Σ|dy|·(|x̂| + s·M), (n + 1)·ε·Σ|dy|.
// Layer norm: the same with rows and columns exchanged (c instead of n, γ inside the sums).
// The test reports the largest error/bound ratio seen (well below 1, see the report).
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { engineFor, isas } from './engines.js';
import { rng } from './reference.js';
import {
  EPS32, bnBackwardF64, bnEvalF64, bnTrainF64, lnBackwardF64, lnF64, numericNormGrad,
} from './reference-norm.js';
import { readFileSync } from 'node:fs';

const f = Math.fround;
interface TorchBn {
  gamma: number[]; beta: number[]; eps: number; momentum: number; batches: number[][][]; trainOutputs: number[][][];
  runningMean: number[]; runningVar: number[]; evalInput: number[][]; evalOutput: number[][];
}
const torchBn: TorchBn = JSON.parse(readFileSync(new URL('./fixtures/batchnorm-torch.json', import.meta.url), 'utf8'));
const EPS = f(1e-5);

/** n×c floats: uniform [−1, 1)·scale + offset_j (offsets stress the cancellation in x − μ). */
function inputs(n: number, c: number, seed: number, offset = 3, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) out[i * c + j] = (r() * 2 - 1) * scale + offset * ((j % 3) - 1);
  return out;
}
function vec(c: number, seed: number, lo: number, hi: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: c }, () => lo + (hi - lo) * r());
}

interface Run { y: Float32Array; xhat: Float32Array; stat0: Float32Array; invstd: Float32Array; runMean: Float32Array; runVar: Float32Array }

function bnTrain(e: Engine, n: number, c: number, x: Float32Array, g: Float32Array, b: Float32Array, rm: Float32Array, rv: Float32Array, momentum = 0.1): Run {
  return e.scope(() => {
    const tx = e.tensor([n * c], x), ty = e.empty([n * c]), th = e.empty([n * c]);
    const tg = e.tensor([c], g), tb = e.tensor([c], b), tm = e.empty([c]), ts = e.empty([c]);
    const trm = e.tensor([c], rm), trv = e.tensor([c], rv);
    e.kernels.bnForwardTrain(n, c, tx.pointer(), ty.pointer(), th.pointer(), tg.pointer(), tb.pointer(),
      tm.pointer(), ts.pointer(), trm.pointer(), trv.pointer(), momentum, EPS);
    return { y: ty.toArray(), xhat: th.toArray(), stat0: tm.toArray(), invstd: ts.toArray(), runMean: trm.toArray(), runVar: trv.toArray() };
  });
}

function bnEval(e: Engine, n: number, c: number, x: Float32Array, g: Float32Array, b: Float32Array, rm: Float32Array, rv: Float32Array): Float32Array {
  return e.scope(() => {
    const tx = e.tensor([n * c], x), ty = e.empty([n * c]);
    const tg = e.tensor([c], g), tb = e.tensor([c], b), trm = e.tensor([c], rm), trv = e.tensor([c], rv);
    e.kernels.bnForwardEval(n, c, tx.pointer(), ty.pointer(), tg.pointer(), tb.pointer(), trm.pointer(), trv.pointer(), EPS);
    return ty.toArray();
  });
}

type Backward = 'bnBackward' | 'lnBackward';
function backward(e: Engine, which: Backward, n: number, c: number, xhat: Float32Array, dy: Float32Array, g: Float32Array, invstd: Float32Array) {
  return e.scope(() => {
    const th = e.tensor([n * c], xhat), tdy = e.tensor([n * c], dy), tg = e.tensor([c], g), ts = e.tensor([invstd.length], invstd);
    const tdx = e.empty([n * c]), tdg = e.empty([c]), tdb = e.empty([c]);
    e.kernels[which](n, c, th.pointer(), tdy.pointer(), tg.pointer(), ts.pointer(), tdx.pointer(), tdg.pointer(), tdb.pointer());
    return { dx: tdx.toArray(), dgamma: tdg.toArray(), dbeta: tdb.toArray() };
  });
}

function lnForward(e: Engine, n: number, c: number, x: Float32Array, g: Float32Array, b: Float32Array) {
  return e.scope(() => {
    const tx = e.tensor([n * c], x), ty = e.empty([n * c]), th = e.empty([n * c]);
    const tg = e.tensor([c], g), tb = e.tensor([c], b), ts = e.empty([n]);
    e.kernels.lnForward(n, c, tx.pointer(), ty.pointer(), th.pointer(), tg.pointer(), tb.pointer(), ts.pointer(), EPS);
    return { y: ty.toArray(), xhat: th.toArray(), invstd: ts.toArray() };
  });
}

/** max over i of |got − want| / bound (throws with the entry when one exceeds 1). */
function worstRatio(what: string, got: ArrayLike<number>, want: ArrayLike<number>, bound: (i: number) => number): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / bound(i);
    if (!(r <= 1)) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}, bound ${bound(i)}`);
    worst = Math.max(worst, r);
  }
  return worst;
}

const SIZES: [number, number][] = [[2, 1], [3, 3], [5, 4], [7, 7], [17, 5], [13, 17], [64, 33], [129, 6]];
const worst: Record<string, number> = {};
const note = (k: string, r: number) => { worst[k] = Math.max(worst[k] ?? 0, r); };

for (const isa of isas) {
  describe(`batch norm kernels, ${isa}`, () => {
    const e = engineFor(isa);

    it('training forward, running statistics, inference forward and backward vs f64 (odd sizes, offset columns)', () => {
      for (const [n, c] of SIZES) {
        const seed = n * 100 + c;
        const x = inputs(n, c, seed), g = vec(c, seed + 1, -2, 2), b = vec(c, seed + 2, -1, 1);
        const rm = vec(c, seed + 3, -1, 1), rv = vec(c, seed + 4, 0.5, 2);
        const got = bnTrain(e, n, c, x, g, b, rm, rv);
        const ref = bnTrainF64(n, c, x, g, b, EPS);
        const M = (j: number) => { let m = 0; for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(x[i * c + j])); return m; };
        const Ms = Array.from({ length: c }, (_, j) => M(j));
        const k = n + 8;
        const hatB = (i: number) => k * EPS32 * (ref.invstd[i % c] * Ms[i % c] + Math.abs(ref.xhat[i]));
        note('bn x̂', worstRatio(`n=${n} c=${c} x̂`, got.xhat, ref.xhat, hatB));
        note('bn y', worstRatio(`n=${n} c=${c} y`, got.y, ref.y, (i) => 2 * (Math.abs(g[i % c]) * hatB(i) / k * k + k * EPS32 * Math.abs(b[i % c]))));
        note('bn mean', worstRatio('mean', got.stat0, ref.mean, (j) => k * EPS32 * Ms[j]));
        note('bn invstd', worstRatio('invstd', got.invstd, ref.invstd, (j) => 2 * k * EPS32 * ref.invstd[j]));
        // running statistics: PyTorch's update with the unbiased batch variance
        const wantRm = rm.map((v, j) => 0.9 * v + 0.1 * ref.mean[j]);
        const wantRv = Float64Array.from(rv, (v, j) => 0.9 * v + 0.1 * ref.variance[j] * n / (n - 1));
        note('bn running mean', worstRatio('running mean', got.runMean, wantRm, (j) => k * EPS32 * (Math.abs(rm[j]) + Ms[j])));
        note('bn running var', worstRatio('running var', got.runVar, wantRv, (j) => 2 * k * EPS32 * (Math.abs(rv[j]) + ref.variance[j] * n / (n - 1))));
        // inference with the running statistics
        const ye = bnEval(e, n, c, x, g, b, rm, rv);
        const we = bnEvalF64(n, c, x, g, b, rm, rv, EPS);
        note('bn eval y', worstRatio('eval y', ye, we, (i) => {
          const j = i % c, s = 1 / Math.sqrt(rv[j] + EPS);
          return 8 * EPS32 * (Math.abs(g[j]) * s * (Math.abs(x[i]) + Math.abs(rm[j])) + Math.abs(b[j]));
        }));
        // backward from the kernel's own x̂ and s
        const dy = inputs(n, c, seed + 5, 0);
        const gb = backward(e, 'bnBackward', n, c, got.xhat, dy, g, got.invstd);
        const wb = bnBackwardF64(n, c, x, dy, g, EPS);
        const sdy = new Float64Array(c), sdyh = new Float64Array(c);
        for (let i = 0; i < n * c; i++) { sdy[i % c] += Math.abs(dy[i]); sdyh[i % c] += Math.abs(dy[i]) * (Math.abs(ref.xhat[i]) + ref.invstd[i % c] * Ms[i % c]); }
        note('bn dx', worstRatio('dx', gb.dx, wb.dx, (i) => {
          const j = i % c, h = Math.abs(ref.xhat[i]);
          return 4 * k * EPS32 * (Math.abs(g[j]) * ref.invstd[j] / n) * (n * Math.abs(dy[i]) + sdy[j] + (h + 1) * sdyh[j]) + 1e-30;
        }));
        note('bn dγ', worstRatio('dgamma', gb.dgamma, wb.dgamma, (j) => k * EPS32 * sdyh[j] + 1e-30));
        note('bn dβ', worstRatio('dbeta', gb.dbeta, wb.dbeta, (j) => (n + 1) * EPS32 * sdy[j] + 1e-30));
      }
    });

    it('y may equal x (in place) and x̂ may be skipped; n = 1 leaves the running variance alone', () => {
      const n = 6, c = 5, x = inputs(n, c, 9), g = vec(c, 10, -2, 2), b = vec(c, 11, -1, 1);
      const want = bnTrain(e, n, c, x, g, b, new Float32Array(c), new Float32Array(c).fill(1));
      const got = e.scope(() => {
        const tx = e.tensor([n * c], x), tg = e.tensor([c], g), tb = e.tensor([c], b), tm = e.empty([c]), ts = e.empty([c]);
        e.kernels.bnForwardTrain(n, c, tx.pointer(), tx.pointer(), 0, tg.pointer(), tb.pointer(), tm.pointer(), ts.pointer(), 0, 0, 0.1, EPS);
        return tx.toArray();
      });
      expect(got).toEqual(want.y);
      const one = bnTrain(e, 1, c, x.subarray(0, c), g, b, new Float32Array(c).fill(0.5), new Float32Array(c).fill(2));
      expect(Array.from(one.runVar)).toEqual(new Array(c).fill(2));
      expect(Array.from(one.y)).toEqual(Array.from(b)); // x̂ = 0 for a single row
    });
  });

  describe(`layer norm kernels, ${isa}`, () => {
    const e = engineFor(isa);
    it('forward and backward vs f64 (odd sizes, offset rows)', () => {
      for (const [c, n] of SIZES) {
        const seed = n * 31 + c;
        // offsets per row: transpose the column offsets of inputs()
        const x = inputs(n, c, seed).map((v, i) => v + 2 * ((Math.floor(i / c) % 3) - 1));
        const g = vec(c, seed + 1, -2, 2), b = vec(c, seed + 2, -1, 1);
        const got = lnForward(e, n, c, x, g, b);
        const ref = lnF64(n, c, x, g, b, EPS);
        const Ms = Array.from({ length: n }, (_, i) => Math.max(...Array.from(x.subarray(i * c, i * c + c), Math.abs)));
        const k = c + 8;
        const hatB = (i: number) => k * EPS32 * (ref.invstd[Math.floor(i / c)] * Ms[Math.floor(i / c)] + Math.abs(ref.xhat[i]));
        note('ln x̂', worstRatio(`n=${n} c=${c} x̂`, got.xhat, ref.xhat, hatB));
        note('ln y', worstRatio('y', got.y, ref.y, (i) => 2 * (Math.abs(g[i % c]) * hatB(i) + k * EPS32 * Math.abs(b[i % c]))));
        note('ln invstd', worstRatio('invstd', got.invstd, ref.invstd, (i) => 2 * k * EPS32 * ref.invstd[i]));
        const dy = inputs(n, c, seed + 5, 0);
        const gb = backward(e, 'lnBackward', n, c, got.xhat, dy, g, got.invstd);
        const wb = lnBackwardF64(n, c, x, dy, g, EPS);
        const sg = new Float64Array(n), sgh = new Float64Array(n), cdy = new Float64Array(c), cdyh = new Float64Array(c);
        for (let i = 0; i < n * c; i++) {
          const r = Math.floor(i / c), j = i % c, h = Math.abs(ref.xhat[i]) + ref.invstd[r] * Ms[r];
          sg[r] += Math.abs(dy[i] * g[j]); sgh[r] += Math.abs(dy[i] * g[j]) * h;
          cdy[j] += Math.abs(dy[i]); cdyh[j] += Math.abs(dy[i]) * h;
        }
        note('ln dx', worstRatio('dx', gb.dx, wb.dx, (i) => {
          const r = Math.floor(i / c), h = Math.abs(ref.xhat[i]);
          return 4 * k * EPS32 * (ref.invstd[r] / c) * (c * Math.abs(dy[i] * g[i % c]) + sg[r] + (h + 1) * sgh[r]) + 1e-30;
        }));
        note('ln dγ', worstRatio('dgamma', gb.dgamma, wb.dgamma, (j) => (n + k) * EPS32 * cdyh[j] + 1e-30));
        note('ln dβ', worstRatio('dbeta', gb.dbeta, wb.dbeta, (j) => (n + 1) * EPS32 * cdy[j] + 1e-30));
      }
    });
  });
}

describe('the backward formulas against central finite differences (f64)', () => {
  for (const [n, c] of [[2, 1], [4, 3], [7, 5], [12, 9]] as [number, number][]) {
    it(`batch norm and layer norm, ${n}×${c}`, () => {
      const x = Float64Array.from(inputs(n, c, n + c)), g = Float64Array.from(vec(c, 3, -2, 2)), b = Float64Array.from(vec(c, 4, -1, 1));
      const dy = Float64Array.from(inputs(n, c, 7, 0));
      for (const [name, fwd, bwd] of [
        ['bn', (xx: Float64Array, gg: Float64Array, bb: Float64Array) => bnTrainF64(n, c, xx, gg, bb, EPS).y, bnBackwardF64],
        ['ln', (xx: Float64Array, gg: Float64Array, bb: Float64Array) => lnF64(n, c, xx, gg, bb, EPS).y, lnBackwardF64],
      ] as const) {
        const num = numericNormGrad(fwd, x, g, b, dy);
        const ana = bwd(n, c, x, dy, g, EPS);
        for (const key of ['dx', 'dgamma', 'dbeta'] as const) {
          const scale = Math.max(1, ...Array.from(num[key], Math.abs));
          let err = 0;
          for (let i = 0; i < num[key].length; i++) err = Math.max(err, Math.abs(num[key][i] - ana[key][i]) / scale);
          note(`f64 ${name} ${key} vs finite differences`, err);
          expect(err, `${name} ${key}`).toBeLessThan(1e-7);
        }
      }
    });
  }
});

describe('batch norm running statistics: PyTorch definition, three batches', () => {
  // torch.nn.BatchNorm1d, documented: training normalizes with the biased batch variance;
  // running_mean ← (1 − momentum)·running_mean + momentum·mean, likewise running_var with the
  // UNBIASED batch variance; starts at mean 0, var 1; inference uses the running statistics.
  const { gamma, beta, eps, momentum, batches, trainOutputs, runningMean, runningVar, evalInput, evalOutput } = torchBn;
  const c = gamma.length;
  const hand = () => {
    const rm = new Array(c).fill(0), rv = new Array(c).fill(1);
    const outs: number[][][] = [];
    for (const batch of batches) {
      const n = batch.length;
      const out = batch.map(() => new Array(c).fill(0));
      for (let j = 0; j < c; j++) {
        let mean = 0;
        for (const row of batch) mean += row[j] / n;
        let ss = 0;
        for (const row of batch) ss += (row[j] - mean) * (row[j] - mean);
        for (let i = 0; i < n; i++) out[i][j] = gamma[j] * (batch[i][j] - mean) / Math.sqrt(ss / n + eps) + beta[j];
        rm[j] = (1 - momentum) * rm[j] + momentum * mean;
        rv[j] = (1 - momentum) * rv[j] + momentum * ss / (n - 1);
      }
      outs.push(out);
    }
    const ev = evalInput.map((row) => row.map((v, j) => gamma[j] * (v - rm[j]) / Math.sqrt(rv[j] + eps) + beta[j]));
    return { rm, rv, outs, ev };
  };

  it('the hand-written float64 loop reproduces the committed PyTorch numbers', () => {
    const h = hand();
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-12));
    close(h.rm, runningMean);
    close(h.rv, runningVar);
    h.outs.forEach((o, k) => o.forEach((row, i) => close(row, trainOutputs[k][i])));
    h.ev.forEach((row, i) => close(row, evalOutput[i]));
  });

  for (const isa of isas) {
    it(`the kernels (${isa}) follow them in float32`, () => {
      const e = engineFor(isa);
      const g = Float32Array.from(gamma), b = Float32Array.from(beta);
      let rm: Float32Array = new Float32Array(c), rv: Float32Array = new Float32Array(c).fill(1);
      let worstTrain = 0;
      batches.forEach((batch, k) => {
        const n = batch.length;
        const r = bnTrain(e, n, c, Float32Array.from(batch.flat()), g, b, rm, rv, momentum);
        trainOutputs[k].flat().forEach((v, i) => { worstTrain = Math.max(worstTrain, Math.abs(r.y[i] - v)); });
        rm = r.runMean;
        rv = r.runVar;
      });
      const rel = (a: ArrayLike<number>, w: number[]) => Math.max(...w.map((v, i) => Math.abs(a[i] - v) / Math.max(1, Math.abs(v))));
      note('torch running mean', rel(rm, runningMean));
      note('torch running var', rel(rv, runningVar));
      note('torch train y', worstTrain);
      expect(rel(rm, runningMean)).toBeLessThan(1e-6);
      expect(rel(rv, runningVar)).toBeLessThan(1e-6);
      expect(worstTrain).toBeLessThan(1e-5);
      const ye = bnEval(e, evalInput.length, c, Float32Array.from(evalInput.flat()), g, b, rm, rv);
      const ev = rel(ye, evalOutput.flat());
      note('torch eval y', ev);
      expect(ev).toBeLessThan(1e-5);
    });
  }
});

// Registered where both builds run (the node-relaxed and browser projects).
if (isas.length > 1) describe('both builds agree bit for bit (no fused multiply-add in these kernels)', () => {
  it('simd and relaxed-simd', () => {
    const [a, b] = isas.map((i) => engineFor(i));
    const n = 19, c = 11, x = inputs(n, c, 5), g = vec(c, 6, -2, 2), bt = vec(c, 7, -1, 1);
    const z = new Float32Array(c), o = new Float32Array(c).fill(1);
    expect(bnTrain(a, n, c, x, g, bt, z, o)).toEqual(bnTrain(b, n, c, x, g, bt, z, o));
    expect(lnForward(a, n, c, x, g, bt)).toEqual(lnForward(b, n, c, x, g, bt));
  });
});


// ---- in a Model ----

import { Model, type AnyLayerSpec } from '../src/nn/model.js';
import { gradientCheck } from '../src/diagnostics/gradient-check.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { evaluate, fit } from '../src/train/fit.js';
import { lbfgs } from '../src/train/full-batch.js';
import { DescentError } from '../src/engine/errors.js';
import { checkModelGradient } from './norm-model-reference.js';
import { randomF32 } from './reference.js';
import { digits } from '../src/data/digits.js';
import { subset } from '../src/data/dataset.js';

for (const isa of isas) {
  describe(`batch norm and layer norm in a Model, ${isa}`, () => {
    const e = engineFor(isa);
    const specs: [string, AnyLayerSpec[]][] = [
      ['Dense → BatchNorm → tanh', [{ units: 6, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'tanh' }, { units: 3 }]],
      ['tanh → BatchNorm (no activation) → Dense → LayerNorm', [{ units: 5, activation: 'tanh' }, { type: 'batchnorm', momentum: 0.2, eps: 1e-3 }, { units: 7, activation: 'sigmoid' }, { type: 'layernorm', activation: 'tanh' }, { units: 4 }]],
      ['LayerNorm, width 17', [{ units: 17, activation: 'linear' }, { type: 'layernorm', activation: 'tanh' }, { units: 3 }]],
    ];
    for (const [name, layers] of specs) {
      it(`${name}: loss and every gradient entry vs f64 finite differences; gradientCheck passes`, () => {
        const model = new Model(e, { inputs: 4, layers, loss: 'softmax-cross-entropy', seed: 3 });
        note(`model ${name}`, checkModelGradient(model, 9, 5));
        const x = randomF32(9 * 4, 8), labels = Int32Array.from({ length: 9 }, (_, i) => i % 3);
        const gc = gradientCheck(model, { x, n: 9, labels }, { samples: 20 });
        note(`gradientCheck ${name}`, gc.maxRelativeError);
        expect(gc.passed, JSON.stringify(gc.layers.map((l) => [l.kind, l.maxRelativeError]))).toBe(true);
        model.release();
      });
    }

    it('running statistics and inference through the model follow PyTorch (three batches)', () => {
      const { gamma, beta, batches, runningMean, runningVar, evalInput, evalOutput } = torchBn;
      const model = new Model(e, { inputs: 3, loss: 'mse', layers: [{ units: 3, activation: 'linear', bias: false }, { type: 'batchnorm' }, { units: 1 }] });
      model.layers[0].W.data.set([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      model.layers[1].W.data.set(gamma);
      model.layers[1].b!.data.set(beta);
      for (const b of batches) model.lossOnly({ x: Float32Array.from(b.flat()), n: b.length, targets: new Float32Array(b.length) });
      const rel = (a: ArrayLike<number>, w: number[]) => Math.max(...w.map((v, i) => Math.abs(a[i] - v) / Math.max(1, Math.abs(v))));
      expect(rel(model.layers[1].runningMean!.data, runningMean)).toBeLessThan(1e-6);
      expect(rel(model.layers[1].runningVar!.data, runningVar)).toBeLessThan(1e-6);
      model.eval();
      const v = model.views(2);
      v.x.data.set(evalInput.flat());
      model.forward(v, 2);
      expect(rel(v.ys[1].data, evalOutput.flat())).toBeLessThan(1e-5);
      // predict infers whatever the mode; a batch of 1 is fine there
      model.train();
      const p1 = model.predict(Float32Array.from(evalInput[0]));
      expect(p1.length).toBe(1);
      model.release();
    });

    it('fit trains in training mode (running statistics move), evaluate and predict infer; save/load keeps γ, β and the running statistics', () => {
      const n = 60, r = rng(4);
      const x = Float32Array.from({ length: n * 4 }, () => r() * 4 - 2 + 5);
      const labels = Int32Array.from({ length: n }, (_, i) => (x[i * 4] + x[i * 4 + 1] > 10 ? 1 : 0));
      const data = { x, n, features: 4, labels, classes: 2 };
      const model = new Model(e, { inputs: 4, loss: 'softmax-cross-entropy', seed: 2,
        layers: [{ units: 8, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu' }, { units: 8, activation: 'tanh' }, { type: 'layernorm' }, { units: 2 }] });
      const before = evaluate(model, data).loss;
      fit(model, data, { epochs: 20, batchSize: 10, lr: 0.1 });
      expect(model.training).toBe(true);
      const bn = model.layers[1];
      expect(bn.runningMean!.toArray().some((m) => m !== 0)).toBe(true);
      const after = evaluate(model, data);
      expect(model.training).toBe(true); // evaluate restores the mode
      expect(after.loss).toBeLessThan(before);
      expect(after.accuracy!).toBeGreaterThan(0.8);
      const bytes = saveModel(model);
      const back = loadModel(e, bytes);
      expect(back.describe()).toBe(model.describe());
      expect(back.parameters().toArray()).toEqual(model.parameters().toArray());
      expect(back.layers[1].runningVar!.toArray()).toEqual(bn.runningVar!.toArray());
      expect(back.predict(x)).toEqual(model.predict(x));
      expect(evaluate(back, data).loss).toBe(after.loss);
      back.release();
      model.release();
    });

    it('files of Dense-only models are unchanged: no new tensors, and they load', () => {
      const model = new Model(e, { inputs: 3, layers: [{ units: 4 }, { units: 2 }], seed: 1 });
      const bytes = saveModel(model);
      const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
      expect(Object.keys(header).sort()).toEqual(['__metadata__', 'layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight']);
      expect(header['__metadata__'].model).toBe(JSON.stringify({ inputs: 3, loss: 'softmax-cross-entropy', seed: 1, layers: [
        { units: 4, activation: 'tanh', bias: true, init: model.layers[0].init }, { units: 2, activation: 'linear', bias: true, init: model.layers[1].init }] }));
      expect(loadModel(e, bytes).parameters().toArray()).toEqual(model.parameters().toArray());
    });

    it('bad input: a batch of 1 in training mode, misplaced layers, bad eps and momentum name the layer', () => {
      const model = new Model(e, { inputs: 2, loss: 'mse', layers: [{ units: 3 }, { type: 'batchnorm' }, { units: 1 }] });
      const one = { x: new Float32Array([1, 2]), n: 1, targets: new Float32Array([0]) };
      expect(() => model.lossAndGradient(one)).toThrow(DescentError);
      expect(() => model.lossAndGradient(one)).toThrow(/layer 1 BatchNorm\(3\).*at least 2/);
      model.eval();
      expect(Number.isFinite(model.lossOnly(one))).toBe(true);
      // gradients after an inference-mode pass: those of the inference function (running
      // statistics frozen, as torch after net.eval(); test/batchnorm-eval-torch.test.ts)
      expect(Number.isFinite(model.lossAndGradient(one))).toBe(true);
      expect(model.gradients().toArray().every(Number.isFinite)).toBe(true);
      const bad = (layers: AnyLayerSpec[], re: RegExp) => expect(() => new Model(e, { inputs: 2, layers })).toThrow(re);
      bad([{ type: 'batchnorm' }, { units: 2 }], /layer 0 \(batchnorm\): must follow a Dense layer/);
      bad([{ units: 2 }, { type: 'layernorm' }], /layer 1 \(layernorm\): the last layer must be Dense/);
      bad([{ units: 2 }, { type: 'batchnorm', eps: 0 }, { units: 2 }], /layer 1 \(batchnorm\): eps must be/);
      bad([{ units: 2 }, { type: 'batchnorm', momentum: 1.5 }, { units: 2 }], /layer 1 \(batchnorm\): momentum must be/);
      bad([{ units: 2 }, { type: 'groupnorm' } as unknown as AnyLayerSpec, { units: 2 }], /layer 1: unknown layer type "groupnorm"/);
    });
  });
}

describe('report', () => {
  it('worst error / bound ratios', () => {
    console.log(Object.entries(worst).map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n'));
  });
});

describe('full-batch minimizers: layer norm models are objectives, batch norm and dropout are refused', () => {
  const e = engineFor(isas[0]);
  const data = { x: randomF32(8, 1), n: 4, features: 2, labels: Int32Array.from([0, 1, 0, 1]), classes: 2 };

  it('batch norm and dropout: fit and model.objective name the layer and the reason', () => {
    const bn = new Model(e, { inputs: 2, layers: [{ units: 3 }, { type: 'batchnorm' }, { units: 2 }] });
    expect(() => fit(bn, data, { optimizer: lbfgs(), batchSize: 'full' })).toThrow(/fit: lbfgs: networkObjective: .*layer 1 BatchNorm\(3.*depend on how the data is split into batches/);
    const dr = new Model(e, { inputs: 2, layers: [{ units: 3 }, { type: 'dropout', rate: 0.5 }, { units: 2 }] });
    expect(() => dr.objective(data)).toThrow(/layer 1 Dropout.*random function of θ/);
  });

  it('layer norm: the objective gradient matches central differences; L-BFGS trains digits; weight decay skips γ, β', () => {
    const d = digits();
    const sub = subset(d, Int32Array.from({ length: 300 }, (_, i) => i));
    const spec = { inputs: 64, layers: [{ units: 16, activation: 'linear' as const, bias: false }, { type: 'layernorm' as const, activation: 'tanh' as const }, { units: 10 }], loss: 'softmax-cross-entropy' as const, seed: 4 };
    const m = new Model(e, spec);
    const obj = m.objective(subset(d, Int32Array.from({ length: 40 }, (_, i) => i)), { weightDecay: 0.01 });
    const x = Float64Array.from(m.parameters().data);
    const g = new Float64Array(obj.n);
    obj.valueAndGradient!(x, g);
    const ln = m.layers[1];
    // a few weights of each kind: Dense 0, γ and β of the layer norm, Dense 2
    const probe = [3, 77, ln.weightOffset + 2, ln.biasOffset + 5, m.layers[2].weightOffset + 11];
    for (const i of probe) {
      const h = 1e-2 * Math.max(Math.abs(x[i]), 0.1);
      const xp = x.slice(), xm = x.slice();
      xp[i] += h; xm[i] -= h;
      const fd = (obj.value(xp) - obj.value(xm)) / (2 * h);
      expect(Math.abs(fd - g[i]), `parameter ${i}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(g[i])));
    }
    // the penalty λθ enters the gradient of Dense weights, not of γ: compare with λ = 0
    const g0 = new Float64Array(obj.n);
    m.objective(subset(d, Int32Array.from({ length: 40 }, (_, i) => i))).valueAndGradient!(x, g0);
    expect(g[ln.weightOffset] - g0[ln.weightOffset]).toBeCloseTo(0, 6);
    expect((g[3] - g0[3]) / (0.01 * x[3])).toBeCloseTo(1, 3);
    const h = fit(m, sub, { optimizer: lbfgs(), batchSize: 'full', epochs: 60 });
    expect(h.loss[h.loss.length - 1]).toBeLessThan(h.loss[0] / 10);
    expect(evaluate(m, subset(d, Int32Array.from({ length: 300 }, (_, i) => 1000 + i))).accuracy).toBeGreaterThan(0.85);
  });
});
