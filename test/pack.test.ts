// The published package, as a user gets it: `npm pack` (its prepack builds what is stale), the
// tarball checked (≤ 1 MB, no source maps, no sources), installed into a temporary app, and
// the examples/ run there against it — Node ESM, `npx descentjs train`, Deno, Bun, workerd at
// today's compatibility date and at 2024-09-23 (no FinalizationRegistry), a Chromium page and
// module worker, and the Observable notebook cells of examples/notebook/README.md. Each trains
// on digits and classifies an image; the table at the end has every runtime's accuracy and ISA.
// Deno, Bun and workerd are the repository's devDependencies (node_modules/.bin), Chromium the
// one test/browser/chromium.ts resolves.

import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digits, trainTestSplit } from '../src/index.js';
import { launchChromium } from './browser/chromium.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string; dependencies?: Record<string, string> };
const repoBin = (name: string) => join(repo, 'node_modules', '.bin', name);
const MAX_PACKED = 1_000_000; // bytes: "1 MB" as npm counts (kB = 1000 B)
const ISAS = ['simd', 'relaxed-simd'];
/** The line every example prints (the notebook's `report` cell too, without the time). */
const REPORT = /accuracy (\d+(?:\.\d+)?)% isa (simd|relaxed-simd) · predicted (\d) for a test image of a (\d)/;

interface Row { runtime: string; accuracy: number; isa: string; prediction: string; seconds: number; note?: string }
const rows: Row[] = [];

let work = '';  // temporary folder: tarball and app
let app = '';   // the app that installed the tarball
let tarball = '';

interface Ran { stdout: string; stderr: string; seconds: number }

// PATH without the repository's node_modules/.bin, which `npx vitest` puts first and which holds
// npm 6 (a dependency of @as-pect/cli): npm and npx are then the user's, as for anyone installing.
const PATH = (process.env.PATH ?? '').split(delimiter).filter((d) => !resolve(d).startsWith(join(repo, 'node_modules'))).join(delimiter);

/** Runs a command to completion; a non-zero exit is an error carrying both outputs. */
function run(file: string, args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((ok, fail) => {
    execFile(file, args, { cwd: opts.cwd, env: { ...process.env, PATH, ...opts.env }, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const out = { stdout: String(stdout), stderr: String(stderr), seconds: (performance.now() - t0) / 1000 };
        if (err) fail(new Error(`${file} ${args.join(' ')} (in ${opts.cwd}) failed: ${err.message}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`));
        else ok(out);
      });
  });
}

/** Parses an example's report line and records it; `where` names the runtime. */
function report(runtime: string, text: string, seconds: number, note?: string): Row {
  const m = REPORT.exec(text);
  if (!m) throw new Error(`${runtime}: no "accuracy …% isa … · predicted …" line in its output:\n${text}`);
  const row = { runtime, accuracy: Number(m[1]) / 100, isa: m[2], prediction: `${m[3]} (a ${m[4]})`, seconds, note };
  rows.push(row);
  return row;
}

function expectGood(row: Pick<Row, 'accuracy' | 'isa'>): void {
  expect(row.accuracy).toBeGreaterThanOrEqual(0.9);
  expect(row.accuracy).toBeLessThanOrEqual(1);
  expect(ISAS).toContain(row.isa);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'descent-pack-'));
  // prepack runs `scripts/build.mjs --if-stale`: the tarball holds what the sources build to now
  await run('npm', ['pack', '--pack-destination', work, '--no-fund'], { cwd: repo, timeoutMs: 600_000 });
  tarball = join(work, `${pkg.name}-${pkg.version}.tgz`);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'descent-pack-app', private: true, type: 'module' }, null, 2));
  // the runtime dependencies (d3-contour …) come from the npm cache, else the registry
  await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], { cwd: app, timeoutMs: 300_000 });
  cpSync(join(repo, 'examples'), join(app, 'examples'), { recursive: true });
}, 900_000);

afterAll(() => {
  if (rows.length) {
    const table = [['runtime', 'accuracy', 'isa', 'prediction', 'wall time'], ...rows.map((r) => [
      r.runtime, `${(100 * r.accuracy).toFixed(1)}%`, r.isa, r.prediction, `${r.seconds.toFixed(2)} s${r.note ? ` (${r.note})` : ''}`])];
    const widths = table[0].map((_, j) => Math.max(...table.map((r) => r[j].length)));
    const size = tarball && existsSync(tarball) ? `${(statSync(tarball).size / 1000).toFixed(1)} kB` : '?';
    console.log(`descentjs ${pkg.version} packed (${size}) and installed; each runtime trains digits and classifies a test image:\n`
      + table.map((r) => r.map((c, j) => c.padEnd(widths[j])).join('  ').trimEnd()).join('\n'));
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', { timeout: 60_000 }, () => {
  it('is at most 1 MB, has the bundles, the wasm files and LICENSE, and no source maps or sources', async () => {
    // `tar -tvzf`: mode, owner, size, date, time, path
    const listing = (await run('tar', ['-tvzf', tarball], { cwd: work })).stdout.split('\n').filter(Boolean).map((line) => {
      const [, , size, , , path] = line.trim().split(/\s+/);
      return { size: Number(size), path: path.replace(/^package\//, '') };
    });
    const files = listing.map((f) => f.path);
    const size = statSync(tarball).size;
    const biggest = [...listing].sort((a, b) => b.size - a.size).slice(0, 8).map((f) => `${(f.size / 1000).toFixed(1).padStart(7)} kB  ${f.path}`);
    expect(size, `${tarball} is ${size} bytes; the biggest files (unpacked):\n${biggest.join('\n')}\n`).toBeLessThanOrEqual(MAX_PACKED);
    for (const f of ['package.json', 'LICENSE', 'README.md', 'wasm/simd.wasm', 'wasm/relaxed-simd.wasm',
      'dist/browser/index.js', 'dist/browser/train-worker.js', 'docs/playground/index.html', 'dist/embedded/index.js', 'dist/cli.js', 'dist/types/index.d.ts']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    // one copy of the library: every runtime takes dist/browser/index.js (dist/node is the repo's own)
    expect(files.filter((f) => f.startsWith('dist/node/'))).toEqual([]);
    expect(files.filter((f) => /^(src|assembly|test|build|bench|scripts|examples)\//.test(f))).toEqual([]);
    // what was installed is that tarball, with its runtime dependencies
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', pkg.name, 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(pkg.version);
    for (const dep of Object.keys(pkg.dependencies ?? {})) expect(existsSync(join(app, 'node_modules', dep)), dep).toBe(true);
  });
});

describe('examples against the installed package', { timeout: 180_000 }, () => {
  it('Node ESM: examples/node-esm/train-digits.mjs', async () => {
    const r = await run(process.execPath, ['examples/node-esm/train-digits.mjs'], { cwd: app });
    const plain = report(`node ${process.version}`, r.stdout, r.seconds);
    expectGood(plain);
    if (Number(process.versions.node.split('.')[0]) >= 22) {
      expect(plain.isa).toBe('relaxed-simd');
      return;
    }
    // Node 20 and 21 run relaxed SIMD only behind a V8 flag (on by default from Node 22)
    expect(plain.isa).toBe('simd');
    const flagged = await run(process.execPath, ['--experimental-wasm-relaxed-simd', 'examples/node-esm/train-digits.mjs'], { cwd: app });
    const row = report(`node ${process.version} --experimental-wasm-relaxed-simd`, flagged.stdout, flagged.seconds);
    expectGood(row);
    expect(row.isa).toBe('relaxed-simd');
  });

  it('CLI: npx descentjs train --epochs 5', async () => {
    const out = join(work, 'cli');
    mkdirSync(out, { recursive: true });
    const r = await run('npx', ['--offline', '--no', 'descentjs', 'train', '--epochs', '5', '--no-progress',
      '--out', join(out, 'model.safetensors'), '--curve', join(out, 'curve.svg')], { cwd: app });
    const isa = /^descent (simd|relaxed-simd) · /m.exec(r.stdout);
    const acc = /^test accuracy (\d+(?:\.\d+)?)%/m.exec(r.stdout);
    if (!isa || !acc) throw new Error(`unexpected output of descentjs train:\n${r.stdout}\n${r.stderr}`);
    const row: Row = { runtime: 'npx descentjs train --epochs 5', accuracy: Number(acc[1]) / 100, isa: isa[1], prediction: '(test set)', seconds: r.seconds };
    rows.push(row);
    expectGood(row);
    expect(statSync(join(out, 'model.safetensors')).size).toBeGreaterThan(4810 * 4); // 64-64-10 parameters, f32
  });

  it('Deno: examples/deno/train-digits.ts (npm: specifier, taken from node_modules)', async () => {
    const version = (await run(repoBin('deno'), ['--version'], { cwd: app })).stdout.split('\n')[0];
    const source = readFileSync(join(app, 'examples/deno/train-digits.ts'), 'utf8');
    expect(source).toContain(`'npm:${pkg.name}@${pkg.version}'`); // Deno insists the installed version matches
    const r = await run(repoBin('deno'), ['run', '--allow-read', 'examples/deno/train-digits.ts'], { cwd: app, env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } });
    expectGood(report(version, r.stdout, r.seconds));
  });

  it('Bun: examples/bun/train-digits.ts', async () => {
    const version = (await run(repoBin('bun'), ['--version'], { cwd: app })).stdout.trim();
    const r = await run(repoBin('bun'), ['examples/bun/train-digits.ts'], { cwd: app });
    expectGood(report(`bun ${version}`, r.stdout, r.seconds));
  });

  it('workerd: examples/cloudflare-worker at today\'s compatibility date and at 2024-09-23 (no FinalizationRegistry)', async () => {
    const dir = join(app, 'examples/cloudflare-worker');
    const configFile = join(dir, 'config.capnp');
    const config = readFileSync(configFile, 'utf8');
    const dateOf = (worker: string) => new RegExp(`const ${worker} :Workerd\\.Worker = \\([^)]*compatibilityDate = "([\\d-]+)"`).exec(config)?.[1];
    expect(dateOf('legacyWorker')).toBe('2024-09-23');
    expect(dateOf('digitsWorker')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // A test image as pixel counts 0..16 (digits() scales them by 1/16).
    const { test } = trainTestSplit(digits(), { testFraction: 0.2, seed: 1 });
    const pixels = Array.from(test.x.subarray(0, 64), (v) => Math.round(v * 16));
    const label = test.labels![0];

    const today = new Date().toISOString().slice(0, 10);
    let date = today;
    let note: string | undefined;
    for (const [name, constName] of [['today', 'config'], ['2024-09-23', 'legacy']] as const) {
      let served = await serveWorker(dir, configFile, config, constName, name === 'today' ? date : undefined);
      if (name === 'today' && 'newest' in served) {
        // this workerd is older than today: its newest date is the closest to "today" it runs
        note = `compat ${served.newest}: today (${today}) is past this workerd's newest date`;
        date = served.newest;
        served = await serveWorker(dir, configFile, config, constName, date);
      }
      if ('newest' in served) throw new Error(`workerd refused compatibility date ${date}`);
      const { base, stop, log, seconds } = served;
      try {
        const summary = await (await fetch(`${base}/`)).json() as { accuracy: number; isa: string; gcCleanup: boolean };
        const byGet = await (await fetch(`${base}/predict?pixels=${pixels.join(',')}`)).json() as { digit: number };
        const byPost = await (await fetch(`${base}/predict`, { method: 'POST', body: JSON.stringify({ pixels }) })).json() as { digit: number };
        const bad = await fetch(`${base}/predict?pixels=1,2,3`);
        expect(bad.status).toBe(400);
        expect(byPost.digit).toBe(byGet.digit);
        expect(byGet.digit).toBeGreaterThanOrEqual(0);
        expect(byGet.digit).toBeLessThanOrEqual(9);
        expectGood(summary);
        // FinalizationRegistry arrived at compatibility date 2025-05-05
        expect(summary.gcCleanup).toBe(name !== '2024-09-23');
        const compat = name === 'today' ? date : name;
        rows.push({ runtime: `workerd, compat ${compat}${summary.gcCleanup ? '' : ' (gcCleanup false)'}`, accuracy: summary.accuracy, isa: summary.isa,
          prediction: `${byGet.digit} (a ${label})`, seconds: seconds(), note: name === 'today' ? note : undefined });
        await stop();
        expect(log()).toMatch(/accuracy \d+\.\d% isa (simd|relaxed-simd)/); // the worker's console.log
      } finally {
        await stop();
      }
    }
  });

  describe('Chromium', () => {
    let server: Server;
    let base = '';
    let browser: Browser;

    beforeAll(async () => {
      server = await serveStatic(app);
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      ({ browser } = await launchChromium());
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((ok) => server?.close(ok));
    });

    it('page and module worker: examples/browser-worker/index.html', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      try {
        const t0 = performance.now();
        await page.goto(`${base}/examples/browser-worker/index.html`);
        await page.waitForSelector('#out[data-done]', { timeout: 120_000 });
        const text = await page.locator('#out').innerText();
        const seconds = (performance.now() - t0) / 1000;
        expect(text, `${text}\n${errors.join('\n')}`).not.toMatch(/^error:/m);
        const version = browser.version();
        for (const where of ['module worker', 'page']) {
          const line = new RegExp(`^${where}: (.*)$`, 'm').exec(text);
          if (!line) throw new Error(`no "${where}:" line on the page:\n${text}\n${errors.join('\n')}`);
          expectGood(report(`Chromium ${version}, ${where}`, line[1], seconds, 'page load, both runs'));
        }
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('Vite: examples/vite built with vite build (wasm files copied by Vite), fitInWorker and fit on the page', async () => {
      // the version the repo pins; from the npm cache that npm ci filled, else the registry
      const vite = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.vite;
      await run('npm', ['install', `vite@${vite}`, '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', '--no-save'], { cwd: app, timeoutMs: 300_000 });
      const t0 = performance.now();
      await run(join(app, 'node_modules/.bin/vite'), ['build', 'examples/vite', '--base', './', '--outDir', join(app, 'vite-dist'), '--emptyOutDir', '--logLevel', 'warn'], { cwd: app });
      const assets = readdirSync(join(app, 'vite-dist/assets'));
      expect(assets.some((f) => /^simd-.*\.wasm$/.test(f)), assets.join(', ')).toBe(true);
      expect(assets.some((f) => /^relaxed-simd-.*\.wasm$/.test(f)), assets.join(', ')).toBe(true);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      try {
        await page.goto(`${base}/vite-dist/index.html`);
        await page.waitForSelector('#out[data-done]', { timeout: 120_000 });
        const text = await page.locator('#out').innerText();
        const seconds = (performance.now() - t0) / 1000;
        expect(text, `${text}\n${errors.join('\n')}`).not.toMatch(/^error:/m);
        for (const where of ['worker', 'page']) {
          const line = new RegExp(`^${where}: (.*)$`, 'm').exec(text);
          if (!line) throw new Error(`no "${where}:" line on the page:\n${text}\n${errors.join('\n')}`);
          expectGood(report(`Chromium ${browser.version()}, Vite build, ${where === 'worker' ? 'fitInWorker' : 'fit on the page'}`, line[1], seconds, 'vite build + page load'));
        }
        expect(text).toMatch(/^same parameters: true · wasm from url$/m);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('notebook: the cells of examples/notebook/README.md, CDN URL swapped for the local bundle', async () => {
      const readme = readFileSync(join(app, 'examples/notebook/README.md'), 'utf8');
      const cells = [...readme.matchAll(/^```js cell\n([\s\S]*?)^```$/gm)].map((m) => m[1].trim());
      expect(cells.length).toBeGreaterThanOrEqual(3);
      const cdn = `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/dist/browser/index.js`;
      expect(cells[0]).toContain(`import("${cdn}")`); // the documented URL names this version's browser bundle
      const local = `${base}/node_modules/${pkg.name}/dist/browser/index.js`;
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      try {
        await page.goto(`${base}/`);
        const t0 = performance.now();
        // Observable's semantics, minimally: a cell is `name = expression` or `name = { statements }`;
        // it sees the values of the cells above it, and a promise is resolved before they see it.
        const values = await page.evaluate(async (sources) => {
          const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;
          const scope: Record<string, unknown> = {};
          for (const source of sources) {
            const m = /^([A-Za-z_$][\w$]*)\s*=\s*([\s\S]+)$/.exec(source);
            const [name, body] = m ? [m[1], m[2].trim()] : [undefined, source];
            const code = body.startsWith('{') && body.endsWith('}') ? body.slice(1, -1) : `return (${body});`;
            const value = await new AsyncFunction(...Object.keys(scope), code)(...Object.values(scope));
            if (name) scope[name] = value;
          }
          return { report: String(scope.report), source: String((scope.descent as { backend(): { source: string } }).backend().source) };
        }, cells.map((c) => c.split(cdn).join(local)));
        const seconds = (performance.now() - t0) / 1000;
        expect(values.source).toBe('url'); // the wasm was fetched relative to the bundle's URL
        expectGood(report(`Chromium ${browser.version()}, notebook cells`, values.report, seconds));
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  });
});

type Served = { base: string; stop: () => Promise<void>; log: () => string; seconds: () => number } | { newest: string };

/**
 * `workerd serve config.capnp <constName>` on a free port (workerd reports it on --control-fd);
 * with `date`, a copy of the config whose digitsWorker has that compatibility date. Resolves
 * { newest } when workerd refuses the date as newer than it supports.
 */
async function serveWorker(dir: string, configFile: string, config: string, constName: string, date?: string): Promise<Served> {
  let file = configFile;
  if (date) {
    file = join(dir, `config-${date}.capnp`);
    writeFileSync(file, config.replace(/(const digitsWorker :Workerd\.Worker = \([^)]*compatibilityDate = ")[\d-]+"/, `$1${date}"`));
  }
  const t0 = performance.now();
  // its own process group, so stop() also ends a launcher's child (npm's workerd may be a JS shim)
  const child = spawn(repoBin('workerd'), ['serve', file, constName, '-s', 'http=127.0.0.1:0', '--control-fd', '3'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (d) => { output += String(d); });
  child.stderr!.on('data', (d) => { output += String(d); });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
      await exited;
    }
  };
  const port = await new Promise<number | undefined>((ok, fail) => {
    let control = '';
    child.stdio[3]!.on('data', (d: Buffer) => {
      control += String(d);
      const m = /"port":\s*(\d+)/.exec(control);
      if (m) ok(Number(m[1]));
    });
    child.once('exit', () => ok(undefined));
    child.once('error', fail);
  });
  if (port === undefined) {
    await stop();
    const newest = /newest date supported by this server binary is "([\d-]+)"/.exec(output)?.[1];
    if (date && newest && newest < date) return { newest };
    throw new Error(`workerd serve ${file} ${constName} exited before listening:\n${output}`);
  }
  return { base: `http://127.0.0.1:${port}`, stop, log: () => output, seconds: () => (performance.now() - t0) / 1000 };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.md': 'text/plain; charset=utf-8', '.ts': 'text/plain; charset=utf-8',
};

/** Serves `root` on 127.0.0.1 (a free port) with content types; `/` is an empty page for the notebook cells. */
function serveStatic(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'] }).end('<!doctype html><meta charset="utf-8"><title>notebook</title>');
      return;
    }
    const file = resolve(root, normalize(`.${path}`));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}
