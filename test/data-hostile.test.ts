// Hostile data files (issue #13, item 1 for data): the examples of the issue as regression tests.
// CSV: linear-time parsing (a 1 MB bad field is refused at once; 4 times the size takes about 4
// times as long), out-of-float32 values refused at parse time with line and column. IDX: gzip decompressed
// incrementally and stopped as soon as the output outgrows the header (a ~255 KiB gzip bomb of
// 256 MiB), header sizes checked before anything is allocated (zero, ≥ 2^31, product over the
// limit), values that are not finite in float32 refused by idxDataset.
import { readFileSync } from 'node:fs';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { parseCsv } from '../src/data/csv.js';
import { encodeIdx, gunzip, idxDataset, parseIdx, type Idx } from '../src/data/idx.js';

const MNIST = new URL('../../shared/data/mnist/', import.meta.url);

function idxHeader(type: number, dims: number[]): Uint8Array {
  const h = new Uint8Array(4 + 4 * dims.length);
  h[2] = type;
  h[3] = dims.length;
  const v = new DataView(h.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return h;
}

/** The least time of `runs` calls of f, in ms. */
function best(f: () => void, runs = 3): number {
  let t = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

/** The DescentError message of f, failing the test if f does not throw one. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DescentError);
    return (e as Error).message;
  }
  throw new Error('expected a DescentError, got a result');
}

/**
 * A valid gzip file of `header` followed by `mib` MiB of zeros, built without holding them: the
 * header and one deflated MiB (sync-flushed, so blocks concatenate), repeated, then a final
 * empty block and the true CRC-32 and size. 256 MiB → a ~255 KiB file.
 */
function gzipBomb(header: Uint8Array, mib: number): Uint8Array {
  const zeros = new Uint8Array(1 << 20);
  const flush = { finishFlush: constants.Z_SYNC_FLUSH };
  const head = deflateRawSync(header, flush);
  const block = deflateRawSync(zeros, flush);
  const end = deflateRawSync(new Uint8Array(0));
  let crc = crc32(header);
  for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  const size = (header.length + mib * (1 << 20)) >>> 0;
  const out = new Uint8Array(10 + head.length + mib * block.length + end.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let o = 10;
  out.set(head, o);
  o += head.length;
  for (let i = 0; i < mib; i++, o += block.length) out.set(block, o);
  out.set(end, o);
  o += end.length;
  const v = new DataView(out.buffer);
  v.setUint32(o, crc, true);
  v.setUint32(o + 4, size, true);
  return out;
}

describe('CSV: linear time', () => {
  it('a 1 MB bad field is refused at once, its message cut short; 16 MB takes about 4 times as long as 4 MB', () => {
    const MB = 1 << 20;
    for (const bad of [(n: number) => '1'.repeat(n) + 'x', (n: number) => `1.${'1'.repeat(n)}e`, (n: number) => `1e${'1'.repeat(n)}.`]) {
      const csv = (n: number) => `a,b,y\n1,2,0\n3,${bad(n)},1\n`;
      const small = csv(MB);
      const msg = refusal(() => parseCsv(small));
      expect(msg).toMatch(/^csv: line 3, column 'b': '.{24}…' \(\d+ characters\) is not a number$/);
      // Linear: well under a second (the backtracking pattern took 1.7 s for 32,000 characters,
      // and 4.6 times as long for each doubling), and doubling the field about doubles the time.
      const t1 = best(() => refusal(() => parseCsv(small)));
      expect(t1).toBeLessThan(1000);
      // 4 MB → 16 MB: linear time grows about 4 times (measured 4.2 to 5.2), quadratic 16 times.
      // Best of 3 runs each (sizes past the caches, so per-byte costs are alike), a wide margin.
      const large = csv(4 * MB);
      const t4 = best(() => refusal(() => parseCsv(large)));
      const larger = csv(16 * MB);
      const t16 = best(() => refusal(() => parseCsv(larger)));
      expect(t16 / Math.max(t4, 1), `${t4.toFixed(1)} ms for 4 MB, ${t16.toFixed(1)} ms for 16 MB`).toBeLessThan(10);
    }
  });

  it('a long valid number and a 1 MB line of empty fields are handled at once too', () => {
    const n = parseCsv(`a,y\n${'1'.repeat(30)}.${'0'.repeat(1 << 20)}5,0\n2,1\n`);
    expect(n.x[0]).toBe(Math.fround(1e29 * 1.1111111111111111111));
    // 1,048,576 columns on line 1 but 3 on line 2: refused as soon as line 2 is split.
    const t = best(() => expect(refusal(() => parseCsv(`${','.repeat(1 << 20)}\n1,2,3\n`))).toBe(
      'csv: line 2 has 3 fields, expected 1048577 as on line 1; if line 1 is not part of the table, skip it with skipLines',
    ));
    expect(t).toBeLessThan(1000);
  });
});

describe('CSV: float32 range at parse time', () => {
  it('1e39 is refused with its line and column, not turned into Infinity', () => {
    expect(refusal(() => parseCsv('a,b,y\n1,2,0\n3,1e39,1\n'))).toBe(
      "csv: line 3, column 'b': '1e39' is out of float32 range (magnitude at most 3.4028235e+38)",
    );
    expect(refusal(() => parseCsv('1,2,0\n-1e39,4,1'))).toBe("csv: line 2, column 1: '-1e39' is out of float32 range (magnitude at most 3.4028235e+38)");
    expect(refusal(() => parseCsv('1,2,0\n5,1e400,1'))).toMatch(/^csv: line 2, column 2: '1e400' is out of float32 range/);
    expect(refusal(() => parseCsv('x,y\n1,2\n3,3.4028236e38', { task: 'regression' }))).toBe(
      "csv: line 3, column 'y': target '3.4028236e38' is out of float32 range (magnitude at most 3.4028235e+38)",
    );
    expect(refusal(() => parseCsv(`1,2,0\n${'9'.repeat(100)},4,1`))).toMatch(/^csv: line 2, column 1: '9{24}…' \(100 characters\) is out of float32 range/);
  });

  it('the largest float32, values that round to it, denormals and underflow to 0 are accepted', () => {
    const d = parseCsv('3.4028235e38,-3.4028234e38,1e-45,0\n1e-50,-4e-39,1e38,1\n');
    expect(Array.from(d.x)).toEqual([3.4028234663852886e38, -3.4028234663852886e38, Math.fround(1e-45), 0, Math.fround(-4e-39), Math.fround(1e38)]);
    expect(d.x.every(Number.isFinite)).toBe(true);
    const r = parseCsv('1,3.4028235e38\n2,1e-50', { task: 'regression' });
    expect(Array.from(r.targets!)).toEqual([3.4028234663852886e38, 0]);
    // A label is a class id or a name, never a float32: 1e39 as a label is a class name.
    expect(parseCsv('1,1e39\n2,0').classNames).toEqual(['1e39', '0']);
  });
});

describe('IDX: gzip bomb, header sizes before allocation', () => {
  it('a ~255 KiB gzip bomb (256 MiB) is stopped right after the size its header gives', { timeout: 30_000 }, async () => {
    const bomb = gzipBomb(idxHeader(0x08, [10]), 256);
    expect(bomb.length).toBeGreaterThan(250 * 1024);
    expect(bomb.length).toBeLessThan(270 * 1024);
    const t0 = performance.now();
    const err = await parseIdx(bomb, 'bomb.gz').then(
      () => null,
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    expect(err).toBeInstanceOf(DescentError);
    const m = /^bomb\.gz: at least (\d+) bytes too many: header says 10 = 10 bytes of data; decompression stopped after (\d+) bytes following the 8-byte header$/.exec(
      (err as Error).message,
    );
    expect(m).not.toBeNull();
    // Work counted, not timed: at most a few decompressed chunks, not 256 MiB.
    expect(Number(m![2])).toBeLessThan(1 << 20);
    expect(ms).toBeLessThan(5000); // loose; the whole bomb takes seconds

    // gunzip itself, with a cap.
    await expect(gunzip(bomb, 'bomb.gz', 1 << 20)).rejects.toThrow(/^bomb\.gz: gzip data decompresses to more than the limit of 1048576 bytes \(stopped at \d+\)$/);
  });

  it('a bomb whose header claims the whole of it is still bounded by the limit', async () => {
    // 256 MiB of data is within the default limit: refuse it with a smaller maxBytes, at once.
    const bomb = gzipBomb(idxHeader(0x08, [256, 1024, 1024]), 256);
    await expect(parseIdx(bomb, 'b.gz', { maxBytes: 1 << 20 })).rejects.toThrow(
      'b.gz: IDX header says 256×1024×1024 u8 values, more than the limit of 1048576 bytes of data (option maxBytes)',
    );
  });

  it('dims that overflow or exceed the limit, zero and ≥ 2^31 dims: refused from the header alone', async () => {
    const p = (b: Uint8Array) => parseIdx(b, 'h');
    const tiny = (type: number, dims: number[]) => new Uint8Array([...idxHeader(type, dims), 1, 2, 3]);
    for (const bytes of [(b: Uint8Array) => b, (b: Uint8Array) => new Uint8Array(gzipSync(b))]) {
      await expect(p(bytes(tiny(0x0e, [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1])))).rejects.toThrow(
        `h: IDX header says ${Array(4).fill(2 ** 31 - 1).join('×')} f64 values, more than the limit of 2147483647 bytes of data (option maxBytes)`,
      );
      await expect(p(bytes(tiny(0x08, [65536, 65536])))).rejects.toThrow(/^h: IDX header says 65536×65536 u8 values, more than the limit/);
      await expect(p(bytes(tiny(0x08, [3, 0, 2])))).rejects.toThrow('h: IDX header: dimension 2 of 3 is 0 (shape 3×0×2): no data');
      await expect(p(bytes(tiny(0x08, [1, 0xffffffff])))).rejects.toThrow(
        'h: IDX header: dimension 2 of 2 is 4294967295, not a size (≥ 2^31: negative as a signed 32-bit integer)',
      );
      await expect(p(bytes(new Uint8Array([0x08, 0x03, 0x08, 0x01, 0, 0, 0, 1, 7])))).rejects.toThrow(
        'h: bad magic: an IDX file starts with bytes 0x00 0x00, this one with 0x08 0x03',
      );
      await expect(p(bytes(new Uint8Array([0, 0, 8])))).rejects.toThrow('h: too short for an IDX file: 3 bytes, the header alone needs at least 4');
      await expect(p(bytes(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1])))).rejects.toThrow(
        'h: too short: the header declares 3 dimensions and so takes 16 bytes, the file has 8',
      );
    }
  });

  it('a header that says more data than the file has: refused, with little allocated', async () => {
    const h = idxHeader(0x08, [60000, 28, 28]);
    const file = new Uint8Array(h.length + 1000);
    file.set(h);
    for (const [bytes, kind] of [[file, 'raw'], [new Uint8Array(gzipSync(file)), 'gzip']] as const) {
      const before = process.memoryUsage().arrayBuffers;
      await expect(parseIdx(bytes, kind)).rejects.toThrow(
        `${kind}: truncated: header says 60000×28×28 = 47040000 bytes of data, file has 1000 after the 16-byte header`,
      );
      // Buffers are only allocated for data that arrived (not the 47 MB the header claims).
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 << 20);
    }
  });

  it('more data than the header says, in a gzip file: stopped, the count named', async () => {
    const raw = new Uint8Array([...idxHeader(0x08, [2]), 1, 2, 3, 4]);
    await expect(parseIdx(new Uint8Array(gzipSync(raw)), 'g')).rejects.toThrow(
      'g: at least 2 bytes too many: header says 2 = 2 bytes of data; decompression stopped after 4 bytes following the 8-byte header',
    );
  });

  it('maxBytes: a real file over the limit is refused, at the limit it loads', async () => {
    const gz = new Uint8Array(readFileSync(new URL('t10k-labels-idx1-ubyte.gz', MNIST)));
    await expect(parseIdx(gz, 'labels', { maxBytes: 9999 })).rejects.toThrow(
      'labels: IDX header says 10000 u8 values, more than the limit of 9999 bytes of data (option maxBytes)',
    );
    expect((await parseIdx(gz, 'labels', { maxBytes: 10000 })).data.length).toBe(10000);
    await expect(parseIdx(gz, 'labels', { maxBytes: 0 })).rejects.toThrow('labels: maxBytes must be a positive number, got 0');
  });

  it('idxDataset refuses values that are not finite in float32, naming sample and pixel', () => {
    const labels: Idx = { dims: [2], type: 'u8', data: new Uint8Array(2) };
    const f32: Idx = { dims: [2, 2], type: 'f32', data: new Float32Array([0, 1, NaN, 2]) };
    expect(refusal(() => idxDataset(f32, labels, { scale: 1 }))).toBe('idxDataset: image value NaN at sample 1, pixel 0 is NaN in float32');
    const f64: Idx = { dims: [2, 2], type: 'f64', data: new Float64Array([0, 1, 2, 1e300]) };
    expect(refusal(() => idxDataset(f64, labels, { scale: 1 }))).toBe('idxDataset: image value 1e+300 at sample 1, pixel 1 is Infinity in float32');
    const big: Idx = { dims: [2, 2], type: 'f32', data: new Float32Array([0, 3e38, 2, 1]) };
    expect(refusal(() => idxDataset(big, labels, { scale: 10 }))).toMatch(/^idxDataset: image value 3\.\d+e\+38 × scale 10 at sample 0, pixel 1 is Infinity in float32$/);
    const short: Idx = { dims: [2, 2], type: 'u8', data: new Uint8Array(3) };
    expect(refusal(() => idxDataset(short, labels))).toBe('idxDataset: images of shape [2, 2] hold 4 values, their data has 3');
  });

  it('decoding in place keeps every type exact, raw and gzip', async () => {
    const cases: Idx[] = [
      { dims: [3, 2], type: 'i16', data: Int16Array.from([1, -2, 32767, -32768, 0, 258]) },
      { dims: [2], type: 'i32', data: Int32Array.from([-3, 2 ** 31 - 1]) },
      { dims: [1, 3], type: 'f32', data: Float32Array.from([0.5, -1e-40, 3e38]) },
      { dims: [2], type: 'f64', data: Float64Array.from([1e-300, -7.25]) },
      { dims: [3], type: 'i8', data: Int8Array.from([-128, 0, 127]) },
    ];
    for (const c of cases) {
      const raw = encodeIdx(c);
      for (const b of [raw, new Uint8Array(gzipSync(raw))]) {
        const back = await parseIdx(b);
        expect(back.data.constructor).toBe(c.data.constructor);
        expect(Array.from(back.data)).toEqual(Array.from(c.data));
        expect(back.data.byteOffset).toBe(0);
        expect(back.data.buffer.byteLength).toBe(back.data.byteLength); // owns its buffer, no extra
      }
    }
  });
});

describe('data loader options by value', () => {
  it('parseCsv, parseIdx and idxDataset refuse unknown, prototype and mistyped options with a DescentError', async () => {
    expect(refusal(() => parseCsv('1,2\n3,4', null as never))).toMatch(/^csv: options must be an object/);
    expect(refusal(() => parseCsv('1,2\n3,4', { toString: 1 } as never))).toMatch(/^csv: unknown option "toString"/);
    expect(refusal(() => parseCsv('1,2\n3,4', JSON.parse('{"__proto__": {"x": 1}}')))).toMatch(/^csv: unknown option "__proto__"/);
    expect(refusal(() => parseCsv('1,2\n3,4', { header: 'yes' as never }))).toBe("csv: header must be true, false or 'auto', got 'yes'");
    expect(refusal(() => parseCsv('1,2\n3,4', { classNames: [{ toString: () => 'a' }] as never }))).toBe('csv: classNames must be an array of strings');
    expect(refusal(() => parseCsv('1,2\n3,4', { task: { toString: () => 'regression' } as never }))).toBe(
      "csv: task must be 'classification' or 'regression', got object",
    );
    expect(refusal(() => parseCsv('1,2\n3,4', { skipLines: '1' as never }))).toBe('csv: skipLines must be a non-negative integer, got string');
    const raw = new Uint8Array([...idxHeader(0x08, [2]), 1, 2]);
    await expect(parseIdx(raw, 'f', { maxBytes: '9' as never })).rejects.toThrow('f: maxBytes must be a positive number, got 9');
    await expect(parseIdx(raw, 'f', { limit: 1 } as never)).rejects.toThrow(/^f: parseIdx: unknown option "limit"/);
    await expect(parseIdx(raw, 'f', null as never)).rejects.toThrow(/^f: parseIdx: options must be an object/);
    const images: Idx = { dims: [2, 1], type: 'u8', data: new Uint8Array(2) };
    const labels: Idx = { dims: [2], type: 'u8', data: new Uint8Array(2) };
    expect(refusal(() => idxDataset(images, labels, { scale: '2' as never }))).toBe('idxDataset: scale must be a finite number, got string');
    expect(refusal(() => idxDataset(null as never, labels))).toBe('idxDataset: images must be an Idx object { dims, type, data }, got null');
    expect(refusal(() => idxDataset({ ...images, type: 'f16' as never }, labels))).toBe("idxDataset: images: unknown type 'f16'");
    expect(refusal(() => idxDataset({ ...images, data: new Float32Array(2) }, labels))).toBe('idxDataset: images: type u8 needs data in a Uint8Array');
    expect(refusal(() => idxDataset(images, { ...labels, dims: [2.5] }))).toBe('idxDataset: labels: dims must be 1 to 255 positive integers');
  });
});
