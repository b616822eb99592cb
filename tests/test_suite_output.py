"""The test run's own habits: quiet output, artefacts outside the tree, the site built once.

- the docs' code examples print nothing to the terminal when they pass, and their output is
  shown when they fail, like any test's (``conftest.py`` keeps pytest's capture on for them);
- screenshots and other artefacts go to ``$LAYERKIT_ARTIFACTS`` or pytest's temporary folder;
- a site that ``make docs`` built strictly after its sources last changed is reused; a stale
  one, or one whose strict build failed, is not.

The first two run pytest on a small temporary project that holds copies of ``conftest.py``
and ``docs_support.py``, so they test those files as the suite loads them. They carry no
guarantee marker: docs/guarantees.md makes promises about layerkit, not about its test run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docs_support import REPO_ROOT, fresh_site

TESTS = REPO_ROOT / "tests"
PASSING = """\
# An example

```python
print("PASSING-EXAMPLE-SAYS-HELLO")
```
"""
FAILING = """\
# A broken example

```python
print("FAILING-EXAMPLE-SAYS-WHY")
assert 1 + 1 == 3
```
"""


def run_pytest(root: Path, *arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in a copy of the suite's set-up at ``root`` (``root/tests/conftest.py``)."""
    (root / "tests").mkdir(parents=True, exist_ok=True)
    for name in ("conftest.py", "docs_support.py"):
        shutil.copy(TESTS / name, root / "tests" / name)
    # Without the hypothesis and layerkit plugins, which these runs do not use, it starts in 0.2 s.
    options = "-p no:cacheprovider -p no:hypothesispytest -p no:layerkit --markdown-docs"
    options += " --markdown-docs-syntax=superfences"
    (root / "pytest.ini").write_text(f"[pytest]\naddopts = {options}\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", *arguments],
        cwd=root,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_passing_docs_example_prints_nothing(tmp_path: Path) -> None:
    (tmp_path / "example.md").write_text(PASSING)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    result = run_pytest(tmp_path, "example.md", "tests")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert "PASSING-EXAMPLE-SAYS-HELLO" not in result.stdout + result.stderr


def test_a_failing_docs_example_shows_what_it_printed(tmp_path: Path) -> None:
    (tmp_path / "example.md").write_text(PASSING + "\n" + FAILING)
    result = run_pytest(tmp_path, "example.md", "tests")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PASSING-EXAMPLE-SAYS-HELLO" not in result.stdout
    captured = result.stdout.split("Captured stdout call", 1)
    assert len(captured) == 2 and "FAILING-EXAMPLE-SAYS-WHY" in captured[1], result.stdout


def test_capture_can_still_be_switched_off(tmp_path: Path) -> None:
    (tmp_path / "example.md").write_text(PASSING)
    result = run_pytest(tmp_path, "-s", "example.md", "tests")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSING-EXAMPLE-SAYS-HELLO" in result.stdout


def test_artifacts_go_outside_the_working_tree(artifacts: Path) -> None:
    if os.environ.get("LAYERKIT_ARTIFACTS"):
        pytest.skip("LAYERKIT_ARTIFACTS chooses the folder")
    assert not artifacts.resolve().is_relative_to(REPO_ROOT)
    assert artifacts.is_dir()


def test_artifacts_go_where_the_environment_says(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_where.py").write_text(
        "def test_where(artifacts):\n    (artifacts / 'shot.png').write_bytes(b'png')\n"
    )
    result = run_pytest(tmp_path, "tests", LAYERKIT_ARTIFACTS=str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "shot.png").read_bytes() == b"png"


def test_an_artifacts_path_that_is_a_file_fails_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_where.py").write_text("def test_where(artifacts):\n    pass\n")
    (tmp_path / "a-file").write_text("")
    result = run_pytest(tmp_path, "tests", LAYERKIT_ARTIFACTS=str(tmp_path / "a-file"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "LAYERKIT_ARTIFACTS=" in result.stdout and "is not a folder" in result.stdout
    assert "Traceback" not in result.stdout


def test_the_site_make_docs_built_is_used_by_the_tests(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    built = tmp_path / "built"
    built.mkdir()
    (built / "sitemap.xml").write_text("<urlset/>\n")
    (built / ".built-strictly").touch()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_site.py").write_text(
        "import os\nfrom pathlib import Path\n\n"
        "def test_site(site):\n    assert site == Path(os.environ['LAYERKIT_SITE'])\n"
    )
    result = run_pytest(tmp_path, "tests", LAYERKIT_SITE=str(built))
    assert result.returncode == 0, result.stdout + result.stderr


def sources(root: Path, *, built_at: float) -> Path:
    """A repository at ``root`` whose sources date from 100 s before ``built_at``; its site."""
    for relative in ("mkdocs.yml", "docs/index.md", "layerkit/dense.py", "plugins/p/src/m.py"):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
        os.utime(path, (built_at - 100, built_at - 100))
    site = root / "site"
    site.mkdir()
    (site / "sitemap.xml").write_text("<urlset/>\n")
    os.utime(site / "sitemap.xml", (built_at, built_at))
    (site / ".built-strictly").touch()
    return site


@pytest.mark.parametrize(
    "changed", ["mkdocs.yml", "docs/index.md", "layerkit/dense.py", "plugins/p/src/m.py"]
)
def test_a_site_older_than_a_source_is_not_reused(tmp_path: Path, changed: str) -> None:
    site = sources(tmp_path, built_at=1_000_000)
    assert fresh_site(site, tmp_path)
    os.utime(tmp_path / changed, (1_000_050, 1_000_050))
    assert not fresh_site(site, tmp_path)


def test_caches_do_not_make_a_site_stale(tmp_path: Path) -> None:
    site = sources(tmp_path, built_at=1_000_000)
    for cache in ("layerkit/__pycache__/dense.cpython-311.pyc", "docs/.cache/x"):
        (tmp_path / cache).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / cache).write_text("new")
    assert fresh_site(site, tmp_path)


def test_a_site_whose_strict_build_failed_is_not_reused(tmp_path: Path) -> None:
    site = sources(tmp_path, built_at=1_000_000)
    (site / ".built-strictly").unlink()  # make docs removes it before building
    assert not fresh_site(site, tmp_path)


def test_a_folder_that_is_no_built_site_is_not_used(tmp_path: Path) -> None:
    sources(tmp_path, built_at=1_000_000)
    assert not fresh_site(tmp_path / "missing", tmp_path)
    assert not fresh_site(tmp_path / "docs", tmp_path)
