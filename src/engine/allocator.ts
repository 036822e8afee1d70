// Allocator for the wasm linear memory, run on the JS side.
//
// Kernels never allocate: they receive byte pointers. All bookkeeping lives here, in JS
// objects outside the wasm memory, which is what a later multi-worker build needs — one
// thread (this one) allocates from a shared WebAssembly.Memory and hands pointers to workers,
// whose module instances never touch the heap.
//
// Layout: [0, base) belongs to the module's static data; [base, top) is the heap; above top
// the memory is untouched. Blocks are 64-byte aligned (a cache line; f32x4 loads want 16) and
// rounded up to 64 bytes.
// Policy: address-ordered first fit over a sorted free list, with immediate coalescing of
// neighbours, and a block that ends at `top` gives its space back to the top. A program
// whose live set returns to the same shape (a training step, a scope) therefore returns to
// the same footprint, so memory stays flat over any number of iterations.
// Growth: when a request does not fit below the end of memory, the memory grows by what is
// missing or by an eighth of its size, whichever is larger (amortized O(1) growth), never past
// `maxBytes`. Growth detaches ArrayBuffer views of a non-shared memory: Tensor rebuilds its
// view when the buffer changes (src/engine/tensor.ts).

import { DescentError, fmtBytes } from './errors.js';

export const ALIGN = 64;
const PAGE = 65536;

export interface AllocatorStats {
  /** Size of the wasm memory in bytes. */
  memoryBytes: number;
  /** Bytes of heap in use or on the free list: top − base. */
  footprintBytes: number;
  /** Bytes in live blocks. */
  liveBytes: number;
  liveBlocks: number;
  freeBlocks: number;
  /** Largest footprint ever reached. */
  peakFootprintBytes: number;
}

export class Allocator {
  readonly base: number;
  #top: number;
  #peakTop: number;
  /** Free blocks as parallel sorted arrays of start offsets and sizes. */
  #freeStart: number[] = [];
  #freeSize: number[] = [];
  #live = new Map<number, number>();
  #liveBytes = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number, readonly maxBytes: number) {
    this.base = Math.ceil(base / ALIGN) * ALIGN;
    this.#top = this.base;
    this.#peakTop = this.base;
  }

  /** Allocate `bytes` (rounded up to 64); `what` names the request in error messages. */
  alloc(bytes: number, what: string): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const starts = this.#freeStart, sizes = this.#freeSize;
    for (let i = 0; i < starts.length; i++) {
      if (sizes[i] >= size) {
        const ptr = starts[i];
        if (sizes[i] === size) {
          starts.splice(i, 1);
          sizes.splice(i, 1);
        } else {
          starts[i] += size;
          sizes[i] -= size;
        }
        return this.#track(ptr, size);
      }
    }
    const ptr = this.#top;
    this.#ensure(ptr + size, what, bytes);
    this.#top = ptr + size;
    if (this.#top > this.#peakTop) this.#peakTop = this.#top;
    return this.#track(ptr, size);
  }

  /** Return a block; `ptr` must come from alloc and not have been freed. */
  free(ptr: number): void {
    const size = this.#live.get(ptr);
    if (size === undefined) throw new DescentError(`allocator: free of unknown pointer ${ptr}`);
    this.#live.delete(ptr);
    this.#liveBytes -= size;
    const starts = this.#freeStart, sizes = this.#freeSize;
    // binary search for the insertion point
    let lo = 0, hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < ptr) lo = mid + 1; else hi = mid;
    }
    let start = ptr, len = size;
    // merge with the previous free block
    if (lo > 0 && starts[lo - 1] + sizes[lo - 1] === start) {
      lo--;
      start = starts[lo];
      len += sizes[lo];
      starts.splice(lo, 1);
      sizes.splice(lo, 1);
    }
    // merge with the next free block
    if (lo < starts.length && start + len === starts[lo]) {
      len += sizes[lo];
      starts.splice(lo, 1);
      sizes.splice(lo, 1);
    }
    if (start + len === this.#top) {
      this.#top = start;
    } else {
      starts.splice(lo, 0, start);
      sizes.splice(lo, 0, len);
    }
  }

  sizeOf(ptr: number): number | undefined {
    return this.#live.get(ptr);
  }

  stats(): AllocatorStats {
    return {
      memoryBytes: this.memory.buffer.byteLength,
      footprintBytes: this.#top - this.base,
      liveBytes: this.#liveBytes,
      liveBlocks: this.#live.size,
      freeBlocks: this.#freeStart.length,
      peakFootprintBytes: this.#peakTop - this.base,
    };
  }

  #track(ptr: number, size: number): number {
    this.#live.set(ptr, size);
    this.#liveBytes += size;
    return ptr;
  }

  #ensure(end: number, what: string, requested: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) {
      throw new DescentError(
        `${what}: out of memory: cannot allocate ${fmtBytes(requested)} ` +
        `(heap in use ${fmtBytes(this.#liveBytes)}, wasm memory ${fmtBytes(have)}, limit ${fmtBytes(this.maxBytes)})`);
    }
    const want = Math.min(Math.max(end, have + have / 8), this.maxBytes);
    const pages = Math.ceil((want - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      // the engine refused (the limit it reserved, or the host is out of address space)
      const need = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(need);
      } catch {
        throw new DescentError(
          `${what}: out of memory: cannot grow wasm memory from ${fmtBytes(have)} by ${fmtBytes(need * PAGE)} ` +
          `for ${fmtBytes(requested)} (heap in use ${fmtBytes(this.#liveBytes)}, limit ${fmtBytes(this.maxBytes)})`);
      }
    }
  }
}
