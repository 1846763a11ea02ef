#!/usr/bin/env python3
"""sgemm: tapegrad's kernels::gemm<float> vs OpenBLAS (through numpy), same machine, same run.

    python3 tests/bench/compare_gemm.py --build build/release --reps 3 --threads 1,2 \
        [--openblas-dir DIR] [--min-time 0.2] [--out table.md]

Runs build/.../tests/bench/bench_gemm (Google Benchmark, TG_THREADS=T) and
tests/bench/gemm_reference.py (numpy float32 matmul, OPENBLAS_NUM_THREADS=T) in turn, alternating
which goes first, --reps times per thread count, and prints a Markdown table per thread count:
GFLOPS median (min-max) of each side, tapegrad's median as a percentage of the machine's FP32 FMA
peak at that thread count (build/.../tests/bench/bench_peak, run once before the reps; the first
line of the output gives it), the ratio tapegrad / OpenBLAS of the medians, and the target:
>= 0.85 on squares 256-1024, >= 0.75 on the MLP layer shapes (mlp_fwd/mlp_dx/mlp_dw); the other
shapes (square 128, LeNet conv2) are reported without a target.
Debian's numpy links libblas.so.3, which is netlib's reference BLAS unless libopenblas0 is the
selected alternative; --openblas-dir puts a directory holding OpenBLAS's libblas.so.3 first on
LD_LIBRARY_PATH for the reference side (e.g. extracted from libopenblas0-pthread's .deb). The
table header says which BLAS numpy actually loaded.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchtable  # noqa: E402  (tests/bench/benchtable.py)
from benchtable import loadavg  # noqa: E402


def target(name):
    g, _, mnk = name.split("/")[1:]
    if g == "square":
        return 0.85 if int(mnk.split("x")[0]) >= 256 else None
    if g.startswith("mlp_"):
        return 0.75
    return None


def run_tg(binary, threads, min_time):
    env = dict(os.environ, TG_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run([binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}"],
                         env=env, check=True, capture_output=True, text=True).stdout
    # UseRealTime appends "/real_time" to the names.
    j = json.loads(out)
    return {b["name"].removesuffix("/real_time"): b["GFLOPS"]
            for b in j["benchmarks"]}, j["context"].get("tg_gemm_kernel", "?")


def run_ref(python, threads, min_time, openblas_dir):
    env = benchtable.with_openblas(
        dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads)),
        openblas_dir)
    out = subprocess.run([python, os.path.join(HERE, "gemm_reference.py"), "--threads",
                          str(threads), "--min-time", str(min_time)],
                         env=env, check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return j["results"], j.get("blas")


def cell(v):
    return benchtable.cell(v, 1)


def sort_key(name):
    g, lay, mnk = name.split("/")[1:]
    order = ["square", "mlp_fwd", "mlp_dx", "mlp_dw", "lenet_conv2"]
    return (order.index(g) if g in order else 9, [int(x) for x in mnk.split("x")], lay)


def table(tg, ref, threads, peak=None):
    """The Markdown table of one thread count; peak: the FMA peak in GFLOPS at that count."""
    rows = []
    met = total = 0
    for name in sorted(set(tg) | set(ref), key=sort_key):
        a, b = tg.get(name, []), ref.get(name, [])
        label = re.sub(r"^gemm/", "", name)
        pct = f"{100 * statistics.median(a) / peak:.0f}%" if a and peak else "n/a"
        if not a or not b:
            rows.append([label, cell(a), pct, cell(b), "n/a", "", ""])
            continue
        ratio = statistics.median(a) / statistics.median(b)
        t = target(name)
        ok = ""
        if t is not None:
            total += 1
            met += ratio >= t
            ok = "yes" if ratio >= t else "**no**"
        rows.append([label, cell(a), pct, cell(b), f"{ratio:.2f}",
                     ">= " + format(t, ".2f") if t else "", ok])
    lines = [benchtable.thread_title(threads), ""]
    lines += benchtable.table(["shape (layout M x N x K)", "tapegrad GFLOPS", "% of FMA peak",
                               "OpenBLAS GFLOPS", "tapegrad / OpenBLAS", "target", "met?"], rows)
    lines += ["", f"{met} of {total} targets met.", ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="tapegrad sgemm vs OpenBLAS")
    ap.add_argument("--build", default="build/release", help="CMake build directory")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per shape and side")
    ap.add_argument("--python", default="/usr/bin/python3", help="python with Debian's numpy")
    ap.add_argument("--openblas-dir", default="",
                    help="directory with OpenBLAS's libblas.so.3, put first on LD_LIBRARY_PATH")
    ap.add_argument("--out", help="also write the tables to this file")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t]
    binary = os.path.join(args.build, "tests", "bench", "bench_gemm")
    if not os.access(binary, os.X_OK):
        sys.exit(f"compare_gemm.py: {binary} not found; build the bench_gemm target first")
    tg = {t: {} for t in threads}
    ref = {t: {} for t in threads}
    blas = None
    kernel = "?"
    peak = benchtable.peak(args.build, threads)  # before the reps, once
    out = [benchtable.peak_line(args.build, threads), "",
           f"Load average at start: {loadavg():.2f}", ""]
    for r in range(args.reps):
        for t in threads:
            for side in (["tg", "ref"] if (r + t) % 2 == 0 else ["ref", "tg"]):
                t0 = time.time()
                if side == "tg":
                    res, kernel = run_tg(binary, t, args.min_time)
                    dst = tg[t]
                else:
                    res, blas = run_ref(args.python, t, args.min_time, args.openblas_dir)
                    dst = ref[t]
                for n, v in res.items():
                    dst.setdefault(n, []).append(v)
                print(f"rep {r + 1}/{args.reps}, {t} thread(s), "
                      f"{'tapegrad' if side == 'tg' else 'OpenBLAS'}: {time.time() - t0:.0f} s, "
                      f"load {loadavg():.2f}", file=sys.stderr)
    out.append(f"tapegrad's GEMM kernel: {kernel}")
    out.append(f"Reference BLAS loaded by numpy: {', '.join(blas or ['?'])}")
    out.append("")
    for t in threads:
        out.append(table(tg[t], ref[t], t, peak.get(t)))
    out.append(f"Load average at end: {loadavg():.2f}")
    benchtable.emit(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
