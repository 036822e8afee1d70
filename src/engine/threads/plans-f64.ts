// Chunk plans of the float64 linear-algebra kernels of the full-batch methods: see plans.ts.

import type { Planner } from './plan-shapes.js';

export const F64_PLANS: Record<string, Planner> = {};
