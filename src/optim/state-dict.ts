// What an optimizer state dict (optimizer.ts, checkpoint.ts) may hold, checked by value before
// anything is applied or allocated. Types are checked with typeof / Array.isArray on own keys
// (a `version` object or a `toString` key is refused, not coerced), and values for what they
// mean: an exp_avg_sq of −1 or ±Inf would pass a type check and make every parameter NaN on the
// first step (√−1), so
//   - every buffer value is finite; second moments and other magnitudes (exp_avg_sq,
//     max_exp_avg_sq, square_avg, acc_delta, sum, exp_inf, step_size, learning_rate) are ≥ 0;
//   - steps are integers ≥ 0; frozen flags are booleans; layout is [offset, length] pairs of
//     integers ≥ 0 tiling [0, length) in order;
//   - centered RMSprop: square_avg ≥ grad_avg² (its update takes √(square_avg − grad_avg²));
//   - scalars are the rule's only: NAdam's mu_product (Π μ_t) a number in (0, 1], iRprop+'s
//     prev_loss a finite number, ASGD's eta (finite ≥ 0) and mu (in (0, 1]); no other rule
//     keeps scalars.
// The rule's own buffer names and the model's layout are checked by loadStateDict.

import { DescentError } from '../engine/errors.js';
import type { OptimizerStateDict } from './optimizer.js';

/** State buffers that hold magnitudes (squares, maxima, step sizes, rates): never negative. */
export const NON_NEGATIVE_STATE: ReadonlySet<string> = new Set(['exp_avg_sq', 'max_exp_avg_sq', 'square_avg', 'acc_delta', 'sum', 'exp_inf', 'step_size', 'learning_rate']);

/** Per rule: the scalar state it keeps, whether it is always there, and its valid values. */
const SCALARS: Record<string, { key: string; required: boolean; ok: (v: number) => boolean; range: string }[]> = {
  nadam: [{ key: 'mu_product', required: true, ok: (v) => v > 0 && v <= 1, range: 'a number in (0, 1]' }],
  'irprop+': [{ key: 'prev_loss', required: false, ok: Number.isFinite, range: 'a finite number' }],
  asgd: [
    { key: 'eta', required: false, ok: (v) => Number.isFinite(v) && v >= 0, range: 'a finite number ≥ 0' },
    { key: 'mu', required: false, ok: (v) => v > 0 && v <= 1, range: 'a number in (0, 1]' },
  ],
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** A short description of any value that never recurses (a 20,000-deep array cannot overflow it). */
const brief = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : Array.isArray(v) ? `an array of ${v.length}` : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);

/**
 * Throws a DescentError `${what}: …` unless `sd` is a well-formed state dict whose values are
 * valid (see the header). Reads only; changes nothing.
 */
export function checkStateDict(sd: unknown, what: string): asserts sd is OptimizerStateDict {
  const fail = (msg: string): never => { throw new DescentError(`${what}: ${msg}`); };
  if (!isRecord(sd) || sd.format !== 'descent-optimizer') fail('not an optimizer state dict (format "descent-optimizer")');
  const d = sd as Record<string, unknown>;
  if (d.version !== 1) fail(`unsupported version ${brief(d.version)}`);
  if (typeof d.rule !== 'string' || d.rule.length > 64) fail(`rule must be a rule's name, got ${brief(d.rule)}`);
  const length = d.length;
  if (!isCount(length)) fail(`length must be an integer ≥ 0, got ${brief(length)}`);
  const n = length as number;
  const layout = d.layout;
  if (!Array.isArray(layout)) fail(`layout must be an array of [offset, length] pairs, got ${brief(layout)}`);
  let at = 0;
  for (const [i, seg] of (layout as unknown[]).entries()) {
    if (!Array.isArray(seg) || seg.length !== 2 || !isCount(seg[0]) || !isCount(seg[1]) || seg[0] !== at) {
      fail(`layout segment ${i} must be [offset, length], integers ≥ 0 that continue the previous segment at ${at}, got ${Array.isArray(seg) ? `[${seg.map(brief).join(', ')}]` : brief(seg)}`);
    }
    at += (seg as number[])[1];
  }
  if (at !== n) fail(`the layout covers ${at} parameters, the state ${n}`);
  const segments = (layout as unknown[]).length;
  for (const key of ['steps', 'scalars', 'frozen']) {
    const v = d[key];
    if (!Array.isArray(v) || v.length !== segments) fail(`${key} must hold one entry per segment (${segments}), got ${brief(v)}`);
  }
  (d.steps as unknown[]).forEach((t, i) => { if (!isCount(t)) fail(`steps[${i}] must be an integer ≥ 0, got ${brief(t)}`); });
  (d.frozen as unknown[]).forEach((f, i) => { if (typeof f !== 'boolean') fail(`frozen[${i}] must be true or false, got ${brief(f)}`); });
  const allowed = own(SCALARS, d.rule as string) ? SCALARS[d.rule as string] : [];
  (d.scalars as unknown[]).forEach((s, i) => {
    if (!isRecord(s)) fail(`scalars[${i}] must be an object, got ${brief(s)}`);
    const sc = s as Record<string, unknown>;
    for (const k of Object.keys(sc)) {
      if (!allowed.some((a) => a.key === k)) fail(`scalars[${i}]: ${brief(k)} is not scalar state of ${d.rule as string}${allowed.length ? ` (${allowed.map((a) => a.key).join(', ')})` : ' (it keeps none)'}`);
    }
    for (const a of allowed) {
      const v = own(sc, a.key) ? sc[a.key] : undefined;
      if (v === undefined && !a.required) continue;
      if (typeof v !== 'number' || !a.ok(v)) fail(`scalars[${i}].${a.key} must be ${a.range}, got ${brief(v)}`);
    }
  });
  const buffers = d.buffers;
  if (!isRecord(buffers)) fail(`buffers must be an object of Float32Arrays, got ${brief(buffers)}`);
  for (const k of Object.keys(buffers as object)) {
    const b = (buffers as Record<string, unknown>)[k];
    if (!(b instanceof Float32Array) || b.length !== n) fail(`buffer ${k} must be a Float32Array of ${n} values`);
    const f = b as Float32Array, positive = NON_NEGATIVE_STATE.has(k);
    for (let i = 0; i < f.length; i++) {
      const x = f[i];
      if (!Number.isFinite(x) || (positive && x < 0)) fail(`buffer ${k} holds ${x} at index ${i}${positive ? ' (it must be finite and ≥ 0)' : ' (it must be finite)'}`);
    }
  }
  // centered RMSprop takes √(square_avg − grad_avg²): an average of squares is never below the
  // square of the average (up to f32 rounding), and one that is gives NaN at the next step
  const b = buffers as Record<string, Float32Array>;
  if (d.rule === 'rmsprop' && own(b, 'square_avg') && own(b, 'grad_avg')) {
    const sq = b.square_avg, ga = b.grad_avg;
    for (let i = 0; i < n; i++) {
      if (sq[i] < ga[i] * ga[i] * (1 - 2 ** -20)) fail(`buffer square_avg holds ${sq[i]} at index ${i}, below grad_avg² = ${ga[i] * ga[i]} (centered RMSprop: a mean of squares is at least the square of the mean)`);
    }
  }
}
