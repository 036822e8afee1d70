// The safetensors container (https://github.com/huggingface/safetensors), read under its own
// rules and checked whole before the caller allocates anything:
//
//   u64 little-endian N | N bytes of JSON header | data section
//
// - N ≤ MAX_HEADER_BYTES (16 MiB; safetensors itself allows 100 MB, descent's headers are a few
//   KiB: a 16-byte file cannot make the reader decode or parse more than that);
// - the header is UTF-8 JSON that starts with '{' (no leading whitespace) and may be padded at
//   the end with spaces (0x20) only; its brackets nest at most MAX_HEADER_DEPTH deep, checked by
//   a scan before JSON.parse (and before any message renders a value), so 20,000 nested arrays
//   cost one linear pass and a DescentError;
// - the header is an object of tensor entries { dtype, shape, data_offsets } (exactly these own
//   keys, types checked by value: `"dtype": {"toString": 1}` is refused, not coerced) and an
//   optional "__metadata__" mapping strings to strings;
// - shape is an array of integers ≥ 0, data_offsets two integers [begin, end) relative to the
//   data section, end − begin = 4·Π shape (descent reads F32 only);
// - the tensors, sorted by offset, tile the data section exactly: the first begins at 0, each
//   begins where the previous ends (no gap, no overlap), the last ends at the end of the file
//   (no trailing bytes). So every declared size is bounded by the file's length.
//
// Messages render values through `brief`, which never recurses: a hostile value cannot make the
// error itself throw.

import { DescentError } from '../engine/errors.js';

/** Largest accepted header, in bytes. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** Deepest bracket nesting accepted in the header (descent's need 3: header → entry → shape). */
export const MAX_HEADER_DEPTH = 8;
/** Most dimensions of a tensor. */
const MAX_RANK = 8;

export interface TensorInfo {
  name: string;
  shape: number[];
  /** Byte offsets [begin, end) in the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, TensorInfo>;
  data: Uint8Array;
}

/** A short, non-recursive description of any value, for error messages. */
export function brief(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined) return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    return v.length <= 8 && v.every((x) => typeof x === 'number') ? `[${v.join(', ')}]` : `an array of ${v.length}`;
  }
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** A tensor name for messages: as is, cut at 60 characters. */
export const label = (name: string): string => brief(name).slice(1, -1);

/** A plain (non-array, non-null) object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** o[k] if k is o's own key, else undefined (nothing inherited: `toString`, `constructor`…). */
export function own(o: Record<string, unknown>, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

/**
 * JSON.parse of `text` after a linear scan that refuses brackets nested deeper than maxDepth;
 * any failure is a DescentError naming `what`.
 */
export function parseJson(text: string, what: string, maxDepth: number): unknown {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > maxDepth) throw new DescentError(`${what}: JSON nested deeper than ${maxDepth} levels (at character ${i})`);
    } else if (c === 93 || c === 125) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DescentError(`${what} is not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
}

/** Π shape, or NaN when it is not a safe integer. */
function elements(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return Number.isSafeInteger(n) ? n : NaN;
}

function tensorInfo(name: string, e: unknown, what: string): TensorInfo {
  const fail = (msg: string): never => { throw new DescentError(`${what}: tensor ${label(name)}: ${msg}`); };
  if (!isRecord(e)) fail(`expected { dtype, shape, data_offsets }, got ${brief(e)}`);
  const entry = e as Record<string, unknown>;
  for (const k of Object.keys(entry)) {
    if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') fail(`unknown key ${brief(k)} (dtype, shape, data_offsets)`);
  }
  const dtype = own(entry, 'dtype'), shape = own(entry, 'shape'), offsets = own(entry, 'data_offsets');
  if (typeof dtype !== 'string') fail(`dtype must be a string, got ${brief(dtype)}`);
  if (dtype !== 'F32') fail(`dtype ${brief(dtype).slice(1, -1)}, expected F32 (descent reads F32 only)`);
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`shape must be an array of at most ${MAX_RANK} integers ≥ 0, got ${brief(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[0] > offsets[1]) {
    fail(`data_offsets must be two integers 0 ≤ begin ≤ end, got ${brief(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  const n = elements(shape as number[]);
  if (!(n * 4 === end - begin)) fail(`data_offsets ${brief(offsets)} hold ${end - begin} bytes, shape ${brief(shape)} needs ${n * 4}`);
  return { name, shape: shape as number[], begin, end };
}

/** The header and data section of a safetensors file, every rule above checked; nothing allocated but the parse. */
export function readSafetensors(bytes: Uint8Array, what: string): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new DescentError(`${what}: expected bytes (Uint8Array)`);
  if (bytes.length < 8) throw new DescentError(`${what}: truncated: ${bytes.length} bytes, the header length alone takes 8`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new DescentError(`${what}: not a safetensors file descent reads: header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const hlen = Number(n);
  if (hlen > bytes.length - 8) throw new DescentError(`${what}: truncated or not a safetensors file: header length ${hlen} exceeds the ${bytes.length - 8} bytes that follow`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen));
  } catch {
    throw new DescentError(`${what}: the header is not valid UTF-8`);
  }
  if (text[0] !== '{') throw new DescentError(`${what}: the header must begin with '{' (safetensors allows no leading whitespace), got ${brief(text.slice(0, 8))}`);
  let last = text.length;
  while (last > 0 && text.charCodeAt(last - 1) === 32) last--;
  if (text[last - 1] !== '}') throw new DescentError(`${what}: the header must end with '}' followed by spaces only`);
  const header = parseJson(text.slice(0, last), `${what}: the header`, MAX_HEADER_DEPTH);
  if (!isRecord(header)) throw new DescentError(`${what}: the header is not a JSON object`);
  const metadata: Record<string, string> = Object.create(null);
  const tensors = new Map<string, TensorInfo>();
  for (const name of Object.keys(header)) {
    const e = header[name];
    if (name === '__metadata__') {
      if (!isRecord(e)) throw new DescentError(`${what}: __metadata__ must map names to strings, got ${brief(e)}`);
      for (const k of Object.keys(e)) {
        if (typeof e[k] !== 'string') throw new DescentError(`${what}: metadata ${brief(k)} must be a string, got ${brief(e[k])}`);
        metadata[k] = e[k] as string;
      }
    } else tensors.set(name, tensorInfo(name, e, what));
  }
  const data = bytes.subarray(8 + hlen);
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (const t of sorted) {
    if (t.end > data.length) throw new DescentError(`${what}: tensor ${label(t.name)}: its data ends at byte ${t.end} but the file has ${data.length} bytes of data (truncated)`);
  }
  let at = 0;
  for (const t of sorted) {
    if (t.begin !== at) {
      throw new DescentError(`${what}: tensor ${label(t.name)} begins at data byte ${t.begin}, the previous one ends at ${at} (${t.begin > at ? 'a gap' : 'overlapping'}; safetensors tensors tile the data section)`);
    }
    at = t.end;
  }
  if (at !== data.length) throw new DescentError(`${what}: ${data.length - at} bytes after the last tensor (safetensors allows no trailing bytes)`);
  return { metadata, tensors, data };
}
