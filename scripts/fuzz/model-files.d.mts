// Types of model-files.mjs (used by test/fuzz-model-files.test.ts).
import type { FuzzTarget } from './harness.mjs';
export const modelFileTargets: FuzzTarget[];
