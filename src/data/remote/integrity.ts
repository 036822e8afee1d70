// Size and SHA-256 checks of downloaded and cached bytes, with WebCrypto (crypto.subtle), which
// Node ≥ 19, Deno, Bun, workerd and browsers (in secure contexts: https pages, localhost) have.

import { DescentError } from '../../engine/errors.js';
import type { RemoteFile } from './registry.js';

/** SHA-256 of `bytes` as lower-case hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle || typeof subtle.digest !== 'function') {
    throw new DescentError(
      'SHA-256 check needs WebCrypto (crypto.subtle), which this runtime lacks (browsers have it only on https pages and localhost)',
    );
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let s = '';
  for (const b of digest) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Why `bytes` is not `file` (wrong size, or wrong SHA-256, both named), or undefined when it is.
 * `where` says where the bytes came from, e.g. the URL or the cache path.
 */
export async function integrityProblem(bytes: Uint8Array, file: RemoteFile, where: string): Promise<string | undefined> {
  if (bytes.length !== file.bytes) {
    return `${file.name}: ${where} gave ${bytes.length} bytes, expected ${file.bytes}`;
  }
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    return `${file.name}: SHA-256 mismatch for ${where}: expected ${file.sha256}, got ${actual}`;
  }
  return undefined;
}
