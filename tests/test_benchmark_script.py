"""The benchmark script still runs and reports what docs/performance.md quotes from it.

It is run, not timed: the numbers of one quick round on a shared machine mean nothing, so
only the report's shape and its internal consistency are checked.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "train_step.py"


def test_a_quick_run_reports_times_ratios_and_both_memory_columns(tmp_path):
    output = tmp_path / "report.md"
    options = ["--cases", "seed", "--quick", "--rounds", "2", "--markdown", "--output", output]
    run = subprocess.run(
        [sys.executable, SCRIPT, *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert output.read_text(encoding="utf-8") == run.stdout
    times, four_calls = (block for block in run.stdout.split("\n\n") if block.startswith("|"))
    header, _, row = times.splitlines()
    cells = dict(zip(split_cells(header), split_cells(row), strict=True))
    assert cells["network"] == "2-3-2" and cells["dtype"] == "float64"
    layerkit, hand = (float(cells[f"{name} µs"]) for name in ("layerkit", "hand-NumPy"))
    # the ratio comes from the unrounded times: equal to the shown ones' to their rounding
    assert re.fullmatch(r"\d+\.\d\d×", cells["lk/hand"])
    assert float(cells["lk/hand"][:-1]) == pytest.approx(layerkit / hand, abs=0.015)
    for column in ("mem lk/hand", "steps lk/hand"):
        assert re.fullmatch(r"\d+\.\d\d×", cells[column]), (column, cells[column])
    assert split_cells(four_calls.splitlines()[2])[:2] == ["seed", cells["layerkit µs"]]


def split_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip("|").split("|")]
