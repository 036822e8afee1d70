// Consistency of test/fixtures/cnn-torch.json (written by scripts/torch-cnn.py with PyTorch 1.13),
// checked without torch: shapes against the configs, output sizes against PyTorch's formula
// floor((h + p0 + p1 − d(k−1) − 1)/s) + 1, and every stored output and gradient against a float64
// recomputation from the stored inputs and parameters (direct loops over NCHW, no descent code).
// Max pooling must match exactly, including the tie-breaking (first maximum in row-major window
// order); sums are compared with |Δ| ≤ TOL·Σ|terms| (float32 accumulation in torch's order).
// This validates the fixture only; the layer tests compare descent against it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Tensor { shape: number[]; data: number[] }
interface ConvCase {
  name: string; options: Record<string, unknown>; kernel: number[]; stride: number[]; padding: number[][];
  dilation: number[]; groups: number; bias: boolean; x: Tensor; weight: Tensor; b: Tensor | null;
  y: Tensor; dy: Tensor; dx: Tensor; dweight: Tensor; dbias: Tensor | null;
}
interface PoolCase {
  name: string; kind: 'max' | 'avg' | 'adaptive'; options: Record<string, unknown>; kernel?: number[];
  stride?: number[]; padding?: number[]; count_include_pad?: boolean; x: Tensor; y: Tensor; dy: Tensor;
  dx: Tensor; indices?: Tensor;
}
interface BnPass {
  x: Tensor; y: Tensor; dy: Tensor; dx: Tensor; dweight: Tensor; dbias: Tensor; running_mean: Tensor;
  running_var: Tensor; num_batches_tracked: number;
}
interface Fixture {
  torch_version: string; dtype: string; conv: ConvCase[]; pool: PoolCase[];
  batchnorm2d: {
    options: { num_features: number; momentum: number; eps: number }; weight: Tensor; bias: Tensor;
    initial_running_mean: number[]; initial_running_var: number[]; passes: BnPass[]; eval: { x: Tensor; y: Tensor };
  };
  network: {
    x: Tensor; labels: Tensor; params: Record<string, Tensor>; grads: Record<string, Tensor>;
    activations: Tensor[]; logits: Tensor; loss: number; dx: Tensor;
  };
}

const fx: Fixture = JSON.parse(readFileSync(new URL('./fixtures/cnn-torch.json', import.meta.url), 'utf8'));
const TOL = 2 ** -24 * 64; // per unit of Σ|terms|; the largest sums here have a few hundred terms

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const outSize = (h: number, p0: number, p1: number, d: number, k: number, s: number) =>
  Math.floor((h + p0 + p1 - d * (k - 1) - 1) / s) + 1;

/** A float64 reference value with Σ|terms| for its error bound. */
interface Ref { v: Float64Array; abs: Float64Array }
const ref = (n: number): Ref => ({ v: new Float64Array(n), abs: new Float64Array(n) });

function expectClose(what: string, got: Tensor, want: Ref, tol = TOL): number {
  expect(got.data.length, what).toBe(want.v.length);
  let worst = 0;
  for (let i = 0; i < want.v.length; i++) {
    const err = Math.abs(got.data[i] - want.v[i]);
    const bound = tol * want.abs[i] + 1e-30;
    if (!(err <= bound)) throw new Error(`${what}[${i}]: ${got.data[i]} vs ${want.v[i]} (|Δ| ${err} > ${bound})`);
    worst = Math.max(worst, err / bound);
  }
  return worst;
}

function expectF32(t: Tensor) {
  expect(numel(t.shape)).toBe(t.data.length);
  for (const v of t.data) expect(Math.fround(v)).toBe(v);
}

// ------------------------------------------------------------------------------ conv2d in f64
interface ConvGeo { k: number[]; s: number[]; p: number[][]; d: number[]; g: number }
function convShapes(x: number[], w: number[], geo: ConvGeo) {
  const [n, c, h, wd] = x;
  const [o, cg] = w;
  const ho = outSize(h, geo.p[0][0], geo.p[0][1], geo.d[0], geo.k[0], geo.s[0]);
  const wo = outSize(wd, geo.p[1][0], geo.p[1][1], geo.d[1], geo.k[1], geo.s[1]);
  return { n, c, h, wd, o, cg, og: o / geo.g, ho, wo };
}
/** Visits every (output, input, weight) triple of the convolution. */
function convEach(xs: number[], ws: number[], geo: ConvGeo,
  f: (yi: number, xi: number, wi: number, o: number) => void) {
  const { n, c, h, wd, o, cg, og, ho, wo } = convShapes(xs, ws, geo);
  for (let b = 0; b < n; b++) for (let oc = 0; oc < o; oc++) {
    const g = Math.floor(oc / og);
    for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
      const yi = ((b * o + oc) * ho + i) * wo + j;
      for (let ci = 0; ci < cg; ci++) {
        const cin = g * cg + ci;
        for (let a = 0; a < geo.k[0]; a++) {
          const ih = i * geo.s[0] - geo.p[0][0] + a * geo.d[0];
          if (ih < 0 || ih >= h) continue;
          for (let e = 0; e < geo.k[1]; e++) {
            const iw = j * geo.s[1] - geo.p[1][0] + e * geo.d[1];
            if (iw < 0 || iw >= wd) continue;
            f(yi, ((b * c + cin) * h + ih) * wd + iw, ((oc * cg + ci) * geo.k[0] + a) * geo.k[1] + e, oc);
          }
        }
      }
    }
  }
}
function convForward(x: Tensor, w: Tensor, bias: Tensor | null, geo: ConvGeo): Ref {
  const { n, o, ho, wo } = convShapes(x.shape, w.shape, geo);
  const y = ref(n * o * ho * wo);
  if (bias) for (let i = 0; i < y.v.length; i++) {
    const oc = Math.floor(i / (ho * wo)) % o;
    y.v[i] = bias.data[oc];
    y.abs[i] = Math.abs(bias.data[oc]);
  }
  convEach(x.shape, w.shape, geo, (yi, xi, wi) => {
    const t = x.data[xi] * w.data[wi];
    y.v[yi] += t;
    y.abs[yi] += Math.abs(t);
  });
  return y;
}
function convBackward(x: Tensor, w: Tensor, dy: Tensor, geo: ConvGeo) {
  const dx = ref(x.data.length), dw = ref(w.data.length), db = ref(w.shape[0]);
  convEach(x.shape, w.shape, geo, (yi, xi, wi) => {
    const a = dy.data[yi] * w.data[wi], b = dy.data[yi] * x.data[xi];
    dx.v[xi] += a; dx.abs[xi] += Math.abs(a);
    dw.v[wi] += b; dw.abs[wi] += Math.abs(b);
  });
  const { n, o, ho, wo } = convShapes(x.shape, w.shape, geo);
  for (let b = 0; b < n; b++) for (let oc = 0; oc < o; oc++) for (let q = 0; q < ho * wo; q++) {
    const v = dy.data[(b * o + oc) * ho * wo + q];
    db.v[oc] += v; db.abs[oc] += Math.abs(v);
  }
  return { dx, dw, db };
}

// ------------------------------------------------------------------------------ pooling in f64
function windows(x: number[], k: number[], s: number[], p: number[],
  f: (yi: number, cells: number[], padded: number) => void) {
  const [n, c, h, w] = x;
  const ho = outSize(h, p[0], p[0], 1, k[0], s[0]), wo = outSize(w, p[1], p[1], 1, k[1], s[1]);
  for (let b = 0; b < n * c; b++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    const cells: number[] = [];
    let padded = 0; // window cells inside the padded input (torch's count_include_pad divisor)
    for (let a = 0; a < k[0]; a++) for (let e = 0; e < k[1]; e++) {
      const ih = i * s[0] - p[0] + a, iw = j * s[1] - p[1] + e;
      if (ih < h + p[0] && iw < w + p[1]) padded++;
      if (ih >= 0 && ih < h && iw >= 0 && iw < w) cells.push(b * h * w + ih * w + iw);
    }
    f((b * ho + i) * wo + j, cells, padded);
  }
}

const SCALAR = (v: number[]): Ref => ({ v: Float64Array.from(v), abs: Float64Array.from(v, Math.abs) });

describe('cnn-torch.json fixture (scripts/torch-cnn.py)', () => {
  it('is a float32 torch 1.13 fixture with the expected cases', () => {
    expect(fx.torch_version).toMatch(/^1\.13/);
    expect(fx.dtype).toBe('float32');
    expect(fx.conv.length).toBeGreaterThanOrEqual(10);
    expect(fx.pool.map(p => p.kind).sort()).toContain('adaptive');
    for (const c of fx.conv) for (const t of [c.x, c.weight, c.y, c.dy, c.dx, c.dweight]) expectF32(t);
    for (const c of fx.pool) for (const t of [c.x, c.y, c.dy, c.dx]) expectF32(t);
    const bn = fx.batchnorm2d, net = fx.network;
    for (const p of bn.passes) for (const t of [p.x, p.y, p.dy, p.dx, p.dweight, p.dbias, p.running_mean, p.running_var]) expectF32(t);
    for (const t of [bn.weight, bn.bias, bn.eval.x, bn.eval.y, net.x, net.logits, net.dx, ...net.activations,
      ...Object.values(net.params), ...Object.values(net.grads)]) expectF32(t);
  });

  describe('Conv2d', () => {
    for (const c of fx.conv) it(c.name, () => {
      const geo: ConvGeo = { k: c.kernel, s: c.stride, p: c.padding, d: c.dilation, g: c.groups };
      const o = c.options as { in_channels: number; out_channels: number; padding?: unknown };
      const [n, cin, h, w] = c.x.shape;
      expect(cin).toBe(o.in_channels);
      expect(c.weight.shape).toEqual([o.out_channels, cin / c.groups, c.kernel[0], c.kernel[1]]);
      expect(cin % c.groups).toBe(0);
      expect(o.out_channels % c.groups).toBe(0);
      const pad = o.padding ?? 0;
      if (pad === 'same') {
        for (let i = 0; i < 2; i++) {
          const tot = c.dilation[i] * (c.kernel[i] - 1);
          expect(c.padding[i]).toEqual([Math.floor(tot / 2), tot - Math.floor(tot / 2)]);
        }
        expect(c.stride).toEqual([1, 1]);
      } else {
        const p = Array.isArray(pad) ? pad as number[] : [pad as number, pad as number];
        expect(c.padding).toEqual([[p[0], p[0]], [p[1], p[1]]]);
      }
      const ho = outSize(h, c.padding[0][0], c.padding[0][1], c.dilation[0], c.kernel[0], c.stride[0]);
      const wo = outSize(w, c.padding[1][0], c.padding[1][1], c.dilation[1], c.kernel[1], c.stride[1]);
      if (pad === 'same') expect([ho, wo]).toEqual([h, w]);
      expect(c.y.shape).toEqual([n, o.out_channels, ho, wo]);
      expect(c.dy.shape).toEqual(c.y.shape);
      expect(c.dx.shape).toEqual(c.x.shape);
      expect(c.dweight.shape).toEqual(c.weight.shape);
      expect(c.b === null).toBe(!c.bias);
      expect(c.dbias === null).toBe(!c.bias);
      if (c.b) expect(c.b.shape).toEqual([o.out_channels]);

      expectClose('y', c.y, convForward(c.x, c.weight, c.b, geo));
      const g = convBackward(c.x, c.weight, c.dy, geo);
      expectClose('dx', c.dx, g.dx);
      expectClose('dweight', c.dweight, g.dw);
      if (c.dbias) expectClose('dbias', c.dbias, g.db);
    });
  });

  describe('pooling', () => {
    for (const c of fx.pool) it(c.name, () => {
      const [n, ch, h, w] = c.x.shape;
      expect(c.dx.shape).toEqual(c.x.shape);
      expect(c.dy.shape).toEqual(c.y.shape);
      if (c.kind === 'adaptive') {
        expect(c.y.shape).toEqual([n, ch, 1, 1]);
        const y = ref(n * ch), dx = ref(c.x.data.length);
        for (let b = 0; b < n * ch; b++) for (let q = 0; q < h * w; q++) {
          y.v[b] += c.x.data[b * h * w + q] / (h * w);
          y.abs[b] += Math.abs(c.x.data[b * h * w + q]) / (h * w);
          dx.v[b * h * w + q] = c.dy.data[b] / (h * w);
          dx.abs[b * h * w + q] = Math.abs(dx.v[b * h * w + q]);
        }
        expectClose('y', c.y, y);
        expectClose('dx', c.dx, dx, 1e-6);
        return;
      }
      const k = c.kernel!, s = c.stride!, p = c.padding!;
      const ho = outSize(h, p[0], p[0], 1, k[0], s[0]), wo = outSize(w, p[1], p[1], 1, k[1], s[1]);
      expect(c.y.shape).toEqual([n, ch, ho, wo]);
      const dx = ref(c.x.data.length);
      if (c.kind === 'max') {
        expect(c.indices!.shape).toEqual(c.y.shape);
        windows(c.x.shape, k, s, p, (yi, cells) => {
          let arg = cells[0];
          for (const q of cells) if (c.x.data[q] > c.x.data[arg]) arg = q; // first maximum wins
          expect(c.y.data[yi]).toBe(c.x.data[arg]);
          expect(c.indices!.data[yi]).toBe(arg % (h * w));
          dx.v[arg] += c.dy.data[yi];
          dx.abs[arg] += Math.abs(c.dy.data[yi]);
        });
        expectClose('dx', c.dx, dx);
        if (c.name.startsWith('max_ties')) {
          // the case really has ties, and torch's argmax is the first one (checked above)
          let ties = 0;
          windows(c.x.shape, k, s, p, (yi, cells) => {
            if (cells.filter(q => c.x.data[q] === c.y.data[yi]).length > 1) ties++;
          });
          expect(ties).toBeGreaterThan(5);
        }
      } else {
        const include = c.count_include_pad !== false;
        const y = ref(c.y.data.length);
        windows(c.x.shape, k, s, p, (yi, cells, padded) => {
          const div = include ? padded : cells.length;
          for (const q of cells) {
            y.v[yi] += c.x.data[q] / div; y.abs[yi] += Math.abs(c.x.data[q]) / div;
            dx.v[q] += c.dy.data[yi] / div; dx.abs[q] += Math.abs(c.dy.data[yi]) / div;
          }
        });
        // window means within 1e-6 of Σ|x|/div (relative to the magnitudes summed)
        expectClose('y', c.y, y, 1e-6);
        expectClose('dx', c.dx, dx, 1e-6);
      }
    });
  });

  describe('BatchNorm2d (training passes, running statistics, eval)', () => {
    const bn = fx.batchnorm2d;
    const C = bn.options.num_features, eps = bn.options.eps, mom = bn.options.momentum;
    const gamma = bn.weight.data, beta = bn.bias.data;
    const stats = (x: Tensor) => {
      const [n, , h, w] = x.shape, m = n * h * w;
      const mean = new Float64Array(C), v = new Float64Array(C);
      for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let q = 0; q < h * w; q++)
        mean[c] += x.data[(b * C + c) * h * w + q] / m;
      for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let q = 0; q < h * w; q++)
        v[c] += (x.data[(b * C + c) * h * w + q] - mean[c]) ** 2 / m;
      return { mean, v, m };
    };
    it('running_mean/var after each pass: r ← (1 − momentum)·r + momentum·stat (unbiased var)', () => {
      expect(bn.passes.length).toBe(3);
      let rm = Float64Array.from(bn.initial_running_mean), rv = Float64Array.from(bn.initial_running_var);
      expect([...rm]).toEqual([0, 0, 0, 0]);
      bn.passes.forEach((p, i) => {
        expect(p.x.shape[1]).toBe(C);
        expect(p.num_batches_tracked).toBe(i + 1);
        const { mean, v, m } = stats(p.x);
        rm = rm.map((r, c) => (1 - mom) * r + mom * mean[c]);
        rv = rv.map((r, c) => (1 - mom) * r + mom * v[c] * m / (m - 1));
        if (i === 0) for (let c = 0; c < C; c++) expect(p.running_mean.data[c]).toBeCloseTo(0.1 * mean[c], 6);
        for (let c = 0; c < C; c++) {
          expect(Math.abs(p.running_mean.data[c] - rm[c])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(rm[c])));
          expect(Math.abs(p.running_var.data[c] - rv[c])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(rv[c])));
        }
      });
    });
    it('training y, dx, dgamma, dbeta from batch statistics', () => {
      for (const p of bn.passes) {
        const [n, , h, w] = p.x.shape;
        const { mean, v, m } = stats(p.x);
        const y = ref(p.x.data.length), dx = ref(p.x.data.length);
        const dg = new Float64Array(C), db = new Float64Array(C), dga = new Float64Array(C), dba = new Float64Array(C);
        const xh = (i: number, c: number) => (p.x.data[i] - mean[c]) / Math.sqrt(v[c] + eps);
        for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let q = 0; q < h * w; q++) {
          const i = (b * C + c) * h * w + q;
          y.v[i] = gamma[c] * xh(i, c) + beta[c];
          y.abs[i] = Math.abs(gamma[c]) * (Math.abs(p.x.data[i]) + Math.abs(mean[c])) / Math.sqrt(v[c] + eps) + Math.abs(beta[c]);
          dg[c] += p.dy.data[i] * xh(i, c); dga[c] += Math.abs(p.dy.data[i] * xh(i, c));
          db[c] += p.dy.data[i]; dba[c] += Math.abs(p.dy.data[i]);
        }
        for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let q = 0; q < h * w; q++) {
          const i = (b * C + c) * h * w + q, s = gamma[c] / Math.sqrt(v[c] + eps);
          dx.v[i] = s * (p.dy.data[i] - db[c] / m - xh(i, c) * dg[c] / m);
          dx.abs[i] = Math.abs(s) * (Math.abs(p.dy.data[i]) + (dba[c] + (Math.abs(xh(i, c)) + 1) * dga[c]) / m);
        }
        expectClose('y', p.y, y);
        expectClose('dx', p.dx, dx);
        expectClose('dgamma', p.dweight, { v: dg, abs: dga });
        expectClose('dbeta', p.dbias, { v: db, abs: dba });
      }
    });
    it('eval forward uses the running statistics of the last pass', () => {
      const last = bn.passes[2], x = bn.eval.x;
      const [n, , h, w] = x.shape;
      const y = ref(x.data.length);
      for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let q = 0; q < h * w; q++) {
        const i = (b * C + c) * h * w + q;
        const s = gamma[c] / Math.sqrt(last.running_var.data[c] + eps);
        y.v[i] = s * (x.data[i] - last.running_mean.data[c]) + beta[c];
        y.abs[i] = Math.abs(s) * (Math.abs(x.data[i]) + Math.abs(last.running_mean.data[c])) + Math.abs(beta[c]);
      }
      expectClose('eval y', bn.eval.y, y);
    });
  });

  describe('network Conv–ReLU–MaxPool–Conv–ReLU–Flatten–Linear + CrossEntropyLoss', () => {
    const net = fx.network;
    const P = net.params, G = net.grads, A = net.activations;
    const geo1: ConvGeo = { k: [3, 3], s: [1, 1], p: [[1, 1], [1, 1]], d: [1, 1], g: 1 };
    const geo2: ConvGeo = { k: [3, 3], s: [1, 1], p: [[0, 0], [0, 0]], d: [1, 1], g: 1 };
    const relu = (t: Tensor) => SCALAR(t.data.map(v => Math.max(v, 0)));
    it('shapes (torch names and layouts)', () => {
      expect(Object.keys(P)).toEqual(['0.weight', '0.bias', '3.weight', '3.bias', '6.weight', '6.bias']);
      expect(Object.keys(G)).toEqual(Object.keys(P));
      for (const k of Object.keys(P)) expect(G[k].shape).toEqual(P[k].shape);
      expect(net.x.shape).toEqual([3, 1, 10, 10]);
      expect(P['0.weight'].shape).toEqual([4, 1, 3, 3]);
      expect(P['3.weight'].shape).toEqual([8, 4, 3, 3]);
      expect(P['6.weight'].shape).toEqual([10, 72]);
      expect(A.map(a => a.shape)).toEqual([
        [3, 4, 10, 10], [3, 4, 10, 10], [3, 4, 5, 5], [3, 8, 3, 3], [3, 8, 3, 3], [3, 72], [3, 10]]);
      expect(net.logits).toEqual(A[6]);
      expect(net.labels.shape).toEqual([3]);
    });
    it('forward, layer by layer from the stored activations, and the loss', () => {
      expectClose('conv1', A[0], convForward(net.x, P['0.weight'], P['0.bias'], geo1));
      expect(A[1].data).toEqual([...relu(A[0]).v]);
      windows(A[1].shape, [2, 2], [2, 2], [0, 0], (yi, cells) => {
        expect(A[2].data[yi]).toBe(Math.max(...cells.map(q => A[1].data[q])));
      });
      expectClose('conv2', A[3], convForward(A[2], P['3.weight'], P['3.bias'], geo2));
      expect(A[4].data).toEqual([...relu(A[3]).v]);
      expect(A[5].data).toEqual(A[4].data); // Flatten of NCHW keeps the c·H·W + h·W + w order
      const W = P['6.weight'].data, bl = P['6.bias'].data, lin = ref(30);
      for (let b = 0; b < 3; b++) for (let o = 0; o < 10; o++) {
        lin.v[b * 10 + o] = bl[o]; lin.abs[b * 10 + o] = Math.abs(bl[o]);
        for (let i = 0; i < 72; i++) {
          const t = W[o * 72 + i] * A[5].data[b * 72 + i];
          lin.v[b * 10 + o] += t; lin.abs[b * 10 + o] += Math.abs(t);
        }
      }
      expectClose('logits', net.logits, lin);
      let loss = 0;
      for (let b = 0; b < 3; b++) {
        const z = net.logits.data.slice(b * 10, b * 10 + 10), mx = Math.max(...z);
        const lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
        loss += (lse - z[net.labels.data[b]]) / 3;
      }
      expect(Math.abs(net.loss - loss)).toBeLessThanOrEqual(1e-6 * loss);
    });
    it('backward, layer by layer: all parameter gradients and dx', () => {
      // dlogits = (softmax − onehot)/N
      const dz = { shape: [3, 10], data: [] as number[] };
      for (let b = 0; b < 3; b++) {
        const z = net.logits.data.slice(b * 10, b * 10 + 10), mx = Math.max(...z);
        const e = z.map(v => Math.exp(v - mx)), se = e.reduce((a, v) => a + v, 0);
        e.forEach((v, o) => dz.data.push((v / se - (o === net.labels.data[b] ? 1 : 0)) / 3));
      }
      const dW = ref(720), db6 = ref(10), da5 = ref(216);
      for (let b = 0; b < 3; b++) for (let o = 0; o < 10; o++) {
        const g = dz.data[b * 10 + o];
        db6.v[o] += g; db6.abs[o] += Math.abs(g);
        for (let i = 0; i < 72; i++) {
          const t = g * A[5].data[b * 72 + i], u = g * P['6.weight'].data[o * 72 + i];
          dW.v[o * 72 + i] += t; dW.abs[o * 72 + i] += Math.abs(t);
          da5.v[b * 72 + i] += u; da5.abs[b * 72 + i] += Math.abs(u);
        }
      }
      // the f64 chain below starts from the float32 logits; torch's float32 intermediate
      // gradients stay within TOL·Σ|terms| of it all the way down
      expectClose('6.weight grad', G['6.weight'], dW);
      expectClose('6.bias grad', G['6.bias'], db6);
      // through ReLU (mask from the stored activation) into conv2
      const d3: Tensor = { shape: A[3].shape, data: [...da5.v].map((g, i) => (A[4].data[i] > 0 ? g : 0)) };
      const g2 = convBackward(A[2], P['3.weight'], d3, geo2);
      expectClose('3.weight grad', G['3.weight'], g2.dw);
      expectClose('3.bias grad', G['3.bias'], g2.db);
      // max pool backward (2×2 windows, no overlap), ReLU, conv1
      const d1 = new Array<number>(A[1].data.length).fill(0);
      windows(A[1].shape, [2, 2], [2, 2], [0, 0], (yi, cells) => {
        let arg = cells[0];
        for (const q of cells) if (A[1].data[q] > A[1].data[arg]) arg = q;
        d1[arg] += g2.dx.v[yi];
      });
      const d0: Tensor = { shape: A[0].shape, data: d1.map((g, i) => (A[1].data[i] > 0 ? g : 0)) };
      const g1 = convBackward(net.x, P['0.weight'], d0, geo1);
      expectClose('0.weight grad', G['0.weight'], g1.dw);
      expectClose('0.bias grad', G['0.bias'], g1.db);
      expectClose('dx', net.dx, g1.dx);
    });
  });
});
