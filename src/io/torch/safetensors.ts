// Generic safetensors reading and writing, for files that other programs wrote or will read
// (PyTorch state_dicts through safetensors.torch, or the .py that exportTorch writes):
//
//   u64 little-endian N | N bytes of JSON header (UTF-8) | data
//
// The header maps names to { dtype, shape, data_offsets: [begin, end) } relative to the data,
// plus an optional "__metadata__" of string values. descent's own model files (../model-file.ts)
// are safetensors too but keep their strict reader: this one accepts any dtype of the table
// below, any tensor order, and checks every size against hostile input (header length beyond
// the file, shapes whose product overflows, offsets outside the data, a byte count that is not
// product × element size) before a tensor is touched.

import { DescentError, fmtShape } from '../../engine/errors.js';

export type Dtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';

export const DTYPE_SIZE: Record<Dtype, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };

export interface RawTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** The tensor's bytes (a view into the file). */
  bytes: Uint8Array;
}

export interface Safetensors {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Largest header accepted (the format's own readers use 100 MB). */
const MAX_HEADER = 100_000_000;

export function readSafetensors(bytes: Uint8Array, what: string): Safetensors {
  if (!(bytes instanceof Uint8Array)) throw new DescentError(`${what}: expected bytes (Uint8Array)`);
  if (bytes.length < 8) throw new DescentError(`${what}: truncated: ${bytes.length} bytes, the header length alone takes 8`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = dv.getBigUint64(0, true);
  if (hlen > BigInt(Math.min(bytes.length - 8, MAX_HEADER))) {
    throw new DescentError(`${what}: truncated or not a safetensors file: header length ${hlen} exceeds the ${bytes.length - 8} bytes that follow${hlen > BigInt(MAX_HEADER) ? ` (or the ${MAX_HEADER}-byte limit)` : ''}`);
  }
  const n = Number(hlen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new DescentError(`${what}: the header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new DescentError(`${what}: the header is not a JSON object`);
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, RawTensor>();
  const metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new DescentError(`${what}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new DescentError(`${what}: __metadata__.${k} must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    const t = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const label = `${what}: tensor ${name}`;
    if (!t || typeof t !== 'object') throw new DescentError(`${label}: expected { dtype, shape, data_offsets }`);
    if (typeof t.dtype !== 'string' || !(t.dtype in DTYPE_SIZE)) throw new DescentError(`${label}: unsupported dtype ${JSON.stringify(t.dtype)} (known: ${Object.keys(DTYPE_SIZE).join(', ')})`);
    const dtype = t.dtype as Dtype;
    if (!Array.isArray(t.shape) || t.shape.length > 8 || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new DescentError(`${label}: shape must be a list of at most 8 non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const shape = t.shape as number[];
    let count = 1;
    for (const d of shape) {
      count *= d;
      if (!Number.isSafeInteger(count * 8)) throw new DescentError(`${label}: shape ${fmtShape(shape)} is too large`);
    }
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[1] < off[0]) {
      throw new DescentError(`${label}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(off)}`);
    }
    const [b0, b1] = off as [number, number];
    if (b1 - b0 !== count * DTYPE_SIZE[dtype]) throw new DescentError(`${label}: data_offsets [${b0}, ${b1}] hold ${b1 - b0} bytes, but ${dtype} ${fmtShape(shape)} takes ${count * DTYPE_SIZE[dtype]}`);
    if (b1 > data.length) throw new DescentError(`${label}: its data ends at byte ${b1} but the file has ${data.length} bytes of data (truncated)`);
    tensors.set(name, { name, dtype, shape, bytes: data.subarray(b0, b1) });
  }
  return { tensors, metadata };
}

/**
 * A floating-point tensor as float32 (F64, F16 and BF16 converted; F64 values must fit f32).
 * Non-finite values are an error naming the tensor and the index.
 */
export function toFloat32(t: RawTensor, what: string): Float32Array {
  const n = t.bytes.length / DTYPE_SIZE[t.dtype];
  const copy = t.bytes.slice();
  const dv = new DataView(copy.buffer);
  let out: Float32Array;
  switch (t.dtype) {
    case 'F32': out = new Float32Array(copy.buffer); break;
    case 'F64': out = new Float32Array(n); for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true); break;
    case 'F16': out = new Float32Array(n); for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true)); break;
    case 'BF16': {
      out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      break;
    }
    default: throw new DescentError(`${what}: tensor ${t.name}: dtype ${t.dtype}, expected a floating-point tensor (F32, F64, F16, BF16)`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) throw new DescentError(`${what}: tensor ${t.name} holds ${out[i]} at index ${i}${t.dtype === 'F64' ? ' (after conversion to float32)' : ''}`);
  }
  return out;
}

/** An integer scalar tensor (I64 or I32) as a number; I64 beyond 2^53 is an error. */
export function toInteger(t: RawTensor, what: string): number {
  if (t.bytes.length !== DTYPE_SIZE[t.dtype] || (t.dtype !== 'I64' && t.dtype !== 'I32')) {
    throw new DescentError(`${what}: tensor ${t.name}: expected one I64 (or I32) value, got ${t.dtype} ${fmtShape(t.shape)}`);
  }
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const v = t.dtype === 'I64' ? dv.getBigInt64(0, true) : BigInt(dv.getInt32(0, true));
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DescentError(`${what}: tensor ${t.name} holds ${v}, expected a count in [0, 2^53)`);
  return Number(v);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export interface TensorOut {
  name: string;
  dtype: 'F32' | 'I64';
  shape: number[];
  /** F32: the values; I64: one value per element. */
  data: Float32Array | BigInt64Array;
}

/** safetensors bytes of the tensors in the given order, header space-padded to 8 bytes. */
export function writeSafetensors(tensors: readonly TensorOut[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let end = 0;
  for (const t of tensors) {
    const size = t.data.byteLength;
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [end, end + size] };
    end += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + end);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let at = 8 + hb.length;
  const dv = new DataView(out.buffer);
  for (const t of tensors) {
    // explicit little-endian writes: the format is little-endian whatever the host
    if (t.data instanceof Float32Array) for (let i = 0; i < t.data.length; i++) dv.setFloat32(at + 4 * i, t.data[i], true);
    else for (let i = 0; i < t.data.length; i++) dv.setBigInt64(at + 8 * i, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}
