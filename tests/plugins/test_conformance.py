"""The conformance kit: every registered component passes it, and it catches broken ones."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk
from layerkit.pytest_plugin import test_conformance  # noqa: F401 - one line runs the whole kit
from layerkit.testing import (
    ConformanceError,
    activation_checks,
    check_activation,
    check_loss,
    loss_checks,
)

FIRST_PARTY = {
    "activations": {"tanh", "relu", "leaky_relu", "softplus", "elu", "gelu", "softmax"},
    "losses": {"cross_entropy", "binary_cross_entropy", "l1", "huber"},
}


def test_installed_first_party_plugins_are_discovered():
    """The plugin packages installed by the project's set-up are found by entry point."""
    activations, losses = lk.activations(), lk.losses()
    assert FIRST_PARTY["activations"] | {"sigmoid"} <= set(activations)
    assert FIRST_PARTY["losses"] | {"l2"} <= set(losses)
    assert activations["tanh"].distribution == "layerkit-activations"
    assert losses["cross_entropy"].distribution == "layerkit-losses"
    assert activations["tanh"].version and lk.failed_plugins() == {}


class WrongDerivative(lk.Sigmoid):
    """σ with the derivative y instead of y(1 − y): a classic slip."""

    def derivative(self, x, y):
        return y


class ForgetsTheHalf(lk.L2Loss):
    """An L2 loss whose gradient is 2(y − t), as if L had no ½."""

    def backward(self):
        return 2 * super().backward()


class MutatesInput(lk.Activation):
    """Computes tanh in place, overwriting the caller's array."""

    def function(self, x):
        return np.tanh(x, out=x)

    def derivative(self, x, y):
        return 1 - y * y


class Overflows(lk.Activation):
    """exp without a guard: overflows at x = 1e4."""

    def function(self, x):
        return np.exp(x)

    def derivative(self, x, y):
        return y


class ReusesItsDerivative(lk.Activation):
    """Declares its derivative a new array, yet hands out the one it made in forward."""

    derivative_returns_new = True

    def function(self, x):
        self.slope = np.full_like(x, 2.0)
        return 2.0 * x

    def derivative(self, x, y):
        return self.slope  # backward multiplies into it: the next backward sees 2·grad


class CubesSilently(lk.Activation):
    """x³, exact up to ±1e4, infinite at the largest floats without a word (no warning: the
    overflow is hidden by np.errstate)."""

    derivative_at_most_one = True  # claims what is false, so backward skips its own check

    def function(self, x):
        with np.errstate(over="ignore"):
            return x * x * x

    def derivative(self, x, y):
        with np.errstate(over="ignore"):
            return 3 * x * x


class DropsTheEmptyBatch(lk.Activation):
    """Returns one row for a batch of none: the shape of the output depends on the batch."""

    def function(self, x):
        return x if len(x) else np.zeros((1, *x.shape[1:]), x.dtype)

    def derivative(self, x, y):
        return np.ones_like(y)


class UpcastsFloat32(lk.Activation):
    def function(self, x):
        return x.astype(np.float64) * 2

    def derivative(self, x, y):
        return np.full(x.shape, 2.0)


@pytest.mark.parametrize(
    ("component", "check", "words"),
    [
        (WrongDerivative, "gradient", "relative error 0.9"),
        (MutatesInput, "no_mutation", "wrote into the caller's array"),
        (Overflows, "extreme_inputs", "overflow"),
        (ReusesItsDerivative, "repeated_backward", "a second backward with the same gradient"),
        (CubesSilently, "extreme_inputs", "non-finite result"),
        (DropsTheEmptyBatch, "empty_batch", "a batch of shape (0, 4) gave forward (1, 4)"),
        (
            UpcastsFloat32,
            "shape_and_dtype",
            "dtype float64 for input of shape (5, 4) and dtype float32",
        ),
    ],
)
@pytest.mark.guarantee("gradients")
def test_kit_fails_a_broken_activation(component, check, words):
    """The named check fails with a message naming check and component; so does the kit."""
    checks = {each.check: each for each in activation_checks(component)}
    with pytest.raises(ConformanceError) as caught:
        checks[check]()
    with pytest.raises(ConformanceError):
        check_activation(component)
    message = str(caught.value)
    assert f"check {check!r} failed for {component.__name__}" in message
    assert words in message


def test_kit_fails_a_loss_with_a_wrong_gradient():
    with pytest.raises(ConformanceError, match=r"check 'gradient' failed for ForgetsTheHalf"):
        check_loss(ForgetsTheHalf)


def test_kit_passes_the_builtins_directly():
    check_activation(lk.Sigmoid)
    check_loss(lk.L2Loss)
    check_loss(lambda: lk.L2Loss(reduction="sum"), "L2Loss(reduction='sum')")


def test_classifier_with_softmax_and_cross_entropy():
    """An mlp with a softmax output and cross-entropy separates three spirals (> 95%)."""
    x, labels = lk.datasets.spirals(samples=300, classes=3, noise=0.05, seed=0)
    net = lk.mlp([2, 32, 32, 3], activation="tanh", output=None, seed=0)
    loss = lk.loss("cross_entropy", from_logits=True)
    history = lk.fit(
        net, x, labels, loss=loss, optimizer=lk.SGD(0.1, momentum=0.9),
        epochs=300, batch_size=32, seed=0,
    )  # fmt: skip
    accuracy = np.mean(np.argmax(net(x), axis=1) == labels)
    assert history[-1] < history[0]
    assert accuracy > 0.95, f"accuracy {accuracy:.3f}"


class NaNDerivative(lk.Activation):
    """tanh whose derivative is NaN: before, the kit's gradient check passed it."""

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x, y):
        return np.full_like(y, np.nan)


class InfiniteLossGradient(lk.L2Loss):
    def backward(self):
        return np.full_like(super().backward(), np.inf)


@pytest.mark.guarantee("gradients")
def test_kit_fails_non_finite_gradients():
    """A NaN or infinite gradient is the worst mismatch, never a pass."""
    checks = {each.check: each for each in activation_checks(NaNDerivative)}
    with pytest.raises(ConformanceError, match=r"for input: relative error inf"):
        checks["gradient"]()
    with pytest.raises(ConformanceError, match=r"check 'gradient' failed.*error inf"):
        check_loss(InfiniteLossGradient)


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize(
    "run", [lambda: check_activation(lk.Sigmoid()), lambda: check_loss(5)], ids=["instance", "5"]
)
def test_kit_refuses_an_instance_where_a_factory_is_expected(run):
    """Before: TypeError from calling the instance inside the first check."""
    with pytest.raises(lk.errors.ComponentTypeError, match="class or a zero-argument function"):
        run()


class ReturnsNone(lk.Layer):
    def forward(self, x):
        return None

    def backward(self, grad):
        return None


class RaisesTypeError(lk.Layer):
    def forward(self, x):
        raise TypeError("boom")

    def backward(self, grad):
        return grad


class ValuePerSample(lk.L2Loss):
    """Forgets to reduce: forward returns one value per sample."""

    def forward(self, y, t):
        super().forward(y, t)
        return 0.5 * np.sum((np.asarray(y) - t) ** 2, axis=-1)


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize(
    "component, checks",
    [(ReturnsNone, activation_checks), (RaisesTypeError, activation_checks),
     (ValuePerSample, loss_checks)],
    ids=["returns-none", "raises", "loss-per-sample"],
)  # fmt: skip
def test_every_check_fails_a_broken_component_as_a_conformance_error(component, checks):
    """Before: AttributeError, TypeError or NumPy's "truth value of an array is ambiguous"
    escaped from the kit's own code instead of a failed check."""
    failed = 0
    for check in checks(component):
        try:
            check()
        except ConformanceError as error:
            assert f"check {check.check!r} failed for {component.__name__}" in str(error)
            failed += 1
    assert failed >= 3
