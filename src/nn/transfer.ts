// Transfer learning and greedy layer-wise pre-training: new models built from a trained one.
//
// A trained network f = h ∘ g_k ∘ … ∘ g_1 (hidden layers g_i, output layer h) is a feature
// extractor φ = g_k ∘ … ∘ g_1 followed by a classifier. Both helpers keep φ and replace h:
//
//   withNewHead(model, { outputs, loss?, hidden?, seed? })   f' = h' ∘ [new hidden] ∘ φ
//       a new task (another number of classes, another loss): fine-tuning, or training only
//       the head on frozen features (Yosinski et al. 2014, "How transferable are features in
//       deep neural networks?"; Razavian et al. 2014 for frozen features + a new classifier).
//   growModel(model, { insert, seed? })                      f' = h' ∘ g_{k+1} ∘ φ
//       the same task, one level deeper: greedy supervised layer-wise pre-training (Bengio,
//       Lamblin, Popovici & Larochelle 2007, "Greedy layer-wise training of deep networks",
//       §"supervised greedy"): train a one-hidden-layer net, drop its output layer, put a new
//       hidden layer and a new output layer on top of the trained ones, train again (the
//       trained layers fixed, as in the paper, or not), repeat; then optionally fine-tune all.
//   greedyPretrain(engine, spec, data, { epochs, optimizer, freeze?, fineTuneEpochs? })
//       that loop up to the depth of `spec`.
//
// Both return { model, kept }: a NEW Model on the same engine (the argument is untouched) and
// the indices of the kept layers, ready for an optimizer group that freezes them:
//   optimizer('adam', {}, { groups: [{ layers: kept, frozen: true }] })
// Layout: kept layers are a prefix of the layer list and the flat parameter vector is laid out
// in layer order (model.ts), so they sit at the same offsets in both models: θ'[0, e) = θ[0, e)
// with e the old output layer's weight offset, copied bit for bit, as are batch norm's running
// mean and variance (model.buffers(), same layer indices). The new layers are drawn by their
// initializers from Random(seed) (default: the model's seed) exactly as `new Model` draws them:
// the generator runs through the kept layers first, so growing a prefix of a spec gives every
// new hidden layer the same initial weights a full-depth `new Model(engine, spec)` would.
// Freezing covers parameters only: in training mode batch norm still updates its running
// statistics (set model.frozen, or train the kept part in eval mode, to keep them too).
// The new output layer has `outputs` units; its activation is the old one when the loss does
// not change (and is forced by the loss otherwise, linear by default: model.ts).

import type { Dataset } from '../data/dataset.js';
import type { Engine } from '../engine/engine.js';
import { DescentError, show } from '../engine/errors.js';
import { modelSpec } from '../io/model-file.js';
import { optimizer as namedOptimizer } from '../optim/optimizer.js';
import { fit, type FitOptions, type History } from '../train/fit.js';
import type { Optimizer } from '../train/optimizer.js';
import { checkLossSpec, lossSpecOf, type LossName, type LossSpec } from './losses.js';
import { Model, type AnyLayerSpec, type LayerSpec, type ModelSpec } from './model.js';

export interface NewHeadOptions {
  /** Units of the new output layer (classes for softmax cross-entropy). */
  outputs: number;
  /** Loss of the new model (default: the model's, with its options). */
  loss?: LossName | string | LossSpec;
  /** Layers between the kept ones and the new output layer (Dense, batchnorm, layernorm, dropout). */
  hidden?: AnyLayerSpec[];
  /** Activation of the new output layer (default: the old one if the loss is unchanged, else the loss's). */
  outputActivation?: string;
  /** Seed of the new layers' initialization (default: the model's seed). */
  seed?: number;
}

export interface GrowOptions {
  /** New hidden layer(s), at least one Dense, inserted before a new output layer. */
  insert: AnyLayerSpec[];
  /** Seed of the new layers' initialization (default: the model's seed). */
  seed?: number;
}

export interface Transferred {
  model: Model;
  /** Indices of the layers copied from the old model (a prefix: 0 … k−1). */
  kept: number[];
}

export interface StageInfo {
  /** 1-based stage; the fine-tuning stage is the last + 1. */
  stage: number;
  /** Layers kept from the previous stage (empty at stage 1 and when fine-tuning). */
  kept: number[];
  /** Whether the kept layers are frozen in this stage. */
  frozen: boolean;
}

export interface GreedyOptions {
  /** Epochs per stage (default 10). */
  epochs?: number;
  /** A fresh optimizer per stage (default adam with its default lr). */
  optimizer?: (stage: StageInfo) => Optimizer;
  /** Freeze the kept layers while the new ones train (default true, as Bengio et al. 2007). */
  freeze?: boolean;
  /** Epochs of a final stage training every layer (default 0: none). */
  fineTuneEpochs?: number;
  /** Other options of every fit call (batchSize, seed, validationData, …). */
  fit?: Omit<FitOptions, 'epochs' | 'optimizer' | 'lr'>;
}

export interface GreedyStage extends StageInfo {
  /** Number of Dense hidden layers of the stage's model. */
  depth: number;
  history: History;
}

const LAYER_TYPES = new Set(['dense', 'batchnorm', 'layernorm', 'dropout']);

function checkKeys(op: string, opts: object, known: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new DescentError(`${op}: unknown option ${JSON.stringify(k)}; known: ${known.join(', ')}`);
  }
}

function checkModel(op: string, model: unknown): asserts model is Model {
  if (!(model instanceof Model)) throw new DescentError(`${op}: expected a Model as first argument`);
}

function checkSeed(op: string, seed: unknown): void {
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    throw new DescentError(`${op}: seed must be a finite number, got ${show(seed)}`);
  }
}

/** Check a list of layer specs given as option `name`: an array of known layer types, Dense with integer units. */
function checkLayers(op: string, name: string, layers: unknown): AnyLayerSpec[] {
  if (!Array.isArray(layers)) throw new DescentError(`${op}: ${name} must be an array of layer specs, got ${show(layers)}`);
  layers.forEach((l, i) => {
    if (!l || typeof l !== 'object') throw new DescentError(`${op}: ${name}[${i}] must be a layer spec object, got ${show(l)}`);
    const type = (l as { type?: unknown }).type ?? 'dense';
    if (typeof type !== 'string' || !LAYER_TYPES.has(type)) {
      throw new DescentError(`${op}: ${name}[${i}]: unsupported layer type ${JSON.stringify(type)} (${[...LAYER_TYPES].join(', ')})`);
    }
    const units = (l as LayerSpec).units;
    if (type === 'dense' && !(Number.isSafeInteger(units) && units >= 1)) {
      throw new DescentError(`${op}: ${name}[${i}]: units must be a positive integer, got ${show(units)}`);
    }
  });
  return layers as AnyLayerSpec[];
}

/** The model's layers 0 … L−2 followed by `added`, parameters and statistics of the kept ones copied. */
function rebuild(op: string, name: string, model: Model, added: AnyLayerSpec[], loss: LossName | LossSpec, seed: number): Transferred {
  const spec = modelSpec(model);
  const keptSpecs = spec.layers.slice(0, -1);
  const first = added[0] as { type?: string } | undefined;
  if (keptSpecs.length === 0 && first && (first.type ?? 'dense') !== 'dense') {
    throw new DescentError(`${op}: ${name}[0] is a ${first.type} layer, which must follow a Dense layer, and ${model.describe()} keeps no layer`);
  }
  let next: Model;
  try {
    next = new Model(model.engine, { inputs: spec.inputs, loss, seed, layers: [...keptSpecs, ...added] });
  } catch (e) {
    if (!(e instanceof DescentError)) throw e;
    throw new DescentError(`${op}: ${e.message} (layers from ${keptSpecs.length} on are ${name} and the new output layer)`);
  }
  const kept = keptSpecs.map((_, i) => i);
  // θ'[0, e) = θ[0, e): read the data after the allocation above (memory may have grown)
  const end = model.layers[model.layers.length - 1].weightOffset;
  if (kept.some((i) => next.layers[i].weightOffset !== model.layers[i].weightOffset)) {
    next.release();
    throw new DescentError(`${op}: internal: the kept layers moved in the parameter vector`);
  }
  next.parameters().data.set(model.parameters().data.subarray(0, end));
  for (const i of kept) {
    const from = model.layers[i], to = next.layers[i];
    if (from.runningMean && to.runningMean) to.runningMean.data.set(from.runningMean.data);
    if (from.runningVar && to.runningVar) to.runningVar.data.set(from.runningVar.data);
  }
  next.training = model.training;
  next.setPreprocess(model.preprocess); // same inputs: the same preprocessing
  return { model: next, kept };
}

/**
 * A new model: `model`'s layers without its output layer, then `hidden`, then a new output
 * layer of `outputs` units, for loss `loss`. Kept parameters (and batch-norm statistics) are
 * copied bit for bit; the new layers are initialized from `seed`. `model` is unchanged. The
 * input preprocessing is kept, the class names are not (new outputs).
 */
export function withNewHead(model: Model, options: NewHeadOptions): Transferred {
  const op = 'withNewHead';
  checkModel(op, model);
  if (!options || typeof options !== 'object') throw new DescentError(`${op}: expected options { outputs, loss?, hidden?, seed? }`);
  checkKeys(op, options, ['outputs', 'loss', 'hidden', 'outputActivation', 'seed']);
  const { outputs } = options;
  if (!Number.isSafeInteger(outputs) || outputs < 1) throw new DescentError(`${op}: outputs must be a positive integer, got ${show(outputs)}`);
  // the model's loss keeps its options (a posWeight per output must then match the new outputs)
  const lossSpec = options.loss ?? lossSpecOf(model.lossConfig);
  const loss = checkLossSpec(lossSpec, `${op}: loss`).name;
  checkSeed(op, options.seed);
  const hidden = checkLayers(op, 'hidden', options.hidden ?? []);
  const old = model.layers[model.layers.length - 1];
  const activation = options.outputActivation ?? (loss === model.loss ? old.activation : undefined);
  const alpha = activation === old.activation && (activation === 'leaky-relu' || activation === 'elu') ? { alpha: old.alpha } : {};
  const head: LayerSpec = { units: outputs, ...(activation !== undefined ? { activation } : {}), ...alpha };
  return rebuild(op, 'hidden', model, [...hidden, head], typeof lossSpec === 'string' ? loss : lossSpec, options.seed ?? model.seed);
}

/**
 * One level deeper (greedy layer-wise pre-training): `model`'s hidden layers kept, `insert`
 * after them, then a new output layer like the old one (same units, activation, loss). The
 * input preprocessing and class names are kept.
 */
export function growModel(model: Model, options: GrowOptions): Transferred {
  const op = 'growModel';
  checkModel(op, model);
  if (!options || typeof options !== 'object') throw new DescentError(`${op}: expected options { insert, seed? }`);
  checkKeys(op, options, ['insert', 'seed']);
  const insert = checkLayers(op, 'insert', options.insert);
  if (!insert.some((l) => (l.type ?? 'dense') === 'dense')) {
    throw new DescentError(`${op}: insert must hold at least one Dense layer (a new hidden layer), got ${insert.length === 0 ? 'none' : insert.map((l) => l.type).join(', ')}`);
  }
  checkSeed(op, options.seed);
  if (model.layers.length < 2) {
    throw new DescentError(`${op}: ${model.describe()} has no hidden layers to keep; train a model with one hidden layer first (or use withNewHead)`);
  }
  const old = model.layers[model.layers.length - 1];
  const alpha = old.activation === 'leaky-relu' || old.activation === 'elu' ? { alpha: old.alpha } : {};
  const head: LayerSpec = { units: old.units, activation: old.activation, bias: old.hasBias, init: old.init, ...alpha };
  const grown = rebuild(op, 'insert', model, [...insert, head], lossSpecOf(model.lossConfig), options.seed ?? model.seed);
  grown.model.setClassNames(model.classNames);
  return grown;
}

/**
 * Greedy supervised layer-wise training up to the depth of `spec`: stage 1 trains the first
 * hidden block (a Dense layer with the norm / dropout layers after it) under the output layer;
 * each next stage grows the model by one block (growModel) and trains it, the kept layers
 * frozen when `freeze`; an optional last stage fine-tunes every layer. The final model has the
 * architecture of `spec`; intermediate models are released.
 */
export function greedyPretrain(engine: Engine, spec: ModelSpec, data: Dataset, options: GreedyOptions = {}): { model: Model; history: GreedyStage[] } {
  const op = 'greedyPretrain';
  if (!options || typeof options !== 'object') throw new DescentError(`${op}: options must be an object`);
  checkKeys(op, options, ['epochs', 'optimizer', 'freeze', 'fineTuneEpochs', 'fit']);
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.layers)) throw new DescentError(`${op}: expected a model spec { inputs, layers, loss }`);
  const epochs = options.epochs ?? 10;
  if (!Number.isSafeInteger(epochs) || epochs < 1) throw new DescentError(`${op}: epochs must be a positive integer, got ${show(options.epochs)}`);
  const fineTune = options.fineTuneEpochs ?? 0;
  if (!Number.isSafeInteger(fineTune) || fineTune < 0) throw new DescentError(`${op}: fineTuneEpochs must be a non-negative integer, got ${show(options.fineTuneEpochs)}`);
  if (options.optimizer !== undefined && typeof options.optimizer !== 'function') {
    throw new DescentError(`${op}: optimizer must be a function (stage) => optimizer, e.g. () => optimizer('adam'), got ${typeof options.optimizer}`);
  }
  const freeze = options.freeze ?? true;
  const make = options.optimizer ?? (() => namedOptimizer('adam'));
  const layers = checkLayers(op, 'spec.layers', spec.layers);
  const hidden = layers.slice(0, -1);
  if (hidden.length === 0) throw new DescentError(`${op}: spec.layers needs at least one hidden layer before the output layer`);
  // blocks: each Dense hidden layer with the non-Dense layers that follow it
  const blocks: AnyLayerSpec[][] = [];
  for (const l of hidden) {
    if ((l.type ?? 'dense') === 'dense') blocks.push([l]);
    else if (blocks.length === 0) throw new DescentError(`${op}: spec.layers[0] is a ${l.type} layer; the first layer must be Dense`);
    else blocks[blocks.length - 1].push(l);
  }
  const history: GreedyStage[] = [];
  let model = new Model(engine, { ...spec, layers: [...blocks[0], layers[layers.length - 1]] });
  const train = (info: StageInfo, stageEpochs: number): void => {
    const opt = make(info);
    if (!opt || typeof opt.step !== 'function') throw new DescentError(`${op}: stage ${info.stage}: the optimizer factory returned ${show(opt)}, not an optimizer`);
    if (info.frozen && info.kept.length > 0) {
      const groups = opt as Optimizer & { setFrozen?: (layers: readonly number[], frozen: boolean) => void };
      if (typeof groups.setFrozen !== 'function' || typeof opt.bind !== 'function') {
        throw new DescentError(`${op}: freeze needs an optimizer with parameter groups (optimizer(name, …)), got ${opt.name}`);
      }
      opt.bind(model);
      groups.setFrozen(info.kept, true);
    }
    const h = fit(model, data, { ...options.fit, epochs: stageEpochs, optimizer: opt });
    history.push({ ...info, depth: model.layers.filter((l) => l.type === 'dense').length - 1, history: h });
  };
  try {
    train({ stage: 1, kept: [], frozen: false }, epochs);
    for (let s = 1; s < blocks.length; s++) {
      const grown = growModel(model, { insert: blocks[s], seed: spec.seed });
      model.release();
      model = grown.model;
      train({ stage: s + 1, kept: grown.kept, frozen: freeze }, epochs);
    }
    if (fineTune > 0) train({ stage: blocks.length + 1, kept: [], frozen: false }, fineTune);
  } catch (e) {
    model.release();
    throw e;
  }
  return { model, history };
}
