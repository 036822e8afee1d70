// Chunk plans of the normalization kernels (batch norm, layer norm) and of colSum: see plans.ts.

import type { Planner } from './plan-shapes.js';

export const NORM_PLANS: Record<string, Planner> = {};
