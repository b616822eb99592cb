"""MkDocs hook: what a tutorial's code prints, and the pictures it describes, made at build time.

A page marks the code blocks whose output it shows with ``<!-- output -->`` on its own line
after the block. When a page has such a marker, this hook runs the page's Python blocks in
order, as pytest-markdown-docs does when it tests them (a block marked ``continuation`` shares
the names of the blocks before it, any other starts afresh, ``notest`` blocks are skipped),
and replaces each marker with what the block above it printed. The output is the library's own,
so it cannot drift from the code; a block that raises fails the build.

``<!-- decision-boundary MODEL X LABELS -->`` after a block draws, with
`layerkit.plotting.plot_decision_boundary`, the decision regions of the model named ``MODEL``
over the points ``X`` coloured by ``LABELS``, all taken from the names the page's code has
defined at that point, and inlines the PNG as a data URI (no file, nothing fetched). The PNG has
no background of its own and grey text, so it reads on the light and the dark scheme alike.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layerkit.plotting import plot_decision_boundary

OUTPUT = "<!-- output -->"
BOUNDARY = re.compile(r"<!-- decision-boundary (\w+) (\w+) (\w+) -->")
MARKER = re.compile(r"^(<!-- output -->|<!-- decision-boundary \w+ \w+ \w+ -->)$", re.MULTILINE)
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<code>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    """One fenced Python block of a page: its code, where it ends, and how it runs."""

    code: str
    line: int  # of the opening fence, counting from 1
    end: int  # offset just after the closing fence
    continuation: bool
    notest: bool


def python_blocks(markdown: str) -> list[Block]:
    """The page's fenced Python blocks, in order (```python or ```{.python ...})."""
    blocks = []
    for match in FENCE.finditer(markdown):
        info = match["info"].strip()
        words = info.strip("{}").replace(".", " ").split()
        if not words or words[0] != "python":
            continue
        blocks.append(
            Block(
                match["code"],
                markdown.count("\n", 0, match.start()) + 1,
                match.end(),
                "continuation" in words[1:],
                "notest" in words[1:],
            )
        )
    return blocks


def _fenced_output(text: str) -> str:
    if not text.strip():
        raise ValueError("a block marked <!-- output --> printed nothing")
    return f'```text title="Output"\n{text.rstrip()}\n```'


# The picture sits on the light or the dark scheme's background: drawn on none of its own, with
# text and axes in a grey that reads on both (contrast about 4:1 on white and on slate); the
# regions' translucent fills take the page's colour, pale on white and deep on slate.
ON_ANY_BACKGROUND = {
    "savefig.transparent": True,
    **{
        key: "#7b818c"
        for key in ("text.color", "axes.labelcolor", "axes.edgecolor", "xtick.color", "ytick.color")
    },
}


def _boundary_figure(namespace: dict[str, Any], match: re.Match[str]) -> str:
    import matplotlib

    model, x, labels = (namespace[name] for name in match.groups())
    with tempfile.TemporaryDirectory() as folder, matplotlib.rc_context(ON_ANY_BACKGROUND):
        path = plot_decision_boundary(
            model, x, Path(folder) / "boundary.png", labels=labels, resolution=160
        )
        data = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = (
        f"Decision regions of {match[1]}: the class it predicts at every point of the plane, "
        f"with the points of {match[2]} drawn in the colour of their true class"
    )
    return (
        '<figure class="lk-figure lk-boundary">\n'
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">\n'
        "<figcaption>Drawn by <code>lk.plotting.plot_decision_boundary</code> from the network "
        "trained by the code above, while this site was built.</figcaption>\n</figure>"
    )


def render(markdown: str, page: str = "<page>") -> str:
    """Return the page with every marker replaced by its block's output or figure.

    Raises ``ValueError`` for a marker that does not follow a Python block; an error raised by
    a block names ``page`` and the block's line in its traceback.
    """
    markers = list(MARKER.finditer(markdown))
    if not markers:
        return markdown
    blocks = python_blocks(markdown)
    replacements: list[tuple[int, int, str]] = []
    namespace: dict[str, Any] = {}
    position = 0  # index of the next block to run
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        for marker in markers:
            before = [b for b in blocks if b.end <= marker.start()]
            between = MARKER.sub("", markdown[before[-1].end : marker.start()]) if before else "x"
            if between.strip():
                line = markdown.count("\n", 0, marker.start()) + 1
                raise ValueError(f"{page}, line {line}: {marker[0]} must follow a Python block")
            printed = ""
            for block in blocks[position : len(before)]:
                if block.notest:
                    continue
                if not block.continuation:
                    namespace = {"__name__": "__main__"}
                stdout = io.StringIO()
                with contextlib.redirect_stdout(stdout):
                    code = compile(block.code, f"{page}, block at line {block.line}", "exec")
                    exec(code, namespace)
                printed = stdout.getvalue()
            position = len(before)
            if marker[0] == OUTPUT:
                text = _fenced_output(printed)
            else:
                text = _boundary_figure(namespace, BOUNDARY.fullmatch(marker[0]))
            replacements.append((marker.start(), marker.end(), text))
    for start, end, text in reversed(replacements):
        markdown = markdown[:start] + text + markdown[end:]
    return markdown


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """Replace the page's output and decision-boundary markers."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    return render(markdown, page.file.src_path)
