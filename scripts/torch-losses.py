#!/usr/bin/python3
"""PyTorch 1.13 reference values and gradients of descent's losses (issue #17).

Writes test/fixtures/torch-losses.json, read by test/losses-torch.test.ts. For every case (a
loss, its options, fixed float32 inputs), every reduction descent has and both dtypes:
  value  the reduced loss; for 'none' the unreduced terms (torch's reduction='none' tensor)
  grad   ∂value/∂(logits or outputs), row-major (not for 'none': descent has no gradient there)
computed by torch autograd on the float32 inputs (float64: the same values widened). Where
descent's reduction is not torch's own it is built from torch's terms, as the 'expr' field says:
  mse         descent's ½‖y − t‖² per sample: 0.5 * mse_loss(reduction='none'), summed / B
  bce-logits  per-sample sums (mean = torch's 'sum' / B; torch's 'mean' divides by B·C)
  bce         likewise
An exact reference ('exact': 50-digit mpmath on the same float32 inputs) is added, because
torch's own float32 (and, for BCE with logits at |z| = 30, float64) formulas cancel: the tests
hold descent to the exact values and to torch.

Run: /usr/bin/python3 scripts/torch-losses.py   (deterministic; no randomness at run time)
"""
import json
import os

import mpmath
import numpy as np
import torch
import torch.nn.functional as F

mpmath.mp.dps = 50
torch.set_num_threads(1)


def f32(a):
    return np.asarray(a, dtype=np.float32)


# ---- the inputs -------------------------------------------------------------------------
LOGITS_5x4 = f32([
    [2.0, -1.0, 0.5, 0.25],
    [30.0, -30.0, 0.0, 30.0],      # extreme logits, a tie at the maximum
    [1.0, 1.0, 1.0, 1.0],          # all tied
    [-30.0, -30.0, -29.5, 30.0],
    [0.1, -0.2, 0.3, -0.4],
])
LABELS_5 = [0, 2, 1, 3, 0]
SOFT_5x4 = f32([
    [0.7, 0.1, 0.1, 0.1],
    [0.5, 0.0, 0.0, 0.5],
    [0.25, 0.25, 0.25, 0.25],
    [0.0, 0.0, 0.0, 1.0],
    [0.3, 0.2, 0.2, 0.1],          # sums to 0.8: torch takes it as given
])
# 3 × 7: rows longer than a SIMD vector, with a tail
LOGITS_3x7 = f32(np.round(np.sin(np.arange(21) * 1.7).reshape(3, 7) * 6, 3))
LABELS_3 = [6, 0, 3]
SOFT_3x7 = f32(np.abs(np.cos(np.arange(21) * 0.9)).reshape(3, 7))
SOFT_3x7 = f32(SOFT_3x7 / SOFT_3x7.sum(axis=1, keepdims=True))

Z_BCE = f32([
    [30.0, -30.0, 0.0],
    [-30.0, 30.0, 2.5],
    [0.7, -1.3, 0.0],
    [4.0, -0.25, -6.0],
    [1e-3, 12.0, -12.0],
])
T_BCE = f32([
    [1.0, 0.0, 1.0],
    [1.0, 0.0, 0.3],
    [0.0, 1.0, 0.5],
    [1.0, 1.0, 0.0],
    [0.0, 1.0, 1.0],
])
Z_BCE1 = f32([[3.0], [-30.0], [30.0], [0.0], [-0.5], [1.25], [-2.0]])
T_BCE1 = f32([[1.0], [1.0], [0.0], [1.0], [0.0], [0.75], [1.0]])

P_BCE = f32([[0.9, 0.1], [0.5, 0.999], [0.001, 0.25], [0.6, 0.4], [0.3, 0.7]])
T_BCEP = f32([[1.0, 0.0], [1.0, 1.0], [0.0, 0.5], [1.0, 0.0], [0.2, 1.0]])

Y_REG = f32([
    [1.5, -2.0, 0.25, 3.0, 0.0],
    [0.0, 10.0, -10.0, 0.5, 1.0],
    [-1.5, 1.0, 2.0, -0.75, 100.0],
])
T_REG = f32([
    [0.0, 0.0, 0.0, 0.0, 0.0],     # d = 1.5 (a tie with δ = β = 1.5), −2, ¼, 3, 0
    [0.0, 9.0, -9.5, 0.5, 2.0],    # d = 0, 1 (a tie with δ = β = 1), −½, 0, −1 (tie)
    [0.0, 0.0, 1.0, -0.25, -100.0],
])


# ---- torch -----------------------------------------------------------------------------
def torch_case(loss, opts, x, tgt, labels, dtype, reduction):
    """value (list or float) and grad of descent's `reduction` of `loss`, with torch."""
    B, C = x.shape
    xt = torch.tensor(x, dtype=torch.float64).to(dtype).requires_grad_(True)
    if labels is not None:
        tt = torch.tensor(labels, dtype=torch.int64)
    else:
        tt = torch.tensor(tgt, dtype=torch.float64).to(dtype)
    if loss == 'softmax-cross-entropy':
        terms = lambda r: F.cross_entropy(xt, tt, label_smoothing=opts.get('labelSmoothing', 0.0), reduction=r)
        red = {'mean': lambda: terms('mean'), 'sum': lambda: terms('sum'), 'none': lambda: terms('none')}
        expr = "F.cross_entropy(label_smoothing=ε, reduction=r)"
    elif loss == 'mse':
        t = lambda: 0.5 * F.mse_loss(xt, tt, reduction='none')
        red = {'mean': lambda: t().sum() / B, 'sum': lambda: t().sum(), 'none': t}
        expr = "0.5 * F.mse_loss(reduction='none'): mean = its sum / B"
    elif loss == 'mse-mean':
        red = {r: (lambda r=r: F.mse_loss(xt, tt, reduction=r)) for r in ('mean', 'sum', 'none')}
        expr = "F.mse_loss(reduction=r)"
    elif loss == 'huber':
        d = opts.get('delta', 1.0)
        red = {r: (lambda r=r: F.huber_loss(xt, tt, delta=d, reduction=r)) for r in ('mean', 'sum', 'none')}
        expr = "F.huber_loss(delta=δ, reduction=r)"
    elif loss == 'smooth-l1':
        b = opts.get('beta', 1.0)
        red = {r: (lambda r=r: F.smooth_l1_loss(xt, tt, beta=b, reduction=r)) for r in ('mean', 'sum', 'none')}
        expr = "F.smooth_l1_loss(beta=β, reduction=r)"
    elif loss == 'bce-logits':
        pw = opts.get('posWeight')
        pwt = None if pw is None else torch.tensor(np.broadcast_to(f32(pw), (C,)).copy(), dtype=torch.float64).to(dtype)
        t = lambda r: F.binary_cross_entropy_with_logits(xt, tt, pos_weight=pwt, reduction=r)
        red = {'mean': lambda: t('sum') / B, 'sum': lambda: t('sum'), 'none': lambda: t('none')}
        expr = "F.binary_cross_entropy_with_logits(pos_weight=w): mean = reduction 'sum' / B (torch's 'mean' / B·C)"
    elif loss == 'bce':
        t = lambda r: F.binary_cross_entropy(xt, tt, reduction=r)
        red = {'mean': lambda: t('sum') / B, 'sum': lambda: t('sum'), 'none': lambda: t('none')}
        expr = "F.binary_cross_entropy: mean = reduction 'sum' / B"
    else:
        raise ValueError(loss)
    v = red[reduction]()
    if reduction == 'none':
        return {'value': v.detach().reshape(-1).tolist()}, expr
    v.backward()
    return {'value': v.item(), 'grad': xt.grad.reshape(-1).tolist()}, expr


# ---- exact (mpmath) --------------------------------------------------------------------
M = mpmath.mpf


def softplus(x):
    return mpmath.log1p(mpmath.exp(x)) if x < 0 else x + mpmath.log1p(mpmath.exp(-x))


def sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def exact_case(loss, opts, x, tgt, labels):
    """The terms and the gradient of their sum, exactly, on the float32 inputs."""
    B, C = x.shape
    terms, grad = [], []
    for b in range(B):
        z = [M(float(v)) for v in x[b]]
        if loss == 'softmax-cross-entropy':
            eps = M(opts.get('labelSmoothing', 0.0))
            if labels is not None:
                tp = [eps / C + (1 - eps if j == labels[b] else 0) for j in range(C)]
            else:
                # torch smooths probability targets in their dtype; exactly here
                tp = [M(float(v)) * (1 - eps) + eps / C for v in tgt[b]]
            m = max(z)
            lse = m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in z))
            terms.append(mpmath.fsum(tp[j] * (lse - z[j]) for j in range(C)))
            T = mpmath.fsum(tp)
            grad += [mpmath.exp(z[j] - lse) * T - tp[j] for j in range(C)]
            continue
        for j in range(C):
            y = z[j]
            t = M(float(tgt[b][j]))
            d = y - t
            if loss == 'mse':
                terms.append(d * d / 2); grad.append(d)
            elif loss == 'mse-mean':
                terms.append(d * d); grad.append(2 * d)
            elif loss == 'huber':
                dl = M(opts.get('delta', 1.0))
                if abs(d) < dl:
                    terms.append(d * d / 2); grad.append(d)
                else:
                    terms.append(dl * (abs(d) - dl / 2)); grad.append(dl * mpmath.sign(d))
            elif loss == 'smooth-l1':
                be = M(opts.get('beta', 1.0))
                if abs(d) < be:
                    terms.append(d * d / (2 * be)); grad.append(d / be)
                else:
                    terms.append(abs(d) - be / 2); grad.append(mpmath.sign(d))
            elif loss == 'bce-logits':
                pw = opts.get('posWeight')
                w = M(1) if pw is None else M(float(np.broadcast_to(f32(pw), (C,))[j]))
                terms.append((1 - t) * softplus(y) + w * t * softplus(-y))
                grad.append((1 - t) * sigmoid(y) - w * t * sigmoid(-y))
            elif loss == 'bce':
                terms.append(-(t * mpmath.log(y) + (1 - t) * mpmath.log(1 - y)))
                grad.append((y - t) / (y * (1 - y)))
    return [float(v) for v in terms], [float(v) for v in grad]


def divisor(loss, reduction, B, C):
    if reduction == 'sum':
        return 1
    return B * C if loss in ('mse-mean', 'huber', 'smooth-l1') else B


CASES = []


def case(name, loss, opts, x, tgt=None, labels=None):
    CASES.append((name, loss, opts, f32(x), None if tgt is None else f32(tgt), labels))


for eps in (0.0, 0.1):
    case(f'xent labels 5x4 eps={eps}', 'softmax-cross-entropy', {'labelSmoothing': eps}, LOGITS_5x4, labels=LABELS_5)
    case(f'xent soft 5x4 eps={eps}', 'softmax-cross-entropy', {'labelSmoothing': eps}, LOGITS_5x4, tgt=SOFT_5x4)
    case(f'xent labels 3x7 eps={eps}', 'softmax-cross-entropy', {'labelSmoothing': eps}, LOGITS_3x7, labels=LABELS_3)
    case(f'xent soft 3x7 eps={eps}', 'softmax-cross-entropy', {'labelSmoothing': eps}, LOGITS_3x7, tgt=SOFT_3x7)
case('bce-logits 5x3', 'bce-logits', {}, Z_BCE, tgt=T_BCE)
case('bce-logits 5x3 posWeight [2, 0.5, 3]', 'bce-logits', {'posWeight': [2.0, 0.5, 3.0]}, Z_BCE, tgt=T_BCE)
case('bce-logits 7x1 posWeight 4', 'bce-logits', {'posWeight': 4.0}, Z_BCE1, tgt=T_BCE1)
case('bce 5x2', 'bce', {}, P_BCE, tgt=T_BCEP)
case('mse 3x5', 'mse', {}, Y_REG, tgt=T_REG)
case('mse-mean 3x5', 'mse-mean', {}, Y_REG, tgt=T_REG)
for d in (1.0, 1.5, 0.3):
    case(f'huber 3x5 delta={d}', 'huber', {'delta': d}, Y_REG, tgt=T_REG)
for b in (1.0, 1.5, 0.0):
    case(f'smooth-l1 3x5 beta={b}', 'smooth-l1', {'beta': b}, Y_REG, tgt=T_REG)

out = {
    'generator': 'scripts/torch-losses.py',
    'torch': torch.__version__,
    'notes': 'value/grad per dtype and descent reduction; exact = 50-digit mpmath terms and gradient of their sum on the float32 inputs',
    'cases': [],
}
for name, loss, opts, x, tgt, labels in CASES:
    B, C = x.shape
    c = {'name': name, 'loss': loss, 'options': opts, 'B': B, 'C': C, 'x': x.reshape(-1).tolist()}
    if labels is not None:
        c['labels'] = labels
    else:
        c['targets'] = tgt.reshape(-1).tolist()
    for dtype, key in ((torch.float32, 'float32'), (torch.float64, 'float64')):
        c[key] = {}
        for r in ('mean', 'sum', 'none'):
            c[key][r], expr = torch_case(loss, opts, x, tgt, labels, dtype, r)
        c['expr'] = expr
    terms, grad = exact_case(loss, opts, x, tgt, labels)
    c['exact'] = {'terms': terms, 'gradSum': grad}
    # consistency of the exact reference with torch float64 (a sanity check of this script)
    s = float(mpmath.fsum(M(v) for v in terms))
    for r in ('mean', 'sum'):
        tv = c['float64'][r]['value']
        ev = s / divisor(loss, r, B, C)
        assert abs(tv - ev) <= 1e-9 * max(abs(ev), 1e-300) + 1e-12, (name, r, tv, ev)
    out['cases'].append(c)

path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'torch-losses.json')
with open(path, 'w') as f:
    json.dump(out, f, indent=1)
    f.write('\n')
print(f'wrote {len(out["cases"])} cases to {os.path.normpath(path)}')
