// The fuzz targets of `npm run fuzz`, one entry per loader (shape: scripts/fuzz/harness.mjs).
// Adding a loader: a module exporting its targets, and its line here.
import { modelFileTargets } from './model-files.mjs';
import { dataFileTargets } from './data-files.mjs';
import { onnxTargets } from './onnx.mjs';

export const targets = [
  ...modelFileTargets,
  ...dataFileTargets,
  ...onnxTargets,
];
