// Float32 tensors in wasm linear memory.
//
// A Tensor is a shape plus an offset into a Block, an allocation owned by an Arena (see
// arena.ts). Views share their parent's block: layers of a model are views into one flat
// parameter buffer. Nobody frees a tensor directly: its arena does, when a scope ends or the
// arena's owner releases it. Using a tensor after that is an error that names the operation.
//
// `data` is a Float32Array over the live memory. Memory growth detaches the views of a
// non-shared memory, so `data` is rebuilt whenever the memory's buffer has changed: read it
// again after any call that can allocate rather than holding on to it.

import { DescentError, fmtShape, show } from './errors.js';
import type { Engine } from './engine.js';
import type { Arena } from './arena.js';

export class Block {
  alive = true;
  /** An object this memory keeps reachable (its arena's owner: see Arena.anchor). */
  anchor: object | undefined;
  constructor(readonly ptr: number, readonly bytes: number, public owner: Arena) {}
}

export function checkShape(shape: readonly number[], what: string): number {
  if (!Array.isArray(shape)) throw new DescentError(`${what}: shape must be an array of sizes, got ${show(shape)}`);
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new DescentError(`${what}: shape must hold non-negative integers, got ${fmtShape(shape.map(show) as unknown as number[])}`);
    }
    size *= d;
  }
  if (!Number.isSafeInteger(size * 4)) throw new DescentError(`${what}: shape ${fmtShape(shape)} is too large`);
  return size;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  #view: Float32Array | undefined;

  /** Internal: use engine.tensor / arena.tensor. */
  constructor(readonly engine: Engine, readonly block: Block, readonly offset: number, shape: readonly number[]) {
    this.shape = Object.freeze(shape.slice());
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** True once the arena that owns the memory has released it. */
  get freed(): boolean {
    return !this.block.alive;
  }

  /** Byte address in linear memory; throws if the tensor was freed. `op` names the caller. */
  pointer(op = 'tensor', name = 'tensor'): number {
    if (!this.block.alive) {
      throw new DescentError(`${op}: ${name} ${fmtShape(this.shape)} was freed (its scope or arena ended); it can no longer be used`);
    }
    return this.block.ptr + this.offset;
  }

  /** A Float32Array over the tensor's memory, valid until the next allocation. */
  get data(): Float32Array {
    const ptr = this.pointer('tensor.data');
    const buffer = this.engine.memory.buffer;
    if (this.#view === undefined || this.#view.buffer !== buffer || this.#view.length !== this.size) {
      this.#view = new Float32Array(buffer, ptr, this.size);
    }
    return this.#view;
  }

  /** A copy of the values, safe to keep. */
  toArray(): Float32Array {
    return this.data.slice();
  }

  /** Nested arrays of numbers, for printing and tests. */
  toNested(): unknown {
    const d = this.data;
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return d[off];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** Copy values in (length must equal size). */
  set(values: ArrayLike<number>): this {
    if (values.length !== this.size) {
      throw new DescentError(`tensor.set: expected ${this.size} values for shape ${fmtShape(this.shape)}, got ${values.length}`);
    }
    this.data.set(values);
    return this;
  }

  /** The same memory under another shape with the same number of elements. */
  reshape(shape: readonly number[]): Tensor {
    const size = checkShape(shape, 'reshape');
    if (size !== this.size) {
      throw new DescentError(`reshape: cannot view ${fmtShape(this.shape)} (${this.size} elements) as ${fmtShape(shape)} (${size})`);
    }
    this.pointer('reshape');
    return new Tensor(this.engine, this.block, this.offset, shape);
  }

  /**
   * A view of `shape` starting `elementOffset` floats into this tensor (contiguous, row-major).
   * This is how layers see their slice of a model's flat parameter buffer.
   */
  view(elementOffset: number, shape: readonly number[]): Tensor {
    const size = checkShape(shape, 'view');
    if (!Number.isSafeInteger(elementOffset) || elementOffset < 0 || elementOffset + size > this.size) {
      throw new DescentError(`view: ${fmtShape(shape)} at offset ${elementOffset} does not fit in ${fmtShape(this.shape)}`);
    }
    this.pointer('view');
    return new Tensor(this.engine, this.block, this.offset + elementOffset * 4, shape);
  }

  toString(): string {
    return `Tensor${fmtShape(this.shape)}${this.freed ? ' (freed)' : ''}`;
  }
}
