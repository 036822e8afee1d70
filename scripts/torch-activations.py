#!/usr/bin/python3
# Reference values of the activations added for issue #17 (and elu, whose derivative changed),
# from PyTorch 1.13 (Debian python3-torch): test/fixtures/torch-activations.json, read by
# test/activations-torch.test.ts.
#
# For every activation and every input x of a grid (f32-representable values, so that the f32
# and f64 runs see the same point: ±1e-3, ±0.5 … ±5, ±10, ±20, ±30, ±1e4, ±1e10, a uniform grid
# on [−8, 8] and log-spaced magnitudes), it records
#   torch32 / torch64: y = F(x) and dy/dx (autograd, grad_output = 1) of torch.nn.functional in
#                      float32 and float64;
#   ref:               the float64 reference the test holds descent's f32 kernels to: torch64,
#                      except where torch's own float64 formula loses relative accuracy — there
#                      the same function written without cancellation (below, `stable`), and the
#                      point is listed in `replaced` with both values (a difference above 1e-12
#                      relative). That happens for gelu at x ≤ −5 (1 + erf(x/√2) cancels:
#                      gelu(−10) is 0 in torch, −7.6e-23 exactly), gelu-tanh likewise (1 + tanh u),
#                      and elu/selu at tiny negative x (torch computes e^x − 1, not expm1);
#   gradScale:         for the derivative, Σ|terms| of its formula (gelu: Φ + |x|φ, silu:
#                      σ + |x|σ(1 − σ), …): an f32 evaluation of a sum of terms is accurate
#                      relative to that, not to the sum, near a zero of f' (gelu' vanishes at
#                      x ≈ −0.75, silu' at −1.28, mish' at −1.19). For f itself and the other
#                      derivatives, scale = |ref|.
# And for the PyTorch bridge (src/io/torch): `modules`, small nn.Sequential(Linear(4, 6), ACT,
# Linear(6, 3)) models with each activation module, seeded weights, 5 inputs and their float32
# logits (importTorch must reproduce them).
# The stable formulas use Python's math module in double (erfc, expm1, log1p, exp); where
# torch64 is accurate they agree with it to 1e-12 (checked here: the script fails otherwise).
# Run: /usr/bin/python3 scripts/torch-activations.py   (rewrites the fixture)
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

torch.set_num_threads(1)

SELU_L = 1.0507009873554804934193349852946
SELU_A = 1.6732632423543772848170429916717
SQRT_2_PI = math.sqrt(2 / math.pi)
KAPPA = 0.044715


def f32(v):
    return struct.unpack('f', struct.pack('f', v))[0]


def grid():
    xs = [0.0, 1e-3, -1e-3, 1e-7, -1e-7, 0.5, -0.5, 0.75, -0.75, 1, -1, 1.25, -1.25, 2, -2, 3, -3, 5, -5, 7.5, -7.5,
          10, -10, 13, -13, 15, -15, 19.5, -19.5, 20, -20, 20.5, -20.5, 25, -25, 30, -30, 50, -50, 88, -88, 100, -100,
          1e4, -1e4, 1e10, -1e10]
    xs += [i / 8 for i in range(-64, 65)]
    xs += [s * 10 ** (e / 4) for e in range(-24, 9) for s in (1, -1)]
    out = []
    for v in xs:
        v = f32(v)
        if v not in out:
            out.append(v)
    return out


def torch_fn(name):
    return {
        'gelu': lambda x: F.gelu(x),
        'gelu-tanh': lambda x: F.gelu(x, approximate='tanh'),
        'silu': F.silu,
        'softplus': lambda x: F.softplus(x),  # beta=1, threshold=20
        'selu': F.selu,
        'mish': F.mish,
        'hardtanh': lambda x: F.hardtanh(x),  # min −1, max 1
        'elu': lambda x: F.elu(x, alpha=1.0),
        'elu-0.7': lambda x: F.elu(x, alpha=0.7),
    }[name]


def Phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def sigmoid(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def stable(name, x):
    """(f(x), f'(x), scale of f') in double, without cancellation."""
    if name == 'gelu':
        return x * Phi(x), Phi(x) + x * phi(x), Phi(x) + abs(x) * phi(x)
    if name == 'gelu-tanh':
        u = SQRT_2_PI * (x + KAPPA * x ** 3)
        e = math.exp(-2 * abs(u))
        half = 1 / (1 + e) if u >= 0 else e / (1 + e)  # (1 + tanh u)/2
        sech2 = 4 * e / (1 + e) ** 2
        t2 = 0.5 * x * sech2 * SQRT_2_PI * (1 + 3 * KAPPA * x * x)
        return x * half, half + t2, half + abs(t2)
    if name == 'silu':
        s = sigmoid(x)
        c = sigmoid(-x)
        return x * s, s * (1 + x * c), s * (1 + abs(x) * c)
    if name == 'softplus':
        if x > 20:
            return x, 1.0, 1.0
        return math.log1p(math.exp(x)), sigmoid(x), sigmoid(x)
    if name == 'selu':
        if x > 0:
            return SELU_L * x, SELU_L, SELU_L
        return SELU_L * SELU_A * math.expm1(x), SELU_L * SELU_A * math.exp(x), SELU_L * SELU_A * math.exp(x)
    if name == 'mish':
        sp = x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))
        t = math.tanh(sp)
        second = x * (1 - t * t) * sigmoid(x)
        return x * t, t + second, t + abs(second)
    if name == 'hardtanh':
        d = 0.0 if (x <= -1 or x >= 1) else 1.0
        return min(max(x, -1.0), 1.0), d, d
    if name.startswith('elu'):
        a = 0.7 if name == 'elu-0.7' else 1.0
        if x > 0:
            return x, 1.0, 1.0
        return a * math.expm1(x), a * math.exp(x), a * math.exp(x)
    raise ValueError(name)


def run(name, xs, dtype):
    x = torch.tensor(xs, dtype=dtype, requires_grad=True)
    y = torch_fn(name)(x)
    y.backward(torch.ones_like(y))
    return [float(v) for v in y.detach()], [float(v) for v in x.grad]


def main():
    xs = grid()
    out = {'torch': torch.__version__, 'x': xs, 'activations': {}}
    for name in ['gelu', 'gelu-tanh', 'silu', 'softplus', 'selu', 'mish', 'hardtanh', 'elu', 'elu-0.7']:
        y32, g32 = run(name, xs, torch.float32)
        y64, g64 = run(name, xs, torch.float64)
        ref_y, ref_g, scale_g, replaced = [], [], [], []
        for i, x in enumerate(xs):
            sy, sg, sc = stable(name, x)
            ry, rg = y64[i], g64[i]
            for what, t, s in (('y', y64[i], sy), ('grad', g64[i], sg)):
                # torch64 against the stable form: equal to ~1e-15 unless torch's formula cancels
                err = abs(t - s)
                scale = max(abs(s), sc if what == 'grad' else 0.0)
                if err > 1e-12 * scale + 1e-300:
                    if name in ('gelu', 'gelu-tanh', 'selu', 'elu', 'elu-0.7') and x < 0:
                        replaced.append({'x': x, 'what': what, 'torch64': t, 'stable': s})
                        if what == 'y':
                            ry = s
                        else:
                            rg = s
                    else:
                        raise SystemExit(f'{name}({x}) {what}: torch64 {t!r} vs stable {s!r}')
            ref_y.append(ry)
            ref_g.append(rg)
            scale_g.append(max(abs(rg), sc))
        out['activations'][name] = {
            'torch32': {'y': y32, 'grad': g32}, 'torch64': {'y': y64, 'grad': g64},
            'ref': {'y': ref_y, 'grad': ref_g}, 'gradScale': scale_g, 'replaced': replaced,
        }
        print(f'{name}: {len(xs)} points, {len(replaced)} torch64 values replaced by the stable form')
    out['modules'] = []
    for k, act in enumerate(["nn.GELU()", "nn.GELU(approximate='tanh')", 'nn.SiLU()', 'nn.Softplus()', 'nn.SELU()',
                             'nn.Mish()', 'nn.Hardtanh()', 'nn.ELU(alpha=0.5)']):
        torch.manual_seed(100 + k)
        python = f'nn.Sequential(nn.Linear(4, 6), {act}, nn.Linear(6, 3))'
        model = eval(python, {'nn': torch.nn})
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(3)  # larger pre-activations: the activations' tails matter
            x = torch.randn(5, 4) * 2
            logits = model(x)
        out['modules'].append({
            'python': python,
            'tensors': {name: {'shape': list(t.shape), 'data': [float(v) for v in t.flatten()]} for name, t in model.state_dict().items()},
            'x': [float(v) for v in x.flatten()],
            'logits': [float(v) for v in logits.flatten()],
        })
    path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'torch-activations.json')

    def fmt(v):
        # JSON has no Infinity/NaN: none occur on this grid (checked)
        if not math.isfinite(v):
            raise SystemExit(f'non-finite value {v}')
        return v

    def clean(o):
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list):
            return [clean(v) for v in o]
        if isinstance(o, float):
            return fmt(o)
        return o

    with open(path, 'w') as fh:
        json.dump(clean(out), fh, separators=(',', ':'))
        fh.write('\n')
    print('wrote', os.path.normpath(path))


main()
