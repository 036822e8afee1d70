// The code both sides of a job run: the job descriptor in a small shared control block, how a
// thread claims chunks of a job, how one chunk's arguments are derived, and a worker's loop.
//
// threadKit() must stay self-contained (no imports, no outer names): the pool sends its source
// text, `(${threadKit})()`, to every worker (a worker_threads eval script in Node, a Blob URL
// module Worker in browsers), so no bundler has to find a second file. The engine's own thread
// calls the same function, so chunk arithmetic cannot differ between threads.
//
// A job = one kernel call split into chunks over a grid dim0 × dim1 (rows × columns of a GEMM,
// elements of a vector). Chunk c covers [u·c0, u·c0 + len0) × [v·c1, v·c1 + len1) with
// u = ⌊c / grid1⌋, v = c mod grid1; its arguments are base[i] + start0·mult0[i] + start1·mult1[i],
// with the two count arguments replaced by len0 and len1 and the workspace argument by the
// executing thread's own workspace. Each chunk writes a disjoint part of the output, so who runs
// it does not matter: results are the same for any thread count. A reduction's chunk returns a
// partial that the caller combines in chunk order.
//
// Control block (Int32 slots; the Float64 area starts at byte F64_BASE):
//   WORD      seq << 16 | next unclaimed chunk — claims are compare-and-swap on this word, so a
//             thread still holding an older seq can never take a chunk of a newer job
//   WAKE      bumped on every job and every message; idle workers Atomics.wait on it
//   MAILS[i]  count of messages posted to worker i (engines to instantiate or drop)
//   CLOSED    1 when the pool shuts down
//   GENS[i]   generation of worker i: a worker whose generation is no longer there leaves
//   ENGINE, KERNEL, NCHUNKS, THREADS, DONE, SLEEPERS, MAINWAIT, NARGS, CNT0, CNT1, WORKARG, GRID1
//   STATS[i]  chunks run by thread i (0: the engines' own), for tests and diagnostics
//   f64: DIM0, DIM1, C0, C1, WORKBASE, WORKSTRIDE, args[MAX_ARGS], mult0[MAX_ARGS], mult1[MAX_ARGS],
//        results[MAX_CHUNKS]

export interface ThreadKit {
  readonly L: Readonly<Record<string, number>>;
  readonly CONTROL_BYTES: number;
  readonly MAX_ARGS: number;
  readonly MAX_CHUNKS: number;
  claim(ctl: Int32Array, seq: number): number;
  runChunk(fn: (...a: number[]) => number, ctl: Int32Array, f64: Float64Array, chunk: number, thread: number): number;
  serve(host: WorkerHost, ctlBuffer: SharedArrayBuffer, index: number, spinMs: number, gen: number, mailStart: number): void;
}

/** What a worker needs from its runtime: incoming messages, and a way to end. */
export interface WorkerHost {
  onMessage(fn: (m: unknown) => void): void;
  post(m: unknown): void;
  exit(): void;
}

export function threadKit(): ThreadKit {
  const MAX_ARGS = 24, MAX_CHUNKS = 8192;
  const L = {
    WORD: 0, WAKE: 1, CLOSED: 3, ENGINE: 4, KERNEL: 5, NCHUNKS: 6, THREADS: 7, DONE: 8,
    SLEEPERS: 9, MAINWAIT: 10, NARGS: 11, CNT0: 12, CNT1: 13, WORKARG: 14, GRID1: 15,
    STATS: 64, // 64 slots: chunks run by thread i (diagnostics, tests)
    MAILS: 128, // 64 slots: messages posted to worker i
    GENS: 192, // 64 slots: generation of the worker at index i (a recycled index gets a new one)
    F64_BASE: 1024, // bytes
    DIM0: 0, DIM1: 1, C0: 2, C1: 3, WORKBASE: 4, WORKSTRIDE: 5, ARGS: 8,
    MULT0: 8 + MAX_ARGS, MULT1: 8 + 2 * MAX_ARGS, RESULTS: 8 + 3 * MAX_ARGS,
  };
  const CONTROL_BYTES = L.F64_BASE + 8 * (L.RESULTS + MAX_CHUNKS);

  /** Take the next chunk of job seq, or −1 when it has none left (or a newer job started). */
  function claim(ctl: Int32Array, seq: number): number {
    const n = ctl[L.NCHUNKS];
    for (;;) {
      const w = Atomics.load(ctl, L.WORD);
      if ((w >>> 16) !== seq) return -1;
      const c = w & 0xffff;
      if (c >= n) return -1;
      if (Atomics.compareExchange(ctl, L.WORD, w, w + 1) === w) return c;
    }
  }

  const argv: number[] = [];
  /** Run chunk c of the job described in the control block; thread is 0 for the engine's own. */
  function runChunk(fn: (...a: number[]) => number, ctl: Int32Array, f64: Float64Array, chunk: number, thread: number): number {
    const nargs = ctl[L.NARGS], grid1 = ctl[L.GRID1];
    const u = Math.floor(chunk / grid1), v = chunk - u * grid1;
    const s0 = u * f64[L.C0], s1 = v * f64[L.C1];
    const len0 = Math.min(f64[L.C0], f64[L.DIM0] - s0), len1 = Math.min(f64[L.C1], f64[L.DIM1] - s1);
    argv.length = nargs;
    for (let i = 0; i < nargs; i++) argv[i] = f64[L.ARGS + i] + s0 * f64[L.MULT0 + i] + s1 * f64[L.MULT1 + i];
    if (ctl[L.CNT0] >= 0) argv[ctl[L.CNT0]] = len0;
    if (ctl[L.CNT1] >= 0) argv[ctl[L.CNT1]] = len1;
    if (ctl[L.WORKARG] >= 0) argv[ctl[L.WORKARG]] = f64[L.WORKBASE] + thread * f64[L.WORKSTRIDE];
    const r = fn.apply(null, argv);
    return typeof r === 'number' ? r : 0;
  }

  /**
   * A worker's life: instantiate engines' modules on their shared memories as messages arrive,
   * and between messages take chunks of jobs for engines it has, spinning for spinMs after each
   * job before sleeping in Atomics.wait. It returns to its event loop whenever its MAILS slot says a
   * message is waiting (messages cannot be received while it blocks).
   */
  function serve(host: WorkerHost, ctlBuffer: SharedArrayBuffer, index: number, spinMs: number, gen: number, mailStart: number): void {
    const ctl = new Int32Array(ctlBuffer);
    const f64 = new Float64Array(ctlBuffer, L.F64_BASE, L.RESULTS + MAX_CHUNKS);
    const engines = new Map<number, { fns: ((...a: number[]) => number)[] }>();
    let mailSeen = mailStart, lastSeq = -1, running = false, gone = false;
    /** Closed pool, or replaced by a newer worker at this index: leave (never inside a chunk). */
    const retired = (): boolean => Atomics.load(ctl, L.CLOSED) !== 0 || Atomics.load(ctl, L.GENS + index) !== gen;
    const leave = (): void => { if (!gone) { gone = true; running = false; host.exit(); } };

    /** Run chunks of job seq; false when this worker is not one of the job's threads. */
    function work(seq: number): boolean {
      const e = engines.get(ctl[L.ENGINE]);
      if (!e || index >= ctl[L.THREADS]) return false;
      const fn = e.fns[ctl[L.KERNEL]];
      for (let c = claim(ctl, seq); c >= 0; c = claim(ctl, seq)) {
        f64[L.RESULTS + c] = runChunk(fn, ctl, f64, c, index);
        Atomics.add(ctl, L.STATS + Math.min(index, 63), 1);
        if (Atomics.add(ctl, L.DONE, 1) + 1 === ctl[L.NCHUNKS] && Atomics.load(ctl, L.MAINWAIT)) Atomics.notify(ctl, L.DONE);
      }
      return true;
    }

    function loop(): void {
      if (gone) return;
      if (retired()) { leave(); return; }
      if (Atomics.load(ctl, L.MAILS + index) !== mailSeen) return; // the message handler calls again
      running = true;
      let spin = true;
      for (;;) {
        if (retired()) { leave(); return; }
        if (Atomics.load(ctl, L.MAILS + index) !== mailSeen) { running = false; return; } // back to the event loop
        const wake = Atomics.load(ctl, L.WAKE);
        const seq = Atomics.load(ctl, L.WORD) >>> 16;
        if (seq !== lastSeq) { lastSeq = seq; spin = work(seq); continue; }
        // idle: spin a while (the next kernel of a training step is usually microseconds away),
        // unless the last job was not for this worker (an engine with fewer threads): then sleep
        const until = performance.now() + (spin ? spinMs : 0);
        let changed = false;
        for (let i = 1; spin; i++) {
          if (Atomics.load(ctl, L.WAKE) !== wake) { changed = true; break; }
          if ((i & 255) === 0 && performance.now() > until) break;
        }
        if (changed) continue;
        Atomics.add(ctl, L.SLEEPERS, 1);
        const waitAsync = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;
        if (typeof waitAsync === 'function') {
          // sleep in the event loop, not in it: messages arrive, and the runtime can collect
          // what the worker dropped (instances and memories of collected engines — a worker
          // parked in Atomics.wait never ran a collection: +1.4 MiB per dropped engine)
          const r = waitAsync(ctl, L.WAKE, wake);
          if (!r.async) { Atomics.sub(ctl, L.SLEEPERS, 1); continue; }
          running = false;
          void (r.value as Promise<string>).then(() => { Atomics.sub(ctl, L.SLEEPERS, 1); if (!running) loop(); });
          return;
        }
        Atomics.wait(ctl, L.WAKE, wake);
        Atomics.sub(ctl, L.SLEEPERS, 1);
      }
    }

    host.onMessage((raw) => {
      const m = raw as { type: string; id: number; module?: WebAssembly.Module; memory?: WebAssembly.Memory; names?: string[] };
      if (gone) return;
      if (m.type === 'retire') { leave(); return; } // not counted in MAILS: the index is a new worker's
      if (m.type === 'engine') {
        const inst = new WebAssembly.Instance(m.module!, { env: { memory: m.memory! } });
        const ex = inst.exports as Record<string, (...a: number[]) => number>;
        engines.set(m.id, { fns: m.names!.map((n) => ex[n]) });
        host.post({ type: 'ready', id: m.id, index });
      } else if (m.type === 'drop') {
        engines.delete(m.id);
      }
      mailSeen++;
      if (!running) loop();
    });
    loop();
  }

  return { L, CONTROL_BYTES, MAX_ARGS, MAX_CHUNKS, claim, runChunk, serve };
}
