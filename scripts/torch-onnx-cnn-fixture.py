#!/usr/bin/python3
# CNNs exported by PyTorch, for test/onnx-cnn.test.ts (PyTorch → ONNX → descent).
#
# Two small 3-channel CNNs with torch.nn on 11×9 images:
#   torch-cnn    Conv2d (3×3, padding 1; PyTorch 1.13 cannot export padding='same'), BatchNorm2d, ReLU, F.max_pool2d, grouped strided Conv2d, Tanh, AvgPool2d(stride 1),
#                x.reshape(x.size(0), -1) (Shape/Gather/Unsqueeze/Concat/Reshape), Linear
#   torch-cnn2   Conv2d, F.max_pool2d then ReLU (the activation after the pool), Conv2d without
#                bias, Sigmoid, nn.Flatten, Linear
# Every parameter and running statistic is set to seeded random values; each model is exported
# with torch.onnx.export (eval mode, dynamic batch axis, opset 13) into
# test/fixtures/onnx/<name>.onnx, and the NCHW inputs and PyTorch's outputs go to
# test/fixtures/onnx/torch-cnn.json. Run with Debian's python3-torch (1.13 here); the test needs
# only the committed files:
#     /usr/bin/python3 scripts/torch-onnx-cnn-fixture.py
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(15)
OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx')
SHAPE = (3, 11, 9)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.c2 = nn.Conv2d(6, 8, 3, stride=2, padding=1, groups=2)
        self.pool = nn.AvgPool2d(2, stride=1)
        self.fc = nn.Linear(8 * 2 * 1, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.c1(x))), 2)
        x = self.pool(torch.tanh(self.c2(x)))
        return self.fc(x.reshape(x.size(0), -1))


class Net2(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(4 * 5 * 4, 5)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.c1(x), 2))
        return self.fc(self.flat(torch.sigmoid(self.c2(x))))


fixtures = {}
x = torch.randn(6, *SHAPE)
for name, model in [('torch-cnn', Net()), ('torch-cnn2', Net2())]:
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.4 * torch.randn_like(p))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(0.3 * torch.randn(m.num_features))
                m.running_var.copy_(0.5 + torch.rand(m.num_features))
    model.eval()
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(OUT, f'{name}.onnx'), opset_version=13, input_names=['x'], output_names=['y'],
                      dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}}, do_constant_folding=True)
    fixtures[name] = {'x': x.flatten().tolist(), 'y': y.flatten().tolist()}

with open(os.path.join(OUT, 'torch-cnn.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'shape': list(SHAPE), 'fixtures': fixtures}, f)
