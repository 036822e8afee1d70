// The engine: one wasm instance, its linear memory, the allocator and the owner stack.
//
// Memory is created here and imported by the module (asc --importMemory), so a later
// threaded build can pass a shared WebAssembly.Memory instead, to several instances, with
// allocation staying on this thread. Several engines may coexist (tests run both ISAs in
// one process); the module-level API in src/index.ts uses a default one.

import { Allocator } from './allocator.js';
import { Arena, tensorsIn } from './arena.js';
import { DescentError, show } from './errors.js';
import { gcCleanup } from './finalization.js';
import { chooseIsa, type Isa } from './isa.js';
import { checkModule, compileDefault, embeddedIsas, compileSource, compileSync, type WasmBytesSource, type WasmOrigin } from './wasm-source.js';
import type { Kernels } from './kernels.js';
import { checkThreads, chooseThreads } from './threads/availability.js';
import { forgetEngine, parallelKernels } from './threads/parallel.js';
import { collector } from './finalization.js';
import type { Tensor } from './tensor.js';

export interface EngineOptions {
  /** Which build to run: 'auto' (default) takes relaxed SIMD where the runtime validates it. */
  isa?: Isa | 'auto';
  /** Upper limit of the wasm memory in MiB (default 4096, the wasm32 maximum). */
  maxMemoryMB?: number;
  /** Memory reserved at start, in MiB (default 1); it grows on demand. */
  initialMemoryMB?: number;
  /**
   * Rows of the GEMM register tile: 4 (4×8, the plain-SIMD default), 5 (5×8, the relaxed-SIMD
   * default: ten FMA chains hide the FMA latency) or 6 (6×8, spills on V8 11; for experiments).
   */
  gemmTile?: 4 | 5 | 6;
  /**
   * A compiled descent module (wasm/simd.wasm or wasm/relaxed-simd.wasm of this version), for
   * runtimes that forbid compiling at run time: on Cloudflare Workers and Vercel Edge,
   * `import wasm from 'descentjs/wasm/relaxed-simd.wasm'` gives one. The ISA is the module's.
   */
  module?: WebAssembly.Module;
  /**
   * The module's bytes, a Response (or a promise of one: compiled while it downloads) or a URL.
   * Default: the package's own wasm/<build>.wasm next to the bundle (see wasm-source.ts).
   */
  wasm?: WasmBytesSource;
  /**
   * Threads to compute on, counting the calling one: 'auto' (default) takes the cores the
   * runtime reports (at most 8) where memory can be shared between workers — always in Node,
   * Deno and Bun; in browsers when the page is cross-origin isolated — else 1 (backend() says
   * why). More than 1 loads the shared-memory build of the ISA (wasm/<isa>-threads.wasm). Results
   * are bit-identical for any thread count. The workers are shared by all engines of this
   * JavaScript thread and never keep a Node process alive; closeThreads() stops them.
   */
  threads?: number | 'auto';
}

export interface Backend {
  isa: Isa;
  /** Why this build: 'auto: …' (what the runtime validates), the isa option, or the module passed. */
  reason: string;
  /** Where the module came from: the package's file, a URL, bytes, a Response, a module, embedded bytes. */
  source: WasmOrigin;
  threads: number;
  /** Why this many threads: 'auto: …' (cores, or what the runtime lacks) or the threads option. */
  threadsReason: string;
  /** GEMM register tile, e.g. '4x8'. */
  gemmTile: string;
  /** Tensors made outside a scope are freed when collected (false where FinalizationRegistry is missing). */
  gcCleanup: boolean;
}

const PAGE = 65536;
/**
 * Bytes left unused around each thread's GEMM workspace. Two cores writing within a few KB of
 * each other slow each other down: the MNIST step's 300×100·100×10 weight gradient on 2 threads
 * took 19.8 µs with the caller's workspace 32 bytes after C's end (where the worker writes),
 * 19.3 µs 4 KB after, 17.8 µs 16 KB after and 15.3 µs from 64 KB on (one thread: 22.7 µs;
 * engines in one process, the gap made by a padding tensor, 2026-12-07). Why is this machine's
 * secret — a prefetcher that follows one core's stores into the other's lines is a guess.
 */
const WORKSPACE_GUARD = 65536;
/** The package's own modules, compiled once per build (and modules passed in, for later engines). */
const modules = new Map<string, { module: WebAssembly.Module; origin: WasmOrigin }>();
const buildKey = (isa: Isa, shared: boolean): string => (shared ? `${isa}-threads` : isa);
let nextEngineId = 1;
/** When an engine is collected, the workers drop their instance of it (and its memory). */
const engineGone = collector<number>((id) => forgetEngine(id));

/** Whether a module imports shared memory (the threads build): it refuses an unshared one. */
function importsShared(module: WebAssembly.Module): boolean {
  try {
    new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } });
    return false;
  } catch (e) {
    if (!(e instanceof WebAssembly.LinkError)) throw e;
    return true;
  }
}

function checkKeys(opts: EngineOptions): void {
  if (opts === null || typeof opts !== 'object') throw new DescentError(`init: options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  const known = new Set(['isa', 'maxMemoryMB', 'initialMemoryMB', 'gemmTile', 'module', 'wasm', 'threads']);
  for (const key of Object.keys(opts)) {
    if (!known.has(key)) throw new DescentError(`init: unknown option ${JSON.stringify(key)}; known: ${[...known].join(', ')}`);
  }
  if (opts.module !== undefined && opts.wasm !== undefined) throw new DescentError('init: give module or wasm, not both');
  checkOptions(opts, 'simd'); // sizes and tile, before anything is compiled or allocated
  checkThreads(opts.threads); // the value only (availability is decided later)
}

function checkOptions(opts: EngineOptions, isa: Isa): { max: number; initial: number; tile: 4 | 5 | 6 } {
  const maxMB = opts.maxMemoryMB ?? 4096;
  const initMB = opts.initialMemoryMB ?? 1;
  if (!Number.isFinite(maxMB) || maxMB < 1 || maxMB > 4096) {
    throw new DescentError(`init: maxMemoryMB must be between 1 and 4096, got ${maxMB}`);
  }
  if (!Number.isFinite(initMB) || initMB < 1 || initMB > maxMB) {
    throw new DescentError(`init: initialMemoryMB must be between 1 and maxMemoryMB (${maxMB}), got ${initMB}`);
  }
  const tile = opts.gemmTile ?? (isa === 'relaxed-simd' ? 5 : 4);
  if (tile !== 4 && tile !== 5 && tile !== 6) throw new DescentError(`init: gemmTile must be 4, 5 or 6, got ${show(tile)}`);
  return { max: Math.floor(maxMB * 16), initial: Math.ceil(initMB * 16), tile };
}

function makeMemory(initial: number, maximum: number, shared = false): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial, maximum, shared } as WebAssembly.MemoryDescriptor);
  } catch (e) {
    throw new DescentError(`init: cannot reserve wasm memory (initial ${initial * PAGE} B, maximum ${maximum * PAGE} B): ${(e as Error).message}`);
  }
}

export class Engine {
  readonly allocator: Allocator;
  /** Owner of tensors created outside any scope; frees them when they are garbage-collected. */
  readonly root: Arena;
  readonly gemmTile: 4 | 5 | 6;
  #stack: Arena[] = [];
  #internal: Arena;
  #workspace: Tensor | undefined;

  /**
   * The compiled module this engine instantiated. It is structured-clonable: a worker given it
   * runs the same build, so the same bits (fitInWorker, train/worker.ts, sends it).
   */
  readonly module: WebAssembly.Module;

  readonly #reason: string;
  readonly #origin: WasmOrigin;
  /** Threads this engine computes on (1: the calling thread only). */
  readonly threads: number;
  readonly #threadsReason: string;
  readonly id = nextEngineId++;
  /** The kernel table (parallel where it pays; see threads/parallel.ts). */
  readonly kernels: Kernels;
  /** Resolves when the thread pool's workers have this engine (see ThreadPool.ready). */
  readonly threadsReady: () => Promise<void>;
  #workspaces: Tensor | undefined;

  private constructor(readonly isa: Isa, readonly memory: WebAssembly.Memory, exports: Kernels,
                      maxPages: number, tile: 4 | 5 | 6, reason: string, origin: WasmOrigin, module: WebAssembly.Module,
                      threads: { threads: number; reason: string }) {
    this.module = module;
    this.#reason = reason;
    this.#origin = origin;
    this.threads = threads.threads;
    this.#threadsReason = threads.reason;
    const par = parallelKernels(exports, this);
    this.kernels = par.kernels;
    this.threadsReady = par.ready;
    if (this.threads > 1) engineGone.register(this, this.id);
    this.allocator = new Allocator(memory, exports.heapBase(), maxPages * PAGE);
    this.root = new Arena(this, 'root', true);
    this.#internal = new Arena(this, 'engine');
    this.gemmTile = tile;
  }

  /** Compile (once per ISA) and instantiate asynchronously: works on every runtime. */
  static async create(opts: EngineOptions = {}): Promise<Engine> {
    checkKeys(opts);
    if (opts.module !== undefined) {
      const e = Engine.#fromGiven(checkModule(opts.module, 'init'), 'module', opts);
      await e.threadsReady();
      return e;
    }
    if (opts.wasm !== undefined) {
      const { module, origin } = await compileSource(opts.wasm);
      const e = Engine.#fromGiven(checkModule(module, 'init'), origin, opts);
      await e.threadsReady();
      return e;
    }
    const { isa, reason } = chooseIsa(opts.isa, embeddedIsas());
    const threads = Engine.#threadsFor(opts, isa);
    const shared = threads.threads > 1;
    let compiled = modules.get(buildKey(isa, shared));
    if (!compiled) {
      compiled = await compileDefault(isa, shared);
      checkModule(compiled.module, 'init');
      if (!modules.has(buildKey(isa, shared))) modules.set(buildKey(isa, shared), compiled);
    }
    const engine = Engine.#instantiate(isa, compiled.module, opts, reason, compiled.origin, threads);
    await engine.threadsReady();
    return engine;
  }

  /** Threads for the package's own builds: more than one only where a threads build can load. */
  static #threadsFor(opts: EngineOptions, isa: Isa): { threads: number; reason: string } {
    const embeddedOnly = embeddedIsas().includes(isa) ? 'the embedded build is single-threaded (pass { wasm } or { module } of a threads build)' : undefined;
    return chooseThreads(opts.threads, embeddedOnly);
  }

  /** Synchronous variant, where the module is at hand: passed, compiled before, embedded, or a file (Node, Deno, Bun). */
  static createSync(opts: EngineOptions = {}): Engine {
    checkKeys(opts);
    if (opts.module !== undefined) return Engine.#fromGiven(checkModule(opts.module, 'createEngineSync'), 'module', opts);
    if (opts.wasm !== undefined) {
      const { module, origin } = compileSync('simd', opts.wasm);
      return Engine.#fromGiven(checkModule(module, 'createEngineSync'), origin, opts);
    }
    const { isa, reason } = chooseIsa(opts.isa, embeddedIsas());
    const threads = Engine.#threadsFor(opts, isa);
    const shared = threads.threads > 1;
    let compiled = modules.get(buildKey(isa, shared));
    if (!compiled) {
      compiled = compileSync(isa, undefined, shared);
      checkModule(compiled.module, 'createEngineSync');
      modules.set(buildKey(isa, shared), compiled);
    }
    return Engine.#instantiate(isa, compiled.module, opts, reason, compiled.origin, threads);
  }

  /** A module the user passed: its build decides the ISA (an isa option must agree). */
  static #fromGiven(module: WebAssembly.Module, origin: WasmOrigin, opts: EngineOptions): Engine {
    const shared = importsShared(module);
    const memory = shared ? makeMemory(1, 1, true) : new WebAssembly.Memory({ initial: 1 });
    const probe = new WebAssembly.Instance(module, { env: { memory } });
    const isa: Isa = (probe.exports as unknown as Kernels).isRelaxed() ? 'relaxed-simd' : 'simd';
    if (opts.isa !== undefined && opts.isa !== 'auto' && opts.isa !== isa) {
      throw new DescentError(`init: the module passed is the ${isa} build, but isa '${show(opts.isa)}' was asked for`);
    }
    const threads = shared ? chooseThreads(opts.threads)
      : chooseThreads(opts.threads, 'the module passed is a single-threaded build (wasm/<isa>-threads.wasm runs on threads)');
    if (!modules.has(buildKey(isa, shared))) modules.set(buildKey(isa, shared), { module, origin });
    return Engine.#instantiate(isa, module, opts, `the ${origin === 'module' ? 'module' : 'wasm'} passed to init() is the ${isa}${shared ? ' threads' : ''} build`, origin, threads, shared);
  }

  // Instantiating a compiled module is synchronous and cheap; compilation is what browsers
  // forbid on the main thread for large modules (and edge runtimes forbid altogether).
  static #instantiate(isa: Isa, mod: WebAssembly.Module, opts: EngineOptions, reason: string, origin: WasmOrigin,
                      threads: { threads: number; reason: string }, shared = threads.threads > 1): Engine {
    const o = checkOptions(opts, isa);
    const memory = makeMemory(o.initial, o.max, shared);
    const instance = new WebAssembly.Instance(mod, { env: { memory } });
    return new Engine(isa, memory, instance.exports as unknown as Kernels, o.max, o.tile, reason, origin, mod, threads);
  }

  backend(): Backend {
    return {
      isa: this.isa, reason: this.#reason, source: this.#origin, threads: this.threads, threadsReason: this.#threadsReason,
      gemmTile: `${this.gemmTile}x8`, gcCleanup,
    };
  }

  /** The arena new tensors go to: the innermost scope, else the root. */
  get owner(): Arena {
    return this.#stack.length ? this.#stack[this.#stack.length - 1] : this.root;
  }

  /** A tensor of `shape`, zero-filled or holding `values` (row-major). */
  tensor(shape: readonly number[], values?: ArrayLike<number>): Tensor {
    return this.owner.tensor(shape, values);
  }

  zeros(shape: readonly number[]): Tensor {
    return this.owner.tensor(shape);
  }

  /** A tensor whose contents are undefined until written. */
  empty(shape: readonly number[], what = 'tensor'): Tensor {
    return this.owner.empty(shape, what);
  }

  /** A named arena for long-lived buffers (a model's parameters, an optimizer's state). */
  arena(name: string): Arena {
    return new Arena(this, name);
  }

  /**
   * Run fn with a fresh scope: tensors it allocates are freed when it returns, except those
   * in its return value (a tensor, or arrays / plain objects / Maps holding tensors), which
   * move to the enclosing scope. fn must be synchronous.
   */
  scope<T>(fn: () => T): T {
    const arena = new Arena(this, 'scope');
    this.#stack.push(arena);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.#pop(arena);
      arena.release();
      throw e;
    }
    this.#pop(arena);
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      arena.release();
      throw new DescentError('scope(fn): fn returned a Promise; scopes are synchronous (use one scope per step inside an async loop)');
    }
    const parent = this.owner;
    for (const t of tensorsIn(result)) {
      if (t.block.owner === arena) parent.adopt(t);
    }
    arena.release();
    return result;
  }

  /** Move t out of every scope into the root arena (freed when garbage-collected). */
  keep(t: Tensor): Tensor {
    return this.root.adopt(t);
  }

  /** Pointer to the GEMM packing workspace (engine-owned, allocated on first use). */
  gemmWorkspace(): number {
    if (this.threads > 1) return this.gemmWorkspaces().base; // thread 0's
    if (!this.#workspace) {
      const floats = Math.ceil(this.kernels.gemmWorkspaceBytes() / 4);
      this.#workspace = this.#internal.empty([floats], 'gemm workspace');
    }
    return this.#workspace.pointer('gemm');
  }

  /**
   * One GEMM workspace per thread in one block: thread t's starts at base + t·stride. Each is
   * fenced by WORKSPACE_GUARD unused bytes from the next and from whatever lies around the
   * block: packing writes there while another core writes near it, and near is slow (below).
   */
  gemmWorkspaces(): { base: number; stride: number } {
    const stride = Math.ceil(this.kernels.gemmWorkspaceBytes() / 64) * 64 + WORKSPACE_GUARD;
    if (!this.#workspaces) this.#workspaces = this.#internal.empty([(WORKSPACE_GUARD + stride * this.threads) / 4], 'gemm workspaces');
    return { base: this.#workspaces.pointer('gemm') + WORKSPACE_GUARD, stride };
  }

  memoryStats(): ReturnType<Allocator['stats']> {
    return this.allocator.stats();
  }

  #pop(arena: Arena): void {
    const top = this.#stack.pop();
    if (top !== arena) throw new DescentError('scope: scopes were exited out of order');
  }
}
