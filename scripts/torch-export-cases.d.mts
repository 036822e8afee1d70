// Types of torch-export-cases.mjs (used by test/torch-io.test.ts).
import type { Model } from '../src/nn/model.js';
import type { TorchExport } from '../src/io/torch/index.js';

export interface ExportCase { name: string; model: Model; exported: TorchExport; inputs: Float32Array; logits: number[] }
export function logits(model: Model, x: Float32Array): number[];
export function cases(d: unknown, importFixture?: (name: string) => { bytes: Uint8Array; python: string }): ExportCase[];
