"""The Huber loss: squared error for small errors, absolute error for large ones."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from layerkit import Loss
from layerkit.loss import Reduction
from layerkit.namespaces import namespace_of
from layerkit.validation import Array, as_prediction_and_target, float_dtype

from ._checks import check_forward_ran, positive_float

__all__ = ["HuberLoss"]


class HuberLoss(Loss):
    """Huber loss: the squared error for small errors, the absolute error beyond δ.

    Per sample ``L = Σⱼ h(yⱼ − tⱼ)`` with ``h(d) = ½ d²`` for ``|d| <= δ``, else
    ``δ (|d| − ½ δ)``: outliers pull with a bounded force. It is computed as
    ``h(d) = ½ q² + δ (|d| − q)`` with ``q = min(|d|, δ)``, which never squares a large
    error. ``backward()`` returns ``clip(y − t, −δ, δ)``.

    Input shape: ``y`` and ``t`` of equal shape, ``(outputs,)`` or ``(batch, outputs)``,
    with at least one sample and one output. ``backward()`` has ``y``'s shape and dtype.
    A loss beyond the dtype's range (``½ q²`` with a δ of 1e200 and an error of 1e160, in
    float64) raises `layerkit.errors.NonFiniteError`.

    Parameters
    ----------
    delta
        Where the loss turns from quadratic to linear, a finite number > 0 (default 1.0).
    reduction
        ``"mean"`` (default) averages the per-sample losses over the batch, ``"sum"`` adds.

    Raises
    ------
    layerkit.errors.ConfigurationError
        If ``delta`` is not a finite number > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_losses import HuberLoss
    >>> loss = HuberLoss(delta=1.0)
    >>> loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]))  # ½ 0.5² + (3 − ½)
    2.625
    >>> loss.backward()
    array([0.5, 1. ])
    """

    def __init__(self, delta: float = 1.0, *, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self.delta = positive_float(delta, type(self).__name__, "delta")
        self._difference: Array | None = None
        self._scale = 1.0

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return Σ h(y − t), averaged or summed over the batch."""
        y, t = as_prediction_and_target(y, t, self, check_y_finite=False)  # y: by _reduce
        difference = y - t  # as_prediction_and_target has made sure it does not overflow
        delta = self._delta_for(y.dtype)
        if type(difference) is not np.ndarray:  # another array library
            return self._forward_xp(y, difference, delta)
        size = np.abs(difference)
        with np.errstate(over="ignore"):  # a term beyond the dtype's range: refused by _reduce
            quadratic = np.minimum(size, delta)  # q = min(|d|, δ)
            losses = 0.5 * quadratic * quadratic + delta * (size - quadratic)
        # Σ and the batch mean, refusing NaN or ±inf in y, and a loss that does not fit
        loss = self._reduce(losses, prediction=y)
        self._difference, self._scale = difference, self._batch_scale(y)
        return loss

    def backward(self) -> Array:
        """Return ∂L/∂y = clip(y − t, −δ, δ), divided by the batch size when averaging."""
        check_forward_ran(self, self._difference)
        delta = self._delta_for(self._difference.dtype)
        if type(self._difference) is not np.ndarray:
            xp = namespace_of(self._difference)
            return xp.clip(self._difference, min=-delta, max=delta) * self._scale
        return np.clip(self._difference, -delta, delta) * self._scale

    def _forward_xp(self, y: Any, difference: Any, delta: float) -> float:
        """`forward` for arrays of another library, with the functions of its namespace."""
        xp = namespace_of(difference)
        size = xp.abs(difference)
        with np.errstate(over="ignore"):  # for libraries built on NumPy: refused by _reduce
            quadratic = xp.clip(size, max=delta)  # q = min(|d|, δ)
            losses = 0.5 * quadratic * quadratic + delta * (size - quadratic)
        loss = self._reduce(losses, prediction=y)
        self._difference, self._scale = difference, self._batch_scale(y)
        return loss

    def _delta_for(self, dtype: Any) -> float:
        """δ, or the dtype's largest number if δ is larger: |y − t| never exceeds it anyway."""
        if not isinstance(dtype, np.dtype):  # another library's float32 or float64
            dtype = float_dtype(dtype, self)
        return min(self.delta, float(np.finfo(dtype).max))

    def config(self) -> dict[str, Any]:
        """Return ``{"delta": …, "reduction": …}``."""
        return {"delta": self.delta, **super().config()}
