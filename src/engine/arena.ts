// Ownership of linear memory: arenas and scopes.
//
// Every block of memory belongs to exactly one Arena. Users never free tensors themselves:
//  - a model, trainer or optimizer creates an Arena for its long-lived buffers and releases
//    it when it is replaced or released (`arena.release()`),
//  - `engine.scope(fn)` runs fn with a fresh arena as the current owner; when fn returns,
//    everything it allocated is freed, except tensors found in its return value, which move
//    to the enclosing owner. A training step wrapped in a scope therefore leaves the heap as
//    it found it, however many steps run.
//  - outside any scope, tensors go to the engine's root arena, which holds them weakly: a
//    FinalizationRegistry frees a block once no Tensor refers to it. That is a safety net for
//    casual use, not a schedule: hot loops should use scopes. Where the runtime has no
//    FinalizationRegistry (finalization.ts), such tensors live as long as the engine.

import { DescentError } from './errors.js';
import { collector, type Collector } from './finalization.js';
import { Block, Tensor, checkShape } from './tensor.js';
import type { Engine } from './engine.js';

/**
 * The addresses an arena holds, apart from the arena: what a finalizer keeps to free the memory
 * of an owner (a model) that was dropped without `release()`. It references neither the arena
 * nor its blocks, so holding it keeps nothing else alive.
 */
export class ArenaMemory {
  readonly ptrs = new Set<number>();
  constructor(readonly allocator: { free(ptr: number): void }) {}
  free(): void {
    for (const p of this.ptrs) this.allocator.free(p);
    this.ptrs.clear();
  }
}

export class Arena {
  #blocks = new Set<Block>();
  #registry: Collector<number> | undefined;
  #anchor: object | undefined;
  /** Addresses of the blocks owned (for finalizers: see ArenaMemory). */
  readonly memory: ArenaMemory;

  /** Internal: use engine.arena(name) or engine.scope(fn). */
  constructor(readonly engine: Engine, readonly name: string, weak = false) {
    if (weak) {
      this.#registry = collector((ptr: number) => engine.allocator.free(ptr));
    }
    this.memory = new ArenaMemory(engine.allocator);
  }

  /**
   * Make every block of this arena (and every tensor or view of them) keep `owner` reachable:
   * an owner that frees the arena when it is garbage-collected (a model) is then collected only
   * once no tensor of it is reachable either.
   */
  anchor(owner: object): void {
    this.#anchor = owner;
    for (const b of this.#blocks) b.anchor = owner;
  }

  /** A new tensor of `shape` owned by this arena, zero-filled or set from `values`. */
  tensor(shape: readonly number[], values?: ArrayLike<number>, what = 'tensor'): Tensor {
    const size = checkShape(shape, what);
    if (values !== undefined && values.length !== size) {
      throw new DescentError(`${what}: shape ${JSON.stringify(shape)} needs ${size} values, got ${values.length}`);
    }
    const t = this.allocate(shape, size, what);
    if (values !== undefined) t.data.set(values);
    else t.data.fill(0);
    return t;
  }

  /** A new tensor with undefined contents (for outputs a kernel overwrites). */
  empty(shape: readonly number[], what = 'tensor'): Tensor {
    return this.allocate(shape, checkShape(shape, what), what);
  }

  /** Move the memory behind t (and every view of it) into this arena. */
  adopt(t: Tensor): Tensor {
    const block = t.block;
    if (!block.alive) throw new DescentError(`${this.name}.adopt: ${t} was freed`);
    if (block.owner === this) return t;
    block.owner.#forget(block);
    this.#own(block);
    return t;
  }

  /** Free every block this arena owns. The arena can be used again afterwards. */
  release(): void {
    if (this.#registry) throw new DescentError('the root arena frees its tensors when they are garbage-collected; it cannot be released');
    for (const block of this.#blocks) {
      block.alive = false;
      this.engine.allocator.free(block.ptr);
    }
    this.#blocks.clear();
    this.memory.ptrs.clear();
  }

  /** Bytes and blocks held (the root arena reports none: it holds nothing strongly). */
  stats(): { blocks: number; bytes: number } {
    let bytes = 0;
    for (const b of this.#blocks) bytes += b.bytes;
    return { blocks: this.#blocks.size, bytes };
  }

  private allocate(shape: readonly number[], size: number, what: string): Tensor {
    const bytes = size * 4;
    const ptr = this.engine.allocator.alloc(bytes, `${what}(${JSON.stringify(shape)})`);
    const block = new Block(ptr, bytes, this);
    this.#own(block);
    return new Tensor(this.engine, block, 0, shape);
  }

  #own(block: Block): void {
    block.owner = this;
    block.anchor = this.#anchor;
    if (this.#registry) this.#registry.register(block, block.ptr, block);
    else {
      this.#blocks.add(block);
      this.memory.ptrs.add(block.ptr);
    }
  }

  #forget(block: Block): void {
    if (this.#registry) this.#registry.unregister(block);
    else {
      this.#blocks.delete(block);
      this.memory.ptrs.delete(block.ptr);
    }
  }
}

/** Tensors reachable from a scope's return value (tensors, arrays, plain objects, maps). */
export function tensorsIn(value: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (depth < 8 && value !== null && typeof value === 'object') {
    if (Array.isArray(value)) for (const v of value) tensorsIn(v, out, depth + 1);
    else if (value instanceof Map) for (const v of value.values()) tensorsIn(v, out, depth + 1);
    else if (Object.getPrototypeOf(value) === Object.prototype) {
      for (const v of Object.values(value)) tensorsIn(v, out, depth + 1);
    }
  }
  return out;
}
