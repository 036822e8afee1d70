// Line charts as standalone SVG strings: training curves (loss and accuracy per epoch) and,
// as their building block, a general chart of named (x, y) series.
//
// The result is one <svg> element with xmlns, width, height and viewBox, inline attributes
// only (no CSS, no ids, no fonts or scripts to fetch), so the same string can be written to a
// .svg file, put in a browser page with innerHTML, or shown by a notebook; several charts on
// one page cannot clash. Text is XML-escaped.
//
// Scales, ticks, tick labels and path data come from d3-scale and d3-shape (DOM-free).
// Layout: title on top, then a legend row (wrapping if needed), then the plot area framed by
// the x axis below, the y axis on the left and, when some series use it, a second y axis on
// the right with its own scale (trainingCurveSvg puts loss on the left and accuracy, in [0, 1]
// by default, on the right). When all the series of an axis share one colour, that axis'
// label and tick labels take the colour, so it is clear which lines each axis measures.
//
// Data: a point whose x or y is NaN or ±∞ (or y ≤ 0 on a log axis) is skipped and the line
// joins its neighbours, so a validation loss recorded only every few epochs (NaN between) is
// still one line. Series with few points (≤ 25) get a marker at each point, so a single
// epoch shows as a dot. Epoch-like x (all integers) gets integer ticks only.

import { scaleLinear, scaleLog, type ScaleContinuousNumeric } from 'd3-scale';
import { line } from 'd3-shape';
import { DescentError, show } from '../engine/errors.js';
import { checkOptionKeys } from '../engine/options.js';

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Any SVG colour; by default the next one of a 10-colour palette (Tableau 10). */
  color?: string;
  /** Draw dashed (validation curves, reference lines). */
  dashed?: boolean;
  /** Which y axis measures the series: 'y' (left, the default) or 'y2' (right). */
  axis?: 'y' | 'y2';
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic left axis. */
  logY?: boolean;
  /** Left axis range; by default the range of the data, extended to round numbers. */
  yDomain?: [number, number];
  /** Label of the right axis (used only if some series has axis 'y2'). */
  y2Label?: string;
  /** Right axis range; by default the range of its data, extended to round numbers. */
  y2Domain?: [number, number];
  /** Size in px (defaults 720 × 420). */
  width?: number;
  height?: number;
}

export interface TrainingHistory {
  epoch: number[];
  loss: number[];
  valLoss?: number[];
  accuracy?: number[];
  valAccuracy?: number[];
}

export interface TrainingCurveOptions {
  /** Default "Training curve". */
  title?: string;
  /** Logarithmic loss axis. */
  logLoss?: boolean;
  /** Accuracy axis: 'unit' = [0, 1] (the default; 'auto' is used if values leave [0, 1]) or 'auto' = the data's range. */
  accuracyRange?: 'unit' | 'auto';
  /** Label of the x axis (default "epoch"; full-batch runs say "iteration"). */
  xLabel?: string;
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const LOSS_COLOR = '#1f77b4';
const ACCURACY_COLOR = '#e8710a';
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const TICK_FONT = 12;
const LABEL_FONT = 13;
const TITLE_FONT = 16;
const MARKER_LIMIT = 25;
const INK = '#333333';
const GRID = '#e6e6e6';

/** XML-escapes text and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with at most 2 decimals. */
function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Rough width of a text in px (no DOM to measure with): 0.6 em per character. */
function textWidth(s: string, fontSize: number): number {
  return s.length * fontSize * 0.6;
}

type Scale = ScaleContinuousNumeric<number, number>;

interface Axis {
  scale: Scale;
  ticks: number[];
  labels: string[];
  /** Colour of the label and tick labels. */
  color: string;
  label: string;
}

interface Points {
  series: LineSeries;
  color: string;
  xs: number[];
  ys: number[];
}

function checkSeries(series: readonly LineSeries[], op: string): void {
  if (!Array.isArray(series)) throw new DescentError(`${op}: series must be an array of { name, x, y }`);
  series.forEach((s, i) => {
    if (s === null || typeof s !== 'object') throw new DescentError(`${op}: series[${i}] must be an object { name, x, y }`);
    if (typeof s.name !== 'string') throw new DescentError(`${op}: series[${i}].name must be a string`);
    if (!s.x || !s.y || typeof s.x.length !== 'number' || typeof s.y.length !== 'number') {
      throw new DescentError(`${op}: series "${s.name}" needs arrays x and y`);
    }
    if (s.x.length !== s.y.length) throw new DescentError(`${op}: series "${s.name}": x and y differ in length (${s.x.length} vs ${s.y.length})`);
    if (s.axis !== undefined && s.axis !== 'y' && s.axis !== 'y2') throw new DescentError(`${op}: series "${s.name}": axis must be 'y' or 'y2', got ${show(s.axis)}`);
  });
}

function checkDomain(d: [number, number] | undefined, op: string, name: string, log: boolean): void {
  if (d === undefined) return;
  if (!Array.isArray(d) || d.length !== 2 || !Number.isFinite(d[0]) || !Number.isFinite(d[1]) || !(d[0] < d[1])) {
    throw new DescentError(`${op}: ${name} must be [min, max] with finite min < max, got ${JSON.stringify(d)}`);
  }
  if (log && d[0] <= 0) throw new DescentError(`${op}: ${name} must be positive on a log axis, got ${JSON.stringify(d)}`);
}

/** The finite points of a series (and y > 0 on a log axis). */
function finitePoints(s: LineSeries, color: string, log: boolean): Points {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < s.x.length; i++) {
    const x = s.x[i]!;
    const y = s.y[i]!;
    if (Number.isFinite(x) && Number.isFinite(y) && (!log || y > 0)) {
      xs.push(x);
      ys.push(y);
    }
  }
  return { series: s, color, xs, ys };
}

function extent(values: number[]): [number, number] | undefined {
  if (values.length === 0) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** A y scale over the data (or the given domain), widened when flat and rounded outward. */
function yScale(values: number[], given: [number, number] | undefined, log: boolean, range: [number, number], ticks: number): Scale {
  if (given) return (log ? scaleLog() : scaleLinear()).domain(given).range(range);
  let [lo, hi] = extent(values) ?? (log ? [1, 10] : [0, 1]);
  if (lo === hi) {
    if (log) [lo, hi] = [lo / 2, hi * 2];
    else if (lo === 0) [lo, hi] = [-1, 1];
    else [lo, hi] = [lo - Math.abs(lo) * 0.1, hi + Math.abs(hi) * 0.1];
  }
  const scale = (log ? scaleLog() : scaleLinear()).domain([lo, hi]).range(range);
  // rounded outward to the step of the ticks drawn, so both ends of the axis are labelled
  return scale.nice(ticks);
}

function yAxis(scale: Scale, log: boolean, count: number, label: string, color: string): Axis {
  const ticks = scale.ticks(count);
  // d3's log formatter returns "" for the ticks it would not label (too many between powers of 10).
  const format = log ? scale.tickFormat(count, '~g') : scale.tickFormat(count);
  return { scale, ticks, labels: ticks.map((t) => format(t)), color, label };
}

/** The one colour shared by all series of an axis, or the ink colour. */
function sharedColor(points: Points[]): string {
  const colors = new Set(points.map((p) => p.color));
  return colors.size === 1 ? [...colors][0]! : INK;
}

/** A chart of named (x, y) series, with an optional second y axis on the right; returns an SVG string. */
export function lineChartSvg(series: readonly LineSeries[], opts: LineChartOptions = {}): string {
  checkOptionKeys(opts, 'lineChartSvg', ['title', 'xLabel', 'yLabel', 'logY', 'yDomain', 'y2Label', 'y2Domain', 'width', 'height']);
  const op = 'lineChartSvg';
  checkSeries(series, op);
  const width = opts.width ?? 720;
  const height = opts.height ?? 420;
  if (!(width >= 200 && height >= 150 && Number.isFinite(width) && Number.isFinite(height))) {
    throw new DescentError(`${op}: width and height must be finite and at least 200 × 150 px, got ${width} × ${height}`);
  }
  const logY = opts.logY === true;
  checkDomain(opts.yDomain, op, 'yDomain', logY);
  checkDomain(opts.y2Domain, op, 'y2Domain', false);

  const points = series.map((s, i) => finitePoints(s, s.color ?? PALETTE[i % PALETTE.length]!, s.axis !== 'y2' && logY));
  const left = points.filter((p) => p.series.axis !== 'y2');
  const right = points.filter((p) => p.series.axis === 'y2');
  const hasRight = right.length > 0;
  const allX = points.flatMap((p) => p.xs);
  const integerX = allX.length > 0 && allX.every(Number.isInteger);
  const anyData = allX.length > 0;

  // --- vertical layout: title, legend rows, plot, x tick labels, x label ---
  const title = opts.title ?? '';
  const top0 = title ? 12 + TITLE_FONT + 10 : 12;
  const legendItems = series.map((s, i) => ({ name: s.name, color: points[i]!.color, dashed: s.dashed === true, w: 28 + textWidth(s.name, TICK_FONT) + 18 }));

  // Horizontal layout needs the tick label widths, which need the y scales; their range only
  // depends on the vertical layout, so settle that first.
  const legendLeft = 16;
  const legendRowsWidth = width - 2 * legendLeft;
  const legendRows: (typeof legendItems)[] = [];
  for (const item of legendItems) {
    const row = legendRows[legendRows.length - 1];
    if (row && row.reduce((w, it) => w + it.w, 0) + item.w <= legendRowsWidth) row.push(item);
    else legendRows.push([item]);
  }
  const legendTop = top0;
  const legendRowHeight = 20;
  const plotTop = legendTop + legendRows.length * legendRowHeight + 10;
  const xLabel = opts.xLabel ?? '';
  const plotBottom = height - (xLabel ? 50 : 30);
  if (plotBottom - plotTop < 40) throw new DescentError(`${op}: ${height} px is too short for ${legendRows.length} legend rows`);

  const yRange: [number, number] = [plotBottom, plotTop];
  const yTickCount = Math.max(2, Math.round((plotBottom - plotTop) / 60));
  const leftAxis = yAxis(
    yScale(left.flatMap((p) => p.ys), opts.yDomain, logY, yRange, yTickCount),
    logY,
    yTickCount,
    opts.yLabel ?? '',
    hasRight ? sharedColor(left) : INK,
  );
  const rightAxis = hasRight
    ? yAxis(yScale(right.flatMap((p) => p.ys), opts.y2Domain, false, yRange, yTickCount), false, yTickCount, opts.y2Label ?? '', sharedColor(right))
    : undefined;

  const labelWidth = (a: Axis) => Math.max(0, ...a.labels.map((l) => textWidth(l, TICK_FONT)));
  const plotLeft = Math.ceil(8 + (leftAxis.label ? LABEL_FONT + 10 : 0) + labelWidth(leftAxis) + 10);
  const plotRight = width - Math.ceil(rightAxis ? 8 + (rightAxis.label ? LABEL_FONT + 10 : 0) + labelWidth(rightAxis) + 10 : 24);
  if (plotRight - plotLeft < 40) throw new DescentError(`${op}: ${width} px is too narrow for the axes`);

  // --- x scale: exactly the data's range (curves span the plot), widened when flat ---
  let [x0, x1] = extent(allX) ?? [0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const xs = scaleLinear().domain([x0, x1]).range([plotLeft, plotRight]);
  const xTickCount = Math.max(2, Math.round((plotRight - plotLeft) / 80));
  let xTicks = xs.ticks(xTickCount);
  let xFormat: (t: number) => string = xs.tickFormat(xTickCount);
  if (integerX) {
    xTicks = xTicks.filter(Number.isInteger);
    if (xTicks.length === 0) xTicks = [Math.round((x0 + x1) / 2)];
    xFormat = (t: number) => String(t);
  }

  // --- drawing ---
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${escapeXml(FONT)}" font-size="${TICK_FONT}" role="img">`,
  );
  out.push(`<title>${escapeXml(title || series.map((s) => s.name).join(', ') || 'chart')}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (title) {
    out.push(`<text x="${px(width / 2)}" y="${12 + TITLE_FONT}" text-anchor="middle" font-size="${TITLE_FONT}" font-weight="600" fill="${INK}">${escapeXml(title)}</text>`);
  }

  // grid (left axis only: the right axis' ticks fall elsewhere) and plot frame
  out.push('<g stroke-width="1" shape-rendering="crispEdges">');
  leftAxis.ticks.forEach((t, i) => {
    if (leftAxis.labels[i] === '') return;
    const y = px(leftAxis.scale(t));
    out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${y}" y2="${y}" stroke="${GRID}"/>`);
  });
  for (const t of xTicks) {
    const x = px(xs(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${plotTop}" y2="${plotBottom}" stroke="${GRID}"/>`);
  }
  out.push(`<rect x="${plotLeft}" y="${plotTop}" width="${plotRight - plotLeft}" height="${plotBottom - plotTop}" fill="none" stroke="#999999"/>`);
  out.push('</g>');

  // x axis
  out.push(`<g fill="${INK}" text-anchor="middle">`);
  for (const t of xTicks) {
    const x = px(xs(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${plotBottom}" y2="${plotBottom + 5}" stroke="${INK}"/>`);
    // a label centred on a tick near an edge is moved inwards so that it stays inside the image
    const label = xFormat(t), half = textWidth(label, TICK_FONT) / 2;
    const lx = Math.min(Math.max(xs(t), half + 2), width - 2 - half);
    out.push(`<text x="${px(lx)}" y="${plotBottom + 8 + TICK_FONT}">${escapeXml(label)}</text>`);
  }
  if (xLabel) out.push(`<text x="${px((plotLeft + plotRight) / 2)}" y="${height - 12}" font-size="${LABEL_FONT}">${escapeXml(xLabel)}</text>`);
  out.push('</g>');

  // y axes
  const drawY = (a: Axis, side: 'left' | 'right') => {
    const edge = side === 'left' ? plotLeft : plotRight;
    const dir = side === 'left' ? -1 : 1;
    out.push(`<g fill="${a.color}" text-anchor="${side === 'left' ? 'end' : 'start'}">`);
    a.ticks.forEach((t, i) => {
      const y = px(a.scale(t));
      const len = a.labels[i] === '' ? 3 : 5;
      out.push(`<line x1="${edge}" x2="${edge + dir * len}" y1="${y}" y2="${y}" stroke="${INK}"/>`);
      if (a.labels[i] !== '') out.push(`<text x="${edge + dir * 8}" y="${y}" dy="0.35em">${escapeXml(a.labels[i]!)}</text>`);
    });
    if (a.label) {
      const x = side === 'left' ? 8 + LABEL_FONT : width - 8 - LABEL_FONT;
      const y = px((plotTop + plotBottom) / 2);
      const rot = side === 'left' ? -90 : 90;
      out.push(`<text transform="translate(${x},${y}) rotate(${rot})" text-anchor="middle" font-size="${LABEL_FONT}">${escapeXml(a.label)}</text>`);
    }
    out.push('</g>');
  };
  drawY(leftAxis, 'left');
  if (rightAxis) drawY(rightAxis, 'right');

  // series
  for (const p of points) {
    const ys = p.series.axis === 'y2' ? rightAxis!.scale : leftAxis.scale;
    const color = escapeXml(p.color);
    const dash = p.series.dashed ? ' stroke-dasharray="7 4"' : '';
    const name = escapeXml(p.series.name);
    const coords = p.xs.map((x, i) => [xs(x), ys(p.ys[i]!)] as [number, number]);
    out.push(`<g data-series="${name}">`);
    if (coords.length > 1) {
      const d = line().digits(2)(coords) ?? '';
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dash}/>`);
    }
    if (coords.length > 0 && coords.length <= MARKER_LIMIT) {
      const r = coords.length === 1 ? 4 : 2.75;
      const fill = p.series.dashed ? '#ffffff' : color;
      for (const [x, y] of coords) out.push(`<circle cx="${px(x)}" cy="${px(y)}" r="${r}" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`);
    }
    out.push('</g>');
  }
  if (!anyData) {
    out.push(`<text x="${px((plotLeft + plotRight) / 2)}" y="${px((plotTop + plotBottom) / 2)}" text-anchor="middle" fill="#888888" font-size="${LABEL_FONT}">no finite data</text>`);
  }

  // legend
  out.push(`<g fill="${INK}">`);
  legendRows.forEach((row, r) => {
    const rowWidth = row.reduce((w, it) => w + it.w, 0) - 18;
    let x = Math.max(legendLeft, (width - rowWidth) / 2);
    const y = legendTop + r * legendRowHeight + legendRowHeight / 2;
    for (const it of row) {
      const color = escapeXml(it.color);
      const dash = it.dashed ? ' stroke-dasharray="7 4"' : '';
      out.push(`<line x1="${px(x)}" x2="${px(x + 22)}" y1="${px(y)}" y2="${px(y)}" stroke="${color}" stroke-width="2.5"${dash}/>`);
      out.push(`<text x="${px(x + 28)}" y="${px(y)}" dy="0.35em">${escapeXml(it.name)}</text>`);
      x += it.w;
    }
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}

function historySeries(h: TrainingHistory, key: keyof TrainingHistory, op: string): number[] | undefined {
  const v = h[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new DescentError(`${op}: history.${key} must be an array of numbers`);
  if (v.length === 0 && key !== 'epoch' && key !== 'loss') return undefined;
  if (v.length !== h.epoch.length) {
    throw new DescentError(`${op}: history.${key} holds ${v.length} values for ${h.epoch.length} epochs`);
  }
  return v;
}

/**
 * Training curve: loss per epoch (and validation loss) on the left axis, accuracy (and validation
 * accuracy) on the right axis; training solid, validation dashed. Returns an SVG string.
 */
export function trainingCurveSvg(history: TrainingHistory, opts: TrainingCurveOptions = {}): string {
  checkOptionKeys(opts, 'trainingCurveSvg', ['title', 'logLoss', 'accuracyRange', 'xLabel', 'width', 'height']);
  const op = 'trainingCurveSvg';
  if (history === null || typeof history !== 'object' || !Array.isArray(history.epoch) || history.loss === undefined) {
    throw new DescentError(`${op}: history must be { epoch: number[], loss: number[], valLoss?, accuracy?, valAccuracy? }`);
  }
  const epoch = history.epoch;
  const loss = historySeries(history, 'loss', op)!;
  const valLoss = historySeries(history, 'valLoss', op);
  const acc = historySeries(history, 'accuracy', op);
  const valAcc = historySeries(history, 'valAccuracy', op);
  const range = opts.accuracyRange ?? 'unit';
  if (range !== 'unit' && range !== 'auto') throw new DescentError(`${op}: accuracyRange must be 'unit' or 'auto', got ${show(range)}`);

  const series: LineSeries[] = [{ name: 'training loss', x: epoch, y: loss, color: LOSS_COLOR }];
  if (valLoss) series.push({ name: 'validation loss', x: epoch, y: valLoss, color: LOSS_COLOR, dashed: true });
  if (acc) series.push({ name: 'training accuracy', x: epoch, y: acc, color: ACCURACY_COLOR, axis: 'y2' });
  if (valAcc) series.push({ name: 'validation accuracy', x: epoch, y: valAcc, color: ACCURACY_COLOR, dashed: true, axis: 'y2' });

  const accValues = [...(acc ?? []), ...(valAcc ?? [])].filter(Number.isFinite);
  const unit = range === 'unit' && accValues.every((v) => v >= 0 && v <= 1);
  const chart: LineChartOptions = {
    title: opts.title ?? 'Training curve',
    xLabel: opts.xLabel ?? 'epoch',
    yLabel: opts.logLoss ? 'loss (log scale)' : 'loss',
    logY: opts.logLoss === true,
    y2Label: 'accuracy',
  };
  if (unit) chart.y2Domain = [0, 1];
  if (opts.width !== undefined) chart.width = opts.width;
  if (opts.height !== undefined) chart.height = opts.height;
  return lineChartSvg(series, chart);
}
