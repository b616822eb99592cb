"""Input checks shared by every layer and loss.

Each check either returns an array that is safe to compute with or raises an error from
[`layerkit.errors`][layerkit.errors] that names the component, the expected and the received
shape or value. The checks are cheap on the success path: a layer calls them on every
``forward`` and ``backward``.
"""

from __future__ import annotations

import math
import numbers
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .errors import (
    BackwardBeforeForwardError,
    ConfigurationError,
    DTypeError,
    NamespaceError,
    NonFiniteError,
    ShapeError,
)
from .namespaces import _is_foreign, library_of, namespace_of, to_numpy

__all__ = [
    "FLOAT_DTYPES",
    "Array",
    "as_float_array",
    "as_prediction_and_target",
    "check_features",
    "check_gradient",
    "check_gradient_shape",
    "float_dtype",
    "inputs_trusted",
    "positive_int",
    "random_seed",
    "real_number",
    "trusted_inputs",
]

Array: TypeAlias = NDArray[np.floating[Any]]
"""A float32 or float64 NumPy array: what layers take and return."""

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes layerkit computes in."""

# NumPy hands out these dtype objects for every native float32/float64 array, so an identity
# test answers the common case before the slower comparison.
_FLOAT32, _FLOAT64 = FLOAT_DTYPES


_TRUSTED: ContextVar[bool] = ContextVar("layerkit_inputs_trusted", default=False)


class trusted_inputs:  # lower case: used like a function, as numpy.errstate is
    """Within this block, layers and losses skip their passes over values for NaN and infinity.

    For a caller that has checked once what enters, and watches what comes out, as `fit`
    does inside each step: it checks the data, the targets (`Loss.check_targets`) and the
    parameters before the first step, the loss after every step, and the parameters again
    at every snapshot. Inside the block, `as_float_array` does not look for NaN and infinity
    (its other checks and conversions stay), a loss does not repeat what its
    ``check_targets`` established (the cross-entropy does not test the range of class
    indices again), and an overflow inside the network is seen where it leads, in the loss.
    What the block skips is made by layerkit or was checked: on an MNIST-sized step that is
    6.5 µs of passes over the batch and the hidden values (see the performance page). Use it
    only for data checked before: inside it, NaN in an input is computed with, not refused.

    The setting belongs to the current thread (a `contextvars.ContextVar`): another thread
    or task keeps checking. Blocks nest, and leaving one restores what was before;
    ``trusted_inputs(False)`` turns every check back on inside an outer block.

    Parameters
    ----------
    trusted
        ``True`` (default) to skip the passes inside the block, ``False`` to make them again
        (how `fit` runs a step it has to explain).

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> layer = lk.Sigmoid()
    >>> with lk.trusted_inputs():  # the caller vouches that the input is finite
    ...     layer(np.array([0.0, np.nan]))
    array([0.5, nan])
    """

    __slots__ = ("_token", "_trusted")

    def __init__(self, trusted: bool = True) -> None:
        if not isinstance(trusted, (bool, np.bool_)):  # "false" would be true
            raise ConfigurationError(
                f"trusted_inputs expects True or False, got trusted={trusted!r}"
            )
        self._trusted = bool(trusted)
        self._token: Token[bool] | None = None

    def __enter__(self) -> None:
        if self._token is not None:
            raise ConfigurationError(
                "this trusted_inputs() is already in use in a with-block; make one for each "
                "block: with trusted_inputs(): ..."
            )
        self._token = _TRUSTED.set(self._trusted)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._token is not None
        _TRUSTED.reset(self._token)
        self._token = None


def inputs_trusted() -> bool:
    """Whether the caller is inside a `trusted_inputs` block: a component's own passes over
    its inputs for NaN, infinity or a range already checked may then be skipped."""
    return _TRUSTED.get()


def float_dtype(dtype: DTypeLike, who: object) -> np.dtype[Any]:
    """Return ``dtype`` as a NumPy dtype if it is float32 or float64, else raise `DTypeError`."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        # another library's float dtype (torch.float32, array_api_strict.float64) by its name
        name = str(dtype).rsplit(".", 1)[-1]
        if name not in ("float32", "float64"):
            raise DTypeError(f"{who} expects dtype float32 or float64, got {dtype!r}") from error
        resolved = np.dtype(name)
    if resolved not in FLOAT_DTYPES:
        raise DTypeError(f"{who} expects dtype float32 or float64, got {resolved}")
    return resolved


def as_float_array(
    value: ArrayLike,
    who: object,
    *,
    name: str = "input",
    integer_dtype: DTypeLike = np.float64,
    finite: bool = True,
) -> Array:
    """Return ``value`` as a float32/float64 array, refusing what cannot be computed with.

    Parameters
    ----------
    value
        A NumPy array, or a (nested) list of numbers.
    who
        The component asking, or its name; its ``str()`` goes into error messages, e.g.
        ``Dense(2→3)``. Passing the component itself defers building that text to the
        error path, which keeps the check cheap.
    name
        What ``value`` is to ``who``, e.g. ``"input"`` or ``"target t"``.
    integer_dtype
        The float dtype that integer and boolean arrays are converted to.
    finite
        Whether to refuse NaN and infinity.

    Returns
    -------
    Array
        ``value`` itself when it already is a float32/float64 array, else a converted copy.

    Raises
    ------
    DTypeError
        For non-numeric input (strings, objects, ``None``), complex numbers, float16.
    ShapeError
        For ragged nested lists.
    NonFiniteError
        For NaN or infinity, when ``finite`` is true (and not inside `trusted_inputs`).
    """
    if type(value) is not np.ndarray:
        if _is_foreign(value):
            return _as_foreign_float_array(value, who, name, integer_dtype, finite)
        value = _coerce(value, who, name)
    dtype = value.dtype
    if dtype is not _FLOAT64 and dtype is not _FLOAT32 and dtype not in FLOAT_DTYPES:
        if dtype.kind in "biu":
            value = value.astype(integer_dtype)
        elif dtype.kind == "f":
            raise DTypeError(
                f"{who} computes in float32 or float64, got {name} of dtype {dtype}; "
                f"convert it with .astype(np.float32)"
            )
        else:
            raise DTypeError(
                f"{who} expects a real numeric {name}, got array of dtype {dtype} "
                f"with shape {value.shape}"
            )
    # The sum of squares is finite exactly when every entry is (barring overflow, which the
    # slow path below sorts out), and costs one pass. Unlike value.sum(), np.vdot gives no
    # RuntimeWarning when large finite entries overflow or when +inf meets -inf.
    if finite and not _TRUSTED.get() and not math.isfinite(np.vdot(value, value)):
        _refuse_non_finite(value, who, name)
    return value


def _as_foreign_float_array(
    value: Any, who: object, name: str, integer_dtype: Any, finite: bool
) -> Any:
    """`as_float_array` for an array of another library: the same checks, the same messages."""
    xp = namespace_of(value)
    dtype = value.dtype
    if dtype != xp.float32 and dtype != xp.float64:
        if xp.isdtype(dtype, ("integral", "bool")):
            return xp.astype(value, getattr(xp, float_dtype(integer_dtype, who).name))
        if xp.isdtype(dtype, "real floating"):
            raise DTypeError(
                f"{who} computes in float32 or float64, got {name} of dtype {dtype}; "
                f"convert it to float32"
            )
        raise DTypeError(
            f"{who} expects a real numeric {name}, got array of dtype {dtype} "
            f"with shape {tuple(value.shape)}"
        )
    if finite and not _TRUSTED.get() and not bool(xp.all(xp.isfinite(value))):
        _refuse_non_finite(to_numpy(value), who, name)
    return value


def as_prediction_and_target(
    y: ArrayLike, t: ArrayLike, who: object, *, check_y_finite: bool = True
) -> tuple[Array, Array]:
    """Return prediction ``y`` and target ``t`` as float arrays of one shape, in ``y``'s dtype.

    For losses that compare ``y`` and ``t`` entry by entry; a mismatch of shapes is an error,
    never a broadcast. ``y`` must be one sample ``(outputs,)`` or a batch ``(batch, outputs)``
    with at least one sample and one output. ``check_y_finite=False`` leaves NaN and infinity
    in ``y`` to a loss that sees them for free in its own value (`L2Loss`, and any loss that
    reduces with ``Loss._reduce(terms, prediction=y)``); ``t`` is checked all the same, so
    ``y − t`` never meets ∞ − ∞, and it never overflows either.

    Raises
    ------
    ShapeError
        If ``y`` is not 1-D or 2-D or is empty, or ``t`` has another shape.
    NonFiniteError
        For NaN or infinity in ``t`` (and in ``y`` unless ``check_y_finite=False``), for a
        float64 target beyond a float32 prediction's range, and where ``y − t`` overflows.
    """
    if type(y) is not np.ndarray and _is_foreign(y):
        return _foreign_prediction_and_target(y, t, who, check_y_finite)
    y = as_float_array(y, who, name="prediction y", finite=check_y_finite)
    if y.ndim not in (1, 2) or y.size == 0:
        raise ShapeError(
            f"{who} expects prediction y with at least one sample and one output, of shape "
            f"(outputs,) or (batch, outputs), got shape {y.shape}"
        )
    given = as_float_array(t, who, name="target t", integer_dtype=y.dtype, finite=False)
    if type(given) is not np.ndarray:
        namespace_of(y, given, who=who)  # raises NamespaceError: two libraries
    if given.shape != y.shape:
        raise ShapeError(
            f"{who} expects target t of the same shape as prediction y {y.shape}, got {given.shape}"
        )
    t = given
    if t.dtype is not y.dtype:
        with np.errstate(over="ignore"):  # a float64 beyond float32's range: refused below
            t = t.astype(y.dtype)
    # One pass, as in as_float_array: the sum of squares is finite unless t holds NaN or ±inf
    # (refused) or an entry beyond √max, where y − t might overflow (looked at closely).
    # Inside trusted_inputs the targets were checked before (Loss.check_targets).
    if not _TRUSTED.get() and not math.isfinite(np.vdot(t, t)):
        as_float_array(given, who, name="target t")  # refuses NaN and ±inf as given
        with np.errstate(over="ignore", invalid="ignore"):
            beyond = ~np.isfinite(t)  # finite as given, infinite in y's dtype
            overflowed = beyond | (np.isfinite(y) & ~np.isfinite(y - t))
        if overflowed.any():
            index = tuple(int(i) for i in np.argwhere(overflowed)[0])
            where = index if len(index) != 1 else index[0]
            problem = (
                f"it does not fit prediction y's dtype {y.dtype} (largest "
                f"{np.finfo(y.dtype).max:.4g})"
                if beyond[index]
                else f"y − t overflows {y.dtype} where y = {y[index]}"
            )
            raise NonFiniteError(
                f"{who} received target t = {given[index]} at index {where}: {problem}; scale "
                f"the targets, or if the predictions came from training, lower the learning rate"
            )
    return y, t


def _foreign_prediction_and_target(
    y: Any, t: Any, who: object, check_y_finite: bool
) -> tuple[Any, Any]:
    """`as_prediction_and_target` for arrays of another library (one library for both)."""
    xp = namespace_of(y, t, who=who)
    y = as_float_array(y, who, name="prediction y", finite=check_y_finite)
    if y.ndim not in (1, 2) or 0 in y.shape:
        as_prediction_and_target(to_numpy(y), to_numpy(t), who)  # raises the ShapeError
    t = as_float_array(t, who, name="target t", integer_dtype=y.dtype, finite=False)
    if t.dtype != y.dtype:
        t = xp.astype(t, y.dtype)
    if tuple(t.shape) != tuple(y.shape) or (
        not _TRUSTED.get() and not bool(xp.all(xp.isfinite(t)))
    ):
        # the NumPy checks on host copies say exactly what is wrong
        as_prediction_and_target(to_numpy(y), to_numpy(t), who, check_y_finite=check_y_finite)
    return y, t


def _coerce(value: object, who: object, name: str) -> np.ndarray:
    if isinstance(value, np.ndarray):  # a subclass such as np.matrix: drop to a plain array
        return np.asarray(value)
    if isinstance(value, (list, tuple, int, float, np.generic)):
        try:
            return np.asarray(value)
        except ValueError as error:
            shape = " of shape (batch, features)" if "input" in name else ""
            raise ShapeError(
                f"{who} expects {name} as a rectangular array{shape}, every row the same "
                f"length, but the nested lists are ragged ({error})"
            ) from error
    raise DTypeError(
        f"{who} expects a NumPy array or a list of numbers as {name}, got {type(value).__name__}"
    )


def _refuse_non_finite(value: np.ndarray, who: object, name: str) -> None:
    bad = ~np.isfinite(value)
    count = int(np.count_nonzero(bad))
    if count == 0:
        return  # large finite values whose sum overflowed: nothing to refuse
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = index if len(index) != 1 else index[0]
    raise NonFiniteError(
        f"{who} received {name} with {count} non-finite value{'s' if count > 1 else ''} "
        f"({value[index]} at index {where}, shape {value.shape}); clean the data, or if this "
        f"arose in training, lower the learning rate"
    )


def check_features(x: Array, who: object, expected: int) -> None:
    """Raise `ShapeError` unless ``x`` is a sample ``(expected,)`` or a batch ``(n, expected)``."""
    if x.ndim not in (1, 2) or x.shape[-1] != expected:
        if x.ndim in (1, 2):
            raise ShapeError(
                f"{who} expects {expected} input features, got array of shape {x.shape}"
            )
        raise ShapeError(
            f"{who} expects a sample of shape ({expected},) or a batch of shape "
            f"(batch, {expected}), got array of shape {x.shape}"
        )


def check_gradient(grad: ArrayLike, who: object, output: Array | None) -> Array:
    """Return the incoming gradient as an array shaped like ``output``, or raise.

    ``output`` is what the component's last ``forward`` returned (``None`` before any call):
    ∂L/∂y always has the shape of y, and is converted to y's dtype.
    """
    if output is None:
        return check_gradient_shape(grad, who, None, None)
    return check_gradient_shape(grad, who, output.shape, output.dtype)


def check_gradient_shape(
    grad: ArrayLike, who: object, shape: tuple[int, ...] | None, dtype: DTypeLike
) -> Array:
    """`check_gradient` for a component that keeps only its last output's shape and dtype.

    ``shape`` is ``None`` before the first ``forward``.
    """
    if type(grad) is np.ndarray and grad.shape == shape and grad.dtype == dtype:
        return grad  # the usual case, answered without further checks
    if shape is None:
        raise BackwardBeforeForwardError(
            f"{who}.backward was called before forward: call forward(x) first, so the "
            f"layer has the values backward needs"
        )
    if (type(grad) is not np.ndarray and _is_foreign(grad)) or not isinstance(dtype, np.dtype):
        return _check_foreign_gradient(grad, who, shape, dtype)
    grad = as_float_array(grad, who, name="gradient", integer_dtype=dtype, finite=False)
    if grad.shape != shape:
        raise ShapeError(
            f"{who}.backward expects a gradient of shape {shape} (the shape of its "
            f"last output), got {grad.shape}"
        )
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _check_foreign_gradient(grad: Any, who: object, shape: Any, dtype: Any) -> Any:
    """`check_gradient_shape` where the gradient or the last output is not NumPy's."""
    held = "numpy" if isinstance(dtype, np.dtype) else str(dtype).split(".")[0]
    given = library_of(grad)
    if given != held:
        raise NamespaceError(
            f"{who} computed its last forward with {held} arrays, got a {given} gradient; "
            f"move the model with net.to({given!r}) or convert the gradient"
        )
    xp = namespace_of(grad)
    grad = as_float_array(grad, who, name="gradient", integer_dtype=dtype, finite=False)
    if tuple(grad.shape) != tuple(shape):
        raise ShapeError(
            f"{who}.backward expects a gradient of shape {tuple(shape)} (the shape of its "
            f"last output), got {tuple(grad.shape)}"
        )
    return grad if grad.dtype == dtype else xp.astype(grad, dtype)


def positive_int(value: object, who: object, name: str) -> int:
    """Return ``value`` as an ``int`` if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ConfigurationError(f"{who} expects a positive integer {name}, got {name}={value!r}")
    return int(value)


def random_seed(value: object, who: object, name: str = "seed") -> int | np.random.Generator | None:
    """Return ``value`` if it can seed ``numpy.random.default_rng``, else raise.

    Accepted: ``None`` (fresh entropy), a non-negative integer, a ``numpy.random.Generator``.
    """
    if value is None or isinstance(value, np.random.Generator):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise ConfigurationError(
        f"{who} expects {name} None, a non-negative integer or a numpy.random.Generator, "
        f"got {name}={value!r}"
    )


def real_number(value: object, who: object, name: str, *, positive: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real number (``> 0`` with ``positive``,
    else ``>= 0``), else raise `ConfigurationError`."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            number = math.inf
        if math.isfinite(number) and (number > 0 if positive else number >= 0):
            return number
    kind = "positive" if positive else "non-negative"
    raise ConfigurationError(f"{who} expects a finite, {kind} {name}, got {name}={value!r}")
