// Pictures of a classifier's quality, as SVG strings (Node, browsers, notebooks alike):
//
//   rocCurveSvg(curves)          ROC curves (true positive rate against false positive rate) of
//                                one or more scorers on one chart, the chance diagonal dashed,
//                                the area under each curve in the legend. The area is the
//                                trapezoid sum over the curve's points, the same number auc()
//                                gives for the scores (ties make diagonal segments).
//   confusionMatrixSvg(matrix)   the K×K confusion matrix as a heat map: rows are the true
//                                class, columns the predicted class (as metrics/classification.ts
//                                stores it); each cell's colour is its share of the row (the
//                                per-class recall on the diagonal), the count is printed in it.
// Axes and colours come from d3-scale; the ROC chart is a lineChartSvg.

import { scaleBand, scaleSequential } from 'd3-scale';
import { DescentError } from '../engine/errors.js';
import type { RocCurve } from '../metrics/roc.js';
import type { ConfusionMatrix } from '../metrics/classification.js';
import { escapeXml, lineChartSvg, type LineSeries } from './svg-curve.js';
import { checkOptionKeys } from '../engine/options.js';

export interface NamedRoc { name: string; roc: RocCurve }

/** Trapezoid area under (fpr, tpr). */
export function rocArea(roc: RocCurve): number {
  let a = 0;
  for (let i = 1; i < roc.fpr.length; i++) a += (roc.fpr[i] - roc.fpr[i - 1]) * (roc.tpr[i] + roc.tpr[i - 1]) / 2;
  return a;
}

export function rocCurveSvg(curves: readonly NamedRoc[], opts: { title?: string; width?: number; height?: number } = {}): string {
  checkOptionKeys(opts, 'rocCurveSvg', ['title', 'width', 'height']);
  if (!Array.isArray(curves) || curves.length === 0) throw new DescentError('rocCurveSvg: give at least one { name, roc } curve');
  const series: LineSeries[] = curves.map(({ name, roc }) => {
    if (!roc || !(roc.fpr?.length >= 2) || roc.fpr.length !== roc.tpr?.length) throw new DescentError(`rocCurveSvg: curve ${JSON.stringify(name)} is not a ROC curve (fpr and tpr of equal length ≥ 2)`);
    return { name: `${name} (AUC ${rocArea(roc).toFixed(3)})`, x: roc.fpr, y: roc.tpr };
  });
  series.push({ name: 'chance', x: [0, 1], y: [0, 1], dashed: true, color: '#888888' });
  return lineChartSvg(series, {
    title: opts.title ?? 'ROC curve', xLabel: 'false positive rate', yLabel: 'true positive rate',
    yDomain: [0, 1], width: opts.width ?? 600, height: opts.height ?? 480,
  });
}

export function confusionMatrixSvg(m: ConfusionMatrix, opts: { title?: string; labels?: readonly string[]; cell?: number } = {}): string {
  checkOptionKeys(opts, 'confusionMatrixSvg', ['title', 'labels', 'cell']);
  const K = m?.classes;
  if (!Number.isInteger(K) || K < 1 || !(m.counts instanceof Int32Array) || m.counts.length !== K * K) {
    throw new DescentError('confusionMatrixSvg: expected a confusion matrix (metrics/classification.ts)');
  }
  const labels = opts.labels ?? Array.from({ length: K }, (_, i) => String(i));
  if (labels.length !== K) throw new DescentError(`confusionMatrixSvg: ${labels.length} labels for ${K} classes`);
  const cell = opts.cell ?? Math.max(22, Math.min(56, Math.floor(480 / K)));
  const left = 90, top = 56, size = cell * K;
  const width = left + size + 30, height = top + size + 60;
  const band = scaleBand<number>().domain(Array.from({ length: K }, (_, i) => i)).range([0, size]);
  // white → dark blue by the cell's share of its row
  const colour = scaleSequential((t: number) => {
    const c = (a: number, b: number) => Math.round(a + (b - a) * t);
    return `rgb(${c(247, 8)},${c(251, 48)},${c(255, 107)})`;
  }).domain([0, 1]);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title ?? `Confusion matrix (${m.total} samples)`)}</text>`);
  for (let t = 0; t < K; t++) {
    let row = 0;
    for (let p = 0; p < K; p++) row += m.at(t, p);
    for (let p = 0; p < K; p++) {
      const v = m.at(t, p), share = row > 0 ? v / row : 0;
      const x = left + band(p)!, y = top + band(t)!;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${colour(share)}" stroke="#ddd"/>`);
      if (v > 0) parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${share > 0.5 ? 'white' : '#222'}">${v}</text>`);
    }
    parts.push(`<text x="${left - 6}" y="${top + band(t)! + cell / 2 + 4}" text-anchor="end">${escapeXml(labels[t])}</text>`);
  }
  for (let p = 0; p < K; p++) parts.push(`<text x="${left + band(p)! + cell / 2}" y="${top + size + 16}" text-anchor="middle">${escapeXml(labels[p])}</text>`);
  parts.push(`<text x="${left + size / 2}" y="${top + size + 38}" text-anchor="middle">predicted class</text>`);
  parts.push(`<text transform="translate(18 ${top + size / 2}) rotate(-90)" text-anchor="middle">true class</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
