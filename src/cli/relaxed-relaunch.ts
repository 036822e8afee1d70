// Relaxed SIMD for the `descent` command on Node 20.
//
// Node 20 (V8 11.3) knows relaxed SIMD only behind --experimental-wasm-relaxed-simd, and
// NODE_OPTIONS refuses that flag, so a user cannot switch it on for `npx descent`. Without it
// training runs the plain-SIMD build, ~25% slower on the MNIST MLP. When the runtime lacks
// relaxed SIMD, the V8 of this Node has the flag (Node 20 and 21; Node ≥ 22 has the feature on)
// and the user did not ask for plain SIMD, the command runs itself again as a child process with
// the flag, passes stdio through, forwards SIGINT/SIGTERM and exits with the child's code. The
// child sees DESCENT_RELAUNCHED=1 and never relaunches; DESCENT_NO_RELAUNCH=1 turns it off.
// If the child cannot be started the command runs here, on plain SIMD.

import { spawn } from 'node:child_process';
import { isaSupported } from '../engine/isa.js';

const FLAG = '--experimental-wasm-relaxed-simd';

/** Whether this process should hand over to a child with FLAG (see the header). */
export function shouldRelaunch(argv: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DESCENT_NO_RELAUNCH === '1' || env.DESCENT_RELAUNCHED === '1') return false;
  if (isaSupported('relaxed-simd') || process.execArgv.includes(FLAG)) return false;
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20 && major !== 21) return false;
  const i = argv.indexOf('--isa');
  const isa = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--isa='))?.slice(6);
  if (isa === 'simd') return false;
  // help and the playground server load no wasm here
  return !['-h', '--help', 'help', 'playground'].includes(argv[0] ?? '-h') && !argv.includes('--help');
}

/** Run this command again with FLAG; resolves to the child's exit code, or undefined if it could not start. */
export function relaunch(): Promise<number | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FLAG, ...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, DESCENT_RELAUNCHED: '1' },
    });
    const forward = (signal: NodeJS.Signals) => () => { child.kill(signal); };
    const onInt = forward('SIGINT'), onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = (code: number | undefined) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code);
    };
    child.on('error', () => done(undefined));
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}
