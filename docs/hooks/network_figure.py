"""MkDocs hook: the derivation's picture of the 2-3-2 network, drawn by layerkit.

``docs/math/backpropagation.md`` holds the marker ``<!-- network-figure -->``; this hook
replaces it with the SVG that `layerkit.draw.draw` makes of the derivation's network, every
unit, weight and bias labelled in the page's notation (xᵢ, hⱼ, yₖ, wᵢⱼ, uⱼₖ, b⁽¹⁾ⱼ, b⁽²⁾ₖ,
and the targets tₖ). Drawn while the site builds, the figure shows what ``layerkit draw``
draws today. Its colours come from the theme (``docs/stylesheets/extra.css``), so it reads in
the light and the dark scheme alike.
"""

from __future__ import annotations

import re
from typing import Any

from layerkit.draw import draw

MARKER = "<!-- network-figure -->"

CAPTION = (
    "The 2-3-2 network of this page, drawn by <code>layerkit draw</code>: inputs "
    "x<sub>i</sub>, hidden units h<sub>j</sub>, outputs y<sub>k</sub> compared with the "
    "targets t<sub>k</sub>; w<sub>ij</sub> connects input i to hidden unit j, "
    "u<sub>jk</sub> hidden unit j to output k, and each unit adds its bias b."
)


# draw leaves room on the left for wider headers than this network's; the page crops it so
# that on a phone the labels shrink less. tests/test_docs_content.py checks that everything
# drawn stays inside.
CROP_LEFT = 60
CROP_RIGHT = 30


def crop(svg: str, left: float = CROP_LEFT, right: float = CROP_RIGHT) -> str:
    """Trim ``left`` and ``right`` user units from the drawing's sides (its viewBox)."""
    found = re.search(r'width="(\d+)" height="(\d+)" viewBox="0 0 \d+ \d+"', svg)
    if found is None:
        raise ValueError("the network drawing has no width, height and viewBox to crop")
    width, height = int(found.group(1)) - left - right, int(found.group(2))
    box = f'width="{width:g}" height="{height}" viewBox="{left:g} 0 {width:g} {height}"'
    return svg.replace(found.group(0), box, 1)


def figure() -> str:
    """The figure's HTML: the SVG of the labelled network and its caption."""
    svg = crop(draw([2, 3, 2], labels=True, biases=True, targets=True))
    return (
        f'<figure class="network-figure" markdown="0">\n{svg.strip()}\n'
        f"<figcaption>{CAPTION}</figcaption>\n</figure>"
    )


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker with the figure."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, figure())
