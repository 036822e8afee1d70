// fitInWorker in Chromium: the browser bundle trains in a module Web Worker, and every result
// equals fit on the page's main thread bit for bit; an abort stops a run; the page renders
// (requestAnimationFrame) while the worker trains. Run `node scripts/build.mjs` first: the page
// loads dist/browser/index.js, which fetches /wasm/<build>.wasm and starts
// dist/browser/train-worker.js, all served here from their places in the package.
//
// The page runs twice: as an ordinary page (no SharedArrayBuffer: the abort travels as a
// message) and cross-origin isolated (COOP/COEP headers: the abort is a flag in shared memory).
// Chromium comes from chromium.ts.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const PAGE = `<!doctype html><meta charset="utf-8"><title>fitInWorker</title>
<script type="module" src="/train-worker-page.js"></script>`;

/** What the page's runTrainWorker() returns (train-worker-page.js). */
interface PageResult {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: string;
  backend: { isa: string; source: string };
  adam: { model: string; history: boolean; passes: number; epochs: number[]; progressEvents: number; framesInWorker: number; framesOnMain: number; valAccuracy: number };
  sgd: { model: string; history: boolean };
  abort: { abortAt: number; steps: number; total: number; stopped: string; model: string; history: boolean; accuracy: number; predicted: number };
  lbfgs: { model: string; history: boolean; stopModel: string; stopHistory: boolean; stopped: string };
  error: { expected: string; name: string; message?: string; isDescentError?: boolean };
}

function serve(isolated: boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    const send = (type: string, body: string | Buffer) => res.writeHead(200, { ...headers, 'Content-Type': type }).end(body);
    if (path === '/') return send('text/html; charset=utf-8', PAGE);
    if (path === '/train-worker-page.js') return send('text/javascript; charset=utf-8', readFileSync(join(here, 'train-worker-page.js')));
    const js = /^\/dist\/browser\/(index|train-worker)\.js$/.exec(path);
    if (js) return send('text/javascript; charset=utf-8', readFileSync(join(root, 'dist/browser', `${js[1]}.js`)));
    const wasm = /^\/wasm\/((?:relaxed-)?simd(?:-threads)?)\.wasm$/.exec(path);
    if (wasm) return send('application/wasm', readFileSync(join(root, 'wasm', `${wasm[1]}.wasm`)));
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
  });
  return new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', () => ok(server)); });
}

let browser: Browser | undefined;
const servers: Server[] = [];
const results: Record<'plain' | 'isolated', PageResult> = {} as never;

beforeAll(async () => {
  for (const f of ['dist/browser/index.js', 'dist/browser/train-worker.js', 'wasm/simd.wasm', 'wasm/relaxed-simd.wasm', 'wasm/simd-threads.wasm', 'wasm/relaxed-simd-threads.wasm']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`node scripts/build.mjs\` first`);
  }
  ({ browser } = await launchChromium());
  for (const kind of ['plain', 'isolated'] as const) {
    const server = await serve(kind === 'isolated');
    servers.push(server);
    const page = await browser.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    try {
      await page.waitForFunction(() => (window as unknown as { trainWorkerPageReady?: boolean }).trainWorkerPageReady === true, null, { timeout: 30_000 });
      const t0 = performance.now();
      results[kind] = await page.evaluate(() => (window as unknown as { runTrainWorker: () => Promise<PageResult> }).runTrainWorker());
      console.log(`[fitInWorker in Chromium, ${kind} page] ${((performance.now() - t0) / 1000).toFixed(1)} s; `
        + `rAF frames while the worker trained: ${results[kind].adam.framesInWorker}, while fit blocked the page: ${results[kind].adam.framesOnMain}; `
        + `abort() at step ${results[kind].abort.abortAt}, stopped after ${results[kind].abort.steps}`);
    } catch (e) {
      throw new Error(`the ${kind} test page failed: ${(e as Error).message}\nbrowser log:\n${log.join('\n')}`);
    }
    await page.close();
  }
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
});

describe.each(['plain', 'isolated'] as const)('fitInWorker in Chromium (%s page)', (kind) => {
  it('the page is what it should be: shared memory only when cross-origin isolated; the bundle fetched its wasm', () => {
    const r = results[kind];
    expect(r.crossOriginIsolated).toBe(kind === 'isolated');
    expect(r.sharedArrayBuffer).toBe(kind === 'isolated' ? 'function' : 'undefined');
    expect(r.backend).toMatchObject({ isa: 'relaxed-simd', source: 'url' });
  });

  it('Adam on a batch-norm + dropout model: parameters, running statistics and pass counter equal fit on the main thread bit for bit, and the history', () => {
    const r = results[kind].adam;
    expect(r.model).toBe('');
    expect(r.history).toBe(true);
    expect(r.passes).toBe(6 * Math.ceil(1438 / 16)); // digits: 1438 training samples
    expect(r.epochs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.progressEvents).toBeGreaterThanOrEqual(6);
    expect(r.valAccuracy).toBeGreaterThan(0.9);
  });

  it('the page renders while the worker trains (requestAnimationFrame ticks); fit on the main thread blocks it', () => {
    const r = results[kind].adam;
    expect(r.framesOnMain).toBe(0);
    expect(r.framesInWorker).toBeGreaterThanOrEqual(3);
  });

  it('plain SGD (fit\'s default): the same bits and history', () => {
    expect(results[kind].sgd).toEqual({ model: '', history: true });
  });

  it('an abort mid-epoch stops the run; the model equals fit aborted after the same step and predicts', () => {
    const r = results[kind].abort;
    expect(r.stopped).toBe('aborted');
    expect(r.steps).toBeGreaterThanOrEqual(r.abortAt);
    expect(r.steps).toBeLessThan(r.total);
    expect(r.model).toBe('');
    expect(r.history).toBe(true);
    expect(r.accuracy).toBeGreaterThan(0.5);
    expect(r.predicted).toBe(359);
  });

  it('full-batch L-BFGS: the same run; a \'stop\' from onEpochEnd keeps that iteration\'s parameters', () => {
    expect(results[kind].lbfgs).toEqual({ model: '', history: true, stopModel: '', stopHistory: true, stopped: 'callback' });
  });

  it('an error only the worker notices rejects with its message, a DescentError', () => {
    const r = results[kind].error;
    expect(r.expected).toMatch(/batchSize 5000 is larger than the training set/);
    expect(r).toEqual({ expected: r.expected, name: 'DescentError', message: r.expected, isDescentError: true });
  });
});
