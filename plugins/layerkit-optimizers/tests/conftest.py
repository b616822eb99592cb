"""The optimizers plugin registered for a test, whether or not the package is installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import layerkit as lk
import layerkit_optimizers
from layerkit.registry import reset_plugin_manager


@pytest.fixture
def registered() -> Iterator[None]:
    """Load layerkit-optimizers as if installed: through the plugin manager, by its hook."""
    reset_plugin_manager()
    manager = lk.plugin_manager()
    if not manager.is_registered(layerkit_optimizers):  # not installed: register it here
        manager.register(layerkit_optimizers, name="optimizers")
    yield
    reset_plugin_manager()
