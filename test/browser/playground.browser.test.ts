// The playground (docs/playground/, served by `descent playground`) in Chromium, and the
// command itself.
//
// The page trains the digits in Web Workers (fitInWorker) with its default optimizers on load:
// the test waits for <body data-state="done"> and reads the result text, then checks that the
// pictures hold what they should (curve paths with a point per epoch in each run's colour, and
// those colours on the screen; the confusion matrix's 100 cells counting the 359 test samples;
// one landscape path per optimizer that has a 2-D version) and that the browser logged no
// error. ?autostart=0 must wait for the Train button, Stop must abort, and a narrow screen must
// not scroll sideways. The command: `node dist/cli.js playground --port 0` prints its URL and
// serves the page, the bundle and the wasm with the cross-origin isolation headers, and refuses
// paths that climb out of its folders.
//
// The full-page screenshot of the default run is written to $TMPDIR/descent-playground.png, or
// to docs/pictures/playground.png with DESCENT_UPDATE_PICTURES=1 (so ordinary runs leave the
// tree clean).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { request, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePlayground, type PlaygroundServer } from '../../src/cli/playground.js';
import { DEFAULT_LR as CLI_DEFAULT_LR } from '../../src/cli/train.js';
import { optimizer, OPTIMIZER_NAMES } from '../../src/optim/optimizer.js';
import { TRAJECTORY_OPTIMIZERS } from '../../src/plot/trajectories.js';
import { digits } from '../../src/data/digits.js';
import { trainTestSplit } from '../../src/data/split.js';
// @ts-expect-error: a plain ES module of the page, without types
import * as pageConfig from '../../docs/playground/config.js';
import { launchChromium } from './chromium.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const cli = join(root, 'dist/cli.js');
const worker = join(root, 'dist/browser/train-worker.js');
const config = pageConfig as { DEFAULT_LR: Record<string, number>; DEFAULTS: { optimizers: string[]; epochs: number } };

let server: PlaygroundServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  for (const f of [cli, worker]) if (!existsSync(f)) throw new Error(`${f} is missing: run \`node scripts/build.mjs\` first`);
  server = await servePlayground({ port: 0 });
  ({ browser } = await launchChromium({ args: ['--headless=new'] }));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A new page (own context) at `width` × `height` that records console errors and page errors. */
async function openPage(width: number, height: number): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await browser!.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return { page, context, errors };
}

const state = (page: Page) => page.evaluate(() => document.body.dataset.state);

/** Waits until the page's state leaves `from` (one of them); returns the new state. */
async function stateAfter(page: Page, from: string[], errors: string[], timeout = 90_000): Promise<string> {
  try {
    await page.waitForFunction((f) => !f.includes(document.body.dataset.state ?? ''), from, { timeout });
  } catch (e) {
    throw new Error(`the page stayed in ${from.join('/')}: ${(e as Error).message}\nstatus: ${await page.textContent('#status')}\nbrowser log:\n${errors.join('\n')}`);
  }
  return (await state(page))!;
}

const accuracyOf = (text: string | null) => Number(/test accuracy ([\d.]+)%/.exec(text ?? '')?.[1] ?? NaN);

/** Pixels of `png` within ±24 per channel of each colour (decoded by the page: canvas). */
async function colourCounts(page: Page, png: Buffer, colours: string[]): Promise<number[]> {
  return page.evaluate(async ({ b64, colours }) => {
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const want = colours.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
    const n = colours.map(() => 0);
    for (let i = 0; i < d.length; i += 4) {
      want.forEach(([r, g, b], k) => { if (Math.abs(d[i] - r) <= 24 && Math.abs(d[i + 1] - g) <= 24 && Math.abs(d[i + 2] - b) <= 24) n[k]++; });
    }
    return n;
  }, { b64: png.toString('base64'), colours });
}

describe('playground page', () => {
  it('offers the command line\'s default learning rates', () => {
    // the page keeps its own copy of src/cli/train.ts DEFAULT_LR (it does not import CLI code)
    expect(config.DEFAULT_LR).toEqual(CLI_DEFAULT_LR);
    for (const n of OPTIMIZER_NAMES) {
      const lr = config.DEFAULT_LR[n] ?? optimizer(n).learningRate({ step: 0, epoch: 0 });
      expect(Number.isNaN(lr) || lr > 0, n).toBe(true);
    }
  });

  it('trains on load in workers to ≥ 95% test accuracy and draws the curves, the confusion matrix and the landscape paths', async () => {
    const { page, context, errors } = await openPage(1280, 800);
    try {
      await page.goto(server!.url);
      expect(await stateAfter(page, ['loading', 'training'], errors), errors.join('\n')).toBe('done');
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

      // the result: the best optimizer and one line per optimizer
      const result = await page.textContent('#result');
      expect(result).toMatch(/^best: .+ — test accuracy \d+\.\d%$/);
      expect(accuracyOf(result)).toBeGreaterThanOrEqual(95);
      const names = config.DEFAULTS.optimizers;
      const rows = await page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => ({
        name: tr.querySelector('.name')!.textContent!, acc: tr.querySelector('.acc')!.textContent!,
        color: (tr.querySelector('.swatch') as HTMLElement).style.backgroundColor,
      })));
      expect(rows.map((r) => r.name).sort()).toEqual([...names].sort());
      for (const r of rows) expect(accuracyOf(r.acc), `${r.name}: ${r.acc}`).toBeGreaterThanOrEqual(95);
      const best = Math.max(...rows.map((r) => accuracyOf(r.acc)));
      expect(accuracyOf(result)).toBe(best);
      const colours = rows.map((r) => {
        const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(r.color)!;
        return '#' + m.slice(1).map((v) => Number(v).toString(16).padStart(2, '0')).join('');
      });

      // curves: per run, a path in its colour with a point per epoch (and the start)
      for (const chart of ['#loss-chart', '#accuracy-chart']) {
        const paths = await page.$$eval(`${chart} svg path[fill="none"]`, (ps) => ps.map((p) => ({
          stroke: p.getAttribute('stroke'), points: (p.getAttribute('d')!.match(/[ML]/g) ?? []).length,
        })));
        for (const c of colours) {
          const longest = Math.max(0, ...paths.filter((p) => p.stroke === c).map((p) => p.points));
          expect(longest, `${chart}: the path in ${c}`).toBeGreaterThanOrEqual(config.DEFAULTS.epochs);
        }
        // and on the screen, in those colours
        const shot = await page.locator(chart).screenshot();
        const counts = await colourCounts(page, shot, colours);
        counts.forEach((n, i) => expect(n, `${chart}: pixels of ${rows[i].name}'s colour ${colours[i]}`).toBeGreaterThan(60));
      }

      // the confusion matrix of the best run: 100 cells counting the test samples (the page's split: 80/20, seed 0)
      const testN = trainTestSplit(digits(), { testFraction: 0.2, seed: 0 }).test.n;
      const cm = await page.$eval('#confusion-chart svg', (svg) => ({
        title: svg.querySelector('text')!.textContent!,
        cells: svg.querySelectorAll('rect[stroke]').length,
        total: [...svg.querySelectorAll('text[fill]')].reduce((s, t) => s + Number(t.textContent), 0),
      }));
      expect(cm.cells).toBe(100);
      expect(cm.total).toBe(testN);
      const bestName = rows.find((r) => accuracyOf(r.acc) === best)!.name;
      expect(cm.title).toContain(bestName);

      // the landscape: a path for each chosen optimizer that has a 2-D version
      const withPath = names.filter((n) => (TRAJECTORY_OPTIMIZERS as readonly string[]).includes(n));
      expect(await page.locator('#landscape-chart svg .trajectory').count()).toBe(withPath.length);

      expect(errors).toEqual([]);
      const png = await page.screenshot({ fullPage: true });
      const file = process.env.DESCENT_UPDATE_PICTURES === '1' ? join(root, 'docs/pictures/playground.png') : join(tmpdir(), 'descent-playground.png');
      writeFileSync(file, png);
      console.log(`[playground] screenshot: ${file}`);
    } finally {
      await context.close();
    }
  });

  it('?autostart=0 waits for the Train button; Stop aborts the runs', async () => {
    const { page, context, errors } = await openPage(1280, 800);
    try {
      await page.goto(`${server!.url}?autostart=0&optimizers=adam&epochs=8`);
      // 'idle' is set after the autostart decision: nothing has started
      expect(await stateAfter(page, ['loading'], errors)).toBe('idle');
      expect(await page.locator('#summary tbody tr').count()).toBe(0);
      expect(await page.textContent('#result')).toBe('');
      await page.click('#train');
      expect(await stateAfter(page, ['idle', 'training'], errors)).toBe('done');
      expect(accuracyOf(await page.textContent('#result'))).toBeGreaterThanOrEqual(90);

      // a long run, stopped once it is under way: sgd 1000 epochs (~20 s unstopped), adam never starts
      await page.fill('#epochs', '1000');
      await page.fill('#parallel', '1');
      await page.check('#opt-sgd');
      await page.click('#train');
      await page.waitForFunction(() => /epoch \d+\/1000/.test(document.querySelector('#row-sgd .progress')?.textContent ?? ''), null, { timeout: 60_000 });
      await page.click('#stop');
      expect(await stateAfter(page, ['training'], errors)).toBe('stopped');
      expect(await page.textContent('#row-sgd .progress')).toMatch(/^stopped after \d+ epochs?$/);
      expect(await page.textContent('#row-adam .progress')).toBe('not started');
      expect(await page.textContent('#acc-sgd')).toMatch(/^test accuracy \d+\.\d%$/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('fits a narrow screen without sideways scrolling', async () => {
    const { page, context, errors } = await openPage(390, 844);
    try {
      await page.goto(`${server!.url}?optimizers=adam&epochs=3`);
      expect(await stateAfter(page, ['loading', 'training'], errors)).toBe('done');
      const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: innerWidth }));
      expect(widths.doc).toBeLessThanOrEqual(widths.view);
      writeFileSync(join(tmpdir(), 'descent-playground-narrow.png'), await page.screenshot({ fullPage: true }));
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

/** GET or HEAD `path` exactly as given (no client-side normalization of '..'). */
function rawGet(base: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Runs `node dist/cli.js playground ...args`; resolves with the child once it printed its URL. */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [cli, 'playground', ...args], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((ok, fail) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) ok({ child, url: m[1], out: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('exit', (code) => fail(new Error(`descent playground exited with ${code} before printing a URL:\n${out}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((ok) => {
  if (child.exitCode !== null) ok(child.exitCode);
  else child.once('exit', (code) => ok(code));
});

describe('descent playground (the command)', () => {
  it('--port 0 prints the URL and serves the page, the bundle and the wasm with the isolation headers; paths out of its folders are refused', async () => {
    const { child, url, out } = await startCli(['--port', '0']);
    try {
      expect(out()).toMatch(/^descent playground: serving http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C to stop\)$/m);
      const isolation = {
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      };
      const cases: [string, string, (b: Buffer) => boolean][] = [
        ['/', 'text/html; charset=utf-8', (b) => b.toString().includes('descent playground')],
        ['/playground.js', 'text/javascript; charset=utf-8', (b) => b.toString().includes("from 'descentjs'")],
        ['/playground.css', 'text/css; charset=utf-8', (b) => b.length > 0],
        ['/descent/index.js', 'text/javascript; charset=utf-8', (b) => b.toString().includes('fitInWorker')],
        ['/descent/train-worker.js', 'text/javascript; charset=utf-8', (b) => b.length > 0],
        ['/wasm/simd.wasm', 'application/wasm', (b) => b.subarray(0, 4).equals(Buffer.from([0, 0x61, 0x73, 0x6d]))],
        ['/wasm/relaxed-simd.wasm', 'application/wasm', (b) => b.subarray(0, 4).equals(Buffer.from([0, 0x61, 0x73, 0x6d]))],
      ];
      for (const [path, type, check] of cases) {
        const r = await rawGet(url, path);
        expect(r.status, path).toBe(200);
        expect(r.headers['content-type'], path).toBe(type);
        expect(r.headers, path).toMatchObject(isolation);
        expect(check(r.body), path).toBe(true);
      }
      const head = await rawGet(url, '/wasm/simd.wasm', 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      for (const path of ['/../package.json', '/descent/../../package.json', '/%2e%2e/package.json', '/descent/%2E%2E/%2E%2E/package.json',
        '/wasm/../../package.json', '/..%2fpackage.json']) {
        const r = await rawGet(url, path);
        expect(r.status, path).toBe(403);
        expect(r.body.toString(), path).not.toContain('"name"');
        expect(r.headers, path).toMatchObject(isolation);
      }
      expect((await rawGet(url, '/%00/x')).status).toBe(400);
      expect((await rawGet(url, '/no-such-file.js')).status).toBe(404);
      expect((await rawGet(url, '/wasm/README.md')).status).toBe(404);
      expect((await rawGet(url, '/', 'POST')).status).toBe(405);
    } finally {
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    }
  });

  it('a port that is taken is an error that names it', async () => {
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [cli, 'playground', '--port', String(port)], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
      expect(await exited(child)).toBe(1);
      expect(err).toContain(`descent: playground: port ${port} on 127.0.0.1 is in use; give another with --port N, or --port 0 for any free port`);
    } finally {
      await new Promise<void>((ok) => blocker.close(() => ok()));
    }
  });
});
