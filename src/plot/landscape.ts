// Landscape pictures: a 2-D function drawn as contours, with optimizer paths on top, as one
// standalone SVG string (the conventions of svg-curve.ts: xmlns, width/height/viewBox, inline
// attributes, no ids, no CSS, no fonts to fetch, XML-escaped text). DOM-free: Node, browsers,
// workers alike.
//
// Contours. f is sampled on a grid of `resolution` points across × proportionally many down
// the plot area, and d3-contour (marching squares with linear interpolation: Lorensen & Cline
// 1987; d3-contour by M. Bostock, ISC) turns the samples into one MultiPolygon per level, the
// region where f ≥ level. Filled (default): the polygons are painted in increasing order of
// level, each in a lighter-to-darker colour of one light ramp, so the band between two levels
// shows one colour; thin lines mark the levels either way. d3-contour places sample i at grid
// coordinate i + ½ and its polygons span [0, nx] × [0, ny], so grid coordinate c maps to pixel
// left + (c − ½)·w/(nx − 1): the outer half-cells fall outside the plot and are clipped.
//
// Levels. Functions that span decades over the window (Rosenbrock, Beale, the quadratic near
// its minimum) get log-spaced levels 1, 3, 10, 30, … × 10^k from max(min f, f₉₉·10⁻⁵) up to
// f₉₉ (f₉₉ = the 99th percentile of the samples, so that one far corner does not take all the
// levels); others (the saddle, which is negative) get d3-scale's linear ticks. `scale: 'auto'`
// (default) picks log when min f ≥ 0 and f₉₉ exceeds 100 × the 1st percentile.
//
// Clipping without ids: the contours and the paths sit in a nested <svg> whose viewport is the
// plot area (overflow hidden is the default for inner svg elements), with a viewBox equal to
// that area so coordinates inside are the outer ones.
//
// Paths: one per run, drawn over a white halo so they read on any band; runs with ≤ 60 points
// (full-batch methods) get a dot at every iterate, and line-search methods are dashed so that
// the first-order paths they overlap (often the same straight first step) show through. Markers: white circle = start, filled circle
// in the run's colour = end, × = a run that stopped early (diverged, or left the bounds),
// black star = known minimizer, black diamond = known saddle point. Legend on the right: one
// row per run (its name, its learning rate and final f when given, and whether it stopped
// early: left the window or diverged), then the marker key.

import { contours } from 'd3-contour';
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { DescentError, show } from '../engine/errors.js';
import { escapeXml } from './svg-curve.js';

/** The function to draw: anything with a value and, optionally, known minimizers and saddles. */
export interface LandscapeSurface {
  readonly name?: string;
  readonly objective: { readonly n?: number; value(x: Float64Array): number };
  readonly minimizers?: readonly ArrayLike<number>[];
  readonly xStar?: ArrayLike<number>;
  readonly saddles?: readonly ArrayLike<number>[];
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  readonly formula?: string;
}

/** One path: x₁ and x₂ of the iterates (an optimizerTrajectory result fits). */
export interface LandscapeRun {
  name: string;
  /** Legend text (default: name). */
  label?: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Shown in the legend as "lr X". */
  lr?: number;
  /** f at the iterates: the legend shows the last finite one. */
  f?: ArrayLike<number>;
  /** The run stopped early: its end gets a ×, its legend entry says why. */
  stopped?: 'diverged' | 'left';
  color?: string;
  /** Dashed line (default: when method is 'minimize', so that paths underneath show through). */
  dashed?: boolean;
  /** 'rule' (first-order) or 'minimize' (line-search methods), as optimizerTrajectory says. */
  method?: 'rule' | 'minimize';
}

export interface LandscapeOptions {
  /** Default: the problem's name and formula. */
  title?: string;
  /** View window (default: the problem's, else the runs' extent, padded). */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  /** Number of levels (default 14) or the levels themselves. */
  levels?: number | readonly number[];
  /** Level spacing: 'auto' (default, see the header), 'log' or 'linear'. */
  scale?: 'auto' | 'log' | 'linear';
  /** Filled bands (default true) or level lines only. */
  filled?: boolean;
  /** Grid points across the plot (default 200). */
  resolution?: number;
  /** Size in px (default 960 × 660). */
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#555555', '#bcbd22', '#17becf', '#111111'];
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const INK = '#333333';
const TICK_FONT = 12;
const LABEL_FONT = 13;
const TITLE_FONT = 16;
const DOT_LIMIT = 60;
/** Band colours from the lowest to the highest level: pale cream through pale blue to slate. */
const RAMP = ['#fffdf0', '#e8f3e8', '#d3e5ef', '#bccfe3', '#a7bcd6'];

const px = (v: number): string => String(Math.round(v * 100) / 100);
const textWidth = (s: string, size: number): number => s.length * size * 0.6;

function checkDomain(d: readonly [number, number] | undefined, op: string, name: string): void {
  if (d === undefined) return;
  if (!Array.isArray(d) || d.length !== 2 || !Number.isFinite(d[0]) || !Number.isFinite(d[1]) || !(d[0] < d[1])) {
    throw new DescentError(`${op}: ${name} must be [min, max] with finite min < max, got ${JSON.stringify(d)}`);
  }
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values. */
const quantile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];

/** Levels for the samples (see the header); also says whether they are log-spaced. */
export function landscapeLevels(values: ArrayLike<number>, count = 14, scale: 'auto' | 'log' | 'linear' = 'auto'): { levels: number[]; log: boolean } {
  const finite = Float64Array.from(Array.from(values).filter(Number.isFinite)).sort();
  if (finite.length === 0) return { levels: [], log: false };
  const lo = finite[0];
  const hi = quantile(finite, 0.99);
  const q01 = quantile(finite, 0.01);
  const log = scale === 'log' ? lo >= 0 && hi > 0 : scale === 'auto' && lo >= 0 && hi > 100 * Math.max(q01, 1e-300);
  if (log) {
    const bottom = Math.max(lo, hi * 1e-5, 1e-300);
    // 1, 3, 10, 30, …: two per decade, thinned to about `count` levels
    const all: number[] = [];
    for (let k = Math.floor(Math.log10(bottom)); 10 ** k <= hi; k++) {
      for (const m of [1, 3]) {
        const v = m * 10 ** k;
        if (v >= bottom && v <= hi) all.push(Number(v.toPrecision(6)));
      }
    }
    const stride = Math.max(1, Math.ceil(all.length / count));
    const levels = all.filter((_, i) => i % stride === 0);
    return { levels, log: true };
  }
  if (lo === hi) return { levels: [lo], log: false };
  const ticks = scaleLinear().domain([lo, hi]).ticks(count).filter((t) => t > lo && t < hi);
  return { levels: ticks, log: false };
}

/** A star with five points (outer radius r) centred at (x, y), as path data. */
function starPath(x: number, y: number, r: number): string {
  const pts: string[] = [];
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const rr = i % 2 === 0 ? r : r * 0.45;
    pts.push(`${px(x + rr * Math.cos(a))},${px(y + rr * Math.sin(a))}`);
  }
  return `M${pts.join('L')}Z`;
}

const crossPath = (x: number, y: number, r: number): string =>
  `M${px(x - r)},${px(y - r)}L${px(x + r)},${px(y + r)}M${px(x - r)},${px(y + r)}L${px(x + r)},${px(y - r)}`;

function formatLr(lr: number): string {
  return Number(lr.toPrecision(3)).toString();
}

/** Contours of a 2-D function with optimizer paths on top; returns an SVG string (see the header). */
export function landscapeSvg(problem: LandscapeSurface, runs: readonly LandscapeRun[], opts: LandscapeOptions = {}): string {
  const op = 'landscapeSvg';
  if (!problem || !problem.objective || typeof problem.objective.value !== 'function') {
    throw new DescentError(`${op}: problem must be { objective: { value(x) } }`);
  }
  if (problem.objective.n !== undefined && problem.objective.n !== 2) {
    throw new DescentError(`${op}: ${problem.name ?? 'the problem'} has ${problem.objective.n} variables; a landscape needs 2`);
  }
  if (!Array.isArray(runs)) throw new DescentError(`${op}: runs must be an array of { name, x, y }`);
  runs.forEach((r, i) => {
    if (!r || typeof r.name !== 'string' || !r.x || !r.y || typeof r.x.length !== 'number' || typeof r.y.length !== 'number') {
      throw new DescentError(`${op}: runs[${i}] must be { name, x, y }`);
    }
    if (r.x.length !== r.y.length) throw new DescentError(`${op}: run "${r.name}": x and y differ in length (${r.x.length} vs ${r.y.length})`);
  });
  checkDomain(opts.xDomain, op, 'xDomain');
  checkDomain(opts.yDomain, op, 'yDomain');
  const width = opts.width ?? 960;
  const height = opts.height ?? 660;
  if (!(Number.isFinite(width) && Number.isFinite(height) && width >= 400 && height >= 300)) {
    throw new DescentError(`${op}: width and height must be finite and at least 400 × 300 px, got ${width} × ${height}`);
  }
  const resolution = opts.resolution ?? 200;
  if (!Number.isSafeInteger(resolution) || resolution < 8 || resolution > 2000) {
    throw new DescentError(`${op}: resolution must be an integer in [8, 2000], got ${show(opts.resolution)}`);
  }
  const scaleKind = opts.scale ?? 'auto';
  if (!['auto', 'log', 'linear'].includes(scaleKind)) throw new DescentError(`${op}: scale must be 'auto', 'log' or 'linear', got ${show(opts.scale)}`);
  if (Array.isArray(opts.levels) ? !opts.levels.every(Number.isFinite) : opts.levels !== undefined && !(Number.isSafeInteger(opts.levels) && (opts.levels as number) >= 1)) {
    throw new DescentError(`${op}: levels must be a positive integer or an array of finite numbers, got ${JSON.stringify(opts.levels)}`);
  }

  // --- window: given, the problem's, or the runs' extent padded by 10% ---
  const extentOf = (key: 'x' | 'y'): [number, number] => {
    let lo = Infinity, hi = -Infinity;
    for (const r of runs) for (let i = 0; i < r[key].length; i++) {
      const v = r[key][i];
      if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    if (!(lo < hi)) return Number.isFinite(lo) ? [lo - 1, lo + 1] : [-1, 1];
    const pad = (hi - lo) * 0.1;
    return [lo - pad, hi + pad];
  };
  const xDomain = opts.xDomain ?? problem.xDomain ?? extentOf('x');
  const yDomain = opts.yDomain ?? problem.yDomain ?? extentOf('y');

  // --- layout: title (+ subtitle), plot on the left, legend column on the right ---
  const colors = runs.map((r, i) => r.color ?? PALETTE[i % PALETTE.length]!);
  const legendText = runs.map((r) => {
    let s = r.label ?? r.name;
    if (r.lr !== undefined) s += `  lr ${formatLr(r.lr)}`;
    if (r.f) {
      let k = r.f.length - 1;
      while (k >= 0 && !Number.isFinite(r.f[k])) k--;
      if (k >= 0) s += `  → f ${formatValue(r.f[k])}`;
    }
    if (r.stopped) s += r.stopped === 'left' ? ' (out of view)' : ' (diverged)';
    return s;
  });
  const legendWidth = Math.ceil(Math.max(150, ...legendText.map((t) => 34 + textWidth(t, TICK_FONT)))) + 16;
  const title = opts.title ?? (problem.name ? `${problem.name}${problem.formula ? `: f = ${problem.formula}` : ''}` : '');
  const plotTop = title ? 12 + TITLE_FONT + 30 : 20;
  const xLabel = opts.xLabel ?? 'x₁';
  const yLabel = opts.yLabel ?? 'x₂';
  const plotLeft = 8 + LABEL_FONT + 10 + 44;
  const plotBottom = height - 50;
  const plotRight = width - legendWidth - 16;
  const plotW = plotRight - plotLeft;
  const plotH = plotBottom - plotTop;
  if (plotW < 120 || plotH < 120) throw new DescentError(`${op}: ${width} × ${height} px leaves no room for the plot next to the legend`);
  const xs = scaleLinear().domain([xDomain[0], xDomain[1]]).range([plotLeft, plotRight]);
  const ys = scaleLinear().domain([yDomain[0], yDomain[1]]).range([plotBottom, plotTop]);

  // --- samples: nx across, ny down (row 0 at the top), f at each ---
  const nx = resolution;
  const ny = Math.max(8, Math.round((resolution * plotH) / plotW));
  const values = new Float64Array(nx * ny);
  const at = new Float64Array(2);
  for (let j = 0; j < ny; j++) {
    at[1] = yDomain[1] - ((yDomain[1] - yDomain[0]) * j) / (ny - 1);
    for (let i = 0; i < nx; i++) {
      at[0] = xDomain[0] + ((xDomain[1] - xDomain[0]) * i) / (nx - 1);
      const v = problem.objective.value(at);
      values[j * nx + i] = Number.isFinite(v) ? v : NaN;
    }
  }
  let levels: number[];
  let log: boolean;
  if (Array.isArray(opts.levels)) {
    levels = [...(opts.levels as number[])].sort((a, b) => a - b);
    log = false;
  } else {
    ({ levels, log } = landscapeLevels(values, (opts.levels as number | undefined) ?? 14, scaleKind));
  }
  const bands = contours().size([nx, ny]).thresholds(levels)(Array.from(values, (v) => (Number.isNaN(v) ? -Infinity : v)));
  const gx = (c: number): number => plotLeft + ((c - 0.5) * plotW) / (nx - 1);
  const gy = (c: number): number => plotTop + ((c - 0.5) * plotH) / (ny - 1);
  const ringsPath = (coords: number[][][][]): string =>
    coords.map((poly) => poly.map((ring) => 'M' + ring.map(([a, b]) => `${px(gx(a))},${px(gy(b))}`).join('L') + 'Z').join('')).join('');
  const ramp = scaleLinear<string>().domain(RAMP.map((_, i) => i / (RAMP.length - 1))).range(RAMP).clamp(true);
  const bandColor = (k: number): string => ramp(levels.length <= 1 ? 0.5 : k / levels.length);
  const filled = opts.filled ?? true;

  // --- drawing ---
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${escapeXml(FONT)}" font-size="${TICK_FONT}" role="img">`,
  );
  out.push(`<title>${escapeXml(title || 'landscape')}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (title) {
    out.push(`<text x="${px(plotLeft)}" y="${12 + TITLE_FONT}" font-size="${TITLE_FONT}" font-weight="600" fill="${INK}">${escapeXml(title)}</text>`);
    const sub = `${levels.length} contour levels, ${log ? 'log-spaced (1, 3, 10, 30, …)' : 'evenly spaced'}` +
      (levels.length ? ` from ${formatLevel(levels[0])} to ${formatLevel(levels[levels.length - 1])}` : '');
    out.push(`<text x="${px(plotLeft)}" y="${12 + TITLE_FONT + 20}" fill="#666666">${escapeXml(sub)}</text>`);
  }

  // plot area: contours and paths, clipped by a nested svg
  out.push(`<svg x="${plotLeft}" y="${plotTop}" width="${plotW}" height="${plotH}" viewBox="${plotLeft} ${plotTop} ${plotW} ${plotH}">`);
  out.push(`<rect x="${plotLeft}" y="${plotTop}" width="${plotW}" height="${plotH}" fill="${filled ? bandColor(0) : '#ffffff'}"/>`);
  out.push(`<g data-contours="${levels.length}">`);
  bands.forEach((b, k) => {
    if (b.coordinates.length === 0) return;
    const d = ringsPath(b.coordinates);
    const fill = filled ? bandColor(k + 1) : 'none';
    out.push(`<path class="contour" data-level="${formatLevel(b.value)}" d="${d}" fill="${fill}" stroke="#50647a" stroke-opacity="0.45" stroke-width="0.7"/>`);
  });
  out.push('</g>');
  const path = line().digits(2);
  runs.forEach((r, i) => {
    const pts: [number, number][] = [];
    for (let k = 0; k < r.x.length; k++) {
      const a = r.x[k], b = r.y[k];
      if (Number.isFinite(a) && Number.isFinite(b)) pts.push([xs(a), ys(b)]);
    }
    const color = escapeXml(colors[i]!);
    out.push(`<g data-run="${escapeXml(r.name)}">`);
    if (pts.length > 1) {
      const d = path(pts) ?? '';
      out.push(`<path d="${d}" fill="none" stroke="#ffffff" stroke-opacity="0.75" stroke-width="4.5" stroke-linejoin="round" stroke-linecap="round"/>`);
      const dash = r.dashed ?? r.method === 'minimize' ? ' stroke-dasharray="7 4"' : '';
      out.push(`<path class="trajectory" d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dash}/>`);
    }
    if (pts.length <= DOT_LIMIT) for (const [a, b] of pts.slice(1, -1)) out.push(`<circle cx="${px(a)}" cy="${px(b)}" r="2.5" fill="${color}"/>`);
    out.push('</g>');
  });
  out.push('</svg>');
  out.push(`<rect x="${plotLeft}" y="${plotTop}" width="${plotW}" height="${plotH}" fill="none" stroke="#888888" shape-rendering="crispEdges"/>`);
  // markers over the frame, so that one on the edge (a run cut there) is drawn whole:
  // start markers (one per distinct start), then end markers
  const starts = new Set<string>();
  for (const r of runs) {
    if (r.x.length === 0 || !Number.isFinite(r.x[0]) || !Number.isFinite(r.y[0])) continue;
    const key = `${px(xs(r.x[0]))},${px(ys(r.y[0]))}`;
    if (starts.has(key)) continue;
    starts.add(key);
    out.push(`<circle data-start="" cx="${px(xs(r.x[0]))}" cy="${px(ys(r.y[0]))}" r="6" fill="#ffffff" stroke="${INK}" stroke-width="2"/>`);
  }
  runs.forEach((r, i) => {
    let k = r.x.length - 1;
    while (k >= 0 && !(Number.isFinite(r.x[k]) && Number.isFinite(r.y[k]))) k--;
    if (k <= 0) return;
    const a = xs(r.x[k]), b = ys(r.y[k]);
    const color = escapeXml(colors[i]!);
    if (r.stopped) {
      out.push(`<path data-end="${escapeXml(r.name)}" d="${crossPath(a, b, 5)}" stroke="#ffffff" stroke-width="5" stroke-linecap="round"/>`);
      out.push(`<path d="${crossPath(a, b, 5)}" stroke="${color}" stroke-width="2.5" stroke-linecap="round"/>`);
    } else {
      out.push(`<circle data-end="${escapeXml(r.name)}" cx="${px(a)}" cy="${px(b)}" r="4.5" fill="${color}" stroke="#ffffff" stroke-width="1.5"/>`);
    }
  });
  const minimizers = problem.minimizers ?? (problem.xStar ? [problem.xStar] : []);
  for (const m of minimizers) {
    out.push(`<path data-minimum="" d="${starPath(xs(m[0]), ys(m[1]), 9)}" fill="#111111" stroke="#ffffff" stroke-width="1.5"/>`);
  }
  for (const s of problem.saddles ?? []) {
    const a = xs(s[0]), b = ys(s[1]);
    out.push(`<path data-saddle="" d="M${px(a)},${px(b - 7)}L${px(a + 7)},${px(b)}L${px(a)},${px(b + 7)}L${px(a - 7)},${px(b)}Z" fill="#111111" stroke="#ffffff" stroke-width="1.5"/>`);
  }


  // axes
  const xTicks = xs.ticks(Math.max(2, Math.round(plotW / 80)));
  const yTicks = ys.ticks(Math.max(2, Math.round(plotH / 60)));
  const xFormat = xs.tickFormat(xTicks.length);
  const yFormat = ys.tickFormat(yTicks.length);
  out.push(`<g fill="${INK}" text-anchor="middle">`);
  for (const t of xTicks) {
    const x = px(xs(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${plotBottom}" y2="${plotBottom + 5}" stroke="${INK}"/>`);
    out.push(`<text x="${x}" y="${plotBottom + 8 + TICK_FONT}">${escapeXml(xFormat(t))}</text>`);
  }
  out.push(`<text x="${px((plotLeft + plotRight) / 2)}" y="${height - 12}" font-size="${LABEL_FONT}">${escapeXml(xLabel)}</text>`);
  out.push('</g>');
  out.push(`<g fill="${INK}" text-anchor="end">`);
  for (const t of yTicks) {
    const y = px(ys(t));
    out.push(`<line x1="${plotLeft}" x2="${plotLeft - 5}" y1="${y}" y2="${y}" stroke="${INK}"/>`);
    out.push(`<text x="${plotLeft - 8}" y="${y}" dy="0.35em">${escapeXml(yFormat(t))}</text>`);
  }
  out.push(`<text transform="translate(${8 + LABEL_FONT},${px((plotTop + plotBottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="${LABEL_FONT}">${escapeXml(yLabel)}</text>`);
  out.push('</g>');

  // legend: runs, then the marker key
  const lx = plotRight + 20;
  let ly = plotTop + 8;
  out.push(`<g fill="${INK}">`);
  runs.forEach((r, i) => {
    const color = escapeXml(colors[i]!);
    const dash = r.dashed ?? r.method === 'minimize' ? ' stroke-dasharray="7 4"' : '';
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"${dash}/>`);
    out.push(`<text x="${lx + 32}" y="${ly}" dy="0.35em">${escapeXml(legendText[i]!)}</text>`);
    ly += 20;
  });
  ly += 10;
  const key: [string, string][] = [];
  if (runs.length) key.push([`<circle cx="${lx + 12}" cy="${ly}" r="5" fill="#ffffff" stroke="${INK}" stroke-width="2"/>`, 'start']);
  if (runs.length) key.push([`<circle cx="${lx + 12}" cy="${ly}" r="4.5" fill="${INK}"/>`, 'end']);
  if (runs.some((r) => r.stopped)) key.push([`<path d="${crossPath(lx + 12, ly, 5)}" stroke="${INK}" stroke-width="2.5"/>`, 'stopped: out of view or diverged']);
  if (minimizers.length) key.push([`<path d="${starPath(lx + 12, ly, 8)}" fill="#111111"/>`, minimizers.length > 1 ? 'minima' : 'minimum']);
  if (problem.saddles?.length) key.push([`<path d="M${lx + 12},${ly - 6}L${lx + 18},${ly}L${lx + 12},${ly + 6}L${lx + 6},${ly}Z" fill="#111111"/>`, 'saddle point']);
  for (const [mark, text] of key) {
    // the marks were written at row ly of the first entry: shift each into its row
    out.push(`<g transform="translate(0,${px(ly - (plotTop + 8 + runs.length * 20 + 10))})">${mark}</g>`);
    out.push(`<text x="${lx + 32}" y="${px(ly)}" dy="0.35em">${escapeXml(text)}</text>`);
    ly += 20;
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}

/**
 * A final value for the legend: 3 significant digits, exponent form (1.5e-22) when tiny or huge.
 * Plain ASCII: superscript digits and the superscript minus are missing from many fonts (the
 * headless Chromium the tests use drew 1.5·10⁻²² as "1.5·10 ²²", a wrong value).
 */
function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return Number(v.toPrecision(3)).toString();
  return v.toExponential(1).replace('e+', 'e');
}

function formatLevel(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
