"""Bad arguments get a layerkit error before anything changes: fit, seeds, mlp, data sets, Dense.

fit checks everything it is given before its first step (the arguments, the data, the
model's forward on a first batch, every target against the loss), so a fit that fails
leaves the model exactly as it was.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk
from layerkit import datasets
from layerkit.errors import (
    ComponentTypeError,
    ConfigurationError,
    DTypeError,
    ShapeError,
    TargetError,
    UnknownComponentError,
)

pytestmark = pytest.mark.guarantee("errors")

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T = np.array([[0.0], [1.0], [1.0], [0.0]])


def net() -> lk.Sequential:
    return lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 1, seed=1))


def weights_of(model: lk.Layer) -> dict[str, np.ndarray]:
    return {p.name: p.value.copy() for p in model.parameters()}


def fails_and_leaves_the_model(error, words="", model=None, x=X, t=T, **options):
    """fit raises ``error`` (with ``words``) and every parameter is as before."""
    model = model or net()
    before = weights_of(model)
    arguments = {"loss": lk.L2Loss(), "optimizer": lk.SGD(0.5), "epochs": 3, "batch_size": 1}
    with pytest.raises(error) as caught:
        lk.fit(model, x, t, **(arguments | options))
    assert words in str(caught.value)
    for name, value in weights_of(model).items():
        np.testing.assert_array_equal(value, before[name], name)
    return caught.value


# ------------------------------------------------------------------------------ fit: data


def test_fit_refuses_empty_data():
    """Before: ValueError "range() arg 3 must not be zero"."""
    fails_and_leaves_the_model(
        ShapeError, "at least one sample", x=np.zeros((0, 2)), t=np.zeros((0, 1))
    )


def test_a_class_label_out_of_range_in_the_last_sample_is_found_before_training():
    """Before: three of four steps were taken, then TargetError with a half-trained model."""
    model = lk.Sequential(lk.Dense(2, 3, seed=0))
    labels = np.array([0, 1, 2, 7])
    error = fails_and_leaves_the_model(
        TargetError, "7", model=model, t=labels, loss=lk.loss("cross_entropy"), shuffle=False
    )
    assert "before training: the model is unchanged" in "\n".join(error.__notes__)


def test_targets_of_the_wrong_width_are_found_before_training():
    fails_and_leaves_the_model(ShapeError, "(1, 2)", t=np.zeros((4, 2)))


def test_a_target_the_loss_refuses_in_the_last_sample():
    t = T.copy()
    t[-1] = 2e200  # finite, but (y − t)² overflows: refused by the L2 loss
    fails_and_leaves_the_model(lk.errors.NonFiniteError, t=t, shuffle=False)


@pytest.mark.parametrize(
    "t, error",
    [
        (np.array([["a"], ["b"], ["c"], ["d"]]), DTypeError),
        (np.array([[1j], [0], [1], [0]]), DTypeError),
        ([[0.0], [1.0], [1.0, 2.0], [0.0]], ShapeError),
        (np.array([[None], [1], [1], [0]], dtype=object), DTypeError),
    ],
    ids=["strings", "complex", "ragged", "objects"],
)
def test_targets_that_are_not_numbers(t, error):
    fails_and_leaves_the_model(error, t=t)


def test_a_failed_fit_does_not_leave_the_data_dtype_in_the_model():
    """A Dense layer takes the dtype of its first input; when fit then refuses the targets,
    the layers are put back as they were, float64 and free to adopt (found by fuzzing)."""
    model = net()
    x = X.astype(np.float32)
    fails_and_leaves_the_model(lk.errors.NonFiniteError, model=model, x=x, t=T * 1e308)
    assert all(p.value.dtype == np.float64 for p in model.parameters())
    lk.fit(model, x, T, loss=lk.L2Loss(), optimizer=lk.SGD(0.5))  # still adopts float32
    assert all(p.value.dtype == np.float32 for p in model.parameters())


def test_a_model_of_the_wrong_input_width_is_found_before_training():
    fails_and_leaves_the_model(ShapeError, "expects 2 input features", x=np.ones((4, 3)))


# ------------------------------------------------------------------------- fit: arguments


@pytest.mark.parametrize("callback", [5, "print", [print]])
def test_callback_must_be_callable(callback):
    """Before: TypeError "'int' object is not callable" after the first epoch's steps."""
    fails_and_leaves_the_model(ComponentTypeError, "callback", callback=callback)


def test_loss_by_name_is_looked_up_in_the_registry():
    history = lk.fit(net(), X, T, loss="l2", optimizer=lk.SGD(0.5), epochs=2)
    assert len(history) == 2


@pytest.mark.parametrize(
    "loss, error, words",
    [
        (None, ComponentTypeError, "L2Loss()"),
        (lk.L2Loss, ComponentTypeError, "pass an instance: L2Loss()"),
        ("no_such_loss", UnknownComponentError, "no_such_loss"),
        (lk.SGD(0.1), ComponentTypeError, "Loss instance"),
    ],
    ids=["none", "class", "unknown-name", "not-a-loss"],
)
def test_bad_loss(loss, error, words):
    """Before: AttributeError "'NoneType' object has no attribute 'forward'" and the like."""
    fails_and_leaves_the_model(error, words, loss=loss)


@pytest.mark.parametrize(
    "optimizer, words",
    [
        ("sgd", "SGD(lr=0.1)"),
        (lk.SGD, "instantiate it, e.g. optimizer=SGD(lr=0.1)"),
        (None, "Optimizer instance"),
        (lk.L2Loss(), "Optimizer instance"),
    ],
    ids=["name", "class", "none", "a-loss"],
)
def test_bad_optimizer(optimizer, words):
    fails_and_leaves_the_model(ComponentTypeError, words, optimizer=optimizer)


def test_an_optimizer_without_an_update_rule_is_refused_before_training():
    """Before: NotImplementedError from the first step."""

    class NoRule(lk.Optimizer):
        lr = 0.1

    fails_and_leaves_the_model(ComponentTypeError, "does not implement update", optimizer=NoRule())


def test_model_must_be_a_layer():
    with pytest.raises(ComponentTypeError, match="Layer as model"):
        lk.fit(lambda x: x, X, T, loss=lk.L2Loss(), optimizer=lk.SGD(0.1))


@pytest.mark.parametrize(
    "option, value",
    [
        ("shuffle", "yes"),
        ("epochs", 0),
        ("epochs", 2.5),
        ("batch_size", -1),
        ("batch_size", True),
    ],
)
def test_bad_training_options(option, value):
    fails_and_leaves_the_model(ConfigurationError, option, **{option: value})


# ------------------------------------------------------------------------------ seeds


BAD_SEEDS = [-1, 1.5, "a", True, [1]]


@pytest.mark.parametrize("seed", BAD_SEEDS)
@pytest.mark.parametrize(
    "who, build",
    [
        ("Dense", lambda seed: lk.Dense(2, 3, seed=seed)),
        ("mlp", lambda seed: lk.mlp([2, 3, 1], seed=seed)),
        ("fit", lambda seed: lk.fit(net(), X, T, loss=lk.L2Loss(), optimizer=lk.SGD(1), seed=seed)),
        ("gradcheck", lambda seed: lk.gradcheck(lk.Dense(2, 2, seed=0), X, seed=seed)),
        ("xor", lambda seed: datasets.xor(seed=seed)),
        ("spirals", lambda seed: datasets.load("spirals", seed=seed)),
    ],
)
def test_a_bad_seed_is_refused_by_every_component(who, build, seed):
    """Before: NumPy's ValueError or TypeError from default_rng, for -1, 1.5 and "a"."""
    with pytest.raises(ConfigurationError, match=r"non-negative integer or a numpy\.random") as e:
        build(seed)
    assert who in str(e.value)


@pytest.mark.parametrize("seed", [None, 0, np.int64(7), 2**70, np.random.default_rng(0)])
def test_good_seeds_are_accepted(seed):
    lk.Dense(2, 3, seed=seed)
    datasets.blobs(samples=6, seed=seed)


# -------------------------------------------------------------------------- mlp, Dense


@pytest.mark.parametrize(
    "sizes, words",
    [
        (None, "list of positive integers"),
        (5, "list of positive integers"),
        ("23", "list of positive integers"),
        ([2], "at least two sizes"),
        ([2, 0], "size=0"),
        (["2", "3"], "size='2'"),
        ([2, 2.5], "size=2.5"),
    ],
)
def test_bad_mlp_sizes(sizes, words):
    """Before: TypeError "object of type 'NoneType' has no len()" for None and 5."""
    with pytest.raises(ConfigurationError) as caught:
        lk.mlp(sizes)
    assert words in str(caught.value)


def test_mlp_accepts_a_tuple_or_an_array_of_sizes():
    assert len(lk.mlp((2, 3, 1))) == len(lk.mlp(np.array([2, 3, 1]))) == 4


@pytest.mark.parametrize("out_features", [10**12, 10**30, 10**400], ids=["1e12", "1e30", "1e400"])
def test_a_dense_layer_too_large_for_memory(out_features):
    """Before: MemoryError (10**12) or NumPy's "Maximum allowed dimension exceeded"; the
    size in GiB of 10**400 weights does not fit a float, and is written out anyway."""
    with pytest.raises(ConfigurationError, match="GiB for its weights"):
        lk.Dense(2, out_features)


# ------------------------------------------------------------------------------ data sets


@pytest.mark.parametrize(
    "build, words",
    [
        (lambda: datasets.xor(samples=0), "samples=0"),
        (lambda: datasets.moons(noise=-0.1), "noise=-0.1"),
        (lambda: datasets.circles(noise="a"), "noise='a'"),
        (lambda: datasets.circles(noise=float("nan")), "noise=nan"),
        (lambda: datasets.spirals(classes=1), "at least 2 classes"),
        (lambda: datasets.blobs(classes=0), "classes=0"),
        (lambda: datasets.spirals(samples=1, classes=10**300), "its labels are int64"),
        (lambda: datasets.blobs(classes=2**63), "its labels are int64"),
        (lambda: datasets.load("xor", bogus=1), "no option 'bogus'"),
        (lambda: datasets.one_hot(np.array([], dtype=int)), "pass classes"),
        (lambda: datasets.one_hot([0, 1], classes="2"), "classes='2'"),
        (lambda: datasets.spirals(samples=10**12), "more than fits in memory"),
        (lambda: datasets.load("xor", samples=10**400), "more than fits in memory"),
        (lambda: datasets.one_hot([0, 1], classes=10**12), "more than fits in memory"),
    ],
)
def test_bad_data_set_options(build, words):
    """Before: noise='a' gave TypeError, classes=1 a one-class data set, an unknown option
    TypeError, one_hot of no labels NumPy's ValueError, 10**12 samples a MemoryError."""
    with pytest.raises(ConfigurationError) as caught:
        build()
    assert words in str(caught.value)


def test_an_unhashable_data_set_name():
    with pytest.raises(UnknownComponentError, match="available"):
        datasets.load(["xor"])


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: lk.Dense(2, 2)([[1.0, 2.0], [3.0]]), "input as a rectangular array of shape"),
        (lambda: lk.Dense(2, 2, W=[[1.0, 2.0], [3.0]]), "W as a rectangular array, every row"),
        (
            lambda: lk.fit(net(), [[0.0, 1.0], [1.0]], T[:2], loss="l2", optimizer=lk.SGD(1)),
            "inputs x as a rectangular array of shape (batch, features)",
        ),
    ],
    ids=["input", "weights", "fit"],
)
def test_a_ragged_list_says_what_was_expected(call, words):
    """Before: "could not make an array of the input: setting an array element with a
    sequence..." (NumPy's sentence with nothing about what was wanted)."""
    with pytest.raises(ShapeError) as caught:
        call()
    assert words in str(caught.value)


def test_raise_on_failure_must_be_a_bool():
    with pytest.raises(ConfigurationError, match="raise_on_failure"):
        lk.gradcheck(lk.Sigmoid(), X, raise_on_failure="no")


@pytest.mark.parametrize("options", [5, [1], "slope=0.1"])
def test_mlp_options_must_be_a_mapping(options):
    """Before: TypeError "argument after ** must be a mapping"."""
    with pytest.raises(ConfigurationError, match="activation_options as a dict"):
        lk.mlp([2, 3, 1], activation_options=options)
