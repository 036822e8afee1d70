// Fuzz targets 'csv' (parseCsv) and 'idx' (parseIdx, raw and gzip, then idxDataset) for the
// registry (scripts/fuzz/targets.mjs), in the shape of scripts/fuzz/harness.mjs. Seeds and
// mutators are those of scripts/fuzz-data-files.mjs (which also runs both campaigns alone).
//
// csv: small valid files (header or not, string or integer labels, regression, quotes, TSV,
// CRLF, BOM, a preamble line), each with its options; mutations insert, replace or delete
// characters and whole fields (number edge cases: 1e39, 3.4028236e38, denormals, hex, NaN,
// long digit runs up to 600 characters), duplicate or drop lines, cut the text; and the byte
// mutators (invalid UTF-8). Accepted: a data set with finite values and consistent shapes that
// checkDataset takes.
//
// idx: parseIdx is async (gzip goes through DecompressionStream), so `load` returns a Promise:
// the target says `async: true` and runs its own campaign (`campaign`, the harness's counting
// and invariants with the loader awaited). Inputs: small IDX files of every type, raw; the same
// mutated then gzip-compressed; or compressed then mutated. Accepted: dims ≥ 1 whose product is
// the data length, and a data set from idxDataset (as images with zero labels, or as the labels
// of one-pixel images) that checkDataset takes — or a DescentError from idxDataset.

import { gzipSync } from 'node:zlib';
import { byteMutators, input } from './harness.mjs';
import { CSV_SEEDS, IDX_SEEDS, checkShape, mutateBytes, mutateCsv, mutateCsvOpts } from '../fuzz-data-files.mjs';
import { Rng } from './harness.mjs';

const enc = new TextEncoder();
const dec = new TextDecoder();

const text = (f) => (rng, bytes) => enc.encode(f(rng, dec.decode(bytes)));

const csvTarget = {
  name: 'csv',
  seeds() {
    // Each seed file with its options and three variants of them (header, task, label…).
    const r = new Rng(13);
    return CSV_SEEDS.flatMap(({ text: t, opts }) => [opts, ...[0, 1, 2].map(() => mutateCsvOpts(r, mutateCsvOpts(r, opts)))].map((o) => ({ bytes: enc.encode(t), opts: o })));
  },
  mutators: [
    text(mutateCsv),
    text(mutateCsv),
    text(mutateCsv),
    byteMutators.flip,
    byteMutators.interesting,
    byteMutators.truncate,
    byteMutators.splice,
  ],
  load(d, _engine, bytes, seed) {
    return d.parseCsv(dec.decode(bytes), seed.opts);
  },
  check(d, _engine, ds) {
    try {
      checkShape(ds, d.checkDataset, 'csv');
    } catch (e) {
      return e.message;
    }
    return undefined;
  },
};

const gz = (b) => new Uint8Array(gzipSync(b, { level: 6 }));

const idxTarget = {
  name: 'idx',
  async: true,
  seeds() {
    return IDX_SEEDS.flatMap((b) => [{ bytes: b }, { bytes: gz(b) }]);
  },
  mutators: [
    (rng, b) => mutateBytes(rng, b),
    (rng, b) => mutateBytes(rng, b),
    // a raw file damaged, then compressed: the streamed header and size checks
    (rng, b) => (b[0] === 0x1f && b[1] === 0x8b ? mutateBytes(rng, b) : gz(mutateBytes(rng, b))),
    byteMutators.truncate,
    byteMutators.extend,
    byteMutators.splice,
  ],
  async load(d, _engine, bytes) {
    return d.parseIdx(bytes, 'fuzz');
  },
  check(d, _engine, idx, seed) {
    const count = idx.dims.reduce((a, x) => a * x, 1);
    if (idx.data.length !== count || idx.dims.some((x) => !Number.isInteger(x) || x < 1)) return `dims [${idx.dims}] but ${idx.data.length} values`;
    const n = idx.dims[0];
    try {
      const ds =
        idx.dims.length >= 2
          ? d.idxDataset(idx, { dims: [n], type: 'u8', data: new Uint8Array(n) }, { scale: seed.bytes.length % 2 ? 1 : 1 / 255 })
          : d.idxDataset({ dims: [n, 1], type: 'u8', data: new Uint8Array(n) }, idx);
      checkShape(ds, d.checkDataset, 'idx');
    } catch (e) {
      if (e instanceof d.DescentError) return undefined; // idxDataset may refuse (e.g. a NaN pixel)
      return e.message;
    }
    return undefined;
  },
  /** The harness's campaign with the loader awaited (see scripts/fuzz/harness.mjs). */
  async campaign(d, engine, { cases, seed = 1, from = 0, hangMs = 2000, keep = 5, onCase } = {}) {
    const pool = this.seeds(d, engine);
    const counts = { cases: 0, accepted: 0, refused: 0, nonLibrary: 0, invalid: 0, leaks: 0, hangs: 0, costly: 0, maxRefusedSmallMs: 0, maxRefusedSmallBytes: 0 };
    const findings = [];
    const found = (i, kind, message, bytes) => {
      counts[kind]++;
      if (findings.filter((f) => f.kind === kind).length < keep) {
        findings.push({ case: i, kind, message: String(message).slice(0, 400), size: bytes.length, input: bytes.length < 4096 ? Buffer.from(bytes).toString('base64') : undefined });
      }
    };
    const mem = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    for (let i = from; i < from + cases; i++) {
      onCase?.(i);
      const { bytes, seed: s } = input(this, pool, seed, i);
      const m0 = mem();
      const t0 = performance.now();
      let value, error;
      try {
        value = await this.load(d, engine, bytes, s);
      } catch (e) {
        error = e;
      }
      const ms = performance.now() - t0;
      const grew = mem() - m0;
      counts.cases++;
      if (ms > hangMs) found(i, 'hangs', `${ms.toFixed(0)} ms`, bytes);
      if (error !== undefined) {
        if (!(error instanceof d.DescentError)) {
          found(i, 'nonLibrary', `${error?.constructor?.name}: ${error?.message}`, bytes);
          continue;
        }
        counts.refused++;
        if (bytes.length < 1024) {
          let [t, b] = [ms, grew];
          if (t > 50 || b > 10e6) {
            // again, to tell a slow input from a GC pause
            const m1 = mem();
            const t1 = performance.now();
            await this.load(d, engine, bytes, s).catch(() => {});
            t = Math.min(t, performance.now() - t1);
            b = Math.min(b, mem() - m1);
          }
          counts.maxRefusedSmallMs = Math.max(counts.maxRefusedSmallMs, t);
          counts.maxRefusedSmallBytes = Math.max(counts.maxRefusedSmallBytes, b);
          if (t > 50 || b > 10e6) found(i, 'costly', `${bytes.length}-byte input refused after ${t.toFixed(1)} ms and ${(b / 1e6).toFixed(1)} MB: ${error.message}`, bytes);
        }
        continue;
      }
      counts.accepted++;
      const problem = this.check(d, engine, value, s);
      if (problem) found(i, 'invalid', problem, bytes);
    }
    return { counts, findings };
  },
};

export const dataFileTargets = [csvTarget, idxTarget];
