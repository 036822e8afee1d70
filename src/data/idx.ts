// IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed.
//
// Layout: bytes 0-1 zero; byte 2 the data type (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32,
// 0x0E f64); byte 3 the number of dimensions d; then d big-endian u32 sizes; then the values,
// big-endian, in row-major order. Gzip input (magic 1f 8b) is decompressed with the standard
// DecompressionStream('gzip') (Node ≥ 18, browsers, Deno, workers), hence `parseIdx` is async;
// it is decompressed incrementally and stopped as soon as it outgrows its own header.

import { DescentError, show } from '../engine/errors.js';
import { checkOptionKeys } from '../engine/options.js';
import type { Dataset } from './dataset.js';

export type IdxType = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface Idx {
  dims: number[];
  type: IdxType;
  data: IdxData;
}

const TYPES: Record<number, { type: IdxType; size: number }> = {
  0x08: { type: 'u8', size: 1 },
  0x09: { type: 'i8', size: 1 },
  0x0b: { type: 'i16', size: 2 },
  0x0c: { type: 'i32', size: 4 },
  0x0d: { type: 'f32', size: 4 },
  0x0e: { type: 'f64', size: 8 },
};

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/** True if `bytes` starts with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Input goes to the decompressor in pieces of this size, and the next piece only when the output
 * so far has been read: deflate expands at most 1032:1, so one piece never yields more than
 * ~16 MiB, whatever the runtime's DecompressionStream does with a whole chunk at once.
 */
const PIECE = 16384;

/**
 * Streams `bytes` through DecompressionStream('gzip'), handing each output chunk to `sink` as it
 * comes. If `sink` throws, decompression stops at once (nothing more is inflated) and the error
 * propagates; corrupt or truncated gzip data becomes a DescentError naming `what`.
 */
async function inflate(bytes: Uint8Array, what: string, sink: (chunk: Uint8Array) => void): Promise<void> {
  if (typeof DecompressionStream !== 'function') {
    throw new DescentError(`${what}: gzip input needs DecompressionStream, which this runtime lacks; decompress it first`);
  }
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  let stopped = false;
  // The feeder: one piece at a time, each a fresh ArrayBuffer-backed copy (never a view of the
  // caller's possibly shared memory). Its failures surface on the reader, so they are dropped here.
  void (async () => {
    for (let i = 0; i < bytes.length; i += PIECE) {
      await writer.ready;
      if (stopped) return;
      writer.write(new Uint8Array(bytes.subarray(i, i + PIECE))).catch(() => {});
    }
    await writer.ready;
    if (!stopped) await writer.close();
  })().catch(() => {});
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      sink(value);
    }
  } catch (e) {
    stopped = true;
    reader.cancel().catch(() => {});
    writer.abort().catch(() => {});
    if (e instanceof DescentError) throw e;
    throw new DescentError(`${what}: corrupt gzip data (${bytes.length} bytes): ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Decompresses gzip data with DecompressionStream; `what` names the input in errors. With
 * `maxBytes`, decompression stops as soon as the output would exceed it (a DescentError).
 */
export async function gunzip(bytes: Uint8Array, what = 'gunzip', maxBytes = Infinity): Promise<Uint8Array> {
  if (!(bytes instanceof Uint8Array)) {
    throw new DescentError(`${what}: gunzip needs a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (typeof maxBytes !== 'number' || !(maxBytes >= 0)) {
    throw new DescentError(`${what}: maxBytes must be a non-negative number, got ${show(maxBytes)}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  await inflate(bytes, what, (c) => {
    total += c.length;
    if (total > maxBytes) {
      throw new DescentError(`${what}: gzip data decompresses to more than the limit of ${maxBytes} bytes (stopped at ${total})`);
    }
    chunks.push(c);
  });
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export interface IdxOptions {
  /**
   * Largest data section accepted, in bytes (default 2^31 − 1): a header whose dimensions
   * multiply out to more is refused before anything is allocated or decompressed further.
   */
  maxBytes?: number;
}

/** Default IDX size limit: the largest ArrayBuffer every JavaScript engine allows. */
export const IDX_MAX_BYTES = 2 ** 31 - 1;

interface IdxHeader {
  type: IdxType;
  size: number;
  dims: number[];
  headerBytes: number;
  count: number;
  dataBytes: number;
}

/** `60000×28×28 = 47040000 bytes of data` or `2×3 = 6 f32 values = 24 bytes of data`. */
function says(h: IdxHeader): string {
  return h.size === 1
    ? `${h.dims.join('×')} = ${h.dataBytes} bytes of data`
    : `${h.dims.join('×')} = ${h.count} ${h.type} values = ${h.dataBytes} bytes of data`;
}

/**
 * Checks the first bytes of an IDX file: returns the number of bytes the header needs if `b` is
 * shorter than that (`end`: there are no more; then it is an error), else the parsed header.
 * Every size is checked here, before any allocation: no dimension may be 0 or ≥ 2^31 (negative
 * to readers that take sizes as signed, as the format's reference code does), and their product
 * may not exceed `maxBytes`.
 */
function readHeader(b: Uint8Array, what: string, maxBytes: number, end: boolean): IdxHeader | number {
  if (b.length < 4) {
    if (!end) return 4;
    throw new DescentError(`${what}: too short for an IDX file: ${b.length} bytes, the header alone needs at least 4`);
  }
  if (b[0] !== 0 || b[1] !== 0) {
    throw new DescentError(
      `${what}: bad magic: an IDX file starts with bytes 0x00 0x00, this one with ${hex(b[0])} ${hex(b[1])}`,
    );
  }
  const t = TYPES[b[2]];
  if (!t) {
    throw new DescentError(
      `${what}: unknown IDX data type code ${hex(b[2])} (known: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)`,
    );
  }
  const ndims = b[3];
  if (ndims === 0) throw new DescentError(`${what}: IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * ndims;
  if (b.length < headerBytes) {
    if (!end) return headerBytes;
    throw new DescentError(
      `${what}: too short: the header declares ${ndims} dimensions and so takes ${headerBytes} bytes, the file has ${b.length}`,
    );
  }
  const view = new DataView(b.buffer, b.byteOffset, headerBytes);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  for (let i = 0; i < ndims; i++) {
    const d = dims[i];
    if (d === 0) throw new DescentError(`${what}: IDX header: dimension ${i + 1} of ${ndims} is 0 (shape ${dims.join('×')}): no data`);
    if (d >= 2 ** 31) {
      throw new DescentError(
        `${what}: IDX header: dimension ${i + 1} of ${ndims} is ${d}, not a size (≥ 2^31: negative as a signed 32-bit integer)`,
      );
    }
  }
  // Multiply step by step and stop at the limit: no product ever leaves the exact integers.
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    count *= dims[i];
    if (count * t.size > maxBytes) {
      throw new DescentError(
        `${what}: IDX header says ${dims.join('×')} ${t.type} values, more than the limit of ${maxBytes} bytes of data (option maxBytes)`,
      );
    }
  }
  return { type: t.type, size: t.size, dims, headerBytes, count, dataBytes: count * t.size };
}

/**
 * Parses an IDX file, gzip-compressed or not. `what` names the file in error messages, e.g.
 * `train-images-idx3-ubyte.gz: truncated: header says 60000×28×28 = 47040000 bytes of data,
 * file has 1000 after the 16-byte header`. The returned data never aliases `bytes`.
 *
 * Gzip input is decompressed incrementally: the header is read from the first bytes out, and
 * decompression stops as soon as the output would exceed what the header says, so a gzip bomb
 * costs no more than its header's (limited) size. Memory is allocated as data actually arrives.
 */
export async function parseIdx(bytes: Uint8Array, what = 'idx', options?: IdxOptions): Promise<Idx> {
  if (!(bytes instanceof Uint8Array)) {
    throw new DescentError(`${what}: parseIdx needs a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (typeof what !== 'string') throw new DescentError(`parseIdx: the file's name must be a string, got ${typeof what}`);
  const opts = checkOptionKeys(options, `${what}: parseIdx`, ['maxBytes']);
  const maxBytes = opts.maxBytes ?? IDX_MAX_BYTES;
  if (typeof maxBytes !== 'number' || !(maxBytes >= 1)) {
    throw new DescentError(`${what}: maxBytes must be a positive number, got ${show(maxBytes)}`);
  }
  let h: IdxHeader;
  let data: Uint8Array; // the data section, owned, at offset 0 of its own buffer
  if (!isGzip(bytes)) {
    const r = readHeader(bytes, what, maxBytes, true) as IdxHeader;
    h = r;
    const have = bytes.length - h.headerBytes;
    if (have < h.dataBytes) {
      throw new DescentError(`${what}: truncated: header says ${says(h)}, file has ${have} after the ${h.headerBytes}-byte header`);
    }
    if (have > h.dataBytes) {
      throw new DescentError(
        `${what}: ${have - h.dataBytes} bytes too many: header says ${says(h)}, file has ${have} after the ${h.headerBytes}-byte header`,
      );
    }
    data = new Uint8Array(h.dataBytes);
    data.set(bytes.subarray(h.headerBytes));
  } else {
    const head = new Uint8Array(4 + 4 * 255);
    let headLen = 0;
    let hdr: IdxHeader | undefined;
    let buf = new Uint8Array(0);
    let filled = 0;
    await inflate(bytes, what, (chunk) => {
      let c = chunk;
      if (!hdr) {
        let r: IdxHeader | number = 4;
        while (typeof r === 'number' && c.length > 0) {
          const k = Math.min(r - headLen, c.length);
          head.set(c.subarray(0, k), headLen);
          headLen += k;
          c = c.subarray(k);
          if (headLen === r) r = readHeader(head.subarray(0, headLen), what, maxBytes, false);
        }
        if (typeof r === 'number') return;
        hdr = r;
        // Room for what this file can plausibly inflate to (deflate: at most 1032:1), grown on
        // demand up to the header's size: a small file claiming a huge size allocates little.
        buf = new Uint8Array(Math.min(hdr.dataBytes, 1032 * bytes.length + 65536));
      }
      if (c.length === 0) return;
      if (filled + c.length > hdr.dataBytes) {
        throw new DescentError(
          `${what}: at least ${filled + c.length - hdr.dataBytes} bytes too many: header says ${says(hdr)}; ` +
            `decompression stopped after ${filled + c.length} bytes following the ${hdr.headerBytes}-byte header`,
        );
      }
      if (filled + c.length > buf.length) {
        const bigger = new Uint8Array(Math.min(hdr.dataBytes, Math.max(2 * buf.length, filled + c.length)));
        bigger.set(buf.subarray(0, filled));
        buf = bigger;
      }
      buf.set(c, filled);
      filled += c.length;
    });
    if (!hdr) {
      readHeader(head.subarray(0, headLen), what, maxBytes, true);
      throw new DescentError(`${what}: incomplete IDX header`); // not reached: readHeader threw
    }
    h = hdr;
    if (filled < h.dataBytes) {
      throw new DescentError(`${what}: truncated: header says ${says(h)}, file has ${filled} after the ${h.headerBytes}-byte header`);
    }
    data = buf;
  }
  return { dims: h.dims, type: h.type, data: decode(data, h) };
}

/** The big-endian values of `u` (owned, at offset 0 of its buffer) as native ones, in place. */
function decode(u: Uint8Array, h: IdxHeader): IdxData {
  const { count } = h;
  const view = new DataView(u.buffer, 0, u.byteLength);
  // Element i is read from and written to the same bytes, read first: decoding in place is safe.
  switch (h.type) {
    case 'u8':
      return u;
    case 'i8':
      return new Int8Array(u.buffer, 0, count);
    case 'i16': {
      const a = new Int16Array(u.buffer, 0, count);
      for (let i = 0; i < count; i++) a[i] = view.getInt16(2 * i, false);
      return a;
    }
    case 'i32': {
      const a = new Int32Array(u.buffer, 0, count);
      for (let i = 0; i < count; i++) a[i] = view.getInt32(4 * i, false);
      return a;
    }
    case 'f32': {
      const a = new Float32Array(u.buffer, 0, count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat32(4 * i, false);
      return a;
    }
    case 'f64': {
      const a = new Float64Array(u.buffer, 0, count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat64(8 * i, false);
      return a;
    }
  }
}

/** Encodes an IDX file (uncompressed), the inverse of parseIdx; for tests and exports. */
export function encodeIdx(idx: Idx): Uint8Array {
  const entry = Object.entries(TYPES).find(([, v]) => v.type === idx.type);
  if (!entry) throw new DescentError(`encodeIdx: unknown type '${show(idx.type)}'`);
  const code = Number(entry[0]);
  const size = entry[1].size;
  const { dims, data } = idx;
  if (dims.length < 1 || dims.length > 255 || !dims.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff)) {
    throw new DescentError(`encodeIdx: dims must be 1 to 255 sizes in [0, 2^32), got [${dims.join(', ')}]`);
  }
  const count = dims.reduce((a, d) => a * d, 1);
  if (data.length !== count) throw new DescentError(`encodeIdx: dims [${dims.join(', ')}] hold ${count} values, data has ${data.length}`);
  const h = 4 + 4 * dims.length;
  const out = new Uint8Array(h + count * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0, o = h; i < count; i++, o += size) {
    const v = data[i];
    switch (idx.type) {
      case 'u8': view.setUint8(o, v); break;
      case 'i8': view.setInt8(o, v); break;
      case 'i16': view.setInt16(o, v, false); break;
      case 'i32': view.setInt32(o, v, false); break;
      case 'f32': view.setFloat32(o, v, false); break;
      case 'f64': view.setFloat64(o, v, false); break;
    }
  }
  return out;
}

export interface IdxDatasetOptions {
  /** Multiplies every pixel; default 1/255 (u8 images to [0, 1]). */
  scale?: number;
  /** Number of classes; default max label + 1. */
  classes?: number;
  name?: string;
}

const ARRAYS: Record<IdxType, Function> = { u8: Uint8Array, i8: Int8Array, i16: Int16Array, i32: Int32Array, f32: Float32Array, f64: Float64Array };

/** An Idx object by value: dims positive integers, a known type, data of that type's array. */
function checkIdx(idx: Idx, what: string): void {
  if (idx === null || typeof idx !== 'object') throw new DescentError(`${what} must be an Idx object { dims, type, data }, got ${idx === null ? 'null' : typeof idx}`);
  const { dims, type, data } = idx;
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > 255 || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1)) {
    throw new DescentError(`${what}: dims must be 1 to 255 positive integers`);
  }
  if (typeof type !== 'string' || !Object.hasOwn(ARRAYS, type)) throw new DescentError(`${what}: unknown type ${typeof type === 'string' ? `'${type}'` : typeof type}`);
  if (!(data instanceof ARRAYS[type])) throw new DescentError(`${what}: type ${type} needs data in a ${ARRAYS[type].name}`);
}

/**
 * A classification data set from an images IDX (n × rows × cols, or any n × … shape) and a
 * labels IDX (n integer labels ≥ 0), both as returned by parseIdx.
 */
export function idxDataset(images: Idx, labels: Idx, options?: IdxDatasetOptions): Dataset {
  const op = 'idxDataset';
  const opts = checkOptionKeys(options, op, ['scale', 'classes', 'name']);
  if (opts.name !== undefined && typeof opts.name !== 'string') throw new DescentError(`${op}: name must be a string, got ${typeof opts.name}`);
  const scale = opts.scale ?? 1 / 255;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) {
    throw new DescentError(`${op}: scale must be a finite number, got ${typeof scale === 'number' ? scale : typeof scale}`);
  }
  checkIdx(images, `${op}: images`);
  checkIdx(labels, `${op}: labels`);
  if (images.dims.length < 2) {
    throw new DescentError(`${op}: images must have at least 2 dimensions (n × …), got [${images.dims.join(', ')}]`);
  }
  if (labels.dims.length !== 1) {
    throw new DescentError(`${op}: labels must have 1 dimension (n), got [${labels.dims.join(', ')}]`);
  }
  if (labels.type === 'f32' || labels.type === 'f64') {
    throw new DescentError(`${op}: labels must be integers, got IDX type ${labels.type}`);
  }
  const n = images.dims[0];
  if (labels.dims[0] !== n) throw new DescentError(`${op}: ${n} images but ${labels.dims[0]} labels`);
  if (n === 0) throw new DescentError(`${op}: empty data set (0 images)`);
  const featureShape = images.dims.slice(1);
  const features = featureShape.reduce((a, d) => a * d, 1);
  if (features === 0) throw new DescentError(`${op}: images have no pixels: shape [${images.dims.join(', ')}]`);
  const src = images.data;
  if (src.length !== n * features) {
    throw new DescentError(`${op}: images of shape [${images.dims.join(', ')}] hold ${n * features} values, their data has ${src.length}`);
  }
  if (labels.data.length !== n) throw new DescentError(`${op}: ${n} labels, but the labels' data has ${labels.data.length}`);
  const x = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Math.fround(src[i] * scale);
    x[i] = v;
    // f32 and f64 files may hold NaN or ±Infinity, and a value times scale may overflow float32.
    if (v - v !== 0) {
      const s = Math.floor(i / features);
      throw new DescentError(
        `${op}: image value ${src[i]}${scale === 1 ? '' : ` × scale ${scale}`} at sample ${s}, pixel ${i - s * features} is ${v} in float32`,
      );
    }
  }
  const lab = new Int32Array(n);
  let max = -1;
  for (let i = 0; i < n; i++) {
    const l = labels.data[i];
    if (l < 0) throw new DescentError(`${op}: label ${l} at sample ${i} is negative`);
    lab[i] = l;
    if (l > max) max = l;
  }
  let classes = max + 1;
  if (opts.classes !== undefined) {
    if (!Number.isInteger(opts.classes) || opts.classes < 1) {
      throw new DescentError(`${op}: classes must be a positive integer, got ${typeof opts.classes === 'number' ? opts.classes : typeof opts.classes}`);
    }
    if (opts.classes <= max) {
      throw new DescentError(`${op}: classes = ${opts.classes}, but the labels go up to ${max}`);
    }
    classes = opts.classes;
  }
  const ds: Dataset = { x, n, features, labels: lab, classes, featureShape };
  if (opts.name !== undefined) ds.name = opts.name;
  return ds;
}
