"""Helpers for the tests of the documentation site: build it, serve it, open it in Chromium.

The fixtures built on them (``site``, ``site_url``, ``chromium``, ``artifacts``) live in
``conftest.py`` and are session-scoped, so the site is built at most once per test run: not at
all when ``$LAYERKIT_SITE`` names a site built after every file it is made from changed (``make
test`` builds ``site/`` once with ``make docs`` and passes it so).
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SITE_ENV = "LAYERKIT_SITE"
STRICT_MARKER = ".built-strictly"
ARTIFACTS_ENV = "LAYERKIT_ARTIFACTS"
# What the site is made from: the pages and hooks, the code they quote and document (snippets
# may quote any file under the repository root), and the configuration.
SITE_SOURCES = (
    "mkdocs.yml",
    "pyproject.toml",
    "README.md",
    "docs",
    "layerkit",
    "plugins",
    "benchmarks",
)


def load_hook(name: str) -> ModuleType:
    """Import ``docs/hooks/<name>.py``, the module MkDocs runs as a hook (once per session)."""
    module_name = f"_layerkit_docs_hook_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(
        module_name, REPO_ROOT / "docs" / "hooks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while building
    # As MkDocs does, a hook may import the hooks beside it while it loads.
    sys.path.insert(0, str(REPO_ROOT / "docs" / "hooks"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REPO_ROOT / "docs" / "hooks"))
    return module


def running_under_ci() -> bool:
    """Whether CI runs the tests (there a missing browser is a failure, not a skip)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def build_site(site_dir: Path) -> Path:
    """Build the site strictly into ``site_dir`` and return it."""
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


def newest_source_time(root: Path = REPO_ROOT) -> float:
    """The latest modification time of a file the site is built from (caches left out)."""
    newest = 0.0
    for name in SITE_SOURCES:
        top = root / name
        paths = [top] if top.is_file() else top.rglob("*")
        for path in paths:
            parts = path.relative_to(root).parts
            if any(part.startswith(".") or part == "__pycache__" for part in parts):
                continue
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def fresh_site(site_dir: Path, root: Path = REPO_ROOT) -> bool:
    """Whether ``site_dir`` holds a site built strictly after every file it is built from.

    ``make docs`` touches ``.built-strictly`` after a strict build succeeded (mkdocs keeps
    hidden files, so the Makefile removes it before each build).
    """
    built = site_dir / "sitemap.xml"  # written after mkdocs read the sources, before the pages
    return (
        (site_dir / STRICT_MARKER).is_file()
        and built.is_file()
        and built.stat().st_mtime >= newest_source_time(root)
    )


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def run_chromium(chromium: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
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


# What a reader at a given window width sees of a page's equations and code blocks. The page is
# opened in a same-origin iframe of that width inside a small probe page, whose script measures
# the page's layout once it has rendered and writes the result into its own DOM for --dump-dom.
_LAYOUT_PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="page" src="/{page}" style="width:{width}px;height:900px;border:0"></iframe>
<pre id="layout"></pre>
<script>
function scrollsSideways(view, element) {{
  var overflow = view.getComputedStyle(element).overflowX;
  return overflow === "auto" || overflow === "scroll";
}}
document.getElementById("page").addEventListener("load", function () {{
  setTimeout(function () {{
    var view = document.getElementById("page").contentWindow, doc = view.document;
    var layout = {{viewport: doc.documentElement.clientWidth,
                  page: doc.documentElement.scrollWidth, equations: [], code: []}};
    doc.querySelectorAll(".katex-display").forEach(function (display) {{
      var box = display.getBoundingClientRect();
      layout.equations.push({{
        formula: (display.querySelector("annotation") || display).textContent.slice(0, 60),
        width: display.scrollWidth, shown: display.clientWidth,
        height: display.scrollHeight, shownHeight: display.clientHeight,
        left: box.left, right: box.right, scrolls: scrollsSideways(view, display)}});
    }});
    doc.querySelectorAll("pre > code").forEach(function (code) {{
      layout.code.push({{text: code.textContent.split("\\n")[0].slice(0, 60),
                        width: code.scrollWidth, shown: code.clientWidth}});
    }});
    document.getElementById("layout").textContent = "LAYOUT" + JSON.stringify(layout) + "END";
  }}, 1000);
}});
</script></body></html>"""


def page_layout(chromium: Path, site: Path, page: str, width: int) -> dict[str, Any]:
    """Measure ``page`` of the built ``site`` in a ``width`` px wide window (scrollbars hidden).

    Returns the viewport and page widths and, for each KaTeX display and each code block, how
    wide its content is (``width``) and how much of it its box shows (``shown``), in CSS pixels.
    """
    probe = _LAYOUT_PROBE.format(page=page, width=width).encode()

    class ProbeHandler(QuietHandler):
        def do_GET(self) -> None:
            if self.path != "/__layout_probe__.html":
                super().do_GET()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(probe)))
            self.end_headers()
            self.wfile.write(probe)

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(ProbeHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/__layout_probe__.html"
        dom = run_chromium(
            chromium, f"--window-size={width},1200", "--hide-scrollbars", "--dump-dom", url
        ).stdout
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    found = re.search(r"LAYOUT(.*?)END", dom, re.S)
    assert found, f"the layout probe measured nothing on {page}:\n{dom[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def reference_sections(page: Path) -> dict[str, str]:
    """Each ``## `name` `` section of a reference page, by name (up to the next ``## ``)."""
    parts = re.split(r"^## `(\w+)`\n", page.read_text(encoding="utf-8"), flags=re.M)
    return {
        name: body.split("\n## ", 1)[0] for name, body in zip(parts[1::2], parts[2::2], strict=True)
    }
