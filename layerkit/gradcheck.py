"""Check a backward pass against central finite differences of its forward pass."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import Self

import numpy as np
from numpy.typing import ArrayLike

from .errors import (
    ComponentTypeError,
    ConfigurationError,
    GradientCheckError,
    NonFiniteError,
    ShapeError,
)
from .layer import Layer
from .loss import Loss
from .sequential import Sequential, _refuse_shared_layers
from .validation import Array, as_float_array, random_seed, real_number

__all__ = ["GradientCheck", "gradcheck"]

DEFAULT_TOLERANCE = 1e-6
"""The largest relative error `gradcheck` accepts unless told otherwise."""


class GradientCheck(dict[str, float]):
    """The relative error of every checked gradient, by name, and the verdict on them.

    A dict from ``"input"`` and each parameter name to its relative error (see `gradcheck`),
    which is **truthy only when every error is at most** ``tolerance``: ``assert
    gradcheck(...)`` is the whole test. A gradient, finite difference or forward value that
    is NaN or infinite counts as the worst error there is, ``inf``, and ``notes`` says why.
    ``str()`` gives a table naming the worst entry.
    """

    def __init__(
        self,
        errors: Mapping[str, float],
        tolerance: float = DEFAULT_TOLERANCE,
        notes: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(errors)
        self.tolerance = tolerance
        self.notes = dict(notes or {})
        """Why an entry is ``inf``, by name (empty when everything was finite)."""

    @property
    def passed(self) -> bool:
        """Whether every relative error is at most ``tolerance``."""
        return all(error <= self.tolerance for error in self.values())

    @property
    def worst(self) -> str | None:
        """The name with the largest relative error (``None`` if nothing was checked)."""
        return max(self, key=self.__getitem__, default=None)

    def __bool__(self) -> bool:
        return self.passed

    def raise_on_failure(self) -> Self:
        """Return ``self`` if the check passed, else raise `GradientCheckError` with the table."""
        if not self.passed:
            raise GradientCheckError(str(self))
        return self

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"gradcheck {verdict} (tolerance {self.tolerance:g}); relative errors:"]
        for name, error in self.items():
            mark = "  <- worst" if name == self.worst and not self.passed else ""
            note = f" ({self.notes[name]})" if name in self.notes else ""
            lines.append(f"  {name:<12} {error:.3g}{note}{mark}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        errors = ", ".join(f"{name!r}: {error:.3g}" for name, error in self.items())
        return f"GradientCheck(passed={self.passed}, tolerance={self.tolerance:g}, {{{errors}}})"


def gradcheck(
    model: Layer | Loss,
    x: ArrayLike,
    t: ArrayLike | None = None,
    loss: Loss | None = None,
    *,
    eps: float = 1e-6,
    seed: int | np.random.Generator | None = 0,
    tolerance: float = DEFAULT_TOLERANCE,
    raise_on_failure: bool = False,
) -> GradientCheck:
    """Compare ``backward`` with central finite differences, in float64.

    The check runs on a float64 copy of ``model`` (the original is untouched). Every entry
    of the input and of every parameter is nudged by ±``eps`` and the change of a scalar
    objective is compared with the gradient ``backward`` computed:

    - with ``loss`` (and target ``t``) the objective is ``loss(model(x), t)``;
    - without, it is ``Σ r ⊙ model(x)`` for a fixed random ``r``, which checks every output;
    - when ``model`` is itself a `Loss`, the objective is ``model(x, t)`` and only ∂L/∂x
      (∂L/∂y in the loss's own terms) is checked.

    Parameters
    ----------
    model
        Any layer (built-in, plugin or your own), a `Sequential`, or a loss.
    x
        An input batch for ``model`` (the prediction ``y`` when ``model`` is a loss).
    t
        Optional target defining the objective with ``loss``, as above.
    loss
        Optional loss defining the objective with ``t``, as above.
    eps
        The finite-difference step; finite and positive.
    seed
        Seed for the random output weights ``r`` (None, a non-negative integer or a
        ``numpy.random.Generator``).
    tolerance
        The largest relative error the verdict accepts; 1e-6 by default.
    raise_on_failure
        Raise `GradientCheckError` instead of returning a failed result.

    Returns
    -------
    GradientCheck
        A dict giving, for ``"input"`` and each parameter name, the largest absolute
        difference between the two gradients divided by the largest absolute gradient entry
        of all the arrays (0 when all vanish): one common scale, so that a gradient that has
        all but vanished (deep in a chain of sigmoids) is not judged against the rounding
        noise of the finite differences. A correct backward gives about 1e-9 or less. Any NaN
        or infinity (in ``backward``'s gradient, the finite differences or the forward value)
        gives ``inf``. The result is truthy only when every error is at most ``tolerance``.

    Raises
    ------
    GradientCheckError
        With ``raise_on_failure``, when an error exceeds ``tolerance``.
    ConfigurationError
        For a non-positive or non-finite ``eps``, a bad ``seed`` or ``tolerance``.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit import gradcheck
    >>> from layerkit import Dense
    >>> errors = gradcheck(Dense(3, 2, seed=0), np.ones((4, 3)))
    >>> bool(errors), sorted(errors), max(errors.values()) < 1e-6
    (True, ['W', 'b', 'input'], True)
    """
    eps = real_number(eps, "gradcheck", "eps", positive=True)
    tolerance = real_number(tolerance, "gradcheck", "tolerance")
    seed = random_seed(seed, "gradcheck")
    if not isinstance(raise_on_failure, bool):
        raise ConfigurationError(
            f"gradcheck expects raise_on_failure True or False, got {raise_on_failure!r}"
        )
    if not isinstance(model, (Layer, Loss)):
        hint = " (a class: pass an instance)" if isinstance(model, type) else ""
        raise ComponentTypeError(
            f"gradcheck expects a Layer or a Loss instance, got {model!r}{hint}"
        )
    if isinstance(model, Sequential):  # its layers may have been changed since it was built
        _refuse_shared_layers(model.layers, {id(model): "the whole network"})
    if loss is not None and not isinstance(loss, Loss):
        raise ComponentTypeError(f"gradcheck expects loss to be a Loss instance, got {loss!r}")
    x = np.array(as_float_array(x, "gradcheck"), dtype=np.float64)  # a private copy
    if x.size == 0:
        raise ShapeError(
            f"gradcheck needs an input with at least one entry to nudge, got shape {x.shape}"
        )
    with np.errstate(all="ignore"):  # NaN and overflow are judged below, not warned about
        try:
            errors, notes = _check(model, x, t, loss, eps, seed)
        except NonFiniteError as error:  # a layer refused a NaN made by the layer next to it
            names = ["input"] + [p.name for p in model.parameters()] * isinstance(model, Layer)
            errors = dict.fromkeys(names, math.inf)
            notes = dict.fromkeys(names, f"the model refused a non-finite value: {error}")
    result = GradientCheck(errors, tolerance, notes)
    return result.raise_on_failure() if raise_on_failure else result


def _check(
    model: Layer | Loss,
    x: Array,
    t: ArrayLike | None,
    loss: Loss | None,
    eps: float,
    seed: int | np.random.Generator | None,
) -> tuple[dict[str, float], dict[str, str]]:
    if isinstance(model, Loss):
        if t is None:
            raise ConfigurationError("gradcheck of a loss needs the target t")
        probe = copy.deepcopy(model)
        probe.forward(x, t)
        analytic = {"input": _returned(probe.backward(), f"{model!r}.backward()")}
        objective = lambda: probe.forward(x, t)  # noqa: E731
        return _compare(analytic, {"input": x}, objective, eps)

    if (loss is None) != (t is None):
        raise ConfigurationError("gradcheck takes a target t and a loss together, or neither")
    network = copy.deepcopy(model).astype(np.float64)
    if loss is None:
        weights = np.random.default_rng(seed).standard_normal(np.shape(network.forward(x)))

        def objective() -> float:
            return float(np.sum(weights * network.forward(x)))

        output_gradient: Array = weights
    else:
        loss = copy.deepcopy(loss)

        def objective() -> float:
            return loss.forward(network.forward(x), t)

        objective()
        output_gradient = loss.backward()

    network.forward(x)
    analytic = {"input": _returned(network.backward(output_gradient), f"{model!r}.backward")}
    parameters = network.parameters()
    for parameter in parameters:
        if parameter.grad is None:
            raise ConfigurationError(
                f"gradcheck: {model!r}.backward left no gradient for parameter "
                f"{parameter.name!r}; backward must store one for every parameter"
            )
    analytic.update(
        {p.name: _returned(p.grad, f"the gradient of parameter {p.name!r}") for p in parameters}
    )
    arrays = {"input": x} | {p.name: p.value for p in parameters}
    return _compare(analytic, arrays, objective, eps)


def _compare(
    analytic: dict[str, Array],
    arrays: dict[str, Array],
    objective: Callable[[], float],
    eps: float,
) -> tuple[dict[str, float], dict[str, str]]:
    notes = {}
    if not math.isfinite(objective()):
        notes = dict.fromkeys(arrays, "the forward value is not finite")
    numerics = {}
    for name, array in arrays.items():
        if analytic[name].shape != array.shape:
            raise ShapeError(
                f"gradcheck: the gradient of {name} has shape {analytic[name].shape}, "
                f"but {name} has shape {array.shape}"
            )
        numeric = np.zeros_like(array)
        flat, numeric_flat = array.reshape(-1), numeric.reshape(-1)  # views into the arrays
        for i in range(flat.size):
            kept = flat[i]
            flat[i] = kept + eps
            above = objective()
            flat[i] = kept - eps
            below = objective()
            flat[i] = kept
            numeric_flat[i] = (above - below) / (2 * eps)
        numerics[name] = numeric
        if not np.isfinite(analytic[name]).all():
            notes.setdefault(name, "backward's gradient holds NaN or infinity")
        elif not np.isfinite(numeric).all():
            notes.setdefault(name, "the finite differences are not finite")
    finite = [name for name in arrays if name not in notes]
    largest = max(
        (max(_largest(analytic[name]), _largest(numerics[name])) for name in finite),
        default=0.0,
    )
    errors = {}
    for name in arrays:
        if name in notes:
            errors[name] = math.inf  # a non-finite gradient is the worst mismatch there is
            continue
        difference = _largest(analytic[name] - numerics[name])
        errors[name] = float(difference / largest) if largest > 0 else 0.0
    return errors, notes


def _returned(value: object, what: str) -> Array:
    """``value`` (a gradient the model produced) as a float64 array, or a clear error."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return np.array(value, dtype=np.float64)
    try:
        array = np.asarray(value)
    except ValueError:  # a ragged list
        array = np.empty(0, dtype=object)
    if value is None or array.dtype.kind not in "biuf":
        raise ComponentTypeError(
            f"gradcheck: {what} gave {type(value).__name__} of dtype {array.dtype}, "
            f"not a real numeric array"
        )
    return np.array(array, dtype=np.float64)


def _largest(array: Array) -> float:
    return float(np.max(np.abs(array), initial=0.0))
