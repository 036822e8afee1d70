// loadDataset: a known data set (registry.ts) by name, from the cache when it holds a good copy,
// else downloaded, verified and cached; then parsed into train and test Datasets.
//
// Order of work: every file is first looked up in the cache and checked (size and SHA-256; a
// corrupt entry is removed and downloaded again — or, offline, reported); then the missing files
// are downloaded one after the other, each verified before it is cached. A failed file stops the
// load; files verified before it stay cached, so the next attempt resumes.

import { DescentError } from '../../engine/errors.js';
import { checkOptionKeys } from '../../engine/options.js';

const KNOWN_OPTIONS = ['mirror', 'cacheDir', 'cache', 'offline', 'fetch', 'signal', 'onProgress', 'onWarning', 'scale'];
import type { Dataset } from '../dataset.js';
import { idxDataset, parseIdx } from '../idx.js';
import { openStore, type DataStore } from './cache.js';
import { downloadFile, DownloadError, type FetchLike } from './download.js';
import { integrityProblem } from './integrity.js';
import { DATASETS, DATASET_NAMES, datasetFiles, type DatasetName, type RemoteDataset, type RemoteFile } from './registry.js';

export interface DownloadProgress {
  dataset: string;
  file: string;
  url: string;
  /** Bytes of this file received so far, and its size. */
  fileLoaded: number;
  fileTotal: number;
  /** Bytes received so far over all files this call downloads, and their total size. */
  loaded: number;
  total: number;
  /** True once, when this file has been received and verified. */
  done: boolean;
}

export interface LoadDatasetOptions {
  /**
   * Base URL to download from instead of the registry's mirrors; the file names are appended
   * (a missing trailing slash is added) and `{dataset}` is replaced by the data set's name, so
   * one URL can serve several: `https://example.org/data/{dataset}/`.
   */
  mirror?: string;
  /** File-system cache folder (Node, Deno, Bun); default $DESCENT_CACHE, $XDG_CACHE_HOME/descentjs or ~/.cache/descentjs. */
  cacheDir?: string;
  /** false: neither read nor write any cache. Default true. */
  cache?: boolean;
  /** Never use the network: every file must be in the cache, else the load fails. */
  offline?: boolean;
  /** The fetch to use; default globalThis.fetch. */
  fetch?: FetchLike;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Problems that do not stop the load (a cache that cannot be written, a corrupt entry replaced); default console.warn. */
  onWarning?: (message: string) => void;
  /** Multiplies every pixel; default 1/255 (pixels in [0, 1]). */
  scale?: number;
}

export interface DatasetFiles {
  dataset: RemoteDataset;
  /** Verified bytes of each file, by file name. */
  files: Map<string, Uint8Array>;
  /** Where the cache is (a folder, or the Cache API), undefined without one. */
  cache?: string;
  /** Names of the files this call downloaded (the others came from the cache). */
  downloaded: string[];
}

export interface LoadedDataset extends Omit<DatasetFiles, 'files'> {
  train: Dataset;
  test: Dataset;
  classes: number;
  classNames?: string[];
}

/** The registry entry of `name` (case-insensitive), or an error listing the known names. */
export function remoteDataset(name: string): RemoteDataset {
  const key = String(name).toLowerCase();
  if (Object.prototype.hasOwnProperty.call(DATASETS, key)) return DATASETS[key as DatasetName];
  throw new DescentError(`loadDataset: unknown data set ${JSON.stringify(name)}; known: ${DATASET_NAMES.join(', ')}`);
}

function mirrorsOf(d: RemoteDataset, mirror: string | undefined): string[] {
  if (mirror === undefined) return [...d.mirrors];
  if (typeof mirror !== 'string' || mirror.trim() === '') throw new DescentError(`loadDataset: mirror must be a URL, got ${JSON.stringify(mirror)}`);
  const m = mirror.trim().replaceAll('{dataset}', d.name);
  return [m.endsWith('/') ? m : `${m}/`];
}

/**
 * The verified bytes of the four files of data set `name`, from the cache or downloaded (see
 * the top of this file). For the parsed data sets use loadDataset.
 */
export async function fetchDatasetFiles(name: DatasetName | string, opts: LoadDatasetOptions = {}): Promise<DatasetFiles> {
  checkOptionKeys(opts, 'loadDataset', KNOWN_OPTIONS);
  const d = remoteDataset(name);
  const mirrors = mirrorsOf(d, opts.mirror);
  const warn = opts.onWarning ?? ((m: string) => console.warn(`descent: ${m}`));
  const store: DataStore | undefined = await openStore({ cache: opts.cache, cacheDir: opts.cacheDir });
  const files = new Map<string, Uint8Array>();
  const missing: RemoteFile[] = [];

  for (const f of datasetFiles(d)) {
    opts.signal?.throwIfAborted();
    if (!store) {
      missing.push(f);
      continue;
    }
    const where = store.describe(d.name, f.name);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await store.get(d.name, f.name);
    } catch (e) {
      warn(`cannot read the cached ${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (bytes) {
      const problem = await integrityProblem(bytes, f, `the cached ${where}`);
      if (!problem) {
        files.set(f.name, bytes);
        continue;
      }
      let removed = true;
      await store.remove(d.name, f.name).catch(() => { removed = false; });
      const what = `${problem}; ${removed ? 'removed the corrupt cache entry' : 'could not remove it'}`;
      if (opts.offline) throw new DescentError(`${what}; offline, so not downloaded again`);
      warn(`${what}, downloading it again`);
    }
    missing.push(f);
  }

  if (missing.length > 0 && opts.offline) {
    throw new DescentError(
      `${d.name}: offline, and ${missing.map((f) => f.name).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the cache` +
        (store ? ` (${store.location})` : ' (no cache in this runtime, or cache: false)'),
    );
  }

  const total = missing.reduce((s, f) => s + f.bytes, 0);
  let before = 0;
  for (const f of missing) {
    opts.signal?.throwIfAborted();
    const errors: DownloadError[] = [];
    let bytes: Uint8Array | undefined;
    for (const base of mirrors) {
      const url = base + f.name;
      const report = (fileLoaded: number, done: boolean) => opts.onProgress?.({
        dataset: d.name, file: f.name, url, fileLoaded, fileTotal: f.bytes, loaded: before + fileLoaded, total, done,
      });
      try {
        bytes = await downloadFile(url, f, { fetch: opts.fetch, signal: opts.signal, onBytes: (n) => report(n, false) });
        report(f.bytes, true);
        break;
      } catch (e) {
        if (!(e instanceof DownloadError)) throw e; // aborted, or no fetch at all
        errors.push(e);
      }
    }
    if (!bytes) {
      if (errors.length === 1) throw errors[0];
      throw new DownloadError(
        `${f.name}: no mirror gave a good copy:\n${errors.map((e) => `  ${e.message}`).join('\n')}`,
        errors[errors.length - 1].url, f.name,
      );
    }
    if (store) {
      try {
        await store.put(d.name, f.name, bytes);
      } catch (e) {
        warn(`could not cache ${f.name} in ${store.describe(d.name, f.name)}: ${e instanceof Error ? e.message : String(e)}` +
          ' (set DESCENT_CACHE or the cacheDir option to a writable folder)');
      }
    }
    files.set(f.name, bytes);
    before += f.bytes;
  }
  return { dataset: d, files, cache: store?.location, downloaded: missing.map((f) => f.name) };
}

/**
 * Data set `name` ('mnist' or 'fashion-mnist') as train and test Datasets: 28×28 images
 * (featureShape [28, 28], 784 features), pixels scaled to [0, 1] unless opts.scale says
 * otherwise, labels 0..9. Downloads the files once (see LoadDatasetOptions), verifies their
 * SHA-256 and caches them; afterwards it loads from the cache without any network access.
 */
export async function loadDataset(name: DatasetName | string, opts: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  checkOptionKeys(opts, 'loadDataset', KNOWN_OPTIONS);
  const { dataset: d, files, cache, downloaded } = await fetchDatasetFiles(name, opts);
  const idx = (f: RemoteFile) => parseIdx(files.get(f.name)!, `${d.name}/${f.name}`);
  const [ti, tl, vi, vl] = await Promise.all([idx(d.trainImages), idx(d.trainLabels), idx(d.testImages), idx(d.testLabels)]);
  files.clear();
  const common = { classes: d.classes, ...(opts.scale !== undefined ? { scale: opts.scale } : {}) };
  const train = idxDataset(ti, tl, { ...common, name: `${d.title} train` });
  const test = idxDataset(vi, vl, { ...common, name: `${d.title} test` });
  const classNames = d.classNames ? [...d.classNames] : undefined;
  if (classNames) {
    train.classNames = [...classNames];
    test.classNames = [...classNames];
  }
  return { dataset: d, train, test, classes: d.classes, ...(classNames ? { classNames } : {}), cache, downloaded };
}
