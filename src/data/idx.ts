// IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed.
//
// Layout: bytes 0-1 zero; byte 2 the data type (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32,
// 0x0E f64); byte 3 the number of dimensions d; then d big-endian u32 sizes; then the values,
// big-endian, in row-major order. Gzip input (magic 1f 8b) is decompressed with the standard
// DecompressionStream('gzip') (Node ≥ 18, browsers, Deno, workers), hence `parseIdx` is async.

import { DescentError } from '../engine/errors.js';
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

/** Decompresses gzip data with DecompressionStream; `what` names the input in errors. */
export async function gunzip(bytes: Uint8Array, what = 'gunzip'): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'function') {
    throw new DescentError(`${what}: gzip input needs DecompressionStream, which this runtime lacks; decompress it first`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    // Copy into a fresh ArrayBuffer-backed array: Blob wants ArrayBuffer (not Shared) views.
    const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch (e) {
    throw new DescentError(`${what}: corrupt gzip data (${bytes.length} bytes): ${e instanceof Error ? e.message : String(e)}`);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Parses an IDX file, gzip-compressed or not. `what` names the file in error messages, e.g.
 * `train-images-idx3-ubyte.gz: truncated: header says 60000×28×28 = 47040000 bytes of data,
 * file has 1000 after the 16-byte header`. The returned data never aliases `bytes`.
 */
export async function parseIdx(bytes: Uint8Array, what = 'idx'): Promise<Idx> {
  if (!(bytes instanceof Uint8Array)) {
    throw new DescentError(`${what}: parseIdx needs a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  let b = bytes;
  let owned = false;
  if (isGzip(b)) {
    b = await gunzip(b, what);
    owned = true;
  }
  if (b.length < 4) {
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
    throw new DescentError(
      `${what}: too short: the header declares ${ndims} dimensions and so takes ${headerBytes} bytes, the file has ${b.length}`,
    );
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const dataBytes = count * t.size;
  const have = b.length - headerBytes;
  if (have !== dataBytes) {
    const says =
      t.size === 1
        ? `${dims.join('×')} = ${dataBytes} bytes of data`
        : `${dims.join('×')} = ${count} ${t.type} values = ${dataBytes} bytes of data`;
    if (have < dataBytes) {
      throw new DescentError(`${what}: truncated: header says ${says}, file has ${have} after the ${headerBytes}-byte header`);
    }
    throw new DescentError(
      `${what}: ${have - dataBytes} bytes too many: header says ${says}, file has ${have} after the ${headerBytes}-byte header`,
    );
  }
  let data: IdxData;
  switch (t.type) {
    case 'u8':
    case 'i8': {
      // Own the bytes: after gunzip they are ours already; raw input is copied so the result
      // never aliases the caller's buffer.
      let u: Uint8Array;
      if (owned && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) {
        u = new Uint8Array(b.buffer, headerBytes, count);
      } else {
        u = new Uint8Array(count);
        u.set(b.subarray(headerBytes, headerBytes + count));
      }
      data = t.type === 'u8' ? u : new Int8Array(u.buffer, u.byteOffset, count);
      break;
    }
    case 'i16': {
      const a = new Int16Array(count);
      for (let i = 0, o = headerBytes; i < count; i++, o += 2) a[i] = view.getInt16(o, false);
      data = a;
      break;
    }
    case 'i32': {
      const a = new Int32Array(count);
      for (let i = 0, o = headerBytes; i < count; i++, o += 4) a[i] = view.getInt32(o, false);
      data = a;
      break;
    }
    case 'f32': {
      const a = new Float32Array(count);
      for (let i = 0, o = headerBytes; i < count; i++, o += 4) a[i] = view.getFloat32(o, false);
      data = a;
      break;
    }
    case 'f64': {
      const a = new Float64Array(count);
      for (let i = 0, o = headerBytes; i < count; i++, o += 8) a[i] = view.getFloat64(o, false);
      data = a;
      break;
    }
  }
  return { dims, type: t.type, data };
}

/** Encodes an IDX file (uncompressed), the inverse of parseIdx; for tests and exports. */
export function encodeIdx(idx: Idx): Uint8Array {
  const entry = Object.entries(TYPES).find(([, v]) => v.type === idx.type);
  if (!entry) throw new DescentError(`encodeIdx: unknown type '${String(idx.type)}'`);
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

/**
 * A classification data set from an images IDX (n × rows × cols, or any n × … shape) and a
 * labels IDX (n integer labels ≥ 0), both as returned by parseIdx.
 */
export function idxDataset(images: Idx, labels: Idx, opts: IdxDatasetOptions = {}): Dataset {
  const op = 'idxDataset';
  const scale = opts.scale ?? 1 / 255;
  if (!Number.isFinite(scale)) throw new DescentError(`${op}: scale must be a finite number, got ${String(scale)}`);
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
  const x = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) x[i] = src[i] * scale;
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
      throw new DescentError(`${op}: classes must be a positive integer, got ${String(opts.classes)}`);
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
