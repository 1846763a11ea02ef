#!/usr/bin/env python3
"""PyTorch side of tests/bench/bench_lstm.cpp: one recurrent layer at train_rnn's sizes.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tests/bench/torch_lstm.py \
        --threads 1 [--min-time 0.5] [--reps 3] [--filter REGEX]

Use Debian's python3-torch (/usr/bin/python3). Prints one JSON object per line, one per case:
{"name": "rnn/lstm/fwdbwd", "us": median microseconds per call, "reps_us": [...], ...}, timed
as tests/bench/torch_micro.py times its cases (time_case: an untimed warm-up, then --reps blocks
of at least --min-time seconds; "us" is the median block's mean).
Cases, the same as the C++ side: one nn.LSTM or nn.GRU layer, input 28, hidden 128, float32,
batch_first=False (x [T=28, B=64, 28], tapegrad's default layout), PyTorch's initialisation
(torch.manual_seed(7)), x ~ N(0, 1), no initial state.
  rnn/<cell>/fwd     layer(x) under torch.no_grad();
  rnn/<cell>/fwdbwd  layer(x)[0].sum().backward(), then zero_grad(set_to_none=True) (as
                     tapegrad's zero_grad); x does not require grad.
"gflops" counts the gate GEMMs as bench_lstm does. Anomaly detection is off and no profiler
runs. Threads: torch.set_num_threads(--threads); OMP_NUM_THREADS / OPENBLAS_NUM_THREADS come
from the environment (compare_lstm.py sets them).
"""
import argparse
import json
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_micro import time_case  # noqa: E402  (exits 0 with a message when torch is absent)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

STEPS, BATCH, INPUT, HIDDEN = 28, 64, 28, 128


def gemm_flops(cell, backward):
    gates = 4 if cell == "lstm" else 3
    k = 2 * (INPUT + HIDDEN) + HIDDEN if backward else INPUT + HIDDEN
    return 2.0 * STEPS * BATCH * gates * HIDDEN * k


def cases():
    for cell in ("lstm", "gru"):
        torch.manual_seed(7)
        layer = (nn.LSTM if cell == "lstm" else nn.GRU)(INPUT, HIDDEN)  # batch_first=False
        x = torch.randn(STEPS, BATCH, INPUT, generator=torch.Generator().manual_seed(8))

        def fwd(layer=layer, x=x):
            with torch.no_grad():
                layer(x)
        yield f"rnn/{cell}/fwd", fwd, gemm_flops(cell, False)

        def fwdbwd(layer=layer, x=x):
            layer(x)[0].sum().backward()
            layer.zero_grad(set_to_none=True)
        yield f"rnn/{cell}/fwdbwd", fwdbwd, gemm_flops(cell, True)


def main():
    ap = argparse.ArgumentParser(description="PyTorch LSTM / GRU layer benchmarks")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per timed block")
    ap.add_argument("--reps", type=int, default=3, help="timed blocks per case")
    ap.add_argument("--warmup", type=int, default=5, help="untimed calls before time_case's own")
    ap.add_argument("--filter", default="", help="regex on the case names")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.autograd.set_detect_anomaly(False)
    torch.set_grad_enabled(True)
    pat = re.compile(args.filter) if args.filter else None
    for name, fn, flops in cases():
        if pat and not pat.search(name):
            continue
        for _ in range(args.warmup):
            fn()
        reps = time_case(fn, args.min_time, args.reps)
        us = statistics.median(reps)
        print(json.dumps({"name": name, "us": us, "reps_us": reps, "gflops": flops * 1e-3 / us,
                          "threads": torch.get_num_threads(), "torch": torch.__version__,
                          "omp": os.environ.get("OMP_NUM_THREADS", ""),
                          "openblas": os.environ.get("OPENBLAS_NUM_THREADS", "")}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
