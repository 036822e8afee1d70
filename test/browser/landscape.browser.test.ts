// Landscape pictures in Chromium: the browser bundle (dist/browser/index.js, no fs) draws the
// Rosenbrock landscape with every optimizer inside a page, and the committed
// docs/pictures/landscape-*.svg files are opened directly; each is screenshotted and the
// screenshot's pixels are counted (decoded by the page itself: the PNG drawn on a canvas)
// to check that something was drawn: many distinct colours, a good share of non-white pixels,
// and the trajectory colours present.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landscapeSvg } from '../../src/plot/landscape.js';
import { landscapeProblem, optimizerTrajectory, TRAJECTORY_OPTIMIZERS } from '../../src/plot/trajectories.js';
import { launchChromium } from './chromium.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const browserBundle = join(root, 'dist/browser/index.js');
const pictures = join(root, 'docs/pictures');

// The page: builds the picture with the browser bundle and puts it in the document.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;background:#fff}</style></head><body>
<script type="module">
import * as d from '/descent.js';
const p = d.landscapeProblem('rosenbrock');
const runs = d.TRAJECTORY_OPTIMIZERS.map((name) => d.optimizerTrajectory(p, name));
const svg = d.landscapeSvg(p, runs);
document.body.innerHTML = svg;
window.landscape = { svg, ends: runs.map((r) => [r.x[r.x.length - 1], r.y[r.y.length - 1]]) };
</script></body></html>`;

interface PixelStats { width: number; height: number; distinct: number; nonWhite: number; colors: Record<string, number> }

/** Decodes a PNG in the page (canvas) and counts its pixels; `probe` colours are counted within ±24 per channel. */
async function pixelStats(page: Page, png: Buffer, probe: string[]): Promise<PixelStats> {
  return page.evaluate(async ({ b64, probe }) => {
    // works in an SVG document too (no HTML canvas element there)
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    const want = probe.map((h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)]);
    const colors: Record<string, number> = Object.fromEntries(probe.map((h) => [h, 0]));
    let nonWhite = 0;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i], g = data[i + 1], b = data[i + 2];
      seen.add((r << 16) | (g << 8) | b);
      if (r < 245 || g < 245 || b < 245) nonWhite++;
      want.forEach(([wr, wg, wb], k) => {
        if (Math.abs(r - wr) <= 24 && Math.abs(g - wg) <= 24 && Math.abs(b - wb) <= 24) colors[probe[k]]++;
      });
    }
    return { width: c.width, height: c.height, distinct: seen.size, nonWhite: nonWhite / (c.width * c.height), colors };
  }, { b64: png.toString('base64'), probe });
}

let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;
let base = '';
const browserLog: string[] = [];

beforeAll(async () => {
  if (!existsSync(browserBundle)) throw new Error(`${browserBundle} is missing: run \`npm run build\` (node scripts/build.mjs) first`);
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (type: string, body: string | Buffer) => res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    if (path === '/' || path === '/landscape.html') return send('text/html; charset=utf-8', PAGE);
    if (path === '/descent.js') return send('text/javascript; charset=utf-8', readFileSync(browserBundle));
    const m = /^\/pictures\/(landscape-[a-z]+\.svg)$/.exec(path);
    if (m && existsSync(join(pictures, m[1]))) return send('image/svg+xml', readFileSync(join(pictures, m[1])));
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((ok, fail) => { server!.once('error', fail); server!.listen(0, '127.0.0.1', ok); });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ browser } = await launchChromium({ args: ['--headless=new'] }));
  page = await browser.newPage({ viewport: { width: 960, height: 660 } });
  page.on('console', (m) => browserLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => browserLog.push(`pageerror: ${e.message}`));
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
});

// Tableau colours of SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam (landscape.ts PALETTE).
const PROBE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#e377c2'];

describe('landscape pictures in Chromium', () => {
  it('draws the Rosenbrock landscape with the browser bundle, as Node does', async () => {
    await page.goto(`${base}/landscape.html`);
    try {
      await page.waitForFunction(() => (window as unknown as { landscape?: unknown }).landscape !== undefined, null, { timeout: 30_000 });
    } catch (e) {
      throw new Error(`the page failed: ${(e as Error).message}\nbrowser log:\n${browserLog.join('\n')}`);
    }
    const got = await page.evaluate(() => (window as unknown as { landscape: { svg: string; ends: number[][] } }).landscape);
    // the same iterates as in Node (same f64 arithmetic), hence the same picture
    const p = landscapeProblem('rosenbrock');
    const runs = TRAJECTORY_OPTIMIZERS.map((n) => optimizerTrajectory(p, n));
    for (const [i, r] of runs.entries()) {
      expect(got.ends[i][0], r.name).toBeCloseTo(r.x[r.x.length - 1], 9);
      expect(got.ends[i][1], r.name).toBeCloseTo(r.y[r.y.length - 1], 9);
    }
    const nodeSvg = landscapeSvg(p, runs);
    const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
    expect(count(got.svg, /class="trajectory"/g)).toBe(TRAJECTORY_OPTIMIZERS.length);
    expect(count(got.svg, /class="contour"/g)).toBe(count(nodeSvg, /class="contour"/g));
    // the element is laid out at its size
    const box = await page.locator('svg').first().boundingBox();
    expect(box).toMatchObject({ width: 960, height: 660 });

    const stats = await pixelStats(page, await page.screenshot({ type: 'png' }), PROBE);
    expect(stats.width).toBe(960);
    expect(stats.distinct).toBeGreaterThan(500);
    expect(stats.nonWhite).toBeGreaterThan(0.3); // the filled contours: about half the picture
    for (const c of PROBE) expect(stats.colors[c], `pixels near ${c}`).toBeGreaterThan(20);
  });

  for (const fn of ['beale', 'rosenbrock', 'saddle', 'quadratic']) {
    it(`renders docs/pictures/landscape-${fn}.svg`, async () => {
      const res = await page.goto(`${base}/pictures/landscape-${fn}.svg`);
      expect(res?.status()).toBe(200);
      const stats = await pixelStats(page, await page.screenshot({ type: 'png' }), PROBE);
      expect(stats.distinct, fn).toBeGreaterThan(500);
      expect(stats.nonWhite, fn).toBeGreaterThan(0.3); // the plot area is about half the picture
      // at least four of the probed path colours show (paths can hide each other)
      expect(PROBE.filter((c) => stats.colors[c] > 20).length, fn).toBeGreaterThanOrEqual(4);
    });
  }
});
