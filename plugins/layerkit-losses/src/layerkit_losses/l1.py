"""The L1 (absolute-error) loss: L = Σⱼ |yⱼ − tⱼ|."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from layerkit import Loss
from layerkit.loss import Reduction
from layerkit.namespaces import namespace_of
from layerkit.validation import Array, as_prediction_and_target

from ._checks import check_forward_ran

__all__ = ["L1Loss"]


class L1Loss(Loss):
    """Absolute error ``L = Σⱼ |yⱼ − tⱼ|`` per sample.

    Less swayed by outliers than the squared error: every output pulls with the same
    strength. ``backward()`` returns the subgradient ``sign(y − t)``, which is 0 where
    ``y = t`` exactly.

    Input shape: ``y`` and ``t`` of equal shape, ``(outputs,)`` or ``(batch, outputs)``,
    with at least one sample and one output. ``backward()`` has ``y``'s shape and dtype.
    A loss beyond the dtype's range raises `layerkit.errors.NonFiniteError`.

    Parameters
    ----------
    reduction
        ``"mean"`` (default) averages the per-sample losses over the batch, ``"sum"`` adds.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_losses import L1Loss
    >>> loss = L1Loss()
    >>> loss(np.array([0.5, 2.0, 1.0]), np.array([1.0, 0.0, 1.0]))  # 0.5 + 2 + 0
    2.5
    >>> loss.backward()
    array([-1.,  1.,  0.])
    """

    def __init__(self, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self._sign: Array | None = None
        self._scale = 1.0

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return Σ |y − t|, averaged or summed over the batch."""
        y, t = as_prediction_and_target(y, t, self, check_y_finite=False)  # y: by _reduce
        difference = y - t  # as_prediction_and_target has made sure it does not overflow
        xp = np if type(difference) is np.ndarray else namespace_of(difference)
        # Σ and the batch mean, refusing NaN or ±inf in y, and a loss that does not fit
        loss = self._reduce(xp.abs(difference), prediction=y)
        self._sign, self._scale = xp.sign(difference), self._batch_scale(y)
        return loss

    def backward(self) -> Array:
        """Return ∂L/∂y = sign(y − t), divided by the batch size when averaging."""
        check_forward_ran(self, self._sign)
        return self._sign * self._scale
