// fitInWorker (src/train/worker.ts) in Node worker threads, through the built bundles: run
// `node scripts/build.mjs` first (the worker script, train-worker.js, exists only in dist/).
// Every test runs on dist/node/index.js (the repository's Node bundle) and on
// dist/browser/index.js (the one the package ships for every runtime, Node included), each
// starting its own train-worker.js. Each result is compared with fit on this thread, bit for
// bit: the worker instantiates this engine's own compiled module, so it must compute the same.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Descent from '../src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// set by each bundle's beforeAll (the blocks run one after the other)
let bundle: string;
let d: typeof Descent;
let engine: Descent.Engine;
let train: Descent.Dataset, test: Descent.Dataset, small: Descent.Dataset;

async function load(platform: 'node' | 'browser'): Promise<void> {
  bundle = join(root, `dist/${platform}/index.js`);
  for (const f of [bundle, join(root, `dist/${platform}/train-worker.js`)]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`node scripts/build.mjs\` first`);
  }
  d = (await import(pathToFileURL(bundle).href)) as typeof Descent;
  engine = await d.createEngine();
  ({ train, test } = d.trainTestSplit(d.digits(), { testFraction: 0.2, seed: 1 }));
  small = d.subset(train, Int32Array.from({ length: 200 }, (_, i) => i));
}

const mlp = (seed = 1) => new d.Model(engine, { inputs: 64, layers: [{ units: 32 }, { units: 10 }], seed });
const normed = (seed = 2) => new d.Model(engine, {
  inputs: 64, seed,
  layers: [{ units: 48, bias: false }, { type: 'batchnorm', activation: 'relu' }, { type: 'dropout', rate: 0.25 }, { units: 24 }, { type: 'dropout', rate: 0.1 }, { units: 10 }],
});

const bits = (a: Float32Array) => new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
/** Number of elements whose bits differ ('' when none), so a failure prints a count, not two arrays. */
function differ(a: Float32Array, b: Float32Array): string {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const x = bits(a), y = bits(b);
  let n = 0, first = -1;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) { n++; if (first < 0) first = i; }
  return n ? `${n} of ${a.length} differ, first at ${first}: ${a[first]} vs ${b[first]}` : '';
}
const sameModel = (a: Descent.Model, b: Descent.Model) => {
  expect(differ(a.parameters().toArray(), b.parameters().toArray())).toBe('');
  const sa = a.buffers(), sb = b.buffers();
  expect(sb.map((x) => x.name)).toEqual(sa.map((x) => x.name));
  sa.forEach((x, i) => expect(differ(x.tensor.toArray(), sb[i].tensor.toArray()), x.name).toBe(''));
  expect(b.passes).toBe(a.passes);
  expect(b.training).toBe(a.training);
};

describe.each(['node', 'browser'] as const)('dist/%s/index.js', (platform) => {
  beforeAll(() => load(platform));

  describe('fitInWorker equals fit on this thread', () => {
    it('plain SGD (fit\'s default) and Adam: the same parameters bit for bit and the same history', async () => {
      const cases: [Descent.FitOptions, Descent.WorkerFitOptions][] = [
        [{ epochs: 3, lr: 0.1, seed: 7, validationSplit: 0.1, recordSteps: true }, { epochs: 3, lr: 0.1, seed: 7, validationSplit: 0.1, recordSteps: true }],
        [{ epochs: 4, batchSize: 20, seed: 3, optimizer: d.optimizer('adam', { lr: 3e-3 }), validationData: test, earlyStopping: { patience: 2 } },
          { epochs: 4, batchSize: 20, seed: 3, optimizer: { name: 'adam', hyper: { lr: 3e-3 } }, validationData: test, earlyStopping: { patience: 2 } }],
      ];
      const x0 = train.x.slice(), labels0 = train.labels!.slice(), test0 = test.x.slice();
      for (const [here, there] of cases) {
        const a = mlp(), b = mlp();
        const ha = d.fit(a, train, here);
        const hb = await d.fitInWorker(b, train, there);
        expect(hb).toEqual(ha);
        sameModel(a, b);
      }
      // the worker got copies: the caller's arrays are neither detached nor changed
      expect(differ(train.x, x0)).toBe('');
      expect(differ(test.x, test0)).toBe('');
      expect(Array.from(train.labels!)).toEqual(Array.from(labels0));
    });

    it('batch norm and dropout: running statistics and the dropout pass counter come back too', async () => {
      const a = normed(), b = normed();
      const ha = d.fit(a, train, { epochs: 2, batchSize: 25, seed: 4, optimizer: d.optimizer('momentum', { lr: 0.05 }), validationData: test });
      const hb = await d.fitInWorker(b, train, { epochs: 2, batchSize: 25, seed: 4, optimizer: { name: 'momentum', hyper: { lr: 0.05 } }, validationData: test });
      expect(hb).toEqual(ha);
      expect(a.passes).toBeGreaterThan(0);
      sameModel(a, b);
      // and the models predict alike afterwards (inference: running statistics, no dropout)
      expect(differ(a.predict(test.x), b.predict(test.x))).toBe('');
    });

    it('schedules described as data, gradient noise, groups and clipping build the same optimizer in the worker', async () => {
      const s = d.schedules;
      const a = mlp(5), b = mlp(5);
      const ha = d.fit(a, train, {
        epochs: 2, seed: 1,
        optimizer: d.optimizer('nesterov', { lr: s.warmup(s.cosine(0.05, { tMax: 80 }), { steps: 10 }) },
          { noise: d.gradientNoise({ eta: 0.01, seed: 9 }), groups: [{ layers: [1], lrScale: 0.5 }], clipNorm: 2 }),
      });
      const hb = await d.fitInWorker(b, train, {
        epochs: 2, seed: 1,
        optimizer: {
          name: 'nesterov',
          hyper: { lr: { schedule: 'warmup', args: [{ schedule: 'cosine', args: [0.05, { tMax: 80 }] }, { steps: 10 }] } },
          options: { noise: d.gradientNoise({ eta: 0.01, seed: 9 }), groups: [{ layers: [1], lrScale: 0.5 }], clipNorm: 2 },
        },
      });
      expect(hb).toEqual(ha);
      sameModel(a, b);
      // oneCycle gives two schedules: key picks one
      const c = mlp(6), e = mlp(6);
      const cycle = s.oneCycle({ maxLr: 0.1, totalSteps: 90 });
      d.fit(c, train, { epochs: 2, seed: 2, optimizer: d.optimizer('sgd', { lr: cycle.lr, momentum: cycle.momentum }) });
      const oc: Descent.ScheduleDescription = { schedule: 'oneCycle', args: [{ maxLr: 0.1, totalSteps: 90 }] };
      await d.fitInWorker(e, train, { epochs: 2, seed: 2, optimizer: { name: 'sgd', hyper: { lr: { ...oc, key: 'lr' }, momentum: { ...oc, key: 'momentum' } } } });
      sameModel(c, e);
    });

    it('full-batch L-BFGS: the same iterates and history, the minimizer result included', async () => {
      const a = mlp(3), b = mlp(3);
      const ha = d.fit(a, small, { epochs: 12, optimizer: d.lbfgs({ memory: 5, weightDecay: 1e-3 }), validationData: test });
      const hb = await d.fitInWorker(b, small, { epochs: 12, optimizer: { name: 'lbfgs', settings: { memory: 5, weightDecay: 1e-3 } }, validationData: test });
      expect(hb.minimize?.iterations).toBe(12);
      expect(hb).toEqual(ha);
      sameModel(a, b);
    });

    it('returnOptimizerState: two calls, the second resuming from the first\'s state, equal one run', async () => {
      const a = mlp(8), b = mlp(8);
      const adam = { name: 'adam', hyper: { lr: 2e-3, betas: [0.8, 0.99] } };
      const ha = d.fit(a, train, { epochs: 4, seed: 5, optimizer: d.optimizer('adam', { lr: 2e-3, betas: [0.8, 0.99] }) });
      const h1 = await d.fitInWorker(b, train, { epochs: 2, seed: 5, optimizer: adam, returnOptimizerState: true });
      expect(Object.keys(h1.optimizerState!.buffers).sort()).toEqual(['exp_avg', 'exp_avg_sq']);
      const h2 = await d.fitInWorker(b, train, { epochs: 4, initialEpoch: 2, seed: 5, optimizer: { ...adam, state: h1.optimizerState } });
      expect([...h1.loss, ...h2.loss]).toEqual(ha.loss);
      sameModel(a, b);
    });
  });

  describe('fitInWorker callbacks', () => {
    it('streams onEpochEnd once per epoch in order, and progress events; a \'stop\' (also from a promise) ends where fit ends', async () => {
      const a = mlp(), b = mlp();
      const stopAt2 = (l: Descent.EpochLogs) => (l.epoch === 2 ? 'stop' as const : undefined);
      const ha = d.fit(a, train, { epochs: 5, seed: 1, onEpochEnd: stopAt2 });
      const epochs: number[] = [];
      const progress: Descent.FitProgress[] = [];
      const hb = await d.fitInWorker(b, train, {
        epochs: 5, seed: 1, progressEveryMs: 0,
        onProgress: (p) => { progress.push(p); },
        onEpochEnd: async (l) => {
          epochs.push(l.epoch);
          expect(l.loss).toBe(ha.loss[l.epoch - 1]);
          await new Promise((r) => setImmediate(r));
          return stopAt2(l);
        },
      });
      expect(epochs).toEqual([1, 2]);
      expect(hb).toEqual(ha);
      expect(hb.stopped).toBe('callback');
      sameModel(a, b);
      // one event per step (progressEveryMs 0) plus one per epoch end, in order
      const stepsPerEpoch = Math.ceil(train.n / 32);
      expect(progress.filter((p) => p.epochEnd).map((p) => p.epoch)).toEqual([1, 2]);
      expect(progress.filter((p) => !p.epochEnd).map((p) => p.step)).toEqual(Array.from({ length: 2 * stepsPerEpoch }, (_, i) => i + 1));
      expect(progress.at(-1)!.epochLoss).toBe(ha.loss[1]);
    });

    it('full-batch: a \'stop\' from onEpochEnd ends with that iteration\'s parameters and history', async () => {
      const a = mlp(4), b = mlp(4);
      const stop = (l: Descent.EpochLogs) => (l.epoch === 3 ? 'stop' as const : undefined);
      const ha = d.fit(a, small, { epochs: 20, optimizer: d.lbfgs(), onEpochEnd: stop });
      const seen: number[] = [];
      const hb = await d.fitInWorker(b, small, { epochs: 20, optimizer: { name: 'lbfgs' }, onEpochEnd: (l) => { seen.push(l.epoch); return stop(l); } });
      expect(seen).toEqual([1, 2, 3]);
      expect(hb.stopped).toBe('callback');
      expect(hb.minimize).toBeUndefined(); // the run ended on this side: the worker's minimizer never returned
      expect(hb).toEqual({ ...ha, minimize: undefined });
      expect(differ(a.parameters().toArray(), b.parameters().toArray())).toBe('');
    });
  });

  describe('fitInWorker abort', () => {
    it('mid-epoch: stops after the step in progress with a usable model, as fit aborted after the same step', async () => {
      const b = mlp(2);
      const controller = new AbortController();
      const B = 8, stepsPerEpoch = Math.ceil(train.n / B), abortAt = stepsPerEpoch + 20;
      const hb = await d.fitInWorker(b, train, {
        epochs: 4, batchSize: B, seed: 3, recordSteps: true, progressEveryMs: 0, signal: controller.signal,
        onProgress: (p) => { if (p.step === abortAt) controller.abort(); },
      });
      const steps = hb.steps!.length;
      console.log(`[fitInWorker abort] abort() as the progress event of step ${abortAt} arrived (the worker runs ahead of its events); it stopped after step ${steps}`);
      expect(hb.stopped).toBe('aborted');
      expect(steps).toBeGreaterThanOrEqual(abortAt);
      expect(steps).toBeLessThan(4 * stepsPerEpoch);
      // fit on this thread, aborted after the same step, leaves the same model and history
      const a = mlp(2);
      const here = new AbortController();
      const ha = d.fit(a, train, { epochs: 4, batchSize: B, seed: 3, recordSteps: true, signal: here.signal, onBatchEnd: (l) => { if (l.step === steps) here.abort(); } });
      expect(hb).toEqual(ha);
      sameModel(a, b);
      const ev = d.evaluate(b, test);
      expect(ev.accuracy).toBeGreaterThan(0.5);
      expect(b.predictLabels(test.x).length).toBe(test.n);
    });

    it('at an epoch end (abort() inside onEpochEnd): not one step more', async () => {
      const b = mlp(2);
      const controller = new AbortController();
      const hb = await d.fitInWorker(b, train, {
        epochs: 4, seed: 3, recordSteps: true, signal: controller.signal,
        onEpochEnd: (l) => { if (l.epoch === 2) controller.abort(); },
      });
      expect(hb.stopped).toBe('aborted');
      expect(hb.epoch).toEqual([1, 2]);
      expect(hb.steps!.length).toBe(2 * Math.ceil(train.n / 32));
    });

    it('an already aborted signal trains nothing, as fit', async () => {
      const a = mlp(), b = mlp();
      const ha = d.fit(a, train, { epochs: 2, signal: AbortSignal.abort() });
      const hb = await d.fitInWorker(b, train, { epochs: 2, signal: AbortSignal.abort() });
      expect(hb).toEqual(ha);
      expect(hb.epoch).toEqual([]);
      sameModel(a, b);
    });

    it('full-batch: an abort ends the call with the last iterate seen here', async () => {
      const b = mlp(4);
      const controller = new AbortController();
      const iterates: number[] = [];
      const hb = await d.fitInWorker(b, small, {
        epochs: 500, optimizer: { name: 'lbfgs', settings: { gradientTolerance: 0 } }, signal: controller.signal,
        onEpochEnd: (l) => { iterates.push(l.epoch); if (l.epoch === 4) controller.abort(); },
      });
      expect(hb.stopped).toBe('aborted');
      expect(hb.epoch).toEqual([1, 2, 3, 4]);
      expect(iterates).toEqual([1, 2, 3, 4]);
      // the parameters of iteration 4: fit stopped there by its callback has them too
      const a = mlp(4);
      d.fit(a, small, { epochs: 500, optimizer: d.lbfgs({ gradientTolerance: 0 }), onEpochEnd: (l) => (l.epoch === 4 ? 'stop' : undefined) });
      expect(differ(a.parameters().toArray(), b.parameters().toArray())).toBe('');
    });
  });

  describe('fitInWorker errors', () => {
    it('an error only the worker notices rejects with its message (a DescentError) and leaves the model as it was', async () => {
      const b = mlp();
      const before = b.parameters().toArray();
      let expected = '';
      await d.fitAsync(mlp(), train, { batchSize: 5000 }).catch((e: Error) => { expected = e.message; });
      expect(expected).toMatch(/batchSize 5000 is larger than the training set/);
      const e = await d.fitInWorker(b, train, { batchSize: 5000 }).then(() => undefined, (x: Error) => x);
      expect(e).toBeInstanceOf(d.DescentError);
      expect(e!.message).toBe(expected);
      expect(differ(before, b.parameters().toArray())).toBe('');
      // an optimizer description the worker cannot build
      await expect(d.fitInWorker(b, train, { optimizer: { name: 'adam', hyper: { lr: { schedule: 'cosin' as 'cosine', args: [0.1, { tMax: 10 }] } } } }))
        .rejects.toThrow(/fitInWorker: optimizer\.hyper\.lr: unknown schedule "cosin"; known: constant, step/);
      await expect(d.fitInWorker(b, train, { optimizer: { name: 'adamm' } })).rejects.toThrow(/optimizer: unknown optimizer "adamm"/);
      // bad data: a NaN at sample 3, found by the worker's checks
      const bad = { ...train, x: train.x.slice() };
      bad.x[3 * 64 + 5] = NaN;
      await expect(d.fitInWorker(b, bad, {})).rejects.toThrow('fitAsync: data x has NaN at sample 3, feature 5');
      expect(differ(before, b.parameters().toArray())).toBe('');
    });

    it('divergence (onNonFinite): the same History as fit; \'throw\' rejects with a NonFiniteError carrying it, the model left as it was; \'rollback\' writes back the restored state', async () => {
      // one full-batch update with lr 1e37 on inputs ×1000 takes the weights past float32
      const big = { ...small, x: small.x.map((v) => v * 1000) };
      const relu = () => new d.Model(engine, { inputs: 64, layers: [{ units: 16, activation: 'relu' }, { units: 10 }], seed: 1 });
      const opts = { epochs: 2, batchSize: 'full' as const, lr: 1e37 };
      const a = relu(), b = relu();
      const ha = d.fit(a, big, { ...opts, onNonFinite: 'stop' });
      const hb = await d.fitInWorker(b, big, { ...opts, onNonFinite: 'stop' });
      expect(hb.stopped).toBe('non-finite');
      expect(hb).toEqual(ha);
      expect(differ(a.parameters().toArray(), b.parameters().toArray())).toBe('');
      const c = relu();
      const before = c.parameters().toArray();
      const err = await d.fitInWorker(c, big, opts).then(() => undefined, (x: unknown) => x);
      expect(err).toBeInstanceOf(d.NonFiniteError);
      const nfe = err as InstanceType<typeof d.NonFiniteError>;
      expect(nfe.message).toMatch(/^fitAsync: parameter \d+ became -?Infinity in epoch 1 \(after update 1\)/);
      expect(nfe.history).toEqual(ha);
      expect(nfe.nonFinite).toEqual(ha.nonFinite);
      expect(differ(before, c.parameters().toArray())).toBe('');
      const r = relu();
      const hr = await d.fitInWorker(r, big, { ...opts, onNonFinite: 'rollback' });
      expect(hr.nonFinite).toMatchObject({ what: 'parameters', epoch: 1, restoredEpoch: 0 });
      expect(differ(before, r.parameters().toArray())).toBe('');
      await expect(d.fitInWorker(r, big, { ...opts, onNonFinite: 'retry' as 'stop' })).rejects.toThrow(/onNonFinite must be 'throw', 'stop' or 'rollback'/);
    });

    it('what cannot cross threads is refused before a worker starts, saying why', async () => {
      const m = mlp();
      await expect(d.fitInWorker(m, train, { optimizer: d.optimizer('adam') as never }))
        .rejects.toThrow(/optimizer must be a description, not an optimizer object: its code and its state .* cannot be sent to a worker/);
      await expect(d.fitInWorker(m, train, { optimizer: d.lbfgs() as never })).rejects.toThrow(/not an optimizer object.*\{ name: 'lbfgs', settings\? \} for this full-batch method/);
      await expect(d.fitInWorker(m, train, { optimizer: { name: 'adam', hyper: { lr: d.schedules.cosine(0.1, { tMax: 10 }) } } }))
        .rejects.toThrow(/optimizer\.hyper\.lr is a function, which cannot be sent to a worker; describe a schedule as data/);
      await expect(d.fitInWorker(m, train, { onBatchEnd: () => undefined } as never)).rejects.toThrow(/onBatchEnd is not offered/);
      await expect(d.fitInWorker(m, train, { epocs: 2 } as never)).rejects.toThrow(/unknown option "epocs"/);
      await expect(d.fitInWorker(m, train, { returnOptimizerState: true })).rejects.toThrow(/returnOptimizerState needs an update rule/);
    });

    it('an exception from a callback rejects with it; a missing worker script rejects naming it', async () => {
      const m = mlp();
      const oops = new Error('oops from onEpochEnd');
      await expect(d.fitInWorker(m, train, { epochs: 3, onEpochEnd: () => { throw oops; } })).rejects.toBe(oops);
      const url = pathToFileURL(join(root, 'dist/node/no-such-worker.js'));
      await expect(d.fitInWorker(m, train, { workerUrl: url })).rejects.toThrow(/fitInWorker: the worker script .*no-such-worker\.js failed/);
    });
  });

  describe('fitInWorker threads', () => {
    it('no thread outlives the call: a process that trains in workers (done, aborted, failed) exits on its own', async () => {
      const script = `
        import * as d from ${JSON.stringify(pathToFileURL(bundle).href)};
        const engine = await d.createEngine();
        const { train } = d.trainTestSplit(d.digits(), { seed: 1 });
        const model = new d.Model(engine, { inputs: 64, layers: [{ units: 16 }, { units: 10 }] });
        const h = await d.fitInWorker(model, train, { epochs: 1 });
        const c = new AbortController();
        const a = await d.fitInWorker(model, train, { epochs: 5, signal: c.signal, onEpochEnd: () => c.abort() });
        const e = await d.fitInWorker(model, train, { batchSize: 0 }).catch((x) => x.message);
        console.log(JSON.stringify([h.stopped, a.stopped, e]));
      `;
      // a file, not `node --input-type=module -e`: workers inherit execArgv, and Node 20 refuses
      // --input-type in a worker that runs a file
      const dir = mkdtempSync(join(tmpdir(), 'descent-train-worker-'));
      const file = join(dir, 'run.mjs');
      writeFileSync(file, script);
      const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((ok) => {
        // the timeout only turns a hang (a thread keeping the process alive) into a failure
        execFile(process.execPath, [file], { timeout: 60_000 }, (err, out, errOut) => {
          ok({ stdout: `${out}${errOut}`, code: err ? (err as { code?: number }).code ?? -1 : 0 });
        });
      }).finally(() => rmSync(dir, { recursive: true, force: true }));
      expect(stdout.trim()).toBe(JSON.stringify(['completed', 'aborted', "fitAsync: batchSize must be a positive integer or 'full', got 0"]));
      expect(code).toBe(0);
    });
  });
});
