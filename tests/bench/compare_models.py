#!/usr/bin/env python3
"""Training epochs, tapegrad vs PyTorch, same machine, same data, alternating runs.

    python3 tests/bench/compare_models.py --build build/release --reps 3 --fraction 0.2 \
        [--models mlp,lenet5,cnn,tiny] [--openblas-dir DIR] [--out table.md]

Runs build/.../tests/bench/bench_models (one process per model) at 1 and 2 threads and
tests/bench/torch_models.py at its 1-thread setting (OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1,
torch.set_num_threads(1)) and its best 2-thread setting (OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1:
Debian's PyTorch calls OpenBLAS, whose thread pool fights OpenMP's when both have 2 threads),
alternating which side goes first, --reps times. Each epoch is timed over --fraction of its
batches after a few warm-up batches and scaled to a full epoch (the table says which fraction).
For each model the table gives the medians (min-max) and the ratio tapegrad / PyTorch, where
PyTorch is its faster (lower median) of the 1- and 2-thread settings, never the slower.
Targets (issue 6): MLP <= 0.8, LeNet-5 <= 0.7, wider CNN <= 0.8, tiny MLP <= 0.1 (us per
forward+backward at batch 32), LeNet-5 peak RSS <= PyTorch's.
Debian's python3-torch does its Linear GEMMs through libblas.so.3, which is netlib's reference
BLAS (50x slower) unless libopenblas0 is the selected alternative; --openblas-dir puts a
directory holding OpenBLAS's libblas.so.3 first on LD_LIBRARY_PATH for the PyTorch side.
Skips with a message when torch is not importable.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchtable  # noqa: E402  (tests/bench/benchtable.py)
from benchtable import loadavg, med  # noqa: E402
TARGETS = {"mlp": 0.8, "lenet5": 0.7, "cnn": 0.8, "tiny": 0.1}
LABELS = {"mlp": "MLP 784-256-128-10, SGD, b128 (epoch s)",
          "lenet5": "LeNet-5, Adam, b64 (epoch s)",
          "cnn": "wider CNN 32-64-fc128, Adam, b128 (epoch s)",
          "tiny": "tiny MLP 2-16-16-1 fwd+bwd, b32 (us/iter)"}
TORCH_SETTINGS = {1: {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
                  2: {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "1"}}


def value(res):
    return res["us_per_iter"] if res["model"] == "tiny" else res["epoch_s"]


def run(cmd, env):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"compare_models.py: {' '.join(cmd)} failed:\n{p.stderr}", file=sys.stderr)
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_tg(args, model, threads):
    env = dict(os.environ, TG_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    return run([args.binary, "--model", model, "--fraction", str(args.fraction),
                "--iters", str(args.tiny_iters), "--threads", str(threads)], env)


def run_pt(args, model, threads):
    env = benchtable.with_openblas(dict(os.environ, **TORCH_SETTINGS[threads]), args.openblas_dir)
    return run([args.python, os.path.join(HERE, "torch_models.py"), "--model", model,
                "--fraction", str(args.fraction), "--iters", str(args.tiny_iters),
                "--threads", str(threads)], env)


def cell(v, digits):
    return benchtable.cell(v, digits)


def main():
    ap = argparse.ArgumentParser(description="tapegrad vs PyTorch training epochs")
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--fraction", type=float, default=0.2,
                    help="fraction of each epoch timed, scaled to a full epoch")
    ap.add_argument("--tiny-iters", type=int, default=2000)
    ap.add_argument("--models", default="mlp,lenet5,cnn,tiny")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--openblas-dir", default="",
                    help="directory with OpenBLAS's libblas.so.3, first on LD_LIBRARY_PATH for "
                         "PyTorch")
    ap.add_argument("--out")
    args = ap.parse_args()
    models = [m for m in args.models.split(",") if m]
    args.binary = os.path.join(args.build, "tests", "bench", "bench_models")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"compare_models.py: {args.binary} not found; build the bench_models target")
    if subprocess.run([args.python, "-c", "import torch"], capture_output=True).returncode:
        print(f"compare_models.py: {args.python} has no torch (apt-get install python3-torch); "
              "skipping", file=sys.stderr)
        return 0

    tg = {(m, t): [] for m in models for t in (1, 2)}
    pt = {(m, t): [] for m in models for t in (1, 2)}
    rss_tg = {m: [] for m in models}
    rss_pt = {m: [] for m in models}
    out = [f"Load average at start: {loadavg():.2f}", ""]
    for r in range(args.reps):
        for t in (1, 2):
            for m in models:
                order = ["tg", "pt"] if (r + t) % 2 == 0 else ["pt", "tg"]
                for side in order:
                    t0 = time.time()
                    res = run_tg(args, m, t) if side == "tg" else run_pt(args, m, t)
                    if res is None:
                        continue
                    (tg if side == "tg" else pt)[(m, t)].append(value(res))
                    if t == 1:
                        (rss_tg if side == "tg" else rss_pt)[m].append(res["peak_rss_mb"])
                    print(f"rep {r + 1}/{args.reps} {t} thr {m:7s} "
                          f"{'tapegrad' if side == 'tg' else 'PyTorch '}: {value(res):10.3f} "
                          f"({time.time() - t0:.0f} s wall, load {loadavg():.2f})",
                          file=sys.stderr)

    out.append(f"Epochs timed over {args.fraction:g} of their batches (after 5 warm-up batches) "
               f"and scaled to a full epoch of 60000 images; tiny MLP {args.tiny_iters} "
               f"iterations after 200 warm-up; {args.reps} alternating reps; PyTorch BLAS: "
               f"{'OpenBLAS from ' + args.openblas_dir if args.openblas_dir else 'system libblas.so.3'}.")
    out.append("")
    met = total = 0
    for t in (1, 2):
        rows = []
        for m in models:
            d = 1 if m == "tiny" else 2
            best = min(med(pt[(m, 1)]), med(pt[(m, 2)]))
            ratio = med(tg[(m, t)]) / best if pt[(m, 1)] or pt[(m, 2)] else float("nan")
            ok = ratio <= TARGETS[m]
            total += 1
            met += ok
            rows.append([LABELS[m], cell(tg[(m, t)], d), cell(pt[(m, 1)], d),
                         cell(pt[(m, 2)], d), f"{ratio:.2f}", f"<= {TARGETS[m]}",
                         "yes" if ok else "**no**"])
        out += [benchtable.thread_title(t, "tapegrad ") + " (vs PyTorch's faster setting)", ""]
        out += benchtable.table(["benchmark", "tapegrad", "PyTorch 1 thr",
                                 "PyTorch 2 thr (OMP 2, OpenBLAS 1)", "tapegrad / PyTorch best",
                                 "target", "met?"], rows)
        out.append("")
    out += ["**Throughput and peak RSS** (images/s = 60000 / the faster of the 1- and 2-thread "
            "median epoch times, each side; peak RSS = getrusage ru_maxrss of the whole 1-thread "
            "process, data set included, median over reps)", ""]
    rows = []
    for m in models:
        if m == "tiny":
            continue
        ips_tg = 60000 / min(med(tg[(m, 1)]), med(tg[(m, 2)]))
        ips_pt = 60000 / min(med(pt[(m, 1)]), med(pt[(m, 2)]))
        rt, rp = med(rss_tg[m]), med(rss_pt[m])
        tgt, ok = "", ""
        if m == "lenet5":
            tgt = "<= PyTorch"
            ok = "yes" if rt <= rp else "**no**"
            total += 1
            met += rt <= rp
        rows.append([m, f"{ips_tg:.0f}", f"{ips_pt:.0f}", f"{rt:.0f}", f"{rp:.0f}", tgt, ok])
    out += benchtable.table(["model", "tapegrad images/s", "PyTorch images/s",
                             "tapegrad peak RSS MB", "PyTorch peak RSS MB", "RSS target", "met?"],
                            rows)
    out += ["", f"{met} of {total} targets met.", "", f"Load average at end: {loadavg():.2f}"]
    benchtable.emit(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
