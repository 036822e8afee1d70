// General matrix multiply on row-major f32 tensors:
//   C ← α·op(A)·op(B) + β·C (+ bias broadcast over rows),  op(X) = X or Xᵀ
// The three forms training needs — forward A·B, weight gradient Aᵀ·B, input gradient A·Bᵀ —
// (and Aᵀ·Bᵀ) run the same packed, register-tiled kernel (assembly/gemm/): the packer reads
// the transposes, so no form falls back to a slow path.
// Conventions as in BLAS: β = 0 overwrites C without reading it (NaN in C does not leak);
// α = 0 or k = 0 leaves A and B unread. C may not overlap A, B or the bias.

import { DescentError, checkFinite, fmtShape } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { checkRank, checkTensor, overlaps } from './check.js';

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** n values added to every row of the result (a Dense layer's bias). */
  bias?: Tensor;
}

const FORMS = ['gemm(A·B)', 'gemm(A·Bᵀ)', 'gemm(Aᵀ·B)', 'gemm(Aᵀ·Bᵀ)'];

function formName(transA: boolean, transB: boolean): string {
  return FORMS[(transA ? 2 : 0) + (transB ? 1 : 0)];
}

/** Like checkFinite, but builds no message unless it fails (gemm runs many times per step). */
function finite(x: number | undefined, dflt: number, op: string, name: string): number {
  if (x === undefined) return dflt;
  if (typeof x !== 'number' || !Number.isFinite(x)) checkFinite(x, `${op}: ${name}`);
  return x;
}

const KNOWN = new Set(['transA', 'transB', 'alpha', 'beta', 'bias']);

/** Check A and B and return the sizes of op(A)·op(B): m×k times k×n. */
function gemmDims(A: Tensor, B: Tensor, transA: boolean, transB: boolean, op: string, C?: Tensor): { m: number; n: number; k: number } {
  checkTensor(A, op, 'A');
  checkTensor(B, op, 'B', A.engine);
  checkRank(A, 2, op, 'A');
  checkRank(B, 2, op, 'B');
  const [m, k] = transA ? [A.shape[1], A.shape[0]] : [A.shape[0], A.shape[1]];
  const [k2, n] = transB ? [B.shape[1], B.shape[0]] : [B.shape[0], B.shape[1]];
  if (k !== k2) {
    const c = C instanceof Object && 'shape' in C ? `, C ${fmtShape(C.shape)}` : '';
    throw new DescentError(`${op}: inner dimensions differ: op(A) is ${m}×${k}, op(B) is ${k2}×${n} (A ${fmtShape(A.shape)}, B ${fmtShape(B.shape)}${c})`);
  }
  return { m, n, k };
}

/** C ← α·op(A)·op(B) + β·C (+ bias). Returns C. */
export function gemm(C: Tensor, A: Tensor, B: Tensor, opts: GemmOptions = {}): Tensor {
  const transA = !!opts.transA, transB = !!opts.transB;
  const op = formName(transA, transB);
  for (const key in opts) {
    if (!KNOWN.has(key)) throw new DescentError(`${op}: unknown option ${JSON.stringify(key)}; known: ${[...KNOWN].join(', ')}`);
  }
  const { m, n, k } = gemmDims(A, B, transA, transB, op, C);
  const engine = A.engine;
  checkTensor(C, op, 'C', engine);
  checkRank(C, 2, op, 'C');
  const alpha = finite(opts.alpha, 1, op, 'alpha');
  const beta = finite(opts.beta, 0, op, 'beta');
  const shapes = () => `A ${fmtShape(A.shape)}, B ${fmtShape(B.shape)}, C ${fmtShape(C.shape)}`;
  if (C.shape[0] !== m || C.shape[1] !== n) {
    throw new DescentError(`${op}: C must be ${m}×${n}, got ${fmtShape(C.shape)} (${shapes()})`);
  }
  let biasPtr = 0;
  if (opts.bias !== undefined) {
    const bias = checkTensor(opts.bias, op, 'bias', engine);
    if (bias.size !== n || (bias.rank > 1 && bias.shape.filter((d) => d !== 1).length > 1)) {
      throw new DescentError(`${op}: bias must hold ${n} values (one per column of C), got ${fmtShape(bias.shape)} (${shapes()})`);
    }
    if (overlaps(C, bias)) throw new DescentError(`${op}: C ${fmtShape(C.shape)} overlaps bias ${fmtShape(bias.shape)}`);
    biasPtr = bias.pointer(op, 'bias');
  }
  if (overlaps(C, A) || overlaps(C, B)) {
    throw new DescentError(`${op}: C overlaps an input; write the product to a separate tensor (${shapes()})`);
  }
  if (m === 0 || n === 0) return C;
  const work = engine.gemmWorkspace();
  engine.kernels.gemm(engine.gemmTile, +transA, +transB, m, n, k, alpha,
    A.pointer(op, 'A'), A.shape[1], B.pointer(op, 'B'), B.shape[1],
    beta, C.pointer(op, 'C'), n, biasPtr, work);
  return C;
}

/** A new tensor op(A)·op(B) (+ bias), owned by the current scope. */
export function matmul(A: Tensor, B: Tensor, opts: Omit<GemmOptions, 'beta'> = {}): Tensor {
  const op = formName(!!opts.transA, !!opts.transB);
  const { m, n } = gemmDims(A, B, !!opts.transA, !!opts.transB, op);
  if (opts.bias !== undefined) {
    const bias = checkTensor(opts.bias, op, 'bias', A.engine);
    if (bias.size !== n) throw new DescentError(`${op}: bias must hold ${n} values (one per column of C), got ${fmtShape(bias.shape)}`);
  }
  checkFinite(opts.alpha ?? 1, `${op}: alpha`);
  const C = A.engine.empty([m, n], op);
  return gemm(C, A, B, { ...opts, beta: 0 });
}
