// Where verified data files are kept between runs. Three stores, picked at run time:
//   - Node, Deno, Bun: a folder (cacheDir, else $DESCENT_CACHE, else $XDG_CACHE_HOME/descentjs,
//     else ~/.cache/descentjs; %LOCALAPPDATA%\descentjs on Windows), one sub-folder per data set
//     holding the files under their own names, so `descent train --data idx:~/.cache/descentjs/mnist`
//     reads them too. Files are written to a temporary name, flushed and renamed, so a process
//     killed mid-write never leaves a partial file under the final name.
//   - browsers and workers with the Cache API: the cache "descentjs-data".
//   - otherwise none.
// node: modules are imported dynamically and only on the file-system path, so browser bundles
// (which leave node:* external) never load them.
//
// A store only keeps bytes; checking them (size and SHA-256, on every read) is the caller's job.

import type * as NodeFs from 'node:fs/promises';
import type * as NodePath from 'node:path';
import type * as NodeOs from 'node:os';

export interface DataStore {
  /** Where the store keeps files, for messages: a folder, or `Cache API "descentjs-data"`. */
  readonly location: string;
  /** Where one file is kept, for messages. */
  describe(dataset: string, file: string): string;
  /** The stored bytes, or undefined when there are none. */
  get(dataset: string, file: string): Promise<Uint8Array | undefined>;
  put(dataset: string, file: string, bytes: Uint8Array): Promise<void>;
  remove(dataset: string, file: string): Promise<void>;
}

export interface StoreOptions {
  /** false: no cache at all. Default true. */
  cache?: boolean;
  /** Folder of the file-system cache (Node, Deno, Bun); ignored where there is no file system. */
  cacheDir?: string;
}

export const CACHE_API_NAME = 'descentjs-data';

/** Temporary files older than this are left-overs of killed processes and are removed. */
const STALE_TMP_MS = 60 * 60 * 1000;

interface ProcessLike { versions?: { node?: string }; env?: Record<string, string | undefined>; platform?: string }
const proc = (): ProcessLike | undefined => (globalThis as { process?: ProcessLike }).process;

/** Node, Deno or Bun: a runtime with node:fs. Not Cloudflare workers, whose node:fs is a stub. */
export function hasFileSystem(): boolean {
  const g = globalThis as { navigator?: { userAgent?: string }; Deno?: unknown; Bun?: unknown };
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return false;
  return typeof proc()?.versions?.node === 'string' || typeof g.Deno === 'object' || typeof g.Bun === 'object';
}

const env = (name: string): string | undefined => {
  try {
    const v = proc()?.env?.[name];
    return v === undefined || v === '' ? undefined : v;
  } catch {
    return undefined; // Deno without --allow-env
  }
};

/**
 * A node: built-in, imported at run time only. The specifier is a variable and marked for the
 * bundlers, so none of them tries to resolve or bundle it for a browser.
 */
const nodeBuiltin = <T>(name: string): Promise<T> => import(/* webpackIgnore: true */ /* @vite-ignore */ name) as Promise<T>;

/** The default cache folder of a runtime with a file system (see the top of this file). */
export async function defaultCacheDir(): Promise<string> {
  const path = await nodeBuiltin<typeof NodePath>('node:path');
  const own = env('DESCENT_CACHE');
  if (own) return path.resolve(own);
  const xdg = env('XDG_CACHE_HOME');
  if (xdg) return path.join(path.resolve(xdg), 'descentjs');
  const local = proc()?.platform === 'win32' ? env('LOCALAPPDATA') : undefined;
  if (local) return path.join(local, 'descentjs');
  const os = await nodeBuiltin<typeof NodeOs>('node:os');
  return path.join(os.homedir(), '.cache', 'descentjs');
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
function checkName(s: string): string {
  if (!SAFE.test(s) || s.includes('..')) throw new Error(`data cache: bad name ${JSON.stringify(s)}`);
  return s;
}

/** A folder store; `dir` is created on the first write. */
export async function fileSystemStore(dir: string): Promise<DataStore> {
  const fs = await nodeBuiltin<typeof NodeFs>('node:fs/promises');
  const path = await nodeBuiltin<typeof NodePath>('node:path');
  const root = path.resolve(dir);
  const where = (dataset: string, file: string) => path.join(root, checkName(dataset), checkName(file));
  return {
    location: root,
    describe: where,
    async get(dataset, file) {
      try {
        return new Uint8Array(await fs.readFile(where(dataset, file)));
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined; // nothing there
        throw e;
      }
    },
    async put(dataset, file, bytes) {
      const final = where(dataset, file);
      const folder = path.dirname(final);
      await fs.mkdir(folder, { recursive: true });
      const tmp = `${final}.${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}.tmp`;
      try {
        const fh = await fs.open(tmp, 'wx');
        try {
          await fh.writeFile(bytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fs.rename(tmp, final);
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => {});
        throw e;
      }
      // temporary files of this name that a killed process left behind
      const now = Date.now();
      for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
        if (!name.startsWith(`${file}.`) || !name.endsWith('.tmp')) continue;
        const p = path.join(folder, name);
        const st = await fs.stat(p).catch(() => undefined);
        if (st && now - st.mtimeMs > STALE_TMP_MS) await fs.rm(p, { force: true }).catch(() => {});
      }
    },
    async remove(dataset, file) {
      await fs.rm(where(dataset, file), { force: true });
    },
  };
}

interface CacheStorageLike { open(name: string): Promise<CacheLike> }
interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, res: Response): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/** A store in the Cache API (`caches`), or undefined where there is none or it cannot be opened. */
export async function cacheApiStore(
  caches: CacheStorageLike | undefined = (globalThis as { caches?: CacheStorageLike }).caches,
  name = CACHE_API_NAME,
): Promise<DataStore | undefined> {
  if (!caches || typeof caches.open !== 'function') return undefined;
  let cache: CacheLike;
  try {
    cache = await caches.open(name);
  } catch {
    return undefined; // e.g. an opaque origin or a private window
  }
  // Cache API keys are http(s) URLs; this one is never fetched (.invalid is reserved).
  const key = (dataset: string, file: string) => `https://descentjs.invalid/data/${checkName(dataset)}/${checkName(file)}`;
  return {
    location: `Cache API "${name}"`,
    describe: (dataset, file) => `Cache API "${name}" ${dataset}/${file}`,
    async get(dataset, file) {
      const res = await cache.match(key(dataset, file));
      return res ? new Uint8Array(await res.arrayBuffer()) : undefined;
    },
    async put(dataset, file, bytes) {
      const body = new Uint8Array(bytes); // an ArrayBuffer-backed copy, as Response wants
      await cache.put(key(dataset, file), new Response(body, { headers: { 'content-type': 'application/octet-stream' } }));
    },
    async remove(dataset, file) {
      await cache.delete(key(dataset, file));
    },
  };
}

/** The store for this runtime and these options (see the top of this file), or undefined. */
export async function openStore(opts: StoreOptions = {}): Promise<DataStore | undefined> {
  if (opts.cache === false) return undefined;
  if (hasFileSystem()) {
    try {
      return await fileSystemStore(opts.cacheDir ?? (await defaultCacheDir()));
    } catch {
      // node: modules unavailable after all (a bundle for a runtime that only claims Node): try the Cache API
    }
  }
  return cacheApiStore();
}
