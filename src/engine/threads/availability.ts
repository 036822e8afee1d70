// How many threads an engine gets by default, and why (backend().threadsReason).
//
// Threads need memory shared between workers: SharedArrayBuffer, shared WebAssembly.Memory and a
// way to start workers. Node has them always (worker_threads); Deno and Bun too. Browsers give
// SharedArrayBuffer only to cross-origin-isolated pages (served with
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp);
// elsewhere, and in edge runtimes without workers, an engine runs on one thread. The default is
// the number of cores the runtime reports, at most DEFAULT_MAX (more threads rarely pay for
// the layer sizes of models trained in a tab; ask for them with init({ threads })).

import { DescentError, show } from '../errors.js';

export const DEFAULT_MAX = 8;
export const THREADS_MAX = 64;

/** Cores as the runtime reports them (navigator.hardwareConcurrency, os.availableParallelism). */
export function cores(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (typeof nav?.hardwareConcurrency === 'number' && nav.hardwareConcurrency >= 1) return nav.hardwareConcurrency;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
    const n = os?.availableParallelism?.() ?? os?.cpus?.().length;
    if (typeof n === 'number' && n >= 1) return n;
  } catch { /* no os module */ }
  return 1;
}

/** Why threads cannot run here, or undefined when they can. */
export function threadsUnavailable(): string | undefined {
  if (typeof SharedArrayBuffer !== 'function') {
    const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown };
    if (g.crossOriginIsolated === false) return 'this page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so it has no SharedArrayBuffer';
    return 'this runtime has no SharedArrayBuffer';
  }
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return 'this page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    if (!(m.buffer instanceof SharedArrayBuffer)) return 'this runtime cannot share WebAssembly memory';
  } catch {
    return 'this runtime cannot share WebAssembly memory';
  }
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } } }).process;
  let hasWorkerThreads = false;
  try {
    hasWorkerThreads = !!proc?.versions?.node && typeof proc.getBuiltinModule === 'function' && !!proc.getBuiltinModule('node:worker_threads');
  } catch { /* none */ }
  if (!hasWorkerThreads && (typeof Worker !== 'function' || typeof Blob !== 'function' || typeof URL?.createObjectURL !== 'function')) {
    return 'this runtime cannot start workers';
  }
  return undefined;
}

/** Throws unless requested is undefined, 'auto' or an integer in [1, THREADS_MAX]. */
export function checkThreads(requested: unknown): void {
  if (requested !== undefined && requested !== 'auto'
      && (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 1 || requested > THREADS_MAX)) {
    throw new DescentError(`init: threads must be 'auto' or an integer from 1 to ${THREADS_MAX}, got ${typeof requested === 'string' ? JSON.stringify(requested) : show(requested)}`);
  }
}

/** The thread count for init({ threads }) and the reason reported by backend(). */
export function chooseThreads(requested: unknown, singleOnly?: string): { threads: number; reason: string } {
  checkThreads(requested);
  if (requested === 1) return { threads: 1, reason: 'init({ threads: 1 })' };
  const why = singleOnly ?? threadsUnavailable();
  if (why !== undefined) {
    if (typeof requested === 'number') throw new DescentError(`init: threads: ${requested} asked for, but ${why}`);
    return { threads: 1, reason: `auto: one thread: ${why}` };
  }
  if (typeof requested === 'number') return { threads: requested, reason: `init({ threads: ${requested} })` };
  const n = cores();
  const t = Math.min(n, DEFAULT_MAX);
  return { threads: t, reason: `auto: ${n} core${n === 1 ? '' : 's'} reported${n > DEFAULT_MAX ? `, capped at ${DEFAULT_MAX}` : ''}` };
}
