// Close and re-create the thread pool many times (issue #14: "a thread pool can be closed and
// re-created 1,000 times without leaking workers or memory"), and print what the process holds.
//
// A cycle: `await createEngine({ threads: 2 })` (it waits until the pool's worker has the
// engine's instance), one GEMM large enough to be split (256³), a check of its result,
// closeThreads(). Every tenth of the run, after two GCs, it samples RSS, the JS heap and the
// OS threads of the process (Linux: /proc/self/status; a worker is an OS thread, so a worker
// that outlives closeThreads() shows there), waiting up to a second for terminated workers
// to be gone. At the end it starts one more pool and leaves it running: the process must still
// exit by itself (workers are unref'd), which test/threads.test.ts times from the last line.
//
// With --keep-pool, the pool is never closed: each cycle's engine becomes garbage while the same
// worker lives on, so what is measured is whether a collected engine's instance and memory are
// let go by the workers (FinalizationRegistry → pool.unregister → 'drop').
//
// Usage: node --expose-gc scripts/threads-cycle.mjs [cycles=1000] [--keep-pool] [--isa simd|relaxed-simd] [--json]
// Needs dist/node/index.js (node scripts/build.mjs). Without --expose-gc it runs, but its
// memory figures are not after a GC. --json prints one JSON line at the end instead of a table.
import { readFileSync } from 'node:fs';

const d = await import(new URL('../dist/node/index.js', import.meta.url).href);

const args = process.argv.slice(2);
const json = args.includes('--json');
const keepPool = args.includes('--keep-pool');
const isaAt = args.indexOf('--isa');
const isa = isaAt >= 0 ? args[isaAt + 1] : 'simd';
const cycles = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--isa') ?? 1000);
if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`cycles must be a positive integer, got ${cycles}`);

const gc = globalThis.gc ?? (() => {});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** OS threads of this process (Linux), or null. */
function osThreads() {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  } catch {
    return null;
  }
}

const N = 256;
/** One cycle's engine and GEMM; returns the chunks the worker ran. */
async function cycle(close) {
  const e = await d.createEngine({ threads: 2, isa });
  if (e.backend().threads !== 2) throw new Error(`expected 2 threads, got ${e.backend().threads}`);
  const a = e.tensor([N, N]), b = e.tensor([N, N]), c = e.tensor([N, N]);
  a.data.fill(1);
  b.data.fill(0.5);
  const before = d.threadStats()[1] ?? 0;
  d.gemm(c, a, b);
  const worker = (d.threadStats()[1] ?? 0) - before;
  const cd = c.data;
  if (cd[0] !== N / 2 || cd[cd.length - 1] !== N / 2) throw new Error(`wrong GEMM result ${cd[0]}, ${cd[cd.length - 1]}`);
  if (close) d.closeThreads();
  return worker;
}

async function sample(i, t0, baseThreads) {
  gc();
  await sleep(20);
  gc();
  // terminated workers end asynchronously: give them up to a second
  let threads = osThreads();
  for (let w = 0; w < 100 && threads !== null && baseThreads !== null && threads > baseThreads; w++) {
    await sleep(10);
    threads = osThreads();
  }
  const m = process.memoryUsage();
  return { cycle: i, seconds: +((performance.now() - t0) / 1000).toFixed(2), rssMB: +(m.rss / 2 ** 20).toFixed(1), heapUsedMB: +(m.heapUsed / 2 ** 20).toFixed(2), externalMB: +(m.external / 2 ** 20).toFixed(2), osThreads: threads };
}

const t0 = performance.now();
const start = await sample(0, t0, null);
const samples = [start];
let withWorker = 0;
const every = Math.max(1, Math.floor(cycles / 10));
for (let i = 1; i <= cycles; i++) {
  if ((await cycle(!keepPool)) > 0) withWorker++;
  // with --keep-pool, the pool's one worker stays
  if (i % every === 0 || i === cycles) samples.push(await sample(i, t0, start.osThreads === null ? null : start.osThreads + (keepPool ? 1 : 0)));
}
// one more pool, left running: the process must exit anyway
await cycle(false);
const result = { isa, cycles, keepPool, seconds: +((performance.now() - t0) / 1000).toFixed(2), cyclesWithWorkerChunks: withWorker, samples, poolLeftRunning: d.threadStats().length, endedAt: Date.now() };
if (json) {
  console.log(JSON.stringify(result));
} else {
  console.log(`${cycles} cycles of createEngine({ threads: 2, isa: '${isa}' }), a 256³ GEMM${keepPool ? ' (the pool kept running, the engine dropped)' : ', closeThreads()'}: ${result.seconds} s; the worker took chunks in ${withWorker}`);
  console.log('cycle  seconds  rss MiB  heap MiB  external MiB  OS threads');
  for (const s of samples) console.log(`${String(s.cycle).padStart(5)}  ${String(s.seconds).padStart(7)}  ${String(s.rssMB).padStart(7)}  ${String(s.heapUsedMB).padStart(8)}  ${String(s.externalMB).padStart(12)}  ${String(s.osThreads).padStart(10)}`);
  console.log(`a pool of ${result.poolLeftRunning} threads is left running; the process should exit now (last line at ${result.endedAt})`);
}
