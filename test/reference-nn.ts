// Scalar float64 references for the neural-network kernels (assembly/nn/), the analytic and
// finite-difference derivatives the tests compare them with, and honest error bounds.
//
// Conventions: ε = 2^-24 is the unit roundoff of f32 (half an ulp of 1); ulp32(w) is the spacing
// of f32 numbers at w. Every bound below is a count of f32 roundings (each at most ε relative)
// plus the propagation of errors that are already in the inputs, written out next to the code.

export const EPS32 = 2 ** -24;
export const EPS64 = 2 ** -53;
const f = Math.fround;

export const ACT = { linear: 0, sigmoid: 1, tanh: 2, relu: 3, leaky: 4, elu: 5, softsign: 6 } as const;
export type ActName = keyof typeof ACT;
export const ACT_NAMES = Object.keys(ACT) as ActName[];

const dv = new DataView(new ArrayBuffer(4));
/** Spacing of f32 numbers at |w| (2^-149 below the normal range). */
export function ulp32(w: number): number {
  dv.setFloat32(0, Math.abs(w));
  const e = (dv.getUint32(0) >>> 23) & 0xff;
  return e === 0 ? 2 ** -149 : 2 ** (e - 150);
}

/** Distance in f32 ulps of w (Infinity when one is NaN and the other is not). */
export function ulpError(got: number, want: number): number {
  if (Number.isNaN(got) || Number.isNaN(want)) return Number.isNaN(got) && Number.isNaN(want) ? 0 : Infinity;
  if (got === want) return 0;
  return Math.abs(got - want) / ulp32(want);
}

// ---- activations ----

/** f(z) in f64. alpha is rounded to f32 as the kernels receive it. */
export function actF64(kind: ActName, z: number, alpha = 0): number {
  const a = f(alpha);
  switch (kind) {
    case 'linear': return z;
    case 'sigmoid': return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    case 'tanh': return Math.tanh(z);
    case 'relu': return z > 0 ? z : 0;
    case 'leaky': return z > 0 ? z : a * z;
    case 'elu': return z > 0 ? z : a * Math.expm1(z);
    case 'softsign': return Number.isFinite(z) ? z / (1 + Math.abs(z)) : Math.sign(z);
  }
}

/** f'(z) in f64, from z (undefined at the kinks of relu/leaky; the tests avoid z = 0 there). */
export function actDerivF64(kind: ActName, z: number, alpha = 0): number {
  const a = f(alpha);
  switch (kind) {
    case 'linear': return 1;
    case 'sigmoid': { const s = actF64('sigmoid', z); return s * actF64('sigmoid', -z); }
    case 'tanh': {
      // 1 − tanh² = 4e^{−2|z|}/(1 + e^{−2|z|})², accurate for large |z| too
      const e = Math.exp(-2 * Math.abs(z));
      return (4 * e) / ((1 + e) * (1 + e));
    }
    case 'relu': return z > 0 ? 1 : 0;
    case 'leaky': return z > 0 ? 1 : a;
    case 'elu': return z > 0 ? 1 : a * Math.exp(z);
    case 'softsign': return 1 / ((1 + Math.abs(z)) * (1 + Math.abs(z)));
  }
}

/**
 * f'(z) written in terms of y = f(z), the formula the backward kernel uses, in f64. Except elu,
 * whose kernel takes z since issue #17 (α·e^z): its case here is the old y + α, kept for the
 * record; the tests use actDerivF64 for it.
 */
export function actDerivFromY(kind: ActName, y: number, alpha = 0): number {
  const a = f(alpha);
  switch (kind) {
    case 'linear': return 1;
    case 'sigmoid': return y * (1 - y);
    case 'tanh': return (1 - y) * (1 + y);
    case 'relu': return y > 0 ? 1 : 0;
    case 'leaky': return y > 0 ? 1 : a;
    case 'elu': return y > 0 ? 1 : y + a;
    case 'softsign': return (1 - Math.abs(y)) * (1 - Math.abs(y));
  }
}

/** Bound on |d(f' as a function of y)/dy|: how an error in y moves the backward result. */
export function derivLipschitzInY(kind: ActName): number {
  switch (kind) {
    case 'sigmoid': return 1; // |1 − 2y|, y ∈ [0, 1]
    case 'tanh': return 2; // |−2y|, y ∈ [−1, 1]
    case 'softsign': return 2; // 2(1 − |y|)
    default: return 0; // piecewise constant in y
  }
}

/**
 * Rounding count of the backward kernel given its input y exactly: the products and the
 * differences it forms. sigmoid dy·(y·(1−y)): 1−y (1), y·(…) (1), dy·(…) (1); tanh
 * dy·((1−y)(1+y)): 4; softsign dy·(d·d), d = 1−|y|: 3; leaky dy·α: 1; relu and linear are
 * exact. elu, given z: dy·(α·e^z), the SIMD e^z (≤ 3 ulps, nn/math.ts) and 2 products: 5; and
 * below e^−87.68 the SIMD exp flushes to 0 (backwardFlush).
 */
export function backwardRoundings(kind: ActName): number {
  return { linear: 0, sigmoid: 3, tanh: 4, relu: 0, leaky: 1, elu: 5, softsign: 3 }[kind];
}

/** Kinds whose backward kernel takes the pre-activation z rather than the output y. */
export function backwardFromZ(kind: ActName): boolean {
  return kind === 'elu';
}

/** Absolute error allowed where the backward's exact value is subnormal: elu's e^z flushes (|dy|·α·2^-126). */
export function backwardFlush(kind: ActName, dy: number, alpha: number): number {
  return kind === 'elu' ? Math.abs(dy) * Math.abs(alpha) * 2 ** -126 : 0;
}

/**
 * Bound on |f'''| near z (for the truncation error h²·|f'''|/6 of a central difference):
 * sigmoid |σ'''| ≤ 1/8, tanh |tanh'''| ≤ 2, elu α·e^z ≤ α (z < 0), softsign 6/(1+|z|)^4 ≤ 6,
 * the piecewise-linear kinds 0 away from their kink.
 */
export function actThirdDerivBound(kind: ActName, alpha = 0): number {
  return { linear: 0, sigmoid: 0.125, tanh: 2, relu: 0, leaky: 0, elu: Math.abs(alpha), softsign: 6 }[kind];
}

/** Kinds whose f (or f'') is not smooth at 0: central differences must not straddle 0. */
export function hasKinkAtZero(kind: ActName): boolean {
  return kind === 'relu' || kind === 'leaky' || kind === 'elu' || kind === 'softsign';
}

// ---- central differences ----

/**
 * (g(x+h) − g(x−h))/(2h) and a bound on its distance from g'(x): truncation h²·M3/6 plus the
 * f64 rounding of the two evaluations, 4·EPS64·(|g(x+h)| + |g(x−h)|)/(2h) (a few roundings in g
 * each, generously), plus the rounding of x ± h itself.
 */
export function centralDiff(g: (x: number) => number, x: number, h: number, m3: number): { value: number; bound: number } {
  const xp = x + h, xm = x - h;
  const gp = g(xp), gm = g(xm);
  const hh = (xp - xm) / 2; // the step actually taken
  const value = (gp - gm) / (2 * hh);
  const bound = (hh * hh * m3) / 6 + (8 * EPS64 * (Math.abs(gp) + Math.abs(gm))) / (2 * hh);
  return { value, bound };
}

// ---- softmax and cross-entropy ----

export interface SoftmaxRow {
  /** softmax probabilities */
  p: number[];
  /** logsumexp(z) − z[label] (NaN for an invalid label) */
  loss: number;
  /** per-probability error bound of an f32 computation (relative part, times p_j) */
  pBound: number[];
  /** bound on the error of the kernel's row loss */
  lossBound: number;
}

/**
 * Stable f64 softmax of one row and its cross-entropy; the bounds describe the kernel's f32
 * arithmetic: e_j = exp(fl(z_j − m)) carries the exp error (≤ 4ε; measured ≲ 2.5ε) plus
 * ε·|z_j − m| from rounding the argument; the f64 sums carry the weighted means of those
 * (errS over all terms, errO over the terms other than the maximum); p_j = e_j/fl(S) adds two
 * roundings. The row loss (m − z_l) + log1p(O), O = S − 1 = the sum of the other terms, adds ε
 * for O → f32 and ≤ 8ε for log1pf (Mathf.log ≤ 1 ulp plus Goldberg's correction); an error δ in
 * O moves log1p(O) by δ·O/(1 + O).
 */
export function softmaxRowF64(z: ArrayLike<number>, label = -1): SoftmaxRow {
  const n = z.length;
  let m = -Infinity, mi = 0;
  for (let j = 0; j < n; j++) if (z[j] > m) { m = z[j]; mi = j; }
  const e: number[] = [], errE: number[] = [];
  let others = 0, oErr = 0, s = 0, sErr = 0;
  for (let j = 0; j < n; j++) {
    const d = z[j] - m;
    e.push(Math.exp(d));
    errE.push(4 * EPS32 + EPS32 * Math.abs(d));
    if (j !== mi) { others += e[j]; oErr += e[j] * errE[j]; }
    s += e[j];
    sErr += e[j] * errE[j];
  }
  const errS = sErr / s + n * EPS64;
  const errO = others > 0 ? oErr / others + n * EPS64 : 0;
  const p = e.map((v) => v / s);
  const pBound = p.map((v, j) => v * (errE[j] + errS + 2 * EPS32));
  const valid = Number.isInteger(label) && label >= 0 && label < n;
  const l1 = Math.log1p(others);
  const loss = valid ? (m - z[label]) + l1 : NaN;
  const lossBound = 9 * EPS32 * l1 + errO * (others / (1 + others))
    + 4 * EPS64 * (Math.abs(m) + (valid ? Math.abs(z[label]) : 0) + l1) + 1e-300;
  return { p, loss, pBound, lossBound };
}

// ---- elementwise losses (one element; the kernels sum them) ----

export function mseTerm(y: number, t: number): number {
  return 0.5 * (y - t) * (y - t);
}

export function bceLogitsTerm(z: number, t: number): number {
  return Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
}

export function sigmoidF64(z: number): number {
  return actF64('sigmoid', z);
}

/** The kernel's clamp of p to [eps, 1 − eps], in f32. */
export function clampProb(p: number, eps: number): number {
  const lo = f(eps), hi = f(1 - f(eps));
  return Math.min(Math.max(p, lo), hi);
}

export function bceProbsTerm(p: number, t: number): number {
  return -(t * Math.log(p) + (1 - t) * Math.log1p(-p));
}

// ---- reductions ----

/** colSum with exactly the kernel's f32 roundings: rows summed in order from 0, then β·out + acc. */
export function colSumF32(rows: number, cols: number, x: Float32Array, out: Float32Array, beta: number): Float32Array {
  const r = Float32Array.from(out);
  for (let j = 0; j < cols; j++) {
    let acc = 0;
    for (let i = 0; i < rows; i++) acc = f(acc + x[i * cols + j]);
    r[j] = beta !== 0 ? f(f(f(beta) * out[j]) + acc) : acc;
  }
  return r;
}

/** Index of the first maximum of each row (−1 for an empty row). */
export function argmaxRowsRef(rows: number, cols: number, x: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    let bi = cols > 0 ? 0 : -1;
    for (let j = 1; j < cols; j++) if (x[i * cols + j] > x[i * cols + bi]) bi = j;
    out.push(bi);
  }
  return out;
}
