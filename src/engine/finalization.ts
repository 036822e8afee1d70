// Clean-up when an object is garbage-collected, where the runtime can tell us.
//
// The root arena frees tensors made outside any scope when they are collected, and an optimizer
// frees its state arena when the optimizer is collected — both through FinalizationRegistry.
// Some runtimes lack it: Cloudflare Workers (workerd) with a compatibility date before
// 2025-05-05 has no FinalizationRegistry global at all. There the registry below does nothing:
// scopes, model and optimizer arenas (`release()`) work as everywhere, but a tensor made outside
// a scope stays allocated until its engine is dropped, and an optimizer's state stays until
// `optimizer.release()` or until the engine is dropped (the whole wasm memory goes with it).
// `backend().gcCleanup` says which case applies. Nothing here touches the global at module load.

export interface Collector<T> {
  register(target: object, held: T, token?: object): void;
  unregister(token: object): void;
}

/** Whether this runtime frees memory of collected objects (FinalizationRegistry exists). */
export const gcCleanup: boolean = typeof globalThis.FinalizationRegistry === 'function';

/** A FinalizationRegistry where there is one; otherwise a registry that keeps nothing. */
export function collector<T>(cleanup: (held: T) => void): Collector<T> {
  if (!gcCleanup) return { register() {}, unregister() {} };
  const registry = new FinalizationRegistry<T>(cleanup);
  return {
    register: (target, held, token) => registry.register(target, held, token),
    unregister: (token) => { registry.unregister(token); },
  };
}
