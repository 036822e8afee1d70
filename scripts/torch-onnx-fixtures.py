#!/usr/bin/python3
# ONNX files made by PyTorch, for test/onnx-torch.test.ts (PyTorch → ONNX → descent).
#
# Builds small digits-sized MLPs (64 inputs, 10 outputs) with torch.nn (and one written as
# x.view(x.size(0), -1) … log_softmax, the MNIST-tutorial form), sets every parameter and
# batch-norm running statistic to seeded random values, exports each with torch.onnx.export
# (eval mode, dynamic batch axis, opset 13; 17 where LayerNorm needs it) into
# test/fixtures/onnx/torch-<name>.onnx, and writes the inputs and PyTorch's outputs to
# test/fixtures/onnx/torch-onnx.json. Run with Debian's python3-torch (1.13 here); the test needs
# only the committed files:
#     /usr/bin/python3 scripts/torch-onnx-fixtures.py
import json
import os

import torch
import torch.nn as nn

torch.manual_seed(12)
OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx')


class ViewLogSoftmax(nn.Module):
    """The classic MNIST-tutorial form: x.view(x.size(0), -1) and log_softmax."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(64, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return torch.log_softmax(self.fc2(torch.relu(self.fc1(x))), dim=1)


def models():
    yield 'linear-relu', 13, nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)), [64]
    yield 'linear-tanh-softmax', 13, nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10), nn.Softmax(dim=1)), [64]
    yield 'flatten-activations', 13, nn.Sequential(
        nn.Flatten(), nn.Linear(64, 24), nn.LeakyReLU(0.1), nn.Dropout(0.2), nn.Linear(24, 16), nn.ELU(0.7),
        nn.Linear(16, 16), nn.Softsign(), nn.Linear(16, 12), nn.Sigmoid(), nn.Linear(12, 10)), [1, 8, 8]
    yield 'batchnorm', 13, nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10)), [64]
    yield 'layernorm', 17, nn.Sequential(nn.Linear(64, 32), nn.LayerNorm(32), nn.Tanh(), nn.Linear(32, 10), nn.Softmax(dim=-1)), [64]
    yield 'view-logsoftmax', 13, ViewLogSoftmax(), [1, 8, 8]
    yield 'sigmoid-output', 13, nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 3), nn.Sigmoid()), [64]


def randomize(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, 1 / m.in_features ** 0.5)
                m.bias.normal_(0, 0.3)
            if isinstance(m, (nn.BatchNorm1d, nn.LayerNorm)):
                m.weight.normal_(1, 0.3)
                m.bias.normal_(0, 0.3)
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.2, 1.2)


fixtures = {}
for name, opset, model, shape in models():
    randomize(model)
    model.eval()
    x = torch.rand(5, *shape)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(OUT, f'torch-{name}.onnx')
    torch.onnx.export(model, x, path, opset_version=opset, input_names=['x'], output_names=['y'],
                      dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}}, do_constant_folding=True)
    fixtures[name] = {
        'file': f'torch-{name}.onnx', 'opset': opset, 'shape': list(x.shape),
        'x': [float(v) for v in x.flatten().tolist()], 'y': [float(v) for v in y.flatten().tolist()],
        'softmax': isinstance(model, ViewLogSoftmax) or isinstance(model[-1], nn.Softmax),
        'sigmoid': isinstance(model, nn.Sequential) and isinstance(model[-1], nn.Sigmoid),
        'logsoftmax': isinstance(model, ViewLogSoftmax),
    }
    print(f'{name}: opset {opset}, {os.path.getsize(path)} bytes')

with open(os.path.join(OUT, 'torch-onnx.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'fixtures': fixtures}, f)
    f.write('\n')
