// Training checkpoints: the model, its optimizer's state and where the run stood, in one
// safetensors file (the model file of model-file.ts plus more).
//
//   tensors   layers.<i>.weight / layers.<i>.bias    the model's flat parameter vector
//             optimizer.<buffer>                     each optimizer state buffer (exp_avg, …),
//                                                    flat, in the parameters' order
//   metadata  format "descent", model (spec JSON),
//             optimizer  JSON { rule, name, length, layout, steps, scalars, frozen }
//             progress   JSON { epoch, step }       epochs and updates done
// A checkpoint is still a model file: loadModel reads it too (ignoring the optimizer part).
// Resuming: loadCheckpoint, create the optimizer with the same hyper-parameters, call
// `optimizer.loadStateDict(ckpt.optimizer, ckpt.model)` and `fit(..., { initialEpoch:
// ckpt.progress.epoch })`: the run continues bit for bit as if it had never stopped.
// Schedules are functions and are not stored: recreate them as they were.

import type { Engine } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import type { Model } from '../nn/model.js';
import type { OptimizerStateDict, RuleOptimizer } from '../optim/optimizer.js';
import { readModelFile, saveModel } from './model-file.js';
import { writeFileAtomic } from './atomic-file.js';

export interface Progress {
  /** Epochs completed. */
  epoch: number;
  /** Updates completed. */
  step: number;
}

export interface Checkpoint {
  model: Model;
  optimizer: OptimizerStateDict;
  /** The optimizer's name as it was saved ('adam', 'momentum', …). */
  optimizerName: string;
  progress: Progress;
}

function checkProgress(p: Progress, what: string): void {
  if (!p || !Number.isSafeInteger(p.epoch) || p.epoch < 0 || !Number.isSafeInteger(p.step) || p.step < 0) {
    throw new DescentError(`${what}: progress must be { epoch, step } with integers ≥ 0, got ${JSON.stringify(p)}`);
  }
}

export function saveCheckpoint(model: Model, optimizer: RuleOptimizer<object>, progress: Progress): Uint8Array {
  checkProgress(progress, 'saveCheckpoint');
  const sd = optimizer.stateDict();
  if (sd.length !== model.parameterCount) {
    throw new DescentError(`saveCheckpoint: the optimizer holds state for ${sd.length} parameters, the model has ${model.parameterCount}`);
  }
  const { buffers, ...rest } = sd;
  const names = Object.keys(buffers).sort();
  return saveModel(model, {
    metadata: {
      optimizer: JSON.stringify({ ...rest, name: optimizer.name, buffers: names }),
      progress: JSON.stringify({ epoch: progress.epoch, step: progress.step }),
    },
    tensors: names.map((n) => ({ name: `optimizer.${n}`, data: buffers[n] })),
  });
}

/**
 * saveCheckpoint written to `path` atomically (Node, Deno, Bun): a run killed while it saves
 * leaves the previous checkpoint or the new one, whole (temp file, fsync, rename, fsync of
 * the folder; see io/atomic-file.ts). Returns the bytes written.
 */
export function saveCheckpointFile(path: string, model: Model, optimizer: RuleOptimizer<object>, progress: Progress): Uint8Array {
  const bytes = saveCheckpoint(model, optimizer, progress);
  writeFileAtomic(path, bytes);
  return bytes;
}

export function loadCheckpoint(engine: Engine, bytes: Uint8Array, what = 'checkpoint'): Checkpoint {
  const { model, metadata, extra } = readModelFile(engine, bytes, what, ['optimizer']);
  try {
    if (typeof metadata.optimizer !== 'string' || typeof metadata.progress !== 'string') {
      throw new DescentError(`${what}: a model file without optimizer state or progress (not a checkpoint)`);
    }
    let info: Omit<OptimizerStateDict, 'buffers'> & { name: string; buffers: string[] };
    let progress: Progress;
    try {
      info = JSON.parse(metadata.optimizer);
      progress = JSON.parse(metadata.progress);
    } catch (e) {
      throw new DescentError(`${what}: the optimizer or progress entry is not valid JSON (${(e as Error).message})`);
    }
    checkProgress(progress, what);
    if (!info || info.format !== 'descent-optimizer' || !Array.isArray(info.buffers)) {
      throw new DescentError(`${what}: the optimizer entry is not a descent optimizer state`);
    }
    const buffers: Record<string, Float32Array> = {};
    for (const n of info.buffers) {
      const b = extra.get(`optimizer.${n}`);
      if (!b) throw new DescentError(`${what}: tensor optimizer.${n} is missing`);
      if (b.length !== info.length) throw new DescentError(`${what}: tensor optimizer.${n} holds ${b.length} values, the optimizer state ${info.length}`);
      buffers[n] = b;
    }
    for (const key of extra.keys()) {
      if (!info.buffers.includes(key.slice('optimizer.'.length))) throw new DescentError(`${what}: unexpected tensor ${key}`);
    }
    const { name, buffers: _names, ...rest } = info;
    return { model, optimizer: { ...rest, buffers }, optimizerName: name, progress };
  } catch (e) {
    model.release();
    throw e;
  }
}
