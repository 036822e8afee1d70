// Level-1 vector operations on tensors of any shape, treated as flat f32 vectors
// (kernels in assembly/blas1.ts):
//   dot(x, y) = Σ xᵢyᵢ     sum(x) = Σ xᵢ     nrm2(x) = ‖x‖₂ (no overflow: f64 accumulation)
//   axpy(a, x, y): y ← a·x + y        scal(a, x): x ← a·x
//   add(x, y, out): out ← x + y       mul(x, y, out): out ← x ⊙ y       scale(x, a, out): out ← a·x
//   fill(x, v): x ← v                 copy(src, dst): dst ← src
// Binary elementwise ops need equal shapes; `out` may be one of the inputs, and when omitted
// a new tensor is made in the current scope. Reductions return JS numbers (f64).

import { DescentError, checkFinite, fmtShape } from '../engine/errors.js';
import type { Tensor } from '../engine/tensor.js';
import { checkTensor, overlaps, sameSize } from './check.js';

function sameShape(x: Tensor, y: Tensor, op: string, nx: string, ny: string): void {
  if (x.rank !== y.rank || x.shape.some((d, i) => d !== y.shape[i])) {
    throw new DescentError(`${op}: ${nx} ${fmtShape(x.shape)} and ${ny} ${fmtShape(y.shape)} must have the same shape`);
  }
}

/** Inputs must be identical or disjoint: a partial overlap would read values already written. */
function checkAlias(out: Tensor, x: Tensor, op: string, name: string): void {
  if (overlaps(out, x) && (out.block !== x.block || out.offset !== x.offset)) {
    throw new DescentError(`${op}: out ${fmtShape(out.shape)} partly overlaps ${name} ${fmtShape(x.shape)}`);
  }
}

export function dot(x: Tensor, y: Tensor): number {
  checkTensor(x, 'dot', 'x');
  checkTensor(y, 'dot', 'y', x.engine);
  sameSize(x, y, 'dot', 'x', 'y');
  return x.engine.kernels.dot(x.size, x.pointer(), y.pointer());
}

export function sum(x: Tensor): number {
  checkTensor(x, 'sum', 'x');
  return x.engine.kernels.sum(x.size, x.pointer());
}

export function nrm2(x: Tensor): number {
  checkTensor(x, 'nrm2', 'x');
  return x.engine.kernels.nrm2(x.size, x.pointer());
}

/** y ← a·x + y. Returns y. */
export function axpy(a: number, x: Tensor, y: Tensor): Tensor {
  checkFinite(a, 'axpy: a');
  checkTensor(x, 'axpy', 'x');
  checkTensor(y, 'axpy', 'y', x.engine);
  sameSize(x, y, 'axpy', 'x', 'y');
  checkAlias(y, x, 'axpy', 'x');
  x.engine.kernels.axpy(x.size, a, x.pointer(), y.pointer());
  return y;
}

/** x ← a·x. Returns x. */
export function scal(a: number, x: Tensor): Tensor {
  checkFinite(a, 'scal: a');
  checkTensor(x, 'scal', 'x');
  x.engine.kernels.scal(x.size, a, x.pointer());
  return x;
}

function binary(op: 'add' | 'mul', x: Tensor, y: Tensor, out?: Tensor): Tensor {
  checkTensor(x, op, 'x');
  checkTensor(y, op, 'y', x.engine);
  sameShape(x, y, op, 'x', 'y');
  if (out !== undefined) {
    checkTensor(out, op, 'out', x.engine);
    sameShape(x, out, op, 'x', 'out');
    checkAlias(out, x, op, 'x');
    checkAlias(out, y, op, 'y');
  }
  const o = out ?? x.engine.empty(x.shape, op);
  x.engine.kernels[op](x.size, x.pointer(), y.pointer(), o.pointer());
  return o;
}

/** out ← x + y. */
export function add(x: Tensor, y: Tensor, out?: Tensor): Tensor {
  return binary('add', x, y, out);
}

/** out ← x ⊙ y (elementwise product). */
export function mul(x: Tensor, y: Tensor, out?: Tensor): Tensor {
  return binary('mul', x, y, out);
}

/** out ← a·x. */
export function scale(x: Tensor, a: number, out?: Tensor): Tensor {
  checkTensor(x, 'scale', 'x');
  checkFinite(a, 'scale: a');
  if (out !== undefined) {
    checkTensor(out, 'scale', 'out', x.engine);
    sameShape(x, out, 'scale', 'x', 'out');
    checkAlias(out, x, 'scale', 'x');
  }
  const o = out ?? x.engine.empty(x.shape, 'scale');
  x.engine.kernels.scale(x.size, a, x.pointer(), o.pointer());
  return o;
}

/** x ← v everywhere. v may be any number, including NaN or ±Infinity. */
export function fill(x: Tensor, v: number): Tensor {
  checkTensor(x, 'fill', 'x');
  if (typeof v !== 'number') throw new DescentError(`fill: value must be a number, got ${typeof v}`);
  x.engine.kernels.fill(x.size, v, x.pointer());
  return x;
}

/** dst ← src (same number of elements; overlapping ranges are handled). */
export function copy(src: Tensor, dst: Tensor): Tensor {
  checkTensor(src, 'copy', 'src');
  checkTensor(dst, 'copy', 'dst', src.engine);
  sameSize(src, dst, 'copy', 'src', 'dst');
  src.engine.kernels.copy(src.size, src.pointer(), dst.pointer());
  return dst;
}
