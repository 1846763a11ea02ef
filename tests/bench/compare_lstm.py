#!/usr/bin/env python3
"""One LSTM (and GRU) layer, tapegrad vs PyTorch, same machine, same run.

    python3 tests/bench/compare_lstm.py --build build/release --reps 5 --threads 1,2 \
        [--min-time 0.5] [--filter REGEX] [--torch-settings 1,2,2b] [--openblas-dir DIR] \
        [--out table.md]

Runs build/.../tests/bench/bench_lstm (Google Benchmark, TG_THREADS=T for each T in --threads)
and tests/bench/torch_lstm.py (Debian's python3-torch) at each of its thread settings:
  1   torch.set_num_threads(1), OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1;
  2   torch.set_num_threads(2), OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 (the other comparisons'
      2-thread setting: Debian's PyTorch calls OpenBLAS, whose pool can fight OpenMP's);
  2b  torch.set_num_threads(2), OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 (PyTorch's GEMMs can
      use a second thread only through OpenBLAS's own pool).
Tapegrad and PyTorch runs alternate, and which goes first swaps every rep, --reps times. Each run
gives one time per case (Google Benchmark's mean over --min-time seconds; torch_lstm.py
likewise, after untimed warm-up calls). For each tapegrad thread count it prints a Markdown
table: milliseconds per call, median (min-max) over the reps, for tapegrad and for each PyTorch
setting; the ratio tapegrad / PyTorch best, where PyTorch best is the setting with the lowest
median for that case (named in the cell), never a slower one; and the GFLOPS of the gate GEMMs
at the medians (bench_lstm.cpp says what is counted).
Cases (x [T=28, B=64, 28], hidden 128, float32, layout [T, B, F] on both sides):
rnn/lstm/fwdbwd (forward, sum of the outputs, backward, zero_grad), rnn/lstm/fwd (no grad), and
the same for the GRU. Target (issue): LSTM forward + backward <= 0.8 of PyTorch best.
--openblas-dir puts a directory holding OpenBLAS's libblas.so.3 first on LD_LIBRARY_PATH for the
PyTorch side (when libblas.so.3 is netlib's reference BLAS). Skips with a message when torch is
not importable.
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

# setting: (torch.set_num_threads, environment, column label, short name)
TORCH_SETTINGS = {
    "1": (1, {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}, "PyTorch 1 thr", "1 thr"),
    "2": (2, {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "1"},
          "PyTorch 2 thr (OMP 2, OpenBLAS 1)", "2 thr"),
    "2b": (2, {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"},
           "PyTorch 2 thr (OMP 2, OpenBLAS 2)", "2 thr, OpenBLAS 2"),
}
CASES = ["rnn/lstm/fwdbwd", "rnn/lstm/fwd", "rnn/gru/fwdbwd", "rnn/gru/fwd"]
LABELS = {"rnn/lstm/fwdbwd": "LSTM fwd+bwd", "rnn/lstm/fwd": "LSTM fwd (no grad)",
          "rnn/gru/fwdbwd": "GRU fwd+bwd", "rnn/gru/fwd": "GRU fwd (no grad)"}
TARGETS = {"rnn/lstm/fwdbwd": 0.8}


def run_tg(args, threads):
    """{case: (ms per call, GFLOPS)}."""
    env = dict(os.environ, TG_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    cmd = [args.binary, "--benchmark_format=json", f"--benchmark_min_time={args.min_time}"]
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"compare_lstm.py: {' '.join(cmd)} failed:\n{p.stderr}", file=sys.stderr)
        return {}
    if not p.stdout.strip():
        return {}  # --filter matched nothing (Google Benchmark prints nothing)
    res = {}
    for r in json.loads(p.stdout)["benchmarks"]:
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[r["time_unit"]]
        res[r["name"].removesuffix("/real_time")] = (r["real_time"] * scale, r["GFLOPS"])
    return res


def run_pt(args, setting):
    threads, extra = TORCH_SETTINGS[setting][:2]
    return {r["name"]: (r["us"] * 1e-3, r["gflops"])
            for r in benchtable.run_torch_side(args, "torch_lstm.py", threads, extra,
                                               "compare_lstm.py")}


def table(args, tg, pt, threads):
    rows = []
    met = []
    for name in [c for c in CASES if c in tg or any(c in pt[s] for s in args.settings)]:
        a = [v[0] for v in tg.get(name, [])]
        p = {s: [v[0] for v in pt[s].get(name, [])] for s in args.settings}
        have = [s for s in args.settings if p[s]]
        best = min(have, key=lambda s: med(p[s])) if have else None
        ratio = med(a) / med(p[best]) if a and best else float("nan")
        target, ok = "", ""
        if name in TARGETS:
            target = f"<= {TARGETS[name]}"
            ok = "n/a" if ratio != ratio else "yes" if ratio <= TARGETS[name] else "**no**"
            met.append(ratio <= TARGETS[name])
        tg_rate = med([v[1] for v in tg.get(name, [])])
        pt_rate = med([v[1] for v in pt[best].get(name, [])]) if best else float("nan")
        rows.append([LABELS.get(name, name), benchtable.cell(a, 2)]
                    + [benchtable.cell(p[s], 2) for s in args.settings]
                    + [f"{ratio:.2f} (vs {TORCH_SETTINGS[best][3]})" if ratio == ratio else "n/a", target, ok,
                       f"{tg_rate:.1f}", f"{pt_rate:.1f}"])
    lines = [benchtable.thread_title(threads, "tapegrad ") + " (vs PyTorch's fastest setting)", ""]
    lines += benchtable.table(["case", "tapegrad ms"]
                              + [f"{TORCH_SETTINGS[s][2]} ms" for s in args.settings]
                              + ["tapegrad / PyTorch best", "target", "met?",
                                 "tapegrad GFLOPS", "PyTorch best GFLOPS"], rows)
    return lines + [""], met


def main():
    ap = argparse.ArgumentParser(description="tapegrad vs PyTorch: one LSTM / GRU layer")
    ap.add_argument("--build", default="build/release", help="CMake build directory")
    ap.add_argument("--reps", type=int, default=5, help="alternating runs of each side")
    ap.add_argument("--threads", default="1,2", help="tapegrad thread counts")
    ap.add_argument("--torch-settings", default="1,2,2b",
                    help="PyTorch thread settings: 1, 2 (OpenBLAS 1 thread), 2b (OpenBLAS 2)")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per case and run")
    ap.add_argument("--filter", default="",
                    help="regex on the case names, both sides (tapegrad's end in /real_time, so "
                         "'lstm/fwd$' matches only PyTorch's)")
    benchtable.add_reference_args(ap)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t]
    args.settings = [s for s in args.torch_settings.split(",") if s]
    for s in args.settings:
        if s not in TORCH_SETTINGS:
            sys.exit(f"compare_lstm.py: unknown --torch-settings '{s}'; expected "
                     f"{', '.join(TORCH_SETTINGS)}")
    args.binary = os.path.join(args.build, "tests", "bench", "bench_lstm")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"compare_lstm.py: {args.binary} not found; build the bench_lstm target "
                 "(needs libbenchmark-dev) first")
    if not benchtable.has_torch(args.python, args.openblas_dir, "compare_lstm.py"):
        return 0
    if args.filter:
        re.compile(args.filter)

    tg = {t: {} for t in threads}
    pt = {s: {} for s in args.settings}
    out = [f"Load average at start: {loadavg():.2f}", ""]
    for r in range(args.reps):
        for side, key in benchtable.interleaved(r, threads, args.settings):
            t0 = time.time()
            res = run_tg(args, key) if side == "tg" else run_pt(args, key)
            for n, v in res.items():
                (tg[key] if side == "tg" else pt[key]).setdefault(n, []).append(v)
            what = f"tapegrad {key} thr" if side == "tg" else TORCH_SETTINGS[key][2]
            print(f"rep {r + 1}/{args.reps}, {what}: {time.time() - t0:.0f} s, "
                  f"load {loadavg():.2f}", file=sys.stderr)
    blas = f"OpenBLAS from {args.openblas_dir}" if args.openblas_dir else "system libblas.so.3"
    out.append(f"{args.reps} alternating reps, --min-time {args.min_time:g} s per case and run; "
               f"x [T=28, B=64, 28], hidden 128, float32, layout [T, B, F]; PyTorch BLAS: "
               f"{blas}. Times: milliseconds per call, median (min-max) over the reps; GFLOPS "
               "of the gate GEMMs at the medians.")
    out.append("")
    met = []
    for t in threads:
        lines, m = table(args, tg[t], pt, t)
        out += lines
        met += m
    if met:
        out.append(f"{sum(met)} of {len(met)} targets met (LSTM fwd+bwd <= 0.8 of PyTorch best, "
                   f"at each tapegrad thread count).")
        out.append("")
    out.append(f"Load average at end: {loadavg():.2f}")
    benchtable.emit(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
