#!/usr/bin/env python3
"""conv2d and optimizer-step micro-benchmarks, tapegrad vs PyTorch, same machine, same run.

    python3 tests/bench/compare_micro.py --build build/release --reps 3 --threads 1,2 \
        [--min-time 0.2] [--filter REGEX] [--openblas-dir DIR] [--out table.md]

Runs build/.../tests/bench/bench_conv and bench_optim (Google Benchmark, TG_THREADS=T, for each
T in --threads) and tests/bench/torch_micro.py (Debian's python3-torch) at its 1-thread setting
(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1) and its best 2-thread setting (OMP_NUM_THREADS=2
OPENBLAS_NUM_THREADS=1: Debian's PyTorch calls OpenBLAS, whose thread pool fights OpenMP's when
both have 2 threads), alternating tapegrad and PyTorch runs and which goes first, --reps times.
Each run gives one time per case (Google Benchmark's mean over --min-time seconds; torch_micro.py
likewise). For each tapegrad thread count it prints a Markdown table: microseconds per call,
median (min-max) over the reps, for tapegrad and for each PyTorch setting, and the ratio
tapegrad / PyTorch where PyTorch is its faster (lower median) of the two settings, never the
slower; plus the rates at the medians (conv: GFLOPS, counting 2*N*Co*Cin*kH*kW*OH*OW per
direction; optimizer: GB/s of the estimated traffic params * 4 B * (5 for SGD momentum, 7 for
Adam/AdamW)). No targets: issue 6 sets none for these; lower ratios are better.
Cases: conv/<layer>/fwd (no grad) and conv/<layer>/fwdbwd for the LeNet-5 and wider-CNN conv
layers; optim/<mlp|lenet5>/<sgd|adam|adamw>. See bench_conv.cpp / bench_optim.cpp.
Debian's python3-torch does its convolution GEMMs through libblas.so.3, which is netlib's
reference BLAS unless OpenBLAS is the selected alternative; --openblas-dir puts a directory
holding OpenBLAS's libblas.so.3 first on LD_LIBRARY_PATH for the PyTorch side.
Skips with a message when torch is not importable.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchtable  # noqa: E402  (tests/bench/benchtable.py)
from benchtable import loadavg, med  # noqa: E402

BINARIES = ["bench_conv", "bench_optim"]
TORCH_SETTINGS = {1: {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
                  2: {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "1"}}
CONV_LABELS = {"lenet_conv1": "LeNet conv1 N64 1->6 5x5 p2 28x28",
               "lenet_conv2": "LeNet conv2 N64 6->16 5x5 14x14",
               "cnn_conv1": "CNN conv1 N128 1->32 3x3 p1 28x28",
               "cnn_conv2": "CNN conv2 N128 32->64 3x3 p1 14x14"}


def run_tg(args, threads):
    """{case: (us per call, rate)}; rate is GFLOPS (conv) or GB/s (optim)."""
    env = dict(os.environ, TG_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    res = {}
    for b in BINARIES:
        cmd = [os.path.join(args.build, "tests", "bench", b), "--benchmark_format=json",
               f"--benchmark_min_time={args.min_time}"]
        if args.filter:
            cmd.append(f"--benchmark_filter={args.filter}")
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        if not out.strip():
            continue  # --filter matched nothing in this binary (Google Benchmark prints nothing)
        for r in json.loads(out)["benchmarks"]:
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[r["time_unit"]]
            rate = r["GFLOPS"] if "GFLOPS" in r else r["bytes_per_second"] * 1e-9
            res[r["name"].removesuffix("/real_time")] = (r["real_time"] * scale, rate)
    return res


def run_pt(args, threads):
    res = {}
    for r in benchtable.run_torch_side(args, "torch_micro.py", threads, TORCH_SETTINGS[threads],
                                       "compare_micro.py"):
        rate = r["gflops"] if "gflops" in r else r["bytes_per_second"] * 1e-9
        res[r["name"]] = (r["us"], rate)
    return res


def label(name):
    kind, what, how = name.split("/")
    if kind == "conv":
        return f"conv {CONV_LABELS.get(what, what)} {'fwd+bwd' if how == 'fwdbwd' else 'fwd'}"
    return f"{how} step, {what} params"


def sort_key(name):
    kind, what, how = name.split("/")
    order = list(CONV_LABELS) + ["mlp", "lenet5"]
    hows = ["fwd", "fwdbwd", "sgd", "adam", "adamw"]
    return (kind, order.index(what) if what in order else 9, hows.index(how) if how in hows else 9)


def rate_cell(name, rates):
    unit = "GFLOPS" if name.startswith("conv/") else "GB/s"
    return f"{med(rates):.1f} {unit}" if rates else "n/a"


def table(tg, pt, threads):
    rows = []
    for name in sorted(set(tg) | set(pt[1]) | set(pt[2]), key=sort_key):
        a = [v[0] for v in tg.get(name, [])]
        p = {s: [v[0] for v in pt[s].get(name, [])] for s in (1, 2)}
        have = [s for s in (1, 2) if p[s]]
        best = min(have, key=lambda s: med(p[s])) if have else None
        ratio = f"{med(a) / med(p[best]):.2f} (vs {best} thr)" if a and best else "n/a"
        best_rates = [v[1] for v in pt[best].get(name, [])] if best else []
        rows.append([label(name), benchtable.cell(a, 0), benchtable.cell(p[1], 0),
                     benchtable.cell(p[2], 0), ratio,
                     rate_cell(name, [v[1] for v in tg.get(name, [])]),
                     rate_cell(name, best_rates)])
    lines = [benchtable.thread_title(threads, "tapegrad ") + " (vs PyTorch's faster setting)", ""]
    lines += benchtable.table(["case", "tapegrad us", "PyTorch 1 thr us",
                               "PyTorch 2 thr us (OMP 2, OpenBLAS 1)", "tapegrad / PyTorch best",
                               "tapegrad rate", "PyTorch best rate"], rows)
    return lines + [""]


def main():
    ap = argparse.ArgumentParser(description="tapegrad vs PyTorch: conv2d and optimizer steps")
    ap.add_argument("--build", default="build/release", help="CMake build directory")
    ap.add_argument("--reps", type=int, default=3, help="alternating runs of each side")
    ap.add_argument("--threads", default="1,2", help="tapegrad thread counts")
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per case and run")
    ap.add_argument("--filter", default="", help="regex on the case names (both sides)")
    benchtable.add_reference_args(ap)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t]
    for b in BINARIES:
        path = os.path.join(args.build, "tests", "bench", b)
        if not os.access(path, os.X_OK):
            sys.exit(f"compare_micro.py: {path} not found; build the bench_conv and bench_optim "
                     "targets (needs libbenchmark-dev) first")
    if not benchtable.has_torch(args.python, args.openblas_dir, "compare_micro.py"):
        return 0
    if args.filter:
        re.compile(args.filter)

    tg = {t: {} for t in threads}
    pt = {1: {}, 2: {}}
    out = [f"Load average at start: {loadavg():.2f}", ""]
    for r in range(args.reps):
        for side, t in benchtable.interleaved(r, threads, [1, 2]):
            t0 = time.time()
            res = run_tg(args, t) if side == "tg" else run_pt(args, t)
            for n, v in res.items():
                (tg[t] if side == "tg" else pt[t]).setdefault(n, []).append(v)
            print(f"rep {r + 1}/{args.reps}, {t} thread(s), "
                  f"{'tapegrad' if side == 'tg' else 'PyTorch'}: {time.time() - t0:.0f} s, "
                  f"load {loadavg():.2f}", file=sys.stderr)
    out.append(f"{args.reps} alternating reps, --min-time {args.min_time:g} s per case and run; "
               f"PyTorch BLAS: "
               f"{'OpenBLAS from ' + args.openblas_dir if args.openblas_dir else 'system libblas.so.3'}"
               ". Times: microseconds per call, median (min-max) over the reps; rates at the "
               "medians (conv GFLOPS per direction counted; optimizer GB/s of params * 4 B * "
               "5 (SGD) or 7 (Adam, AdamW) accesses).")
    out.append("")
    for t in threads:
        out += table(tg[t], pt, t)
    out.append(f"Load average at end: {loadavg():.2f}")
    benchtable.emit(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
