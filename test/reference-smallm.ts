// Scalar references for the small-m product Y = X·W + bias (assembly/gemm/smallm.ts), the
// inference path of Dense layers on a few rows.
//  - smallmF32: the plain-SIMD kernel's exact roundings: per element acc = bias (or 0), then
//    acc = f32(acc + f32(x[r,i]·W[i,j])) for i = 0 … k−1 in order. The plain build must match
//    it bit for bit (it is not the blocked GEMM's order: that one adds the bias last).
//  - smallmF64: the product in f64 and a bound on the error of any f32 evaluation of it that
//    adds the k products and the bias one at a time in some order, with or without fused
//    multiply-adds: |err| ≤ (k + 2)·2⁻²³·(Σᵢ |x_i·W_ij| + |bias_j|), a loose form of the
//    classical γ_{k+1} bound for recursive summation (Higham, Accuracy and Stability, §3.1).

const f = Math.fround;

export interface SmallmCase {
  m: number; n: number; k: number;
  /** row strides in floats (≥ k, n, n) */
  ldx: number; ldw: number; ldy: number;
  X: Float32Array; W: Float32Array; bias?: Float32Array;
}

export function smallmF32(c: SmallmCase): Float32Array {
  const { m, n, k, ldx, ldw, X, W, bias } = c;
  const out = new Float32Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      let acc = bias ? bias[j] : 0;
      for (let i = 0; i < k; i++) acc = f(acc + f(X[r * ldx + i] * W[i * ldw + j]));
      out[r * n + j] = acc;
    }
  }
  return out;
}

export function smallmF64(c: SmallmCase): { value: Float64Array; bound: Float64Array } {
  const { m, n, k, ldx, ldw, X, W, bias } = c;
  const value = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0, sa = Math.abs(s);
      for (let i = 0; i < k; i++) {
        const p = X[r * ldx + i] * W[i * ldw + j];
        s += p;
        sa += Math.abs(p);
      }
      value[r * n + j] = s;
      bound[r * n + j] = (k + 2) * 2 ** -23 * sa + 1e-37;
    }
  }
  return { value, bound };
}
