"""The 404 page is styled wherever the site is served from (the ``not_found_page`` hook).

- its stylesheets, scripts and links are relative to the site's root and reach files of the
  site; nothing points under ``site_url``'s path (``/layerkit/``) any more;
- in Chromium, the page opened at ``/elsewhere/404.html``, from ``file://``, and shown by a
  host (as GitHub Pages does) for a missing address deep under ``/layerkit/`` has Material's
  header, coloured as on the home page, and its links lead to pages of the site.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from urllib.parse import urljoin, urlsplit

import pytest
from cdp_browser import Page, open_browser
from docs_support import QuietHandler, load_hook

ROOT = "/layerkit/"  # the path of site_url in mkdocs.yml


def _hook() -> ModuleType:
    return load_hook("not_found_page")


SAMPLE = """<html><head><meta charset="utf-8">
<link rel="stylesheet" href="/layerkit/assets/main.css">
<script>__md_scope=new URL("/layerkit/",location)</script></head><body>
<a href="/layerkit/.">home</a> <a href="/layerkit/cli/">cli</a> <a href="https://x.org/layerkit/">x</a>
<script id="__config" type="application/json">{"base": "/layerkit/", "search": "/layerkit/s.js"}
</script>
<script src="/layerkit/assets/bundle.js"></script></body></html>"""


def test_urls_under_the_site_path_become_relative_to_the_root() -> None:
    page = _hook().relative(SAMPLE, ROOT)
    assert 'href="assets/main.css"' in page and 'src="assets/bundle.js"' in page
    assert 'href="./."' not in page and 'href="."' in page and 'href="cli/"' in page
    assert 'href="https://x.org/layerkit/"' in page  # another site's address stays
    assert '{"base": ".", "search": "s.js"}</script>' in page
    assert 'new URL(".",document.baseURI)' in page
    # The <base> script comes first, before anything is loaded; the base fix after the config.
    assert page.index("document.createElement('base')") < page.index("main.css")
    assert page.index('id="__config"') < page.index("d.base=new URL") < page.index("bundle.js")


def test_built_404_page_loads_everything_relative_to_the_root(site: Path) -> None:
    page = (site / "404.html").read_text(encoding="utf-8")
    urls = re.findall(r'\b(?:href|src)="([^"]*)"', page)
    assert not [url for url in urls if url.startswith(ROOT)], "absolute URLs left in 404.html"
    local = [url for url in urls if not urlsplit(url).scheme and not url.startswith("#")]
    assets = [url for url in local if re.search(r"\.(css|js|png|svg|ico)$", url)]
    assert {url.rsplit(".", 1)[1] for url in assets} >= {"css", "js"}, assets
    missing = []
    for url in local:
        assert not url.startswith("/"), f"{url} is absolute"
        target = site / urljoin("http://site/", url).removeprefix("http://site/")
        if not (target.is_file() or (target / "index.html").is_file()):
            missing.append(url)
    assert not missing, f"404.html points at files the site does not have: {missing}"


# ---------------------------------------------------------------------------------------------
# In the browser


class _Host(QuietHandler):
    """Serve the site under ``prefix``; a missing address gets 404.html, as GitHub Pages does."""

    def __init__(self, *args: object, prefix: str, **kwargs: object) -> None:
        self.prefix = prefix
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "no such file")
        return super().translate_path("/" + path[len(self.prefix) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def _serve(site: Path, prefix: str) -> Iterator[str]:
    """Serve ``site`` at ``prefix`` on 127.0.0.1; yield the URL of that prefix."""
    handler = functools.partial(_Host, directory=str(site), prefix=prefix)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


HEADER = "getComputedStyle(document.querySelector('.md-header')).backgroundColor"


def _look(page: Page, url: str) -> dict[str, object]:
    page.goto(url)
    return page.evaluate(
        "({header: " + HEADER + ", font: getComputedStyle(document.body).fontSize,"
        " styles: document.styleSheets.length,"
        " home: document.querySelector('.md-header__button.md-logo').href,"
        " reference: document.querySelector('a.md-nav__link[href$=\"reference/layers/\"]').href})"
    )


@pytest.mark.browser
def test_404_page_is_styled_from_a_sub_path_from_a_file_and_as_the_hosts_error_page(
    chromium: Path, site: Path
) -> None:
    with (
        _serve(site, "/elsewhere/") as elsewhere,
        _serve(site, ROOT) as host,
        open_browser(chromium) as browser,
    ):
        page = browser.page()
        home = _look(page, host)  # an ordinary page: what styled looks like
        assert home["header"] not in ("", "rgba(0, 0, 0, 0)"), f"home page unstyled: {home}"
        seen = {
            "sub-path": (_look(page, elsewhere + "404.html"), elsewhere),
            "file": (_look(page, (site / "404.html").as_uri()), site.as_uri() + "/"),
            "host's error page": (_look(page, host + "no/such/page/"), host),
        }
    for name, (look, root) in seen.items():
        assert look["header"] == home["header"], f"404 page unstyled ({name}): {look}"
        assert look["font"] == home["font"] and look["styles"] == home["styles"], (name, look)
        assert look["home"] in (root, root + "."), f"{name}: the logo links to {look['home']}"
        assert look["reference"] == root + "reference/layers/", (name, look)
