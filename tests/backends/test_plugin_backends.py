"""The first-party plugins on other array libraries: array-api-strict and PyTorch (CPU).

Every activation, loss and optimizer of layerkit-activations, layerkit-losses and
layerkit-optimizers runs twice on the same numbers, once on NumPy (the reference, checked
against closed forms in the plugins' own tests) and once on the other library; the results
must be arrays of that library agreeing within the dtype's rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from layerkit.errors import NamespaceError, NonFiniteError, TargetError
from layerkit.layer import Parameter
from layerkit.namespaces import library_of, namespace, to_numpy
from layerkit_activations import ELU, GELU, LeakyReLU, ReLU, Softmax, Softplus, Tanh
from layerkit_losses import BinaryCrossEntropy, CrossEntropy, HuberLoss, L1Loss
from layerkit_optimizers import Adagrad, Adam, AdamW, RMSprop

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-6}
RNG = np.random.default_rng(17)
X = RNG.standard_normal((5, 4)) * 3
G = RNG.standard_normal((5, 4))
Z = RNG.standard_normal((5, 3)) * 2
P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
ONE_HOT = np.eye(3)[[0, 2, 1, 1, 0]]
LABELS = np.array([0, 2, 1, 1, 0])
SOFT = RNG.uniform(0.0, 1.0, (5, 3))


@pytest.fixture(params=["array_api_strict", "torch"])
def backend(request: pytest.FixtureRequest) -> str:
    pytest.importorskip(request.param)
    return request.param


def on(backend: str, array: np.ndarray):
    return namespace(backend).asarray(np.array(array, copy=True))


def close(got, expected, backend: str, dtype) -> None:
    assert library_of(got) == backend
    np.testing.assert_allclose(
        to_numpy(got), expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype]
    )


ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": lambda: LeakyReLU(0.1),
    "leaky_relu_steep": lambda: LeakyReLU(2.0),
    "tanh": Tanh,
    "softplus": Softplus,
    "elu": ELU,
    "elu_alpha_2": lambda: ELU(2.0),
    "gelu": GELU,
    "softmax": Softmax,
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_forward_backward_match_numpy(backend, name, dtype):
    factory = ACTIVATIONS[name]
    x, g = X.astype(dtype), G.astype(dtype)
    reference = factory()
    y, dx = reference.forward(x), reference.backward(g)
    layer = factory()
    close(layer.forward(on(backend, x)), y, backend, dtype)
    close(layer.backward(on(backend, g)), dx, backend, dtype)


def test_gelu_saturates_on_other_libraries_too(backend):
    """Beyond ±30 the cube is never formed: y = x (or −0) and y' = 1 (or 0), up to ±1e308."""
    gelu = GELU()
    y = gelu.forward(on(backend, np.array([-1e308, -40.0, 40.0, 1e308])))
    np.testing.assert_array_equal(to_numpy(y), [-0.0, -0.0, 40.0, 1e308])
    np.testing.assert_array_equal(to_numpy(gelu.backward(on(backend, np.ones(4)))), [0, 0, 1, 1])


def test_steep_leaky_relu_overflow_is_refused_as_on_numpy(backend):
    with pytest.raises(NonFiniteError, match=r"LeakyReLU\(slope=2.0\) overflows: .* index 0"):
        LeakyReLU(2.0).forward(on(backend, np.array([-1e308, 1.0])))


LOSSES = {
    "cross_entropy_rows": (CrossEntropy, P, ONE_HOT),
    "cross_entropy_labels": (CrossEntropy, P, LABELS),
    "cross_entropy_logits_rows": (lambda: CrossEntropy(from_logits=True), Z, SOFT),
    "cross_entropy_logits_labels": (lambda: CrossEntropy(from_logits=True), Z, LABELS),
    "cross_entropy_one_sample": (lambda: CrossEntropy(from_logits=True), Z[0], LABELS[0]),
    "cross_entropy_sum": (lambda: CrossEntropy(reduction="sum"), P, ONE_HOT),
    "binary_cross_entropy": (BinaryCrossEntropy, P, SOFT),
    "binary_cross_entropy_logits": (lambda: BinaryCrossEntropy(from_logits=True), Z, SOFT),
    "huber": (lambda: HuberLoss(0.5), Z, SOFT),
    "l1": (L1Loss, Z, SOFT),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_value_and_gradient_match_numpy(backend, name, dtype):
    factory, y, t = LOSSES[name]
    y, t = y.astype(dtype), t if t.dtype.kind == "i" else t.astype(dtype)
    reference = factory()
    value, grad = reference.forward(y, t), reference.backward()
    loss = factory()
    got = loss.forward(on(backend, y), on(backend, t))
    assert isinstance(got, float)
    assert got == pytest.approx(value, rel=TOLERANCE[dtype])
    close(loss.backward(), grad, backend, dtype)
    loss.check_targets(on(backend, y), on(backend, t))  # valid targets pass


@pytest.mark.parametrize(
    ("targets", "error", "words"),
    [
        (np.array([0, 3, 1, 1, 0]), TargetError, "class indices from 0 to 2 .* got 3 for sample 1"),
        (np.array([0.0, 1, 1, 1, 0]), Exception, "class indices of an integer dtype"),
        (ONE_HOT * 2, TargetError, r"targets t in \[0, 1\] .* got 2.0 at index \(0, 0\)"),
    ],
    ids=["out-of-range", "float-labels", "outside-0-1"],
)
def test_cross_entropy_refuses_bad_targets_as_on_numpy(backend, targets, error, words):
    loss = CrossEntropy()
    with pytest.raises(error, match=words):
        loss.forward(on(backend, P), on(backend, targets))
    with pytest.raises(error, match=words):
        loss.check_targets(on(backend, P), on(backend, targets))


def test_a_loss_refuses_targets_of_another_library(backend):
    with pytest.raises(NamespaceError, match="numpy"):
        HuberLoss().forward(on(backend, Z), SOFT)


OPTIMIZERS = {
    "adam": Adam,
    "adam_decay_amsgrad": lambda: Adam(lr=0.1, weight_decay=0.1, amsgrad=True),
    "adamw": lambda: AdamW(lr=0.05),
    "rmsprop": RMSprop,
    "rmsprop_all": lambda: RMSprop(weight_decay=0.1, momentum=0.9, centered=True),
    "adagrad": Adagrad,
    "adagrad_all": lambda: Adagrad(lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_steps_match_numpy(backend, name, dtype):
    """Three steps, a state_dict round trip into a fresh optimizer, three more and a product."""
    factory = OPTIMIZERS[name]
    start = RNG.standard_normal((4, 3)).astype(dtype)
    grads = [RNG.standard_normal((4, 3)).astype(dtype) for _ in range(6)]
    left, right = (
        RNG.standard_normal((4, 5)).astype(dtype),
        RNG.standard_normal((5, 3)).astype(dtype),
    )
    expected, reference = start.copy(), factory()
    for grad in grads:
        reference.update(expected, grad.copy())
    reference.update_product(expected, left, right)

    value, optimizer = on(backend, start), factory()
    for grad in grads[:3]:
        optimizer.step([Parameter("w", value, on(backend, grad))])
    saved = optimizer.state_dict([Parameter("w", value, None)])
    assert all(type(array) is np.ndarray for array in saved["w"].values())
    resumed = factory()
    resumed.load_state_dict([Parameter("w", value, None)], saved)
    for grad in grads[3:]:
        resumed.update(value, on(backend, grad))
    resumed.update_product(value, on(backend, left), on(backend, right))
    close(value, expected, backend, dtype)
    assert {library_of(array) for array in resumed.state_of(value).values()} == {library_of(value)}
