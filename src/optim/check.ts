// Float32-range checks for hyper-parameters (issue #13, divergence).
//
// Hyper-parameters are validated as JavaScript numbers (f64) but reach the wasm kernels as f32:
// lr 1e300 or momentum 1e39 are finite doubles that become Infinity in f32 (every parameter
// NaN after one update), and eps 1e-50 becomes 0 in f32 (0/0 = NaN where a second moment is 0).
// checkF32 refuses such a value with a DescentError naming the option; checkF32Hyper applies it
// to every number (and array of numbers) of a hyper-parameter object, refusing underflow to 0
// for the keys in `nonZero` (by default those named eps…, the ones that guard a division).

import { DescentError } from '../engine/errors.js';

/** The largest finite float32, 3.4028234663852886e38. */
export const F32_MAX = 3.4028234663852886e38;

/**
 * Throws a DescentError `${what} = v is out of float32 range …` when the number v is finite in
 * f64 but not in f32 (|v| rounds to Infinity), or, with nonZero, when v ≠ 0 rounds to 0 in f32.
 * Non-numbers and non-finite numbers are left to the caller's own checks. Returns v.
 */
export function checkF32<T>(v: T, what: string, nonZero = false): T {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v;
  const f = Math.fround(v);
  if (!Number.isFinite(f)) {
    throw new DescentError(`${what} = ${v} is out of float32 range (|x| ≤ ${F32_MAX.toPrecision(5)}): the kernels compute in float32, where it is ${f}`);
  }
  if (nonZero && v !== 0 && f === 0) {
    throw new DescentError(`${what} = ${v} underflows to 0 in float32 (smallest positive: 1.4013e-45), which the update divides by: use a value ≥ 1e-38`);
  }
  return v;
}

/**
 * checkF32 for every number and every number in an array of a hyper-parameter object, as
 * `${name}: ${key}` (e.g. "adam: lr"). Keys for which underflow to 0 is refused: `nonZero`
 * (default: keys starting with "eps").
 */
export function checkF32Hyper(name: string, hyper: object, nonZero: (key: string) => boolean = (k) => k.startsWith('eps')): void {
  for (const [k, v] of Object.entries(hyper)) {
    if (typeof v === 'number') checkF32(v, `${name}: ${k}`, nonZero(k));
    else if (Array.isArray(v)) v.forEach((x, i) => checkF32(x, `${name}: ${k}[${i}]`, nonZero(k)));
  }
}
