#!/usr/bin/python3
# torch-lbfgs.py — PyTorch 1.13 reference runs of torch.optim.LBFGS for descent's torch-
# compatible L-BFGS (method 'lbfgs-torch', src/minimize/methods/lbfgs-torch.ts; issue #17).
#
# Dev-time oracle only: the npm package never depends on Python. Regenerate with
#
#     /usr/bin/python3 scripts/torch-lbfgs.py > test/fixtures/torch-lbfgs.json
#
# using Debian's python3-torch (torch 1.13, CPU, one thread). Deterministic and self-contained:
# the MLP's data and initial parameters come from torch.manual_seed(0) and are written into the
# JSON, so the test needs no PyTorch RNG.
#
# Every case is `opt = torch.optim.LBFGS([x], **options)` followed by `steps` calls of
# `opt.step(closure)`, where closure = zero_grad, loss, backward, return loss. Recorded:
#   calls      every closure call in order: [loss, x at which it was evaluated] — the iterates,
#              the line-search trial points and the evaluation count in one list
#   steps      per step() call: the loss it returned (torch's orig_loss, at the step's start),
#              x after it, and the closure calls so far (state['func_evals'] is cross-checked
#              against our own count) and state['n_iter']
#   final      the loss at x after the last call (evaluated outside the optimizer: not a call)
# Cases:
#   rosenbrock-2 / rosenbrock-10   the chained Rosenbrock function Σ 100(x_{i+1} − x_i²)² + (1 − x_i)²
#              (SciPy's `rosen`; descent's problems.rosenbrockChained) in float64 from
#              (−1.2, 1, −1.2, 1, …), with line_search_fn None and 'strong_wolfe', lr 1,
#              max_iter 20 and torch's other defaults; plus a 10-D strong-Wolfe run with
#              history_size 3, max_iter 7, max_eval 9 (the history ring and the max_eval exit)
#              and 2-D runs with a large tolerance_change: fixed step, lr 0.5, 1e-4 (the loss-
#              change exit) and strong Wolfe, 1e-3 (the search keeps its own 1e-9); and 10-D runs
#              on 1e-7·f (f and ∇f multiplied by "scale" after the computation), where pairs with
#              0 < yᵀs ≤ 1e-10 occur and are refused.
#   mlp        Linear(4→8) + tanh + Linear(8→3), loss ½‖y − t‖² averaged over 64 fixed samples
#              (descent's 'mse'; x ~ 2·N(0, 1), t = 2·one-hot of random labels: no perfect fit within
#              the run, and strong Wolfe has trials to reject), data and
#              start rounded to float32. Parameters flat in descent's layout: W1 as
#              [inputs][hidden] row-major (torch's weight transposed), b1, W2 [hidden][outputs],
#              b2. The reference run optimizes ONE float64 tensor in that layout with loss and
#              gradient computed by hand (mlp() below), so the optimizer's dot products sum in
#              the same order as the test's; "autograd64" and "autograd32" are the same run
#              through torch's own Linear and tanh modules (autograd, torch's
#              parameter order) in float64 and float32: how far torch's own run moves when only
#              the rounding changes (per step() call only).
# The Rosenbrock closures also compute f and ∇f by hand, in descent's operation order, and set
# .grad: the objective rounds identically on both sides, so the comparison sees the optimizer
# alone (torch 1.13's Tensor.add_(t, alpha=a) is a fused multiply-add on CPU, its dot products
# are sequential for n ≤ 15 but blocked for more, its sum() is blocked).
# Python floats round-trip float64 through repr, so every number in the JSON is exact
# (float32 values are widened exactly).

import json
import math
import sys

import torch

torch.set_num_threads(1)


def rosen(x):
    """The chained Rosenbrock function and its gradient, in the exact operation order of descent's
    problems.rosenbrockChained (float64 +, −, × round the same in Python and JavaScript)."""
    n = len(x)
    f, g = 0.0, [0.0] * n
    for i in range(n - 1):
        a, b = x[i + 1] - x[i] * x[i], 1 - x[i]
        f += 100 * a * a + b * b
        g[i] += -400 * x[i] * a - 2 * b
        g[i + 1] += 200 * a
    return f, g


def mlp(x, targets, inputs, hidden, outputs, params):
    """Mean squared error ½‖y − t‖² averaged over the samples (descent's 'mse') of Linear + tanh +
    Linear, and its gradient by backprop, parameters flat in descent's layout, in the operation
    order of the test's float64 MLP objective (test/lbfgs-torch.test.ts). No exp or log: Python's
    and JavaScript's differ in the last bit for ~10% of arguments; tanh for ~0.05%."""
    H, O, N = hidden, outputs, len(targets)
    w1, b1 = params[:inputs * H], params[inputs * H:inputs * H + H]
    o2 = inputs * H + H
    w2, b2 = params[o2:o2 + H * O], params[o2 + H * O:]
    g = [0.0] * len(params)
    loss = 0.0
    for s in range(N):
        xs, ts = x[s], targets[s]
        a = []
        for h in range(H):
            z = b1[h]
            for i in range(inputs):
                z += xs[i] * w1[i * H + h]
            a.append(math.tanh(z))
        dl = []
        for o in range(O):
            z = b2[o]
            for h in range(H):
                z += a[h] * w2[h * O + o]
            r = z - ts[o]
            loss += 0.5 * r * r
            dl.append(r / N)
        for h in range(H):
            da = 0.0
            for o in range(O):
                g[o2 + h * O + o] += a[h] * dl[o]
                da += w2[h * O + o] * dl[o]
            dz = da * (1 - a[h] * a[h])
            for i in range(inputs):
                g[i * H + h] += xs[i] * dz
            g[inputs * H + h] += dz
        for o in range(O):
            g[o2 + H * O + o] += dl[o]
    return loss / N, g


def flat(params):
    return [v for p in params for v in p.detach().reshape(-1).tolist()]


def run(params, loss_fn, options, steps):
    """loss_fn() → a loss tensor to backpropagate, or (loss, flat gradient list) computed by hand."""
    opt = torch.optim.LBFGS(params, **options)
    calls, record = [], []

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        if isinstance(loss, tuple):
            loss, grad = loss
            offset = 0
            for p in params:
                p.grad = torch.tensor(grad[offset:offset + p.numel()], dtype=p.dtype).reshape(p.shape)
                offset += p.numel()
            loss = torch.tensor(loss, dtype=params[0].dtype)
        else:
            loss.backward()
        calls.append([float(loss), flat(params)])
        return loss

    for _ in range(steps):
        loss = opt.step(closure)
        state = opt.state[params[0]]
        assert state['func_evals'] == len(calls), (state['func_evals'], len(calls))
        record.append({'loss': float(loss), 'x': flat(params), 'calls': len(calls), 'n_iter': state['n_iter']})
    with torch.no_grad():
        final = loss_fn()
    final = float(final[0] if isinstance(final, tuple) else final)
    return {'calls': calls, 'steps': record, 'final': final}


def rosen_case(n, options, steps=6, scale=1):
    x0 = [-1.2 if i % 2 == 0 else 1.0 for i in range(n)]
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)

    def scaled():
        f, g = rosen(x.detach().tolist())
        return (f, g) if scale == 1 else (f * scale, [v * scale for v in g])

    out = run([x], scaled, options, steps)
    return {'name': f'rosenbrock-{n}{"" if scale == 1 else f" ×{scale}"} {json.dumps(options, sort_keys=True)}', 'problem': 'rosenbrock', 'n': n,
            'scale': scale, 'x0': x0, 'options': options, 'steps_count': steps, **out}


# torch's own parameter order (W1 out×in, b1, W2, b2) <-> descent's flat layout (W1 in×out, b1, W2, b2)
def to_descent(w1, b1, w2, b2):
    return w1.t().reshape(-1).tolist() + b1.tolist() + w2.t().reshape(-1).tolist() + b2.tolist()


def mlp_case(options, steps=3):
    torch.manual_seed(0)
    inputs, hidden, outputs, n = 4, 8, 3, 64
    X = 2 * torch.randn(n, inputs, dtype=torch.float64)
    labels = torch.randint(0, outputs, (n,))
    T = 2 * torch.nn.functional.one_hot(labels, outputs).double()
    l1, l2 = torch.nn.Linear(inputs, hidden).double(), torch.nn.Linear(hidden, outputs).double()
    # data and start rounded to float32, so that every run starts from the same point
    init = [p.detach().float().double() for p in (l1.weight, l1.bias, l2.weight, l2.bias)]
    Xr = X.float().double()
    params0 = to_descent(*init)
    result = {'name': f'mlp {json.dumps(options, sort_keys=True)}', 'problem': 'mlp', 'inputs': inputs, 'hidden': hidden,
                    'outputs': outputs, 'x': Xr.tolist(), 'targets': T.tolist(), 'params0': params0,
              'options': options, 'steps_count': steps}
    # the reference: one flat float64 parameter vector in descent's layout, loss and gradient by hand
    theta = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    xs, ts = Xr.tolist(), T.tolist()
    result.update(run([theta], lambda: mlp(xs, ts, inputs, hidden, outputs, theta.detach().tolist()), options, steps))
    # torch's own modules (autograd, torch's parameter order) in float64 and float32
    sizes = [hidden * inputs, hidden, outputs * hidden, outputs]

    def relayout(v):
        o = [0]
        for k in sizes:
            o.append(o[-1] + k)
        tw1 = torch.tensor(v[o[0]:o[1]], dtype=torch.float64).reshape(hidden, inputs)
        tw2 = torch.tensor(v[o[2]:o[3]], dtype=torch.float64).reshape(outputs, hidden)
        return to_descent(tw1, torch.tensor(v[o[1]:o[2]]), tw2, torch.tensor(v[o[3]:o[4]]))

    for dtype, key in ((torch.float64, 'autograd64'), (torch.float32, 'autograd32')):
        w1, b1, w2, b2 = (p.clone().to(dtype).requires_grad_(True) for p in init)
        Xd = Xr.to(dtype)

        def loss_fn():
            r = torch.tanh(Xd @ w1.t() + b1) @ w2.t() + b2 - T.to(dtype)
            return 0.5 * (r * r).sum() / n

        out = run([w1, b1, w2, b2], loss_fn, options, steps)
        del out['calls']  # per step() call is enough for these (the count is in steps)
        for st in out['steps']:
            st['x'] = relayout(st['x'])
        result[key] = out
    return result


cases = [
    rosen_case(2, {'lr': 1, 'max_iter': 20, 'line_search_fn': None}),
    rosen_case(2, {'lr': 1, 'max_iter': 20, 'line_search_fn': 'strong_wolfe'}),
    rosen_case(10, {'lr': 1, 'max_iter': 20, 'line_search_fn': None}),
    rosen_case(10, {'lr': 1, 'max_iter': 20, 'line_search_fn': 'strong_wolfe'}),
    rosen_case(10, {'lr': 1, 'max_iter': 7, 'max_eval': 9, 'history_size': 3, 'line_search_fn': 'strong_wolfe'}, steps=8),
    rosen_case(2, {'lr': 0.5, 'max_iter': 20, 'tolerance_change': 1e-4, 'line_search_fn': None}, steps=4),
    rosen_case(2, {'lr': 1, 'max_iter': 20, 'tolerance_change': 1e-3, 'line_search_fn': 'strong_wolfe'}, steps=4),
    rosen_case(10, {'lr': 1, 'max_iter': 20, 'tolerance_grad': 1e-12, 'line_search_fn': None}, steps=3, scale=1e-7),
    rosen_case(10, {'lr': 1, 'max_iter': 20, 'tolerance_grad': 1e-12, 'line_search_fn': 'strong_wolfe'}, steps=3, scale=1e-7),
    mlp_case({'lr': 1, 'max_iter': 20, 'line_search_fn': None}),
    mlp_case({'lr': 1, 'max_iter': 20, 'line_search_fn': 'strong_wolfe'}),
]

json.dump({'generator': 'scripts/torch-lbfgs.py', 'torch': torch.__version__, 'cases': cases}, sys.stdout, separators=(',', ':'))
sys.stdout.write('\n')
