"""docs/reference/initializers.md and metrics.md document every built-in initializer and
metric (a section with its formula, class, aliases and options), and their math renders."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from docs_support import assert_math_rendered, reference_sections, run_chromium

import layerkit as lk

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference"
LISTINGS = {"initializers": lk.initializers, "metrics": lk.metrics}  # page: registry listing


def builtin(kind_components: dict[str, lk.Component]) -> dict[type, list[str]]:
    """The built-in classes, each with its names in registration order (the first is its own)."""
    names: dict[type, list[str]] = {}
    for name, component in kind_components.items():
        if component.plugin == "layerkit":
            names.setdefault(component.cls, []).append(name)
    return names


BUILTINS = [
    (page, cls, names)
    for page, listing in LISTINGS.items()
    for cls, names in builtin(listing()).items()
]


@pytest.mark.parametrize(
    ("page", "cls", "names"), BUILTINS, ids=[f"{page}-{names[0]}" for page, _, names in BUILTINS]
)
def test_each_builtin_component_has_a_section(page, cls, names):
    section = reference_sections(REFERENCE / f"{page}.md").get(names[0])
    assert section is not None, f"no section ## `{names[0]}`"
    assert section.count("$$") >= 2, f"the {names[0]} section shows no formula"
    assert f"::: layerkit.{cls.__name__}\n" in section
    for alias in names[1:]:
        assert f"`{alias}`" in section, f"the {names[0]} section does not name {alias}"
    options = [name for name in inspect.signature(cls).parameters if name != "self"]
    assert all(f"`{option}`" in section for option in options), options


@pytest.mark.browser
@pytest.mark.parametrize("page", LISTINGS)
def test_the_formulas_render(page: str, chromium: Path, site_url: str) -> None:
    dom = run_chromium(chromium, "--dump-dom", site_url + f"reference/{page}/").stdout
    assert assert_math_rendered(dom, f"reference/{page}/") >= 20
