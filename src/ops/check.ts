// Argument checks shared by the ops: every failure names the operation and the shapes.

import { DescentError, fmtShape } from '../engine/errors.js';
import { Tensor } from '../engine/tensor.js';
import type { Engine } from '../engine/engine.js';

export function checkTensor(t: unknown, op: string, name: string, engine?: Engine): Tensor {
  if (!(t instanceof Tensor)) throw new DescentError(`${op}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  t.pointer(op, name);
  if (engine && t.engine !== engine) throw new DescentError(`${op}: ${name} ${fmtShape(t.shape)} belongs to another engine`);
  return t;
}

export function checkRank(t: Tensor, rank: number, op: string, name: string): void {
  if (t.rank !== rank) throw new DescentError(`${op}: ${name} must have rank ${rank}, got ${fmtShape(t.shape)}`);
}

/** True if the byte ranges of the two tensors intersect. */
export function overlaps(a: Tensor, b: Tensor): boolean {
  if (a.block !== b.block) return false;
  const a0 = a.offset, a1 = a.offset + a.size * 4;
  const b0 = b.offset, b1 = b.offset + b.size * 4;
  return a.size > 0 && b.size > 0 && a0 < b1 && b0 < a1;
}

export function sameSize(x: Tensor, y: Tensor, op: string, nx: string, ny: string): void {
  if (x.size !== y.size) {
    throw new DescentError(`${op}: ${nx} ${fmtShape(x.shape)} and ${ny} ${fmtShape(y.shape)} differ in size (${x.size} vs ${y.size})`);
  }
}
