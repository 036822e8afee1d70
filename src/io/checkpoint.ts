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
import { buildModel, parseModelFile, saveModel } from './model-file.js';
import { brief, isRecord, label, parseJson } from './safetensors.js';
import { checkStateDict } from '../optim/state-dict.js';
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
  if (!isRecord(p) || !Number.isSafeInteger(p.epoch) || p.epoch < 0 || !Number.isSafeInteger(p.step) || p.step < 0) {
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

/**
 * A checkpoint from bytes written by saveCheckpoint. Everything is checked before the model is
 * allocated (model-file.ts, safetensors.ts): the optimizer entry's types and values (state-dict.ts:
 * finite buffers, second moments ≥ 0, integral step counts, NAdam's mu_product in (0, 1], …), the
 * progress, the optimizer tensors; then, against the model built, the optimizer's layout (the
 * model is released if it does not fit). On any error nothing stays allocated.
 */
export function loadCheckpoint(engine: Engine, bytes: Uint8Array, what = 'checkpoint'): Checkpoint {
  const file = parseModelFile(bytes, what, ['optimizer']);
  const { metadata, extra } = file;
  if (metadata.optimizer === undefined || metadata.progress === undefined) {
    throw new DescentError(`${what}: a model file without optimizer state or progress (not a checkpoint)`);
  }
  // { format, version, rule, name, length, layout: [[o, n], …], steps, scalars: [{…}], frozen, buffers }: 3 levels
  const info = parseJson(metadata.optimizer, `${what}: the optimizer entry`, 3);
  const progress = parseJson(metadata.progress, `${what}: the progress entry`, 1) as Progress;
  checkProgress(progress, what);
  if (!isRecord(info)) throw new DescentError(`${what}: the optimizer entry is not a descent optimizer state, got ${brief(info)}`);
  const keys = ['format', 'version', 'rule', 'name', 'length', 'layout', 'steps', 'scalars', 'frozen', 'buffers'];
  for (const k of Object.keys(info)) {
    if (!keys.includes(k)) throw new DescentError(`${what}: the optimizer entry has unknown key ${brief(k)} (${keys.join(', ')})`);
  }
  const { name, buffers: names, ...rest } = info;
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) throw new DescentError(`${what}: the optimizer's name must be a string of 1 to 64 characters, got ${brief(name)}`);
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string') || new Set(names).size !== names.length) {
    throw new DescentError(`${what}: the optimizer entry's buffers must be distinct names, got ${brief(names)}`);
  }
  const buffers: Record<string, Float32Array> = {};
  for (const n of names as string[]) {
    const b = extra.get(`optimizer.${n}`);
    if (!b) throw new DescentError(`${what}: tensor optimizer.${label(n)} is missing`);
    buffers[n] = b;
  }
  for (const key of extra.keys()) {
    if (!names.includes(key.slice('optimizer.'.length))) throw new DescentError(`${what}: unexpected tensor ${label(key)}`);
  }
  const optimizer = { ...rest, buffers } as unknown as OptimizerStateDict;
  checkStateDict(optimizer, what);
  const model = buildModel(engine, file);
  try {
    // the segments RuleOptimizer.bind makes: weights and bias of every layer, in order
    const segments = model.layers.flatMap((l) => [[l.weightOffset, l.inputs * l.units], ...(l.hasBias ? [[l.biasOffset, l.units]] : [])]);
    if (optimizer.length !== model.parameterCount || optimizer.layout.length !== segments.length ||
      !segments.every(([o, n], i) => optimizer.layout[i][0] === o && optimizer.layout[i][1] === n)) {
      throw new DescentError(`${what}: the optimizer state's layout ${JSON.stringify(optimizer.layout).slice(0, 200)} is not the model's ${JSON.stringify(segments).slice(0, 200)}`);
    }
  } catch (e) {
    model.release();
    throw e;
  }
  return { model, optimizer, optimizerName: name, progress };
}
