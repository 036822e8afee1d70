// Optimizer comparison chart: one SVG, two panels side by side, the same colour per run in both.
//
//   left   training loss per update step, log scale by default. Mini-batch losses are noisy,
//          so each curve is a centred moving average (see movingAverage for the ends), then
//          thinned to at most maxPoints points: the SVG stays small for long runs.
//   right  test accuracy (%) against epochs, fractional epochs allowed. Points at epoch 0
//          (the initial weights, ~1/classes for every run) are left out: they would stretch the
//          axis down to chance level and flatten the differences that matter near the top.
//
// Colours follow the Tableau 10 palette in run order and every second run is dashed (runs see
// the same batches, so their curves often overlap). Each panel is a lineChartSvg (svg-curve.ts: d3 scales and paths, legend, axes) nested in the
// outer <svg> with a translate, so the output stays one self-contained SVG string.

import { DescentError, show } from '../engine/errors.js';
import { escapeXml, lineChartSvg, type LineSeries } from './svg-curve.js';

export interface CompareRun {
  /** Legend name, e.g. "adam (lr 0.001)". */
  name: string;
  /** Training loss of every update step, in order (x = 1, 2, …). */
  stepLoss: ArrayLike<number>;
  /** Epochs (0 = before training; fractions allowed) at which accuracy was measured. */
  evalEpoch: ArrayLike<number>;
  /** Test accuracy in [0, 1] at evalEpoch. */
  accuracy: ArrayLike<number>;
  color?: string;
}

export interface CompareChartOptions {
  title?: string;
  /** Moving-average window in steps, odd (even is rounded up; default: defaultWindow). */
  smooth?: number;
  /** Logarithmic loss axis (default true). */
  logLoss?: boolean;
  /** Points kept per loss curve after smoothing (default 400). */
  maxPoints?: number;
  /** Size of each panel in px (default 640 × 440). */
  panelWidth?: number;
  panelHeight?: number;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const TITLE_FONT = 17;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/**
 * Centred moving average of `y` over `window` points (an even window is rounded up to odd).
 * At the start the window shrinks symmetrically, so out[0] = y[0]: every run of a comparison
 * starts at the same point, and the steep first drop is not smeared. At the end it is cut to
 * the points that exist (one-sided), which keeps the last points as smooth as the rest.
 */
export function movingAverage(y: ArrayLike<number>, window: number): Float64Array {
  if (!Number.isSafeInteger(window) || window < 1) throw new DescentError(`movingAverage: window must be a positive integer, got ${show(window)}`);
  const n = y.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + y[i]!;
  const half = Math.floor(window / 2);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = Math.min(half, i);
    const hi = Math.min(n - 1, i + h);
    out[i] = (prefix[hi + 1]! - prefix[i - h]!) / (hi - i + h + 1);
  }
  return out;
}

/** The default smoothing window for a run of n steps: about n/50, odd. */
export function defaultWindow(n: number): number {
  const w = Math.round(n / 50);
  return w < 2 ? 1 : w | 1;
}

/** Two-panel SVG: smoothed training loss per step and test accuracy per epoch, one colour per run. */
export function compareChartSvg(runs: readonly CompareRun[], opts: CompareChartOptions = {}): string {
  const op = 'compareChartSvg';
  if (!Array.isArray(runs) || runs.length === 0) throw new DescentError(`${op}: runs must be a non-empty array`);
  for (const [i, r] of runs.entries()) {
    if (!r || typeof r.name !== 'string' || !r.stepLoss || !r.evalEpoch || !r.accuracy) {
      throw new DescentError(`${op}: runs[${i}] must be { name, stepLoss, evalEpoch, accuracy }`);
    }
    if (r.evalEpoch.length !== r.accuracy.length) {
      throw new DescentError(`${op}: run "${r.name}": evalEpoch and accuracy differ in length (${r.evalEpoch.length} vs ${r.accuracy.length})`);
    }
  }
  const longest = Math.max(...runs.map((r) => r.stepLoss.length));
  const window = opts.smooth ?? defaultWindow(longest);
  if (!Number.isSafeInteger(window) || window < 1) throw new DescentError(`${op}: smooth must be a positive integer, got ${show(opts.smooth)}`);
  const maxPoints = opts.maxPoints ?? 400;
  if (!Number.isSafeInteger(maxPoints) || maxPoints < 2) throw new DescentError(`${op}: maxPoints must be an integer ≥ 2, got ${show(opts.maxPoints)}`);
  const pw = opts.panelWidth ?? 640, ph = opts.panelHeight ?? 440;
  const logLoss = opts.logLoss ?? true;

  const colors = runs.map((r, i) => r.color ?? PALETTE[i % PALETTE.length]!);
  // Runs share their batches, so their curves often run on top of each other: every second
  // one is dashed, so a line hidden under another still shows through its gaps.
  const dashed = (i: number) => i % 2 === 1;
  const lossSeries: LineSeries[] = runs.map((r, i) => {
    const smooth = movingAverage(r.stepLoss, window);
    const every = Math.max(1, Math.ceil(smooth.length / maxPoints));
    const x: number[] = [], y: number[] = [];
    for (let s = 0; s < smooth.length; s += every) { x.push(s + 1); y.push(smooth[s]!); }
    if (smooth.length > 0 && x[x.length - 1] !== smooth.length) { x.push(smooth.length); y.push(smooth[smooth.length - 1]!); }
    return { name: r.name, x, y, color: colors[i], dashed: dashed(i) };
  });
  const accSeries: LineSeries[] = runs.map((r, i) => {
    const x: number[] = [], y: number[] = [];
    for (let j = 0; j < r.evalEpoch.length; j++) if (r.evalEpoch[j]! > 0) { x.push(r.evalEpoch[j]!); y.push(100 * r.accuracy[j]!); }
    return { name: r.name, x, y, color: colors[i], dashed: dashed(i) };
  });

  const span = 2 * Math.floor(window / 2) + 1;
  const lossTitle = `training loss per step${span > 1 ? ` (moving average of ${span})` : ''}`;
  const left = lineChartSvg(lossSeries, {
    title: lossTitle, xLabel: 'step (mini-batch update)', yLabel: logLoss ? 'training loss (log scale)' : 'training loss',
    logY: logLoss, width: pw, height: ph,
  });
  const right = lineChartSvg(accSeries, {
    title: 'test accuracy', xLabel: 'epoch', yLabel: 'test accuracy (%)', width: pw, height: ph,
  });

  const title = opts.title ?? 'Optimizer comparison';
  const top = 12 + TITLE_FONT + 8;
  const width = 2 * pw, height = top + ph;
  // no DOM to measure text with: ~0.6 em per character; a long title gets a smaller font
  const titleFont = Math.max(10, Math.min(TITLE_FONT, Math.floor((width - 24) / (0.6 * title.length))));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT)}" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="${12 + TITLE_FONT}" text-anchor="middle" font-size="${titleFont}" font-weight="600" fill="#333333">${escapeXml(title)}</text>`,
    `<g data-panel="loss" transform="translate(0,${top})">`, left, '</g>',
    `<g data-panel="accuracy" transform="translate(${pw},${top})">`, right, '</g>',
    '</svg>',
  ].join('\n');
}
