// Types of torch-cnn-cases.mjs (used by test/torch-cnn.test.ts).
import type { Model, ModelSpec } from '../src/nn/model.js';
import type { TorchExport } from '../src/io/torch/index.js';

export interface CnnCase { name: string; model: Model; exported: TorchExport; inputs: Float32Array; logits: number[] }
export const CNN_SPECS: Record<string, ModelSpec>;
export function train(model: Model, x: Float32Array, labels: Int32Array, steps: number, lr: number): void;
export function cnnCases(d: unknown): CnnCase[];
