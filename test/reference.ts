// Scalar TypeScript references for the wasm kernels, and a seeded PRNG for test inputs.
//
// Two GEMM references:
//  - gemmF64: the product in f64 plus a rigorous error bound per element, to check any build;
//  - gemmF32Blocked: the plain-SIMD kernel's exact sequence of f32 roundings (one accumulator
//    per element, k in order, k split into the same balanced blocks as assembly/gemm/driver.ts,
//    write-back v = α·acc, v + β·C, v + bias), so the plain build must match it bit for bit.

export const F32_EPS = 2 ** -23;
const f = Math.fround;

/** mulberry32: a small, fast, seeded 32-bit generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n floats uniform in [-1, 1), rounded to f32. */
export function randomF32(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

export interface GemmCase {
  transA: boolean; transB: boolean;
  m: number; n: number; k: number;
  alpha: number; beta: number;
  A: Float32Array; B: Float32Array; C: Float32Array; bias?: Float32Array;
}

const at = (M: Float32Array, trans: boolean, rows: number, cols: number, i: number, j: number) =>
  trans ? M[j * rows + i] : M[i * cols + j];

/** f64 product and per-element error bound for an f32 computation of it. */
export function gemmF64(c: GemmCase): { value: Float64Array; bound: Float64Array } {
  const { m, n, k, alpha, beta, A, B, C, bias, transA, transB } = c;
  const value = new Float64Array(m * n), bound = new Float64Array(m * n);
  const gamma = (k + 4) * F32_EPS;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, sa = 0;
      if (alpha !== 0) {
        for (let p = 0; p < k; p++) {
          const t = at(A, transA, m, k, i, p) * at(B, transB, k, n, p, j);
          s += t; sa += Math.abs(t);
        }
      }
      const cv = beta !== 0 ? C[i * n + j] : 0;
      const b = bias ? bias[j] : 0;
      value[i * n + j] = alpha * s + beta * cv + b;
      bound[i * n + j] = gamma * (Math.abs(alpha) * sa + Math.abs(beta * cv) + Math.abs(b)) + 1e-37;
    }
  }
  return { value, bound };
}

function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** The kernel's k block size: at most kcMax (KC = 800 in assembly/gemm/driver.ts), balanced. */
export function kBlock(k: number, kcMax = 800): number {
  return ceilDiv(k, ceilDiv(k, kcMax));
}

/** Exactly the plain-SIMD kernel's f32 roundings (see the file header). */
export function gemmF32Blocked(c: GemmCase): Float32Array {
  const { m, n, k, alpha, beta, A, B, C, bias, transA, transB } = c;
  const out = Float32Array.from(C);
  const a32 = f(alpha);
  if (k === 0 || alpha === 0) {
    for (let i = 0; i < m * n; i++) {
      let v = beta !== 0 ? f(f(beta) * out[i]) : 0;
      if (bias) v = f(v + bias[i % n]);
      out[i] = v;
    }
    return out;
  }
  const kc = kBlock(k);
  for (let pc = 0; pc < k; pc += kc) {
    const kend = Math.min(k, pc + kc);
    const bt = pc === 0 ? f(beta) : 1;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = pc; p < kend; p++) acc = f(acc + f(at(A, transA, m, k, i, p) * at(B, transB, k, n, p, j)));
        let v = f(a32 * acc);
        if (bt !== 0) v = f(v + f(bt * out[i * n + j]));
        if (bias && pc === 0) v = f(v + bias[j]);
        out[i * n + j] = v;
      }
    }
  }
  return out;
}

// ---- level 1 ----

export function dotF64(x: Float32Array, y: Float32Array): { value: number; bound: number } {
  let s = 0, sa = 0;
  for (let i = 0; i < x.length; i++) { s += x[i] * y[i]; sa += Math.abs(x[i] * y[i]); }
  return { value: s, bound: (x.length + 2) * 2 ** -52 * sa + 1e-300 };
}

export function sumF64(x: Float32Array): { value: number; bound: number } {
  let s = 0, sa = 0;
  for (let i = 0; i < x.length; i++) { s += x[i]; sa += Math.abs(x[i]); }
  return { value: s, bound: (x.length + 2) * 2 ** -52 * sa + 1e-300 };
}

export const axpyF32 = (a: number, x: Float32Array, y: Float32Array) => y.map((v, i) => f(f(f(a) * x[i]) + v));
export const scaleF32 = (a: number, x: Float32Array) => x.map((v) => f(f(a) * v));
export const addF32 = (x: Float32Array, y: Float32Array) => x.map((v, i) => f(v + y[i]));
export const mulF32 = (x: Float32Array, y: Float32Array) => x.map((v, i) => f(v * y[i]));

/** Bit patterns, to assert exact equality with readable diffs. */
export function bits(x: Float32Array): number[] {
  return Array.from(new Uint32Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength)));
}

/** Index and values of the first element where |got − want| > bound, or undefined. */
export function firstViolation(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number> | number): string | undefined {
  for (let i = 0; i < want.length; i++) {
    const b = typeof bound === 'number' ? bound : bound[i];
    if (!(Math.abs(got[i] - want[i]) <= b)) return `element ${i}: got ${got[i]}, want ${want[i]} ± ${b}`;
  }
  return undefined;
}
