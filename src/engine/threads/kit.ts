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
// Control block. Every job costs at least one cache line sent each way between cores (~1 µs
// round trip on this machine's vCPUs, measured with a bare ping-pong), so the layout keeps what a
// job touches on few lines: the job word and its counters share one, each thread's statistics
// have their own, and a job's descriptor lives in one of SLOTS descriptor slots. A training step
// repeats the same calls with the same arguments, so the caller reuses a slot whose arguments
// are equal (pool.ts) and writes nothing: the workers find the descriptor still in their cache.
// Int32 words (line 0 is the job's line):
//   WORD      seq << 16 | next unclaimed chunk — claims are compare-and-swap on this word, so a
//             thread still holding an older seq can never take a chunk of a newer job. A job is
//             published with chunk 0 already claimed: it is the caller's (a repeated call then
//             keeps each part on the same core, and the caller needs no compare-and-swap)
//   WAKE      bumped on every job and every message; idle workers Atomics.wait on it
//   CLOSED    1 when the pool shuts down
//   ENGINE, SLOT (the job's descriptor slot), NCHUNKS, THREADS, DONE (chunks finished by workers),
//   SLEEPERS, MAINWAIT
//   MAILS[i]  count of messages posted to worker i (engines to instantiate or drop)
//   GENS[i]   generation of worker i: a worker whose generation is no longer there leaves
//   STATS[i]  chunks run by thread i (0: the engines' own), one cache line each
// Float64 area (from byte F64_BASE): results[MAX_CHUNKS] (written only by reductions), then
// SLOTS descriptor slots of SLOT_F64 numbers (11 cache lines):
//   KERNEL, NARGS, CNT0, CNT1, WORKARG, GRID1, DIM0, DIM1, C0, C1, WORKBASE, WORKSTRIDE, RESULT,
//   FIRST0, FIRST1, TIMED, args[MAX_ARGS], mult0[MAX_ARGS], mult1[MAX_ARGS]
// FIRST0 (FIRST1), when not 0, is the length of the first chunk along dim0 (dim1); the others
// then start at FIRST + (u − 1)·C0: a balanced job (balance.ts) moves that boundary to give
// the calling thread's chunk 0 more or less of the work than the workers' chunks. TIMED, when
// not 0, asks workers to leave each chunk's time (ms) in results[c] (a balanced job is a GEMM,
// which has no results).

export interface ThreadKit {
  readonly L: Readonly<Record<string, number>>;
  readonly CONTROL_BYTES: number;
  readonly MAX_ARGS: number;
  readonly MAX_CHUNKS: number;
  claim(ctl: Int32Array, seq: number): number;
  readonly SLOTS: number;
  runChunk(fn: (...a: number[]) => number, f64: Float64Array, slot: number, chunk: number, thread: number): void;
  serve(host: WorkerHost, ctlBuffer: SharedArrayBuffer, index: number, spinMs: number, gen: number, mailStart: number): void;
}

/** What a worker needs from its runtime: incoming messages, and a way to end. */
export interface WorkerHost {
  onMessage(fn: (m: unknown) => void): void;
  post(m: unknown): void;
  exit(): void;
}

export function threadKit(): ThreadKit {
  const MAX_ARGS = 24, MAX_CHUNKS = 8192, SLOTS = 256;
  const L = {
    WORD: 0, WAKE: 1, CLOSED: 3, ENGINE: 4, SLOT: 5, NCHUNKS: 6, THREADS: 7, DONE: 8,
    SLEEPERS: 9, MAINWAIT: 10,
    MAILS: 128, // 64 words: messages posted to worker i
    GENS: 192, // 64 words: generation of the worker at index i (a recycled index gets a new one)
    STATS: 256, STATS_STRIDE: 16, // 64 threads × one cache line: chunks run by thread i
    F64_BASE: 5120, // bytes
    RESULTS: 0, // f64 index of the chunk results
    SLOT_BASE: MAX_CHUNKS, // f64 index of slot 0
    SLOT_F64: 88, // f64 numbers per slot (704 bytes: 11 cache lines)
    // offsets inside a slot
    KERNEL: 0, NARGS: 1, CNT0: 2, CNT1: 3, WORKARG: 4, GRID1: 5, DIM0: 6, DIM1: 7, C0: 8, C1: 9,
    WORKBASE: 10, WORKSTRIDE: 11, RESULT: 12, FIRST0: 13, FIRST1: 14, TIMED: 15, ARGS: 16, MULT0: 16 + MAX_ARGS, MULT1: 16 + 2 * MAX_ARGS,
  };
  const CONTROL_BYTES = L.F64_BASE + 8 * (MAX_CHUNKS + SLOTS * L.SLOT_F64);

  /** Take the next chunk of job seq, or −1 when it has none left (or a newer job started). */
  function claim(ctl: Int32Array, seq: number): number {
    // NCHUNKS before the word, both atomic: a count that grew is seen only with the word that
    // closed the older job (pool.ts run())
    const n = Atomics.load(ctl, L.NCHUNKS);
    for (;;) {
      const w = Atomics.load(ctl, L.WORD);
      if ((w >>> 16) !== seq) return -1;
      const c = w & 0xffff;
      if (c >= n) return -1;
      if (Atomics.compareExchange(ctl, L.WORD, w, w + 1) === w) return c;
    }
  }

  const argv: number[] = [];
  /**
   * Run chunk c of the job whose descriptor starts at f64[slot] (and store its result when the
   * job is a reduction); thread is 0 for the engine's own.
   */
  function runChunk(fn: (...a: number[]) => number, f64: Float64Array, slot: number, chunk: number, thread: number): void {
    const nargs = f64[slot + L.NARGS], grid1 = f64[slot + L.GRID1];
    const u = Math.floor(chunk / grid1), v = chunk - u * grid1;
    const c0 = f64[slot + L.C0], c1 = f64[slot + L.C1];
    const f0 = f64[slot + L.FIRST0], f1 = f64[slot + L.FIRST1];
    const s0 = f0 === 0 || u === 0 ? u * c0 : f0 + (u - 1) * c0;
    const s1 = f1 === 0 || v === 0 ? v * c1 : f1 + (v - 1) * c1;
    argv.length = nargs;
    for (let i = 0, a = slot + L.ARGS; i < nargs; i++, a++) {
      // offsets only where an argument moves: −0 + 0 is +0, and a scalar of −0 (scal by −0)
      // must reach the kernel as −0
      const m0 = f64[a + MAX_ARGS], m1 = f64[a + 2 * MAX_ARGS];
      let v = f64[a];
      if (m0 !== 0) v += s0 * m0;
      if (m1 !== 0) v += s1 * m1;
      argv[i] = v;
    }
    const cnt0 = f64[slot + L.CNT0], cnt1 = f64[slot + L.CNT1], work = f64[slot + L.WORKARG];
    if (cnt0 >= 0) argv[cnt0] = f0 !== 0 && u === 0 ? f0 : Math.min(c0, f64[slot + L.DIM0] - s0);
    if (cnt1 >= 0) argv[cnt1] = f1 !== 0 && v === 0 ? f1 : Math.min(c1, f64[slot + L.DIM1] - s1);
    if (work >= 0) argv[work] = f64[slot + L.WORKBASE] + thread * f64[slot + L.WORKSTRIDE];
    // a call with every slot spelled out: 12–15 ns against ~40 ns through apply (extra
    // arguments past the kernel's own are ignored; MAX_ARGS is 24)
    const a = argv;
    const r = fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
      a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23]);
    if (f64[slot + L.RESULT] !== 0) f64[L.RESULTS + chunk] = typeof r === 'number' ? r : 0;
  }

  /**
   * A worker's life: instantiate engines' modules on their shared memories as messages arrive,
   * and between messages take chunks of jobs for engines it has, spinning for spinMs after each
   * job before sleeping in Atomics.wait. It returns to its event loop whenever its MAILS slot says a
   * message is waiting (messages cannot be received while it blocks).
   */
  function serve(host: WorkerHost, ctlBuffer: SharedArrayBuffer, index: number, spinMs: number, gen: number, mailStart: number): void {
    const ctl = new Int32Array(ctlBuffer);
    const f64 = new Float64Array(ctlBuffer, L.F64_BASE, MAX_CHUNKS + SLOTS * L.SLOT_F64);
    const engines = new Map<number, { fns: ((...a: number[]) => number)[] }>();
    let mailSeen = mailStart, lastSeq = -1, running = false, gone = false;
    /** Closed pool, or replaced by a newer worker at this index: leave (never inside a chunk). */
    const retired = (): boolean => Atomics.load(ctl, L.CLOSED) !== 0 || Atomics.load(ctl, L.GENS + index) !== gen;
    const leave = (): void => { if (!gone) { gone = true; running = false; host.exit(); } };

    /** Run chunks of job seq; false when this worker is not one of the job's threads. */
    function work(seq: number): boolean {
      const e = engines.get(ctl[L.ENGINE]);
      if (!e || index >= ctl[L.THREADS]) return false;
      // the slot is read after the job word: the caller wrote it before publishing seq, and
      // rewrites it only after every chunk of seq is done (a late reader's claim then fails)
      const slot = L.SLOT_BASE + ctl[L.SLOT] * L.SLOT_F64;
      const fn = e.fns[f64[slot + L.KERNEL]];
      const stat = L.STATS + Math.min(index, 63) * L.STATS_STRIDE;
      // chunk 0 is the caller's: the job is published with it claimed (pool.ts run())
      const timed = f64[slot + L.TIMED] !== 0;
      for (let c = claim(ctl, seq); c >= 0; c = claim(ctl, seq)) {
        if (timed) {
          const t = performance.now();
          runChunk(fn, f64, slot, c, index);
          f64[L.RESULTS + c] = performance.now() - t; // read by the caller after DONE moves
        } else {
          runChunk(fn, f64, slot, c, index);
        }
        Atomics.add(ctl, stat, 1);
        // DONE counts workers' chunks (the caller knows its own): wake a caller blocked in the join
        Atomics.add(ctl, L.DONE, 1);
        if (Atomics.load(ctl, L.MAINWAIT)) Atomics.notify(ctl, L.DONE);
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

  return { L, CONTROL_BYTES, MAX_ARGS, MAX_CHUNKS, SLOTS, claim, runChunk, serve };
}
