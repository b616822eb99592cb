"""Every activation of this package passes layerkit's conformance kit, as any plugin's should."""

from __future__ import annotations

import pytest

from layerkit.testing import activation_checks
from layerkit_activations import ELU, GELU, LeakyReLU, ReLU, Softmax, Softplus, Tanh

FACTORIES = {
    "Tanh": Tanh,
    "ReLU": ReLU,
    "LeakyReLU": LeakyReLU,
    "LeakyReLU(slope=0.2)": lambda: LeakyReLU(slope=0.2),
    "Softplus": Softplus,
    "ELU": ELU,
    "ELU(alpha=0.5)": lambda: ELU(alpha=0.5),
    "GELU": GELU,
    "Softmax": Softmax,
}
CHECKS = [check for label, make in FACTORIES.items() for check in activation_checks(make, label)]


@pytest.mark.parametrize("check", CHECKS, ids=[check.id for check in CHECKS])
def test_conformance(check):
    check()
