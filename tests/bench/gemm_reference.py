#!/usr/bin/env python3
"""numpy float32 matmul (Debian's numpy calls OpenBLAS) on the shapes of bench_gemm.cpp.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tests/bench/gemm_reference.py [--min-time 0.3]

The thread count must be set in the environment before numpy is imported (OpenBLAS reads it at
load time); --threads T sets OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) before the import.
Prints a JSON object {"threads": T, "results": {name: GFLOPS}} with the names bench_gemm uses,
"gemm/<case>/<layout>/MxNxK". A transposed operand is a transposed numpy view, which numpy hands
to sgemm as a transpose flag (no copy), like tapegrad's packing. C is preallocated (out=).
"blas" in the output lists the BLAS libraries actually loaded: Debian's numpy links libblas.so.3,
which is OpenBLAS only when libopenblas0 is the selected alternative (otherwise netlib's reference
BLAS; compare_gemm.py --openblas-dir points LD_LIBRARY_PATH at an OpenBLAS libblas.so.3).
"""
import argparse
import json
import os
import sys
import time


def shapes():
    out = []
    for n in (128, 256, 512, 1024):
        for ta, tb in ((False, False), (False, True), (True, False)):
            out.append(("square", ta, tb, n, n, n))
    b = 128
    for i, o in ((784, 256), (256, 128), (128, 10)):
        out.append(("mlp_fwd", False, True, b, o, i))
        out.append(("mlp_fwd", False, False, b, o, i))
        out.append(("mlp_dx", False, False, b, i, o))
        out.append(("mlp_dw", True, False, o, i, b))
    out.append(("lenet_conv2", False, False, 16, 100, 150))
    out.append(("lenet_conv2", True, False, 150, 100, 16))
    out.append(("lenet_conv2", False, True, 16, 150, 100))
    return out


def name(s):
    g, ta, tb, m, n, k = s
    return f"gemm/{g}/{'T' if ta else 'N'}{'T' if tb else 'N'}/{m}x{n}x{k}"


def loaded_blas():
    """The BLAS shared objects this process mapped (netlib's libblas is ~50x slower)."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in os.path.basename(path):
                libs.add(os.path.realpath(path))
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0, help="sets OPENBLAS_NUM_THREADS")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per shape")
    ap.add_argument("--only", default="", help="substring filter on names")
    args = ap.parse_args()
    if args.threads > 0:
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np  # after the environment is set

    rng = np.random.default_rng(12345)
    res = {}
    for s in shapes():
        nm = name(s)
        if args.only and args.only not in nm:
            continue
        _, ta, tb, m, n, k = s
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        a = a.T if ta else a
        b = b.T if tb else b
        c = np.empty((m, n), dtype=np.float32)
        for _ in range(3):
            np.matmul(a, b, out=c)
        iters, t = 0, 0.0
        batch = 1
        while t < args.min_time:
            t0 = time.perf_counter()
            for _ in range(batch):
                np.matmul(a, b, out=c)
            t += time.perf_counter() - t0
            iters += batch
            batch = min(batch * 2, 1 << 14)
        res[nm] = 2.0 * m * n * k * iters / t * 1e-9
    print(json.dumps({"threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0") or 0),
                      "numpy": np.__version__, "blas": loaded_blas(), "results": res}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
