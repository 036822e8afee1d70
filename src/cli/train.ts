// `descent train`: train an MLP and report on it.
//
// With no options: the embedded 8×8 digits set (1797 samples), a seeded stratified 80/20
// split, 64-64-10 tanh with softmax cross-entropy, mini-batches of 32, SGD with learning rate
// 0.1, 100 epochs, features z-scored with training-set statistics. Prints a progress bar (steps, loss, throughput, ETA), then test accuracy, the
// confusion matrix and per-class sensitivity / specificity / precision, and writes the model
// (safetensors) and an SVG of loss and accuracy per epoch.

import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Engine } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import type { Isa } from '../engine/isa.js';
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/digits.js';
import { idxDataset, parseIdx } from '../data/idx.js';
import { parseCsv } from '../data/csv.js';
import { fitStandardizer } from '../data/standardize.js';
import { trainTestSplit } from '../data/split.js';
import { Model } from '../nn/model.js';
import { ACTIVATIONS } from '../nn/activations.js';
import { LOSSES } from '../nn/losses.js';
import { fit, evaluate } from '../train/fit.js';
import { sgd } from '../train/optimizer.js';
import { saveModel } from '../io/model-file.js';
import { confusionMatrix, formatConfusionMatrix, formatPerClass, perClassMetrics } from '../metrics/classification.js';
import { trainingCurveSvg } from '../plot/svg-curve.js';

export const TRAIN_HELP = `descent train — train a multilayer perceptron

Usage: descent train [options]

Data
  --data SPEC          digits (default: the embedded 8×8 digits set, 1797 samples),
                       idx:DIR (MNIST-style: train-/t10k-images-idx3-ubyte and -labels-idx1-ubyte,
                       .gz or raw; the t10k files are the test set),
                       csv:FILE (numeric columns; see --label)
  --label COL          csv label column: a header name or a 0-based index (default: last column)
  --skip-lines N       csv lines to skip before the data/header (default 0)
  --test-fraction F    held-out test fraction for digits and csv (stratified, seeded; default 0.2)
  --standardize        z-score the features with training-set statistics (default: on for digits
                       and csv, off for idx images, which are scaled to [0, 1])
  --no-standardize     keep the features as they are
  --validation-split F hold out this fraction of the training set for validation (default 0)

Network
  --layers A-B-…-K     layer sizes including inputs and outputs, e.g. 784-500-300-10
                       (default: inputs-64-classes)
  --activation NAME    hidden activation: ${ACTIVATIONS.join(', ')} (default tanh)
  --alpha X            slope of leaky-relu / α of elu
  --loss NAME          ${LOSSES.join(', ')} (default softmax-cross-entropy)
  --init NAME          weight initializer (default: per activation, Glorot uniform or He normal)

Training
  --epochs N           passes over the training set (default 100)
  --batch-size N|full  samples per update: 1 = stochastic, full = batch gradient descent (default 32)
  --lr X               SGD learning rate (default 0.1)
  --seed N             seed of initialization, shuffling and splits (default 0)
  --isa NAME           auto, simd or relaxed-simd (default auto)

Output
  --out FILE           model file, safetensors (default descent-model.safetensors)
  --curve FILE         SVG of loss and accuracy per epoch (default descent-training.svg)
  --no-progress        no progress bar (also off when stdout is not a terminal)
  --quiet              print only the final accuracy line
  -h, --help           this text
`;

interface Loaded { train: Dataset; test: Dataset; name: string }

async function readIdxFile(dir: string, stem: string): Promise<Uint8Array> {
  for (const f of [`${stem}.gz`, stem]) {
    const p = join(dir, f);
    if (existsSync(p)) return parseIdxBytes(p);
  }
  // MNIST mirrors sometimes use dots: train-images.idx3-ubyte
  const alt = readdirSync(dir).find((f) => f.replace(/\./g, '-').startsWith(stem));
  if (alt) return parseIdxBytes(join(dir, alt));
  throw new DescentError(`--data idx:${dir}: no ${stem}(.gz) in that folder`);
}

function parseIdxBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

async function loadData(spec: string, v: Record<string, unknown>, seed: number): Promise<Loaded> {
  const testFraction = v['test-fraction'] !== undefined ? Number(v['test-fraction']) : 0.2;
  if (spec === 'digits') {
    const { train, test } = trainTestSplit(digits(), { testFraction, seed });
    return { train, test, name: 'digits (8×8, embedded)' };
  }
  if (spec.startsWith('idx:')) {
    const dir = spec.slice(4);
    if (!existsSync(dir)) throw new DescentError(`--data ${spec}: folder ${dir} does not exist`);
    const [ti, tl, vi, vl] = await Promise.all(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']
      .map(async (s) => parseIdx(await readIdxFile(dir, s), `${dir}/${s}`)));
    return { train: idxDataset(ti, tl, { name: 'train' }), test: idxDataset(vi, vl, { name: 'test' }), name: `IDX ${dir}` };
  }
  if (spec.startsWith('csv:')) {
    const file = spec.slice(4);
    if (!existsSync(file)) throw new DescentError(`--data ${spec}: file ${file} does not exist`);
    const label = v.label === undefined ? undefined : /^\d+$/.test(String(v.label)) ? Number(v.label) : String(v.label);
    const ds = parseCsv(readFileSync(file, 'utf8'), { label, skipLines: v['skip-lines'] !== undefined ? Number(v['skip-lines']) : 0, name: file });
    const { train, test } = trainTestSplit(ds, { testFraction, seed });
    return { train, test, name: `CSV ${file}` };
  }
  throw new DescentError(`--data: unknown data ${JSON.stringify(spec)}; use digits, idx:DIR or csv:FILE`);
}

function num(v: unknown, name: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || (integer && !Number.isInteger(x))) throw new DescentError(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
  return x;
}

export async function train(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: 'digits' }, label: { type: 'string' }, 'skip-lines': { type: 'string' },
      'test-fraction': { type: 'string' }, standardize: { type: 'boolean' }, 'no-standardize': { type: 'boolean' },
      'validation-split': { type: 'string' },
      layers: { type: 'string' }, activation: { type: 'string', default: 'tanh' }, alpha: { type: 'string' },
      loss: { type: 'string', default: 'softmax-cross-entropy' }, init: { type: 'string' },
      epochs: { type: 'string', default: '100' }, 'batch-size': { type: 'string', default: '32' },
      lr: { type: 'string', default: '0.1' }, seed: { type: 'string', default: '0' }, isa: { type: 'string', default: 'auto' },
      out: { type: 'string', default: 'descent-model.safetensors' }, curve: { type: 'string', default: 'descent-training.svg' },
      'no-progress': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) { out(TRAIN_HELP); return 0; }
  const seed = num(v.seed, 'seed', true)!;
  const epochs = num(v.epochs, 'epochs', true)!;
  const batchSize = v['batch-size'] === 'full' ? 'full' as const : num(v['batch-size'], 'batch-size', true)!;
  const lr = num(v.lr, 'lr')!;
  const quiet = !!v.quiet;
  const say = (s: string) => { if (!quiet) out(s + '\n'); };

  const engine = await Engine.create({ isa: v.isa as Isa | 'auto' });
  let { train: trainSet, test: testSet, name } = await loadData(v.data!, v, seed);
  const standardize = v['no-standardize'] ? false : v.standardize ?? !v.data!.startsWith('idx:');
  if (standardize) {
    const s = fitStandardizer(trainSet);
    trainSet = s.apply(trainSet);
    testSet = s.apply(testSet);
  }
  const classes = Math.max(trainSet.classes ?? 0, testSet.classes ?? 0);
  const sizes = v.layers ? v.layers.split('-').map((s, i) => num(s, `layers (entry ${i + 1})`, true)!) : [trainSet.features, 64, classes];
  if (sizes.length < 2) throw new DescentError(`--layers: need at least inputs-outputs, got ${v.layers}`);
  if (sizes[0] !== trainSet.features) throw new DescentError(`--layers: the network takes ${sizes[0]} inputs but the data has ${trainSet.features} features`);
  const alpha = num(v.alpha, 'alpha');
  const model = new Model(engine, {
    inputs: sizes[0],
    loss: v.loss,
    seed,
    layers: sizes.slice(1).map((units, i) => ({
      units,
      activation: i === sizes.length - 2 ? (v.loss === 'bce' ? 'sigmoid' : v.loss === 'mse' ? 'linear' : 'linear') : v.activation,
      alpha: i === sizes.length - 2 ? undefined : alpha,
      init: v.init as never,
    })),
  });
  say(`descent ${engine.backend().isa} · ${name}: ${trainSet.n} training, ${testSet.n} test samples, ${trainSet.features} features, ${classes} classes`);
  say(`${model.describe()}`);
  say(`SGD lr ${lr}, batch ${batchSize}, ${epochs} epochs, seed ${seed}`);

  const B = batchSize === 'full' ? trainSet.n : batchSize;
  const steps = epochs * Math.ceil(trainSet.n * (1 - Number(v['validation-split'] ?? 0)) / B);
  const showBar = !quiet && !v['no-progress'] && process.stdout.isTTY;
  const bar = showBar ? new cliProgress.SingleBar({
    format: 'train |{bar}| {value}/{total} steps · epoch {epoch}/{epochs} · loss {loss} · {rate} samples/s · ETA {eta_formatted}',
    barsize: 24, hideCursor: true, etaBuffer: 50, fps: 10,
  }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(steps, 0, { epoch: 1, epochs, loss: '-', rate: '-' });
  const t0 = performance.now();
  let samples = 0;
  const history = fit(model, trainSet, {
    epochs, batchSize, optimizer: sgd({ lr }), seed,
    validationSplit: v['validation-split'] !== undefined ? num(v['validation-split'], 'validation-split') : undefined,
    onBatchEnd: (l) => {
      samples += l.size;
      bar?.update(l.step, { epoch: l.epoch + 1, loss: l.loss.toFixed(4), rate: Math.round(samples / ((performance.now() - t0) / 1000)) });
    },
    onEpochEnd: (l) => {
      if (!bar && !quiet) say(`epoch ${String(l.epoch).padStart(3)}  loss ${l.loss.toFixed(4)}${l.accuracy !== undefined ? `  acc ${(100 * l.accuracy).toFixed(2)}%` : ''}${l.valLoss !== undefined ? `  val loss ${l.valLoss.toFixed(4)}` : ''}${l.valAccuracy !== undefined ? `  val acc ${(100 * l.valAccuracy).toFixed(2)}%` : ''}  ${Math.round(l.samplesPerSecond)} samples/s`);
    },
  });
  bar?.stop();
  const seconds = (performance.now() - t0) / 1000;
  const ev = evaluate(model, testSet);
  const acc = ev.accuracy ?? NaN;
  out(`test accuracy ${(100 * acc).toFixed(2)}% (error ${(100 * (1 - acc)).toFixed(2)}%), test loss ${ev.loss.toFixed(4)} · trained in ${seconds.toFixed(1)} s, ${Math.round(samples / seconds)} samples/s\n`);
  if (!quiet && testSet.labels) {
    const pred = model.predictLabels(testSet.x, testSet.n);
    const k = model.outputs === 1 ? 2 : model.outputs;
    const cm = confusionMatrix(pred, testSet.labels, k);
    const names = testSet.classNames;
    say('\nconfusion matrix');
    say(formatConfusionMatrix(cm, names));
    say('\nper class (one vs rest)');
    say(formatPerClass(perClassMetrics(cm), names));
  }
  writeFileSync(v.out!, saveModel(model));
  const curve = { epoch: history.epoch, loss: history.loss, accuracy: history.accuracy, valLoss: history.valLoss, valAccuracy: history.valAccuracy };
  writeFileSync(v.curve!, trainingCurveSvg(curve, { title: `descent train · ${name}` }));
  say(`\nwrote ${v.out} (model, safetensors) and ${v.curve} (training curve, SVG)`);
  return 0;
}
