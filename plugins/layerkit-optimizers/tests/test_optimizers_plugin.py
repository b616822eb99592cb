"""The hook, the constructor options, their errors, repr and config."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest

import layerkit as lk
import layerkit_optimizers
from layerkit.errors import ConfigurationError, UnknownComponentError
from layerkit.install_hints import FIRST_PARTY_PLUGINS
from layerkit.registry import AUTOLOAD_ENV, reset_plugin_manager
from layerkit_optimizers import Adagrad, Adam, AdamW, RMSprop, register_optimizers

EXPECTED = {"adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


@pytest.fixture
def registered() -> Iterator[None]:
    """Load this plugin as if installed: through the plugin manager, by its hook."""
    reset_plugin_manager()
    manager = lk.plugin_manager()
    if not manager.is_registered(layerkit_optimizers):  # not installed: register it here
        manager.register(layerkit_optimizers, name="optimizers")
    yield
    reset_plugin_manager()


def test_hook_registers_each_name_once():
    registered = []
    register_optimizers(lambda name, cls: registered.append((name, cls)))
    assert Counter(name for name, _ in registered) == Counter(EXPECTED.keys())
    assert dict(registered) == EXPECTED
    assert all(issubclass(cls, lk.Optimizer) for cls in EXPECTED.values())


def test_the_install_hint_table_names_what_the_hook_registers():
    assert set(FIRST_PARTY_PLUGINS["layerkit-optimizers"]["optimizer"]) == set(EXPECTED)


def test_found_by_name_through_the_plugin_manager(registered):
    assert {"sgd", *EXPECTED} <= set(lk.optimizers())
    adam = lk.optimizer("adam", lr=0.01, betas=[0.8, 0.9])  # a list, as JSON gives it back
    assert isinstance(adam, Adam) and adam.betas == (0.8, 0.9)
    assert lk.registry.registered_name(AdamW()) == "adamw"


def test_a_missing_optimizer_says_how_to_install_the_plugin(monkeypatch):
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    reset_plugin_manager()
    try:
        with pytest.raises(UnknownComponentError) as caught:
            lk.optimizer("adam")
    finally:
        reset_plugin_manager()
    message = str(caught.value)
    assert "no optimizer named 'adam'" in message
    assert "first-party plugin layerkit-optimizers" in message
    assert "-m pip install -e plugins/layerkit-optimizers" in message


@pytest.mark.parametrize(
    ("optimizer", "config", "text"),
    [
        (
            Adam(),
            {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False},
            "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False)",
        ),
        (
            AdamW(lr=1, amsgrad=True),
            {"lr": 1.0, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01, "amsgrad": True},
            "AdamW(lr=1.0, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=True)",
        ),
        (
            RMSprop(momentum=0.9, centered=True),
            {
                "lr": 0.01,
                "alpha": 0.99,
                "eps": 1e-8,
                "weight_decay": 0.0,
                "momentum": 0.9,
                "centered": True,
            },
            "RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.0, momentum=0.9, "
            "centered=True)",
        ),
        (
            Adagrad(lr_decay=0.1),
            {
                "lr": 0.01,
                "lr_decay": 0.1,
                "weight_decay": 0.0,
                "initial_accumulator_value": 0.0,
                "eps": 1e-10,
            },
            "Adagrad(lr=0.01, lr_decay=0.1, weight_decay=0.0, initial_accumulator_value=0.0, "
            "eps=1e-10)",
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, lk.Optimizer) else "",
)
def test_config_and_repr_carry_every_option(optimizer, config, text):
    assert optimizer.config() == config
    assert repr(optimizer) == text
    rebuilt = type(optimizer)(**optimizer.config())
    assert rebuilt.config() == config
    assert all(type(value) in (float, bool, tuple) for value in config.values())


def test_options_are_python_numbers_that_keep_float32():
    adam = Adam(lr=np.float32(0.5), betas=(np.float64(0.5), 0), eps=np.float32(1e-3))
    assert type(adam.lr) is float and all(type(beta) is float for beta in adam.betas)
    value = np.ones(3, np.float32)
    adam.update(value, np.ones(3, np.float32))
    assert value.dtype == np.float32


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Adam(lr=-1e-3), "Adam expects lr to be a finite number >= 0, got lr=-0.001"),
        (lambda: Adam(lr=math.inf), "lr=inf"),
        (lambda: Adam(lr=math.nan), "lr=nan"),
        (lambda: Adam(lr="0.1"), "lr='0.1'"),
        (lambda: Adam(lr=True), "lr=True"),
        (lambda: Adam(betas=(1.0, 0.999)), "betas[0] in [0, 1), got betas[0]=1.0"),
        (lambda: Adam(betas=(0.9, -0.1)), "betas[1] in [0, 1), got betas[1]=-0.1"),
        (lambda: Adam(betas=0.9), "betas to be a pair (β1, β2)"),
        (lambda: Adam(betas=(0.9, 0.99, 0.999)), "got betas=(0.9, 0.99, 0.999)"),
        (lambda: Adam(betas="ab"), "got betas='ab'"),
        (lambda: Adam(eps=0), "Adam expects eps to be a finite number > 0, got eps=0"),
        (lambda: Adam(weight_decay=-0.1), "weight_decay=-0.1"),
        (lambda: Adam(amsgrad="yes"), "Adam expects amsgrad to be True or False, got"),
        (lambda: AdamW(weight_decay=math.inf), "AdamW expects weight_decay"),
        (lambda: RMSprop(alpha=-0.5), "RMSprop expects alpha to be a finite number >= 0"),
        (lambda: RMSprop(momentum=-0.5), "RMSprop expects momentum"),
        (lambda: RMSprop(eps=-1e-8), "RMSprop expects eps to be a finite number > 0"),
        (lambda: RMSprop(centered=1), "RMSprop expects centered to be True or False"),
        (lambda: Adagrad(lr_decay=-1), "Adagrad expects lr_decay"),
        (lambda: Adagrad(initial_accumulator_value=-1), "initial_accumulator_value=-1"),
        (lambda: Adagrad(eps=math.nan), "Adagrad expects eps to be a finite number > 0"),
    ],
)
def test_bad_options_are_refused_naming_the_optimizer_and_value(build, match):
    with pytest.raises(ConfigurationError, match=re.escape(match)):
        build()


def test_a_bad_option_by_name_says_which_plugin_built_it(registered):
    with pytest.raises(ConfigurationError) as caught:
        lk.optimizer("adam", lr=-1)
    assert "while building optimizer 'adam'" in " ".join(caught.value.__notes__)
