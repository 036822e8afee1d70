// Types of onnx.mjs.
import type { FuzzTarget } from './harness.mjs';
export const onnxTargets: FuzzTarget[];
