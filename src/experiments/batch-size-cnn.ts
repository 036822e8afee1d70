// batch-size-cnn: the lectures' figure "Simple CNN on Fashion MNIST" (Shallue et al. 2018,
// "Measuring the effects of data parallelism on neural network training"): the training steps
// needed to reach a target validation error, against the batch size, on log–log axes. For small
// batches doubling the batch halves the steps (perfect scaling, slope −1); beyond a critical
// batch size the returns diminish and finally vanish.
//
// Setup: Fashion-MNIST, pixels scaled to [0, 1], images [1, 28, 28]; a small CNN
//   conv 8 3×3 (padding 1) relu → maxpool 2 → conv 16 3×3 (padding 1) relu → maxpool 2 → dense 10
// (softmax cross-entropy, 9098 parameters), the same initial weights and the same shuffles for
// every run; SGD with momentum 0.9. For every batch size the learning rate is tuned, as
// Shallue et al. tune per batch size: on the log grid lr = 2^k / 1024 the search starts at twice
// the previous batch size's best (the first batch size at 2^-7) and walks outward while the
// steps fall, so every best lr has a worse (or failing) neighbour on each side that was tried;
// the best is the fewest steps. A run stops when the validation error (first 2000 images of the
// Fashion-MNIST test file, held out from training) first reaches the target, at the step
// budget, when the loss becomes non-finite, or as soon as it can no longer beat the best run of
// its batch size. The validation error is measured at geometrically spaced steps (every step up
// to 8, then ×1.12, six checkpoints per doubling), so a count is the first checkpoint at the
// target: at most 12% above the true first crossing, the same relative resolution for every
// batch size. (Full: 500 validation images first, all 2000 only when those are within 4 points
// of the target.)
//
// Full: batch sizes 4 … 1024, target error 14%, all 60000 training images, at most 12000 steps
// (and 10 epochs) per run.
// Quick (tests): batch sizes 4, 16, 64, 256, target 30%, at most 400 steps; only the test file is
// read: its first 500 images validate, the next 8000 train. About 10 s on an idle 2-core machine.
//
// The data come from `data` (a folder with the four IDX files, gzip or not, as published, or
// the data sets themselves), else $DESCENT_FASHION_MNIST, else ../shared/data/fashion-mnist
// (from the working directory), else the descentjs download cache (where `descent train --data
// fashion-mnist` puts them); if none has them, a DescentError says how to provide them.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Dataset } from '../data/dataset.js';
import { idxDataset, type Idx } from '../data/idx.js';
import { DescentError } from '../engine/errors.js';
import { Model, type AnyLayerSpec } from '../nn/model.js';
import { optimizer } from '../optim/optimizer.js';
import { lineChartSvg, type LineSeries } from '../plot/svg-curve.js';
import { evaluate, fit } from '../train/fit.js';
import { fmt, panels, table, type Experiment, type ExperimentOptions, type ExperimentResult } from './common.js';

/** Fashion-MNIST as train and validation sets (28×28 images, 784 features, labels 0..9). */
export interface FashionData { train: Dataset; validation: Dataset }

export interface BatchSizeCnnOptions extends ExperimentOptions {
  /**
   * Fashion-MNIST: a folder holding train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz),
   * t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz), or the data sets themselves
   * (validation: the first images of the test file are used). Default: see the top of this file.
   */
  data?: string | FashionData;
  /** Override of the setting's batch sizes (powers of two, ascending). */
  sizes?: number[];
  /** Override of the setting's target validation error. */
  target?: number;
  /** Override of the setting's step budget per run. */
  maxSteps?: number;
  /** Progress lines (one per run), e.g. to stderr; default none. */
  log?: (line: string) => void;
}

interface Settings {
  sizes: number[];
  target: number;
  maxSteps: number;
  /** Step budget in passes over the training set too: at most maxEpochs·n/B steps. */
  maxEpochs: number;
  trainN: number;
  valN: number;
  /** Validation images of the cheap first look (0: always all valN). */
  valFirst: number;
  /** Train on the test file's images after the first valN (reads only the test file). */
  testOnly: boolean;
}

const FULL: Settings = { sizes: [4, 8, 16, 32, 64, 128, 256, 512, 1024], target: 0.14, maxSteps: 12000, maxEpochs: 10, trainN: 60000, valN: 2000, valFirst: 500, testOnly: false };
const QUICK: Settings = { sizes: [4, 16, 64, 256], target: 0.3, maxSteps: 400, maxEpochs: 10, trainN: 8000, valN: 500, valFirst: 0, testOnly: true };

/** The learning-rate grid: lr = 2^k / 1024, k = 0 … LR_K_MAX (1/1024 … 4). */
const LR_K_MAX = 12;
const LR_K_FIRST = 3; // 2^-7
const lrOf = (k: number): number => 2 ** k / 1024;
/** Within this factor of perfect scaling counts as perfect scaling. */
const PERFECT_WITHIN = 1.5;
/** Geometric spacing of the validation checkpoints. */
const CHECK_RATIO = 1.12;

const LAYERS: AnyLayerSpec[] = [
  { type: 'conv2d', filters: 8, kernel: 3, padding: 1, activation: 'relu' },
  { type: 'maxpool2d', kernel: 2 },
  { type: 'conv2d', filters: 16, kernel: 3, padding: 1, activation: 'relu' },
  { type: 'maxpool2d', kernel: 2 },
  { units: 10 },
] as AnyLayerSpec[];

const FILES = { trainImages: 'train-images-idx3-ubyte', trainLabels: 'train-labels-idx1-ubyte', testImages: 't10k-images-idx3-ubyte', testLabels: 't10k-labels-idx1-ubyte' };

/** Folders where Fashion-MNIST is looked for when no `data` is given, in order. */
export function fashionMnistCandidates(): string[] {
  const env = (k: string): string | undefined => process.env[k] || undefined;
  const out: string[] = [];
  const own = env('DESCENT_FASHION_MNIST');
  if (own) out.push(resolve(own));
  out.push(resolve('../shared/data/fashion-mnist'));
  const cache = env('DESCENT_CACHE') ? resolve(env('DESCENT_CACHE')!)
    : env('XDG_CACHE_HOME') ? join(resolve(env('XDG_CACHE_HOME')!), 'descentjs')
    : process.platform === 'win32' && env('LOCALAPPDATA') ? join(env('LOCALAPPDATA')!, 'descentjs')
    : join(homedir(), '.cache', 'descentjs');
  out.push(join(cache, 'fashion-mnist'));
  return out;
}

/** The file `name` in `dir`, gzip-compressed (name.gz) or not; undefined if neither exists. */
function findFile(dir: string, name: string): string | undefined {
  for (const f of [join(dir, `${name}.gz`), join(dir, name)]) if (existsSync(f)) return f;
  return undefined;
}

/** A u8 IDX file read synchronously (the experiments run synchronously; parseIdx is async). */
function readU8Idx(file: string): Idx {
  let b: Uint8Array = readFileSync(file);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b);
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0 || b[2] !== 0x08 || b[3] === 0) {
    throw new DescentError(`batch-size-cnn: ${file} is not an unsigned-byte IDX file (it starts with ${Array.from(b.subarray(0, 4), (v) => v.toString(16).padStart(2, '0')).join(' ')})`);
  }
  const nd = b[3], head = 4 + 4 * nd;
  if (b.length < head) throw new DescentError(`batch-size-cnn: ${file}: truncated IDX header`);
  const view = new DataView(b.buffer, b.byteOffset, head);
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, d) => a * d, 1);
  if (b.length - head !== count) throw new DescentError(`batch-size-cnn: ${file}: the header says ${dims.join('×')} = ${count} bytes of data, the file has ${b.length - head}`);
  return { dims, type: 'u8', data: b.subarray(head) };
}

/**
 * Fashion-MNIST from a folder of the four IDX files; undefined if the folder does not have them.
 * testOnly: only the test file is read (4.4 MB instead of 30 MB), and split: its first
 * `testOnly` images are the validation set, the rest the training set (the quick setting).
 */
export function readFashionMnist(dir: string, testOnly = 0): FashionData | undefined {
  const files = Object.fromEntries(Object.entries(FILES).map(([k, name]) => [k, findFile(dir, name)])) as Record<keyof typeof FILES, string | undefined>;
  if (Object.values(files).some((f) => f === undefined)) return undefined;
  const test = idxDataset(readU8Idx(files.testImages!), readU8Idx(files.testLabels!), { name: 'Fashion-MNIST test' });
  if (testOnly > 0) {
    const k = Math.min(testOnly, test.n - 1);
    return { validation: head(test, k), train: { ...test, name: 'Fashion-MNIST test (after the validation images)', n: test.n - k, x: test.x.subarray(k * test.features), labels: test.labels!.subarray(k) } };
  }
  const train = idxDataset(readU8Idx(files.trainImages!), readU8Idx(files.trainLabels!), { name: 'Fashion-MNIST train' });
  return { train, validation: test };
}

function loadData(data: BatchSizeCnnOptions['data'], testOnly: number): FashionData {
  if (data !== undefined && typeof data !== 'string') return data;
  const dirs = data !== undefined ? [resolve(data)] : fashionMnistCandidates();
  for (const dir of dirs) {
    const d = readFashionMnist(dir, testOnly);
    if (d) return d;
  }
  throw new DescentError(`batch-size-cnn needs Fashion-MNIST (the four IDX files ${Object.values(FILES).map((f) => `${f}.gz`).join(', ')}) and found none in ${dirs.join(', ')}; ` +
    'set DESCENT_FASHION_MNIST to a folder holding them, or download them once with `descent train --data fashion-mnist` (cached in the descentjs cache, which this experiment reads)');
}

/** The first n samples of a data set (views, no copy). */
function head(ds: Dataset, n: number): Dataset {
  const k = Math.min(n, ds.n);
  return { ...ds, n: k, x: ds.x.subarray(0, k * ds.features), labels: ds.labels!.subarray(0, k) };
}

interface Run { lr: number; steps: number; reached: boolean; error: number; seconds: number; why: string }

export const batchSizeCnn: Experiment = {
  name: 'batch-size-cnn',
  claim: 'Steps to a target validation error halve when the batch size doubles (perfect scaling) up to a critical batch size; beyond it the returns diminish (Shallue et al. 2018, Simple CNN on Fashion MNIST).',
  picture: 'Left: training steps to the target validation error against the batch size, both axes logarithmic, with the perfect-scaling line (slope −1 through the smallest batch) and 1.5× that line dashed. Right: the best learning rate of each batch size, with lr proportional to the batch dashed.',
  run(opts: BatchSizeCnnOptions): ExperimentResult {
    const { engine, quick = false, seed = 1, log } = opts;
    const base = quick ? QUICK : FULL;
    const s: Settings = { ...base, ...(opts.sizes ? { sizes: opts.sizes } : {}), ...(opts.target !== undefined ? { target: opts.target } : {}), ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}) };
    if (!s.sizes.length || s.sizes.some((b, i) => !Number.isSafeInteger(b) || b < 1 || (i > 0 && b <= s.sizes[i - 1]))) {
      throw new DescentError(`batch-size-cnn: sizes must be ascending positive integers, got ${JSON.stringify(s.sizes)}`);
    }
    const all = loadData(opts.data, s.testOnly ? s.valN : 0);
    const train = head(all.train, s.trainN), val = head(all.validation, s.valN);
    const valFirst = s.valFirst > 0 && s.valFirst < val.n ? head(val, s.valFirst) : undefined;
    const valRest = valFirst ? { ...val, n: val.n - valFirst.n, x: val.x.subarray(valFirst.n * val.features), labels: val.labels!.subarray(valFirst.n) } : undefined;
    const spec = { inputs: [1, 28, 28] as [number, number, number], loss: 'softmax-cross-entropy' as const, seed, layers: LAYERS };
    const model = new Model(engine, spec);
    const theta0 = model.parameters().toArray();
    const params = theta0.length;
    let evaluations = 0;
    /** Validation error, with the cheap first look when it is far from the target. */
    const valError = (): number => {
      evaluations++;
      if (!valFirst || !valRest) return 1 - evaluate(model, val).accuracy!;
      const a = evaluate(model, valFirst).accuracy!;
      if (1 - a > s.target + 0.04) return 1 - a;
      const b = evaluate(model, valRest).accuracy!;
      return 1 - (a * valFirst.n + b * valRest.n) / val.n;
    };
    /** One run: batch B, lr; stops at the target, the budget, divergence, or `cap` steps. */
    const trial = (B: number, lr: number, cap: number, capIsBest: boolean): Run => {
      model.parameters().data.set(theta0);
      const t0 = performance.now();
      let next = 1, steps = 0, reached = false, error = NaN, why = 'budget';
      const h = fit(model, train, {
        epochs: 1_000_000, batchSize: B, seed, optimizer: optimizer('momentum', { lr, momentum: 0.9 }), onNonFinite: 'stop',
        onBatchEnd: (l) => {
          steps = l.step + 1;
          if (steps >= next) { // the same checkpoints in every run
            next = steps < 8 ? steps + 1 : Math.ceil(steps * CHECK_RATIO);
            error = valError();
            if (error <= s.target) { reached = true; return 'stop'; }
            // stuck at chance (error 0.9, loss ≥ ln 10) after 2000 samples and 10 steps: diverged
            if (steps >= Math.max(10, 2000 / B) && !(error < 0.85) && !(l.loss < Math.LN10)) { why = 'diverged'; return 'stop'; }
          }
          if (steps >= cap) { why = capIsBest ? 'no better' : 'budget'; return 'stop'; }
          return undefined;
        },
      });
      if (h.stopped === 'non-finite') why = 'diverged';
      const r: Run = { lr, steps, reached, error, seconds: (performance.now() - t0) / 1000, why: reached ? 'reached' : why };
      log?.(`batch ${B} lr ${fmt(lr)}: ${reached ? `${steps} steps` : `not reached (${r.why}, ${steps} steps, error ${fmt(error)})`} (${r.seconds.toFixed(1)} s)`);
      return r;
    };

    const t0 = performance.now();
    const numbers: Record<string, number> = { target: s.target, params };
    const results: { B: number; best?: Run; runs: Run[] }[] = [];
    let guess = LR_K_FIRST;
    for (const B of s.sizes) {
      const budget = Math.min(s.maxSteps, Math.ceil((s.maxEpochs * train.n) / B));
      const runs = new Map<number, Run>();
      let best: Run | undefined, bestK = -1;
      /** Runs lr 2^k/1024 (once); true if it is the new best of this batch size. */
      const tryK = (k: number): boolean => {
        if (k < 0 || k > LR_K_MAX || runs.has(k)) return false;
        // a run beats the best only by reaching the target at an earlier checkpoint
        const r = trial(B, lrOf(k), best ? Math.min(best.steps - 1, budget) : budget, best !== undefined && best.steps - 1 < budget);
        runs.set(k, r);
        if (r.reached && (!best || r.steps < best.steps)) { best = r; bestK = k; return true; }
        return false;
      };
      // upwards from the guess while the steps fall (or, before anything reached the target, up
      // to 3 grid points unless a run diverged), then downwards from the best (or the guess)
      for (let k = guess; k <= LR_K_MAX; k++) {
        const better = tryK(k);
        if (runs.get(k)!.why === 'diverged' || (best ? !better : k - guess >= 3)) break;
      }
      for (let k = (best ? bestK : guess) - 1; k >= 0; k--) {
        const seen = runs.has(k), better = tryK(k);
        if (seen || (best ? !better : guess - k >= 3)) break;
      }
      if (best) { // both neighbours of the best have been tried (unless off the grid)
        tryK(bestK - 1); tryK(bestK + 1);
        guess = Math.min(bestK + 1, LR_K_MAX);
      }
      results.push({ B, best, runs: [...runs.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r) });
      numbers[`b${B}.steps`] = best ? best.steps : Infinity;
      numbers[`b${B}.lr`] = best ? best.lr : NaN;
      numbers[`b${B}.runs`] = runs.size;
      numbers[`b${B}.seconds`] = [...runs.values()].reduce((a, r) => a + r.seconds, 0);
    }
    numbers.seconds = (performance.now() - t0) / 1000;
    numbers.evaluations = evaluations;

    // Regimes, from the data: the ratio to perfect scaling through the smallest batch's point.
    const reached = results.filter((r) => r.best);
    const B0 = reached[0]?.B, S0 = reached[0]?.best?.steps ?? NaN;
    const perfect = (B: number): number => (S0 * B0) / B;
    const ratio = (r: (typeof results)[number]): number => (r.best ? r.best.steps / perfect(r.B) : Infinity);
    let perfectUpTo = B0 ?? NaN, diminishingFrom = NaN;
    for (const r of results) {
      numbers[`b${r.B}.overPerfect`] = B0 === undefined ? NaN : ratio(r);
      if (r.B < (B0 ?? Infinity)) continue;
      if (Number.isNaN(diminishingFrom) && ratio(r) <= PERFECT_WITHIN) perfectUpTo = r.B;
      else if (Number.isNaN(diminishingFrom)) diminishingFrom = r.B;
    }
    // maximal data parallelism: from the first batch size whose doubling gains < 10% of the steps
    let flatFrom = NaN;
    for (let i = 1; i < results.length; i++) {
      const a = results[i - 1].best, b = results[i].best;
      if (a && b && results[i].B === 2 * results[i - 1].B && b.steps > 0.9 * a.steps) { flatFrom = results[i - 1].B; break; }
    }
    numbers.perfectScalingUpTo = perfectUpTo;
    numbers.diminishingFrom = diminishingFrom;
    numbers.flatFrom = flatFrom;
    const first = reached[0]?.best, last = reached[reached.length - 1];
    numbers.stepsFirstOverLast = first && last?.best ? first.steps / last.best.steps : NaN;

    const rows = [['batch', 'steps', 'best lr', 'perfect', 'steps/perfect', 'epochs', 'runs', 'seconds', 'lr tried (steps, – not reached)']];
    for (const r of results) {
      const b = r.best;
      rows.push([String(r.B), b ? String(b.steps) : 'not reached', b ? fmt(b.lr) : '–', B0 !== undefined ? fmt(perfect(r.B)) : '–',
        b ? fmt(ratio(r)) : '–', b ? fmt((b.steps * r.B) / train.n) : '–', String(r.runs.length), fmt(numbers[`b${r.B}.seconds`]),
        r.runs.map((x) => `${fmt(x.lr)}:${x.reached ? x.steps : '–'}`).join(' ')]);
    }
    // a larger batch needing more steps than a smaller one: the limits of the tuning, not a regime
    const rises = reached.slice(1).map((r, i) => [reached[i].B, r.B] as const).filter(([a, b]) => numbers[`b${b}.steps`] > numbers[`b${a}.steps`]);
    numbers.rises = rises.length;
    const allReached = reached.length === results.length;
    const nPerfect = results.filter((r) => r.B <= perfectUpTo).length;
    const supports = allReached && nPerfect >= 2 && !Number.isNaN(diminishingFrom);
    const lines = [
      `Fashion-MNIST (${train.n} training images, the first ${val.n} test images for validation), CNN ${params} parameters ` +
        `(conv 8 3×3 relu, maxpool 2, conv 16 3×3 relu, maxpool 2, dense 10), SGD momentum 0.9, lr tuned per batch size on the grid 2^k/1024; ` +
        `target validation error ${fmt(s.target)}, at most ${s.maxSteps} steps or ${s.maxEpochs} epochs per run`,
      ...table(rows),
      `perfect scaling (steps within ${PERFECT_WITHIN}× of batch ${B0}'s steps × ${B0}/batch) up to batch ${fmt(perfectUpTo)}; ` +
        (Number.isNaN(diminishingFrom) ? 'no diminishing returns within the batch sizes measured' : `diminishing returns from batch ${diminishingFrom} (${fmt(numbers[`b${diminishingFrom}.overPerfect`])}× the perfect-scaling steps)`) +
        (Number.isNaN(flatFrom) ? '' : `; beyond batch ${flatFrom} a doubling saves less than 10% of the steps`) +
        `; steps fall ${fmt(numbers.stepsFirstOverLast)}× from batch ${first ? B0 : '–'} to batch ${last?.B ?? '–'} (${fmt((last?.B ?? NaN) / B0)}× the batch)`,
      `verdict: ${supports ? 'supports the claim' : allReached ? 'does not support the claim as stated' : 'inconclusive'}: ` +
        (supports
          ? `doubling the batch halves the steps up to batch ${perfectUpTo}, and from batch ${diminishingFrom} on a doubling buys less than that`
          : allReached
            ? (nPerfect < 2 ? 'no range of perfect scaling beyond the smallest batch' : 'perfect scaling over every batch size measured (the critical batch size lies beyond them)')
            : `batch ${results.filter((r) => !r.best).map((r) => r.B).join(', ')} did not reach the target within the budget`) +
        ` (${numbers.seconds.toFixed(0)} s, ${results.reduce((a, r) => a + r.runs.length, 0)} runs)`,
    ];
    if (rises.length) {
      lines.push(`caveat: ${rises.map(([a, b]) => `batch ${b} needs more steps than batch ${a} (${numbers[`b${b}.steps`]} vs ${numbers[`b${a}.steps`]})`).join(', ')}: ` +
        'with optimal tuning a larger batch should not need more steps; here one seed, momentum fixed at 0.9, no schedule and a factor-2 lr grid are the resolution of the measurement');
    }

    // Pictures: x = log2 batch (integer ticks), log y.
    const xs = reached.map((r) => Math.log2(r.B));
    const stepsSeries: LineSeries[] = [];
    if (reached.length) {
      const lo = Math.log2(results[0].B), hi = Math.log2(results[results.length - 1].B);
      const px = [lo, hi];
      stepsSeries.push({ name: 'perfect scaling (slope −1)', x: px, y: px.map((x) => perfect(2 ** x)), color: '#7f7f7f', dashed: false });
      stepsSeries.push({ name: `${PERFECT_WITHIN}× perfect scaling`, x: px, y: px.map((x) => PERFECT_WITHIN * perfect(2 ** x)), color: '#bbbbbb', dashed: true });
      stepsSeries.push({ name: `steps to ${fmt(100 * s.target)}% validation error`, x: xs, y: reached.map((r) => r.best!.steps), color: '#1f77b4' });
    }
    const lrSeries: LineSeries[] = [];
    if (reached.length) {
      const lr0 = reached[0].best!.lr;
      lrSeries.push({ name: 'lr proportional to batch', x: [xs[0], xs[xs.length - 1]], y: [lr0, (lr0 * reached[reached.length - 1].B) / B0], color: '#7f7f7f', dashed: true });
      lrSeries.push({ name: 'best lr (momentum 0.9)', x: xs, y: reached.map((r) => r.best!.lr), color: '#d62728' });
    }
    const ys = reached.map((r) => r.best!.steps);
    const yLo = Math.min(...ys, ...(reached.length ? [perfect(results[results.length - 1].B)] : [1]));
    const yHi = Math.max(...ys, 1);
    const left = lineChartSvg(stepsSeries, {
      title: 'Steps to the target vs batch size', xLabel: 'log₂ batch size', yLabel: 'training steps (log scale)', logY: true,
      yDomain: [Math.max(1, yLo / 1.5), yHi * 2], width: 560, height: 440,
    });
    const right = lineChartSvg(lrSeries, { title: 'Best learning rate', xLabel: 'log₂ batch size', yLabel: 'learning rate (log scale)', logY: true, width: 420, height: 440 });
    const svg = panels([left, right], `Simple CNN on Fashion-MNIST: steps to ${fmt(100 * s.target)}% validation error vs batch size`);
    return { lines, numbers, svg };
  },
};
