"""Helpers shared by the command-line tests: error checks and components for runtime plugins."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

import layerkit as lk
from layerkit.errors import NonFiniteError


def assert_one_line_error(run: Any, *fragments: str, code: int | None = None) -> str:
    """The command failed with exactly one line on stderr, containing ``fragments``."""
    assert run.code != 0, run.out
    if code is not None:
        assert run.code == code
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert "Traceback" not in run.err + run.out
    assert lines[0].startswith("layerkit")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


class Cube(lk.Activation):
    """y = x³, an activation registered at run time by the tests."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def function(self, x):
        # x³ overflows long before x does; an honest activation says so (the conformance
        # kit's extreme_inputs check fails one that returns infinity)
        with np.errstate(over="ignore", invalid="ignore"):
            y = self.scale * x**3
        if not np.all(np.isfinite(y)):
            raise NonFiniteError(f"{self!r}: x³ does not fit {y.dtype}")
        return y

    def derivative(self, x, y):
        return 3 * self.scale * x**2

    # for array-API libraries (the conformance kit's array_api_strict check)
    def array_api_function(self, x, xp):
        return self.scale * x**3

    def array_api_derivative(self, x, y, xp):
        return 3 * self.scale * x**2

    def config(self):
        return {"scale": self.scale}


class WrongGradient(lk.Activation):
    """An activation whose backward is wrong: the conformance kit must catch it."""

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x, y):
        return np.ones_like(x)


def plugin(name: str, **activations: type) -> types.ModuleType:
    """A module registering ``activations`` through the ``register_activations`` hook."""
    module = types.ModuleType(name)

    def register_activations(register):
        for activation_name, cls in activations.items():
            register(activation_name, cls)

    module.register_activations = lk.hookimpl(register_activations)
    return module
