"""The L2 (squared-error) loss of the derivation: L = ½ Σⱼ (yⱼ − tⱼ)²."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import BackwardBeforeForwardError
from .loss import Loss, Reduction
from .namespaces import library_of, namespace_of
from .validation import Array, as_float_array, as_prediction_and_target

__all__ = ["L2Loss"]


class L2Loss(Loss):
    """Half the squared error, ``L = ½ Σⱼ (yⱼ − tⱼ)²`` per sample.

    Averaged over the batch by default; ``backward()`` returns ``(y − t) / batch``, which
    for one sample (a 1-D ``y``) is exactly y − t, as in the derivation.

    Input shape: ``y`` and ``t`` of equal shape, ``(outputs,)`` or ``(batch, outputs)``,
    with at least one sample and one output. ``t`` is converted to ``y``'s dtype.

    A loss too large for ``y``'s dtype (½ (y − t)² of 1e155 in float64) raises
    `NonFiniteError` instead of returning infinity; a batch whose sum overflows but whose
    mean fits gives the mean.

    Parameters
    ----------
    reduction
        ``"mean"`` (default) averages the per-sample losses over the batch, ``"sum"`` adds.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit import L2Loss
    >>> loss = L2Loss()
    >>> round(loss(np.array([0.8, 0.2]), np.array([1.0, 0.0])), 12)  # ½(0.2² + 0.2²)
    0.04
    >>> loss.backward()
    array([-0.2,  0.2])
    """

    def __init__(self, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self._difference: Array | None = None
        self._scale = 1.0

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return ½ Σ (y − t)², averaged or summed over the batch."""
        if type(y) is not np.ndarray and library_of(y) != "numpy":
            return self._forward_xp(y, t)
        y, t = as_prediction_and_target(y, t, self, check_y_finite=False)  # y: see below
        # --8<-- [start:forward]
        difference = y - t  # yₖ − tₖ
        loss = 0.5 * float(np.vdot(difference, difference))  # ½ Σ (yₖ − tₖ)²
        # --8<-- [end:forward]
        scale = self._batch_scale(y)
        if math.isfinite(loss):
            loss *= scale
        else:  # NaN or ±inf in y (t is finite), or the sum of squares overflowed
            with np.errstate(over="ignore"):  # _reduce refuses either
                loss = self._reduce(0.5 * difference * difference, prediction=y)
        self._scale = scale
        self._difference = difference
        return loss

    def _forward_xp(self, y: Any, t: Any) -> float:
        """`forward` for arrays of another library than NumPy."""
        y, t = as_prediction_and_target(y, t, self, check_y_finite=False)
        xp = namespace_of(y)
        difference = y - t  # yₖ − tₖ
        loss = 0.5 * float(xp.sum(difference * difference))  # ½ Σ (yₖ − tₖ)²
        scale = self._batch_scale(y)
        if math.isfinite(loss):
            loss *= scale
        else:
            loss = self._reduce(0.5 * difference * difference, prediction=y)
        self._scale = scale
        self._difference = difference
        return loss

    def check_targets(self, y: Array, t: np.ndarray) -> None:
        """Targets of ``y``'s dtype and sample shape pass by one pass for NaN and infinity."""
        if t.dtype == y.dtype and tuple(t.shape[1:]) == tuple(y.shape[1:]):
            if type(t) is np.ndarray or library_of(t) == library_of(y):
                as_float_array(t, self, name="target t")
                return
        super().check_targets(y, t)

    def backward(self) -> Array:
        """Return ∂L/∂y = (y − t), divided by the batch size when averaging."""
        if self._difference is None:
            raise BackwardBeforeForwardError(
                f"{self!r}.backward was called before forward: call forward(y, t) first"
            )
        # --8<-- [start:backward]
        return self._difference * self._scale  # ∂L/∂yₖ = yₖ − tₖ
        # --8<-- [end:backward]
