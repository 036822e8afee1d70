// PyTorch both ways: exportTorch (a torch.nn.Sequential state_dict in safetensors + the .py that
// builds it) and importTorch (such a state_dict as a descent Model). Layouts: export.ts.
export { exportTorch, type TorchExport, type TorchExportOptions, type Preprocessing } from './export.js';
export { importTorch, type TorchImportOptions } from './import.js';
export { readSafetensors, writeSafetensors, type Safetensors, type RawTensor, type TensorOut, type Dtype } from './safetensors.js';
export { parseSequential, modulesToSpec, modulesOf, moduleSource, type TorchModule } from './modules.js';
