"""Adagrad: gradient steps divided by the root of each entry's sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit.validation import Array

from ._base import ReusingOptimizer
from ._options import nonnegative, positive, scratch, with_weight_decay

__all__ = ["Adagrad"]


class Adagrad(ReusingOptimizer):
    """Adagrad (Duchi et al., 2011), step for step as ``torch.optim.Adagrad`` documents it.

    For each parameter θ with gradient g, at its t-th update (t counts from 1):

    ```text
    γ̃ = γ / (1 + (t − 1)η)          (the learning rate, decayed)
    g ← g + λθ                       (if weight_decay λ > 0)
    s ← s + g²                       (the running sum, "sum"; s starts at τ)
    θ ← θ − γ̃ g / (√s + ε)
    ```

    Each parameter keeps ``"step"`` (t, a 0-d int64 array) and ``"sum"`` in ``state_of(θ)``,
    in θ's dtype.

    Parameters
    ----------
    lr
        The learning rate γ; finite and >= 0 (default 1e-2).
    lr_decay
        η >= 0, finite (default 0).
    weight_decay
        λ >= 0, an L2 penalty added to the gradient (default 0).
    initial_accumulator_value
        τ >= 0, finite: where each entry's sum of squares starts (default 0).
    eps
        ε > 0, added to √s (default 1e-10).

    Raises
    ------
    layerkit.errors.ConfigurationError
        If an option is out of its range or of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_optimizers import Adagrad
    >>> adagrad = Adagrad(lr=0.5)
    >>> theta = np.array([1.0, -2.0])
    >>> adagrad.update(theta, np.array([4.0, -0.25]))  # the first step: γ g / |g| = ±γ
    >>> theta
    array([ 0.5, -1.5])
    """

    def __init__(
        self,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        who = type(self).__name__
        self.lr = nonnegative(lr, who, "lr")
        self.lr_decay = nonnegative(lr_decay, who, "lr_decay")
        self.weight_decay = nonnegative(weight_decay, who, "weight_decay")
        self.initial_accumulator_value = nonnegative(
            initial_accumulator_value, who, "initial_accumulator_value"
        )
        self.eps = positive(eps, who, "eps")

    def update(self, value: Array, grad: Array, *, overwrite_grad: bool = False) -> None:
        """Apply one Adagrad step to the parameter array ``value``, in place.

        ``grad`` is read, never written, whatever ``overwrite_grad`` says; the work is done
        in arrays the optimizer keeps (one of ``value``'s size, two with weight decay).
        """
        if type(value) is not np.ndarray:  # another array library
            self._update_xp(value, grad)
            return
        state = self.state_of(value)
        if not state:
            state["step"] = np.zeros((), np.int64)
            state["sum"] = np.full_like(value, self.initial_accumulator_value)
        state["step"] += 1
        t = int(state["step"])
        decayed_lr = self.lr / (1.0 + (t - 1) * self.lr_decay)  # γ̃ = γ / (1 + (t − 1)η)
        work = scratch(self, value)

        if self.weight_decay:
            grad = with_weight_decay(self, value, grad, overwrite_grad)  # g ← g + λθ

        total = state["sum"]
        total += np.multiply(grad, grad, out=work)  # s ← s + g²
        root = np.sqrt(total, out=work)
        root += self.eps  # √s + ε
        step = np.divide(grad, root, out=work)  # g / (√s + ε)
        step *= decayed_lr
        value -= step  # θ ← θ − γ̃ g / (√s + ε)

    def _update_xp(self, value: Any, grad: Any) -> None:
        """`update` for a parameter of another array library: the same arithmetic, no out=."""
        state, xp = self.next_step(value)
        if "sum" not in state:
            state["sum"] = xp.full_like(value, self.initial_accumulator_value)
        decayed_lr = self.lr / (1.0 + (int(state["step"]) - 1) * self.lr_decay)
        if self.weight_decay:
            grad = grad + value * self.weight_decay  # g ← g + λθ
        total = state["sum"] = state["sum"] + grad * grad  # s ← s + g²
        value -= grad / (xp.sqrt(total) + self.eps) * decayed_lr

    def config(self) -> dict[str, Any]:
        """Return ``lr``, ``lr_decay``, ``weight_decay``, ``initial_accumulator_value``, ``eps``."""
        return {
            "lr": self.lr,
            "lr_decay": self.lr_decay,
            "weight_decay": self.weight_decay,
            "initial_accumulator_value": self.initial_accumulator_value,
            "eps": self.eps,
        }
