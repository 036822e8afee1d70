// adagrad-vs-rmsprop: AdaGrad divides the learning rate by the root of the SUM of all past
// squared gradients, G_t = Σ g², so its effective learning rate lr/(√G_t + ε) can only shrink,
// roughly like 1/√t while the gradients keep their size; RMSProp divides by the root of a
// moving AVERAGE, v_t = αv_{t−1} + (1 − α)g², which forgets (time constant 1/(1 − α) = 100
// steps for α = 0.99), so its effective rate tracks the recent gradient size and does not decay.
//
// Setup: digits, 64 → 32 tanh → 10, batch 32, 20 epochs (quick: 4), the same initial weights
// and batches; AdaGrad lr 0.05 and RMSProp lr 0.003 (descent's defaults on digits), PyTorch's
// other hyper-parameters. After every update the optimizer state (sum, square_avg) is read out
// and the median over all parameters of lr/(√s + ε) recorded. Caveat the numbers show:
// RMSProp's v starts at 0 (no bias correction), so its effective rate is largest in the very
// first steps (v₁ = 0.01·g², 10× the rate of a warmed-up average) and settles after ~100
// steps; "does not decay" is measured from step 100 on. AdaGrad's median rate can never rise
// (each parameter's sum only grows); the count of updates where it rose checks that.

import { fit } from '../train/fit.js';
import { Model } from '../nn/model.js';
import { optimizer, type RuleOptimizer } from '../optim/optimizer.js';
import type { Optimizer } from '../train/optimizer.js';
import { lineChartSvg } from '../plot/svg-curve.js';
import { digitsSplit, fmt, median, panels, table, type Experiment } from './common.js';

/** Wraps an optimizer: after each step, records the median lr/(√s + ε) over the parameters. */
function tracking(inner: RuleOptimizer<object>, buffer: string, lr: number, eps: number, out: number[]): Optimizer {
  return {
    name: inner.name,
    bind: (model) => inner.bind(model),
    learningRate: (ctx) => inner.learningRate(ctx),
    step(params, grads, ctx) {
      inner.step(params, grads, ctx);
      const s = inner.stateDict().buffers[buffer];
      const e = new Float64Array(s.length);
      for (let i = 0; i < s.length; i++) e[i] = lr / (Math.sqrt(s[i]) + eps);
      out.push(median(e));
    },
  };
}

const RUNS = [
  { key: 'adagrad', label: 'AdaGrad lr 0.05: lr/(√Σg² + ε)', rule: 'adagrad', buffer: 'sum', lr: 0.05, eps: 1e-10, color: '#d62728' },
  { key: 'rmsprop', label: 'RMSProp lr 0.003: lr/(√avg g² + ε)', rule: 'rmsprop', buffer: 'square_avg', lr: 0.003, eps: 1e-8, color: '#1f77b4' },
] as const;

export const adagradVsRmsprop: Experiment = {
  name: 'adagrad-vs-rmsprop',
  claim: 'AdaGrad\'s effective learning rate lr/(√G + ε) keeps decaying during training; RMSProp\'s, over a moving average of g², does not.',
  picture: 'Left: the median effective learning rate over all parameters per update (log scale) for AdaGrad and RMSProp on digits; right: their training loss per epoch.',
  run({ engine, quick = false, seed = 1 }) {
    const { train } = digitsSplit();
    const epochs = quick ? 4 : 20;
    const numbers: Record<string, number> = {};
    const rows = [['optimizer', 'step 1', 'step 100', 'last step', 'last/step 1', 'last/step 100', 'final loss']];
    const effSeries = [], lossSeries = [];
    for (const r of RUNS) {
      const model = new Model(engine, { inputs: 64, loss: 'softmax-cross-entropy', seed, layers: [{ units: 32, activation: 'tanh' }, { units: 10 }] });
      const eff: number[] = [];
      const opt = tracking(optimizer(r.rule, { lr: r.lr }) as RuleOptimizer<object>, r.buffer, r.lr, r.eps, eff);
      const h = fit(model, train, { epochs, batchSize: 32, optimizer: opt, seed });
      const last = eff[eff.length - 1];
      numbers[`${r.key}.step1`] = eff[0];
      numbers[`${r.key}.step100`] = eff[99];
      numbers[`${r.key}.last`] = last;
      numbers[`${r.key}.lastOverStep1`] = last / eff[0];
      numbers[`${r.key}.lastOverStep100`] = last / eff[99];
      numbers[`${r.key}.loss`] = h.loss[h.loss.length - 1];
      numbers[`${r.key}.steps`] = eff.length;
      let rises = 0;
      for (let k = 1; k < eff.length; k++) if (eff[k] > eff[k - 1]) rises++;
      numbers[`${r.key}.increases`] = rises;
      rows.push([r.rule, fmt(eff[0]), fmt(eff[99]), fmt(last), fmt(last / eff[0]), fmt(last / eff[99]), fmt(h.loss[h.loss.length - 1])]);
      effSeries.push({ name: r.label, x: eff.map((_, k) => k + 1), y: eff, color: r.color });
      lossSeries.push({ name: r.rule === 'adagrad' ? 'AdaGrad' : 'RMSProp', x: h.epoch, y: h.loss, color: r.color });
    }
    const a = numbers['adagrad.lastOverStep100'], b = numbers['rmsprop.lastOverStep100'];
    const ok = numbers['adagrad.lastOverStep1'] < 0.5 && numbers['adagrad.increases'] === 0 && b >= 0.5;
    const lines = [
      `digits, 64 → 32 tanh → 10, batch 32, ${epochs} epochs (${numbers['adagrad.steps']} updates); median over the parameters of the effective learning rate`,
      ...table(rows),
      ok
        ? `supports the claim: AdaGrad's effective rate never rises and ends at ${fmt(numbers['adagrad.lastOverStep1'])}× its first value ` +
          `(${fmt(a)}× its step-100 value: slower than 1/√t, since the gradients shrink as the loss falls); ` +
          `RMSProp's rose in ${numbers['rmsprop.increases']} of ${numbers['rmsprop.steps']} updates and ends at ${fmt(b)}× its step-100 value, ` +
          `following the recent gradient size (its first step is larger still, ${fmt(1 / numbers['rmsprop.lastOverStep1'])}× the last: v starts at 0)`
        : `does NOT support the claim as measured: last/step-100 ratios AdaGrad ${fmt(a)}, RMSProp ${fmt(b)}`,
    ];
    const left = lineChartSvg(effSeries, { title: 'Median effective learning rate', xLabel: 'update', yLabel: 'lr / (√s + ε) (log scale)', logY: true, width: 600, height: 440 });
    const right = lineChartSvg(lossSeries, { title: 'Training loss', xLabel: 'epoch', yLabel: 'mean loss over the epoch (log scale)', logY: true, width: 460, height: 440 });
    return { lines, numbers, svg: panels([left, right], 'AdaGrad vs RMSProp: the effective learning rate') };
  },
};
