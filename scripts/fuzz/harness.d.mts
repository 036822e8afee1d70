// Types of harness.mjs (used by test/fuzz-*.test.ts).
export interface FuzzTarget {
  name: string;
  seeds(d: unknown, engine: unknown): { bytes: Uint8Array }[];
  mutators: ((rng: Rng, bytes: Uint8Array, seed: unknown) => Uint8Array)[];
  load(d: unknown, engine: unknown, bytes: Uint8Array, seed: unknown): unknown;
  check(d: unknown, engine: unknown, value: unknown, seed: unknown, bytes: Uint8Array): string | undefined;
}
export interface Counts {
  cases: number; accepted: number; refused: number; nonLibrary: number; invalid: number; leaks: number; hangs: number; costly: number;
  maxRefusedSmallMs: number; maxRefusedSmallBytes: number;
}
export interface Finding { case: number; kind: string; message: string; size: number; input?: string }
export class Rng {
  constructor(seed: number);
  next(): number;
  int(n: number): number;
  pick<T>(a: readonly T[]): T;
}
export function caseRng(seed: number, target: string, i: number): Rng;
export function campaign(d: unknown, engine: unknown, target: FuzzTarget, opts: { cases: number; seed?: number; from?: number; hangMs?: number; keep?: number; onCase?: (i: number) => void; seeds?: { bytes: Uint8Array }[] }): { counts: Counts; findings: Finding[] };
export function input(target: FuzzTarget, pool: { bytes: Uint8Array }[], seed: number, i: number): { bytes: Uint8Array; seed: unknown };
export const byteMutators: Record<string, (rng: Rng, bytes: Uint8Array) => Uint8Array>;
