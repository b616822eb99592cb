"""The conformance kit: checks every activation, loss and optimizer must pass, built-in or plugin.

Run them on your own component (a class, or a zero-argument callable that builds one):

```python
from layerkit import SGD
from layerkit.testing import check_activation, check_loss, check_optimizer
from layerkit_activations import Tanh
from layerkit_losses import HuberLoss

check_activation(Tanh)
check_loss(lambda: HuberLoss(delta=0.5))
check_optimizer(lambda: SGD(lr=0.1, momentum=0.9))
```

The optimizer checks live in `layerkit.optimizer_checks`, re-exported here.

Besides the checks on NumPy arrays, ``check_activation``, ``check_loss``, ``check_optimizer``
and `registered_checks` run the ``array_api_strict`` check: the component computes on arrays
of ``array-api-strict``, a library with only the array API standard's functions, and must
return arrays of that library agreeing with its NumPy results (`ARRAY_API_TOLERANCE`). A
NumPy-only call (``np.exp(x)``, ``out=``) fails it. Without ``array-api-strict`` installed the
check is skipped: it has a `Check.skip_reason` and calling it does nothing.

Each check raises `ConformanceError` saying which check failed, for which component, and by
how much; a component that raises on the kit's input (or returns something that is not an
array) fails the check the same way, with the original exception chained. With pytest,
``from layerkit.pytest_plugin import test_conformance`` in a test module checks every
registered component, one test per component and check.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .errors import ComponentTypeError, NonFiniteError, ShapeError
from .gradcheck import GradientCheck, gradcheck
from .layer import Layer
from .loss import Loss
from .namespaces import to_numpy
from .optimizer_checks import check_optimizer, optimizer_checks, registered_optimizer_factory
from .registry import activations, losses, optimizers

__all__ = [
    "ARRAY_API_TOLERANCE",
    "GRADIENT_TOLERANCE",
    "Check",
    "ConformanceError",
    "activation_checks",
    "array_api_check",
    "check_activation",
    "check_loss",
    "check_optimizer",
    "loss_checks",
    "optimizer_checks",
    "registered_checks",
]

GRADIENT_TOLERANCE = 1e-6
"""Largest accepted relative error between ``backward`` and finite differences (float64)."""


ARRAY_API_TOLERANCE = {"float32": 1e-5, "float64": 1e-12}
"""Largest accepted relative (and absolute) difference between a component's results on
``array-api-strict`` arrays and on NumPy arrays, by dtype: rounding, not another formula."""

ARRAY_API_CHECK = "array_api_strict"
"""The name of the check that runs a component on ``array-api-strict`` arrays."""


def _extremes(dtype: Any) -> np.ndarray:
    """Finite inputs at the edges of ``dtype``: its largest and smallest numbers, the square
    root of the largest (where squares overflow), ±710 and ±88/89 (where e^x overflows in
    float64 and float32), ±1e4, a subnormal and both zeros, in one row."""
    info = np.finfo(dtype)
    edges = [
        info.max,
        np.sqrt(info.max),
        710.0,
        89.0,
        88.0,
        1e4,
        100.0,
        1.0,
        info.smallest_subnormal,
    ]
    positive = np.array(edges, dtype=dtype)
    return np.concatenate([-positive, [-0.0, 0.0], positive[::-1]]).astype(dtype)[None, :]


class ConformanceError(AssertionError):
    """A component failed a conformance check."""


@dataclass(frozen=True)
class Check:
    """One named check of one component; call it to run it."""

    check: str
    component: str
    run: Callable[[], None]
    skip_reason: str | None = None
    """Why the check cannot run here (a library it needs is missing); then it does nothing."""

    def __call__(self) -> None:
        if self.skip_reason is not None:
            return
        try:
            self.run()
        except ConformanceError:
            raise
        except Exception as error:  # the component broke on input it must accept
            raise ConformanceError(
                f"check {self.check!r} failed for {self.component}: it raised "
                f"{type(error).__name__}: {error}"
            ) from error

    @property
    def id(self) -> str:
        """A readable test id such as ``"activation-tanh-gradient"``."""
        words = self.component.replace("'", "").split()
        return "-".join([*words, self.check])


def check_activation(factory: Callable[[], Layer], label: str | None = None) -> None:
    """Run every activation check on the component ``factory()`` builds; raise on a failure."""
    for check in activation_checks(factory, label, array_api=True):
        check()


def check_loss(factory: Callable[[], Loss], label: str | None = None) -> None:
    """Run every loss check on the component ``factory()`` builds; raise on a failure."""
    for check in loss_checks(factory, label, array_api=True):
        check()


def registered_checks() -> Iterator[Check]:
    """Yield every check of every registered activation, loss and optimizer.

    An optimizer is built with its defaults; one whose ``lr`` has no default (`SGD`) gets
    ``lr=0.01``. Each component's last check is the ``array_api_strict`` check.
    """
    for name, component in activations().items():
        yield from activation_checks(component.cls, f"activation {name!r}", array_api=True)
    for name, component in losses().items():
        yield from loss_checks(component.cls, f"loss {name!r}", array_api=True)
    for name, component in optimizers().items():
        factory = registered_optimizer_factory(component.cls)
        yield from optimizer_checks(factory, f"optimizer {name!r}", array_api=True)


def array_api_check(label: str, run: Callable[[ModuleType], None]) -> Check:
    """The ``array_api_strict`` check of component ``label``: ``run(array_api_strict)``.

    Skipped (`Check.skip_reason`) when ``array-api-strict`` is not installed.
    """
    try:
        import array_api_strict
    except ImportError:
        reason = "array-api-strict is not installed (pip install array-api-strict)"
        return Check(ARRAY_API_CHECK, label, lambda: None, skip_reason=reason)
    return Check(ARRAY_API_CHECK, label, lambda: run(array_api_strict))


def _agrees(
    fail: Callable[[str, str], ConformanceError], what: str, got: Any, expected: np.ndarray
) -> None:
    """Fail unless ``got`` is an ``array-api-strict`` array equal to ``expected`` to rounding."""
    _require_strict(fail, what, got, "input; a NumPy-only call (np.…) converted it")
    got = to_numpy(got)
    tolerance = ARRAY_API_TOLERANCE[np.dtype(expected.dtype).name]
    if got.shape != expected.shape or not np.allclose(
        got, expected, rtol=tolerance, atol=tolerance
    ):
        raise fail(
            ARRAY_API_CHECK,
            f"{what} on array_api_strict arrays differs from NumPy's: "
            f"{_difference(got, expected)} in {expected.dtype} (tolerance {tolerance:g})",
        )


def _require_strict(
    fail: Callable[[str, str], ConformanceError], what: str, array: Any, cause: str
) -> None:
    """Fail unless ``array`` is an ``array-api-strict`` array, naming what it is instead."""
    if type(array).__module__.split(".")[0] != "array_api_strict":
        raise fail(
            ARRAY_API_CHECK,
            f"{what} is {type(array).__module__}.{type(array).__name__} for array_api_strict "
            f"{cause}: compute with the functions of the input's namespace, "
            f"layerkit.namespaces.namespace_of(x)",
        )


def _difference(got: np.ndarray, expected: np.ndarray) -> str:
    if got.shape != expected.shape:
        return f"shape {got.shape} instead of {expected.shape}"
    with np.errstate(invalid="ignore", over="ignore"):
        return f"up to {np.max(np.abs(got - expected), initial=0.0):.3g}"


# ---------------------------------------------------------------------------- activations
def activation_checks(
    factory: Callable[[], Layer], label: str | None = None, *, array_api: bool = False
) -> list[Check]:
    """Return the checks of an activation (any parameter-free layer that keeps the shape).

    With ``array_api``, the last is the ``array_api_strict`` check (`check_activation` runs
    it): forward and backward on ``array-api-strict`` arrays match NumPy's.
    """
    _check_factory(factory, Layer, "activation")
    label = label or _label(factory)

    def fail(check: str, detail: str) -> ConformanceError:
        return ConformanceError(f"check {check!r} failed for {label}: {detail}")

    def shape_and_dtype() -> None:
        for dtype in (np.float32, np.float64):
            layer = factory()
            x = _sample_input().astype(dtype)
            y = layer.forward(x)
            dx = layer.backward(np.ones_like(y))
            for what, array in (("forward output", y), ("backward result", dx)):
                if array.shape != x.shape or array.dtype != dtype:
                    raise fail(
                        "shape_and_dtype",
                        f"{what} has shape {array.shape} and dtype {array.dtype} for input of "
                        f"shape {x.shape} and dtype {np.dtype(dtype)}",
                    )

    def gradient() -> None:
        _check_gradient(fail, gradcheck(factory(), _sample_input(), tolerance=GRADIENT_TOLERANCE))

    def batch_equals_samples() -> None:
        x, grad = _sample_input(), _sample_input(seed=1)
        layer = factory()
        y, dx = layer.forward(x), layer.backward(grad)
        for row in range(len(x)):
            single = factory()
            y_row = single.forward(x[row : row + 1])
            dx_row = single.backward(grad[row : row + 1])
            _close(fail, "batch_equals_samples", f"forward of sample {row}", y[row], y_row[0])
            _close(fail, "batch_equals_samples", f"backward of sample {row}", dx[row], dx_row[0])

    def repeated_backward() -> None:
        layer = factory()
        layer.forward(_sample_input())
        grad = _sample_input(seed=1)
        first, second = layer.backward(grad).copy(), layer.backward(grad)
        if not np.array_equal(first, second):
            raise fail(
                "repeated_backward",
                f"a second backward with the same gradient differs by "
                f"{np.max(np.abs(first - second)):.3g}",
            )

    def no_mutation() -> None:
        layer = factory()
        x, grad = _sample_input(), _sample_input(seed=1)
        x_kept, grad_kept = x.copy(), grad.copy()
        layer.forward(x)
        layer.backward(grad)
        if not (np.array_equal(x, x_kept) and np.array_equal(grad, grad_kept)):
            raise fail("no_mutation", "forward or backward wrote into the caller's array")

    def extreme_inputs() -> None:
        # Finite input must give finite output, or a NonFiniteError saying the true result
        # does not fit the dtype (a leaky ReLU with slope 2 at the largest float): never
        # infinity or NaN handed back in silence, never a RuntimeWarning.
        for dtype in (np.float32, np.float64):
            x = _extremes(dtype)

            def run(x: np.ndarray = x) -> tuple[np.ndarray, np.ndarray] | None:
                layer = factory()
                try:
                    y = layer.forward(x)
                    return y, layer.backward(np.ones_like(y))
                except NonFiniteError:
                    return None

            result = _without_warnings(fail, dtype, run)
            if result is None:
                continue
            y, dx = result
            if not (np.all(np.isfinite(y)) and np.all(np.isfinite(dx))):
                raise fail(
                    "extreme_inputs",
                    f"non-finite result for input {x.ravel()} in {np.dtype(dtype)}: "
                    f"forward {y.ravel()}, backward {dx.ravel()}",
                )

    def empty_batch() -> None:
        # A batch of no samples maps to a batch of no samples (as in PyTorch), or is refused
        # with a ShapeError; nothing else.
        for dtype in (np.float32, np.float64):
            layer = factory()
            x = np.empty((0, 4), dtype=dtype)
            try:
                y = layer.forward(x)
                dx = layer.backward(np.ones_like(y))
            except ShapeError:
                continue
            if y.shape != x.shape or dx.shape != x.shape:
                raise fail(
                    "empty_batch",
                    f"a batch of shape {x.shape} gave forward {y.shape}, backward {dx.shape}",
                )

    def deterministic() -> None:
        x, grad = _sample_input(), _sample_input(seed=1)
        results = []
        for _ in range(2):
            layer = factory()
            results.append((layer.forward(x).copy(), layer.backward(grad).copy()))
        if not all(np.array_equal(a, b) for a, b in zip(*results, strict=True)):
            raise fail("deterministic", "two fresh instances gave different results")

    def on_array_api_strict(xp: ModuleType) -> None:
        for dtype in (np.float32, np.float64):
            x, grad = _sample_input().astype(dtype), _sample_input(seed=1).astype(dtype)
            reference = factory()
            y, dx = reference.forward(x), reference.backward(grad)
            layer = factory()
            _agrees(fail, "the forward output", layer.forward(xp.asarray(x)), y)
            _agrees(fail, "the backward result", layer.backward(xp.asarray(grad)), dx)

    checks = _checks(
        label,
        shape_and_dtype,
        gradient,
        batch_equals_samples,
        repeated_backward,
        no_mutation,
        extreme_inputs,
        empty_batch,
        deterministic,
    )
    return [*checks, array_api_check(label, on_array_api_strict)] if array_api else checks


# --------------------------------------------------------------------------------- losses
def loss_checks(
    factory: Callable[[], Loss], label: str | None = None, *, array_api: bool = False
) -> list[Check]:
    """Return the checks of a loss.

    The checks use predictions that are probabilities (rows in (0, 1) summing to 1) and
    one-hot targets, which every loss of layerkit's kind accepts. With ``array_api``, the
    last is the ``array_api_strict`` check (`check_loss` runs it): the value and the
    gradient on ``array-api-strict`` arrays match NumPy's.
    """
    _check_factory(factory, Loss, "loss")
    label = label or _label(factory)

    def fail(check: str, detail: str) -> ConformanceError:
        return ConformanceError(f"check {check!r} failed for {label}: {detail}")

    def value_shape_and_dtype() -> None:
        for dtype in (np.float32, np.float64):
            y, t = _probabilities(dtype), _one_hot(dtype)
            loss = factory()
            value = loss.forward(y, t)
            grad = loss.backward()
            if not isinstance(value, float):
                raise fail("value_shape_and_dtype", f"forward returned {type(value).__name__}")
            if grad.shape != y.shape or grad.dtype != dtype:
                raise fail(
                    "value_shape_and_dtype",
                    f"backward has shape {grad.shape} and dtype {grad.dtype} for y of shape "
                    f"{y.shape} and dtype {np.dtype(dtype)}",
                )

    def gradient() -> None:
        result = gradcheck(factory(), _probabilities(), _one_hot(), tolerance=GRADIENT_TOLERANCE)
        _check_gradient(fail, result)

    def batch_equals_samples() -> None:
        y, t = _probabilities(), _one_hot()
        loss = factory()
        value, grad = loss.forward(y, t), loss.backward().copy()
        mean = getattr(loss, "reduction", "mean") == "mean"
        values, grads = [], []
        for row in range(len(y)):
            single = factory()
            values.append(single.forward(y[row : row + 1], t[row : row + 1]))
            grads.append(single.backward()[0] / (len(y) if mean else 1))
        total = float(np.mean(values) if mean else np.sum(values))
        _close(fail, "batch_equals_samples", "loss value", np.array(value), np.array(total))
        _close(fail, "batch_equals_samples", "gradient", grad, np.array(grads))

    def repeated_backward() -> None:
        loss = factory()
        loss.forward(_probabilities(), _one_hot())
        first, second = loss.backward().copy(), loss.backward()
        if not np.array_equal(first, second):
            raise fail("repeated_backward", "a second backward gave a different gradient")

    def no_mutation() -> None:
        y, t = _probabilities(), _one_hot()
        y_kept, t_kept = y.copy(), t.copy()
        loss = factory()
        loss.forward(y, t)
        loss.backward()
        if not (np.array_equal(y, y_kept) and np.array_equal(t, t_kept)):
            raise fail("no_mutation", "forward or backward wrote into the caller's array")

    def extreme_inputs() -> None:
        for dtype in (np.float32, np.float64):
            # Saturated probabilities and huge logits: 0, 1, ±1e4.
            y = np.array([[0.0, 1.0, 0.0], [1e4, -1e4, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)
            t = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)

            def run(y: np.ndarray = y, t: np.ndarray = t) -> tuple[float, np.ndarray]:
                loss = factory()
                return loss.forward(y, t), loss.backward()

            value, grad = _without_warnings(fail, dtype, run)
            if not (np.isfinite(value) and np.all(np.isfinite(grad))):
                raise fail(
                    "extreme_inputs", f"loss {value} or gradient {grad.ravel()} is not finite"
                )

    def deterministic() -> None:
        y, t = _probabilities(), _one_hot()
        first, second = factory(), factory()
        if first.forward(y, t) != second.forward(y, t) or not np.array_equal(
            first.backward(), second.backward()
        ):
            raise fail("deterministic", "two fresh instances gave different results")

    def on_array_api_strict(xp: ModuleType) -> None:
        for dtype in (np.float32, np.float64):
            y, t = _probabilities(dtype), _one_hot(dtype)
            reference = factory()
            value, grad = reference.forward(y, t), reference.backward()
            loss = factory()
            got = loss.forward(xp.asarray(y), xp.asarray(t))
            if not isinstance(got, float):
                raise fail(
                    ARRAY_API_CHECK,
                    f"forward returned {type(got).__module__}.{type(got).__name__} for "
                    f"array_api_strict input, not a float",
                )
            kind = np.dtype(dtype).name  # the value compared to the dtype's rounding
            _agrees(
                fail,
                "the loss value",
                xp.asarray(got, dtype=getattr(xp, kind)),
                np.array(value, kind),
            )
            _agrees(fail, "the backward result", loss.backward(), np.asarray(grad))

    checks = _checks(
        label,
        value_shape_and_dtype,
        gradient,
        batch_equals_samples,
        repeated_backward,
        no_mutation,
        extreme_inputs,
        deterministic,
    )
    return [*checks, array_api_check(label, on_array_api_strict)] if array_api else checks


# -------------------------------------------------------------------------------- helpers
def _checks(label: str, *functions: Callable[[], None]) -> list[Check]:
    return [Check(function.__name__, label, function) for function in functions]


def _check_factory(factory: object, base: type, kind: str) -> None:
    """Refuse an instance or a non-callable where a class or factory is expected."""
    if isinstance(factory, base) or not callable(factory):
        name = type(factory).__name__ if isinstance(factory, base) else "Tanh"
        raise ComponentTypeError(
            f"the conformance kit expects the {kind}'s class or a zero-argument function that "
            f"builds one, e.g. {name} or lambda: {name}(...), got {factory!r}; each check "
            f"builds fresh instances"
        )


def _label(factory: Callable[[], Any]) -> str:
    return getattr(factory, "__name__", repr(factory))


def _sample_input(seed: int = 0) -> np.ndarray:
    """A (5, 4) float64 batch with no entry within 0.1 of zero, where many activations kink."""
    x = np.random.default_rng(seed).standard_normal((5, 4)) * 2
    return np.where(np.abs(x) < 0.1, np.copysign(0.5, x), x)


def _probabilities(dtype: Any = np.float64) -> np.ndarray:
    logits = np.random.default_rng(2).standard_normal((5, 3))
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exp / exp.sum(axis=1, keepdims=True)).astype(dtype)


def _one_hot(dtype: Any = np.float64) -> np.ndarray:
    return np.eye(3, dtype=dtype)[[0, 2, 1, 1, 0]]


def _check_gradient(fail: Callable[[str, str], ConformanceError], result: GradientCheck):
    """Fail unless every error is within the tolerance; NaN or infinity anywhere fails."""
    if not result.passed:
        worst = result.worst
        why = f" ({result.notes[worst]})" if worst in result.notes else ""
        raise fail(
            "gradient",
            f"backward differs from central finite differences for {worst}: relative error "
            f"{result[worst]:.3g}{why} (tolerance {result.tolerance:g})",
        )


def _without_warnings(
    fail: Callable[[str, str], ConformanceError], dtype: Any, run: Callable[[], Any]
) -> Any:
    """Return ``run()``, failing the ``extreme_inputs`` check on any RuntimeWarning it raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return run()
        except RuntimeWarning as warning:
            raise fail("extreme_inputs", f"{warning} in {np.dtype(dtype)}") from warning


def _close(
    fail: Callable[[str, str], ConformanceError],
    check: str,
    what: str,
    actual: np.ndarray,
    expected: np.ndarray,
) -> None:
    if not np.allclose(actual, expected, rtol=1e-10, atol=1e-12):
        raise fail(check, f"{what} differs by {np.max(np.abs(actual - expected)):.3g}")
