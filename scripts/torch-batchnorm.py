# Writes test/fixtures/batchnorm-torch.json: torch.nn.BatchNorm1d over three training batches
# (running statistics, momentum 0.1, unbiased running variance) and one inference batch, in
# float64. Run with a python that has torch (Debian: /usr/bin/python3 with python3-torch).
import json, torch
torch.manual_seed(0)
c = 3
bn = torch.nn.BatchNorm1d(c, momentum=0.1, eps=1e-5).double()
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0], dtype=torch.float64))
    bn.bias.copy_(torch.tensor([0.25, 0.0, -1.0], dtype=torch.float64))
batches = [
  [[1.0, -2.0, 0.5], [3.0, 0.0, 0.25], [2.0, 1.0, -0.75], [-1.0, 4.0, 1.5]],
  [[0.5, 0.5, 2.0], [1.5, -1.5, 2.5], [4.0, 2.0, 3.0], [2.0, 3.0, 1.0], [-0.5, 1.0, 2.25]],
  [[10.0, -3.0, 0.0], [12.0, -5.0, 1.0], [11.0, -4.0, 0.5]],
]
bn.train()
train_out = []
for b in batches:
    train_out.append(bn(torch.tensor(b, dtype=torch.float64)).tolist())
eval_x = [[1.0, 2.0, 3.0], [-2.0, 0.5, 1.0]]
bn.eval()
eval_out = bn(torch.tensor(eval_x, dtype=torch.float64)).tolist()
json.dump({
  "source": "torch.nn.BatchNorm1d(3, momentum=0.1, eps=1e-5) in float64, torch " + torch.__version__ + " (scripts/torch-batchnorm.py)",
  "gamma": bn.weight.tolist(), "beta": bn.bias.tolist(), "eps": 1e-5, "momentum": 0.1,
  "batches": batches, "trainOutputs": train_out,
  "runningMean": bn.running_mean.tolist(), "runningVar": bn.running_var.tolist(),
  "evalInput": eval_x, "evalOutput": eval_out,
}, open("test/fixtures/batchnorm-torch.json", "w"), indent=1)
