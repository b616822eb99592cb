"""The hook, the constructor options and the errors a user can meet."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from layerkit import Activation, Layer
from layerkit.errors import BackwardBeforeForwardError, ConfigurationError, ShapeError
from layerkit_activations import (
    ELU,
    GELU,
    LeakyReLU,
    ReLU,
    Softmax,
    Softplus,
    Tanh,
    register_activations,
)

EXPECTED = {
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softplus": Softplus,
    "elu": ELU,
    "gelu": GELU,
    "softmax": Softmax,
}


def test_hook_registers_each_name_once():
    registered = []
    register_activations(lambda name, cls: registered.append((name, cls)))
    assert Counter(name for name, _ in registered) == Counter(EXPECTED.keys())
    assert dict(registered) == EXPECTED
    assert all(issubclass(cls, Layer) for _, cls in registered)


def test_elementwise_ones_are_activations():
    assert all(issubclass(cls, Activation) for cls in EXPECTED.values() if cls is not Softmax)


@pytest.mark.parametrize(
    ("activation", "config", "text"),
    [
        (Tanh(), {}, "Tanh()"),
        (ReLU(), {}, "ReLU()"),
        (LeakyReLU(), {"slope": 0.01}, "LeakyReLU(slope=0.01)"),
        (LeakyReLU(slope=1), {"slope": 1.0}, "LeakyReLU(slope=1.0)"),
        (Softplus(), {}, "Softplus()"),
        (ELU(alpha=0.5), {"alpha": 0.5}, "ELU(alpha=0.5)"),
        (GELU(), {}, "GELU()"),
        (Softmax(), {}, "Softmax()"),
    ],
    ids=repr,
)
def test_config_and_repr(activation, config, text):
    assert activation.config() == config
    assert repr(activation) == text
    assert type(activation)(**config).config() == config


@pytest.mark.parametrize("cls, option", [(LeakyReLU, "slope"), (ELU, "alpha")])
@pytest.mark.parametrize("value", [-0.1, math.nan, math.inf, "0.1", None, True])
def test_invalid_option_is_refused(cls, option, value):
    with pytest.raises(ConfigurationError, match=cls.__name__) as caught:
        cls(**{option: value})
    assert f"{option}={value!r}" in str(caught.value)


def test_options_accept_integers_and_zero():
    assert LeakyReLU(slope=0).slope == 0.0
    assert ELU(alpha=2).alpha == 2.0


def test_softmax_refuses_a_scalar():
    with pytest.raises(ShapeError, match=r"Softmax\(\) expects an input of shape"):
        Softmax()(np.float64(1.0))


@pytest.mark.parametrize("cls", EXPECTED.values())
def test_backward_before_forward(cls):
    with pytest.raises(BackwardBeforeForwardError, match=cls.__name__):
        cls().backward(np.ones(3))


@pytest.mark.parametrize("cls", EXPECTED.values())
def test_gradient_shape_is_checked(cls):
    activation = cls()
    activation(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"\(2, 3\)"):
        activation.backward(np.ones((3, 2)))
