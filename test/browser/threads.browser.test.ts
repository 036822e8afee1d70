// Threads in Chromium (issue #14): the browser bundle on a cross-origin-isolated page (served
// here with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp) runs kernels on a pool of module Workers sharing the engine's wasm memory, and
//   - init({ threads: 'auto' }) gives as many threads as cores (≥ 2 here), relaxed SIMD;
//   - a 3-epoch Adam training of 64-1024bn-512ln-10 on digits (threads-run.js) ends with the same
//     bits for 1, 2 and 3 threads, both ISAs, on the page's main thread (which cannot
//     Atomics.wait: the engine spin-joins) and in a module Worker (which may: it blocks), and
//     workers (thread index ≥ 1) ran chunks of it;
//   - those bits equal Node's (a child process on dist/node/index.js, same run) for plain SIMD,
//     and — measured on this machine, see the test — for relaxed SIMD too;
//   - a threaded fitAsync leaves the page responsive (a setInterval keeps ticking);
//   - on a page that is not cross-origin isolated, init() runs one thread and says why, and
//     init({ threads: 2 }) refuses with a clear error.
// Run `node scripts/build.mjs` first: the page loads dist/browser/index.js, which fetches
// /wasm/<isa>[-threads].wasm. Chromium comes from chromium.ts.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/index.js';
import { launchChromium } from './chromium.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const ISAS = ['simd', 'relaxed-simd'] as const;
type Isa = typeof ISAS[number];

/** One training run (threads-run.js trainOnce + diff). */
interface Run {
  isa: string; threads: number; threadsReason: string; ms: number; passes: number;
  chunks: number[]; digest: string; length: number; diff: string;
}
type Runs = Record<Isa, Record<number, Run>>;
interface Env { isWorker: boolean; crossOriginIsolated: boolean; sharedArrayBuffer: string; hardwareConcurrency: number; supportedIsas: string[] }
interface Here extends Env { init: { auto: Backend; explicit?: Backend }; runs: Runs; stats: number[]; ms: number }
type Ticking = Run & { ticks: number; ticksPerSecond: number; maxGapMs: number };
interface Responsive { fitAsync: Ticking; fitAsync1: Ticking; fit: Ticking }
interface Plain extends Env {
  auto: Backend; autoExplicit: Backend; trained: number[]; stats: number[];
  two: { name?: string; message?: string; isDescentError?: boolean; resolved?: Backend };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>threads</title>
<script type="module" src="/threads-page.js"></script>`;

/** Paths each server was asked for, with the status it answered. */
const requests: Record<'isolated' | 'plain', string[]> = { isolated: [], plain: [] };

function serve(kind: 'isolated' | 'plain'): Promise<Server> {
  const isolated = kind === 'isolated';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.on('finish', () => requests[kind].push(`${res.statusCode} ${path}`));
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    const send = (type: string, body: string | Buffer) => res.writeHead(200, { ...headers, 'Content-Type': type }).end(body);
    const js = 'text/javascript; charset=utf-8';
    if (path === '/') return send('text/html; charset=utf-8', PAGE);
    if (path === '/threads-page.js' || path === '/threads-run.js') return send(js, readFileSync(join(here, path.slice(1))));
    if (path === '/dist/browser/index.js') return send(js, readFileSync(join(root, 'dist/browser/index.js')));
    const wasm = /^\/wasm\/((?:simd|relaxed-simd)(?:-threads)?)\.wasm$/.exec(path);
    if (wasm) return send('application/wasm', readFileSync(join(root, 'wasm', `${wasm[1]}.wasm`)));
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
  });
  return new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', () => ok(server)); });
}

/**
 * The same runs in Node: a child process, because Node 20 validates relaxed SIMD only behind
 * --experimental-wasm-relaxed-simd (the browser project's test process has no such flag). It
 * loads dist/node/index.js and threads-run.js, the code the page runs.
 */
function nodeRuns(): Promise<{ node: string; runs: Runs; ms: number }> {
  const script = `import * as d from ${JSON.stringify(pathToFileURL(join(root, 'dist/node/index.js')).href)};
import { trainAll } from ${JSON.stringify(pathToFileURL(join(here, 'threads-run.js')).href)};
const t0 = performance.now();
const runs = await trainAll(d, ['simd', 'relaxed-simd'], [1, 2]);
d.closeThreads();
process.stdout.write(JSON.stringify({ node: process.version, runs, ms: Math.round(performance.now() - t0) }));`;
  return new Promise((ok, fail) => {
    execFile(process.execPath, ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e', script], { timeout: 120_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`the Node run failed: ${err.message}\n${stderr}`));
        else ok(JSON.parse(stdout));
      });
  });
}

let browser: Browser | undefined;
const servers: Server[] = [];
const pages: Partial<Record<'isolated' | 'plain', Page>> = {};
const logs: Record<'isolated' | 'plain', string[]> = { isolated: [], plain: [] };
let node: Promise<{ node: string; runs: Runs; ms: number }>;
let main: Here | undefined;
let worker: Here | undefined;

async function openPage(kind: 'isolated' | 'plain'): Promise<Page> {
  const server = await serve(kind);
  servers.push(server);
  const page = await browser!.newPage();
  page.on('console', (m) => logs[kind].push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs[kind].push(`pageerror: ${e.message}`));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => (window as unknown as { threadsPageReady?: boolean }).threadsPageReady === true, null, { timeout: 30_000 });
  return page;
}

/** page.evaluate of window[fn](...args), its time logged; the page's log on failure. */
async function call<T>(kind: 'isolated' | 'plain', fn: string, ...args: unknown[]): Promise<T> {
  const t0 = performance.now();
  try {
    return await pages[kind]!.evaluate(([f, a]) => (window as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>)[f as string](...(a as unknown[])), [fn, args] as const) as T;
  } catch (e) {
    throw new Error(`${fn}() on the ${kind} page failed: ${(e as Error).message}\nbrowser log:\n${logs[kind].join('\n')}`);
  } finally {
    console.log(`[threads in Chromium] ${fn}() on the ${kind} page: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

const fileStart = performance.now();

beforeAll(async () => {
  for (const f of ['dist/browser/index.js', 'dist/node/index.js', 'wasm/simd.wasm', 'wasm/relaxed-simd.wasm', 'wasm/simd-threads.wasm', 'wasm/relaxed-simd-threads.wasm']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`node scripts/build.mjs\` first`);
  }
  node = nodeRuns();
  node.catch(() => {}); // awaited in its test
  ({ browser } = await launchChromium());
  pages.isolated = await openPage('isolated');
  pages.plain = await openPage('plain');
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
  console.log(`[threads in Chromium] whole file: ${((performance.now() - fileStart) / 1000).toFixed(1)} s`);
});

/** Every run of one thread (page or worker): the same bits for 1, 2, 3 threads; workers ran chunks. */
function checkRuns(r: Here, where: string): void {
  for (const isa of ISAS) {
    const runs = r.runs[isa];
    console.log(`[threads in Chromium, ${where}] ${isa}: ${[1, 2, 3].map((t) => `${t} thread${t > 1 ? 's' : ''} ${runs[t].ms} ms (chunks per thread ${runs[t].chunks.join('/') || '-'})`).join(', ')}`);
    for (const t of [1, 2, 3]) {
      expect(runs[t], `${where} ${isa} ${t}`).toMatchObject({ isa, threads: t, diff: '' });
      expect(runs[t].digest, `${where} ${isa} ${t}`).toBe(runs[1].digest);
    }
    // the 1-thread engine runs no pool jobs; with t threads, threads 0…t−1 took chunks and no other
    // worker of the pool did (a pool grown to 3 sits out a 2-thread engine's jobs)
    expect(runs[1].chunks.every((c) => c === 0)).toBe(true);
    for (const t of [2, 3]) {
      const c = runs[t].chunks;
      for (let i = 0; i < t; i++) expect(c[i], `${where} ${isa} ${t} threads: chunks of thread ${i}`).toBeGreaterThan(0);
      for (let i = t; i < c.length; i++) expect(c[i], `${where} ${isa} ${t} threads: chunks of thread ${i}`).toBe(0);
    }
  }
  expect(r.stats.length).toBeGreaterThanOrEqual(3);
  expect(r.stats.slice(1).every((c) => c > 0)).toBe(true);
}

describe('threads in Chromium, cross-origin-isolated page', () => {
  it('crossOriginIsolated; init({ threads: \'auto\' }) runs ≥ 2 threads on relaxed SIMD, loading wasm/relaxed-simd-threads.wasm by URL', async () => {
    const info = await call<Env & { init: { auto: Backend; explicit?: Backend } }>('isolated', 'threadsInfo');
    console.log(`[threads in Chromium] hardwareConcurrency ${info.hardwareConcurrency}; auto: ${info.init.auto.threads} threads (${info.init.auto.threadsReason})`);
    expect(info).toMatchObject({ isWorker: false, crossOriginIsolated: true, sharedArrayBuffer: 'function' });
    expect(info.supportedIsas).toContain('relaxed-simd');
    const b = info.init.explicit ?? info.init.auto;
    expect(b.threads).toBeGreaterThanOrEqual(2);
    expect(b).toMatchObject({ isa: 'relaxed-simd', source: 'url' });
    if (!info.init.explicit) {
      expect(info.init.auto.threads).toBe(Math.min(info.hardwareConcurrency, 8));
      expect(info.init.auto.threadsReason).toMatch(/^auto: \d+ cores? reported/);
    }
    // the threads build came from next to the others; the thread workers need no file (Blob URLs)
    expect(requests.isolated).toContain('200 /wasm/relaxed-simd-threads.wasm');
    expect(requests.isolated.filter((r) => !r.startsWith('200 '))).toEqual([]);
  });

  it('page main thread (spin-join): 3 epochs of 64-1024bn-512ln-10 with Adam give the same bits for 1, 2 and 3 threads, both ISAs; workers ran chunks', async () => {
    main = await call<Here>('isolated', 'runMain');
    expect(main.isWorker).toBe(false);
    checkRuns(main, 'page');
    expect(requests.isolated).toContain('200 /wasm/simd-threads.wasm');
    expect(requests.isolated.filter((r) => !r.startsWith('200 '))).toEqual([]);
  });

  it('module Worker (Atomics.wait join): the same bits for 1, 2 and 3 threads, both ISAs, and the same bits as the page', async () => {
    worker = await call<Here>('isolated', 'runWorker');
    expect(worker).toMatchObject({ isWorker: true, crossOriginIsolated: true, sharedArrayBuffer: 'function' });
    expect(worker.init.auto.threads).toBeGreaterThanOrEqual(worker.hardwareConcurrency >= 2 ? 2 : 1);
    checkRuns(worker, 'worker');
    for (const isa of ISAS) expect(worker.runs[isa][1].digest, isa).toBe(main!.runs[isa][1].digest);
  });

  it('Chromium ≡ Node: plain SIMD gives the same bits; so does relaxed SIMD on this machine', async () => {
    const n = await node;
    console.log(`[threads in Chromium] Node ${n.node} (child process, dist/node/index.js): ${(n.ms / 1000).toFixed(1)} s; `
      + ISAS.map((isa) => `${isa} 1 thread ${n.runs[isa][1].ms} ms, 2 threads ${n.runs[isa][2].ms} ms`).join('; '));
    for (const isa of ISAS) {
      expect(n.runs[isa][1]).toMatchObject({ isa, threads: 1, diff: '' });
      expect(n.runs[isa][2]).toMatchObject({ isa, threads: 2, diff: '' });
    }
    // plain SIMD is deterministic by the wasm spec: every engine on every machine gives these bits
    expect(n.runs.simd[1].digest).toBe(main!.runs.simd[1].digest);
    // Relaxed SIMD may round differently on another CPU (fused or unfused multiply-add), so two
    // machines can disagree; on one machine, Node's V8 and Chromium's lower it the same way
    // (measured: equal bits here). Should this ever fail, compare the two V8s' lowering of
    // f32x4.relaxed_madd on this CPU before suspecting the threads code: the 1-, 2- and 3-thread
    // runs must still agree within each runtime (checked above).
    expect(n.runs['relaxed-simd'][1].digest).toBe(main!.runs['relaxed-simd'][1].digest);
    expect(n.runs.simd[1].digest).not.toBe(n.runs['relaxed-simd'][1].digest); // the two ISAs differ, so the checks above are two checks
  });

  it('the page stays responsive: a setInterval keeps ticking while a 2-thread fitAsync trains on the main thread, as with one thread (a synchronous fit blocks it)', async () => {
    const r = await call<Responsive>('isolated', 'runResponsive', 2);
    const line = (x: Responsive['fit']) => `${x.ticks} ticks in ${x.ms} ms (${x.ticksPerSecond.toFixed(1)}/s, longest gap ${x.maxGapMs} ms)`;
    console.log(`[threads in Chromium] setInterval(10 ms) during fitAsync, 2 threads: ${line(r.fitAsync)}; 1 thread: ${line(r.fitAsync1)}; `
      + `during a 2-thread fit: ${line(r.fit)}`);
    expect(r.fitAsync.threads).toBe(2);
    expect(r.fitAsync.chunks[1]).toBeGreaterThan(0);
    // The bar is modest on purpose. fitAsync yields to the event loop after every step here (a
    // step takes longer than its 16 ms yieldEveryMs), through a MessageChannel; Chromium runs a due
    // timer on only about every other such turn (measured with a bare busy loop: 11 ticks in 22
    // turns of 45 ms; setTimeout(0) turns let it run every turn), so 24 steps give ≈ 10 ticks,
    // with one thread or two. The tick count is what the yields allow; the rate follows the step
    // time, which on this shared 2-vCPU runner varies 3× with other load (≈ 6–16 ticks/s
    // measured). The timer must run, ≥ 2 times a second, never wait 2 s, and tick at least half
    // as often as with one thread. (An absolute floor of one tick per 4 steps measured the
    // MessageChannel/timer interplay of fitAsync, not threads, and failed at 5 ticks for 6 while
    // other browser test files ran beside this one: the comparison with one thread is the claim.)
    expect(r.fitAsync.ticks).toBeGreaterThan(0);
    expect(r.fitAsync.ticksPerSecond).toBeGreaterThanOrEqual(2);
    expect(r.fitAsync.maxGapMs).toBeLessThan(2000);
    expect(r.fitAsync.ticks).toBeGreaterThanOrEqual(r.fitAsync1.ticks / 2);
    expect(r.fit.ticks).toBe(0);
    // fitAsync and fit train the same bits, and the same as runMain's 1-thread run
    for (const x of [r.fitAsync, r.fitAsync1, r.fit]) expect(x.digest).toBe(main!.runs['relaxed-simd'][1].digest);
  });
});

describe('threads in Chromium, page not cross-origin isolated', () => {
  it('init() runs one thread and says it is for want of cross-origin isolation; init({ threads: 2 }) throws saying so', async () => {
    const r = await call<Plain>('plain', 'runPlain');
    console.log(`[threads in Chromium, plain page] threadsReason: ${r.auto.threadsReason}\n  init({ threads: 2 }): ${r.two.name}: ${r.two.message}`);
    expect(r).toMatchObject({ crossOriginIsolated: false, sharedArrayBuffer: 'undefined' });
    for (const b of [r.auto, r.autoExplicit]) {
      expect(b).toMatchObject({ threads: 1, isa: 'relaxed-simd' });
      expect(b.threadsReason).toMatch(/^auto: one thread: .*not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    }
    expect(r.two).toMatchObject({ name: 'DescentError', isDescentError: true });
    expect(r.two.message).toMatch(/^init: threads: 2 asked for, but this page is not cross-origin isolated/);
    expect(r.two.message).toMatch(/Cross-Origin-Embedder-Policy: require-corp/);
    expect(r.trained).toHaveLength(1);
    expect(Number.isFinite(r.trained[0])).toBe(true);
    expect(r.stats).toEqual([]); // no pool was ever started on this page
  });
});
