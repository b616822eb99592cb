"""RMSprop: gradient steps divided by a running root mean square of the gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerkit.validation import Array

from ._base import ReusingOptimizer
from ._options import flag, nonnegative, positive, scratch, with_weight_decay

__all__ = ["RMSprop"]


class RMSprop(ReusingOptimizer):
    """RMSprop (Hinton, 2012), step for step as ``torch.optim.RMSprop`` documents it.

    For each parameter θ with gradient g:

    ```text
    g ← g + λθ                       (if weight_decay λ > 0)
    v ← αv + (1 − α)g²               (the square average, "square_avg")
    ṽ = v
    g_ave ← αg_ave + (1 − α)g        (centered only, "grad_avg")
    ṽ = v − g_ave²                   (centered only: an estimate of the variance)
    b ← μb + g / (√ṽ + ε)            (if momentum μ > 0, "momentum_buffer")
    θ ← θ − γb                       (if momentum μ > 0)
    θ ← θ − γ g / (√ṽ + ε)           (otherwise)
    ```

    with v, g_ave and b starting at zero; ε is added after the square root (TensorFlow adds
    it before). Each parameter keeps ``"step"`` (a 0-d int64 array) and the arrays named
    above in ``state_of(θ)``, in θ's dtype. With ``centered``, ṽ is never below 0: it is
    not in exact arithmetic, and rounding could make it so when the gradient stays constant.

    Parameters
    ----------
    lr
        The learning rate γ; finite and >= 0 (default 1e-2).
    alpha
        The smoothing constant α, finite and >= 0 (default 0.99).
    eps
        ε > 0, added to √ṽ (default 1e-8).
    weight_decay
        λ >= 0, an L2 penalty added to the gradient (default 0).
    momentum
        μ >= 0, finite (default 0).
    centered
        Divide by an estimate of the gradient's variance instead of its mean square
        (default False).

    Raises
    ------
    layerkit.errors.ConfigurationError
        If an option is out of its range or of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_optimizers import RMSprop
    >>> rmsprop = RMSprop(lr=0.01, alpha=0.75)
    >>> theta = np.array([1.0, -2.0])
    >>> rmsprop.update(theta, np.array([3.0, -0.5]))  # moves by γ g / √(0.25 g²) = ±2γ
    >>> theta
    array([ 0.98, -1.98])
    """

    def __init__(
        self,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        who = type(self).__name__
        self.lr = nonnegative(lr, who, "lr")
        self.alpha = nonnegative(alpha, who, "alpha")
        self.eps = positive(eps, who, "eps")
        self.weight_decay = nonnegative(weight_decay, who, "weight_decay")
        self.momentum = nonnegative(momentum, who, "momentum")
        self.centered = flag(centered, who, "centered")

    def update(self, value: Array, grad: Array, *, overwrite_grad: bool = False) -> None:
        """Apply one RMSprop step to the parameter array ``value``, in place.

        ``grad`` is read, never written, whatever ``overwrite_grad`` says; the work is done
        in arrays the optimizer keeps (one of ``value``'s size, two with weight decay).
        """
        if type(value) is not np.ndarray:  # another array library
            self._update_xp(value, grad)
            return
        alpha = self.alpha
        state = self.state_of(value)
        if not state:
            state["step"] = np.zeros((), np.int64)
            state["square_avg"] = np.zeros_like(value)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(value)
            if self.centered:
                state["grad_avg"] = np.zeros_like(value)
        state["step"] += 1
        work = scratch(self, value)

        if self.weight_decay:
            grad = with_weight_decay(self, value, grad, overwrite_grad)  # g ← g + λθ

        v = state["square_avg"]
        v *= alpha  # v ← αv
        work = np.multiply(grad, grad, out=work)
        v += np.multiply(work, 1.0 - alpha, out=work)  #    + (1 − α)g²
        if self.centered:
            average = state["grad_avg"]
            average *= alpha  # g_ave ← αg_ave
            average += np.multiply(grad, 1.0 - alpha, out=work)  #  + (1 − α)g
            work = np.multiply(average, average, out=work)
            variance = np.subtract(v, work, out=work)  # ṽ = v − g_ave²
            root = np.sqrt(np.maximum(variance, 0.0, out=work), out=work)  # √ṽ
        else:
            root = np.sqrt(v, out=work)  # √ṽ, ṽ = v
        root += self.eps  # √ṽ + ε
        step = np.divide(grad, root, out=work)  # g / (√ṽ + ε)
        if self.momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= self.momentum  # b ← μb
            buffer += step  #           + g / (√ṽ + ε)
            step = np.multiply(buffer, self.lr, out=work)  # γb
        else:
            step *= self.lr  # γ g / (√ṽ + ε)
        value -= step  # θ ← θ − γb, or θ − γ g / (√ṽ + ε)

    def _update_xp(self, value: Any, grad: Any) -> None:
        """`update` for a parameter of another array library: the same arithmetic, no out=."""
        alpha = self.alpha
        state, xp = self.next_step(value)
        if "square_avg" not in state:
            state["square_avg"] = xp.zeros_like(value)
            if self.momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(value)
            if self.centered:
                state["grad_avg"] = xp.zeros_like(value)
        if self.weight_decay:
            grad = grad + value * self.weight_decay  # g ← g + λθ
        v = state["square_avg"] = state["square_avg"] * alpha + grad * grad * (1.0 - alpha)
        if self.centered:
            average = state["grad_avg"] = state["grad_avg"] * alpha + grad * (1.0 - alpha)
            root = xp.sqrt(xp.clip(v - average * average, min=0.0))  # √ṽ, ṽ = v − g_ave²
        else:
            root = xp.sqrt(v)
        step = grad / (root + self.eps)  # g / (√ṽ + ε)
        if self.momentum > 0:
            buffer = state["momentum_buffer"] = state["momentum_buffer"] * self.momentum + step
            step = buffer * self.lr
        else:
            step = step * self.lr
        value -= step

    def config(self) -> dict[str, Any]:
        """Return ``lr``, ``alpha``, ``eps``, ``weight_decay``, ``momentum`` and ``centered``."""
        return {
            "lr": self.lr,
            "alpha": self.alpha,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "momentum": self.momentum,
            "centered": self.centered,
        }
