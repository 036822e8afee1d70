// ONNX: export (export.ts) and import for inference (import.ts) of descent's MLPs and CNNs, over a small
// hostile-input-safe protobuf reader/writer (protobuf.ts, messages.ts).
export { exportOnnx, type OnnxExportOptions } from './export.js';
export { importOnnx, type OnnxImportOptions } from './import.js';
