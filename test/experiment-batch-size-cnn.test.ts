// `descent experiment batch-size-cnn` with its quick settings on the reference Fashion-MNIST
// files (../shared/data/fashion-mnist): steps to the target fall with the batch size, the
// regimes are computed from the numbers, and the picture is well-formed XML whose reference
// line really has slope −1 on the log–log axes and passes through the smallest batch's point.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { batchSizeCnn, type BatchSizeCnnOptions } from '../src/experiments/batch-size-cnn.js';
import { EXPERIMENTS } from '../src/experiments/index.js';
import type { ExperimentResult } from '../src/experiments/common.js';
import { descendants, parseXml } from './xml.js';

const DATA = fileURLToPath(new URL('../../shared/data/fashion-mnist/', import.meta.url));

let engine: Engine;
beforeAll(async () => { engine = await Engine.create(); });

/** The points of a path `M x,y L x,y …` (d3-shape's output for a polyline). */
const points = (d: string): [number, number][] => [...d.matchAll(/[ML]\s*([-\d.e]+)[ ,]([-\d.e]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe('batch-size-cnn (quick settings)', () => {
  let r: ExperimentResult;
  beforeAll(() => {
    const t0 = performance.now();
    r = batchSizeCnn.run({ engine, quick: true, seed: 1, data: DATA } as BatchSizeCnnOptions);
    // well under the 60 s of a test on 2 busy cores
    expect((performance.now() - t0) / 1000).toBeLessThan(45);
  }, 60_000);

  it('is registered', () => {
    expect(EXPERIMENTS.find((e) => e.name === 'batch-size-cnn')).toBe(batchSizeCnn);
  });

  it('every batch size reaches the target; steps fall from the smallest batch to larger ones; numbers finite', () => {
    const n = r.numbers;
    const sizes = [4, 16, 64, 256];
    for (const B of sizes) {
      expect(Number.isFinite(n[`b${B}.steps`]), `b${B}.steps`).toBe(true);
      expect(n[`b${B}.steps`]).toBeGreaterThan(0);
      expect(n[`b${B}.lr`]).toBeGreaterThan(0);
      expect(Number.isFinite(n[`b${B}.overPerfect`])).toBe(true);
      expect(n[`b${B}.runs`]).toBeGreaterThanOrEqual(2); // the best lr and at least one neighbour
    }
    expect(n['b16.steps']).toBeLessThan(n['b4.steps']);
    expect(n['b64.steps']).toBeLessThan(n['b16.steps']);
    expect(n['b256.steps']).toBeLessThan(n['b4.steps']);
    expect(n['b4.overPerfect']).toBe(1);
    // 4 → 16 is (near) perfect scaling: steps fall by at least 2.5× for 4× the batch
    expect(n['b4.steps'] / n['b16.steps']).toBeGreaterThan(2.5);
    // the regime boundary is computed from the ratios
    const lastPerfect = n.perfectScalingUpTo;
    expect(sizes).toContain(lastPerfect);
    for (const B of sizes.filter((b) => b <= lastPerfect)) expect(n[`b${B}.overPerfect`]).toBeLessThanOrEqual(1.5);
    if (Number.isFinite(n.diminishingFrom)) {
      expect(n.diminishingFrom).toBe(2 * 2 * lastPerfect); // the next size measured (×4 in quick)
      expect(n[`b${n.diminishingFrom}.overPerfect`]).toBeGreaterThan(1.5);
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'diminishingFrom' && k !== 'flatFrom') expect(Number.isFinite(v), k).toBe(true);
    expect(r.lines.some((l) => /^verdict: /.test(l))).toBe(true);
    expect(r.lines.join('\n')).toMatch(/perfect scaling \(steps within 1\.5×/);
  });

  it('the SVG is well-formed; its perfect-scaling line has slope −1 and passes through the smallest batch\'s point', () => {
    const root = parseXml(r.svg);
    expect(root.name).toBe('svg');
    const text = r.svg;
    expect(text).toContain('perfect scaling (slope −1)');
    const paths = descendants(root, (e) => e.name === 'path');
    const byStroke = (c: string) => paths.filter((p) => p.attrs.stroke === c).map((p) => points(p.attrs.d));
    const [perfect] = byStroke('#7f7f7f'); // the first grey path: the left panel's perfect-scaling line
    const [band] = byStroke('#bbbbbb'); // 1.5 × perfect scaling, dashed
    const [steps] = byStroke('#1f77b4');
    expect(perfect).toHaveLength(2);
    expect(band).toHaveLength(2);
    expect(steps).toHaveLength(4);
    // through the smallest batch's point, ending at the largest batch's x
    expect(Math.abs(perfect[0][0] - steps[0][0])).toBeLessThan(0.6);
    expect(Math.abs(perfect[0][1] - steps[0][1])).toBeLessThan(0.6);
    expect(Math.abs(perfect[1][0] - steps[3][0])).toBeLessThan(0.6);
    // slope −1 in log–log: the 1.5× line (same slope, log10 1.5 decades higher) gives the pixels
    // per decade of the y axis; the x axis is log2 batch, its pixels per doubling from the data
    const pxPerDecade = (perfect[0][1] - band[0][1]) / Math.log10(1.5);
    expect(pxPerDecade).toBeGreaterThan(0);
    const decadesDown = (perfect[1][1] - perfect[0][1]) / pxPerDecade;
    const pxPerDoubling = (steps[1][0] - steps[0][0]) / 2; // 4 → 16
    const doublings = (perfect[1][0] - perfect[0][0]) / pxPerDoubling;
    expect(doublings).toBeCloseTo(6, 1); // 4 → 256
    expect(decadesDown / (doublings * Math.log10(2))).toBeCloseTo(1, 2);
  });

  it('without the data, a clear error says how to provide it', () => {
    expect(() => batchSizeCnn.run({ engine, quick: true, data: '/nonexistent/fashion' } as BatchSizeCnnOptions))
      .toThrow(/needs Fashion-MNIST .*DESCENT_FASHION_MNIST.*descent train --data fashion-mnist/);
  });
});
