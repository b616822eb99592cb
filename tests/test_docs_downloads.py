"""Every tutorial downloads as a script and as a notebook, made from its page by the
``downloads`` MkDocs hook, and both run.

- the script holds the page's Python blocks in order under ``# %%`` section lines, ``notest``
  blocks commented out; the notebook is nbformat 4.5 with Markdown cells for the prose (site
  links made absolute, no build markers) and code cells without outputs;
- each built tutorial page starts with a "Download: script · notebook" line whose links reach
  the two files;
- each script, run in a fresh interpreter in a temporary folder, and each notebook's code
  cells, run in order in one namespace, succeed and print exactly what the page shows.
"""

from __future__ import annotations

import concurrent.futures
import html
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import urljoin

import pytest
from docs_support import load_hook

TUTORIALS = sorted(
    (Path(__file__).resolve().parent.parent / "docs" / "tutorials").glob("*.md"),
)
SITE_URL = "https://layerkit.github.io/layerkit/"


def _hook() -> ModuleType:
    return load_hook("downloads")


PAGE = """\
# A page

Some prose with \\(\\delta\\), a [link](xor.md#the-data) and [`lk.fit`][layerkit.fit].

## First

```python
a = 2
print(a)
```

<!-- output -->

## Second

```{.python continuation}
print(a + 1)
```

```{.python notest}
raise SystemExit("never run")
```

<!-- loss-curve -->

```python
print("fresh")
```
"""


def test_script_has_the_blocks_in_order_under_their_sections_and_notest_commented_out() -> None:
    script = _hook().script(PAGE, SITE_URL + "tutorials/page/", "docs/tutorials/page.md")
    body = script.split('"""')[2]
    assert body.split("\n\n")[1:] == [
        "# %% First",
        "a = 2\nprint(a)",
        "# %% Second",
        "print(a + 1)",
        "# %%",
        _hook().NOT_RUN + '\n# raise SystemExit("never run")',
        "# %%",
        'print("fresh")\n',
    ]
    assert script.startswith('"""A page: a layerkit tutorial as a script.')
    assert SITE_URL + "tutorials/page/" in script


def test_notebook_is_nbformat_4_5_with_prose_and_code_cells() -> None:
    notebook = _hook().notebook(PAGE, "tutorials/page.md", SITE_URL)
    assert (notebook["nbformat"], notebook["nbformat_minor"]) == (4, 5)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    cells = notebook["cells"]
    kinds = [cell["cell_type"] for cell in cells]
    assert kinds == ["markdown", "code", "markdown", "code", "code", "markdown", "code"]
    ids = [cell["id"] for cell in cells]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cell_id) for cell_id in ids)
    for cell in cells:
        assert isinstance(cell["source"], list) and cell["metadata"] == {}
        assert all(line.endswith("\n") for line in cell["source"][:-1])
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
        else:
            assert set(cell) == {"cell_type", "id", "metadata", "source"}
    first = "".join(cells[0]["source"])
    assert first.startswith("# A page\n")
    assert "$\\delta$" in first and "\\(" not in first  # Jupyter's math delimiters
    assert f"[link]({SITE_URL}tutorials/xor/#the-data)" in first
    assert "lk.fit`" in first and "][layerkit.fit]" not in first
    prose = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    assert "<!--" not in prose and "see it" in prose  # the figure marker says where it is
    assert "".join(cells[4]["source"]).startswith(_hook().NOT_RUN)


def _built(site: Path, stem: str) -> str:
    return (site / "tutorials" / stem / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda path: path.stem)
def test_each_tutorial_page_starts_with_links_to_its_script_and_notebook(
    site: Path, page: Path
) -> None:
    html_text = _built(site, page.stem)
    article = html_text[html_text.index("<h1") :]
    first_paragraph = re.search(r"<p[ >].*?</p>", article, re.S)
    assert first_paragraph and 'class="lk-downloads"' in first_paragraph.group(0)
    line = re.sub(r"<[^>]+>", "", first_paragraph.group(0))
    assert line == "Download: script · notebook"
    links = re.findall(r'<a download="([^"]+)" href="([^"]+)"', first_paragraph.group(0))
    assert [name for name, _ in links] == [f"{page.stem}.py", f"{page.stem}.ipynb"]
    for _, href in links:
        target = urljoin(f"http://site/tutorials/{page.stem}/", href).removeprefix("http://site/")
        assert (site / target).is_file(), f"{page.stem}: the download {href} is not in the site"


def _page_outputs(site: Path, stem: str) -> str:
    """What the page shows its code printing: its Output blocks, one after the other."""
    blocks = re.findall(
        r'filename">Output</span>.*?<code>(.*?)</code>', _built(site, stem), re.DOTALL
    )
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", block)).strip() for block in blocks)


RUN_NOTEBOOK = """\
import json, sys
namespace = {"__name__": "__main__"}
cells = json.load(open(sys.argv[1], encoding="utf-8"))["cells"]
for number, cell in enumerate(cells):
    if cell["cell_type"] == "code":
        exec(compile("".join(cell["source"]), f"cell {number}", "exec"), namespace)
"""


def _run(arguments: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    """Run Python in a fresh interpreter in ``folder``, as a reader who downloaded the file."""
    folder.mkdir()
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=folder,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_every_script_and_notebook_runs_and_prints_what_its_page_shows(
    site: Path, tmp_path: Path
) -> None:
    runs = []
    for page in TUTORIALS:
        script = site / "tutorials" / f"{page.stem}.py"
        notebook = site / "tutorials" / f"{page.stem}.ipynb"
        runs.append((f"{script.name}", [str(script)], tmp_path / f"{page.stem}-script"))
        runs.append(
            (notebook.name, ["-c", RUN_NOTEBOOK, str(notebook)], tmp_path / f"{page.stem}-nb")
        )
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda run: _run(run[1], run[2]), runs))
    failed = [
        f"{name}:\n{result.stderr[-3000:]}"
        for (name, _, _), result in zip(runs, results, strict=True)
        if result.returncode != 0
    ]
    assert not failed, "downloads that fail:\n\n" + "\n\n".join(failed)
    for (name, _, folder), result in zip(runs, results, strict=True):
        expected = _page_outputs(site, name.rsplit(".", 1)[0])
        assert expected, f"{name}: its page shows no output to compare with"
        printed = "\n".join(line.rstrip() for line in result.stdout.strip().splitlines())
        shown = "\n".join(line.rstrip() for line in expected.splitlines())
        assert printed == shown, f"{name} prints other than its page shows"
        assert not list(folder.iterdir()), f"{name} wrote into the folder it ran in"
