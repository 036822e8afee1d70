#!/usr/bin/python3
# torch-cnn.py — PyTorch reference cases for the CNN layers of issue #15 (Conv2d, MaxPool2d,
# AvgPool2d, AdaptiveAvgPool2d(1), BatchNorm2d, and a tiny end-to-end network).
#
# Dev-time oracle only: the npm package never depends on Python. This script writes the JSON
# fixture test/fixtures/cnn-torch.json; test/cnn-torch-fixture.test.ts checks the fixture's own
# consistency (no torch), the layer tests compare descent against it. Regenerate with
#
#     /usr/bin/python3 scripts/torch-cnn.py          # run from the repository root
#
# using Debian's python3-torch (`apt-get install -y python3-torch python3-numpy`), i.e. the
# system /usr/bin/python3. Generated with torch 1.13.0a0 (Debian 1.13.1+dfsg), CPU, one thread.
# Deterministic: torch.manual_seed(SEED) before every case, and every random tensor (inputs,
# parameters, upstream gradients) is written into the JSON, so consumers need no PyTorch RNG.
#
# Layouts — PyTorch's own, NOT descent's NHWC (the tests convert):
#   * every tensor is {"shape": [...], "data": [...]}: "data" is the flat row-major (C order)
#     buffer of a float32 tensor, each value float(float32) — exact, Python's float repr
#     round-trips. Integer tensors (labels, maxpool indices) use the same form.
#   * activations NCHW: x, y, dy, dx are [N, C, H, W].
#   * Conv2d weight [out_channels, in_channels/groups, kh, kw], bias [out_channels].
#   * BatchNorm2d weight (gamma), bias (beta), running_mean, running_var: [C].
#   * Linear weight [out_features, in_features], bias [out_features]; nn.Flatten flattens NCHW,
#     so the Linear's input index is c*H*W + h*W + w (channel-major, not NHWC order).
# Conv "padding" is also given resolved as [[top, bottom], [left, right]]: for padding='same'
# torch pads d*(k-1) in total, floor half before and the rest after (k=4: 1 before, 2 after).
# All computations are float32. dy is a random N(0,1) upstream gradient; dx, dweight, dbias
# are the .grad tensors after y.backward(dy) (a fresh module per case, so nothing accumulates).
#
# Case keys: see the "format" string written into the JSON (and the report in issue #15).
# MaxPool2d tie-breaking (observed here, CPU kernel `if (val > maxval || isnan(val))`): among
# equal maxima in a window the FIRST in row-major scan order (smallest h, then smallest w, padding
# never wins) is the argmax; its flat index h*W + w (within one [H, W] plane of the input) is in
# "indices", and backward routes dy only to that element. The "ties" case checks it.

import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
SEED = 15  # issue #15
OUT = 'test/fixtures/cnn-torch.json'


def T(t):
    """Tensor -> {"shape", "data"} (flat row-major); float tensors must be float32."""
    t = t.detach()
    if t.is_floating_point():
        assert t.dtype == torch.float32, t.dtype
    return {'shape': list(t.shape), 'data': t.contiguous().reshape(-1).tolist()}


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


# -------------------------------------------------------------------------------------- Conv2d
def conv_case(name, n, h, w, **kw):
    torch.manual_seed(SEED)
    m = nn.Conv2d(**kw)  # default init (kaiming-uniform weight, uniform bias), float32
    x = randn(n, kw['in_channels'], h, w).requires_grad_(True)
    y = m(x)
    dy = randn(*y.shape)
    y.backward(dy)
    k = pair(kw['kernel_size'])
    d = pair(kw.get('dilation', 1))
    p = kw.get('padding', 0)
    if p == 'same':  # torch: total d*(k-1), left = total//2, right = the rest
        tot = [d[i] * (k[i] - 1) for i in range(2)]
        pad = [[tot[i] // 2, tot[i] - tot[i] // 2] for i in range(2)]
    else:
        pad = [[q, q] for q in pair(p)]
    bias = kw.get('bias', True)
    if p == 'same':  # the resolved padding, checked: explicit F.pad + unpadded conv gives y
        xp = F.pad(x.detach(), (pad[1][0], pad[1][1], pad[0][0], pad[0][1]))
        y2 = F.conv2d(xp, m.weight.detach(), m.bias.detach() if bias else None, groups=kw.get('groups', 1),
                      dilation=d)
        assert torch.allclose(y2, y.detach(), rtol=1e-5, atol=1e-6), name
    return {
        'name': name,
        'options': {key: (list(v) if isinstance(v, tuple) else v) for key, v in kw.items()},
        'kernel': k, 'stride': pair(kw.get('stride', 1)), 'padding': pad, 'dilation': d,
        'groups': kw.get('groups', 1), 'bias': bias,
        'x': T(x), 'weight': T(m.weight), 'b': T(m.bias) if bias else None,
        'y': T(y), 'dy': T(dy), 'dx': T(x.grad), 'dweight': T(m.weight.grad),
        'dbias': T(m.bias.grad) if bias else None,
    }


def conv_cases():
    C = conv_case
    return [
        C('1to4_k3', 2, 7, 5, in_channels=1, out_channels=4, kernel_size=3),
        C('3to5_k3_s2_p1', 2, 7, 5, in_channels=3, out_channels=5, kernel_size=3, stride=2, padding=1),
        C('2to4_k3_d2_p2', 2, 7, 6, in_channels=2, out_channels=4, kernel_size=3, dilation=2, padding=2),
        C('4to6_k3x2_s2x1_p1x0', 2, 7, 5, in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1),
          padding=(1, 0)),
        C('groups2_4to6_k3_p1', 2, 5, 5, in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2),
        C('depthwise4_out8_k3_p1', 2, 5, 6, in_channels=4, out_channels=8, kernel_size=3, padding=1, groups=4),
        C('same_3to4_k3', 2, 7, 5, in_channels=3, out_channels=4, kernel_size=3, padding='same'),
        C('same_3to4_k5', 2, 7, 5, in_channels=3, out_channels=4, kernel_size=5, padding='same'),
        C('same_even_3to4_k4x2', 2, 7, 5, in_channels=3, out_channels=4, kernel_size=(4, 2), padding='same'),
        C('kernel_gt_input_2x3_k3_p2', 3, 2, 3, in_channels=2, out_channels=3, kernel_size=3, padding=2),
        C('nobias_3to4_k3_p1', 2, 7, 5, in_channels=3, out_channels=4, kernel_size=3, padding=1, bias=False),
        C('nobias_2to3_k2_s2', 3, 6, 6, in_channels=2, out_channels=3, kernel_size=2, stride=2, bias=False),
    ]


# ----------------------------------------------------------------------------------- pooling
def pool_case(name, kind, x, **kw):
    x = x.clone().requires_grad_(True)
    extra = {}
    if kind == 'max':
        y, idx = F.max_pool2d(x, return_indices=True, **kw)
        extra['indices'] = T(idx)
        # the module itself, to make sure it agrees with the functional call
        assert torch.equal(nn.MaxPool2d(**kw)(x), y)
    elif kind == 'avg':
        m = nn.AvgPool2d(**kw)
        y = m(x)
    else:
        m = nn.AdaptiveAvgPool2d(kw['output_size'])
        y = m(x)
    dy = randn(*y.shape)
    y.backward(dy)
    if kind == 'adaptive':
        geo = {}
    else:
        k = pair(kw['kernel_size'])
        s = pair(kw.get('stride') or kw['kernel_size'])
        geo = {'kernel': k, 'stride': s, 'padding': pair(kw.get('padding', 0))}
        if kind == 'avg':
            geo['count_include_pad'] = kw.get('count_include_pad', True)
    return {'name': name, 'kind': kind, 'options': kw, **geo,
            'x': T(x), 'y': T(y), 'dy': T(dy), 'dx': T(x.grad), **extra}


def pool_cases():
    out = []
    torch.manual_seed(SEED)
    P = pool_case
    x75 = randn(2, 3, 7, 5)
    x66 = randn(2, 2, 6, 6)
    out.append(P('max_k2_s2', 'max', x75, kernel_size=2, stride=2))
    out.append(P('max_k3_s2_p1', 'max', x75, kernel_size=3, stride=2, padding=1))
    out.append(P('max_k3_s1', 'max', x75, kernel_size=3, stride=1))
    out.append(P('max_k2_s3', 'max', x75, kernel_size=2, stride=3))
    out.append(P('max_k2_s2_even', 'max', x66, kernel_size=2, stride=2))
    # ties: small integers (many equal maxima per window), overlapping windows, padding; plus an
    # all-equal plane and an all-negative plane (padding must not win: it is -inf)
    xt = torch.randint(-2, 2, (2, 2, 6, 5)).float()
    xt[0, 1] = 1.0
    xt[1, 1] = -3.0
    out.append(P('max_ties_k2_s2', 'max', xt, kernel_size=2, stride=2))
    out.append(P('max_ties_k3_s1_p1', 'max', xt, kernel_size=3, stride=1, padding=1))
    out.append(P('avg_k2_s2', 'avg', x75, kernel_size=2, stride=2))
    out.append(P('avg_k3_s2_p1_include_pad', 'avg', x75, kernel_size=3, stride=2, padding=1,
                 count_include_pad=True))
    out.append(P('avg_k3_s2_p1_exclude_pad', 'avg', x75, kernel_size=3, stride=2, padding=1,
                 count_include_pad=False))
    out.append(P('avg_k2_s2_even', 'avg', x66, kernel_size=2, stride=2))
    out.append(P('global_avg', 'adaptive', x75, output_size=1))
    out.append(P('global_avg_even', 'adaptive', x66, output_size=1))
    return out


def tie_report(cases):
    """Check (and describe) which element torch picks among tied maxima."""
    for c in cases:
        if not c['name'].startswith('max_ties'):
            continue
        x = torch.tensor(c['x']['data']).reshape(c['x']['shape'])
        idx = torch.tensor(c['indices']['data']).reshape(c['indices']['shape'])
        n, ch, h, w = x.shape
        k, s, p = c['kernel'], c['stride'], c['padding']
        ties = 0
        for b in range(n):
            for cc in range(ch):
                for oi in range(idx.shape[2]):
                    for oj in range(idx.shape[3]):
                        best, first, count = -math.inf, None, 0
                        for di in range(k[0]):
                            for dj in range(k[1]):
                                i, j = oi * s[0] - p[0] + di, oj * s[1] - p[1] + dj
                                if 0 <= i < h and 0 <= j < w:
                                    v = x[b, cc, i, j].item()
                                    if v > best:
                                        best, first, count = v, i * w + j, 1
                                    elif v == best:
                                        count += 1
                        ties += count > 1
                        assert idx[b, cc, oi, oj].item() == first, (c['name'], b, cc, oi, oj)
        c['ties_windows'] = ties
    return ('first maximum in row-major window order (smallest h, then smallest w) is the argmax; '
            'dx gets dy only there; padding (-inf) never wins')


# ------------------------------------------------------------------------------- BatchNorm2d
def batchnorm_case():
    torch.manual_seed(SEED)
    c = 4
    bn = nn.BatchNorm2d(c, momentum=0.1, eps=1e-5)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0, 0.75]))
        bn.bias.copy_(torch.tensor([0.25, 0.0, -1.0, 0.5]))
    params = {'weight': T(bn.weight), 'bias': T(bn.bias)}
    bn.train()
    offsets = torch.tensor([3.0, -1.0, 0.0, 10.0]).reshape(1, c, 1, 1)
    shapes = [(2, c, 5, 3), (3, c, 4, 4), (2, c, 3, 5)]
    passes = []
    for i, sh in enumerate(shapes):
        x = (randn(*sh) * (1 + i) + offsets).requires_grad_(True)
        bn.zero_grad()
        y = bn(x)
        dy = randn(*y.shape)
        y.backward(dy)
        passes.append({
            'x': T(x), 'y': T(y), 'dy': T(dy), 'dx': T(x.grad),
            'dweight': T(bn.weight.grad), 'dbias': T(bn.bias.grad),
            'running_mean': T(bn.running_mean), 'running_var': T(bn.running_var),
            'num_batches_tracked': int(bn.num_batches_tracked),
        })
    bn.eval()
    xe = randn(2, c, 3, 4) + offsets
    with torch.no_grad():
        ye = bn(xe)
    return {
        'options': {'num_features': c, 'momentum': 0.1, 'eps': 1e-5, 'affine': True,
                    'track_running_stats': True},
        'initial_running_mean': [0.0] * c, 'initial_running_var': [1.0] * c,
        'note': 'training: batch statistics over N,H,W with biased variance for y; running_var '
                'is updated with the unbiased variance (divisor N*H*W-1): r = 0.9*r + 0.1*stat. '
                'passes[i] holds the running stats after forward pass i+1 (weight/bias unchanged '
                'between passes: no optimizer step). eval uses passes[2] running stats.',
        **params, 'passes': passes, 'eval': {'x': T(xe), 'y': T(ye)},
    }


# ------------------------------------------------------------------------------- network
def network_case():
    torch.manual_seed(SEED)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 3 * 3, 10))
    x = randn(3, 1, 10, 10).requires_grad_(True)
    labels = torch.tensor([3, 7, 0])
    acts = []
    h = x
    for layer in net:
        h = layer(h)
        acts.append(h)
    logits = h
    loss = nn.CrossEntropyLoss()(logits, labels)
    loss.backward()
    return {
        'layers': ['Conv2d(1, 4, kernel_size=3, padding=1)', 'ReLU()', 'MaxPool2d(kernel_size=2)',
                   'Conv2d(4, 8, kernel_size=3)', 'ReLU()', 'Flatten()', 'Linear(72, 10)'],
        'loss_fn': 'CrossEntropyLoss() (mean over the batch)',
        'x': T(x), 'labels': T(labels),
        'params': {k: T(v) for k, v in net.named_parameters()},
        'activations': [T(a) for a in acts],
        'logits': T(logits), 'loss': loss.item(),
        'grads': {k: T(v.grad) for k, v in net.named_parameters()},
        'dx': T(x.grad),
    }


# --------------------------------------------------------------------------------------------
def dumps(o, ind=0):
    """JSON with lists of scalars on one line (readable diffs, compact file)."""
    pad, pad1 = ' ' * ind, ' ' * (ind + 1)
    if isinstance(o, dict):
        if not o:
            return '{}'
        items = [f'{pad1}{json.dumps(k)}: {dumps(v, ind + 1)}' for k, v in o.items()]
        return '{\n' + ',\n'.join(items) + '\n' + pad + '}'
    if isinstance(o, list):
        if all(not isinstance(v, (dict, list)) for v in o):
            return json.dumps(o, allow_nan=False)
        return '[\n' + ',\n'.join(pad1 + dumps(v, ind + 1) for v in o) + '\n' + pad + ']'
    return json.dumps(o, allow_nan=False)


FORMAT = (
    'Tensors are {"shape": [...], "data": [flat row-major values]} in PyTorch layouts: NCHW '
    'activations, Conv2d weight [out, in/groups, kh, kw], Linear weight [out, in]; float32 values '
    'stored exactly. conv[]: name, options (torch kwargs), kernel [kh,kw], stride [sh,sw], '
    'padding [[top,bottom],[left,right]] (resolved, also for "same"), dilation [dh,dw], groups, '
    'bias (bool), x, weight, b (null without bias), y, dy, dx, dweight, dbias (null without bias). '
    'pool[]: name, kind ("max"|"avg"|"adaptive"), options, kernel, stride, padding [ph,pw] '
    '(not for adaptive), count_include_pad (avg), x, y, dy, dx, indices (max: flat h*W+w in the '
    'input plane). batchnorm2d: options, weight, bias, passes[3] {x,y,dy,dx,dweight,dbias,'
    'running_mean,running_var,num_batches_tracked}, eval {x,y}. network: x, labels, params and '
    'grads keyed by torch names, activations after each layer, logits, loss, dx.')


def main():
    pools = pool_cases()
    ties = tie_report(pools)
    out = {
        'source': 'scripts/torch-cnn.py', 'torch_version': torch.__version__, 'seed': SEED,
        'dtype': 'float32', 'format': FORMAT, 'maxpool_tie_breaking': ties,
        'conv': conv_cases(), 'pool': pools,
        'batchnorm2d': batchnorm_case(), 'network': network_case(),
    }
    with open(OUT, 'w') as f:
        f.write(dumps(out) + '\n')


if __name__ == '__main__':
    main()
