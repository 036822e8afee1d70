// `descent playground`: serves the playground page (docs/playground/) on 127.0.0.1.
//
// Routes (GET and HEAD only):
//   /            docs/playground/ (index.html for /; the page's plain ES modules beside it)
//   /descent/    dist/browser/ (the browser bundle index.js and the training worker train-worker.js)
//   /wasm/       wasm/*.wasm, as application/wasm (instantiateStreaming needs that type)
// The browser bundle fetches its wasm from new URL('../../wasm/…', import.meta.url): from
// /descent/index.js that resolves to /wasm/…, which is why wasm/ sits at the root.
//
// Every response carries Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-
// Policy: require-corp, so the page is cross-origin isolated (crossOriginIsolated, hence
// SharedArrayBuffer and shared wasm memory for a threaded build later), and Cross-Origin-
// Resource-Policy: same-origin. Paths are percent-decoded, refused if they hold a '..' segment,
// a backslash or a NUL, then resolved under their folder and checked to stay inside it (403).
//
// The folders are found relative to this file: dist/cli.js → ../docs/playground, ../dist/browser,
// ../wasm (the package root is the first folder upwards holding package.json, so the TypeScript
// source under src/cli/ finds the same ones). An npm install of the package has dist/ and wasm/
// but not docs/ unless package.json "files" lists docs/playground: then the command says so.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DescentError } from '../engine/errors.js';

export const DEFAULT_PLAYGROUND_PORT = 8080;

export const PLAYGROUND_HELP = `descent playground — the training playground in your browser

Usage: descent playground [options]

Serves the playground page (train the embedded digits set in a Web Worker with the optimizers
you tick, live loss and accuracy curves, the confusion matrix, optimizer paths on a 2-D
landscape) on 127.0.0.1 and prints its URL. Ctrl-C stops it.

Options
  --port N             port (default ${DEFAULT_PLAYGROUND_PORT}; 0: any free port). When the default port is
                       taken another free one is used; a port given explicitly must be free
  --open               open the page in the default browser
  -h, --help           this text

Page URL parameters: ?autostart=0 (wait for the Train button), optimizers=adam,lbfgs,
epochs=20, batch=32, layers=64-64-10, activation=tanh, seed=0, landscape=rosenbrock.
`;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Headers of every response (see the header of this file). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

export interface PlaygroundPaths {
  /** docs/playground */
  page: string;
  /** dist/browser */
  bundle: string;
  /** wasm */
  wasm: string;
}

/** The package root: the first folder upwards from this file that holds package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new DescentError(`playground: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The three folders the server reads, checked to exist (a missing one is an error that says what to do). */
export function playgroundPaths(root = packageRoot()): PlaygroundPaths {
  const paths = { page: join(root, 'docs', 'playground'), bundle: join(root, 'dist', 'browser'), wasm: join(root, 'wasm') };
  if (!existsSync(join(paths.page, 'index.html'))) {
    throw new DescentError(`playground: the page is not here (${join(paths.page, 'index.html')} is missing). `
      + 'It lives in docs/playground/ of the repository and is not in this installed package: '
      + 'run `npx descent playground` in a checkout of https://github.com/descentjs/descentjs');
  }
  if (!existsSync(join(paths.bundle, 'index.js'))) {
    throw new DescentError(`playground: the browser bundle ${join(paths.bundle, 'index.js')} is missing; build it with \`node scripts/build.mjs\``);
  }
  for (const w of ['simd.wasm', 'relaxed-simd.wasm']) {
    if (!existsSync(join(paths.wasm, w))) throw new DescentError(`playground: ${join(paths.wasm, w)} is missing; build it with \`node scripts/build.mjs\``);
  }
  return paths;
}

/** The file a URL path names, or a status: 403 for a path that leaves its folder, 404 for none. */
export function resolveRequest(urlPath: string, paths: PlaygroundPaths): { file: string } | { status: 400 | 403 | 404 } {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return { status: 400 };
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return { status: 400 };
  if (path.split('/').some((seg) => seg === '..' || seg === '.')) return { status: 403 };
  let base = paths.page;
  let rest = path;
  for (const [prefix, dir] of [['/descent/', paths.bundle], ['/wasm/', paths.wasm]] as const) {
    if (path.startsWith(prefix)) { base = dir; rest = path.slice(prefix.length - 1); break; }
  }
  if (rest.endsWith('/')) rest += 'index.html';
  const file = resolve(base, '.' + rest);
  if (!file.startsWith(base + sep)) return { status: 403 };
  if (base === paths.wasm && extname(file) !== '.wasm') return { status: 404 };
  try {
    if (!statSync(file).isFile()) return { status: 404 };
  } catch {
    return { status: 404 };
  }
  return { file };
}

function handler(paths: PlaygroundPaths) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const text = (status: number, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body + '\n');
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed', { Allow: 'GET, HEAD' });
    // the path as sent (no URL parser: it would fold /../ away before the check)
    const raw = (req.url ?? '/').split(/[?#]/)[0];
    const found = resolveRequest(raw, paths);
    if ('status' in found) {
      return text(found.status, found.status === 403 ? 'forbidden: the path leaves the served folders' : found.status === 400 ? 'bad request' : 'not found');
    }
    let body: Buffer;
    try {
      body = readFileSync(found.file);
    } catch {
      return text(404, 'not found');
    }
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      'Content-Type': TYPES[extname(found.file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

export interface PlaygroundServer {
  server: Server;
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  paths: PlaygroundPaths;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((ok, fail) => {
    const onError = (e: Error) => { server.off('listening', onListening); fail(e); };
    const onListening = () => { server.off('error', onError); ok(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts the server on 127.0.0.1. `port` 0 takes any free port; with `fallback`, a taken port
 * falls back to a free one, else it is an error naming the port.
 */
export async function servePlayground(options: { port?: number; fallback?: boolean; paths?: PlaygroundPaths } = {}): Promise<PlaygroundServer> {
  const paths = options.paths ?? playgroundPaths();
  const host = '127.0.0.1';
  const wanted = options.port ?? DEFAULT_PLAYGROUND_PORT;
  const server = createServer(handler(paths));
  try {
    await listen(server, wanted, host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'EADDRINUSE' || code === 'EACCES') && options.fallback) {
      await listen(server, 0, host);
    } else if (code === 'EADDRINUSE') {
      throw new DescentError(`playground: port ${wanted} on ${host} is in use; give another with --port N, or --port 0 for any free port`);
    } else if (code === 'EACCES') {
      throw new DescentError(`playground: no permission to listen on port ${wanted}; give another with --port N, or --port 0 for any free port`);
    } else {
      throw e;
    }
  }
  const port = (server.address() as AddressInfo).port;
  return {
    server, port, paths,
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}

/** Opens `url` in the default browser (xdg-open, open, or start); failures are reported, not fatal. */
function openBrowser(url: string, err: (s: string) => void): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]]
    : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]]
      : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', (e) => err(`descent playground: could not open a browser (${cmd}: ${e.message}); open ${url} yourself\n`));
    child.unref();
  } catch (e) {
    err(`descent playground: could not open a browser (${(e as Error).message}); open ${url} yourself\n`);
  }
}

export async function playground(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, open: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (v.help) { out(PLAYGROUND_HELP); return 0; }
  let port = DEFAULT_PLAYGROUND_PORT;
  if (v.port !== undefined) {
    port = Number(v.port);
    if (v.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new DescentError(`--port: expected an integer in 0…65535, got ${JSON.stringify(v.port)}`);
    }
  }
  const s = await servePlayground({ port, fallback: v.port === undefined });
  if (v.port === undefined && s.port !== DEFAULT_PLAYGROUND_PORT) out(`descent playground: port ${DEFAULT_PLAYGROUND_PORT} is in use, took ${s.port}\n`);
  out(`descent playground: serving ${s.url} (Ctrl-C to stop)\n`);
  if (v.open) openBrowser(s.url, err);
  await new Promise<void>((ok) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void s.close().then(ok);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
