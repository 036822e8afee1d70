// Data sets on demand (src/data/remote): download, size and SHA-256 checks, cache, offline use,
// and `descent train --data mnist|fashion-mnist`. A local HTTP server on 127.0.0.1 serves the
// reference copies in ../shared/data (beside the repository), whole or damaged on purpose:
// a flipped byte, half a body then a dropped connection, a short body, too many bytes.
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DATASETS, DownloadError, fetchDatasetFiles, loadDataset, type DownloadProgress, type LoadDatasetOptions,
} from '../src/index.js';
import { train, TRAIN_HELP } from '../src/cli/train.js';

const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));
const MNIST = DATASETS.mnist;
const FASHION = DATASETS['fashion-mnist'];
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// ---- the server ----

type Mode =
  | 'ok'
  | 'flip' // one byte flipped, same length
  | 'half-destroy' // declares the full length, sends half, resets the connection
  | 'half-end' // declares the full length, sends half, closes the connection cleanly
  | 'short-chunked' // no length: sends half and ends the (chunked) body properly
  | 'too-long-declared' // declares and sends one byte too many
  | 'endless' // no length: the file, then junk until the client hangs up
  | 'missing'; // 404

interface TestServer {
  base: string;
  requests: string[];
  modes: Map<string, Mode>;
  /** Bytes written for the last 'endless' response, and whether it saw the client go. */
  endless: { written: number; closed: Promise<void> };
  close(): Promise<void>;
}

const fileCache = new Map<string, Buffer>();
function sharedFile(path: string): Buffer | undefined {
  if (!/^\/(mnist|fashion-mnist)\/[a-z0-9-]+\.gz$/.test(path)) return undefined;
  let b = fileCache.get(path);
  if (!b) {
    const p = join(DATA, path);
    if (!existsSync(p)) return undefined;
    b = readFileSync(p);
    fileCache.set(path, b);
  }
  return b;
}

async function startServer(): Promise<TestServer> {
  const requests: string[] = [];
  const modes = new Map<string, Mode>();
  const state: TestServer['endless'] = { written: 0, closed: Promise.resolve() };
  const octets = { 'content-type': 'application/octet-stream' };
  const server: Server = createServer((req, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const body = sharedFile(path);
    const mode = modes.get(path.split('/').pop()!) ?? 'ok';
    if (!body || mode === 'missing') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      return;
    }
    const half = body.subarray(0, body.length >> 1);
    switch (mode) {
      case 'ok':
        res.writeHead(200, { ...octets, 'content-length': body.length }).end(body);
        return;
      case 'flip': {
        const bad = Buffer.from(body);
        bad[bad.length >> 1] ^= 0x01;
        res.writeHead(200, { ...octets, 'content-length': bad.length }).end(bad);
        return;
      }
      case 'half-destroy':
      case 'half-end':
        res.writeHead(200, { ...octets, 'content-length': body.length });
        res.write(half, () => {
          if (mode === 'half-destroy') res.socket?.destroy();
          else res.socket?.end();
        });
        return;
      case 'short-chunked':
        res.writeHead(200, octets).end(half);
        return;
      case 'too-long-declared':
        res.writeHead(200, { ...octets, 'content-length': body.length + 1 }).end(Buffer.concat([body, Buffer.from([0])]));
        return;
      case 'endless': {
        state.written = 0;
        let gone = false;
        state.closed = new Promise((resolve) => res.on('close', () => { gone = true; resolve(); }));
        res.writeHead(200, octets);
        const junk = Buffer.alloc(1 << 16, 0x5a);
        const pump = () => {
          // the file, then junk, without limit, respecting back-pressure, until the client hangs up
          while (!gone && state.written < 1e9) {
            const chunk = state.written === 0 ? body : junk;
            state.written += chunk.length;
            if (!res.write(chunk)) { res.once('drain', pump); return; }
          }
          if (!gone) res.end();
        };
        pump();
        return;
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    modes,
    endless: state,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

// ---- helpers ----

const tempDir = (tag: string) => mkdtempSync(join(tmpdir(), `descent-dl-${tag}-`));

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as { path?: string }).path ?? dir, e.name).slice(dir.length + 1))
    .sort();
}

/** Options for a test load: the local mirror, a fresh cache dir, warnings collected. */
function opts(srv: TestServer, cacheDir: string, extra: LoadDatasetOptions = {}): LoadDatasetOptions & { warnings: string[] } {
  const warnings: string[] = [];
  const o = { mirror: `${srv.base}/{dataset}/`, cacheDir, onWarning: (m: string) => { warnings.push(m); }, ...extra };
  // the collected warnings ride along, not enumerable: loadDataset refuses unknown option keys
  return Object.defineProperty(o, 'warnings', { value: warnings, enumerable: false }) as LoadDatasetOptions & { warnings: string[] };
}

let srv: TestServer;
beforeAll(async () => { srv = await startServer(); });
afterAll(async () => { await srv?.close(); });

describe('the registry', () => {
  it('pins the published sizes and SHA-256 of the reference copies in ../shared/data', () => {
    const sums = readFileSync(join(DATA, 'SHA256SUMS'), 'utf8');
    for (const d of [MNIST, FASHION]) {
      for (const f of [d.trainImages, d.trainLabels, d.testImages, d.testLabels]) {
        expect(sums).toContain(`${f.sha256}  ${d.name}/${f.name}`);
        expect(readFileSync(join(DATA, d.name, f.name)).length).toBe(f.bytes);
      }
      expect(d.mirrors.length).toBeGreaterThan(0);
      expect(Object.isFrozen(d) && Object.isFrozen(d.trainImages)).toBe(true);
    }
  });
});

describe('loadDataset: download, verify, cache, offline', () => {
  it('first load downloads all four files, verifies and caches them; the second makes no request, even with the server gone', { timeout: 60_000 }, async () => {
    const own = await startServer();
    const cacheDir = tempDir('ok');
    const progress: DownloadProgress[] = [];
    const o = opts(own, cacheDir, { onProgress: (p) => progress.push({ ...p }) });
    const first = await loadDataset('mnist', o);
    expect(own.requests).toEqual(['/mnist/train-images-idx3-ubyte.gz', '/mnist/train-labels-idx1-ubyte.gz', '/mnist/t10k-images-idx3-ubyte.gz', '/mnist/t10k-labels-idx1-ubyte.gz']);
    expect(first.downloaded).toHaveLength(4);
    expect(first.cache).toBe(cacheDir);
    expect(o.warnings).toEqual([]);

    // the data sets: 60000 / 10000 images of 28×28 in [0, 1], 10 classes, label counts as published
    const { train: tr, test: te } = first;
    expect([tr.n, tr.features, te.n, te.features, first.classes]).toEqual([60000, 784, 10000, 784, 10]);
    expect(tr.featureShape).toEqual([28, 28]);
    let max = 0;
    for (let i = 0; i < tr.x.length; i += 97) max = Math.max(max, tr.x[i]);
    expect(max).toBeLessThanOrEqual(1);
    const counts = new Array(10).fill(0);
    for (const l of te.labels!) counts[l]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);

    // progress: per file from 0 to its size, overall up to the sum, each file done once
    const total = MNIST.trainImages.bytes + MNIST.trainLabels.bytes + MNIST.testImages.bytes + MNIST.testLabels.bytes;
    expect(progress.every((p) => p.total === total && p.loaded <= total && p.fileLoaded <= p.fileTotal)).toBe(true);
    expect(progress.filter((p) => p.done).map((p) => p.file)).toEqual(first.downloaded);
    expect(progress.at(-1)).toMatchObject({ done: true, loaded: total, file: 't10k-labels-idx1-ubyte.gz' });
    for (let i = 1; i < progress.length; i++) expect(progress[i].loaded).toBeGreaterThanOrEqual(progress[i - 1].loaded);

    // the cache: the four files under their own names, verified bytes, no temporary files
    expect(listFiles(cacheDir)).toEqual([
      'mnist/t10k-images-idx3-ubyte.gz', 'mnist/t10k-labels-idx1-ubyte.gz', 'mnist/train-images-idx3-ubyte.gz', 'mnist/train-labels-idx1-ubyte.gz',
    ]);
    expect(sha256(readFileSync(join(cacheDir, 'mnist', 'train-images-idx3-ubyte.gz')))).toBe(MNIST.trainImages.sha256);

    // second load: no request at all, with the server closed and a fetch that would fail loudly;
    // explicitly offline, and without the mirror option (the cache does not depend on the mirror)
    await own.close();
    let fetches = 0;
    const second = await fetchDatasetFiles('MNIST', {
      cacheDir, offline: true,
      fetch: async () => { fetches++; throw new Error('no network in this test'); },
    });
    expect(fetches).toBe(0);
    expect(own.requests).toHaveLength(4);
    expect(second.downloaded).toEqual([]);
    expect([...second.files.keys()].sort()).toEqual(listFiles(join(cacheDir, 'mnist')));
    expect(sha256(second.files.get(MNIST.trainImages.name)!)).toBe(MNIST.trainImages.sha256);
  });

  it('offline with an empty cache fails, naming the missing files and the cache', async () => {
    const cacheDir = tempDir('offline');
    await expect(fetchDatasetFiles('fashion-mnist', { cacheDir, offline: true }))
      .rejects.toThrow(/fashion-mnist: offline, and train-images-idx3-ubyte\.gz, .*t10k-labels-idx1-ubyte\.gz are not in the cache \(.*descent-dl-offline/);
    await expect(fetchDatasetFiles('mnist', { cache: false, offline: true })).rejects.toThrow(/no cache in this runtime, or cache: false/);
  });

  it('an unknown name is an error listing the known ones', async () => {
    await expect(loadDataset('cifar-10')).rejects.toThrow('loadDataset: unknown data set "cifar-10"; known: mnist, fashion-mnist');
  });
});

describe('loadDataset: refused downloads cache nothing', () => {
  const refused = async (mode: Mode, file: string, pattern: RegExp, dataset: 'mnist' | 'fashion-mnist' = 'mnist') => {
    const cacheDir = tempDir(mode);
    srv.modes.set(file, mode);
    try {
      const err = await fetchDatasetFiles(dataset, opts(srv, cacheDir)).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DownloadError);
      expect((err as Error).message).toMatch(pattern);
      expect((err as DownloadError).file).toBe(file);
      expect(listFiles(cacheDir)).toEqual([]); // not the file, not a temporary file, not a folder's content
      return err as DownloadError;
    } finally {
      srv.modes.delete(file);
    }
  };

  it('a corrupted file (one byte flipped): the error names the file, expected and actual SHA-256', async () => {
    const f = MNIST.trainImages;
    const bad = Buffer.from(readFileSync(join(DATA, 'mnist', f.name)));
    bad[bad.length >> 1] ^= 0x01;
    const err = await refused('flip', f.name, /SHA-256 mismatch/);
    expect(err.message).toBe(
      `${f.name}: SHA-256 mismatch for ${srv.base}/mnist/${f.name}: expected ${f.sha256}, got ${sha256(bad)}; refused, not cached`,
    );
  });

  it('a connection reset after half the body', async () => {
    await refused('half-destroy', MNIST.trainImages.name, /train-images-idx3-ubyte\.gz: download from http:.* broke off after \d+ of 9912422 bytes/);
  });

  it('Content-Length declared, then fewer bytes and a closed connection', async () => {
    await refused('half-end', MNIST.trainImages.name, /broke off after \d+ of 9912422 bytes|ended after \d+ of 9912422 bytes/);
  });

  it('a properly ended but short body (no Content-Length)', async () => {
    await refused('short-chunked', MNIST.trainImages.name, /ended after 4956211 of 9912422 bytes \(connection closed early or file truncated\)/);
  });

  it('a body longer than declared in the registry: refused from Content-Length, before reading', async () => {
    await refused('too-long-declared', MNIST.trainImages.name, /declares 9912423 bytes \(Content-Length\), expected 9912422; refused without reading it/);
  });

  it('an endless body: stopped as soon as it passes the expected size', { timeout: 30_000 }, async () => {
    await refused('endless', MNIST.trainImages.name, /sent more than the expected 9912422 bytes; stopped after \d+/);
    await srv.endless.closed; // the client hung up: the server did not have to finish
    // the server would send 1 GB; what it wrote before it noticed is bounded by socket buffers
    expect(srv.endless.written).toBeLessThan(MNIST.trainImages.bytes + 64 * 2 ** 20);
  });

  it('an HTTP error status', async () => {
    await refused('missing', MNIST.trainImages.name, /answered HTTP 404 Not Found/);
  });

  it('a later file failing keeps the verified earlier ones cached, so the next attempt resumes', async () => {
    const cacheDir = tempDir('resume');
    srv.modes.set(MNIST.testImages.name, 'flip');
    try {
      await expect(fetchDatasetFiles('mnist', opts(srv, cacheDir))).rejects.toThrow(/t10k-images-idx3-ubyte\.gz: SHA-256 mismatch/);
    } finally {
      srv.modes.delete(MNIST.testImages.name);
    }
    expect(listFiles(cacheDir)).toEqual(['mnist/train-images-idx3-ubyte.gz', 'mnist/train-labels-idx1-ubyte.gz']);
    const before = srv.requests.length;
    const again = await fetchDatasetFiles('mnist', opts(srv, cacheDir));
    expect(again.downloaded).toEqual([MNIST.testImages.name, MNIST.testLabels.name]);
    expect(srv.requests.length - before).toBe(2);
  });

  it('abort: the signal stops a download; nothing is cached', async () => {
    const cacheDir = tempDir('abort');
    const ac = new AbortController();
    const p = fetchDatasetFiles('mnist', opts(srv, cacheDir, { signal: ac.signal, onProgress: (q) => { if (q.fileLoaded > 0) ac.abort(); } }));
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(listFiles(cacheDir)).toEqual([]);
  });
});

describe('loadDataset: the cache is checked on every read', () => {
  it('a corrupt cache entry is removed; offline that is an error, online the file is downloaded again', async () => {
    const cacheDir = tempDir('corrupt-cache');
    await fetchDatasetFiles('mnist', opts(srv, cacheDir));
    const f = MNIST.testLabels;
    const path = join(cacheDir, 'mnist', f.name);
    const bytes = readFileSync(path);
    bytes[100] ^= 0x80;
    writeFileSync(path, bytes);

    await expect(fetchDatasetFiles('mnist', { cacheDir, offline: true })).rejects.toThrow(
      `${f.name}: SHA-256 mismatch for the cached ${path}: expected ${f.sha256}, got ${sha256(bytes)}; removed the corrupt cache entry; offline, so not downloaded again`,
    );
    expect(existsSync(path)).toBe(false);

    writeFileSync(path, bytes.subarray(0, 1000)); // truncated this time
    const before = srv.requests.length;
    const o = opts(srv, cacheDir);
    const r = await fetchDatasetFiles('mnist', o);
    expect(srv.requests.slice(before)).toEqual([`/mnist/${f.name}`]);
    expect(r.downloaded).toEqual([f.name]);
    expect(o.warnings).toHaveLength(1);
    expect(o.warnings[0]).toMatch(/t10k-labels-idx1-ubyte\.gz: the cached .* gave 1000 bytes, expected 4542; removed the corrupt cache entry, downloading it again/);
    expect(sha256(readFileSync(path))).toBe(f.sha256);
  });

  it('a cache that cannot be written is a warning, not a failure: the verified bytes are still returned', async () => {
    const notADir = join(tempDir('unwritable'), 'a-file');
    writeFileSync(notADir, 'x');
    const o = opts(srv, notADir);
    const r = await fetchDatasetFiles('mnist', o);
    expect(r.files.size).toBe(4);
    expect(o.warnings).toHaveLength(4);
    expect(o.warnings[0]).toMatch(/^could not cache train-images-idx3-ubyte\.gz in .*a-file\/mnist\/train-images-idx3-ubyte\.gz: .*\(set DESCENT_CACHE or the cacheDir option to a writable folder\)$/);
  });

  it('the default mirrors are tried in order: a failing one hands over to the next', async () => {
    const cacheDir = tempDir('mirrors');
    const asked: string[] = [];
    // no network here: the first registry mirror answers 404, the second is mapped to the local server
    const fetchVia = async (url: string, init?: RequestInit) => {
      asked.push(url);
      if (url.startsWith(MNIST.mirrors[0])) return new Response('gone', { status: 404 });
      return fetch(`${srv.base}/mnist/${url.slice(MNIST.mirrors[1].length)}`, init);
    };
    const r = await fetchDatasetFiles('mnist', { cacheDir, fetch: fetchVia, onWarning: () => {} });
    expect(r.downloaded).toHaveLength(4);
    expect(asked.slice(0, 2)).toEqual([MNIST.mirrors[0] + MNIST.trainImages.name, MNIST.mirrors[1] + MNIST.trainImages.name]);
    // both failing: one error listing every mirror's reason
    const cacheDir2 = tempDir('mirrors2');
    const err = await fetchDatasetFiles('fashion-mnist', {
      cacheDir: cacheDir2,
      fetch: async (url) => (url.startsWith('http:') ? Promise.reject(new TypeError('fetch failed')) : new Response('x', { status: 503 })),
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toBe([
      'train-images-idx3-ubyte.gz: no mirror gave a good copy:',
      `  train-images-idx3-ubyte.gz: cannot fetch ${FASHION.mirrors[0]}train-images-idx3-ubyte.gz: fetch failed`,
      `  train-images-idx3-ubyte.gz: ${FASHION.mirrors[1]}train-images-idx3-ubyte.gz answered HTTP 503`,
    ].join('\n'));
    expect(listFiles(cacheDir2)).toEqual([]);
  });
});

describe('descent train --data mnist | fashion-mnist', () => {
  const run = async (args: string[], env: Record<string, string | undefined>) => {
    const saved: Record<string, string | undefined> = {};
    for (const k of Object.keys(env)) { saved[k] = process.env[k]; if (env[k] === undefined) delete process.env[k]; else process.env[k] = env[k]; }
    let stdout = '';
    try {
      const code = await train(args, (s) => { stdout += s; });
      return { code, stdout };
    } finally {
      for (const k of Object.keys(saved)) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    }
  };

  it('the help names the data sets, the cache and --data-mirror / DESCENT_DATA_MIRROR', () => {
    expect(TRAIN_HELP).toMatch(/mnist or fashion-mnist \(downloaded once/);
    expect(TRAIN_HELP).toMatch(/--data-mirror URL/);
    expect(TRAIN_HELP).toContain('$DESCENT_DATA_MIRROR');
    expect(TRAIN_HELP).toContain('$DESCENT_CACHE');
  });

  it('trains one short epoch on Fashion-MNIST fetched through --data-mirror, with progress lines on stderr', { timeout: 60_000 }, async () => {
    const dir = tempDir('cli');
    const cache = join(dir, 'cache');
    const args = ['--data', 'fashion-mnist', '--data-mirror', `${srv.base}/{dataset}`, '--layers', '784-10', '--epochs', '1',
      '--batch-size', '500', '--lr', '0.5', '--out', join(dir, 'm.safetensors'), '--curve', join(dir, 'c.svg'), '--no-progress'];
    const before = srv.requests.length;
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
    let r;
    try {
      r = await run(args, { DESCENT_CACHE: cache, DESCENT_DATA_MIRROR: 'http://127.0.0.1:1/not-this-one/' });
    } finally {
      spy.mockRestore();
    }
    expect(r.code).toBe(0);
    expect(srv.requests.slice(before)).toHaveLength(4);
    expect(r.stdout).toMatch(/Fashion-MNIST: 60000 training, 10000 test samples, 784 features, 10 classes/);
    const acc = Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1]);
    expect(acc).toBeGreaterThan(70); // a linear softmax after one epoch on raw [0, 1] pixels
    expect(r.stdout).toContain('Ankle boot'); // class names in the confusion matrix
    expect(stderr).toContain(`fashion-mnist: downloading ${srv.base}/fashion-mnist/train-images-idx3-ubyte.gz (26.4 MB)`);
    expect(stderr).toContain('fashion-mnist: t10k-labels-idx1-ubyte.gz (5148 bytes) verified, SHA-256 ok');
    expect(listFiles(cache)).toHaveLength(4);
    expect(readFileSync(join(dir, 'c.svg'), 'utf8')).toContain('Fashion-MNIST');
  });

  it('the mirror comes from --data-mirror, else DESCENT_DATA_MIRROR; errors name the URL', async () => {
    const cache = tempDir('cli-mirror');
    await expect(run(['--data', 'mnist', '--data-mirror', 'http://127.0.0.1:1/flag/', '--quiet'], { DESCENT_CACHE: cache, DESCENT_DATA_MIRROR: 'http://127.0.0.1:1/env/' }))
      .rejects.toThrow(/train-images-idx3-ubyte\.gz: cannot fetch http:\/\/127\.0\.0\.1:1\/flag\/train-images-idx3-ubyte\.gz/);
    await expect(run(['--data', 'mnist', '--quiet'], { DESCENT_CACHE: cache, DESCENT_DATA_MIRROR: 'http://127.0.0.1:1/env/' }))
      .rejects.toThrow(/cannot fetch http:\/\/127\.0\.0\.1:1\/env\/train-images-idx3-ubyte\.gz/);
    expect(listFiles(cache)).toEqual([]);
    await expect(run(['--data', 'kmnist', '--quiet'], {})).rejects.toThrow('--data: unknown data "kmnist"; use digits, idx:DIR, csv:FILE, mnist or fashion-mnist');
  });
});
