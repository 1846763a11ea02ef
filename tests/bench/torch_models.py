#!/usr/bin/env python3
"""PyTorch reference for tests/bench/bench_models.cpp: the same models, data, batch sizes and
optimizers, one process per model, JSON out (the same keys as bench_models).

    OMP_NUM_THREADS=1 /usr/bin/python3 tests/bench/torch_models.py --model lenet5 --fraction 0.25

Models: mlp (784-256-128-10 relu, SGD lr 0.05 momentum 0.9, batch 128), lenet5 (conv 6@5x5 pad 2,
relu, max-pool 2, conv 16@5x5, relu, max-pool 2, fc 400-120-84-10, Adam 1e-3, batch 64), cnn
(conv 1->32 3x3 pad 1, relu, pool 2, conv 32->64 3x3 pad 1, relu, pool 2, fc 3136-128-10, Adam
1e-3, batch 128), tiny (2-16-16-1 relu, forward + MSE + backward at batch 32, us per iteration).
Data: the Fashion-MNIST training IDX .gz files read with gzip + numpy, x / 255, shuffled each
epoch with torch.randperm (seed 1) and gathered per batch, as tapegrad's DataLoader does. A few
warm-up batches (untimed), then --fraction of an epoch timed and scaled to a full epoch.
peak_rss_mb is getrusage's ru_maxrss of this process (including the torch libraries).
Threads: torch.set_num_threads(--threads); OMP_NUM_THREADS / OPENBLAS_NUM_THREADS come from the
environment (compare_models.py sets them).
"""
import argparse
import gzip
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = "/usr/share/datasets/fashion-mnist"


def load(root):
    def read(name):
        path = os.path.join(root, name)
        if os.path.exists(path):
            return open(path, "rb").read()
        with gzip.open(path + ".gz", "rb") as f:
            return f.read()
    img = np.frombuffer(read("train-images-idx3-ubyte"), dtype=np.uint8, offset=16)
    lab = np.frombuffer(read("train-labels-idx1-ubyte"), dtype=np.uint8, offset=8)
    x = torch.from_numpy(img.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)
    y = torch.from_numpy(lab.astype(np.int64))
    return x, y


def build(name):
    if name == "mlp":
        return (nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                              nn.ReLU(), nn.Linear(128, 10)), 128, "sgd")
    if name == "lenet5":
        return (nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                              nn.Linear(84, 10)), 64, "adam")
    if name == "cnn":
        return (nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                              nn.Linear(128, 10)), 128, "adam")
    raise SystemExit(f"torch_models.py: unknown model {name}")


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_tiny(args):
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                        nn.Linear(16, 1))
    x, t = torch.randn(32, 2), torch.randn(32, 1)

    def step():
        net.zero_grad(set_to_none=True)
        F.mse_loss(net(x), t).backward()
    for _ in range(200):
        step()
    t0 = time.perf_counter()
    for _ in range(args.iters):
        step()
    s = time.perf_counter() - t0
    return {"model": "tiny", "batch": 32, "iters": args.iters,
            "us_per_iter": s * 1e6 / args.iters}


def run_epoch(args):
    torch.manual_seed(1)
    net, batch, opt_name = build(args.model)
    if opt_name == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = load(args.root)
    n = x.shape[0]
    nb = math.ceil(n / batch)
    timed = max(1, round(args.fraction * nb))
    gen = torch.Generator().manual_seed(1)

    def batches(_epoch):
        perm = torch.randperm(n, generator=gen)
        for i in range(nb):
            idx = perm[i * batch:(i + 1) * batch]
            yield x[idx], y[idx]

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()
    for i, (xb, yb) in enumerate(batches(0)):
        if i >= args.warmup:
            break
        step(xb, yb)
    loss_sum, done = 0.0, 0
    t0 = time.perf_counter()
    for xb, yb in batches(1):
        if done >= timed:
            break
        loss_sum += step(xb, yb)
        done += 1
    s = time.perf_counter() - t0
    epoch_s = s * nb / done
    return {"model": args.model, "batch": batch, "batches_timed": done, "batches_epoch": nb,
            "epoch_s": epoch_s, "images_per_s": n / epoch_s, "mean_loss": loss_sum / done}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp", choices=["mlp", "lenet5", "cnn", "tiny"])
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--fraction", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=2000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    res = run_tiny(args) if args.model == "tiny" else run_epoch(args)
    res.update({"framework": "pytorch", "torch": torch.__version__,
                "threads": torch.get_num_threads(), "peak_rss_mb": peak_rss_mb(),
                "omp": os.environ.get("OMP_NUM_THREADS", ""),
                "openblas": os.environ.get("OPENBLAS_NUM_THREADS", "")})
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
