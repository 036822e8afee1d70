// Losses (kernels in assembly/nn/losses.ts). Each loss is a sum of terms — one per sample for
// the cross-entropies, one per output value (element) for the others — and a reduction:
//   'mean'  the default: the sum divided by the batch size B ("per sample"), or by B·C, the
//           number of elements, for the PyTorch-scaled elementwise losses mse-mean, huber and
//           smooth-l1 (PyTorch's reduction='mean'). The gradient is that of this mean.
//   'sum'   the sum over the batch (PyTorch's reduction='sum'): losses and gradients B (or B·C)
//           times the mean's; with a minibatch optimizer this scales the learning rate by B.
//   'none'  no scalar to descend, so not a model's training loss: model.unreducedLoss(batch)
//           and evaluate(model, data, { reduction: 'none' }) return the terms themselves
//           (PyTorch's reduction='none' tensor, row-major: [B] for the cross-entropies, [B, C]
//           for the others).
//
//   softmax-cross-entropy  term (1 − ε)·(lse(z) − z_label) + (ε/C)·Σ_j (lse(z) − z_j)     (labels)
//                          term Σ_j t'_j·(lse(z) − z_j),  t' = (1 − ε)·t + ε/C          (targets)
//                          ∂/∂z = softmax(z)·Σ_j t'_j − t'  (with labels t' = (1 − ε)·onehot + ε/C)
//       torch.nn.CrossEntropyLoss(label_smoothing=ε): class labels, or a row of probabilities
//       per sample ("soft targets", given as data targets; rows need not sum to 1, as in torch);
//       fused with the softmax on the logits z of a linear output layer; log-sum-exp after
//       subtracting the row maximum, so logits of ±1000 stay finite. Option labelSmoothing ε ∈ [0, 1].
//   mse                    term ½(y − t)², mean over the batch: L = (1/B) Σ_b ½‖y_b − t_b‖²,
//                          ∂L/∂y = (y − t)/B. Descent's own convention (the lectures'): half of
//                          PyTorch's MSELoss(reduction='sum') divided by B; no factor 2 in the gradient.
//   mse-mean               term (y − t)², mean over all B·C elements: PyTorch's MSELoss (also 'mse-torch').
//   huber                  term ½d² if |d| < δ, else δ(|d| − ½δ), d = y − t; mean over elements.
//                          torch.nn.HuberLoss(delta=δ); option delta δ > 0 (default 1).
//   smooth-l1              term ½d²/β if |d| < β, else |d| − ½β; mean over elements.
//                          torch.nn.SmoothL1Loss(beta=β); option beta β ≥ 0 (default 1; 0 is L1).
//   bce-logits             term (1 − t)·log(1 + e^z) + w_j·t·log(1 + e^−z), w_j the positive
//                          weight of output j (option posWeight: one number or one per output,
//                          default 1), ∂/∂z = (1 − t)σ(z) − w·t·σ(−z); mean over the batch:
//                          torch.nn.BCEWithLogitsLoss(pos_weight=w) for one output. With C > 1
//                          outputs descent keeps its per-sample sum over the outputs, so its
//                          'mean' is C times torch's (its 'sum' and 'none' are torch's).
//                          A linear output layer (the sigmoid is inside the loss).
//   bce                    term −[t log p + (1−t) log(1−p)], p clamped to [1e−7, 1 − 1e−7]; a
//                          sigmoid output layer; ∂/∂p = (p − t)/(p(1−p)); mean over the batch.
// Targets: softmax-cross-entropy takes class labels or probability rows; the others take
// targets, or labels turned into one-hot rows (regression losses) or 0/1 values (bce, one output).

import { DescentError, show } from '../engine/errors.js';
import type { ActivationName } from './activations.js';

export const LOSSES = ['softmax-cross-entropy', 'mse', 'mse-mean', 'huber', 'smooth-l1', 'bce-logits', 'bce'] as const;
export type LossName = (typeof LOSSES)[number];
export const REDUCTIONS = ['mean', 'sum', 'none'] as const;
export type Reduction = (typeof REDUCTIONS)[number];

/** A loss with its options, as ModelSpec.loss takes it (a bare name means every default). */
export interface LossSpec {
  name: LossName | string;
  /** 'mean' (default) or 'sum'; see the header. */
  reduction?: 'mean' | 'sum';
  /** softmax-cross-entropy: ε ∈ [0, 1] (default 0). */
  labelSmoothing?: number;
  /** bce-logits: weight of the positive terms, one number or one per output (default 1). */
  posWeight?: number | readonly number[];
  /** huber: δ > 0 (default 1). */
  delta?: number;
  /** smooth-l1: β ≥ 0 (default 1). */
  beta?: number;
}

/** A validated loss: the name, the reduction and the options its kind has, with their values. */
export interface LossConfig {
  readonly name: LossName;
  readonly reduction: 'mean' | 'sum';
  readonly labelSmoothing?: number;
  /** One weight per output (a number spec is expanded once the outputs are known), or absent. */
  readonly posWeight?: readonly number[];
  readonly delta?: number;
  readonly beta?: number;
}

const ALIASES: Record<string, LossName> = {
  'softmax-xent': 'softmax-cross-entropy', 'cross-entropy': 'softmax-cross-entropy', 'xent': 'softmax-cross-entropy',
  'categorical-cross-entropy': 'softmax-cross-entropy', 'mean-squared-error': 'mse',
  'binary-cross-entropy': 'bce', 'bce-with-logits': 'bce-logits', 'mse-torch': 'mse-mean',
  'huber-loss': 'huber', 'smooth_l1': 'smooth-l1', 'smoothl1': 'smooth-l1',
};

export function checkLoss(name: unknown, what: string): LossName {
  const n = typeof name === 'string' ? (ALIASES[name.toLowerCase()] ?? name.toLowerCase()) : name;
  if (!LOSSES.includes(n as LossName)) {
    throw new DescentError(`${what}: unknown loss ${JSON.stringify(name)}; known: ${LOSSES.join(', ')}`);
  }
  return n as LossName;
}

/** The options each loss takes besides reduction. */
const OPTIONS: Record<LossName, readonly ('labelSmoothing' | 'posWeight' | 'delta' | 'beta')[]> = {
  'softmax-cross-entropy': ['labelSmoothing'], 'mse': [], 'mse-mean': [], 'huber': ['delta'], 'smooth-l1': ['beta'],
  'bce-logits': ['posWeight'], 'bce': [],
};

/**
 * A loss given as a name or a LossSpec, validated (nothing is changed on an error): the name,
 * reduction 'mean' or 'sum', and only the options of that loss. With `outputs`, a posWeight is
 * checked against it and expanded to one weight per output.
 */
export function checkLossSpec(spec: unknown, what: string, outputs?: number): LossConfig {
  if (typeof spec === 'string') return defaults(checkLoss(spec, what));
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new DescentError(`${what}: loss must be a name (${LOSSES.join(', ')}) or { name, reduction?, … }, got ${q(spec)}`);
  }
  const o = spec as Record<string, unknown>;
  const name = checkLoss(o.name, `${what}: loss name`);
  const own = OPTIONS[name];
  const allowed = ['name', 'reduction', ...own];
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      const owner = (LOSSES as readonly LossName[]).filter((l) => (OPTIONS[l] as readonly string[]).includes(k));
      throw new DescentError(`${what}: loss ${name} has no option ${JSON.stringify(k)}` +
        (owner.length ? ` (${k} belongs to ${owner.join(', ')})` : '') + `; its options: ${allowed.slice(1).join(', ')}`);
    }
  }
  const c: { -readonly [K in keyof LossConfig]: LossConfig[K] } = defaults(name);
  if (o.reduction !== undefined) {
    if (o.reduction === 'none') {
      throw new DescentError(`${what}: loss reduction 'none' leaves no scalar to train on; train with 'mean' or 'sum' and ask model.unreducedLoss(batch) or evaluate(…, { reduction: 'none' }) for the per-sample terms`);
    }
    if (o.reduction !== 'mean' && o.reduction !== 'sum') throw new DescentError(`${what}: loss reduction must be 'mean' or 'sum', got ${q(o.reduction)}`);
    c.reduction = o.reduction;
  }
  const num = (k: string, ok: (v: number) => boolean, rule: string): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new DescentError(`${what}: loss ${name}: ${k} must be ${rule}, got ${q(v)}`);
    return v;
  };
  if (name === 'softmax-cross-entropy') c.labelSmoothing = num('labelSmoothing', (v) => v >= 0 && v <= 1, 'a number in [0, 1]') ?? 0;
  if (name === 'huber') c.delta = num('delta', (v) => v > 0, 'a finite number > 0') ?? 1;
  if (name === 'smooth-l1') c.beta = num('beta', (v) => v >= 0, 'a finite number ≥ 0') ?? 1;
  if (name === 'bce-logits' && o.posWeight !== undefined) {
    const w = checkPosWeight(o.posWeight, what, outputs);
    // once checked against the outputs, weights of 1 are no weights (the model file omits them)
    if (outputs === undefined || w.some((x) => x !== 1)) c.posWeight = w;
  }
  return c;
}

/** A value for a message: strings quoted (show prints them bare). */
const q = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : show(v));

function defaults(name: LossName): LossConfig {
  const c: { -readonly [K in keyof LossConfig]: LossConfig[K] } = { name, reduction: 'mean' };
  if (name === 'softmax-cross-entropy') c.labelSmoothing = 0;
  if (name === 'huber') c.delta = 1;
  if (name === 'smooth-l1') c.beta = 1;
  return c;
}

function checkPosWeight(w: unknown, what: string, outputs: number | undefined): number[] {
  const rule = 'finite numbers ≥ 0';
  const bad = (v: unknown) => typeof v !== 'number' || !Number.isFinite(v) || v < 0;
  if (typeof w === 'number') {
    if (bad(w)) throw new DescentError(`${what}: loss bce-logits: posWeight must be ${rule} (one, or one per output), got ${q(w)}`);
    return outputs === undefined ? [w] : new Array<number>(outputs).fill(w);
  }
  if (!Array.isArray(w) || w.length === 0) throw new DescentError(`${what}: loss bce-logits: posWeight must be a number or a non-empty array of ${rule}, got ${q(w)}`);
  const i = w.findIndex(bad);
  if (i >= 0) throw new DescentError(`${what}: loss bce-logits: posWeight[${i}] must be a finite number ≥ 0, got ${q(w[i])}`);
  if (outputs !== undefined && w.length !== outputs && w.length !== 1) {
    throw new DescentError(`${what}: loss bce-logits: posWeight has ${w.length} weights, the model has ${outputs} outputs (give one weight, or one per output)`);
  }
  return outputs !== undefined && w.length === 1 ? new Array<number>(outputs).fill(w[0]) : [...(w as number[])];
}

/**
 * What a model file and modelSpec store: the bare name when every option is its default (the
 * files written before these options existed), else a LossSpec with the non-default options.
 */
export function lossSpecOf(c: LossConfig): LossName | LossSpec {
  const s: LossSpec = { name: c.name };
  if (c.reduction !== 'mean') s.reduction = c.reduction;
  if (c.labelSmoothing) s.labelSmoothing = c.labelSmoothing;
  if (c.delta !== undefined && c.delta !== 1) s.delta = c.delta;
  if (c.beta !== undefined && c.beta !== 1) s.beta = c.beta;
  if (c.posWeight && c.posWeight.some((w) => w !== 1)) s.posWeight = [...c.posWeight];
  return Object.keys(s).length === 1 ? c.name : s;
}

/** A short description: "huber(δ=1.5)", "softmax-cross-entropy(ε=0.1, sum)". */
export function describeLoss(c: LossConfig): string {
  const parts: string[] = [];
  if (c.labelSmoothing) parts.push(`ε=${c.labelSmoothing}`);
  if (c.delta !== undefined && c.delta !== 1) parts.push(`δ=${c.delta}`);
  if (c.beta !== undefined && c.beta !== 1) parts.push(`β=${c.beta}`);
  if (c.posWeight && c.posWeight.some((w) => w !== 1)) parts.push(`posWeight=[${c.posWeight.join(', ')}]`);
  if (c.reduction !== 'mean') parts.push(c.reduction);
  return parts.length ? `${c.name}(${parts.join(', ')})` : c.name;
}

/** Whether a loss's terms are per output value (elementwise) rather than per sample. */
export function isElementwise(loss: LossName): boolean {
  return loss !== 'softmax-cross-entropy';
}

/**
 * The divisor of the summed terms of n samples with `outputs` outputs under the reduction:
 * 'sum' 1; 'mean' n, or n·outputs for mse-mean, huber and smooth-l1 (see the header).
 */
export function lossDivisor(c: Pick<LossConfig, 'name' | 'reduction'>, n: number, outputs: number): number {
  if (c.reduction === 'sum') return 1;
  return c.name === 'mse-mean' || c.name === 'huber' || c.name === 'smooth-l1' ? n * outputs : n;
}

/** The output activation a loss expects, where it constrains it. */
export function lossOutputActivation(loss: LossName): ActivationName | undefined {
  if (loss === 'softmax-cross-entropy' || loss === 'bce-logits') return 'linear';
  return undefined;
}

/** Whether a loss fits a regression (any output activation, targets compared value by value). */
export function isRegression(loss: LossName): boolean {
  return loss === 'mse' || loss === 'mse-mean' || loss === 'huber' || loss === 'smooth-l1';
}

/** Whether accuracy is meaningful: the loss is a classification loss, or mse on one-hot labels. */
export function isClassification(loss: LossName): boolean {
  return !isRegression(loss);
}
