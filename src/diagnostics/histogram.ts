// Histograms of weights, gradients or activations, and an SVG bar chart of one.
//
// bins equal-width intervals over [lo, hi] (the data's range, or `range`):
//   edges e_k = lo + k·(hi − lo)/bins, k = 0…bins (e_bins = hi exactly);
//   bin k counts e_k ≤ x < e_{k+1}, the last bin also x = hi (as numpy.histogram).
// Values outside a given range are not counted (reported as `outside`). Constant data with no
// range gets [x − ½, x + ½], again as numpy. Any NaN or ±∞ is an error naming its index: a
// histogram silently dropping them would hide exactly what diagnostics are for.

import { scaleLinear } from 'd3-scale';
import { DescentError, show } from '../engine/errors.js';
import { escapeXml } from '../plot/svg-curve.js';
import { checkOptionKeys } from '../engine/options.js';

export interface HistogramOptions {
  bins?: number;
  /** [lo, hi]; default the data's min and max. */
  range?: [number, number];
}

export interface Histogram {
  /** bins + 1 edges, ascending. */
  edges: Float64Array;
  counts: Int32Array;
  /** Values outside a given range. */
  outside: number;
}

/** Counts of `values` in equal-width bins (see the header). Default 20 bins. */
export function histogram(values: ArrayLike<number>, opts: HistogramOptions = {}): Histogram {
  checkOptionKeys(opts, 'histogram', ['bins', 'range']);
  const op = 'histogram';
  if (!values || typeof values.length !== 'number') throw new DescentError(`${op}: values must be an array of numbers`);
  if (values.length === 0) throw new DescentError(`${op}: no values (empty input)`);
  const bins = opts.bins ?? 20;
  if (!Number.isSafeInteger(bins) || bins < 1) throw new DescentError(`${op}: bins must be a positive integer, got ${show(opts.bins)}`);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) throw new DescentError(`${op}: values[${i}] is ${x}`);
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (opts.range !== undefined) {
    const r = opts.range;
    if (!Array.isArray(r) || r.length !== 2 || !Number.isFinite(r[0]) || !Number.isFinite(r[1]) || !(r[0] < r[1])) {
      throw new DescentError(`${op}: range must be [lo, hi] with finite lo < hi, got ${JSON.stringify(r)}`);
    }
    [lo, hi] = r;
  } else if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = Float64Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + ((hi - lo) * k) / bins));
  const counts = new Int32Array(bins);
  let outside = 0;
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x < lo || x > hi) { outside++; continue; }
    let k = Math.min(bins - 1, Math.floor((x - lo) / w));
    // the division can land one bin off near an edge: settle against the edges themselves
    while (k > 0 && x < edges[k]) k--;
    while (k < bins - 1 && x >= edges[k + 1]) k++;
    counts[k]++;
  }
  return { edges, counts, outside };
}

export interface HistogramSvgOptions {
  title?: string;
  xLabel?: string;
  /** Size in px (defaults 480 × 300). */
  width?: number;
  height?: number;
  color?: string;
}

/** A histogram as a standalone SVG bar chart (d3-scale for the axes; inline attributes only). */
export function histogramSvg(h: Histogram, opts: HistogramSvgOptions = {}): string {
  checkOptionKeys(opts, 'histogramSvg', ['title', 'xLabel', 'width', 'height', 'color']);
  const op = 'histogramSvg';
  if (!h || !(h.edges?.length === h.counts?.length + 1) || h.counts.length < 1) throw new DescentError(`${op}: expected a histogram { edges, counts } with edges.length = counts.length + 1`);
  const width = opts.width ?? 480, height = opts.height ?? 300;
  if (!(Number.isFinite(width) && Number.isFinite(height) && width >= 160 && height >= 120)) {
    throw new DescentError(`${op}: width and height must be finite and at least 160 × 120 px, got ${width} × ${height}`);
  }
  const color = escapeXml(opts.color ?? '#1f77b4');
  const top = opts.title ? 34 : 14, bottom = opts.xLabel ? 50 : 32, left = 52, right = 16;
  const bins = h.counts.length;
  const x = scaleLinear().domain([h.edges[0], h.edges[bins]]).range([left, width - right]);
  let maxCount = 0;
  for (const c of h.counts) maxCount = Math.max(maxCount, c);
  const y = scaleLinear().domain([0, Math.max(1, maxCount)]).range([height - bottom, top]).nice(5);
  const r = (v: number) => String(Math.round(v * 100) / 100);
  const font = "font-family=\"system-ui, sans-serif\"";
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (opts.title) parts.push(`<text x="${r(width / 2)}" y="22" text-anchor="middle" font-size="15" ${font} fill="#333333">${escapeXml(opts.title)}</text>`);
  for (const t of y.ticks(5)) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${r(y(t))}" y2="${r(y(t))}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${left - 6}" y="${r(y(t) + 4)}" text-anchor="end" font-size="11" ${font} fill="#333333">${escapeXml(y.tickFormat(5)(t))}</text>`);
  }
  parts.push(`<g fill="${color}">`);
  for (let k = 0; k < bins; k++) {
    if (h.counts[k] === 0) continue;
    const x0 = x(h.edges[k]), x1 = x(h.edges[k + 1]);
    parts.push(`<rect x="${r(x0)}" y="${r(y(h.counts[k]))}" width="${r(Math.max(0.5, x1 - x0 - 1))}" height="${r(y(0) - y(h.counts[k]))}"><title>[${h.edges[k].toPrecision(4)}, ${h.edges[k + 1].toPrecision(4)}): ${h.counts[k]}</title></rect>`);
  }
  parts.push('</g>');
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${r(y(0))}" y2="${r(y(0))}" stroke="#333333"/>`);
  for (const t of x.ticks(6)) {
    parts.push(`<text x="${r(x(t))}" y="${r(height - bottom + 16)}" text-anchor="middle" font-size="11" ${font} fill="#333333">${escapeXml(x.tickFormat(6)(t))}</text>`);
  }
  if (opts.xLabel) parts.push(`<text x="${r((left + width - right) / 2)}" y="${height - 10}" text-anchor="middle" font-size="13" ${font} fill="#333333">${escapeXml(opts.xLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
