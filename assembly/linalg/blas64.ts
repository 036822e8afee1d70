// Float64 level-1 and level-2 kernels (pointers in bytes to f64 arrays, sizes in elements,
// matrices row-major with the row length as leading dimension).
//
//   dot(x, y) = Σ xᵢyᵢ                 nrm2(x) = √(Σ xᵢ²)  (rescaled when Σxᵢ² leaves range)
//   axpy: y ← a·x + y                 scal: x ← a·x         fill: x ← v        copy: dst ← src
//   gemv: y ← α·A·x + β·y  or  y ← α·Aᵀ·x + β·y   (A is m×n; β = 0 ignores y, NaN included)
//   ger:  A ← A + α·x·yᵀ               symv: y ← α·A·x + β·y, A symmetric, lower triangle read
//   addDiagonal: Aᵢᵢ ← Aᵢᵢ + dᵢ (or + d)
//
// Rounding. No kernel here fuses a multiply and an add, in either build: f64x2.relaxed_madd
// may or may not fuse depending on the machine, and the minimizers are easier to test and to
// reproduce when both builds give the same bits everywhere. So each element of an
// elementwise kernel (axpy, scal, ger, addDiagonal, the gemv epilogue) rounds exactly like
// the scalar expression written next to it, and the reductions have one fixed summation
// order, described once here and shared by every inner product of descent's f64 code
// (dot, nrm2, the rows of gemv, the dot-form triangular solves):
//
//   eight partial sums pₗ = Σ_{i ≡ l mod 8, i < 8⌊n/8⌋} xᵢyᵢ   (four f64x2 accumulators,
//                                                              added to in increasing i)
//   r = ((p₀ + p₂) + (p₄ + p₆)) + ((p₁ + p₃) + (p₅ + p₇)),  then  r += xᵢyᵢ  for the tail i.
//
// Eight independent chains hide the add latency; a test reference that sums in this order
// reproduces dot bit for bit, and one that sums left to right agrees to ~n·2⁻⁵³·Σ|xᵢyᵢ|.
//
// nrm2 overflows in neither direction: Σxᵢ² is computed directly, and only when it is ∞
// (some |xᵢ| ≳ 1e154) or below 2⁻⁹⁶⁰ (all |xᵢ| ≲ 1e-145, where squares would lose bits to
// underflow) the sum is redone on x scaled by a power of two s ≈ 1/max|xᵢ| (exact), and
// nrm2 = √(Σ(s·xᵢ)²) / s. NaN anywhere gives NaN; ±∞ gives ∞.
//
// gemv with A·x takes one inner product per row (the order above, so row i of gemv equals
// dot(Aᵢ, x) bit for bit). With Aᵀ·x it walks down 8-column strips of A, keeping the strip's
// eight sums in registers: every output sums its column in increasing row order,
// tⱼ = ((A₀ⱼx₀ + A₁ⱼx₁) + A₂ⱼx₂) + …, the order of a plain loop over rows. The result is
// then yᵢ = α·tᵢ (β = 0) or α·tᵢ + β·yᵢ.
//
// Entry points for the thread pool (src/engine/threads/plans-f64.ts), each giving the bits of
// the whole call on any part: f64GemvLd takes A's leading dimension, so a range of columns of
// Aᵀ·x is a call on a narrower A (each yⱼ depends on column j alone); f64SymvRows computes the
// rows r₀ … r₀+rows−1 of symv, each in the order of the whole call (see there).

/** The inner product in the fixed order of this file's header. */
export function dotOrdered(n: i32, x: usize, y: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(px), v128.load(py)));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(px, 16), v128.load(py, 16)));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(px, 32), v128.load(py, 32)));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(px, 48), v128.load(py, 48)));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const o = <usize>i << 3;
    r += load<f64>(x + o) * load<f64>(y + o);
  }
  return r;
}

/** y ← a·x + y over n doubles (internal form shared with the factorizations). */
export function axpyKernel(n: i32, a: f64, x: usize, y: usize): void {
  const av = f64x2.splat(a);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
    v128.store(py, f64x2.add(v128.load(py), f64x2.mul(av, v128.load(px))));
    v128.store(py, f64x2.add(v128.load(py, 16), f64x2.mul(av, v128.load(px, 16))), 16);
    v128.store(py, f64x2.add(v128.load(py, 32), f64x2.mul(av, v128.load(px, 32))), 32);
    v128.store(py, f64x2.add(v128.load(py, 48), f64x2.mul(av, v128.load(px, 48))), 48);
  }
  for (; i + 2 <= n; i += 2) {
    const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
    v128.store(py, f64x2.add(v128.load(py), f64x2.mul(av, v128.load(px))));
  }
  if (i < n) {
    const py = y + (<usize>i << 3);
    store<f64>(py, load<f64>(py) + a * load<f64>(x + (<usize>i << 3)));
  }
}

export function f64Dot(n: i32, x: usize, y: usize): f64 {
  return dotOrdered(n, x, y);
}

const TINY_SUM: f64 = 1.0261342003245941e-289; // 2⁻⁹⁶⁰

export function f64Nrm2(n: i32, x: usize): f64 {
  const ss = dotOrdered(n, x, x);
  // below 2⁻⁹⁶⁰ squares that underflowed could matter; ∞: some square overflowed
  if (ss >= TINY_SUM && ss < Infinity) return Math.sqrt(ss);
  if (ss != ss) return ss; // a NaN in x (squares are never negative, so nothing else gives NaN)
  let m: f64 = 0;
  let mv = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) mv = f64x2.max(mv, f64x2.abs(v128.load(x + (<usize>i << 3))));
  m = max(f64x2.extract_lane(mv, 0), f64x2.extract_lane(mv, 1));
  if (i < n) m = max(m, Math.abs(load<f64>(x + (<usize>i << 3))));
  if (m == 0 || m == Infinity) return m;
  // m = f·2^(E−1023) with biased exponent E (0 for subnormals: treated as 1). s = 2^(1023−E)
  // puts max|s·xᵢ| in [1, 4); clamping E to [1, 2045] keeps s and 1/s normal powers of two.
  let e = <i32>((reinterpret<u64>(m) >> 52) & 0x7ff);
  if (e < 1) e = 1;
  if (e > 2045) e = 2045;
  const s = reinterpret<f64>(<u64>(2046 - e) << 52);
  const inv = reinterpret<f64>(<u64>e << 52);
  const sv = f64x2.splat(s);
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
  i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 3);
    const u = f64x2.mul(sv, v128.load(p)), w = f64x2.mul(sv, v128.load(p, 16));
    a0 = f64x2.add(a0, f64x2.mul(u, u));
    a1 = f64x2.add(a1, f64x2.mul(w, w));
  }
  const a = f64x2.add(a0, a1);
  let r = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < n; i++) {
    const u = s * load<f64>(x + (<usize>i << 3));
    r += u * u;
  }
  return Math.sqrt(r) * inv;
}

export function f64Axpy(n: i32, a: f64, x: usize, y: usize): void {
  axpyKernel(n, a, x, y);
}

export function f64Scal(n: i32, a: f64, x: usize): void {
  const av = f64x2.splat(a);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 3);
    v128.store(p, f64x2.mul(av, v128.load(p)));
    v128.store(p, f64x2.mul(av, v128.load(p, 16)), 16);
    v128.store(p, f64x2.mul(av, v128.load(p, 32)), 32);
    v128.store(p, f64x2.mul(av, v128.load(p, 48)), 48);
  }
  for (; i + 2 <= n; i += 2) {
    const p = x + (<usize>i << 3);
    v128.store(p, f64x2.mul(av, v128.load(p)));
  }
  if (i < n) {
    const p = x + (<usize>i << 3);
    store<f64>(p, a * load<f64>(p));
  }
}

export function f64Fill(n: i32, v: f64, x: usize): void {
  const vv = f64x2.splat(v);
  let i = 0;
  for (; i + 2 <= n; i += 2) v128.store(x + (<usize>i << 3), vv);
  if (i < n) store<f64>(x + (<usize>i << 3), v);
}

/** dst ← src; the regions may overlap (memmove semantics). */
export function f64Copy(n: i32, src: usize, dst: usize): void {
  memory.copy(dst, src, <usize>n << 3);
}

/** y ← α·op(A)·x + β·y, A m×n row-major; op(A) = Aᵀ when trans ≠ 0. β = 0 does not read y. */
export function f64Gemv(trans: i32, m: i32, n: i32, alpha: f64, a: usize, x: usize, beta: f64, y: usize): void {
  f64GemvLd(trans, m, n, alpha, a, n, x, beta, y);
}

/** f64Gemv on an m×n A whose rows are ld ≥ n doubles apart. */
export function f64GemvLd(trans: i32, m: i32, n: i32, alpha: f64, a: usize, ld: i32, x: usize, beta: f64, y: usize): void {
  const lda = <usize>ld << 3;
  if (trans == 0) {
    for (let i = 0; i < m; i++) {
      const t = alpha * dotOrdered(n, a + <usize>i * lda, x);
      const py = y + (<usize>i << 3);
      store<f64>(py, beta == 0 ? t : t + beta * load<f64>(py));
    }
    return;
  }
  // y (length n) = α·Aᵀx + β·y: strips of 8 columns, the strip's sums in four registers
  const av = f64x2.splat(alpha), bv = f64x2.splat(beta);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    let t0 = f64x2.splat(0), t1 = f64x2.splat(0), t2 = f64x2.splat(0), t3 = f64x2.splat(0);
    let p = a + (<usize>j << 3);
    for (let i = 0; i < m; i++) {
      const xi = v128.load64_splat(x + (<usize>i << 3));
      t0 = f64x2.add(t0, f64x2.mul(v128.load(p), xi));
      t1 = f64x2.add(t1, f64x2.mul(v128.load(p, 16), xi));
      t2 = f64x2.add(t2, f64x2.mul(v128.load(p, 32), xi));
      t3 = f64x2.add(t3, f64x2.mul(v128.load(p, 48), xi));
      p += lda;
    }
    const py = y + (<usize>j << 3);
    if (beta == 0) {
      v128.store(py, f64x2.mul(av, t0));
      v128.store(py, f64x2.mul(av, t1), 16);
      v128.store(py, f64x2.mul(av, t2), 32);
      v128.store(py, f64x2.mul(av, t3), 48);
    } else {
      v128.store(py, f64x2.add(f64x2.mul(av, t0), f64x2.mul(bv, v128.load(py))));
      v128.store(py, f64x2.add(f64x2.mul(av, t1), f64x2.mul(bv, v128.load(py, 16))), 16);
      v128.store(py, f64x2.add(f64x2.mul(av, t2), f64x2.mul(bv, v128.load(py, 32))), 32);
      v128.store(py, f64x2.add(f64x2.mul(av, t3), f64x2.mul(bv, v128.load(py, 48))), 48);
    }
  }
  for (; j + 2 <= n; j += 2) {
    let t0 = f64x2.splat(0);
    let p = a + (<usize>j << 3);
    for (let i = 0; i < m; i++) {
      t0 = f64x2.add(t0, f64x2.mul(v128.load(p), v128.load64_splat(x + (<usize>i << 3))));
      p += lda;
    }
    const py = y + (<usize>j << 3);
    const r = f64x2.mul(av, t0);
    v128.store(py, beta == 0 ? r : f64x2.add(r, f64x2.mul(bv, v128.load(py))));
  }
  if (j < n) {
    let t: f64 = 0;
    let p = a + (<usize>j << 3);
    for (let i = 0; i < m; i++) {
      t += load<f64>(p) * load<f64>(x + (<usize>i << 3));
      p += lda;
    }
    const py = y + (<usize>j << 3);
    store<f64>(py, beta == 0 ? alpha * t : alpha * t + beta * load<f64>(py));
  }
}

/** A ← A + α·x·yᵀ, A m×n: row i gets the axpy Aᵢⱼ + (α·xᵢ)·yⱼ. */
export function f64Ger(m: i32, n: i32, alpha: f64, x: usize, y: usize, a: usize): void {
  const lda = <usize>n << 3;
  for (let i = 0; i < m; i++) {
    axpyKernel(n, alpha * load<f64>(x + (<usize>i << 3)), y, a + <usize>i * lda);
  }
}

/**
 * y ← α·A·x + β·y for a symmetric n×n A of which only the lower triangle (diagonal included)
 * is read. Row i of the lower triangle serves twice: as a row (the inner product with x₀…xᵢ₋₁
 * goes to yᵢ) and as a column (α·xᵢ·Aᵢⱼ goes to yⱼ, j < i), so A is read once. So
 *   yⱼ = (((β·yⱼ + α·tⱼ) + (α·xⱼ₊₁)·Aⱼ₊₁,ⱼ) + (α·xⱼ₊₂)·Aⱼ₊₂,ⱼ) + …,  tⱼ = Aⱼ,₀..ⱼ₋₁·x₀..ⱼ₋₁ + Aⱼⱼxⱼ
 * (β·yⱼ read as 0 when β = 0, as yⱼ when β = 1).
 */
export function f64Symv(n: i32, alpha: f64, a: usize, x: usize, beta: f64, y: usize): void {
  f64SymvRows(n, alpha, a, x, beta, y, 0, n);
}

/**
 * Rows r₀ … r₀+rows−1 of f64Symv, bit for bit: rows of A in the range are read whole (their
 * inner products, and their columns' updates of y inside the range), the rows below it only
 * in the range's columns. The parts of one call read the lower triangle twice in all (once as
 * rows, once as columns) but write disjoint parts of y.
 */
export function f64SymvRows(n: i32, alpha: f64, a: usize, x: usize, beta: f64, y: usize, r0: i32, rows: i32): void {
  const r1 = r0 + rows;
  const yr = y + (<usize>r0 << 3);
  if (beta == 0) f64Fill(rows, 0, yr);
  else if (beta != 1) f64Scal(rows, beta, yr);
  const lda = <usize>n << 3;
  for (let i = r0; i < n; i++) {
    const row = a + <usize>i * lda;
    const xi = load<f64>(x + (<usize>i << 3));
    if (i >= r1) {
      axpyKernel(rows, alpha * xi, row + (<usize>r0 << 3), yr);
      continue;
    }
    const t = dotOrdered(i, row, x) + load<f64>(row + (<usize>i << 3)) * xi;
    axpyKernel(i - r0, alpha * xi, row + (<usize>r0 << 3), yr);
    const py = y + (<usize>i << 3);
    store<f64>(py, load<f64>(py) + alpha * t);
  }
}

/** Aᵢᵢ ← Aᵢᵢ + dᵢ for i < min(m, n): dᵢ from the vector d when d ≠ 0, else the scalar v. */
export function f64AddDiagonal(m: i32, n: i32, a: usize, v: f64, d: usize): void {
  const k = min(m, n);
  const step = (<usize>n + 1) << 3;
  let p = a;
  for (let i = 0; i < k; i++) {
    store<f64>(p, load<f64>(p) + (d != 0 ? load<f64>(d + (<usize>i << 3)) : v));
    p += step;
  }
}
