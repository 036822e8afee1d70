// The experiments of `descent experiment NAME`, in the order of the lectures' claims.

import type { Experiment } from './common.js';
import { symmetry } from './symmetry.js';
import { vanishingGradients } from './vanishing-gradients.js';
import { momentumTerminalVelocity } from './momentum-terminal-velocity.js';
import { nesterovVsMomentum } from './nesterov-vs-momentum.js';
import { cgVsSteepest } from './cg-vs-steepest.js';
import { adagradVsRmsprop } from './adagrad-vs-rmsprop.js';
import { batchSize } from './batch-size.js';
import { batchSizeCnn } from './batch-size-cnn.js';
import { batchnormSpeedup } from './batchnorm-speedup.js';
import { stochasticVsFullBatch } from './stochastic-vs-full-batch.js';

export const EXPERIMENTS: readonly Experiment[] = [symmetry, vanishingGradients, momentumTerminalVelocity, nesterovVsMomentum, cgVsSteepest, adagradVsRmsprop, batchSize, batchSizeCnn, stochasticVsFullBatch, batchnormSpeedup];

export type { Experiment, ExperimentOptions, ExperimentResult } from './common.js';
