// The kernel table an engine hands out: the wasm exports, with the kernels of plans.ts split
// into chunks — across the thread pool when the engine has threads and the call is large
// enough, else run here in chunk order (reductions always are, so their bits do not depend on
// the thread count). Call sites in src/ do not change: engine.kernels.gemm(…) is this.

import { DescentError } from '../errors.js';
import type { Kernels } from '../kernels.js';
import { threadKit } from './kit.js';
import { combine, PLANS, type Plan } from './plans.js';
import { afterJob, balanceOf, timed, type Balance } from './balance.js';
import { runningPool, threadPool, type ThreadPool } from './pool.js';

const kit = threadKit();
const { L } = kit;

export interface ParallelHost {
  /** Engine id (the workers' key for its instance). */
  readonly id: number;
  /** Threads this engine may use, including its own. */
  readonly threads: number;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Base pointer and byte stride of one GEMM workspace per thread (allocated on first use). */
  gemmWorkspaces(): { base: number; stride: number };
}

/** Names of the kernels that may be split, in a fixed order (a job names its kernel by index). */
const NAMES = Object.keys(PLANS);

export function parallelKernels(exports: Kernels, host: ParallelHost): { kernels: Kernels; ready(): Promise<void> } {
  const ex = exports as unknown as Record<string, (...a: number[]) => number>;
  // serial chunked runs (reductions on one thread) use a private, unshared descriptor (slot 0)
  const local = new Float64Array(kit.MAX_CHUNKS + L.SLOT_F64); // results, then slot 0 at SLOT_BASE
  let registered: ThreadPool | undefined;
  function pool(): ThreadPool {
    const p = threadPool(host.threads);
    if (registered !== p) {
      p.register(host.id, host.module, host.memory, NAMES);
      registered = p;
    }
    return p;
  }

  /**
   * Write plan p of a call into the descriptor slot at f64[slot]; returns the chunk count. With
   * a balance, chunk 0 and the others along its dimension have the balance's lengths.
   */
  function describe(f64: Float64Array, slot: number, kernel: number, args: number[], p: Plan, thread0Work: boolean, b?: Balance): number {
    f64[slot + L.KERNEL] = kernel;
    f64[slot + L.NARGS] = args.length;
    f64[slot + L.CNT0] = p.cnt0;
    f64[slot + L.CNT1] = p.cnt1;
    f64[slot + L.WORKARG] = p.work;
    f64[slot + L.DIM0] = p.dim0; f64[slot + L.DIM1] = p.dim1;
    f64[slot + L.RESULT] = p.combine === 'none' ? 0 : 1;
    const chunks = lay(f64, slot, p.c0, p.c1, b);
    if (p.work >= 0) {
      if (thread0Work) { f64[slot + L.WORKBASE] = args[p.work]; f64[slot + L.WORKSTRIDE] = 0; }
      else { const w = host.gemmWorkspaces(); f64[slot + L.WORKBASE] = w.base; f64[slot + L.WORKSTRIDE] = w.stride; }
    }
    for (let i = 0, a = slot + L.ARGS; i < args.length; i++, a++) {
      f64[a] = args[i];
      f64[a + kit.MAX_ARGS] = p.mult0[i];
      f64[a + 2 * kit.MAX_ARGS] = p.mult1[i];
    }
    return chunks;
  }

  /** The chunk lengths of a descriptor (DIM0, DIM1 written): even, or a balance's (and whether its workers time their chunks); returns the chunk count. */
  function lay(f64: Float64Array, slot: number, c0: number, c1: number, b?: Balance): number {
    const dim0 = f64[slot + L.DIM0], dim1 = f64[slot + L.DIM1];
    let grid0 = Math.ceil(dim0 / c0), grid1 = Math.ceil(dim1 / c1), first0 = 0, first1 = 0;
    if (b?.dim === 0) { c0 = b.rest; first0 = b.first; grid0 = b.chunks; }
    if (b?.dim === 1) { c1 = b.rest; first1 = b.first; grid1 = b.chunks; }
    f64[slot + L.C0] = c0; f64[slot + L.C1] = c1;
    f64[slot + L.FIRST0] = first0; f64[slot + L.FIRST1] = first1;
    f64[slot + L.GRID1] = grid1;
    f64[slot + L.TIMED] = b && timed(b) ? 1 : 0;
    return grid0 * grid1;
  }

  const table: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(exports)) table[name] = ex[name];
  // the workers' instances keep the default blocking; a change on this one alone would change bits
  table.gemmSetBlocking = (...a: number[]): void => {
    if (host.threads > 1) throw new DescentError('gemmSetBlocking: only on an engine with threads: 1 (worker instances keep the default blocking)');
    ex.gemmSetBlocking(...a);
  };
  NAMES.forEach((name, kernel) => {
    const fn = ex[name];
    const plan = PLANS[name];
    if (typeof fn !== 'function') return;
    table[name] = (...args: number[]): number => {
      let tp: ThreadPool | undefined;
      if (host.threads > 1) {
        tp = pool();
        if (!tp.contended) {
          // the same call as one described before (a training step repeats its calls): its
          // descriptor is still in its slot, and in the workers' caches
          const hit = tp.findSlot(host.id, host.threads, kernel, args);
          if (hit) {
            const signal = tp.run(host.id, host.threads, hit.slot, hit.chunks, fn);
            const result = combine(hit.combine, tp.f64, L.RESULTS, hit.chunks, hit.chunk);
            const b = hit.balance;
            // the job is joined: no worker reads the descriptor until the next one is published
            if (b && afterJob(b, signal, tp.lastJobMs, tp.lastOwnMs, tp.f64, L.RESULTS, hit.chunks, tp.lastJobEnd)) {
              hit.chunks = lay(tp.f64, L.SLOT_BASE + hit.slot * L.SLOT_F64, hit.c0, hit.c1, b);
            }
            return result;
          }
        }
      }
      const p = plan(args, host.threads);
      if (p === null) return fn(...args);
      if (p.parallel && tp) {
        if (tp.contended) { // backing off: this thread alone (the same bits)
          if (p.combine === 'none') return fn(...args);
        } else {
          const slot = tp.slotOf(host.id, host.threads, kernel, args);
          const b = balanceOf(p, host.threads);
          const n = describe(tp.f64, L.SLOT_BASE + slot * L.SLOT_F64, kernel, args, p, false, b);
          if (n > 1) {
            tp.remember(slot, host.id, host.threads, kernel, args, n, p.combine, p.c0, p.c0, p.c1, b);
            tp.run(host.id, host.threads, slot, n, fn);
            return combine(p.combine, tp.f64, L.RESULTS, n, p.c0);
          }
        }
      }
      const n = describe(local, L.SLOT_BASE, kernel, args, p, true);
      for (let c = 0; c < n; c++) kit.runChunk(fn, local, L.SLOT_BASE, c, 0);
      return combine(p.combine, local, L.RESULTS, n, p.c0);
    };
  });
  return {
    kernels: table as unknown as Kernels,
    ready: () => (host.threads > 1 ? pool().ready(host.id) : Promise.resolve()),
  };
}

/** Stop the workers holding an engine's instance (when the engine is collected). */
export function forgetEngine(id: number): void {
  runningPool()?.unregister(id); // a no-op if that pool has since been closed
}
