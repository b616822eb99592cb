"""The conformance kit's optimizer checks: what every optimizer must do, built-in or plugin.

```python
from layerkit.optimizer_checks import check_optimizer
from layerkit_optimizers import Adam

check_optimizer(Adam)
check_optimizer(lambda: Adam(lr=0.01, amsgrad=True))
```

Each check builds fresh optimizers with ``factory()`` and feeds them fixed pseudo-random
gradients, so a failure is reproducible. They use ``update``, ``update_product``, ``step``,
``reset``, ``state_dict``/``load_state_dict`` and the ``lr`` attribute (which the quadratic
check lowers, as a learning-rate schedule would), nothing else. `check_optimizer` also runs
the ``array_api_strict`` check (see `layerkit.testing`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ComponentTypeError
from .layer import Parameter
from .optim import Optimizer

if TYPE_CHECKING:  # layerkit.testing imports this module: import it back when called
    from .testing import Check, ConformanceError

__all__ = ["DEFAULT_LR", "check_optimizer", "optimizer_checks", "registered_optimizer_factory"]

DEFAULT_LR = 0.01
"""The learning rate the kit passes to a registered optimizer whose ``lr`` has no default."""

STEPS = 5
"""Steps each check takes: enough for momentum and moment estimates to matter."""

SMALL_LR = 1e-3
"""The learning rate of the quadratic check: small enough for any sound rule to descend."""

_SHAPES = ((4, 3), (3,))  # a weight matrix and a bias vector


def check_optimizer(factory: Callable[[], Optimizer], label: str | None = None) -> None:
    """Run every optimizer check on the optimizer ``factory()`` builds; raise on a failure.

    Raises
    ------
    ConformanceError
        Naming the check, the optimizer and what differed.
    """
    for check in optimizer_checks(factory, label, array_api=True):
        check()


def registered_optimizer_factory(cls: type[Optimizer]) -> Callable[[], Optimizer]:
    """A factory for a registered optimizer class: its defaults, and `DEFAULT_LR` if ``lr``
    has none (`layerkit.SGD` makes you choose one)."""
    try:
        lr = inspect.signature(cls).parameters.get("lr")
    except (TypeError, ValueError):  # no signature to read: build it as it is
        lr = None
    if lr is not None and lr.default is inspect.Parameter.empty:
        return lambda: cls(lr=DEFAULT_LR)  # type: ignore[call-arg]
    return cls


def optimizer_checks(
    factory: Callable[[], Optimizer], label: str | None = None, *, array_api: bool = False
) -> list[Check]:
    """Return the checks of an optimizer (a class, or a zero-argument callable building one).

    - ``state_per_parameter``: two parameters of the same shape with different gradients,
      updated in turn by one optimizer, each end exactly where it ends alone;
    - ``dtype_kept``: the floating-point state of a float32 parameter is float32 (and of a
      float64 one float64);
    - ``no_foreign_writes``: nothing is written outside the parameter and its state: not the
      gradient (unless ``overwrite_grad=True``), not the factors of ``update_product``, not
      the memory next to the parameter, not another parameter or its state;
    - ``lowers_quadratic``: with a small ``lr``, every step (in place) lowers
      ½ Σ aᵢ(θᵢ − cᵢ)²;
    - ``deterministic``: two fresh optimizers given the same gradients agree bit for bit;
    - ``reset_forgets``: after ``reset()`` the optimizer behaves as a fresh one;
    - ``state_dict_round_trip``: a fresh optimizer loaded with ``state_dict`` continues
      exactly as the one it came from;
    - ``update_product_matches``: ``update_product(θ, left, right)`` equals
      ``update(θ, left @ right)`` to rounding;
    - ``array_api_strict`` (with ``array_api``; `check_optimizer` runs it): ``update``,
      ``step`` and ``update_product`` on a parameter of ``array-api-strict`` move it in place,
      as on NumPy to rounding (`layerkit.testing.ARRAY_API_TOLERANCE`).
    """
    from .testing import (
        Check,
        ConformanceError,
        _agrees,
        _require_strict,
        array_api_check,
    )

    _check_factory(factory)
    label = label or getattr(factory, "__name__", repr(factory))

    def fail(check: str, detail: str) -> ConformanceError:
        return ConformanceError(f"check {check!r} failed for {label}: {detail}")

    def state_per_parameter() -> None:
        first, second = _start((4, 3), seed=1), _start((4, 3), seed=2)
        first_grads, second_grads = _gradients((4, 3), seed=3), _gradients((4, 3), seed=4)
        together = factory()
        for first_grad, second_grad in zip(first_grads, second_grads, strict=True):
            together.update(first, first_grad.copy())
            together.update(second, second_grad.copy())
        for name, value, grads, seed in (
            ("first", first, first_grads, 1),
            ("second", second, second_grads, 2),
        ):
            alone = _run(factory(), _start((4, 3), seed), grads)
            if not np.array_equal(value, alone):
                raise fail(
                    "state_per_parameter",
                    f"the {name} of two parameters updated in turn ends "
                    f"{_difference(value, alone)} away from where it ends updated alone; "
                    f"keep each parameter's state in state_of(value)",
                )

    def dtype_kept() -> None:
        # A parameter is updated in place, so it keeps its dtype; what can drift is the
        # state: a float64 buffer for a float32 parameter doubles its memory and computes
        # the update in float64.
        for dtype in (np.float32, np.float64):
            optimizer = factory()
            for shape in _SHAPES:
                value = _start(shape, seed=5).astype(dtype)
                for grad in _gradients(shape, seed=6, dtype=dtype):
                    optimizer.update(value, grad)
                left, right = _factors(shape, seed=7, dtype=dtype)
                if left is not None:
                    optimizer.update_product(value, left, right)  # type: ignore[arg-type]
                for key, array in optimizer.state_of(value).items():
                    kind = np.asarray(array).dtype
                    if kind.kind == "f" and kind != dtype:
                        raise fail(
                            "dtype_kept",
                            f"state {key!r} of a {np.dtype(dtype)} parameter is {kind}; keep "
                            f"state in the parameter's dtype",
                        )

    def no_foreign_writes() -> None:
        optimizer = factory()
        # The parameter and its gradient are rows 1 to 4 of larger arrays, so that a write
        # beside them is seen too.
        value_room, grad_room = _start((6, 3), seed=8), _start((6, 3), seed=9)
        value, grad = value_room[1:-1], grad_room[1:-1]
        bystander = _start((4, 3), seed=10)
        optimizer.update(bystander, _gradients((4, 3), seed=11)[0])
        left, right = _factors((4, 3), seed=12)
        watched = {
            "the gradient (pass overwrite_grad=True to allow it)": grad_room,
            "the row before the parameter": value_room[0],
            "the row after the parameter": value_room[-1],
            "another parameter": bystander,
            "update_product's left factor": left,
            "update_product's right factor": right,
            **{
                f"another parameter's state {key!r}": array
                for key, array in optimizer.state_of(bystander).items()
            },
        }
        kept = {what: np.array(array, copy=True) for what, array in watched.items()}
        for _ in range(STEPS):
            optimizer.update(value, grad)
            optimizer.step([Parameter("value", value, grad)])
            optimizer.update_product(value, left, right)  # type: ignore[arg-type]
        changed = [what for what, array in watched.items() if not np.array_equal(array, kept[what])]
        if changed:
            raise fail(
                "no_foreign_writes",
                f"updating one parameter wrote into {', '.join(changed)}",
            )

    def lowers_quadratic() -> None:
        rng = np.random.default_rng(13)
        scale, centre = rng.uniform(0.5, 2.0, (4, 3)), rng.standard_normal((4, 3))
        value = centre + rng.choice([-1.0, 1.0], (4, 3)) * rng.uniform(1.0, 2.0, (4, 3))
        optimizer = factory()
        optimizer.lr = SMALL_LR

        def height() -> float:
            return float(0.5 * np.sum(scale * (value - centre) ** 2))

        before = height()
        for step in range(1, STEPS + 1):
            optimizer.update(value, scale * (value - centre))
            after = height()
            if not after < before:
                raise fail(
                    "lowers_quadratic",
                    f"step {step} with lr={SMALL_LR:g} on ½ Σ aᵢ(θᵢ − cᵢ)² took it from "
                    f"{before:.6g} to {after:.6g}; an update must move against the gradient",
                )
            before = after

    def deterministic() -> None:
        results = []
        for _ in range(2):
            optimizer = factory()
            results.append(
                [_run(optimizer, _start(shape, 14), _gradients(shape, 15)) for shape in _SHAPES]
            )
        for first, second in zip(*results, strict=True):
            if not np.array_equal(first, second):
                raise fail(
                    "deterministic",
                    f"two fresh optimizers given the same gradients differ by "
                    f"{_difference(first, second)}",
                )

    def reset_forgets() -> None:
        # The same arrays before and after reset, as when fit restores the parameters in
        # place and resets the optimizer after training diverged.
        used = factory()
        values = [_run(used, _start(shape, 16), _gradients(shape, 17)) for shape in _SHAPES]
        used.reset()
        for value in values:
            restarted = value.copy()
            again = _run(used, value, _gradients(value.shape, 19))
            fresh = _run(factory(), restarted, _gradients(value.shape, 19))
            if not np.array_equal(again, fresh):
                raise fail(
                    "reset_forgets",
                    f"after reset() it differs from a fresh optimizer by "
                    f"{_difference(again, fresh)}; reset must forget every state kept between "
                    f"steps",
                )

    def state_dict_round_trip() -> None:
        def model(values: dict[str, np.ndarray], step: int, seed: int) -> list[Parameter]:
            return [
                Parameter(name, value, _gradients(value.shape, seed + index)[step])
                for index, (name, value) in enumerate(values.items())
            ]

        values = {f"p{index}": _start(shape, 20 + index) for index, shape in enumerate(_SHAPES)}
        original = factory()
        for step in range(STEPS):
            original.step(model(values, step, seed=30))
        copies = {name: value.copy() for name, value in values.items()}
        loaded = factory()
        loaded.load_state_dict(model(copies, 0, 0), original.state_dict(model(values, 0, 0)))
        for step in range(STEPS):
            original.step(model(values, step, seed=40))
            loaded.step(model(copies, step, seed=40))
        for name, value in values.items():
            if not np.array_equal(value, copies[name]):
                raise fail(
                    "state_dict_round_trip",
                    f"a fresh optimizer given its state_dict() continues "
                    f"{_difference(copies[name], value)} away from it on parameter {name!r}; "
                    f"keep all state between steps in state_of(value)",
                )

    def update_product_matches() -> None:
        for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-5)):
            by_product, by_update = factory(), factory()
            product_value = _start((4, 3), 21).astype(dtype)
            update_value = product_value.copy()
            for step in range(STEPS):
                left, right = _factors((4, 3), seed=40 + step, dtype=dtype)
                by_product.update_product(product_value, left, right)  # type: ignore[arg-type]
                by_update.update(update_value, left @ right)  # type: ignore[operator]
            if not np.allclose(product_value, update_value, rtol=tolerance, atol=tolerance):
                raise fail(
                    "update_product_matches",
                    f"update_product(value, left, right) differs from update(value, left @ right) "
                    f"by {_difference(product_value, update_value)} in {np.dtype(dtype)}",
                )

    def on_array_api_strict(xp: ModuleType) -> None:
        for dtype in (np.float32, np.float64):
            start, grads = _start((4, 3), 50).astype(dtype), _gradients((4, 3), 51, dtype)
            left, right = _factors((4, 3), 52, dtype)
            expected = start.copy()
            reference = factory()
            for grad in grads:
                reference.update(expected, grad.copy())
            reference.update_product(expected, left, right)  # type: ignore[arg-type]
            value, optimizer = xp.asarray(start, copy=True), factory()
            for grad in grads[:-1]:
                optimizer.update(value, xp.asarray(grad))
            optimizer.step([Parameter("value", value, xp.asarray(grads[-1]))])
            optimizer.update_product(value, xp.asarray(left), xp.asarray(right))
            _agrees(fail, "the parameter after its updates", value, expected)
            for key, array in optimizer.state_of(value).items():
                _require_strict(
                    fail, f"state {key!r}", array, "parameters; keep state in their library"
                )

    checks = [
        Check(function.__name__, label, function)
        for function in (
            state_per_parameter,
            dtype_kept,
            no_foreign_writes,
            lowers_quadratic,
            deterministic,
            reset_forgets,
            state_dict_round_trip,
            update_product_matches,
        )
    ]
    return [*checks, array_api_check(label, on_array_api_strict)] if array_api else checks


# -------------------------------------------------------------------------------- helpers
def _check_factory(factory: object) -> None:
    if isinstance(factory, Optimizer) or not callable(factory):
        raise ComponentTypeError(
            f"the conformance kit expects the optimizer's class or a zero-argument function "
            f"that builds one, e.g. lambda: SGD(lr=0.1), got {factory!r}; each check builds "
            f"fresh instances"
        )


def _start(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _gradients(shape: tuple[int, ...], seed: int, dtype: Any = np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for _ in range(STEPS)]


def _factors(
    shape: tuple[int, ...], seed: int, dtype: Any = np.float64
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``left`` (in × batch) and ``right`` (batch × out) as a Dense layer hands them over."""
    if len(shape) != 2:
        return None, None
    rng = np.random.default_rng(seed)
    x, delta = rng.standard_normal((5, shape[0])), rng.standard_normal((5, shape[1]))
    return x.T.astype(dtype), delta.astype(dtype)


def _run(optimizer: Optimizer, value: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
    for grad in grads:
        optimizer.update(value, grad.copy())
    return value


def _difference(actual: np.ndarray, expected: np.ndarray) -> str:
    with np.errstate(invalid="ignore", over="ignore"):
        return f"up to {np.max(np.abs(actual - expected)):.3g}"
