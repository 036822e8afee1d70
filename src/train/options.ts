// Validation of the option objects of fit, fitAsync and evaluate (issue #13): own keys only
// (fit checks them against its list), types checked by value (an object with a valueOf or a
// toString is not a number), integer / positive / range checks, and every refusal is a
// DescentError naming the option — thrown before anything is allocated or moves.

import { DescentError } from '../engine/errors.js';

/** A short description of a refused value (never calls its toString). */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'symbol' ? 'a symbol' : 'an object';
}

/** Throws unless `o` is a plain options object (not null, not an array, not a primitive). */
export function checkOptionsObject(o: unknown, op: string): void {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new DescentError(`${op}: options must be an object, got ${describe(o)}`);
}

function fail(op: string, msg: string): never {
  throw new DescentError(`${op}: ${msg}`);
}

/** Types of fit's / fitAsync's options by value (ranges that depend on the data stay in fit). */
export function checkFitOptions(o: Record<string, unknown>, op: string): void {
  checkOptionsObject(o, op);
  const bool = (k: string) => { if (o[k] !== undefined && typeof o[k] !== 'boolean') fail(op, `${k} must be true or false, got ${describe(o[k])}`); };
  const fn = (k: string) => { if (o[k] !== undefined && typeof o[k] !== 'function') fail(op, `${k} must be a function, got ${describe(o[k])}`); };
  for (const k of ['shuffle', 'recordSteps']) bool(k);
  for (const k of ['onBatchEnd', 'onEpochEnd', 'onProgress']) fn(k);
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isFinite(o.seed))) fail(op, `seed must be a finite number, got ${describe(o.seed)}`);
  if (o.lr !== undefined && (typeof o.lr !== 'number' || !Number.isFinite(o.lr) || o.lr <= 0)) fail(op, `lr: learning rate must be a positive finite number, got ${describe(o.lr)}`);
  if (o.batchSize !== undefined && o.batchSize !== 'full' && (typeof o.batchSize !== 'number' || !Number.isSafeInteger(o.batchSize) || o.batchSize < 1)) {
    fail(op, `batchSize must be a positive integer or 'full', got ${describe(o.batchSize)}`);
  }
  if (o.optimizer !== undefined) {
    const opt = o.optimizer as { step?: unknown; beforeGradient?: unknown; bind?: unknown; learningRate?: unknown } | null;
    if (opt === null || (typeof opt !== 'object' && typeof opt !== 'function') || typeof opt.step !== 'function') {
      fail(op, `optimizer must be an optimizer (optimizer('adam', …), sgd(…), lbfgs(…)) with a step method, got ${describe(opt)}`);
    }
    for (const m of ['beforeGradient', 'bind', 'learningRate'] as const) {
      if (opt[m] !== undefined && typeof opt[m] !== 'function') fail(op, `optimizer.${m} must be a function, got ${describe(opt[m])}`);
    }
  }
  if (o.validationData !== undefined && (o.validationData === null || typeof o.validationData !== 'object')) fail(op, `validationData must be a data set { x, n, features, labels | targets }, got ${describe(o.validationData)}`);
  if (o.signal !== undefined) {
    const s = o.signal as { aborted?: unknown } | null;
    if (s === null || typeof s !== 'object' || typeof s.aborted !== 'boolean') fail(op, `signal must be an AbortSignal, got ${describe(s)}`);
  }
  const es = o.earlyStopping;
  if (es !== undefined && typeof es !== 'boolean') {
    if (es === null || typeof es !== 'object' || Array.isArray(es)) fail(op, `earlyStopping must be true, false or { monitor, patience, minDelta, mode, restoreBest }, got ${describe(es)}`);
    const e = es as Record<string, unknown>;
    const known = ['monitor', 'patience', 'minDelta', 'mode', 'restoreBest'];
    for (const k of Object.keys(e)) if (!known.includes(k)) fail(op, `earlyStopping: unknown option ${JSON.stringify(k)}; known: ${known.join(', ')}`);
    if (e.monitor !== undefined && !['loss', 'valLoss', 'accuracy', 'valAccuracy'].includes(e.monitor as string)) fail(op, `earlyStopping.monitor must be 'loss', 'valLoss', 'accuracy' or 'valAccuracy', got ${describe(e.monitor)}`);
    if (e.patience !== undefined && (typeof e.patience !== 'number' || !Number.isSafeInteger(e.patience) || e.patience < 0)) fail(op, `earlyStopping.patience must be an integer ≥ 0, got ${describe(e.patience)}`);
    if (e.minDelta !== undefined && (typeof e.minDelta !== 'number' || !Number.isFinite(e.minDelta) || e.minDelta < 0)) fail(op, `earlyStopping.minDelta must be a finite number ≥ 0, got ${describe(e.minDelta)}`);
    if (e.mode !== undefined && e.mode !== 'min' && e.mode !== 'max') fail(op, `earlyStopping.mode must be 'min' or 'max', got ${describe(e.mode)}`);
    if (e.restoreBest !== undefined && typeof e.restoreBest !== 'boolean') fail(op, `earlyStopping.restoreBest must be true or false, got ${describe(e.restoreBest)}`);
  }
}

export interface EvaluateOptions {
  /** Samples per forward pass (default 1000; at most the data set's size). */
  batchSize?: number;
  /** Apply model.preprocess to data.x first (default false: the data is taken as prepared). */
  preprocess?: boolean;
  /**
   * The loss's reduction for this evaluation (default the model's, lossConfig.reduction):
   * 'mean', 'sum', or 'none' — then Evaluation.losses holds the terms (nn/losses.ts).
   */
  reduction?: 'mean' | 'sum' | 'none';
}

/** evaluate's options: own keys batchSize and preprocess, checked by value. */
export function checkEvaluateOptions(o: unknown, op: string): EvaluateOptions {
  checkOptionsObject(o, op);
  const known = ['batchSize', 'preprocess', 'reduction'];
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!known.includes(k)) fail(op, `unknown option ${JSON.stringify(k)}; known: ${known.join(', ')}`);
  if (r.batchSize !== undefined && (typeof r.batchSize !== 'number' || !Number.isSafeInteger(r.batchSize) || r.batchSize < 1)) {
    fail(op, `batchSize must be a positive integer, got ${describe(r.batchSize)}`);
  }
  if (r.preprocess !== undefined && typeof r.preprocess !== 'boolean') fail(op, `preprocess must be true or false, got ${describe(r.preprocess)}`);
  if (r.reduction !== undefined && r.reduction !== 'mean' && r.reduction !== 'sum' && r.reduction !== 'none') fail(op, `reduction must be 'mean', 'sum' or 'none', got ${describe(r.reduction)}`);
  return { batchSize: r.batchSize as number | undefined, preprocess: r.preprocess as boolean | undefined, reduction: r.reduction as EvaluateOptions['reduction'] };
}
