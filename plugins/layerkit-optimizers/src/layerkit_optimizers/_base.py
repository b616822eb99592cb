"""What the optimizers of this package share: the fused path's work array, and the repr."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from layerkit import Optimizer
from layerkit.namespaces import device_of, namespace_of
from layerkit.validation import Array

from ._options import scratch


class ReusingOptimizer(Optimizer):
    """An optimizer whose ``update`` writes into work arrays it keeps, never into new ones."""

    def update_product(self, value: Array, left: Array, right: Array) -> None:
        """Form the gradient ``left @ right`` into a kept work array, then ``update`` from it.

        The same as the base class's ``update(value, left @ right, overwrite_grad=True)``,
        without allocating the product anew at every step.
        """
        if type(value) is not np.ndarray:  # another array library: no out=, a new product
            self.update(value, left @ right, overwrite_grad=True)
            return
        gradient = np.matmul(left, right, out=scratch(self, value, slot=1))
        self.update(value, gradient, overwrite_grad=True)

    def next_step(self, value: Any) -> tuple[dict[str, Any], ModuleType]:
        """``value``'s state with its ``"step"`` counted up, and ``value``'s namespace.

        For arrays of another library than NumPy: the step count is a 0-d int64 array of
        that library, as `load_state_dict` makes it, so a loaded state continues the count.
        """
        xp = namespace_of(value)
        state = self.state_of(value)
        t = int(state["step"]) + 1 if "step" in state else 1
        state["step"] = xp.asarray(t, dtype=xp.int64, device=device_of(value))
        return state, xp

    def __repr__(self) -> str:
        options = ", ".join(f"{name}={value!r}" for name, value in self.config().items())
        return f"{type(self).__name__}({options})"
