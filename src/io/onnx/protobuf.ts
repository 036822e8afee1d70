// A minimal protocol-buffers wire-format reader and writer (https://protobuf.dev/programming-guides/encoding/),
// enough for ONNX model files.
//
// Why hand-written rather than protobufjs with onnx.proto: descent reads and writes five ONNX
// messages with a dozen fields each; the wire format is four record kinds (varint, 64-bit,
// length-delimited, 32-bit) and this file is ~200 lines with no dependency, while protobufjs
// adds ~70 kB minified plus the schema to every bundle that imports ONNX support. Being
// small also makes it auditable for hostile input, which is the other requirement:
//
//   - every read is bounds-checked against the end of the enclosing message (a length that
//     runs past it is an error, never a short read);
//   - varints take at most 10 bytes; 64-bit values outside ±2^53 come back as NaN-safe
//     numbers that callers reject where an exact integer is needed (dims, counts);
//   - groups (wire types 3 and 4, deprecated) and field number 0 are refused;
//   - nesting depth is bounded (MAX_DEPTH) and the input size too (MAX_MESSAGE_BYTES);
//   - nothing is allocated from a length read off the wire before the bytes behind it have been
//     checked to exist, so a claim of 2^60 elements costs nothing.
// Every problem is a DescentError naming `what` (e.g. "onnx model") and the byte offset.

import { DescentError } from '../../engine/errors.js';

export const WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5;
/** The largest message read: protobuf's own 2 GiB limit. */
export const MAX_MESSAGE_BYTES = 2 ** 31 - 1;
export const MAX_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8enc = new TextEncoder();

/** One field of a message: its number, wire type, and value (a number for varint/fixed, bytes for LEN). */
export interface Field {
  no: number;
  wire: number;
  /** varint (as a JS number, exact below 2^53), fixed32 bits, or the position of fixed64 */
  num: number;
  /** LEN: the payload (a view, not a copy); fixed64/fixed32: the raw little-endian bytes */
  bytes: Uint8Array | undefined;
  /** Absolute offset of the field's tag in the top-level buffer (for messages). */
  at: number;
}

/** Reader over one message: iterate its fields with next(). */
export class ProtoReader {
  #buf: Uint8Array;
  #pos: number;
  readonly depth: number;
  readonly base: number;

  constructor(buf: Uint8Array, readonly what: string, depth = 0, base = 0) {
    if (buf.length > MAX_MESSAGE_BYTES) throw new DescentError(`${what}: ${buf.length} bytes exceed protobuf's 2 GiB limit`);
    if (depth > MAX_DEPTH) throw new DescentError(`${what}: messages nested more than ${MAX_DEPTH} deep at byte ${base}`);
    this.#buf = buf;
    this.#pos = 0;
    this.depth = depth;
    this.base = base;
  }

  /** A reader for a nested message (a LEN field's payload). */
  sub(f: Field, what = this.what): ProtoReader {
    return new ProtoReader(f.bytes!, what, this.depth + 1, f.at);
  }

  fail(msg: string, at = this.base + this.#pos): never {
    throw new DescentError(`${this.what}: ${msg} (byte ${at})`);
  }

  /** Unsigned varint as lo/hi 32-bit halves. */
  #varint(): [number, number] {
    const b = this.#buf;
    let lo = 0, hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= b.length) this.fail('truncated varint');
      const byte = b[this.#pos++];
      if (i < 4) lo |= (byte & 0x7f) << (7 * i);
      else if (i === 4) { lo |= (byte & 0x0f) << 28; hi |= (byte & 0x70) >> 4; }
      else hi |= (byte & 0x7f) << (7 * i - 32);
      if (byte < 0x80) {
        if (i === 9 && byte > 1) this.fail('varint overflows 64 bits');
        return [lo >>> 0, hi >>> 0];
      }
    }
    this.fail('varint longer than 10 bytes');
  }

  /** Varint as a signed 64-bit value in a JS number (exact when |v| ≤ 2^53). */
  #signed(): number {
    const [lo, hi] = this.#varint();
    return hi >= 0x80000000 ? (hi - 0x100000000) * 0x100000000 + lo : hi * 0x100000000 + lo;
  }

  /** The next field, or undefined at the end of the message. */
  next(): Field | undefined {
    const b = this.#buf;
    if (this.#pos >= b.length) return undefined;
    const at = this.base + this.#pos;
    const [lo, hi] = this.#varint();
    if (hi !== 0 || lo >>> 3 === 0) this.fail(`invalid field tag ${hi ? '(over 32 bits)' : 'with field number 0'}`, at);
    const no = lo >>> 3, wire = lo & 7;
    switch (wire) {
      case WIRE_VARINT: return { no, wire, num: this.#signed(), bytes: undefined, at };
      case WIRE_I64: return { no, wire, num: 0, bytes: this.#take(8, at), at };
      case WIRE_I32: return { no, wire, num: 0, bytes: this.#take(4, at), at };
      case WIRE_LEN: {
        const [l, h] = this.#varint();
        if (h !== 0 || l > b.length - this.#pos) this.fail(`field ${no}: length ${h ? 'over 2^32' : l} runs past the end of its message (${b.length - this.#pos} bytes left)`, at);
        return { no, wire, num: l, bytes: this.#take(l, at), at };
      }
      default: this.fail(`field ${no}: unsupported wire type ${wire}${wire === 3 || wire === 4 ? ' (groups)' : ''}`, at);
    }
  }

  #take(n: number, at: number): Uint8Array {
    if (n > this.#buf.length - this.#pos) this.fail(`truncated field (needs ${n} bytes, ${this.#buf.length - this.#pos} left)`, at);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** A LEN field as UTF-8 text. */
  string(f: Field, field: string): string {
    this.expect(f, WIRE_LEN, field);
    try {
      return utf8.decode(f.bytes!);
    } catch {
      this.fail(`${field} is not valid UTF-8`, f.at);
    }
  }

  /** A float field (fixed32). */
  float(f: Field, field: string): number {
    this.expect(f, WIRE_I32, field);
    return new DataView(f.bytes!.buffer, f.bytes!.byteOffset, 4).getFloat32(0, true);
  }

  /** An integer field (varint). */
  int(f: Field, field: string): number {
    this.expect(f, WIRE_VARINT, field);
    return f.num;
  }

  /** A repeated varint field, packed (LEN) or not: appends to out (at most `limit` values in total). */
  ints(f: Field, out: number[], field: string, limit: number): void {
    if (f.wire === WIRE_VARINT) out.push(f.num);
    else if (f.wire === WIRE_LEN) {
      const r = this.sub(f);
      for (let g = r.#packedNext(); g !== undefined; g = r.#packedNext()) {
        if (out.length >= limit) this.fail(`${field}: more than ${limit} values`, f.at);
        out.push(g);
      }
    } else this.fail(`${field}: wire type ${f.wire}, expected a varint list`, f.at);
    if (out.length > limit) this.fail(`${field}: more than ${limit} values`, f.at);
  }

  #packedNext(): number | undefined {
    return this.#pos < this.#buf.length ? this.#signed() : undefined;
  }

  expect(f: Field, wire: number, field: string): void {
    if (f.wire !== wire) this.fail(`${field}: wire type ${f.wire}, expected ${wire}`, f.at);
  }
}

/** Growable buffer writing the wire format. */
export class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.#buf.subarray(0, this.#len));
    this.#buf = b;
  }

  #rawVarint(v: number): void {
    if (!Number.isSafeInteger(v)) throw new DescentError(`protobuf writer: ${v} is not an integer`);
    this.#reserve(10);
    if (v < 0) {
      // two's complement over 64 bits: 10 bytes
      let x = BigInt.asUintN(64, BigInt(v));
      for (let i = 0; i < 9; i++) { this.#buf[this.#len++] = Number(x & 0x7fn) | 0x80; x >>= 7n; }
      this.#buf[this.#len++] = Number(x);
      return;
    }
    while (v >= 0x80) { this.#buf[this.#len++] = (v % 128) | 0x80; v = Math.floor(v / 128); }
    this.#buf[this.#len++] = v;
  }

  #tag(no: number, wire: number): void {
    this.#rawVarint(no * 8 + wire);
  }

  int(no: number, v: number): this {
    this.#tag(no, WIRE_VARINT);
    this.#rawVarint(v);
    return this;
  }

  float(no: number, v: number): this {
    this.#tag(no, WIRE_I32);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#len, v, true);
    this.#len += 4;
    return this;
  }

  bytes(no: number, b: Uint8Array): this {
    this.#tag(no, WIRE_LEN);
    this.#rawVarint(b.length);
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  string(no: number, s: string): this {
    return this.bytes(no, utf8enc.encode(s));
  }

  /** A nested message, built by fill on a fresh writer. */
  message(no: number, fill: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    fill(w);
    return this.bytes(no, w.finish());
  }

  /** A packed repeated varint field. */
  packedInts(no: number, values: readonly number[]): this {
    const w = new ProtoWriter();
    for (const v of values) w.#rawVarint(v);
    return this.bytes(no, w.finish());
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
