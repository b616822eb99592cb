"""MkDocs hook: every tutorial as a script and as a Jupyter notebook, made from its page.

For each page under ``docs/tutorials/`` the build adds ``<page>.py`` and ``<page>.ipynb`` next
to it (``site/tutorials/xor.py``, ``site/tutorials/xor.ipynb``) and a line at the top of the
page linking them. Both hold the page's Python blocks in order, found by
`code_output.python_blocks`, so they run what the page's tests run. In the script the section
headings become ``# %%`` cell comments; in the notebook the prose becomes Markdown cells and
the blocks code cells without outputs (nbformat 4.5, written with ``json``). A ``notest`` block
is commented out in both. Every block runs in one namespace: a block that starts afresh on the
page (no ``continuation``) still runs after the others, which tests/test_docs_downloads.py
checks by running each script and notebook.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from code_output import FENCE, Block, python_blocks
from mkdocs.structure.files import File, Files, InclusionLevel

FOLDER = "tutorials/"
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*$", re.MULTILINE)
COMMENT = re.compile(r"^<!--.*?-->[ \t]*\n?", re.MULTILINE)
AUTOREF = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")  # [`lk.fit`][layerkit.fit]
LINK = re.compile(r"\]\((?!https?://|#)([^)\s]+?\.md)(#[^)\s]*)?\)")
INLINE_MATH = re.compile(r"\\\((.+?)\\\)")
NOT_RUN = "# Not run when the page is tested; remove the '# ' in front of each line to run it."


def _title(markdown: str) -> str:
    found = HEADING.search(markdown)
    return found.group(2) if found and found.group(1) == "#" else "layerkit tutorial"


def _code(block: Block) -> str:
    code = block.code.rstrip("\n")
    if not block.notest:
        return code
    return NOT_RUN + "\n" + "\n".join(f"# {line}" if line else "#" for line in code.split("\n"))


def _between(markdown: str, blocks: list[Block]) -> list[str]:
    """The Markdown before each block, between consecutive blocks, and after the last."""
    line_starts = [0] + [match.end() for match in re.finditer("\n", markdown)]
    starts = [line_starts[block.line - 1] for block in blocks] + [len(markdown)]
    ends = [0] + [block.end for block in blocks]
    return [markdown[end:start] for end, start in zip(ends, starts, strict=True)]


def _headings(prose: str) -> list[str]:
    """The section headings (level 2 and below) of some Markdown, fenced code left out."""
    text = FENCE.sub("", prose)
    return [match.group(2) for match in HEADING.finditer(text) if match.group(1) != "#"]


def script(markdown: str, page_url: str, source: str) -> str:
    """The page's Python blocks as one script, each after a ``# %%`` line naming its section."""
    blocks = python_blocks(markdown)
    parts = [
        f'"""{_title(markdown)}: a layerkit tutorial as a script.\n\n'
        f"The Python blocks of the page {page_url}\nin order, made from {source} when the "
        'site was built.\nRun it with "python" where layerkit is installed.\n"""'
    ]
    for prose, block in zip(_between(markdown, blocks), blocks, strict=False):
        headings = _headings(prose)
        parts.append(f"# %% {headings[-1]}" if headings else "# %%")
        parts.append(_code(block))
    return "\n\n".join(parts) + "\n"


def _page_url(page_src: str, site_url: str) -> str:
    path = page_src[: -len(".md")]
    path = path[: -len("index")] if path.endswith("index") else path + "/"
    return site_url + path.lstrip("/")


def _prose(markdown: str, page_src: str, site_url: str) -> str:
    """Page Markdown as a notebook shows it: site links absolute, math in dollars, no markers."""

    def marker(match: re.Match[str]) -> str:
        if match.group(0).startswith("<!-- output -->"):
            return ""  # the notebook prints it when run
        page = _page_url(page_src, site_url)
        return f"*(Here the page shows a figure drawn at build time: [see it]({page}).)*\n"

    def link(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page_src), match.group(1)))
        return f"]({_page_url(target, site_url)}{match.group(2) or ''})"

    text = COMMENT.sub(marker, markdown)
    text = AUTOREF.sub(r"\1", text)
    text = LINK.sub(link, text)
    return INLINE_MATH.sub(lambda match: f"${match.group(1).strip()}$", text).strip("\n")


def _cell(kind: str, number: int, text: str) -> dict[str, Any]:
    lines = text.split("\n")
    cell: dict[str, Any] = {
        "cell_type": kind,
        "id": f"{kind}-{number}",
        "metadata": {},
        "source": [line + "\n" for line in lines[:-1]] + [lines[-1]],
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(markdown: str, page_src: str, site_url: str) -> dict[str, Any]:
    """The page as an nbformat 4.5 notebook: Markdown cells for prose, code cells for blocks."""
    blocks = python_blocks(markdown)
    page_url = _page_url(page_src, site_url)
    cells = []
    for number, prose in enumerate(_between(markdown, blocks)):
        text = _prose(prose, page_src, site_url)
        if number == 0:
            title, _, rest = text.partition("\n")
            text = (
                f"{title}\n\n*The code of the page [{_title(markdown)}]({page_url}) of the "
                "layerkit documentation, made when the site was built. Run the cells in order."
                f"*\n{rest}"
            )
        if text.strip():
            cells.append(_cell("markdown", number, text))
        if number < len(blocks):
            cells.append(_cell("code", number, _code(blocks[number])))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _stem(src_uri: str) -> str:
    return posixpath.splitext(posixpath.basename(src_uri))[0]


def download_line(src_uri: str) -> str:
    """The Markdown of the page's download links (resolved by MkDocs, so checked by --strict)."""
    stem = _stem(src_uri)
    return (
        f'Download: [script]({stem}.py){{ download="{stem}.py" }} · '
        f'[notebook]({stem}.ipynb){{ download="{stem}.ipynb" }}\n{{ .lk-downloads }}'
    )


def _tutorial(src_uri: str) -> bool:
    return src_uri.startswith(FOLDER) and src_uri.endswith(".md")


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    """Add the script and notebook of every tutorial page to the site."""
    site_url = config.site_url or "/"
    for file in [file for file in files if _tutorial(file.src_uri)]:
        markdown = file.content_string
        base = posixpath.splitext(file.src_uri)[0]
        page_url = site_url + base + "/"
        made = {
            ".py": script(markdown, page_url, f"docs/{file.src_uri}"),
            ".ipynb": json.dumps(notebook(markdown, file.src_uri, site_url), indent=1) + "\n",
        }
        for suffix, content in made.items():
            files.append(
                File.generated(
                    config, base + suffix, content=content, inclusion=InclusionLevel.INCLUDED
                )
            )
    return files


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """Put the download line right under a tutorial's title."""
    if not _tutorial(page.file.src_uri):
        return markdown
    title = HEADING.search(markdown)
    at = title.end() if title and title.group(1) == "#" else 0
    return f"{markdown[:at]}\n\n{download_line(page.file.src_uri)}\n\n{markdown[at:].lstrip()}"
