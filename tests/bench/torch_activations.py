#!/usr/bin/env python3
"""PyTorch side of the activation benchmark: forward + backward on 2^24 float32 elements.

    /usr/bin/python3 tests/bench/torch_activations.py [THREADS] [--reps N] [--warmup N]
                                                      [--only relu,prelu,...]

Use Debian's python3-torch (/usr/bin/python3), not a pyenv python. Prints one JSON object
{name: ns_per_elem} on stdout, each value the median over --reps timed repetitions after
--warmup untimed ones; `--detail` prints {name: [ns_per_elem of each rep]} instead. Each
repetition is what tests/bench/bench_activations.cpp times: y = act(x); y.backward(g) with
g = ones, then the gradients of x and of the parameters set to None (fresh buffers every time).
x is randn of shape [16, 2^20]. Exits 0 with a message on stderr when torch is missing.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the comparison is optional: no torch, nothing to compare against
    print("torch_activations.py: PyTorch is not installed (apt-get install python3-torch); "
          "skipping", file=sys.stderr)
    print("{}")
    sys.exit(0)

ROWS, COLS = 16, 1 << 20
NUMEL = ROWS * COLS  # 2^24


class SwishBeta(torch.nn.Module):
    """x * sigmoid(beta * x) composed from PyTorch ops, beta a shared learnable scalar."""

    def __init__(self):
        super().__init__()
        self.beta = torch.nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)


def fn(f):
    """A parameterless module from a function."""

    class Fn(torch.nn.Module):
        def forward(self, x):
            return f(x)

    return Fn()


# PyTorch's own implementation of each activation, at tapegrad's defaults.
ACTIVATIONS = {
    "identity": torch.nn.Identity,
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "relu6": torch.nn.ReLU6,
    "leaky_relu": torch.nn.LeakyReLU,
    "elu": torch.nn.ELU,
    "selu": torch.nn.SELU,
    "celu": torch.nn.CELU,
    "gelu": torch.nn.GELU,
    "gelu_tanh": lambda: torch.nn.GELU(approximate="tanh"),
    "silu": torch.nn.SiLU,
    "mish": torch.nn.Mish,
    "softplus": torch.nn.Softplus,
    "hardswish": torch.nn.Hardswish,
    "hardsigmoid": torch.nn.Hardsigmoid,
    "hardtanh": torch.nn.Hardtanh,
    "softsign": torch.nn.Softsign,
    "logsigmoid": torch.nn.LogSigmoid,
    "prelu": torch.nn.PReLU,  # one shared weight, init 0.25
    "swish_beta": SwishBeta,
}


def time_one(make, reps, warmup):
    gen = torch.Generator().manual_seed(42)
    x = torch.randn(ROWS, COLS, generator=gen, dtype=torch.float32).requires_grad_()
    g = torch.ones(ROWS, COLS, dtype=torch.float32)
    act = make()
    params = list(act.parameters())
    out = []
    for r in range(warmup + reps):
        t0 = time.perf_counter()
        y = act(x)
        y.backward(g)
        x.grad = None
        for p in params:
            p.grad = None
        del y
        t = time.perf_counter() - t0
        if r >= warmup:
            out.append(t * 1e9 / NUMEL)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("threads", nargs="?", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated names (default: all)")
    ap.add_argument("--detail", action="store_true", help="every rep, not the median")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    names = [n for n in args.only.split(",") if n] or list(ACTIVATIONS)
    unknown = [n for n in names if n not in ACTIVATIONS]
    if unknown:
        print(f"torch_activations.py: no PyTorch counterpart for {unknown}; skipped",
              file=sys.stderr)
    result = {}
    for name in names:
        if name not in ACTIVATIONS:
            continue
        ns = time_one(ACTIVATIONS[name], args.reps, args.warmup)
        result[name] = ns if args.detail else statistics.median(ns)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
