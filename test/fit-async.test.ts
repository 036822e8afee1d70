import { describe, expect, it } from 'vitest';
import { digits } from '../src/data/digits.js';
import { trainTestSplit } from '../src/data/split.js';
import type { Dataset } from '../src/data/dataset.js';
import { DescentError } from '../src/engine/errors.js';
import type { Engine } from '../src/engine/engine.js';
import { saveModel } from '../src/io/model-file.js';
import { Model, type AnyLayerSpec } from '../src/nn/model.js';
import { optimizer } from '../src/optim/optimizer.js';
import { DEFAULT_FIT_LR, evaluate, fit, fitAsync, type FitOptions, type FitProgress, type History } from '../src/train/fit.js';
import { lbfgs } from '../src/train/full-batch.js';
import { DEFAULT_LR } from '../src/cli/train.js';
import { engineFor, isas } from './engines.js';
import { bits } from './reference.js';

const data = digits();
const { train, test } = trainTestSplit(data, { testFraction: 0.2, seed: 1 });
const part = (n: number): Dataset => ({ ...train, n, x: train.x.slice(0, n * 64), labels: train.labels!.slice(0, n) });
const small = part(300);

const mlp = (e: Engine, seed = 1, hidden = 32): Model =>
  new Model(e, { inputs: 64, layers: [{ units: hidden, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed });
const normMlp = (e: Engine, seed = 1): Model => new Model(e, {
  inputs: 64, loss: 'softmax-cross-entropy', seed,
  layers: [
    { units: 32, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu' }, { type: 'dropout', rate: 0.2 },
    { units: 24, activation: 'tanh' }, { type: 'layernorm' }, { type: 'dropout', rate: 0.1 }, { units: 10 },
  ] as AnyLayerSpec[],
});

/** Everything a run leaves behind that must not depend on the driver: parameters, running statistics, dropout pass counter, history. */
function outcome(m: Model, h: History) {
  return { params: bits(m.parameters().toArray()), file: Array.from(saveModel(m)), passes: m.passes, history: h };
}

const sleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms); });

describe.each(isas)('fitAsync ≡ fit, bit for bit (%s)', (isa) => {
  const e = engineFor(isa);
  const cases: [string, (e: Engine) => Model, () => FitOptions][] = [
    ['mini-batch SGD with validation data', (e) => mlp(e), () => ({ epochs: 3, batchSize: 25, lr: 0.1, seed: 3, validationData: test, recordSteps: true })],
    ['Adam, validation split, early stopping', (e) => mlp(e, 2), () => ({
      epochs: 6, batchSize: 32, seed: 4, optimizer: optimizer('adam', { lr: 0.01 }), validationSplit: 0.2, recordSteps: true,
      earlyStopping: { patience: 1, minDelta: 0.05 },
    })],
    ['batch norm, layer norm and dropout with Adam', (e) => normMlp(e), () => ({
      epochs: 3, batchSize: 16, seed: 5, optimizer: optimizer('adam', { lr: 3e-3 }), validationData: test, recordSteps: true,
    })],
    ['default optimizer, stochastic steps', (e) => mlp(e, 3, 8), () => ({ epochs: 2, batchSize: 1, seed: 6 })],
  ];
  it.each(cases)('%s', async (_, make, options) => {
    const a = make(e), b = make(e);
    const ha = fit(a, small, options());
    const hb = await fitAsync(b, small, { ...options(), yieldEveryMs: 0 }); // a turn of the event loop after every step
    expect(outcome(b, hb)).toEqual(outcome(a, ha));
    expect(hb.stopped).toBe(ha.stopped);
    a.release(); b.release();
  });

  it('the same under the default yielding and with progress and async callbacks', async () => {
    const a = normMlp(e, 7), b = normMlp(e, 7);
    const options = (): FitOptions => ({ epochs: 2, batchSize: 20, seed: 8, optimizer: optimizer('adam', { lr: 3e-3 }), validationData: test, onProgress: () => {} });
    const ha = fit(a, train, options());
    let batches = 0;
    const hb = await fitAsync(b, train, { ...options(), progressEveryMs: 0, onBatchEnd: async () => { batches++; if (batches % 20 === 0) await sleep(1); } });
    expect(batches).toBe(2 * Math.ceil(train.n / 20));
    expect(outcome(b, hb)).toEqual(outcome(a, ha));
    a.release(); b.release();
  });

  it('full-batch methods run as in fit', async () => {
    const a = mlp(e, 4, 8), b = mlp(e, 4, 8);
    const ha = fit(a, small, { optimizer: lbfgs(), epochs: 8 });
    const progress: FitProgress[] = [];
    const hb = await fitAsync(b, small, { optimizer: lbfgs(), epochs: 8, onProgress: (p) => progress.push(p) });
    expect(bits(b.parameters().toArray())).toEqual(bits(a.parameters().toArray()));
    expect(hb.loss).toEqual(ha.loss);
    expect(hb.evaluations).toEqual(ha.evaluations);
    expect(progress.map((p) => p.step)).toEqual(hb.epoch);
    expect(progress.every((p) => p.epochEnd && p.totalSteps === 8 && p.etaMs >= 0)).toBe(true);
    expect(progress.map((p) => p.loss)).toEqual(hb.loss);
    const hc = await fitAsync(b, small, { optimizer: lbfgs(), epochs: 8, signal: AbortSignal.abort() });
    expect(hc.stopped).toBe('aborted');
    expect(hc.epoch).toEqual([]);
    expect(bits(b.parameters().toArray())).toEqual(bits(a.parameters().toArray()));
    a.release(); b.release();
  });
});

describe('fitAsync does not block', () => {
  const e = engineFor('simd');

  it('timers run while it trains', async () => {
    const m = mlp(e, 1, 64);
    let ticks = 0, duringSync = 0;
    const timer = setInterval(() => { ticks++; }, 5);
    try {
      const warm = mlp(e, 1, 64);
      fit(warm, train, { epochs: 2 });
      warm.release();
      duringSync = ticks;
      const t0 = performance.now();
      const h = await fitAsync(m, train, { epochs: 10_000, onEpochEnd: () => (performance.now() - t0 > 300 ? 'stop' : undefined) });
      const ms = performance.now() - t0;
      expect(h.stopped).toBe('callback');
      expect(ms).toBeGreaterThan(300);
      // about one tick per 5 ms of the run; a loaded machine may drop some, but many must run
      expect(ticks).toBeGreaterThanOrEqual(10);
    } finally {
      clearInterval(timer);
    }
    expect(duringSync).toBe(0); // fit alone blocks: no tick until it returns
    m.release();
  });

  it.each(['MessageChannel', 'setTimeout'])('yields with %s where there is no setImmediate (browsers, Deno)', async (kind) => {
    const g = globalThis as Record<string, unknown>;
    const saved = { setImmediate: g.setImmediate, MessageChannel: g.MessageChannel };
    const a = mlp(e), b = mlp(e);
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 1);
    let run: Promise<History>;
    let channels = 0;
    g.setImmediate = undefined;
    g.MessageChannel = kind === 'setTimeout' ? undefined : class extends (saved.MessageChannel as typeof MessageChannel) { constructor() { super(); channels++; } };
    try {
      run = fitAsync(b, small, { epochs: 3, batchSize: 10, seed: 1, yieldEveryMs: 0 }); // picks its macrotask before the first await
    } finally {
      Object.assign(g, saved);
    }
    const hb = await run;
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(channels).toBe(kind === 'MessageChannel' ? 1 : 0);
    expect(outcome(b, hb)).toEqual(outcome(a, fit(a, small, { epochs: 3, batchSize: 10, seed: 1 })));
    a.release(); b.release();
  });

  it('an abort from a timer stops within one step; the model evaluates and trains on', async () => {
    const m = mlp(e, 1, 64);
    const ctl = new AbortController();
    let batches = 0, atAbort = -1;
    const timer = setTimeout(() => { atAbort = batches; ctl.abort(); }, 60);
    const steps: number[] = [];
    const h = await fitAsync(m, train, { epochs: 1000, batchSize: 16, seed: 2, signal: ctl.signal, recordSteps: true, onBatchEnd: (l) => { batches++; steps.push(l.step); } });
    clearTimeout(timer);
    expect(h.stopped).toBe('aborted');
    expect(atAbort).toBeGreaterThan(0);
    expect(batches - atAbort).toBeLessThanOrEqual(1);
    const perEpoch = Math.ceil(train.n / 16);
    expect(h.epoch.length).toBe(Math.ceil(batches / perEpoch)); // a partial epoch is recorded
    expect(h.steps!.length).toBe(batches);
    // the same as a synchronous fit aborted after the same number of steps
    const ref = mlp(e, 1, 64), ctl2 = new AbortController();
    const hr = fit(ref, train, { epochs: 1000, batchSize: 16, seed: 2, signal: ctl2.signal, recordSteps: true, onBatchEnd: (l) => { if (l.step === batches) ctl2.abort(); } });
    expect(outcome(m, h)).toEqual(outcome(ref, hr));
    // usable: evaluates and trains further
    const before = evaluate(m, test);
    expect(Number.isFinite(before.loss)).toBe(true);
    const h2 = await fitAsync(m, train, { epochs: 3, batchSize: 16, seed: 3 });
    expect(h2.stopped).toBe('completed');
    const after = evaluate(m, test);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy!).toBeGreaterThan(0.9);
    // an already aborted signal trains nothing
    const p = m.parameters().toArray();
    const h3 = await fitAsync(m, train, { epochs: 3, signal: AbortSignal.abort() });
    expect(h3).toEqual({ epoch: [], loss: [], accuracy: [], stopped: 'aborted' });
    expect(bits(m.parameters().toArray())).toEqual(bits(p));
    m.release(); ref.release();
  });

  it('awaits async callbacks; fit refuses them', async () => {
    const m = mlp(e);
    const order: string[] = [];
    const h = await fitAsync(m, small, {
      epochs: 10, batchSize: 100,
      onBatchEnd: async (l) => { order.push(`start ${l.step}`); await sleep(2); order.push(`end ${l.step}`); },
      onEpochEnd: async (l) => { await sleep(1); return l.epoch === 2 ? 'stop' : undefined; },
    });
    expect(h.stopped).toBe('callback');
    expect(h.epoch).toEqual([1, 2]);
    expect(order).toEqual([1, 2, 3, 4, 5, 6].flatMap((s) => [`start ${s}`, `end ${s}`]));
    expect(() => fit(m, small, { epochs: 1, onEpochEnd: (async () => {}) as never })).toThrow('fit: onEpochEnd returned a promise, which fit cannot wait for; use fitAsync, which awaits it');
    expect(() => fit(m, small, { epochs: 1, optimizer: lbfgs(), onEpochEnd: (async () => {}) as never })).toThrow(/fit: lbfgs: onEpochEnd returned a promise/);
    m.release();
  });

  it('refuses bad options by rejecting, before any update', async () => {
    const m = mlp(e);
    const p = m.parameters().toArray();
    await expect(fitAsync(m, small, { yieldEveryMs: -1 })).rejects.toThrow('fitAsync: yieldEveryMs must be a non-negative number of milliseconds, got -1');
    await expect(fitAsync(m, small, { progressEveryMs: NaN })).rejects.toThrow(/fitAsync: progressEveryMs must be a non-negative number/);
    await expect(fitAsync(m, small, { batchSize: 301 })).rejects.toThrow(DescentError);
    await expect(fitAsync(m, small, { epoch: 3 } as never)).rejects.toThrow(/fitAsync: unknown option "epoch"/);
    expect(() => fit(m, small, { yieldEveryMs: 5 } as never)).toThrow(/fit: unknown option "yieldEveryMs"/);
    expect(bits(m.parameters().toArray())).toEqual(bits(p));
    m.release();
  });
});

describe('progress', () => {
  const e = engineFor('simd');

  it('is monotone, throttled, ends at the last step with eta 0; fit and fitAsync report the same epoch ends', async () => {
    const events: FitProgress[] = [];
    const m = mlp(e, 1, 128);
    const epochs = 4, every = 3, B = 8;
    const h = await fitAsync(m, train, { epochs, batchSize: B, validationData: test, progressEveryMs: every, onProgress: (p) => events.push(p) });
    const perEpoch = Math.ceil(train.n / B);
    const ends = events.filter((p) => p.epochEnd);
    expect(ends.map((p) => p.epoch)).toEqual([1, 2, 3, 4]);
    expect(ends.map((p) => p.step)).toEqual([1, 2, 3, 4].map((k) => k * perEpoch));
    expect(ends.map((p) => p.epochLoss)).toEqual(h.loss);
    expect(ends.map((p) => p.epochAccuracy)).toEqual(h.accuracy);
    expect(events.length).toBeGreaterThan(ends.length); // throttled calls within epochs too
    for (let i = 1; i < events.length; i++) {
      const [a, b] = [events[i - 1], events[i]];
      expect(b.step).toBeGreaterThanOrEqual(a.step);
      expect(b.elapsedMs).toBeGreaterThanOrEqual(a.elapsedMs);
      if (!b.epochEnd) {
        expect(b.step).toBeGreaterThan(a.step);
        expect(b.elapsedMs - a.elapsedMs).toBeGreaterThanOrEqual(every - 1e-6);
      }
    }
    for (const p of events) {
      expect(p).toMatchObject({ totalSteps: epochs * perEpoch, epochs, stepsPerEpoch: perEpoch });
      expect(p.batch).toBe(p.step - (p.epoch - 1) * perEpoch);
      expect(p.batch).toBeGreaterThanOrEqual(1);
      expect(p.batch).toBeLessThanOrEqual(perEpoch);
      expect(p.samplesPerSecond).toBeGreaterThan(0);
      if (p.step < p.totalSteps) expect(p.etaMs).toBeGreaterThan(0);
    }
    // the estimate: steps left at the mean time per step so far; it falls to 0 at the end
    for (const p of events) expect(p.etaMs).toBeCloseTo((p.totalSteps - p.step) * p.elapsedMs / p.step, 6);
    expect(ends[2].etaMs).toBeLessThan(ends[0].etaMs); // a quarter of the work left vs three quarters
    expect(events[events.length - 1]).toMatchObject({ step: epochs * perEpoch, epochEnd: true, etaMs: 0, epoch: epochs, batch: perEpoch });

    const sync: FitProgress[] = [];
    const m2 = mlp(e, 1, 128);
    const h2 = fit(m2, train, { epochs, batchSize: B, validationData: test, onProgress: (p) => sync.push(p) });
    expect(h2).toEqual(h);
    const strip = (p: FitProgress) => ({ ...p, samplesPerSecond: 0, elapsedMs: 0, etaMs: 0 });
    expect(sync.filter((p) => p.epochEnd).map(strip)).toEqual(ends.map(strip));
    m.release(); m2.release();
  });

  it('a stopped run reports its partial epoch', () => {
    const events: FitProgress[] = [];
    const m = mlp(e);
    const h = fit(m, small, { epochs: 5, batchSize: 32, onProgress: (p) => events.push(p), onBatchEnd: (l) => (l.step === 13 ? 'stop' : undefined) });
    const last = events[events.length - 1];
    expect(last).toMatchObject({ epochEnd: true, step: 13, epoch: 2, batch: 3, epochLoss: h.loss[1] });
    expect(last.etaMs).toBeGreaterThan(0);
    m.release();
  });
});

describe('the default learning rate', () => {
  const e = engineFor('simd');
  it("is descent train's: SGD with lr 0.1", () => {
    expect(DEFAULT_FIT_LR).toBe(DEFAULT_LR.sgd);
    const a = mlp(e), b = mlp(e);
    fit(a, small, { epochs: 1 });
    fit(b, small, { epochs: 1, lr: DEFAULT_LR.sgd });
    expect(bits(a.parameters().toArray())).toEqual(bits(b.parameters().toArray()));
    a.release(); b.release();
  });
  it('trains the README network on digits to > 93% in 5 epochs', () => {
    const m = new Model(e, { inputs: 64, layers: [{ units: 64, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 1 });
    fit(m, train, { epochs: 5 });
    expect(evaluate(m, test).accuracy!).toBeGreaterThan(0.93);
    m.release();
  });
});
