import { describe, expect, it } from 'vitest';
import { Allocator } from '../src/engine/allocator.js';
import { Engine } from '../src/engine/engine.js';
import { gemm, matmul } from '../src/ops/gemm.js';
import { add } from '../src/ops/vector.js';
import { rng } from './reference.js';

describe('memory', () => {
  it('100k scoped iterations of random-size tensors: memory and footprint equal those after 1k', () => {
    const e = Engine.createSync({ isa: 'simd' });
    const model = e.arena('model');
    const w = model.tensor([64, 32]);
    const r = rng(42);
    const step = () => e.scope(() => {
      const count = 1 + Math.floor(r() * 4);
      for (let j = 0; j < count; j++) {
        const rows = 1 + Math.floor(r() * 200);
        const x = e.tensor([rows, 64]);
        const y = matmul(x, w);
        add(y, y, y);
      }
    });
    for (let i = 0; i < 1000; i++) step();
    const after1k = e.memoryStats();
    for (let i = 1000; i < 100_000; i++) step();
    const after100k = e.memoryStats();
    expect(after100k.memoryBytes).toBe(after1k.memoryBytes);
    expect(after100k.footprintBytes).toBe(after1k.footprintBytes);
    expect(after100k.liveBytes).toBe(after1k.liveBytes);
    expect(after100k.liveBlocks).toBe(after1k.liveBlocks);
  }, 60_000);

  it('100k allocate/free of random sizes with a random live set: footprint stops growing after 1k', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
    const a = new Allocator(memory, 64, 1024 * 65536);
    const r = rng(7);
    const live: number[] = [];
    const step = () => {
      if (live.length >= 32 || (live.length > 0 && r() < 0.5)) {
        const i = Math.floor(r() * live.length);
        a.free(live[i]);
        live[i] = live[live.length - 1];
        live.pop();
      } else {
        live.push(a.alloc(4 * (1 + Math.floor(r() * 20_000)), 'test'));
      }
    };
    for (let i = 0; i < 1000; i++) step();
    const after1k = a.stats();
    for (let i = 1000; i < 100_000; i++) step();
    const after100k = a.stats();
    expect(after100k.memoryBytes).toBe(after1k.memoryBytes);
    // the high-water mark after 100k is bounded by the one after 1k (first fit + coalescing)
    expect(after100k.peakFootprintBytes).toBeLessThanOrEqual(after1k.memoryBytes);
    for (const p of live.splice(0)) a.free(p);
    expect(a.stats()).toMatchObject({ footprintBytes: 0, liveBytes: 0, liveBlocks: 0, freeBlocks: 0 });
  });

  it('coalesces neighbours and gives the top back', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16 });
    const a = new Allocator(memory, 100, 16 * 65536);
    expect(a.base).toBe(128);
    const p = [a.alloc(10, 't'), a.alloc(100, 't'), a.alloc(64, 't'), a.alloc(1, 't')];
    expect(p).toEqual([128, 192, 320, 384]);
    a.free(p[1]);
    a.free(p[0]); // merges with p[1]: one free block of 192 B
    expect(a.stats().freeBlocks).toBe(1);
    expect(a.alloc(150, 't')).toBe(128); // first fit reuses it
    a.free(128);
    a.free(p[2]);
    expect(a.stats().freeBlocks).toBe(1);
    a.free(p[3]); // everything free: the top returns to the base
    expect(a.stats()).toMatchObject({ footprintBytes: 0, freeBlocks: 0, liveBlocks: 0 });
    expect(() => a.free(p[3])).toThrow(/free of unknown pointer/);
  });

  it('tensor views stay valid across memory growth (rebuilt, never detached)', () => {
    const e = Engine.createSync({ isa: 'simd', initialMemoryMB: 1, threads: 1 }); // unshared memory: growth detaches the old buffer
    const t = e.keep(e.tensor([4], [1, 2, 3, 4]));
    const before = e.memory.buffer;
    const big = e.arena('big');
    big.tensor([4 << 20]); // 16 MiB: forces growth, detaching the old buffer
    expect(e.memory.buffer).not.toBe(before);
    expect(before.byteLength).toBe(0);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
    big.release();
  });

  it('tensor views stay valid across growth of a shared memory (threads: the old buffer keeps its length)', () => {
    const e = Engine.createSync({ isa: 'simd', initialMemoryMB: 1, threads: 2 });
    const t = e.keep(e.tensor([4], [1, 2, 3, 4]));
    const before = e.memory.buffer;
    const oldView = t.data;
    expect(before).toBeInstanceOf(SharedArrayBuffer);
    const big = e.arena('big');
    big.tensor([4 << 20]); // 16 MiB: forces growth; a shared buffer is never detached
    expect(e.memory.buffer).not.toBe(before);
    expect(e.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(before.byteLength).toBe(1 << 20);
    expect(e.memory.buffer.byteLength).toBeGreaterThan(16 << 20);
    expect(oldView.length).toBe(4);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
    expect(t.data.buffer).toBe(e.memory.buffer);
    oldView[2] = 30; // the same memory, through the old buffer
    expect(Array.from(t.data)).toEqual([1, 2, 30, 4]);
    big.release();
  });

  it('a scope frees what it allocated and keeps what it returns', () => {
    const e = Engine.createSync({ isa: 'simd' });
    const base = e.memoryStats().liveBytes;
    let inner: ReturnType<typeof e.tensor> | undefined;
    const kept = e.scope(() => {
      inner = e.tensor([10]);
      return { out: [e.tensor([3], [1, 2, 3])] };
    });
    expect(inner!.freed).toBe(true);
    expect(kept.out[0].freed).toBe(false);
    expect(Array.from(kept.out[0].data)).toEqual([1, 2, 3]);
    expect(e.memoryStats().liveBytes).toBe(base + 64);
    // nested: the result moves to the enclosing scope, and is freed when that ends
    const outer = e.scope(() => {
      const x = e.scope(() => e.tensor([2], [5, 6]));
      expect(x.freed).toBe(false);
      return Array.from(x.data);
    });
    expect(outer).toEqual([5, 6]);
    expect(e.memoryStats().liveBytes).toBe(base + 64);
  });

  it('a scope that throws still frees, and async functions are refused', () => {
    const e = Engine.createSync({ isa: 'simd' });
    const base = e.memoryStats();
    expect(() => e.scope(() => { e.tensor([1000]); throw new Error('boom'); })).toThrow('boom');
    expect(() => e.scope(async () => e.tensor([5]))).toThrow(/fn returned a Promise/);
    expect(e.memoryStats().liveBytes).toBe(base.liveBytes);
  });

  it('an arena releases everything it owns; views of released memory are refused', () => {
    const e = Engine.createSync({ isa: 'simd' });
    const model = e.arena('model');
    const flat = model.tensor([100]);
    const w = flat.view(10, [9, 10]);
    expect(model.stats()).toEqual({ blocks: 1, bytes: 400 });
    model.release();
    expect(w.freed).toBe(true);
    const x = e.keep(e.tensor([3, 9]));
    const y = e.keep(e.tensor([3, 10]));
    expect(() => gemm(y, x, w)).toThrow(/gemm\(A·B\): B \[9, 10\] was freed/);
    expect(() => w.data).toThrow(/was freed/);
  });

  it('out of memory is a clear error and leaves the engine usable', () => {
    const e = Engine.createSync({ isa: 'simd', maxMemoryMB: 8 });
    const live = e.memoryStats().liveBytes;
    expect(() => e.tensor([4_000_000])).toThrow(/tensor\(\[4000000\]\): out of memory: cannot allocate 15\.3 MiB .*limit 8\.0 MiB/);
    expect(() => e.scope(() => { e.tensor([1_500_000]); e.tensor([1_500_000]); })).toThrow(/out of memory/);
    expect(e.memoryStats().liveBytes).toBe(live);
    const t = e.tensor([2, 2], [1, 2, 3, 4]);
    expect(matmul(t, t).toNested()).toEqual([[7, 10], [15, 22]]);
  });
});
