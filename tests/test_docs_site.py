"""The documentation site builds strictly, loads nothing from other hosts, and renders its math.

The site is built once for this module with ``mkdocs build --strict``. The browser tests serve
it on 127.0.0.1 and open it in Debian's headless Chromium with every other host unresolvable,
so a page that needed a CDN would show unrendered math. They are marked ``browser``; without
Chromium they are skipped, except under CI, where a missing browser is a failure
(``scripts/install_chromium.sh`` installs it).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO_ROOT / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
SITE_HOST = "layerkit.github.io"  # site_url in mkdocs.yml: the site itself may be named
BACKPROPAGATION_PAGE = "math/backpropagation/"


def _running_under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site once for every test of this module and return its directory."""
    site_dir = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", site_dir],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return site_dir


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


# ---------------------------------------------------------------------------------------------
# In the browser


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 at a free port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found; run scripts/install_chromium.sh (as root)"
        if _running_under_ci():
            pytest.fail(message + " — CI must run the browser tests", pytrace=False)
        pytest.skip(message)
    return CHROMIUM


def _run_chromium(chromium: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a fresh profile and no host but 127.0.0.1 reachable."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        result = subprocess.run(
            [
                str(chromium),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=5000",
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert result.returncode == 0, f"chromium exited with {result.returncode}:\n{result.stderr}"
    return result


@pytest.mark.browser
def test_math_renders_offline_in_the_browser(chromium: Path, site_url: str) -> None:
    dom = _run_chromium(chromium, "--dump-dom", site_url + BACKPROPAGATION_PAGE).stdout
    assert_math_rendered(dom, BACKPROPAGATION_PAGE)


def assert_math_rendered(dom: str, page: str) -> int:
    """Check that KaTeX rendered every formula of a page's DOM; return how many there are."""
    formulas = dom.count('class="arithmatex"')
    rendered = len(re.findall(r'class="katex"', dom))
    assert formulas > 0, f"{page} has no math for KaTeX to render"
    assert rendered >= formulas, f"KaTeX rendered {rendered} of {formulas} formulas on {page}"
    # A formula KaTeX cannot parse becomes <span class="katex-error" title="the error">; an
    # unsupported command inside one that parses is drawn in errorColor (katex-init.js), which
    # its MathML copy records as mathcolor.
    errors = re.findall(r'class="katex-error"[^>]*title="([^"]*)"', dom)
    assert "katex-error" not in dom, f"KaTeX could not parse on {page}:\n" + "\n".join(errors)
    unsupported = re.findall(r'mathcolor="#cc0000"><mtext>([^<]*)<', dom)
    assert not unsupported, f"KaTeX does not support on {page}: {unsupported}"
    return formulas


@pytest.mark.browser
@pytest.mark.parametrize(
    ("page", "name"),
    [
        (BACKPROPAGATION_PAGE, "backpropagation"),
        ("math/worked-example/", "worked-example"),
        ("reference/layers/", "api-layers"),
    ],
)
def test_screenshot_of_the_page(chromium: Path, site_url: str, page: str, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    screenshot = SCREENSHOTS / f"{name}.png"
    screenshot.unlink(missing_ok=True)
    _run_chromium(
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
