#!/usr/bin/env node
// The `descent` command. Subcommands live in their own files; this one dispatches and turns
// DescentError into a one-line message and exit code 1 (other errors keep their stack).

import { DescentError } from '../engine/errors.js';
import { train, TRAIN_HELP } from './train.js';

const HELP = `descent — train neural networks in WebAssembly SIMD

Usage: descent <command> [options]

Commands
  train      train an MLP (default: on the embedded 8×8 digits set) — descent train --help

Run "descent <command> --help" for the options of a command.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(cmd === 'help' && rest[0] === 'train' ? TRAIN_HELP : HELP);
    return 0;
  }
  if (cmd === 'train') return train(rest);
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
