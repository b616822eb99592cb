"""Every optimizer of this package passes layerkit's conformance kit, as any plugin's should."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import layerkit as lk
import layerkit_optimizers
from layerkit.registry import reset_plugin_manager
from layerkit.testing import optimizer_checks, registered_checks
from layerkit_optimizers import Adagrad, Adam, AdamW, RMSprop

FACTORIES = {
    "Adam": Adam,
    "Adam(amsgrad=True, weight_decay=0.1)": lambda: Adam(amsgrad=True, weight_decay=0.1),
    "AdamW": AdamW,
    "AdamW(amsgrad=True)": lambda: AdamW(amsgrad=True),
    "RMSprop": RMSprop,
    "RMSprop(centered=True, momentum=0.9)": lambda: RMSprop(centered=True, momentum=0.9),
    "RMSprop(weight_decay=0.1)": lambda: RMSprop(weight_decay=0.1),
    "Adagrad": Adagrad,
    "Adagrad(lr_decay=0.1, initial_accumulator_value=0.1)": lambda: Adagrad(
        lr_decay=0.1, initial_accumulator_value=0.1
    ),
}
CHECKS = [check for label, make in FACTORIES.items() for check in optimizer_checks(make, label)]


@pytest.fixture
def registered() -> Iterator[None]:
    """Load this plugin as if installed: through the plugin manager, by its hook."""
    reset_plugin_manager()
    manager = lk.plugin_manager()
    if not manager.is_registered(layerkit_optimizers):  # not installed: register it here
        manager.register(layerkit_optimizers, name="optimizers")
    yield
    reset_plugin_manager()


@pytest.mark.parametrize("check", CHECKS, ids=[check.id for check in CHECKS])
def test_conformance(check):
    check()


def test_registered_checks_include_this_plugin(registered):
    components = {check.component for check in registered_checks()}
    assert {f"optimizer {name!r}" for name in ("adam", "adamw", "rmsprop", "adagrad")} <= components
