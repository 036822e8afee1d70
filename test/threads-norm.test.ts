// Threads and the normalization kernels (src/engine/threads/plans-norm.ts): batch norm's
// training forward and backward and colSum split by columns, layer norm's ∂γ/∂β by columns and
// its ∂x by rows. For 1, 2 and 3 threads, on every ISA this runtime runs, each kernel's outputs
// are bit-identical (Uint32 views compared), equal to the bits of the forms without a leading
// dimension (the single-pass kernels the model called before threads), and at n = 256, c = 1024
// threadStats() shows chunks run by a worker. A model with a batch-norm and a layer-norm layer
// wide enough that every one of these kernels splits trains to the same parameter bits.
import { afterAll, describe, expect, it } from 'vitest';
import { createEngineSync, closeThreads, isaSupported, threadStats } from '../src/index.js';
import type { Engine } from '../src/engine/engine.js';
import { Model } from '../src/nn/model.js';
import { fit } from '../src/train/fit.js';
import { optimizer } from '../src/optim/optimizer.js';
import { rng } from './reference.js';
import { runningPool } from '../src/engine/threads/pool.js';

const ISAS = (['simd', 'relaxed-simd'] as const).filter((isa) => isa === 'simd' || isaSupported(isa));
const THREADS = [1, 2, 3];
const EPS = Math.fround(1e-5);

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
function sameBits(got: Record<string, Float32Array>, want: Record<string, Float32Array>, label: string): void {
  for (const k of Object.keys(want)) {
    const g = bits(got[k]), w = bits(want[k]);
    expect(g.length, `${label}: ${k} length`).toBe(w.length);
    let bad = -1;
    for (let i = 0; i < w.length && bad < 0; i++) if (g[i] !== w[i]) bad = i;
    expect(bad, `${label}: ${k}[${bad}] = ${got[k][bad]}, want ${want[k][bad]}`).toBe(-1);
  }
}

/** uniform [−1, 1)·(1 + j mod 5) + offset by column: columns of different scales and means. */
function matrix(n: number, c: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) out[i * c + j] = (r() * 2 - 1) * (1 + (j % 5)) + ((j % 7) - 3);
  return out;
}
function vector(len: number, seed: number, lo: number, hi: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: len }, () => lo + (hi - lo) * r());
}

interface Inputs { n: number; c: number; x: Float32Array; dy: Float32Array; gamma: Float32Array; beta: Float32Array; rm: Float32Array; rv: Float32Array }
function inputs(n: number, c: number): Inputs {
  return { n, c, x: matrix(n, c, 1), dy: matrix(n, c, 2), gamma: vector(c, 3, 0.5, 1.5), beta: vector(c, 4, -1, 1), rm: vector(c, 5, -1, 1), rv: vector(c, 6, 0.5, 2) };
}

const f = Math.fround;
/**
 * Batch norm's training forward and backward and the column sums, feature by feature in f32 with
 * the kernels' order of operations (rows in order from 0, no fused multiply-add): the bits every
 * block width of assembly/nn/batchnorm.ts must give, whatever the split.
 */
function reference(t: Inputs): Out {
  const { n, c } = t;
  const o = {
    y: new Float32Array(n * c), xhat: new Float32Array(n * c), mean: new Float32Array(c), invstd: new Float32Array(c),
    rm: new Float32Array(c), rv: new Float32Array(c), dx: new Float32Array(n * c), dg: new Float32Array(c), db: new Float32Array(c),
    bias: new Float32Array(c), ldg: new Float32Array(c), ldb: new Float32Array(c),
  };
  const invN = f(1 / n), m = f(0.1), keep = f(1 - m), nf = f(n);
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s = f(s + t.x[i * c + j]);
    const mu = f(s * invN);
    let q = 0;
    for (let i = 0; i < n; i++) { const d = f(t.x[i * c + j] - mu); q = f(q + f(d * d)); }
    const is = f(1 / f(Math.sqrt(f(f(q * invN) + EPS))));
    for (let i = 0; i < n; i++) {
      const h = f(f(t.x[i * c + j] - mu) * is);
      o.xhat[i * c + j] = h;
      o.y[i * c + j] = f(f(h * t.gamma[j]) + t.beta[j]);
    }
    o.mean[j] = mu; o.invstd[j] = is;
    o.rm[j] = f(f(keep * t.rm[j]) + f(m * mu));
    o.rv[j] = f(f(keep * t.rv[j]) + f(m * f(q * f(1 / (n - 1)))));
    let sdy = 0, sdx = 0;
    for (let i = 0; i < n; i++) { const d = t.dy[i * c + j]; sdy = f(sdy + d); sdx = f(sdx + f(d * o.xhat[i * c + j])); }
    o.dg[j] = sdx; o.db[j] = sdy; o.bias[j] = sdy; o.ldb[j] = sdy;
    const k = f(f(t.gamma[j] * is) * invN);
    for (let i = 0; i < n; i++) {
      o.dx[i * c + j] = f(k * f(f(f(nf * t.dy[i * c + j]) - sdy) - f(o.xhat[i * c + j] * sdx)));
    }
  }
  return o;
}

type Out = Record<string, Float32Array>;
/** Every kernel of plans-norm.ts once; `ld`: the leading-dimension forms, else the old single-pass ones. */
function runAll(e: Engine, t: Inputs, ld: boolean): Out {
  const { n, c } = t;
  const K = e.kernels;
  return e.scope(() => {
    const x = e.tensor([n * c], t.x), dy = e.tensor([n * c], t.dy), g = e.tensor([c], t.gamma), b = e.tensor([c], t.beta);
    const y = e.empty([n * c]), xhat = e.empty([n * c]), mean = e.empty([c]), invstd = e.empty([c]);
    const rm = e.tensor([c], t.rm), rv = e.tensor([c], t.rv);
    if (ld) K.bnForwardTrainLd(n, c, c, x.pointer(), y.pointer(), xhat.pointer(), g.pointer(), b.pointer(), mean.pointer(), invstd.pointer(), rm.pointer(), rv.pointer(), 0.1, EPS);
    else K.bnForwardTrain(n, c, x.pointer(), y.pointer(), xhat.pointer(), g.pointer(), b.pointer(), mean.pointer(), invstd.pointer(), rm.pointer(), rv.pointer(), 0.1, EPS);
    const dx = e.empty([n * c]), dg = e.empty([c]), db = e.empty([c]);
    if (ld) K.bnBackwardLd(n, c, c, xhat.pointer(), dy.pointer(), g.pointer(), invstd.pointer(), dx.pointer(), dg.pointer(), db.pointer());
    else K.bnBackward(n, c, xhat.pointer(), dy.pointer(), g.pointer(), invstd.pointer(), dx.pointer(), dg.pointer(), db.pointer());
    const bias = e.empty([c]);
    if (ld) K.colSumLd(n, c, c, dy.pointer(), bias.pointer(), 0);
    else K.colSum(n, c, dy.pointer(), bias.pointer(), 0);
    // layer norm: the forward (row-split in plans.ts) gives x̂ and s for the backward
    const lh = e.empty([n * c]), ly = e.empty([n * c]), ls = e.empty([n]);
    K.lnForward(n, c, x.pointer(), ly.pointer(), lh.pointer(), g.pointer(), b.pointer(), ls.pointer(), EPS);
    const ldx = e.empty([n * c]), ldg = e.empty([c]), ldb = e.empty([c]);
    if (ld) {
      K.lnParamGrads(n, c, c, lh.pointer(), dy.pointer(), ldg.pointer(), ldb.pointer());
      K.lnBackward(n, c, lh.pointer(), dy.pointer(), g.pointer(), ls.pointer(), ldx.pointer(), 0, 0);
    } else {
      K.lnBackward(n, c, lh.pointer(), dy.pointer(), g.pointer(), ls.pointer(), ldx.pointer(), ldg.pointer(), ldb.pointer());
    }
    const out: Out = { y, xhat, mean, invstd, rm, rv, dx, dg, db, bias, ldx, ldg, ldb } as unknown as Out;
    for (const k of Object.keys(out)) out[k] = (out[k] as unknown as { toArray(): Float32Array }).toArray();
    return out;
  });
}

/** Chunks run by threads ≥ 1 (workers) while fn runs. */
function workerChunks(fn: () => void): number {
  const before = threadStats();
  fn();
  const after = threadStats();
  let s = 0;
  for (let i = 1; i < after.length; i++) s += after[i] - (before[i] ?? 0);
  return s;
}

const engines = new Map<string, Engine>();
async function engineOf(isa: 'simd' | 'relaxed-simd', threads: number): Promise<Engine> {
  const key = `${isa}/${threads}`;
  let e = engines.get(key);
  if (!e) {
    e = createEngineSync({ isa, threads });
    await e.threadsReady();
    engines.set(key, e);
  }
  return e;
}
afterAll(() => closeThreads());

for (const isa of ISAS) {
  describe(`normalization kernels on threads, ${isa}`, () => {
    // 1024 columns: 16-column blocks only; 1000: a partial last chunk; 1030: a 1–3-column tail
    for (const [n, c] of [[256, 1024], [256, 1000], [200, 1030], [7, 40]]) {
      it(`n = ${n}, c = ${c}: bits equal for ${THREADS.join(', ')} threads and to the single-pass forms`, async () => {
        const t = inputs(n, c);
        const want = runAll(await engineOf(isa, 1), t, false);
        // the unsplit kernels keep the order of operations of the single-feature f32 loop
        const ref = reference(t);
        sameBits(Object.fromEntries(Object.keys(ref).filter((k) => k !== 'ldg').map((k) => [k, want[k]])), Object.fromEntries(Object.entries(ref).filter(([k]) => k !== 'ldg')), 'f32 reference');
        for (const threads of THREADS) {
          const e = await engineOf(isa, threads);
          sameBits(runAll(e, t, true), want, `${threads} threads, leading-dimension forms`);
          sameBits(runAll(e, t, false), want, `${threads} threads, single-pass forms`);
        }
      });
    }

    it('n = 256, c = 1024: every kernel splits, and workers run chunks of each', async () => {
      const n = 256, c = 1024;
      const t = inputs(n, c);
      for (const threads of [2, 3]) {
        const e = await engineOf(isa, threads);
        const K = e.kernels;
        e.scope(() => {
          const x = e.tensor([n * c], t.x), dy = e.tensor([n * c], t.dy), g = e.tensor([c], t.gamma), b = e.tensor([c], t.beta);
          const y = e.empty([n * c]), h = e.empty([n * c]), dx = e.empty([n * c]), s = e.empty([n]);
          const mean = e.empty([c]), is = e.empty([c]), dg = e.empty([c]), db = e.empty([c]);
          const calls: Record<string, () => void> = {
            bnForwardTrainLd: () => K.bnForwardTrainLd(n, c, c, x.pointer(), y.pointer(), h.pointer(), g.pointer(), b.pointer(), mean.pointer(), is.pointer(), 0, 0, 0.1, EPS),
            bnBackwardLd: () => K.bnBackwardLd(n, c, c, h.pointer(), dy.pointer(), g.pointer(), is.pointer(), dx.pointer(), dg.pointer(), db.pointer()),
            colSumLd: () => K.colSumLd(n, c, c, dy.pointer(), db.pointer(), 0),
            lnParamGrads: () => K.lnParamGrads(n, c, c, h.pointer(), dy.pointer(), dg.pointer(), db.pointer()),
            lnBackward: () => K.lnBackward(n, c, h.pointer(), dy.pointer(), g.pointer(), s.pointer(), dx.pointer(), 0, 0),
          };
          K.lnForward(n, c, x.pointer(), y.pointer(), h.pointer(), g.pointer(), b.pointer(), s.pointer(), EPS);
          for (const [name, call] of Object.entries(calls)) {
            // a worker asleep may wake after the calling thread took every chunk: a few tries
            let ran = 0;
            // and on a busy machine the pool may be backing off (calls stay on this thread for
            // 250 ms after slow joins, pool.ts): wait that out before each try
            for (let i = 0; i < 200 && ran === 0; i++) {
              for (const t0 = performance.now(); runningPool()?.contended && performance.now() - t0 < 1000;);
              ran = workerChunks(call);
            }
            expect(ran, `${name}, ${threads} threads: chunks run by workers`).toBeGreaterThan(0);
          }
          // small calls stay whole (no chunks at all)
          const total = (): number => threadStats().reduce((p, q) => p + q, 0);
          const before = total();
          K.bnForwardTrainLd(16, 64, 64, x.pointer(), y.pointer(), h.pointer(), g.pointer(), b.pointer(), mean.pointer(), is.pointer(), 0, 0, 0.1, EPS);
          K.colSumLd(16, 64, 64, dy.pointer(), db.pointer(), 0);
          expect(total()).toBe(before);
        });
      }
    });

    it('a 64-1024bn-512ln-10 model trains with Adam to the same parameter bits on 1, 2 and 3 threads', async () => {
      const n = 512, features = 64, classes = 10;
      const x = matrix(n, features, 7);
      const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + (x[i * features] > 0 ? 1 : 0)) % classes);
      const data = { x, n, features, labels, classes };
      let want: { params: Float32Array; rm: Float32Array; rv: Float32Array } | undefined;
      for (const threads of THREADS) {
        const e = await engineOf(isa, threads);
        const model = new Model(e, {
          inputs: features, loss: 'softmax-cross-entropy', seed: 11,
          layers: [{ units: 1024, activation: 'linear', bias: false }, { type: 'batchnorm', activation: 'relu' },
            { units: 512, activation: 'linear' }, { type: 'layernorm', activation: 'tanh' }, { units: classes }],
        });
        const stats0 = threadStats();
        fit(model, data, { epochs: 2, batchSize: 256, seed: 3, optimizer: optimizer('adam', { lr: 1e-3 }) });
        const got = { params: model.parameters().toArray(), rm: model.layers[1].runningMean!.toArray(), rv: model.layers[1].runningVar!.toArray() };
        if (threads > 1) {
          const stats = threadStats();
          expect(stats.slice(1).some((s, i) => s > (stats0[i + 1] ?? 0)), `${threads} threads: workers ran chunks`).toBe(true);
        }
        model.release();
        if (!want) want = got;
        else sameBits(got, want, `model, ${threads} threads`);
      }
    }, 120_000);
  });
}
