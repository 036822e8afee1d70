// The engine flags every command shares: --isa and --threads, their help lines, and the
// EngineOptions they make (validated by the engine itself, which names the flag's value).

import type { EngineOptions } from '../engine/engine.js';
import { DescentError } from '../engine/errors.js';
import type { Isa } from '../engine/isa.js';

export const ENGINE_FLAGS = {
  isa: { type: 'string', default: 'auto' },
  threads: { type: 'string', default: 'auto' },
} as const;

export const ENGINE_HELP = `  --isa NAME           auto, simd or relaxed-simd (default auto)
  --threads N          threads to compute on: a number, or auto = the cores (at most 8);
                       results are identical for any count (default auto)
`;

export function engineOptions(v: { isa?: string; threads?: string }): EngineOptions {
  const t = v.threads ?? 'auto';
  let threads: number | 'auto' = 'auto';
  if (t !== 'auto') {
    if (!/^\d+$/.test(t)) throw new DescentError(`--threads: expected a whole number or auto, got ${JSON.stringify(t)}`);
    threads = Number(t);
  }
  return { isa: (v.isa ?? 'auto') as Isa | 'auto', threads };
}
