// Optimizer objects (src/optim/optimizer.ts) and checkpoints (src/io/checkpoint.ts): segments and
// runs, weight-decay masks, L1, schedules as hyper-parameters, parameter groups, freezing,
// state dicts, bit-exact resume, and bad input that must leave everything unchanged.
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { digits } from '../src/data/digits.js';
import { trainTestSplit } from '../src/data/split.js';
import type { Dataset } from '../src/data/dataset.js';
import { Model } from '../src/nn/model.js';
import { fit, evaluate } from '../src/train/fit.js';
import { optimizer, RuleOptimizer } from '../src/optim/optimizer.js';
import { adam, rules, sgd as sgdRule, withDefaults } from '../src/optim/rules.js';
import * as schedules from '../src/optim/schedules.js';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint.js';
import { loadModel } from '../src/io/model-file.js';
import { gradientNoise } from '../src/optim/gradient-noise.js';
import { bits, rng } from './reference.js';

const e = Engine.createSync();
const data = digits();
const { train, test } = trainTestSplit(data, { testFraction: 0.2, seed: 1 });
const part: Dataset = { ...train, n: 320, x: train.x.slice(0, 320 * 64), labels: train.labels!.slice(0, 320) };
const mlp = (engine = e, seed = 1) =>
  new Model(engine, { inputs: 64, layers: [{ units: 16, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed });

/** Fill the model's gradient with seeded values in (−1, 1) (some exactly 0 would be rare). */
function randomGradient(m: Model, seed: number): Float32Array {
  const r = rng(seed);
  const g = m.gradients().data;
  for (let i = 0; i < g.length; i++) g[i] = 2 * r() - 1;
  return g.slice();
}
const ctx = (m: Model, step: number) => ({ step, epoch: 0, model: m });

describe('optimizer objects', () => {
  it('runs the rule kernel over the flat vector; split runs give the same bits as one pass', () => {
    for (const name of Object.keys(rules)) {
      const m = mlp();
      const p0 = m.parameters().toArray();
      // weight_decay 0: the mask then changes nothing, but biases (weight_decay 0 explicitly)
      // and weights (the rule's own) still run as separate passes, which must not change a bit
      const opt = optimizer(name, { weight_decay: 0 });
      const rule = rules[name as keyof typeof rules] as typeof sgdRule;
      const hyper = withDefaults(rule, { weight_decay: 0 });
      const P = e.arena('test ref'), params = P.tensor([m.parameterCount], p0), grads = P.empty([m.parameterCount]);
      const state: Record<string, number> = {};
      for (const s of rule.stateNames) {
        if (!rule.uses(s, hyper)) continue;
        const t = P.empty([m.parameterCount]);
        t.data.fill(rule.initState(s, hyper));
        state[s] = t.pointer();
      }
      const scalars = rule.initScalars(hyper);
      for (let t = 0; t < 3; t++) {
        grads.data.set(randomGradient(m, 10 + t));
        opt.step(m.parameters(), m.gradients(), ctx(m, t));
        rule.kernel(e.kernels, m.parameterCount, params.pointer(), grads.pointer(), state, rule.coefficients(t + 1, hyper, scalars), hyper);
      }
      expect(opt.segments().map((s) => s.steps)).toEqual([3, 3, 3, 3]);
      expect(bits(m.parameters().toArray()), name).toEqual(bits(params.toArray()));
      P.release();
      opt.release();
      m.release();
    }
  });

  it('weight decay skips biases by default; decayBiases decays them', () => {
    const run = (wd: number, decayBiases?: boolean) => {
      const m = mlp();
      const opt = optimizer('sgd', { lr: 0.1, weight_decay: wd }, decayBiases === undefined ? {} : { decayBiases });
      randomGradient(m, 3);
      for (const l of m.layers) l.b!.data.fill(0.25); // biases start at 0, where decay does nothing
      opt.step(m.parameters(), m.gradients(), ctx(m, 0));
      const out = { W: m.layers[0].W.toArray(), b: m.layers[0].b!.toArray(), W1: m.layers[1].W.toArray(), b1: m.layers[1].b!.toArray() };
      m.release();
      return out;
    };
    const plain = run(0), decayed = run(0.5), all = run(0.5, true);
    expect(bits(decayed.b)).toEqual(bits(plain.b));
    expect(bits(decayed.b1)).toEqual(bits(plain.b1));
    expect(bits(decayed.W)).not.toEqual(bits(plain.W));
    expect(bits(all.b)).not.toEqual(bits(plain.b));
    expect(bits(all.W)).toEqual(bits(decayed.W));
  });

  it('L1 adds λ·sign(θ) to the gradient of decayed segments before the rule', () => {
    const lambda = 0.01;
    const a = mlp(), b = mlp();
    randomGradient(a, 4);
    const g = randomGradient(b, 4);
    const p = b.parameters().data;
    // reference: the L1 subgradient added in JS (one f32 add per element), then plain SGD
    for (const l of b.layers) {
      for (let i = l.weightOffset; i < l.weightOffset + l.inputs * l.units; i++) {
        const l32 = Math.fround(lambda); // the kernel adds λ as an f32
        b.gradients().data[i] = Math.fround(g[i] + (p[i] > 0 ? l32 : p[i] < 0 ? -l32 : 0));
      }
    }
    optimizer('sgd', { lr: 0.1 }, { l1: lambda }).step(a.parameters(), a.gradients(), ctx(a, 0));
    optimizer('sgd', { lr: 0.1 }).step(b.parameters(), b.gradients(), ctx(b, 0));
    expect(bits(a.parameters().toArray())).toEqual(bits(b.parameters().toArray()));
    expect(bits(a.gradients().toArray())).toEqual(bits(b.gradients().toArray()));
    a.release(); b.release();
  });

  it('any hyper-parameter may be a schedule: the value at each step is the one used', () => {
    const lrAt = (t: number) => 0.1 / (1 + t);
    const muAt = schedules.momentumWarmup(0.5, 0.9, { steps: 3 });
    const a = mlp(), b = mlp();
    const scheduled = optimizer('sgd', { lr: lrAt, momentum: muAt });
    // reference: the SGD rule driven by hand with the numbers of each step
    const P = e.arena('sched ref'), buf = P.tensor([b.parameterCount]);
    for (let t = 0; t < 4; t++) {
      randomGradient(a, 20 + t);
      randomGradient(b, 20 + t);
      scheduled.step(a.parameters(), a.gradients(), ctx(a, t));
      const h = withDefaults(sgdRule, { lr: lrAt(t), momentum: muAt(t) });
      sgdRule.kernel(e.kernels, b.parameterCount, b.parameters().pointer(), b.gradients().pointer(),
        { momentum_buffer: buf.pointer() }, sgdRule.coefficients(t + 1, h, {}), h);
    }
    expect(scheduled.learningRate({ step: 2, epoch: 0 })).toBe(lrAt(2));
    expect(bits(a.parameters().toArray())).toEqual(bits(b.parameters().toArray()));
    P.release(); a.release(); b.release();
  });

  it('per-layer learning-rate multipliers scale the step of that layer only', () => {
    const a = mlp(), b = mlp();
    const p0 = a.parameters().toArray();
    randomGradient(a, 5);
    const g = randomGradient(b, 5);
    optimizer('sgd', { lr: 0.2 }, { groups: [{ layers: [1], lrScale: 0.25 }] }).step(a.parameters(), a.gradients(), ctx(a, 0));
    const l1 = a.layers[1];
    const W = a.parameters().data;
    for (let i = 0; i < a.parameterCount; i++) {
      const lr = i >= l1.weightOffset ? 0.05 : 0.2;
      expect(Math.abs(W[i] - (p0[i] - lr * g[i]))).toBeLessThan(1e-6);
    }
    a.release(); b.release();
  });

  it('frozen layers keep their parameters and state; unfreezing starts their step count at 1', () => {
    const m = mlp();
    const opt = optimizer('adam', { lr: 0.01 }, { groups: [{ layers: [0], frozen: true }] });
    const W0 = m.layers[0].W.toArray(), b0 = m.layers[0].b!.toArray(), W1 = m.layers[1].W.toArray();
    for (let t = 0; t < 3; t++) {
      randomGradient(m, 30 + t);
      opt.step(m.parameters(), m.gradients(), ctx(m, t));
    }
    expect(bits(m.layers[0].W.toArray())).toEqual(bits(W0));
    expect(bits(m.layers[0].b!.toArray())).toEqual(bits(b0));
    expect(bits(m.layers[1].W.toArray())).not.toEqual(bits(W1));
    expect(opt.segments().map((s) => [s.layer, s.steps, s.frozen])).toEqual([[0, 0, true], [0, 0, true], [1, 3, false], [1, 3, false]]);
    const sd = opt.stateDict();
    const n0 = m.layers[0].inputs * m.layers[0].units + m.layers[0].units;
    expect(sd.buffers.exp_avg.subarray(0, n0).every((x) => x === 0)).toBe(true);
    opt.setFrozen([0], false);
    const g = randomGradient(m, 40);
    opt.step(m.parameters(), m.gradients(), ctx(m, 3));
    // Adam's first step: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε) ≈ lr·sign(g)
    const W = m.layers[0].W.data;
    for (let i = 0; i < W.length; i++) {
      if (Math.abs(g[i]) < 1e-3) continue;
      expect(Math.abs(W0[i] - W[i] - 0.01 * Math.sign(g[i]))).toBeLessThan(1e-6);
    }
    expect(opt.segments().map((s) => s.steps)).toEqual([1, 1, 4, 4]);
    m.release();
  });

  it('bad hyper-parameters and options throw errors that name them', () => {
    expect(() => optimizer('adam', { lr: -1 })).toThrow(/adam: lr must be a finite number ≥ 0, got -1/);
    expect(() => optimizer('adam', { lr: NaN })).toThrow(/adam: lr must be/);
    expect(() => optimizer('adam', { betas: [0.9, 1] })).toThrow(/adam: betas must be two numbers in \[0, 1\)/);
    expect(() => optimizer('adam', { beta1: 0.9 })).toThrow(/adam: unknown hyper-parameter "beta1"/);
    expect(() => optimizer('adamm')).toThrow(/unknown optimizer "adamm"; known: sgd, .*adam/);
    expect(() => optimizer('sgd', { lr: () => -0.1 })).toThrow(/sgd: lr schedule returned -0.1 at step 0/);
    expect(() => optimizer('sgd', {}, { groups: [{ lrScale: -1 }] })).toThrow(/group 0: lrScale must be a finite number ≥ 0/);
    expect(() => optimizer('sgd', {}, { clipNorm: 0 })).toThrow(/clipNorm must be a finite number > 0/);
    expect(() => optimizer('sgd', {}, { lr: 0.1 } as never)).toThrow(/unknown option "lr"/);
    const m = mlp();
    expect(() => optimizer('sgd', {}, { groups: [{ layers: [2] }] }).bind(m)).toThrow(/group 0: layer 2 does not exist \(the model has 2 layers\)/);
    m.release();
  });

  it('a schedule that turns NaN mid-run stops that step before anything changes', () => {
    const m = mlp();
    const opt = optimizer('adam', { lr: (t: number) => (t < 2 ? 1e-3 : NaN) });
    for (let t = 0; t < 2; t++) {
      randomGradient(m, 50 + t);
      opt.step(m.parameters(), m.gradients(), ctx(m, t));
    }
    const p = m.parameters().toArray(), sd = opt.stateDict();
    expect(() => opt.step(m.parameters(), m.gradients(), ctx(m, 2))).toThrow(/adam: lr schedule returned NaN at step 2/);
    expect(bits(m.parameters().toArray())).toEqual(bits(p));
    const after = opt.stateDict();
    expect(after.steps).toEqual(sd.steps);
    expect(bits(after.buffers.exp_avg)).toEqual(bits(sd.buffers.exp_avg));
    m.release();
  });

  it('state dicts round-trip; one from another model or rule is refused and changes nothing', () => {
    const a = mlp(), b = mlp();
    const opt = optimizer('nadam', { lr: 1e-2 });
    for (let t = 0; t < 3; t++) {
      randomGradient(a, 60 + t);
      opt.step(a.parameters(), a.gradients(), ctx(a, t));
    }
    b.parameters().data.set(a.parameters().data);
    const copy = optimizer('nadam', { lr: 1e-2 });
    copy.loadStateDict(opt.stateDict(), b);
    for (let t = 3; t < 6; t++) {
      randomGradient(a, 60 + t);
      randomGradient(b, 60 + t);
      opt.step(a.parameters(), a.gradients(), ctx(a, t));
      copy.step(b.parameters(), b.gradients(), ctx(b, t));
    }
    expect(bits(b.parameters().toArray())).toEqual(bits(a.parameters().toArray()));
    // another model (different size) and another rule
    const big = new Model(e, { inputs: 64, layers: [{ units: 20, activation: 'tanh' }, { units: 10 }], loss: 'softmax-cross-entropy', seed: 1 });
    const other = optimizer('nadam');
    expect(() => other.loadStateDict(opt.stateDict(), big)).toThrow(/state is for 1210 parameters, the model has 1510 \(a state dict from another model\?\)/);
    expect(() => optimizer('adam').loadStateDict(opt.stateDict(), a)).toThrow(/belongs to rule "nadam"/);
    const before = copy.stateDict();
    const bad = { ...opt.stateDict(), buffers: { ...opt.stateDict().buffers, exp_avg: new Float32Array(5) } };
    expect(() => copy.loadStateDict(bad)).toThrow(/buffer exp_avg must be a Float32Array of 1210 values/);
    expect(bits(copy.stateDict().buffers.exp_avg)).toEqual(bits(before.buffers.exp_avg));
    expect(() => opt.step(big.parameters(), big.gradients(), ctx(big, 6))).toThrow(/nadam: this optimizer holds state for a different model \(1210 parameters in 4 segments\)/);
    a.release(); b.release(); big.release();
  });

  it('releasing the optimizer frees its state', () => {
    const m = mlp();
    const before = e.memoryStats().liveBytes;
    const opt = optimizer('adam', { amsgrad: true });
    randomGradient(m, 1);
    opt.step(m.parameters(), m.gradients(), ctx(m, 0));
    expect(e.memoryStats().liveBytes - before).toBeGreaterThanOrEqual(3 * 4 * m.parameterCount);
    opt.release();
    expect(e.memoryStats().liveBytes).toBe(before);
    m.release();
  });

  it('trains digits through fit: Adam and momentum reach the accuracy of tuned SGD', () => {
    for (const [name, hyper] of [['adam', { lr: 3e-3 }], ['momentum', { lr: 0.05 }]] as const) {
      const m = mlp();
      fit(m, train, { epochs: 15, batchSize: 32, optimizer: optimizer(name, hyper), seed: 2 });
      expect(evaluate(m, test).accuracy, name).toBeGreaterThan(0.93);
      m.release();
    }
  });
});

describe('the other rules through fit', () => {
  it('Rprop variants (full batch, iRprop+ sees the loss) and delta-bar-delta train digits', () => {
    for (const [name, hyper, B, epochs] of [
      ['rprop+', {}, 'full', 60], ['rprop-', {}, 'full', 60], ['irprop+', {}, 'full', 60], ['irprop-', {}, 'full', 60],
      // delta-bar-delta adapts on sign agreement: a batch method, as Jacobs used it
      ['delta-bar-delta', { lr: 0.05, kappa: 0.01 }, 'full', 100],
    ] as const) {
      const m = mlp();
      const h = fit(m, part, { epochs, batchSize: B, optimizer: optimizer(name, hyper), seed: 2 });
      expect(h.loss[epochs - 1], name).toBeLessThan(0.2 * h.loss[0]);
      expect(evaluate(m, test).accuracy, name).toBeGreaterThan(0.8);
      m.release();
    }
  });

  it('iRprop+ refuses a step without the loss', () => {
    const m = mlp();
    randomGradient(m, 1);
    expect(() => optimizer('irprop+').step(m.parameters(), m.gradients(), { step: 0, epoch: 0, model: m })).toThrow(/loss/);
    m.release();
  });

  it('gradient noise: reproducible for a seed, different for another, and it still trains', () => {
    const run = (seed: number) => {
      const m = mlp();
      fit(m, part, { epochs: 10, batchSize: 32, seed: 1, optimizer: optimizer('sgd', { lr: 0.1 }, { noise: gradientNoise({ eta: 0.01, seed }) }) });
      const p = m.parameters().toArray();
      const acc = evaluate(m, test).accuracy!;
      m.release();
      return { p, acc };
    };
    const a = run(7), b = run(7), c = run(8);
    expect(bits(a.p)).toEqual(bits(b.p));
    expect(bits(a.p)).not.toEqual(bits(c.p));
    expect(a.acc).toBeGreaterThan(0.7); // 100 steps on 320 samples: SGD without noise gets 0.78 here
    expect(() => optimizer('sgd', {}, { noise: {} as never })).toThrow(/noise must be a gradientNoise/);
  });
});

describe('checkpoints', () => {
  const config = () => optimizer('nadam', { lr: schedules.cosine(5e-3, { tMax: 40 }) }, { groups: [{ layers: [1], lrScale: 0.5 }] });

  it('resuming from a checkpoint continues bit for bit as if the run had never stopped', () => {
    const opts = { batchSize: 32, seed: 3 };
    const straight = mlp();
    fit(straight, part, { ...opts, epochs: 4, optimizer: config() });

    const first = mlp();
    const opt1 = config();
    fit(first, part, { ...opts, epochs: 2, optimizer: opt1 });
    const bytes = saveCheckpoint(first, opt1, { epoch: 2, step: 20 });
    first.release(); opt1.release();

    const e2 = Engine.createSync({ isa: e.isa });
    const ck = loadCheckpoint(e2, bytes);
    expect(ck.progress).toEqual({ epoch: 2, step: 20 });
    expect(ck.optimizerName).toBe('nadam');
    const opt2 = config();
    opt2.loadStateDict(ck.optimizer, ck.model);
    fit(ck.model, part, { ...opts, epochs: 4, initialEpoch: ck.progress.epoch, optimizer: opt2 });
    expect(bits(ck.model.parameters().toArray())).toEqual(bits(straight.parameters().toArray()));
    // a checkpoint is a model file too
    const asModel = loadModel(e2, bytes);
    expect(asModel.parameterCount).toBe(straight.parameterCount);
    straight.release(); ck.model.release(); asModel.release();
  });

  it('with dropout too: the mask counter travels in the file, so the resumed run draws the same masks', () => {
    const spec = { inputs: 64, layers: [{ units: 16, activation: 'tanh' as const }, { type: 'dropout' as const, rate: 0.3, seed: 9 }, { units: 10 }], loss: 'softmax-cross-entropy' as const, seed: 1 };
    const opts = { batchSize: 32, seed: 3 };
    const run = (m: Model, from: number, to: number, opt: ReturnType<typeof config>) => fit(m, part, { ...opts, epochs: to, initialEpoch: from, optimizer: opt });
    const straight = new Model(e, spec);
    run(straight, 0, 4, config());
    const first = new Model(e, spec);
    const opt1 = config();
    run(first, 0, 2, opt1);
    expect(first.passes).toBeGreaterThan(0);
    const bytes = saveCheckpoint(first, opt1, { epoch: 2, step: 20 });
    const e2 = Engine.createSync({ isa: e.isa });
    const ck = loadCheckpoint(e2, bytes);
    expect(ck.model.passes).toBe(first.passes);
    const opt2 = config();
    opt2.loadStateDict(ck.optimizer, ck.model);
    run(ck.model, 2, 4, opt2);
    expect(bits(ck.model.parameters().toArray())).toEqual(bits(straight.parameters().toArray()));
    // without the counter (a file from before it was stored) the masks, and so the result, differ
    const hlen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + hlen));
    const withHeader = (h: string) => { const out = bytes.slice(); out.set(new TextEncoder().encode(h.padEnd(hlen, ' ')), 8); return out; };
    const old = loadCheckpoint(e2, withHeader(header.replace(/"passes":"\d+",/, '')));
    expect(old.model.passes).toBe(0);
    const opt3 = config();
    opt3.loadStateDict(old.optimizer, old.model);
    run(old.model, 2, 4, opt3);
    expect(bits(old.model.parameters().toArray())).not.toEqual(bits(straight.parameters().toArray()));
    expect(() => loadCheckpoint(e2, withHeader(header.replace(/"passes":"\d+"/, '"passes":"-3"')))).toThrow(/metadata passes must be an integer in \[0, 2\^32\), got "-3"/);
    for (const m of [straight, first, ck.model, old.model]) m.release();
  });

  it('a damaged checkpoint is refused with the reason', () => {
    const m = mlp();
    const opt = optimizer('adam');
    randomGradient(m, 1);
    opt.step(m.parameters(), m.gradients(), ctx(m, 0));
    const good = saveCheckpoint(m, opt, { epoch: 1, step: 1 });
    expect(() => loadCheckpoint(e, good.subarray(0, good.length - 8))).toThrow(/optimizer.exp_avg_sq: its data ends at byte .* \(truncated\)/);
    const hlen = Number(new DataView(good.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(good.subarray(8, 8 + hlen));
    const swap = (from: string, to: string) => {
      const h = new TextEncoder().encode(header.replace(from, to).padEnd(hlen, ' ').slice(0, hlen));
      const out = good.slice();
      out.set(h, 8);
      return out;
    };
    expect(() => loadCheckpoint(e, swap('"optimizer.exp_avg"', '"optimizer.exp_avx"'))).toThrow(/tensor optimizer.exp_avg is missing/);
    expect(() => loadCheckpoint(e, swap('\\"epoch\\":1', '\\"epoch\\":-1'))).toThrow(/progress must be \{ epoch, step \}/);
    expect(() => saveCheckpoint(m, opt, { epoch: 1.5, step: 0 })).toThrow(/progress must be/);
    m.release();
  });
});

describe('rules stay usable on their own', () => {
  it('withDefaults still validates', () => {
    expect(() => withDefaults(adam, { eps: -1 })).toThrow(/adam: eps must be/);
    expect(new RuleOptimizer(adam, { lr: 0.5 }).hyper(0).lr).toBe(0.5);
  });
});

describe('loadStateDict refuses without binding', () => {
  it('an unbound optimizer given a model and a dict of another layout stays unbound (and binds to that model afterwards)', () => {
    const small = new Model(e, { inputs: 3, seed: 1, layers: [{ units: 2, activation: 'tanh' }, { units: 2 }] });
    const big = new Model(e, { inputs: 5, seed: 1, layers: [{ units: 4, activation: 'tanh' }, { units: 2 }] });
    const source = optimizer('adam');
    source.bind(small);
    source.step(small.parameters(), small.gradients(), { step: 0, epoch: 0 });
    const sd = source.stateDict();
    const before = e.memoryStats();
    const fresh = optimizer('adam');
    expect(() => fresh.loadStateDict(sd, big)).toThrow(/state is for \d+ parameters, the model has \d+/);
    expect(e.memoryStats().liveBytes).toBe(before.liveBytes);
    // still unbound: it takes the small model's state, which a binding to `big` would refuse
    fresh.loadStateDict(sd, small);
    expect(fresh.stateDict()).toEqual(sd);
    for (const x of [small, big]) x.release();
    source.release();
    fresh.release();
  });
});
