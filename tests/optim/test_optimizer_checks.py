"""The conformance kit's optimizer checks: sound optimizers pass, each broken one fails its check.

Every broken optimizer below is a plausible slip in an otherwise working SGD with momentum;
each must fail the check written to catch it, with a message naming the check and the
optimizer.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import ComponentTypeError
from layerkit.testing import (
    Check,
    ConformanceError,
    check_optimizer,
    optimizer_checks,
    registered_checks,
)

CHECK_NAMES = [
    "state_per_parameter",
    "dtype_kept",
    "no_foreign_writes",
    "lowers_quadratic",
    "deterministic",
    "reset_forgets",
    "state_dict_round_trip",
    "update_product_matches",
]


def momentum_sgd() -> lk.SGD:
    return lk.SGD(lr=0.05, momentum=0.9)


class SharedVelocity(lk.SGD):
    """One velocity for every parameter of a shape: the state is not kept per parameter."""

    def update(self, value, grad, *, overwrite_grad=False):
        velocity = self.__dict__.setdefault("velocity", {})
        kept = velocity.setdefault(value.shape, np.zeros_like(value))
        kept *= 0.9
        kept += grad
        value -= self.lr * kept


class Float64State(lk.SGD):
    """Keeps its velocity in float64 whatever the parameter's dtype."""

    def update(self, value, grad, *, overwrite_grad=False):
        state = self.state_of(value)
        velocity = state.setdefault("momentum_buffer", np.zeros(value.shape))
        velocity *= 0.9
        velocity += grad
        value -= (self.lr * velocity).astype(value.dtype)


class ScribblesOnGradient(lk.SGD):
    """Scales the gradient in place even when it may not."""

    def update(self, value, grad, *, overwrite_grad=False):
        grad *= self.lr
        value -= grad


class WritesBesideTheParameter(lk.SGD):
    """Steps through the array's base, one row too far."""

    def update(self, value, grad, *, overwrite_grad=False):
        value -= self.lr * grad
        if value.base is not None and value.ndim == 2:
            value.base[-1] = 0.0


class Ascends(lk.SGD):
    """A sign slip: moves along the gradient."""

    def update(self, value, grad, *, overwrite_grad=False):
        value += self.lr * grad


class CountsEveryInstance(lk.SGD):
    """Its step grows with the number of updates any instance ever made (a class attribute)."""

    updates = 0

    def update(self, value, grad, *, overwrite_grad=False):
        CountsEveryInstance.updates += 1
        value -= self.lr * (1 + 0.01 * CountsEveryInstance.updates) * grad


class ResetKeepsVelocities(lk.SGD):
    """Keeps its velocities outside state_of, so reset() does not clear them."""

    def update(self, value, grad, *, overwrite_grad=False):
        velocities = self.__dict__.setdefault("velocities", {})
        velocity = velocities.setdefault(id(value), np.zeros_like(value))
        velocity *= 0.9
        velocity += grad
        value -= self.lr * velocity


class StepCountOutsideState(lk.SGD):
    """Keeps the step count per parameter, but in its own dict: state_dict does not save it,
    while reset() does clear it."""

    def update(self, value, grad, *, overwrite_grad=False):
        steps = self.__dict__.setdefault("steps", {})
        steps[id(value)] = steps.get(id(value), 0) + 1
        value -= self.lr / steps[id(value)] * grad

    def reset(self):
        super().reset()
        self.__dict__.get("steps", {}).clear()


class DoublesTheProduct(lk.SGD):
    """update_product with the factors' product counted twice."""

    def update_product(self, value, left, right):
        self.update(value, 2 * (left @ right))


BROKEN = {
    "state_per_parameter": SharedVelocity,
    "dtype_kept": Float64State,
    "no_foreign_writes": ScribblesOnGradient,
    "lowers_quadratic": Ascends,
    "deterministic": CountsEveryInstance,
    "reset_forgets": ResetKeepsVelocities,
    "state_dict_round_trip": StepCountOutsideState,
    "update_product_matches": DoublesTheProduct,
}


def test_every_check_has_a_broken_optimizer():
    assert [check.check for check in optimizer_checks(momentum_sgd)] == CHECK_NAMES
    assert set(BROKEN) == set(CHECK_NAMES)


@pytest.mark.parametrize("check", optimizer_checks(momentum_sgd, "SGD(momentum=0.9)"), ids=str)
def test_sgd_with_momentum_passes(check: Check):
    check()


@pytest.mark.parametrize(("name", "broken"), BROKEN.items(), ids=list(BROKEN))
def test_a_broken_optimizer_fails_its_check_naming_it(name, broken):
    (check,) = [
        c for c in optimizer_checks(lambda: broken(lr=0.05), broken.__name__) if c.check == name
    ]
    with pytest.raises(ConformanceError) as raised:
        check()
    assert f"check {name!r} failed for {broken.__name__}" in str(raised.value)


def test_the_write_beside_the_parameter_is_named():
    with pytest.raises(ConformanceError, match="the row after the parameter"):
        check_optimizer(lambda: WritesBesideTheParameter(lr=0.05))


def test_the_written_gradient_is_named_with_the_way_out():
    with pytest.raises(ConformanceError, match=r"the gradient \(pass overwrite_grad=True"):
        check_optimizer(lambda: ScribblesOnGradient(lr=0.05))


def test_ascending_is_reported_with_the_heights():
    with pytest.raises(ConformanceError, match=r"step 1 with lr=0\.001 .* took it from"):
        check_optimizer(lambda: Ascends(lr=0.05))


def test_check_optimizer_refuses_an_instance():
    with pytest.raises(ComponentTypeError, match="zero-argument function"):
        check_optimizer(lk.SGD(0.1))  # type: ignore[arg-type]


def test_registered_checks_cover_the_registered_optimizers():
    labels = {check.component for check in registered_checks()}
    assert "optimizer 'sgd'" in labels
    sgd_checks = [c for c in registered_checks() if c.component == "optimizer 'sgd'"]
    assert [c.check for c in sgd_checks] == [*CHECK_NAMES, "array_api_strict"]
    for check in sgd_checks:
        check()
