"""What the benchmark scripts share: thread pinning, the machine description and the tables.

It imports no NumPy at module level: a script calls `pin_threads` from here *before* NumPy
loads its BLAS library, which reads the thread variables only then.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CHECKOUT = Path(__file__).resolve().parent.parent

if str(CHECKOUT) not in sys.path:
    sys.path.insert(0, str(CHECKOUT))  # run from a checkout, layerkit not installed


def pin_threads(argv: Sequence[str]) -> None:
    """Export the script's ``--threads`` (default 1) to the BLAS libraries, before they load."""
    parser = argparse.ArgumentParser(add_help=False)  # a script's own parser answers --help
    parser.add_argument("--threads", type=int, default=1)
    threads = parser.parse_known_args(list(argv))[0].threads
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)


CLOCKS: dict[str, Callable[[], int]] = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}
"""What ``--clock`` may choose, in nanoseconds: elapsed time, or the process's CPU time."""


def add_run_options(
    parser: argparse.ArgumentParser,
    *,
    rounds: str,
    quick: str,
    profile: str | None,
    clock: bool = True,
) -> None:
    """The options the benchmarks take, each helped by its own words: ``--rounds``
    (``rounds`` says what a default is and counts), ``--threads``, ``--quick`` (``quick``: what
    it shortens), ``--markdown``, ``--output``, ``--clock`` (unless ``clock`` is false) and
    ``--profile`` (``profile``: what it shows; None for no such option)."""
    parser.add_argument("--rounds", type=int, default=None, help=rounds)
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)"
    )
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument(
        "--markdown", action="store_true", help="print a Markdown table (for the docs)"
    )
    parser.add_argument("--output", metavar="FILE", help="also write the report to FILE")
    if clock:
        parser.add_argument(
            "--clock",
            choices=tuple(CLOCKS),
            default="wall",
            help="wall: elapsed time (default); cpu: the CPU time of this process, which leaves "
            "out the time other programs take the core away on a shared machine (every library "
            "runs in --threads threads, so it is the work done)",
        )
    if profile is not None:
        parser.add_argument("--profile", action="store_true", help=profile)


def import_torch() -> ModuleType | None:
    """PyTorch, or None when it is not installed (its columns then say "not installed")."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# --------------------------------------------------------------------------- the machine
def machine_description(threads: int, torch: ModuleType | None) -> list[str]:
    """One line per fact about the machine and the libraries that were timed."""
    import numpy as np

    import layerkit as lk

    lines = [
        f"CPU: {_cpu_model()} ({os.cpu_count()} logical CPUs, "
        f"{len(os.sched_getaffinity(0))} usable)",
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"layerkit {lk.__version__} ({_layerkit_revision(lk)})",
        f"NumPy BLAS: {_numpy_blas()}",
        f"threads: {threads} ("
        + ", ".join(f"{name}={os.environ[name]}" for name in THREAD_VARIABLES)
        + f"; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})",
    ]
    if torch is None:
        lines.append("PyTorch: torch not installed")
    else:
        lines.append(
            f"PyTorch {torch.__version__}, threads: {torch.get_num_threads()}, "
            f"MKL: {'yes' if torch.backends.mkl.is_available() else 'no'}"
        )
    lines.extend(_threadpools())
    return lines


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _layerkit_revision(lk: ModuleType) -> str:
    """The git commit of the layerkit being timed, with "-dirty" for uncommitted changes."""
    checkout = Path(lk.__file__).resolve().parent.parent
    try:
        described = subprocess.run(
            ["git", "-C", str(checkout), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
    return f"git {described.stdout.strip()}"


def _numpy_blas() -> str:
    import numpy as np

    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']}"
    except (TypeError, KeyError):
        return "unknown"


def _threadpools() -> list[str]:
    """The thread pools threadpoolctl sees (the BLAS really used, and its thread count)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["thread pools: threadpoolctl not installed"]
    lines = []
    for pool in threadpool_info():
        what = " ".join(
            str(pool[key]) for key in ("internal_api", "version", "architecture") if pool.get(key)
        )
        lines.append(
            f"thread pool: {what}, threads: {pool['num_threads']} ({Path(pool['filepath']).name})"
        )
    return lines


# ------------------------------------------------------------------------------ the numbers
def relative_spread(values: Sequence[float]) -> float:
    """The interquartile range of ``values`` over their median (the range for fewer than 4)."""
    if len(values) < 4:
        width = max(values) - min(values)
    else:
        quartiles = statistics.quantiles(values, n=4)
        width = quartiles[2] - quartiles[0]
    return width / statistics.median(values)


def ratio(numerator: float | None, denominator: float | None) -> str:
    """``numerator / denominator`` as ``1.02×``, or ``—`` when either is missing."""
    if numerator is None or denominator is None:
        return "—"
    return f"{numerator / denominator:.2f}×"


def microseconds(value: float) -> str:
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def format_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if value < 1024 or unit == "MiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_table(
    rows: list[list[str]], markdown: bool, headers: Sequence[str], left: Sequence[int] = (0,)
) -> str:
    """An aligned text table, or a Markdown one; the ``left`` columns left, the rest right."""
    if markdown:
        rule = ["---" if i in left else "---:" for i in range(len(headers))]
        return "\n".join("| " + " | ".join(row) + " |" for row in [list(headers), rule, *rows])
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        cells = [
            cell.ljust(width) if i in left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
