// The loss from the command line: --loss NAME[:PARAM] (huber:δ, smooth-l1:β — the parameter that
// defines the loss, as --lr-schedule takes step:N:γ), and the options every caller of a loss may
// set as flags of their own: --label-smoothing ε (softmax-cross-entropy), --pos-weight W[,W…]
// (bce-logits: one weight, or one per output) and --reduction mean|sum. Validation is
// nn/losses.ts's, with the flag names in the messages.

import { DescentError } from '../engine/errors.js';
import { checkLoss, checkLossSpec, LOSSES, type LossName, type LossSpec } from '../nn/losses.js';

export const LOSS_OPTIONS = {
  'label-smoothing': { type: 'string' }, 'pos-weight': { type: 'string' }, reduction: { type: 'string' },
} as const;

export const LOSS_HELP = `  --loss NAME[:P]      ${LOSSES.join(', ')} (default softmax-cross-entropy);
                       huber:δ (default 1) and smooth-l1:β (default 1) take their parameter;
                       mse is ½‖y − t‖² averaged over samples, mse-mean PyTorch's MSELoss
  --label-smoothing E  softmax-cross-entropy: targets (1 − E)·onehot + E/classes (default 0)
  --pos-weight W[,W…]  bce-logits: weight of the positive terms, one or one per output
  --reduction R        mean (default) or sum of the loss over the batch
`;

/** The loss the flags describe: a name when no option is set, else a LossSpec; throws on bad flags. */
export function lossFromFlags(v: Record<string, unknown>): LossName | LossSpec {
  const raw = (v.loss as string | undefined) ?? 'softmax-cross-entropy';
  const colon = raw.indexOf(':');
  const name = checkLoss(colon < 0 ? raw : raw.slice(0, colon), '--loss');
  const spec: LossSpec = { name };
  if (colon >= 0) {
    const param = raw.slice(colon + 1);
    const key = name === 'huber' ? 'delta' : name === 'smooth-l1' ? 'beta' : undefined;
    if (!key) throw new DescentError(`--loss ${raw}: ${name} takes no parameter after ':' (huber:δ and smooth-l1:β do; label smoothing is --label-smoothing, positive weights --pos-weight)`);
    spec[key] = number(param, `--loss ${raw}`);
  }
  if (v['label-smoothing'] !== undefined) {
    if (name !== 'softmax-cross-entropy') throw new DescentError(`--label-smoothing goes with --loss softmax-cross-entropy, not ${name}`);
    spec.labelSmoothing = number(v['label-smoothing'] as string, '--label-smoothing');
  }
  if (v['pos-weight'] !== undefined) {
    if (name !== 'bce-logits') throw new DescentError(`--pos-weight goes with --loss bce-logits, not ${name}`);
    const w = (v['pos-weight'] as string).split(',').map((s) => number(s, '--pos-weight'));
    spec.posWeight = w.length === 1 ? w[0] : w;
  }
  if (v.reduction !== undefined) {
    const r = v.reduction as string;
    if (r !== 'mean' && r !== 'sum') throw new DescentError(`--reduction must be mean or sum, got ${JSON.stringify(r)} ('none' has no scalar to train on)`);
    spec.reduction = r;
  }
  try {
    checkLossSpec(spec, '--loss');
  } catch (e) {
    if (e instanceof DescentError) {
      const m = e.message.replace(/^--loss: loss \S+: /, `--loss ${raw}: `)
        .replace(/^--loss \S+: labelSmoothing/, '--label-smoothing').replace(/^--loss \S+: posWeight/, '--pos-weight');
      throw new DescentError(m);
    }
    throw e;
  }
  return Object.keys(spec).length === 1 ? name : spec;
}

function number(s: string, what: string): number {
  const x = Number(s);
  if (s.trim() === '' || !Number.isFinite(x)) throw new DescentError(`${what}: expected a number, got ${JSON.stringify(s)}`);
  return x;
}

/** The loss's name from --loss (and its checks: the other flags are validated once, by lossFromFlags). */
export function lossName(v: Record<string, unknown>): LossName {
  const f = lossFromFlags(v);
  return typeof f === 'string' ? f : checkLoss(f.name, '--loss');
}
