// Short fixed-seed fuzz campaign over the data-file loaders (issue #13): seeded mutations of small
// valid CSV and IDX (raw and gzip) files. Every outcome is a DescentError or a data set with
// finite values and consistent shapes; never another exception, never a hang; no refused input
// under 1 KB costs more than 50 ms or 10 MB. The long campaign (≥ 100,000 cases per loader) is
// the same code: `node scripts/fuzz-data-files.mjs 100000` (or through `npm run fuzz`).
import { afterAll, describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { checkDataset } from '../src/data/dataset.js';
import { parseCsv } from '../src/data/csv.js';
import { idxDataset, parseIdx } from '../src/data/idx.js';
import { fuzzCsv, fuzzIdx, summary } from '../scripts/fuzz-data-files.mjs';

const report: string[] = [];
afterAll(() => console.log(`fuzz:\n${report.join('\n')}`));

describe('data-file fuzzing (short campaign)', () => {
  it('CSV: 4,000 mutated files', () => {
    const t0 = performance.now();
    const res = fuzzCsv({ parseCsv, checkDataset, DescentError }, { cases: 4000, seed: 13 });
    report.push(summary(res, performance.now() - t0));
    expect(res.failures.map((f) => `${f.kind} ${String(f.error ?? "")}`)).toEqual([]);
    expect([res.invalid, res.other, res.hangs, res.expensive]).toEqual([0, 0, 0, 0]);
    // The campaign reaches both outcomes.
    expect(res.ok).toBeGreaterThan(200);
    expect(res.refused).toBeGreaterThan(200);
  });

  it('IDX: 2,000 mutated files, raw and gzip', { timeout: 60_000 }, async () => {
    const t0 = performance.now();
    const res = await fuzzIdx({ parseIdx, idxDataset, checkDataset, DescentError }, { cases: 2000, seed: 13 });
    report.push(summary(res, performance.now() - t0));
    expect(res.failures.map((f) => `${f.kind} ${String(f.error ?? "")}`)).toEqual([]);
    expect([res.invalid, res.other, res.hangs, res.expensive]).toEqual([0, 0, 0, 0]);
    expect(res.ok).toBeGreaterThan(100);
    expect(res.refused).toBeGreaterThan(500);
    expect(res.gzip).toBeGreaterThan(500);
  });
});
