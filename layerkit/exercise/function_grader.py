"""Grade level one, the seven functions of backpropagation, and name the likely mistake.

Each function is called on every case (smallest first), in float64 and float32, and its
result compared with layerkit's own numbers. For the first case that fails, the checker tries
the mistakes learners make (each a wrong formula, below): the one that gives what the
learner's function gave is the hint.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..sigmoid import Sigmoid
from ..validation import Array
from .cases import Case, cases
from .grade import Grade, shown

__all__ = ["FUNCTIONS", "grade_function"]


def _sigmoid(a: Array) -> Array:
    return Sigmoid().function(np.array(a))


def _slope(y: Array) -> Array:
    return Sigmoid().derivative(None, y)


def _batch(array: Array) -> int | None:
    """The batch size of a 2-D array; None for one sample, where batch mistakes do not apply."""
    return len(array) if array.ndim == 2 else None


def _mean(total: Array, rows: Array) -> Array | None:
    batch = _batch(rows)
    return None if batch is None or batch == 1 else total / batch


@dataclass(frozen=True)
class Exercise:
    """One function to write: its arguments (from a case's numbers), answer and mistakes."""

    name: str
    arguments: dict[str, str]
    """Each argument's name and the quantity of the case it receives."""
    answer: Callable[..., Array]
    mistakes: list[tuple[str, Callable[..., Any]]]
    """(hint, wrong formula): a wrong formula returns None where the mistake cannot show."""


SIGN = "a sign"
FUNCTIONS: dict[str, Exercise] = {
    exercise.name: exercise
    for exercise in [
        Exercise(
            "sigmoid",
            {"a": "a1"},
            _sigmoid,
            [
                (f"{SIGN}: σ(a) = 1 / (1 + e⁻ᵃ), e to the minus a", lambda a: _sigmoid(-a)),
                ("returned the derivative σ(a)(1 − σ(a)), not σ(a)", lambda a: _slope(_sigmoid(a))),
            ],
        ),
        Exercise(
            "sigmoid_derivative",
            {"y": "h"},
            _slope,
            [
                (
                    "applied σ again: y is already the output σ(a), so σ′ = y(1 − y)",
                    lambda y: _slope(_sigmoid(y)),
                ),
                ("a missing factor y: σ′ = y(1 − y), not 1 − y", lambda y: 1 - y),
                (f"{SIGN}: σ′ = y(1 − y), not y(y − 1)", lambda y: -_slope(y)),
            ],
        ),
        Exercise(
            "output_delta",
            {"y": "y", "t": "t"},
            lambda y, t: (y - t) * _slope(y),
            [
                ("a missing y(1 − y): δ⁽²⁾ = (y − t) ⊙ y(1 − y), not y − t", lambda y, t: y - t),
                (
                    f"{SIGN}: δ⁽²⁾ = (y − t) ⊙ y(1 − y), output minus target",
                    lambda y, t: (t - y) * _slope(y),
                ),
                (
                    "σ′ of the target: it is y(1 − y), not t(1 − t)",
                    lambda y, t: (y - t) * _slope(t),
                ),
                (
                    "divided by the batch size: δ⁽²⁾ is per sample (the sums come in xᵀδ)",
                    lambda y, t: _mean((y - t) * _slope(y), y),
                ),
            ],
        ),
        Exercise(
            "hidden_delta",
            {"h": "h", "delta_next": "delta2", "u": "u"},
            lambda h, delta_next, u: _slope(h) * (delta_next @ u.T),
            [
                (
                    "u instead of uᵀ (or u @ δ⁽²⁾, right for one sample only): δ⁽¹⁾ = h(1 − h) ⊙ "
                    "(δ⁽²⁾ uᵀ), delta_next @ u.T",
                    lambda h, delta_next, u: _slope(h) * (delta_next @ u),
                ),
                (
                    "a missing h(1 − h): δ⁽¹⁾ = h(1 − h) ⊙ (δ⁽²⁾ uᵀ)",
                    lambda h, delta_next, u: delta_next @ u.T,
                ),
                (
                    "applied σ again: h is already the output σ(a⁽¹⁾), so σ′ = h(1 − h)",
                    lambda h, delta_next, u: _slope(_sigmoid(h)) * (delta_next @ u.T),
                ),
                (
                    f"{SIGN}: δ⁽¹⁾ = h(1 − h) ⊙ (δ⁽²⁾ uᵀ), not h(h − 1)",
                    lambda h, delta_next, u: -_slope(h) * (delta_next @ u.T),
                ),
            ],
        ),
        Exercise(
            "weight_gradient",
            {"x": "x", "delta": "delta1"},
            lambda x, delta: np.outer(x, delta) if x.ndim == 1 else x.T @ delta,
            [
                (
                    "mean instead of sum over the batch: ∂L/∂w = xᵀδ sums over the samples",
                    lambda x, delta: _mean(x.T @ delta, x) if x.ndim == 2 else None,
                ),
                (
                    "δᵀx instead of xᵀδ: ∂L/∂w has the weights' shape, inputs × outputs",
                    lambda x, delta: np.outer(delta, x) if x.ndim == 1 else delta.T @ x,
                ),
                (
                    "for one sample xᵀδ is the outer product of x and δ: a 1-D array's .T is "
                    "itself, so use np.outer(x, delta)",
                    lambda x, delta: x.T @ delta if x.ndim == 1 else None,
                ),
                (
                    "the elementwise x * δ: ∂L/∂w = xᵀδ is a matrix product",
                    lambda x, delta: x * delta,
                ),
                (
                    f"{SIGN}: ∂L/∂w = xᵀδ",
                    lambda x, delta: -(np.outer(x, delta) if x.ndim == 1 else x.T @ delta),
                ),
            ],
        ),
        Exercise(
            "bias_gradient",
            {"delta": "delta2"},
            lambda delta: delta.sum(axis=0) if delta.ndim == 2 else delta.copy(),
            [
                (
                    "mean instead of sum over the batch: ∂L/∂b = Σ δ over the samples",
                    lambda delta: _mean(delta.sum(axis=0), delta),
                ),
                (
                    "summed over the units, not the batch: for a batch sum the rows (axis=0); "
                    "for one sample ∂L/∂b is δ itself",
                    lambda delta: delta.sum(axis=-1),
                ),
                ("summed everything: sum over the batch only (axis=0)", lambda delta: delta.sum()),
                (
                    f"{SIGN}: ∂L/∂b = Σ δ",
                    lambda delta: -(delta.sum(axis=0) if delta.ndim == 2 else delta),
                ),
            ],
        ),
        Exercise(
            "sgd_update",
            {"w": "u", "grad": "dU", "lr": "lr"},
            lambda w, grad, lr: w - lr * grad,
            [
                (
                    f"{SIGN}: w − η ∂L/∂w steps against the gradient",
                    lambda w, grad, lr: w + lr * grad,
                ),
                ("a missing learning rate: w − η ∂L/∂w", lambda w, grad, lr: w - grad),
                ("returned the step η ∂L/∂w, not the new weights", lambda w, grad, lr: lr * grad),
            ],
        ),
    ]
}


class _Failure(Exception):
    def __init__(self, mistake: str, details: list[str]) -> None:
        super().__init__(mistake)
        self.mistake = mistake
        self.details = details


def grade_function(name: str, function: Callable[..., Any] | None) -> Grade:
    """Grade the learner's ``function`` for exercise ``name`` on every case, both dtypes."""
    if function is None:
        return Grade(name, "fail", "missing: exercise.py defines no function of this name")
    if not callable(function):
        return Grade(name, "fail", f"{name} is a {type(function).__name__}, not a function")
    exercise = FUNCTIONS[name]
    try:
        for case in cases():
            numbers = case.numbers()
            for dtype in (np.float64, np.float32):
                _grade_case(exercise, function, case, numbers, dtype)
    except NotImplementedError:
        return Grade(name, "todo")
    except _Failure as failure:
        return Grade(name, "fail", failure.mistake, failure.details)
    return Grade(name, "pass")


def _grade_case(
    exercise: Exercise,
    function: Callable[..., Any],
    case: Case,
    numbers: dict[str, Array],
    dtype: type[np.floating[Any]],
) -> None:
    arguments = {
        name: numbers[quantity].astype(dtype)
        if numbers[quantity].ndim
        else float(numbers[quantity])
        for name, quantity in exercise.arguments.items()
    }
    kept = {name: np.copy(value) for name, value in arguments.items()}
    wide = {name: np.asarray(value, dtype=np.float64) for name, value in kept.items()}
    expected = np.asarray(exercise.answer(**wide)).astype(dtype)

    def fail(mistake: str, got: str) -> _Failure:
        details = [f"smallest failing case: {case.label}, {np.dtype(dtype)}"]
        details += [f"{name} = {shown(value)}" for name, value in kept.items()]
        details += [f"expected {shown(expected)}", f"got      {got}"]
        return _Failure(mistake, details)

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            result = function(*arguments.values())
        except NotImplementedError:
            raise
        except Exception as error:  # the learner's code broke: which mistake breaks so?
            text = f"{type(error).__name__}: {error}"
            hint = _mistake_raising(exercise, wide, error) or f"raised {text}"
            raise fail(hint, f"an error, {text}") from None
    changed = [
        name
        for name, value in arguments.items()
        if not np.array_equal(np.asarray(value), kept[name], equal_nan=True)
    ]
    if not isinstance(result, np.ndarray | np.generic):
        raise fail(f"returned a {type(result).__name__}, not a NumPy array", repr(result))
    got = np.asarray(result)
    tolerance = (
        {"rtol": 1e-4, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-12}
    )
    if got.shape != expected.shape or not np.allclose(got, expected, **tolerance):
        hint = _mistake_giving(exercise, wide, got, tolerance)
        if hint is None and changed:
            hint = _modified(changed)
        if hint is None:
            hint = (
                f"wrong shape: {got.shape} instead of {expected.shape}"
                if got.shape != expected.shape
                else "wrong values: compare with the formula in its docstring"
            )
        raise fail(hint, shown(got))
    if changed:
        raise fail(_modified(changed), shown(got))
    if got.dtype != expected.dtype:
        raise fail(
            f"returned {got.dtype} for {np.dtype(dtype)} arguments: keep the arguments' dtype",
            shown(got),
        )


def _modified(names: list[str]) -> str:
    return (
        f"modified its input {', '.join(names)}: return a new array "
        f"(y * (1 - y), w - lr * grad), never y *= ... or w -= ..."
    )


def _wrong(formula: Callable[..., Any], wide: dict[str, Array]) -> Any:
    copies = {name: np.copy(value) for name, value in wide.items()}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return formula(**copies)


def _mistake_giving(
    exercise: Exercise, wide: dict[str, Array], got: Array, tolerance: dict[str, float]
) -> str | None:
    """The hint of the first mistake whose wrong formula gives ``got``."""
    for hint, formula in exercise.mistakes:
        try:
            wrong = _wrong(formula, wide)
        except Exception:
            continue
        if wrong is None:
            continue
        wrong = np.asarray(wrong)
        if wrong.shape == got.shape and np.allclose(got, wrong, **tolerance):
            return hint
    return None


def _mistake_raising(exercise: Exercise, wide: dict[str, Array], error: Exception) -> str | None:
    """The hint of the first mistake whose wrong formula raises what the learner's raised."""
    for hint, formula in exercise.mistakes:
        try:
            _wrong(formula, wide)
        except Exception as wrong:
            if type(wrong) is type(error) and str(wrong) == str(error):
                return hint
    return None
