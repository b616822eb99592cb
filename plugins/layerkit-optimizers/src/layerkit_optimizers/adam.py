"""Adam: gradient steps scaled by running estimates of the gradient's mean and square."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from layerkit.validation import Array

from ._base import ReusingOptimizer
from ._options import betas_pair, flag, nonnegative, positive, scratch, with_weight_decay

__all__ = ["Adam"]


class Adam(ReusingOptimizer):
    """Adam (Kingma & Ba, 2015), step for step as ``torch.optim.Adam`` documents it.

    For each parameter θ with gradient g, at its t-th update (t counts from 1):

    ```text
    g ← g + λθ                              (if weight_decay λ > 0)
    m ← β₁m + (1 − β₁)g                     (first moment, "exp_avg")
    v ← β₂v + (1 − β₂)g²                    (second moment, "exp_avg_sq")
    v_max ← max(v_max, v)                   (amsgrad only; v̂ then uses v_max)
    m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
    θ ← θ − γ m̂ / (√v̂ + ε)
    ```

    with m, v and v_max starting at zero. Each parameter keeps its own ``"step"`` (t, a 0-d
    int64 array), ``"exp_avg"``, ``"exp_avg_sq"`` (and ``"max_exp_avg_sq"``) in
    ``state_of(θ)``, in θ's dtype: float32 parameters are updated in float32.

    Parameters
    ----------
    lr
        The learning rate γ; finite and >= 0 (default 1e-3).
    betas
        (β₁, β₂), the decay rates of the two running averages, each in [0, 1)
        (default (0.9, 0.999)).
    eps
        ε > 0, added to √v̂ so that the step stays finite (default 1e-8).
    weight_decay
        λ >= 0, an L2 penalty added to the gradient (default 0). For weight decay applied to
        θ directly, use `AdamW`.
    amsgrad
        Use the running maximum of v (AMSGrad, Reddi et al., 2018); default False.

    Raises
    ------
    layerkit.errors.ConfigurationError
        If an option is out of its range or of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_optimizers import Adam
    >>> adam = Adam(lr=0.1)
    >>> adam
    Adam(lr=0.1, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False)
    >>> theta = np.array([1.0, -2.0])
    >>> adam.update(theta, np.array([0.5, -3.0]))  # the first step moves each entry by ≈ γ
    >>> theta
    array([ 0.9, -1.9])
    """

    decoupled_weight_decay = False
    """`AdamW` sets it: weight decay then shrinks θ instead of adding λθ to the gradient."""

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        who = type(self).__name__
        self.lr = nonnegative(lr, who, "lr")
        self.betas = betas_pair(betas, who)
        self.eps = positive(eps, who, "eps")
        self.weight_decay = nonnegative(weight_decay, who, "weight_decay")
        self.amsgrad = flag(amsgrad, who, "amsgrad")

    def update(self, value: Array, grad: Array, *, overwrite_grad: bool = False) -> None:
        """Apply one Adam step to the parameter array ``value``, in place.

        With ``overwrite_grad`` (`fit`'s fused path) the step is computed in ``grad`` itself
        once it has been read for the last time, so training keeps no work array; otherwise
        ``grad`` is only read and the work is done in an array the optimizer keeps (two with
        weight decay).
        """
        if type(value) is not np.ndarray:  # another array library
            self._update_xp(value, grad)
            return
        beta1, beta2 = self.betas
        state = self.state_of(value)
        if not state:
            state["step"] = np.zeros((), np.int64)
            state["exp_avg"] = np.zeros_like(value)
            state["exp_avg_sq"] = np.zeros_like(value)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(value)
        m, v, step = state["exp_avg"], state["exp_avg_sq"], state["step"]
        t = step.item() + 1  # t ← t + 1 in the 0-d array: a tenth of the time of `step += 1`
        step[()] = t

        if self.weight_decay and self.decoupled_weight_decay:
            value *= 1.0 - self.lr * self.weight_decay  # θ ← θ − γλθ  (AdamW)
        elif self.weight_decay:
            grad = with_weight_decay(self, value, grad, overwrite_grad)  # g ← g + λθ
            overwrite_grad = True  # g is in a work array now

        # --8<-- [start:adam-step]
        m -= grad  # m ← β₁m + (1 − β₁)g, computed as g + β₁(m − g), which needs no work array
        m *= beta1
        m += grad
        work = grad if overwrite_grad else scratch(self, value)  # g is read for the last time
        work = np.multiply(grad, grad, out=work)
        work *= 1.0 - beta2
        v *= beta2  # v ← β₂v + (1 − β₂)g²
        v += work
        if self.amsgrad:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])  # v_max

        # θ ← θ − γ m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ), computed as
        # θ ← θ − [γ √(1 − β₂ᵗ) / (1 − β₁ᵗ)] · m / (√v + ε √(1 − β₂ᵗ)): the same number, with
        # the two corrections folded into scalars, so no pass over the array divides by them
        root_correction2 = math.sqrt(1.0 - beta2**t)
        denominator = np.sqrt(v, out=work)
        denominator += self.eps * root_correction2  # √v + ε √(1 − β₂ᵗ)
        ratio = np.divide(m, denominator, out=work)  # m / (√v + ε √(1 − β₂ᵗ))
        ratio *= self.lr * root_correction2 / (1.0 - beta1**t)
        value -= ratio
        # --8<-- [end:adam-step]

    def _update_xp(self, value: Any, grad: Any) -> None:
        """`update` for a parameter of another array library: the same arithmetic, no out=."""
        beta1, beta2 = self.betas
        state, xp = self.next_step(value)
        t = int(state["step"])
        if "exp_avg" not in state:
            state["exp_avg"], state["exp_avg_sq"] = xp.zeros_like(value), xp.zeros_like(value)
            if self.amsgrad:
                state["max_exp_avg_sq"] = xp.zeros_like(value)
        if self.weight_decay and self.decoupled_weight_decay:
            value *= 1.0 - self.lr * self.weight_decay  # θ ← θ − γλθ  (AdamW)
        elif self.weight_decay:
            grad = grad + value * self.weight_decay  # g ← g + λθ
        m = state["exp_avg"] = grad + beta1 * (state["exp_avg"] - grad)  # β₁m + (1 − β₁)g
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + grad * grad * (1.0 - beta2)
        if self.amsgrad:
            v = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)
        root_correction2 = math.sqrt(1.0 - beta2**t)
        ratio = m / (xp.sqrt(v) + self.eps * root_correction2)
        value -= ratio * (self.lr * root_correction2 / (1.0 - beta1**t))

    def config(self) -> dict[str, Any]:
        """Return ``lr``, ``betas``, ``eps``, ``weight_decay`` and ``amsgrad``."""
        return {
            "lr": self.lr,
            "betas": self.betas,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "amsgrad": self.amsgrad,
        }
