// `descent compare` and the optimizer options of `descent train`, run as a user would: node
// dist/cli.js (built by npm test's pretest), in a fresh temporary folder per test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareChartSvg, defaultWindow, movingAverage } from '../src/plot/compare-chart.js';
import { descendants, parseXml, type XmlElement as Node } from './xml.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const run = (args: string[], cwd = mkdtempSync(join(tmpdir(), 'descent-compare-'))) =>
  ({ ...spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' }), cwd });


const allText = (n: Node): string => n.text + n.children.map(allText).join('');

describe('descent compare', () => {
  it('trains each optimizer from the same start and writes one SVG with a loss and an accuracy panel', () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
    const names = ['sgd', 'adam', 'rmsprop'];
    const r = run(['compare', '--optimizers', names.join(','), '--lr', 'adam=0.01', '--epochs', '2', '--out', 'c.svg']);
    expect(r.status, r.stderr).toBe(0);
    // the table: one row per optimizer with its learning rate and a test accuracy
    const header = r.stdout.split('\n').findIndex((l) => /^optimizer\s+lr\s+final train loss\s+test accuracy\s+time\s+samples\/s$/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = r.stdout.split('\n').slice(header + 1, header + 1 + names.length);
    const lrs = { sgd: '0.1', adam: '0.01', rmsprop: '0.003' } as Record<string, string>;
    rows.forEach((row, i) => {
      const m = /^(\S+)\s+(\S+)\s+([\d.]+)\s+([\d.]+)%\s+([\d.]+) s\s+(\d+)$/.exec(row);
      expect(m, row).not.toBeNull();
      expect(m![1]).toBe(names[i]);
      expect(m![2]).toBe(lrs[names[i]]);
      expect(Number(m![4])).toBeGreaterThan(85);
    });

    const svg = parseXml(readFileSync(join(r.cwd, 'c.svg'), 'utf8'));
    expect(svg.name).toBe('svg');
    const panels = descendants(svg, (n) => n.name === 'g' && 'data-panel' in n.attrs);
    expect(panels.map((p) => p.attrs['data-panel'])).toEqual(['loss', 'accuracy']);
    const firstPoints: string[] = [];
    for (const panel of panels) {
      const series = descendants(panel, (n) => n.name === 'g' && 'data-series' in n.attrs);
      expect(series.map((s) => s.attrs['data-series'])).toEqual(names.map((n) => `${n} (lr ${lrs[n]})`));
      for (const s of series) {
        const paths = descendants(s, (n) => n.name === 'path');
        expect(paths).toHaveLength(1);
        if (panel.attrs['data-panel'] === 'loss') firstPoints.push(/^M([\d.]+,[\d.]+)/.exec(paths[0].attrs.d)![1]);
      }
      const text = allText(panel);
      for (const n of names) expect(text).toContain(`${n} (lr ${lrs[n]})`); // legend
    }
    // same initial weights and first batch: every loss curve starts at the same point
    expect(new Set(firstPoints).size).toBe(1);
    const text = allText(svg);
    for (const label of ['training loss per step', 'test accuracy (%)', 'step (mini-batch update)', 'epoch']) expect(text).toContain(label);
  }, 120_000);

  it('--help lists the default optimizers and their learning rates', () => {
    const r = run(['compare', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sgd,momentum,nesterov,adagrad,rmsprop,adadelta,adam');
    for (const s of ['sgd 0.1', 'momentum 0.05', 'adam 0.003', 'adadelta 1', '--lr NAME=X', '--out FILE', '--epochs', '--data']) expect(r.stdout).toContain(s);
    expect(run(['help', 'compare']).stdout).toBe(r.stdout);
    expect(run(['--help']).stdout).toMatch(/compare\s+train one MLP with several optimizers/);
  });

  it('full-batch methods get the same passes over the data, drawn as steps at the passes they used', () => {
    const r = run(['compare', '--optimizers', 'sgd,lbfgs', '--epochs', '6', '--out', 'c.svg', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[2\/2\] lbfgs\s+done in [\d.]+ s \(\d+ iterations, 6 passes\)/);
    const row = r.stdout.split('\n').find((l) => l.startsWith('lbfgs'))!;
    expect(row).toMatch(/^lbfgs\s+-\s+[\d.]+\s+[\d.]+%/);
    const svg = readFileSync(join(r.cwd, 'c.svg'), 'utf8');
    expect(svg).toContain('lbfgs (full batch)');
    // L-BFGS needs several passes for its first line search: after one pass it is still at the
    // initial weights, whose test accuracy (the first point of every curve) is carried forward
    const pts = (name: string) => {
      const panel = descendants(parseXml(svg), (n) => n.attrs['data-panel'] === 'accuracy')[0];
      const g = descendants(panel, (n) => n.attrs['data-series'] === name);
      return g.flatMap((n) => descendants(n, (c) => c.name === 'circle')).map((c) => Number(c.attrs.cy));
    };
    const lb = pts('lbfgs (full batch)');
    expect(lb.length).toBeGreaterThan(2);
    expect(lb[1]).toBe(lb[0]);
    expect(Math.min(...lb)).toBeLessThan(lb[0]); // higher accuracy is drawn higher (smaller y)
    const bad = run(['compare', '--optimizers', 'sgd,lbfgs', '--lr', 'lbfgs=0.1']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/lbfgs is a full-batch method: it sets its steps by a line search/);
  }, 120_000);

  it('bad optimizer names and learning-rate overrides fail before training with a one-line message', () => {
    const bad = (args: string[], msg: RegExp) => {
      const r = run(['compare', ...args]);
      expect(r.status, r.stdout).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(existsSync(join(r.cwd, 'compare.svg'))).toBe(false);
    };
    bad(['--optimizers', 'sgd,adamm'], /^descent: --optimizers: unknown optimizer "adamm"; known: sgd, .*adam/);
    bad(['--optimizers', 'adam,adam'], /adam is listed twice/);
    bad(['--optimizers', 'sgd,adam', '--lr', 'rmsprop=0.1'], /"rmsprop" is not among the compared optimizers \(sgd, adam\)/);
    bad(['--optimizers', 'sgd,adam', '--lr', 'adam=fast'], /--lr adam: expected a number, got "fast"/);
    bad(['--optimizers', 'sgd,adam', '--lr', 'adam=0'], /--lr adam: the learning rate must be positive/);
    bad(['--lr', 'quick'], /--lr quick: expected one number for all optimizers or NAME=X pairs/);
    bad(['--lr-schedule', 'linear'], /--lr-schedule: unknown schedule "linear"/);
  }, 120_000);
});

describe('descent train --optimizer', () => {
  it('adam at lr 0.01 reaches 90% test accuracy on digits in 5 epochs', () => {
    const r = run(['train', '--optimizer', 'adam', '--lr', '0.01', '--epochs', '5', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('adam lr 0.01, batch 32, 5 epochs, seed 0');
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(90);
  }, 120_000);

  it('takes --opt KEY=VALUE pairs, --momentum, --weight-decay and --lr-schedule', () => {
    let r = run(['train', '--optimizer', 'adam', '--opt', 'betas=0.9,0.99', '--opt', 'amsgrad=true', '--epochs', '1', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('adam lr 0.003, betas 0.9,0.99, amsgrad true, batch 32');
    r = run(['train', '--optimizer', 'momentum', '--momentum', '0.95', '--weight-decay', '1e-4', '--lr-schedule', 'warmup:20+cosine', '--epochs', '3', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('momentum lr 0.05 (warm-up 20 steps, then cosine over 115 steps), momentum 0.95, weight_decay 0.0001');
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(90);
    r = run(['train', '--lr-schedule', 'step:45:0.5', '--epochs', '2', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(run(['train', '--help']).stdout).toMatch(/--optimizer NAME[\s\S]*--lr-schedule SPEC[\s\S]*--momentum X[\s\S]*--weight-decay X[\s\S]*--opt KEY=VALUE/);
  }, 120_000);

  it('asgd (the model is the averaged iterate once t0 steps are done), --lr-schedule cyclic with momentum cycling, poly', () => {
    let r = run(['train', '--optimizer', 'asgd', '--opt', 't0=100', '--epochs', '5', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('asgd lr 0.1, t0 100, batch 32, 5 epochs');
    expect(r.stdout).toContain('asgd: evaluating and saving the averaged iterate ax');
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(90);
    r = run(['train', '--optimizer', 'momentum', '--lr', '0.01', '--lr-schedule', 'warmup:10+cyclic:50:10:triangular2', '--epochs', '3', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('momentum lr 0.01 (warm-up 10 steps, then cyclic triangular2 between 0.01 and 0.1, 50 steps each way), momentum cycled 0.9 → 0.8 → 0.9, batch 32');
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(90);
    r = run(['train', '--optimizer', 'adam', '--lr-schedule', 'cyclic:40:4:exp_range:0.99', '--epochs', '1', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('adam lr 0.003 (cyclic exp_range γ 0.99 between 0.003 and 0.012, 40 steps each way), batch 32'); // no momentum to cycle
    r = run(['train', '--lr-schedule', 'poly:2', '--epochs', '2', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('sgd lr 0.1 (polynomial decay (power 2) to 0 over 90 steps), batch 32');
    expect(run(['train', '--help']).stdout).toMatch(/asgd[\s\S]*--lr-schedule SPEC[\s\S]*poly:P[\s\S]*cyclic:N:F:MODE:γ/);
  }, 120_000);

  it('unknown optimizers, hyper-parameters and bad values are one-line errors with exit code 1', () => {
    const bad = (args: string[], msg: RegExp) => {
      const r = run(['train', ...args, '--epochs', '1']);
      expect(r.status, r.stdout).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    };
    bad(['--optimizer', 'adamm'], /--optimizer: unknown optimizer "adamm"; known: sgd,/);
    bad(['--optimizer', 'adam', '--momentum', '0.9'], /adam: unknown hyper-parameter "momentum"; known: lr, betas/);
    bad(['--opt', 'betas=0.9,0.99'], /sgd: unknown hyper-parameter "betas"/);
    bad(['--optimizer', 'adam', '--opt', 'betas=0.9'], /adam: betas must be an array of 2 numbers, got 0\.9/);
    bad(['--optimizer', 'adam', '--opt', 'eps=small'], /--opt eps=small: expected a number, true\/false or numbers separated by commas/);
    bad(['--opt', 'lr=0.1'], /--opt lr: give the learning rate with --lr/);
    bad(['--momentum', '0.9', '--opt', 'momentum=0.8'], /momentum is given twice/);
    bad(['--lr-schedule', 'step:0'], /--lr-schedule step:0: step: stepSize must be a positive integer/);
    bad(['--lr-schedule', 'cosine+step:10'], /one of constant, cosine, step, poly, cyclic at most/);
    bad(['--lr-schedule', 'cyclic:50:0.5'], /--lr-schedule cyclic:50:0\.5: the factor F of the maximum F·lr must be ≥ 1, got 0\.5/);
    bad(['--lr-schedule', 'cyclic:50:10:sawtooth'], /--lr-schedule cyclic:50:10:sawtooth: cyclic: mode must be 'triangular', 'triangular2' or 'exp_range'/);
    bad(['--lr-schedule', 'poly:x'], /--lr-schedule poly:P: expected a number, got "x"/);
    bad(['--optimizer', 'asgd', '--opt', 'lambd=-1'], /asgd: lambd must be a finite number ≥ 0, got -1/);
  }, 120_000);
});

describe('compareChartSvg', () => {
  it('smooths with a centred moving average that starts at the first value and is one-sided at the end', () => {
    expect(Array.from(movingAverage([1, 2, 3, 4, 5, 6], 3))).toEqual([1, 2, 3, 4, 5, 5.5]);
    expect(Array.from(movingAverage([4, 0, 8], 1))).toEqual([4, 0, 8]);
    expect(Array.from(movingAverage([2, 4, 6, 8], 4))).toEqual([2, 4, 5, 6]); // even → 5 wide, cut at the end
    expect(() => movingAverage([1], 0)).toThrow(/window must be a positive integer/);
    expect([defaultWindow(40), defaultWindow(450), defaultWindow(1875)]).toEqual([1, 9, 39]);
  });

  it('thins long runs, leaves epoch 0 out of the accuracy panel and checks its input', () => {
    const stepLoss = Array.from({ length: 5000 }, (_, i) => 2 / (1 + i / 100));
    const svg = compareChartSvg([{ name: 'a & b', stepLoss, evalEpoch: [0, 0.5, 1], accuracy: [0.1, 0.8, 0.9] }], { maxPoints: 100 });
    const root = parseXml(svg);
    const [loss, acc] = descendants(root, (n) => n.name === 'g' && 'data-panel' in n.attrs);
    const points = (g: Node) => descendants(g, (n) => n.name === 'path')[0].attrs.d.split(/[ML]/).filter((t) => t !== '').length;
    expect(points(loss)).toBeLessThanOrEqual(101);
    expect(points(acc)).toBe(2);
    expect(allText(root)).toContain('a & b'.replace('&', '&amp;'));
    expect(() => compareChartSvg([])).toThrow(/non-empty array/);
    expect(() => compareChartSvg([{ name: 'x', stepLoss: [1], evalEpoch: [1, 2], accuracy: [0.5] }])).toThrow(/differ in length/);
  });
});
