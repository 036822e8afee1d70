// Image layers in whole models: every parameter's gradient against central differences of an
// independent float64 forward pass (reference-cnn.ts), the bits the same on 1, 2 and 3 threads,
// and the errors a spec gets for shapes that cannot work. PyTorch agreement is cnn-torch.test.ts.
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { Model, type AnyLayerSpec } from '../src/nn/model.js';
import { engineFor, isas } from './engines.js';
import { meanLoss, numericGradient } from './reference-mlp.js';
import { cnnForwardF64 } from './reference-cnn.js';
import { randomF32, rng } from './reference.js';
import { LOWER_FLOATS } from '../src/nn/layers/geometry.js';

const L = (x: unknown): AnyLayerSpec => x as AnyLayerSpec;

const SPECS: [string, [number, number, number], AnyLayerSpec[]][] = [
  ['conv-maxpool-conv-flatten-dense', [2, 6, 5], [
    L({ type: 'conv2d', filters: 3, kernel: 3, padding: 1, activation: 'tanh' }),
    L({ type: 'maxpool2d', kernel: 2 }),
    L({ type: 'conv2d', filters: 4, kernel: 2, activation: 'elu' }),
    L({ type: 'flatten' }),
    { units: 3 }]],
  ['strided conv, avg pool without padding in the count, global average', [3, 7, 6], [
    L({ type: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 1, activation: 'tanh' }),
    L({ type: 'avgpool2d', kernel: 2, stride: 1, padding: 1, countIncludePad: false }),
    L({ type: 'globalavgpool' }),
    { units: 3 }]],
  ['groups + dilation, batch norm 2d, spatial dropout, depthwise, Dense after an image', [2, 7, 7], [
    L({ type: 'conv2d', filters: 4, kernel: 3, dilation: 2, padding: 2, groups: 2, activation: 'linear' }),
    L({ type: 'batchnorm', activation: 'tanh' }),
    L({ type: 'dropout2d', rate: 0.5, seed: 3 }),
    L({ type: 'conv2d', filters: 4, kernel: 3, padding: 1, groups: 4, bias: false, activation: 'sigmoid' }),
    { units: 3 }]],
  ['a layer too large for the fused kernels (86·86 rows × 9 > 65,536 floats an image): whole-batch lowering', [1, 86, 86], [
    L({ type: 'conv2d', filters: 1, kernel: 3, padding: 1, activation: 'tanh' }),
    L({ type: 'maxpool2d', kernel: 8 }),
    { units: 3 }]],
  ["'same' with an even kernel, max pool with padding and stride 1, kernel taller than wide", [1, 6, 5], [
    L({ type: 'conv2d', filters: 2, kernel: [2, 3], padding: 'same', activation: 'tanh' }),
    L({ type: 'maxpool2d', kernel: 3, stride: 1, padding: 1 }),
    L({ type: 'conv2d', filters: 3, kernel: [3, 1], stride: [1, 2], activation: 'softsign' }),
    { units: 4, activation: 'tanh' },
    { units: 3 }]],
];

describe.each(isas)('image layers: gradients vs f64 finite differences (%s)', (isa) => {
  const e = engineFor(isa);
  it.each(SPECS)('%s', (_name, inputs, layers) => {
    const n = 3;
    const model = new Model(e, { inputs, layers, loss: 'softmax-cross-entropy', seed: 7 });
    const k = model.outputs, r = rng(11);
    const x = randomF32(n * model.inputs, 5);
    const labels = Int32Array.from({ length: n }, () => Math.floor(r() * k));
    for (const l of model.layers) {
      if (l.type === 'batchnorm') { l.W.data.set(randomF32(l.units, 3).map((v) => 1 + 0.5 * v)); l.b!.data.set(randomF32(l.units, 4).map((v) => 0.3 * v)); }
    }
    model.frozen = true;
    const got = model.lossAndGradient({ x, n, labels });
    const grad = model.gradients().toArray();
    // the masks the pass drew (frozen: the same in every evaluation)
    const v = model.views(n), masks = new Map<number, Float32Array>();
    for (const l of model.layers) if (l.type === 'dropout2d') masks.set(l.index, v.aux[l.index].mask.toArray().slice(0, n * l.config!.c));
    const theta = Float64Array.from(model.parameters().data), x64 = Float64Array.from(x);
    const f = (t: Float64Array): number => meanLoss(model.loss, cnnForwardF64(model, t, x64, n, masks), n, k, labels);
    const want = f(theta);
    expect(Math.abs(got - want), `loss ${got} vs ${want}`).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(want)));
    const num = numericGradient(f, theta);
    const scale = Math.max(...num.map(Math.abs), 1e-3);
    let worst = 0;
    for (let i = 0; i < num.length; i++) {
      const err = Math.abs(grad[i] - num[i]);
      const l = model.layers.find((q) => i >= q.weightOffset && i < q.weightOffset + q.inputs * q.units) ?? model.layers.find((q) => q.hasBias && i >= q.biasOffset && i < q.biasOffset + q.units);
      expect(err, `${model.describe()}: ∂L/∂θ[${i}] (layer ${l?.index} ${l?.type}) = ${grad[i]}, finite differences ${num[i]}`).toBeLessThanOrEqual(2e-4 * scale + 1e-3 * Math.abs(num[i]));
      worst = Math.max(worst, err / scale);
    }
    expect(num.some((g) => g !== 0)).toBe(true);
    model.release();
  }, 30_000); // the 86×86 case's central differences take seconds on a loaded machine
});

/**
 * Trains a fresh model on 1, 2 and 3 threads with every split forced (thresholds at 0) and
 * asserts the parameters come out with the same bits.
 */
async function sameBitsOnThreads(train: (e: d.Engine) => Float32Array): Promise<void> {
  const saved = d.threadThresholds();
  d.threadThresholds({ elementwise: 0, optimizer: 0, gemm: 0 });
  try {
    const results: Float32Array[] = [];
    for (const threads of [1, 2, 3]) results.push(train(await d.createEngine({ threads })));
    for (const t of [1, 2]) {
      const diff = results[t].findIndex((v, i) => !Object.is(v, results[0][i]));
      expect(diff, `first differing parameter on ${t + 1} threads`).toBe(-1);
    }
  } finally {
    d.threadThresholds(saved);
  }
}

describe('image layers on threads', () => {
  it('a CNN trains to the same bits on 1, 2 and 3 threads (thresholds at 0: GEMMs, im2col/col2im, pooling, batch norm and spatial dropout split)', async () => {
    const digits = d.digits();
    await sameBitsOnThreads((en) => {
      const model = new d.Model(en, {
        inputs: [1, 8, 8], seed: 2, layers: [
          L({ type: 'conv2d', filters: 8, kernel: 3, padding: 1, activation: 'relu' }),
          L({ type: 'batchnorm' }),
          L({ type: 'maxpool2d', kernel: 2 }),
          L({ type: 'dropout2d', rate: 0.25 }),
          L({ type: 'conv2d', filters: 16, kernel: 3, activation: 'relu' }),
          { units: 10 }],
      });
      const sub = d.subset(digits, Int32Array.from({ length: 600 }, (_, i) => i));
      d.fit(model, sub, { epochs: 1, batchSize: 50, optimizer: d.optimizer('adam', { lr: 1e-3 }), seed: 4 });
      return model.parameters().toArray();
    });
  }, 60_000);
});

describe('image layer specs: clear errors before anything is allocated', () => {
  const e = engineFor(isas[0]);
  const bad = (inputs: unknown, layers: unknown[], re: RegExp): void => {
    expect(() => new Model(e, { inputs: inputs as number, layers: layers as AnyLayerSpec[] })).toThrow(re);
  };
  it('names the layer and what is wrong', () => {
    bad(784, [{ type: 'conv2d', filters: 4, kernel: 3 }, { units: 2 }], /layer 0 \(conv2d\): needs an image input — give the model inputs as \[channels, height, width\]/);
    bad([1, 28], [{ units: 2 }], /inputs must be a positive integer or an image \[channels, height, width\]/);
    bad([1, 0, 28], [{ units: 2 }], /inputs must be/);
    bad([1, 5, 5], [{ type: 'conv2d', filters: 4, kernel: 7 }, { units: 2 }], /layer 0 \(conv2d\): a height window of 7 \(kernel 7\) does not fit an input height of 5 with padding 0/);
    bad([3, 8, 8], [{ type: 'conv2d', filters: 4, kernel: 3, groups: 2 }, { units: 2 }], /groups must be a positive integer dividing both the input channels \(3\) and filters \(4\)/);
    bad([1, 8, 8], [{ type: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 'same' }, { units: 2 }], /padding 'same' needs stride 1/);
    bad([1, 8, 8], [{ type: 'conv2d', filters: 4, kernel: [3, 0] }, { units: 2 }], /kernel must be a positive integer or a pair/);
    bad([1, 8, 8], [{ type: 'conv2d', filters: 4, kernel: 3, padding: -1 }, { units: 2 }], /padding must be an integer ≥ 0/);
    bad([1, 8, 8], [{ type: 'conv2d', filters: 4, kernel: 3, stride: '2' }, { units: 2 }], /stride must be a positive integer or a pair \[height, width\] of them, got "2"/);
    bad([1, 8, 8], [{ type: 'conv2d', filters: 4, kernel: [3, 3, 3] }, { units: 2 }], /kernel must be .* got \[3,3,3\]/);
    bad([1, 8, 8], [{ type: 'conv2d', filters: 0, kernel: 3 }, { units: 2 }], /filters must be a positive integer/);
    bad([1, 8, 8], [{ type: 'conv2d', filters: 2, kernel: 3, strides: 2 }, { units: 2 }], /unknown key "strides"/);
    bad([1, 8, 8], [{ type: 'maxpool2d', kernel: 2, padding: 2 }, { units: 2 }], /padding must be at most half the kernel/);
    bad([1, 8, 8], [{ type: 'maxpool2d', kernel: 2 }], /last layer must be Dense/);
    bad([1, 8, 8], [{ units: 4 }, { type: 'maxpool2d', kernel: 2 }, { units: 2 }], /layer 1 \(maxpool2d\): needs an image input/);
    bad([1, 8, 8], [{ type: 'dropout2d', rate: 1 }, { units: 2 }], /rate must be a number in \[0, 1\)/);
    bad([1, 8, 8], [{ type: 'conv2d', filters: 65537, kernel: 1 }, { units: 2 }], /filters must be a positive integer/);
    bad([1, 40000, 40000], [{ type: 'conv2d', filters: 64, kernel: 3 }, { units: 2 }], /too large/);
  });
});

describe('README: the CNN example', () => {
  it('trains the README CNN on digits (8×8 images) to ≥ 90% test accuracy', async () => {
    const engine = engineFor(isas[isas.length - 1]);
    const { train, test } = d.trainTestSplit(d.digits(), { testFraction: 0.2, seed: 1 });
    // as in README.md, "Convolutional networks"
    const model = new d.Model(engine, {
      inputs: [1, 8, 8], loss: 'softmax-cross-entropy', seed: 1,
      layers: [
        L({ type: 'conv2d', filters: 8, kernel: 3, padding: 1, activation: 'relu' }),
        L({ type: 'maxpool2d', kernel: 2 }),
        L({ type: 'conv2d', filters: 16, kernel: 3, activation: 'linear', bias: false }),
        L({ type: 'batchnorm', activation: 'relu' }),
        L({ type: 'dropout2d', rate: 0.1 }),
        L({ type: 'globalavgpool' }),
        { units: 10 },
      ],
    });
    d.fit(model, train, { epochs: 6, batchSize: 32, optimizer: d.optimizer('adam', { lr: 0.01 }) });
    expect(d.evaluate(model, test).accuracy).toBeGreaterThanOrEqual(0.9);
    model.release();
  }, 60_000);
});

describe('spatial dropout masks', () => {
  it('follow the layer seed (dropout2d seeds were once ignored: every layer drew with seed 0)', () => {
    const e = engineFor(isas[0]);
    const grad = (layers: AnyLayerSpec[], seed = 1): Float32Array => {
      const m = new Model(e, { inputs: [2, 6, 6], layers, seed });
      const x = randomF32(4 * 72, 9), labels = Int32Array.from([0, 1, 0, 1]);
      m.lossAndGradient({ x, n: 4, labels });
      const g = m.gradients().toArray();
      m.release();
      return g;
    };
    const net = (s?: number): AnyLayerSpec[] => [L({ type: 'conv2d', filters: 6, kernel: 3, activation: 'tanh' }), L({ type: 'dropout2d', rate: 0.5, ...(s === undefined ? {} : { seed: s }) }), { units: 2 }];
    const same = (a: Float32Array, b: Float32Array): boolean => a.every((v, i) => Object.is(v, b[i]));
    expect(same(grad(net(1)), grad(net(1)))).toBe(true);
    expect(same(grad(net(1)), grad(net(99)))).toBe(false);
  });
});

describe('the first conv layer reuses its forward lowering in backward (whole-batch path)', () => {
  it('gradients equal a fresh model\'s after passes on other data, on other batch sizes and in eval mode in between', () => {
    const e = engineFor(isas[0]);
    // 40·40 rows × 49 > 65,536 floats an image: too large for the fused kernels
    const spec = { inputs: [1, 40, 40] as [number, number, number], seed: 3, layers: [L({ type: 'conv2d', filters: 4, kernel: 7, padding: 3, activation: 'tanh' }), L({ type: 'maxpool2d', kernel: 4 }), { units: 3 }] };
    const batch = (n: number, s: number) => ({ x: randomF32(n * 1600, s), n, labels: Int32Array.from({ length: n }, (_, i) => i % 3) });
    const fresh = new Model(e, spec);
    fresh.lossAndGradient(batch(6, 1));
    const want = fresh.gradients().toArray();
    const m = new Model(e, spec);
    m.lossAndGradient(batch(6, 2));           // another batch of the same size
    m.lossAndGradient(batch(5, 3));           // another size
    m.eval(); m.predict(batch(6, 4).x); m.train(); // an inference pass on the same buffers
    m.lossAndGradient(batch(6, 1));
    expect(Array.from(m.gradients().toArray())).toEqual(Array.from(want));
    const v = m.views(6);
    m.stage(batch(6, 1)); m.forward(v, 6);
    m.stage(batch(6, 5));                       // the input changes after the forward pass …
    m.forward(v, 6);                            // … and a forward pass on it lowers it again
    m.lossAndBackward(v, 6, true);
    const other = new Model(e, spec);
    other.lossAndGradient(batch(6, 5));
    expect(Array.from(m.gradients().toArray())).toEqual(Array.from(other.gradients().toArray()));
    for (const x of [fresh, m, other]) x.release();
  });
});

describe('conv layers lower a few images at a time in the workspace (assembly/nn/conv-fused.ts)', () => {
  it('the fused forward and input gradient give the bits of one whole-batch im2col + GEMM; the weight gradient its value', () => {
    for (const isa of isas) {
      const e = engineFor(isa), K = e.kernels, tile = e.gemmTile, work = e.gemmWorkspace();
      expect(K.convLowerFloats()).toBe(LOWER_FLOATS);
      // 3 images 13×11×4, kernel 3×2, stride 2×1, padding 1, dilation 1×2, groups 2 (cg 2, fg 3)
      const [n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, f, groups] = [5, 13, 11, 4, 3, 2, 2, 1, 1, 1, 1, 2, 6, 2];
      const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
      const cg = c / groups, fg = f / groups, k = kh * kw * cg, rows = oh * ow;
      const t = (size: number, s: number) => { const x = e.keep(e.tensor([size])); x.data.set(randomF32(size, s)); return x; };
      const x = t(n * h * w * c, 1), W = t(k * f, 2), b = t(f, 3), dz = t(n * rows * f, 4);
      const geo = e.keep(e.tensor([16]));
      new Int32Array(e.memory.buffer, geo.pointer(), 13).set([h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow]);
      const cols = e.keep(e.tensor([n * rows * k]));
      const yWant = e.keep(e.tensor([n * rows * f])), yGot = e.keep(e.tensor([n * rows * f]));
      const dxWant = e.keep(e.tensor([n * h * w * c])), dxGot = e.keep(e.tensor([n * h * w * c]));
      const gwWant = e.keep(e.tensor([k * f])), gwGot = e.keep(e.tensor([k * f]));
      for (const sb of [1, 2, 5]) {
        const parts = e.keep(e.tensor([Math.ceil(n / sb) * k * fg]));
        for (let grp = 0; grp < groups; grp++) {
          const wg = W.pointer() + grp * fg * 4, zg = dz.pointer() + grp * fg * 4;
          K.im2col(n, h, w, c, grp * cg, cg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, x.pointer(), cols.pointer());
          K.gemm(tile, 0, 0, n * rows, fg, k, 1, cols.pointer(), k, wg, f, 0, yWant.pointer() + grp * fg * 4, f, b.pointer() + grp * fg * 4, work);
          K.gemm(tile, 1, 0, k, fg, n * rows, 1, cols.pointer(), k, zg, f, 0, gwWant.pointer() + grp * fg * 4, f, 0, work);
          K.gemm(tile, 0, 1, n * rows, k, fg, 1, zg, f, wg, f, 0, cols.pointer(), k, 0, work);
          K.col2im(n, h, w, c, grp * cg, cg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols.pointer(), dxWant.pointer(), 0);
          K.convForward(n, 0, sb, 0, geo.pointer(), grp * cg, cg, x.pointer(), wg, f, fg, b.pointer() + grp * fg * 4, yGot.pointer() + grp * fg * 4, f, tile, work);
          K.convWeightPartials(n, 0, sb, 0, geo.pointer(), grp * cg, cg, x.pointer(), zg, f, fg, parts.pointer(), tile, work);
          K.convPartialSum(Math.ceil(n / sb), k, 0, k, fg, parts.pointer(), gwGot.pointer() + grp * fg * 4, f);
          K.convInputGrad(n, 0, sb, 0, geo.pointer(), grp * cg, cg, zg, f, wg, f, fg, dxGot.pointer(), tile, work);
        }
        expect(Array.from(yGot.data), `${isa} forward, sb ${sb}`).toEqual(Array.from(yWant.data));
        expect(Array.from(dxGot.data), `${isa} input gradient, sb ${sb}`).toEqual(Array.from(dxWant.data));
        const gw = gwGot.toArray(), want = gwWant.toArray();
        const scale = Math.max(...want.map(Math.abs));
        for (let i = 0; i < want.length; i++) expect(Math.abs(gw[i] - want[i]), `${isa} ∂L/∂W[${i}], sb ${sb}`).toBeLessThanOrEqual(2e-6 * scale);
        if (sb === 1) expect(gw.some((v, i) => v !== want[i]), 'partials summed in another order than one long GEMM').toBe(true);
      }
      // a sub-block whose lowering would not fit the scratch stops the kernel (a wasm trap) before it lowers anything
      expect(() => K.convForward(1, 0, 1, 0, geo.pointer(), 0, LOWER_FLOATS, x.pointer(), W.pointer(), f, fg, 0, yGot.pointer(), f, tile, work)).toThrow();
    }
  });

  it('a CNN with a fused layer (split into sub-blocks across threads) and a whole-batch layer trains to the same bits on 1, 2 and 3 threads', async () => {
    const n = 40, x = randomF32(n * 784, 9);
    const data = { n, features: 784, classes: 10, x, labels: Int32Array.from({ length: n }, (_, i) => (i * 7) % 10) };
    await sameBitsOnThreads((en) => {
      const model = new d.Model(en, {
        inputs: [1, 28, 28], seed: 5, layers: [
          L({ type: 'conv2d', filters: 4, kernel: 5, padding: 2 }),   // 784·25 floats an image: 3 per sub-block
          L({ type: 'conv2d', filters: 6, kernel: 5, padding: 2 }),   // 784·100 > 65,536: the whole-batch path
          L({ type: 'maxpool2d', kernel: 4 }),
          { units: 10 }],
      });
      d.fit(model, data, { epochs: 2, batchSize: 20, optimizer: d.optimizer('adam', { lr: 1e-3 }), seed: 4 });
      return model.parameters().toArray();
    });
  }, 60_000);
});
