"""MkDocs hook: the derivation's symbol → code table, its code quoted from the source.

``docs/math/backpropagation.md`` holds the marker ``<!-- symbol-table -->``; this hook
replaces it with a table of every symbol of the four equations: the variable that holds it
and the lines of layerkit that compute it. The lines are read from the source while the site
builds, from the same ``# --8<-- [start:name]`` sections that the page's pymdownx.snippets
quotes use (or, for a method without such a section, from the method's own body), and a line
that is no longer there stops the strict build: the table cannot drift from the code.
"""

from __future__ import annotations

import ast
import functools
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "<!-- symbol-table -->"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Row:
    """One symbol: where it lives and the lines that compute it."""

    symbol: str  # LaTeX
    variable: str  # Markdown
    path: str  # the source file, from the repository root
    place: str  # a snippet section name, or a Class.method
    needles: tuple[str, ...]  # a part of each quoted line, found in that place
    where: str  # what the reader sees as the place: the method


ROWS = (
    Row(r"a^{(1)},\ a^{(2)}", "`a`, returned by `Dense.forward`",
        "layerkit/dense.py", "forward", ("a = x @ self.W", "a += self.b"), "Dense.forward"),
    Row(r"h,\ y", "`y`, returned by `Sigmoid.forward` and kept as `self._y`",
        "layerkit/activation.py", "Activation.forward", ("y = self.function(x)", "self._y = y"),
        "Activation.forward"),
    Row(r"\partial L / \partial y = y - t", "`difference`, kept by `L2Loss.forward`",
        "layerkit/l2loss.py", "forward", ("difference = y - t",), "L2Loss.forward"),
    Row(r"\sigma'(a) = y(1 - y)", "`slope`, returned by `Sigmoid.derivative`",
        "layerkit/sigmoid.py", "backward", ("slope = 1.0 - y", "slope *= y"), "Sigmoid.derivative"),
    Row(r"\delta^{(2)},\ \delta^{(1)}",
        "the `grad` that `Sigmoid.backward` returns, `delta` in `Dense.backward`",
        "layerkit/activation.py", "Activation.backward", ("return np.multiply(grad, slope",),
        "Activation.backward"),
    Row(r"\partial L / \partial u,\ \partial L / \partial w", "`Dense.dW`",
        "layerkit/dense.py", "backward-numpy", ("self.dW = np.matmul(x_rows.T, delta_rows",),
        "Dense.backward"),
    Row(r"\partial L / \partial b^{(2)},\ \partial L / \partial b^{(1)}", "`Dense.db`",
        "layerkit/dense.py", "backward-numpy", ("self.db = _batch_sum(delta_rows",),
        "Dense.backward"),
    Row(r"\partial L / \partial h = \delta^{(2)} u^{\mathsf T}",
        "returned by `Dense.backward`, the `grad` handed to the layer below",
        "layerkit/dense.py", "backward-numpy", ("return delta @ self.W.T",), "Dense.backward"),
    Row(r"w \leftarrow w - \eta\, \partial L / \partial w",
        "the parameter `value`; \\(\\eta\\) is `SGD.lr`",
        "layerkit/optim.py", "sgd-step", ("value -= np.multiply(self.lr, grad",), "SGD.update"),
)  # fmt: skip


@functools.cache
def _source(path: str) -> list[str]:
    return (ROOT / path).read_text(encoding="utf-8").splitlines()


def place_lines(path: str, place: str) -> list[str]:
    """The lines of a snippet section ``place`` of ``path``, or of the method ``Class.method``."""
    lines = _source(path)
    start, end = f"# --8<-- [start:{place}]", f"# --8<-- [end:{place}]"
    starts = [n for n, line in enumerate(lines) if line.strip() == start]
    if starts:
        stop = next(n for n in range(starts[0], len(lines)) if lines[n].strip() == end)
        return lines[starts[0] + 1 : stop]
    owner, name = place.split(".")
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.ClassDef) and node.name == owner:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == name:
                    return lines[item.lineno - 1 : item.end_lineno]
    raise LookupError(f"{path} has no snippet section or method {place!r}")


def quoted(row: Row) -> list[str]:
    """The source lines ``row`` quotes, without indentation or trailing comments."""
    found = []
    for needle in row.needles:
        matches = [line.strip() for line in place_lines(row.path, row.place) if needle in line]
        if not matches:
            raise LookupError(
                f"the symbol table quotes {needle!r} from {row.path} ({row.place}), "
                "which is no longer there: update docs/hooks/symbol_table.py"
            )
        found.append(matches[0].split("  #")[0])
    return found


def _code(text: str) -> str:
    # A table cell: | would end the cell, so it is escaped.
    return "`" + text.replace("|", "\\|") + "`"


def table() -> str:
    """The table's Markdown."""
    out = [
        "| symbol | held in | computed by |",
        "| --- | --- | --- |",
    ]
    for row in ROWS:
        lines = "<br>".join(_code(line) for line in quoted(row))
        where = f"<small>{html.escape(row.where)}</small>"
        out.append(f"| \\({row.symbol}\\) | {row.variable} | {where}<br>{lines} |")
    return "\n".join(out)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker with the table."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, f'<div class="lk-symbols" markdown>\n\n{table()}\n\n</div>')
