// The playground page: controls, the training runs (runs.js), the pictures (panels.js).
//
// State for scripts and tests: <body data-state> is 'loading', then 'idle' (ready, waiting for
// the Train button; set only after the autostart decision, so with ?autostart=0 a reader that
// sees 'idle' knows nothing has started), 'training', and 'done', 'stopped' or 'error'.
// #result holds the outcome, e.g. "best: lbfgs — test accuracy 98.6%"; each row of #summary
// says "test accuracy 97.5%" for its optimizer (cell id acc-<name>).

import { init, backend, OPTIMIZER_NAMES, optimizer, evaluate, Model, engine, LANDSCAPE_FUNCTIONS } from 'descentjs';
import { ACTIVATIONS, DEFAULT_LR, FULL_BATCH, FULL_BATCH_LABELS, PALETTE, parseLayers, settingsFromParams } from './config.js';
import { bestRun, modelSpec, newRun, prepareData, runConfusion, trainAll } from './runs.js';
import { accuracyChart, confusionChart, landscapePanel, lossChart, runLabel } from './panels.js';

const $ = (id) => document.getElementById(id);
const pct = (a) => `${(100 * a).toFixed(1)}%`;
const setState = (s) => { document.body.dataset.state = s; };

/** First-order names in the library's order (OPTIMIZER_NAMES), then the full-batch methods. */
const FIRST_ORDER = [...OPTIMIZER_NAMES];
const ALL = [...FIRST_ORDER, ...FULL_BATCH];

/** The learning rate `name` gets unless the page's field says otherwise (undefined: it has none). */
function defaultLr(name) {
  if (FULL_BATCH.includes(name)) return undefined;
  const lr = DEFAULT_LR[name] ?? optimizer(name).learningRate({ step: 0, epoch: 0 });
  return Number.isFinite(lr) ? lr : undefined;
}

let current; // { controller, runs, data } of the training in progress or last finished
let landscapeQueued = false;

function checkedNames() {
  return ALL.filter((n) => $(`opt-${n}`).checked);
}

/** Colour of `name`: by its position among the ticked optimizers, in page order. */
function colorOf(name, chosen = checkedNames()) {
  const i = chosen.indexOf(name);
  return i < 0 ? 'transparent' : PALETTE[i % PALETTE.length];
}

function updateSwatches() {
  const chosen = checkedNames();
  for (const n of ALL) $(`swatch-${n}`).style.background = colorOf(n, chosen);
}

// ---- building the controls ----
function optimizerRow(name, settings) {
  const row = document.createElement('div');
  row.className = 'opt';
  const box = Object.assign(document.createElement('input'), { type: 'checkbox', id: `opt-${name}`, name: 'optimizer', value: name });
  box.checked = settings.optimizers.includes(name);
  const label = document.createElement('label');
  label.htmlFor = box.id;
  label.title = FULL_BATCH_LABELS[name] ?? name;
  const swatch = Object.assign(document.createElement('span'), { className: 'swatch', id: `swatch-${name}` });
  swatch.setAttribute('aria-hidden', 'true');
  label.append(swatch, FULL_BATCH.includes(name) ? (FULL_BATCH_LABELS[name] ?? name) : name);
  row.append(box, label);
  const lr = settings.lr[name] ?? defaultLr(name);
  if (!FULL_BATCH.includes(name)) {
    if (lr === undefined) {
      const none = Object.assign(document.createElement('span'), { className: 'no-lr', textContent: 'no lr' });
      none.title = `${name} adapts its own step sizes: it has no learning rate`;
      row.append(none);
    } else {
      const field = Object.assign(document.createElement('input'), { type: 'number', id: `lr-${name}`, min: '0', step: 'any', value: String(lr) });
      field.setAttribute('aria-label', `learning rate of ${name}`);
      field.title = `learning rate of ${name} (default ${defaultLr(name)})`;
      row.append(field);
    }
  }
  box.addEventListener('change', () => { updateSwatches(); queueLandscape(); });
  return row;
}

function buildControls(settings) {
  $('first-order').append(...FIRST_ORDER.map((n) => optimizerRow(n, settings)));
  $('full-batch').append(...FULL_BATCH.map((n) => optimizerRow(n, settings)));
  $('activation').append(...ACTIVATIONS.map((a) => new Option(a, a, false, a === settings.activation)));
  $('landscape').append(...LANDSCAPE_FUNCTIONS.map((f) => new Option(f, f, false, f === settings.landscape)));
  $('layers').value = settings.layers;
  $('epochs').value = String(settings.epochs);
  $('batch').value = String(settings.batch);
  $('seed').value = String(settings.seed);
  $('parallel').value = String(Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1)));
  $('landscape').addEventListener('change', queueLandscape);
  updateSwatches();
}

/** The form's settings, or throws an Error naming the bad field. */
function readForm() {
  const chosen = checkedNames();
  if (chosen.length === 0) throw new Error('tick at least one optimizer');
  const layers = parseLayers($('layers').value);
  if (layers.error) throw new Error(layers.error);
  const int = (id, lo, hi) => {
    const x = Number($(id).value);
    if (!Number.isInteger(x) || x < lo || x > hi) throw new Error(`${$(id).labels[0].textContent.toLowerCase()}: expected an integer in ${lo}…${hi}`);
    return x;
  };
  const lrs = {};
  for (const n of chosen) {
    const field = $(`lr-${n}`);
    if (!field) continue;
    const lr = Number(field.value);
    if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`learning rate of ${n}: expected a positive number`);
    lrs[n] = lr;
  }
  return {
    chosen, lrs,
    hidden: layers.hidden,
    activation: $('activation').value,
    epochs: int('epochs', 1, 1000),
    batch: int('batch', 1, 100000),
    seed: int('seed', 0, 2 ** 31 - 1),
    parallel: int('parallel', 1, 8),
  };
}

// ---- output ----
function summaryRow(run) {
  const tr = document.createElement('tr');
  tr.id = `row-${run.name}`;
  tr.innerHTML = `<td><span class="swatch"></span><span class="name"></span></td><td class="lr"></td><td class="progress"></td>`
    + `<td class="loss"></td><td class="acc" id="acc-${run.name}"></td><td class="time"></td>`;
  tr.querySelector('.swatch').style.background = run.color;
  tr.querySelector('.name').textContent = run.name;
  tr.querySelector('.lr').textContent = run.lr === undefined ? '—' : String(Number(run.lr.toPrecision(3)));
  return tr;
}

function updateRow(run) {
  const tr = $(`row-${run.name}`);
  if (!tr) return;
  const p = run.progress;
  const cell = tr.querySelector('.progress');
  cell.className = 'progress';
  if (run.status === 'waiting') cell.textContent = 'waiting';
  else if (run.status === 'error') { cell.className = 'progress status-error'; cell.textContent = `error: ${run.error}`; }
  else if (run.status === 'training' && p) {
    const unit = run.fullBatch ? 'iteration' : 'epoch';
    const rate = Number.isFinite(p.samplesPerSecond) ? ` · ${Math.round(p.samplesPerSecond).toLocaleString('en')} samples/s` : '';
    cell.innerHTML = `<progress max="${p.totalSteps}" value="${p.step}"></progress>`;
    cell.append(`${unit} ${p.epoch}/${p.epochs}${rate}`);
  } else if (run.status === 'training') cell.textContent = 'starting the worker…';
  else {
    const iters = run.x.length - 1;
    const what = run.fullBatch ? `${iters} iteration${iters === 1 ? '' : 's'}${run.stopReason ? ` (${run.stopReason})` : ''}` : `${iters} epoch${iters === 1 ? '' : 's'}`;
    cell.textContent = run.status === 'stopped' ? (run.model ? `stopped after ${what}` : 'not started') : what;
  }
  const last = run.loss[run.loss.length - 1];
  tr.querySelector('.loss').textContent = run.x.length > 1 && Number.isFinite(last) ? (last < 1e-3 ? last.toExponential(2) : last.toPrecision(3)) : '';
  tr.querySelector('.acc').textContent = run.testAccuracy !== undefined ? `test accuracy ${pct(run.testAccuracy)}` : '';
  tr.querySelector('.time').textContent = run.ms !== undefined ? `${(run.ms / 1000).toFixed(1)} s` : '';
}

let drawQueued = false;
function queueDraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    const runs = current?.runs ?? [];
    $('loss-chart').innerHTML = lossChart(runs);
    $('accuracy-chart').innerHTML = accuracyChart(runs);
  });
}

function showBest() {
  const { runs, data } = current;
  const best = bestRun(runs);
  for (const r of runs) $(`row-${r.name}`)?.classList.toggle('best', r === best);
  if (!best) return best;
  $('confusion-chart').innerHTML = confusionChart(best, runConfusion(best, data));
  return best;
}

function queueLandscape() {
  if (landscapeQueued) return;
  landscapeQueued = true;
  requestAnimationFrame(() => {
    landscapeQueued = false;
    const chosen = checkedNames();
    const { svg, drawn, missing } = landscapePanel($('landscape').value, chosen, (n) => colorOf(n, chosen));
    $('landscape-chart').innerHTML = svg;
    const parts = [];
    parts.push(drawn.length
      ? `Paths of ${drawn.join(', ')} from the function's standard start, each with a learning rate tuned for this function (not the network's).`
      : 'None of the ticked optimizers has a 2-D path here.');
    if (missing.length) parts.push(`No 2-D path for ${missing.join(', ')}: the landscape paths cover sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, rprop, cg and lbfgs.`);
    $('landscape-note').textContent = parts.join(' ');
  });
}

// ---- training ----
async function start() {
  if (current?.controller && !current.finished) return;
  let cfg;
  try {
    cfg = readForm();
  } catch (e) {
    $('form-error').textContent = e.message;
    if (document.body.dataset.state === 'loading') setState('idle');
    return;
  }
  $('form-error').textContent = '';
  setState('training');
  const controller = new AbortController();
  const data = prepareData(cfg.seed);
  // the initial weights every run starts from: loss and accuracy at pass 0
  const probe = new Model(engine(), modelSpec(cfg.hidden, cfg.activation, cfg.seed));
  const startPoint = { loss: evaluate(probe, data.train).loss, accuracy: evaluate(probe, data.test).accuracy };
  probe.release();
  const runs = cfg.chosen.map((n) => newRun(n, cfg.lrs[n], colorOf(n, cfg.chosen), startPoint));
  current = { controller, runs, data, finished: false };
  $('train').disabled = true;
  $('stop').disabled = false;
  $('result').textContent = '';
  $('status').textContent = `training ${runs.length} optimizer${runs.length === 1 ? '' : 's'}: ${cfg.epochs} epochs (full batch: iterations), `
    + `batch ${cfg.batch}, ${data.train.n} training and ${data.test.n} test samples, seed ${cfg.seed}…`;
  const tbody = $('summary').tBodies[0];
  tbody.replaceChildren(...runs.map(summaryRow));
  runs.forEach(updateRow);
  $('confusion-chart').innerHTML = '<p class="placeholder">The confusion matrix of the best optimizer appears when a run ends.</p>';
  queueDraw();
  const t0 = performance.now();
  try {
    await trainAll(runs, cfg, data, {
      parallel: cfg.parallel,
      signal: controller.signal,
      onChange: (run) => {
        updateRow(run);
        queueDraw();
        if (run.testAccuracy !== undefined && run.status !== 'training') showBest();
      },
    });
  } catch (e) {
    // trainAll catches per run; anything here is a bug in the page
    $('form-error').textContent = `training failed: ${e.message}`;
  }
  current.finished = true;
  runs.forEach((r) => r.model?.release());
  $('train').disabled = false;
  $('stop').disabled = true;
  queueDraw();
  const best = showBest();
  const failed = runs.filter((r) => r.status === 'error');
  const stopped = controller.signal.aborted;
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  $('status').textContent = `${stopped ? 'stopped' : 'done'} in ${secs} s`
    + (failed.length ? ` · ${failed.length} failed: ${failed.map((r) => r.name).join(', ')}` : '');
  $('result').textContent = best ? `best: ${runLabel(best)} — test accuracy ${pct(best.testAccuracy)}` : 'no result';
  setState(failed.length === runs.length ? 'error' : stopped ? 'stopped' : 'done');
}

async function main() {
  const { settings, warnings } = settingsFromParams(new URLSearchParams(location.search), ALL);
  await init({ threads: 1 }); // the runs train side by side in workers, one thread each
  const b = backend();
  const box = $('backend');
  box.innerHTML = '<strong></strong><span class="why"></span>';
  box.querySelector('strong').textContent = `${b.isa} · ${b.threads} thread${b.threads === 1 ? '' : 's'} · ${crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated'}`;
  box.querySelector('.why').textContent = b.reason;
  if (!LANDSCAPE_FUNCTIONS.includes(settings.landscape)) {
    warnings.push(`landscape: unknown "${settings.landscape}"`);
    settings.landscape = 'rosenbrock';
  }
  buildControls(settings);
  if (warnings.length) $('form-error').textContent = `URL parameters ignored: ${warnings.join('; ')}`;
  $('controls').addEventListener('submit', (e) => { e.preventDefault(); void start(); });
  $('stop').addEventListener('click', () => current?.controller.abort());
  queueLandscape();
  queueDraw();
  $('train').disabled = false;
  $('status').textContent = settings.autostart ? '' : 'ready: press Train';
  if (settings.autostart) void start();
  else setState('idle');
}

main().catch((e) => {
  setState('error');
  $('status').textContent = `the playground could not start: ${e.message}`;
  console.error(e);
});
