"""AdamW: Adam with its weight decay applied to the parameter, not added to the gradient."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019), step for step as ``torch.optim.AdamW`` documents it.

    Adam whose weight decay shrinks θ directly, before the Adam step, instead of adding λθ
    to the gradient (where the moments would rescale it):

    ```text
    θ ← θ − γλθ
    m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²   (v_max ← max(v_max, v) with amsgrad)
    θ ← θ − γ m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
    ```

    The state and its names are `Adam`'s.

    Parameters
    ----------
    lr
        The learning rate γ; finite and >= 0 (default 1e-3).
    betas
        (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
    eps
        ε > 0, added to √v̂ (default 1e-8).
    weight_decay
        λ >= 0, the decoupled weight decay (default 1e-2, as in PyTorch).
    amsgrad
        Use the running maximum of v (AMSGrad); default False.

    Raises
    ------
    layerkit.errors.ConfigurationError
        If an option is out of its range or of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_optimizers import AdamW
    >>> adamw = AdamW(lr=0.1, weight_decay=0.5)
    >>> theta = np.array([1.0, -2.0])
    >>> adamw.update(theta, np.zeros(2))  # no gradient: only the decay, θ(1 − γλ)
    >>> theta
    array([ 0.95, -1.9 ])
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(lr, betas, eps, weight_decay, amsgrad)
