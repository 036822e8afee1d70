import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { batchInto, checkDataset, subset, type Dataset } from '../src/data/dataset.js';
import { encodeIdx, idxDataset, parseIdx, type Idx } from '../src/data/idx.js';
import { parseCsv } from '../src/data/csv.js';
import { fitStandardizer, loadStandardizer } from '../src/data/standardize.js';
import { trainTestSplit } from '../src/data/split.js';
import { decodeBase64, digits } from '../src/data/digits.js';

// The shared reference data, next to the repository: /work/shared/data from /work/main/test.
const DATA = new URL('../../shared/data/', import.meta.url);
const MNIST = new URL('mnist/', DATA);
const FASHION = new URL('fashion-mnist/', DATA);
const SKLEARN = new URL('sklearn/', DATA);
const read = (dir: URL, file: string): Buffer => readFileSync(new URL(file, dir));
const text = (file: string): string => read(SKLEARN, file).toString('utf8');

const SLOW = 120_000;

function counts(labels: Int32Array | ArrayLike<number>, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function idxHeader(type: number, dims: number[]): number[] {
  const h = [0, 0, type, dims.length];
  for (const d of dims) h.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return h;
}

function ds(partial: Partial<Dataset> & { x: Float32Array; n: number; features: number }): Dataset {
  return partial;
}

describe('data paths', () => {
  it('the shared data folder resolves next to the repository', () => {
    // ../shared sits beside the clone, wherever the clone is (CI checks it out elsewhere)
    const repo = fileURLToPath(new URL('..', import.meta.url));
    expect(fileURLToPath(MNIST)).toBe(join(repo, '..', 'shared', 'data', 'mnist') + '/');
    expect(existsSync(new URL('train-images-idx3-ubyte.gz', MNIST))).toBe(true);
  });
});

describe('IDX: MNIST and Fashion-MNIST', () => {
  const MNIST_TRAIN = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
  const MNIST_TEST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

  it('MNIST train and test, gzip and raw', { timeout: SLOW }, async () => {
    for (const [prefix, n, expected] of [
      ['train', 60000, MNIST_TRAIN],
      ['t10k', 10000, MNIST_TEST],
    ] as const) {
      const imgGz = read(MNIST, `${prefix}-images-idx3-ubyte.gz`);
      const labGz = read(MNIST, `${prefix}-labels-idx1-ubyte.gz`);
      const images = await parseIdx(imgGz, `${prefix}-images`);
      const labels = await parseIdx(labGz, `${prefix}-labels`);
      expect(images.type).toBe('u8');
      expect(images.dims).toEqual([n, 28, 28]);
      expect(images.data).toBeInstanceOf(Uint8Array);
      expect(images.data.length).toBe(n * 784);
      expect(labels.type).toBe('u8');
      expect(labels.dims).toEqual([n]);
      expect(counts(labels.data, 10)).toEqual(expected);
      let max = 0;
      for (let i = 0; i < images.data.length; i++) if (images.data[i] > max) max = images.data[i];
      expect(max).toBe(255);

      // Raw (decompressed here with node:zlib): the same result.
      const imgRaw = gunzipSync(imgGz);
      expect(imgRaw.length).toBe(16 + n * 784);
      const raw = await parseIdx(imgRaw);
      expect(raw.dims).toEqual([n, 28, 28]);
      expect(sameBytes(raw.data, images.data)).toBe(true);
      expect(sameBytes(raw.data, imgRaw.subarray(16))).toBe(true);
      // The result does not alias the caller's bytes.
      imgRaw[16] ^= 0xff;
      expect(raw.data[0]).toBe(images.data[0]);
      const rawLabels = await parseIdx(gunzipSync(labGz));
      expect(sameBytes(rawLabels.data, labels.data)).toBe(true);

      const d = idxDataset(images, labels, { name: `mnist-${prefix}` });
      expect(checkDataset(d, 'test')).toBe(d);
      expect([d.n, d.features, d.classes, d.name]).toEqual([n, 784, 10, `mnist-${prefix}`]);
      expect(d.featureShape).toEqual([28, 28]);
      expect(counts(d.labels!, 10)).toEqual(expected);
      for (const i of [0, 12345, n * 784 - 1]) expect(d.x[i]).toBe(Math.fround(images.data[i] / 255));
    }
  });

  it('Fashion-MNIST: 6000 per class in train, 1000 in test', { timeout: SLOW }, async () => {
    for (const [prefix, n] of [
      ['train', 60000],
      ['t10k', 10000],
    ] as const) {
      const images = await parseIdx(read(FASHION, `${prefix}-images-idx3-ubyte.gz`));
      const labels = await parseIdx(read(FASHION, `${prefix}-labels-idx1-ubyte.gz`));
      expect(images.dims).toEqual([n, 28, 28]);
      expect(labels.dims).toEqual([n]);
      expect(counts(labels.data, 10)).toEqual(new Array(10).fill(n / 10));
      const d = idxDataset(images, labels, { scale: 1 });
      expect(d.x[100]).toBe(images.data[100]);
    }
  });

  it('idxDataset checks counts and classes', async () => {
    const images: Idx = { dims: [3, 2, 2], type: 'u8', data: new Uint8Array([0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]) };
    const labels: Idx = { dims: [3], type: 'u8', data: new Uint8Array([2, 0, 2]) };
    const d = idxDataset(images, labels);
    expect(d.classes).toBe(3);
    expect(Array.from(d.x.subarray(0, 4))).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
    expect(idxDataset(images, labels, { classes: 10 }).classes).toBe(10);
    expect(() => idxDataset(images, labels, { classes: 2 })).toThrow('idxDataset: classes = 2, but the labels go up to 2');
    expect(() => idxDataset(images, { dims: [2], type: 'u8', data: new Uint8Array(2) })).toThrow('idxDataset: 3 images but 2 labels');
    expect(() => idxDataset({ dims: [3], type: 'u8', data: new Uint8Array(3) }, labels)).toThrow(/images must have at least 2 dimensions/);
    expect(() => idxDataset(images, { dims: [3], type: 'i8', data: new Int8Array([0, -1, 0]) })).toThrow(
      'idxDataset: label -1 at sample 1 is negative',
    );
    expect(() => idxDataset(images, { dims: [3], type: 'f32', data: new Float32Array(3) })).toThrow(/labels must be integers/);
    const mnistLabels = await parseIdx(read(MNIST, 't10k-labels-idx1-ubyte.gz'));
    const fewImages: Idx = { dims: [60000, 1, 1], type: 'u8', data: new Uint8Array(60000) };
    expect(() => idxDataset(fewImages, mnistLabels)).toThrow('idxDataset: 60000 images but 10000 labels');
  });

  it('errors: too short, bad magic, unknown type, truncated, corrupt gzip', async () => {
    const p = (bytes: number[] | Uint8Array, what?: string) => parseIdx(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), what);
    await expect(p([0, 0])).rejects.toThrow(DescentError);
    await expect(p([0, 0])).rejects.toThrow('idx: too short for an IDX file: 2 bytes, the header alone needs at least 4');
    await expect(p([])).rejects.toThrow('idx: too short for an IDX file: 0 bytes');
    await expect(p([0, 0, 8, 3, 0, 0, 0, 1])).rejects.toThrow(
      'idx: too short: the header declares 3 dimensions and so takes 16 bytes, the file has 8',
    );
    await expect(p([0x50, 0x4b, 3, 4, 0, 0, 0, 0], 'images.zip')).rejects.toThrow(
      'images.zip: bad magic: an IDX file starts with bytes 0x00 0x00, this one with 0x50 0x4b',
    );
    await expect(p([0, 0, 0x0a, 1, 0, 0, 0, 1, 7])).rejects.toThrow(
      'idx: unknown IDX data type code 0x0a (known: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)',
    );
    await expect(p([0, 0, 8, 0])).rejects.toThrow('idx: IDX header declares 0 dimensions');

    const truncated = new Uint8Array([...idxHeader(8, [60000, 28, 28]), ...new Array(1000).fill(7)]);
    await expect(p(truncated, 'train-images')).rejects.toThrow(
      'train-images: truncated: header says 60000×28×28 = 47040000 bytes of data, file has 1000 after the 16-byte header',
    );
    // The same truncated file, gzip-compressed: the size check runs on the decompressed bytes.
    await expect(p(gzipSync(truncated))).rejects.toThrow('idx: truncated: header says 60000×28×28 = 47040000 bytes of data, file has 1000');
    await expect(p([...idxHeader(0x0d, [2, 3]), ...new Array(20).fill(0)])).rejects.toThrow(
      'idx: truncated: header says 2×3 = 6 f32 values = 24 bytes of data, file has 20 after the 12-byte header',
    );
    await expect(p([...idxHeader(8, [2]), 1, 2, 3])).rejects.toThrow(
      'idx: 1 bytes too many: header says 2 = 2 bytes of data, file has 3 after the 8-byte header',
    );

    await expect(p([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'x.gz')).rejects.toThrow(/^x\.gz: corrupt gzip data \(12 bytes\): /);
    const gz = read(MNIST, 't10k-labels-idx1-ubyte.gz');
    await expect(p(gz.subarray(0, 2000), 'labels.gz')).rejects.toThrow(/^labels\.gz: corrupt gzip data \(2000 bytes\): .*end of file/);
    const flipped = Uint8Array.from(gz);
    flipped[flipped.length - 6] ^= 0x55; // CRC-32 in the trailer
    await expect(p(flipped)).rejects.toThrow(/^idx: corrupt gzip data/);
  });

  it('big-endian values: hand-made i16, i32, f32, f64, i8 files', async () => {
    const i16 = await parseIdx(new Uint8Array([...idxHeader(0x0b, [3]), 0x01, 0x02, 0xff, 0xfe, 0x80, 0x00]));
    expect(i16.type).toBe('i16');
    expect(i16.data).toBeInstanceOf(Int16Array);
    expect(Array.from(i16.data)).toEqual([258, -2, -32768]);
    const i32 = await parseIdx(new Uint8Array([...idxHeader(0x0c, [1]), 0xff, 0xff, 0xff, 0xfd]));
    expect(Array.from(i32.data)).toEqual([-3]);
    const f32 = await parseIdx(new Uint8Array([...idxHeader(0x0d, [1, 2]), 0x3f, 0x80, 0, 0, 0xc0, 0x49, 0x0f, 0xdb]));
    expect(f32.dims).toEqual([1, 2]);
    expect(f32.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f32.data)).toEqual([1, Math.fround(-Math.PI)]);
    const f64 = await parseIdx(new Uint8Array([...idxHeader(0x0e, [1]), 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]));
    expect(Array.from(f64.data)).toEqual([1.5]);
    const i8 = await parseIdx(new Uint8Array([...idxHeader(0x09, [2]), 0x7f, 0x80]));
    expect(Array.from(i8.data)).toEqual([127, -128]);
  });

  it('f32 and i16 round trips through encodeIdx, raw and gzip, at an unaligned offset', async () => {
    const f32: Idx = { dims: [2, 3, 4], type: 'f32', data: Float32Array.from({ length: 24 }, (_, i) => (i - 11.5) / 7) };
    const i16: Idx = { dims: [5, 7], type: 'i16', data: Int16Array.from({ length: 35 }, (_, i) => (i * 1873) % 65536 - 32768) };
    for (const idx of [f32, i16]) {
      const raw = encodeIdx(idx);
      const padded = new Uint8Array(raw.length + 3);
      padded.set(raw, 3);
      for (const bytes of [raw, gzipSync(raw), padded.subarray(3)]) {
        const back = await parseIdx(bytes);
        expect(back.type).toBe(idx.type);
        expect(back.dims).toEqual(idx.dims);
        expect(back.data.constructor).toBe(idx.data.constructor);
        expect(Array.from(back.data)).toEqual(Array.from(idx.data));
      }
    }
    // MNIST labels re-encoded give the original bytes.
    const gz = read(MNIST, 't10k-labels-idx1-ubyte.gz');
    expect(sameBytes(encodeIdx(await parseIdx(gz)), gunzipSync(gz))).toBe(true);
  });
});

describe('CSV', () => {
  it('scikit-learn iris, wine, breast cancer (first line skipped)', () => {
    const iris = parseCsv(text('iris.csv'), { skipLines: 1, name: 'iris' });
    expect([iris.n, iris.features, iris.classes, iris.name]).toEqual([150, 4, 3, 'iris']);
    expect(counts(iris.labels!, 3)).toEqual([50, 50, 50]);
    expect(Array.from(iris.x.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect(Array.from(iris.x.subarray(149 * 4))).toEqual([5.9, 3.0, 5.1, 1.8].map(Math.fround));
    expect(iris.featureNames).toBeUndefined();
    expect(checkDataset(iris, 'test')).toBe(iris);

    const names = text('iris.csv').split('\n')[0].split(',').slice(2);
    expect(parseCsv(text('iris.csv'), { skipLines: 1, classNames: names }).classNames).toEqual(['setosa', 'versicolor', 'virginica']);

    const wine = parseCsv(text('wine_data.csv'), { skipLines: 1 });
    expect([wine.n, wine.features, wine.classes]).toEqual([178, 13, 3]);
    expect(counts(wine.labels!, 3)).toEqual([59, 71, 48]);
    expect(wine.x[12]).toBe(1065);

    const bc = parseCsv(text('breast_cancer.csv'), { skipLines: 1 });
    expect([bc.n, bc.features, bc.classes]).toEqual([569, 30, 2]);
    expect(counts(bc.labels!, 2)).toEqual([212, 357]);
  });

  it('without skipLines the scikit-learn first line is reported, with the fix', () => {
    expect(() => parseCsv(text('iris.csv'))).toThrow(
      "csv: line 1, column 3: 'setosa' is not a number; if line 1 is not part of the table, skip it with skipLines (or set header: true)",
    );
    expect(() => parseCsv(text('wine_data.csv'))).toThrow(
      "csv: line 2 has 14 fields, expected 5 as on line 1; if line 1 is not part of the table, skip it with skipLines",
    );
  });

  it('string labels, header, label column by name or index', () => {
    const t = 'sepal,petal,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n7,8,versicolor\n';
    const d = parseCsv(t);
    expect(d.featureNames).toEqual(['sepal', 'petal']);
    expect(d.classNames).toEqual(['setosa', 'virginica', 'versicolor']);
    expect(Array.from(d.labels!)).toEqual([0, 1, 0, 2]);
    expect(d.classes).toBe(3);
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    // Headerless with string labels: not mistaken for a header.
    const h = parseCsv('1,2,cat\n3,4,dog\n5,6,cat');
    expect(h.n).toBe(3);
    expect(h.classNames).toEqual(['cat', 'dog']);
    expect(parseCsv('1,2,cat\n3,4,dog', { header: true }).n).toBe(1);

    const byName = parseCsv('y,a,b\n1,10,20\n0,30,40', { label: 'y' });
    expect(Array.from(byName.labels!)).toEqual([1, 0]);
    expect(Array.from(byName.x)).toEqual([10, 20, 30, 40]);
    expect(byName.featureNames).toEqual(['a', 'b']);
    expect(Array.from(parseCsv('1,10,20\n0,30,40', { label: 0 }).labels!)).toEqual([1, 0]);
    expect(Array.from(parseCsv('10,1,20\n30,0,40', { label: -2 }).x)).toEqual([10, 20, 30, 40]);

    // Non-negative integers are class ids as they are; anything else is a name.
    expect(parseCsv('1,3\n2,0').classes).toBe(4);
    expect(parseCsv('1,-1\n2,1').classNames).toEqual(['-1', '1']);
    expect(parseCsv('1,1.5\n2,1').classNames).toEqual(['1.5', '1']);
  });

  it('regression, delimiters, quotes, CRLF, blank lines, blanks, BOM', () => {
    const r = parseCsv('x1;x2;y\r\n1;2;0.5\r\n\r\n3;4;-1e-3\r\n', { delimiter: ';', task: 'regression' });
    expect([r.n, r.features, r.targetWidth]).toEqual([2, 2, 1]);
    expect(Array.from(r.targets!)).toEqual([0.5, -1e-3].map(Math.fround));
    expect(r.labels).toBeUndefined();

    const messy = '\uFEFF  a , b ,label \n\n 1 ,\t2, x \r\n\n\n3,4,y\n   \n';
    const m = parseCsv(messy);
    expect(m.featureNames).toEqual(['a', 'b']);
    expect(Array.from(m.x)).toEqual([1, 2, 3, 4]);
    expect(m.classNames).toEqual(['x', 'y']);
    expect(parseCsv('1,2,0\r3,4,1\r').n).toBe(2);

    const q = parseCsv('"f 1","f, 2","kind"\n1,2,"a ""b"""\n3,4,"c,d"\n');
    expect(q.featureNames).toEqual(['f 1', 'f, 2']);
    expect(q.classNames).toEqual(['a "b"', 'c,d']);

    const tsv = parseCsv('a\tb\tc\n1\t2\t3\n4\t5\t6', { delimiter: '\t', label: 'a' });
    expect(Array.from(tsv.x)).toEqual([2, 3, 5, 6]);
    expect(Array.from(tsv.labels!)).toEqual([1, 4]);
    expect(() => parseCsv('1\t2\t0\n\t3\t1', { delimiter: '\t' })).toThrow('csv: line 2, column 1: empty field (missing value)');
  });

  it('errors name the line and the column', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${i + 1},${i + 2},${i % 3}`);
    rows[15] = '5,6,abc,1'; // line 17: the header is line 1
    const t = ['sepal_width,petal_length,petal_width,species', ...rows].join('\n');
    expect(() => parseCsv(t)).toThrow(DescentError);
    expect(() => parseCsv(t)).toThrow("csv: line 17, column 'petal_width': 'abc' is not a number");
    expect(() => parseCsv('1,2,0\n3,x,1')).toThrow("csv: line 2, column 2: 'x' is not a number");
    expect(() => parseCsv('1,2,0\n3,,1')).toThrow('csv: line 2, column 2: empty field (missing value)');
    expect(() => parseCsv('1,0x10,0\n3,4,1')).toThrow("csv: line 1, column 2: '0x10' is not a number");
    expect(() => parseCsv('1,2,0\n3,4,1\n5,Infinity,0')).toThrow("csv: line 3, column 2: 'Infinity' is not a number");
    expect(() => parseCsv('1,2,0\n3,4,1\n5,NaN,0')).toThrow("csv: line 3, column 2: 'NaN' is not a number");
    expect(() => parseCsv('a,b\n1,2\n3,4,5\n')).toThrow('csv: line 3 has 3 fields, expected 2 as on line 1');
    expect(() => parseCsv('1,2\n3')).toThrow('csv: line 2 has 1 fields, expected 2 as on line 1; if line 1 is not part');
    expect(() => parseCsv('')).toThrow('csv: empty file: no data lines');
    expect(() => parseCsv('\r\n  \n\n')).toThrow('csv: empty file: no data lines');
    expect(() => parseCsv('150,4,a,b\n', { skipLines: 1 })).toThrow('csv: empty file: no data lines after skipping 1 lines');
    expect(() => parseCsv('a,b,c\n')).toThrow('csv: no data lines after the header on line 1');
    expect(() => parseCsv('a,b\n1,2', { label: 'c' })).toThrow("csv: unknown label column 'c'; the header has 'a', 'b'");
    expect(() => parseCsv('1,2\n3,4', { label: 'c' })).toThrow("csv: label column 'c' is given by name, but the file has no header line");
    expect(() => parseCsv('1,2\n3,4', { label: 2 })).toThrow('csv: label column index 2 is out of range: rows have 2 columns (indices 0..1)');
    expect(() => parseCsv('a,a,b\n1,2,3', { label: 'a' })).toThrow("csv: label column 'a' is ambiguous: the header has it at columns 1 and 2");
    expect(() => parseCsv('1;2;3\n4;5;6')).toThrow('csv: line 1 has 1 field; need at least one feature column and a label column (delimiter ",")');
    expect(() => parseCsv('x,y\n1,2\n3,abc', { task: 'regression' })).toThrow("csv: line 3, column 'y': target 'abc' is not a number");
    expect(() => parseCsv('1,2\n3,4', { task: 'clustering' as never })).toThrow(/task must be 'classification' or 'regression'/);
    expect(() => parseCsv('1,2\n3,4', { skipLines: -1 })).toThrow(/skipLines must be a non-negative integer/);
    expect(() => parseCsv('1,2\n3,4', { classNames: ['a'] })).toThrow('csv: classNames has 1 names, but the labels go up to 4 (5 classes)');
    expect(() => parseCsv('1,x\n3,,', {})).toThrow('csv: line 2 has 3 fields, expected 2');
    expect(() => parseCsv('1,x\n3,')).toThrow('csv: line 2, column 2: empty label (missing value)');
  });
});

describe('embedded digits', () => {
  const csv = parseCsv(gunzipSync(read(SKLEARN, 'digits.csv.gz')).toString('utf8'), { header: false });

  it('1797 samples of 8×8, classes 174..183 as in the source file', () => {
    const d = digits();
    expect(checkDataset(d, 'test')).toBe(d);
    expect([d.n, d.features, d.classes, d.name]).toEqual([1797, 64, 10, 'digits']);
    expect(d.featureShape).toEqual([8, 8]);
    const c = counts(d.labels!, 10);
    expect(c).toEqual(counts(csv.labels!, 10));
    expect(Math.min(...c)).toBe(174);
    expect(Math.max(...c)).toBe(183);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of d.x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect([lo, hi]).toEqual([0, 1]);
  });

  it('identical to parsing digits.csv.gz directly', () => {
    expect([csv.n, csv.features]).toEqual([1797, 64]);
    const raw = digits({ scale: 1 });
    expect(Array.from(raw.x)).toEqual(Array.from(csv.x));
    expect(Array.from(raw.labels!)).toEqual(Array.from(csv.labels!));
    expect(Array.from(digits().x)).toEqual(Array.from(csv.x, (v) => v / 16));
    // Each call returns fresh arrays.
    const a = digits();
    a.x[0] = 99;
    a.labels![0] = 9;
    expect(digits().x[0]).toBe(0);
    expect(digits().labels![0]).toBe(0);
    expect(() => digits({ scale: NaN })).toThrow('digits: scale must be a finite number, got NaN');
  });

  it('base64 decoding without Buffer', () => {
    expect(Array.from(decodeBase64('AP8Qgw=='))).toEqual([0, 255, 16, 131]);
    expect(decodeBase64('').length).toBe(0);
  });
});

describe('standardizer', () => {
  const wine = parseCsv(text('wine_data.csv'), { skipLines: 1 });
  const { train, test } = trainTestSplit(wine, { seed: 3 });

  function stats(d: Dataset): { mean: number[]; std: number[] } {
    const mean = new Array<number>(d.features).fill(0);
    const sq = new Array<number>(d.features).fill(0);
    for (let i = 0; i < d.n; i++) for (let j = 0; j < d.features; j++) mean[j] += d.x[i * d.features + j] / d.n;
    for (let i = 0; i < d.n; i++) for (let j = 0; j < d.features; j++) sq[j] += (d.x[i * d.features + j] - mean[j]) ** 2 / d.n;
    return { mean, std: sq.map(Math.sqrt) };
  }

  it('mean 0 and std 1 on the training data; the test data uses the training statistics', () => {
    const s = fitStandardizer(train);
    const raw = stats(train);
    for (let j = 0; j < wine.features; j++) {
      expect(s.mean[j]).toBeCloseTo(raw.mean[j], 3);
      expect(s.std[j] / raw.std[j]).toBeCloseTo(1, 5);
    }
    const z = s.apply(train);
    expect(z.labels).toBe(train.labels);
    expect(z.x).not.toBe(train.x);
    const zs = stats(z);
    for (let j = 0; j < wine.features; j++) {
      expect(Math.abs(zs.mean[j])).toBeLessThan(1e-5);
      expect(Math.abs(zs.std[j] - 1)).toBeLessThan(1e-5);
    }
    const zt = s.apply(test);
    for (let i = 0; i < test.n; i++) {
      for (let j = 0; j < wine.features; j++) {
        expect(zt.x[i * 13 + j]).toBe(Math.fround((test.x[i * 13 + j] - s.mean[j]) / s.std[j]));
      }
    }
    // Test statistics differ from the training ones, so the test set is not exactly 0 / 1.
    const ts = stats(zt);
    expect(ts.mean.some((m) => Math.abs(m) > 0.01)).toBe(true);
    // JSON round trip.
    const back = loadStandardizer(JSON.parse(JSON.stringify(s)));
    expect(Array.from(back.apply(test).x)).toEqual(Array.from(zt.x));
    expect(Array.from(s.transform(test.x.subarray(0, 26)))).toEqual(Array.from(zt.x.subarray(0, 26)));
  });

  it('constant features get std 1; bad input is reported', () => {
    const d = ds({ x: Float32Array.from([0.1, 1, 0.1, 2, 0.1, 3]), n: 3, features: 2 });
    const s = fitStandardizer(d);
    expect(s.mean[0]).toBe(Math.fround(0.1));
    expect(s.std[0]).toBe(1);
    expect(Array.from(s.apply(d).x.filter((_, i) => i % 2 === 0))).toEqual([0, 0, 0]);
    expect(s.std[1]).toBeCloseTo(Math.sqrt(2 / 3), 6);
    expect(() => s.apply(wine)).toThrow('standardize: data has 13 features, the standardizer was fitted on 2');
    expect(() => fitStandardizer(ds({ x: Float32Array.from([1, NaN]), n: 1, features: 2 }))).toThrow(
      'fitStandardizer: data x has NaN at sample 0, feature 1',
    );
    expect(() => loadStandardizer({ mean: [0], std: [0] })).toThrow('loadStandardizer: every std must be positive');
    expect(() => loadStandardizer({ mean: [0, 1], std: [1] })).toThrow(/equal non-zero length/);
  });
});

describe('trainTestSplit', () => {
  const iris = parseCsv(text('iris.csv'), { skipLines: 1 });
  const wine = parseCsv(text('wine_data.csv'), { skipLines: 1 });
  const bc = parseCsv(text('breast_cancer.csv'), { skipLines: 1 });

  it('sizes, stratification within one sample, disjoint parts covering the data', () => {
    for (const d of [iris, wine, bc, digits()]) {
      for (const testFraction of [0.2, 0.25, 0.5, 0.1]) {
        const { train, test, trainIndices, testIndices } = trainTestSplit(d, { testFraction, seed: 1 });
        const nTest = Math.round(d.n * testFraction);
        expect([test.n, train.n]).toEqual([nTest, d.n - nTest]);
        const all = [...trainIndices, ...testIndices].sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: d.n }, (_, i) => i));
        const k = d.classes!;
        const whole = counts(d.labels!, k);
        const inTest = counts(test.labels!, k);
        const inTrain = counts(train.labels!, k);
        for (let c = 0; c < k; c++) {
          expect(Math.abs(inTest[c] - (whole[c] * nTest) / d.n)).toBeLessThan(1);
          expect(inTest[c] + inTrain[c]).toBe(whole[c]);
        }
        // Rows travel with their labels, in the original order.
        for (let i = 0; i < test.n; i++) {
          const j = testIndices[i];
          expect(test.labels![i]).toBe(d.labels![j]);
          expect(test.x[i * d.features]).toBe(d.x[j * d.features]);
          if (i > 0) expect(j).toBeGreaterThan(testIndices[i - 1]);
        }
      }
    }
    expect(counts(trainTestSplit(iris).test.labels!, 3)).toEqual([10, 10, 10]);
  });

  it('deterministic per seed, different across seeds, also unstratified and for regression', () => {
    const a = trainTestSplit(wine, { seed: 7 }).testIndices;
    expect(Array.from(trainTestSplit(wine, { seed: 7 }).testIndices)).toEqual(Array.from(a));
    expect(Array.from(trainTestSplit(wine, { seed: 8 }).testIndices)).not.toEqual(Array.from(a));
    expect(Array.from(trainTestSplit(wine).testIndices)).toEqual(Array.from(trainTestSplit(wine, { seed: 0 }).testIndices));

    const u = trainTestSplit(wine, { seed: 7, stratify: false });
    expect(u.test.n).toBe(36);
    expect(Array.from(u.testIndices)).not.toEqual(Array.from(a));
    expect(Array.from(trainTestSplit(wine, { seed: 7, stratify: false }).testIndices)).toEqual(Array.from(u.testIndices));

    const reg = parseCsv('x,y\n' + Array.from({ length: 10 }, (_, i) => `${i},${i * 2}`).join('\n'), { task: 'regression' });
    const r = trainTestSplit(reg, { testFraction: 0.3, seed: 2 });
    expect([r.train.n, r.test.n]).toEqual([7, 3]);
    for (let i = 0; i < 3; i++) expect(r.test.targets![i]).toBe(2 * r.test.x[i]);
  });

  it('bad options', () => {
    expect(() => trainTestSplit(iris, { testFraction: 0 })).toThrow('trainTestSplit: testFraction must be a number in (0, 1), got 0');
    expect(() => trainTestSplit(iris, { testFraction: 1 })).toThrow(/in \(0, 1\), got 1/);
    expect(() => trainTestSplit(iris, { testFraction: NaN })).toThrow(/got NaN/);
    expect(() => trainTestSplit(iris, { seed: Infinity })).toThrow('trainTestSplit: seed must be a finite number, got Infinity');
    const one = ds({ x: new Float32Array(2), n: 1, features: 2 });
    expect(() => trainTestSplit(one)).toThrow('trainTestSplit: need at least 2 samples to split, the data set has 1');
    // Tiny sets: at least one sample on each side.
    const two = ds({ x: new Float32Array(4), n: 2, features: 2, labels: Int32Array.from([0, 1]), classes: 2 });
    const s = trainTestSplit(two, { testFraction: 0.01 });
    expect([s.train.n, s.test.n]).toEqual([1, 1]);
  });
});

describe('checkDataset, subset, batchInto', () => {
  const base = (): Dataset => ({
    x: Float32Array.from({ length: 20 * 5 }, (_, i) => i),
    n: 20,
    features: 5,
    labels: Int32Array.from({ length: 20 }, (_, i) => i % 3),
    classes: 3,
  });

  it('reports the first problem, naming the operation', () => {
    expect(checkDataset(base(), 'fit').n).toBe(20);
    const bad = base();
    bad.x[12 * 5 + 3] = NaN;
    bad.x[13 * 5 + 1] = NaN;
    expect(() => checkDataset(bad, 'fit')).toThrow(DescentError);
    expect(() => checkDataset(bad, 'fit')).toThrow('fit: data x has NaN at sample 12, feature 3');
    const inf = base();
    inf.x[7] = -Infinity;
    expect(() => checkDataset(inf, 'evaluate')).toThrow('evaluate: data x has -Infinity at sample 1, feature 2');
    expect(() => checkDataset({ ...base(), n: 0, x: new Float32Array(0) }, 'fit')).toThrow('fit: empty data set (n = 0)');
    expect(() => checkDataset({ ...base(), n: 19 }, 'fit')).toThrow('fit: data x holds 100 values, expected n × features = 19 × 5 = 95');
    expect(() => checkDataset({ ...base(), x: [1, 2] as never, n: 1, features: 2 }, 'fit')).toThrow(
      'fit: data x must be a Float32Array, got Array',
    );
    expect(() => checkDataset({ ...base(), features: 2.5 }, 'fit')).toThrow('fit: data features must be a positive integer, got 2.5');
    const lab = base();
    lab.labels![4] = 3;
    expect(() => checkDataset(lab, 'fit')).toThrow('fit: data label 3 at sample 4 is outside [0, 3) (classes = 3)');
    lab.labels![4] = -1;
    expect(() => checkDataset(lab, 'fit')).toThrow('fit: data label -1 at sample 4 is outside [0, 3)');
    expect(() => checkDataset({ ...base(), classes: undefined }, 'fit')).toThrow(
      'fit: data has labels, so classes must be a positive integer, got undefined',
    );
    expect(() => checkDataset({ ...base(), labels: new Int32Array(3) }, 'fit')).toThrow('fit: data has 20 samples but 3 labels');
    expect(() => checkDataset({ ...base(), labels: new Float32Array(20) as never }, 'fit')).toThrow(
      'fit: data labels must be an Int32Array, got Float32Array',
    );
    expect(() => checkDataset({ ...base(), classNames: ['a'] }, 'fit')).toThrow(/classNames must hold one name per class \(3\)/);
    expect(() => checkDataset({ ...base(), featureShape: [2, 3] }, 'fit')).toThrow(
      'fit: data featureShape [2,3] does not multiply out to features = 5',
    );
    const t = base();
    delete t.labels;
    delete t.classes;
    t.targets = new Float32Array(40);
    expect(() => checkDataset(t, 'fit')).toThrow('fit: data has targets, so targetWidth must be a positive integer, got undefined');
    t.targetWidth = 2;
    expect(checkDataset(t, 'fit')).toBe(t);
    t.targets[2 * 5 + 1] = Infinity;
    expect(() => checkDataset(t, 'fit')).toThrow('fit: data targets have Infinity at sample 5, column 1');
    t.targetWidth = 3;
    expect(() => checkDataset(t, 'fit')).toThrow('fit: data targets hold 40 values, expected n × targetWidth = 20 × 3 = 60');
  });

  it('subset copies rows; batchInto gathers the same rows', () => {
    const d = base();
    d.targets = Float32Array.from({ length: 40 }, (_, i) => -i);
    d.targetWidth = 2;
    d.featureShape = [5];
    const idx = [19, 0, 7, 7, 3];
    const s = subset(d, idx);
    expect([s.n, s.features, s.classes]).toEqual([5, 5, 3]);
    expect(Array.from(s.x.subarray(5, 15))).toEqual([0, 1, 2, 3, 4, 35, 36, 37, 38, 39]);
    expect(Array.from(s.labels!)).toEqual([1, 0, 1, 1, 0]);
    expect(Array.from(s.targets!.subarray(0, 2))).toEqual([-38, -39]);
    s.x[0] = 1000;
    s.featureShape![0] = 9;
    expect(d.x[95]).toBe(95);
    expect(d.featureShape[0]).toBe(5);
    expect(() => subset(d, [0, 20])).toThrow('subset: index 20 (position 1) is outside [0, 20)');
    expect(() => subset(d, [])).toThrow(/no indices given/);

    const xb = new Float32Array(4 * 5);
    const lb = new Int32Array(4);
    const tb = new Float32Array(4 * 2);
    batchInto(d, idx, 1, 3, xb, lb, tb);
    const ref = subset(d, idx.slice(1, 4));
    expect(Array.from(xb.subarray(0, 15))).toEqual(Array.from(ref.x));
    expect(Array.from(lb.subarray(0, 3))).toEqual(Array.from(ref.labels!));
    expect(Array.from(tb.subarray(0, 6))).toEqual(Array.from(ref.targets!));
    batchInto(d, Int32Array.from([2]), 0, 1, xb);
    expect(Array.from(xb.subarray(0, 5))).toEqual([10, 11, 12, 13, 14]);

    expect(() => batchInto(d, idx, 3, 3, xb)).toThrow('batchInto: rows [3, 3+3) are outside the 5 indices');
    expect(() => batchInto(d, idx, 0, 5, xb)).toThrow('batchInto: xOut holds 20 values, a batch of 5 × 5 needs 25');
    expect(() => batchInto(d, [1, 25], 0, 2, xb)).toThrow('batchInto: index 25 (position 1) is outside [0, 20)');
    expect(() => batchInto(d, [1.5], 0, 1, xb)).toThrow('batchInto: index 1.5 (position 0) is outside [0, 20)');
    expect(() => batchInto(d, idx, 0, 4, xb, new Int32Array(2))).toThrow('batchInto: labelsOut holds 2 values, the batch needs 4');
    expect(() => batchInto({ ...d, targets: undefined }, idx, 0, 1, xb, undefined, tb)).toThrow(
      'batchInto: targetsOut given but the data set has no targets',
    );
  });
});
