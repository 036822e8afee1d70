// Landscape pictures (src/plot/landscape.ts), optimizer trajectories (src/plot/trajectories.ts)
// and `descent landscape` (src/cli/landscape.ts, run as node dist/cli.js in a temporary folder).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { landscapeLevels, landscapeSvg } from '../src/plot/landscape.js';
import {
  LANDSCAPE_FUNCTIONS, landscapeProblem, optimizerTrajectory, TRAJECTORY_OPTIMIZERS, type Trajectory,
} from '../src/plot/trajectories.js';
import { rosenbrockChained } from '../src/problems/classic.js';

import { descendants as all, parseXml, textOf } from './xml.js';

const runsOf = (fn: string): Trajectory[] => {
  const p = landscapeProblem(fn);
  return TRAJECTORY_OPTIMIZERS.map((o) => optimizerTrajectory(p, o));
};

describe('optimizerTrajectory', () => {
  it('starts every optimizer at the problem\'s x0 on every landscape', () => {
    for (const fn of LANDSCAPE_FUNCTIONS) {
      const p = landscapeProblem(fn);
      for (const t of runsOf(fn)) {
        expect([t.x[0], t.y[0]], `${fn} ${t.name}`).toEqual([p.x0[0], p.x0[1]]);
        expect(t.f[0]).toBe(p.objective.value(p.x0));
        expect(t.x.length).toBe(t.y.length);
        expect(t.x.length).toBeGreaterThan(1);
      }
    }
  });

  it('brings every method to the minimum of the quadratic', () => {
    const p = landscapeProblem('quadratic');
    for (const t of runsOf('quadratic')) {
      const k = t.x.length - 1;
      expect(t.stopped, t.name).toBeUndefined();
      expect(Math.hypot(t.x[k] - 1, t.y[k] - 1), t.name).toBeLessThan(0.01);
      expect(t.f[k], t.name).toBeLessThan(1e-3 * t.f[0]);
      expect(t.f[k]).toBeCloseTo(p.objective.value(Float64Array.of(t.x[k], t.y[k])), 12);
    }
    // the line-search methods need a handful of iterations, the rules their full budget
    const byName = Object.fromEntries(runsOf('quadratic').map((t) => [t.name, t]));
    expect(byName.newton.x.length - 1).toBeLessThanOrEqual(2);
    expect(byName.cg.x.length - 1).toBeLessThanOrEqual(3);
    expect(byName.adam.x.length - 1).toBe(500);
  });

  it('follows the f64 rule references step for step (SGD on the quadratic by hand)', () => {
    const p = landscapeProblem('quadratic');
    const t = optimizerTrajectory(p, 'sgd', { steps: 3, lr: 0.1 });
    const x = Float64Array.from(p.x0), g = new Float64Array(2);
    for (let k = 1; k <= 3; k++) {
      p.objective.gradient(x, g);
      x[0] -= 0.1 * g[0];
      x[1] -= 0.1 * g[1];
      expect([t.x[k], t.y[k]]).toEqual([x[0], x[1]]);
    }
    expect(t.lr).toBe(0.1);
    expect(t.method).toBe('rule');
    expect(optimizerTrajectory(p, 'lbfgs').method).toBe('minimize');
  });

  it('cuts runs that leave the window at its edge and stops diverging runs', () => {
    const p = landscapeProblem('saddle');
    for (const t of runsOf('saddle')) {
      const k = t.x.length - 1;
      expect(t.stopped, t.name).toBe('left');
      expect(Math.abs(t.y[k]), t.name).toBeCloseTo(1.5, 12); // x₂ grows: out at the top or bottom
      expect(t.f[k]).toBeCloseTo(p.objective.value(Float64Array.of(t.x[k], t.y[k])), 12);
    }
    // far too large a rate on Rosenbrock overflows or leaves: the run ends early, marked
    const big = optimizerTrajectory(landscapeProblem('rosenbrock'), 'sgd', { lr: 0.5, bounds: [[-1e300, 1e300], [-1e300, 1e300]] });
    expect(big.stopped).toBe('diverged');
    expect(big.x.length).toBeLessThan(501);
    expect(big.x.every(Number.isFinite) && big.f.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad input with DescentErrors', () => {
    const p = landscapeProblem('beale');
    expect(() => optimizerTrajectory(p, 'bogus')).toThrow(DescentError);
    expect(() => optimizerTrajectory(p, 'bogus')).toThrow(/unknown optimizer "bogus"; known: sgd/);
    expect(() => optimizerTrajectory(p, 'adam', { steps: 0 })).toThrow(/steps must be a positive integer/);
    expect(() => optimizerTrajectory(p, 'adam', { lr: -1 })).toThrow(/lr of adam must be a positive number/);
    expect(() => optimizerTrajectory(p, 'adam', { x0: [1, NaN] })).toThrow(/x0 must be two finite numbers/);
    expect(() => optimizerTrajectory(rosenbrockChained(3), 'adam')).toThrow(/3 variables; trajectories need 2/);
    expect(() => landscapeProblem('himmelblau')).toThrow(/unknown function "himmelblau"; known: beale, rosenbrock, saddle, quadratic/);
  });
});

describe('landscapeSvg', () => {
  it('draws contours, one path per optimizer, the minima and a legend, as well-formed XML', () => {
    for (const fn of LANDSCAPE_FUNCTIONS) {
      const p = landscapeProblem(fn);
      const runs = runsOf(fn);
      const svg = landscapeSvg(p, runs);
      const root = parseXml(svg);
      expect(root.name).toBe('svg');
      expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
      expect(root.attrs.viewBox).toBe('0 0 960 660');
      const paths = all(root, (e) => e.name === 'path' && e.attrs.class === 'trajectory');
      expect(paths.length, fn).toBe(TRAJECTORY_OPTIMIZERS.length);
      for (const path of paths) expect(path.attrs.d).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+$/);
      const groups = all(root, (e) => e.attrs['data-run'] !== undefined).map((e) => e.attrs['data-run']);
      expect(groups).toEqual([...TRAJECTORY_OPTIMIZERS]);
      const contours = all(root, (e) => e.name === 'path' && e.attrs.class === 'contour');
      expect(contours.length, fn).toBeGreaterThanOrEqual(8);
      for (const c of contours) expect(c.attrs.d).toMatch(/^M-?[\d.]+,-?[\d.]+L/);
      expect(all(root, (e) => e.attrs['data-start'] !== undefined)).toHaveLength(1); // one shared start
      expect(all(root, (e) => e.attrs['data-end'] !== undefined)).toHaveLength(TRAJECTORY_OPTIMIZERS.length);
      expect(all(root, (e) => e.attrs['data-minimum'] !== undefined)).toHaveLength(fn === 'saddle' ? 0 : 1);
      expect(all(root, (e) => e.attrs['data-saddle'] !== undefined)).toHaveLength(fn === 'saddle' ? 1 : 0);
      const text = textOf(root);
      for (const label of ['SGD', 'Momentum', 'Nesterov', 'AdaGrad', 'RMSProp', 'AdaDelta', 'Adam', 'Rprop', 'CG', 'L-BFGS', 'Newton']) {
        expect(text, `${fn} legend`).toContain(label);
      }
      expect(text).toContain('start');
      // the legend gives each run's learning rate (first-order rules) and final value
      expect(text).toContain(`SGD  lr ${runs[0].lr}  → f `);
      expect(text).toMatch(/Newton  → f /);
      if (fn === 'saddle') expect(text).toContain('(out of view)');
      expect(text).toContain(fn === 'saddle' ? 'saddle point' : 'minimum');
    }
  });

  it('spaces levels logarithmically where f spans decades, linearly on the saddle', () => {
    const svgOf = (fn: string) => landscapeSvg(landscapeProblem(fn), []);
    expect(svgOf('rosenbrock')).toContain('log-spaced');
    expect(svgOf('beale')).toContain('log-spaced');
    expect(svgOf('saddle')).toContain('evenly spaced');
    const { levels, log } = landscapeLevels(Array.from({ length: 1000 }, (_, i) => 1e-3 * 1.02 ** i), 14);
    expect(log).toBe(true);
    for (let i = 1; i < levels.length; i++) expect(levels[i] / levels[i - 1]).toBeGreaterThanOrEqual(3 - 1e-9);
    const lin = landscapeLevels(Array.from({ length: 101 }, (_, i) => i - 50), 10);
    expect(lin.log).toBe(false);
    expect(lin.levels).toEqual([-40, -30, -20, -10, 0, 10, 20, 30, 40]);
  });

  it('draws level lines only when filled is false, and escapes names', () => {
    const p = landscapeProblem('quadratic');
    const svg = landscapeSvg(p, [{ name: 'a<b & "c"', x: [0, 1], y: [0, 1] }], { filled: false, title: 'T & <U>' });
    const root = parseXml(svg);
    const contours = all(root, (e) => e.attrs.class === 'contour');
    expect(contours.length).toBeGreaterThan(3);
    for (const c of contours) expect(c.attrs.fill).toBe('none');
    expect(textOf(root)).toContain('a&lt;b &amp; &quot;c&quot;');
  });

  it('rejects bad input with DescentErrors', () => {
    const p = landscapeProblem('beale');
    expect(() => landscapeSvg(rosenbrockChained(3), [])).toThrow(/3 variables; a landscape needs 2/);
    expect(() => landscapeSvg(p, [{ name: 'r', x: [0, 1], y: [0] }])).toThrow(/x and y differ in length/);
    expect(() => landscapeSvg(p, {} as never)).toThrow(DescentError);
    expect(() => landscapeSvg(p, [], { xDomain: [1, 0] })).toThrow(/xDomain must be \[min, max\]/);
    expect(() => landscapeSvg(p, [], { resolution: 3 })).toThrow(/resolution must be an integer/);
    expect(() => landscapeSvg(p, [], { width: 100 })).toThrow(/at least 400 × 300/);
    expect(() => landscapeSvg(p, [], { levels: 0 })).toThrow(/levels must be/);
  });
});

describe('descent landscape', () => {
  const cli = new URL('../dist/cli.js', import.meta.url).pathname;
  const run = (args: string[]) => {
    const cwd = mkdtempSync(join(tmpdir(), 'descent-landscape-'));
    return { ...spawnSync(process.execPath, [cli, 'landscape', ...args], { cwd, encoding: 'utf8' }), cwd };
  };

  it('writes the SVG and prints the table', () => {
    const r = run(['--fn', 'quadratic', '--optimizers', 'sgd,adam,lbfgs', '--steps', '300', '--lr', 'adam=0.05']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^optimizer\s+lr\s+steps\s+final f\s+to minimum\s+end$/);
    expect(lines[2]).toMatch(/^SGD\s+0\.15\s+300\s/);
    expect(lines[3]).toMatch(/^Adam\s+0\.05\s+300\s/);
    expect(lines[4]).toMatch(/^L-BFGS\s+-\s+\d+\s.*converged$/);
    const file = join(r.cwd, 'landscape-quadratic.svg');
    expect(existsSync(file)).toBe(true);
    const root = parseXml(readFileSync(file, 'utf8'));
    expect(all(root, (e) => e.attrs.class === 'trajectory')).toHaveLength(3);
  });

  it('draws level lines only with --lines and writes --out', () => {
    const r = run(['--fn', 'saddle', '--optimizers', 'newton,rprop', '--lines', '--out', 'x.svg']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Newton\s+-\s+1\s.*left the window$/m);
    const root = parseXml(readFileSync(join(r.cwd, 'x.svg'), 'utf8'));
    const contours = all(root, (e) => e.attrs.class === 'contour');
    expect(contours.length).toBeGreaterThan(5);
    for (const c of contours) expect(c.attrs.fill).toBe('none');
  });

  it('fails with one line and exit code 1 on unknown names and bad numbers', () => {
    for (const [args, msg] of [
      [['--fn', 'himmelblau'], /--fn: unknown function "himmelblau"; known: beale, rosenbrock, saddle, quadratic/],
      [['--optimizers', 'sgd,bogus'], /--optimizers: unknown optimizer "bogus"; known: sgd,/],
      [['--steps', '0'], /--steps: expected a positive integer/],
      [['--optimizers', 'sgd,cg', '--lr', 'cg=1'], /cg has no learning rate/],
      [['--lr', 'adam=-1'], /--lr adam: expected a positive number/],
    ] as const) {
      const r = run([...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(join(r.cwd, 'landscape-rosenbrock.svg'))).toBe(false);
    }
  });
});
