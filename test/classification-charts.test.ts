// ROC curve and confusion-matrix pictures (src/plot/classification-charts.ts).
import { describe, expect, it } from 'vitest';
import { rocArea, rocCurveSvg, confusionMatrixSvg } from '../src/plot/classification-charts.js';
import { auc, rocCurve } from '../src/metrics/roc.js';
import { confusionMatrix } from '../src/metrics/classification.js';
import { descendants, parseXml, textOf } from './xml.js';

describe('rocCurveSvg', () => {
  const truth = [0, 0, 1, 1, 0, 1, 1, 0, 1, 0];
  const good = [0.1, 0.2, 0.8, 0.7, 0.3, 0.9, 0.6, 0.4, 0.55, 0.5];
  const tied = [0.5, 0.5, 0.5, 0.9, 0.1, 0.5, 0.7, 0.2, 0.5, 0.5];
  it('draws one curve per scorer plus the chance line, AUCs in the legend equal auc()', () => {
    const curves = [{ name: 'good', roc: rocCurve(good, truth) }, { name: 'tied', roc: rocCurve(tied, truth) }];
    for (const [i, s] of [good, tied].entries()) expect(rocArea(curves[i].roc)).toBeCloseTo(auc(s, truth), 12);
    const root = parseXml(rocCurveSvg(curves, { title: 'two scorers' }));
    const text = textOf(root);
    expect(text).toContain(`good (AUC ${auc(good, truth).toFixed(3)})`);
    expect(text).toContain(`tied (AUC ${auc(tied, truth).toFixed(3)})`);
    expect(text).toContain('chance');
    expect(text).toContain('false positive rate');
    expect(descendants(root, (e) => e.name === 'path' && (e.attrs.d ?? '').includes('L')).length).toBeGreaterThanOrEqual(3);
  });
  it('refuses empty input and non-curves', () => {
    expect(() => rocCurveSvg([])).toThrow(/at least one/);
    expect(() => rocCurveSvg([{ name: 'x', roc: { fpr: new Float64Array(1), tpr: new Float64Array(1) } as never }])).toThrow(/"x" is not a ROC curve/);
  });
});

describe('confusionMatrixSvg', () => {
  it('one cell per class pair, counts printed, the darkest cells where the row shares are largest', () => {
    const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2, 1];
    const pred = [0, 0, 1, 1, 1, 2, 2, 0, 2, 2];
    const m = confusionMatrix(Int32Array.from(pred), Int32Array.from(truth), 3);
    const root = parseXml(confusionMatrixSvg(m, { labels: ['cat', 'dog', 'emu'] }));
    const cells = descendants(root, (e) => e.name === 'rect' && e.attrs.stroke === '#ddd');
    expect(cells.length).toBe(9);
    const text = textOf(root);
    for (const l of ['cat', 'dog', 'emu', 'predicted class', 'true class', '10 samples']) expect(text).toContain(l);
    // row 2 (emu): 3 of 4 right → the diagonal cell is darker than the off-diagonal one with 1
    const fill = (t: number, p: number) => cells[t * 3 + p].attrs.fill;
    const lum = (rgb: string) => rgb.match(/\d+/g)!.map(Number).reduce((a, b) => a + b, 0);
    expect(lum(fill(2, 2))).toBeLessThan(lum(fill(2, 0)));
    expect(lum(fill(1, 0))).toBe(lum('rgb(247,251,255)')); // an empty cell stays white
  });
  it('refuses a wrong number of labels and non-matrices', () => {
    const m = confusionMatrix(Int32Array.of(0, 1), Int32Array.of(0, 1), 2);
    expect(() => confusionMatrixSvg(m, { labels: ['a'] })).toThrow(/1 labels for 2 classes/);
    expect(() => confusionMatrixSvg({} as never)).toThrow(/expected a confusion matrix/);
  });
});
