"""The Guarantees page and the tests that hold it name the same promises.

docs/guarantees.md has one section per promise, each saying which marker its tests carry
(``guarantee("files")``); every test that holds a promise is marked
``@pytest.mark.guarantee(name)``. This test fails when a promise on the page has no test, or a
test names a promise the page does not make.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGE = REPO_ROOT / "docs" / "guarantees.md"
TEST_ROOTS = [REPO_ROOT / "tests", *sorted((REPO_ROOT / "plugins").glob("*/tests"))]
MARKER = re.compile(r"""guarantee\(\s*["']([a-z-]+)["']\s*\)""")


def _promised() -> set[str]:
    """The promise names the page's sections declare (``Held by tests marked guarantee(...)``)."""
    lines = [line for line in PAGE.read_text().splitlines() if line.startswith("Held by the tests")]
    return {name for line in lines for name in MARKER.findall(line)}


def _tested() -> dict[str, list[str]]:
    """Promise name → the test files whose markers name it."""
    found: dict[str, list[str]] = {}
    for root in TEST_ROOTS:
        for path in sorted(root.rglob("test_*.py")):
            if path == Path(__file__).resolve():
                continue
            for name in set(MARKER.findall(path.read_text(encoding="utf-8"))):
                found.setdefault(name, []).append(str(path.relative_to(REPO_ROOT)))
    return found


def test_the_page_declares_its_promises() -> None:
    assert len(_promised()) >= 6, f"{PAGE} declares too few promises: {sorted(_promised())}"


@pytest.mark.parametrize("name", sorted(_promised()))
def test_every_promise_on_the_page_is_held_by_tests(name: str) -> None:
    assert name in _tested(), f"docs/guarantees.md promises {name!r}, but no test is marked so"


def test_every_marked_promise_is_on_the_page() -> None:
    unknown = {name: files for name, files in _tested().items() if name not in _promised()}
    assert not unknown, f"tests name promises that docs/guarantees.md does not make: {unknown}"
