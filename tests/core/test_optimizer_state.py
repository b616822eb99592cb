"""The per-parameter state every optimizer keeps: state_of, reset, state_dict, load_state_dict."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import ConfigurationError


def stepped(momentum: float = 0.9, steps: int = 3, seed: int = 0) -> tuple[lk.Dense, lk.SGD]:
    """A Dense layer after ``steps`` SGD-with-momentum steps on fixed random gradients."""
    layer = lk.Dense(3, 2, seed=seed)
    optimizer = lk.SGD(lr=0.1, momentum=momentum)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        layer.forward(rng.normal(size=(4, 3)))
        layer.backward(rng.normal(size=(4, 2)))
        optimizer.step(layer)
    return layer, optimizer


def test_state_of_is_one_dict_per_parameter_array():
    optimizer = lk.SGD(lr=0.1)
    a, b = np.zeros(2), np.zeros(2)
    assert optimizer.state_of(a) is optimizer.state_of(a)
    assert optimizer.state_of(a) is not optimizer.state_of(b)
    optimizer.state_of(a)["x"] = np.ones(2)
    optimizer.reset()
    assert optimizer.state_of(a) == {}


def test_state_dict_names_each_parameter_and_copies():
    layer, optimizer = stepped()
    state = optimizer.state_dict(layer)
    assert set(state) == {"W", "b"}
    assert set(state["W"]) == {"momentum_buffer"}
    state["W"]["momentum_buffer"][...] = 0.0  # a copy: the optimizer's own is untouched
    assert np.any(optimizer.state_dict(layer)["W"]["momentum_buffer"] != 0.0)


def test_plain_sgd_keeps_no_state():
    layer, optimizer = stepped(momentum=0.0)
    assert optimizer.state_dict(layer) == {}


def test_load_state_dict_continues_exactly():
    """Two steps, save the state, load it into a fresh SGD: the next steps are bit-identical."""
    layer, optimizer = stepped(steps=2)
    copy = lk.Dense(3, 2, W=layer.W, b=layer.b)
    resumed = lk.SGD(lr=0.1, momentum=0.9)
    resumed.load_state_dict(copy, optimizer.state_dict(layer))
    rng = np.random.default_rng(7)
    for _ in range(3):
        x, grad = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
        for net, opt in ((layer, optimizer), (copy, resumed)):
            net.forward(x)
            net.backward(grad)
            opt.step(net)
    np.testing.assert_array_equal(copy.W, layer.W)
    np.testing.assert_array_equal(copy.b, layer.b)


def test_load_state_dict_without_it_differs():
    """The control for the test above: a fresh optimizer without the state takes other steps."""
    layer, optimizer = stepped(steps=2)
    copy = lk.Dense(3, 2, W=layer.W, b=layer.b)
    fresh = lk.SGD(lr=0.1, momentum=0.9)
    x, grad = np.ones((4, 3)), np.ones((4, 2))
    for net, opt in ((layer, optimizer), (copy, fresh)):
        net.forward(x)
        net.backward(grad)
        opt.step(net)
    assert not np.array_equal(copy.W, layer.W)


def test_loaded_state_takes_the_parameters_dtype():
    layer, optimizer = stepped()
    single = lk.Dense(3, 2, W=layer.W.astype(np.float32), b=layer.b.astype(np.float32))
    resumed = lk.SGD(lr=0.1, momentum=0.9)
    resumed.load_state_dict(single, optimizer.state_dict(layer))
    assert resumed.state_of(single.W)["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"V": {"momentum_buffer": np.zeros((3, 2))}}, "parameter 'V': the model has 'W', 'b'"),
        ({"W": {"momentum_buffer": np.zeros((2, 3))}}, r"shape \(2, 3\), the parameter \(3, 2\)"),
        ({"W": {"momentum_buffer": "abc"}}, "expected numbers, got array\\('abc'"),
        ({"W": {"momentum_buffer": [[1, 2], [3]]}}, "'momentum_buffer' of parameter 'W'"),
        ({"W": {"momentum_buffer": np.full((3, 2), np.nan)}}, "NaN or infinity"),
        ({"W": 5}, "state of parameter 'W': expected a dict of arrays, got 5"),
        ([("W", {})], "expects a dict from state_dict"),
        ({"W": {"momentum_buffer": None}}, "expected numbers, got array\\(None"),
    ],
)
def test_load_state_dict_refuses_what_does_not_fit_and_changes_nothing(state, message):
    layer, optimizer = stepped()
    before = optimizer.state_dict(layer)
    with pytest.raises(ConfigurationError, match=message):
        optimizer.load_state_dict(layer, state)
    after = optimizer.state_dict(layer)
    np.testing.assert_array_equal(after["W"]["momentum_buffer"], before["W"]["momentum_buffer"])


def test_config_rebuilds_the_optimizer_by_name():
    optimizer = lk.SGD(lr=0.25, momentum=0.5)
    rebuilt = lk.optimizer("sgd", **optimizer.config())
    assert rebuilt.config() == optimizer.config()
