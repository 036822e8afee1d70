// `descent predict`: run a saved model on a data set.
//
// The model file is the whole model (io/model-file.ts): its input preprocessing (the pixel
// scale and the standardizer `descent train` used) and its class names are in it, so the data
// is read as the files hold it and no standardization flag is needed. A model that carries a
// pixel scale gets the pixels unscaled (MNIST bytes 0…255, digits counts 0…16); a file without
// one (written before preprocessing was stored) gets them scaled as `descent train` scales them.
// --split test on data that train splits (digits, csv) is train's seeded split: same --seed
// and --test-fraction, same rows. Predictions go to stdout or --out as CSV or JSON lines; with
// labels, the accuracy, confusion matrix and per-class table of `descent train` follow (on
// stderr when the predictions take stdout).

import { ENGINE_FLAGS, ENGINE_HELP, engineOptions } from './engine-flags.js';
import { readFileSync, existsSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-file.js';
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import type { Dataset } from '../data/dataset.js';
import { loadModel } from '../io/model-file.js';
import type { Model } from '../nn/model.js';
import { checkOutputKind, OUTPUT_KINDS, type OutputKind } from '../nn/preprocess.js';
import { isRegression } from '../nn/losses.js';
import { evaluate } from '../train/fit.js';
import { confusionMatrix, formatConfusionMatrix, formatPerClass, perClassMetrics } from '../metrics/classification.js';
import { DATA_HELP, DATA_OPTIONS, loadData, num } from './train.js';

// train's data help without its standardization lines: the model file brings its own
const DATA_TEXT = DATA_HELP.replace(/ {2}--standardize[\s\S]*$/, '');

export const PREDICT_HELP = `descent predict — run a saved model on a data set

Usage: descent predict --model FILE [options]

  --model FILE         model file (safetensors) written by descent train or saveModel

${DATA_TEXT}  --no-label           csv: the file has no label column, every column is a feature
  --split S            test, train or all rows (default all); test and train are the parts
                       descent train uses: its seeded split for digits and csv (same --seed and
                       --test-fraction), the train- and t10k files for idx, mnist, fashion-mnist
  --seed N             seed of the split (default 0, as descent train)

Output
  --output KIND        ${OUTPUT_KINDS.join(', ')} (default: probabilities; the
                       output values for mse models)
  --format F           csv (default) or jsonl (one JSON object a line)
  --out FILE           write the predictions there (default: stdout; the report then goes to
                       stderr)
  --quiet              report only the accuracy line
${ENGINE_HELP}  -h, --help           this text

The model applies the preprocessing stored in its file (descent train stores its pixel scaling
and z-score standardizer): the data is read as the files hold it. Each prediction row has row
(the sample's position among --split all's rows), label (when the data has labels), class
(predicted class id), class_name (when the model or data names them) and, for probabilities and
logits, one value per output.
`;

const SPLITS = ['test', 'train', 'all'] as const;
const FORMATS = ['csv', 'jsonl'] as const;

/** The shortest decimal that reads back as the same f32. */
export function f32Text(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p < 9; p++) {
    const t = x.toPrecision(p);
    if (Math.fround(Number(t)) === x) return String(Number(t));
  }
  return String(Number(x.toPrecision(9)));
}

function csvField(s: string): string {
  return /[",\n\r]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Labels of `ds` as the model's class ids: by name where both name their classes, else as they are. */
function modelLabels(model: Model, ds: Dataset, what: string): Int32Array | undefined {
  if (!ds.labels) return undefined;
  const modelNames = model.classNames;
  if (modelNames && ds.classNames) {
    const index = new Map(modelNames.map((n, i) => [n, i]));
    const map = ds.classNames.map((n) => index.get(n) ?? -1);
    return ds.labels.map((c, i) => {
      const m = map[c];
      if (m === undefined || m < 0) throw new DescentError(`${what}: label ${JSON.stringify(ds.classNames![c])} of sample ${i} is not one of the model's classes (${modelNames.slice(0, 10).map((n) => JSON.stringify(n)).join(', ')}${modelNames.length > 10 ? ', …' : ''})`);
      return m;
    });
  }
  const k = model.classes;
  const bad = ds.labels.findIndex((c) => !(c >= 0 && c < k));
  if (bad >= 0) throw new DescentError(`${what}: label ${ds.labels[bad]} of sample ${bad} is out of range for the model's ${k} classes`);
  return ds.labels;
}

export async function predict(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const { standardize: _s, 'no-standardize': _n, ...dataOptions } = DATA_OPTIONS;
  const { values: v } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, ...dataOptions, 'no-label': { type: 'boolean' }, split: { type: 'string', default: 'all' }, seed: { type: 'string', default: '0' },
      output: { type: 'string' }, format: { type: 'string', default: 'csv' }, out: { type: 'string' },
      quiet: { type: 'boolean' }, 'no-progress': { type: 'boolean' }, ...ENGINE_FLAGS, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) { out(PREDICT_HELP); return 0; }
  if (v.model === undefined) throw new DescentError('predict: --model FILE is required (a model file written by descent train)');
  const split = v.split as typeof SPLITS[number];
  if (!SPLITS.includes(split)) throw new DescentError(`--split: expected ${SPLITS.join(', ')}, got ${JSON.stringify(v.split)}`);
  const format = v.format as typeof FORMATS[number];
  if (!FORMATS.includes(format)) throw new DescentError(`--format: expected ${FORMATS.join(' or ')}, got ${JSON.stringify(v.format)}`);
  if (v.output !== undefined && !OUTPUT_KINDS.includes(v.output as OutputKind)) throw new DescentError(`--output: expected ${OUTPUT_KINDS.join(', ')}, got ${JSON.stringify(v.output)}`);
  const seed = num(v.seed, 'seed', true)!;
  if (!existsSync(v.model)) throw new DescentError(`--model ${v.model}: no such file`);

  const engine = await Engine.create(engineOptions(v));
  const model = loadModel(engine, new Uint8Array(readFileSync(v.model)), `--model ${v.model}`);
  const output: OutputKind = checkOutputKind(v.output, model.loss, '--output') ?? (isRegression(model.loss) ? 'logits' : 'probabilities');
  // a model that scales its own inputs takes the pixels as the files hold them
  const loaded = await loadData(String(v.data), v, seed, model.preprocess?.scale !== undefined ? 1 : undefined);
  const ds = split === 'test' ? loaded.test : split === 'train' ? loaded.train : loaded.all();
  const rows = split === 'test' ? loaded.testIndices : split === 'train' ? loaded.trainIndices : undefined;
  if (ds.features !== model.inputs) throw new DescentError(`--data ${v.data}: ${ds.features} features per sample, the model takes ${model.inputs} (${model.describe()})`);
  const labels = modelLabels(model, ds, `--data ${v.data}`);

  const classes = model.predictLabels(ds.x, ds.n);
  const values = output === 'classes' ? undefined : model.predict(ds.x, { output });
  const k = model.outputs;
  const names = model.classNames ?? (ds.classNames?.length === model.classes ? ds.classNames : undefined);
  const lines: string[] = [];
  if (format === 'csv') {
    const prefix = output === 'probabilities' ? 'p_' : 'logit_';
    const valueCols = values ? Array.from({ length: k }, (_, j) => csvField(prefix + (names && k === names.length ? names[j] : String(j)))) : [];
    lines.push(['row', ...(labels ? ['label'] : []), 'class', ...(names ? ['class_name'] : []), ...valueCols].join(','));
    for (let i = 0; i < ds.n; i++) {
      const cells = [String(rows ? rows[i] : i), ...(labels ? [String(labels[i])] : []), String(classes[i]), ...(names ? [csvField(names[classes[i]])] : [])];
      if (values) for (let j = 0; j < k; j++) cells.push(f32Text(values[i * k + j]));
      lines.push(cells.join(','));
    }
  } else {
    for (let i = 0; i < ds.n; i++) {
      const o: Record<string, unknown> = { row: rows ? rows[i] : i, ...(labels ? { label: labels[i] } : {}), class: classes[i], ...(names ? { class_name: names[classes[i]] } : {}) };
      let line = JSON.stringify(o);
      if (values) line = `${line.slice(0, -1)},${JSON.stringify(output)}:[${Array.from(values.subarray(i * k, (i + 1) * k), f32Text).join(',')}]}`;
      lines.push(line);
    }
  }
  const text = lines.join('\n') + '\n';
  if (v.out !== undefined) writeFileAtomic(v.out, text);
  else out(text);

  if (labels) {
    const report = v.out !== undefined ? out : err;
    const ev = evaluate(model, { ...ds, labels, classes: model.classes, classNames: undefined }, { preprocess: true });
    const acc = ev.accuracy ?? NaN;
    const on = split === 'all' ? '' : `${split} `;
    report(`${on}accuracy ${(100 * acc).toFixed(2)}% (error ${(100 * (1 - acc)).toFixed(2)}%), ${on}loss ${ev.loss.toFixed(4)} · ${ds.n} samples of ${loaded.name}\n`);
    if (!v.quiet) {
      const cm = confusionMatrix(classes, labels, model.classes);
      report(`\nconfusion matrix\n${formatConfusionMatrix(cm, names)}\n`);
      report(`\nper class (one vs rest)\n${formatPerClass(perClassMetrics(cm), names)}\n`);
    }
  }
  if (v.out !== undefined && !v.quiet) (labels ? out : err)(`wrote ${ds.n} predictions (${output}, ${format}) to ${v.out}\n`);
  return 0;
}
