# Writes test/fixtures/torch-init-bn.json, the PyTorch 1.13 oracle of test/init-torch.test.ts and
# test/batchnorm-eval-torch.test.ts. Run from the repository root with a python that has torch
# (Debian: /usr/bin/python3 with python3-torch): /usr/bin/python3 scripts/torch-init-bn.py
#
# 1. Initializers. descent cannot replay torch's generator, so the fixture holds statistics of
#    large samples of torch's own draws — nn.Linear / nn.Conv2d default reset_parameters, and
#    torch.nn.init.kaiming_* (mode='fan_out' included) / xavier_* with calculate_gain — next to the
#    bound or standard deviation the torch formulas give (from torch's own fan and gain helpers).
#    The test draws as many values with descent's matching initializer and compares variance,
#    mean, maximum |w| and the empirical CDF at torch's quantiles. Also calculate_gain itself.
# 2. Batch norm after an eval-mode forward (frozen statistics): BatchNorm1d and BatchNorm2d in
#    eval() with set running statistics, forward y and backward dx, dγ, dβ for a given dy, in
#    float32 and float64 on the same inputs (drawn in float32); running statistics checked
#    unchanged. Then two small networks, the rest in train() mode and the batch norm in eval():
#    Linear-BatchNorm1d-Tanh-Linear and Conv2d-BatchNorm2d-ReLU-AdaptiveAvgPool2d-Flatten-Linear
#    with cross-entropy: loss and every parameter gradient.
import json, math
import torch
import torch.nn as nn
import torch.nn.init as init

torch.manual_seed(20261207)
QUANTILES = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]


def stats(t):
    t = t.detach().double().flatten()
    q = torch.quantile(t[: min(t.numel(), 2**24)], torch.tensor(QUANTILES, dtype=torch.float64))
    return {"n": t.numel(), "maxAbs": t.abs().max().item(), "mean": t.mean().item(),
            "var": t.var(unbiased=False).item(), "p": QUANTILES, "q": q.tolist()}


def sample(make, total):
    """Concatenate make() draws (each a (weight, bias-or-None) pair) until `total` weights and biases."""
    ws, bs, n, nb = [], [], 0, 0
    while n < total or (bs and nb < total // 4):
        w, b = make()
        ws.append(w.detach().flatten()); n += w.numel()
        if b is not None: bs.append(b.detach().flatten()); nb += b.numel()
    return torch.cat(ws), (torch.cat(bs) if bs else None)


TOTAL = 2**18
cases = []


def case(name, spec, layer, make, theory, draws_bias=False):
    w, b = sample(make, TOTAL)
    c = {"name": name, "spec": spec, "layer": layer, "theory": theory, "weight": stats(w)}
    if draws_bias: c["bias"] = stats(b)
    cases.append(c)


fan = init._calculate_fan_in_and_fan_out
# torch.nn.Linear(64, 4096) defaults: weight kaiming_uniform_(a=√5), bias U(±1/√fan_in)
lin = nn.Linear(64, 4096)
fi, _ = fan(lin.weight)
case("Linear default", "torch-default", {"type": "dense", "inputs": 64, "units": 4096, "activation": "linear"},
     lambda: (lambda m: (m.weight, m.bias))(nn.Linear(64, 4096)),
     {"weightBound": math.sqrt(3) * init.calculate_gain("leaky_relu", math.sqrt(5)) / math.sqrt(fi), "biasBound": 1 / math.sqrt(fi)}, True)
# Conv2d(6, 512, 5, groups=2): fan_in = 3·25 = 75
conv = nn.Conv2d(6, 512, 5, groups=2)
fi, _ = fan(conv.weight)
case("Conv2d default", "torch-default", {"type": "conv2d", "c": 6, "filters": 512, "kernel": 5, "groups": 2, "activation": "linear"},
     lambda: (lambda m: (m.weight, m.bias))(nn.Conv2d(6, 512, 5, groups=2)),
     {"weightBound": math.sqrt(3) * init.calculate_gain("leaky_relu", math.sqrt(5)) / math.sqrt(fi), "biasBound": 1 / math.sqrt(fi)}, True)


def tensor_case(name, spec, layer, shape, fill, theory):
    def make():
        w = torch.empty(*shape)
        fill(w)
        return w, None
    case(name, spec, layer, make, theory)


# kaiming_normal_(mode='fan_out', relu) on a Linear weight [out 100, in 300]: std = √2/√100
w = torch.empty(100, 300)
tensor_case("kaiming_normal_ fan_out relu (Linear)", {"name": "he-normal", "mode": "fan_out"},
            {"type": "dense", "inputs": 300, "units": 100, "activation": "relu"}, (100, 300),
            lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
            {"std": init.calculate_gain("relu") / math.sqrt(fan(w)[1])})
# kaiming_uniform_(a=0.2, mode='fan_out', leaky_relu) on a Conv2d weight [64, 96, 5, 5]: fan_out 1600
w = torch.empty(64, 96, 5, 5)
tensor_case("kaiming_uniform_ fan_out leaky_relu 0.2 (Conv2d)", {"name": "he-uniform", "mode": "fan_out", "gain": "torch"},
            {"type": "conv2d", "c": 96, "filters": 64, "kernel": 5, "groups": 1, "activation": "leaky-relu", "alpha": 0.2}, (64, 96, 5, 5),
            lambda t: init.kaiming_uniform_(t, a=0.2, mode="fan_out", nonlinearity="leaky_relu"),
            {"weightBound": math.sqrt(3) * init.calculate_gain("leaky_relu", 0.2) / math.sqrt(fan(w)[1])})
# kaiming_normal_(nonlinearity='tanh') (fan_in): torch's tanh gain 5/3
w = torch.empty(100, 300)
tensor_case("kaiming_normal_ fan_in tanh", {"name": "he-normal", "gain": "torch"},
            {"type": "dense", "inputs": 300, "units": 100, "activation": "tanh"}, (100, 300),
            lambda t: init.kaiming_normal_(t, nonlinearity="tanh"),
            {"std": init.calculate_gain("tanh") / math.sqrt(fan(w)[0])})
# xavier_uniform_(gain=calculate_gain('tanh')) = 5/3·√(6/400)
tensor_case("xavier_uniform_ gain tanh", {"name": "glorot-uniform", "gain": "torch"},
            {"type": "dense", "inputs": 300, "units": 100, "activation": "tanh"}, (100, 300),
            lambda t: init.xavier_uniform_(t, gain=init.calculate_gain("tanh")),
            {"weightBound": init.calculate_gain("tanh") * math.sqrt(6 / 400)})
# xavier_normal_(gain=calculate_gain('sigmoid')) = 1·√(2/400) (the lecture's sigmoid gain is 4)
tensor_case("xavier_normal_ gain sigmoid", {"name": "glorot-normal", "gain": "torch"},
            {"type": "dense", "inputs": 300, "units": 100, "activation": "sigmoid"}, (100, 300),
            lambda t: init.xavier_normal_(t, gain=init.calculate_gain("sigmoid")),
            {"std": init.calculate_gain("sigmoid") * math.sqrt(2 / 400)})
# the lecture's sigmoid gain stays descent's default: xavier_uniform_(gain=4)
tensor_case("xavier_uniform_ gain 4 (descent's default for sigmoid)", "glorot-uniform",
            {"type": "dense", "inputs": 300, "units": 100, "activation": "sigmoid"}, (100, 300),
            lambda t: init.xavier_uniform_(t, gain=4.0),
            {"weightBound": 4 * math.sqrt(6 / 400)})
# explicit numeric gain with SELU's torch gain, fan_out He uniform
tensor_case("kaiming_uniform_ fan_out selu", {"name": "he-uniform", "mode": "fan_out", "gain": 0.75},
            {"type": "dense", "inputs": 300, "units": 100, "activation": "linear"}, (100, 300),
            lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="selu"),
            {"weightBound": math.sqrt(3) * init.calculate_gain("selu") / math.sqrt(100)})

gains = {"linear": init.calculate_gain("linear"), "conv2d": init.calculate_gain("conv2d"), "sigmoid": init.calculate_gain("sigmoid"),
         "tanh": init.calculate_gain("tanh"), "relu": init.calculate_gain("relu"), "leaky_relu": init.calculate_gain("leaky_relu"),
         "leaky_relu 0.2": init.calculate_gain("leaky_relu", 0.2), "selu": init.calculate_gain("selu")}


# ---- 2. batch norm with frozen statistics ----------------------------------------------------
def rnd(*shape, lo=-1.0, hi=1.0):
    return (torch.rand(*shape, dtype=torch.float32) * (hi - lo) + lo)


def bn_case(name, bn_cls, c, xshape):
    x32 = rnd(*xshape, lo=-2, hi=3)
    dy32 = rnd(*xshape)
    gamma, beta = rnd(c, lo=0.5, hi=1.5), rnd(c)
    rm, rv = rnd(c, lo=-0.5, hi=0.5), rnd(c, lo=0.25, hi=2.0)
    out = {"name": name, "c": c, "shape": list(xshape), "eps": 1e-5, "x": x32.flatten().tolist(), "dy": dy32.flatten().tolist(),
           "gamma": gamma.tolist(), "beta": beta.tolist(), "runningMean": rm.tolist(), "runningVar": rv.tolist()}
    for dt, key in [(torch.float32, "f32"), (torch.float64, "f64")]:
        bn = bn_cls(c, eps=1e-5).to(dt)
        with torch.no_grad():
            bn.weight.copy_(gamma); bn.bias.copy_(beta); bn.running_mean.copy_(rm); bn.running_var.copy_(rv)
        bn.eval()
        x = x32.to(dt).clone().requires_grad_(True)
        y = bn(x)
        y.backward(dy32.to(dt))
        assert torch.equal(bn.running_mean, rm.to(dt)) and torch.equal(bn.running_var, rv.to(dt))
        out[key] = {"y": y.detach().flatten().tolist(), "dx": x.grad.flatten().tolist(),
                    "dgamma": bn.weight.grad.tolist(), "dbeta": bn.bias.grad.tolist()}
    return out


# 37 features: two 16-wide blocks, one 4-wide, a 1-feature tail; 19 channels: 16 + 3
bn_cases = [bn_case("BatchNorm1d(37), batch 5", nn.BatchNorm1d, 37, (5, 37)),
            bn_case("BatchNorm2d(19), 3×19×4×5", nn.BatchNorm2d, 19, (3, 19, 4, 5))]


def network(name, build, xshape, classes, n):
    x32 = rnd(*xshape, lo=-1, hi=1)
    labels = torch.randint(0, classes, (n,))
    net32 = build()
    # set the BN running statistics away from (0, 1) and γ, β away from (1, 0)
    for m in net32.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.copy_(rnd(m.num_features, lo=-0.3, hi=0.3))
                m.running_var.copy_(rnd(m.num_features, lo=0.3, hi=1.5))
                m.weight.copy_(rnd(m.num_features, lo=0.5, hi=1.5))
                m.bias.copy_(rnd(m.num_features, lo=-0.5, hi=0.5))
    params = {k: v.detach().clone() for k, v in net32.state_dict().items()}
    out = {"name": name, "x": x32.flatten().tolist(), "xshape": list(xshape), "labels": labels.tolist(),
           "params": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in params.items() if v.dtype.is_floating_point}}
    for dt, key in [(torch.float32, "f32"), (torch.float64, "f64")]:
        net = build().to(dt)
        net.load_state_dict({k: v.to(dt) if v.dtype.is_floating_point else v for k, v in params.items()})
        net.train()
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)): m.eval()  # frozen statistics, the rest trains
        loss = nn.functional.cross_entropy(net(x32.to(dt)), labels)
        loss.backward()
        for k, v in net.state_dict().items():
            if "running" in k: assert torch.equal(v, params[k].to(dt)), k
        out[key] = {"loss": loss.item(), "grads": {k: p.grad.flatten().tolist() for k, p in net.named_parameters()}}
    return out


torch.manual_seed(7)
mlp = network("Linear(6→40)-BatchNorm1d(40) eval-Tanh-Linear(40→3)",
              lambda: nn.Sequential(nn.Linear(6, 40, bias=False), nn.BatchNorm1d(40), nn.Tanh(), nn.Linear(40, 3)), (8, 6), 3, 8)
cnn = network("Conv2d(2→20, 3)-BatchNorm2d(20) eval-ReLU-AdaptiveAvgPool2d(1)-Flatten-Linear(20→4)",
              lambda: nn.Sequential(nn.Conv2d(2, 20, 3, bias=False), nn.BatchNorm2d(20), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(20, 4)),
              (4, 2, 6, 5), 4, 4)

json.dump({
    "source": "torch " + torch.__version__ + " (scripts/torch-init-bn.py)",
    "init": {"quantiles": QUANTILES, "gains": gains, "cases": cases},
    "batchnormEval": {"layers": bn_cases, "networks": [mlp, cnn]},
}, open("test/fixtures/torch-init-bn.json", "w"))
print("wrote test/fixtures/torch-init-bn.json")
