// Per-layer statistics of a network on one batch, and a fit callback that records them per epoch,
// so that vanishing or exploding gradients, dead units and saturation show up as curves.
//
// For layer l with weights W_l (in×out), bias b_l, output Y_l = f_l(X·W_l + b_l) on n samples:
//   weightNorm      ‖W_l‖_F            biasNorm      ‖b_l‖₂   (0 without a bias)
//   gradWeightNorm  ‖∂L/∂W_l‖_F        gradBiasNorm  ‖∂L/∂b_l‖₂
//   ratio           ‖∂L/∂W_l‖_F / ‖W_l‖_F   (the relative size of a unit-lr step: ~1e-3 is healthy)
//   mean, std       of the n·out values of Y_l (population std)
//   dead            relu layers: the fraction of units (conv layers: channels) whose output is
//                   exactly 0 for every sample (and pixel)
//                   of the batch (no gradient reaches their incoming weights)
//   saturated       tanh layers: the fraction of outputs with |y| > 0.99; sigmoid layers: with
//                   y < 0.01 or y > 0.99 (f' < 0.02 resp. < 0.0099 there, the gradient fades)
// L is the model's mean loss on the batch. The outputs of the last layer are its activation's
// output: logits for softmax-cross-entropy and bce-logits models. Gradients are the ones a
// training step on this batch would use; the gradient buffer is put back afterwards, and the
// parameters are not touched, so recording inside fit does not change training.

import type { EpochLogs } from '../train/fit.js';
import type { Batch, Model } from '../nn/model.js';

export interface LayerStats {
  layer: number;
  /** The layer, e.g. "Dense(4→3, relu)". */
  kind: string;
  weightNorm: number;
  biasNorm: number;
  gradWeightNorm: number;
  gradBiasNorm: number;
  /** gradWeightNorm / weightNorm. */
  ratio: number;
  mean: number;
  std: number;
  /** relu layers only. */
  dead?: number;
  /** sigmoid and tanh layers only. */
  saturated?: number;
}

export interface LayerStatsReport {
  /** Mean loss on the batch. */
  loss: number;
  layers: LayerStats[];
}

/** One field of LayerStats over the epochs. */
export interface LayerStatsSeries {
  layer: number;
  kind: string;
  weightNorm: number[];
  biasNorm: number[];
  gradWeightNorm: number[];
  gradBiasNorm: number[];
  ratio: number[];
  mean: number[];
  std: number[];
  dead?: number[];
  saturated?: number[];
}

export interface LayerStatsHistory {
  epoch: number[];
  loss: number[];
  layers: LayerStatsSeries[];
}

function norm(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Gradient, weight and activation statistics of every layer on one batch (see the header). */
export function layerStats(model: Model, batch: Batch): LayerStatsReport {
  model.checkBatch(batch, 'layerStats');
  const n = batch.n;
  const savedGrads = model.gradients().toArray();
  try {
    const v = model.stage(batch, 'layerStats');
    model.forward(v, n);
    const acts = model.layers.map((l, i) => {
      const y = v.ys[i].data.subarray(0, n * l.width);
      let sum = 0, sq = 0, sat = 0;
      for (let k = 0; k < y.length; k++) {
        const a = y[k];
        sum += a;
        sq += a * a;
        if (l.activation === 'tanh' ? Math.abs(a) > 0.99 : a < 0.01 || a > 0.99) sat++;
      }
      const mean = sum / y.length;
      const std = Math.sqrt(Math.max(0, sq / y.length - mean * mean));
      let dead: number | undefined;
      if (l.activation === 'relu') {
        // a unit of a Dense layer, a channel (filter) of an image layer: dead when 0 for every
        // sample (and every pixel: values channels-last, channel u at u, u + c, …)
        const units = l.image ? l.image[2] : l.width;
        let count = 0;
        for (let u = 0; u < units; u++) {
          let zero = true;
          for (let k = u; k < y.length && zero; k += units) zero = y[k] === 0;
          if (zero) count++;
        }
        dead = count / units;
      }
      const saturated = l.activation === 'tanh' || l.activation === 'sigmoid' ? sat / y.length : undefined;
      return { mean, std, dead, saturated };
    });
    const loss = model.lossAndBackward(v, n, true) / model.lossDivisor(n);
    const layers = model.layers.map((l, i): LayerStats => {
      const weightNorm = norm(l.W.data), gradWeightNorm = norm(l.gW.data);
      const s: LayerStats = {
        layer: l.index, kind: l.describe(),
        weightNorm, biasNorm: l.b ? norm(l.b.data) : 0,
        gradWeightNorm, gradBiasNorm: l.gb ? norm(l.gb.data) : 0,
        ratio: gradWeightNorm / weightNorm,
        mean: acts[i].mean, std: acts[i].std,
      };
      if (acts[i].dead !== undefined) s.dead = acts[i].dead;
      if (acts[i].saturated !== undefined) s.saturated = acts[i].saturated;
      return s;
    });
    return { loss, layers };
  } finally {
    model.gradients().data.set(savedGrads);
  }
}

/**
 * A fit callback that records layerStats(model, batch) after every epoch, and the history it
 * fills: `const rec = recordLayerStats(model, batch); fit(model, data, { onEpochEnd: rec.onEpochEnd })`.
 * Also records once on demand with rec.record(epoch) (e.g. before training, as epoch 0).
 */
export function recordLayerStats(model: Model, batch: Batch): {
  onEpochEnd: (logs: EpochLogs) => void;
  record: (epoch: number) => LayerStatsReport;
  history: LayerStatsHistory;
} {
  model.checkBatch(batch, 'recordLayerStats');
  const history: LayerStatsHistory = {
    epoch: [], loss: [],
    layers: model.layers.map((l) => {
      const s: LayerStatsSeries = { layer: l.index, kind: l.describe(), weightNorm: [], biasNorm: [], gradWeightNorm: [], gradBiasNorm: [], ratio: [], mean: [], std: [] };
      if (l.activation === 'relu') s.dead = [];
      if (l.activation === 'tanh' || l.activation === 'sigmoid') s.saturated = [];
      return s;
    }),
  };
  const record = (epoch: number): LayerStatsReport => {
    const r = layerStats(model, batch);
    history.epoch.push(epoch);
    history.loss.push(r.loss);
    r.layers.forEach((s, i) => {
      const h = history.layers[i];
      h.weightNorm.push(s.weightNorm); h.biasNorm.push(s.biasNorm);
      h.gradWeightNorm.push(s.gradWeightNorm); h.gradBiasNorm.push(s.gradBiasNorm);
      h.ratio.push(s.ratio); h.mean.push(s.mean); h.std.push(s.std);
      if (h.dead) h.dead.push(s.dead!);
      if (h.saturated) h.saturated.push(s.saturated!);
    });
    return r;
  };
  return { onEpochEnd: (logs) => { record(logs.epoch); }, record, history };
}
