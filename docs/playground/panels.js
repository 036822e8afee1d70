// The pictures, all drawn by the library's SVG functions (the same ones `descent compare`,
// `descent train` and `descent landscape` write to files): training loss and test accuracy
// (lineChartSvg), the confusion matrix (confusionMatrixSvg), optimizer paths on a 2-D test
// function (optimizerTrajectory + landscapeSvg). Each returns an SVG string for innerHTML.

import {
  lineChartSvg, confusionMatrixSvg, landscapeSvg, landscapeProblem, optimizerTrajectory, TRAJECTORY_OPTIMIZERS,
} from 'descentjs';

const X_LABEL = 'passes over the training data (epochs; full batch: evaluations ÷ 2)';
const WIDTH = 480;

/**
 * Chart size for `names` in the legend: lineChartSvg wraps legend items (28 px + 7.2 px a
 * character + 18 px each) into rows of width − 32 px, 20 px a row, above the plot; the plot
 * keeps ~270 px whatever the number of rows.
 */
function chartSize(names) {
  let rows = 1, used = 0;
  for (const n of names) {
    const w = 28 + n.length * 7.2 + 18;
    if (used > 0 && used + w > WIDTH - 32) { rows++; used = 0; }
    used += w;
  }
  return { width: WIDTH, height: 320 + 20 * (rows - 1) };
}

/** Label for legends: the name and, for first-order methods, the learning rate. */
export function runLabel(run) {
  return run.lr === undefined ? run.name : `${run.name} (lr ${Number(run.lr.toPrecision(3))})`;
}

/** A placeholder chart (no runs yet): the axes with a title, so the panel keeps its size. */
function emptySeries() {
  return [{ name: 'no run yet', x: [0, 1], y: [NaN, NaN], color: '#999999' }];
}

/** Training loss per epoch / iteration of every run, log scale. */
export function lossChart(runs) {
  const series = runs.filter((r) => r.x.length > 0).map((r) => ({ name: runLabel(r), x: r.x, y: r.loss, color: r.color }));
  const shown = series.length ? series : emptySeries();
  return lineChartSvg(shown, {
    title: 'Training loss', xLabel: X_LABEL, yLabel: 'loss (softmax cross-entropy)', logY: true, ...chartSize(shown.map((s) => s.name)),
  });
}

/** Test accuracy per epoch / iteration of every run, in %. */
export function accuracyChart(runs) {
  const series = runs.map((r) => ({ name: runLabel(r), x: r.x, y: r.accuracy.map((a) => 100 * a), color: r.color }));
  const shown = series.length ? series : emptySeries();
  return lineChartSvg(shown, {
    title: 'Test accuracy', xLabel: X_LABEL, yLabel: 'test accuracy (%)', yDomain: [0, 100], ...chartSize(shown.map((s) => s.name)),
  });
}

/** The confusion matrix of `run` on the test split. */
export function confusionChart(run, matrix) {
  return confusionMatrixSvg(matrix, { title: `Confusion matrix · ${run.name} · test split`, cell: 26 });
}

/**
 * Paths of the chosen optimizers that have a 2-D version (TRAJECTORY_OPTIMIZERS: the classic
 * first-order rules, CG and L-BFGS, each with its learning rate tuned for the function, not the
 * network's) on landscape `fn`. Returns the SVG and the chosen names without a path.
 */
export function landscapePanel(fn, chosen, colorOf) {
  const problem = landscapeProblem(fn);
  const drawn = chosen.filter((n) => TRAJECTORY_OPTIMIZERS.includes(n));
  const runs = drawn.map((n) => ({ ...optimizerTrajectory(problem, n), color: colorOf(n) }));
  const svg = landscapeSvg(problem, runs, { width: 680, height: 500, resolution: 160 });
  return { svg, drawn, missing: chosen.filter((n) => !drawn.includes(n)) };
}

export { TRAJECTORY_OPTIMIZERS };
