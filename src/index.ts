// descent: training neural networks in WebAssembly SIMD.
//
// The module-level functions use a default engine created by `init()`. `createEngine()`
// makes independent ones (for instance one per ISA, to compare).

import { Engine, type Backend, type EngineOptions } from './engine/engine.js';
import { DescentError } from './engine/errors.js';
import type { Tensor } from './engine/tensor.js';
import type { Arena } from './engine/arena.js';

export { Engine, type Backend, type EngineOptions } from './engine/engine.js';
export { Tensor } from './engine/tensor.js';
export { Arena } from './engine/arena.js';
export { DescentError } from './engine/errors.js';
export { supportedIsas, isaSupported, type Isa } from './engine/isa.js';
export type { AllocatorStats } from './engine/allocator.js';
export { gemm, matmul, type GemmOptions } from './ops/gemm.js';
export { dot, sum, nrm2, axpy, scal, add, mul, scale, fill, copy } from './ops/vector.js';

let current: Engine | undefined;

/** Load the wasm module (relaxed SIMD where available, or as forced by opts.isa) as the default engine. */
export async function init(opts: EngineOptions = {}): Promise<Engine> {
  current = await Engine.create(opts);
  return current;
}

/** A new independent engine (own memory and allocator). */
export function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  return Engine.create(opts);
}

/** Synchronous createEngine, where the runtime allows synchronous compilation (Node, workers). */
export function createEngineSync(opts: EngineOptions = {}): Engine {
  return Engine.createSync(opts);
}

/** The default engine; throws if init() has not run. */
export function engine(): Engine {
  if (!current) throw new DescentError('descent: call `await init()` before using the default engine');
  return current;
}

export function backend(): Backend {
  return engine().backend();
}

export function tensor(shape: readonly number[], values?: ArrayLike<number>): Tensor {
  return engine().tensor(shape, values);
}

export function zeros(shape: readonly number[]): Tensor {
  return engine().zeros(shape);
}

export function scope<T>(fn: () => T): T {
  return engine().scope(fn);
}

export function arena(name: string): Arena {
  return engine().arena(name);
}

export function keep(t: Tensor): Tensor {
  return engine().keep(t);
}
