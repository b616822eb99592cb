"""MkDocs hook: a 404 page that is styled wherever the site is served from.

Material writes ``404.html`` with absolute URLs under ``site_url``'s path (``/layerkit/...``),
because a host serves that one file for every missing address, at any depth. Opened anywhere
else (``python -m http.server`` in another folder, ``file://``) the page loads no stylesheet.
After the build this hook makes every such URL relative to the site's root, where 404.html
lives, and adds two small scripts: the first, when the page is shown for another address
under ``site_url``'s path, sets ``<base href="/layerkit/">`` before anything loads, so the
relative URLs reach the root again; the second makes Material's configured base URL (which
it resolves against the address, not ``<base>``) the page's root, for search.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PAGE = "404.html"
CONFIG = re.compile(r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.S)

# Shown for a missing address under the site's path (not at .../404.html, not from a file):
# resolve the relative URLs against the site's root, as Material's absolute ones did.
BASE_SCRIPT = (
    "<script>(function(){{var root={root};if(location.protocol!=='file:'"
    "&&!/\\/404\\.html$/.test(location.pathname)&&location.pathname.indexOf(root)===0)"
    "{{var base=document.createElement('base');base.href=root;"
    "document.head.appendChild(base)}}}})()</script>"
)
# Material resolves its base URL against the address; make it the root the page loads from.
CONFIG_SCRIPT = (
    "<script>(function(c){var d=JSON.parse(c.textContent);"
    "d.base=new URL(d.base,document.baseURI).href;c.textContent=JSON.stringify(d)})"
    "(document.getElementById('__config'))</script>"
)


def relative(html: str, root: str) -> str:
    """Return the 404 page with its URLs under ``root`` relative to the site's root."""
    if not root.endswith("/"):
        root += "/"
    html = re.sub(
        rf'\b(href|src)="{re.escape(root)}([^"]*)"',
        lambda match: f'{match.group(1)}="{match.group(2) or "./"}"',
        html,
    )
    html = html.replace(f'new URL("{root}",location)', 'new URL(".",document.baseURI)')

    def config(match: re.Match[str]) -> str:
        settings = json.loads(match.group(2))
        for key, value in settings.items():
            if isinstance(value, str) and value.startswith(root):
                settings[key] = value[len(root) :] or "."
        return match.group(1) + json.dumps(settings) + match.group(3) + CONFIG_SCRIPT

    html, found = CONFIG.subn(config, html)
    if not found:
        raise ValueError(f"{PAGE} has no Material configuration script to rewrite")
    charset = re.search(r"<meta charset=[^>]*>", html)
    at = charset.end() if charset else html.index("<head>") + len("<head>")
    return html[:at] + BASE_SCRIPT.format(root=json.dumps(root)) + html[at:]


def on_post_build(config: Any, **kwargs: Any) -> None:
    """Rewrite the built 404 page's URLs (the site's other pages are relative already)."""
    page = Path(config.site_dir) / PAGE
    if page.is_file():
        root = urlsplit(config.site_url or "/").path or "/"
        page.write_text(relative(page.read_text(encoding="utf-8"), root), encoding="utf-8")
