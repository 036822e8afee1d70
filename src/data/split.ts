// Train / test split, stratified by class where the data set has labels; deterministic per seed
// (src/random.ts), identical on every JS engine.

import { DescentError, show } from '../engine/errors.js';
import { Random } from '../random.js';
import { checkDataset, subset, type Dataset } from './dataset.js';
import { checkOptionKeys } from '../engine/options.js';

export interface SplitOptions {
  /** Share of samples that go to the test set, in (0, 1); default 0.2. */
  testFraction?: number;
  /** Seed of the shuffle; default 0. */
  seed?: number;
  /** Keep each class's share equal in both parts (labels required; ignored without). Default true. */
  stratify?: boolean;
}

export interface Split {
  train: Dataset;
  test: Dataset;
  /** Rows of the original data set in each part, ascending. */
  trainIndices: Int32Array;
  testIndices: Int32Array;
}

/**
 * Splits `ds` into train and test sets of round(n · testFraction) test samples (at least 1 and
 * at most n − 1). Stratified: every class contributes floor or ceil of its exact share
 * (count · testFraction), the total fixed by largest remainders, so each class's test count is
 * within one sample of proportional. Which samples are picked is random per seed; both parts
 * keep the original order of the rows.
 */
export function trainTestSplit(ds: Dataset, opts: SplitOptions = {}): Split {
  checkOptionKeys(opts, 'trainTestSplit', ['testFraction', 'seed', 'stratify']);
  const op = 'trainTestSplit';
  checkDataset(ds, op);
  const frac = opts.testFraction ?? 0.2;
  if (typeof frac !== 'number' || !(frac > 0 && frac < 1)) {
    throw new DescentError(`${op}: testFraction must be a number in (0, 1), got ${show(frac)}`);
  }
  const seed = opts.seed ?? 0;
  if (!Number.isFinite(seed)) throw new DescentError(`${op}: seed must be a finite number, got ${show(seed)}`);
  const n = ds.n;
  if (n < 2) throw new DescentError(`${op}: need at least 2 samples to split, the data set has ${n}`);
  const nTest = Math.min(n - 1, Math.max(1, Math.round(n * frac)));
  const rng = new Random(seed);
  const isTest = new Uint8Array(n);

  if ((opts.stratify ?? true) && ds.labels && ds.classes !== undefined) {
    const k = ds.classes;
    const members: number[][] = Array.from({ length: k }, () => []);
    for (let i = 0; i < n; i++) members[ds.labels[i]].push(i);
    // Exact share of the nTest test samples for each class (nTest/n rather than frac, so the
    // total comes out at nTest), floor first, then the largest remainders get one more.
    const want = members.map((m) => (m.length * nTest) / n);
    const take = want.map(Math.floor);
    let left = nTest - take.reduce((a, b) => a + b, 0);
    const order = want.map((_, c) => c).sort((a, b) => want[b] - take[b] - (want[a] - take[a]) || a - b);
    for (const c of order) {
      if (left === 0) break;
      if (take[c] < members[c].length) {
        take[c]++;
        left--;
      }
    }
    for (let c = 0; c < k; c++) {
      const m = rng.shuffle(members[c]);
      for (let i = 0; i < take[c]; i++) isTest[m[i]] = 1;
    }
  } else {
    const perm = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    for (let i = 0; i < nTest; i++) isTest[perm[i]] = 1;
  }

  const testIndices = new Int32Array(nTest);
  const trainIndices = new Int32Array(n - nTest);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (isTest[i]) testIndices[a++] = i;
    else trainIndices[b++] = i;
  }
  return { train: subset(ds, trainIndices), test: subset(ds, testIndices), trainIndices, testIndices };
}
