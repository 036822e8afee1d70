// The vector and dense-matrix operations the minimizers use, as an interface with two
// implementations: F64 (src/linalg/f64.ts: float64 in wasm linear memory, f64x2 SIMD kernels)
// and JsF64 below (plain TypeScript loops over Float64Array: the reference, and what runs when
// no engine is given). Vectors and matrices are handles; `.data` is a fresh Float64Array view.
//
// Operations (x, y vectors of equal length; A, H, L, J row-major matrices):
//   dot(x, y) = xᵀy    nrm2(x) = ‖x‖₂    axpy: y ← a·x + y    scal: x ← a·x    copy: dst ← src
//   gemv: y ← α·op(A)·x + β·y            gram: out ← JᵀJ        addDiagonal: A ← A + diag(d)
//   cholesky: A = L·Lᵀ in place (lower triangle), −1 on success, else the failing pivot's index
//   cholSolve: x ← (L·Lᵀ)⁻¹·b
//   bfgsInverseUpdate: H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ, ρ = 1/(yᵀs)
//     = H − ρ(s·(Hy)ᵀ + (Hy)·sᵀ) + (ρ²·yᵀHy + ρ)·s·sᵀ for symmetric H (Nocedal & Wright eq. 6.17)

export interface Vec { readonly n: number; readonly data: Float64Array }
export interface Mat { readonly rows: number; readonly cols: number; readonly data: Float64Array }

export interface VectorSpace {
  vec(n: number, values?: ArrayLike<number>): Vec;
  mat(rows: number, cols: number, values?: ArrayLike<number>): Mat;
  dot(x: Vec, y: Vec): number;
  nrm2(x: Vec): number;
  axpy(a: number, x: Vec, y: Vec): void;
  scal(a: number, x: Vec): void;
  copy(src: Vec, dst: Vec): void;
  fill(x: Vec, v: number): void;
  gemv(trans: boolean, alpha: number, A: Mat, x: Vec, beta: number, y: Vec): void;
  gram(J: Mat, out: Mat): void;
  addDiagonal(A: Mat, d: number | Vec): void;
  cholesky(A: Mat): number;
  cholSolve(L: Mat, b: Vec, x: Vec): void;
  bfgsInverseUpdate(H: Mat, s: Vec, y: Vec, work: Vec): void;
  release(): void;
}

class JsVec implements Vec {
  readonly data: Float64Array;
  constructor(readonly n: number, values?: ArrayLike<number>) {
    this.data = values ? Float64Array.from(values) : new Float64Array(n);
  }
}
class JsMat implements Mat {
  readonly data: Float64Array;
  constructor(readonly rows: number, readonly cols: number, values?: ArrayLike<number>) {
    this.data = values ? Float64Array.from(values) : new Float64Array(rows * cols);
  }
}

/** Plain TypeScript float64: the reference implementation of VectorSpace. */
export class JsF64 implements VectorSpace {
  vec(n: number, values?: ArrayLike<number>): Vec { return new JsVec(n, values); }
  mat(rows: number, cols: number, values?: ArrayLike<number>): Mat { return new JsMat(rows, cols, values); }
  dot(x: Vec, y: Vec): number {
    const a = x.data, b = y.data;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
  nrm2(x: Vec): number {
    const a = x.data;
    let scale = 0;
    for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
    if (scale === 0 || !Number.isFinite(scale)) return scale;
    let s = 0;
    for (let i = 0; i < a.length; i++) { const t = a[i] / scale; s += t * t; }
    return scale * Math.sqrt(s);
  }
  axpy(alpha: number, x: Vec, y: Vec): void {
    const a = x.data, b = y.data;
    for (let i = 0; i < a.length; i++) b[i] += alpha * a[i];
  }
  scal(alpha: number, x: Vec): void {
    const a = x.data;
    for (let i = 0; i < a.length; i++) a[i] *= alpha;
  }
  copy(src: Vec, dst: Vec): void { dst.data.set(src.data); }
  fill(x: Vec, v: number): void { x.data.fill(v); }
  gemv(trans: boolean, alpha: number, A: Mat, x: Vec, beta: number, y: Vec): void {
    const a = A.data, xv = x.data, yv = y.data, r = A.rows, c = A.cols;
    if (!trans) {
      for (let i = 0; i < r; i++) {
        let s = 0;
        for (let j = 0; j < c; j++) s += a[i * c + j] * xv[j];
        yv[i] = alpha * s + (beta === 0 ? 0 : beta * yv[i]);
      }
    } else {
      const t = new Float64Array(c);
      for (let i = 0; i < r; i++) {
        const xi = xv[i];
        for (let j = 0; j < c; j++) t[j] += a[i * c + j] * xi;
      }
      for (let j = 0; j < c; j++) yv[j] = alpha * t[j] + (beta === 0 ? 0 : beta * yv[j]);
    }
  }
  gram(J: Mat, out: Mat): void {
    const a = J.data, o = out.data, m = J.rows, n = J.cols;
    o.fill(0);
    for (let k = 0; k < m; k++) {
      for (let i = 0; i < n; i++) {
        const v = a[k * n + i];
        if (v === 0) continue;
        for (let j = 0; j <= i; j++) o[i * n + j] += v * a[k * n + j];
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) o[j * n + i] = o[i * n + j];
  }
  addDiagonal(A: Mat, d: number | Vec): void {
    const a = A.data, n = A.cols;
    for (let i = 0; i < A.rows; i++) a[i * n + i] += typeof d === 'number' ? d : d.data[i];
  }
  cholesky(A: Mat): number {
    const a = A.data, n = A.cols;
    for (let j = 0; j < n; j++) {
      let d = a[j * n + j];
      for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
      if (!(d > 0)) return j;
      const ljj = Math.sqrt(d);
      a[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let s = a[i * n + j];
        for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
        a[i * n + j] = s / ljj;
      }
    }
    return -1;
  }
  cholSolve(L: Mat, b: Vec, x: Vec): void {
    const l = L.data, n = L.cols, xv = x.data;
    if (x !== b) xv.set(b.data);
    for (let i = 0; i < n; i++) { // L·z = b
      let s = xv[i];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * xv[k];
      xv[i] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) { // Lᵀ·x = z
      let s = xv[i];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * xv[k];
      xv[i] = s / l[i * n + i];
    }
  }
  bfgsInverseUpdate(H: Mat, s: Vec, y: Vec, work: Vec): void {
    const n = H.cols, h = H.data, sv = s.data, hy = work.data;
    const rho = 1 / this.dot(y, s);
    this.gemv(false, 1, H, y, 0, work);
    const yhy = this.dot(y, work);
    const c = rho * rho * yhy + rho;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) h[i * n + j] += -rho * (sv[i] * hy[j] + hy[i] * sv[j]) + c * sv[i] * sv[j];
    }
  }
  release(): void {}
}
