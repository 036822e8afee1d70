// `descent experiment`: each experiment with its quick settings, asserting the direction of
// the lecture's claim it measures; the CLI's --list and its one-line error for an unknown name.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { EXPERIMENTS } from '../src/experiments/index.js';
import type { ExperimentResult } from '../src/experiments/common.js';

let engine: Engine;
beforeAll(async () => { engine = await Engine.create(); });

const run = (name: string): ExperimentResult => {
  const ex = EXPERIMENTS.find((e) => e.name === name);
  if (!ex) throw new Error(`no experiment ${name}`);
  const r = ex.run({ engine, quick: true, seed: 1 });
  expect(r.svg.startsWith('<svg')).toBe(true);
  expect(r.lines.length).toBeGreaterThan(1);
  for (const v of Object.values(r.numbers)) expect(typeof v).toBe('number');
  return r;
};

describe('experiments (quick settings)', () => {
  it('symmetry: zero and constant init keep the hidden units identical, random init does not', () => {
    const { numbers: n } = run('symmetry');
    expect(n['zeros.spread']).toBe(0);
    expect(n['constant.spread']).toBe(0);
    expect(n['zeros.moved']).toBeGreaterThan(0); // the weights did train, together
    expect(n['random.spread']).toBeGreaterThan(0.1);
    expect(n['random.accuracy']).toBeGreaterThan(n['zeros.accuracy']);
  });

  it('vanishing-gradients: sigmoid gradients shrink by orders towards the input, tanh/Xavier and ReLU/Kaiming do not', () => {
    const { numbers: n } = run('vanishing-gradients');
    expect(n['sigmoid.init.ratio']).toBeGreaterThan(1e3);
    expect(n['sigmoidXavier.init.ratio']).toBeGreaterThan(10);
    for (const k of ['tanh', 'relu']) {
      expect(n[`${k}.init.ratio`]).toBeGreaterThan(0.1);
      expect(n[`${k}.init.ratio`]).toBeLessThan(10);
    }
  });

  it('momentum-terminal-velocity: the step reaches α/(1 − μ)·g within 1%; momentum zig-zags less in the ravine', () => {
    const { numbers: n } = run('momentum-terminal-velocity');
    expect(Math.abs(n['plane.mu0.9.ratio100'] - 1)).toBeLessThan(0.01);
    expect(Math.abs(n['plane.mu0.5.ratio100'] - 1)).toBeLessThan(0.01);
    expect(n['plane.mu0.99.ratio100']).toBeCloseTo(1 - 0.99 ** 100, 6);
    expect(n['ravine.momentum.reversals']).toBeLessThan(n['ravine.gd.reversals']);
    expect(n['ravine.momentum.f100']).toBeLessThan(n['ravine.gd.f100']);
  });

  it('nesterov-vs-momentum: Nesterov < momentum < GD in iterations to the target', () => {
    const { numbers: n } = run('nesterov-vs-momentum');
    expect(n['nesterov.iterations']).toBeLessThan(n['momentum.iterations']);
    expect(n['momentum.iterations']).toBeLessThan(n['gd.iterations']);
  });

  it('cg-vs-steepest: linear CG needs at most m iterations at κ = 10, steepest descent many more', () => {
    const { numbers: n } = run('cg-vs-steepest');
    expect(n['k10.cg.iterations']).toBeLessThanOrEqual(n.m);
    expect(n['2d.cg.iterations']).toBeLessThanOrEqual(2);
    for (const k of [10, 100, 1000]) expect(n[`k${k}.sd.iterations`]).toBeGreaterThan(2 * n[`k${k}.cg.iterations`]);
  });

  it('adagrad-vs-rmsprop: AdaGrad\'s effective lr decays below half its start, RMSProp\'s does not after its warm-up', () => {
    const { numbers: n } = run('adagrad-vs-rmsprop');
    expect(n['adagrad.lastOverStep1']).toBeLessThan(0.5);
    expect(n['adagrad.increases']).toBe(0);
    expect(n['rmsprop.lastOverStep100']).toBeGreaterThan(0.5);
  });

  it('batch-size: every batch size reaches the target; passes over the data rise with the batch size', () => {
    const { numbers: n } = run('batch-size');
    const sizes = ['b1', 'b8', 'b32', 'b128', 'bfull'];
    for (const s of sizes) expect(Number.isFinite(n[`${s}.updates`])).toBe(true);
    for (let i = 1; i < sizes.length; i++) expect(n[`${sizes[i]}.epochs`]).toBeGreaterThan(n[`${sizes[i - 1]}.epochs`]);
    expect(n['b1.updates']).toBeGreaterThan(n['bfull.updates']);
  });

  it('stochastic-vs-full-batch: redundancy costs L-BFGS ×8 gradients and SGD nothing; L-BFGS reaches the high target first', () => {
    const { numbers: n } = run('stochastic-vs-full-batch');
    expect(n.sgdRedundancyRatio).toBeGreaterThan(0.7);
    expect(n.sgdRedundancyRatio).toBeLessThan(1.4);
    expect(n.lbfgsRedundancyRatio).toBeGreaterThan(6);
    expect(n.lbfgsRedundancyRatio).toBeLessThan(10);
    expect(n['sgd8.moderate']).toBeLessThan(n['lbfgs8.moderate']);
    expect(Number.isFinite(n['lbfgs1.high'])).toBe(true);
    expect(n['lbfgs1.high']).toBeLessThan(n['sgd1.high']);
  });
});

describe('batchnorm-speedup (quick settings)', () => {
  it('BatchNorm lowers the loss faster at lr 0.1 and 1 and still trains at lr 5', () => {
    const { numbers: n } = run('batchnorm-speedup');
    expect(n['bn.lr0.1.loss3']).toBeLessThan(n['plain.lr0.1.loss3']);
    expect(n['bn.lr1.loss3']).toBeLessThan(n['plain.lr1.loss3']);
    expect(n['bn.lr5.loss']).toBeLessThan(0.5 * n['plain.lr5.loss']);
  });
});

describe('descent experiment (CLI)', () => {
  const cli = new URL('../dist/cli.js', import.meta.url).pathname;
  const cmd = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, 'experiment', ...args], { cwd, encoding: 'utf8' });

  it('--list names every experiment; NAME writes its SVG; an unknown name is a one-line error and exit code 1', () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
    const dir = mkdtempSync(join(tmpdir(), 'descent-experiment-'));
    const list = cmd(['--list'], dir);
    expect(list.status, list.stderr).toBe(0);
    for (const e of EXPERIMENTS) expect(list.stdout).toContain(e.name);
    const ok = cmd(['nesterov-vs-momentum', '--quick', '--out', 'n.svg'], dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/supports the claim/);
    expect(readFileSync(join(dir, 'n.svg'), 'utf8').startsWith('<svg')).toBe(true);
    const bad = cmd(['nope'], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/unknown experiment "nope"; known: symmetry, /);
  });
});
