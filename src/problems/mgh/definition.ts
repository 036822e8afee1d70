// The shape of one Moré–Garbow–Hillstrom problem definition: the sizes the paper allows, and a
// builder that makes the residual model, the standard start and what the paper says of the
// minimum for a given (n, m). The 35 definitions live in fixed-size.ts (problems 1–19) and
// variable-size.ts (20–35); mgh.ts picks the 41 standard instances.

import type { ResidualModel } from './least-squares.js';

/** A minimum the paper lists besides the reported one (a local minimum, or one at infinity). */
export interface MghMinimum {
  readonly fStar: number;
  /** The point, when the paper gives it exactly. */
  readonly xStar?: Float64Array;
  readonly note: string;
}

/** One instance of a problem at a given size, before it is wrapped into a Problem. */
export interface MghInstance {
  readonly model: ResidualModel;
  readonly x0: Float64Array;
  /** The minimum value the paper reports for this size (to the digits it prints), if it does. */
  readonly fStar?: number;
  /** A minimizer, where the paper gives one exactly (or a closed form gives it). */
  readonly xStar?: Float64Array;
  /** What the paper says of the minimum, in its own terms. */
  readonly note: string;
  readonly otherMinima?: readonly MghMinimum[];
}

export interface MghDefinition {
  /** The paper's number, 1…35. */
  readonly number: number;
  /** Short name for identifiers, e.g. 'powell-badly-scaled'. */
  readonly slug: string;
  /** The paper's title, e.g. 'Powell badly scaled function'. */
  readonly title: string;
  /** The allowed n: fixed, or a range (with a divisor for the extended problems). */
  readonly n: { readonly fixed?: number; readonly min?: number; readonly max?: number; readonly multipleOf?: number };
  /** The allowed m: a function of n, or a range starting at minOf(n). */
  readonly m: { readonly of?: (n: number) => number; readonly minOf?: (n: number) => number; readonly max?: number };
  build(n: number, m: number): MghInstance;
}

/** x0 as a Float64Array from a list or a rule for its entries. */
export function vec(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values as ArrayLike<number>);
}

export function fill(n: number, at: (j: number) => number): Float64Array {
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) x[j] = at(j);
  return x;
}
