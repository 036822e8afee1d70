// What a model does to its inputs before the first layer, and what its outputs are called: the
// parts of a trained model that are not weights but that a model file must carry for predict to
// give, on the data as it comes, the answers seen during training.
//
//   x'_j = (x_j · scale − mean_j) / std_j      per feature j, every part optional
//
// scale is a pixel scaling (MNIST bytes 0…255 → [0, 1]: 1/255), mean and std a z-score
// standardizer fitted on the training data (data/standardize.ts). The arithmetic repeats the
// training pipeline's exactly: x·scale rounded to f32 (as the data loaders store scaled pixels),
// then (x − mean) / std in f64 rounded once to f32 (as Standardizer.transform), so predict on raw
// values feeds the network the very bits it was trained on.
//
// Class names map output j to a name (CSV string labels, Fashion-MNIST's 'T-shirt/top', …);
// without them class j is called "j". A model has max(outputs, 2) classes (one-output bce models
// are binary).

import { DescentError, show } from '../engine/errors.js';

/** Input preprocessing: x' = (x·scale − mean) / std per feature; each part optional. */
export interface Preprocess {
  scale?: number;
  mean?: Float32Array;
  std?: Float32Array;
}

/** What predict returns: probabilities (softmax / sigmoid applied), logits (before them) or class indices. */
export type OutputKind = 'probabilities' | 'logits' | 'classes';
export const OUTPUT_KINDS: readonly OutputKind[] = ['probabilities', 'logits', 'classes'];

/** Longest class name accepted (a name is a label, not a payload). */
export const MAX_CLASS_NAME = 1000;

function floats(v: unknown, name: string, inputs: number, what: string): Float32Array {
  if (!(v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v))) {
    throw new DescentError(`${what}: preprocess ${name} must be a Float32Array (or numbers), got ${v === null ? 'null' : typeof v}`);
  }
  if (v.length !== inputs) throw new DescentError(`${what}: preprocess ${name} holds ${v.length} values, the model takes ${inputs} inputs`);
  const out = new Float32Array(inputs);
  for (let j = 0; j < inputs; j++) {
    const x = (v as ArrayLike<unknown>)[j];
    if (typeof x !== 'number') throw new DescentError(`${what}: preprocess ${name}[${j}] is not a number`);
    out[j] = x;
    // checked after the f32 rounding: 1e39 becomes Infinity, 1e-50 becomes 0
    if (!Number.isFinite(out[j])) throw new DescentError(`${what}: preprocess ${name}[${j}] is ${x}${Number.isFinite(x) ? ' (not finite as f32)' : ''}`);
    if (name === 'std' && !(out[j] > 0)) throw new DescentError(`${what}: preprocess std[${j}] must be > 0, got ${x}${x > 0 ? ' (0 as f32)' : ''}`);
  }
  return out;
}

/**
 * A validated copy of `p` for a model of `inputs` features, or undefined for no preprocessing
 * (undefined or no part given). Throws, naming the first problem, on anything else.
 */
export function checkPreprocess(p: unknown, inputs: number, what: string): Preprocess | undefined {
  if (p === undefined || p === null) return undefined;
  if (typeof p !== 'object' || Array.isArray(p)) throw new DescentError(`${what}: preprocess must be { scale?, mean?, std? }, got ${Array.isArray(p) ? 'an array' : typeof p}`);
  const { scale, mean, std, ...rest } = p as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new DescentError(`${what}: preprocess has unknown key ${JSON.stringify(unknown[0])} (scale, mean, std)`);
  const out: Preprocess = {};
  if (scale !== undefined) {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale === 0) throw new DescentError(`${what}: preprocess scale must be a finite non-zero number, got ${show(scale)}`);
    out.scale = scale;
  }
  if (mean !== undefined) out.mean = floats(mean, 'mean', inputs, what);
  if (std !== undefined) out.std = floats(std, 'std', inputs, what);
  return out.scale === undefined && !out.mean && !out.std ? undefined : out;
}

/** A validated copy of class names for `classes` classes, or undefined. */
export function checkClassNames(names: unknown, classes: number, what: string): string[] | undefined {
  if (names === undefined || names === null) return undefined;
  if (!Array.isArray(names)) throw new DescentError(`${what}: class names must be an array of strings, got ${typeof names}`);
  if (names.length !== classes) throw new DescentError(`${what}: ${names.length} class names for a model of ${classes} classes`);
  names.forEach((s, i) => {
    if (typeof s !== 'string') throw new DescentError(`${what}: class name ${i} is not a string (${s === null ? 'null' : typeof s})`);
    if (s.length > MAX_CLASS_NAME) throw new DescentError(`${what}: class name ${i} is ${s.length} characters long (at most ${MAX_CLASS_NAME})`);
  });
  return [...names];
}

/** x (rows of `inputs` features) through `p` into a new array. */
export function applyPreprocess(p: Preprocess, x: Float32Array, inputs: number): Float32Array {
  const out = new Float32Array(x.length);
  const { scale, mean, std } = p;
  for (let i = 0; i < x.length; i += inputs) {
    for (let j = 0; j < inputs; j++) {
      // Math.fround: the loaders store x·scale as f32 before the standardizer reads it
      const v = scale === undefined ? x[i + j] : Math.fround(x[i + j] * scale);
      out[i + j] = (v - (mean ? mean[j] : 0)) / (std ? std[j] : 1);
    }
  }
  return out;
}

/** The output kind named by `output`, checked against the loss (undefined: the loss's default). */
export function checkOutputKind(output: unknown, loss: string, what: string): OutputKind | undefined {
  if (output === undefined) return undefined;
  if (!OUTPUT_KINDS.includes(output as OutputKind)) throw new DescentError(`${what}: output must be one of ${OUTPUT_KINDS.join(', ')}, got ${JSON.stringify(output)}`);
  if (output === 'probabilities' && (loss === 'mse' || loss === 'mse-mean' || loss === 'huber' || loss === 'smooth-l1')) {
    throw new DescentError(`${what}: output 'probabilities' needs a classification loss; this model's loss is ${loss}: ask for 'logits' (its output values) or 'classes'`);
  }
  if (output === 'logits' && loss === 'bce') {
    throw new DescentError(`${what}: output 'logits': loss bce applies the sigmoid inside the last layer, so its logits are never computed (train with bce-logits to have them)`);
  }
  return output as OutputKind;
}
