#!/usr/bin/python3
# torch-optim-extra.py — PyTorch 1.13 reference numbers for issue #17's optimizer pieces:
# ASGD (trajectories and its state: ax, eta, mu, step), CyclicLR, PolynomialLR, SequentialLR,
# ChainedScheduler, and clip_grad_norm_ with norm_type 1, 2 and inf.
#
# Dev-time oracle only (the npm package never depends on Python). Writes the JSON fixture read
# by test/optim-asgd.test.ts, test/schedules-torch.test.ts (key "schedulers") and
# test/clip-average.test.ts:
#
#     /usr/bin/python3 scripts/torch-optim-extra.py > test/fixtures/torch-optim-extra.json
#
# with Debian's python3-torch (1.13), CPU, one thread, like scripts/torch-reference.py, whose
# MLP problem (Linear(4→5) + tanh + Linear(5→3), cross-entropy, fixed batch of 8, float32) and
# flat layout (W1 [in][hidden] row-major = torch weight transposed, b1, W2, b2) are reused: the
# "mlp" cases start from that fixture's params0 and batch (imported from that script, so the
# data are the same torch.manual_seed(0) draws). Every number is written exactly (float32 values
# as the doubles they are; Python's float repr round-trips).
#
# ASGD notes (torch 1.13, torch/optim/asgd.py, single-tensor path, foreach=False): the state
# eta and mu are float32 0-d tensors (torch.tensor(python_float)), so the step size and the
# averaging weight are float32 numbers even for float64 parameters; "eta" and "mu" below are
# the values after each step (used by the next one). ax after step t is the running mean of the
# iterates from step t0 + 2 on (a copy of the parameters before that).

import importlib.util
import json
import math
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('torch_reference', os.path.join(HERE, 'torch-reference.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

STEPS = 30


# ---- ASGD ------------------------------------------------------------------------------------

def asgd_state(opt, params):
    st = [opt.state[p] for p in params]
    return dict(step=float(st[0]['step']), eta=float(st[0]['eta']), mu=float(st[0]['mu']))


def asgd_rosenbrock(kw, sched=None):
    p = torch.tensor(ref.X0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.ASGD([p], **kw, foreach=False)
    s = sched(opt) if sched else None
    traj, ax, scal = [], [], []
    for _ in range(STEPS):
        opt.zero_grad()
        ref.rosen(p).backward()
        opt.step()
        if s:
            s.step()
        traj.append([float(v) for v in p.tolist()])
        ax.append([float(v) for v in opt.state[p]['ax'].tolist()])
        scal.append(asgd_state(opt, [p]))
    return traj, ax, scal


def flat_ax(opt, l1, l2):
    a = [opt.state[t]['ax'] for t in (l1.weight, l1.bias, l2.weight, l2.bias)]
    parts = [a[0].t().reshape(-1), a[1], a[2].t().reshape(-1), a[3]]
    return [float(v) for v in torch.cat(parts).numpy().astype(np.float32).tolist()]


def asgd_mlp(kw, data):
    x, labels, init = data
    l1, l2 = ref.build_mlp(init)
    params = [l1.weight, l1.bias, l2.weight, l2.bias]
    opt = torch.optim.ASGD(params, **kw, foreach=False)
    losses, traj, ax, scal = [], [], [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(l2(torch.tanh(l1(x))), labels)
        losses.append(float(np.float32(loss.item())))
        loss.backward()
        opt.step()
        traj.append(ref.flat_ours(l1, l2))
        ax.append(flat_ax(opt, l1, l2))
        scal.append(asgd_state(opt, params))
    return losses, traj, ax, scal


ASGD_CASES = [
    # (rosenbrock options, mlp options)
    (dict(lr=1e-3), dict(lr=0.1)),                                        # t0 = 1e6: ax = p
    (dict(lr=1e-3, lambd=1e-2, alpha=0.75, t0=5, weight_decay=0.01),
     dict(lr=0.2, lambd=1e-2, alpha=0.75, t0=5, weight_decay=0.01)),
    (dict(lr=2e-3, lambd=0.1, alpha=0.5, t0=0), dict(lr=0.5, lambd=0.1, alpha=0.5, t0=0)),
    (dict(lr=5e-4, lambd=1.0, alpha=1.0, t0=12, weight_decay=0.1),
     dict(lr=0.3, lambd=1.0, alpha=1.0, t0=12, weight_decay=0.1)),
]


def asgd():
    data = ref.mlp_data()
    ros, mlp = [], []
    for rkw, mkw in ASGD_CASES:
        traj, ax, scal = asgd_rosenbrock(rkw)
        ros.append(dict(options=rkw, trajectory=traj, ax=ax, state=scal))
        losses, ptraj, pax, pscal = asgd_mlp(mkw, data)
        mlp.append(dict(options=mkw, params=ptraj, ax=pax, losses=losses, state=pscal))
    # an lr scheduler: torch's eta takes the new lr at the end of each step (one step late)
    rkw = dict(lr=2e-3, lambd=1e-2, t0=3)
    traj, ax, scal = asgd_rosenbrock(rkw, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9))
    ros.append(dict(options=rkw, scheduler=dict(ExponentialLR=dict(gamma=0.9)), trajectory=traj, ax=ax, state=scal))
    return dict(
        steps=STEPS,
        rosenbrock=dict(x0=ref.X0, dtype='float64', cases=ros),
        mlp=dict(dtype='float32', note='problem, batch and params0 of torch-optim.json "mlp"; ax in the same flat layout', cases=mlp),
    )


# ---- schedulers --------------------------------------------------------------------------------

def run_sched(make, opt_kw=None, extra=None, steps=STEPS):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], **(opt_kw or dict(lr=1.0)))
    s = make(opt)
    lrs, ex = [], []
    for i in range(steps):
        g = opt.param_groups[0]
        lrs.append(float(g['lr']))
        if extra:
            ex.append(float(extra(g)))
        p.grad = torch.zeros_like(p)
        opt.step()
        s.step()
    return lrs, ex


def schedulers():
    S = torch.optim.lr_scheduler
    out = []
    for kw in [dict(total_iters=8, power=1.0), dict(total_iters=8, power=2.0), dict(total_iters=10, power=0.5),
               dict(total_iters=5, power=1.0)]:
        lrs, _ = run_sched(lambda o: S.PolynomialLR(o, **kw), dict(lr=0.1))
        out.append(dict(scheduler='PolynomialLR', base_lr=0.1, options=kw, lrs=lrs))

    cyc = [
        dict(base_lr=0.1, max_lr=1.0, step_size_up=4, step_size_down=3, mode='triangular'),
        dict(base_lr=0.1, max_lr=1.0, step_size_up=4, mode='triangular2'),
        dict(base_lr=0.01, max_lr=0.5, step_size_up=3, step_size_down=5, mode='exp_range', gamma=0.95),
        dict(base_lr=0.1, max_lr=1.0, step_size_up=5, mode='triangular', base_momentum=0.85, max_momentum=0.95),
    ]
    for kw in cyc:
        lrs, moms = run_sched(lambda o: S.CyclicLR(o, **kw), dict(lr=1.0, momentum=0.9), extra=lambda g: g['momentum'])
        out.append(dict(scheduler='CyclicLR', options=dict(kw, cycle_momentum=True), optimizer='SGD(momentum=0.9)',
                        lrs=lrs, momentum=moms))
    # a custom scale_fn in 'iterations' mode, and cycle_momentum off (the group momentum stays)
    kw = dict(base_lr=0.1, max_lr=0.6, step_size_up=3, scale_fn='1/(1 + 0.1 x)', scale_mode='iterations', cycle_momentum=False)
    lrs, moms = run_sched(lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=0.6, step_size_up=3, scale_fn=lambda x: 1 / (1 + 0.1 * x),
                                               scale_mode='iterations', cycle_momentum=False),
                          dict(lr=1.0, momentum=0.9), extra=lambda g: g['momentum'])
    out.append(dict(scheduler='CyclicLR', options=kw, optimizer='SGD(momentum=0.9)', lrs=lrs, momentum=moms))

    # SequentialLR and ChainedScheduler over the same base lr 0.1
    lrs, _ = run_sched(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                    S.ExponentialLR(o, gamma=0.9)], milestones=[3]), dict(lr=0.1))
    out.append(dict(scheduler='SequentialLR', base_lr=0.1, options=dict(
        schedulers=[dict(LinearLR=dict(start_factor=0.1, total_iters=3)), dict(ExponentialLR=dict(gamma=0.9))], milestones=[3]),
        lrs=lrs))
    lrs, _ = run_sched(lambda o: S.SequentialLR(o, [S.StepLR(o, step_size=2, gamma=0.5), S.PolynomialLR(o, total_iters=6, power=2.0),
                                                    S.CosineAnnealingLR(o, T_max=5)], milestones=[5, 12]), dict(lr=0.1))
    out.append(dict(scheduler='SequentialLR', base_lr=0.1, options=dict(
        schedulers=[dict(StepLR=dict(step_size=2, gamma=0.5)), dict(PolynomialLR=dict(total_iters=6, power=2.0)),
                    dict(CosineAnnealingLR=dict(T_max=5))], milestones=[5, 12]),
        lrs=lrs))
    lrs, _ = run_sched(lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.25, total_iters=4),
                                                     S.ExponentialLR(o, gamma=0.9)]), dict(lr=0.1))
    out.append(dict(scheduler='ChainedScheduler', base_lr=0.1, options=dict(
        schedulers=[dict(LinearLR=dict(start_factor=0.25, total_iters=4)), dict(ExponentialLR=dict(gamma=0.9))]), lrs=lrs))
    lrs, _ = run_sched(lambda o: S.ChainedScheduler([S.StepLR(o, step_size=3, gamma=0.5),
                                                     S.PolynomialLR(o, total_iters=10, power=2.0)]), dict(lr=0.1))
    out.append(dict(scheduler='ChainedScheduler', base_lr=0.1, options=dict(
        schedulers=[dict(StepLR=dict(step_size=3, gamma=0.5)), dict(PolynomialLR=dict(total_iters=10, power=2.0))]), lrs=lrs))
    return dict(steps=STEPS, note='lrs[i] (and momentum[i]) is the param group value before optimizer step i+1; '
                'scheduler.step() after each optimizer step', cases=out)


# ---- clip_grad_norm_ -------------------------------------------------------------------------------

def clipping():
    torch.manual_seed(1)
    shapes = [(5, 4), (5,), (3, 5), (3,)]
    cases = []
    for scale in [1.0, 0.01]:
        grads = [torch.randn(s, dtype=torch.float32) * scale for s in shapes]
        for norm_type in [1.0, 2.0, math.inf]:
            for max_norm in [0.5, 100.0]:
                ps = [torch.zeros(s, dtype=torch.float32, requires_grad=True) for s in shapes]
                for p, g in zip(ps, grads):
                    p.grad = g.clone()
                total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
                cases.append(dict(
                    norm_type='inf' if norm_type == math.inf else norm_type, max_norm=max_norm,
                    grad=[float(v) for v in torch.cat([g.reshape(-1) for g in grads]).tolist()],
                    total_norm=float(total),
                    clipped=[float(v) for v in torch.cat([p.grad.reshape(-1) for p in ps]).tolist()]))
    return dict(dtype='float32', note='grad: the gradients of 4 tensors concatenated (torch order, flat); total_norm as '
                'clip_grad_norm_ returns it (float32); clipped: the gradients after it', cases=cases)


def main():
    doc = dict(torch=torch.__version__, generator='scripts/torch-optim-extra.py',
               asgd=asgd(), schedulers=schedulers(), clip_grad_norm=clipping())
    sys.stdout.write(ref.dumps(doc) + '\n')


if __name__ == '__main__':
    main()
