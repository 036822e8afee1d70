// `descent` on Node 20 runs itself again with --experimental-wasm-relaxed-simd
// (src/cli/relaxed-relaunch.ts), through dist/cli.js as a user would run it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const major = Number(process.versions.node.split('.')[0]);
const dir = mkdtempSync(join(tmpdir(), 'descent-relaunch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  // no V8 flags from the test runner: the command starts as `node dist/cli.js` does
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, DESCENT_NO_RELAUNCH: '', DESCENT_RELAUNCHED: '', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr, isa: /^descent (\S+) ·/m.exec(r.stdout)?.[1] };
}

describe('descent relaunches itself for relaxed SIMD where only a flag is missing', () => {
  it('runs relaxed SIMD by default; DESCENT_NO_RELAUNCH=1 or --isa simd keep plain SIMD in this process', () => {
    const quick = ['train', '--epochs', '1', '--out', join(dir, 'm.safetensors'), '--curve', join(dir, 'p.svg')];
    // Node ≥ 22 has relaxed SIMD on: no relaunch is needed for it
    expect(run(quick).isa).toBe('relaxed-simd');
    expect(run(quick, { DESCENT_NO_RELAUNCH: '1' }).isa).toBe(major >= 22 ? 'relaxed-simd' : 'simd');
    expect(run([...quick, '--isa', 'simd']).isa).toBe('simd');
  });

  it('passes the exit code and the error message through', () => {
    const r = run(['train', '--epochs', '0']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/descent: fit: epochs must be a positive integer, got 0/);
    expect(r.err.match(/descent:/g)).toHaveLength(1); // printed once, by the child
    const unknown = run(['nonsense']);
    expect(unknown.code).toBe(2);
  });
});
