"""docs/reference/initializers.md documents every built-in initializer, and its math renders."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from docs_support import assert_math_rendered, reference_sections, run_chromium

import layerkit as lk

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "initializers.md"


def builtin(kind_components: dict[str, lk.Component]) -> dict[type, list[str]]:
    """The built-in classes, each with its names in registration order (the first is its own)."""
    names: dict[type, list[str]] = {}
    for name, component in kind_components.items():
        if component.plugin == "layerkit":
            names.setdefault(component.cls, []).append(name)
    return names


@pytest.mark.parametrize(
    ("cls", "names"), builtin(lk.initializers()).items(), ids=lambda value: str(value)
)
def test_each_builtin_initializer_has_a_section(cls, names):
    section = reference_sections(PAGE).get(names[0])
    assert section is not None, f"no section ## `{names[0]}`"
    assert section.count("$$") >= 2, f"the {names[0]} section shows no formula"
    assert f"::: layerkit.{cls.__name__}\n" in section
    for alias in names[1:]:
        assert f"`{alias}`" in section, f"the {names[0]} section does not name {alias}"
    options = [name for name in inspect.signature(cls).parameters if name != "self"]
    assert all(f"`{option}`" in section for option in options), options


@pytest.mark.browser
def test_the_formulas_render(chromium: Path, site_url: str) -> None:
    dom = run_chromium(chromium, "--dump-dom", site_url + "reference/initializers/").stdout
    assert assert_math_rendered(dom, "reference/initializers/") >= 20
