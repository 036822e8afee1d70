// `descent diagnose` (src/cli/diagnose.ts) end to end through dist/cli.js.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { descendants, parseXml } from './xml.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const run = (args: string[], cwd = mkdtempSync(join(tmpdir(), 'descent-diagnose-'))) =>
  ({ ...spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' }), cwd });

describe('descent diagnose', () => {
  it('prints the gradient check, layer statistics and Hessian eigenvalues, writes a weight histogram', () => {
    const r = run(['diagnose', '--layers', '64-16-16-10', '--activation', 'relu', '--samples', '64', '--lanczos', '8', '--out', 'w.svg']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/gradient check \(central differences; passed/);
    expect(r.stdout).toMatch(/0 Dense\(64→16, relu\)/);
    expect(r.stdout).toMatch(/layer statistics \(loss /);
    expect(r.stdout).toMatch(/Hessian on the batch \(Lanczos, 8 steps\): λmax/);
    const svg = parseXml(readFileSync(join(r.cwd, 'w.svg'), 'utf8'));
    expect(descendants(svg, (e) => e.name === 'rect').length).toBeGreaterThan(10);
  });

  it('bad options are one-line errors with exit code 1', () => {
    const r = run(['diagnose', '--samples', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const m = run(['diagnose', '--model', 'missing.safetensors']);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/^descent: --model: no such file missing.safetensors\n$/);
    expect(existsSync(join(m.cwd, 'diagnose-weights.svg'))).toBe(false);
  });
});
