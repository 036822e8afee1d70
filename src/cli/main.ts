#!/usr/bin/env node
// The `descent` command. Subcommands live in their own files; this one dispatches and turns
// DescentError into a one-line message and exit code 1 (other errors keep their stack).

import { DescentError } from '../engine/errors.js';
import { train, TRAIN_HELP } from './train.js';
import { predict, PREDICT_HELP } from './predict.js';
import { exportCommand, EXPORT_HELP } from './export.js';
import { compare, COMPARE_HELP } from './compare.js';
import { landscape, LANDSCAPE_HELP } from './landscape.js';
import { experiment, EXPERIMENT_HELP } from './experiment.js';
import { diagnose, DIAGNOSE_HELP } from './diagnose.js';
import { playground, PLAYGROUND_HELP } from './playground.js';
import { relaunch, shouldRelaunch } from './relaxed-relaunch.js';

const HELP = `descent — train neural networks in WebAssembly SIMD

Usage: descent <command> [options]

Commands
  train      train an MLP (default: on the embedded 8×8 digits set) — descent train --help
  predict    run a saved model on a data set: predictions as CSV or JSON lines, accuracy and
             confusion matrix when it has labels — descent predict --help
  export     write a saved model as ONNX (or for PyTorch) — descent export --help
  compare    train one MLP with several optimizers, plot loss and accuracy together in one
             SVG and tabulate them — descent compare --help
  landscape  optimizer paths over the contours of a 2-D test function (Beale, Rosenbrock,
             saddle, quadratic), one SVG and a table — descent landscape --help
  diagnose   gradient check, per-layer statistics and Hessian eigenvalues of a network
             — descent diagnose --help
  experiment the lectures' claims as runnable experiments (symmetry, vanishing gradients,
             momentum, CG, AdaGrad vs RMSProp, batch size, BatchNorm) — descent experiment --list
  playground serve the training playground page on 127.0.0.1 and print its URL
             — descent playground --help

Run "descent <command> --help" for the options of a command.
`;

async function main(argv: string[]): Promise<number> {
  if (shouldRelaunch(argv)) {
    const code = await relaunch();
    if (code !== undefined) return code;
  }
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    const topics: Record<string, string> = { train: TRAIN_HELP, predict: PREDICT_HELP, export: EXPORT_HELP, compare: COMPARE_HELP, landscape: LANDSCAPE_HELP, experiment: EXPERIMENT_HELP, diagnose: DIAGNOSE_HELP, playground: PLAYGROUND_HELP };
    process.stdout.write(cmd === 'help' ? topics[rest[0]] ?? HELP : HELP);
    return 0;
  }
  if (cmd === 'train') return train(rest);
  if (cmd === 'predict') return predict(rest);
  if (cmd === 'export') return exportCommand(rest);
  if (cmd === 'compare') return compare(rest);
  if (cmd === 'landscape') return landscape(rest);
  if (cmd === 'experiment') return experiment(rest);
  if (cmd === 'diagnose') return diagnose(rest);
  if (cmd === 'playground') return playground(rest);
  process.stderr.write(`descent: unknown command ${JSON.stringify(cmd)}\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  if (e instanceof DescentError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`descent: ${(e as Error).message}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
});
