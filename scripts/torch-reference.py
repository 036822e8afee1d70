#!/usr/bin/python3
# torch-reference.py — PyTorch reference trajectories for descent's optimizers and LR schedulers.
#
# Dev-time oracle only: the npm package never depends on Python. This script writes the JSON
# fixture test/fixtures/torch-optim.json, which tests compare against. Regenerate with
#
#     /usr/bin/python3 scripts/torch-reference.py > test/fixtures/torch-optim.json
#
# using Debian's python3-torch (`apt-get install -y python3-torch python3-numpy`), i.e. the
# system /usr/bin/python3, not a pyenv/venv python. Generated with torch 1.13.0a0 (Debian
# package 1.13.1+dfsg-4, bookworm), numpy 1.24.2, CPU, one thread. Self-contained and
# deterministic: no data files, all random data comes from torch.manual_seed(0) and is written
# into the JSON explicitly, so consumers need no PyTorch RNG.
#
# What it generates
#   rosenbrock  f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 in float64 from x0 = [-1.2, 1.0]; each step
#               is zero_grad, f.backward(), opt.step(). "trajectory" holds [x, y] after steps
#               1..20, "values" f at those points.
#   mlp         Linear(4->5) + tanh + Linear(5->3), loss = F.cross_entropy (mean over the batch),
#               all float32, one fixed full batch of 8 samples. Parameters are reported flat in
#               descent's layout: W1 as [inputs][hidden] row-major (= torch Linear weight
#               transposed), b1, W2 as [hidden][outputs] row-major (transposed), b2. "losses" is
#               the loss before each of the 20 steps, "params" the flat parameters after each.
#   lr_schedulers  the lr seen by an SGD optimizer (base lr 1.0) before each of 20 steps for
#               the torch.optim.lr_scheduler classes listed in the brief; OneCycleLR also records
#               the cycled SGD momentum (and Adam beta1); ReduceLROnPlateau records the lr in
#               effect for each metric of a fixed sequence and the lr after step(metric).
#
# "options" are the exact torch keyword arguments (tuples as lists), except that every torch
# optimizer is additionally built with foreach=False (the single-tensor code path) — that
# kwarg is omitted from "options" because it does not change the algorithm.
# float32 values are converted exactly to Python floats (float(np.float32) / tensor.tolist()),
# and Python's float repr round-trips float64, so every number in the JSON is exact.
#
# Torch-version caveats observed in the installed torch 1.13 (checked against its source in
# /usr/lib/python3/dist-packages/torch/optim):
#   * NAdam, single-tensor path (_single_tensor_nadam) has the known bug: after
#     `mu_product *= mu` it computes `mu_product_next = mu_product * mu * mu_next`, i.e. it
#     multiplies mu_t in twice, so the exp_avg term is scaled by lr*mu_{t+1} / (1 - mu_prod_t *
#     mu_t * mu_{t+1}) instead of lr*mu_{t+1} / (1 - prod_{i<=t+1} mu_i). (The 1.13 foreach path
#     and torch >= 2.0's single-tensor path use mu_product * mu_next.) The torch-1.13 NAdam
#     cases are kept with "source": "torch-1.13-single-tensor (known mu_product_next bug; do
#     not use as reference)"; each NAdam case is ALSO emitted with "source": "corrected-formula",
#     produced by CorrectedNAdam below: the torch >= 2.0 single-tensor algorithm (Dozat 2016
#     with torch's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay))),
#         m_t = beta1 m + (1-beta1) g      (torch >= 2 uses lerp_; same math)
#         v_t = beta2 v + (1-beta2) g^2
#         denom = sqrt(v_t / (1 - beta2^t)) + eps
#         p -= lr (1-mu_t) / (1 - prod_{i<=t} mu_i) * g / denom
#         p -= lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m_t / denom
#     with L2 weight decay g += weight_decay * p first. The tensors are in the parameter dtype
#     (float64 Rosenbrock, float32 MLP); the scalar mu product is kept as a Python float64
#     (torch >= 2 keeps it in a float32 0-d tensor, which differs by ~1e-7 relative in the step
#     size). It is cross-checked against torch 1.13's foreach=True NAdam (correct formula,
#     different rounding); the max abs differences are recorded under "nadam_crosscheck".
#   * RAdam(decoupled_weight_decay=True) does not exist in torch 1.13 (added in torch 2.1):
#     that case is skipped and listed in "skipped".
#   * Torch 1.13 (and later) semantics worth knowing when matching: SGD's momentum buffer is
#     initialised to the first (weight-decayed) gradient without dampening; Adamax adds eps to
#     |g| inside the max (u = max(beta2 u, |g| + eps)); Adagrad's clr = lr / (1 + (t-1) lr_decay)
#     and denominator sqrt(sum) + eps; RMSprop centered uses sqrt(v - gbar^2) + eps and the
#     momentum buffer accumulates g / denom; Adadelta's accumulated delta is before the lr
#     factor; RAdam uses the rectified step only when rho_t > 5, otherwise p -= lr * m_hat;
#     Rprop starts every step size at lr, prev = 0, and zeroes the gradient where the sign
#     flipped. CosineAnnealingLR / CosineAnnealingWarmRestarts / ExponentialLR etc. are stepped
#     with scheduler.step() (no epoch argument), so torch uses its recursive (chainable) form,
#     whose values can differ from the closed form in the last few ulps.

import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

STEPS = 20
FOREACH_FALSE = dict(foreach=False)


# --------------------------------------------------------------------------------------------
# Corrected NAdam (torch >= 2.0 single-tensor algorithm; see header)
# --------------------------------------------------------------------------------------------
class CorrectedNAdam(torch.optim.Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            lr, eps = group['lr'], group['eps']
            wd, md = group['weight_decay'], group['momentum_decay']
            for p in group['params']:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st['step'] = 0
                    st['mu_product'] = 1.0
                    st['exp_avg'] = torch.zeros_like(p)
                    st['exp_avg_sq'] = torch.zeros_like(p)
                st['step'] += 1
                t = st['step']
                grad = p.grad
                if wd != 0:
                    grad = grad.add(p, alpha=wd)
                bias_correction2 = 1 - beta2 ** t
                mu = beta1 * (1. - 0.5 * (0.96 ** (t * md)))
                mu_next = beta1 * (1. - 0.5 * (0.96 ** ((t + 1) * md)))
                st['mu_product'] *= mu
                mu_product = st['mu_product']
                mu_product_next = mu_product * mu_next          # the fix: no extra factor mu
                exp_avg, exp_avg_sq = st['exp_avg'], st['exp_avg_sq']
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
                p.addcdiv_(grad, denom, value=-lr * (1. - mu) / (1. - mu_product))
                p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1. - mu_product_next))


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------
# (name, torch class, rosenbrock kwargs, mlp kwargs)
def case_list():
    O = torch.optim
    c = []

    def add(name, cls, ros, mlp):
        c.append((name, cls, ros, mlp))

    add('sgd', O.SGD, dict(lr=1e-3), dict(lr=0.1))
    add('sgd', O.SGD, dict(lr=1e-3, momentum=0.9), dict(lr=0.1, momentum=0.9))
    add('sgd', O.SGD, dict(lr=1e-3, momentum=0.9, dampening=0.1),
        dict(lr=0.1, momentum=0.9, dampening=0.1))
    add('sgd', O.SGD, dict(lr=1e-3, momentum=0.9, nesterov=True),
        dict(lr=0.1, momentum=0.9, nesterov=True))
    add('sgd', O.SGD, dict(lr=1e-3, momentum=0.9, weight_decay=0.01),
        dict(lr=0.1, momentum=0.9, weight_decay=0.01))

    add('adagrad', O.Adagrad, dict(lr=1e-1), dict(lr=0.1))
    add('adagrad', O.Adagrad,
        dict(lr=1e-1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01),
        dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01))

    add('rmsprop', O.RMSprop, dict(lr=1e-2), dict(lr=0.01))
    add('rmsprop', O.RMSprop, dict(lr=1e-2, centered=True), dict(lr=0.01, centered=True))
    add('rmsprop', O.RMSprop, dict(lr=1e-2, momentum=0.9), dict(lr=0.01, momentum=0.9))
    add('rmsprop', O.RMSprop, dict(lr=1e-2, centered=True, momentum=0.9, weight_decay=0.01),
        dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01))

    add('adadelta', O.Adadelta, dict(lr=1.0), dict(lr=1.0))
    add('adadelta', O.Adadelta, dict(lr=0.5, rho=0.95, weight_decay=0.01),
        dict(lr=0.5, rho=0.95, weight_decay=0.01))

    add('adam', O.Adam, dict(lr=1e-2), dict(lr=0.01))
    add('adam', O.Adam, dict(lr=1e-2, amsgrad=True), dict(lr=0.01, amsgrad=True))
    add('adam', O.Adam, dict(lr=1e-2, weight_decay=0.01), dict(lr=0.01, weight_decay=0.01))
    add('adamw', O.AdamW, dict(lr=1e-2, weight_decay=0.01), dict(lr=0.01, weight_decay=0.01))
    # AdamW's torch default weight_decay is 0.01, so "amsgrad=True" alone means wd 0.01 too;
    # it is passed explicitly so the options are self-describing.
    add('adamw', O.AdamW, dict(lr=1e-2, weight_decay=0.01, amsgrad=True),
        dict(lr=0.01, weight_decay=0.01, amsgrad=True))

    add('adamax', O.Adamax, dict(lr=1e-2), dict(lr=0.01))
    add('nadam', O.NAdam, dict(lr=1e-2), dict(lr=0.01))
    add('nadam', O.NAdam, dict(lr=1e-2, momentum_decay=0.004, weight_decay=0.01),
        dict(lr=0.01, momentum_decay=0.004, weight_decay=0.01))
    add('radam', O.RAdam, dict(lr=1e-3), dict(lr=0.01))
    add('radam', O.RAdam, dict(lr=1e-3, decoupled_weight_decay=True, weight_decay=0.01),
        dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.01))

    add('rprop', O.Rprop, dict(lr=1e-2), dict(lr=0.01))
    add('rprop', O.Rprop, dict(lr=1e-2, etas=(0.4, 1.3), step_sizes=(1e-5, 1.0)),
        dict(lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-5, 1.0)))
    return c


def jsonable(kw):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}


def make_opt(cls, params, kw, foreach=False):
    if cls is CorrectedNAdam:
        return cls(params, **kw)
    return cls(params, **kw, foreach=foreach)


# --------------------------------------------------------------------------------------------
# Rosenbrock (float64)
# --------------------------------------------------------------------------------------------
X0 = [-1.2, 1.0]


def rosen(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def run_rosenbrock(cls, kw, foreach=False):
    p = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    opt = make_opt(cls, [p], kw, foreach)
    traj, vals = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        f = rosen(p)
        f.backward()
        opt.step()
        with torch.no_grad():
            traj.append([float(v) for v in p.tolist()])
            vals.append(float(rosen(p)))
    return traj, vals


# --------------------------------------------------------------------------------------------
# MLP (float32)
# --------------------------------------------------------------------------------------------
N_IN, N_HID, N_OUT, BATCH = 4, 5, 3, 8


def mlp_data():
    torch.manual_seed(0)
    x = torch.randn(BATCH, N_IN, dtype=torch.float32)
    labels = torch.randint(0, N_OUT, (BATCH,), dtype=torch.int64)
    w1 = torch.randn(N_HID, N_IN, dtype=torch.float32) * 0.5      # torch layout [out][in]
    b1 = torch.rand(N_HID, dtype=torch.float32) * 0.2 - 0.1
    w2 = torch.randn(N_OUT, N_HID, dtype=torch.float32) * 0.5
    b2 = torch.rand(N_OUT, dtype=torch.float32) * 0.2 - 0.1
    return x, labels, (w1, b1, w2, b2)


def flat_ours(l1, l2):
    """Flat float32 params in descent's layout (transposed weights)."""
    parts = [l1.weight.detach().t().reshape(-1), l1.bias.detach(),
             l2.weight.detach().t().reshape(-1), l2.bias.detach()]
    return [float(v) for v in torch.cat(parts).numpy().astype(np.float32).tolist()]


def build_mlp(init):
    w1, b1, w2, b2 = init
    l1 = torch.nn.Linear(N_IN, N_HID).to(torch.float32)
    l2 = torch.nn.Linear(N_HID, N_OUT).to(torch.float32)
    with torch.no_grad():
        l1.weight.copy_(w1)
        l1.bias.copy_(b1)
        l2.weight.copy_(w2)
        l2.bias.copy_(b2)
    return l1, l2


def run_mlp(cls, kw, data, foreach=False):
    x, labels, init = data
    l1, l2 = build_mlp(init)
    params = [l1.weight, l1.bias, l2.weight, l2.bias]
    opt = make_opt(cls, params, kw, foreach)
    losses, traj = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        out = l2(torch.tanh(l1(x)))
        loss = F.cross_entropy(out, labels)          # mean over the batch
        assert loss.dtype == torch.float32
        losses.append(float(np.float32(loss.item())))
        loss.backward()
        opt.step()
        traj.append(flat_ours(l1, l2))
    return losses, traj


# --------------------------------------------------------------------------------------------
# LR schedulers
# --------------------------------------------------------------------------------------------
PLATEAU_METRICS = [1.0, 0.9, 0.91, 0.92, 0.93, 0.85, 0.86, 0.87, 0.88, 0.89,
                   0.8, 0.8, 0.8, 0.8, 0.8]


def sched_run(make_sched, opt_cls=torch.optim.SGD, opt_kw=None, extra=None):
    p = torch.zeros(1, requires_grad=True)
    opt = opt_cls([p], **(opt_kw or dict(lr=1.0)))
    sched = make_sched(opt)
    lrs, extras = [], []
    for i in range(STEPS):
        g = opt.param_groups[0]
        lrs.append(float(g['lr']))
        if extra:
            extras.append(float(extra(g)))
        p.grad = torch.zeros_like(p)
        opt.step()
        if i < STEPS - 1:
            sched.step()
    return lrs, extras


def lr_schedulers():
    S = torch.optim.lr_scheduler
    out = []

    def add(name, options, make):
        lrs, _ = sched_run(make)
        out.append(dict(scheduler=name, options=options, lrs=lrs))

    add('StepLR', dict(step_size=3, gamma=0.5), lambda o: S.StepLR(o, step_size=3, gamma=0.5))
    add('MultiStepLR', dict(milestones=[2, 5], gamma=0.1),
        lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.1))
    add('ExponentialLR', dict(gamma=0.9), lambda o: S.ExponentialLR(o, gamma=0.9))
    add('CosineAnnealingLR', dict(T_max=10, eta_min=0.01),
        lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01))
    add('CosineAnnealingWarmRestarts', dict(T_0=4, T_mult=2, eta_min=0.0),
        lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.0))
    add('LinearLR', dict(start_factor=0.25, total_iters=4),
        lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4))

    oc_kw = dict(max_lr=1.0, total_steps=20)
    mk = lambda o: S.OneCycleLR(o, **oc_kw)
    lrs, moms = sched_run(mk, torch.optim.SGD, dict(lr=1.0, momentum=0.9),
                          extra=lambda g: g['momentum'])
    lrs_adam, beta1s = sched_run(mk, torch.optim.Adam, dict(lr=1.0),
                                 extra=lambda g: g['betas'][0])
    assert lrs == lrs_adam
    out.append(dict(scheduler='OneCycleLR',
                    options=dict(max_lr=1.0, total_steps=20, anneal_strategy='cos',
                                 three_phase=False, pct_start=0.3, div_factor=25.0,
                                 final_div_factor=1e4, cycle_momentum=True,
                                 base_momentum=0.85, max_momentum=0.95),
                    optimizer='SGD(lr=1.0, momentum=0.9)',
                    lrs=lrs, momentum=moms,
                    beta1_with_adam=beta1s,
                    note='momentum: SGD group momentum before each step (OneCycleLR overwrites '
                         'the 0.9); beta1_with_adam: Adam betas[0] before each step under the '
                         'same schedule'))

    # ReduceLROnPlateau: lr in effect when each metric is produced, and after step(metric).
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    pl_kw = dict(mode='min', factor=0.5, patience=2, threshold=1e-4, cooldown=1, min_lr=0.01)
    sched = S.ReduceLROnPlateau(opt, **pl_kw)
    before, after = [], []
    for m in PLATEAU_METRICS:
        before.append(float(opt.param_groups[0]['lr']))
        sched.step(m)
        after.append(float(opt.param_groups[0]['lr']))
    out.append(dict(scheduler='ReduceLROnPlateau',
                    options=dict(pl_kw, threshold_mode='rel', eps=1e-8),
                    metrics=PLATEAU_METRICS, lrs=before, lrs_after_step=after,
                    note='lrs[i] is the lr in effect while metrics[i] was produced (before '
                         'scheduler.step(metrics[i])); lrs_after_step[i] is the lr after it'))
    return out


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


def supports(cls, kw):
    try:
        make_opt(cls, [torch.zeros(1, requires_grad=True)], kw)
        return True
    except TypeError:
        return False


def main():
    version = torch.__version__
    data = mlp_data()
    x, labels, init = data
    w1, b1, w2, b2 = init
    params0 = [float(v) for v in torch.cat([w1.t().reshape(-1), b1, w2.t().reshape(-1), b2])
               .numpy().astype(np.float32).tolist()]

    ros_cases, mlp_cases, skipped, crosscheck = [], [], [], []
    nadam_bug = version.startswith('1.')
    for name, cls, rkw, mkw in case_list():
        if not supports(cls, rkw):
            skipped.append(dict(optimizer=name, rosenbrock_options=jsonable(rkw),
                                mlp_options=jsonable(mkw),
                                reason=f'torch {version} {cls.__name__} does not accept these '
                                       'kwargs (decoupled_weight_decay was added to RAdam in '
                                       'torch 2.1)'))
            continue
        src = 'torch'
        if name == 'nadam' and nadam_bug:
            src = ('torch-1.13-single-tensor (known mu_product_next bug; do not use as '
                   'reference)')
        traj, vals = run_rosenbrock(cls, rkw)
        ros_cases.append(dict(optimizer=name, options=jsonable(rkw), source=src,
                              trajectory=traj, values=vals))
        losses, ptraj = run_mlp(cls, mkw, data)
        mlp_cases.append(dict(optimizer=name, options=jsonable(mkw), source=src,
                              params=ptraj, losses=losses))
        if name == 'nadam':
            ctraj, cvals = run_rosenbrock(CorrectedNAdam, rkw)
            ros_cases.append(dict(optimizer=name, options=jsonable(rkw),
                                  source='corrected-formula', trajectory=ctraj, values=cvals))
            closses, cptraj = run_mlp(CorrectedNAdam, mkw, data)
            mlp_cases.append(dict(optimizer=name, options=jsonable(mkw),
                                  source='corrected-formula', params=cptraj, losses=closses))
            # cross-check against torch's own foreach path (correct formula in 1.13)
            ftraj, _ = run_rosenbrock(cls, rkw, foreach=True)
            _, fptraj = run_mlp(cls, mkw, data, foreach=True)
            crosscheck.append(dict(
                options=jsonable(rkw),
                rosenbrock_max_abs_diff_vs_torch_foreach=float(
                    np.max(np.abs(np.array(ctraj) - np.array(ftraj)))),
                rosenbrock_max_abs_diff_buggy_vs_corrected=float(
                    np.max(np.abs(np.array(ctraj) - np.array(traj)))),
                mlp_max_abs_diff_vs_torch_foreach=float(
                    np.max(np.abs(np.array(cptraj) - np.array(fptraj)))),
                mlp_max_abs_diff_buggy_vs_corrected=float(
                    np.max(np.abs(np.array(cptraj) - np.array(ptraj))))))

    doc = {
        'torch': version,
        'generator': 'scripts/torch-reference.py',
        'notes': [
            'Every torch optimizer was built with foreach=False (single-tensor path) in '
            'addition to "options".',
            'source "torch": produced by torch.optim itself. source "corrected-formula": '
            'NAdam by the torch>=2.0 single-tensor algorithm (see the generator header), '
            'because torch 1.13\'s single-tensor NAdam multiplies mu_t into mu_product_next '
            'twice. Use the corrected-formula NAdam cases as the reference.',
        ],
        'skipped': skipped,
        'nadam_crosscheck': crosscheck,
        'rosenbrock': {
            'x0': X0, 'dtype': 'float64', 'steps': STEPS, 'cases': ros_cases,
        },
        'mlp': {
            'inputs': N_IN, 'hidden': N_HID, 'outputs': N_OUT, 'activation': 'tanh',
            'loss': 'softmax-cross-entropy (mean over batch)', 'dtype': 'float32',
            'batch': {
                'x': [[float(v) for v in row] for row in x.numpy().tolist()],
                'labels': [int(v) for v in labels.tolist()],
            },
            'layout': 'W1 [inputs][hidden] row-major (torch weight transposed), b1, '
                      'W2 [hidden][outputs] row-major (transposed), b2',
            'params0': params0,
            'steps': STEPS,
            'cases': mlp_cases,
        },
        'lr_schedulers': {
            'optimizer': 'SGD(lr=1.0)', 'steps': STEPS,
            'note': 'lrs[i] is param_groups[0]["lr"] before optimizer step i+1; '
                    'scheduler.step() is called after each optimizer step',
            'cases': lr_schedulers(),
        },
    }

    # validate: everything finite
    def check(o, path='$'):
        if isinstance(o, float):
            assert math.isfinite(o), path
        elif isinstance(o, dict):
            for k, v in o.items():
                check(v, f'{path}.{k}')
        elif isinstance(o, list):
            for i, v in enumerate(o):
                check(v, f'{path}[{i}]')
    check(doc)

    sys.stdout.write(dumps(doc) + '\n')


if __name__ == '__main__':
    main()
