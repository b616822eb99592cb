"""SGD's PyTorch options (dampening, weight_decay, nesterov) against torch.optim.SGD's
documented algorithm, written out literally, over 150 steps; and what did not change."""

from __future__ import annotations

import re

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import ConfigurationError

STEPS = 150
SHAPES = [(7, 5), (5,), (3, 4, 2)]


def sgd_reference(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False):  # fmt: skip
    """torch.optim.SGD's pseudo-code, line by line, allocating freely."""
    b = None
    for t, g in enumerate(grads, start=1):
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            if t > 1:
                b = momentum * b + (1 - dampening) * g
            else:
                b = g
            if nesterov:
                g = g + momentum * b
            else:
                g = b
        theta = theta - lr * g
    return theta, b


OPTIONS = [
    {},
    {"momentum": 0.9},
    {"momentum": 0.9, "dampening": 0.5},
    {"momentum": 0.5, "dampening": 1.0},
    {"weight_decay": 0.1},
    {"momentum": 0.9, "weight_decay": 0.05},
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.7, "nesterov": True, "weight_decay": 0.1},
]


def gradients(shape, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * np.exp(rng.uniform(-3, 1)) for _ in range(STEPS)]


def assert_agrees(actual, expected):
    scale = float(np.max(np.abs(expected)))
    floor = np.maximum(np.abs(expected), 1e-3 * scale)
    assert float(np.max(np.abs(actual - expected) / floor)) <= 1e-12


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_step_follows_the_documented_algorithm(options):
    optimizer = lk.SGD(0.01, **options)
    starts = [np.random.default_rng(i).standard_normal(shape) for i, shape in enumerate(SHAPES)]
    grads = [gradients(shape, 10 + i) for i, shape in enumerate(SHAPES)]
    values = [start.copy() for start in starts]
    for step in range(STEPS):
        optimizer.step(
            [lk.Parameter(f"p{i}", v, grads[i][step].copy()) for i, v in enumerate(values)]
        )
    for i, (start, value) in enumerate(zip(starts, values, strict=True)):
        expected, buffer = sgd_reference(start, grads[i], 0.01, **options)
        assert_agrees(value, expected)
        if buffer is None:
            assert "momentum_buffer" not in optimizer.state_of(value)
        else:
            assert_agrees(optimizer.state_of(value)["momentum_buffer"], buffer)


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("path", ["overwrite_grad", "update_product"])
def test_the_fused_paths_follow_it_too(options, path):
    optimizer = lk.SGD(0.01, **options)
    rng = np.random.default_rng(3)
    start = rng.standard_normal((6, 4))
    factors = [(rng.standard_normal((6, 9)), rng.standard_normal((9, 4))) for _ in range(STEPS)]
    value = start.copy()
    for left, right in factors:
        if path == "update_product":
            optimizer.update_product(value, left, right)
        else:
            optimizer.update(value, left @ right, overwrite_grad=True)
    expected = sgd_reference(start, [left @ right for left, right in factors], 0.01, **options)
    assert_agrees(value, expected[0])


def test_the_reference_is_not_vacuous():
    start, grads = np.ones(5), gradients((5,), 1)
    results = [sgd_reference(start, grads, 0.01, **options)[0] for options in OPTIONS]
    for i, first in enumerate(results):
        for second in results[i + 1 :]:
            assert not np.allclose(first, second)


def test_plain_sgd_keeps_scaling_the_smaller_factor():
    """w ← w − xᵀ(ηδ): with the defaults, the fused path never forms η ∂L/∂w."""
    calls = []

    class Spy(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            calls.append((ufunc.__name__, [np.shape(x) for x in inputs]))
            plain = [x.view(np.ndarray) if isinstance(x, Spy) else x for x in inputs]
            return getattr(ufunc, method)(*plain, **kwargs)

    value = np.zeros((50, 3))
    left, right = np.ones((50, 2)).view(Spy), np.ones((2, 3)).view(Spy)
    lk.SGD(0.1).update_product(value, left, right)
    assert ("multiply", [(), (2, 3)]) in calls


@pytest.mark.parametrize(
    ("options", "config"),
    [
        ({}, {"momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}),
        (
            {"momentum": 0.9, "dampening": 0, "weight_decay": 1, "nesterov": True},
            {"momentum": 0.9, "dampening": 0.0, "weight_decay": 1.0, "nesterov": True},
        ),
    ],
)
def test_config_and_repr_carry_every_option(options, config):
    sgd = lk.SGD(0.5, **options)
    assert sgd.config() == {"lr": 0.5, **config}
    assert repr(sgd) == "SGD(" + ", ".join(f"{k}={v!r}" for k, v in sgd.config().items()) + ")"
    assert repr(lk.SGD(0.1)) == (
        "SGD(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)"
    )
    assert lk.SGD(**sgd.config()).config() == sgd.config()
    assert lk.optimizer("sgd", **sgd.config()).config() == sgd.config()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"nesterov": True}, "SGD with nesterov=True needs momentum > 0 and dampening = 0"),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "got momentum=0.9, dampening=0.1"),
        ({"nesterov": 1}, "SGD expects nesterov to be True or False, got nesterov=1"),
        ({"dampening": -0.1}, "SGD expects dampening in [0, 1], got dampening=-0.1"),
        ({"dampening": 1.5}, "dampening=1.5"),
        ({"dampening": float("nan")}, "dampening=nan"),
        ({"weight_decay": -1}, "SGD expects a finite, non-negative weight_decay"),
        ({"weight_decay": float("inf")}, "weight_decay=inf"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        lk.SGD(0.1, **options)


def test_nesterov_looks_ahead():
    """On the first step b = g, so nesterov steps by η(g + μg) and plain momentum by ηg."""
    plain, nesterov = np.zeros(2), np.zeros(2)
    lk.SGD(0.1, momentum=0.5).update(plain, np.array([1.0, -2.0]))
    lk.SGD(0.1, momentum=0.5, nesterov=True).update(nesterov, np.array([1.0, -2.0]))
    np.testing.assert_allclose(plain, [-0.1, 0.2])
    np.testing.assert_allclose(nesterov, [-0.15, 0.3])


def test_agrees_with_torch_optim_sgd_when_importable():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal((7, 5)), gradients((7, 5), 1)
    for options in OPTIONS:
        ours, value = lk.SGD(0.01, **options), start.copy()
        theirs = torch.nn.Parameter(torch.tensor(start))
        reference = torch.optim.SGD([theirs], lr=0.01, foreach=False, **options)
        for grad in grads:
            ours.update(value, grad)
            theirs.grad = torch.tensor(grad)
            reference.step()
        np.testing.assert_allclose(value, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
