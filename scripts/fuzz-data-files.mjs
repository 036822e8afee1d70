// Mutation fuzzing of the data-file loaders (issue #13 items 1 and 6): parseCsv and parseIdx
// (raw and gzip). Seeded mutations of small valid files; for every case the outcome must be a
// DescentError or a data set whose values are finite and whose shapes agree (checked by hand and
// by checkDataset) — never another exception type, never a hang — and no rejected input under
// 1 KB may cost more than 10 MB or 50 ms.
//
// The campaign functions take the library's functions as arguments, so the same code runs on
// the TypeScript sources (test/fuzz-data-files.test.ts, a short campaign) and on a build (the
// long campaign: `npm run fuzz` through scripts/fuzz/data-files.mjs, or alone with
// `node scripts/fuzz-data-files.mjs [cases] [seed] [--src]`).
//
// Cost: time is wall clock per case; memory is the growth of V8 heap + ArrayBuffer memory during
// the case (a lower bound when a GC runs mid-case). A refused case over 5 ms or the memory limit
// is re-run twice and its least cost counted (the machine's noise is not the parser's cost).

import { gzipSync } from 'node:zlib';

/** mulberry32: small, fast, seedable. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

const LIMIT_MS = 50;
const LIMIT_BYTES = 10 * 2 ** 20;
const HANG_MS = 5000;
const RETIME_MS = 5;

function mem() {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Checks a data set: throws a plain Error describing the first inconsistency. */
export function checkShape(ds, checkDataset, what) {
  const bad = (m) => {
    const e = new Error(`${what}: silently broken data set: ${m}`);
    e.invalid = true;
    throw e;
  };
  if (!(ds.x instanceof Float32Array)) bad('x is not a Float32Array');
  if (!Number.isInteger(ds.n) || ds.n < 1) bad(`n = ${ds.n}`);
  if (!Number.isInteger(ds.features) || ds.features < 1) bad(`features = ${ds.features}`);
  if (ds.x.length !== ds.n * ds.features) bad(`x holds ${ds.x.length} values, n × features = ${ds.n * ds.features}`);
  for (const v of ds.x) if (!Number.isFinite(v)) bad(`x holds ${v}`);
  if (ds.targets) for (const v of ds.targets) if (!Number.isFinite(v)) bad(`targets hold ${v}`);
  if (ds.featureNames && ds.featureNames.length !== ds.features) bad(`${ds.featureNames.length} feature names for ${ds.features} features`);
  if (ds.featureShape && ds.featureShape.reduce((a, b) => a * b, 1) !== ds.features) bad(`featureShape ${ds.featureShape}`);
  try {
    checkDataset(ds, 'fuzz');
  } catch (e) {
    bad(`checkDataset refuses it: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

export const CSV_SEEDS = [
  { text: 'a,b,label\n1,2,0\n3.5,-4,1\n5e3,.5,2\n', opts: {} },
  { text: '1,2,cat\n3,4,dog\n5,6,cat\n', opts: {} },
  { text: 'x1;x2;y\r\n1;2;0.5\r\n\r\n3;4;-1e-3\r\n', opts: { delimiter: ';', task: 'regression' } },
  { text: '\uFEFF  a , b ,label \n\n 1 ,\t2, x \r\n3,4,y\n', opts: {} },
  { text: '"f 1","f, 2","kind"\n1,2,"a ""b"""\n3,4,"c,d"\n', opts: {} },
  { text: 'a\tb\tc\n1\t2\t3\n4\t5\t6', opts: { delimiter: '\t', label: 'a' } },
  { text: '150,4,setosa,versicolor\n5.1,3.5,1.4,0\n4.9,3.0,1.4,1\n', opts: { skipLines: 1 } },
  { text: '0.1,0.2,0.3\n0.4,0.5,0.6\n', opts: { label: null } },
  { text: 'y,a,b\n1,10,20\n0,30,40', opts: { label: 'y' } },
  { text: '1,2,3,4\n5,6,7,8\n', opts: { task: 'regression', label: -1 } },
];

const CSV_TOKENS = [
  '0', '1', '9', '.', 'e', 'E', '-', '+', ',', ';', '\t', ' ', '\n', '\r', '\r\n', '"', '""', 'x', '\uFEFF',
  '1e39', '-1e39', '1e38', '3.4028235e38', '3.4028236e38', '-3.4028235e38', '1e-50', '1e-45', '4e-39', '1e308', '1e309',
  'NaN', 'Infinity', '-0', '0x10', '1.2.3', '1e', 'e5', '.', '+.5', '2147483647', '2147483648', '-1',
];

function longToken(r) {
  const len = 1 + r.int(600);
  const kind = r.int(4);
  if (kind === 0) return '1'.repeat(len);
  if (kind === 1) return '1'.repeat(len) + 'x';
  if (kind === 2) return `1e${'9'.repeat(len)}`;
  return ','.repeat(len);
}

export function mutateCsv(r, text) {
  let s = text;
  const k = 1 + r.int(4);
  for (let i = 0; i < k; i++) {
    const at = r.int(s.length + 1);
    const kind = r.int(7);
    const tok = r.int(12) === 0 ? longToken(r) : r.pick(CSV_TOKENS);
    if (kind === 0) s = s.slice(0, at) + tok + s.slice(at); // insert
    else if (kind === 1) s = s.slice(0, at) + s.slice(at + 1 + r.int(3)); // delete
    else if (kind === 2) s = s.slice(0, at) + tok + s.slice(at + 1); // replace a character
    else if (kind === 3) {
      // replace a whole field
      const a = Math.max(s.lastIndexOf(',', at - 1) + 1, s.lastIndexOf('\n', at - 1) + 1);
      let b = s.slice(at).search(/[,\n]/);
      b = b < 0 ? s.length : at + b;
      s = s.slice(0, a) + tok + s.slice(b);
    } else if (kind === 4) {
      // duplicate or drop a line
      const lines = s.split('\n');
      const j = r.int(lines.length);
      if (r.int(2)) lines.splice(j, 0, lines[j]);
      else lines.splice(j, 1);
      s = lines.join('\n');
    } else if (kind === 5) s = s.slice(0, at); // cut
    else s = s + tok; // append
  }
  return s;
}

export function mutateCsvOpts(r, opts) {
  const o = { ...opts };
  if (r.int(4) === 0) {
    const kind = r.int(5);
    if (kind === 0) o.header = r.pick([true, false, 'auto']);
    else if (kind === 1) o.task = r.pick(['classification', 'regression']);
    else if (kind === 2) o.label = r.pick([undefined, null, 0, 1, -1, -5, 7, 'a', 'label', 'y']);
    else if (kind === 3) o.skipLines = r.int(3);
    else o.classNames = r.pick([['a', 'b', 'c'], ['a'], undefined]);
  }
  return o;
}

/**
 * Runs `cases` mutated CSV files through parseCsv. `lib`: { parseCsv, checkDataset, DescentError }.
 * Returns counts and the first few failures (each with the input that caused it).
 */
export function fuzzCsv(lib, { cases = 1000, seed = 1 } = {}) {
  const { parseCsv, checkDataset, DescentError } = lib;
  const r = rng(seed);
  const res = newResult('csv');
  const run = (text, opts) => {
    try {
      const ds = parseCsv(text, opts);
      checkShape(ds, checkDataset, 'csv');
      return 'ok';
    } catch (e) {
      return e instanceof DescentError ? 'refused' : e;
    }
  };
  for (let i = 0; i < cases; i++) {
    const seedCase = r.pick(CSV_SEEDS);
    const text = mutateCsv(r, seedCase.text);
    const opts = mutateCsvOpts(r, seedCase.opts);
    const m0 = mem();
    const t0 = performance.now();
    const out = run(text, opts);
    const ms = performance.now() - t0;
    const bytes = mem() - m0;
    record(res, out, ms, bytes, text.length, { text, opts }, () => {
      const t = performance.now();
      const m = mem();
      run(text, opts);
      return [performance.now() - t, mem() - m];
    });
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// IDX

const TYPE_CODES = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e };
const SIZES = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 };

function encode(type, dims, values) {
  const h = 4 + 4 * dims.length;
  const out = new Uint8Array(h + values.length * SIZES[type]);
  const v = new DataView(out.buffer);
  out[2] = TYPE_CODES[type];
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  values.forEach((x, i) => {
    const o = h + i * SIZES[type];
    if (type === 'u8') v.setUint8(o, x);
    else if (type === 'i8') v.setInt8(o, x);
    else if (type === 'i16') v.setInt16(o, x, false);
    else if (type === 'i32') v.setInt32(o, x, false);
    else if (type === 'f32') v.setFloat32(o, x, false);
    else v.setFloat64(o, x, false);
  });
  return out;
}

export const IDX_SEEDS = [
  encode('u8', [3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]),
  encode('u8', [4], [0, 1, 2, 1]),
  encode('i8', [2, 3], [0, -1, 127, -128, 5, 6]),
  encode('i16', [2, 2], [1, -2, 32767, -32768]),
  encode('i32', [3], [0, 2, 1]),
  encode('f32', [2, 1, 3], [0.5, -1.25, 3e38, 1e-40, 0, 7]),
  encode('f64', [2, 2], [1.5, -2, 1e-300, 12]),
  encode('u8', [2, 28, 1], Array.from({ length: 56 }, (_, i) => (i * 37) & 255)),
];

export function mutateBytes(r, src) {
  let b = src.slice();
  const k = 1 + r.int(4);
  for (let i = 0; i < k; i++) {
    const kind = r.int(9);
    const at = r.int(Math.max(1, b.length));
    if (kind === 0 && b.length) b[at] ^= 1 << r.int(8);
    else if (kind === 1 && b.length) b[at] = r.int(256);
    else if (kind === 2 && b.length) b[at] = r.pick([0, 1, 0x7f, 0x80, 0xff]);
    else if (kind === 3) b = b.slice(0, at); // truncate
    else if (kind === 4) {
      // append
      const extra = new Uint8Array(1 + r.int(16)).map(() => r.int(256));
      const c = new Uint8Array(b.length + extra.length);
      c.set(b);
      c.set(extra, b.length);
      b = c;
    } else if (kind === 5 && b.length >= 8) {
      // a dimension: 0, 1, huge, ≥ 2^31, random
      const nd = Math.max(1, Math.min(b[3] || 1, Math.floor((b.length - 4) / 4)));
      const o = 4 + 4 * r.int(nd);
      const d = r.pick([0, 1, 2, 3, 255, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, r.int(2 ** 32)]);
      new DataView(b.buffer, b.byteOffset).setUint32(o, d >>> 0, false);
    } else if (kind === 6 && b.length >= 4) b[3] = r.pick([0, 1, 2, 3, 4, 255, r.int(256)]); // ndims
    else if (kind === 7 && b.length >= 4) b[2] = r.pick([0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, r.int(256)]); // type
    else if (kind === 8 && b.length) {
      // an f32/f64-looking special value somewhere in the data
      const o = Math.min(at, Math.max(0, b.length - 8));
      const special = r.pick([NaN, Infinity, -Infinity, 1e300, 3.5e38, -0]);
      const v = new DataView(b.buffer, b.byteOffset);
      if (b.length >= o + 8 && r.int(2)) v.setFloat64(o, special, false);
      else if (b.length >= o + 4) v.setFloat32(o, special, false);
    }
  }
  return b;
}

/** The raw gzip container of `raw` with, sometimes, its compressed bytes mutated as well. */
function gz(raw) {
  return new Uint8Array(gzipSync(raw, { level: 6 }));
}

/**
 * Runs `cases` mutated IDX files through parseIdx, and each file it accepts through idxDataset
 * (as images with n zero labels, or as labels of n one-pixel images). Half the cases are gzip:
 * a mutated file compressed, or a compressed file with mutated bytes.
 * `lib`: { parseIdx, idxDataset, checkDataset, DescentError }. Resolves to counts and failures.
 */
export async function fuzzIdx(lib, { cases = 1000, seed = 1 } = {}) {
  const { parseIdx, idxDataset, checkDataset, DescentError } = lib;
  const r = rng(seed ^ 0x1d1d);
  const res = newResult('idx');
  res.gzip = 0;
  const once = async (bytes, scale) => {
    let timer;
    const hang = new Promise((resolve) => {
      timer = setTimeout(() => resolve('hang'), HANG_MS);
    });
    const work = (async () => {
      try {
        const idx = await parseIdx(bytes, 'fuzz');
        const count = idx.dims.reduce((a, d) => a * d, 1);
        if (idx.data.length !== count || idx.dims.some((d) => !Number.isInteger(d) || d < 1)) {
          throw Object.assign(new Error(`idx: silently broken: dims [${idx.dims}] but ${idx.data.length} values`), { invalid: true });
        }
        const n = idx.dims[0];
        if (idx.dims.length >= 2) {
          const labels = { dims: [n], type: 'u8', data: new Uint8Array(n) };
          checkShape(idxDataset(idx, labels, { scale }), checkDataset, 'idx');
        } else {
          const images = { dims: [n, 1], type: 'u8', data: new Uint8Array(n) };
          checkShape(idxDataset(images, idx), checkDataset, 'idx');
        }
        return 'ok';
      } catch (e) {
        return e instanceof DescentError ? 'refused' : e;
      }
    })();
    const out = await Promise.race([work, hang]);
    clearTimeout(timer);
    return out;
  };
  for (let i = 0; i < cases; i++) {
    const src = r.pick(IDX_SEEDS);
    let bytes;
    const kind = r.int(4);
    if (kind < 2) bytes = mutateBytes(r, src); // raw
    else if (kind === 2) bytes = gz(mutateBytes(r, src)); // a mutated file, compressed
    else bytes = mutateBytes(r, gz(src)); // a compressed file, mutated
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) res.gzip++;
    const scale = r.pick([1, 1 / 255, 1e30]);
    const m0 = mem();
    const t0 = performance.now();
    const out = await once(bytes, scale);
    const ms = performance.now() - t0;
    const grew = mem() - m0;
    const rerun = [];
    // async re-runs are done here, before record (which is synchronous)
    if (out === 'refused' && bytes.length < 1024 && (ms > RETIME_MS || grew > LIMIT_BYTES)) {
      for (let j = 0; j < 2; j++) {
        const t = performance.now();
        const m = mem();
        await once(bytes, scale);
        rerun.push([performance.now() - t, mem() - m]);
      }
    }
    let k = 0;
    record(res, out, ms, grew, bytes.length, { bytes: Array.from(bytes) }, () => rerun[k++] ?? [ms, grew]);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------

function newResult(loader) {
  return { loader, cases: 0, ok: 0, refused: 0, invalid: 0, other: 0, hangs: 0, expensive: 0, maxRefusedSmallMs: 0, maxRefusedSmallBytes: 0, failures: [] };
}

function record(res, out, ms, bytes, size, input, rerun) {
  res.cases++;
  if (out === 'ok') res.ok++;
  else if (out === 'refused') res.refused++;
  else if (out?.invalid) {
    res.invalid++;
    if (res.failures.length < 10) res.failures.push({ kind: 'invalid', error: out.message, input });
  } else if (out === 'hang') {
    res.hangs++;
    if (res.failures.length < 10) res.failures.push({ kind: 'hang', input });
  } else {
    res.other++;
    if (res.failures.length < 10) res.failures.push({ kind: 'exception', error: `${out?.name}: ${out?.message}`, input });
  }
  if (out === 'refused' && size < 1024) {
    let [t, b] = [ms, bytes];
    if (t > RETIME_MS || b > LIMIT_BYTES) {
      // noise or cost? the least of three runs is the cost (a GC pause or the scheduler of a busy
      // machine is not the parser's)
      for (let j = 0; j < 2 && (t > RETIME_MS || b > LIMIT_BYTES); j++) {
        const [t2, b2] = rerun();
        t = Math.min(t, t2);
        b = Math.min(b, b2);
      }
      if (t > LIMIT_MS || b > LIMIT_BYTES) {
        res.expensive++;
        if (res.failures.length < 10) res.failures.push({ kind: 'expensive', ms: t, bytes: b, input });
      }
    }
    if (t > res.maxRefusedSmallMs) res.worstInput = input;
    res.maxRefusedSmallMs = Math.max(res.maxRefusedSmallMs, t);
    res.maxRefusedSmallBytes = Math.max(res.maxRefusedSmallBytes, b);
  }
}

/** One line of counts, for logs and the closing note. */
export function summary(res, ms) {
  return (
    `${res.loader}: ${res.cases} cases${res.gzip !== undefined ? ` (${res.gzip} gzip)` : ''}: ${res.ok} loaded, ${res.refused} refused (DescentError), ` +
    `${res.invalid} silently invalid, ${res.other} other exceptions, ${res.hangs} hangs, ${res.expensive} refused inputs < 1 KB over 50 ms or 10 MB ` +
    `(worst: ${res.maxRefusedSmallMs.toFixed(1)} ms, ${(res.maxRefusedSmallBytes / 2 ** 20).toFixed(2)} MB)` +
    (ms !== undefined ? `; ${(ms / 1000).toFixed(1)} s` : '')
  );
}

// Standalone: node scripts/fuzz-data-files.mjs [cases per loader] [seed] [--src]
// Loads the build (dist/node/index.js), or with --src bundles the data modules of src/ with
// esbuild into a temporary file (no build of the package needed).
async function library(fromSrc) {
  if (!fromSrc) return import('../dist/node/index.js');
  const { build } = await import('esbuild');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const src = (f) => JSON.stringify(fileURLToPath(new URL(`../src/${f}`, import.meta.url)));
  const dir = mkdtempSync(join(tmpdir(), 'descent-fuzz-'));
  writeFileSync(
    join(dir, 'entry.ts'),
    `export { parseCsv } from ${src('data/csv.ts')};\nexport { parseIdx, idxDataset } from ${src('data/idx.ts')};\n` +
      `export { checkDataset } from ${src('data/dataset.ts')};\nexport { DescentError } from ${src('engine/errors.ts')};\n`,
  );
  await build({ entryPoints: [join(dir, 'entry.ts')], bundle: true, format: 'esm', platform: 'neutral', outfile: join(dir, 'lib.mjs'), logLevel: 'warning' });
  return import(join(dir, 'lib.mjs'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const cases = Number(args[0] ?? 100000);
  const seed = Number(args[1] ?? 1);
  const lib = await library(process.argv.includes('--src'));
  let bad = 0;
  for (const [name, f] of [
    ['csv', () => fuzzCsv(lib, { cases, seed })],
    ['idx', () => fuzzIdx(lib, { cases, seed })],
  ]) {
    const t0 = performance.now();
    const res = await f();
    console.log(summary(res, performance.now() - t0));
    for (const x of res.failures) console.log(`  ${name} ${x.kind}: ${JSON.stringify(x).slice(0, 400)}`);
    bad += res.invalid + res.other + res.hangs + res.expensive;
  }
  process.exitCode = bad ? 1 : 0;
}
