// The thread pool: workers that share engines' wasm memories and take chunks of kernel calls.
//
// One pool per JavaScript thread (a page, a worker, a Node process), started by the first engine
// that asks for more than one thread and reused by every later one; it grows when an engine asks
// for more threads than it has. Each engine is instantiated in every worker on the same shared
// WebAssembly.Memory (allocation stays on the engine's own thread: workers only run kernels on
// pointers they are given). A kernel call publishes a job in the control block (kit.ts); the
// calling thread takes chunks like any worker, then waits until every chunk is done:
//   - workers spin for a short while after a job (the next kernel of a step is microseconds
//     away), then sleep in Atomics.wait and are woken by Atomics.notify;
//   - the caller joins by spinning on the done count, then Atomics.wait where the thread may
//     block. A browser page's main thread may not (Atomics.wait throws there): it keeps spinning,
//     which costs nothing extra, since the caller would otherwise have computed those chunks
//     itself; UI stays as responsive as with one thread (fitAsync yields between steps).
// Chunks are claimed dynamically, so a worker that is slow to wake (another process holds its
// core) or not yet started costs at most its chunk in flight; results do not depend on who ran
// which chunk. Chunk 0 is always the caller's (a job is published with it claimed), so a
// repeated small call keeps its parts on the same threads from call to call. Workers are
// unref'd in Node (a pool never keeps a process alive) and closed by closeThreads(), after
// which a new engine or kernel call starts a new pool.

import { DescentError, show } from '../errors.js';
import { checkOptionKeys } from '../options.js';
import { THRESHOLDS, type Combine } from './plan-shapes.js';
import { threadKit } from './kit.js';
import type { Balance } from './balance.js';

const kit = threadKit();
const { L } = kit;

/** What a descriptor slot describes: the call, its chunk count, and how its split moves (balance.ts). */
export interface SlotCall {
  engine: number; threads: number; kernel: number; nargs: number; slot: number;
  chunks: number; combine: Combine; chunk: number;
  /** The plan's chunk lengths (the balanced dimension's are the balance's). */
  c0: number; c1: number;
  balance: Balance | undefined;
}

/** How long an idle worker spins before sleeping, in ms. */
const SPIN_MS = 0.5;
/** Slow joins in a row after which the pool backs off, and for how long (ms): see #watch. */
const SLOW_JOBS = 4;
const BACKOFF_MS = 250;
/** Dropped engines (or bytes of their memories) after which the workers are replaced. */
const RECYCLE_ENGINES = 16;
const RECYCLE_BYTES = 256 * 1024 * 1024;
/** Slots a call may be described in (pool.ts findSlot). */
const WAYS = 8;
/** How many spin iterations the caller makes before it waits (where it may). */
const JOIN_SPIN = 1 << 16;

interface Handle { index: number; post(m: unknown): void; terminate(): void; }

type NodeWorkerThreads = {
  Worker: new (code: string, opts: { eval: true; workerData: unknown }) => {
    postMessage(m: unknown): void; terminate(): Promise<number>; unref(): void; on(ev: string, fn: (e: unknown) => void): void;
  };
};

function nodeWorkerThreads(): NodeWorkerThreads | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } } }).process;
  if (typeof proc?.getBuiltinModule !== 'function' || !proc.versions?.node) return undefined;
  try {
    return proc.getBuiltinModule('node:worker_threads') as NodeWorkerThreads | undefined;
  } catch {
    return undefined;
  }
}

/** Whether this thread may block in Atomics.wait (not a browser page's main thread). */
let canBlock: boolean | undefined;
function mayBlock(ctl: Int32Array): boolean {
  if (canBlock === undefined) {
    try {
      Atomics.wait(ctl, L.MAINWAIT + 1, 12345, 0); // slot 11 (NARGS) never holds 12345 here: returns at once
      canBlock = true;
    } catch {
      canBlock = false;
    }
  }
  return canBlock;
}

export class ThreadPool {
  readonly ctl: Int32Array;
  readonly f64: Float64Array;
  readonly #buffer: SharedArrayBuffer;
  #workers: Handle[] = [];
  #seq = 0;
  #closed = false;
  /** Engines registered with the workers: id → what they were sent. */
  #engines = new Map<number, { module: WebAssembly.Module; memory: WebAssembly.Memory; names: string[] }>();
  readonly #errors: string[] = [];

  constructor() {
    this.#buffer = new SharedArrayBuffer(kit.CONTROL_BYTES);
    this.ctl = new Int32Array(this.#buffer);
    this.f64 = new Float64Array(this.#buffer, L.F64_BASE, kit.MAX_CHUNKS + kit.SLOTS * L.SLOT_F64);
  }

  // Descriptor slots (kit.ts): what call each slot describes, kept on this side. A call equal to
  // a slot's (same engine, thread count, kernel and arguments, bit for bit) runs from that slot
  // without writing it, and keeps its balance (balance.ts). A call may sit in any of WAYS slots
  // from its hash; a new one takes an empty one of those or the least recently used. (With one
  // slot per hash and 64 slots, 6 of the 9 split calls of an MNIST training step collided: they
  // were described again on every step, and their balance started over each time. 256 slots, 8
  // ways: in a simulation with random hashes, 64 calls repeated in turn keep their slots in
  // 99.9% of draws.) Thresholds changes forget them all (the plan of a call depends on them).
  readonly #slotArgs = new Float64Array(kit.SLOTS * kit.MAX_ARGS);
  readonly #slotCalls: (SlotCall | undefined)[] = new Array(kit.SLOTS).fill(undefined);
  readonly #slotUsed = new Float64Array(kit.SLOTS);
  #uses = 0;

  #hash(engine: number, threads: number, kernel: number, args: number[]): number {
    let h = Math.imul(kernel + 1, 0x9e3779b1) ^ Math.imul(engine, 0x85ebca6b) ^ threads;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      h = Math.imul(h ^ (a | 0) ^ ((a * 65536) | 0), 0xcc9e2d51);
      h ^= h >>> 15;
    }
    // spread every input bit over the low bits that pick the slot
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & (kit.SLOTS - 1);
  }

  #matches(slot: number, engine: number, threads: number, kernel: number, args: number[]): boolean {
    const c = this.#slotCalls[slot];
    if (!c || c.kernel !== kernel || c.engine !== engine || c.threads !== threads || c.nargs !== args.length) return false;
    const base = slot * kit.MAX_ARGS, keys = this.#slotArgs;
    for (let i = 0; i < args.length; i++) {
      const a = args[i], b = keys[base + i];
      if (a !== b || (a === 0 && 1 / a !== 1 / b)) return false; // −0 is not 0 (scal by −0)
    }
    return true;
  }

  /** The slot describing exactly this call, if one does. */
  findSlot(engine: number, threads: number, kernel: number, args: number[]): SlotCall | undefined {
    const h = this.#hash(engine, threads, kernel, args);
    for (let j = 0; j < WAYS; j++) {
      const slot = (h + j) & (kit.SLOTS - 1);
      if (this.#matches(slot, engine, threads, kernel, args)) {
        this.#slotUsed[slot] = ++this.#uses;
        return this.#slotCalls[slot];
      }
    }
    return undefined;
  }

  /** The slot a new call is described in (forgotten until remember(): the caller rewrites it). */
  slotOf(engine: number, threads: number, kernel: number, args: number[]): number {
    const h = this.#hash(engine, threads, kernel, args);
    let slot = h;
    for (let j = 0; j < WAYS; j++) {
      const s = (h + j) & (kit.SLOTS - 1);
      if (!this.#slotCalls[s]) { slot = s; break; }
      if (this.#slotUsed[s] < this.#slotUsed[slot]) slot = s;
    }
    this.#slotCalls[slot] = undefined;
    this.#slotUsed[slot] = ++this.#uses;
    this.described++;
    return slot;
  }

  /** Calls described into a slot so far (diagnostics: a repeated call is described once). */
  described = 0;

  remember(slot: number, engine: number, threads: number, kernel: number, args: number[], chunks: number, combine: Combine, chunk: number,
    c0: number, c1: number, balance: Balance | undefined): void {
    this.#slotArgs.set(args, slot * kit.MAX_ARGS);
    this.#slotCalls[slot] = { engine, threads, kernel, nargs: args.length, slot, chunks, combine, chunk, c0, c1, balance };
  }

  /** The balanced splits of the calls described in slots (diagnostics: where each boundary sits). */
  balances(): { kernel: number; dim: number; len: number; first: number; moves: number; share: number }[] {
    const out = [];
    for (const c of this.#slotCalls) if (c?.balance) out.push({ kernel: c.kernel, dim: c.balance.dim, len: c.balance.len, first: c.balance.first, moves: c.balance.moves, share: c.balance.share });
    return out;
  }

  /** Forget every slot's call (thresholds changed). */
  forgetSlots(): void {
    this.#slotCalls.fill(undefined);
  }

  get size(): number { return this.#workers.length + 1; }
  get closed(): boolean { return this.#closed; }

  /** Make sure the pool has at least threads − 1 workers. */
  ensure(threads: number): void {
    while (this.#workers.length < threads - 1) this.#spawn(this.#workers.length + 1);
  }

  #spawn(index: number): void {
    const gen = Atomics.add(this.ctl, L.GENS + index, 1) + 1;
    const code = `(${threadKit.toString()})().serve(HOST, CTL, ${index}, ${SPIN_MS}, ${gen}, ${Atomics.load(this.ctl, L.MAILS + index)});`;
    const wt = nodeWorkerThreads();
    let handle: Handle;
    if (wt) {
      // getBuiltinModule, not require: workers inherit execArgv, and under --input-type=module
      // (node -e with ESM) the script is a module, where require does not exist
      const src = `const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const HOST = { onMessage: (f) => parentPort.on('message', f), post: (m) => parentPort.postMessage(m), exit: () => process.exit(0) };
const CTL = workerData;
${code}`;
      const w = new wt.Worker(src, { eval: true, workerData: this.#buffer });
      w.on('error', (e) => this.#failed(e));
      w.on('message', (m) => this.#ack(m));
      w.unref(); // after the listeners (adding a 'message' listener refs the worker again)
      handle = { index, post: (m) => w.postMessage(m), terminate: () => { void w.terminate(); } };
    } else if (typeof Worker === 'function' && typeof Blob === 'function' && typeof URL.createObjectURL === 'function') {
      const src = `let CTL, queued = [], handler = null;
const HOST = { onMessage: (f) => { handler = f; for (const m of queued) f(m); queued = []; }, post: (m) => self.postMessage(m), exit: () => self.close() };
self.onmessage = (e) => {
  if (CTL === undefined) { CTL = e.data; ${code} return; }
  if (handler) handler(e.data); else queued.push(e.data);
};`;
      const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
      const w = new Worker(url, { type: 'module', name: `descent-thread-${index}` });
      URL.revokeObjectURL(url);
      w.onerror = (e) => this.#failed(e);
      w.onmessage = (e) => this.#ack(e.data);
      w.postMessage(this.#buffer);
      handle = { index, post: (m) => w.postMessage(m), terminate: () => w.terminate() };
    } else {
      throw new DescentError('threads: this runtime has neither worker_threads nor Web Workers');
    }
    this.#workers[index - 1] = handle;
    for (const [id, e] of this.#engines) this.#mail(handle, { type: 'engine', id, ...e });
  }

  #mail(to: Handle, m: unknown): void {
    to.post(m);
    Atomics.add(this.ctl, L.MAILS + to.index, 1); // after the post: a worker that sees it will find the message
    Atomics.add(this.ctl, L.WAKE, 1);
    Atomics.notify(this.ctl, L.WAKE);
  }

  /** Acknowledgements: engine id → workers that have instantiated it, and who waits for all. */
  #acks = new Map<number, { count: number; wake?: () => void }>();

  /** A worker died: kernel calls go on without it (its chunks are taken by others). */
  #failed(e: unknown): void {
    this.#errors.push(String((e as Error)?.message ?? e));
    for (const a of this.#acks.values()) { a.count++; if (a.count >= this.#workers.length && a.wake) { a.wake(); a.wake = undefined; } }
  }

  /** Messages of workers that failed (none in a healthy pool). */
  get errors(): readonly string[] { return this.#errors; }

  #ack(m: unknown): void {
    const msg = m as { type?: string; id?: number };
    if (msg?.type !== 'ready' || typeof msg.id !== 'number') return;
    const a = this.#acks.get(msg.id);
    if (!a) return;
    a.count++;
    if (a.count >= this.#workers.length && a.wake) { a.wake(); a.wake = undefined; }
  }

  /** Instantiate an engine's module on its memory in every worker (now and in later ones). */
  register(id: number, module: WebAssembly.Module, memory: WebAssembly.Memory, names: string[]): void {
    const e = { module, memory, names };
    this.#engines.set(id, e);
    this.#acks.set(id, { count: 0 });
    for (const w of this.#workers) this.#mail(w, { type: 'engine', id, ...e });
  }

  /**
   * Resolves when every worker has instantiated engine id (or after timeoutMs). Kernel calls do
   * not need it — a worker without the instance just takes no chunks — but a browser page's main
   * thread must yield once for its workers to start, which awaiting this does.
   */
  ready(id: number, timeoutMs = 10000): Promise<void> {
    const a = this.#acks.get(id);
    if (!a || a.count >= this.#workers.length) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => { a.wake = undefined; resolve(); }, timeoutMs);
      a.wake = () => { clearTimeout(t); resolve(); };
    });
  }

  /** Let the workers drop their instance of an engine (its memory can then be collected). */
  unregister(id: number): void {
    this.#acks.delete(id);
    const e = this.#engines.get(id);
    if (!e || !this.#engines.delete(id) || this.#closed) return;
    for (const w of this.#workers) this.#mail(w, { type: 'drop', id });
    // A worker lets go of the instance, but its isolate frees the memory only when it collects,
    // which one that waits on Atomics may never do (+1.4 MiB per dropped engine in a test that
    // dropped 50). So after enough dropped memory the workers are replaced by new ones.
    this.#droppedBytes += e.memory.buffer.byteLength;
    if (++this.#droppedCount >= RECYCLE_ENGINES || this.#droppedBytes >= RECYCLE_BYTES) this.#recycle();
  }

  #droppedBytes = 0;
  #droppedCount = 0;

  /**
   * Replace every worker by a new one at the same index. Called between kernel calls (from a
   * finalizer), so no chunk is in flight; an old worker leaves at its next look at the control
   * block (its generation changed) or on the 'retire' message, never inside a chunk.
   */
  #recycle(): void {
    this.#droppedBytes = 0;
    this.#droppedCount = 0;
    const old = this.#workers;
    this.#workers = [];
    for (let i = 0; i < old.length; i++) {
      this.#spawn(i + 1); // bumps GENS[i + 1] first: the old worker at i + 1 is retired
      old[i].post({ type: 'retire' });
    }
    Atomics.add(this.ctl, L.WAKE, 1);
    Atomics.notify(this.ctl, L.WAKE);
    this.recycled++;
  }

  /** The last job's time from publishing to the end of the join, in ms, and when it ended (performance.now(); balance.ts). */
  lastJobMs = 0;
  lastJobEnd = 0;
  /** The calling thread's own chunks' time in the last job (ms). */
  lastOwnMs = 0;

  /** How many times the workers were replaced (see unregister). */
  recycled = 0;

  /**
   * Run the job described in a slot: the caller takes chunks too (running them with fn, its own
   * instance's export), then waits for the rest. A reduction's chunk results are left in
   * f64[RESULTS + c]. Returns balance.ts's signal: +1 when this thread ran chunk 0 alone and
   * then had to wait for the workers, −1 when it ran chunk 0 alone and found them done, else 0.
   */
  run(engine: number, threads: number, slot: number, nChunks: number, fn: (...a: number[]) => number): number {
    const ctl = this.ctl, f64 = this.f64;
    if (nChunks > kit.MAX_CHUNKS) throw new DescentError(`threads: a job of ${nChunks} chunks (at most ${kit.MAX_CHUNKS})`);
    const base = L.SLOT_BASE + slot * L.SLOT_F64;
    // A spinning worker reads this line all the time, so every write to it may cost a round trip
    // between the cores: only what changed is written (a repeated call changes none of these),
    // and DONE is never reset — the join waits for it to move by the workers' chunk count.
    //
    // The last job's word still reads (its seq, its chunk count): every chunk was claimed. A
    // worker that saw that seq late can still try to claim, and fails as long as the chunk
    // count it compares with is not larger — so the word needs closing (seq, 0xffff) only
    // before the count grows (a closing store after every job cost a round trip between the
    // cores on each call; test/threads.test.ts's alternating chunk counts on 8 threads)
    if (ctl[L.ENGINE] !== engine) ctl[L.ENGINE] = engine;
    if (ctl[L.SLOT] !== slot) ctl[L.SLOT] = slot;
    if (ctl[L.THREADS] !== threads) ctl[L.THREADS] = threads;
    const was = ctl[L.NCHUNKS];
    if (nChunks > was) Atomics.store(ctl, L.WORD, (this.#seq << 16) | 0xffff);
    if (nChunks !== was) Atomics.store(ctl, L.NCHUNKS, nChunks);
    const doneBase = Atomics.load(ctl, L.DONE);
    const seq = this.#seq = (this.#seq + 1) & 0x7fff;
    // published with chunk 0 claimed: the caller's (kit.ts)
    Atomics.store(ctl, L.WORD, (seq << 16) | 1);
    Atomics.add(ctl, L.WAKE, 1);
    if (Atomics.load(ctl, L.SLEEPERS) > 0) Atomics.notify(ctl, L.WAKE);
    const t0 = performance.now();
    kit.runChunk(fn, f64, base, 0, 0);
    let mine = 1, only0 = true;
    for (let c = kit.claim(ctl, seq); c >= 0; c = kit.claim(ctl, seq)) {
      kit.runChunk(fn, f64, base, c, 0);
      mine++; only0 = false;
    }
    ctl[L.STATS] += mine;
    const errorsBefore = this.#errors.length;
    // DONE counts the workers' chunks only (every chunk is claimed once the loop above ends, so
    // theirs is what we did not run): adding ours would take the job's line from a worker once
    // more, and its own add would then have to take it back
    const theirs = nChunks - mine;
    // done: chunks the workers finished since this job was published (Int32 wrap-around safe;
    // inline, not a closure: this runs on every split kernel call)
    let done = (Atomics.load(ctl, L.DONE) - doneBase) | 0;
    // balance.ts's signal: this thread ran chunk 0 alone and then waited (+1) or did not (−1)
    const waits = done < theirs;
    const signal = !only0 ? 0 : waits ? 1 : -1;
    // the clock is read twice when the workers were done (each read ~50 ns), three times when not
    const t1 = performance.now();
    for (let i = 0; done < theirs; i++) {
      if (i < JOIN_SPIN || !mayBlock(ctl)) {
        done = (Atomics.load(ctl, L.DONE) - doneBase) | 0;
        continue;
      }
      Atomics.store(ctl, L.MAINWAIT, 1);
      const raw = Atomics.load(ctl, L.DONE);
      if (((raw - doneBase) | 0) < theirs) Atomics.wait(ctl, L.DONE, raw, 20);
      Atomics.store(ctl, L.MAINWAIT, 0);
      done = (Atomics.load(ctl, L.DONE) - doneBase) | 0;
      if (done < theirs && this.#errors.length > errorsBefore) {
        throw new DescentError(`threads: a worker died during a kernel call (${this.#errors[errorsBefore]}); its chunk is lost. closeThreads() and retry, or init({ threads: 1 })`);
      }
    }
    const t2 = waits ? performance.now() : t1;
    this.lastJobMs = t2 - t0;
    this.lastJobEnd = t2;
    this.lastOwnMs = t1 - t0;
    this.#watch(t1 - t0, t2 - t1);
    return signal;
  }

  // Contention. When another process holds a core, a worker is descheduled in the middle of its
  // chunk and the caller waits a time slice for it: on 2 vCPUs with one busy, MNIST training ran
  // at 0.74–0.81× of one thread. The caller therefore watches its joins: a join that waits longer
  // than the caller's own share of the work (and > 50 µs) is slow; after SLOW_JOBS slow jobs in a
  // row the pool backs off — kernel calls run on the calling thread for BACKOFF_MS — then tries
  // again. Results do not change (they never depend on the split), only the speed.
  #slow = 0;
  #backoffUntil = 0;
  /** Times the pool backed off (diagnostics). */
  backoffs = 0;

  #watch(own: number, wait: number): void {
    if (wait > 0.05 && wait > own) {
      if (++this.#slow >= SLOW_JOBS) {
        this.#slow = 0;
        this.#backoffUntil = performance.now() + BACKOFF_MS;
        this.backoffs++;
      }
    } else if (this.#slow > 0) {
      this.#slow--;
    }
  }

  /** Whether the pool is backing off after slow joins (calls then stay on the calling thread). */
  get contended(): boolean {
    if (this.#backoffUntil === 0) return false;
    if (performance.now() < this.#backoffUntil) return true;
    this.#backoffUntil = 0; // over: no clock read on later calls
    return false;
  }

  /** Chunks run so far by each thread of the pool (index 0: the engines' own thread). */
  stats(): number[] {
    return Array.from({ length: this.size }, (_, i) => Atomics.load(this.ctl, L.STATS + i * L.STATS_STRIDE));
  }

  /** Stop every worker; later calls run on the calling thread until a new pool starts. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.store(this.ctl, L.CLOSED, 1);
    Atomics.add(this.ctl, L.WAKE, 1);
    Atomics.notify(this.ctl, L.WAKE);
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
    this.#engines.clear();
  }
}

let current: ThreadPool | undefined;

/** The pool of this thread, started (or grown) to give `threads` threads. */
export function threadPool(threads: number): ThreadPool {
  if (!current || current.closed) current = new ThreadPool();
  current.ensure(threads);
  return current;
}

/** The running pool, if any (without starting one). */
export function runningPool(): ThreadPool | undefined {
  return current && !current.closed ? current : undefined;
}

/**
 * The sizes below which kernel calls stay on the calling thread (elements of elementwise and
 * optimizer kernels, multiply-adds of a GEMM): read them, or set some (for tuning on another
 * machine; bench/threads-thresholds.mjs measures them). They change speed, never results.
 */
export function threadThresholds(next: Partial<typeof THRESHOLDS> = {}): typeof THRESHOLDS {
  checkOptionKeys(next, 'threadThresholds', Object.keys(THRESHOLDS));
  for (const [k, v] of Object.entries(next)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new DescentError(`threadThresholds: ${k} must be an integer ≥ 0, got ${show(v)}`);
  }
  Object.assign(THRESHOLDS, next);
  current?.forgetSlots();
  return { ...THRESHOLDS };
}

/** Chunks run so far by each thread of the running pool (index 0: the engines' own thread). */
export function threadStats(): number[] {
  return runningPool()?.stats() ?? [];
}

/**
 * Stop the worker threads. Engines keep working on their own thread; the next call that can use
 * threads starts a new pool. Not needed for a Node process to exit (workers are unref'd).
 */
export function closeThreads(): void {
  current?.close();
  current = undefined;
}
