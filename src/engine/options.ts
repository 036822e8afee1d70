// The shared first check of an option object (issue #13): undefined means "no options"; anything
// else must be a plain object (not null, not an array, not a primitive) whose own keys are all
// known — so a prototype name (toString, constructor, an own __proto__ from JSON.parse) is an
// unknown option, never a lookup into Object.prototype. Values are then checked by each entry
// point, by value (typeof), with its own ranges. Refusals are DescentErrors naming the call.

import { DescentError } from './errors.js';

export function checkOptionKeys<T extends object>(opts: T | undefined, op: string, known: readonly string[]): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new DescentError(`${op}: options must be an object { ${known.join(', ')} }, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new DescentError(`${op}: unknown option ${JSON.stringify(k)}; known: ${known.join(', ')}`);
  }
  return opts;
}
