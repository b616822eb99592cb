"""Optional: the same runs as torch.optim itself, when PyTorch is importable.

The required proof is test_optimizers_equations.py (the documented equations written out);
this adds the implementation's word where torch is installed (``make bench`` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest

from layerkit_optimizers import Adagrad, Adam, AdamW, RMSprop

torch = pytest.importorskip("torch")

CASES = [
    (Adam, "Adam", {"lr": 0.01}),
    (Adam, "Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (AdamW, "AdamW", {"lr": 0.01, "amsgrad": True}),
    (RMSprop, "RMSprop", {"lr": 0.001, "centered": True, "momentum": 0.9}),
    (RMSprop, "RMSprop", {"lr": 0.001, "weight_decay": 0.1}),
    (Adagrad, "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[1]}{case[2]}")
def test_agrees_with_torch_optim(case):
    cls, torch_name, options = case
    rng = np.random.default_rng(0)
    start = rng.standard_normal((7, 5))
    grads = [rng.standard_normal((7, 5)) * np.exp(rng.uniform(-4, 1)) for _ in range(150)]
    ours, value = cls(**options), start.copy()
    theirs = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    reference = getattr(torch.optim, torch_name)([theirs], foreach=False, **options)
    for grad in grads:
        ours.update(value, grad)
        theirs.grad = torch.tensor(grad, dtype=torch.float64)
        reference.step()
    np.testing.assert_allclose(value, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
