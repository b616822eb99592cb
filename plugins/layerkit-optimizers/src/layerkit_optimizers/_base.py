"""What the optimizers of this package share: the fused path's work array, and the repr."""

from __future__ import annotations

import numpy as np

from layerkit import Optimizer
from layerkit.validation import Array

from ._options import scratch


class ReusingOptimizer(Optimizer):
    """An optimizer whose ``update`` writes into work arrays it keeps, never into new ones."""

    def update_product(self, value: Array, left: Array, right: Array) -> None:
        """Form the gradient ``left @ right`` into a kept work array, then ``update`` from it.

        The same as the base class's ``update(value, left @ right, overwrite_grad=True)``,
        without allocating the product anew at every step.
        """
        gradient = np.matmul(left, right, out=scratch(self, value, slot=1))
        self.update(value, gradient, overwrite_grad=True)

    def __repr__(self) -> str:
        options = ", ".join(f"{name}={value!r}" for name, value in self.config().items())
        return f"{type(self).__name__}({options})"
