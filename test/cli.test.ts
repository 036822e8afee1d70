// The `descent` command, run as a user would: node dist/cli.js (built by npm test's pretest).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { loadModel } from '../src/io/model-file.js';
import { digits } from '../src/data/digits.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });

describe('descent train', () => {
  it('with no options trains on the embedded digits, reports and writes the model and the SVG', () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
    const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
    const r = run(['train'], dir);
    expect(r.status, r.stderr).toBe(0);
    const acc = Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1]);
    expect(acc).toBeGreaterThanOrEqual(95);
    expect(r.stdout).toMatch(/true \\ predicted/);
    expect(r.stdout).toMatch(/sensitivity\s+specificity/);
    const svg = readFileSync(join(dir, 'descent-training.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('training loss');
    const model = loadModel(Engine.createSync({ isa: 'simd' }), new Uint8Array(readFileSync(join(dir, 'descent-model.safetensors'))));
    expect(model.describe()).toBe('Model(64 → 64 tanh → 10 linear; loss softmax-cross-entropy; 4810 parameters)');
  }, 120_000);

  it('takes layers, activation, batch size, epochs, lr, seed, csv data and output paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
    const d = digits();
    const lines = ['label,' + Array.from({ length: 64 }, (_, i) => `p${i}`).join(',')];
    for (let i = 0; i < 600; i++) lines.push([d.labels![i], ...Array.from(d.x.subarray(i * 64, i * 64 + 64))].join(','));
    writeFileSync(join(dir, 'd.csv'), lines.join('\n'));
    const r = run(['train', '--data', 'csv:d.csv', '--label', 'label', '--layers', '64-32-16-10', '--activation', 'relu',
      '--batch-size', '16', '--epochs', '5', '--lr', '0.05', '--seed', '3', '--out', 'm.st', '--curve', 'c.svg', '--quiet'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^test accuracy [\d.]+%/);
    expect(existsSync(join(dir, 'm.st')) && existsSync(join(dir, 'c.svg'))).toBe(true);
  }, 120_000);

  it('--layers builds batch norm, layer norm and dropout layers (500bn, 300ln, d0.2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
    const r = run(['train', '--layers', '64-48bn-d0.1-32ln-10', '--activation', 'relu', '--epochs', '8', '--seed', '2', '--quiet'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(95);
    const model = loadModel(Engine.createSync({ isa: 'simd' }), new Uint8Array(readFileSync(join(dir, 'descent-model.safetensors'))));
    expect(model.layers.map((l) => l.type)).toEqual(['dense', 'batchnorm', 'dropout', 'dense', 'layernorm', 'dense']);
    expect(model.layers.map((l) => l.activation)).toEqual(['linear', 'relu', 'linear', 'linear', 'relu', 'linear']);
    expect(model.layers[0].hasBias).toBe(false);
    expect(model.layers[2].rate).toBeCloseTo(0.1);
    expect(model.passes).toBeGreaterThan(0);
    const bad = (args: string[], msg: RegExp) => {
      const b = run(['train', ...args], dir);
      expect(b.status).toBe(1);
      expect(b.stderr).toMatch(msg);
    };
    bad(['--layers', '64-d0.2-32-10'], /entry 2 "d0.2": dropout must follow a hidden layer/);
    bad(['--layers', '64-32-d1.5-10'], /entry 3 "d1.5": dropout rate must be a number in \[0, 1\)/);
    bad(['--layers', '64-32xn-10'], /entry 2 "32xn" is not a layer: N, Nbn/);
    writeFileSync(join(dir, 'flat.csv'), 'a,b,c,label\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${i % 5},${i % 3},${i % 2}`).join('\n') + '\n');
    bad(['--layers', 'c4k3-p2-2', '--data', 'csv:flat.csv', '--label', 'label'], /a network that starts with "c4k3" needs image data/);
    bad(['--layers', 'c4k9-10'], /layer 0 \(conv2d\): a height window of 9 \(kernel 9\) does not fit an input height of 8/);
  }, 120_000);

  it('--layers builds a CNN on the data\'s images (c8k3p1-p2-c16k3bn-sd0.1-gap-10 on digits)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
    const r = run(['train', '--layers', 'c8k3p1-p2-c16k3bn-sd0.1-gap-32-10', '--optimizer', 'adam', '--lr', '0.01', '--epochs', '6', '--seed', '2', '--quiet'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(85);
    const model = loadModel(Engine.createSync({ isa: 'simd' }), new Uint8Array(readFileSync(join(dir, 'descent-model.safetensors'))));
    expect(model.inputShape).toEqual([1, 8, 8]);
    expect(model.layers.map((l) => l.type)).toEqual(['conv2d', 'maxpool2d', 'conv2d', 'batchnorm', 'dropout2d', 'globalavgpool', 'dense', 'dense']);
    expect(model.layers.map((l) => l.image && [...l.image])).toEqual([[8, 8, 8], [4, 4, 8], [2, 2, 16], [2, 2, 16], [2, 2, 16], [1, 1, 16], undefined, undefined]);
  }, 120_000);

  it('--optimizer lbfgs / lm: full-batch training from the command line, its flags checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
    const r = run(['train', '--optimizer', 'lbfgs', '--epochs', '60', '--weight-decay', '1e-3', '--opt', 'memory=7'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lbfgs L2 0.001, memory 7, full batch, at most 60 iterations/);
    expect(r.stdout).toMatch(/iteration   60  loss/);
    expect(r.stdout).toMatch(/60 iterations, \d+ evaluations, stopped: max-iterations/);
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(95);
    expect(readFileSync(join(dir, 'descent-training.svg'), 'utf8')).toContain('iteration (lbfgs, full batch)');
    const lm = run(['train', '--optimizer', 'lm', '--loss', 'mse', '--layers', '64-6-10', '--batch-size', '300', '--epochs', '8', '--quiet'], dir);
    expect(lm.status, lm.stderr).toBe(0);
    expect(Number(/test accuracy ([\d.]+)%/.exec(lm.stdout)![1])).toBeGreaterThan(60);
    const bad = (args: string[], msg: RegExp) => {
      const b = run(['train', ...args], dir);
      expect(b.status, b.stdout).toBe(1);
      expect(b.stderr).toMatch(msg);
    };
    bad(['--optimizer', 'cg', '--lr', '0.1'], /--lr does not apply to cg: a full-batch method sets its steps by a line search/);
    bad(['--optimizer', 'lm'], /Levenberg–Marquardt minimizes a sum of squares; use it with --loss mse/);
    bad(['--optimizer', 'scg', '--opt', 'memory=5'], /--opt memory applies to lbfgs only/);
    bad(['--optimizer', 'bfgs', '--opt', 'betas=0.9'], /--opt betas: not a setting of bfgs/);
    bad(['--optimizer', 'lbfgs', '--layers', '64-32bn-10'], /batch norm makes the loss depend on how the data is split/);
    bad(['--optimizer', 'newton'], /unknown optimizer "newton"; known: .*lbfgs, bfgs, cg, scg, newton-cg, lm/);
  }, 120_000);

  it('--help documents the options; bad input is a one-line error and exit code 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'descent-cli-'));
    const help = execFileSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' });
    for (const o of ['--layers', '--activation', '--loss', '--batch-size', '--epochs', '--lr', '--seed', '--data', '--label', '--out', '--curve']) expect(help).toContain(o);
    const bad = (args: string[], msg: RegExp) => {
      const r = run(['train', ...args], dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
    };
    bad(['--activation', 'prelu'], /unknown activation "prelu"/);
    bad(['--loss', 'hinge'], /unknown loss "hinge"/);
    bad(['--layers', '63-10'], /the network takes 63 inputs but the data has 64 features/);
    bad(['--batch-size', '0'], /batchSize must be a positive integer/);
    bad(['--batch-size', '5000'], /larger than the training set/);
    bad(['--data', 'idx:/nonexistent'], /does not exist/);
    bad(['--data', 'parquet:x'], /unknown data "parquet:x"/);
    bad(['--lr', 'fast'], /--lr: expected a number/);
    bad(['--epochs', '2.5'], /--epochs: expected an integer/);
    bad(['--bogus'], /Unknown option '--bogus'/);
    writeFileSync(join(dir, 'broken.csv'), 'a,b,label\n1,2,0\n3,x,1\n');
    bad(['--data', 'csv:broken.csv'], /line 3.*'x' is not a number/);
  }, 120_000);
});
