// Initializers against PyTorch 1.13 (test/fixtures/torch-init-bn.json, scripts/torch-init-bn.py).
// descent cannot replay torch's generator, so each case compares large samples statistically:
// descent draws (through real Dense / Conv2d layers, so the layers' fans are what is tested) at
// least 2^18 weights (and 2^16 biases) and the fixture holds the statistics of as many of torch's
// own draws. Checked, each with a tolerance of 5 standard errors (a false alarm ~1e-6 per check;
// a wrong gain, fan or distribution fails by tens of them):
//   - the variance against torch's sample variance and against the formula's (bound²/3 or std²)
//   - the mean against 0
//   - the empirical CDF of descent's sample at torch's quantiles (uniform vs normal differ by ~0.07)
//   - uniform cases: max |w| ≤ the bound (rounded to f32) and within 20/N of it
// plus torchGain against torch.nn.init.calculate_gain, the lecture gains staying the default,
// spec validation, the "NAME:key=value" text form (the CLI's --init) and save/load of init specs.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/engine/engine.js';
import { loadModel, modelSpec, saveModel } from '../src/io/model-file.js';
import { activationGain } from '../src/nn/activations.js';
import { checkInit, torchGain, type InitSpec, type InitText } from '../src/nn/init.js';
import { Model, type AnyLayerSpec, type ModelSpec } from '../src/nn/model.js';
import { TRAIN_HELP } from '../src/cli/train.js';

interface Stats { n: number; maxAbs: number; mean: number; var: number; p: number[]; q: number[] }
interface Layer { type: 'dense' | 'conv2d'; inputs?: number; units?: number; c?: number; filters?: number; kernel?: number; groups?: number; activation: string; alpha?: number }
interface Case { name: string; spec: InitText | InitSpec; layer: Layer; theory: { weightBound?: number; biasBound?: number; std?: number }; weight: Stats; bias?: Stats }
const F = JSON.parse(readFileSync(new URL('./fixtures/torch-init-bn.json', import.meta.url), 'utf8')) as {
  init: { gains: Record<string, number>; cases: Case[] };
};

const e = Engine.createSync();

function spec(c: Case, seed: number): ModelSpec {
  const L = c.layer, act = { activation: L.activation, ...(L.alpha !== undefined ? { alpha: L.alpha } : {}) };
  if (L.type === 'dense') return { inputs: L.inputs!, seed, layers: [{ units: L.units!, ...act, init: c.spec }, { units: 2 }] };
  const conv = { type: 'conv2d', filters: L.filters, kernel: L.kernel, groups: L.groups, ...act, init: c.spec } as unknown as AnyLayerSpec;
  return { inputs: [L.c!, L.kernel!, L.kernel!], seed, layers: [conv, { units: 2 }] };
}

/** Weights and biases of the case's first layer over seeds 1, 2, … until 2^18 weights and (if wanted) 2^16 biases. */
function draw(c: Case): { w: Float64Array; b: Float64Array } {
  const ws: Float32Array[] = [], bs: Float32Array[] = [];
  let nw = 0, nb = 0;
  for (let seed = 1; nw < 2 ** 18 || (c.bias && nb < 2 ** 16); seed++) {
    const m = new Model(e, spec(c, seed));
    const w = m.layers[0].W.toArray(), b = m.layers[0].b!.toArray();
    ws.push(w); bs.push(b); nw += w.length; nb += b.length;
    m.release();
  }
  const cat = (parts: Float32Array[], n: number): Float64Array => {
    const out = new Float64Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  return { w: cat(ws, nw), b: cat(bs, nb) };
}

function moments(x: Float64Array): { mean: number; v: number; kurt: number; maxAbs: number } {
  let s = 0, maxAbs = 0;
  for (const v of x) { s += v; maxAbs = Math.max(maxAbs, Math.abs(v)); }
  const mean = s / x.length;
  let m2 = 0, m4 = 0;
  for (const v of x) { const d = (v - mean) ** 2; m2 += d; m4 += d * d; }
  m2 /= x.length; m4 /= x.length;
  return { mean, v: m2, kurt: m4 / (m2 * m2), maxAbs };
}

/** Every statistical check of one sample against torch's statistics and the formula's scale. */
function compare(what: string, x: Float64Array, t: Stats, bound: number | undefined, std: number | undefined): string {
  const d = moments(x), N = x.length;
  const k = d.kurt - 1; // Var(w²)/E(w²)²: 0.8 uniform, 2 normal
  const seVar = d.v * Math.sqrt(k / N + k / t.n);
  expect(Math.abs(d.v - t.var), `${what}: variance ${d.v} vs torch's ${t.var} (±${(5 * seVar).toExponential(2)})`).toBeLessThanOrEqual(5 * seVar);
  const theoryVar = bound !== undefined ? (bound * bound) / 3 : std! * std!;
  expect(Math.abs(d.v - theoryVar), `${what}: variance ${d.v} vs the formula's ${theoryVar}`).toBeLessThanOrEqual(5 * theoryVar * Math.sqrt(k / N));
  expect(Math.abs(d.mean), `${what}: mean ${d.mean}`).toBeLessThanOrEqual(5 * Math.sqrt(d.v / N));
  const sorted = Float64Array.from(x).sort();
  let worst = 0;
  t.p.forEach((p, i) => {
    // fraction of descent's draws ≤ torch's p-quantile
    let lo = 0, hi = N;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] <= t.q[i]) lo = mid + 1; else hi = mid; }
    const f = lo / N, se = Math.sqrt(p * (1 - p) * (1 / N + 1 / t.n));
    worst = Math.max(worst, Math.abs(f - p) / se);
    expect(Math.abs(f - p), `${what}: CDF at torch's ${p}-quantile ${t.q[i]}: ${f}`).toBeLessThanOrEqual(5 * se);
  });
  if (bound !== undefined) {
    expect(d.maxAbs, `${what}: max |w| ${d.maxAbs} vs bound ${bound}`).toBeLessThanOrEqual(Math.fround(bound));
    expect(d.maxAbs, `${what}: max |w| ${d.maxAbs} vs bound ${bound}`).toBeGreaterThanOrEqual(bound * (1 - 20 / N));
    expect(t.maxAbs).toBeLessThanOrEqual(Math.fround(bound)); // torch's own draws: the bound is torch's
  } else {
    expect(d.maxAbs / std!).toBeGreaterThan(3.5);
    expect(d.maxAbs / std!).toBeLessThan(6.5);
  }
  return `${what}: N ${N}, var/torch − 1 = ${(d.v / t.var - 1).toExponential(2)}, worst CDF ${worst.toFixed(2)} SE`;
}

const report: string[] = [];
describe('initializers vs PyTorch 1.13 draws', () => {
  for (const c of F.init.cases) {
    it(`${c.name}: ${JSON.stringify(c.spec)}`, () => {
      const { w, b } = draw(c);
      report.push(compare(`${c.name} weight`, w, c.weight, c.theory.weightBound, c.theory.std));
      if (c.bias) report.push(compare(`${c.name} bias`, b, c.bias, c.theory.biasBound, undefined));
      else expect(b.every((v) => v === 0), 'biases other than torch-default start at 0').toBe(true);
    }, 60_000);
  }

  it('a wrong gain fails the checks (the tests can fail)', () => {
    const c = F.init.cases.find((x) => x.name === 'xavier_uniform_ gain tanh')!;
    const { w } = draw({ ...c, spec: 'glorot-uniform' }); // lecture gain 1 instead of torch's 5/3
    expect(() => compare('lecture gain', w, c.weight, c.theory.weightBound, undefined)).toThrow();
    const h = F.init.cases.find((x) => x.name === 'kaiming_normal_ fan_out relu (Linear)')!;
    const { w: wi } = draw({ ...h, spec: 'he-normal' }); // fan_in (300) instead of fan_out (100)
    expect(() => compare('fan_in', wi, h.weight, undefined, h.theory.std)).toThrow();
  }, 60_000);
});

describe('gains', () => {
  it('torchGain is torch.nn.init.calculate_gain', () => {
    const g = F.init.gains;
    const ours: Record<string, number> = {
      linear: torchGain('linear'), conv2d: torchGain('linear'), sigmoid: torchGain('sigmoid'), tanh: torchGain('tanh'),
      relu: torchGain('relu'), leaky_relu: torchGain('leaky-relu'), 'leaky_relu 0.2': torchGain('leaky-relu', 0.2), selu: torchGain('selu'),
    };
    for (const k of Object.keys(g)) expect(Math.abs(ours[k] - g[k]), k).toBeLessThanOrEqual(1e-15 * g[k]);
  });

  it("the lecture's gains stay the default (sigmoid 4, tanh 1), torch's on request", () => {
    expect(activationGain('sigmoid')).toBe(4);
    expect(activationGain('tanh')).toBe(1);
    const w = (init: unknown, activation: string) => {
      const m = new Model(e, { inputs: 300, seed: 3, layers: [{ units: 100, activation, init: init as never }, { units: 2 }] });
      const out = m.layers[0].W.toArray();
      m.release();
      return out;
    };
    const maxAbs = (x: Float32Array) => x.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
    const a = Math.sqrt(6 / 400);
    expect(maxAbs(w('glorot-uniform', 'sigmoid'))).toBeGreaterThan(0.99 * 4 * a);
    expect(maxAbs(w({ name: 'glorot-uniform', gain: 'torch' }, 'sigmoid'))).toBeLessThanOrEqual(Math.fround(a));
    expect(maxAbs(w({ name: 'glorot-uniform', gain: 'lecture' }, 'tanh'))).toBeLessThanOrEqual(Math.fround(a));
    expect(maxAbs(w({ name: 'glorot-uniform', gain: 'torch' }, 'tanh'))).toBeGreaterThan(0.99 * (5 / 3) * a);
    expect(maxAbs(w({ name: 'glorot-uniform', gain: 2.5 }, 'tanh'))).toBeGreaterThan(0.99 * 2.5 * a);
    // the default spec draws the same bits as before: glorot-uniform with the lecture gain
    expect(w(undefined, 'tanh')).toEqual(w({ name: 'glorot-uniform', gain: 'lecture' }, 'tanh'));
  });
});

describe('specs', () => {
  it('text form NAME:key=value,… (the CLI --init) parses to the object form', () => {
    expect(checkInit('he-normal:mode=fan_out,gain=torch', 'x')).toEqual({ name: 'he-normal', mode: 'fan_out', gain: 'torch' });
    expect(checkInit('glorot-uniform:gain=1.5', 'x')).toEqual({ name: 'glorot-uniform', gain: 1.5 });
    expect(checkInit('normal:std=0.01,value=0.5', 'x')).toEqual({ name: 'normal', std: 0.01, value: 0.5 });
    expect(checkInit('torch-default', 'x')).toEqual({ name: 'torch-default' });
    expect(TRAIN_HELP).toMatch(/torch-default/);
    expect(TRAIN_HELP).toMatch(/mode=fan_out/);
  });

  it('bad specs name the problem', () => {
    expect(() => checkInit('he-normal:mode=fan_up', 'layer 0')).toThrow(/layer 0: initializer mode must be 'fan_in' or 'fan_out', got fan_up/);
    expect(() => checkInit({ name: 'glorot-normal', mode: 'fan_out' }, 'l')).toThrow(/glorot-normal takes no mode/);
    expect(() => checkInit({ name: 'torch-default', gain: 'torch' }, 'l')).toThrow(/torch-default takes no gain/);
    expect(() => checkInit({ name: 'he-uniform', gain: 'pytorch' }, 'l')).toThrow(/gain must be a finite number, 'lecture' or 'torch', got pytorch/);
    expect(() => checkInit('he-uniform:gain', 'l')).toThrow(/expected key=value/);
    expect(() => checkInit({ name: 'he-uniform', fan: 'out' }, 'l')).toThrow(/unknown key "fan"/);
    expect(() => new Model(e, { inputs: 3, layers: [{ units: 2, init: 'he-normal:mode=out' as never }] })).toThrow(/model: layer 0: initializer mode/);
  });

  it('the CLI (dist/cli.js): --init text reaches the layers and the model file; a bad one names --init', () => {
    const cli = new URL('../dist/cli.js', import.meta.url).pathname, dir = mkdtempSync(join(tmpdir(), 'descent-init-'));
    const run = (init: string) => spawnSync(process.execPath, [cli, 'train', '--epochs', '1', '--layers', '64-16-10', '--init', init, '--quiet', '--out', 'm.safetensors', '--curve', 'c.svg'], { cwd: dir, encoding: 'utf8' });
    const ok = run('he-uniform:mode=fan_out,gain=torch');
    expect(ok.status, ok.stderr).toBe(0);
    const m = loadModel(e, readFileSync(join(dir, 'm.safetensors')));
    expect(modelSpec(m).layers.map((l) => (l as { init?: unknown }).init)).toEqual([
      { name: 'he-uniform', mode: 'fan_out', gain: 'torch' }, { name: 'he-uniform', mode: 'fan_out', gain: 'torch' }]);
    m.release();
    const bad = run('he-normal:mode=out');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--init: initializer mode must be 'fan_in' or 'fan_out', got out/);
  }, 60_000);

  it('save / load round-trips the init specs, and the loaded spec draws the same weights', () => {
    const s: ModelSpec = {
      inputs: [2, 6, 6], seed: 5, layers: [
        { type: 'conv2d', filters: 4, kernel: 3, init: { name: 'he-uniform', mode: 'fan_out', gain: 'torch' } } as unknown as AnyLayerSpec,
        { units: 7, activation: 'tanh', init: 'torch-default' },
        { units: 3, init: 'glorot-normal:gain=torch' },
      ],
    };
    const m = new Model(e, s);
    const back = loadModel(e, saveModel(m));
    expect(modelSpec(back)).toEqual(modelSpec(m));
    expect(modelSpec(back).layers.map((l) => (l as { init?: unknown }).init)).toEqual([
      { name: 'he-uniform', mode: 'fan_out', gain: 'torch' }, { name: 'torch-default' }, { name: 'glorot-normal', gain: 'torch' }]);
    const first = m.parameters().toArray();
    back.initialize();
    expect(back.parameters().toArray()).toEqual(first);
    // torch-default draws the bias: nonzero, within 1/√fan_in (fan_in = 4·4·4 = 64 after the conv)
    const b = m.layers[1].b!.toArray();
    expect(b.some((v) => v !== 0)).toBe(true);
    expect(b.every((v) => Math.abs(v) <= 1 / 8)).toBe(true);
    m.release();
    back.release();
  });
});

describe('report', () => {
  it('statistics', () => console.log(report.join('\n')));
});
