// What every experiment shares: its options and result, a digits split, number formatting
// and panels (several lineChartSvg charts side by side in one SVG).
//
// An experiment is a claim of the lectures turned into a measurement: run(opts) trains or
// iterates, and returns the lines to print (the numbers and whether they support the claim),
// one SVG picture and the key numbers by name (for docs/experiments.md and the tests).
// `quick` asks for the small settings the tests use (fewer epochs, smaller problems); the
// claim's direction must still show.

import type { Engine } from '../engine/engine.js';
import type { Dataset } from '../data/dataset.js';
import { digits } from '../data/digits.js';
import { trainTestSplit } from '../data/split.js';
import type { Batch } from '../nn/model.js';

export interface ExperimentOptions {
  engine: Engine;
  /** Small settings (tests): the claim's direction still shows, in a fraction of the time. */
  quick?: boolean;
  /** Seed of initializations and shuffles (default 1). */
  seed?: number;
}

export interface ExperimentResult {
  lines: string[];
  svg: string;
  numbers: Record<string, number>;
}

export interface Experiment {
  name: string;
  /** The lecture's claim, one sentence. */
  claim: string;
  /** What the picture shows, one or two sentences. */
  picture: string;
  run(opts: ExperimentOptions): ExperimentResult;
}

/** The digits set split 80/20 (stratified, seed 1). */
export function digitsSplit(): { train: Dataset; test: Dataset } {
  const { train, test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
  return { train, test };
}

/** The first n samples of a classification data set as one batch. */
export function firstBatch(ds: Dataset, n: number): Batch {
  const k = Math.min(n, ds.n);
  return { x: ds.x.subarray(0, k * ds.features), n: k, labels: ds.labels!.subarray(0, k) };
}

/** A number for tables: 4 significant digits, exponent form outside [1e-3, 1e5). */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

/** Rows of cells as aligned text: first column left-aligned, the others right-aligned. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
}

/**
 * Charts (each a complete <svg> from lineChartSvg) laid out side by side in one SVG: each
 * becomes a nested <svg> at its offset, so their inline attributes keep working unchanged.
 */
export function panels(charts: readonly string[], title?: string): string {
  const sizes = charts.map((s) => {
    const m = /^<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(s);
    if (!m) throw new Error('panels: each chart must be an <svg> with width and height');
    return [Number(m[1]), Number(m[2])];
  });
  const top = title ? 34 : 0;
  const width = sizes.reduce((w, [cw]) => w + cw, 0);
  const height = top + Math.max(...sizes.map(([, h]) => h));
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" role="img">`];
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (title) {
    const esc = title.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
    out.push(`<title>${esc}</title>`);
    out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="17" font-weight="600" fill="#333333">${esc}</text>`);
  }
  let x = 0;
  charts.forEach((s, i) => {
    out.push(s.replace(/^<svg /, `<svg x="${x}" y="${top}" `));
    x += sizes[i][0];
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Median of the values (a copy is sorted). */
export function median(values: ArrayLike<number>): number {
  const a = Float64Array.from(values).sort();
  const n = a.length;
  return n === 0 ? NaN : n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}
