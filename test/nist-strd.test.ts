// NIST StRD nonlinear regression: the parser on all 27 files, every model's Jacobian against
// central differences, the certified residual sum of squares reproduced at the certified
// parameters (the check that each formula is right), the LRE, and malformed files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { lre, NIST_MODELS, NIST_NAMES, nistProblem, parseNistStrd, type NistData } from '../src/problems/nist-strd.js';

// The shared reference data, next to the repository: /work/shared/data/nist-strd from /work/main/test.
const DIR = new URL('../../shared/data/nist-strd/', import.meta.url);
const text = (name: string): string => readFileSync(new URL(`${name}.dat`, DIR), 'utf8');
const load = (name: string): NistData => parseNistStrd(text(name), `${name}.dat`);

// Observations, parameters and difficulty as NIST's StRD site lists them.
const EXPECTED: Record<string, [number, number, 'Lower' | 'Average' | 'Higher']> = {
  Misra1a: [14, 2, 'Lower'], Chwirut2: [54, 3, 'Lower'], Chwirut1: [214, 3, 'Lower'], Lanczos3: [24, 6, 'Lower'],
  Gauss1: [250, 8, 'Lower'], Gauss2: [250, 8, 'Lower'], DanWood: [6, 2, 'Lower'], Misra1b: [14, 2, 'Lower'],
  Kirby2: [151, 5, 'Average'], Hahn1: [236, 7, 'Average'], Nelson: [128, 3, 'Average'], MGH17: [33, 5, 'Average'],
  Lanczos1: [24, 6, 'Average'], Lanczos2: [24, 6, 'Average'], Gauss3: [250, 8, 'Average'], Misra1c: [14, 2, 'Average'],
  Misra1d: [14, 2, 'Average'], Roszman1: [25, 4, 'Average'], ENSO: [168, 9, 'Average'],
  MGH09: [11, 4, 'Higher'], Thurber: [37, 7, 'Higher'], BoxBOD: [6, 2, 'Higher'], Rat42: [9, 3, 'Higher'],
  MGH10: [16, 3, 'Higher'], Eckerle4: [35, 3, 'Higher'], Rat43: [15, 4, 'Higher'], Bennett5: [154, 3, 'Higher'],
};

/** The header's own statement of where the data are, read independently of the parser. */
function stated(src: string): { data: [number, number]; start: [number, number]; p: number } {
  const r = (label: string): [number, number] => {
    const m = new RegExp(`${label}\\s+\\(lines\\s+(\\d+)\\s+to\\s+(\\d+)\\)`).exec(src)!;
    return [Number(m[1]), Number(m[2])];
  };
  return { data: r('Data'), start: r('Starting Values'), p: Number(/(\d+) Parameters/.exec(src)![1]) };
}

describe('NIST StRD files: parsing', () => {
  it('the data folder resolves next to the repository and holds the 27 files the table knows', () => {
    const repo = fileURLToPath(new URL('..', import.meta.url));
    expect(fileURLToPath(DIR)).toBe(join(repo, '..', 'shared', 'data', 'nist-strd') + '/');
    expect(existsSync(DIR)).toBe(true);
    const files = readdirSync(DIR).filter((f) => f.endsWith('.dat')).map((f) => f.slice(0, -4)).sort();
    expect(files).toEqual([...NIST_NAMES].sort());
    expect(NIST_NAMES).toEqual(Object.keys(EXPECTED));
  });

  it.each(NIST_NAMES)('%s: counts agree with the header, NIST’s table and the model', (name) => {
    const d = load(name);
    const src = text(name);
    const s = stated(src);
    const [N, p, difficulty] = EXPECTED[name];
    expect(d.name).toBe(name);
    expect(d.observations).toBe(N);
    expect(s.data[1] - s.data[0] + 1).toBe(N);
    expect(s.start[1] - s.start[0] + 1).toBe(p);
    expect(s.p).toBe(p);
    expect(d.difficulty).toBe(difficulty);
    expect(d.parameters).toEqual(Array.from({ length: p }, (_, j) => `b${j + 1}`));
    for (const v of [d.start1, d.start2, d.certified, d.certifiedStdDev]) expect(v).toHaveLength(p);
    expect(d.y).toHaveLength(N);
    expect(d.x).toHaveLength(name === 'Nelson' ? 2 : 1);
    for (const c of d.x) expect(c).toHaveLength(N);
    expect(NIST_MODELS[name].n).toBe(p);
    expect(NIST_MODELS[name].predictors).toBe(d.x.length);
    // Residual standard deviation = √(RSS/(N − p)) for every file; the printed degrees of
    // freedom agree except Rat43's, which says 9 for 15 − 4 = 11.
    expect(d.residualStdDev ** 2 * (N - p)).toBeCloseTo(d.residualSumOfSquares, 0);
    expect(Math.abs(d.residualStdDev ** 2 * (N - p) / d.residualSumOfSquares - 1)).toBeLessThan(2e-10);
    expect(d.degreesOfFreedom).toBe(name === 'Rat43' ? 9 : N - p);
    // The last data line is the file's last non-blank line and was read.
    const last = src.trimEnd().split(/\r?\n/).pop()!.trim().split(/\s+/).map(Number);
    expect([d.y[N - 1], ...d.x.map((c) => c[N - 1])]).toEqual(last);
    expect(d.model).toMatch(name === 'Nelson' ? /^log\[y\] = / : /^(pi = .*\n)?y\s+= /);
    expect(d.model).toMatch(/\+\s+e$/);
  });

  it('spot checks: values, models as printed, description and reference', () => {
    const misra = load('Misra1a');
    expect(misra.model).toBe('y = b1*(1-exp[-b2*x])  +  e');
    expect(misra.start1).toEqual([500, 0.0001]);
    expect(misra.start2).toEqual([250, 0.0005]);
    expect(misra.certified).toEqual([2.3894212918e2, 5.5015643181e-4]);
    expect(misra.certifiedStdDev).toEqual([2.7070075241e0, 7.2668688436e-6]);
    expect(misra.residualSumOfSquares).toBe(1.2455138894e-1);
    expect(misra.residualStdDev).toBe(1.018787633e-1);
    expect([misra.y[0], misra.x[0][0], misra.y[13], misra.x[0][13]]).toEqual([10.07, 77.6, 81.78, 760]);
    expect(misra.description).toMatch(/^These data are the result of a NIST study regarding\ndental research/);
    expect(misra.reference).toBe('Misra, D., NIST (1978).\nDental Research Monomolecular Adsorption Study.');

    const nelson = load('Nelson');
    expect(nelson.model).toBe('log[y] = b1 - b2*x1 * exp[-b3*x2]  +  e');
    expect(nelson.start2).toEqual([2.5, 0.000000005, -0.05]);
    expect([nelson.y[0], nelson.x[0][0], nelson.x[1][0]]).toEqual([15, 1, 180]);
    expect(NIST_MODELS.Nelson.response).toBe('log(y)');

    expect(load('Roszman1').model).toBe('pi = 3.141592653589793238462643383279E0\ny =  b1 - b2*x - arctan[b3/(x-b4)]/pi  +  e');
    // Continuation lines keep their alignment under the first.
    expect(load('ENSO').model.split('\n')).toEqual([
      'y = b1 + b2*cos( 2*pi*x/12 ) + b3*sin( 2*pi*x/12 )',
      '       + b5*cos( 2*pi*x/b4 ) + b6*sin( 2*pi*x/b4 )',
      '       + b8*cos( 2*pi*x/b7 ) + b9*sin( 2*pi*x/b7 )  + e',
    ]);
    const hahn = load('Hahn1'); // "1.5324382854E+00 " has a trailing blank; ".591E0" no leading digit
    expect(hahn.residualSumOfSquares).toBe(1.5324382854);
    expect(hahn.y[0]).toBe(0.591);
    expect(hahn.certified[6]).toBe(-1.2314450199e-7);
    expect(load('Lanczos1').residualSumOfSquares).toBe(1.4307867721e-25);
    expect(load('MGH09').start2).toEqual([0.25, 0.39, 0.415, 0.39]);
    expect(load('Bennett5').y[0]).toBe(-34.834702);
    expect(load('ENSO').parameters).toHaveLength(9);
  });

  it('line ends: LF and CRLF give the same data; the file name is optional', () => {
    const crlf = text('DanWood');
    expect(crlf).toContain('\r\n');
    expect(parseNistStrd(crlf.replace(/\r\n/g, '\n'))).toEqual(parseNistStrd(crlf, 'x.dat'));
  });
});

// ---------------------------------------------------------------------------------------------

function residualsAt(d: NistData, b: Float64Array): Float64Array {
  const { objective } = nistProblem(d, 1);
  const r = new Float64Array(objective.m!);
  objective.residuals!(b, r);
  return r;
}

function jacobianAt(d: NistData, b: Float64Array): Float64Array {
  const { objective } = nistProblem(d, 1);
  const J = new Float64Array(objective.m! * objective.n);
  objective.jacobian!(b, J);
  return J;
}

/**
 * The analytic Jacobian against central differences with Richardson extrapolation,
 * D = (4·D(h/2) − D(h))/3 with hⱼ = 1e-4·|bⱼ| (error O(h⁴)): the worst over entries of
 * |D − J| / (1e-7·max|Jⱼ| + 4ε·max|y, r|/hⱼ), the second term the rounding that differencing
 * residuals of size max|y, r| cannot avoid. Below 1 passes; a wrong derivative gives ≫ 1.
 */
function jacobianError(d: NistData, b: Float64Array): number {
  const m = d.observations;
  const n = b.length;
  const J = jacobianAt(d, b);
  const r0 = residualsAt(d, b);
  let scale = 0;
  for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(d.y[i]) + Math.abs(r0[i]));
  const central = (j: number, h: number): Float64Array => {
    const bp = Float64Array.from(b);
    const bm = Float64Array.from(b);
    bp[j] += h;
    bm[j] -= h;
    const rp = residualsAt(d, bp);
    const rm = residualsAt(d, bm);
    return rp.map((v, i) => (v - rm[i]) / (bp[j] - bm[j]));
  };
  let worst = 0;
  for (let j = 0; j < n; j++) {
    const h = 1e-4 * (Math.abs(b[j]) || 1);
    const d1 = central(j, h);
    const d2 = central(j, h / 2);
    let col = 0;
    let err = 0;
    for (let i = 0; i < m; i++) {
      col = Math.max(col, Math.abs(J[i * n + j]));
      err = Math.max(err, Math.abs((4 * d2[i] - d1[i]) / 3 - J[i * n + j]));
    }
    worst = Math.max(worst, err / (1e-7 * col + (4 * 2 ** -52 * scale) / h));
  }
  return worst;
}

/** max over j of |Jⱼᵀr| / (‖Jⱼ‖·‖r‖): the cosine between the residual and each column (0 at a minimum). */
function worstCosine(d: NistData, b: Float64Array): number {
  const m = d.observations;
  const n = b.length;
  const J = jacobianAt(d, b);
  const r = residualsAt(d, b);
  const nr = Math.hypot(...r);
  let worst = 0;
  for (let j = 0; j < n; j++) {
    let dot = 0;
    let nj = 0;
    for (let i = 0; i < m; i++) {
      dot += J[i * n + j] * r[i];
      nj += J[i * n + j] ** 2;
    }
    worst = Math.max(worst, Math.abs(dot) / (Math.sqrt(nj) * nr));
  }
  return worst;
}

/** argmin_s ‖J·s − r‖ for J m×n row-major (m ≥ n, full rank), by Householder QR. */
function leastSquares(J: Float64Array, r: Float64Array, m: number, n: number): Float64Array {
  const A = Float64Array.from(J);
  const c = Float64Array.from(r);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm = Math.hypot(norm, A[i * n + k]);
    const alpha = A[k * n + k] > 0 ? -norm : norm;
    const v = new Float64Array(m);
    for (let i = k; i < m; i++) v[i] = A[i * n + k];
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let d = 0;
      for (let i = k; i < m; i++) d += v[i] * A[i * n + j];
      for (let i = k; i < m; i++) A[i * n + j] -= (2 * d * v[i]) / vv;
    }
    let d = 0;
    for (let i = k; i < m; i++) d += v[i] * c[i];
    for (let i = k; i < m; i++) c[i] -= (2 * d * v[i]) / vv;
  }
  const s = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    let t = c[k];
    for (let j = k + 1; j < n; j++) t -= A[k * n + j] * s[j];
    s[k] = t / A[k * n + k];
  }
  return s;
}

describe('NIST StRD models', () => {
  it.each(NIST_NAMES)('%s: Jacobian = central differences at start 1, start 2 and the certified values', (name) => {
    const d = load(name);
    for (const b of [d.start1, d.start2, d.certified]) {
      const x = Float64Array.from(b);
      const J = jacobianAt(d, x);
      expect(J.every(Number.isFinite)).toBe(true);
      expect(jacobianError(d, x)).toBeLessThan(1);
    }
  });

  const rssErrors: Record<string, number> = {};
  it.each(NIST_NAMES.filter((n) => n !== 'Lanczos1'))('%s: RSS at the certified parameters = certified RSS; gradient ⟂', (name) => {
    const d = load(name);
    const p = nistProblem(d, 1);
    const f = p.objective.value(p.xStar!);
    const rel = Math.abs(f - d.residualSumOfSquares) / d.residualSumOfSquares;
    rssErrors[name] = rel;
    expect(rel).toBeLessThan(1e-9);
    expect(p.fStar).toBe(d.residualSumOfSquares);
    // ∇f = 2Jᵀr ≈ 0 on the scale of 2‖Jⱼ‖‖r‖ (the 11-digit rounding of b* leaves ≲1e-5)
    expect(worstCosine(d, p.xStar!)).toBeLessThan(1e-4);
  });

  it('Lanczos1: the printed b* are too coarse for RSS 1.4e-25; Gauss–Newton from them reaches it', () => {
    // Residuals ~1e-13 against 11-digit parameters (rounding ~5e-12·|b|): at the printed b*
    // the RSS is the rounding's (~4e-21). Three Gauss–Newton steps (Householder QR) from
    // there must land on the certified RSS and parameters if the model is right. The RSS
    // agrees to ~3 digits: float64 residuals of y ≈ 1 carry ~1e-16 of rounding against ~9e-14.
    const d = load('Lanczos1');
    const p = nistProblem(d, 1);
    expect(p.objective.value(p.xStar!)).toBeGreaterThan(1e-22);
    const b = Float64Array.from(p.xStar!);
    for (let it = 0; it < 3; it++) {
      const step = leastSquares(jacobianAt(d, b), residualsAt(d, b), d.observations, b.length);
      for (let j = 0; j < b.length; j++) b[j] -= step[j];
    }
    const f = p.objective.value(b);
    expect(Math.abs(f - d.residualSumOfSquares) / d.residualSumOfSquares).toBeLessThan(1e-2);
    for (let j = 0; j < b.length; j++) expect(lre(b[j], d.certified[j])).toBeGreaterThanOrEqual(9.5);
  });

  it('worst |RSS(b*) − RSS*|/RSS* across the other 26', () => {
    const worst = Object.entries(rssErrors).sort((a, b) => b[1] - a[1])[0];
    if (worst) console.log(`worst relative RSS error at the certified parameters: ${worst[0]} ${worst[1].toExponential(2)}`);
    expect(Object.keys(rssErrors).length === 0 || worst[1] < 1e-9).toBe(true);
  });

  it.each(NIST_NAMES)('%s: value, gradient, valueAndGradient and residuals/Jacobian agree (start 2)', (name) => {
    const d = load(name);
    const p = nistProblem(d, 2);
    const o = p.objective;
    const b = p.x0;
    const r = residualsAt(d, b);
    const J = jacobianAt(d, b);
    const f = r.reduce((s, v) => s + v * v, 0);
    expect(o.value(b)).toBeCloseTo(f, 10);
    const g = new Float64Array(o.n);
    const g2 = new Float64Array(o.n);
    expect(o.valueAndGradient!(b, g)).toBe(o.value(b));
    o.gradient!(b, g2);
    expect(g2).toEqual(g);
    for (let j = 0; j < o.n; j++) {
      let s = 0;
      for (let i = 0; i < o.m!; i++) s += 2 * J[i * o.n + j] * r[i];
      expect(Math.abs(g[j] - s)).toBeLessThanOrEqual(1e-12 * Math.max(Math.abs(s), 1e-300) + 1e-300 + 1e-12 * Math.abs(g[j]));
    }
  });

  it('Nelson: residuals are log y − f; Roszman1 uses the principal arctan over its data', () => {
    const nelson = load('Nelson');
    const b = Float64Array.from(nelson.certified);
    const r = residualsAt(nelson, b);
    for (const i of [0, 64, 127]) {
      const f = b[0] - b[1] * nelson.x[0][i] * Math.exp(-b[2] * nelson.x[1][i]);
      expect(r[i]).toBeCloseTo(Math.log(nelson.y[i]) - f, 14);
    }
    // x − b4 < 0 for every observation at both starts and b*: atan and atan2 branches agree there.
    const ros = load('Roszman1');
    for (const b4 of [ros.start1[3], ros.start2[3], ros.certified[3]]) for (const x of ros.x[0]) expect(x - b4).toBeLessThan(0);
  });

  it('problems: names, starts, certified minimum, dimensions; bad requests are DescentErrors', () => {
    const d = load('Misra1a');
    const p1 = nistProblem(d, 1);
    const p2 = nistProblem(d, 2);
    expect(p1.name).toBe('nist-misra1a-start1');
    expect(p2.name).toBe('nist-misra1a-start2');
    expect(p1.source).toContain('https://www.itl.nist.gov/div898/strd/');
    expect(p1.source).toContain('y = b1*(1-exp[-b2*x])');
    expect(Array.from(p1.x0)).toEqual(d.start1);
    expect(Array.from(p2.x0)).toEqual(d.start2);
    expect(Array.from(p2.xStar!)).toEqual(d.certified);
    expect(p2.fStar).toBe(1.2455138894e-1);
    expect([p1.objective.n, p1.objective.m]).toEqual([2, 14]);
    expect(() => nistProblem({ ...d, name: 'Misra9' }, 1)).toThrow(DescentError);
    expect(() => nistProblem({ ...d, name: 'toString' }, 1)).toThrow(/no model for data set "toString"/);
    expect(() => nistProblem(d, 3 as 1)).toThrow('nistProblem(Misra1a): start must be 1 or 2, got 3');
    expect(() => nistProblem({ ...d, name: 'Chwirut1' }, 1)).toThrow('nistProblem(Chwirut1): the model has 3 parameters, the data 2');
    expect(() => p1.objective.value(new Float64Array(3))).toThrow(/x has length 3, expected 2/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('lre', () => {
  it('counts agreeing digits, capped at 11, 0 when 100% or more off', () => {
    expect(lre(1.2455138894e-1, 1.2455138894e-1)).toBe(11);
    expect(lre(1 + 1e-15, 1)).toBe(11);
    expect(lre(1.00001, 1)).toBeCloseTo(5, 6);
    expect(lre(-2.5e-3, -2.5e-3 * (1 + 1e-7))).toBeCloseTo(7, 6);
    expect(lre(0.5, 1)).toBeCloseTo(Math.log10(2), 12);
    expect(lre(2, 1)).toBe(0); // exactly 100% off
    expect(lre(-1, 1)).toBe(0); // 200% off
    expect(lre(0, 1)).toBe(0);
    expect(lre(1e-4, 0)).toBeCloseTo(4, 12); // certified 0: log absolute error
    expect(lre(0, 0)).toBe(11);
    expect(lre(NaN, 1)).toBe(0);
    expect(lre(Infinity, 1)).toBe(0);
    expect(lre(1 + 1e-9, 1, 6)).toBe(6);
  });
});

// ---------------------------------------------------------------------------------------------

describe('malformed files', () => {
  const base = text('Misra1a').replace(/\r\n/g, '\n');
  const lines = base.split('\n');
  const edit = (k: number, s: string): string => lines.map((l, i) => (i === k - 1 ? s : l)).join('\n');
  const parse = (src: string) => () => parseNistStrd(src, 'bad.dat');

  it('every error is a DescentError naming the file and the line', () => {
    const cases: [string, string | RegExp][] = [
      // truncated in the data, and before the data
      [lines.slice(0, 70).join('\n'), 'parseNistStrd(bad.dat): line 70: the file ends at line 70; the data run to line 74 (truncated?)'],
      [lines.slice(0, 45).join('\n'), /line 45: the file ends at line 45; the certified values run to line 47/],
      // a non-numeric or short data line
      [edit(62, '      14.73E0     11x.9E0'), 'parseNistStrd(bad.dat): line 62: not a number: "11x.9E0" (y x)'],
      [edit(63, '      17.94E0'), 'parseNistStrd(bad.dat): line 63: expected 2 numbers (y x), got 1: "17.94E0"'],
      [edit(64, '      23.93E0     190.8E0   7'), /line 64: expected 2 numbers \(y x\), got 3/],
      [edit(65, '      NaN     239.9E0'), /line 65: not a number: "NaN"/],
      [edit(74, ''), /line 74: expected 2 numbers \(y x\), got 0/],
      // certified values missing or damaged
      [edit(44, ''), 'parseNistStrd(bad.dat): no "Residual Sum of Squares:" in the certified values (lines 43 to 47)'],
      [edit(44, 'Residual Sum of Squares:'), /line 44: expected 1 number \(Residual Sum of Squares\), got 0/],
      [edit(42, '  b2 =     0.0001      0.0005      5.5015643181E-04'), /line 42: expected 4 numbers \(b2: start 1, start 2, certified value, standard deviation\), got 3/],
      [edit(42, '  b3 =     0.0001      0.0005      5.5015643181E-04  7.2668688436E-06'), /line 42: expected "b2 = start1 start2 certified stddev", got "b3 =/],
      [edit(41, ''), /line 41: expected "b1 = /],
      [edit(47, 'Number of Observations:                            15'), /line 47: Number of Observations 15 differs from the 14 Observations of line 27/],
      // the header
      [edit(2, 'Dataset:  Misra1a'), 'parseNistStrd(bad.dat): line 2: expected "Dataset Name:  <name>", got "Dataset:  Misra1a"'],
      [edit(7, ''), /parseNistStrd\(bad.dat\): no "Data \(lines A to B\)" entry in the File Format header/],
      [edit(7, '               Data              (lines 61 to 75)'), /line 27: 14 observations, but the data take lines 61 to 75/],
      [edit(5, '               Starting Values   (lines 41 to 43)'), /line 32: 2 parameters, but the starting values take lines 41 to 43/],
      [edit(9, 'Procedure:     Linear Least Squares Regression'), /line 9: not a nonlinear regression file/],
      [edit(27, '               Observations'), /no "N Observations" entry in lines 25 to 30/],
      [edit(28, '               Low Level of Difficulty'), /no "<Lower\|Average\|Higher> Level of Difficulty" entry/],
      [edit(34, ''), /line 33: no model formula after the parameter count/],
      // trailing text (the blank line 75 is allowed)
      [base + '\n   1 2\n', /line 76: text after the data \(which end at line 74\): "1 2"/],
    ];
    for (const [src, message] of cases) {
      let caught: unknown;
      try {
        parseNistStrd(src, 'bad.dat');
      } catch (e) {
        caught = e;
      }
      expect(caught, String(message)).toBeInstanceOf(DescentError);
      if (typeof message === 'string') expect((caught as Error).message).toBe(message);
      else expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message).toMatch(/^parseNistStrd\(bad\.dat\)/);
    }
    expect(parse(base)).not.toThrow();
    expect(() => parseNistStrd(undefined as unknown as string)).toThrow(DescentError);
    // without a file name, errors use the Dataset Name
    expect(() => parseNistStrd(edit(62, '  1 x'))).toThrow(/^parseNistStrd\(Misra1a\): line 62/);
  });
});
