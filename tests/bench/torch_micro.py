#!/usr/bin/env python3
"""PyTorch side of the micro-benchmarks in tests/bench/bench_conv.cpp and bench_optim.cpp.

    OMP_NUM_THREADS=1 /usr/bin/python3 tests/bench/torch_micro.py --threads 1 [--min-time 0.2]
        [--reps 3] [--filter REGEX]

Use Debian's python3-torch (/usr/bin/python3). Prints one JSON object per line, one per case:
{"name": "conv/lenet_conv1/fwd", "us": median microseconds per call, "reps_us": [...], ...}.
Each of --reps timed blocks runs the case until --min-time seconds have passed (after an
untimed warm-up) and gives the mean time per call; "us" is the median of the blocks.
Cases, the same as the C++ side:
  conv/<layer>/fwd     F.conv2d(x, w, b) under torch.no_grad();
  conv/<layer>/fwdbwd  y = F.conv2d(x, w, b); y.backward(g) with a fixed random g; the
                       gradients then set to None. w, b require grad; x too except for conv1.
  layers: lenet_conv1 (N=64, 1->6, 5x5, pad 2, 28x28), lenet_conv2 (N=64, 6->16, 5x5, 14x14),
          cnn_conv1 (N=128, 1->32, 3x3, pad 1, 28x28), cnn_conv2 (N=128, 32->64, 3x3, pad 1,
          14x14); "gflops" counts 2*N*Co*Cin*kH*kW*OH*OW per direction (as bench_conv).
  optim/<model>/<opt>  one optimizer.step() over the parameters of mlp (784-256-128-10) or
                       lenet5, with fixed random gradients, after one untimed step; sgd (lr 0.01,
                       momentum 0.9), adam (lr 1e-3), adamw (lr 1e-3, weight_decay 0.01), with
                       torch.optim's defaults otherwise (PyTorch 1.13: the for-loop
                       implementation on CPU).
Threads: torch.set_num_threads(--threads); OMP_NUM_THREADS / OPENBLAS_NUM_THREADS come from the
environment (compare_micro.py sets them). Exits 0 with a message on stderr when torch is absent.
"""
import argparse
import json
import re
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # the comparison is optional: no torch, nothing to compare against
    print("torch_micro.py: PyTorch is not installed (apt-get install python3-torch); skipping",
          file=sys.stderr)
    sys.exit(0)

# name: (N, C_in, C_out, k, pad, H = W, input requires grad)
LAYERS = {
    "lenet_conv1": (64, 1, 6, 5, 2, 28, False),
    "lenet_conv2": (64, 6, 16, 5, 0, 14, True),
    "cnn_conv1": (128, 1, 32, 3, 1, 28, False),
    "cnn_conv2": (128, 32, 64, 3, 1, 14, True),
}


def model(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                             nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def conv_cases():
    for name, (n, ci, co, k, pad, hw, input_grad) in LAYERS.items():
        o = hw + 2 * pad - k + 1
        flops = 2.0 * n * co * ci * k * k * o * o
        gen = torch.Generator().manual_seed(7)
        x = torch.randn(n, ci, hw, hw, generator=gen)
        w = torch.randn(co, ci, k, k, generator=gen)
        b = torch.randn(co, generator=gen)
        g = torch.randn(n, co, o, o, generator=gen)

        def fwd(x=x, w=w, b=b, pad=pad):
            with torch.no_grad():
                F.conv2d(x, w, b, padding=pad)
        yield f"conv/{name}/fwd", fwd, {"gflop": flops * 1e-9}

        xt, wt, bt = x.clone().requires_grad_(input_grad), w.clone().requires_grad_(), \
            b.clone().requires_grad_()

        def fwdbwd(x=xt, w=wt, b=bt, g=g, pad=pad):
            F.conv2d(x, w, b, padding=pad).backward(g)
            x.grad = w.grad = b.grad = None
        yield f"conv/{name}/fwdbwd", fwdbwd, {"gflop": flops * (3 if input_grad else 2) * 1e-9}


def optim_cases():
    for m in ("mlp", "lenet5"):
        for opt_name in ("sgd", "adam", "adamw"):
            torch.manual_seed(1)
            params = list(model(m).parameters())
            gen = torch.Generator().manual_seed(2)
            for p in params:
                p.grad = torch.randn(p.shape, generator=gen)
            if opt_name == "sgd":
                opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
            elif opt_name == "adam":
                opt = torch.optim.Adam(params, lr=1e-3)
            else:
                opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
            opt.step()  # creates the state, as after the first batch
            count = sum(p.numel() for p in params)
            accesses = 5 if opt_name == "sgd" else 7
            yield f"optim/{m}/{opt_name}", opt.step, {"params": count,
                                                      "bytes": count * 4 * accesses}


def time_case(fn, min_time, reps):
    t_end = time.perf_counter() + min(0.1, min_time)
    while time.perf_counter() < t_end:  # warm-up
        fn()
    out = []
    for _ in range(reps):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            s = time.perf_counter() - t0
            if s >= min_time:
                break
        out.append(s * 1e6 / n)
    return out


def main():
    ap = argparse.ArgumentParser(description="PyTorch conv2d and optimizer micro-benchmarks")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per timed block")
    ap.add_argument("--reps", type=int, default=3, help="timed blocks per case")
    ap.add_argument("--filter", default="", help="regex on the case names")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    pat = re.compile(args.filter) if args.filter else None

    def cases():
        yield from conv_cases()
        yield from optim_cases()
    for name, fn, extra in cases():
        if pat and not pat.search(name):
            continue
        reps = time_case(fn, args.min_time, args.reps)
        us = statistics.median(reps)
        res = {"name": name, "us": us, "reps_us": reps, "threads": torch.get_num_threads(),
               "torch": torch.__version__}
        if "gflop" in extra:
            res["gflops"] = extra["gflop"] / (us * 1e-6)
        if "bytes" in extra:
            res["params"] = extra["params"]
            res["bytes_per_second"] = extra["bytes"] / (us * 1e-6)
        print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
