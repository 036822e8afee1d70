// --lr-schedule SPEC of `descent train` and `descent compare`: the learning rate (and, for
// cyclic, the momentum) over the update steps of the run, from src/optim/schedules.ts.
//
//   constant              the --lr throughout (default)
//   cosine                cosine annealing from --lr to 0 at the last step (CosineAnnealingLR)
//   step:N[:γ]            × γ every N steps, γ default 0.1 (StepLR)
//   poly[:P]              polynomial decay to 0 at the last step, (1 − t/T)^P, P default 1 (PolynomialLR)
//   cyclic:N[:F[:MODE[:γ]]]  cyclical rates between --lr and F·--lr (F default 10), N steps up and N
//                         down, MODE triangular (default), triangular2 or exp_range (× γ^t, γ default
//                         0.999) (CyclicLR); an optimizer with momentum > 0 has it cycled from 0.9
//                         (at --lr) to 0.8 (at F·--lr), PyTorch's cycle_momentum defaults
//   warmup:N              a linear ramp from 0 over N steps in front of the others, which start
//                         counting after it: warmup:200+cosine
// Parts are joined with +, which is PyTorch's SequentialLR (one schedule after the other, each
// restarting its count), not ChainedScheduler (schedules.ts has both, sequential and chained).
// The maximum of cyclic is a factor of --lr so that `descent compare`, which scales one schedule
// to each optimizer's own learning rate, can use it too.

import { DescentError } from '../engine/errors.js';
import * as schedules from '../optim/schedules.js';
import type { Schedule } from '../optim/schedules.js';

export const SCHEDULE_HELP = `  --lr-schedule SPEC   learning rate over the update steps: constant (default), cosine (to 0 at
                       the last step), step:N:γ (× γ every N steps; γ default 0.1), poly:P
                       (PolynomialLR to 0 at the last step, power P, default 1),
                       cyclic:N:F:MODE:γ (CyclicLR from lr to F·lr and back, N steps each way;
                       F default 10; MODE triangular, triangular2 or exp_range with γ, default
                       0.999; momentum > 0 is cycled 0.9 → 0.8 → 0.9), warmup:N (linear from 0
                       over N steps, then the rest: warmup:200+cosine; + is SequentialLR)
`;

/** A learning rate that follows --lr-schedule, with a short description for the logs. */
export interface LrPlan {
  lr: number | Schedule;
  base: number;
  text: string;
  /** cyclic's momentum (cycle_momentum), for an optimizer whose momentum is > 0. */
  momentum?: Schedule;
}

function num(v: string | undefined, name: string, integer = false): number {
  const x = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
    throw new DescentError(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
  }
  return x;
}

/**
 * --lr-schedule SPEC over `totalSteps` updates (see the header). A constant plan returns the
 * number itself, so plain SGD stays plain. For an optimizer without a learning rate (lr
 * undefined) there is no plan, and a schedule is an error.
 */
export function parseLrSchedule(spec: string | undefined, lr: number | undefined, totalSteps: number, name = 'this optimizer'): LrPlan | undefined {
  if (lr === undefined) {
    if (spec !== undefined && spec !== 'constant') throw new DescentError(`--lr-schedule: ${name} has no learning rate to schedule`);
    return undefined;
  }
  try {
    return lrSchedule(spec, lr, totalSteps);
  } catch (e) {
    // the schedules name their own option ("step: stepSize must be …"): say which flag it was
    if (e instanceof DescentError && !e.message.startsWith('--')) throw new DescentError(`--lr-schedule ${spec}: ${e.message}`);
    throw e;
  }
}

const MAIN = ['constant', 'cosine', 'step', 'poly', 'cyclic'];

function lrSchedule(spec: string | undefined, lr: number, totalSteps: number): LrPlan {
  const usage = 'use constant, cosine, step:N:γ, poly:P, cyclic:N:F:MODE:γ or warmup:N, joined with + (e.g. warmup:100+cosine)';
  if (spec === undefined || spec === 'constant') return { lr, base: lr, text: '' };
  let warm = 0, main = 'constant', mainArgs: string[] = [], warmSeen = false, mainSeen = false;
  for (const part of spec.split('+')) {
    const [kind, ...args] = part.trim().split(':');
    if (kind === 'warmup') {
      if (warmSeen || args.length !== 1) throw new DescentError(`--lr-schedule ${spec}: warmup takes one step count (warmup:N), once`);
      warm = num(args[0], 'lr-schedule warmup:N', true);
      if (warm < 0) throw new DescentError(`--lr-schedule ${spec}: warm-up steps must be ≥ 0`);
      warmSeen = true;
    } else if (MAIN.includes(kind)) {
      if (mainSeen) throw new DescentError(`--lr-schedule ${spec}: one of ${MAIN.join(', ')} at most`);
      main = kind; mainArgs = args; mainSeen = true;
    } else {
      throw new DescentError(`--lr-schedule: unknown schedule ${JSON.stringify(part)}; ${usage}`);
    }
  }
  const rest = Math.max(1, totalSteps - warm);
  let s: Schedule;
  let text: string;
  let momentum: Schedule | undefined;
  if (main === 'cosine') {
    if (mainArgs.length) throw new DescentError(`--lr-schedule ${spec}: cosine takes no arguments (it anneals to 0 over the run)`);
    s = schedules.cosine(lr, { tMax: rest });
    text = `cosine over ${rest} steps`;
  } else if (main === 'step') {
    if (mainArgs.length < 1 || mainArgs.length > 2) throw new DescentError(`--lr-schedule ${spec}: expected step:N or step:N:γ`);
    const stepSize = num(mainArgs[0], 'lr-schedule step:N', true);
    const gamma = mainArgs[1] === undefined ? 0.1 : num(mainArgs[1], 'lr-schedule step:N:γ');
    s = schedules.step(lr, { stepSize, gamma });
    text = `× ${gamma} every ${stepSize} steps`;
  } else if (main === 'poly') {
    if (mainArgs.length > 1) throw new DescentError(`--lr-schedule ${spec}: expected poly or poly:P (the power)`);
    const power = mainArgs[0] === undefined ? 1 : num(mainArgs[0], 'lr-schedule poly:P');
    s = schedules.polynomial(lr, { totalIters: rest, power });
    text = `polynomial decay (power ${power}) to 0 over ${rest} steps`;
  } else if (main === 'cyclic') {
    if (mainArgs.length < 1 || mainArgs.length > 4) throw new DescentError(`--lr-schedule ${spec}: expected cyclic:N, cyclic:N:F, cyclic:N:F:MODE or cyclic:N:F:exp_range:γ`);
    const n = num(mainArgs[0], 'lr-schedule cyclic:N', true);
    const factor = mainArgs[1] === undefined ? 10 : num(mainArgs[1], 'lr-schedule cyclic:N:F');
    if (!(factor >= 1)) throw new DescentError(`--lr-schedule ${spec}: the factor F of the maximum F·lr must be ≥ 1, got ${factor}`);
    const mode = (mainArgs[2] ?? 'triangular') as 'triangular' | 'triangular2' | 'exp_range';
    if (mainArgs[3] !== undefined && mode !== 'exp_range') throw new DescentError(`--lr-schedule ${spec}: only exp_range takes γ`);
    const gamma = mainArgs[3] === undefined ? 0.999 : num(mainArgs[3], 'lr-schedule cyclic:N:F:exp_range:γ');
    const c = schedules.cyclic({ baseLr: lr, maxLr: factor * lr, stepSizeUp: n, mode, gamma });
    s = c.lr;
    momentum = c.momentum;
    text = `cyclic ${mode}${mode === 'exp_range' ? ` γ ${gamma}` : ''} between ${lr} and ${factor * lr}, ${n} steps each way`;
  } else {
    if (mainArgs.length) throw new DescentError(`--lr-schedule ${spec}: constant takes no arguments`);
    s = schedules.constant(lr);
    text = 'constant';
  }
  if (warm > 0) {
    s = schedules.warmup(s, { steps: warm });
    if (momentum) {
      const m = momentum;
      momentum = schedules.sequential([schedules.constant(m(0)), m], [warm]);
    }
    text = `warm-up ${warm} steps, then ${text}`;
  }
  return { lr: s, base: lr, text, ...(momentum ? { momentum } : {}) };
}
