"""Every loss of this package passes layerkit's conformance kit, as any plugin's should."""

from __future__ import annotations

import pytest

from layerkit.testing import loss_checks
from layerkit_losses import BinaryCrossEntropy, CrossEntropy, HuberLoss, L1Loss

FACTORIES = {
    "CrossEntropy": CrossEntropy,
    "CrossEntropy(from_logits=True)": lambda: CrossEntropy(from_logits=True),
    "CrossEntropy(reduction='sum')": lambda: CrossEntropy(reduction="sum"),
    "BinaryCrossEntropy": BinaryCrossEntropy,
    "BinaryCrossEntropy(from_logits=True)": lambda: BinaryCrossEntropy(from_logits=True),
    "L1Loss": L1Loss,
    "HuberLoss": HuberLoss,
    "HuberLoss(delta=0.1)": lambda: HuberLoss(delta=0.1),
}
CHECKS = [check for label, make in FACTORIES.items() for check in loss_checks(make, label)]


@pytest.mark.parametrize("check", CHECKS, ids=[check.id for check in CHECKS])
def test_conformance(check):
    check()
