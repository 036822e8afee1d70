#!/usr/bin/python3
# torch-cnn-fixtures.py — PyTorch fixtures for the CNN side of descent's importTorch / exportTorch
# (src/io/torch/), read by test/torch-cnn.test.ts. Dev-time oracle only: npm test never runs Python.
#
#     /usr/bin/python3 scripts/torch-cnn-fixtures.py
#
# with Debian's python3-torch (torch 1.13). No safetensors library needed (the few lines below,
# and the exported .py's own reader).
#
# (a) descent → PyTorch: runs scripts/torch-cnn-fixtures.mjs, which bundles src/ and makes the
#     exports of scripts/torch-cnn-cases.mjs (seeded CNNs trained 4 SGD steps on digits). Each
#     export's .py is loaded as a module, its load_model() reads the safetensors, and torch's
#     logits on the case's inputs (flat NHWC from descent → [N, h, w, c] → permuted to NCHW) are
#     recorded in test/fixtures/torch-cnn.json with the SHA-256 of the .py and the safetensors;
#     the safetensors torch ran is kept as test/fixtures/torch/cnn-export-<name>.safetensors
#     (trained through the GEMM kernels, its bits follow their summation order). The .py's save()
#     must write back the same tensors, and state_dict names/shapes are recorded.
# (b) PyTorch → descent: torch-made CNNs (nn.Sequential in NCHW, trained 6 SGD steps in train mode
#     so BatchNorm2d/1d statistics are not the defaults, then eval), saved as
#     test/fixtures/torch/cnn-import-<name>.safetensors (no metadata: the test passes the module
#     list and the input size), with torch's logits on digits rows 100..115 / 16.
import gzip
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import tempfile

import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "test", "fixtures")
torch.set_num_threads(1)


def write_safetensors(tensors, path):
    header, chunks, offset = {}, [], 0
    dt = {torch.float32: "F32", torch.int64: "I64"}
    for name, t in tensors.items():
        t = t.detach().contiguous()
        b = t.reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": dt[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def digits():
    rows = [list(map(float, line.split(","))) for line in gzip.open(os.path.join(ROOT, "..", "shared", "data", "sklearn", "digits.csv.gz"), "rt")]
    return torch.tensor([r[:64] for r in rows]), torch.tensor([int(r[64]) for r in rows])


IMPORT_MODELS = {
    # ReLU after the max pool (descent moves it onto the BatchNorm2d), a grouped conv with a
    # rectangular kernel and stride, 'valid', Dropout2d, an average pool without the padding in
    # the count, Flatten → Linear (rows permuted), BatchNorm1d, Dropout
    "torch-pool": "nn.Sequential(nn.Conv2d(1, 6, kernel_size=3, padding=1), nn.BatchNorm2d(6), nn.MaxPool2d(2), nn.ReLU(), "
                  "nn.Conv2d(6, 8, (3, 2), stride=(1, 2), padding='valid', groups=2), nn.Tanh(), nn.Dropout2d(0.1), "
                  "nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False), nn.Flatten(), "
                  "nn.Linear(72, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 10))",
    # 'same' with an even kernel, a dilated conv without bias, BatchNorm2d with eps/momentum,
    # LeakyReLU, a padded strided max pool, AdaptiveAvgPool2d((1, 1)) + Flatten → Linear
    "torch-global": "nn.Sequential(nn.Conv2d(1, 4, 4, padding='same'), nn.ELU(), "
                    "nn.Conv2d(4, 8, 3, padding=2, dilation=2, bias=False), nn.BatchNorm2d(8, eps=1e-3, momentum=0.2), nn.LeakyReLU(0.05), "
                    "nn.MaxPool2d(3, stride=2, padding=1), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(8, 10))",
}


def import_fixtures():
    X, y = digits()
    X = (X / 16).reshape(-1, 1, 8, 8)
    inputs = X[100:116]
    out = []
    for seed, (name, src) in enumerate(IMPORT_MODELS.items()):
        torch.manual_seed(100 + seed)
        net = eval(src)
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        g = torch.Generator().manual_seed(seed)
        for _ in range(6):
            idx = torch.randint(0, 1000, (32,), generator=g)
            opt.zero_grad()
            nn.functional.cross_entropy(net(X[idx]), y[idx]).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            logits = net(inputs)
        path = os.path.join(FIX, "torch", f"cnn-import-{name}.safetensors")
        write_safetensors(net.state_dict(), path)
        out.append({"name": name, "file": f"torch/cnn-import-{name}.safetensors", "python": src, "inputShape": [1, 8, 8], "logits": logits.reshape(-1).tolist()})
        print(name, "logits", logits.shape)
    return {"inputs": inputs.reshape(-1).tolist(), "models": out}


def export_fixtures():
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["node", os.path.join(ROOT, "scripts", "torch-cnn-fixtures.mjs"), tmp], check=True, cwd=ROOT)
        manifest = json.load(open(os.path.join(tmp, "manifest.json")))
        for case in manifest["cases"]:
            py = os.path.join(tmp, case["name"] + ".py")
            st = os.path.join(tmp, case["name"] + ".safetensors")
            spec = importlib.util.spec_from_file_location("cnn_" + case["name"].replace("-", "_"), py)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            model = mod.load_model()
            c, h, w = mod.INPUT_SHAPE
            x = torch.tensor(case["inputs"], dtype=torch.float32).reshape(-1, h, w, c).permute(0, 3, 1, 2).contiguous()
            with torch.no_grad():
                logits = model(x)
            back = os.path.join(tmp, case["name"] + ".back.safetensors")
            net, pre = mod.load()
            mod.save(net, back, pre)
            t1, _ = mod.read_safetensors(st)
            t2, meta = mod.read_safetensors(back)
            assert t1.keys() == t2.keys() and all(torch.equal(t1[k], t2[k]) for k in t1), case["name"]
            assert json.loads(meta["input_shape"]) == [c, h, w], meta
            torch_logits = logits.reshape(-1).tolist()
            err = max(abs(a - b) for a, b in zip(torch_logits, case["logits"])) / max(abs(a) for a in torch_logits)
            print(case["name"], "max |torch - descent| / max |torch| =", err)
            shutil.copyfile(st, os.path.join(FIX, "torch", "cnn-export-" + case["name"] + ".safetensors"))
            out.append({
                "name": case["name"],
                "describe": case["describe"],
                "pythonSha256": hashlib.sha256(open(py, "rb").read()).hexdigest(),
                "safetensorsSha256": hashlib.sha256(open(st, "rb").read()).hexdigest(),
                "stateDict": {k: list(v.shape) for k, v in net.state_dict().items()},
                "sequential": str(net),
                "inputs": case["inputs"],
                "descentLogits": case["logits"],
                "torchLogits": torch_logits,
            })
    return out


if __name__ == "__main__":
    fixture = {
        "source": "scripts/torch-cnn-fixtures.py, torch " + torch.__version__ + ", float32, eval mode",
        "import": import_fixtures(),
        "export": export_fixtures(),
    }
    with open(os.path.join(FIX, "torch-cnn.json"), "w") as f:
        json.dump(fixture, f, indent=1)
