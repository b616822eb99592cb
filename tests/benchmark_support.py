"""Reading the reports of the benchmark scripts (used by ``test_benchmark_script.py`` and
``test_device_benchmark.py``)."""

from __future__ import annotations


def tables(report: str) -> list[list[dict[str, str]]]:
    """The Markdown tables of a report, each as its rows of cells by column name."""
    found = []
    for block in report.split("\n\n"):
        if block.startswith("|"):
            header, _, *rows = block.splitlines()
            names = split_cells(header)
            found.append([dict(zip(names, split_cells(row), strict=True)) for row in rows])
    return found


def split_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip("|").split("|")]
