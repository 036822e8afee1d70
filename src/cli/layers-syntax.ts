// The --layers syntax: a network as a dash-separated list, e.g.
//   784-500bn-d0.2-300ln-10           an MLP: inputs, hidden sizes, outputs
//   c32k3-p2-c64k3-p2-128-10          a CNN: the input image comes from the data
// Entries:
//   N, Nbn, Nln      Dense of N units (with bn / ln: no activation nor bias, then batch / layer
//                    norm with the activation)
//   dP               dropout with rate P;   sdP: spatial dropout (whole channels), after images
//   cFkK[xK2][sS][pP|same][gG][lD][bn]
//                    conv2d: F filters, K×K (or K×K2) kernel, stride S, padding P or 'same',
//                    G groups, dilation D; bn: conv without activation or bias, then batch norm
//                    per channel with the activation
//   pK[sS]           max pooling K×K (stride S, default K);  apK[sS]: average pooling
//   gap              global average pooling;   flat: flatten (a Dense after an image flattens
//                    by itself)
//   …:ACT            on N, Nbn, Nln, a conv entry or the output size: that layer's activation
//                    instead of --activation's, e.g. 784-500:gelu-300:silu-10 (names with a dash
//                    by their underscore alias: gelu_tanh, leaky_relu)
// When the first entry is a number it is the model's input size (and must match the data);
// otherwise the network starts on the data's images (IDX images and digits keep their [h, w]
// shape: one channel).

import { DescentError } from '../engine/errors.js';
import type { Dataset } from '../data/dataset.js';
import type { AnyLayerSpec, ModelSpec } from '../nn/model.js';

export interface LayerOptions {
  activation?: string;
  alpha?: number;
  init?: unknown;
  loss?: string;
}

const CONV = /^c(\d+)k(\d+)(?:x(\d+))?((?:s\d+|p\d+|same|g\d+|l\d+)*)(bn)?$/;
const POOL = /^(a?)p(\d+)(?:s(\d+))?$/;

/** Throws if the inputs entry carries an activation ("784:gelu"). */
function refuseOwnInput(e: string): void {
  if (/^\d+:/.test(e)) throw new DescentError(`--layers: entry 1 "${e}": the inputs entry takes no activation`);
}

/** The model's inputs and layers of a --layers text for data `train` with `classes` classes. */
export function parseLayers(text: string | undefined, train: Dataset, classes: number, o: LayerOptions): { inputs: ModelSpec['inputs']; layers: AnyLayerSpec[] } {
  const entries = text ? text.split('-') : [String(train.features), '64', String(classes)];
  refuseOwnInput(entries[0]);
  const int = (s: string, i: number): number => {
    const v = Number(s);
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(v) || v < 1) throw new DescentError(`--layers: entry ${i + 1} "${entries[i]}": expected a positive integer, got "${s}"`);
    return v;
  };
  let inputs: ModelSpec['inputs'];
  let first = 0;
  if (/^\d+$/.test(entries[0])) {
    inputs = int(entries[0], 0);
    if (inputs !== train.features) throw new DescentError(`--layers: the network takes ${inputs} inputs but the data has ${train.features} features`);
    first = 1;
  } else {
    const fs = train.featureShape;
    if (!fs || (fs.length !== 2 && fs.length !== 3)) {
      throw new DescentError(`--layers ${text}: a network that starts with "${entries[0]}" needs image data (samples with a [height, width] shape, as IDX images and digits have); this data has ${train.features} features${fs ? ` of shape [${fs.join(', ')}]` : ''}`);
    }
    // [h, w] images have one channel; [h, w, c] ones are channels-last already
    inputs = fs.length === 2 ? [1, fs[0], fs[1]] : [fs[2], fs[0], fs[1]];
  }
  if (entries.length - first < 1) throw new DescentError(`--layers: need at least inputs-outputs, got ${text}`);
  const { activation, alpha, init } = o;
  // --activation, else tanh for Dense layers (the course's default) and relu for conv layers
  const actDefault = activation ?? 'tanh', convDefault = activation ?? 'relu';
  const layers: AnyLayerSpec[] = [];
  const L = (x: Record<string, unknown>): AnyLayerSpec => x as unknown as AnyLayerSpec;
  const last = entries.length - 1;
  // an entry's own activation, "…:ACT" (validated by the model, which names the layer)
  const own = entries.map((e, i) => {
    const c = e.indexOf(':');
    if (c < 0) return undefined;
    const name = e.slice(c + 1);
    if (!/^[a-z_]+$/i.test(name)) throw new DescentError(`--layers: entry ${i + 1} "${e}": expected an activation name after ':', got "${name}"`);
    entries[i] = e.slice(0, c);
    return name.toLowerCase();
  });
  const refuseOwn = (i: number): void => {
    if (own[i] !== undefined) throw new DescentError(`--layers: entry ${i + 1} "${entries[i]}:${own[i]}": only Dense, norm and conv entries take an activation`);
  };
  for (let i = first; i < last; i++) {
    const e = entries[i];
    const act = (own[i] ?? actDefault) as never, convAct = (own[i] ?? convDefault) as never;
    const norm = /^(\d+)(bn|ln)$/.exec(e), drop = /^(s?)d(.+)$/.exec(e), conv = CONV.exec(e), pool = POOL.exec(e);
    if (conv) {
      const [, f, k, k2, opts, bn] = conv;
      const spec: Record<string, unknown> = { type: 'conv2d', filters: int(f, i), kernel: k2 ? [int(k, i), int(k2, i)] : int(k, i) };
      for (const m of opts.matchAll(/(s|p|g|l)(\d+)|same/g)) {
        if (m[0] === 'same') spec.padding = 'same';
        else spec[{ s: 'stride', p: 'padding', g: 'groups', l: 'dilation' }[m[1] as 's' | 'p' | 'g' | 'l']] = m[1] === 'p' ? Number(m[2]) : int(m[2], i);
      }
      if (bn) {
        layers.push(L({ ...spec, activation: 'linear', bias: false, ...(init ? { init } : {}) }));
        layers.push(L({ type: 'batchnorm', activation: convAct, alpha }));
      } else {
        layers.push(L({ ...spec, activation: convAct, alpha, ...(init ? { init } : {}) }));
      }
    } else if (pool) {
      refuseOwn(i);
      const [, avg, k, s] = pool;
      layers.push(L({ type: avg ? 'avgpool2d' : 'maxpool2d', kernel: int(k, i), ...(s ? { stride: int(s, i) } : {}) }));
    } else if (e === 'gap') {
      refuseOwn(i);
      layers.push(L({ type: 'globalavgpool' }));
    } else if (e === 'flat') {
      refuseOwn(i);
      layers.push(L({ type: 'flatten' }));
    } else if (norm) {
      layers.push({ units: int(norm[1], i), activation: 'linear', bias: false, init: init as never });
      layers.push({ type: norm[2] === 'bn' ? 'batchnorm' : 'layernorm', activation: act, alpha });
    } else if (drop) {
      refuseOwn(i);
      const rate = Number(drop[2]);
      if (drop[2].trim() === '' || !(rate >= 0 && rate < 1)) throw new DescentError(`--layers: entry ${i + 1} "${e}": dropout rate must be a number in [0, 1)`);
      if (layers.length === 0) throw new DescentError(`--layers: entry ${i + 1} "${e}": dropout must follow a hidden layer`);
      layers.push(drop[1] ? L({ type: 'dropout2d', rate }) : { type: 'dropout', rate });
    } else if (/^\d+$/.test(e)) {
      layers.push({ units: int(e, i), activation: act, alpha, init: init as never });
    } else {
      throw new DescentError(`--layers: entry ${i + 1} "${e}" is not a layer: N, Nbn, Nln, dP, sdP, cFkK[sS][pP|same][gG][lD][bn], pK[sS], apK[sS], gap or flat`);
    }
  }
  layers.push({ units: int(entries[last], last), activation: (own[last] ?? (o.loss === 'bce' ? 'sigmoid' : 'linear')) as never, init: init as never });
  return { inputs, layers };
}
