// CNN layers against PyTorch 1.13 (test/fixtures/cnn-torch.json, written by scripts/torch-cnn.py):
// Conv2d (stride, padding incl. 'same' with an even kernel, dilation, groups, depthwise, no bias,
// a kernel larger than the input), MaxPool2d (ties), AvgPool2d (count_include_pad both ways),
// AdaptiveAvgPool2d(1), BatchNorm2d (three training passes with running statistics, then eval),
// and a small Conv-ReLU-MaxPool-Conv-ReLU-Flatten-Linear network with cross-entropy: forward
// outputs, input gradients and parameter gradients, every ISA.
//
// The fixture keeps PyTorch's layouts (NCHW activations, weights [out, in/groups, kh, kw]); the
// test converts to the library's (NHWC; W [kh·kw·cg, filters]) — the same conversion the
// PyTorch/ONNX bridges make. Tolerance: |ours − torch| ≤ 1e-5 · max|torch| per tensor (both
// compute in float32 with different summation orders; measured worst errors are noted).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Engine } from '../src/engine/engine.js';
import type { Tensor } from '../src/engine/tensor.js';
import { Model, type AnyLayerSpec } from '../src/nn/model.js';
import type { LayerKind } from '../src/nn/layers/layer.js';
import { layerKind } from '../src/nn/layers/registry.js';
import { engineFor, isas } from './engines.js';

interface T { shape: number[]; data: number[] }
const F = JSON.parse(readFileSync(new URL('./fixtures/cnn-torch.json', import.meta.url), 'utf8')) as {
  conv: { name: string; options: Record<string, unknown>; kernel: number[]; stride: number[]; padding: number[][]; dilation: number[]; groups: number; bias: boolean;
    x: T; weight: T; b: T | null; y: T; dy: T; dx: T; dweight: T; dbias: T | null }[];
  pool: { name: string; kind: 'max' | 'avg' | 'adaptive'; kernel?: number[]; stride?: number[]; padding?: number[]; count_include_pad?: boolean; x: T; y: T; dy: T; dx: T; indices?: T }[];
  batchnorm2d: { options: { momentum: number; eps: number }; weight: T; bias: T; passes: { x: T; y: T; dy: T; dx: T; dweight: T; dbias: T; running_mean: T; running_var: T }[]; eval: { x: T; y: T } };
  network: { x: T; labels: T; params: Record<string, T>; grads: Record<string, T>; logits: T; loss: number; dx: T };
};

/** NCHW → NHWC (flat). */
function toNHWC(t: T): Float32Array {
  const [n, c, h, w] = t.shape, out = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((i * h + y) * w + x) * c + ch] = t.data[((i * c + ch) * h + y) * w + x];
  }
  return out;
}
/** Torch conv weight [out, cg, kh, kw] → ours [kh·kw·cg, out]. */
function convW(t: T): Float32Array {
  const [o, cg, kh, kw] = t.shape, out = new Float32Array(o * cg * kh * kw);
  for (let f = 0; f < o; f++) for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    out[((ky * kw + kx) * cg + ci) * o + f] = t.data[((f * cg + ci) * kh + ky) * kw + kx];
  }
  return out;
}

/** Largest |a − b| over max|b| (b: PyTorch's). */
function relErr(a: Float32Array, b: Float32Array | number[]): number {
  expect(a.length).toBe(b.length);
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return err / Math.max(scale, 1e-30);
}

const TOL = 1e-5;
const worst: Record<string, number> = {};
function check(what: string, got: Float32Array, want: Float32Array | number[]): void {
  const r = relErr(got, want);
  const key = what.replace(/ \(.*$/, '').split(':')[0];
  worst[key] = Math.max(worst[key] ?? 0, r);
  expect(r, `${what}: error ${r.toExponential(2)} of max|torch|`).toBeLessThanOrEqual(TOL);
}

/**
 * A model whose layer 0 is `spec` (then a Dense head the test does not use), and that layer run
 * by its kind directly: forward on x, backward from dy, in training mode.
 */
function runLayer(e: Engine, image: [number, number, number], spec: AnyLayerSpec, x: Float32Array, n: number, setParams?: (m: Model) => void):
  { model: Model; kind: LayerKind; forward(): Float32Array; backward(dy: Float32Array): Float32Array } {
  const model = new Model(e, { inputs: image, layers: [spec, { units: 2 }], seed: 1 });
  setParams?.(model);
  const kind = layerKind(model.layers[0].type, 'test');
  const l = model.layers[0];
  const v = model.views(n);
  v.x.data.set(x);
  return {
    model, kind,
    forward: () => {
      kind.forward(model, l, v.aux[0], n, v.x, v.ys[0], true);
      return v.ys[0].toArray();
    },
    backward: (dy) => e.scope(() => {
      const dZ: Tensor = e.tensor([n, l.width], dy), dX: Tensor = e.tensor([n, model.inputs]);
      kind.backward(model, l, v.aux[0], n, v.x, dZ, dX);
      return dX.toArray();
    }),
  };
}

describe.each(isas)('CNN layers vs PyTorch 1.13 (%s)', (isa) => {
  const e = engineFor(isa);

  it.each(F.conv.map((c) => [c.name, c] as const))('Conv2d %s: output, ∂x, ∂W, ∂b', (_name, c) => {
    const [n, ch, h, w] = c.x.shape;
    const pad = c.options.padding === 'same' ? 'same' : [c.padding[0][0], c.padding[1][0]];
    expect(c.padding[0][0] === c.padding[0][1] || pad === 'same').toBe(true);
    const spec = { type: 'conv2d', filters: c.weight.shape[0], kernel: c.kernel, stride: c.stride, padding: pad, dilation: c.dilation,
      groups: c.groups, bias: c.bias, activation: 'linear' } as unknown as AnyLayerSpec;
    const r = runLayer(e, [ch, h, w], spec, toNHWC(c.x), n, (m) => {
      m.layers[0].W.data.set(convW(c.weight));
      if (c.b) m.layers[0].b!.data.set(c.b.data);
    });
    check(`${c.name}: y`, r.forward(), toNHWC(c.y));
    const dx = r.backward(toNHWC(c.dy));
    check(`${c.name}: dx`, dx, toNHWC(c.dx));
    check(`${c.name}: dW`, r.model.layers[0].gW.toArray(), convW(c.dweight));
    if (c.dbias) check(`${c.name}: db`, r.model.layers[0].gb!.toArray(), c.dbias.data);
    r.model.release();
  });

  it.each(F.pool.map((p) => [p.name, p] as const))('%s: output, ∂x (max: argmax positions)', (_name, p) => {
    const [n, ch, h, w] = p.x.shape;
    const spec = (p.kind === 'adaptive' ? { type: 'globalavgpool' }
      : { type: p.kind === 'max' ? 'maxpool2d' : 'avgpool2d', kernel: p.kernel, stride: p.stride, padding: p.padding,
        ...(p.kind === 'avg' && p.count_include_pad === false ? { countIncludePad: false } : {}) }) as unknown as AnyLayerSpec;
    const r = runLayer(e, [ch, h, w], spec, toNHWC(p.x), n);
    check(`${p.name}: y`, r.forward(), toNHWC(p.y));
    if (p.indices) {
      const idx = new Int32Array(e.memory.buffer, r.model.views(n).aux[0].idx.pointer(), p.y.data.length);
      expect(Array.from(idx)).toEqual(Array.from(toNHWC(p.indices)));
    }
    check(`${p.name}: dx`, r.backward(toNHWC(p.dy)), toNHWC(p.dx));
    r.model.release();
  });

  it('BatchNorm2d: three training passes (outputs, gradients, running statistics), then eval', () => {
    const bn = F.batchnorm2d;
    const c = bn.weight.shape[0];
    const spec = [{ type: 'conv2d', filters: c, kernel: 1, bias: false, activation: 'linear' }, { type: 'batchnorm', momentum: bn.options.momentum, eps: bn.options.eps }, { units: 2 }] as AnyLayerSpec[];
    for (const [i, pass] of bn.passes.entries()) {
      const [n, , h, w] = pass.x.shape;
      // a fresh model per image size, the running statistics carried over
      const model = new Model(e, { inputs: [c, h, w], layers: spec, seed: 1 });
      const l = model.layers[1];
      l.W.data.set(bn.weight.data); l.b!.data.set(bn.bias.data);
      l.runningMean!.data.set(i === 0 ? [0, 0, 0, 0] : bn.passes[i - 1].running_mean.data);
      l.runningVar!.data.set(i === 0 ? [1, 1, 1, 1] : bn.passes[i - 1].running_var.data);
      const kind = layerKind('batchnorm', 'test'), v = model.views(n);
      v.ys[0].data.set(toNHWC(pass.x));
      kind.forward(model, l, v.aux[1], n, v.ys[0], v.ys[1], true);
      check(`bn2d pass ${i}: y`, v.ys[1].toArray(), toNHWC(pass.y));
      check(`bn2d pass ${i}: running mean`, l.runningMean!.toArray(), pass.running_mean.data);
      check(`bn2d pass ${i}: running var`, l.runningVar!.toArray(), pass.running_var.data);
      e.scope(() => {
        const dZ = e.tensor([n, l.width], toNHWC(pass.dy)), dX = e.tensor([n, l.width]);
        kind.backward(model, l, v.aux[1], n, v.ys[0], dZ, dX);
        check(`bn2d pass ${i}: dx`, dX.toArray(), toNHWC(pass.dx));
      });
      check(`bn2d pass ${i}: dγ`, l.gW.toArray(), pass.dweight.data);
      check(`bn2d pass ${i}: dβ`, l.gb!.toArray(), pass.dbias.data);
      if (i === bn.passes.length - 1) {
        const ev = bn.eval, [ne, , he, we] = ev.x.shape;
        const m2 = new Model(e, { inputs: [c, he, we], layers: spec, seed: 1 });
        const l2 = m2.layers[1];
        l2.W.data.set(bn.weight.data); l2.b!.data.set(bn.bias.data);
        l2.runningMean!.data.set(l.runningMean!.data); l2.runningVar!.data.set(l.runningVar!.data);
        const v2 = m2.views(ne);
        v2.ys[0].data.set(toNHWC(ev.x));
        kind.forward(m2, l2, v2.aux[1], ne, v2.ys[0], v2.ys[1], false);
        check('bn2d eval: y', v2.ys[1].toArray(), toNHWC(ev.y));
        m2.release();
      }
      model.release();
    }
  });

  it('Conv-ReLU-MaxPool-Conv-ReLU-Flatten-Linear with cross-entropy: logits, loss, every parameter gradient', () => {
    const net = F.network;
    const [n, c, h, w] = net.x.shape;
    const model = new Model(e, {
      inputs: [c, h, w], loss: 'softmax-cross-entropy', seed: 1,
      layers: [
        { type: 'conv2d', filters: 4, kernel: 3, padding: 1, activation: 'relu' },
        { type: 'maxpool2d', kernel: 2 },
        { type: 'conv2d', filters: 8, kernel: 3, activation: 'relu' },
        { type: 'flatten' },
        { units: 10 },
      ] as AnyLayerSpec[],
    });
    const [c1, , c2, , fc] = model.layers;
    c1.W.data.set(convW(net.params['0.weight'])); c1.b!.data.set(net.params['0.bias'].data);
    c2.W.data.set(convW(net.params['3.weight'])); c2.b!.data.set(net.params['3.bias'].data);
    // Linear(72, 10): torch's input index is ch·9 + y·3 + x (NCHW flatten); ours (y·3 + x)·8 + ch, and W is [in, out]
    const [oh, ow, oc] = c2.image!;
    const lin = net.params['6.weight'], fcW = new Float32Array(72 * 10);
    const fcIndex = (t: number): number => { const ch = Math.floor(t / (oh * ow)), p = t % (oh * ow); return p * oc + ch; };
    for (let o = 0; o < 10; o++) for (let t = 0; t < 72; t++) fcW[fcIndex(t) * 10 + o] = lin.data[o * 72 + t];
    fc.W.data.set(fcW); fc.b!.data.set(net.params['6.bias'].data);
    const x = toNHWC(net.x), labels = Int32Array.from(net.labels.data);
    const logits = model.predict(x, { output: 'logits' });
    check('network: logits', logits, net.logits.data);
    const loss = model.lossAndGradient({ x, n, labels });
    expect(Math.abs(loss - net.loss) / net.loss, `loss ${loss} vs ${net.loss}`).toBeLessThanOrEqual(TOL);
    check('network: ∂conv1.W', c1.gW.toArray(), convW(net.grads['0.weight']));
    check('network: ∂conv1.b', c1.gb!.toArray(), net.grads['0.bias'].data);
    check('network: ∂conv2.W', c2.gW.toArray(), convW(net.grads['3.weight']));
    check('network: ∂conv2.b', c2.gb!.toArray(), net.grads['3.bias'].data);
    const gfc = net.grads['6.weight'], want = new Float32Array(720);
    for (let o = 0; o < 10; o++) for (let t = 0; t < 72; t++) want[fcIndex(t) * 10 + o] = gfc.data[o * 72 + t];
    check('network: ∂fc.W', fc.gW.toArray(), want);
    check('network: ∂fc.b', fc.gb!.toArray(), net.grads['6.bias'].data);
    model.release();
    console.log(`cnn-torch (${isa}) worst error / max|torch|:`, Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', '));
  });
});
