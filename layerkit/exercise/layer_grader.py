"""Grade level two, a learner's ``Tanh`` and ``Dense`` layers, and name the likely mistake.

Each is compared with the right numbers on random cases (one sample and batches, float64 and
float32), then ``Tanh`` goes through layerkit's conformance kit and ``Dense`` through a
finite-difference gradient check, the checks layerkit's own layers pass.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..dense import Dense
from ..gradcheck import gradcheck
from ..testing import ConformanceError, activation_checks
from ..validation import Array
from .grade import Grade, shown

__all__ = ["CLASSES", "grade_class"]

Mistakes = list[tuple[str, Callable[..., Any]]]

TANH_BACKWARD_MISTAKES: Mistakes = [
    (
        "1 − x² uses the input: tanh′ = 1 − y², with the output y = tanh(x)",
        lambda x, y, g: g * (1 - x**2),
    ),
    ("a missing square: tanh′ = 1 − y², not 1 − y", lambda x, y, g: g * (1 - y)),
    ("a sign: tanh′ = 1 − y², not y² − 1", lambda x, y, g: g * (y**2 - 1)),
    ("a missing derivative: ∂L/∂x = ∂L/∂y ⊙ (1 − y²)", lambda x, y, g: g),
    ("the incoming gradient is missing: ∂L/∂x = ∂L/∂y ⊙ (1 − y²)", lambda x, y, g: 1 - y**2),
]

DENSE_MISTAKES: dict[str, Mistakes] = {
    "forward": [
        ("a missing bias: a = xW + b", lambda x, W, b, d: x @ W),
        ("a sign: a = xW + b", lambda x, W, b, d: x @ W - b),
    ],
    "∂L/∂x": [
        ("W instead of Wᵀ: ∂L/∂x = δWᵀ, delta @ W.T", lambda x, W, b, d: d @ W),
        ("a sign: ∂L/∂x = δWᵀ", lambda x, W, b, d: -(d @ W.T)),
    ],
    "dW": [
        (
            "mean instead of sum over the batch: ∂L/∂W = xᵀδ sums over the samples",
            lambda x, W, b, d: x.T @ d / len(x) if x.ndim == 2 and len(x) > 1 else None,
        ),
        (
            "δᵀx instead of xᵀδ: ∂L/∂W has W's shape, inputs × outputs",
            lambda x, W, b, d: np.outer(d, x) if x.ndim == 1 else d.T @ x,
        ),
        (
            "for one sample xᵀδ is the outer product: a 1-D array's .T is itself, use np.outer",
            lambda x, W, b, d: x.T @ d if x.ndim == 1 else None,
        ),
        ("a sign: ∂L/∂W = xᵀδ", lambda x, W, b, d: -(np.outer(x, d) if x.ndim == 1 else x.T @ d)),
    ],
    "db": [
        (
            "mean instead of sum over the batch: ∂L/∂b = Σ δ over the samples",
            lambda x, W, b, d: d.mean(axis=0) if d.ndim == 2 and len(d) > 1 else None,
        ),
        ("summed over the units, not the batch (axis=0)", lambda x, W, b, d: d.sum(axis=-1)),
        ("a sign: ∂L/∂b = Σ δ", lambda x, W, b, d: -(d.sum(axis=0) if d.ndim == 2 else d)),
    ],
}

DENSE_SHAPES = [(1, 1, None), (2, 3, None), (3, 2, 2), (2, 3, 4), (4, 3, 5)]
"""(inputs, outputs, batch size or None for one sample) of the Dense cases, smallest first."""


class _Failure(Exception):
    def __init__(self, mistake: str, details: list[str] | None = None) -> None:
        super().__init__(mistake)
        self.mistake = mistake
        self.details = details or []


def grade_class(name: str, cls: object) -> Grade:
    """Grade the learner's class ``name`` (``"Tanh"`` or ``"Dense"``)."""
    if cls is None:
        return Grade(name, "fail", "missing: exercise.py defines no class of this name")
    if not isinstance(cls, type):
        return Grade(name, "fail", f"{name} is a {type(cls).__name__}, not a class")
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            CLASSES[name](cls)
    except NotImplementedError:
        return Grade(name, "todo")
    except _Failure as failure:
        return Grade(name, "fail", failure.mistake, failure.details)
    return Grade(name, "pass")


def _tolerance(dtype: Any) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-12}


def _compare(
    what: str,
    got: object,
    expected: Array,
    mistakes: Mistakes,
    arguments: tuple[Array, ...],
    case: list[str],
) -> None:
    """Fail unless ``got`` is ``expected``; the hint is the mistake that gives ``got``."""
    if not isinstance(got, np.ndarray):
        raise _Failure(
            f"{what} is a {type(got).__name__}, not a NumPy array", [*case, f"got {got!r}"]
        )
    tolerance = _tolerance(expected.dtype)
    details = [*case, f"expected {what} {shown(expected)}", f"got      {what} {shown(got)}"]
    if got.shape == expected.shape and np.allclose(got, expected, **tolerance):
        if got.dtype != expected.dtype:
            raise _Failure(
                f"{what} is {got.dtype} for {expected.dtype} input: keep the dtype", details
            )
        return
    wide = tuple(np.asarray(argument, dtype=np.float64) for argument in arguments)
    for hint, formula in mistakes:
        try:
            wrong = formula(*wide)
        except Exception:
            continue
        if (
            wrong is not None
            and np.shape(wrong) == got.shape
            and np.allclose(got, wrong, **tolerance)
        ):
            raise _Failure(f"{what}: {hint}", details)
    raise _Failure(
        f"{what} has wrong {'values' if got.shape == expected.shape else 'shape'}", details
    )


def _call(
    what: str,
    method: Callable[..., Any],
    *arguments: Array,
    case: list[str],
    mistakes: Mistakes | None = None,
    numbers: tuple[Array, ...] = (),
) -> Any:
    """Call the learner's method; an error is a failure, and so is writing into an argument.

    For an error, the hint is the first of ``mistakes`` whose wrong formula, given
    ``numbers``, raises the same error.
    """
    kept = [argument.copy() for argument in arguments]
    try:
        result = method(*arguments)
    except NotImplementedError:
        raise
    except Exception as error:
        text = f"{type(error).__name__}: {error}"
        for hint, formula in mistakes or []:
            try:
                formula(*numbers)
            except Exception as wrong:
                if type(wrong) is type(error) and str(wrong) == str(error):
                    raise _Failure(f"{what}: {hint}", [*case, f"got an error, {text}"]) from None
        raise _Failure(f"{what} raised {text}", case) from None
    if not all(np.array_equal(a, b) for a, b in zip(arguments, kept, strict=True)):
        raise _Failure(f"{what} modified its input: return a new array", case)
    return result


def _grade_tanh(cls: type) -> None:
    rng = np.random.default_rng(15)
    for shape in [(1,), (3,), (2, 3), (5, 4)]:
        for dtype in (np.float64, np.float32):
            x = (rng.normal(size=shape) * 2).astype(dtype)
            g = rng.normal(size=shape).astype(dtype)
            case = [
                f"smallest failing case: x of shape {shape}, {np.dtype(dtype)}",
                f"x = {shown(x)}",
            ]
            layer = cls()
            y = _call("forward", layer.forward, x, case=case)
            _compare("forward", y, np.tanh(x), [], (x,), case)
            dx = _call("backward", layer.backward, g, case=[*case, f"grad = {shown(g)}"])
            expected = (g.astype(np.float64) * (1 - np.tanh(x.astype(np.float64)) ** 2)).astype(
                dtype
            )
            _compare(
                "backward",
                dx,
                expected,
                [
                    (hint, lambda x, g, f=f: f(x, np.tanh(x), g))
                    for hint, f in TANH_BACKWARD_MISTAKES
                ],
                (x, g),
                [*case, f"grad = {shown(g)}"],
            )
    for check in activation_checks(cls, "Tanh", array_api=False):
        try:
            check()
        except ConformanceError as error:
            raise _Failure(f"conformance kit: {error}") from None


def _grade_dense(cls: type) -> None:
    rng = np.random.default_rng(15)
    for inputs, outputs, batch in DENSE_SHAPES:
        rows = () if batch is None else (batch,)
        for dtype in (np.float64, np.float32):
            W = rng.normal(size=(inputs, outputs)).astype(dtype)
            b = rng.normal(size=outputs).astype(dtype)
            x = rng.normal(size=(*rows, inputs)).astype(dtype)
            delta = rng.normal(size=(*rows, outputs)).astype(dtype)
            label = "one sample" if batch is None else f"a batch of {batch}"
            case = [
                f"smallest failing case: Dense({inputs}, {outputs}), {label}, {np.dtype(dtype)}",
                f"W = {shown(W)}",
                f"b = {shown(b)}",
                f"x = {shown(x)}",
            ]
            reference = Dense(inputs, outputs, W=W, b=b)
            layer = cls(inputs, outputs, W=W.copy(), b=b.copy())
            a = _call("forward", layer.forward, x, case=case)
            arguments = (x, W, b, delta)
            _compare("forward", a, reference.forward(x), DENSE_MISTAKES["forward"], arguments, case)
            case = [*case, f"δ = {shown(delta)}"]
            dx = _call(
                "backward",
                layer.backward,
                delta,
                case=case,
                mistakes=DENSE_MISTAKES["∂L/∂x"],
                numbers=arguments,
            )
            expected_dx = reference.backward(delta)
            _compare("∂L/∂x", dx, expected_dx, DENSE_MISTAKES["∂L/∂x"], arguments, case)
            for name in ("dW", "db"):
                got = getattr(layer, name, None)
                _compare(name, got, getattr(reference, name), DENSE_MISTAKES[name], arguments, case)
    x = rng.normal(size=(3, 4))
    result = gradcheck(cls(4, 3, seed=1), x)
    if not result.passed:
        raise _Failure(
            "gradient check: backward differs from central finite differences",
            str(result).splitlines(),
        )


CLASSES: dict[str, Callable[[type], None]] = {"Tanh": _grade_tanh, "Dense": _grade_dense}
"""The classes of level two, each with its grading."""
