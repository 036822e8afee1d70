// Types of fuzz-data-files.mjs (used by test/fuzz-data-files.test.ts).
export interface FuzzResult {
  loader: string;
  cases: number;
  ok: number;
  refused: number;
  invalid: number;
  other: number;
  hangs: number;
  expensive: number;
  gzip?: number;
  maxRefusedSmallMs: number;
  maxRefusedSmallBytes: number;
  failures: { kind: string; [k: string]: unknown }[];
}
export interface FuzzOptions { cases?: number; seed?: number }
export function rng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: T[]): T };
export function fuzzCsv(lib: { parseCsv: unknown; checkDataset: unknown; DescentError: unknown }, opts?: FuzzOptions): FuzzResult;
export function fuzzIdx(lib: { parseIdx: unknown; idxDataset: unknown; checkDataset: unknown; DescentError: unknown }, opts?: FuzzOptions): Promise<FuzzResult>;
export function summary(res: FuzzResult, ms?: number): string;
