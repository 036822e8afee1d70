// Types for gemm-shared.js (plain JavaScript, served to Chromium as is).
import type * as Descent from '../../src/index.js';

export interface GemmCase {
  op: 'gemm' | 'matmul' | 'predict';
  form: string;
  name: string;
  transA: boolean;
  transB: boolean;
  m: number;
  k: number;
  n: number;
  alpha: number;
  beta: number;
  bias: boolean;
  seed: number;
}

export interface CaseInputs {
  aShape: number[];
  bShape: number[];
  A: Float32Array;
  B: Float32Array;
  C: Float32Array | undefined;
  bias: Float32Array | undefined;
}

export interface CaseBits {
  name: string;
  bits: number[];
}

export function rng(seed: number): () => number;
export function randomF32(n: number, seed: number): Float32Array;
export const SHAPES: ReadonlyArray<{ m: number; k: number; n: number }>;
export const CASES: readonly GemmCase[];
export function caseInputs(c: GemmCase): CaseInputs;
export function runCase(d: typeof Descent, engine: Descent.Engine, c: GemmCase): Float32Array;
export function bitsOf(f32: Float32Array): number[];
export function runAll(d: typeof Descent, engine: Descent.Engine): CaseBits[];
export function runTraining(d: typeof Descent, engine: Descent.Engine): { initial: number[]; trained: number[]; losses: number[] };
