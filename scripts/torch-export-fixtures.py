#!/usr/bin/python3
# torch-export-fixtures.py — PyTorch fixtures for descent's importTorch / exportTorch
# (src/io/torch/), read by test/torch-io.test.ts. Dev-time oracle only: npm test never runs Python.
#
#     node scripts/build.mjs && /usr/bin/python3 scripts/torch-export-fixtures.py
#
# with Debian's python3-torch (torch 1.13), i.e. /usr/bin/python3, not a pyenv one. Debian has no
# python3-safetensors: the files are written and read with the few lines of Python below, which
# is all the format needs (u64 header length, JSON header, raw little-endian data). Where the
# safetensors library is importable (a venv with --system-site-packages and pip install
# safetensors; 0.8.0 was used), one state_dict is also written by its save_file, and the .py files
# are then read through safetensors.torch.
#
# (a) PyTorch → descent: test/fixtures/torch/import-<name>.safetensors, torch.nn.Sequential
#     state_dicts as safetensors.torch.save_file writes them (no metadata), and
#     test/fixtures/torch-import.json: per model the module list (Python), inputs and torch's
#     logits (float32, eval mode). Models: Linear+Tanh chain (for inference from shapes),
#     Linear/Tanh/ReLU with a square 16→16 layer, BatchNorm1d trained 6 steps in train mode
#     (non-trivial running statistics) then eval, LayerNorm with ELU, Dropout and LeakyReLU,
#     Sigmoid/Softsign with a bias-free layer. Inputs: digits rows 100..115 / 16
#     (../shared/data/sklearn/digits.csv.gz).
# (b) descent → PyTorch and (c) the fine-tune path: runs scripts/torch-export-fixtures.mjs, which
#     makes the exports of scripts/torch-export-cases.mjs with the built dist/node (seeded models;
#     (c) imports (a)'s batch-norm file, trains 5 more SGD steps in descent, exports, and that export
#     is kept as test/fixtures/torch/export-finetune-batchnorm.safetensors). Each export's
#     .py is loaded as a module, its load_model() reads the safetensors (pure-Python reader),
#     and torch's logits on the case's inputs are recorded in test/fixtures/torch-export.json
#     with the SHA-256 of the .py text and of the safetensors bytes: the test regenerates the
#     exports and checks both hashes, so the logits belong to exactly those files and that code.
import gzip
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
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


def import_fixtures():
    X, y = digits()
    X = X / 16
    inputs = X[100:116]
    models = {
        "tanh-chain": "nn.Sequential(nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 10))",
        "relu-square": "nn.Sequential(nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 10))",
        "batchnorm": "nn.Sequential(nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 16, bias=False), nn.BatchNorm1d(16, eps=0.001, momentum=0.2), nn.Tanh(), nn.Linear(16, 10))",
        "layernorm": "nn.Sequential(nn.Linear(64, 16), nn.LayerNorm(16), nn.ELU(alpha=0.7), nn.Dropout(p=0.2), nn.Linear(16, 16), nn.LeakyReLU(negative_slope=0.1), nn.Linear(16, 10))",
        "sigmoid-softsign": "nn.Sequential(nn.Linear(64, 16, bias=False), nn.Sigmoid(), nn.Linear(16, 16), nn.Softsign(), nn.Linear(16, 10))",
    }
    out = {
        "source": "scripts/torch-export-fixtures.py, torch " + torch.__version__ + ", float32, eval mode",
        "inputs": inputs.tolist(),
        "models": [],
    }
    os.makedirs(os.path.join(FIX, "torch"), exist_ok=True)
    for seed, (name, src) in enumerate(models.items()):
        torch.manual_seed(seed)
        net = eval(src)
        # a few training steps so that norms' γ, β and running statistics are not their defaults
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
        path = os.path.join(FIX, "torch", f"import-{name}.safetensors")
        write_safetensors(net.state_dict(), path)
        out["models"].append({"name": name, "file": f"torch/import-{name}.safetensors", "python": src, "logits": logits.tolist()})
        if name == "relu-square":
            # the same state_dict written by the safetensors library itself, where installed (a
            # venv: python3 -m venv --system-site-packages V && V/bin/pip install safetensors)
            try:
                from safetensors.torch import save_file
                save_file(net.state_dict(), os.path.join(FIX, "torch", "import-relu-square-official.safetensors"))
                print("wrote import-relu-square-official.safetensors with safetensors", __import__("safetensors").__version__)
            except ImportError:
                print("safetensors is not installed: import-relu-square-official.safetensors left as it is")
    with open(os.path.join(FIX, "torch-import.json"), "w") as f:
        json.dump(out, f, indent=1)


def export_fixtures():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["node", os.path.join(ROOT, "scripts", "torch-export-fixtures.mjs"), tmp], check=True, cwd=ROOT)
        manifest = json.load(open(os.path.join(tmp, "manifest.json")))
        out = {
            "source": "scripts/torch-export-fixtures.py: descent exports (scripts/torch-export-cases.mjs) loaded by their generated .py in torch " + torch.__version__,
            "cases": [],
        }
        for case in manifest["cases"]:
            py = os.path.join(tmp, case["name"] + ".py")
            st = os.path.join(tmp, case["name"] + ".safetensors")
            spec = importlib.util.spec_from_file_location("export_" + case["name"].replace("-", "_"), py)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            model = mod.load_model()
            x = torch.tensor(case["inputs"], dtype=torch.float32).reshape(-1, mod.INPUTS)
            with torch.no_grad():
                logits = model(x)
            # the saved-back file must be byte-identical in tensors (round trip through torch)
            back = os.path.join(tmp, case["name"] + ".back.safetensors")
            net, pre = mod.load()
            mod.save(net, back, pre)
            t1, _ = mod.read_safetensors(st)
            t2, meta = mod.read_safetensors(back)
            assert t1.keys() == t2.keys() and all(torch.equal(t1[k], t2[k]) for k in t1), case["name"]
            out["cases"].append({
                "name": case["name"],
                "pythonSha256": hashlib.sha256(open(py, "rb").read()).hexdigest(),
                "safetensorsSha256": hashlib.sha256(open(st, "rb").read()).hexdigest(),
                "stateDict": {k: list(v.shape) for k, v in net.state_dict().items()},
                "sequential": str(net),
                "inputs": case["inputs"],
                "torchLogits": logits.reshape(-1).tolist(),
            })
            if case["name"].startswith("finetune"):
                # trained in descent: its bytes follow the GEMM kernels, so the file torch ran is kept
                shutil.copyfile(st, os.path.join(FIX, "torch", "export-" + case["name"] + ".safetensors"))
            print(case["name"], "max |torch - descent| =", max(abs(a - b) for a, b in zip(out["cases"][-1]["torchLogits"], case["logits"])))
    with open(os.path.join(FIX, "torch-export.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    import_fixtures()
    export_fixtures()
