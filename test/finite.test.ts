// firstNonFinite (assembly/finite.ts) against a scalar loop, and the model paths that rely on it
// to reject NaN/±Infinity inputs: the error names the sample and feature, nothing else changes.
import { describe, expect, it } from 'vitest';
import { Model } from '../src/nn/model.js';
import { layerStats, recordLayerStats } from '../src/diagnostics/layer-stats.js';
import { isas, engineFor } from './engines.js';
import { randomF32 } from './reference.js';

function firstNonFiniteRef(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

/** Special f32 bit patterns: finite extremes that must pass, and NaN payloads/infinities that must not. */
const FINITE_BITS = [0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x7f7fffff, 0xff7fffff, 0x3f800000];
const NONFINITE_BITS = [0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fffffff, 0xff800001];

for (const isa of isas) {
  describe(`firstNonFinite ${isa}`, () => {
    const e = engineFor(isa);
    const run = (x: Float32Array) => e.scope(() => e.kernels.firstNonFinite(x.length, e.tensor([Math.max(x.length, 1)], x.length ? x : [0]).pointer()));

    it('finds the first NaN/±Infinity at every position of blocks and tails, and passes finite extremes', () => {
      for (const n of [0, 1, 3, 15, 16, 17, 31, 32, 33, 100, 1000]) {
        const base = randomF32(n, n + 7);
        const bits = new Uint32Array(base.buffer);
        for (let j = 0; j < n; j++) bits[j] = j % 3 === 0 ? FINITE_BITS[j % FINITE_BITS.length] : bits[j];
        expect(run(base), `all finite n=${n}`).toBe(-1);
        for (let pos = 0; pos < n; pos += Math.max(1, n >> 4)) {
          for (const nb of NONFINITE_BITS) {
            const x = base.slice();
            new Uint32Array(x.buffer)[pos] = nb;
            if (pos + 5 < n) new Uint32Array(x.buffer)[pos + 5] = 0x7f800000; // a later one must not win
            expect(run(x), `n=${n} pos=${pos} bits=${nb.toString(16)}`).toBe(firstNonFiniteRef(x));
            expect(run(x)).toBe(pos);
          }
        }
      }
    });
  });

  describe(`model input checks ${isa}`, () => {
    const e = engineFor(isa);
    const spec = { inputs: 5, layers: [{ units: 4, activation: 'tanh' as const }, { units: 3 }], loss: 'softmax-cross-entropy' as const, seed: 3 };

    it('predict, lossAndGradient, loss and layerStats name the sample and feature; parameters and gradients are unchanged', () => {
      const m = new Model(e, spec);
      const n = 2500; // predict runs chunks of 1000: the bad value sits in the third chunk
      const x = randomF32(n * 5, 11);
      const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
      m.lossAndGradient({ x: x.subarray(0, 50), labels, n: 10 });
      const p0 = m.parameters().toArray(), g0 = m.gradients().toArray();
      const bad = x.slice();
      bad[2345 * 5 + 4] = NaN;
      expect(() => m.predict(bad, n)).toThrow('predict: x has NaN at sample 2345, feature 4');
      const small = bad.slice(0, 20 * 5);
      small[7 * 5 + 1] = -Infinity;
      expect(() => m.lossAndGradient({ x: small, labels, n: 20 })).toThrow('lossAndGradient: x has -Infinity at sample 7, feature 1');
      expect(() => m.lossOnly({ x: small, labels, n: 20 })).toThrow('loss: x has -Infinity at sample 7, feature 1');
      expect(() => layerStats(m, { x: small, labels, n: 20 })).toThrow('layerStats: x has -Infinity at sample 7, feature 1');
      expect(() => recordLayerStats(m, { x: small, labels, n: 20 })).toThrow('recordLayerStats: x has -Infinity at sample 7, feature 1');
      expect(m.parameters().toArray()).toEqual(p0);
      expect(m.gradients().toArray()).toEqual(g0);
      // the same data without the bad values still works, and gives the same outputs as before
      const good = m.predict(x, n);
      expect(good.every(Number.isFinite)).toBe(true);
    });
  });
}
