// `descent compare`: train one network with several optimizers and draw their curves together.
//
// Every run starts from the same initial weights (one model, its parameters restored from a
// snapshot before each run) and sees the same mini-batches in the same order (the same fit
// seed), so the curves differ only by the optimizer and its learning rate. Each optimizer gets
// the learning rate of DEFAULT_LR (train.ts) unless --lr overrides it. The test set is
// evaluated at the initial weights and after every epoch (for short runs, at fractions of an
// epoch too, so a one-epoch MNIST run still draws a curve); that evaluation is not counted in
// the timings. A run whose loss turns NaN or infinite is reported as diverged and drawn up to
// the step where it did; the others go on.
//
// Output: a progress bar per optimizer, a table (optimizer, lr, final training loss = mean
// over the last epoch, test accuracy, training time, samples/s) and one SVG with two panels
// (src/plot/compare-chart.ts).

import { ENGINE_FLAGS, ENGINE_HELP, engineOptions } from './engine-flags.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Engine } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import { fit, evaluate, NonFiniteError } from '../train/fit.js';
import { OPTIMIZER_NAMES } from '../optim/optimizer.js';
import { compareChartSvg, defaultWindow, type CompareRun } from '../plot/compare-chart.js';
import {
  buildModel, DATA_HELP, DATA_OPTIONS, defaultLrText, learningRate, makeOptimizer, NETWORK_HELP,
  NETWORK_OPTIONS, num, parseLrSchedule, prepareData, SCHEDULE_HELP, stepsPerEpoch, wrapList, type BuiltOptimizer,
} from './train.js';
import { FULL_BATCH_NAMES, isFullBatchName, makeFullBatch } from './full-batch-options.js';

export const DEFAULT_OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adadelta', 'adam'] as const;

export const COMPARE_HELP = `descent compare — train the same network with several optimizers and plot them together

Usage: descent compare [options]

Every optimizer starts from the same initial weights and sees the same batches in the same
order. Writes one SVG: training loss per step (smoothed, log scale) and test accuracy per epoch.

${DATA_HELP}
${NETWORK_HELP}
Optimizers
  --optimizers A,B,…   which ones, in legend order (default
                       ${DEFAULT_OPTIMIZERS.join(',')}); any of
                       ${wrapList(OPTIMIZER_NAMES)},
                       or full-batch ${wrapList(FULL_BATCH_NAMES)}: they get the same
                       number of passes over the data (one value-and-gradient evaluation each)
  --lr NAME=X,…        learning rate overrides, e.g. --lr adam=0.01,sgd=0.2; a bare number sets
                       all of them. Defaults (tuned on digits, 64-64-10 tanh, batch 32):
                       ${defaultLrText()}
${SCHEDULE_HELP}                       (the same schedule for every optimizer, scaled to its lr)

Training
  --epochs N           passes over the training set (default 10)
  --batch-size N|full  samples per update (default 32)
  --seed N             seed of initialization, shuffling and splits (default 0)
${ENGINE_HELP}
Output
  --out FILE           the SVG (default compare.svg)
  --smooth N           moving-average window of the loss curves in steps, odd (default: ~steps/50;
                       1 = raw losses)
  --no-progress        no progress bars (also off when stdout is not a terminal)
  --quiet              print only the table
  -h, --help           this text
`;

/** --optimizers: names, checked against OPTIMIZER_NAMES and the full-batch methods, each once. */
function parseNames(text: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new DescentError('--optimizers: give at least one optimizer name');
  for (const n of names) {
    if (!(OPTIMIZER_NAMES as readonly string[]).includes(n) && !isFullBatchName(n)) {
      throw new DescentError(`--optimizers: unknown optimizer ${JSON.stringify(n)}; known: ${[...OPTIMIZER_NAMES, ...FULL_BATCH_NAMES].join(', ')}`);
    }
    if (names.indexOf(n) !== names.lastIndexOf(n)) throw new DescentError(`--optimizers: ${n} is listed twice`);
  }
  return names;
}

/** --lr: "X" for all, or "name=X,name=Y" per optimizer; names must be among the compared ones. */
function parseLrOverrides(text: string | undefined, names: readonly string[]): Map<string, number | undefined> {
  const lrs = new Map(names.map((n) => [n, isFullBatchName(n) ? undefined : learningRate(undefined, n)]));
  if (text === undefined) return lrs;
  if (!text.includes('=')) {
    if (!Number.isFinite(Number(text))) throw new DescentError(`--lr ${text}: expected one number for all optimizers or NAME=X pairs, e.g. adam=0.01,sgd=0.2`);
    for (const n of names) if (lrs.get(n) !== undefined) lrs.set(n, learningRate(text, n)); // not for rules without one
    return lrs;
  }
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new DescentError(`--lr ${text}: expected NAME=X pairs separated by commas, e.g. adam=0.01,sgd=0.2`);
    const name = part.slice(0, eq).trim();
    if (!names.includes(name)) {
      throw new DescentError(`--lr ${text}: ${JSON.stringify(name)} is not among the compared optimizers (${names.join(', ')})`);
    }
    if (isFullBatchName(name)) throw new DescentError(`--lr ${text}: ${name} is a full-batch method: it sets its steps by ${name === 'lm' ? 'its damping' : 'a line search'}`);
    lrs.set(name, learningRate(part.slice(eq + 1).trim(), name, `--lr ${name}`));
  }
  return lrs;
}

interface Result {
  name: string;
  lr: number | undefined;
  run: CompareRun;
  finalLoss: number;
  accuracy: number;
  seconds: number;
  samples: number;
  diverged?: string;
}

export async function compare(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...DATA_OPTIONS, ...NETWORK_OPTIONS,
      optimizers: { type: 'string', default: DEFAULT_OPTIMIZERS.join(',') }, lr: { type: 'string' }, 'lr-schedule': { type: 'string' },
      epochs: { type: 'string', default: '10' }, 'batch-size': { type: 'string', default: '32' },
      seed: { type: 'string', default: '0' }, ...ENGINE_FLAGS,
      out: { type: 'string', default: 'compare.svg' }, smooth: { type: 'string' },
      'no-progress': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) { out(COMPARE_HELP); return 0; }
  // everything that can be wrong with the options fails here, before any training
  const names = parseNames(v.optimizers!);
  const lrs = parseLrOverrides(v.lr, names);
  const seed = num(v.seed, 'seed', true)!;
  const epochs = num(v.epochs, 'epochs', true)!;
  if (epochs < 1) throw new DescentError(`--epochs: expected a positive integer, got ${v.epochs}`);
  const batchSize = v['batch-size'] === 'full' ? 'full' as const : num(v['batch-size'], 'batch-size', true)!;
  const smooth = num(v.smooth, 'smooth', true);
  if (smooth !== undefined && smooth < 1) throw new DescentError(`--smooth: expected a positive integer, got ${v.smooth}`);
  const quiet = !!v.quiet;
  const say = (s: string) => { if (!quiet) out(s + '\n'); };

  const engine = await Engine.create(engineOptions(v));
  const data = await prepareData(v, seed);
  const { train: trainSet, test: testSet } = data;
  if (!testSet.labels) throw new DescentError('compare: the test data has no class labels; compare plots test accuracy, so it needs a classification data set');
  const model = buildModel(engine, v, data, seed);
  const perEpoch = stepsPerEpoch(trainSet.n, batchSize);
  const totalSteps = epochs * perEpoch;
  const optimizers = new Map<string, BuiltOptimizer>();
  for (const n of names) {
    optimizers.set(n, isFullBatchName(n) ? makeFullBatch(n, {}, {}, model.loss) : makeOptimizer(n, parseLrSchedule(v['lr-schedule'], lrs.get(n), totalSteps, n)));
  }
  const start = evaluate(model, testSet);
  const initial = model.parameters().toArray();

  // test evaluations: after every epoch, and at fractions of one when there are few epochs
  const evalsPerEpoch = Math.min(perEpoch, Math.max(1, Math.ceil(8 / epochs)));
  const evalAt = new Set<number>();
  for (let e = 0; e < epochs; e++) for (let j = 1; j <= evalsPerEpoch; j++) evalAt.add(e * perEpoch + Math.round((j * perEpoch) / evalsPerEpoch));

  say(`descent ${engine.backend().isa} · ${data.name}: ${trainSet.n} training, ${testSet.n} test samples, ${trainSet.features} features, ${data.classes} classes`);
  say(model.describe());
  const sched = parseLrSchedule(v['lr-schedule'], 1, totalSteps)!.text;
  say(`batch ${batchSize}, ${epochs} epoch${epochs === 1 ? '' : 's'} (${totalSteps} steps), seed ${seed}${sched ? `, lr schedule: ${sched}` : ''}; same initial weights and batch order for every optimizer`);
  say(`initial weights: test loss ${start.loss.toFixed(4)}, test accuracy ${(100 * start.accuracy!).toFixed(2)}%`);

  const showBars = !quiet && !v['no-progress'] && process.stdout.isTTY;
  const width = Math.max(...names.map((n) => n.length));
  const bars = showBars ? new cliProgress.MultiBar({
    format: '{name} |{bar}| {value}/{total} · loss {loss} · test acc {acc} · {rate}/s',
    barsize: 16, hideCursor: true, fps: 10, clearOnComplete: false,
  }, cliProgress.Presets.shades_classic) : undefined;

  const results: Result[] = [];
  for (const [i, name] of names.entries()) {
    const built = optimizers.get(name)!;
    const lr = lrs.get(name);
    model.parameters().data.set(initial);
    const stepLoss: number[] = [];
    const evalEpoch = [0], accuracy = [evaluate(model, testSet).accuracy!];
    const bar = bars?.create(totalSteps, 0, { name: name.padEnd(width), loss: '-', acc: `${(100 * accuracy[0]).toFixed(1)}%`, rate: '-' });
    let evalMs = 0, samples = 0, diverged: string | undefined, lastLoss = NaN;
    const t0 = performance.now();
    let history;
    const fullBatch = isFullBatchName(name);
    // a full-batch method gets the same number of passes over the training data (a value-and-
    // gradient evaluation over every sample costs what one epoch of a mini-batch method does:
    // a forward and a backward pass per sample; LM's Jacobians are not counted): an iteration
    // that has used p passes in all is reached at step p·(steps per epoch); the steps before it
    // show the previous iterate (a step function), as do the test evaluations that fall there
    let passes = 0;
    const passesMsg = (p: number) => `${p} pass${p === 1 ? '' : 'es'}`;
    let curLoss = NaN, curAcc = accuracy[0];
    /** Steps up to `to` at the current iterate's loss/accuracy, the last one at (loss, acc). */
    const fillTo = (to: number, loss: number, acc: number) => {
      for (let s = stepLoss.length + 1; s <= to; s++) {
        const atEnd = s === to;
        stepLoss.push(atEnd ? loss : curLoss);
        if (evalAt.has(s)) { evalEpoch.push(s / perEpoch); accuracy.push(atEnd ? acc : curAcc); }
      }
      curLoss = loss; curAcc = acc;
    };
    try {
      if (fullBatch) {
        const te = performance.now();
        curLoss = evaluate(model, trainSet).loss;
        evalMs += performance.now() - te;
        history = fit(model, trainSet, {
          epochs: totalSteps, batchSize: 'full', optimizer: built.optimizer, seed,
          onEpochEnd: (l) => {
            const p = Math.min(Math.ceil((l.evaluations ?? 2 * (passes + 1)) / 2), epochs);
            const te = performance.now();
            const acc = evaluate(model, testSet).accuracy!;
            evalMs += performance.now() - te;
            fillTo(Math.round(p * perEpoch), l.loss, acc);
            samples += (p - passes) * trainSet.n;
            passes = p;
            bar?.update(stepLoss.length, { loss: l.loss.toFixed(4), acc: `${(100 * acc).toFixed(1)}%`, rate: passesMsg(p) });
            return p >= epochs ? 'stop' : undefined;
          },
        });
        // a method that converged early stays where it stopped for the rest of the budget
        fillTo(totalSteps, curLoss, curAcc);
      } else history = fit(model, trainSet, {
        epochs, batchSize, optimizer: built.optimizer, seed,
        onBatchEnd: (l) => {
          stepLoss.push(l.loss);
          samples += l.size;
          if (evalAt.has(l.step)) {
            const te = performance.now();
            evalEpoch.push(l.step / perEpoch);
            accuracy.push(evaluate(model, testSet).accuracy!);
            evalMs += performance.now() - te;
          }
          if (bar && (l.step % 8 === 0 || l.step === totalSteps)) {
            const secs = (performance.now() - t0 - evalMs) / 1000;
            bar.update(l.step, { loss: l.loss.toFixed(4), acc: `${(100 * accuracy[accuracy.length - 1]).toFixed(1)}%`, rate: Math.round(samples / secs) });
          }
        },
      });
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e; // the loss, parameters or statistics became NaN/±Infinity
      diverged = `diverged at step ${stepLoss.length + 1}`;
    }
    const seconds = (performance.now() - t0 - evalMs) / 1000;
    built.release?.();
    if (history) lastLoss = history.loss[history.loss.length - 1];
    const acc = diverged ? NaN : accuracy[accuracy.length - 1];
    bar?.update(stepLoss.length, { loss: diverged ? 'diverged' : lastLoss.toFixed(4) });
    if (!bars) say(`[${i + 1}/${names.length}] ${name.padEnd(width)}  ${lr === undefined ? '' : `lr ${lr}  `}${diverged ?? `done in ${seconds.toFixed(2)} s`}${fullBatch ? ` (${history?.epoch.length ?? 0} iterations, ${passesMsg(passes)})` : ''}`);
    results.push({
      name, lr, finalLoss: lastLoss, accuracy: acc, seconds, samples, diverged,
      run: { name: fullBatch ? `${name} (full batch)` : lr === undefined ? name : `${name} (lr ${lr})`, stepLoss, evalEpoch, accuracy },
    });
  }
  bars?.stop();

  out(formatTable(results));
  const svg = compareChartSvg(results.map((r) => r.run), {
    title: `descent compare · ${data.name} · ${model.inputShape ? model.layers.map((l) => l.describe().replace(/ → .*$/, '')).join(' ') : [model.inputs, ...model.layers.map((l) => l.units)].join('-')} ${model.layers[0].activation}, ${model.loss} · batch ${batchSize}, ${epochs} epoch${epochs === 1 ? '' : 's'}`,
    smooth: smooth ?? defaultWindow(totalSteps),
  });
  writeFileAtomic(v.out!, svg);
  say(`\nwrote ${v.out} (training loss per step and test accuracy per epoch, SVG)`);
  return 0;
}

function formatTable(results: readonly Result[]): string {
  const head = ['optimizer', 'lr', 'final train loss', 'test accuracy', 'time', 'samples/s'];
  const rows = results.map((r) => [
    r.name, r.lr === undefined ? '-' : String(r.lr),
    r.diverged ? r.diverged : Math.abs(r.finalLoss) < 1e4 ? r.finalLoss.toFixed(4) : r.finalLoss.toExponential(2),
    r.diverged ? '-' : `${(100 * r.accuracy).toFixed(2)}%`,
    `${r.seconds.toFixed(2)} s`,
    String(Math.round(r.samples / r.seconds)),
  ]);
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (j < 2 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ').trimEnd();
  return ['', line(head), ...rows.map(line), ''].join('\n');
}

