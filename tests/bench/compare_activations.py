#!/usr/bin/env python3
"""Activation forward+backward, tapegrad vs PyTorch, same machine, same thread count.

Usage (builds nothing; build bench_activations first, e.g. cmake --build build/release
--target bench_activations):

    python3 tests/bench/compare_activations.py --build build/release
    python3 tests/bench/compare_activations.py --build build/release --reps 5 --threads 1,2 \
        --only relu,prelu,swish_beta --tuned-malloc --out /tmp/table.md

Runs build/.../tests/bench/bench_activations (Google Benchmark, TG_THREADS=T) and
tests/bench/torch_activations.py (Debian's python3-torch through /usr/bin/python3, T threads) in
turn, alternating which goes first, --reps times for each thread count, and prints a markdown
table per thread count: each side's ns per element (median over the reps, min-max), the ratio
tapegrad / PyTorch, and whether the target is met. Targets (issue 4): no fixed activation slower
than PyTorch's (ratio <= 1); prelu and swish_beta, with their parameter gradients, at least 1.5x
faster than nn.PReLU and a composed x * sigmoid(beta * x) (ratio <= 1/1.5 = 0.667).
For 2 threads PyTorch runs with OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1.
--tuned-malloc adds a second set of tables with both sides under MALLOC_MMAP_MAX_=0
MALLOC_TRIM_THRESHOLD_=<huge>: glibc then keeps freed 64 MB buffers instead of returning them
to the OS, so fresh outputs cost no page faults (the effect of a caching allocator).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchtable  # noqa: E402  (tests/bench/benchtable.py)
from benchtable import loadavg  # noqa: E402
LEARNABLE = {"prelu", "swish_beta"}
SPEEDUP = 1.5
TUNED_MALLOC = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}


def run_tapegrad(binary, names, threads, min_time, extra_env):
    env = dict(os.environ, TG_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               TG_BENCH_ACTS=",".join(names), **extra_env)
    out = subprocess.run([binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}"],
                         env=env, check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        name = b["name"].split("/")[1]  # "act/<name>/manual_time"
        res[name] = b["ns_per_elem"]
    return res


def run_torch(python, names, threads, reps, extra_env):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1", **extra_env)
    p = subprocess.run([python, os.path.join(HERE, "torch_activations.py"), str(threads),
                        "--reps", str(reps), "--only", ",".join(names)],
                       env=env, check=True, capture_output=True, text=True)
    if p.stderr.strip():
        print(p.stderr.strip(), file=sys.stderr)
    return json.loads(p.stdout)


def cell(vals):
    return benchtable.cell(vals, 2)


def table(names, tg, pt, threads):
    rows = []
    met_count = 0
    for n in names:
        a, b = tg.get(n, []), pt.get(n, [])
        if not a or not b:
            rows.append([n, cell(a), cell(b), "n/a", "", ""])
            continue
        ratio = statistics.median(a) / statistics.median(b)
        limit = 1 / SPEEDUP if n in LEARNABLE else 1.0
        target = f"<= {limit:.3g} ({SPEEDUP}x faster)" if n in LEARNABLE else "<= 1"
        met = ratio <= limit
        met_count += met
        rows.append([n, cell(a), cell(b), f"{ratio:.2f}", target, "yes" if met else "**no**"])
    lines = [benchtable.thread_title(threads), ""]
    lines += benchtable.table(["activation", "tapegrad ns/elem (median, min-max)",
                               "PyTorch ns/elem (median, min-max)", "tapegrad / PyTorch", "target",
                               "met?"], rows)
    lines += ["", f"{met_count} of {len(names)} targets met.", ""]
    return "\n".join(lines)


def measure(args, names, extra_env, label):
    tg = {t: {} for t in args.threads}
    pt = {t: {} for t in args.threads}
    for r in range(args.reps):
        for t in args.threads:
            order = ["tg", "pt"] if (r + t) % 2 == 0 else ["pt", "tg"]
            for side in order:
                t0 = time.time()
                if side == "tg":
                    res = run_tapegrad(args.binary, names, t, args.min_time, extra_env)
                    dst = tg[t]
                else:
                    res = run_torch(args.python, names, t, args.torch_reps, extra_env)
                    dst = pt[t]
                for n, v in res.items():
                    dst.setdefault(n, []).append(v)
                print(f"[{label}] rep {r + 1}/{args.reps}, {t} thread(s), "
                      f"{'tapegrad' if side == 'tg' else 'PyTorch'}: {time.time() - t0:.0f} s, "
                      f"load {loadavg():.2f}", file=sys.stderr)
    return tg, pt


def main():
    ap = argparse.ArgumentParser(description="tapegrad vs PyTorch activation benchmark")
    ap.add_argument("--build", default="build/release", help="CMake build directory")
    ap.add_argument("--reps", type=int, default=3, help="alternating runs of each side")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--only", default="", help="comma-separated activation names")
    ap.add_argument("--min-time", type=float, default=0.5,
                    help="Google Benchmark --benchmark_min_time for each activation")
    ap.add_argument("--torch-reps", type=int, default=5, help="timed reps per torch run")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="python with Debian's python3-torch (not a pyenv one)")
    ap.add_argument("--tuned-malloc", action="store_true",
                    help="also measure both sides with MALLOC_MMAP_MAX_=0 (no page faults)")
    ap.add_argument("--out", help="also write the tables to this file")
    args = ap.parse_args()
    args.threads = [int(t) for t in args.threads.split(",") if t]
    args.binary = os.path.join(args.build, "tests", "bench", "bench_activations")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"compare_activations.py: {args.binary} not found; build the bench_activations "
                 "target (needs libbenchmark-dev) first")
    probe = subprocess.run([args.python, "-c", "import torch"], capture_output=True)
    if probe.returncode != 0:
        print(f"compare_activations.py: {args.python} has no torch (apt-get install "
              "python3-torch); nothing to compare against, skipping", file=sys.stderr)
        return 0

    names = [n for n in args.only.split(",") if n] or list(_torch_names())

    variants = [("default malloc", {})]
    if args.tuned_malloc:
        variants.append(("tuned malloc: " + " ".join(f"{k}={v}" for k, v in
                                                      TUNED_MALLOC.items()), TUNED_MALLOC))
    out = [f"Load average at start: {loadavg():.2f}", ""]
    for label, env in variants:
        tg, pt = measure(args, names, env, label)
        out.append(f"### {label}")
        out.append("")
        for t in args.threads:
            out.append(table(names, tg[t], pt[t], t))
    out.append(f"Load average at end: {loadavg():.2f}")
    benchtable.emit(out, args.out)
    return 0


def _torch_names():
    # The activation list lives in torch_activations.py; read it without importing torch.
    import ast
    src = open(os.path.join(HERE, "torch_activations.py")).read()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ACTIVATIONS":
            return [k.value for k in node.value.keys]
    raise RuntimeError("ACTIVATIONS not found in torch_activations.py")


if __name__ == "__main__":
    sys.exit(main())
