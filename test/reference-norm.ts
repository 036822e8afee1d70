// Float64 references for the normalization and dropout kernels (assembly/nn/batchnorm.ts,
// layernorm.ts, dropout.ts), written from the textbook formulas (not from the kernels), central
// finite differences of them, and a BigInt Philox-2x32-10 for the dropout masks.

export const EPS32 = 2 ** -24;

export interface NormForward {
  y: Float64Array;
  xhat: Float64Array;
  /** per feature (batch norm) or per row (layer norm) */
  mean: Float64Array;
  /** biased variance */
  variance: Float64Array;
  invstd: Float64Array;
}

/** Batch norm in training mode over the n rows of x (n×c): batch statistics, biased variance. */
export function bnTrainF64(n: number, c: number, x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): NormForward {
  const y = new Float64Array(n * c), xhat = new Float64Array(n * c);
  const mean = new Float64Array(c), variance = new Float64Array(c), invstd = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * c + j];
    const mu = s / n;
    let q = 0;
    for (let i = 0; i < n; i++) q += (x[i * c + j] - mu) ** 2;
    mean[j] = mu;
    variance[j] = q / n;
    invstd[j] = 1 / Math.sqrt(q / n + eps);
    for (let i = 0; i < n; i++) {
      xhat[i * c + j] = (x[i * c + j] - mu) * invstd[j];
      y[i * c + j] = gamma[j] * xhat[i * c + j] + beta[j];
    }
  }
  return { y, xhat, mean, variance, invstd };
}

/** Batch norm in inference mode: running statistics. */
export function bnEvalF64(n: number, c: number, x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>,
  runMean: ArrayLike<number>, runVar: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) y[i * c + j] = (gamma[j] * (x[i * c + j] - runMean[j])) / Math.sqrt(runVar[j] + eps) + beta[j];
  }
  return y;
}

/** Layer norm of each row of x (n×c). The statistics are per row: mean/variance/invstd have n entries. */
export function lnF64(n: number, c: number, x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): NormForward {
  const y = new Float64Array(n * c), xhat = new Float64Array(n * c);
  const mean = new Float64Array(n), variance = new Float64Array(n), invstd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += x[i * c + j];
    const mu = s / c;
    let q = 0;
    for (let j = 0; j < c; j++) q += (x[i * c + j] - mu) ** 2;
    mean[i] = mu;
    variance[i] = q / c;
    invstd[i] = 1 / Math.sqrt(q / c + eps);
    for (let j = 0; j < c; j++) {
      xhat[i * c + j] = (x[i * c + j] - mu) * invstd[i];
      y[i * c + j] = gamma[j] * xhat[i * c + j] + beta[j];
    }
  }
  return { y, xhat, mean, variance, invstd };
}

export interface NormGrad { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array }

/** The analytic batch-norm backward (training mode), from x, in f64. */
export function bnBackwardF64(n: number, c: number, x: ArrayLike<number>, dy: ArrayLike<number>, gamma: ArrayLike<number>, eps: number): NormGrad {
  const { xhat, invstd } = bnTrainF64(n, c, x, gamma, new Float64Array(c), eps);
  const dx = new Float64Array(n * c), dgamma = new Float64Array(c), dbeta = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    let sdy = 0, sdx = 0;
    for (let i = 0; i < n; i++) { sdy += dy[i * c + j]; sdx += dy[i * c + j] * xhat[i * c + j]; }
    dgamma[j] = sdx;
    dbeta[j] = sdy;
    for (let i = 0; i < n; i++) dx[i * c + j] = ((gamma[j] * invstd[j]) / n) * (n * dy[i * c + j] - sdy - xhat[i * c + j] * sdx);
  }
  return { dx, dgamma, dbeta };
}

/** The analytic layer-norm backward, from x, in f64. */
export function lnBackwardF64(n: number, c: number, x: ArrayLike<number>, dy: ArrayLike<number>, gamma: ArrayLike<number>, eps: number): NormGrad {
  const { xhat, invstd } = lnF64(n, c, x, gamma, new Float64Array(c), eps);
  const dx = new Float64Array(n * c), dgamma = new Float64Array(c), dbeta = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    let sg = 0, sgx = 0;
    for (let j = 0; j < c; j++) {
      const g = dy[i * c + j] * gamma[j];
      sg += g;
      sgx += g * xhat[i * c + j];
      dgamma[j] += dy[i * c + j] * xhat[i * c + j];
      dbeta[j] += dy[i * c + j];
    }
    for (let j = 0; j < c; j++) dx[i * c + j] = (invstd[i] / c) * (c * dy[i * c + j] * gamma[j] - sg - xhat[i * c + j] * sgx);
  }
  return { dx, dgamma, dbeta };
}

/**
 * Central differences of L = Σ dy ⊙ y(x, γ, β) with respect to every entry of x, γ and β:
 * (L(v + h) − L(v − h))/2h with h = 1e-5·max(1, |v|). In f64 the truncation error is
 * O(h²·|L'''|) ≈ 1e-10 and the rounding error ~1e-16·|L|/h ≈ 1e-11·|L|.
 */
export function numericNormGrad(forward: (x: Float64Array, g: Float64Array, b: Float64Array) => Float64Array,
  x: Float64Array, gamma: Float64Array, beta: Float64Array, dy: ArrayLike<number>): NormGrad {
  const L = () => { const y = forward(x, gamma, beta); let s = 0; for (let i = 0; i < y.length; i++) s += dy[i] * y[i]; return s; };
  const diff = (v: Float64Array) => {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const t = v[i], h = 1e-5 * Math.max(1, Math.abs(t));
      v[i] = t + h; const up = L();
      v[i] = t - h; const down = L();
      v[i] = t;
      out[i] = (up - down) / (2 * h);
    }
    return out;
  };
  return { dx: diff(x), dgamma: diff(gamma), dbeta: diff(beta) };
}

// ---- Philox-2x32-10 and dropout masks ----

const M = 0xd256d193n, W = 0x9e3779b9n, MASK32 = 0xffffffffn;

/** Philox-2x32-10 of the counter (c0, c1) under key: [x0, x1] (Salmon et al. 2011). */
export function philox2x32(c0: number, c1: number, key: number): [number, number] {
  let a = BigInt(c0 >>> 0), b = BigInt(c1 >>> 0), k = BigInt(key >>> 0);
  for (let r = 0; r < 10; r++) {
    const prod = M * a;
    a = ((prod >> 32n) ^ k ^ b) & MASK32;
    b = prod & MASK32;
    k = (k + W) & MASK32;
  }
  return [Number(a), Number(b)];
}

/** The dropout mask of elements offset … offset + n − 1: 1/(1 − rate) (in f32) or 0. */
export function dropoutMaskRef(n: number, rate: number, seed: number, counter: number, offset: number): Float32Array {
  const thr = Math.floor(rate * 2 ** 32);
  const scale = Math.fround(1 / (1 - rate));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = offset + i;
    const w = philox2x32(Math.floor(k / 2), counter, seed)[k % 2];
    out[i] = w >= thr ? scale : 0;
  }
  return out;
}
