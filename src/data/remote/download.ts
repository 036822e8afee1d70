// Downloading one file of known size and hash with `fetch`, defensively: the body is read into a
// buffer of exactly the expected size, a server that declares or sends more is cut off at once
// (the download stops, nothing more is read or kept), a body that ends short or breaks off is
// refused, and the bytes are returned only after their SHA-256 matched. Nothing here touches a
// cache: callers cache what this returns, so a refused download can never be cached.

import { DescentError } from '../../engine/errors.js';
import { integrityProblem } from './integrity.js';
import type { RemoteFile } from './registry.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface DownloadFileOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
  /** Called with the bytes received so far: 0 before the body, then after every chunk. */
  onBytes?: (loaded: number) => void;
}

/** A download that was refused: unreachable, HTTP error, wrong size, broken off, or wrong hash. */
export class DownloadError extends DescentError {
  constructor(message: string, readonly url: string, readonly file: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

const message = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  // undici reports socket trouble as "fetch failed" / "terminated" with the reason in `cause`
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && cause.message !== e.message ? `${e.message} (${cause.message})` : e.message;
};

const isAbort = (e: unknown, signal?: AbortSignal): boolean =>
  (signal?.aborted ?? false) || (e instanceof Error && e.name === 'AbortError');

/** The default fetch, called through globalThis (a detached `fetch` throws in browsers). */
const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

/** Downloads `url`, which must serve exactly `file` (size and SHA-256); returns its bytes. */
export async function downloadFile(url: string, file: RemoteFile, opts: DownloadFileOptions = {}): Promise<Uint8Array> {
  const fetchFn = opts.fetch ?? globalFetch;
  if (typeof fetchFn !== 'function') throw new DescentError(`${file.name}: no fetch in this runtime; pass one as the fetch option`);
  const refuse = (why: string): never => {
    throw new DownloadError(`${file.name}: ${why}`, url, file.name);
  };
  let res: Response;
  try {
    // identity: the size and hash are those of the file itself, not of a re-compressed transfer
    res = await fetchFn(url, { signal: opts.signal, headers: { 'accept-encoding': 'identity' } });
  } catch (e) {
    if (isAbort(e, opts.signal)) throw e;
    return refuse(`cannot fetch ${url}: ${message(e)}`);
  }
  const body = res.body;
  const drop = () => {
    // release the connection; a body we refuse is never read
    body?.cancel().catch(() => {});
  };
  if (!res.ok) {
    drop();
    return refuse(`${url} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  const encoding = res.headers.get('content-encoding');
  const declared = res.headers.get('content-length');
  // With a content encoding the length is that of the encoded transfer; the stream check below
  // still bounds the decoded bytes.
  if (declared !== null && (encoding === null || encoding === 'identity')) {
    const n = Number(declared);
    if (Number.isFinite(n) && n !== file.bytes) {
      drop();
      return refuse(`${url} declares ${n} bytes (Content-Length), expected ${file.bytes}; refused without reading it`);
    }
  }

  const buf = new Uint8Array(file.bytes);
  let got = 0;
  opts.onBytes?.(0);
  if (body) {
    const reader = body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (isAbort(e, opts.signal)) throw e;
        return refuse(`download from ${url} broke off after ${got} of ${file.bytes} bytes: ${message(e)}`);
      }
      if (chunk.done) break;
      const part = chunk.value;
      if (got + part.length > file.bytes) {
        reader.cancel().catch(() => {});
        return refuse(`${url} sent more than the expected ${file.bytes} bytes; stopped after ${got + part.length}`);
      }
      buf.set(part, got);
      got += part.length;
      opts.onBytes?.(got);
    }
  } else {
    // a fetch without streaming bodies: the whole body at once, checked afterwards
    let all: Uint8Array;
    try {
      all = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      if (isAbort(e, opts.signal)) throw e;
      return refuse(`download from ${url} failed: ${message(e)}`);
    }
    if (all.length > file.bytes) return refuse(`${url} sent ${all.length} bytes, more than the expected ${file.bytes}`);
    buf.set(all);
    got = all.length;
    opts.onBytes?.(got);
  }
  if (got < file.bytes) return refuse(`download from ${url} ended after ${got} of ${file.bytes} bytes (connection closed early or file truncated)`);
  const problem = await integrityProblem(buf, file, url);
  if (problem) throw new DownloadError(`${problem}; refused, not cached`, url, file.name);
  return buf;
}
