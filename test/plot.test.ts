import { describe, expect, it } from 'vitest';
import { DescentError } from '../src/engine/errors.js';
import { escapeXml, lineChartSvg, trainingCurveSvg } from '../src/plot/svg-curve.js';

interface Element {
  name: string;
  attrs: Record<string, string>;
  text: string;
}

const ENTITIES = ['&amp;', '&lt;', '&gt;', '&quot;', '&#39;'];

function checkEntities(s: string, where: string): void {
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
    if (!ENTITIES.some((e) => s.startsWith(e, i))) throw new Error(`bare & in ${where}: ${s.slice(i, i + 12)}`);
  }
}

/**
 * A small XML well-formedness check for the subset the charts use (elements, attributes in
 * double quotes, text, the five predefined entities): every tag closed in order, attributes
 * quoted, no bare '<' or '&'. Returns the elements in document order with their text.
 */
function parseXml(xml: string): Element[] {
  const elements: Element[] = [];
  const stack: Element[] = [];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    checkEntities(text, 'text');
    if (stack.length > 0) stack[stack.length - 1]!.text += text;
    else if (text.trim() !== '') throw new Error(`text outside the root: ${text.slice(0, 20)}`);
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = xml.slice(lt + 1, gt);
    if (tag.includes('<')) throw new Error(`'<' inside tag ${tag.slice(0, 30)}`);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const open = stack.pop();
      if (!open || open.name !== tag.slice(1).trim()) throw new Error(`</${tag.slice(1)}> closes <${open?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const sp = body.search(/\s|$/);
    const el: Element = { name: body.slice(0, sp), attrs: {}, text: '' };
    if (!/^[a-zA-Z][\w:-]*$/.test(el.name)) throw new Error(`bad element name "${el.name}"`);
    let rest = body.slice(sp).trim();
    while (rest !== '') {
      const eq = rest.indexOf('="');
      const end = rest.indexOf('"', eq + 2);
      if (eq < 0 || end < 0) throw new Error(`bad attributes in <${el.name}>: ${rest}`);
      const name = rest.slice(0, eq);
      const value = rest.slice(eq + 2, end);
      if (!/^[a-zA-Z][\w:-]*$/.test(name)) throw new Error(`bad attribute name "${name}"`);
      if (name in el.attrs) throw new Error(`duplicate attribute ${name}`);
      checkEntities(value, `attribute ${name}`);
      el.attrs[name] = value;
      rest = rest.slice(end + 1).trim();
    }
    if (stack.length === 0 && elements.length > 0) throw new Error('more than one root element');
    elements.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  return elements;
}

const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

/** Number of vertices of a path's "M…L…L…" data. */
const vertices = (d: string) => d.split(/[ML]/).filter((s) => s !== '').length;

function texts(els: Element[]): string[] {
  return els.filter((e) => e.name === 'text').map((e) => unescape(e.text));
}

/** The line paths of a series, found by its data-series group. */
function seriesGroup(els: Element[], name: string): { paths: Element[]; circles: Element[] } {
  const start = els.findIndex((e) => e.name === 'g' && unescape(e.attrs['data-series'] ?? '') === name);
  if (start < 0) throw new Error(`no series "${name}"`);
  const paths: Element[] = [];
  const circles: Element[] = [];
  for (const e of els.slice(start + 1)) {
    if (e.name === 'path') paths.push(e);
    else if (e.name === 'circle') circles.push(e);
    else break;
  }
  return { paths, circles };
}

const epoch = Array.from({ length: 30 }, (_, i) => i + 1);
const history = {
  epoch,
  loss: epoch.map((e) => 2.3 * Math.exp(-e / 6) + 0.08),
  valLoss: epoch.map((e) => 2.3 * Math.exp(-e / 6) + 0.15),
  accuracy: epoch.map((e) => 1 - 0.85 * Math.exp(-e / 5)),
  valAccuracy: epoch.map((e) => 1 - 0.9 * Math.exp(-e / 5)),
};

describe('SVG charts', () => {
  it('a training curve is one well-formed standalone <svg> with axes, labels and a line per series', () => {
    const svg = trainingCurveSvg(history);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/href|url\(|<script|<style|@import| id="/);
    const els = parseXml(svg);
    const root = els[0]!;
    expect(root.name).toBe('svg');
    expect(root.attrs).toMatchObject({ width: '720', height: '420', viewBox: '0 0 720 420' });
    const t = texts(els);
    for (const label of ['Training curve', 'epoch', 'loss', 'accuracy', 'training loss', 'validation loss', 'training accuracy', 'validation accuracy']) {
      expect(t, label).toContain(label);
    }
    // accuracy axis on [0, 1]; epoch ticks are integers
    expect(t).toContain('0.0');
    expect(t).toContain('1.0');
    expect(t).toContain('10');
    // epochs 1..3: integer ticks only
    const few = texts(parseXml(trainingCurveSvg({ epoch: [1, 2, 3], loss: [30, 20, 10] })));
    for (const tick of ['1', '2', '3']) expect(few).toContain(tick);
    for (const tick of ['1.5', '2.5', '1.2']) expect(few).not.toContain(tick);
    for (const name of ['training loss', 'validation loss', 'training accuracy', 'validation accuracy']) {
      const g = seriesGroup(els, name);
      expect(g.paths.length, name).toBe(1);
      expect(vertices(g.paths[0]!.attrs.d!), name).toBe(30);
      expect(g.circles.length, name).toBe(0); // 30 points: no markers
    }
    expect(seriesGroup(els, 'validation loss').paths[0]!.attrs['stroke-dasharray']).toBeDefined();
    expect(seriesGroup(els, 'training loss').paths[0]!.attrs['stroke-dasharray']).toBeUndefined();
  });

  it('history without validation or accuracy draws only what it has', () => {
    const els = parseXml(trainingCurveSvg({ epoch, loss: history.loss }));
    const t = texts(els);
    expect(t).toContain('training loss');
    expect(t).not.toContain('accuracy');
    expect(t).not.toContain('validation loss');
    expect(els.filter((e) => e.name === 'path').length).toBe(1);
  });

  it('NaN and infinite points are skipped and the line joins their neighbours', () => {
    const valLoss = history.valLoss.slice();
    valLoss[3] = NaN;
    valLoss[10] = Infinity;
    const valAccuracy = history.valAccuracy.map((v, i) => (i % 5 === 4 ? v : NaN)); // every 5th epoch only
    const svg = trainingCurveSvg({ ...history, valLoss, valAccuracy });
    expect(svg).not.toMatch(/NaN|Infinity/);
    const els = parseXml(svg);
    expect(vertices(seriesGroup(els, 'validation loss').paths[0]!.attrs.d!)).toBe(28);
    const va = seriesGroup(els, 'validation accuracy');
    expect(vertices(va.paths[0]!.attrs.d!)).toBe(6);
    expect(va.circles.length).toBe(6); // few points: markers
  });

  it('a single epoch shows as dots, and an all-NaN history still renders', () => {
    const one = trainingCurveSvg({ epoch: [1], loss: [0.7], accuracy: [0.81] });
    expect(one).not.toMatch(/NaN|Infinity/);
    const els = parseXml(one);
    expect(els.filter((e) => e.name === 'path').length).toBe(0);
    expect(seriesGroup(els, 'training loss').circles.length).toBe(1);
    expect(seriesGroup(els, 'training accuracy').circles.length).toBe(1);
    expect(texts(els)).toContain('1'); // the epoch tick

    const none = trainingCurveSvg({ epoch: [1, 2], loss: [NaN, NaN] });
    expect(none).not.toMatch(/NaN|Infinity/);
    expect(texts(parseXml(none))).toContain('no finite data');
    expect(texts(parseXml(trainingCurveSvg({ epoch: [], loss: [] })))).toContain('no finite data');
  });

  it('accuracy outside [0, 1] (percentages) gets an automatic axis', () => {
    const t = texts(parseXml(trainingCurveSvg({ epoch: [1, 2, 3], loss: [50, 30, 20], accuracy: [40, 70, 85] })));
    expect(t).toContain('80');
    for (const unit of ['0.2', '0.4', '0.6', '0.8', '1.0']) expect(t).not.toContain(unit);
    const u = texts(parseXml(trainingCurveSvg({ epoch: [1, 2, 3], loss: [50, 30, 20], accuracy: [0.4, 0.7, 0.85] })));
    for (const unit of ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']) expect(u).toContain(unit);
  });

  it('lineChartSvg: several series, a log axis, escaped text', () => {
    const svg = lineChartSvg(
      [
        { name: 'sgd <lr=0.1>', x: epoch, y: history.loss },
        { name: 'adam & "friends"', x: epoch, y: history.loss.map((v) => v / 100) },
        { name: 'zero loss', x: [1, 2, 3], y: [1, 0, 0.5] }, // 0 cannot be drawn on a log axis
      ],
      { title: "Loss <by> optimizer & 'run'", xLabel: 'epoch', yLabel: 'loss', logY: true, width: 640, height: 360 },
    );
    const els = parseXml(svg);
    expect(els[0]!.attrs.viewBox).toBe('0 0 640 360');
    const t = texts(els);
    expect(t).toContain("Loss <by> optimizer & 'run'");
    expect(t).toContain('sgd <lr=0.1>');
    expect(t).toContain('adam & "friends"');
    expect(t).toContain('0.001');
    expect(t).toContain('1');
    expect(vertices(seriesGroup(els, 'sgd <lr=0.1>').paths[0]!.attrs.d!)).toBe(30);
    expect(vertices(seriesGroup(els, 'zero loss').paths[0]!.attrs.d!)).toBe(2);
    // distinct palette colours
    const strokes = ['sgd <lr=0.1>', 'adam & "friends"'].map((n) => seriesGroup(els, n).paths[0]!.attrs.stroke);
    expect(new Set(strokes).size).toBe(2);
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });

  it('non-integer x gets decimal ticks; a flat series gets a widened axis', () => {
    const t = texts(parseXml(lineChartSvg([{ name: 'flat', x: [0, 0.5, 1], y: [2, 2, 2] }])));
    expect(t).toContain('0.5');
    expect(t.some((s) => s.startsWith('1.9') || s.startsWith('1.8'))).toBe(true);
  });

  it('x tick labels near the edges stay inside the image', () => {
    for (const width of [200, 320, 720]) {
      const els = parseXml(lineChartSvg([{ name: 'steps', x: [0, 5_000_000, 10_000_000], y: [1, 2, 3] }], { width }));
      const labels = els.filter((e) => e.name === 'text' && /^\d+$/.test(e.text) && Number(e.attrs.y) > 100);
      expect(labels.length).toBeGreaterThanOrEqual(2);
      for (const l of labels) {
        const half = (0.6 * 12 * l.text.length) / 2; // the chart's own estimate: 0.6 em per character at the 12 px tick font
        expect(Number(l.attrs.x) - half, `${l.text} at width ${width}`).toBeGreaterThanOrEqual(0);
        expect(Number(l.attrs.x) + half, `${l.text} at width ${width}`).toBeLessThanOrEqual(width);
      }
    }
  });

  it('bad input raises DescentError naming the operation', () => {
    expect(() => trainingCurveSvg({ epoch: [1, 2], loss: [1] })).toThrow(DescentError);
    expect(() => trainingCurveSvg({ epoch: [1, 2], loss: [1] })).toThrow('trainingCurveSvg: history.loss holds 1 values for 2 epochs');
    expect(() => trainingCurveSvg({ epoch: [1, 2], loss: [1, 2], valLoss: [1, 2, 3] })).toThrow('trainingCurveSvg: history.valLoss holds 3 values for 2 epochs');
    expect(() => trainingCurveSvg({ loss: [1] } as never)).toThrow('trainingCurveSvg: history must be');
    expect(() => trainingCurveSvg(history, { accuracyRange: 'percent' as never })).toThrow("trainingCurveSvg: accuracyRange must be 'unit' or 'auto'");
    expect(() => lineChartSvg([{ name: 'a', x: [1, 2], y: [1] }])).toThrow('lineChartSvg: series "a": x and y differ in length (2 vs 1)');
    expect(() => lineChartSvg([{ name: 'a', x: [1], y: [1] }], { width: 50 })).toThrow('lineChartSvg: width and height must be finite and at least 200 × 150 px, got 50 × 420');
    expect(() => lineChartSvg([{ name: 'a', x: [1], y: [1] }], { logY: true, yDomain: [0, 1] })).toThrow('lineChartSvg: yDomain must be positive on a log axis');
  });
});
