// batch-size: small batches make many cheap, noisy updates, large ones few, expensive, accurate
// updates. Measured: how many updates and how many seconds of training each batch size needs
// to bring the loss on the whole training set down to a target.
//
// Setup: digits training split (1437 samples), 64 → 32 tanh → 10, plain SGD with the same
// lr 0.1 for every batch size (the same initial weights; shuffled batches, seed 1), batch
// sizes 1, 8, 32, 128 and full (1437). The training-set loss is evaluated every few updates
// (outside the timed part); a run stops at the target loss 0.1
// (quick: 0.5) or after 30 s (quick: 5 s) of training. Seconds are wall-clock time of the
// fit loop on this machine: per-update overhead (staging the batch, one wasm call per layer)
// dominates for batch 1, arithmetic for the full batch.

import { fit, evaluate } from '../train/fit.js';
import { Model } from '../nn/model.js';
import type { LineSeries } from '../plot/svg-curve.js';
import { lineChartSvg } from '../plot/svg-curve.js';
import { digitsSplit, fmt, panels, table, type Experiment } from './common.js';

const SIZES: (number | 'full')[] = [1, 8, 32, 128, 'full'];
const COLORS = ['#d62728', '#ff7f0e', '#2ca02c', '#1f77b4', '#9467bd'];

export const batchSize: Experiment = {
  name: 'batch-size',
  claim: 'Smaller batches reach a given training loss in fewer passes over the data but more updates; larger batches need fewer updates, each more expensive; the wall-clock optimum lies in between.',
  picture: 'Training-set loss against updates (left) and against seconds of training (right), both axes logarithmic, for batch sizes 1, 8, 32, 128 and full, the target dashed.',
  run({ engine, quick = false, seed = 1 }) {
    const { train } = digitsSplit();
    const target = quick ? 0.5 : 0.1, budget = quick ? 5 : 30, lr = 0.1;
    const init = new Model(engine, { inputs: 64, loss: 'softmax-cross-entropy', seed, layers: [{ units: 32, activation: 'tanh' }, { units: 10 }] });
    const theta0 = init.parameters().toArray();
    const numbers: Record<string, number> = { target };
    const rows = [['batch', 'updates', 'epochs', 'seconds', 'final loss', 'reached']];
    const byUpdates: LineSeries[] = [], bySeconds: LineSeries[] = [];
    for (const [i, B] of SIZES.entries()) {
      const model = i === 0 ? init : new Model(engine, { inputs: 64, loss: 'softmax-cross-entropy', seed, layers: [{ units: 32, activation: 'tanh' }, { units: 10 }] });
      model.parameters().data.set(theta0);
      const perEpoch = B === 'full' ? 1 : Math.ceil(train.n / B);
      // evaluation points: every update for large batches, sparser for small ones (few cost much)
      const every = B === 1 ? 25 : B === 8 ? 5 : 1;
      const ups = [0], losses = [evaluate(model, train).loss], secs = [0];
      let trained = 0, since = performance.now(), updates = 0, reached = false;
      fit(model, train, {
        epochs: 1_000_000, batchSize: B, lr, seed,
        onBatchEnd: (logs) => {
          trained += performance.now() - since;
          updates = logs.step + 1;
          let stop = trained / 1000 >= budget;
          if (updates % every === 0 || updates < 10 || stop) {
            const loss = evaluate(model, train).loss;
            ups.push(updates); losses.push(loss); secs.push(trained / 1000);
            if (loss <= target) { reached = true; stop = true; }
          }
          since = performance.now();
          return stop ? 'stop' : undefined;
        },
      });
      const key = `b${B}`;
      const seconds = trained / 1000, final = losses[losses.length - 1];
      numbers[`${key}.updates`] = reached ? updates : Infinity;
      numbers[`${key}.epochs`] = reached ? updates / perEpoch : Infinity;
      numbers[`${key}.seconds`] = reached ? seconds : Infinity;
      numbers[`${key}.finalLoss`] = final;
      rows.push([String(B), String(updates), fmt(updates / perEpoch), seconds.toFixed(2), fmt(final), reached ? 'yes' : `no (${budget} s)`]);
      const name = B === 'full' ? `full (${train.n})` : `batch ${B}`;
      byUpdates.push({ name, x: ups.map((u) => Math.log10(Math.max(u, 1))), y: losses, color: COLORS[i] });
      bySeconds.push({ name, x: secs.map((t) => Math.log10(t)), y: losses, color: COLORS[i] }); // t = 0 drops out (−∞)
    }
    const best = SIZES.map((B) => [B, numbers[`b${B}.seconds`]] as const).reduce((a, b) => (b[1] < a[1] ? b : a));
    numbers.fastestBatch = best[0] === 'full' ? train.n : best[0];
    const u = (B: number | 'full') => numbers[`b${B}.updates`], e = (B: number | 'full') => numbers[`b${B}.epochs`];
    // "fewer updates" within 2%: past a few samples per batch the counts agree to a few updates
    const monotoneUpdates = SIZES.every((B, k) => k === 0 || u(B) <= 1.02 * u(SIZES[k - 1]));
    numbers.fullOverB8Updates = u('full') / u(8);
    const monotoneEpochs = SIZES.every((B, k) => k === 0 || e(B) >= e(SIZES[k - 1]));
    const lines = [
      `digits (${train.n} training samples), 64 → 32 tanh → 10, SGD lr ${lr} for every batch size, target training loss ${target}`,
      ...table(rows),
      `updates fall with the batch size (within 2%): ${monotoneUpdates ? 'yes' : 'no'}; epochs (passes over the data) rise with it: ${monotoneEpochs ? 'yes' : 'no'}; ` +
        `fastest in wall-clock: batch ${best[0]} (${fmt(best[1])} s)`,
      `verdict: updates fall from ${u(1)} (batch 1) to ${u(8)} (batch 8), then stay flat (the full batch needs ${fmt(numbers.fullOverB8Updates)}× batch 8's): ` +
        `at one fixed lr a more accurate gradient does not make a longer step, so beyond a few samples a bigger batch only costs ` +
        `time; the claim's "fewer updates for larger batches" holds only up to that point here (a larger lr for larger batches, not tried, is what would use them)`,
    ];
    const tgt = (xs: number[]): LineSeries => ({ name: `target ${target}`, x: [Math.min(...xs), Math.max(...xs)], y: [target, target], color: '#7f7f7f', dashed: true });
    byUpdates.push(tgt(byUpdates.flatMap((s) => Array.from(s.x))));
    bySeconds.push(tgt(bySeconds.flatMap((s) => Array.from(s.x)).filter(Number.isFinite)));
    const left = lineChartSvg(byUpdates, { title: 'Training loss vs updates', xLabel: 'log₁₀ updates', yLabel: 'training-set loss (log scale)', logY: true, yDomain: [0.05, 5], width: 540, height: 440 });
    const right = lineChartSvg(bySeconds, { title: 'Training loss vs wall-clock', xLabel: 'log₁₀ seconds of training', yLabel: 'training-set loss (log scale)', logY: true, yDomain: [0.05, 5], width: 540, height: 440 });
    return { lines, numbers, svg: panels([left, right], 'Batch size: updates vs wall-clock to a target training loss') };
  },
};
