"""Shared helpers of the tests/bench/compare_*.py scripts: medians with min-max, Markdown
tables, the load average, the OpenBLAS library path for the reference side, the machine's FMA
peak (bench_peak), and writing the result. The scripts are run from any directory and import
this module after putting their own directory first on sys.path:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import benchtable
"""
import os
import statistics


def loadavg():
    """The 1-minute load average (benchmarks on a busy machine are noisy; tables say it)."""
    return os.getloadavg()[0]


def med(values):
    """Median, or NaN when there are no values."""
    return statistics.median(values) if values else float("nan")


def cell(values, digits=1):
    """'median (min-max)' with `digits` decimals, or 'n/a' when there are no values."""
    if not values:
        return "n/a"
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})")


def table(header, rows):
    """Markdown table lines: the header row, the separator, then one line per row (a row is a
    sequence of cells, already formatted)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def thread_title(threads, prefix=""):
    """'**2 threads**', '**1 thread**', with an optional prefix inside the bold ('tapegrad ')."""
    return f"**{prefix}{threads} thread{'s' if threads > 1 else ''}**"


def with_openblas(env, openblas_dir):
    """env with openblas_dir (a directory holding OpenBLAS's libblas.so.3) first on
    LD_LIBRARY_PATH; env unchanged when openblas_dir is empty."""
    if openblas_dir:
        env["LD_LIBRARY_PATH"] = os.path.abspath(openblas_dir) + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    return env


def add_reference_args(ap):
    """The options every comparison with PyTorch takes: --python, --openblas-dir, --out."""
    ap.add_argument("--python", default="/usr/bin/python3", help="python with python3-torch")
    ap.add_argument("--openblas-dir", default="",
                    help="directory with OpenBLAS's libblas.so.3, first on LD_LIBRARY_PATH for "
                         "PyTorch")
    ap.add_argument("--out", help="also write the tables to this file")


def has_torch(python, openblas_dir, script):
    """True when `python` imports torch (with openblas_dir as with_openblas); otherwise prints
    that `script` skips, and returns False."""
    import subprocess
    import sys
    env = with_openblas(dict(os.environ), openblas_dir)
    try:
        missing = subprocess.run([python, "-c", "import torch"], capture_output=True,
                                 env=env).returncode != 0
    except OSError:  # no such python
        missing = True
    if missing:
        print(f"{script}: {python} has no torch (apt-get install python3-torch); skipping",
              file=sys.stderr)
        return False
    return True


def run_torch_side(args, script, threads, extra_env, caller):
    """Runs a torch_*.py script of this directory once (--threads, --min-time args.min_time,
    --reps 1, --filter args.filter) with extra_env and args.openblas_dir; returns its JSON lines
    as dicts, or [] (after printing why) when it failed."""
    import json
    import subprocess
    import sys
    env = with_openblas(dict(os.environ, **extra_env), args.openblas_dir)
    cmd = [args.python, os.path.join(os.path.dirname(os.path.abspath(__file__)), script),
           "--threads", str(threads), "--min-time", str(args.min_time), "--reps", "1"]
    if args.filter:
        cmd += ["--filter", args.filter]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"{caller}: {' '.join(cmd)} failed:\n{p.stderr}", file=sys.stderr)
        return []
    return [json.loads(line) for line in p.stdout.splitlines()]


def interleaved(rep, tg_keys, pt_keys):
    """The runs of one rep: ("tg", key) and ("pt", key) pairs alternating between the two
    frameworks, with which goes first swapped every rep."""
    runs = []
    for i in range(max(len(tg_keys), len(pt_keys))):
        pair = []
        if i < len(tg_keys):
            pair.append(("tg", tg_keys[i]))
        if i < len(pt_keys):
            pair.append(("pt", pt_keys[i]))
        runs += pair if rep % 2 == 0 else pair[::-1]
    return runs


_PEAK = {}  # (build directory, thread counts) -> bench_peak's JSON, or None when it failed


def peak(build_dir, threads=(1, 2)):
    """The machine's FP32 FMA peak, {threads: GFLOPS}, measured by build_dir's
    tests/bench/bench_peak (its human line goes to stderr) once per process and thread counts,
    then cached; {} (after saying why) when the program is missing or fails."""
    import json
    import subprocess
    import sys
    key = (os.path.abspath(build_dir), tuple(threads))
    if key not in _PEAK:
        _PEAK[key] = None
        binary = os.path.join(build_dir, "tests", "bench", "bench_peak")
        if not os.access(binary, os.X_OK):
            print(f"benchtable: {binary} not found (build the bench_peak target); no FMA peak",
                  file=sys.stderr)
        else:
            p = subprocess.run([binary, "--threads", ",".join(str(t) for t in threads)],
                               stdout=subprocess.PIPE, text=True)
            if p.returncode == 0:
                _PEAK[key] = json.loads(p.stdout.strip().splitlines()[-1])
            else:
                print(f"benchtable: {binary} failed (exit {p.returncode}); no FMA peak",
                      file=sys.stderr)
    res = _PEAK[key]
    return {int(t): g for t, g in res["gflops"].items()} if res else {}


def peak_line(build_dir, threads=(1, 2)):
    """'FMA peak: X GFLOPS (1 thread), Y (2 threads) (bench_peak: avx512, 16 lanes, CPU)', the
    first line of the compare scripts' output (peak() measures it, once)."""
    gflops = peak(build_dir, threads)
    if not gflops:
        return "FMA peak: n/a (bench_peak not built or failed)"
    parts = [f"{gflops[t]:.1f}{' GFLOPS' if i == 0 else ''} ({t} thread{'s' if t > 1 else ''})"
             for i, t in enumerate(sorted(gflops))]
    info = _PEAK[(os.path.abspath(build_dir), tuple(threads))]
    return (f"FMA peak: {', '.join(parts)} (bench_peak: {info['isa']}, {info['lanes']} lanes, "
            f"{info['cpu']})")


def emit(lines, out_path=None):
    """Prints the lines and, with out_path, also writes them there."""
    text = "\n".join(lines)
    print(text)
    if out_path:
        with open(out_path, "w") as f:
            f.write(text + "\n")
