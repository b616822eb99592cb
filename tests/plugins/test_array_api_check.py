"""The conformance kit's ``array_api_strict`` check: it fails NumPy-only components, naming
the component, the check and the cause, and is skipped when array-api-strict is missing."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import layerkit as lk
from layerkit.testing import (
    ConformanceError,
    activation_checks,
    array_api_check,
    check_activation,
    check_loss,
    check_optimizer,
    loss_checks,
    optimizer_checks,
    registered_checks,
)

pytest.importorskip("array_api_strict")


class NumPyTanh(lk.Activation):
    """tanh written for NumPy alone: no array-API form, so other arrays are refused."""

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x, y):
        return 1 - y * y


class HalfPortedTanh(NumPyTanh):
    """An array-API form that still calls NumPy: np.tanh turns the array into NumPy's."""

    def array_api_function(self, x, xp):
        return np.tanh(x)

    def array_api_derivative(self, x, y, xp):
        return 1 - y * y


class SlightlyOffTanh(HalfPortedTanh):
    """Array-API functions only, but another formula: tanh(x) · (1 + 1e-9)."""

    def array_api_function(self, x, xp):
        return xp.tanh(x) * (1 + 1e-9)


class NumPyL1(lk.Loss):
    """|y − t| with np.abs on whatever it is given."""

    def forward(self, y, t):
        self._d = y - t
        return self.reduce(np.abs(self._d))

    def backward(self):
        return np.sign(self._d) * self.batch_scale(self._d)


class NumPyOnlySGD(lk.SGD):
    """Plain SGD through a NumPy ufunc with out=, as a fast NumPy optimizer would be."""

    def update(self, value, grad, *, overwrite_grad=False):
        value -= np.multiply(grad, self.lr, out=np.empty(value.shape, value.dtype))


def strict_check(checks):
    (check,) = [check for check in checks if check.check == "array_api_strict"]
    return check


@pytest.mark.parametrize(
    ("component", "words"),
    [
        (NumPyTanh, "raised NamespaceError: NumPyTanh() computes with NumPy arrays only"),
        (HalfPortedTanh, "the forward output is numpy.ndarray for array_api_strict input"),
        (SlightlyOffTanh, "the forward output on array_api_strict arrays differs from NumPy's"),
    ],
)
def test_a_numpy_only_activation_fails_the_strict_check(component, words):
    check = strict_check(activation_checks(component, array_api=True))
    with pytest.raises(ConformanceError) as caught:
        check()
    message = str(caught.value)
    assert f"check 'array_api_strict' failed for {component.__name__}" in message
    assert words in message
    with pytest.raises(ConformanceError, match="array_api_strict"):
        check_activation(component)
    for other in activation_checks(component):  # the NumPy checks still pass
        other()


def test_a_numpy_only_loss_fails_the_strict_check():
    with pytest.raises(ConformanceError) as caught:
        check_loss(NumPyL1)
    assert "check 'array_api_strict' failed for NumPyL1" in str(caught.value)
    assert "numpy.ndarray for array_api_strict input" in str(caught.value)


def test_a_numpy_only_optimizer_fails_the_strict_check():
    check = strict_check(
        optimizer_checks(lambda: NumPyOnlySGD(lr=0.1), "NumPyOnlySGD", array_api=True)
    )
    with pytest.raises(ConformanceError, match="failed for NumPyOnlySGD: it raised"):
        check()
    with pytest.raises(ConformanceError, match="array_api_strict"):
        check_optimizer(lambda: NumPyOnlySGD(lr=0.1))


class HostStateSGD(lk.SGD):
    """Correct steps on any library, but a count kept as a NumPy array for every parameter."""

    def update(self, value, grad, *, overwrite_grad=False):
        state = self.state_of(value)
        state["count"] = state.get("count", np.zeros((), np.int64)) + 1
        value -= self.lr * grad


def test_an_optimizer_keeping_state_in_numpy_fails_the_strict_check():
    check = strict_check(
        optimizer_checks(lambda: HostStateSGD(lr=0.1), "HostStateSGD", array_api=True)
    )
    with pytest.raises(ConformanceError) as caught:
        check()
    message = str(caught.value)
    assert "state 'count' is numpy.int64 for array_api_strict parameters" in message
    assert "keep state in their library" in message


def test_the_check_lists_leave_it_out_unless_asked():
    """The exercise grader grades NumPy code with activation_checks: no strict check there."""
    assert "array_api_strict" not in {c.check for c in activation_checks(lk.Sigmoid)}
    assert "array_api_strict" not in {c.check for c in loss_checks(lk.L2Loss)}
    assert {c.check for c in registered_checks()} >= {"array_api_strict"}


def test_every_registered_component_passes_the_strict_check():
    checks = [c for c in registered_checks() if c.check == "array_api_strict"]
    assert {"activation 'gelu'", "loss 'cross_entropy'", "optimizer 'adam'"} <= {
        c.component for c in checks
    }
    for check in checks:
        assert check.skip_reason is None
        check()


def test_without_array_api_strict_the_check_is_skipped(monkeypatch):
    monkeypatch.setitem(sys.modules, "array_api_strict", None)  # import raises ImportError
    check = array_api_check("activation 'x'", lambda xp: pytest.fail("ran"))
    assert check.skip_reason == "array-api-strict is not installed (pip install array-api-strict)"
    check()  # does nothing
    check_activation(NumPyTanh)  # its NumPy checks pass; the strict one is skipped


def test_layerkit_check_passes_without_array_api_strict(monkeypatch, capsys):
    from layerkit.cli import main

    monkeypatch.setitem(sys.modules, "array_api_strict", None)
    with pytest.raises(SystemExit) as exited:
        main(["check", "tanh", "adam", "cross_entropy"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "3 components: 3 passed, 0 failed" in out
    assert "skipped for every component, array_api_strict: array-api-strict is not installed" in out
    with pytest.raises(SystemExit):
        main(["check", "tanh", "--json"])
    (result,) = json.loads(capsys.readouterr().out)["components"]
    assert result["skipped"] == [
        {
            "check": "array_api_strict",
            "reason": "array-api-strict is not installed (pip install array-api-strict)",
        }
    ]


def test_the_pytest_plugin_reports_a_check_that_cannot_run_as_skipped(monkeypatch):
    from layerkit.pytest_plugin import test_conformance

    monkeypatch.setitem(sys.modules, "array_api_strict", None)
    check = array_api_check("activation 'x'", lambda xp: pytest.fail("ran"))
    with pytest.raises(pytest.skip.Exception, match="array-api-strict is not installed"):
        test_conformance(check)
