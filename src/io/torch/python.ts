// The PyTorch module definition written beside an exported safetensors file (export.ts).
//
// The .py builds the nn.Sequential whose state_dict the file is, reads the file with
// safetensors.torch where installed and otherwise with the few lines of pure Python below
// (Debian ships no python3-safetensors), and applies the preprocessing x' = (x·scale − mean)/std
// that descent applied before the network, from the tensors preprocess.*. Its text depends only
// on the architecture, so tests can hash it. Needs torch (and numpy, which torch's .numpy()
// uses, only for save() without safetensors).

import { moduleSource, type TorchModule } from './modules.js';

export interface PythonInfo {
  modules: readonly TorchModule[];
  /** For each module, the descent layer it comes from (comment). */
  comments: readonly string[];
  inputs: number;
  outputs: number;
  loss: string;
  classNames?: readonly string[];
  /** An image model's input [c, h, w] (the .py then states torch's [N, c, h, w]). */
  inputShape?: readonly [c: number, h: number, w: number];
}

/** The lines an image model's .py adds to the header (importTorch reads "# Input shape" back). */
function imageNote(s: readonly [number, number, number]): string {
  return `#
# Input shape: [N, ${s[0]}, ${s[1]}, ${s[2]}] (NCHW: batch, channels, height, width), float32. descent
# holds the same images channels-last (NHWC); the export converted the layouts: Conv2d weights
# [out_channels, in_channels/groups, kh, kw], BatchNorm2d per channel, and the first Linear after
# the image takes torch's flattening (channel-major), so this module takes ordinary NCHW batches.
`;
}

export function pythonModule(info: PythonInfo): string {
  const lines = info.modules.map((m, i) => `        ${moduleSource(m)},${' '.repeat(Math.max(1, 52 - moduleSource(m).length))}# ${i}: ${info.comments[i]}`);
  const names = info.classNames ? `[${info.classNames.map((n) => JSON.stringify(String(n))).join(', ')}]` : 'None';
  return `# A descent model as PyTorch: written by descentjs (exportTorch / descent export --format torch).
#
# The safetensors file beside this one (same name, .safetensors) holds exactly the state_dict of
# the nn.Sequential that build() returns: Linear weights [out_features, in_features] as PyTorch
# stores them, BatchNorm1d running statistics and num_batches_tracked, LayerNorm weight and bias.
# Unless exported bare, it also holds the input preprocessing descent applied before the network,
# x' = (x * preprocess.scale - preprocess.mean) / preprocess.std (each part optional).
${info.inputShape ? imageNote(info.inputShape) : ''}#
#   net, pre = load()        # the Sequential (eval mode) and the Preprocess module (or None)
#   model = load_model()     # nn.Sequential(pre, net): raw inputs in, logits out
#   save(net, "more.safetensors", pre)   # a file importTorch reads back (keeps the preprocessing)
#
${outputNote(info.loss)}
import json
import os
import struct

import torch
from torch import nn

INPUTS = ${info.inputs}
${info.inputShape ? `INPUT_SHAPE = (${info.inputShape.join(', ')})  # [N, c, h, w] without N\n` : ''}OUTPUTS = ${info.outputs}
LOSS = ${JSON.stringify(info.loss)}
CLASS_NAMES = ${names}
DEFAULT_PATH = os.path.splitext(os.path.abspath(__file__))[0] + ".safetensors"
SEQUENTIAL = """${info.modules.map(moduleSource).join('; ')}"""


def build():
    return nn.Sequential(
${lines.join('\n')}
    )


class Preprocess(nn.Module):
    """x' = (x * scale - mean) / std, each part optional, with descent's rounding: x * scale in
    float32, then (x - mean) / std in float64 rounded once to float32."""

    def __init__(self, scale=None, mean=None, std=None):
        super().__init__()
        for name, value in (("scale", scale), ("mean", mean), ("std", std)):
            self.register_buffer(name, None if value is None else torch.as_tensor(value, dtype=torch.float32))

    def forward(self, x):
        x = x.float()
        if self.scale is not None:
            x = x * self.scale
        y = x.double()
        if self.mean is not None:
            y = y - self.mean.double()
        if self.std is not None:
            y = y / self.std.double()
        return y.float()


_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path):
    """{name: tensor} and the metadata, with safetensors.torch if installed, else in pure Python."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {}) or {}
    try:
        from safetensors.torch import load as st_load
        return st_load(raw), metadata
    except ImportError:
        pass
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        buf = bytearray(data[begin:end])
        dtype = _DTYPES[t["dtype"]]
        out[name] = (torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)).reshape(t["shape"])
    return out, metadata


def write_safetensors(tensors, path, metadata=None):
    """Write {name: tensor} as safetensors, with safetensors.torch if installed, else in pure Python."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    try:
        from safetensors.torch import save_file
        save_file(tensors, path, metadata=metadata)
        return
    except ImportError:
        pass
    names = {v: k for k, v in _DTYPES.items()}
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def load(path=None):
    """The nn.Sequential with the file's weights (strict: every name and shape must match), in
    eval mode, and the Preprocess module of the file's preprocess.* tensors (None if bare)."""
    tensors, _ = read_safetensors(path or DEFAULT_PATH)
    pre = {k[len("preprocess."):]: tensors.pop(k) for k in list(tensors) if k.startswith("preprocess.")}
    net = build()
    net.load_state_dict(tensors, strict=True)
    net.eval()
    return net, (Preprocess(**pre) if pre else None)


def load_model(path=None):
    """Raw inputs in, logits out: nn.Sequential(Preprocess, the network), in eval mode."""
    net, pre = load(path)
    return (nn.Sequential(pre, net) if pre is not None else net).eval()


def save(net, path, pre=None):
    """Save net's state_dict (plus pre's tensors as preprocess.*) for descent's importTorch; the
    metadata names this module list so descent knows the activations."""
    tensors = dict(net.state_dict())
    if pre is not None:
        tensors.update({"preprocess." + k: v for k, v in pre.state_dict().items()})
    meta = {"format": "pt", "sequential": SEQUENTIAL, "loss": LOSS}
    if CLASS_NAMES is not None:
        meta["class_names"] = json.dumps(CLASS_NAMES)
${info.inputShape ? '    meta["input_shape"] = json.dumps(list(INPUT_SHAPE))\n' : ''}    write_safetensors(tensors, path, meta)


if __name__ == "__main__":
    print(load_model())
`;
}

function outputNote(loss: string): string {
  switch (loss) {
    case 'softmax-cross-entropy': return '# Outputs are logits (loss softmax-cross-entropy): softmax(dim=1) gives the probabilities.';
    case 'bce-logits': return '# Outputs are logits (loss bce-logits): sigmoid gives the probabilities.';
    default: return `# Outputs are the last module's values (loss ${loss}).`;
  }
}
