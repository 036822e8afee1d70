// Dense float64 linear algebra in wasm linear memory, for the minimizers (src/minimize/).
//
//   level 1   dot = xᵀy   nrm2 = ‖x‖₂   axpy: y ← a·x + y   scal: x ← a·x   copy   fill
//   level 2   gemv: y ← α·op(A)·x + β·y    symv: y ← α·A·x + β·y (A symmetric, lower read)
//             ger: A ← A + α·x·yᵀ           addDiagonal: A ← A + diag(d)
//             trsv: b ← op(T)⁻¹·b, T triangular
//   level 3   gram: G ← JᵀJ                  cholesky: A = L·Lᵀ in place
//             cholSolve: x ← (L·Lᵀ)⁻¹·b      bfgsInverseUpdate: H ← (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ
//
// An F64 owns one engine arena: every vector and matrix it makes lives there until
// release(). Handles carry the byte pointer the kernels (assembly/linalg/) take and a
// Float64Array view `data` over the live memory, rebuilt when memory growth detaches it
// (re-read `.data` after anything that may allocate). Matrices are row-major.
// The level-1 operations also take matrices, as flat arrays of rows·cols numbers.
//
// Conventions, with the reasons in the kernels' headers:
//  - No fused multiply-add in either build: the plain-SIMD and relaxed-SIMD engines give the
//    same bits for every operation here.
//  - Bit for bit equal to plain scalar loops: axpy, scal, copy, fill, ger, addDiagonal
//    (elementwise); gram (the loop over rows of J, then i, then j ≤ i); cholesky (the column
//    loop "d = Aⱼⱼ − Σₖ Lⱼₖ², Lᵢⱼ = (Aᵢⱼ − Σₖ LᵢₖLⱼₖ)/Lⱼⱼ", sums in increasing k); gemv with
//    Aᵀ (column sums in increasing row order). Inner products (dot, nrm2, gemv with A, the
//    triangular solves) sum in one fixed 8-way order (assembly/linalg/blas64.ts): equal to a
//    reference in that order, within n·2⁻⁵³·Σ|xᵢyᵢ| of any other.
//  - cholesky reads only the lower triangle, returns L with the strict upper triangle zeroed,
//    and −1 on success; else the index k of the first pivot Aₖₖ − Σⱼ Lₖⱼ² that is not positive
//    and finite (A is then unspecified). gram and bfgsInverseUpdate produce exactly symmetric
//    matrices (bfgsInverseUpdate keeps a symmetric H exactly symmetric).
//  - On an engine with threads, gemv, symv, ger and gram run in parts across them when large
//    enough (src/engine/threads/plans-f64.ts; level 1 in plans.ts), each part computing its
//    elements in the order of the whole call: the same bits for any thread count.
//  - Sizes are checked before any kernel runs; a mismatch throws a DescentError naming the
//    operation and the sizes. Outputs that would be corrupted by aliasing an input are refused.

import { DescentError, show } from '../engine/errors.js';
import type { Arena } from '../engine/arena.js';
import type { Engine } from '../engine/engine.js';
import type { Tensor } from '../engine/tensor.js';

export interface Vec64 {
  readonly n: number;
  /** Byte address in the engine's linear memory. */
  readonly ptr: number;
  /** A Float64Array over the vector (valid until memory grows: read it again after allocating). */
  readonly data: Float64Array;
}

/** A row-major rows×cols matrix. */
export interface Mat64 {
  readonly rows: number;
  readonly cols: number;
  readonly ptr: number;
  readonly data: Float64Array;
}

abstract class Block64 {
  #view: Float64Array | undefined;
  constructor(readonly engine: Engine, readonly tensor: Tensor, readonly size: number) {}

  get ptr(): number {
    if (this.tensor.freed) throw new DescentError(`F64: ${this.describe()} was used after its F64 was released`);
    return this.tensor.block.ptr;
  }

  get data(): Float64Array {
    const ptr = this.ptr, buffer = this.engine.memory.buffer;
    if (this.#view === undefined || this.#view.buffer !== buffer) this.#view = new Float64Array(buffer, ptr, this.size);
    return this.#view;
  }

  abstract describe(): string;
}

class Vector64 extends Block64 implements Vec64 {
  get n(): number { return this.size; }
  describe(): string { return `vector(${this.size})`; }
}

class Matrix64 extends Block64 implements Mat64 {
  constructor(engine: Engine, tensor: Tensor, readonly rows: number, readonly cols: number) {
    super(engine, tensor, rows * cols);
  }
  describe(): string { return `matrix ${this.rows}×${this.cols}`; }
}

/** 'a vector of 3 elements' / 'a 2×3 matrix': equal strings mean operands of the same shape. */
const shapeOf = (v: Block64): string => (v instanceof Matrix64 ? `a ${v.rows}×${v.cols} matrix` : `a vector of ${v.size} elements`);

function checkSize(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new DescentError(`${what} must be a non-negative integer, got ${show(n)}`);
  }
  return n;
}

function checkNumber(x: unknown, what: string): number {
  if (typeof x !== 'number') throw new DescentError(`${what} must be a number, got ${typeof x}`);
  return x;
}

export class F64 {
  readonly #arena: Arena;
  readonly #k: Engine['kernels'];

  /** Float64 linear algebra on `engine`; everything it allocates is freed by release(). */
  constructor(readonly engine: Engine, name = 'f64') {
    this.#arena = engine.arena(name);
    this.#k = engine.kernels;
  }

  /** A vector of n doubles, zero-filled or holding `values`. */
  vec(n: number, values?: ArrayLike<number>): Vec64 {
    checkSize(n, 'F64.vec: n');
    if (values !== undefined && values.length !== n) {
      throw new DescentError(`F64.vec: ${n} elements need ${n} values, got ${values.length}`);
    }
    const src = this.#detachable(values);
    const v = new Vector64(this.engine, this.#alloc(n, `vector(${n})`, values === undefined), n);
    if (src !== undefined) v.data.set(src);
    return v;
  }

  /** A row-major rows×cols matrix, zero-filled or holding `values` (row-major). */
  mat(rows: number, cols: number, values?: ArrayLike<number>): Mat64 {
    checkSize(rows, 'F64.mat: rows');
    checkSize(cols, 'F64.mat: cols');
    const size = rows * cols;
    if (values !== undefined && values.length !== size) {
      throw new DescentError(`F64.mat: a ${rows}×${cols} matrix needs ${size} values, got ${values.length}`);
    }
    const src = this.#detachable(values);
    const m = new Matrix64(this.engine, this.#alloc(size, `matrix ${rows}×${cols}`, values === undefined), rows, cols);
    if (src !== undefined) m.data.set(src);
    return m;
  }

  /**
   * values, copied first when they are a view of this engine's memory (a model's parameters,
   * say): the allocation that follows may grow the memory, which detaches such views.
   */
  #detachable(values: ArrayLike<number> | undefined): ArrayLike<number> | undefined {
    if (ArrayBuffer.isView(values) && values.buffer === this.engine.memory.buffer) return Float64Array.from(values as unknown as ArrayLike<number>);
    return values;
  }

  /** Free every vector and matrix made by this F64 (they throw if used afterwards). */
  release(): void {
    this.#arena.release();
  }

  /** Bytes and blocks held. */
  stats(): { blocks: number; bytes: number } {
    return this.#arena.stats();
  }

  // ---- level 1 (vectors, or matrices as flat arrays of equal shape) ----

  // (overloads, not unions: a union parameter would keep F64 from standing in for the
  // minimizers' VectorSpace, whose vectors have no ptr)
  dot(x: Vec64, y: Vec64): number;
  dot(x: Mat64, y: Mat64): number;
  dot(x: Vec64 | Mat64, y: Vec64 | Mat64): number {
    const n = this.#same('dot', x, y);
    return this.#k.f64Dot(n, x.ptr, y.ptr);
  }

  /** ‖x‖₂ (Frobenius norm for a matrix), without overflow or underflow. */
  nrm2(x: Vec64): number;
  nrm2(x: Mat64): number;
  nrm2(x: Vec64 | Mat64): number {
    const n = this.#size('nrm2', x, 'x');
    return this.#k.f64Nrm2(n, x.ptr);
  }

  /** y ← a·x + y. */
  axpy(a: number, x: Vec64, y: Vec64): void;
  axpy(a: number, x: Mat64, y: Mat64): void;
  axpy(a: number, x: Vec64 | Mat64, y: Vec64 | Mat64): void {
    checkNumber(a, 'F64.axpy: a');
    const n = this.#same('axpy', x, y);
    this.#k.f64Axpy(n, a, x.ptr, y.ptr);
  }

  /** x ← a·x. */
  scal(a: number, x: Vec64): void;
  scal(a: number, x: Mat64): void;
  scal(a: number, x: Vec64 | Mat64): void {
    checkNumber(a, 'F64.scal: a');
    this.#k.f64Scal(this.#size('scal', x, 'x'), a, x.ptr);
  }

  /** dst ← src. */
  copy(src: Vec64, dst: Vec64): void;
  copy(src: Mat64, dst: Mat64): void;
  copy(src: Vec64 | Mat64, dst: Vec64 | Mat64): void {
    const n = this.#same('copy', src, dst, 'src', 'dst');
    this.#k.f64Copy(n, src.ptr, dst.ptr);
  }

  /** x ← v everywhere. */
  fill(x: Vec64, v: number): void;
  fill(x: Mat64, v: number): void;
  fill(x: Vec64 | Mat64, v: number): void {
    checkNumber(v, 'F64.fill: v');
    this.#k.f64Fill(this.#size('fill', x, 'x'), v, x.ptr);
  }

  // ---- level 2 ----

  /** y ← α·op(A)·x + β·y, op(A) = Aᵀ when trans. β = 0 overwrites y without reading it. */
  gemv(trans: boolean, alpha: number, A: Mat64, x: Vec64, beta: number, y: Vec64): void {
    const op = `gemv(${trans ? 'Aᵀ' : 'A'}·x)`;
    checkNumber(alpha, `F64.${op}: alpha`);
    checkNumber(beta, `F64.${op}: beta`);
    this.#mat(op, A, 'A');
    this.#vec(op, x, 'x');
    this.#vec(op, y, 'y');
    const inner = trans ? A.rows : A.cols, outer = trans ? A.cols : A.rows;
    if (x.n !== inner || y.n !== outer) {
      throw new DescentError(`F64.${op}: A is ${A.rows}×${A.cols}, so x needs ${inner} elements and y ${outer}; got x ${x.n}, y ${y.n}`);
    }
    this.#distinct(op, y, 'y', x, 'x');
    this.#k.f64GemvLd(trans ? 1 : 0, A.rows, A.cols, alpha, A.ptr, A.cols, x.ptr, beta, y.ptr);
  }

  /** y ← α·A·x + β·y for symmetric A, reading only its lower triangle. β = 0 ignores y. */
  symv(alpha: number, A: Mat64, x: Vec64, beta: number, y: Vec64): void {
    checkNumber(alpha, 'F64.symv: alpha');
    checkNumber(beta, 'F64.symv: beta');
    const n = this.#square('symv', A, 'A');
    this.#vec('symv', x, 'x');
    this.#vec('symv', y, 'y');
    if (x.n !== n || y.n !== n) {
      throw new DescentError(`F64.symv: A is ${n}×${n}, so x and y need ${n} elements; got x ${x.n}, y ${y.n}`);
    }
    this.#distinct('symv', y, 'y', x, 'x');
    this.#k.f64SymvRows(n, alpha, A.ptr, x.ptr, beta, y.ptr, 0, n);
  }

  /** A ← A + α·x·yᵀ (x: A.rows elements, y: A.cols). */
  ger(alpha: number, x: Vec64, y: Vec64, A: Mat64): void {
    checkNumber(alpha, 'F64.ger: alpha');
    this.#vec('ger', x, 'x');
    this.#vec('ger', y, 'y');
    this.#mat('ger', A, 'A');
    if (x.n !== A.rows || y.n !== A.cols) {
      throw new DescentError(`F64.ger: A is ${A.rows}×${A.cols}, so x needs ${A.rows} elements and y ${A.cols}; got x ${x.n}, y ${y.n}`);
    }
    this.#k.f64Ger(A.rows, A.cols, alpha, x.ptr, y.ptr, A.ptr);
  }

  /** Aᵢᵢ ← Aᵢᵢ + d (a number) or + dᵢ (a vector of min(rows, cols) elements). */
  addDiagonal(A: Mat64, d: number | Vec64): void {
    this.#mat('addDiagonal', A, 'A');
    const k = Math.min(A.rows, A.cols);
    if (typeof d === 'number') {
      this.#k.f64AddDiagonal(A.rows, A.cols, A.ptr, d, 0);
      return;
    }
    this.#vec('addDiagonal', d, 'd');
    if (d.n !== k) throw new DescentError(`F64.addDiagonal: A is ${A.rows}×${A.cols}, so d needs ${k} elements, got ${d.n}`);
    this.#k.f64AddDiagonal(A.rows, A.cols, A.ptr, 0, d.ptr);
  }

  /** b ← op(T)⁻¹·b in place: T lower (lower = true) or upper triangular, op(T) = Tᵀ when trans. */
  trsv(lower: boolean, trans: boolean, T: Mat64, b: Vec64): void {
    const op = `trsv(${lower ? 'L' : 'U'}${trans ? 'ᵀ' : ''})`;
    const n = this.#square(op, T, 'T');
    this.#vec(op, b, 'b');
    if (b.n !== n) throw new DescentError(`F64.${op}: T is ${n}×${n}, so b needs ${n} elements, got ${b.n}`);
    this.#k.f64Trsv(lower ? 1 : 0, trans ? 1 : 0, n, T.ptr, b.ptr);
  }

  // ---- level 3 and factorizations ----

  /** out ← JᵀJ (cols×cols, full and exactly symmetric). */
  gram(J: Mat64, out: Mat64): void {
    this.#mat('gram', J, 'J');
    this.#mat('gram', out, 'out');
    if (out.rows !== J.cols || out.cols !== J.cols) {
      throw new DescentError(`F64.gram: J is ${J.rows}×${J.cols}, so out needs ${J.cols}×${J.cols}, got ${out.rows}×${out.cols}`);
    }
    this.#distinct('gram', out, 'out', J, 'J');
    this.#k.f64GramBlock(J.rows, J.cols, J.ptr, out.ptr, 0, J.cols, 0, J.cols);
  }

  /**
   * A = L·Lᵀ in place from the lower triangle of A: on success A holds L with its strict upper
   * triangle zeroed and the result is −1; otherwise the result is the index of the first pivot
   * that is not positive (or not finite), and A is unspecified.
   */
  cholesky(A: Mat64): number {
    const n = this.#square('cholesky', A, 'A');
    return this.#k.f64Cholesky(n, A.ptr);
  }

  /** x ← (L·Lᵀ)⁻¹·b for L from cholesky (only its lower triangle is read); x may be b. */
  cholSolve(L: Mat64, b: Vec64, x: Vec64): void {
    const n = this.#square('cholSolve', L, 'L');
    this.#vec('cholSolve', b, 'b');
    this.#vec('cholSolve', x, 'x');
    if (b.n !== n || x.n !== n) {
      throw new DescentError(`F64.cholSolve: L is ${n}×${n}, so b and x need ${n} elements; got b ${b.n}, x ${x.n}`);
    }
    this.#k.f64CholSolve(n, L.ptr, b.ptr, x.ptr);
  }

  /**
   * The BFGS inverse-Hessian update H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ, ρ = 1/(yᵀs),
   * for symmetric H, in O(n²) (work receives H·y, then scratch). Requires yᵀs > 0: otherwise
   * it throws and H is unchanged.
   */
  bfgsInverseUpdate(H: Mat64, s: Vec64, y: Vec64, work: Vec64): void {
    const n = this.#square('bfgsInverseUpdate', H, 'H');
    for (const [v, name] of [[s, 's'], [y, 'y'], [work, 'work']] as const) this.#vec('bfgsInverseUpdate', v, name);
    if (s.n !== n || y.n !== n || work.n !== n) {
      throw new DescentError(`F64.bfgsInverseUpdate: H is ${n}×${n}, so s, y and work need ${n} elements; got s ${s.n}, y ${y.n}, work ${work.n}`);
    }
    this.#distinct('bfgsInverseUpdate', work, 'work', s, 's');
    this.#distinct('bfgsInverseUpdate', work, 'work', y, 'y');
    const ys = this.#k.f64BfgsInverseUpdate(n, H.ptr, s.ptr, y.ptr, work.ptr);
    if (!(ys > 0)) throw new DescentError(`F64.bfgsInverseUpdate: needs yᵀs > 0 (curvature condition), got ${ys}`);
  }

  // ---- checks ----

  #alloc(doubles: number, what: string, zero: boolean): Tensor {
    // the arena counts f32 elements: two per double (zero bits are +0 either way); its blocks
    // are 64-byte aligned, so every double is 8-byte aligned
    return zero ? this.#arena.tensor([2 * doubles], undefined, `F64 ${what}`) : this.#arena.empty([2 * doubles], `F64 ${what}`);
  }

  #own(op: string, v: unknown, name: string): Block64 {
    if (!(v instanceof Block64)) {
      throw new DescentError(`F64.${op}: ${name} must be a vector or matrix made by F64.vec / F64.mat, got ${v === null ? 'null' : typeof v}`);
    }
    if (v.engine !== this.engine) throw new DescentError(`F64.${op}: ${name} (${v.describe()}) belongs to another engine`);
    if (v.tensor.freed) throw new DescentError(`F64.${op}: ${name} (${v.describe()}) was used after its F64 was released`);
    return v;
  }

  #vec(op: string, v: unknown, name: string): void {
    if (!(this.#own(op, v, name) instanceof Vector64)) {
      throw new DescentError(`F64.${op}: ${name} must be a vector, got a ${(v as Block64).describe()}`);
    }
  }

  #mat(op: string, v: unknown, name: string): void {
    if (!(this.#own(op, v, name) instanceof Matrix64)) {
      throw new DescentError(`F64.${op}: ${name} must be a matrix, got a ${(v as Block64).describe()}`);
    }
  }

  #square(op: string, A: Mat64, name: string): number {
    this.#mat(op, A, name);
    if (A.rows !== A.cols) throw new DescentError(`F64.${op}: ${name} must be square, got ${A.rows}×${A.cols}`);
    return A.rows;
  }

  #size(op: string, x: Vec64 | Mat64, name: string): number {
    return this.#own(op, x, name).size;
  }

  /** Two operands of the same kind and shape: their element count. */
  #same(op: string, x: Vec64 | Mat64, y: Vec64 | Mat64, nx = 'x', ny = 'y'): number {
    const a = this.#own(op, x, nx), b = this.#own(op, y, ny);
    if (shapeOf(a) !== shapeOf(b)) throw new DescentError(`F64.${op}: sizes differ: ${nx} is ${shapeOf(a)}, ${ny} is ${shapeOf(b)}`);
    return a.size;
  }

  #distinct(op: string, out: Vec64 | Mat64, nOut: string, inp: Vec64 | Mat64, nIn: string): void {
    if (out.ptr === inp.ptr) throw new DescentError(`F64.${op}: ${nOut} must not be the same memory as ${nIn}`);
  }
}
