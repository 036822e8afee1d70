// Which Chromium the browser tests drive, and how it is launched (playwright-core; never a
// browser download).
//
// Resolution order:
//   1. env DESCENT_CHROMIUM: a path to a Chromium/Chrome executable (a bare name is looked up on
//      PATH), or the word `bundled` to force the npm-shipped one. A value that does not name an
//      executable file is an error that names the variable.
//   2. a system Chromium: /usr/bin/chromium, else chromium / chromium-browser / google-chrome on PATH.
//   3. the headless Chromium inside the npm package @sparticuz/chromium (a devDependency): its
//      executablePath() unpacks it to the temp dir (/tmp/chromium) once per machine.
//
// Every browser test launches through launchChromium() (a browser) or launchChromiumContext()
// (a persistent context in a fresh user-data dir), so all of them run the same binary with the
// same flags; the first resolution in a process logs which Chromium it is (source and version).

import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const ENV_VAR = 'DESCENT_CHROMIUM';
export type ChromiumSource = 'env' | 'system' | 'bundled';

export interface ResolvedChromium {
  executable: string;
  source: ChromiumSource;
  /** One line for logs: where the executable came from. */
  origin: string;
  /** Flags for playwright's `args` (caller extras are appended at launch). */
  args: string[];
  /** Extra environment for the browser process (the bundled one needs its libraries and fonts). */
  env: Record<string, string>;
}

export interface BundledChromium { executable: string; args: string[]; env: Record<string, string>; packageVersion: string }

export interface ResolveOptions {
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Absolute paths tried first for a system Chromium (default: /usr/bin/chromium). */
  systemPaths?: readonly string[];
  /** Commands looked up on PATH after systemPaths (default: chromium, chromium-browser, google-chrome). */
  systemCommands?: readonly string[];
  /** Provides the npm-shipped Chromium (default: unpack @sparticuz/chromium). */
  bundled?: () => Promise<BundledChromium>;
}

/** The flags the browser tests have always used. */
export const BASE_ARGS: readonly string[] = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * @sparticuz/chromium's args are tuned for AWS Lambda; these are left out, the rest are kept:
 * - --single-process: a Lambda workaround (prctl); Chromium calls it unsupported. Module Workers did
 *   run under it, but the tests should see the multi-process browser users have.
 * - --headless='shell': playwright passes --headless itself (and the quotes reach Chromium verbatim).
 * - --enable-features=SharedArrayBuffer: exposes SharedArrayBuffer on pages that are not
 *   cross-origin isolated (measured: typeof SharedArrayBuffer 'function' with crossOriginIsolated
 *   false), which would hide COOP/COEP mistakes in the threads path.
 * - --disable-web-security, --allow-running-insecure-content: switch off CORS and mixed-content
 *   checks; wasm fetched by URL must meet the same rules as in a user's browser.
 * - GPU flags (--use-gl, --use-angle, --enable-unsafe-swiftshader, --in-process-gpu,
 *   --ignore-gpu-blocklist): moot with --disable-gpu, which every source gets.
 */
export function bundledArgs(sparticuzArgs: readonly string[]): string[] {
  const dropped = (a: string) => a === '--single-process' || a.startsWith('--headless')
    || a === '--enable-features=SharedArrayBuffer' || a === '--disable-web-security'
    || a === '--allow-running-insecure-content' || a.startsWith('--use-gl') || a.startsWith('--use-angle')
    || a === '--enable-unsafe-swiftshader' || a === '--in-process-gpu' || a === '--ignore-gpu-blocklist';
  return sparticuzArgs.filter((a) => !dropped(a));
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string, env: Record<string, string | undefined>): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function uniq(args: readonly string[]): string[] {
  return [...new Set(args)];
}

/** Resolves the Chromium to use (see the order at the top of this file); launches nothing. */
export async function resolveChromium(options: ResolveOptions = {}): Promise<ResolvedChromium> {
  const env = options.env ?? process.env;
  const bundled = options.bundled ?? unpackBundledChromium;
  const fromBundle = async (why: string): Promise<ResolvedChromium> => {
    const b = await bundled();
    return { executable: b.executable, source: 'bundled', origin: `@sparticuz/chromium ${b.packageVersion} (${why})`,
      args: uniq([...b.args, ...BASE_ARGS]), env: b.env };
  };

  const wanted = env[ENV_VAR]?.trim();
  if (wanted) {
    if (wanted === 'bundled') return fromBundle(`${ENV_VAR}=bundled`);
    const hasSlash = wanted.includes('/');
    const path = hasSlash ? resolve(wanted) : onPath(wanted, env);
    if (!path || !existsSync(path)) {
      throw new Error(`${ENV_VAR}=${wanted}: ${hasSlash ? `${path} does not exist` : `no executable named ${wanted} on PATH`}; `
        + `set ${ENV_VAR} to a Chromium/Chrome executable, or to 'bundled' for the one in @sparticuz/chromium, or unset it`);
    }
    if (!isExecutableFile(path)) {
      throw new Error(`${ENV_VAR}=${wanted}: ${path} is not an executable file; `
        + `set ${ENV_VAR} to a Chromium/Chrome executable, or to 'bundled' for the one in @sparticuz/chromium, or unset it`);
    }
    return { executable: path, source: 'env', origin: `${ENV_VAR}=${wanted}`, args: [...BASE_ARGS], env: {} };
  }

  for (const p of options.systemPaths ?? ['/usr/bin/chromium']) {
    if (isAbsolute(p) && isExecutableFile(p)) return { executable: p, source: 'system', origin: p, args: [...BASE_ARGS], env: {} };
  }
  for (const c of options.systemCommands ?? ['chromium', 'chromium-browser', 'google-chrome']) {
    const p = onPath(c, env);
    if (p) return { executable: p, source: 'system', origin: `${c} on PATH`, args: [...BASE_ARGS], env: {} };
  }
  return fromBundle(`no system Chromium; ${ENV_VAR} unset`);
}

function run(file: string, args: string[], env: Record<string, string>, timeout = 60_000): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${file} ${args.join(' ')}: ${err.message}${stderr ? `\n${String(stderr).trim()}` : ''}`));
      else ok(String(stdout).trim());
    });
  });
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Runs `fn` holding a lock shared by every process on the machine. executablePath() returns
 * /tmp/chromium as soon as that file exists, so without the lock a second test file (vitest runs
 * files in parallel) could launch a binary another one is still writing.
 */
async function withUnpackLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), 'descent-chromium-unpack.lock');
  const owner = join(lock, 'pid');
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // Someone holds it: wait, unless the holder is gone (dead pid, or a lock older than 10 minutes).
    let stale = false;
    try {
      const age = Date.now() - statSync(lock).mtimeMs;
      const pid = existsSync(owner) ? Number(readFileSync(owner, 'utf8')) : 0;
      if (age > 10 * 60_000) stale = true;
      else if (pid > 0) {
        try { process.kill(pid, 0); } catch (e) { stale = (e as NodeJS.ErrnoException).code === 'ESRCH'; }
      }
    } catch { /* the lock went away meanwhile: retry */ }
    if (stale) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (another process unpacking @sparticuz/chromium); remove it if no test is running`);
    else await sleep(200);
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Unpacks the Chromium shipped in @sparticuz/chromium (once per machine; later calls reuse the
 * files in the temp dir) with the shared libraries it links (NSS, NSPR, expat: the package's
 * al2023 set, so a machine without Debian's libnss3 can run it) and its fonts, and checks that the
 * binary starts (`--version`); a binary left half-written by an interrupted run is unpacked again.
 */
export async function unpackBundledChromium(): Promise<BundledChromium> {
  const sparticuz = (await import('@sparticuz/chromium')).default;
  const { inflate } = await import('@sparticuz/chromium');
  // its exports map has no ./package.json: go up from the entry point (build/index.js)
  const root = join(createRequire(import.meta.url).resolve('@sparticuz/chromium'), '..', '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const bin = join(root, 'bin');
  return withUnpackLock(async () => {
    const libs = join(await inflate(join(bin, 'al2023.tar.br')), 'lib');
    const env: Record<string, string> = {
      LD_LIBRARY_PATH: [libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_PATH: process.env.FONTCONFIG_PATH ?? join(tmpdir(), 'fonts'),
    };
    let executable = await sparticuz.executablePath();
    try {
      await run(executable, ['--version'], env);
    } catch (first) {
      rmSync(executable, { force: true });
      executable = await sparticuz.executablePath();
      try {
        await run(executable, ['--version'], env);
      } catch (second) {
        throw new Error(`the Chromium from @sparticuz/chromium (${executable}) does not start, even after unpacking it again:\n`
          + `${(second as Error).message}\n(first attempt: ${(first as Error).message})`);
      }
    }
    return { executable, args: bundledArgs(sparticuz.args), env, packageVersion: pkg.version };
  });
}

let chosen: Promise<ResolvedChromium & { version: string }> | undefined;

/** resolveChromium() once per process, plus the version; logs the choice once. */
export function chromiumForTests(): Promise<ResolvedChromium & { version: string }> {
  chosen ??= (async () => {
    const c = await resolveChromium();
    let version: string;
    try {
      version = await run(c.executable, ['--version'], c.env, 30_000);
    } catch (e) {
      version = `version unknown: ${(e as Error).message.split('\n')[0]}`;
    }
    console.log(`[descent browser tests] ${version} — ${c.source}: ${c.origin} — ${c.executable}`);
    return { ...c, version };
  })();
  return chosen;
}

function launchFailed(c: ResolvedChromium & { version: string }, e: unknown): Error {
  const hint = c.source === 'bundled'
    ? `set ${ENV_VAR}=/path/to/chromium to use another browser`
    : `set ${ENV_VAR}=bundled to use the Chromium shipped in @sparticuz/chromium, or ${ENV_VAR}=/path/to/chromium`;
  return new Error(`could not launch ${c.executable} (${c.source}: ${c.origin}, ${c.version}): ${(e as Error).message}\n${hint}`);
}

/** A headless browser (playwright `chromium.launch`) with the tests' flags plus `args`. */
export async function launchChromium(options: { args?: string[] } = {}): Promise<{ browser: Browser; chromium: ResolvedChromium & { version: string } }> {
  const c = await chromiumForTests();
  try {
    const browser = await chromium.launch({ executablePath: c.executable, headless: true,
      args: uniq([...c.args, ...(options.args ?? [])]), env: { ...process.env, ...c.env } as Record<string, string> });
    return { browser, chromium: c };
  } catch (e) {
    throw launchFailed(c, e);
  }
}

/**
 * A persistent context in a fresh user-data dir (playwright `launchPersistentContext`) with the
 * tests' flags plus `args`; close() closes it and removes the dir.
 */
export async function launchChromiumContext(options: { args?: string[] } = {}):
Promise<{ context: BrowserContext; chromium: ResolvedChromium & { version: string }; close: () => Promise<void> }> {
  const c = await chromiumForTests();
  const userDataDir = mkdtempSync(join(tmpdir(), 'descent-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: c.executable, headless: true,
      args: uniq([...c.args, ...(options.args ?? [])]), env: { ...process.env, ...c.env } as Record<string, string> });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw launchFailed(c, e);
  }
  return {
    context,
    chromium: c,
    close: async () => {
      try { await context.close(); } finally { rmSync(userDataDir, { recursive: true, force: true }); }
    },
  };
}
