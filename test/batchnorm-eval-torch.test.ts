// Batch norm with frozen statistics — the backward after an inference-mode forward — against
// PyTorch 1.13 (test/fixtures/torch-init-bn.json, scripts/torch-init-bn.py: BatchNorm1d and
// BatchNorm2d in eval(), and two networks whose other modules train while the batch norm is in
// eval(), as in fine-tuning), on every ISA:
//   - the kernels bnForwardEval + bnBackwardEvalLd: y, ∂x, ∂γ, ∂β within 1e-6 of torch's float32
//     (|ours − torch| ≤ 1e-6·max|torch| per tensor); the float64 reference below within 1e-12 of
//     torch's float64; the kernel's bits equal to a scalar f32 reference with its order of
//     operations, for widths with 16-, 4- and 1-feature blocks, and with ∂x written over dy;
//   - whole models with { type: 'batchnorm', frozenStats: true }: loss and every parameter
//     gradient within 1e-6 of torch (float32); the running statistics unchanged; the same bits as
//     the plain layer after model.eval(); central differences of the loss agree;
//   - threads: 2 threads give the bits of 1 (kernel, split by columns, and a model trained by fit);
//   - the spec flag: save/load, describe, validation, single-sample batches, full-batch objectives.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { closeThreads, createEngineSync, threadStats } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { loadModel, modelSpec, saveModel } from '../src/io/model-file.js';
import { Model, type AnyLayerSpec, type ModelSpec } from '../src/nn/model.js';
import { optimizer } from '../src/optim/optimizer.js';
import { fit } from '../src/train/fit.js';
import { engineFor, isas } from './engines.js';
import { rng } from './reference.js';
import { runningPool } from '../src/engine/threads/pool.js';

interface Out { y: number[]; dx: number[]; dgamma: number[]; dbeta: number[] }
interface BnCase { name: string; c: number; shape: number[]; eps: number; x: number[]; dy: number[]; gamma: number[]; beta: number[]; runningMean: number[]; runningVar: number[]; f32: Out; f64: Out }
interface T { shape: number[]; data: number[] }
interface Net { name: string; x: number[]; xshape: number[]; labels: number[]; params: Record<string, T>; f32: { loss: number; grads: Record<string, number[]> }; f64: { loss: number; grads: Record<string, number[]> } }
const F = JSON.parse(readFileSync(new URL('./fixtures/torch-init-bn.json', import.meta.url), 'utf8')) as {
  batchnormEval: { layers: BnCase[]; networks: [Net, Net] };
};

const f = Math.fround;
const worst: Record<string, number> = {};

/** max|a − b| / max|b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return err / Math.max(scale, 1e-300);
}
function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  const r = relErr(got, want);
  const key = `${what.split(':')[0]} (tol ${tol})`;
  worst[key] = Math.max(worst[key] ?? 0, r);
  expect(r, `${what}: relative error ${r.toExponential(2)}`).toBeLessThanOrEqual(tol);
}
const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** NCHW (or a plain n × c matrix) as the kernels' rows × c matrix (NHWC); f64 keeps the values exact. */
function rowsOf(data: ArrayLike<number>, shape: number[], f64 = false): Float32Array | Float64Array {
  const Ctor = f64 ? Float64Array : Float32Array;
  if (shape.length === 2) return Ctor.from(data);
  const [n, c, h, w] = shape, out = new Ctor(n * c * h * w);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(i * h * w + p) * c + ch] = data[(i * c + ch) * h * w + p];
  return out;
}

interface Inputs { n: number; c: number; x: Float32Array; dy: Float32Array; gamma: Float32Array; beta: Float32Array; rm: Float32Array; rv: Float32Array; eps: number }

/** The inference map and its gradient in float64: y = (x − μ)/√(σ² + ε)·γ + β. */
function reference64(t: Inputs): { y: Float64Array; dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const { n, c } = t;
  const y = new Float64Array(n * c), dx = new Float64Array(n * c), dgamma = new Float64Array(c), dbeta = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const s = 1 / Math.sqrt(t.rv[j] + t.eps);
    for (let i = 0; i < n; i++) {
      const k = i * c + j, xh = (t.x[k] - t.rm[j]) * s;
      y[k] = t.gamma[j] * xh + t.beta[j];
      dx[k] = t.dy[k] * t.gamma[j] * s;
      dgamma[j] += t.dy[k] * xh;
      dbeta[j] += t.dy[k];
    }
  }
  return { y, dx, dgamma, dbeta };
}

/** The kernels' float32 arithmetic, operation for operation (rows in order, no fused multiply-add). */
function reference32(t: Inputs): Record<string, Float32Array> {
  const { n, c } = t, eps = f(t.eps);
  const o = { y: new Float32Array(n * c), dx: new Float32Array(n * c), dgamma: new Float32Array(c), dbeta: new Float32Array(c) };
  for (let j = 0; j < c; j++) {
    const sd = f(Math.sqrt(f(t.rv[j] + eps))), k = f(t.gamma[j] / sd), mu = t.rm[j];
    let sdy = 0, sdx = 0;
    for (let i = 0; i < n; i++) {
      const q = i * c + j, d = t.dy[q];
      o.y[q] = f(f(f(t.x[q] - mu) * k) + t.beta[j]);
      sdy = f(sdy + d);
      sdx = f(sdx + f(d * f(t.x[q] - mu)));
      o.dx[q] = f(d * k);
    }
    o.dgamma[j] = f(sdx * f(1 / sd));
    o.dbeta[j] = sdy;
  }
  return o;
}

/** bnForwardEval and bnBackwardEvalLd on an engine; inPlace: ∂x written over a copy of dy. */
function kernels(e: Engine, t: Inputs, inPlace = false): Record<string, Float32Array> {
  const { n, c } = t, K = e.kernels;
  return e.scope(() => {
    const x = e.tensor([n * c], t.x), dy = e.tensor([n * c], t.dy), g = e.tensor([c], t.gamma), b = e.tensor([c], t.beta);
    const rm = e.tensor([c], t.rm), rv = e.tensor([c], t.rv);
    const y = e.empty([n * c]), dx = inPlace ? dy : e.empty([n * c]), dg = e.empty([c]), db = e.empty([c]);
    K.bnForwardEval(n, c, x.pointer(), y.pointer(), g.pointer(), b.pointer(), rm.pointer(), rv.pointer(), t.eps);
    K.bnBackwardEvalLd(n, c, c, x.pointer(), dy.pointer(), g.pointer(), rm.pointer(), rv.pointer(), t.eps, dx.pointer(), dg.pointer(), db.pointer());
    expect(bits(rm.toArray())).toEqual(bits(t.rm));
    expect(bits(rv.toArray())).toEqual(bits(t.rv));
    return { y: y.toArray(), dx: dx.toArray(), dgamma: dg.toArray(), dbeta: db.toArray() };
  });
}

function fixtureInputs(bc: BnCase): Inputs {
  const c = bc.c, x = rowsOf(bc.x, bc.shape) as Float32Array;
  return { n: x.length / c, c, x, dy: rowsOf(bc.dy, bc.shape) as Float32Array, gamma: Float32Array.from(bc.gamma), beta: Float32Array.from(bc.beta),
    rm: Float32Array.from(bc.runningMean), rv: Float32Array.from(bc.runningVar), eps: f(bc.eps) };
}
function randomInputs(n: number, c: number, seed: number): Inputs {
  const r = rng(seed), u = (len: number, lo: number, hi: number) => Float32Array.from({ length: len }, () => lo + (hi - lo) * r());
  return { n, c, x: u(n * c, -2, 3), dy: u(n * c, -1, 1), gamma: u(c, 0.5, 1.5), beta: u(c, -1, 1), rm: u(c, -0.5, 0.5), rv: u(c, 0.25, 2), eps: f(1e-5) };
}

/** Torch's Linear weight [out, in] as descent's W [in, out]. */
function linearW(t: T): Float32Array {
  const [o, i] = t.shape, out = new Float32Array(o * i);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = t.data[a * i + b];
  return out;
}
/** Torch's conv weight [out, cg, kh, kw] as descent's [kh·kw·cg, out]. */
function convW(t: T): Float32Array {
  const [o, cg, kh, kw] = t.shape, out = new Float32Array(o * cg * kh * kw);
  for (let fo = 0; fo < o; fo++) for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    out[((ky * kw + kx) * cg + ci) * o + fo] = t.data[((fo * cg + ci) * kh + ky) * kw + kx];
  }
  return out;
}
/** The same back (gradients): descent [in, out] → torch [out, in] order. */
function linearBack(a: Float32Array, o: number, i: number): Float32Array {
  const out = new Float32Array(o * i);
  for (let x = 0; x < o; x++) for (let y = 0; y < i; y++) out[x * i + y] = a[y * o + x];
  return out;
}
function convBack(a: Float32Array, shape: number[]): Float32Array {
  const [o, cg, kh, kw] = shape, out = new Float32Array(a.length);
  for (let fo = 0; fo < o; fo++) for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    out[((fo * cg + ci) * kh + ky) * kw + kx] = a[((ky * kw + kx) * cg + ci) * o + fo];
  }
  return out;
}

/** The fixture's network as a descent model (frozen: the batch-norm layer's frozenStats), parameters set. */
function network(e: Engine, net: Net, conv: boolean, frozen: boolean, act?: string): { model: Model; batch: { x: Float32Array; n: number; labels: Int32Array }; grads: () => Record<string, Float32Array> } {
  const P = net.params, bn = { type: 'batchnorm', ...(frozen ? { frozenStats: true } : {}) } as const;
  const spec: ModelSpec = conv
    ? { inputs: [net.xshape[1], net.xshape[2], net.xshape[3]], layers: [
      { type: 'conv2d', filters: P['0.weight'].shape[0], kernel: P['0.weight'].shape[2], bias: false, activation: 'linear' } as unknown as AnyLayerSpec,
      { ...bn, activation: act ?? 'relu' }, { type: 'globalavgpool' } as unknown as AnyLayerSpec, { units: P['5.weight'].shape[0] }] }
    : { inputs: net.xshape[1], layers: [{ units: P['0.weight'].shape[0], activation: 'linear', bias: false }, { ...bn, activation: act ?? 'tanh' }, { units: P['3.weight'].shape[0] }] };
  const model = new Model(e, spec);
  const [l0, l1] = model.layers, out = model.layers[model.layers.length - 1], head = conv ? '5' : '3';
  l0.W.data.set(conv ? convW(P['0.weight']) : linearW(P['0.weight']));
  l1.W.data.set(P['1.weight'].data); l1.b!.data.set(P['1.bias'].data);
  l1.runningMean!.data.set(P['1.running_mean'].data); l1.runningVar!.data.set(P['1.running_var'].data);
  out.W.data.set(linearW(P[`${head}.weight`])); out.b!.data.set(P[`${head}.bias`].data);
  const n = net.xshape[0];
  const x = conv ? rowsOf(net.x, net.xshape) as Float32Array : Float32Array.from(net.x);
  const grads = () => ({
    '0.weight': conv ? convBack(l0.gW.toArray(), P['0.weight'].shape) : linearBack(l0.gW.toArray(), P['0.weight'].shape[0], P['0.weight'].shape[1]),
    '1.weight': l1.gW.toArray(), '1.bias': l1.gb!.toArray(),
    [`${head}.weight`]: linearBack(out.gW.toArray(), P[`${head}.weight`].shape[0], P[`${head}.weight`].shape[1]), [`${head}.bias`]: out.gb!.toArray(),
  });
  return { model, batch: { x, n, labels: Int32Array.from(net.labels) }, grads };
}

for (const isa of isas) {
  describe(`batch norm with frozen statistics vs PyTorch 1.13, ${isa}`, () => {
    const e = engineFor(isa);

    for (const bc of F.batchnormEval.layers) {
      it(`${bc.name}: forward and backward in eval mode, f32 and f64`, () => {
        const t = fixtureInputs(bc);
        const got = kernels(e, t);
        const want = (k: keyof Out, d: 'f32' | 'f64') => (k === 'y' || k === 'dx' ? rowsOf(bc[d][k], bc.shape, d === 'f64') : bc[d][k]);
        const ref = reference64(t);
        for (const k of ['y', 'dx', 'dgamma', 'dbeta'] as const) {
          close(`kernel vs torch f32: ${bc.name} ${k}`, got[k], want(k, 'f32'), 1e-6);
          // torch's float64 on the same (f32) inputs
          close(`f64 reference vs torch f64: ${bc.name} ${k}`, ref[k], want(k, 'f64'), 1e-12);
        }
        // the kernel's own order of operations, bit for bit, and ∂x written over dy
        const r32 = reference32(t);
        for (const k of Object.keys(r32)) expect(bits(got[k]), `${bc.name} ${k}: bits of the scalar f32 reference`).toEqual(bits(r32[k]));
        expect(bits(kernels(e, t, true).dx)).toEqual(bits(got.dx));
      });
    }

    it('odd widths (1, 3, 17, 129) and batches (1, 2, 7): the bits of the scalar reference', () => {
      for (const c of [1, 3, 17, 129]) for (const n of [1, 2, 7]) {
        const t = randomInputs(n, c, 10 * c + n);
        const got = kernels(e, t), r32 = reference32(t);
        for (const k of Object.keys(r32)) expect(bits(got[k]), `n ${n}, c ${c}: ${k}`).toEqual(bits(r32[k]));
        const ref = reference64(t);
        for (const k of ['y', 'dx', 'dgamma', 'dbeta'] as const) close(`kernel vs f64 reference: ${k}`, got[k], ref[k], 2e-6);
      }
    });

    for (const [ni, net] of F.batchnormEval.networks.entries()) {
      const conv = ni === 1;
      it(`${net.name}: loss and gradients, the batch norm frozen while the rest trains`, () => {
        const { model, batch, grads } = network(e, net, conv, true);
        const stats0 = [model.layers[1].runningMean!.toArray(), model.layers[1].runningVar!.toArray()];
        model.train();
        const loss = model.lossAndGradient(batch);
        expect(Math.abs(loss - net.f32.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(net.f32.loss));
        expect(Math.abs(loss - net.f64.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(net.f64.loss));
        const g = grads();
        for (const k of Object.keys(net.f32.grads)) {
          close(`network vs torch f32: ${k}`, g[k], net.f32.grads[k], 1e-6);
          close(`network vs torch f64: ${k}`, g[k], net.f64.grads[k], 1e-6);
        }
        // running statistics untouched by the training-mode pass
        expect(bits(model.layers[1].runningMean!.toArray())).toEqual(bits(stats0[0]));
        expect(bits(model.layers[1].runningVar!.toArray())).toEqual(bits(stats0[1]));
        // the plain layer after model.eval() (torch's net.eval(): every gradient of the inference
        // function): torch's numbers again, and the bits of the frozen layer in an inference pass
        // (a conv layer's inference forward may take another GEMM path than its training one)
        const plain = network(e, net, conv, false);
        plain.model.eval();
        const evalLoss = plain.model.lossAndGradient(plain.batch);
        expect(Math.abs(evalLoss - net.f32.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(net.f32.loss));
        const pg = plain.grads();
        for (const k of Object.keys(net.f32.grads)) close(`model.eval() network vs torch f32: ${k}`, pg[k], net.f32.grads[k], 1e-6);
        model.eval();
        expect(model.lossAndGradient(batch)).toBe(evalLoss);
        const fg = grads();
        for (const k of Object.keys(g)) expect(bits(pg[k]), `model.eval() gradient ${k}`).toEqual(bits(fg[k]));
        // and in training mode the plain layer normalizes with the batch: another gradient
        plain.model.train();
        plain.model.lossAndGradient(plain.batch);
        expect(relErr(plain.grads()['1.weight'], g['1.weight'])).toBeGreaterThan(1e-2);
        plain.model.release();
        model.release();
      });

      it(`${net.name}: central differences of the loss (tanh after the batch norm: no kinks)`, () => {
        const { model, batch } = network(e, net, conv, true, 'tanh');
        model.lossAndGradient(batch);
        const g = model.gradients().toArray(), theta = model.parameters();
        const th0 = theta.toArray();
        // every batch-norm parameter, and a few of the layer before (their gradient passes ∂x)
        const l1 = model.layers[1], idx = [...Array.from({ length: 2 * l1.units }, (_, i) => l1.weightOffset + i), 0, 5, 17, 33];
        let worstFd = 0;
        for (const i of idx) {
          const h = 1e-2 * Math.max(1, Math.abs(th0[i]));
          const at = (v: number) => { theta.data[i] = v; return model.lossOnly(batch); };
          const fd = (at(th0[i] + h) - at(th0[i] - h)) / (f(th0[i] + h) - f(th0[i] - h)); // the steps as stored in f32
          theta.data[i] = th0[i];
          const err = Math.abs(fd - g[i]) / Math.max(Math.abs(g[i]), 1e-2);
          worstFd = Math.max(worstFd, err);
          expect(err, `parameter ${i}: central difference ${fd}, gradient ${g[i]}`).toBeLessThanOrEqual(2e-3);
        }
        worst[`central differences ${conv ? 'cnn' : 'mlp'} (tol 2e-3)`] = Math.max(worst[`central differences ${conv ? 'cnn' : 'mlp'} (tol 2e-3)`] ?? 0, worstFd);
        model.release();
      });
    }

    it('the spec flag: save/load, describe, validation, batches of one, fit leaves the statistics', () => {
      const spec: ModelSpec = { inputs: 4, loss: 'mse', seed: 2, layers: [
        { units: 6, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu', frozenStats: true }, { units: 1 }] };
      const model = new Model(e, spec);
      const l1 = model.layers[1];
      l1.runningMean!.data.set([0.1, -0.2, 0.3, 0, 0.5, -0.5]);
      l1.runningVar!.data.set([1.5, 0.5, 2, 1, 0.8, 1.2]);
      expect(l1.describe()).toBe('BatchNorm(6, relu, frozen statistics)');
      expect(modelSpec(model).layers[1]).toEqual({ type: 'batchnorm', momentum: 0.1, eps: 1e-5, activation: 'relu', frozenStats: true });
      const back = loadModel(e, saveModel(model));
      expect(modelSpec(back)).toEqual(modelSpec(model));
      expect(bits(back.layers[1].runningVar!.toArray())).toEqual(bits(l1.runningVar!.toArray()));
      // a layer without the flag keeps files as they were (no frozenStats key)
      const plain = new Model(e, { ...spec, layers: [spec.layers[0], { type: 'batchnorm', activation: 'relu' }, spec.layers[2]] });
      expect(Object.keys(modelSpec(plain).layers[1])).not.toContain('frozenStats');
      expect(() => new Model(e, { ...spec, layers: [spec.layers[0], { type: 'batchnorm', frozenStats: 1 } as unknown as AnyLayerSpec, spec.layers[2]] }))
        .toThrow(/layer 1 \(batchnorm\): frozenStats must be true or false, got 1/);
      // training mode on one sample: no batch statistics needed
      const one = { x: new Float32Array([1, 2, 3, 4]), n: 1, targets: new Float32Array([0.5]) };
      expect(Number.isFinite(model.lossAndGradient(one))).toBe(true);
      // fit trains every parameter (γ, β included) and leaves the running statistics as they were
      const r = rng(3), n = 64;
      const data = { x: Float32Array.from({ length: n * 4 }, () => r() * 2 - 1), n, features: 4, targets: Float32Array.from({ length: n }, () => r()), targetWidth: 1 };
      const p0 = model.parameters().toArray(), rm0 = l1.runningMean!.toArray(), rv0 = l1.runningVar!.toArray();
      fit(model, data, { epochs: 3, batchSize: 16, seed: 1, optimizer: optimizer('sgd', { lr: 0.05 }) });
      const p1 = model.parameters().toArray();
      expect(p1.subarray(l1.weightOffset, l1.weightOffset + 12).some((v, i) => v !== p0[l1.weightOffset + i])).toBe(true);
      expect(bits(l1.runningMean!.toArray())).toEqual(bits(rm0));
      expect(bits(l1.runningVar!.toArray())).toEqual(bits(rv0));
      // a full-batch objective accepts it (a fixed function of each sample), and is the model's loss
      const obj = model.objective(data);
      const theta = Float64Array.from(model.parameters().toArray()), grad = new Float64Array(theta.length);
      const value = obj.valueAndGradient!(theta, grad);
      const loss = model.lossAndGradient({ x: data.x, n, targets: data.targets });
      expect(Math.abs(value - loss)).toBeLessThanOrEqual(1e-6 * Math.abs(loss));
      close('objective vs lossAndGradient', grad, model.gradients().toArray(), 1e-6);
      expect(() => plain.objective(data)).toThrow(/BatchNorm\(6, relu\): batch norm makes the loss depend on how the data is split/);
      back.release(); plain.release(); model.release();
    });
  });
}

describe('threads: bnBackwardEvalLd split by columns', () => {
  const engines = new Map<number, Engine>();
  const engineOf = async (threads: number): Promise<Engine> => {
    let e = engines.get(threads);
    if (!e) { e = createEngineSync({ threads }); await e.threadsReady(); engines.set(threads, e); }
    return e;
  };
  afterAll(() => closeThreads());

  it('kernel: 2 threads give the bits of 1 (n 256, c 1000 / 1024 / 1030), and workers run chunks', async () => {
    const e1 = await engineOf(1), e2 = await engineOf(2);
    for (const c of [1000, 1024, 1030]) {
      const t = randomInputs(256, c, c);
      const want = kernels(e1, t), got = kernels(e2, t);
      for (const k of Object.keys(want)) expect(bits(got[k]), `c ${c}: ${k}`).toEqual(bits(want[k]));
      expect(bits(want.dx)).toEqual(bits(reference32(t).dx));
    }
    const t = randomInputs(256, 1024, 5), n = 256, c = 1024, K = e2.kernels;
    e2.scope(() => {
      const x = e2.tensor([n * c], t.x), dy = e2.tensor([n * c], t.dy), g = e2.tensor([c], t.gamma), rm = e2.tensor([c], t.rm), rv = e2.tensor([c], t.rv);
      const dx = e2.empty([n * c]), dg = e2.empty([c]), db = e2.empty([c]);
      // a worker asleep may wake after the calling thread took every chunk: a few tries
      let ran = 0;
      for (let i = 0; i < 200 && ran === 0; i++) {
        // on a busy machine the pool may be backing off (calls stay on this thread for 250 ms
        // after slow joins, pool.ts): wait that out before each try
        for (const t0 = performance.now(); runningPool()?.contended && performance.now() - t0 < 1000;);
        const before = threadStats();
        K.bnBackwardEvalLd(n, c, c, x.pointer(), dy.pointer(), g.pointer(), rm.pointer(), rv.pointer(), t.eps, dx.pointer(), dg.pointer(), db.pointer());
        ran = threadStats().slice(1).reduce((s, v, j) => s + v - (before[j + 1] ?? 0), 0);
      }
      expect(ran, 'chunks run by the worker').toBeGreaterThan(0);
    });
  }, 60_000);

  it('a model with a frozen 1024-wide batch norm trains to the same bits on 1 and 2 threads', async () => {
    const n = 256, features = 32, r = rng(9);
    const x = Float32Array.from({ length: n * features }, () => r() * 2 - 1);
    const labels = Int32Array.from({ length: n }, (_, i) => (i + (x[i * features] > 0 ? 1 : 0)) % 4);
    const out: Float32Array[] = [];
    for (const threads of [1, 2]) {
      const model = new Model(await engineOf(threads), { inputs: features, seed: 4, layers: [
        { units: 1024, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu', frozenStats: true }, { units: 4 }] });
      model.layers[1].runningVar!.data.fill(0.7);
      fit(model, { x, n, features, labels, classes: 4 }, { epochs: 2, batchSize: 128, seed: 1, optimizer: optimizer('adam', { lr: 1e-3 }) });
      out.push(model.parameters().toArray());
      model.release();
    }
    expect(bits(out[1])).toEqual(bits(out[0]));
  }, 60_000);
});

describe('report', () => {
  it('worst relative errors', () => console.log(Object.entries(worst).map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n')));
});
