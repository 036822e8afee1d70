// The kernel table: everything the TypeScript side (src/engine/kernels.ts) may call.
// Kernels take byte pointers into the imported linear memory and sizes in elements; they
// never allocate. Allocation lives in src/engine/allocator.ts, on one thread.
export { isRelaxed, heapBase } from "./simd";
export { gemm, gemmDirectB, gemmWorkspaceBytes, gemmSetBlocking } from "./gemm/driver";
export { packA, packB } from "./gemm/pack";
export { gemmSmallM } from "./gemm/smallm";
export { dot, sum, nrm2, asum, amax, axpy, scal, scale, add, mul, fill, copy, clamp, lerp, addSign } from "./blas1";
export { peak, peakFlopsPerIteration } from "./peak";
export { firstNonFinite } from "./finite";
export { actForward, actBackward } from "./nn/activations";
export { softmax, softmaxXent, mseLoss, bceLogits, bceProbs, xentLabels, xentSoft, bceLogitsW, bceProbsOut, regressionLoss } from "./nn/losses";
export { colSum, colSumLd, argmaxRows } from "./nn/reduce";
export { optSgd } from "./optim/sgd";
export { optAdagrad } from "./optim/adagrad";
export { optRmsprop } from "./optim/rmsprop";
export { optAdadelta } from "./optim/adadelta";
export { optAdam } from "./optim/adam";
export { optAdamax } from "./optim/adamax";
export { optNadam } from "./optim/nadam";
export { optRadam } from "./optim/radam";
export { optRprop } from "./optim/rprop";
export { optRpropVariant } from "./optim/rprop-variants";
export { optDeltaBarDelta } from "./optim/delta-bar-delta";
export { addGaussianNoise, philox2x32 } from "./optim/gradient-noise";
export { optMomentumClassic, optNesterovLookahead } from "./optim/momentum";
export { optAsgd } from "./optim/asgd";
export { tfAddDecayedWeights, tfApply, tfTrace, tfScaleByAdagrad, tfScaleByRms, tfScaleByAdadelta, tfScaleByAdam, tfScaleByAdamax, tfScaleByNadam, tfScaleByRadam, tfScaleByRprop } from "./optim/transforms";
export { f64Dot, f64Nrm2, f64Axpy, f64Scal, f64Fill, f64Copy, f64Gemv, f64GemvLd, f64Ger, f64Symv, f64SymvRows, f64AddDiagonal } from "./linalg/blas64";
export { f64Gram, f64GramBlock } from "./linalg/gram";
export { f64Trsv } from "./linalg/triangle";
export { f64Cholesky, f64CholSolve } from "./linalg/cholesky";
export { f64BfgsInverseUpdate } from "./linalg/bfgs";
export { bnForwardTrain, bnForwardTrainLd, bnForwardEval, bnBackward, bnBackwardLd, bnBackwardEvalLd } from "./nn/batchnorm";
export { lnForward, lnBackward, lnParamGrads } from "./nn/layernorm";
export { dropoutForward } from "./nn/dropout";
export { maxPoolForward, maxPoolBackward, avgPoolForward, avgPoolBackward, globalAvgPoolForward, globalAvgPoolBackward, mulChannels } from "./nn/pool";
export { im2col, col2im } from "./nn/conv";
export { convForward, convWeightPartials, convPartialSum, convInputGrad, convLowerFloats } from "./nn/conv-fused";
