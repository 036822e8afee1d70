// The playground's settings: which optimizers it offers, their default learning rates, the
// defaults of the other controls, and how URL parameters override them. Plain data and pure
// functions, no DOM and no library import, so Node can import this file too (the browser test
// checks DEFAULT_LR against the command line's table).

/**
 * Full-batch methods (src/train/full-batch.ts): one iteration per "epoch" over the whole
 * training set, steps from a line search, so no learning rate. Levenberg–Marquardt ('lm') is
 * left out: it minimizes a sum of squares, so it needs the mse loss instead of the softmax
 * cross-entropy the other runs share (its curves would not be comparable), and it builds the
 * n·10 × 4810 Jacobian of the digits network every iteration, far more memory and time than a
 * page should take. `descent train --optimizer lm --loss mse` runs it.
 */
export const FULL_BATCH = ['lbfgs', 'bfgs', 'cg', 'scg', 'newton-cg'];

/** Display names for the full-batch methods. */
export const FULL_BATCH_LABELS = {
  lbfgs: 'L-BFGS', bfgs: 'BFGS (dense Hessian: slow)', cg: 'conjugate gradient', scg: 'scaled CG', 'newton-cg': 'Newton-CG (slow)',
};

/**
 * Default learning rates, copied from `descent train` (src/cli/train.ts DEFAULT_LR, chosen by
 * sweeps on this very network: 64-64-10 tanh, batches of 32, 10 epochs). A first-order
 * optimizer missing here gets its rule's own default (the library's optimizer(name)); the
 * Rprop variants (rprop+, rprop-, irprop+, irprop-) have no learning rate at all.
 */
export const DEFAULT_LR = {
  sgd: 0.1, momentum: 0.05, nesterov: 0.05, adagrad: 0.05, rmsprop: 3e-3, adadelta: 1.0,
  adam: 3e-3, adamw: 3e-3, adamax: 3e-3, nadam: 3e-3, radam: 3e-3, rprop: 1e-2,
  'momentum-classic': 0.05, 'nesterov-lookahead': 0.05, asgd: 0.1,
};

/** What the page trains on load: quick (a few seconds on two cores), and both kinds of method. */
export const DEFAULTS = Object.freeze({
  optimizers: ['momentum', 'adam', 'lbfgs'],
  epochs: 20,
  batch: 32,
  layers: '64-64-10',
  activation: 'tanh',
  seed: 0,
  landscape: 'rosenbrock',
  autostart: true,
});

export const ACTIVATIONS = ['tanh', 'relu', 'leaky-relu', 'elu', 'sigmoid', 'softsign', 'linear', 'gelu', 'gelu-tanh', 'silu', 'softplus', 'selu', 'mish', 'hardtanh'];

/** Colours by position among the chosen runs: Tableau 10, then darker companions. */
export const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#0b3d66', '#a34d00', '#145214', '#7a1414', '#4b2a6e', '#4d2c25', '#8c2f6f', '#3d3d3d', '#6b6b12', '#0a6b75',
  '#000000', '#5e9fd6', '#f2b872', '#8fd18f',
];

/** Digits: 64 features, 10 classes. */
export const INPUTS = 64;
export const CLASSES = 10;

/**
 * Network sizes from "64-64-10" (inputs, hidden…, outputs). Returns { hidden } or { error }.
 */
export function parseLayers(text) {
  const parts = String(text).trim().split('-').map((s) => s.trim());
  if (parts.length < 2 || parts.some((p) => !/^\d+$/.test(p))) return { error: `layers: expected sizes like 64-64-10, got "${text}"` };
  const sizes = parts.map(Number);
  if (sizes[0] !== INPUTS) return { error: `layers: the digits have ${INPUTS} inputs, so the first size must be ${INPUTS}` };
  if (sizes[sizes.length - 1] !== CLASSES) return { error: `layers: the digits have ${CLASSES} classes, so the last size must be ${CLASSES}` };
  const hidden = sizes.slice(1, -1);
  if (hidden.some((h) => h < 1 || h > 4096)) return { error: 'layers: hidden sizes must be in 1…4096' };
  return { hidden };
}

const int = (s, lo, hi) => {
  if (s === null || !/^\d+$/.test(s.trim())) return undefined;
  const x = Number(s);
  return x >= lo && x <= hi ? x : undefined;
};

/**
 * The settings from URL parameters (a URLSearchParams) over DEFAULTS; `known` is the list of
 * optimizer names the page offers. Unknown or malformed values are listed in `warnings` and
 * the default is kept.
 */
export function settingsFromParams(params, known) {
  const s = { ...DEFAULTS, optimizers: [...DEFAULTS.optimizers], lr: {} };
  const warnings = [];
  const has = (k) => params.has(k) && params.get(k) !== '';
  if (has('optimizers')) {
    // a '+' in a query string reads as a space (rprop+ arrives as "rprop "): put it back where that names an optimizer
    const names = params.get('optimizers').split(',').map((n) => {
      const t = n.trimStart();
      const plus = t.replace(/ +$/, '+');
      return plus !== t && known.includes(plus) ? plus : t.trim();
    }).filter(Boolean);
    const bad = names.filter((n) => !known.includes(n));
    if (bad.length) warnings.push(`optimizers: unknown ${bad.join(', ')}`);
    const good = [...new Set(names.filter((n) => known.includes(n)))];
    if (good.length) s.optimizers = good;
  }
  for (const [key, lo, hi] of [['epochs', 1, 1000], ['batch', 1, 1437], ['seed', 0, 2 ** 31 - 1]]) {
    if (!has(key)) continue;
    const x = int(params.get(key), lo, hi);
    if (x === undefined) warnings.push(`${key}: expected an integer in ${lo}…${hi}, got "${params.get(key)}"`);
    else s[key] = x;
  }
  if (has('layers')) {
    const l = parseLayers(params.get('layers'));
    if (l.error) warnings.push(l.error);
    else s.layers = params.get('layers').trim();
  }
  if (has('activation')) {
    if (ACTIVATIONS.includes(params.get('activation'))) s.activation = params.get('activation');
    else warnings.push(`activation: unknown "${params.get('activation')}"`);
  }
  if (has('landscape')) s.landscape = params.get('landscape');
  if (has('autostart')) s.autostart = !['0', 'false', 'no'].includes(params.get('autostart'));
  // lr.adam=0.01 style overrides
  for (const [k, v] of params) {
    const m = /^lr\.(.+)$/.exec(k);
    if (!m) continue;
    const x = Number(v);
    if (known.includes(m[1]) && x > 0 && Number.isFinite(x)) s.lr[m[1]] = x;
    else warnings.push(`${k}: expected a positive learning rate of a known optimizer`);
  }
  return { settings: s, warnings };
}
