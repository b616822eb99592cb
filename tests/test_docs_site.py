"""The documentation site builds strictly, loads nothing from other hosts, and renders its math.

The site is built once per test run with ``mkdocs build --strict`` (or is the one ``make docs``
just built, see ``conftest.py``). The browser tests serve it on 127.0.0.1 and open it in
Debian's headless Chromium with every other host unresolvable, so a page that needed a CDN
would show unrendered math. They are marked ``browser``; without
Chromium they are skipped, except under CI, where a missing browser is a failure
(``scripts/install_chromium.sh`` installs it). Screenshots go to the ``artifacts`` folder
(``$LAYERKIT_ARTIFACTS`` or pytest's temporary directory), never into the working tree.
"""

from __future__ import annotations

import concurrent.futures
import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from docs_support import assert_math_rendered, page_layout, run_chromium

SITE_HOST = "layerkit.github.io"  # site_url in mkdocs.yml: the site itself may be named
BACKPROPAGATION_PAGE = "math/backpropagation/"


class _AssetCollector(HTMLParser):
    """Collect the URLs a page loads by itself: scripts, stylesheets, images, frames, media."""

    LOADED = frozenset(
        {
            ("script", "src"),
            ("img", "src"),
            ("iframe", "src"),
            ("embed", "src"),
            ("source", "src"),
            ("audio", "src"),
            ("video", "src"),
            ("object", "data"),
            ("link", "href"),
        }
    )

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (tag, name) in self.LOADED:
                self.urls.append(value)
            if value and name == "srcset" and tag in ("img", "source"):
                self.urls.extend(part.split()[0] for part in value.split(",") if part.strip())


def _foreign_host(url: str) -> str | None:
    """Return the host of ``url`` if it is another site's, else None."""
    parts = urlsplit(urljoin("https://" + SITE_HOST + "/", url))
    host = parts.hostname or ""
    if parts.scheme in ("http", "https") and host not in (SITE_HOST, "127.0.0.1", "localhost"):
        return host
    return None


def test_site_pages_load_no_asset_from_another_host(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 9, f"expected every page of the nav to be built, got {pages}"
    foreign: list[str] = []
    for page in pages:
        collector = _AssetCollector()
        collector.feed(page.read_text(encoding="utf-8"))
        foreign += [
            f"{page.relative_to(site)}: {url}" for url in collector.urls if _foreign_host(url)
        ]
    for stylesheet in sorted(site.rglob("*.css")):
        text = stylesheet.read_text(encoding="utf-8")
        for url in re.findall(r"""(?:url\(|@import\s+)\s*["']?([^"')\s;]+)""", text):
            if _foreign_host(url):
                foreign.append(f"{stylesheet.relative_to(site)}: {url}")
    assert not foreign, "assets loaded from another host:\n" + "\n".join(foreign)


def test_math_page_quotes_the_library_and_links_the_reference(site: Path) -> None:
    html = (site / BACKPROPAGATION_PAGE / "index.html").read_text(encoding="utf-8")
    assert html.count('class="arithmatex"') >= 20
    quoted = re.findall(r'<span class="filename">layerkit/([a-z0-9_]+\.py)', html)
    assert {"sigmoid.py", "l2loss.py", "dense.py", "sequential.py", "optim.py"} <= set(quoted)
    # A snippet line that pymdownx.snippets did not expand (a formatter that rewrote
    # `--8<--` as `--8 < --`, say) reaches the page as text instead of failing the build.
    text = re.sub(r"<[^>]+>", "", html)
    assert "--8" not in text, "a --8<-- snippet line was not expanded"
    assert "reversed(self.layers)" in text, "Sequential.backward is not quoted"
    assert 'href="../../reference/"' in html


def test_home_page_says_how_to_serve_a_built_copy(site: Path) -> None:
    """Search never starts on pages opened from disk, so the home page says how to serve them."""
    text = re.sub(r"<[^>]+>", "", (site / "index.html").read_text(encoding="utf-8"))
    assert "file://" in text
    assert "python -m http.server -d site" in text


def test_search_finds_the_words_of_a_formula(site: Path) -> None:
    """Search splits LaTeX into its words, so "delta" finds the derivation's \\delta formulas."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    separator = re.compile(index["config"]["separator"])
    assert "delta" in separator.split(r"\delta_j^{(2)}")
    pages = {
        doc["location"].split("#")[0]
        for doc in index["docs"]
        if "delta" in {word.lower() for word in separator.split(doc["text"])}
    }
    assert BACKPROPAGATION_PAGE in pages, f"'delta' finds only {sorted(pages)}"


# ---------------------------------------------------------------------------------------------
# In the browser


@pytest.mark.browser
def test_math_renders_offline_in_the_browser(chromium: Path, site_url: str) -> None:
    dom = run_chromium(chromium, "--dump-dom", site_url + BACKPROPAGATION_PAGE).stdout
    assert_math_rendered(dom, BACKPROPAGATION_PAGE)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("page", "name"),
    [
        (BACKPROPAGATION_PAGE, "backpropagation"),
        ("math/worked-example/", "worked-example"),
        ("reference/layers/", "api-layers"),
    ],
)
def test_screenshot_of_the_page(
    chromium: Path, site_url: str, artifacts: Path, page: str, name: str
) -> None:
    screenshot = artifacts / f"{name}.png"
    screenshot.unlink(missing_ok=True)
    run_chromium(
        chromium,
        f"--screenshot={screenshot}",
        "--window-size=1280,2000",
        "--hide-scrollbars",
        site_url + page,
    )
    assert screenshot.exists(), f"chromium wrote no screenshot at {screenshot}"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # A blank 1280×2000 page compresses to a few kilobytes; a page of text and math does not.
    assert screenshot.stat().st_size > 50_000, f"{screenshot} looks blank"


PHONE_WIDTH = 390  # CSS pixels: a common phone held upright
MATH_PAGES = [BACKPROPAGATION_PAGE, "math/worked-example/"]


@pytest.mark.browser
@pytest.mark.parametrize("page", MATH_PAGES)
def test_no_equation_is_cut_off_on_a_phone(chromium: Path, site: Path, page: str) -> None:
    """At 390 px an equation wider than the screen scrolls inside its own box; none is clipped.

    The page itself must not scroll sideways (that would hide the text's right edge too), each
    display box must lie inside the viewport, and a display whose formula is wider than its box
    must be a horizontal scroll container. No display may clip its formula's top or bottom.
    """
    layout = page_layout(chromium, site, page, PHONE_WIDTH)
    viewport = layout["viewport"]
    assert viewport == PHONE_WIDTH, f"the probe measured a {viewport} px viewport"
    assert layout["page"] <= viewport, f"{page} scrolls sideways at {viewport} px"
    equations = layout["equations"]
    assert len(equations) >= 15, f"found only {len(equations)} displayed equations on {page}"
    wide = [eq for eq in equations if eq["width"] > eq["shown"]]
    assert wide, f"no equation on {page} is wider than a phone: the check below checks nothing"
    hidden = [
        eq["formula"]
        for eq in equations
        if (eq["width"] > eq["shown"] and not eq["scrolls"])
        or eq["left"] < -0.5
        or eq["right"] > viewport + 0.5
        or eq["height"] > eq["shownHeight"] + 1
    ]
    assert not hidden, f"{len(hidden)} equations on {page} are cut off at {viewport} px:\n" + (
        "\n".join(hidden)
    )


DESKTOP_WIDTH = 1280


@pytest.mark.browser
def test_derivation_code_does_not_scroll_sideways_on_a_desktop(chromium: Path, site: Path) -> None:
    """At 1280 px every code block of the derivation shows its whole width (quoted code wraps)."""
    layout = page_layout(chromium, site, BACKPROPAGATION_PAGE, DESKTOP_WIDTH)
    assert layout["viewport"] == DESKTOP_WIDTH, f"the probe measured {layout['viewport']} px"
    blocks = layout["code"]
    assert len(blocks) >= 8, f"found only {len(blocks)} code blocks on {BACKPROPAGATION_PAGE}"
    hidden = [
        f"{block['text']} ({block['width']} > {block['shown']} px)"
        for block in blocks
        if block["width"] > block["shown"]
    ]
    assert not hidden, f"{len(hidden)} code blocks scroll sideways at {DESKTOP_WIDTH} px:\n" + (
        "\n".join(hidden)
    )


# The pale fill of a hidden unit in layerkit.draw's network pictures (#bee3f8).
_HIDDEN_FILL = (190, 227, 248)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("page", "height"), [(BACKPROPAGATION_PAGE, 1600), ("math/worked-example/", 2600)]
)
def test_network_figure_is_visible_in_both_themes(
    chromium: Path, site_url: str, artifacts: Path, page: str, height: int, scheme: str
) -> None:
    """The drawn network shows its units and readable weight labels on either background.

    The screenshot is read pixel by pixel: the hidden units' fill locates the figure; between
    the input and the hidden column, where only lines and the w labels are drawn, the labels
    must stand out from the page (dark on the light scheme, light on the dark one), and on
    the dark scheme the figure must not bring a white background of its own.
    """
    import numpy as np
    from PIL import Image

    name = f"figure-{page.strip('/').replace('/', '-')}-{scheme}.png"
    screenshot = artifacts / name
    screenshot.unlink(missing_ok=True)
    options = ["--blink-settings=preferredColorScheme=0"] if scheme == "dark" else []
    run_chromium(
        chromium,
        *options,
        f"--screenshot={screenshot}",
        f"--window-size=1280,{height}",
        "--hide-scrollbars",
        site_url + page,
    )
    pixels = np.asarray(Image.open(screenshot).convert("RGB")).astype(int)
    ys, xs = np.nonzero(np.abs(pixels - _HIDDEN_FILL).sum(axis=-1) < 6)
    assert len(xs) > 1000, f"no hidden units of the network figure on {page} ({scheme})"
    column = np.abs(xs - np.median(xs)) < 30  # the circles, not a line's stray pixel
    xs, ys = xs[column], ys[column]
    centre, radius = (xs.min() + xs.max()) / 2, (xs.max() - xs.min()) / 2
    scale = radius / 19  # draw's unit radius, in SVG units
    left = int(centre - 170 * scale + radius + 4)  # right of the input column (170 apart)
    right = int(centre - radius - 4)  # left of the hidden column
    band = pixels[ys.min() : ys.max() + 1, left:right].reshape(-1, 3)
    assert len(band) > 5000, f"no room between the input and hidden columns on {page}"
    luminance = band @ np.array([0.3, 0.59, 0.11])
    background = pixels[-5, 5]  # a corner of the page below the navigation
    if scheme == "dark":
        assert background.sum() < 200, f"{page} did not switch to the dark scheme"
        white = int((band.min(axis=1) > 240).sum())
        assert white < 0.02 * len(band), f"the figure on {page} is a white box on the dark theme"
        ink = int((luminance > 150).sum())
    else:
        assert background.sum() > 700, f"{page} is not in the light scheme"
        ink = int((luminance < 110).sum())
    assert ink > 150, f"the weight labels on {page} do not stand out ({scheme}: {ink} pixels)"


# --------------------------------------------------------- reference examples, as copied
REFERENCE_DOCS = Path(__file__).resolve().parent.parent / "docs" / "reference"
REFERENCE_PAGES = sorted(
    f"reference/{page.stem}/" if page.stem != "index" else "reference/"
    for page in REFERENCE_DOCS.glob("*.md")
)


def copied_examples(dom: str) -> list[str]:
    """What the copy button of each interactive (``>>>``) example on a page copies.

    That is the code's ``data-copy`` attribute in the live DOM, which
    docs/javascripts/copy-without-prompts.js sets (Material copies it instead of the text).
    """
    return [html.unescape(text) for text in re.findall(r'<code data-copy="([^"]*)"', dom)]


def python_fences(page: str) -> list[str]:
    """The ```` ```python ```` blocks of a reference page's Markdown: copied as they are."""
    name = page.rstrip("/").split("/")[-1]
    source = REFERENCE_DOCS / f"{'index' if name == 'reference' else name}.md"
    return re.findall(r"^```python\n(.*?)^```", source.read_text(encoding="utf-8"), re.M | re.S)


def run_fresh(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new Python interpreter, as a reader who pasted it would."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.browser
def test_every_reference_example_runs_as_copied(chromium: Path, site_url: str) -> None:
    examples: dict[str, list[str]] = {}
    for page in REFERENCE_PAGES:
        dom = run_chromium(chromium, "--dump-dom", site_url + page).stdout
        assert ">>> " not in "".join(re.findall(r'data-copy="([^"]*)"', dom)), page
        examples[page] = copied_examples(dom) + python_fences(page)
    runs = [(page, code) for page, codes in examples.items() for code in codes]
    assert len(runs) >= 30, f"found only {len(runs)} reference examples"
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda run: run_fresh(run[1]), runs))
    failed = [
        f"{page}:\n{code}\n{result.stderr.strip().splitlines()[-1]}"
        for (page, code), result in zip(runs, results, strict=True)
        if result.returncode != 0
    ]
    assert not failed, f"{len(failed)} of {len(runs)} examples fail when copied:\n\n" + (
        "\n\n".join(failed)
    )
