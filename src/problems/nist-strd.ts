// NIST StRD nonlinear regression: the 27 reference problems of the Statistical Reference
// Datasets (NIST Information Technology Laboratory, https://www.itl.nist.gov/div898/strd/,
// "Nonlinear Regression" section), as least-squares objectives with analytic Jacobians.
//
// Each data set fits y = f(b; x) + e to observed or generated data. NIST certifies the
// least-squares parameters b*, their standard deviations and the residual sum of squares
// RSS = Σᵢ (yᵢ − f(b*; xᵢ))² to 11 significant digits, computed in 128-bit arithmetic. Every
// set has two starting points: Start 1 far from b*, Start 2 closer. Difficulty (Lower, Average,
// Higher) is NIST's rating of how hard the set is for nonlinear least squares software.
//
// The .dat format (one header layout for all 27 files; CRLF line ends in NIST's copies):
//   line 2      Dataset Name:  Misra1a     (Misra1a.dat)
//   lines 5–7   Starting Values (lines 41 to 42) · Certified Values (lines 41 to 47) ·
//               Data (lines 61 to 74): where the tables are; the parser reads those lines and
//               no others, and checks that the counts they imply agree with what the header says
//   "Data:"     k Predictor(s), N Observations, <Lower|Average|Higher> Level of Difficulty
//   "Model:"    p Parameters (b1 to bp), then the formula, e.g. y = b1*(1-exp[-b2*x])  +  e
//   parameter lines   b1 =   500   250   2.3894212918E+02  2.7070075241E+00
//                     (start 1, start 2, certified value, certified standard deviation)
//   then   Residual Sum of Squares / Residual Standard Deviation / Degrees of Freedom /
//          Number of Observations, and the data lines "y x" (or "y x1 x2" for Nelson).
// parseNistStrd() turns any departure from this into a DescentError naming the file and line.
//
// Objectives: residuals rᵢ(b) = yᵢ − f(b; xᵢ), Jacobian Jᵢⱼ = ∂rᵢ/∂bⱼ = −∂f/∂bⱼ(b; xᵢ), value
// Σᵢ rᵢ² (no ½: NIST's residual sum of squares, so fStar is the certified RSS), gradient 2·Jᵀr.
// Models that needed care (the tests check that each reproduces the certified RSS at b*;
// Lanczos1 after a refinement, see below):
//   Nelson    the response is log y: "log[y] = b1 - b2*x1 * exp[-b3*x2]", two predictors;
//             the certified RSS is that of log y, so the residuals are log yᵢ − f.
//   Roszman1  y = b1 − b2·x − arctan(b3/(x − b4))/π with the principal arctan (−π/2, π/2),
//             not atan2. x − b4 < 0 over the data at both starts and at b* (x ≤ −464.17), so the
//             choice does not matter there; a step taking b4 past a data x makes f jump by 1.
//             (The file prints π to 31 digits; Math.PI is it rounded to float64.)
//   Misra1a, BoxBOD   1 − exp(−b₂x) is written −expm1(−b₂x) (no cancellation for small b₂x).
//   Rat43     ln(1 + e^(b₂−b₃x)) as log1p; Bennett5, DanWood need b₂ + x > 0 and x > 0 (true
//             of their data); ENSO uses π in radians like NIST ("Arguments to the SIN and COS
//             functions are in radians").
//   Lanczos1  generated data with RSS 1.43e-25 (residuals ~1e-13): the 11-digit certified b
//             perturb f by ~1e-11, so the RSS at the printed b* is that rounding's (4e-21),
//             not 1.43e-25; a few Gauss–Newton steps from b* reach 1.43e-25 (to the ~3 digits
//             float64 residuals allow). A property of the data set, not of f.
//   Rat43     the file prints 9 degrees of freedom for 15 − 4 = 11 (its residual standard
//             deviation is √(RSS/11)); the parser keeps what is printed and checks nothing there.
//
// Log relative error (McCullough, "Assessing the reliability of statistical software: Part I",
// Am. Stat. 52:358–366, 1998, and Part II, Am. Stat. 53:149–159, 1999), for an estimate x of a
// certified value c given to d significant digits (d = 11 for StRD nonlinear regression):
//   LRE(x, c) = −log10(|x − c| / |c|)   when c ≠ 0
//             = −log10(|x|)             when c = 0 (the log absolute error)
// then clipped to [0, d]: x = c exactly (or closer than c's digits can tell) gives d; an x off
// by 100% or more (|x − c| ≥ |c|, negative LRE), NaN or ±∞ gives 0. Roughly, the number of
// leading digits of x that agree with c.

import { DescentError, show } from '../engine/errors.js';
import type { Objective, Problem } from '../minimize/objective.js';

export type NistDifficulty = 'Lower' | 'Average' | 'Higher';

/** One StRD nonlinear regression data set, as the .dat file states it. */
export interface NistData {
  /** The "Dataset Name", e.g. 'Misra1a'. */
  readonly name: string;
  readonly description: string;
  readonly reference: string;
  /** The model's formula line(s) as printed (common indentation removed), e.g. 'y = b1*(1-exp[-b2*x])  +  e'. */
  readonly model: string;
  /** 'b1', 'b2', … */
  readonly parameters: string[];
  readonly start1: number[];
  readonly start2: number[];
  readonly certified: number[];
  readonly certifiedStdDev: number[];
  readonly residualSumOfSquares: number;
  readonly residualStdDev: number;
  readonly degreesOfFreedom: number;
  readonly observations: number;
  /** The predictors, one column per predictor: x[0] is x (or x1), x[1] is x2 (Nelson). */
  readonly x: Float64Array[];
  /** The response, as in the file (Nelson's model is for log y; the file holds y). */
  readonly y: Float64Array;
  readonly difficulty: NistDifficulty;
}

// ---------------------------------------------------------------------------------------------
// Parser

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses one StRD nonlinear regression .dat file; `name` (e.g. 'Misra1a.dat') labels errors. */
export function parseNistStrd(text: string, name?: string): NistData {
  if (typeof text !== 'string') throw new DescentError(`parseNistStrd: expected the file's text, got ${typeof text}`);
  const lines = text.split(/\r\n|\r|\n/);
  // A final line end does not start another line.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const count = lines.length;
  const line = (k: number): string => lines[k - 1] ?? '';

  const nameMatch = /^\s*Dataset Name:\s*(\S+)/.exec(line(2));
  const file = name ?? (nameMatch ? nameMatch[1] : 'NIST StRD text');
  const fail = (k: number | null, message: string): never => {
    throw new DescentError(`parseNistStrd(${file})${k === null ? '' : `: line ${k}`}: ${message}`);
  };
  if (!nameMatch) fail(2, `expected "Dataset Name:  <name>", got ${quote(line(2))}`);
  const datasetName = nameMatch![1];

  // Where a labelled header entry is; the entries are searched for rather than assumed at a fixed line.
  const find = (re: RegExp, from: number, to: number): number => {
    for (let k = from; k <= Math.min(to, count); k++) if (re.test(line(k))) return k;
    return 0;
  };
  const need = (re: RegExp, what: string, from: number, to: number): number => {
    const k = find(re, from, to);
    if (!k) fail(null, `no ${what} in lines ${from} to ${Math.min(to, count)}`);
    return k;
  };
  const range = (label: string): [number, number] => {
    const re = new RegExp(`^\\s*(?:File Format:.*?)?${label}\\s*\\(lines\\s+(\\d+)\\s+to\\s+(\\d+)\\s*\\)`, 'i');
    const k = need(re, `"${label} (lines A to B)" entry in the File Format header`, 1, 20);
    const m = re.exec(line(k))!;
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a < 1 || b < a) fail(k, `bad line range ${a} to ${b}`);
    return [a, b];
  };
  const [startFrom, startTo] = range('Starting Values');
  const [certFrom, certTo] = range('Certified Values');
  const [dataFrom, dataTo] = range('Data');
  const headerEnd = Math.min(startFrom, certFrom) - 1;

  const procedure = need(/^\s*Procedure:/, '"Procedure:" line', 1, headerEnd);
  if (!/Nonlinear Least Squares Regression/i.test(line(procedure))) {
    fail(procedure, `not a nonlinear regression file: ${quote(line(procedure))}`);
  }
  const descLine = need(/^\s*Description:/, '"Description:" line', 1, headerEnd);
  const refLine = need(/^\s*Reference:/, '"Reference:" line', descLine + 1, headerEnd);
  const dataHead = need(/^\s*Data:\s+\d+\s+Response/i, '"Data:  1 Response …" block', refLine + 1, headerEnd);
  const modelHead = need(/^\s*Model:/, '"Model:" block', dataHead + 1, headerEnd);
  const tableHead = need(/Starting\s+values/i, '"Starting values … Certified Values" table heading', modelHead + 1, headerEnd);
  const description = block(lines, descLine, refLine, 'Description:');
  const reference = block(lines, refLine, dataHead, 'Reference:');

  // The Data block: predictors, observations, difficulty.
  const predLine = need(/\b\d+\s+Predictors?\b/i, '"k Predictor(s)" entry', dataHead, modelHead - 1);
  const predictors = Number(/\b(\d+)\s+Predictors?\b/i.exec(line(predLine))![1]);
  if (predictors < 1) fail(predLine, `expected at least 1 predictor, got ${predictors}`);
  const obsLine = need(/^\s*\d+\s+Observations\b/i, '"N Observations" entry', dataHead, modelHead - 1);
  const observations = Number(/(\d+)\s+Observations/i.exec(line(obsLine))![1]);
  const diffLine = need(/\b(Lower|Average|Higher)\s+Level\s+of\s+Difficulty/i, '"<Lower|Average|Higher> Level of Difficulty" entry', dataHead, modelHead - 1);
  const d = /\b(Lower|Average|Higher)\s+Level/i.exec(line(diffLine))![1].toLowerCase();
  const difficulty = (d[0].toUpperCase() + d.slice(1)) as NistDifficulty;

  // The Model block: parameter count, then the formula up to the table heading.
  const parLine = need(/\b\d+\s+Parameters?\b/i, '"p Parameters (b1 to bp)" entry', modelHead, tableHead - 1);
  const p = Number(/\b(\d+)\s+Parameters?\b/i.exec(line(parLine))![1]);
  const formula: string[] = [];
  for (let k = parLine + 1; k < tableHead; k++) if (line(k).trim() !== '') formula.push(line(k).trimEnd());
  if (formula.length === 0) fail(parLine + 1, 'no model formula after the parameter count');
  const indent = Math.min(...formula.map((s) => s.length - s.trimStart().length));
  const model = formula.map((s) => s.slice(indent)).join('\n');

  // Starting and certified values.
  if (certFrom !== startFrom) fail(null, `the starting values (line ${startFrom}) and certified values (line ${certFrom}) should share their first line`);
  if (startTo - startFrom + 1 !== p) fail(parLine, `${p} parameters, but the starting values take lines ${startFrom} to ${startTo}`);
  if (certTo <= startTo) fail(null, `the certified values (lines ${certFrom} to ${certTo}) must extend past the parameters (lines ${startFrom} to ${startTo})`);
  if (dataFrom <= certTo) fail(null, `the data (from line ${dataFrom}) must follow the certified values (to line ${certTo})`);
  if (certTo > count) fail(count, `the file ends at line ${count}; the certified values run to line ${certTo}`);
  const parameters: string[] = [];
  const start1: number[] = [];
  const start2: number[] = [];
  const certified: number[] = [];
  const certifiedStdDev: number[] = [];
  for (let k = startFrom; k <= startTo; k++) {
    const j = k - startFrom + 1;
    const m = /^\s*(b\d+)\s*=(.*)$/.exec(line(k));
    if (!m || m[1] !== `b${j}`) fail(k, `expected "b${j} = start1 start2 certified stddev", got ${quote(line(k))}`);
    const v = numbers(m![2], 4, k, `b${j}: start 1, start 2, certified value, standard deviation`, fail);
    parameters.push(m![1]);
    start1.push(v[0]);
    start2.push(v[1]);
    certified.push(v[2]);
    certifiedStdDev.push(v[3]);
  }
  const statistic = (label: string): [number, number] => {
    const re = new RegExp(`^\\s*${label}:(.*)$`, 'i');
    const k = find(re, startTo + 1, certTo);
    if (!k) fail(null, `no "${label}:" in the certified values (lines ${startTo + 1} to ${certTo})`);
    return [numbers(re.exec(line(k))![1], 1, k, label, fail)[0], k];
  };
  const [residualSumOfSquares] = statistic('Residual Sum of Squares');
  const [residualStdDev] = statistic('Residual Standard Deviation');
  // Not checked against observations − parameters: Rat43.dat prints 9 for 15 − 4 = 11 (its
  // residual standard deviation, √(RSS/11), shows 11 is meant); degreesOfFreedom is as printed.
  const [degreesOfFreedom] = statistic('Degrees of Freedom');
  const [nObs, nObsLine] = statistic('Number of Observations');
  if (nObs !== observations) fail(nObsLine, `Number of Observations ${nObs} differs from the ${observations} Observations of line ${obsLine}`);

  // The data.
  if (dataTo - dataFrom + 1 !== observations) fail(obsLine, `${observations} observations, but the data take lines ${dataFrom} to ${dataTo}`);
  if (dataTo > count) fail(count, `the file ends at line ${count}; the data run to line ${dataTo} (truncated?)`);
  const y = new Float64Array(observations);
  const x = Array.from({ length: predictors }, () => new Float64Array(observations));
  const columns = predictors === 1 ? 'y x' : `y ${x.map((_, c) => `x${c + 1}`).join(' ')}`;
  for (let k = dataFrom; k <= dataTo; k++) {
    const v = numbers(line(k), predictors + 1, k, columns, fail);
    const i = k - dataFrom;
    y[i] = v[0];
    for (let c = 0; c < predictors; c++) x[c][i] = v[c + 1];
  }
  for (let k = dataTo + 1; k <= count; k++) {
    if (line(k).trim() !== '') fail(k, `text after the data (which end at line ${dataTo}): ${quote(line(k))}`);
  }

  return {
    name: datasetName,
    description,
    reference,
    model,
    parameters,
    start1,
    start2,
    certified,
    certifiedStdDev,
    residualSumOfSquares,
    residualStdDev,
    degreesOfFreedom,
    observations,
    x,
    y,
    difficulty,
  };
}

function quote(s: string): string {
  const t = s.trim();
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}...` : t);
}

/** Exactly `n` whitespace-separated finite numbers, or a DescentError naming line k. */
function numbers(s: string, n: number, k: number, what: string, fail: (k: number, m: string) => never): number[] {
  const fields = s.trim() === '' ? [] : s.trim().split(/\s+/);
  if (fields.length !== n) fail(k, `expected ${n} number${n === 1 ? '' : 's'} (${what}), got ${fields.length}: ${quote(s)}`);
  return fields.map((f) => {
    const v = Number(f);
    if (!NUMBER.test(f) || !Number.isFinite(v)) fail(k, `not a number: ${JSON.stringify(f)} (${what})`);
    return v;
  });
}

/** The text of a "Label:" block from line `from` up to (not including) line `to`, one line per line. */
function block(lines: string[], from: number, to: number, label: string): string {
  const out: string[] = [];
  for (let k = from; k < to; k++) {
    const s = (k === from ? lines[k - 1].replace(label, '') : lines[k - 1]).trim();
    if (s !== '') out.push(s);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Models: f(b; x) and ∂f/∂b, written from each file's formula. x holds one observation's
// predictors (x[0]; Nelson: x[0] = x1, x[1] = x2). b is 0-based here: b[0] is NIST's b1.

export interface NistModel {
  /** Number of parameters. */
  readonly n: number;
  /** Number of predictors. */
  readonly predictors: number;
  /** What the model predicts: y, or log y (Nelson). */
  readonly response: 'y' | 'log(y)';
  /** f(b; x) at one observation. */
  f(b: Float64Array, x: Float64Array): number;
  /** g ← ∂f/∂b at (b; x), length n; returns f(b; x). */
  gradient(b: Float64Array, x: Float64Array, g: Float64Array): number;
}

type Grad = (b: Float64Array, x: Float64Array, g: Float64Array) => number;

// Scratch for f(), which runs the gradient code and drops the gradient.
const SCRATCH = new Float64Array(16);
/** A model from its gradient function alone (which also returns f). */
function model(n: number, gradient: Grad, extra: Partial<Pick<NistModel, 'predictors' | 'response'>> = {}): NistModel {
  return {
    n,
    predictors: extra.predictors ?? 1,
    response: extra.response ?? 'y',
    f: (b, x) => gradient(b, x, SCRATCH),
    gradient,
  };
}

// y = b1·(1 − exp(−b2·x))   (Misra1a, BoxBOD)
const saturating: Grad = (b, x, g) => {
  const e = Math.exp(-b[1] * x[0]);
  const s = -Math.expm1(-b[1] * x[0]);
  g[0] = s;
  g[1] = b[0] * x[0] * e;
  return b[0] * s;
};

// y = exp(−b1·x)/(b2 + b3·x)   (Chwirut1, Chwirut2)
const chwirut: Grad = (b, x, g) => {
  const t = x[0];
  const d = b[1] + b[2] * t;
  const f = Math.exp(-b[0] * t) / d;
  g[0] = -t * f;
  g[1] = -f / d;
  g[2] = (-t * f) / d;
  return f;
};

// y = b1·exp(−b2·x) + b3·exp(−b4·x) + b5·exp(−b6·x)   (Lanczos1–3)
const lanczos: Grad = (b, x, g) => {
  const t = x[0];
  let f = 0;
  for (let k = 0; k < 6; k += 2) {
    const e = Math.exp(-b[k + 1] * t);
    g[k] = e;
    g[k + 1] = -t * b[k] * e;
    f += b[k] * e;
  }
  return f;
};

// y = b1·exp(−b2·x) + b3·exp(−(x − b4)²/b5²) + b6·exp(−(x − b7)²/b8²)   (Gauss1–3)
const gauss: Grad = (b, x, g) => {
  const t = x[0];
  const e = Math.exp(-b[1] * t);
  g[0] = e;
  g[1] = -t * b[0] * e;
  let f = b[0] * e;
  for (let k = 2; k < 8; k += 3) {
    const u = t - b[k + 1];
    const w = b[k + 2];
    const p = Math.exp(-(u * u) / (w * w));
    g[k] = p;
    g[k + 1] = (b[k] * p * 2 * u) / (w * w);
    g[k + 2] = (b[k] * p * 2 * u * u) / (w * w * w);
    f += b[k] * p;
  }
  return f;
};

// y = (b1 + b2·x + … + b_{a+1}·x^a) / (1 + b_{a+2}·x + … + b_{a+d+1}·x^d)   (Kirby2, Hahn1, Thurber)
function rational(a: number, d: number): Grad {
  return (b, x, g) => {
    const t = x[0];
    let num = 0;
    let den = 1;
    let pw = 1;
    for (let k = 0; k <= a; k++, pw *= t) num += b[k] * pw;
    pw = t;
    for (let k = 0; k < d; k++, pw *= t) den += b[a + 1 + k] * pw;
    const f = num / den;
    pw = 1;
    for (let k = 0; k <= a; k++, pw *= t) g[k] = pw / den;
    pw = t;
    for (let k = 0; k < d; k++, pw *= t) g[a + 1 + k] = (-f * pw) / den;
    return f;
  };
}

export const NIST_MODELS = {
  // Lower difficulty
  // y = b1·(1 − exp(−b2·x))
  Misra1a: model(2, saturating),
  Chwirut2: model(3, chwirut),
  Chwirut1: model(3, chwirut),
  Lanczos3: model(6, lanczos),
  Gauss1: model(8, gauss),
  Gauss2: model(8, gauss),
  // y = b1·x^b2
  DanWood: model(2, (b, x, g) => {
    const p = Math.pow(x[0], b[1]);
    g[0] = p;
    g[1] = b[0] * p * Math.log(x[0]);
    return b[0] * p;
  }),
  // y = b1·(1 − (1 + b2·x/2)^−2)
  Misra1b: model(2, (b, x, g) => {
    const u = 1 + (b[1] * x[0]) / 2;
    const s = 1 - 1 / (u * u);
    g[0] = s;
    g[1] = (b[0] * x[0]) / (u * u * u);
    return b[0] * s;
  }),
  // Average difficulty
  // y = (b1 + b2·x + b3·x²) / (1 + b4·x + b5·x²)
  Kirby2: model(5, rational(2, 2)),
  // y = (b1 + b2·x + b3·x² + b4·x³) / (1 + b5·x + b6·x² + b7·x³)
  Hahn1: model(7, rational(3, 3)),
  // log y = b1 − b2·x1·exp(−b3·x2)
  Nelson: model(
    3,
    (b, x, g) => {
      const e = Math.exp(-b[2] * x[1]);
      g[0] = 1;
      g[1] = -x[0] * e;
      g[2] = b[1] * x[0] * x[1] * e;
      return b[0] - b[1] * x[0] * e;
    },
    { predictors: 2, response: 'log(y)' },
  ),
  // y = b1 + b2·exp(−x·b4) + b3·exp(−x·b5)
  MGH17: model(5, (b, x, g) => {
    const t = x[0];
    const e4 = Math.exp(-t * b[3]);
    const e5 = Math.exp(-t * b[4]);
    g[0] = 1;
    g[1] = e4;
    g[2] = e5;
    g[3] = -t * b[1] * e4;
    g[4] = -t * b[2] * e5;
    return b[0] + b[1] * e4 + b[2] * e5;
  }),
  Lanczos1: model(6, lanczos),
  Lanczos2: model(6, lanczos),
  Gauss3: model(8, gauss),
  // y = b1·(1 − (1 + 2·b2·x)^−½)
  Misra1c: model(2, (b, x, g) => {
    const u = 1 + 2 * b[1] * x[0];
    const r = 1 / Math.sqrt(u);
    g[0] = 1 - r;
    g[1] = (b[0] * x[0] * r) / u;
    return b[0] * (1 - r);
  }),
  // y = b1·b2·x·(1 + b2·x)^−1
  Misra1d: model(2, (b, x, g) => {
    const u = 1 + b[1] * x[0];
    g[0] = (b[1] * x[0]) / u;
    g[1] = (b[0] * x[0]) / (u * u);
    return (b[0] * b[1] * x[0]) / u;
  }),
  // y = b1 − b2·x − arctan(b3/(x − b4))/π, principal arctan
  Roszman1: model(4, (b, x, g) => {
    const u = x[0] - b[3];
    const s = u * u + b[2] * b[2];
    g[0] = 1;
    g[1] = -x[0];
    g[2] = -u / (Math.PI * s);
    g[3] = -b[2] / (Math.PI * s);
    return b[0] - b[1] * x[0] - Math.atan(b[2] / u) / Math.PI;
  }),
  // y = b1 + b2·cos(2πx/12) + b3·sin(2πx/12) + b5·cos(2πx/b4) + b6·sin(2πx/b4)
  //        + b8·cos(2πx/b7) + b9·sin(2πx/b7)
  ENSO: model(9, (b, x, g) => {
    const w = 2 * Math.PI * x[0];
    const a = w / 12;
    g[0] = 1;
    g[1] = Math.cos(a);
    g[2] = Math.sin(a);
    let f = b[0] + b[1] * g[1] + b[2] * g[2];
    for (let k = 3; k < 9; k += 3) {
      const th = w / b[k]; // ∂θ/∂b_k = −θ/b_k
      const c = Math.cos(th);
      const s = Math.sin(th);
      g[k] = ((b[k + 1] * s - b[k + 2] * c) * th) / b[k];
      g[k + 1] = c;
      g[k + 2] = s;
      f += b[k + 1] * c + b[k + 2] * s;
    }
    return f;
  }),
  // Higher difficulty
  // y = b1·(x² + x·b2) / (x² + x·b3 + b4)
  MGH09: model(4, (b, x, g) => {
    const t = x[0];
    const num = t * t + t * b[1];
    const den = t * t + t * b[2] + b[3];
    const f = (b[0] * num) / den;
    g[0] = num / den;
    g[1] = (b[0] * t) / den;
    g[2] = (-f * t) / den;
    g[3] = -f / den;
    return f;
  }),
  // y = (b1 + b2·x + b3·x² + b4·x³) / (1 + b5·x + b6·x² + b7·x³)
  Thurber: model(7, rational(3, 3)),
  BoxBOD: model(2, saturating), // Misra1a's model
  // y = b1 / (1 + exp(b2 − b3·x))
  Rat42: model(3, (b, x, g) => {
    const e = Math.exp(b[1] - b[2] * x[0]);
    const u = 1 + e;
    g[0] = 1 / u;
    g[1] = (-b[0] * e) / (u * u);
    g[2] = (b[0] * x[0] * e) / (u * u);
    return b[0] / u;
  }),
  // y = b1·exp(b2/(x + b3))
  MGH10: model(3, (b, x, g) => {
    const u = x[0] + b[2];
    const e = Math.exp(b[1] / u);
    g[0] = e;
    g[1] = (b[0] * e) / u;
    g[2] = (-b[0] * e * b[1]) / (u * u);
    return b[0] * e;
  }),
  // y = (b1/b2)·exp(−½·((x − b3)/b2)²)
  Eckerle4: model(3, (b, x, g) => {
    const t = (x[0] - b[2]) / b[1];
    const e = Math.exp(-0.5 * t * t);
    const f = (b[0] / b[1]) * e;
    g[0] = e / b[1];
    g[1] = (f * (t * t - 1)) / b[1];
    g[2] = (f * t) / b[1];
    return f;
  }),
  // y = b1 / (1 + exp(b2 − b3·x))^(1/b4)
  Rat43: model(4, (b, x, g) => {
    const z = b[1] - b[2] * x[0];
    const e = Math.exp(z);
    const lu = Math.log1p(e); // ln u, u = 1 + e^z
    const p = Math.exp(-lu / b[3]); // u^(−1/b4)
    const f = b[0] * p;
    const q = e / (1 + e) / b[3]; // e^z/(b4·u)
    g[0] = p;
    g[1] = -f * q;
    g[2] = f * q * x[0];
    g[3] = (f * lu) / (b[3] * b[3]);
    return f;
  }),
  // y = b1·(b2 + x)^(−1/b3)
  Bennett5: model(3, (b, x, g) => {
    const u = b[1] + x[0];
    const lu = Math.log(u);
    const p = Math.exp(-lu / b[2]);
    const f = b[0] * p;
    g[0] = p;
    g[1] = -f / (b[2] * u);
    g[2] = (f * lu) / (b[2] * b[2]);
    return f;
  }),
} as const satisfies Record<string, NistModel>;

export type NistName = keyof typeof NIST_MODELS;

/** The 27 data set names in the StRD site's order: Lower, Average, then Higher difficulty. */
export const NIST_NAMES = Object.keys(NIST_MODELS) as NistName[];

function lookup(name: string): NistModel {
  if (!Object.prototype.hasOwnProperty.call(NIST_MODELS, name)) {
    throw new DescentError(`nistProblem: no model for data set "${name}" (known: ${NIST_NAMES.join(', ')})`);
  }
  return NIST_MODELS[name as NistName];
}

// ---------------------------------------------------------------------------------------------
// Problems

/** The least-squares problem of a parsed data set, from start 1 or 2; fStar, xStar are certified. */
export function nistProblem(data: NistData, start: 1 | 2): Problem {
  const mod = lookup(data.name);
  const what = `nistProblem(${data.name})`;
  const n = mod.n;
  const m = data.observations;
  if (start !== 1 && start !== 2) throw new DescentError(`${what}: start must be 1 or 2, got ${show(start)}`);
  if (data.parameters.length !== n) throw new DescentError(`${what}: the model has ${n} parameters, the data ${data.parameters.length}`);
  if (data.x.length !== mod.predictors) throw new DescentError(`${what}: the model takes ${mod.predictors} predictor(s), the data have ${data.x.length}`);
  if (data.y.length !== m || data.x.some((c) => c.length !== m)) throw new DescentError(`${what}: expected ${m} observations in x and y`);

  // Observation rows (predictor values side by side) and the response the model predicts.
  const rowData = new Float64Array(m * mod.predictors);
  const rows: Float64Array[] = [];
  for (let i = 0; i < m; i++) {
    const row = rowData.subarray(i * mod.predictors, (i + 1) * mod.predictors);
    for (let c = 0; c < mod.predictors; c++) row[c] = data.x[c][i];
    rows.push(row);
  }
  const response = Float64Array.from(data.y, mod.response === 'log(y)' ? Math.log : (v) => v);
  const df = new Float64Array(n);

  const check = (b: Float64Array, len: number, out: Float64Array | null, method: string): void => {
    if (b.length !== n) throw new DescentError(`${what}.${method}: x has length ${b.length}, expected ${n}`);
    if (out && out.length < len) throw new DescentError(`${what}.${method}: output has length ${out.length}, expected ${len}`);
  };
  const valueAndGradient = (b: Float64Array, g: Float64Array): number => {
    check(b, n, g, 'valueAndGradient');
    g.fill(0, 0, n);
    let f = 0;
    for (let i = 0; i < m; i++) {
      const r = response[i] - mod.gradient(b, rows[i], df);
      f += r * r;
      for (let j = 0; j < n; j++) g[j] -= 2 * r * df[j]; // 2·Jᵀr with J = −∂f/∂b
    }
    return f;
  };
  const objective: Objective = {
    n,
    m,
    value(b) {
      check(b, 0, null, 'value');
      let f = 0;
      for (let i = 0; i < m; i++) {
        const r = response[i] - mod.f(b, rows[i]);
        f += r * r;
      }
      return f;
    },
    gradient(b, g) {
      valueAndGradient(b, g);
    },
    valueAndGradient,
    residuals(b, r) {
      check(b, m, r, 'residuals');
      for (let i = 0; i < m; i++) r[i] = response[i] - mod.f(b, rows[i]);
    },
    jacobian(b, J) {
      check(b, m * n, J, 'jacobian');
      for (let i = 0; i < m; i++) {
        mod.gradient(b, rows[i], df);
        for (let j = 0; j < n; j++) J[i * n + j] = -df[j];
      }
    },
  };
  const first = data.model.split('\n')[0];
  return {
    name: `nist-${data.name.toLowerCase()}-start${start}`,
    source: `NIST StRD nonlinear regression ${data.name} (${data.difficulty} difficulty, start ${start}): ${first}${data.model.includes('\n') ? ' …' : ''}; https://www.itl.nist.gov/div898/strd/`,
    objective,
    x0: Float64Array.from(start === 1 ? data.start1 : data.start2),
    fStar: data.residualSumOfSquares,
    xStar: Float64Array.from(data.certified),
  };
}

/** The log relative error of `estimate` against `certified` given to `digits` digits (see the header). */
export function lre(estimate: number, certified: number, digits = 11): number {
  if (!Number.isFinite(estimate) || !Number.isFinite(certified)) return 0;
  const err = certified === 0 ? Math.abs(estimate) : Math.abs(estimate - certified) / Math.abs(certified);
  if (err === 0) return digits;
  const v = -Math.log10(err);
  return v <= 0 ? 0 : Math.min(v, digits);
}
