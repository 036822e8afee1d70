// Divergence in fit / fitAsync (issue #13, item 3): every step's loss, the parameters and
// running statistics at every epoch end and the validation loss are checked; onNonFinite
// 'throw' (default) attaches the History to the error, 'stop' returns it, 'rollback' restores
// the last checked state bit for bit; hyper-parameters that overflow float32 are refused.
// The examples are regression tests here.

import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { DescentError } from '../src/engine/errors.js';
import { digits } from '../src/data/digits.js';
import { trainTestSplit } from '../src/data/split.js';
import type { Dataset } from '../src/data/dataset.js';
import { Model } from '../src/nn/model.js';
import { fit, fitAsync, NonFiniteError, type FitAsyncOptions, type History } from '../src/train/fit.js';
import { sgd } from '../src/train/optimizer.js';
import { lbfgs, steepestDescent } from '../src/train/full-batch.js';
import { optimizer, type OptimizerStateDict } from '../src/optim/optimizer.js';
import { checkF32, checkF32Hyper, F32_MAX } from '../src/optim/check.js';

const e = Engine.createSync({ isa: 'simd' });
const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
const small: Dataset = { ...train, n: 60, x: train.x.slice(0, 60 * 64), labels: train.labels!.slice(0, 60) };
const mlp = (seed = 1) => new Model(e, { inputs: 64, layers: [{ units: 16, activation: 'relu' }, { units: 10 }], loss: 'softmax-cross-entropy', seed });
const normed = (seed = 2) => new Model(e, {
  inputs: 64, seed,
  layers: [{ units: 24, bias: false }, { type: 'batchnorm', activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { units: 10 }],
});
/** A copy of `ds` whose features are all 3e38: finite in float32, but any forward pass overflows. */
const huge = (ds: Dataset): Dataset => ({ ...ds, x: new Float32Array(ds.x.length).fill(3e38) });
/** A set on which one full-batch update with lr 1e37 takes the weights past float32 (the loss before it is finite). */
const big: Dataset = { ...small, x: small.x.map((v) => v * 1000) };

interface State { params: Float32Array; buffers: Float32Array[]; passes: number; opt?: OptimizerStateDict }
const state = (m: Model, opt?: { stateDict(): OptimizerStateDict }): State =>
  ({ params: m.parameters().toArray(), buffers: m.buffers().map((b) => b.tensor.toArray()), passes: m.passes, opt: opt?.stateDict() });
const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
function expectSameState(a: State, b: State): void {
  expect(bitsOf(a.params)).toEqual(bitsOf(b.params));
  expect(a.buffers.map(bitsOf)).toEqual(b.buffers.map(bitsOf));
  expect(a.passes).toBe(b.passes);
  if (a.opt || b.opt) {
    expect(a.opt!.steps).toEqual(b.opt!.steps);
    expect(a.opt!.scalars).toEqual(b.opt!.scalars);
    expect(Object.keys(a.opt!.buffers).sort()).toEqual(Object.keys(b.opt!.buffers).sort());
    for (const k of Object.keys(a.opt!.buffers)) expect(bitsOf(a.opt!.buffers[k])).toEqual(bitsOf(b.opt!.buffers[k]));
  }
}
const allFinite = (a: Float32Array) => a.every((v) => Number.isFinite(v));

function thrown(f: () => unknown): NonFiniteError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err).toBeInstanceOf(DescentError);
    return err as NonFiniteError;
  }
  throw new Error('expected a NonFiniteError');
}

describe('hyper-parameters that overflow float32 are refused up front', () => {
  it("fit(m, ds, { epochs: 1, batchSize: 'full', lr: 1e300 }) throws naming lr and changes nothing (issue example: it completed with every parameter NaN)", async () => {
    const m = mlp();
    const before = state(m);
    expect(() => fit(m, small, { epochs: 1, batchSize: 'full', lr: 1e300 })).toThrow(/^fit: lr = 1e\+300 is out of float32 range/);
    await expect(fitAsync(m, small, { epochs: 1, batchSize: 'full', lr: 1e300 })).rejects.toThrow(/^fitAsync: lr = 1e\+300 is out of float32 range/);
    expect(() => fit(m, small, { epochs: 1, lr: -1e300 })).toThrow(DescentError);
    expect(() => sgd({ lr: 1e39 })).toThrow(/^sgd: lr = 1e\+39 is out of float32 range/);
    expectSameState(state(m), before);
    // the largest float32 itself is accepted (and diverges: caught below, not here)
    expect(() => sgd({ lr: F32_MAX })).not.toThrow();
    m.release();
  });

  it("optimizers' hyper-parameters: momentum 1e39, lr 1e300, eps 1e-50 (underflows to 0, divided by) are refused naming the option, before anything moves", () => {
    const m = mlp();
    const before = state(m);
    // constant values: the optimizer refuses them when it is made (RuleOptimizer.hyper checks f32 range)
    expect(() => fit(m, small, { epochs: 1, optimizer: optimizer('sgd', { lr: 0.1, momentum: 1e39 }) })).toThrow(/^sgd: momentum = 1e\+39 is out of float32 range/);
    expect(() => fit(m, small, { epochs: 1, optimizer: optimizer('adam', { lr: 1e300 }) })).toThrow(/^adam: lr = 1e\+300 is out of float32 range/);
    expect(() => fit(m, small, { epochs: 1, optimizer: optimizer('adam', { eps: 1e-50 }) })).toThrow(/^adam: eps = 1e-50 underflows to 0 in float32/);
    expect(() => fit(m, small, { epochs: 1, optimizer: optimizer('adam', { lr: (t: number) => (t < 10 ? 1e300 : 1e-3) }) })).toThrow(/adam: lr = 1e\+300/);
    expectSameState(state(m), before);
    // small but representable values pass (subnormal eps, tiny weight decay)
    expect(() => fit(m, small, { epochs: 1, optimizer: optimizer('adam', { eps: 1e-40, weight_decay: 1e-50 }) })).not.toThrow();
    m.release();
  });

  it('checkF32 / checkF32Hyper: the helper the optimizers call', () => {
    expect(checkF32(1e38, 'x')).toBe(1e38);
    expect(checkF32(-F32_MAX, 'x')).toBe(-F32_MAX);
    expect(() => checkF32(3.5e38, 'opt: lr')).toThrow(/^opt: lr = 3\.5e\+38 is out of float32 range/);
    expect(() => checkF32(1e-50, 'opt: eps', true)).toThrow(/^opt: eps = 1e-50 underflows to 0/);
    expect(checkF32(1e-50, 'opt: wd')).toBe(1e-50);
    expect(checkF32(NaN, 'x')).toBeNaN(); // non-finite values are the caller's own checks
    expect(() => checkF32Hyper('adam', { lr: 1e-3, betas: [0.9, 1e39], eps: 1e-8 })).toThrow(/^adam: betas\[1\] = 1e\+39/);
    expect(() => checkF32Hyper('rmsprop', { eps: 0, lr: 1e-3 })).not.toThrow();
  });
});

describe('divergence the loop used to miss', () => {
  it('a run that diverges on its last update is caught at the epoch end (issue example: it completed)', () => {
    // one full-batch update: the loss before it is finite, the update overflows the weights
    const m = mlp();
    const err = thrown(() => fit(m, big, { epochs: 1, batchSize: 'full', lr: 1e37 }));
    expect(err.message).toMatch(/^fit: parameter \d+ became -?Infinity in epoch 1 \(after update 1\)/);
    expect(err.history.stopped).toBe('non-finite');
    expect(err.history.epoch).toEqual([1]);
    expect(Number.isFinite(err.history.loss[0])).toBe(true);
    expect(err.nonFinite).toMatchObject({ what: 'parameters', epoch: 1, update: 1 });
    expect(err.history.nonFinite).toBe(err.nonFinite);
    // 'stop' returns the same History
    const m2 = mlp();
    const h = fit(m2, big, { epochs: 1, batchSize: 'full', lr: 1e37, onNonFinite: 'stop' });
    expect(h).toEqual(err.history);
    expect(allFinite(m2.parameters().toArray())).toBe(false);
    m.release(); m2.release();
  });

  it('a NaN validation loss stops the run (issue example: it completed)', () => {
    const m = mlp();
    const err = thrown(() => fit(m, small, { epochs: 3, batchSize: 20, lr: 0.1, validationData: huge(test) }));
    expect(err.message).toMatch(/^fit: the validation loss became NaN at the end of epoch 1/);
    expect(err.history.epoch).toEqual([1]);
    expect(err.history.valLoss![0]).toBeNaN();
    expect(err.nonFinite).toMatchObject({ what: 'valLoss', epoch: 1, update: 3 });
    expect(allFinite(m.parameters().toArray())).toBe(true);
    m.release();
  });

  it('a NaN loss mid-run: the error carries the History so far (issue example: it was lost)', () => {
    const m = mlp(1);
    const err = thrown(() => fit(m, train, { epochs: 5, batchSize: 32, lr: 1e12, recordSteps: true }));
    const nf = err.nonFinite;
    expect(err.message).toMatch(new RegExp(`^fit: the loss became (NaN|Infinity) at epoch ${nf.epoch}, step ${nf.step} of 45 \\(update ${nf.update + 1}\\)`));
    expect(nf.what).toBe('loss');
    expect(err.history.stopped).toBe('non-finite');
    // the steps before it are recorded (finite), the partial epoch over them
    expect(err.history.steps!.length).toBe(nf.update);
    expect(err.history.steps!.every(Number.isFinite)).toBe(true);
    const partial = (nf.step! > 1 ? 1 : 0);
    expect(err.history.epoch.length).toBe(nf.epoch - 1 + partial);
    m.release();
  });

  it('parameters NaN before training are refused up front', () => {
    const m = mlp();
    m.parameters().data[3] = NaN;
    expect(() => fit(m, small, { epochs: 1 })).toThrow(/^fit: the model's parameter 3 is NaN before training/);
    m.release();
  });
});

describe("the three modes", () => {
  it("'stop' returns the History with stopped 'non-finite' and where", () => {
    const m = mlp(1);
    const h = fit(m, train, { epochs: 5, batchSize: 32, lr: 1e12, onNonFinite: 'stop' });
    expect(h.stopped).toBe('non-finite');
    expect(h.nonFinite).toMatchObject({ what: 'loss' });
    expect(h.nonFinite!.restoredEpoch).toBeUndefined();
    expect(h.loss.every(Number.isFinite)).toBe(true);
    m.release();
  });

  it("'throw' and 'stop' give the same History; fitAsync the same as fit", async () => {
    const opts = { epochs: 5, batchSize: 32, lr: 1e12, validationData: test, recordSteps: true } as const;
    const a = mlp(3), b = mlp(3), c = mlp(3);
    const err = thrown(() => fit(a, train, opts));
    const hb = fit(b, train, { ...opts, onNonFinite: 'stop' });
    expect(hb).toEqual(err.history);
    const errAsync = await fitAsync(c, train, { ...opts, yieldEveryMs: 0 }).then(() => undefined, (x: unknown) => x);
    expect(errAsync).toBeInstanceOf(NonFiniteError);
    expect((errAsync as NonFiniteError).message).toBe(err.message.replace(/^fit:/, 'fitAsync:'));
    expect(stripMs((errAsync as NonFiniteError).history)).toEqual(stripMs(err.history));
    expect(bitsOf(c.parameters().toArray())).toEqual(bitsOf(a.parameters().toArray()));
    a.release(); b.release(); c.release();
  });

  it("'rollback' restores parameters, running statistics, pass counter and optimizer state bit for bit", async () => {
    // Adam on a batch-norm + dropout model; the learning rate jumps to 1e37 in epoch 4
    const stepsPerEpoch = 4; // 60 samples, batch 16
    const lr = (t: number) => (t < 3 * stepsPerEpoch + 1 ? 1e-2 : 1e37);
    for (const driver of ['fit', 'fitAsync'] as const) {
      const m = normed(), opt = optimizer('adam', { lr });
      const saved: Record<number, State> = { 0: state(m) };
      const options: FitAsyncOptions = {
        epochs: 10, batchSize: 16, optimizer: opt, onNonFinite: 'rollback', validationData: test,
        onEpochEnd: (logs) => { saved[logs.epoch] = state(m, opt); },
      };
      const h = driver === 'fit' ? fit(m, small, options as never) : await fitAsync(m, small, { ...options, yieldEveryMs: 0 });
      expect(h.stopped).toBe('non-finite');
      const nf = h.nonFinite!;
      expect(nf.epoch).toBe(4);
      expect(nf.restoredEpoch).toBe(3);
      expectSameState(state(m, opt), saved[3]);
      expect(allFinite(m.parameters().toArray())).toBe(true);
      // training can continue from the restored state
      const h2 = fit(m, small, { epochs: 1, batchSize: 16, optimizer: optimizer('adam', { lr: 1e-3 }) });
      expect(h2.stopped).toBe('completed');
      m.release(); opt.release();
    }
  });

  it("'rollback' before the first checked epoch end restores the starting state; plain sgd() needs no state dict", () => {
    const m = mlp();
    const start = state(m);
    const h = fit(m, big, { epochs: 1, batchSize: 'full', lr: 1e37, onNonFinite: 'rollback' });
    expect(h.stopped).toBe('non-finite');
    expect(h.nonFinite).toMatchObject({ what: 'parameters', restoredEpoch: 0 });
    expectSameState(state(m), start);
    const h2 = fit(m, big, { epochs: 1, batchSize: 'full', optimizer: sgd({ lr: 1e37 }), onNonFinite: 'rollback' });
    expect(h2.nonFinite!.restoredEpoch).toBe(0);
    expectSameState(state(m), start);
    // an optimizer with state but no stateDict cannot be rolled back: refused up front
    const custom = { name: 'custom', step() {} };
    expect(() => fit(m, small, { epochs: 1, optimizer: custom, onNonFinite: 'rollback' })).toThrow(/rollback.*stateDict/);
    expect(() => fit(m, small, { epochs: 1, onNonFinite: 'retry' as never })).toThrow(/onNonFinite must be 'throw', 'stop' or 'rollback', got "retry"/);
    m.release();
  });

  it('non-finite running statistics are caught at the epoch end', () => {
    const m = normed();
    const bn = m.buffers();
    // corrupt the statistics through a step callback (as a diverged update could)
    const err = thrown(() => fit(m, small, { epochs: 2, batchSize: 16, lr: 0.01, onBatchEnd: (l) => { if (l.step === 2) bn[1].tensor.data[5] = Infinity; } }));
    expect(err.nonFinite).toMatchObject({ what: 'statistics', index: 24 + 5, value: Infinity, epoch: 1, update: 4 });
    m.release();
  });

  it('a stop by a callback after a diverging update is reported as non-finite', () => {
    const m = mlp();
    const h = fit(m, big, { epochs: 3, batchSize: 'full', lr: 1e37, onNonFinite: 'stop', onBatchEnd: () => 'stop' });
    expect(h.stopped).toBe('non-finite');
    expect(h.nonFinite).toMatchObject({ what: 'parameters', epoch: 1, update: 1 });
    m.release();
  });
});

describe('full-batch methods report divergence the same way', () => {
  it('an objective that is not finite at the start: minimize stops (not-finite), fit reports it', () => {
    const m = mlp();
    const start = state(m);
    const err = thrown(() => fit(m, huge(small), { epochs: 5, optimizer: lbfgs() }));
    expect(err.message).toMatch(/^fit: the loss became (NaN|Infinity) at iteration 0/);
    expect(err.history.stopped).toBe('non-finite');
    expect(err.history.minimize!.reason).toBe('not-finite');
    expect(err.history.epoch).toEqual([]);
    const h = fit(m, huge(small), { epochs: 5, optimizer: lbfgs(), onNonFinite: 'rollback' });
    expect(h.nonFinite).toMatchObject({ what: 'loss', epoch: 0, restoredEpoch: 0 });
    expectSameState(state(m), start);
    m.release();
  });

  it('a NaN validation loss stops the minimizer; rollback restores the last checked iterate', async () => {
    const m = mlp(), a = mlp();
    const h = fit(m, small, { epochs: 5, optimizer: steepestDescent(), validationData: huge(test), onNonFinite: 'stop' });
    expect(h.stopped).toBe('non-finite');
    expect(h.nonFinite).toMatchObject({ what: 'valLoss', epoch: 1 });
    expect(h.valLoss![0]).toBeNaN();
    const start = state(a);
    const hr = fit(a, small, { epochs: 5, optimizer: steepestDescent(), validationData: huge(test), onNonFinite: 'rollback' });
    expect(hr.nonFinite!.restoredEpoch).toBe(0);
    expectSameState(state(a), start);
    // fitAsync: the same
    const b = mlp();
    const hb = await fitAsync(b, small, { epochs: 5, optimizer: steepestDescent(), validationData: huge(test), onNonFinite: 'stop' });
    expect(stripMs(hb)).toEqual(stripMs(h));
    m.release(); a.release(); b.release();
  });

  it('a finite full-batch run is unaffected and completes', () => {
    const m = mlp();
    const h = fit(m, small, { epochs: 5, optimizer: lbfgs(), onNonFinite: 'rollback' });
    expect(h.stopped).toBe('completed');
    expect(h.nonFinite).toBeUndefined();
    m.release();
  });
});

/** History without wall-time-dependent parts (the minimizer's result carries none; kept for symmetry). */
function stripMs(h: History): History {
  return JSON.parse(JSON.stringify(h, (_k, v: unknown) => (v instanceof Float32Array || v instanceof Float64Array ? Array.from(v) : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v))) as History;
}

describe('optimizer objects refuse hyper-parameters that overflow float32 themselves', () => {
  it('at construction, and when a schedule overflows at a later step (before anything moves)', () => {
    expect(() => optimizer('adam', { lr: 1e300 })).toThrow(/adam: lr = 1e\+300 is out of float32 range/);
    expect(() => optimizer('adam', { eps: 1e-50 })).toThrow(/adam: eps = 1e-50 underflows to 0 in float32/);
    expect(() => optimizer('sgd', { lr: 0.1, momentum: 1e39 })).toThrow(/sgd: momentum = 1e\+39 is out of float32 range/);
    const opt = optimizer('sgd', { lr: (s: number) => (s < 2 ? 0.1 : 1e300) });
    expect(opt.hyper(1)).toMatchObject({ lr: 0.1 });
    expect(() => opt.hyper(2)).toThrow(DescentError);
    expect(() => opt.hyper(2)).toThrow(/sgd: lr = 1e\+300 is out of float32 range/);
  });
});
