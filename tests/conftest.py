"""Shared fixtures: the seed's 2-3-2 network with fixed weights, the XOR data set, the
documentation site (built at most once per session), served on 127.0.0.1 and opened in
Chromium, and a folder for test artefacts outside the working tree.

It also makes the output of the docs' code examples captured like any test's (shown only when
the example fails): pytest-markdown-docs 0.9.2 switches pytest's capture off while it runs a
fence (modal-labs/pytest-markdown-docs#54), so every ``print`` of the docs reached the terminal.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from docs_support import (
    ARTIFACTS_ENV,
    CHROMIUM,
    SITE_ENV,
    QuietHandler,
    build_site,
    fresh_site,
    running_under_ci,
)

import layerkit as lk


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep pytest's capture on while a Markdown code example runs.

    A conftest's collection hook sees every collected item, so this reaches the examples in
    docs/ and README.md too (when tests/ is collected, as ``make test`` and plain ``pytest`` do).
    """
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        return
    for item in items:
        if type(item).__name__ == "MarkdownInlinePythonItem":
            item.runtest = functools.partial(_run_captured, item.runtest, capture)


def _run_captured(runtest: Callable[[], None], capture: object) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(capture, "global_and_fixture_disabled", contextlib.nullcontext)
        runtest()


@pytest.fixture
def seed_weights() -> dict[str, np.ndarray]:
    """Fixed float64 weights of the seed's 2-3-2 network, named as in the derivation.

    ``w[i, j]`` connects input i to hidden unit j, ``u[j, k]`` hidden unit j to output k.
    """
    return {
        "w": np.array([[0.15, -0.25, 0.35], [0.45, 0.55, -0.65]]),
        "b1": np.array([0.10, -0.20, 0.30]),
        "u": np.array([[0.40, -0.50], [0.60, 0.70], [-0.80, 0.90]]),
        "b2": np.array([-0.10, 0.20]),
    }


@pytest.fixture
def seed_network(seed_weights: dict[str, np.ndarray]) -> lk.Sequential:
    """Dense 2→3, Sigmoid, Dense 3→2, Sigmoid, holding copies of ``seed_weights``."""
    return lk.Sequential(
        lk.Dense(2, 3, W=seed_weights["w"], b=seed_weights["b1"]),
        lk.Sigmoid(),
        lk.Dense(3, 2, W=seed_weights["u"], b=seed_weights["b2"]),
        lk.Sigmoid(),
    )


@pytest.fixture
def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR inputs and their targets, float64, shapes (4, 2) and (4, 1)."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = np.array([[0.0], [1.0], [1.0], [0.0]])
    return x, t


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built with ``mkdocs build --strict`` at most once per session.

    ``$LAYERKIT_SITE`` may name a site already built (``make test`` passes the one ``make docs``
    just built); it is used when ``make docs`` built it strictly after every file it is built
    from last changed (`docs_support.fresh_site`), and otherwise the site is built again here.
    """
    given = os.environ.get(SITE_ENV, "").strip()
    if given and fresh_site(Path(given)):
        return Path(given)
    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where tests write what a person may want to look at (screenshots): ``$LAYERKIT_ARTIFACTS``
    if set, else a folder of pytest's own temporary directory (it keeps the last three runs)."""
    given = os.environ.get(ARTIFACTS_ENV, "").strip()
    if not given:
        return tmp_path_factory.mktemp("artifacts")
    folder = Path(given).resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        pytest.fail(f"{ARTIFACTS_ENV}={given} is not a folder tests can write to: {error}", False)
    return folder


@pytest.fixture(scope="session")
def site_url(site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 at a free port; yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found; run scripts/install_chromium.sh (as root)"
        if running_under_ci():
            pytest.fail(message + " — CI must run the browser tests", pytrace=False)
        pytest.skip(message)
    return CHROMIUM
