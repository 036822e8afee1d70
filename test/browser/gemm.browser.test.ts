// GEMM in Chromium (main thread and a module Web Worker) against Node, through the built
// bundles: dist/browser/index.js served over http to Chromium (playwright-core; which one: chromium.ts),
// dist/node/index.js here. The plain-SIMD build must give the same bits everywhere; the
// relaxed build (FMA on this machine) must agree within a rounding tolerance.
//
// Inputs come from gemm-shared.js (seeded generator, cases, runner), which both sides use.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Descent from '../../src/index.js';
import { launchChromiumContext } from './chromium.js';
import { CASES, caseInputs, runAll, runTraining, type CaseBits, type GemmCase } from './gemm-shared.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const browserBundle = join(root, 'dist/browser/index.js');
const nodeBundle = join(root, 'dist/node/index.js');
const REL_TOL = 1e-5;

interface Run { backend: Descent.Backend; cases: CaseBits[] }
interface PageResult {
  training: ReturnType<typeof runTraining>;
  userAgent: string;
  supportedIsas: string[];
  simd: Run;
  simd6: Run;
  relaxed: Run;
  init: Run;
  worker: Run & { isWorker: boolean };
}

const routes: Record<string, { file: string; type: string }> = {
  '/': { file: join(here, 'gemm.html'), type: 'text/html; charset=utf-8' },
  '/gemm.html': { file: join(here, 'gemm.html'), type: 'text/html; charset=utf-8' },
  '/descent.js': { file: browserBundle, type: 'text/javascript; charset=utf-8' },
  // the bundle fetches its module from new URL('../../wasm/<build>.wasm', import.meta.url)
  '/wasm/simd.wasm': { file: join(root, 'wasm/simd.wasm'), type: 'application/wasm' },
  '/wasm/relaxed-simd.wasm': { file: join(root, 'wasm/relaxed-simd.wasm'), type: 'application/wasm' },
  '/gemm-shared.js': { file: join(here, 'gemm-shared.js'), type: 'text/javascript; charset=utf-8' },
  '/gemm-page.js': { file: join(here, 'gemm-page.js'), type: 'text/javascript; charset=utf-8' },
  '/gemm-worker.js': { file: join(here, 'gemm-worker.js'), type: 'text/javascript; charset=utf-8' },
};

let server: Server | undefined;
let context: BrowserContext | undefined;
let closeChromium: (() => Promise<void>) | undefined;
let page: PageResult;
const node: Record<'simd' | 'simd6' | 'init', CaseBits[]> = { simd: [], simd6: [], init: [] };
let nodeTraining: ReturnType<typeof runTraining>;
const browserLog: string[] = [];

const hex = (u: number) => `0x${u.toString(16).padStart(8, '0')}`;
const f32 = (u: number) => new Float32Array(new Uint32Array([u]).buffer)[0];

/** '' when every uint32 is equal; else the number of differing elements and the first few. */
function bitDiff(c: GemmCase, expected: number[], actual: number[]): string {
  if (actual.length !== expected.length) return `${c.name}: length ${actual.length}, expected ${expected.length}`;
  const bad: number[] = [];
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) bad.push(i);
  if (bad.length === 0) return '';
  const first = bad.slice(0, 3).map((i) => `[${Math.floor(i / c.n)},${i % c.n}] ${hex(actual[i])} (${f32(actual[i])}) vs Node ${hex(expected[i])} (${f32(expected[i])})`);
  return `${c.name}: ${bad.length}/${expected.length} elements differ; first: ${first.join('; ')}`;
}

/** Per element of the result: the float64 value and Σ|terms| = |α|·Σₚ|a·b| + |β·c| + |bias|. */
function reference(c: GemmCase): { value: Float64Array; scale: Float64Array } {
  const x = caseInputs(c);
  const { m, n, k } = c;
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, abs = 0;
      for (let p = 0; p < k; p++) {
        const a = c.transA ? x.A[p * m + i] : x.A[i * k + p];
        const b = c.transB ? x.B[j * k + p] : x.B[p * n + j];
        s += a * b;
        abs += Math.abs(a * b);
      }
      let v = c.alpha * s, t = Math.abs(c.alpha) * abs;
      if (x.C && c.beta !== 0) { v += c.beta * x.C[i * n + j]; t += Math.abs(c.beta * x.C[i * n + j]); }
      if (x.bias) { v += x.bias[j]; t += Math.abs(x.bias[j]); }
      value[i * n + j] = v;
      scale[i * n + j] = t;
    }
  }
  return { value, scale };
}

/** '' when |actual − expected| ≤ REL_TOL·Σ|terms| everywhere; else the worst element. */
function toleranceDiff(c: GemmCase, expected: ArrayLike<number>, actualBits: number[], scale: Float64Array): string {
  let worst = -1, worstRatio = 0, over = 0;
  for (let i = 0; i < scale.length; i++) {
    const err = Math.abs(f32(actualBits[i]) - expected[i]);
    const ratio = err / (REL_TOL * scale[i]);
    if (!(ratio <= 1)) over++;
    if (!(ratio <= worstRatio)) { worstRatio = ratio; worst = i; }
  }
  if (over === 0) return '';
  return `${c.name}: ${over} elements outside ${REL_TOL}·Σ|terms|; worst [${Math.floor(worst / c.n)},${worst % c.n}] `
    + `${f32(actualBits[worst])} vs ${expected[worst]} (Σ|terms| ${scale[worst]}, ${worstRatio.toFixed(2)}× the tolerance)`;
}

beforeAll(async () => {
  for (const f of [browserBundle, nodeBundle]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` (node scripts/build.mjs) first`);
  }

  // Node: the same cases through the Node bundle.
  const d = (await import(pathToFileURL(nodeBundle).href)) as typeof Descent;
  node.simd = runAll(d, await d.createEngine({ isa: 'simd' }));
  node.simd6 = runAll(d, await d.createEngine({ isa: 'simd', gemmTile: 6 }));
  node.init = runAll(d, await d.init({ isa: 'simd' }));
  nodeTraining = runTraining(d, await d.createEngine({ isa: 'simd' }));

  server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (!route) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found'); return; }
    try {
      const body = readFileSync(route.file);
      res.writeHead(200, { 'Content-Type': route.type, 'Cache-Control': 'no-store' }).end(body);
    } catch (e) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(e));
    }
  });
  await new Promise<void>((ok, fail) => { server!.once('error', fail); server!.listen(0, '127.0.0.1', ok); });
  const { port } = server.address() as AddressInfo;

  const launched = await launchChromiumContext();
  context = launched.context;
  closeChromium = launched.close;
  const tab = context.pages()[0] ?? await context.newPage();
  tab.on('console', (m) => browserLog.push(`console.${m.type()}: ${m.text()}`));
  tab.on('pageerror', (e) => browserLog.push(`pageerror: ${e.message}`));
  await tab.goto(`http://127.0.0.1:${port}/gemm.html`);
  try {
    await tab.waitForFunction(() => (window as unknown as { gemmPageReady?: boolean }).gemmPageReady === true, null, { timeout: 20_000 });
    page = await tab.evaluate(() => (window as unknown as { runGemm: () => Promise<PageResult> }).runGemm());
  } catch (e) {
    throw new Error(`the test page failed: ${(e as Error).message}\nbrowser log:\n${browserLog.join('\n')}`);
  }
});

afterAll(async () => {
  await closeChromium?.();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
});

describe('gemm in Chromium vs Node (built bundles)', () => {
  it('runs every case on every engine', () => {
    expect(page.userAgent).toMatch(/Chrome\//);
    for (const run of [node.simd, node.simd6, node.init, page.simd.cases, page.simd6.cases, page.relaxed.cases, page.init.cases, page.worker.cases]) {
      expect(run.map((r) => r.name)).toEqual(CASES.map((c) => c.name));
      run.forEach((r, i) => expect(r.bits.length).toBe(CASES[i].m * CASES[i].n));
    }
  });

  it('Node plain SIMD is within tolerance of a float64 reference (sanity)', () => {
    const diffs = CASES.map((c, i) => {
      const ref = reference(c);
      return toleranceDiff(c, ref.value, node.simd[i].bits, ref.scale);
    }).filter(Boolean);
    expect(diffs).toEqual([]);
  });

  it('plain SIMD on the Chromium main thread is bit-identical to Node', () => {
    expect(page.simd.backend).toMatchObject({ isa: 'simd', threads: 1, gemmTile: '4x8', source: 'url' });
    expect(page.init.backend.isa).toBe('simd');
    const diffs = CASES.flatMap((c, i) => [
      bitDiff(c, node.simd[i].bits, page.simd.cases[i].bits),
      bitDiff(c, node.init[i].bits, page.init.cases[i].bits),
    ]).filter(Boolean);
    expect(diffs).toEqual([]);
  });

  it('plain SIMD with the 6×8 tile in Chromium is bit-identical to Node', () => {
    expect(page.simd6.backend).toMatchObject({ isa: 'simd', threads: 1, gemmTile: '6x8', source: 'url' });
    const diffs = CASES.map((c, i) => bitDiff(c, node.simd6[i].bits, page.simd6.cases[i].bits)).filter(Boolean);
    expect(diffs).toEqual([]);
  });

  it('plain SIMD in a module Web Worker is bit-identical to Node', () => {
    expect(page.worker.isWorker).toBe(true);
    expect(page.worker.backend.isa).toBe('simd');
    const diffs = CASES.map((c, i) => bitDiff(c, node.simd[i].bits, page.worker.cases[i].bits)).filter(Boolean);
    expect(diffs).toEqual([]);
  });

  it('relaxed SIMD in Chromium agrees with Node plain SIMD within tolerance', () => {
    expect(page.supportedIsas).toContain('relaxed-simd');
    expect(page.relaxed.backend.isa).toBe('relaxed-simd');
    let differing = 0, total = 0;
    const diffs = CASES.map((c, i) => {
      const nodeValues = new Float32Array(new Uint32Array(node.simd[i].bits).buffer);
      const { scale } = reference(c);
      const relaxed = page.relaxed.cases[i].bits;
      for (let j = 0; j < relaxed.length; j++) if (relaxed[j] !== node.simd[i].bits[j]) differing++;
      total += relaxed.length;
      return toleranceDiff(c, nodeValues, relaxed, scale);
    }).filter(Boolean);
    expect(diffs).toEqual([]);
    console.log(`relaxed SIMD (Chromium) vs plain SIMD (Node): ${differing}/${total} elements differ in their bits, all within ${REL_TOL}·Σ|terms|`);
  });

  it('the same seed gives the same weights, and the same training the same model, in Chromium and Node', () => {
    expect(page.training.initial.length).toBe(64 * 32 + 32 + 32 * 10 + 10);
    expect(page.training.initial).toEqual(nodeTraining.initial);
    expect(page.training.losses).toEqual(nodeTraining.losses);
    expect(page.training.trained).toEqual(nodeTraining.trained);
    expect(page.training.trained).not.toEqual(page.training.initial);
  });
});
