// descent: training neural networks in WebAssembly SIMD.
//
// The module-level functions use a default engine created by `init()`. `createEngine()`
// makes independent ones (for instance one per ISA, to compare).

import { Engine, type Backend, type EngineOptions } from './engine/engine.js';
import { DescentError } from './engine/errors.js';
import type { Tensor } from './engine/tensor.js';
import type { Arena } from './engine/arena.js';

export { Engine, type Backend, type EngineOptions } from './engine/engine.js';
export { Tensor } from './engine/tensor.js';
export { Arena } from './engine/arena.js';
export { DescentError } from './engine/errors.js';
export { supportedIsas, isaSupported, type Isa } from './engine/isa.js';
export { closeThreads, threadStats, threadThresholds } from './engine/threads/pool.js';
export type { AllocatorStats } from './engine/allocator.js';
export { gemm, matmul, type GemmOptions } from './ops/gemm.js';
export { dot, sum, nrm2, axpy, scal, add, mul, scale, fill, copy } from './ops/vector.js';

let current: Engine | undefined;

/** Load the wasm module (relaxed SIMD where available, or as forced by opts.isa) as the default engine. */
export async function init(opts: EngineOptions = {}): Promise<Engine> {
  current = await Engine.create(opts);
  return current;
}

/** A new independent engine (own memory and allocator). */
export function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  return Engine.create(opts);
}

/** Synchronous createEngine, where the runtime allows synchronous compilation (Node, workers). */
export function createEngineSync(opts: EngineOptions = {}): Engine {
  return Engine.createSync(opts);
}

/** The default engine; throws if init() has not run. */
export function engine(): Engine {
  if (!current) throw new DescentError('descent: call `await init()` before using the default engine');
  return current;
}

export function backend(): Backend {
  return engine().backend();
}

export function tensor(shape: readonly number[], values?: ArrayLike<number>): Tensor {
  return engine().tensor(shape, values);
}

export function zeros(shape: readonly number[]): Tensor {
  return engine().zeros(shape);
}

export function scope<T>(fn: () => T): T {
  return engine().scope(fn);
}

export function arena(name: string): Arena {
  return engine().arena(name);
}

export function keep(t: Tensor): Tensor {
  return engine().keep(t);
}

// ---- networks and training (issue #3) ----
export { Model, type ModelSpec, type LayerSpec, type DenseLayer, type Batch, type PredictOptions } from './nn/model.js';
export { OUTPUT_KINDS, type Preprocess, type OutputKind } from './nn/preprocess.js';
export { ACTIVATIONS, type ActivationName } from './nn/activations.js';
export { INITIALIZERS, torchGain, type InitName, type InitSpec, type InitText, type GainChoice } from './nn/init.js';
export { LOSSES, REDUCTIONS, type LossName, type LossSpec, type LossConfig, type Reduction } from './nn/losses.js';
export { fit, fitAsync, evaluate, DEFAULT_FIT_LR, NonFiniteError, type FitOptions, type FitAsyncOptions, type FitProgress, type History, type EpochLogs, type BatchLogs, type EarlyStopping, type Evaluation, type OnNonFinite, type NonFiniteInfo } from './train/fit.js';
export { checkF32, checkF32Hyper, F32_MAX } from './optim/check.js';
export { sgd, type Optimizer, type StepContext } from './train/optimizer.js';
export { saveModel, loadModel, modelSpec } from './io/model-file.js';
export { saveCheckpoint, saveCheckpointFile, loadCheckpoint, type Checkpoint, type Progress } from './io/checkpoint.js';
export { writeFileAtomic, removeStaleTempFiles } from './io/atomic-file.js';
export { minimize, METHODS, type MethodName, type MinimizeSettings } from './minimize/minimize.js';
export type { MinimizeResult, MinimizeOptions, IterationInfo } from './minimize/context.js';
export type { Objective, Problem } from './minimize/objective.js';
export * from './problems/index.js';
export {
  parseNistStrd, nistProblem, lre, NIST_MODELS, NIST_NAMES,
  type NistData, type NistModel, type NistName, type NistDifficulty,
} from './problems/nist-strd.js';
export { withDerivatives, type EvaluationCounts } from './minimize/derivatives.js';
export { armijo, wolfe, exact, type LineFunction, type LineSearchResult, type LineSearchSpec } from './minimize/line-search.js';
export { JsF64, type VectorSpace, type Vec, type Mat } from './minimize/vector-space.js';
export { F64, type Vec64, type Mat64 } from './linalg/f64.js';
export { networkObjective, type NetworkObjectiveOptions } from './nn/objective.js';
export { TorchLbfgs, type TorchLbfgsOptions, type TorchLbfgsState } from './minimize/methods/lbfgs-torch.js';
export {
  lbfgs, lbfgsTorch, bfgs, conjugateGradient, scaledConjugateGradient, steepestDescent, newtonCg, newtonMethod, levenbergMarquardt,
  type FullBatchOptimizer, type FullBatchSettings,
} from './train/full-batch.js';
export { Random } from './random.js';
export { checkDataset, subset, batchInto, type Dataset } from './data/dataset.js';
export { parseIdx, idxDataset, encodeIdx, gunzip, isGzip, type Idx, type IdxType, type IdxData, type IdxDatasetOptions } from './data/idx.js';
export { parseCsv, type CsvOptions } from './data/csv.js';
export { fitStandardizer, loadStandardizer, type Standardizer, type StandardizerJSON } from './data/standardize.js';
export { trainTestSplit, type Split, type SplitOptions } from './data/split.js';
export { digits, type DigitsOptions } from './data/digits.js';
export {
  accuracy, errorRate, argmaxRows, confusionMatrix, confusionMatrixFromCounts, perClassMetrics, binaryMetrics,
  formatConfusionMatrix, formatPerClass,
  type Labels, type Scores, type Predictions, type ConfusionMatrix, type ClassMetrics,
  type MacroAverages, type PerClassMetrics, type BinaryMetrics,
} from './metrics/classification.js';
export { rocCurve, auc, type RocCurve } from './metrics/roc.js';
export {
  trainingCurveSvg, lineChartSvg, escapeXml,
  type LineSeries, type LineChartOptions, type TrainingHistory, type TrainingCurveOptions,
} from './plot/svg-curve.js';

// ---- optimizers: update rules, schedules, clipping, averaging (issue #4, in progress) ----
export * as rules from './optim/rules.js';
export * as transforms from './optim/transforms.js';
export {
  optimizer, RuleOptimizer, OPTIMIZER_NAMES,
  type HyperSpec, type GroupSpec, type OptimizerOptions, type OptimizerStateDict,
} from './optim/optimizer.js';
export { momentumClassic, nesterovLookahead, type MomentumHyper } from './optim/momentum.js';
export { rpropPlus, rpropMinus, irpropPlus, irpropMinus, rpropVariants, type RpropVariantHyper } from './optim/rprop-variants.js';
export { deltaBarDelta, type DeltaBarDeltaHyper } from './optim/delta-bar-delta.js';
export { asgd, asgdEta, asgdMu, type AsgdHyper } from './optim/asgd.js';
export { gradientNoise, type GradientNoise, type GradientNoiseOptions } from './optim/gradient-noise.js';
export * as schedules from './optim/schedules.js';
export { checkSchedule, asSchedule, type Schedule, type OneCycleOptions, type CyclicOptions } from './optim/schedules.js';
export { reduceOnPlateau, type ReduceOnPlateau, type PlateauOptions, type PlateauState } from './optim/plateau.js';
export { clipByValue, clipByGlobalNorm, clipPerLayer, type NormType } from './optim/clip.js';
export { polyakAverage, emaOfWeights, type Averager } from './optim/averaging.js';
export * from './plot/landscape-api.js';

// ---- diagnostics (issue #6, item 3) ----
export { gradientCheck, type Checkable, type GradientCheckOptions, type GradientCheck, type LayerGradientCheck } from './diagnostics/gradient-check.js';
export {
  layerStats, recordLayerStats, type LayerStats, type LayerStatsReport, type LayerStatsSeries, type LayerStatsHistory,
} from './diagnostics/layer-stats.js';
export { histogram, histogramSvg, type Histogram, type HistogramOptions, type HistogramSvgOptions } from './diagnostics/histogram.js';
export {
  lineValues, planeValues, randomDirection, lossAlongLine, lossSurface,
  type LineOptions, type LineSlice, type PlaneOptions, type PlaneSlice, type DirectionOptions, type ModelLineOptions, type ModelPlaneOptions,
} from './diagnostics/landscape-slices.js';
export {
  powerIteration, lanczos, tridiagonalEigenvalues,
  type PowerIterationOptions, type PowerIterationResult, type LanczosOptions, type LanczosResult,
} from './diagnostics/hessian-spectrum.js';
export type { AnyLayerSpec, BatchNormSpec, LayerNormSpec, DropoutSpec, LayerType, Conv2dSpec, Pool2dSpec, ShapeSpec, Dropout2dSpec, Size2 } from './nn/model.js';
export { rocCurveSvg, confusionMatrixSvg, rocArea, type NamedRoc } from './plot/classification-charts.js';
export { withNewHead, growModel, greedyPretrain, type NewHeadOptions, type GrowOptions, type Transferred, type GreedyOptions, type GreedyStage, type StageInfo } from './nn/transfer.js';
export { loadDataset, fetchDatasetFiles, remoteDataset, DATASETS, DATASET_NAMES, DownloadError, CACHE_API_NAME, type LoadDatasetOptions, type LoadedDataset, type DatasetFiles, type DownloadProgress, type DatasetName, type RemoteDataset, type RemoteFile, type FetchLike } from './data/remote/index.js';
export { fitInWorker, type WorkerFitOptions, type WorkerHistory, type OptimizerDescription, type RuleOptimizerDescription, type FullBatchDescription, type ScheduleDescription, type ScheduleName } from './train/worker.js';
export { registerEmbedded as registerWasm, type WasmBytesSource, type WasmOrigin } from './engine/wasm-source.js';
export { exportTorch, importTorch, type TorchExport, type TorchExportOptions, type TorchImportOptions } from './io/torch/index.js';
export { exportOnnx, importOnnx, type OnnxExportOptions, type OnnxImportOptions } from './io/onnx/index.js';
