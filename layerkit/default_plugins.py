"""The built-in components, registered through the same hooks as any outside plugin."""

from __future__ import annotations

from .hookspecs import Register, hookimpl
from .l2loss import L2Loss
from .optim import SGD
from .sigmoid import Sigmoid


@hookimpl
def register_activations(register: Register) -> None:
    """Register the derivation's activation, ``"sigmoid"``."""
    register("sigmoid", Sigmoid)


@hookimpl
def register_losses(register: Register) -> None:
    """Register the derivation's loss, ``"l2"``."""
    register("l2", L2Loss)


@hookimpl
def register_optimizers(register: Register) -> None:
    """Register stochastic gradient descent, ``"sgd"``."""
    register("sgd", SGD)
