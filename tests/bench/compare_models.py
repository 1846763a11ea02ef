#!/usr/bin/env python3
"""Training epochs, tapegrad vs PyTorch (and libtorch), same machine, same data, alternating runs.

    python3 tests/bench/compare_models.py --build build/release --reps 3 --fraction 0.2 \
        [--models mlp,lenet5,cnn,tiny] [--no-libtorch] [--openblas-dir DIR] [--out table.md]

Runs build/.../tests/bench/bench_models (one process per model) at 1 and 2 threads and
tests/bench/torch_models.py at its 1-thread setting (OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1,
torch.set_num_threads(1)) and its best 2-thread setting (OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1:
Debian's PyTorch calls OpenBLAS, whose thread pool fights OpenMP's when both have 2 threads),
alternating which side goes first, --reps times. Each epoch is timed over --fraction of its
batches after a few warm-up batches and scaled to a full epoch (the table says which fraction).
For each model the table gives the medians (min-max) and the ratio tapegrad / PyTorch, where
PyTorch is its faster (lower median) of the 1- and 2-thread settings, never the slower.
Targets: MLP <= 0.8, LeNet-5 <= 0.7, wider CNN <= 0.8, tiny MLP <= 0.1 (us per
forward+backward at batch 32), LeNet-5 peak RSS <= PyTorch's; and the stricter ones: each epoch
model <= 0.5 of PyTorch's faster setting (column "<= 0.5?"; tiny keeps its 0.1).
--libtorch (on by default when build/.../tests/bench/libtorch_models exists, i.e. CMake found
libtorch-dev) also runs libtorch_models, the same models in PyTorch's C++ API (no Python between
the ops), at tapegrad's thread count with PyTorch's environment for that count (OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS, --openblas-dir), in the same alternation; the tables then add its median
and tapegrad / libtorch at the same thread count, with the targets every epoch model <= 0.5 and
tiny <= 0.1, at 1 and at 2 threads. The first line of the output is the machine's FP32 FMA peak
(build/.../tests/bench/bench_peak, run once before the reps).
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
# The stricter targets: tapegrad / libtorch at the same thread count (1 and 2), and the epoch
# models against PyTorch's faster setting (tiny's 0.1 above already is that strict).
STRICT_TARGETS = {"mlp": 0.5, "lenet5": 0.5, "cnn": 0.5, "tiny": 0.1}
SIDES = {"tg": "tapegrad", "pt": "PyTorch ", "lt": "libtorch"}
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


def run_lt(args, model, threads):
    env = benchtable.with_openblas(dict(os.environ, **TORCH_SETTINGS[threads]), args.openblas_dir)
    return run([args.libtorch_binary, "--model", model, "--fraction", str(args.fraction),
                "--iters", str(args.tiny_iters), "--threads", str(threads)], env)


def verdict(ratio, target):
    """'yes', '**no**', or 'n/a' when the ratio is unknown (a side has no values)."""
    if ratio != ratio:  # NaN
        return "n/a"
    return "yes" if ratio <= target else "**no**"


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
    ap.add_argument("--libtorch", action=argparse.BooleanOptionalAction, default=None,
                    help="also run libtorch_models (default: when it was built)")
    ap.add_argument("--out")
    args = ap.parse_args()
    models = [m for m in args.models.split(",") if m]
    args.binary = os.path.join(args.build, "tests", "bench", "bench_models")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"compare_models.py: {args.binary} not found; build the bench_models target")
    args.libtorch_binary = os.path.join(args.build, "tests", "bench", "libtorch_models")
    has_lt = os.access(args.libtorch_binary, os.X_OK)
    if args.libtorch and not has_lt:
        sys.exit(f"compare_models.py: {args.libtorch_binary} not found; install libtorch-dev, "
                 "reconfigure and build the libtorch_models target")
    if args.libtorch is None:
        args.libtorch = has_lt
    if subprocess.run([args.python, "-c", "import torch"], capture_output=True).returncode:
        print(f"compare_models.py: {args.python} has no torch (apt-get install python3-torch); "
              "skipping", file=sys.stderr)
        return 0

    sides = ["tg", "pt"] + (["lt"] if args.libtorch else [])
    runner = {"tg": run_tg, "pt": run_pt, "lt": run_lt}
    vals = {s: {(m, t): [] for m in models for t in (1, 2)} for s in sides}
    rss = {s: {m: [] for m in models} for s in sides}
    tg, pt, lt = vals["tg"], vals["pt"], vals.get("lt")
    out = [benchtable.peak_line(args.build), "", f"Load average at start: {loadavg():.2f}", ""]
    for r in range(args.reps):
        for t in (1, 2):
            for m in models:
                k = (r + t) % len(sides)  # who goes first rotates
                for side in sides[k:] + sides[:k]:
                    t0 = time.time()
                    res = runner[side](args, m, t)
                    if res is None:
                        continue
                    vals[side][(m, t)].append(value(res))
                    if t == 1:
                        rss[side][m].append(res["peak_rss_mb"])
                    print(f"rep {r + 1}/{args.reps} {t} thr {m:7s} "
                          f"{SIDES[side]}: {value(res):10.3f} "
                          f"({time.time() - t0:.0f} s wall, load {loadavg():.2f})",
                          file=sys.stderr)

    out.append(f"Epochs timed over {args.fraction:g} of their batches (after 5 warm-up batches) "
               f"and scaled to a full epoch of 60000 images; tiny MLP {args.tiny_iters} "
               f"iterations after 200 warm-up; {args.reps} alternating reps; PyTorch BLAS: "
               f"{'OpenBLAS from ' + args.openblas_dir if args.openblas_dir else 'system libblas.so.3'}"
               + ("; libtorch (C++ API) at tapegrad's thread count with PyTorch's settings for "
                  "that count." if args.libtorch else "."))
    out.append("")
    met = total = 0
    met_pt5 = total_pt5 = met_lt = total_lt = 0
    for t in (1, 2):
        rows = []
        for m in models:
            d = 1 if m == "tiny" else 2
            best = min(med(pt[(m, 1)]), med(pt[(m, 2)]))
            ratio = med(tg[(m, t)]) / best if pt[(m, 1)] or pt[(m, 2)] else float("nan")
            ok = ratio <= TARGETS[m]
            total += 1
            met += ok
            strict = ""
            if m != "tiny":  # tiny's target above is already 0.1
                strict = verdict(ratio, STRICT_TARGETS[m])
                total_pt5 += 1
                met_pt5 += strict == "yes"
            row = [LABELS[m], cell(tg[(m, t)], d), cell(pt[(m, 1)], d), cell(pt[(m, 2)], d),
                   f"{ratio:.2f}", f"<= {TARGETS[m]}", "yes" if ok else "**no**", strict]
            if args.libtorch:
                r_lt = med(tg[(m, t)]) / med(lt[(m, t)]) if lt[(m, t)] else float("nan")
                v = verdict(r_lt, STRICT_TARGETS[m])
                total_lt += 1
                met_lt += v == "yes"
                row += [cell(lt[(m, t)], d), f"{r_lt:.2f}", f"<= {STRICT_TARGETS[m]}", v]
            rows.append(row)
        out += [benchtable.thread_title(t, "tapegrad ") + " (vs PyTorch's faster setting"
                + (f", and libtorch at {t} thread{'s' if t > 1 else ''})" if args.libtorch
                   else ")"), ""]
        header = ["benchmark", "tapegrad", "PyTorch 1 thr", "PyTorch 2 thr (OMP 2, OpenBLAS 1)",
                  "tapegrad / PyTorch best", "target", "met?", "<= 0.5?"]
        if args.libtorch:
            header += [f"libtorch {t} thr", "tapegrad / libtorch", "target", "met?"]
        out += benchtable.table(header, rows)
        out.append("")
    out += ["**Throughput and peak RSS** (images/s = 60000 / the faster of the 1- and 2-thread "
            "median epoch times, each side; peak RSS = getrusage ru_maxrss of the whole 1-thread "
            "process, data set included, median over reps)", ""]
    rows = []
    for m in models:
        if m == "tiny":
            continue
        ips = {s: 60000 / min(med(vals[s][(m, 1)]), med(vals[s][(m, 2)])) for s in sides}
        rsm = {s: med(rss[s][m]) for s in sides}
        rt, rp = rsm["tg"], rsm["pt"]
        tgt, ok = "", ""
        if m == "lenet5":
            tgt = "<= PyTorch"
            ok = "yes" if rt <= rp else "**no**"
            total += 1
            met += rt <= rp
        rows.append([m] + [f"{ips[s]:.0f}" for s in sides] + [f"{rsm[s]:.0f}" for s in sides]
                    + [tgt, ok])
    names = [SIDES[s].strip() for s in sides]
    out += benchtable.table(["model"] + [f"{n} images/s" for n in names]
                            + [f"{n} peak RSS MB" for n in names] + ["RSS target", "met?"], rows)
    out += ["", f"{met} of {total} targets met.",
            f"{met_pt5} of {total_pt5} tapegrad / PyTorch <= 0.5 targets met (epoch models, "
            "both thread counts)."]
    if args.libtorch:
        out.append(f"{met_lt} of {total_lt} libtorch targets met (tapegrad / libtorch at the same "
                   "thread count: every epoch model <= 0.5, tiny <= 0.1).")
    out += ["", f"Load average at end: {loadavg():.2f}"]
    benchtable.emit(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
