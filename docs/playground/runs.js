// Training runs: the digits split, one model per optimizer from the same initial weights, each
// trained in a Web Worker by the library's fitInWorker, a few at a time.
//
// Every run gets the same split (seeded, stratified), the same standardization (training-set
// mean and deviation) and the same initial weights (same network spec and seed), and, for the
// mini-batch methods, the same batch order (fit's seed). First-order methods train `epochs`
// epochs of batches; full-batch methods (L-BFGS, CG, …) `epochs` iterations over the whole
// training set (as `descent train --optimizer lbfgs --epochs N`). Curves are drawn against
// passes over the training data: an epoch is one pass; a full-batch iteration used
// evaluations / 2 passes so far (fit counts a value-and-gradient evaluation as two), so a method
// that needs more evaluations per iteration reaches further to the right.

import { Model, digits, trainTestSplit, fitStandardizer, evaluate, fitInWorker, confusionMatrix, engine } from 'descentjs';
import { FULL_BATCH } from './config.js';

/** The data of every run: digits split 80/20 (stratified, seeded), standardized. */
export function prepareData(seed) {
  const split = trainTestSplit(digits(), { testFraction: 0.2, seed });
  const s = fitStandardizer(split.train);
  return { train: s.apply(split.train), test: s.apply(split.test) };
}

/** The network: inputs, hidden layers with `activation`, a linear output for the softmax cross-entropy. */
export function modelSpec(hidden, activation, seed) {
  return {
    inputs: 64,
    layers: [...hidden.map((units) => ({ units, activation })), { units: 10, activation: 'linear' }],
    loss: 'softmax-cross-entropy',
    seed,
  };
}

/**
 * One run's state, updated as training goes; `onChange(run)` is called after every update.
 * x: passes over the training data at each recorded point (0 = the initial weights).
 */
export function newRun(name, lr, color, start) {
  return {
    name, lr, color,
    fullBatch: FULL_BATCH.includes(name),
    status: 'waiting',
    x: [0], loss: [start.loss], accuracy: [start.accuracy],
    progress: undefined,
    testAccuracy: undefined, testLoss: undefined, predictions: undefined,
    ms: undefined, error: undefined, model: undefined,
  };
}

/** Trains one run in a worker; resolves when done, stopped or failed (never rejects). */
async function train(run, cfg, data, signal, onChange) {
  const model = new Model(engine(), modelSpec(cfg.hidden, cfg.activation, cfg.seed));
  run.model = model;
  run.status = 'training';
  onChange(run);
  const t0 = performance.now();
  try {
    const history = await fitInWorker(model, data.train, {
      epochs: cfg.epochs,
      batchSize: run.fullBatch ? 'full' : cfg.batch,
      seed: cfg.seed,
      optimizer: run.fullBatch ? { name: run.name } : { name: run.name, hyper: run.lr === undefined ? {} : { lr: run.lr } },
      validationData: data.test,
      signal,
      onEpochEnd: (l) => {
        run.x.push(run.fullBatch && l.evaluations !== undefined ? l.evaluations / 2 : l.epoch);
        run.loss.push(l.loss);
        run.accuracy.push(l.valAccuracy ?? NaN);
        onChange(run);
      },
      onProgress: (p) => {
        run.progress = p;
        onChange(run);
      },
    });
    run.status = history.stopped === 'aborted' || signal.aborted ? 'stopped' : 'done';
    run.stopReason = history.minimize?.reason;
  } catch (e) {
    if (signal.aborted || e?.name === 'AbortError') run.status = 'stopped';
    else { run.status = 'error'; run.error = e?.message ?? String(e); }
  }
  run.ms = performance.now() - t0;
  if (run.status !== 'error') {
    // the trained parameters are back in `model`: measure on the test split here
    const ev = evaluate(model, data.test);
    run.testLoss = ev.loss;
    run.testAccuracy = ev.accuracy;
    run.predictions = model.predictLabels(data.test.x, data.test.n);
  }
  onChange(run);
}

/** Runs `runs` with at most `parallel` workers at once, in order; resolves when all have ended. */
export async function trainAll(runs, cfg, data, { parallel, signal, onChange }) {
  let next = 0;
  const lane = async () => {
    while (next < runs.length) {
      const run = runs[next++];
      if (signal.aborted) { run.status = 'stopped'; onChange(run); continue; }
      await train(run, cfg, data, signal, onChange);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, runs.length)) }, lane));
}

/** The run with the best test accuracy (ties: lower test loss), among those that have one. */
export function bestRun(runs) {
  let best;
  for (const r of runs) {
    if (r.testAccuracy === undefined) continue;
    if (!best || r.testAccuracy > best.testAccuracy || (r.testAccuracy === best.testAccuracy && r.testLoss < best.testLoss)) best = r;
  }
  return best;
}

/** The confusion matrix of a finished run on the test split. */
export function runConfusion(run, data) {
  return confusionMatrix(run.predictions, data.test.labels, 10);
}
