// Types of targets.mjs (used by test/fuzz-*.test.ts).
import type { FuzzTarget } from './harness.mjs';
export const targets: FuzzTarget[];
