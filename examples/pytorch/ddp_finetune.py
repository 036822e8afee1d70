# Continue training a descent model in PyTorch with DistributedDataParallel, then hand it back.
#
#   torchrun --standalone --nproc_per_node 2 examples/pytorch/ddp_finetune.py \
#       --model work/model.py --data work/digits.json --out work/finetuned.safetensors
#
# --model is the .py that descent wrote beside its export (exportTorch, or
# `descent export --format torch`): it builds the nn.Sequential, loads the weights and the input
# preprocessing. Data: {"train": {"x": [[…64 raw pixel counts…], …], "labels": […]}, "test": …}.
# Every process (gloo backend: CPU, any machine torch runs on; NCCL for GPUs) trains on its
# shard of each epoch (DistributedSampler); DDP averages the gradients, so the replicas stay
# equal, and batch norm's running statistics are rank 0's (DDP broadcasts buffers each step).
# Rank 0 saves the state_dict with the module's save(): the file descent's importTorch reads,
# preprocessing and module list included; it also writes <out>.json with torch's test logits
# and accuracy, so the caller can check that descent serves the same numbers.
import argparse
import importlib.util
import json
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="the .py descent wrote beside its export")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32, help="per process")
    ap.add_argument("--lr", type=float, default=0.05)
    args = ap.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    torch.set_num_threads(1)

    spec = importlib.util.spec_from_file_location("descent_export", args.model)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    net, pre = mod.load()  # weights from the .safetensors beside the .py

    data = json.load(open(args.data))
    prep = (lambda x: pre(x)) if pre is not None else (lambda x: x)
    with torch.no_grad():
        x_train = prep(torch.tensor(data["train"]["x"], dtype=torch.float32))
        x_test = prep(torch.tensor(data["test"]["x"], dtype=torch.float32))
    y_train = torch.tensor(data["train"]["labels"])
    y_test = torch.tensor(data["test"]["labels"])

    def test_accuracy():
        net.eval()
        with torch.no_grad():
            logits = net(x_test)
        return logits, (logits.argmax(1) == y_test).float().mean().item()

    if rank == 0:
        print(f"[rank 0] {world} processes (gloo); descent's model: test accuracy {100 * test_accuracy()[1]:.2f}%", flush=True)

    model = DDP(net)
    sampler = DistributedSampler(TensorDataset(x_train, y_train), num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, sampler=sampler, drop_last=True)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    print(f"[rank {rank}] training on {len(sampler)} of {len(x_train)} samples per epoch", flush=True)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        total, count = torch.zeros(2), 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += torch.tensor([loss.item() * len(yb), len(yb)])
        dist.all_reduce(total)
        if rank == 0 and (epoch + 1) % 5 == 0:
            print(f"[rank 0] epoch {epoch + 1}: train loss {total[0].item() / total[1].item():.4f}, test accuracy {100 * test_accuracy()[1]:.2f}%", flush=True)

    if rank == 0:
        logits, acc = test_accuracy()
        mod.save(net, args.out, pre)
        with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
            json.dump({"accuracy": acc, "logits": logits.tolist(), "world_size": world}, f)
        print(f"[rank 0] saved {args.out}: test accuracy {100 * acc:.2f}% in torch", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
