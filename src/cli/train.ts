// `descent train`: train an MLP and report on it.
//
// With no options: the embedded 8×8 digits set (1797 samples), a seeded stratified 80/20
// split, 64-64-10 tanh with softmax cross-entropy, mini-batches of 32, SGD with learning rate
// 0.1, 100 epochs, features z-scored with training-set statistics. Prints a progress bar
// (steps, loss, throughput, ETA), then test accuracy, the confusion matrix and per-class
// sensitivity / specificity / precision, and writes the model (safetensors) and an SVG of loss
// and accuracy per epoch.
//
// --optimizer picks any optimizer of src/optim/optimizer.ts; its hyper-parameters come from
// --lr, --momentum, --weight-decay and --opt key=value (PyTorch's names), the learning rate may
// follow --lr-schedule. `descent compare` (compare.ts) reuses the data, network and optimizer
// helpers exported here, so both commands read their options the same way.

import { ENGINE_FLAGS, ENGINE_HELP, engineOptions } from './engine-flags.js';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-file.js';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Engine } from '../engine/engine.js';
import { DescentError, show } from '../engine/errors.js';
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/digits.js';
import { idxDataset, parseIdx } from '../data/idx.js';
import { loadDataset, type DownloadProgress } from '../data/remote/load.js';
import { DATASET_NAMES } from '../data/remote/registry.js';
import { parseCsv } from '../data/csv.js';
import { fitStandardizer } from '../data/standardize.js';
import { trainTestSplit } from '../data/split.js';
import { Model } from '../nn/model.js';
import { parseLayers } from './layers-syntax.js';
import type { Preprocess } from '../nn/preprocess.js';
import { ACTIVATIONS } from '../nn/activations.js';
import { checkInit } from '../nn/init.js';
import { LOSS_HELP, LOSS_OPTIONS, lossFromFlags, lossName } from './loss-flags.js';
import { fit, evaluate, type EpochLogs } from '../train/fit.js';
import { sgd, type Optimizer } from '../train/optimizer.js';
import { optimizer as namedOptimizer, OPTIMIZER_NAMES, RuleOptimizer } from '../optim/optimizer.js';
import { parseLrSchedule, SCHEDULE_HELP, type LrPlan } from './lr-schedule.js';
export { parseLrSchedule, SCHEDULE_HELP, type LrPlan } from './lr-schedule.js';
import { saveModel } from '../io/model-file.js';
import { FULL_BATCH_NAMES, isFullBatchName, makeFullBatch } from './full-batch-options.js';
import { confusionMatrix, formatConfusionMatrix, formatPerClass, perClassMetrics } from '../metrics/classification.js';
import { trainingCurveSvg } from '../plot/svg-curve.js';

/**
 * The learning rate each optimizer gets when --lr is not given, chosen by sweeps over 3e-4…3 on
 * the digits network (64-64-10 tanh, batches of 32, 10 epochs: `descent compare`) and checked
 * on MNIST (784-100-10, one epoch), both short runs: plain SGD keeps the 0.1 `descent train`
 * has always used; SGD with momentum 0.9 takes steps of lr/(1 − μ) = 10·lr, so 0.05 (0.01
 * would retrace SGD at 0.1); Adagrad 0.05; Adadelta PyTorch's 1.0; RMSprop and the Adam family
 * 3e-3, which beat PyTorch's 1e-3/2e-3 on both tasks at these lengths; Rprop PyTorch's 0.01;
 * ASGD plain SGD's 0.1 (its step is SGD's, slowly decayed: digits, 10 epochs, 97.2% against 90.3%
 * with torch's 0.01).
 * An optimizer missing here gets its rule's own default.
 */
export const DEFAULT_LR: Readonly<Record<string, number>> = {
  sgd: 0.1, momentum: 0.05, nesterov: 0.05, adagrad: 0.05, rmsprop: 3e-3, adadelta: 1.0,
  adam: 3e-3, adamw: 3e-3, adamax: 3e-3, nadam: 3e-3, radam: 3e-3, rprop: 1e-2,
  'momentum-classic': 0.05, 'nesterov-lookahead': 0.05, asgd: 0.1,
};

/** Items joined with ", " and wrapped at `width` columns, continuation lines indented by `indent`. */
export function wrapList(items: readonly string[], width = 72, indent = 23): string {
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    if (line && line.length + it.length + 2 > width) { lines.push(line + ','); line = ''; }
    line += (line ? ', ' : '') + it;
  }
  lines.push(line);
  return lines.join('\n' + ' '.repeat(indent));
}

/** "sgd 0.1, adagrad 0.05, …" wrapped for the help texts (rules without a learning rate left out). */
export function defaultLrText(): string {
  return wrapList(OPTIMIZER_NAMES.flatMap((n) => {
    const lr = learningRate(undefined, n);
    return lr === undefined ? [] : [`${n} ${lr}`];
  }));
}

export const DATA_HELP = `Data
  --data SPEC          digits (default: the embedded 8×8 digits set, 1797 samples),
                       idx:DIR (MNIST-style: train-/t10k-images-idx3-ubyte and -labels-idx1-ubyte,
                       .gz or raw; the t10k files are the test set),
                       csv:FILE (numeric columns; see --label),
                       mnist or fashion-mnist (downloaded once from a public mirror, checked
                       against their SHA-256 and cached: $DESCENT_CACHE, else
                       $XDG_CACHE_HOME/descentjs, else ~/.cache/descentjs; offline afterwards)
  --data-mirror URL    base URL for mnist / fashion-mnist instead of the public mirrors
                       ({dataset} in it becomes the data set's name); or $DESCENT_DATA_MIRROR
  --label COL          csv label column: a header name or a 0-based index (default: last column)
  --skip-lines N       csv lines to skip before the data/header (default 0)
  --test-fraction F    held-out test fraction for digits and csv (stratified, seeded; default 0.2)
  --standardize        z-score the features with training-set statistics (default: on for digits
                       and csv, off for idx, mnist and fashion-mnist images, which are scaled
                       to [0, 1])
  --no-standardize     keep the features as they are
`;

export const NETWORK_HELP = `Network
  --layers A-B-…-K     layer sizes including inputs and outputs, e.g. 784-500-300-10
                       (default: inputs-64-classes). A hidden size may end in bn or ln:
                       a Dense layer without activation, then batch norm / layer norm with the
                       activation (500bn); dP inserts dropout with rate P (d0.2), e.g.
                       784-500bn-d0.2-300ln-10. Convolutional networks start on the data's
                       images (no inputs entry): cFkK = conv2d with F filters K×K (suffixes sS
                       stride, pP padding or same, gG groups, lD dilation, bn), pK max pool,
                       apK average pool (sS stride), gap global average pool, sdP spatial
                       dropout, flat; a Dense size after an image flattens it, e.g.
                       c32k3-p2-c64k3-p2-128-10 (conv activation: --activation, default relu)
                       An entry may end in :ACT, that layer's activation instead of
                       --activation's: 784-500:gelu-300:silu-10 (gelu_tanh, leaky_relu for
                       the names with a dash)
  --activation NAME    hidden activation (default tanh; conv layers relu):
                       ${wrapList(ACTIVATIONS)}
  --alpha X            slope of leaky-relu / α of elu
${LOSS_HELP}  --init NAME[:K=V,…]  weight initializer (default: per activation, Glorot uniform or He normal):
                       zeros, constant:value=C, normal:std=S, truncated-normal:std=S,
                       uniform:limit=A, glorot-uniform, glorot-normal, he-normal, he-uniform,
                       torch-default (PyTorch's Linear/Conv2d default: weights and bias
                       U(±1/√fan_in)); He takes mode=fan_out; Glorot and He take gain=lecture
                       (default: tanh 1, sigmoid 4), gain=torch (calculate_gain: tanh 5/3,
                       sigmoid 1) or a number, e.g. he-normal:mode=fan_out,gain=torch
`;


export const TRAIN_HELP = `descent train — train a multilayer perceptron

Usage: descent train [options]

${DATA_HELP}  --validation-split F hold out this fraction of the training set for validation (default 0)

${NETWORK_HELP}
Training
  --epochs N           passes over the training set (default 100)
  --batch-size N|full  samples per update: 1 = stochastic, full = batch gradient descent (default 32)
  --optimizer NAME     ${wrapList(OPTIMIZER_NAMES)}
                       (default sgd; momentum and nesterov are SGD with momentum 0.9; asgd is
                       torch's ASGD, --opt t0=N starts averaging: the model is its average),
                       or a full-batch method: ${wrapList(FULL_BATCH_NAMES)}
                       (one iteration per epoch over the whole training set, steps by line
                       search, so no --lr; --weight-decay, --opt memory=M for lbfgs,
                       --opt gradient_tolerance=X; lm needs --loss mse). lbfgs-torch is
                       torch.optim.LBFGS replayed: an epoch is one step(closure) call, --lr
                       its lr (default 1), --opt max_iter=20, max_eval, tolerance_grad=1e-7,
                       tolerance_change=1e-9, history_size=100, line_search_fn=strong_wolfe
  --lr X               learning rate of the optimizer (default per optimizer:
                       ${defaultLrText()})
${SCHEDULE_HELP}  --momentum X         momentum (sgd, rmsprop; momentum/nesterov default 0.9)
  --weight-decay X     weight decay: L2 added to the gradient, decoupled for adamw
                       (biases are not decayed)
  --opt KEY=VALUE      any other hyper-parameter of the optimizer, PyTorch's names, repeatable:
                       --opt betas=0.9,0.99 --opt eps=1e-7 --opt amsgrad=true
  --seed N             seed of initialization, shuffling and splits (default 0)
${ENGINE_HELP}
Output
  --out FILE           model file, safetensors (default descent-model.safetensors); it holds the
                       pixel scaling, standardizer and class names too: descent predict --model FILE
  --curve FILE         SVG of loss and accuracy per epoch (default descent-training.svg)
  --no-progress        no progress bar (also off when stdout is not a terminal)
  --quiet              print only the final accuracy line
  -h, --help           this text
`;

/** parseArgs options shared by train and compare: data and network. */
export const DATA_OPTIONS = {
  data: { type: 'string', default: 'digits' }, 'data-mirror': { type: 'string' }, label: { type: 'string' }, 'skip-lines': { type: 'string' },
  'test-fraction': { type: 'string' }, standardize: { type: 'boolean' }, 'no-standardize': { type: 'boolean' },
} as const;

export const NETWORK_OPTIONS = {
  layers: { type: 'string' }, activation: { type: 'string' }, alpha: { type: 'string' },
  loss: { type: 'string', default: 'softmax-cross-entropy' }, init: { type: 'string' }, ...LOSS_OPTIONS,
} as const;

export interface Loaded {
  train: Dataset;
  test: Dataset;
  name: string;
  /** The pixel scale the loader applied (digits 1/16, image data 1/255); undefined for csv. */
  scale?: number;
  /** Every row in file order: the data set before the split, or the training files then the test files. */
  all: () => Dataset;
  /** Rows of all() that are train and test. */
  trainIndices: Int32Array;
  testIndices: Int32Array;
}

/** Two data sets of the same kind one after the other (idx: the training files, then the test files). */
function concatRows(a: Dataset, b: Dataset, name: string): Dataset {
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const labels = a.labels && b.labels ? new Int32Array(a.n + b.n) : undefined;
  labels?.set(a.labels!);
  labels?.set(b.labels!, a.n);
  return { ...a, x, n: a.n + b.n, labels, classes: Math.max(a.classes ?? 0, b.classes ?? 0) || undefined, name };
}

const range = (from: number, n: number) => Int32Array.from({ length: n }, (_, i) => from + i);

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

/**
 * The data of --data, split as train splits it. `pixelScale` replaces the loaders' pixel scale
 * (1: the values as the files hold them, for a model that scales its own inputs).
 */
export async function loadData(spec: string, v: Record<string, unknown>, seed: number, pixelScale?: number): Promise<Loaded> {
  const testFraction = v['test-fraction'] !== undefined ? Number(v['test-fraction']) : 0.2;
  const imageScale = pixelScale ?? 1 / 255; // idxDataset's and loadDataset's default
  if (spec === 'digits') {
    const scale = pixelScale ?? 1 / 16; // digits()'s default
    const ds = digits({ scale });
    const { train, test, trainIndices, testIndices } = trainTestSplit(ds, { testFraction, seed });
    return { train, test, name: 'digits (8×8, embedded)', scale, all: () => ds, trainIndices, testIndices };
  }
  if (spec.startsWith('idx:')) {
    const dir = spec.slice(4);
    if (!existsSync(dir)) throw new DescentError(`--data ${spec}: folder ${dir} does not exist`);
    const [ti, tl, vi, vl] = await Promise.all(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']
      .map(async (s) => parseIdx(await readIdxFile(dir, s), `${dir}/${s}`)));
    const train = idxDataset(ti, tl, { name: 'train', scale: imageScale }), test = idxDataset(vi, vl, { name: 'test', scale: imageScale });
    return { train, test, name: `IDX ${dir}`, scale: imageScale, all: () => concatRows(train, test, 'all'), trainIndices: range(0, train.n), testIndices: range(train.n, test.n) };
  }
  if (spec.startsWith('csv:')) {
    const file = spec.slice(4);
    if (!existsSync(file)) throw new DescentError(`--data ${spec}: file ${file} does not exist`);
    const label = v['no-label'] ? null : v.label === undefined ? undefined : /^\d+$/.test(String(v.label)) ? Number(v.label) : String(v.label);
    const ds = parseCsv(readFileSync(file, 'utf8'), { label, skipLines: v['skip-lines'] !== undefined ? Number(v['skip-lines']) : 0, name: file });
    const { train, test, trainIndices, testIndices } = trainTestSplit(ds, { testFraction, seed });
    return { train, test, name: `CSV ${file}`, all: () => ds, trainIndices, testIndices };
  }
  if ((DATASET_NAMES as readonly string[]).includes(spec)) {
    const mirror = (v['data-mirror'] as string | undefined) ?? (process.env.DESCENT_DATA_MIRROR || undefined);
    const quiet = !!v.quiet;
    const live = !v['no-progress'] && !!process.stderr.isTTY;
    let d;
    try {
      d = await loadDataset(spec, {
        mirror, scale: imageScale,
        onProgress: downloadProgress(quiet, live),
        onWarning: (m) => process.stderr.write(`${live ? '\r\x1b[K' : ''}descent: ${m}\n`),
      });
    } catch (e) {
      if (live && !quiet) process.stderr.write('\r\x1b[K'); // no half progress line before the error
      throw e;
    }
    if (!quiet && d.downloaded.length === 0) process.stderr.write(`${spec}: from the cache ${d.cache}\n`);
    const { train, test } = d;
    return { train, test, name: d.dataset.title, scale: imageScale, all: () => concatRows(train, test, `${d.dataset.title} all`), trainIndices: range(0, train.n), testIndices: range(train.n, test.n) };
  }
  throw new DescentError(`--data: unknown data ${JSON.stringify(spec)}; use digits, idx:DIR, csv:FILE, ${DATASET_NAMES.join(' or ')}`);
}

/** Image data already scaled to [0, 1], which --standardize leaves alone unless asked. */
function isImageData(spec: string): boolean {
  return spec.startsWith('idx:') || (DATASET_NAMES as readonly string[]).includes(spec);
}

const MB = (n: number) => (n / 1e6).toFixed(1);
const size = (n: number) => (n >= 1e6 ? `${MB(n)} MB` : `${(n / 1e3).toFixed(1)} kB`);
/** "1.2/9.9 MB" or "12.0/28.9 kB": both in the unit of the total. */
const part = (n: number, of: number) => (of >= 1e6 ? `${MB(n)}/${MB(of)} MB` : `${(n / 1e3).toFixed(1)}/${(of / 1e3).toFixed(1)} kB`);

/**
 * Download progress on stderr (stdout stays the report): on a terminal one line rewritten in
 * place, elsewhere a line when a file starts and one when it is verified; nothing when quiet.
 */
function downloadProgress(quiet: boolean, live: boolean): ((p: DownloadProgress) => void) | undefined {
  if (quiet) return undefined;
  let last = 0;
  return (p) => {
    if (live) {
      const now = Date.now();
      if (!p.done && p.fileLoaded > 0 && now - last < 100) return;
      last = now;
      const pct = p.total > 0 ? Math.floor((100 * p.loaded) / p.total) : 100;
      process.stderr.write(`\r\x1b[Kdownloading ${p.dataset} ${p.file} ${part(p.fileLoaded, p.fileTotal)} · ${part(p.loaded, p.total)} (${pct}%)`);
      if (p.done && p.loaded === p.total) process.stderr.write(`\r\x1b[K${p.dataset}: ${size(p.total)} downloaded, SHA-256 verified\n`);
    } else if (p.done) {
      process.stderr.write(`${p.dataset}: ${p.file} (${p.fileTotal} bytes) verified, SHA-256 ok\n`);
    } else if (p.fileLoaded === 0) {
      process.stderr.write(`${p.dataset}: downloading ${p.url} (${size(p.fileTotal)})\n`);
    }
  };
}

export function num(v: unknown, name: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || (integer && !Number.isInteger(x))) throw new DescentError(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
  return x;
}

export interface PreparedData extends Loaded {
  classes: number;
  /** What the model must do to the files' values to get the prepared ones: pixel scale, standardizer. */
  preprocess: Preprocess | undefined;
}

/** The data of --data (and its options), split, standardized as --standardize says. */
export async function prepareData(v: Record<string, unknown>, seed: number): Promise<PreparedData> {
  const spec = String(v.data ?? 'digits');
  const loaded = await loadData(spec, v, seed);
  let { train: trainSet, test: testSet } = loaded;
  const standardize = v['no-standardize'] ? false : (v.standardize as boolean | undefined) ?? !isImageData(spec);
  const preprocess: Preprocess = { ...(loaded.scale !== undefined && loaded.scale !== 1 ? { scale: loaded.scale } : {}) };
  if (standardize) {
    const s = fitStandardizer(trainSet);
    trainSet = s.apply(trainSet);
    testSet = s.apply(testSet);
    preprocess.mean = s.mean;
    preprocess.std = s.std;
  }
  const classes = Math.max(trainSet.classes ?? 0, testSet.classes ?? 0);
  return { ...loaded, train: trainSet, test: testSet, classes, preprocess: Object.keys(preprocess).length ? preprocess : undefined };
}

/** The network of --layers, --activation, --alpha, --loss, --init for `data`. */
export function buildModel(engine: Engine, v: Record<string, unknown>, data: PreparedData, seed: number): Model {
  const { inputs, layers } = parseLayers(v.layers as string | undefined, data.train, data.classes,
    { activation: v.activation as string | undefined, alpha: num(v.alpha, 'alpha'), init: v.init === undefined ? undefined : checkInit(v.init, '--init'), loss: lossName(v) });
  return new Model(engine, { inputs, loss: lossFromFlags(v), seed, layers });
}

/** Updates per epoch as fit counts them: ⌈n′/B⌉ over the n′ samples left after a validation split. */
export function stepsPerEpoch(n: number, batchSize: number | 'full', validationSplit?: number): number {
  const nTrain = validationSplit !== undefined && validationSplit > 0 && validationSplit < 1 ? n - Math.max(1, Math.round(n * validationSplit)) : n;
  return batchSize === 'full' ? 1 : Math.ceil(nTrain / batchSize);
}

/**
 * A hyper-parameter value from the command line: true/false, a number, or numbers separated
 * by commas (betas=0.9,0.999 → [0.9, 0.999]).
 */
function hyperValue(key: string, text: string, flag: string): boolean | number | number[] | string {
  if (key === 'line_search_fn') return text; // LBFGS's strong_wolfe | none, checked by lbfgs-torch
  if (text === 'true' || text === 'false') return text === 'true';
  const parts = text.split(',');
  const xs = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (xs.some((x) => !Number.isFinite(x))) {
    throw new DescentError(`${flag} ${key}=${text}: expected a number, true/false or numbers separated by commas`);
  }
  return parts.length === 1 ? xs[0] : xs;
}

/** The hyper-parameters of --momentum, --weight-decay and every --opt KEY=VALUE (PyTorch's names). */
export function parseHyper(v: { momentum?: string; 'weight-decay'?: string; opt?: string[] }): Record<string, unknown> {
  const h: Record<string, unknown> = {};
  const put = (key: string, value: unknown, flag: string) => {
    if (key in h) throw new DescentError(`${flag}: ${key} is given twice`);
    h[key] = value;
  };
  if (v.momentum !== undefined) put('momentum', num(v.momentum, 'momentum'), '--momentum');
  if (v['weight-decay'] !== undefined) put('weight_decay', num(v['weight-decay'], 'weight-decay'), '--weight-decay');
  for (const o of v.opt ?? []) {
    const eq = o.indexOf('=');
    const key = (eq < 0 ? o : o.slice(0, eq)).trim().replace(/-/g, '_');
    if (!/^[a-z][a-z0-9_]*$/i.test(key)) throw new DescentError(`--opt ${o}: expected KEY=VALUE, e.g. --opt betas=0.9,0.99`);
    if (key === 'lr') throw new DescentError('--opt lr: give the learning rate with --lr');
    put(key, eq < 0 ? true : hyperValue(key, o.slice(eq + 1), '--opt'), '--opt');
  }
  return h;
}

export interface BuiltOptimizer { optimizer: Optimizer; release?: () => void; text: string }

/**
 * The optimizer `name` with learning rate `plan` and hyper-parameters `hyper`. Plain `sgd`
 * with a constant rate and nothing else is the fused axpy of src/train/optimizer.ts (what
 * `descent train` always ran); everything else comes from the optimizer factory, which names
 * an unknown optimizer or hyper-parameter in its error.
 */
export function makeOptimizer(name: string, plan: LrPlan | undefined, hyper: Record<string, unknown> = {}): BuiltOptimizer {
  const extras = Object.entries(hyper).map(([k, x]) => `${k} ${Array.isArray(x) ? x.join(',') : String(x)}`);
  const lrText = plan ? `lr ${plan.base}${plan.text ? ` (${plan.text})` : ''}` : '';
  if (name === 'sgd' && plan && typeof plan.lr === 'number' && extras.length === 0) {
    return { optimizer: sgd({ lr: plan.lr }), text: `SGD ${lrText}` };
  }
  let h = plan ? { ...hyper, lr: plan.lr } : hyper;
  if (plan?.momentum) {
    // cyclic's cycle_momentum, for an optimizer whose momentum is > 0 (PyTorch cycles any SGD's)
    const probe = namedOptimizer(name, h), mu = (probe.hyper(0) as { momentum?: unknown }).momentum;
    probe.release();
    if (typeof mu === 'number' && mu > 0) {
      h = { ...h, momentum: plan.momentum };
      const at = extras.findIndex((x) => x.startsWith('momentum '));
      extras.splice(at < 0 ? extras.length : at, at < 0 ? 0 : 1, 'momentum cycled 0.9 → 0.8 → 0.9');
    }
  }
  const opt = namedOptimizer(name, h);
  return { optimizer: opt, release: () => opt.release(), text: [name, [lrText, ...extras].filter((t) => t !== '').join(', ')].join(' ').trimEnd() };
}

/** parseArgs options of the optimizer (train). */
const OPTIMIZER_OPTIONS = {
  optimizer: { type: 'string', default: 'sgd' }, lr: { type: 'string' }, 'lr-schedule': { type: 'string' },
  momentum: { type: 'string' }, 'weight-decay': { type: 'string' }, opt: { type: 'string', multiple: true },
} as const;

/**
 * A positive learning rate from --lr, or the optimizer's default (DEFAULT_LR, else its rule's;
 * undefined for a rule without one, such as the Rprop variants' own step sizes).
 */
export function learningRate(text: string | undefined, name: string, flag = '--lr'): number | undefined {
  if (text === undefined) {
    const lr = DEFAULT_LR[name] ?? namedOptimizer(name).learningRate({ step: 0, epoch: 0 });
    return Number.isFinite(lr) ? lr : undefined;
  }
  const lr = num(text, flag.replace(/^--/, ''))!;
  if (!(lr > 0)) throw new DescentError(`${flag}: the learning rate must be positive, got ${text}`);
  return lr;
}

/** "  acc …%  val loss …  val acc …%" for the metrics an epoch's logs hold. */
function metricsText(l: EpochLogs): string {
  return (l.accuracy !== undefined ? `  acc ${(100 * l.accuracy).toFixed(2)}%` : '') +
    (l.valLoss !== undefined ? `  val loss ${l.valLoss.toFixed(4)}` : '') +
    (l.valAccuracy !== undefined ? `  val acc ${(100 * l.valAccuracy).toFixed(2)}%` : '');
}

export async function train(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...DATA_OPTIONS, 'validation-split': { type: 'string' },
      ...NETWORK_OPTIONS,
      epochs: { type: 'string', default: '100' }, 'batch-size': { type: 'string' },
      ...OPTIMIZER_OPTIONS,
      seed: { type: 'string', default: '0' }, ...ENGINE_FLAGS,
      out: { type: 'string', default: 'descent-model.safetensors' }, curve: { type: 'string', default: 'descent-training.svg' },
      'no-progress': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) { out(TRAIN_HELP); return 0; }
  const seed = num(v.seed, 'seed', true)!;
  const epochs = num(v.epochs, 'epochs', true)!;
  const optName = v.optimizer!;
  const fullBatch = isFullBatchName(optName);
  if (!fullBatch && !(OPTIMIZER_NAMES as readonly string[]).includes(optName)) {
    throw new DescentError(`--optimizer: unknown optimizer ${JSON.stringify(optName)}; known: ${[...OPTIMIZER_NAMES, ...FULL_BATCH_NAMES].join(', ')}`);
  }
  const batchText = v['batch-size'] ?? (fullBatch ? 'full' : '32');
  const batchSize = batchText === 'full' ? 'full' as const : num(batchText, 'batch-size', true)!;
  const lr = fullBatch ? undefined : learningRate(v.lr, optName);
  const hyper = parseHyper(v);
  // built before the data is read, so bad flags fail first (v.loss is the model's loss: buildModel reads it)
  const fullBatchOpt = fullBatch ? makeFullBatch(optName, v, hyper, lossName(v)) : undefined;
  const validationSplit = v['validation-split'] !== undefined ? num(v['validation-split'], 'validation-split') : undefined;
  const quiet = !!v.quiet;
  const say = (s: string) => { if (!quiet) out(s + '\n'); };

  const engine = await Engine.create(engineOptions(v));
  const data = await prepareData(v, seed);
  const { train: trainSet, test: testSet, name, classes } = data;
  const model = buildModel(engine, v, data, seed);
  const steps = fullBatch ? epochs : epochs * stepsPerEpoch(trainSet.n, batchSize, validationSplit);
  const opt: BuiltOptimizer = fullBatchOpt ?? makeOptimizer(optName, parseLrSchedule(v['lr-schedule'], lr, steps, optName), hyper);
  say(`descent ${engine.backend().isa} · ${engine.threads} thread${engine.threads === 1 ? '' : 's'} · ${name}: ${trainSet.n} training, ${testSet.n} test samples, ${trainSet.features} features, ${classes} classes`);
  say(`${model.describe()}`);
  say(fullBatch
    ? `${opt.text}, ${batchSize === 'full' ? 'full batch' : `a fixed subset of ${batchSize} samples`}, at most ${epochs} iterations, seed ${seed}`
    : `${opt.text}, batch ${batchSize}, ${epochs} epochs, seed ${seed}`);

  const showBar = !quiet && !v['no-progress'] && process.stdout.isTTY;
  const bar = showBar ? new cliProgress.SingleBar({
    format: fullBatch ? 'train |{bar}| {value}/{total} iterations · loss {loss} · ETA {eta_formatted}'
      : 'train |{bar}| {value}/{total} steps · epoch {epoch}/{epochs} · loss {loss} · {rate} samples/s · ETA {eta_formatted}',
    barsize: 24, hideCursor: true, etaBuffer: 50, fps: 10,
  }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(steps, 0, { epoch: 1, epochs, loss: '-', rate: '-' });
  const t0 = performance.now();
  let samples = 0;
  const history = fit(model, trainSet, {
    epochs, batchSize, optimizer: opt.optimizer, seed, validationSplit,
    onBatchEnd: (l) => {
      samples += l.size;
      bar?.update(l.step, { epoch: l.epoch + 1, loss: l.loss.toFixed(4), rate: Math.round(samples / ((performance.now() - t0) / 1000)) });
    },
    onEpochEnd: (l) => {
      if (fullBatch) {
        bar?.update(l.epoch, { loss: l.loss.toFixed(4) });
        if (!bar && !quiet) say(`iteration ${show(l.epoch).padStart(4)}  loss ${l.loss.toFixed(6)}${metricsText(l)}`);
        return;
      }
      if (!bar && !quiet) say(`epoch ${show(l.epoch).padStart(3)}  loss ${l.loss.toFixed(4)}${metricsText(l)}  ${Math.round(l.samplesPerSecond)} samples/s`);
    },
  });
  bar?.stop();
  const seconds = (performance.now() - t0) / 1000;
  // ASGD: the model takes the averaged iterate ax (equal to the weights until averaging starts)
  if (opt.optimizer instanceof RuleOptimizer && opt.optimizer.rule.name === 'asgd') {
    const sd = opt.optimizer.stateDict(), p = model.parameters().data;
    if (sd.steps.every((t) => t > 0) && sd.buffers.ax.some((x, i) => x !== p[i])) {
      p.set(sd.buffers.ax);
      say('asgd: evaluating and saving the averaged iterate ax (torch state ax; averaging since step ⌊t0⌋ + 2)');
    }
  }
  const ev = evaluate(model, testSet);
  const acc = ev.accuracy ?? NaN;
  const how = fullBatch && history.minimize
    ? `${history.epoch.length} iterations, ${history.minimize.evaluations.value + history.minimize.evaluations.residuals} evaluations, stopped: ${history.minimize.reason}`
    : `${Math.round(samples / seconds)} samples/s`;
  out(`test accuracy ${(100 * acc).toFixed(2)}% (error ${(100 * (1 - acc)).toFixed(2)}%), test loss ${ev.loss.toFixed(4)} · trained in ${seconds.toFixed(1)} s, ${how}\n`);
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
  // the file is the whole model: predict on the files' values gives the answers above
  model.setPreprocess(data.preprocess);
  const classNames = trainSet.classNames ?? testSet.classNames;
  if (classNames?.length === model.classes) model.setClassNames(classNames);
  writeFileAtomic(v.out!, saveModel(model));
  const curve = { epoch: history.epoch, loss: history.loss, accuracy: history.accuracy, valLoss: history.valLoss, valAccuracy: history.valAccuracy };
  writeFileAtomic(v.curve!, trainingCurveSvg(curve, { title: `descent train · ${name}`, ...(fullBatch ? { xLabel: `iteration (${optName}, full batch)`, logLoss: true } : {}) }));
  say(`\nwrote ${v.out} (model, safetensors) and ${v.curve} (training curve, SVG)`);
  opt.release?.();
  return 0;
}
