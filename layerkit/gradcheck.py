"""Check a backward pass against central finite differences of its forward pass."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .errors import ConfigurationError, ShapeError
from .layer import Layer
from .loss import Loss
from .validation import Array, as_float_array

__all__ = ["gradcheck"]


def gradcheck(
    model: Layer | Loss,
    x: ArrayLike,
    t: ArrayLike | None = None,
    loss: Loss | None = None,
    *,
    eps: float = 1e-6,
    seed: int = 0,
) -> dict[str, float]:
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
    t, loss
        Optional target and loss defining the objective, as above.
    eps
        The finite-difference step.
    seed
        Seed for the random output weights ``r``.

    Returns
    -------
    dict of str to float
        For ``"input"`` and each parameter name, the largest absolute difference between
        the two gradients, divided by the largest absolute gradient entry of all the arrays
        (0 when all vanish): one common scale, so that a gradient that has all but vanished
        (deep in a chain of sigmoids) is not judged against the rounding noise of the finite
        differences. A correct backward gives about 1e-9 or less; above 1e-6 is suspect.

    Examples
    --------
    >>> from layerkit import Dense
    >>> errors = gradcheck(Dense(3, 2, seed=0), np.ones((4, 3)))
    >>> sorted(errors), max(errors.values()) < 1e-6
    (['W', 'b', 'input'], True)
    """
    x = np.array(as_float_array(x, "gradcheck"), dtype=np.float64)  # a private copy
    if isinstance(model, Loss):
        if t is None:
            raise ConfigurationError("gradcheck of a loss needs the target t")
        probe = copy.deepcopy(model)
        probe.forward(x, t)
        analytic = {"input": np.array(probe.backward(), dtype=np.float64)}
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
    analytic = {"input": np.array(network.backward(output_gradient), dtype=np.float64)}
    parameters = network.parameters()
    analytic.update({p.name: p.grad.copy() for p in parameters})
    arrays = {"input": x} | {p.name: p.value for p in parameters}
    return _compare(analytic, arrays, objective, eps)


def _compare(
    analytic: dict[str, Array],
    arrays: dict[str, Array],
    objective: Callable[[], float],
    eps: float,
) -> dict[str, float]:
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
    largest = max(max(_largest(analytic[name]), _largest(numerics[name])) for name in arrays)
    errors = {}
    for name in arrays:
        difference = _largest(analytic[name] - numerics[name])
        errors[name] = float(difference / largest) if largest > 0 else 0.0
    return errors


def _largest(array: Array) -> float:
    return float(np.max(np.abs(array), initial=0.0))
