"""gradcheck passes for every correct backward, and fails for deliberately wrong ones.

A checker that never fails proves nothing, so half of this module breaks a backward on
purpose (a wrong derivative, a forgotten transpose, a dropped bias gradient, a forgotten
batch mean) and expects gradcheck to report a large error.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layerkit as lk

CORRECT = 1e-6  # every error of a correct backward is below this
WRONG = 1e-3  # some error of a wrong backward is above this


def random_batch(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------ correct backwards pass


@pytest.mark.parametrize("shape", [(4, 3), (3,), (1, 3)], ids=["batch", "sample", "batch-of-one"])
def test_dense_passes(shape):
    """Dense: ∂L/∂x, ∂L/∂W and ∂L/∂b agree with central differences."""
    errors = lk.gradcheck(lk.Dense(3, 2, seed=0), random_batch(shape))
    assert sorted(errors) == ["W", "b", "input"]
    assert max(errors.values()) < CORRECT, errors


@pytest.mark.parametrize("shape", [(4, 3), (5,), (2, 3, 4)])
def test_sigmoid_passes(shape):
    """Sigmoid: ∂L/∂x = ∂L/∂y ⊙ y(1 − y) agrees with central differences, any shape."""
    errors = lk.gradcheck(lk.Sigmoid(), 3 * random_batch(shape))
    assert list(errors) == ["input"]
    assert errors["input"] < CORRECT, errors


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(4, 3), (3,)])
def test_l2loss_passes_as_a_loss(reduction, shape):
    """L2Loss checked on its own: ∂L/∂y agrees with central differences of L(y, t)."""
    y, t = random_batch(shape, seed=1), random_batch(shape, seed=2)
    errors = lk.gradcheck(lk.L2Loss(reduction), y, t)
    assert errors["input"] < CORRECT, errors


def test_float32_model_is_checked_in_float64_and_left_alone():
    """gradcheck works on a float64 copy: a float32 layer passes and stays float32."""
    layer = lk.Dense(3, 2, seed=0, dtype=np.float32)
    kept = layer.W.copy()
    errors = lk.gradcheck(layer, random_batch((4, 3)).astype(np.float32))
    assert max(errors.values()) < CORRECT, errors
    assert layer.W.dtype == np.float32
    np.testing.assert_array_equal(layer.W, kept)


@st.composite
def sigmoid_networks(draw):
    """A Sequential of 1 to 6 Dense+Sigmoid pairs, random widths 1..8, and a random batch."""
    depth = draw(st.integers(1, 6))
    widths = draw(st.lists(st.integers(1, 8), min_size=depth + 1, max_size=depth + 1))
    seed = draw(st.integers(0, 2**32 - 1))
    layers = []
    for position in range(depth):
        layers += [lk.Dense(widths[position], widths[position + 1], seed=seed + position)]
        layers += [lk.Sigmoid()]
    rng = np.random.default_rng(seed)
    batch = draw(st.integers(1, 5))
    x = rng.standard_normal((batch, widths[0]))
    t = rng.uniform(size=(batch, widths[-1]))
    return lk.Sequential(*layers), x, t


@settings(max_examples=50, deadline=None)
@given(sigmoid_networks())
def test_random_sigmoid_networks_pass_without_a_loss(network_x_t):
    """Deep and narrow or shallow and wide: every gradient of the network agrees."""
    net, x, _ = network_x_t
    errors = lk.gradcheck(net, x)
    assert len(errors) == 1 + len(net.parameters())
    assert max(errors.values()) < CORRECT, errors


@settings(max_examples=50, deadline=None)
@given(sigmoid_networks())
def test_random_sigmoid_networks_pass_with_l2loss(network_x_t):
    """The same networks with L2Loss as the objective: every gradient agrees."""
    net, x, t = network_x_t
    errors = lk.gradcheck(net, x, t, lk.L2Loss())
    assert max(errors.values()) < CORRECT, errors


# ---------------------------------------------------------------- wrong backwards are caught


class SigmoidWithWrongDerivative(lk.Sigmoid):
    """Bug on purpose: uses σ'(x) = y instead of y(1 − y)."""

    def derivative(self, x, y):
        return y


class DenseForgetsTranspose(lk.Dense):
    """Bug on purpose: returns ∂L/∂x = δW instead of δWᵀ (shapes agree when square)."""

    def backward(self, grad):
        super().backward(grad)  # dW and db stay right; only ∂L/∂x is wrong
        return np.asarray(grad) @ self.W


class DenseDropsBiasGradient(lk.Dense):
    """Bug on purpose: forgets ∂L/∂b, leaving it zero."""

    def backward(self, grad):
        grad_input = super().backward(grad)
        self.db[...] = 0.0
        return grad_input


class L2LossForgetsTheMean(lk.L2Loss):
    """Bug on purpose: the value is averaged over the batch but the gradient is not."""

    def backward(self):
        return super().backward() * len(self._difference)


def test_wrong_sigmoid_derivative_is_caught():
    """A Sigmoid with derivative y instead of y(1 − y) fails the check."""
    errors = lk.gradcheck(SigmoidWithWrongDerivative(), random_batch((4, 3)))
    assert errors["input"] > WRONG, errors


def test_forgotten_transpose_is_caught():
    """A square Dense whose ∂L/∂x uses W instead of Wᵀ fails on the input gradient."""
    errors = lk.gradcheck(DenseForgetsTranspose(3, 3, seed=0), random_batch((4, 3)))
    assert errors["input"] > WRONG, errors
    assert errors["W"] < CORRECT and errors["b"] < CORRECT, errors


def test_dropped_bias_gradient_is_caught():
    """A Dense that leaves ∂L/∂b at zero fails on b, and only on b."""
    errors = lk.gradcheck(DenseDropsBiasGradient(3, 2, seed=0), random_batch((4, 3)))
    assert errors["b"] > WRONG, errors
    assert errors["W"] < CORRECT and errors["input"] < CORRECT, errors


def test_loss_without_batch_mean_in_its_gradient_is_caught():
    """An L2Loss whose gradient is not divided by the batch size fails as a loss."""
    y, t = random_batch((4, 3), seed=1), random_batch((4, 3), seed=2)
    errors = lk.gradcheck(L2LossForgetsTheMean(), y, t)
    assert errors["input"] > WRONG, errors


def test_wrong_layer_deep_inside_a_network_is_caught():
    """One wrong Sigmoid at the bottom of a three-layer network still fails the check."""
    net = lk.Sequential(
        lk.Dense(3, 4, seed=0),
        SigmoidWithWrongDerivative(),
        lk.Dense(4, 4, seed=1),
        lk.Sigmoid(),
        lk.Dense(4, 2, seed=2),
        lk.Sigmoid(),
    )
    x, t = random_batch((5, 3)), np.random.default_rng(3).uniform(size=(5, 2))
    errors = lk.gradcheck(net, x, t, lk.L2Loss())
    assert errors["input"] > WRONG and errors["0.W"] > WRONG, errors
    assert errors["4.W"] < CORRECT, errors  # the layers above the bug are still right


# ------------------------------------------------ non-finite gradients and the verdict


class SigmoidReturnsNaN(lk.Sigmoid):
    """Bug on purpose: backward returns NaN (a 0/0 in a hand-written derivative)."""

    def derivative(self, x, y):
        return np.full_like(y, np.nan)


class DenseStoresInfinity(lk.Dense):
    """Bug on purpose: ∂L/∂W holds an infinity."""

    def backward(self, grad):
        grad_input = super().backward(grad)
        self.dW[0, 0] = np.inf
        return grad_input


class ForwardOverflowsAboveOne(lk.Layer):
    """y = x up to 1, infinite above: the finite difference at x = 1 is infinite."""

    def forward(self, x):
        return np.where(x > 1.0 + 1e-9, np.inf, x)

    def backward(self, grad):
        return np.asarray(grad)


@pytest.mark.guarantee("gradients")
@pytest.mark.parametrize(
    "make, x, name, note",
    [
        (SigmoidReturnsNaN, (4, 3), "input", "backward's gradient holds NaN"),
        (lambda: DenseStoresInfinity(3, 2, seed=0), (4, 3), "W", "backward's gradient"),
        (ForwardOverflowsAboveOne, None, "input", "finite differences are not finite"),
    ],
    ids=["nan-backward", "inf-parameter-gradient", "infinite-finite-differences"],
)
def test_a_non_finite_gradient_is_the_worst_mismatch(make, x, name, note):
    """Before, NaN compared as "not greater" than anything and the error reported was 0.0."""
    x = random_batch(x) if x else np.array([[0.5, 1.0]])
    result = lk.gradcheck(make(), x)
    assert result[name] == np.inf and result.worst == name
    assert not result and not result.passed
    assert note in result.notes[name] and note in str(result)


@pytest.mark.guarantee("gradients")
def test_a_nan_deep_in_a_network_fails_the_check():
    """The NaN of a Sigmoid under a Dense: the Dense refuses it or passes it on; either way
    every gradient below it is reported as the worst mismatch."""
    net = lk.Sequential(lk.Dense(3, 4, seed=0), SigmoidReturnsNaN(), lk.Dense(4, 2, seed=1))
    result = lk.gradcheck(net, random_batch((4, 3)))
    assert not result and result["0.W"] == np.inf


@pytest.mark.guarantee("gradients")
def test_the_verdict_is_true_or_raises():
    """The result is truthy only when every error is within the tolerance, and can raise."""
    good = lk.gradcheck(lk.Dense(3, 2, seed=0), random_batch((4, 3)))
    assert good and good.passed and good.raise_on_failure() is good
    assert "gradcheck passed" in str(good)
    bad = lk.gradcheck(SigmoidWithWrongDerivative(), random_batch((4, 3)))
    assert not bad and "FAILED" in str(bad) and "<- worst" in str(bad)
    with pytest.raises(lk.errors.GradientCheckError, match="input") as caught:
        lk.gradcheck(SigmoidWithWrongDerivative(), random_batch((4, 3)), raise_on_failure=True)
    assert isinstance(caught.value, AssertionError)
    assert lk.gradcheck(SigmoidWithWrongDerivative(), random_batch((4, 3)), tolerance=10.0)


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize(
    "options",
    [{"eps": 0}, {"eps": -1e-6}, {"eps": float("nan")}, {"eps": np.inf}, {"eps": "1e-6"},
     {"seed": -1}, {"seed": 1.5}, {"tolerance": -1.0}, {"tolerance": float("nan")}],
    ids=repr,
)  # fmt: skip
def test_bad_gradcheck_options(options):
    """Before: eps=0 divided by zero (ZeroDivisionError), seed=-1 failed in NumPy."""
    with pytest.raises(lk.errors.ConfigurationError, match=next(iter(options))):
        lk.gradcheck(lk.Dense(3, 2, seed=0), random_batch((4, 3)), **options)


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("model", [lk.Dense, "dense", None], ids=repr)
def test_gradcheck_of_something_that_is_not_a_component(model):
    with pytest.raises(lk.errors.ComponentTypeError, match="Layer or a Loss"):
        lk.gradcheck(model, random_batch((4, 3)))


@pytest.mark.guarantee("gradients")
def test_an_empty_input_is_refused_rather_than_passed():
    """Before, nothing was nudged and every error was 0: a pass that checked nothing."""
    with pytest.raises(lk.errors.ShapeError, match="at least one entry"):
        lk.gradcheck(lk.Sigmoid(), np.ones((0, 3)))


class ReturnsNothing(lk.Layer):
    def forward(self, x):
        return 2 * np.asarray(x)

    def backward(self, grad):
        return None  # forgot the return


class ReturnsText(ReturnsNothing):
    def backward(self, grad):
        return "grad"


class ReturnsComplex(ReturnsNothing):
    def backward(self, grad):
        return 2j * np.asarray(grad)


@pytest.mark.guarantee("errors")
@pytest.mark.parametrize("layer", [ReturnsNothing, ReturnsText, ReturnsComplex], ids=repr)
def test_a_backward_that_returns_no_array_is_named(layer):
    """Before: a ShapeError about shape () for None, NumPy's ValueError for text, and a
    ComplexWarning for complex numbers."""
    with pytest.raises(lk.errors.ComponentTypeError, match=r"backward gave .* not a real numeric"):
        lk.gradcheck(layer(), random_batch((2, 3)))
