"""Shared helpers of the tests/bench/compare_*.py scripts: medians with min-max, Markdown
tables, the load average, the OpenBLAS library path for the reference side, and writing the
result. The scripts are run from any directory and import this module after putting their own
directory first on sys.path:

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


def emit(lines, out_path=None):
    """Prints the lines and, with out_path, also writes them there."""
    text = "\n".join(lines)
    print(text)
    if out_path:
        with open(out_path, "w") as f:
            f.write(text + "\n")
