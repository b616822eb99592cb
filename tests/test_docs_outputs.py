"""The tutorials show what their code prints, made by the ``code_output`` MkDocs hook.

- the hook runs a page's Python blocks as pytest-markdown-docs does (``continuation`` shares
  names, any other block starts afresh) and puts each marked block's output below it;
- a misplaced marker, or a marked block that prints nothing, fails the build;
- every tutorial block that prints is marked, and the built pages carry the outputs and the
  classifier's decision-boundary picture.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from types import ModuleType

import pytest
from docs_support import load_hook

DOCS = Path(__file__).resolve().parent.parent / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))


def _hook() -> ModuleType:
    return load_hook("code_output")


PAGE = """\
```python
a = 2
print(a + 1)
```

<!-- output -->

```{.python continuation}
print(a * 10)
```

<!-- output -->

```python
print("a" in dir())
```

<!-- output -->
"""


def test_marked_blocks_show_their_own_output_with_continuation_as_pytest_runs_it() -> None:
    page = _hook().render(PAGE)
    outputs = re.findall(r'```text title="Output"\n(.*?)\n```', page, re.DOTALL)
    assert outputs == ["3", "20", "False"]  # the third block starts with fresh names
    assert "<!-- output -->" not in page


def test_a_marker_without_a_block_above_fails_the_build() -> None:
    with pytest.raises(ValueError, match="<page>, line 3: <!-- output --> must follow a Python"):
        _hook().render("Some text.\n\n<!-- output -->\n")
    with pytest.raises(ValueError, match="must follow"):
        _hook().render("```python\nprint(1)\n```\n\nA paragraph between.\n\n<!-- output -->\n")


def test_a_marked_block_that_prints_nothing_fails_the_build() -> None:
    with pytest.raises(ValueError, match="printed nothing"):
        _hook().render("```python\nx = 1\n```\n\n<!-- output -->\n")


def test_a_failing_block_fails_the_build() -> None:
    with pytest.raises(ZeroDivisionError):
        _hook().render("```python\nprint(1 / 0)\n```\n\n<!-- output -->\n")


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda path: path.stem)
def test_every_tutorial_block_that_prints_shows_its_output(page: Path) -> None:
    hook = _hook()
    markdown = page.read_text(encoding="utf-8")
    for block in hook.python_blocks(markdown):
        if block.notest or "print(" not in block.code:
            continue
        following = markdown[block.end :].lstrip()
        assert following.startswith(hook.OUTPUT), f"{page.name}: no output shown for\n{block.code}"


def _built(site: Path, name: str) -> str:
    return (site / "tutorials" / name / "index.html").read_text(encoding="utf-8")


def test_built_tutorials_show_the_outputs(site: Path) -> None:
    for page in TUTORIALS:
        html = _built(site, page.stem)
        assert "<!-- output -->" not in html and "decision-boundary" not in html.split("<figure")[0]
        assert html.count('<span class="filename">Output</span>') == page.read_text().count(
            _hook().OUTPUT
        )
    outputs = _output_texts(_built(site, "classifier"))
    assert outputs[0] == "(300, 2) (300,) [100 100 100]"  # what the comment in the code says
    assert outputs[2].splitlines()[0] == "CrossEntropy(from_logits=True, reduction='mean')"
    assert outputs[4].startswith("training accuracy ") and "test accuracy     " in outputs[4]


def _output_texts(page_html: str) -> list[str]:
    """The text of each Output block of a built page, as a reader sees it."""
    blocks = re.findall(r'filename">Output</span>.*?<code>(.*?)</code>', page_html, re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", block)).strip() for block in blocks]


def test_built_classifier_shows_the_decision_boundary_picture(site: Path) -> None:
    html = _built(site, "classifier")
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 1
    png = base64.b64decode(images[0])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000  # a drawn figure, not a blank
    # No background of its own, so that it is no white box on the dark scheme.
    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("RGBA")
    assert picture.getpixel((0, 0))[3] == 0 and picture.getpixel((picture.width - 1, 0))[3] == 0
