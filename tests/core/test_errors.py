"""Every mistake a user can make gets the right error class and a message that explains it.

Each test checks three things: the class from ``layerkit.errors``, that it is also the
built-in ``ValueError`` or ``TypeError`` a Python user would catch, and the key words of the
message (which component, what was expected, what was received).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import (
    BackwardBeforeForwardError,
    ConfigurationError,
    DTypeError,
    LayerkitError,
    NonFiniteError,
    ShapeError,
    TrainingDivergedError,
    UnknownComponentError,
)

BUILTIN = {
    ShapeError: ValueError,
    NonFiniteError: ValueError,
    ConfigurationError: ValueError,
    BackwardBeforeForwardError: ValueError,
    TrainingDivergedError: ValueError,
    UnknownComponentError: ValueError,
    DTypeError: TypeError,
}


@contextmanager
def raises(error_class: type[LayerkitError], *words: str):
    """Expect ``error_class`` (and its built-in base) with every one of ``words`` in its message."""
    with pytest.raises(error_class) as caught:
        yield caught
    assert isinstance(caught.value, LayerkitError)
    assert isinstance(caught.value, BUILTIN[error_class])
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} is not in the message {message!r}"


@pytest.mark.parametrize(("error_class", "builtin"), BUILTIN.items())
def test_every_error_is_a_layerkit_error_and_a_builtin_error(error_class, builtin):
    """`except LayerkitError` and `except ValueError`/`TypeError` both catch each class."""
    assert issubclass(error_class, LayerkitError)
    assert issubclass(error_class, builtin)


# ------------------------------------------------------------------------ wrong shapes


def test_wrong_feature_count_message_is_exact():
    """The message names the layer, the expected feature count and the received shape."""
    with raises(ShapeError) as caught:
        lk.Dense(2, 3)(np.ones((4, 5)))
    assert str(caught.value) == "Dense(2→3) expects 2 input features, got array of shape (4, 5)"


@pytest.mark.parametrize("shape", [(3,), (1, 1), (2, 2, 2), ()])
def test_wrong_input_shape(shape):
    """A sample, a batch, a 3-D array or a scalar with the wrong layout is refused."""
    with raises(ShapeError, "Dense(2→3) expects", "2", f"got array of shape {shape}"):
        lk.Dense(2, 3)(np.ones(shape))


@pytest.mark.parametrize(
    ("make_layer", "x", "bad_grad", "expected"),
    [
        (lambda: lk.Dense(2, 3), np.ones((4, 2)), np.ones((4, 2)), "(4, 3)"),
        (lambda: lk.Dense(2, 3), np.ones((4, 2)), np.ones(3), "(4, 3)"),  # would broadcast
        (lambda: lk.Dense(2, 3), np.ones(2), np.ones((1, 3)), "(3,)"),
        (lambda: lk.Sigmoid(), np.ones((4, 2)), np.ones((2, 4)), "(4, 2)"),
        (lambda: lk.Sigmoid(), np.ones((4, 2)), np.ones((1, 2)), "(4, 2)"),  # would broadcast
    ],
)
def test_gradient_of_the_wrong_shape(make_layer, x, bad_grad, expected):
    """backward refuses a gradient not shaped like the last output, even a broadcastable one."""
    layer = make_layer()
    layer(x)
    with raises(ShapeError, repr(layer), "backward expects a gradient of shape", expected):
        layer.backward(bad_grad)


@pytest.mark.parametrize(
    ("y_shape", "t_shape"), [((3, 2), (2,)), ((3, 2), (3, 1)), ((2,), (1, 2)), ((3, 2), (2, 3))]
)
def test_l2loss_refuses_mismatched_target_instead_of_broadcasting(y_shape, t_shape):
    """L2Loss needs t shaped exactly like y; it never broadcasts one against the other."""
    with raises(ShapeError, "L2Loss", "same shape", str(y_shape), str(t_shape)):
        lk.L2Loss()(np.zeros(y_shape), np.zeros(t_shape))


@pytest.mark.parametrize(
    ("W", "b", "words"),
    [
        (np.ones((3, 2)), None, ["W of shape (2, 3)", "got (3, 2)"]),
        (np.ones(6), None, ["W of shape (2, 3)", "got (6,)"]),
        (None, np.ones(2), ["b of shape (3,)", "got (2,)"]),
        (None, np.ones((1, 3)), ["b of shape (3,)", "got (1, 3)"]),
    ],
)
def test_weights_of_the_wrong_shape(W, b, words):
    """Dense checks W (in, out) and b (out,) when they are given."""
    with raises(ShapeError, "Dense(2→3)", *words):
        lk.Dense(2, 3, W=W, b=b)


# ------------------------------------------------------------------- non-finite values


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("Dense(2→3)", lambda x: lk.Dense(2, 3)(x)),
        ("Sigmoid()", lambda x: lk.Sigmoid()(x)),
        ("L2Loss", lambda x: lk.L2Loss()(x, np.zeros((2, 2)))),
        ("L2Loss", lambda x: lk.L2Loss()(np.zeros((2, 2)), x)),
        ("Dense(2→3)", lambda x: lk.Sequential(lk.Dense(2, 3), lk.Sigmoid())(x)),
    ],
    ids=["dense", "sigmoid", "l2loss-prediction", "l2loss-target", "sequential"],
)
def test_non_finite_input(name, call, bad):
    """NaN or ±inf is refused with a message naming the layer, 'non-finite' and where."""
    x = np.zeros((2, 2))
    x[1, 0] = bad
    with raises(NonFiniteError, name, "non-finite", "index (1, 0)"):
        call(x)


def test_plus_and_minus_infinity_together_raise_no_warning():
    """+inf and −inf in one array give NonFiniteError, not an 'invalid value' RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would fail the test
        with raises(NonFiniteError, "2 non-finite values"):
            lk.Sigmoid()(np.array([np.inf, -np.inf]))


def test_l2loss_refuses_non_finite_prediction_without_warning_and_keeps_its_last_result():
    """L2Loss finds NaN or ±inf in y through its own value: a clear error, no RuntimeWarning,
    and the gradient of the last good forward is still there."""
    loss = lk.L2Loss()
    loss(np.array([[0.5, 0.5, 0.5]]), np.zeros((1, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with raises(NonFiniteError, "L2Loss", "prediction y", "3 non-finite values"):
            loss(np.array([[np.inf, -np.inf, np.nan]]), np.zeros((1, 3)))
    np.testing.assert_array_equal(loss.backward(), [[0.5, 0.5, 0.5]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_finite_input_is_accepted_without_warning(dtype):
    """Finite values whose sum overflows are still finite: accepted, no overflow warning."""
    huge = np.finfo(dtype).max
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = lk.Sigmoid()(np.array([huge, huge, -huge], dtype=dtype))
    np.testing.assert_array_equal(y, [1.0, 1.0, 0.0])


# ----------------------------------------------------------- backward before forward


@pytest.mark.parametrize(
    ("component", "call"),
    [
        (lk.Dense(2, 3), lambda layer: layer.backward(np.ones(3))),
        (lk.Sigmoid(), lambda layer: layer.backward(np.ones(3))),
        (lk.L2Loss(), lambda loss: loss.backward()),
        (
            lk.Sequential(lk.Dense(2, 3), lk.Sigmoid()),
            lambda net: net.backward(np.ones(3)),
        ),
    ],
    ids=["dense", "sigmoid", "l2loss", "sequential"],
)
def test_backward_before_forward(component, call):
    """backward with nothing cached says so and tells the user to call forward first."""
    with raises(BackwardBeforeForwardError, "backward was called before forward", "forward("):
        call(component)


# ------------------------------------------------------------------ bad configuration


@pytest.mark.parametrize("size", [0, -2, 2.5, 3.0, True, "3", None])
def test_layer_sizes_must_be_positive_integers(size):
    """in_features and out_features must be positive integers (not bool, float or str)."""
    with raises(ConfigurationError, "positive integer in_features", f"in_features={size!r}"):
        lk.Dense(size, 3)
    with raises(ConfigurationError, "positive integer out_features", f"out_features={size!r}"):
        lk.Dense(3, size)


def test_numpy_integer_sizes_are_accepted():
    """A NumPy integer is a positive integer too."""
    assert repr(lk.Dense(np.int64(2), np.int32(3))) == "Dense(2→3)"


def test_unknown_init_is_refused():
    """init is a registered initializer's name; the registry lists them."""
    with raises(UnknownComponentError, "initializer", "'xavier'", "glorot", "he_normal"):
        lk.Dense(2, 3, init="xavier")


@pytest.mark.parametrize("lr", [-0.1, np.nan, np.inf, -np.inf, True, "0.1", None])
def test_learning_rate_must_be_finite_and_non_negative(lr):
    """A negative, NaN, infinite or non-number learning rate is refused, quoting it."""
    with raises(ConfigurationError, "SGD", "learning rate", f"lr={lr!r}"):
        lk.SGD(lr=lr)


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5, np.nan, True, "0.9"])
def test_momentum_must_be_in_zero_one(momentum):
    """Momentum μ must lie in [0, 1)."""
    with raises(ConfigurationError, "SGD", "momentum in [0, 1)", f"momentum={momentum!r}"):
        lk.SGD(lr=0.1, momentum=momentum)


@pytest.mark.parametrize("reduction", ["avg", "none", None, "MEAN"])
def test_bad_reduction(reduction):
    """L2Loss reduces by 'mean' or 'sum' and nothing else."""
    with raises(ConfigurationError, "L2Loss", "'mean' or 'sum'", repr(reduction)):
        lk.L2Loss(reduction)


def test_empty_sequential():
    """A Sequential needs at least one layer, and the message shows an example."""
    with raises(ConfigurationError, "at least one layer", "Sequential(Dense(2, 3), Sigmoid())"):
        lk.Sequential()


def test_non_layer_in_sequential():
    """Anything but a Layer instance is refused with its position and type."""
    with pytest.raises(TypeError) as caught:
        lk.Sequential(lk.Dense(2, 3), np.tanh)
    message = str(caught.value)
    assert "Layer instances" in message and "position 1" in message and "ufunc" in message


def test_layer_class_instead_of_instance_in_sequential():
    """A layer class without parentheses gets a hint about the missing call."""
    with pytest.raises(TypeError) as caught:
        lk.Sequential(lk.Dense(2, 3), lk.Sigmoid)
    message = str(caught.value)
    assert "position 1" in message and "did you forget the parentheses?" in message


@pytest.mark.parametrize("junk", [np.tanh, lk.Sigmoid], ids=["function", "class"])
def test_non_layer_in_sequential_is_a_layerkit_error(junk):
    """The refusal should be catchable as LayerkitError like every other layerkit error."""
    with pytest.raises(TypeError) as caught:
        lk.Sequential(lk.Dense(2, 3), junk)
    assert isinstance(caught.value, LayerkitError)


# -------------------------------------------------------------- not a real float array

JUNK = [
    pytest.param(None, DTypeError, "NoneType", id="None"),
    pytest.param("abc", DTypeError, "str", id="string"),
    pytest.param({"x": 1.0}, DTypeError, "dict", id="dict"),
    pytest.param(np.array([[1.0, None]], dtype=object), DTypeError, "object", id="object-array"),
    pytest.param(np.array([[1 + 2j, 0j]]), DTypeError, "complex128", id="complex-array"),
    pytest.param(np.array([["a", "b"]]), DTypeError, "<U1", id="string-array"),
    pytest.param([[1.0, 2.0], [3.0]], ShapeError, "rectangular array", id="ragged-list"),
    pytest.param(np.ones((1, 2), dtype=np.float16), DTypeError, "float16", id="float16"),
]

RECEIVERS = [
    pytest.param("Dense(2→2)", lambda value: lk.Dense(2, 2)(value), id="dense"),
    pytest.param("Sigmoid()", lambda value: lk.Sigmoid()(value), id="sigmoid"),
    pytest.param("L2Loss", lambda value: lk.L2Loss()(value, np.zeros((1, 2))), id="l2loss-y"),
    pytest.param("L2Loss", lambda value: lk.L2Loss()(np.zeros((1, 2)), value), id="l2loss-t"),
]


@pytest.mark.parametrize(("junk", "error_class", "word"), JUNK)
@pytest.mark.parametrize(("who", "receive"), RECEIVERS)
def test_junk_is_refused(who, receive, junk, error_class, word):
    """Each component refuses what it cannot compute with, naming itself and the culprit."""
    with raises(error_class, who, word):
        receive(junk)


@pytest.mark.parametrize(("junk", "error_class", "word"), JUNK[1:])  # W=None means "draw W"
@pytest.mark.parametrize("name", ["W", "b"])
def test_junk_weights_are_refused(name, junk, error_class, word):
    """Dense refuses junk given as its initial W or b, naming itself and the culprit."""
    with raises(error_class, "Dense(2→2)", word):
        lk.Dense(2, 2, **{name: junk})


def test_float16_message_suggests_a_conversion():
    """float16 is refused with a hint to convert to float32."""
    with raises(DTypeError, "float32 or float64", "float16", ".astype(np.float32)"):
        lk.Sigmoid()(np.ones(3, dtype=np.float16))


# ------------------------------------------------------------------------ dtype clashes


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: lk.Dense(2, 3, dtype=np.float32),
        lambda: lk.Dense(2, 3, W=np.ones((2, 3), dtype=np.float32)),
        lambda: lk.Dense(2, 3, seed=0).astype(np.float32),
    ],
    ids=["dtype-argument", "float32-W", "astype"],
)
def test_float64_input_into_a_float32_layer(make_layer):
    """A layer whose dtype is fixed refuses the other float dtype and says how to convert."""
    layer = make_layer()
    with raises(DTypeError, "Dense(2→3)", "float32 parameters", "float64 input", ".astype("):
        layer(np.ones((1, 2)))


def test_dtype_is_fixed_by_the_first_input():
    """A layer that adopted float32 from its first input refuses float64 afterwards."""
    layer = lk.Dense(2, 3, seed=0)
    layer(np.ones((1, 2), dtype=np.float32))
    with raises(DTypeError, "float32 parameters", "float64 input"):
        layer(np.ones((1, 2)))


@pytest.mark.parametrize("dtype", [np.float16, np.int32, "complex64", "not-a-dtype"])
def test_only_float32_and_float64_parameters(dtype):
    """Parameters can be float32 or float64 only, at construction or by astype."""
    with raises(DTypeError, "float32 or float64"):
        lk.Dense(2, 3, dtype=dtype)
    with raises(DTypeError, "float32 or float64"):
        lk.Dense(2, 3).astype(dtype)


# ------------------------------------------------------------------------------- fit


def fit_once(x, t, **options):
    """One call of fit on a 2-1 network with default training options."""
    options = {"loss": lk.L2Loss(), "optimizer": lk.SGD(0.1), **options}
    return lk.fit(lk.Sequential(lk.Dense(2, 1, seed=0), lk.Sigmoid()), x, t, **options)


def test_fit_refuses_mismatched_lengths():
    """x and t must hold the same number of samples."""
    with raises(ShapeError, "fit", "as many targets as inputs (4)", "(3, 1)"):
        fit_once(np.zeros((4, 2)), np.zeros((3, 1)))


def test_fit_refuses_a_single_sample_as_data():
    """x must be a 2-D (samples, features) array."""
    with raises(ShapeError, "fit", "(samples, features)", "(2,)"):
        fit_once(np.zeros(2), np.zeros(1))


@pytest.mark.parametrize("option", ["epochs", "batch_size"])
@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_fit_refuses_non_positive_epochs_and_batch_size(option, value):
    """epochs and batch_size must be positive integers."""
    with raises(ConfigurationError, "fit", f"positive integer {option}", f"{option}={value!r}"):
        fit_once(np.zeros((4, 2)), np.zeros((4, 1)), **{option: value})


def test_fit_refuses_non_finite_data():
    """A NaN among the inputs is refused before any training happens."""
    x = np.zeros((4, 2))
    x[2, 1] = np.nan
    with raises(NonFiniteError, "fit", "inputs x", "non-finite"):
        fit_once(x, np.zeros((4, 1)))


# --------------------------------------------------------------------------- gradcheck


def test_gradcheck_of_a_loss_needs_a_target():
    """Checking a loss without t cannot define the objective."""
    with raises(ConfigurationError, "gradcheck", "target t"):
        lk.gradcheck(lk.L2Loss(), np.ones((2, 2)))


@pytest.mark.parametrize(
    ("t", "loss"), [(np.ones((2, 3)), None), (None, lk.L2Loss())], ids=["t-only", "loss-only"]
)
def test_gradcheck_takes_target_and_loss_together(t, loss):
    """A target without a loss, or a loss without a target, is refused."""
    with raises(ConfigurationError, "gradcheck", "together"):
        lk.gradcheck(lk.Dense(2, 3), np.ones((2, 2)), t, loss)
