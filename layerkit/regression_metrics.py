"""The mean squared and mean absolute errors, as metrics: how far predictions are from targets."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .errors import NonFiniteError
from .metric import Metric
from .validation import Array, as_prediction_and_target

__all__ = ["MeanAbsoluteError", "MeanSquaredError"]


class MeanSquaredError(Metric):
    """Mean squared error: ``(1/n) Σⱼ (yⱼ − tⱼ)²`` over a sample's n outputs, averaged over samples.

    That is the mean over every entry, as Keras's ``mean_squared_error`` and PyTorch's
    ``MSELoss`` compute it. It is not the `L2Loss`, ½ Σⱼ (yⱼ − tⱼ)², which sums over the
    outputs and halves: for one output the MSE is twice the L2 loss. Computed in float64;
    registered as ``"mse"``.

    Target ``t``: finite numbers of ``y``'s shape (never broadcast).

    Raises
    ------
    layerkit.errors.ShapeError
        If ``y`` is empty or not 1-D or 2-D, or ``t`` has another shape.
    layerkit.errors.NonFiniteError
        For NaN or infinity in ``y`` or ``t``, or an error too large for float64.

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> lk.metric("mse")(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 4.0]]))
    3.25
    """

    greater_is_better = False

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return the mean of ``(y − t)²`` over outputs and samples."""
        y, t = as_prediction_and_target(y, t, self)
        return _mean_power(np.abs(y - t, dtype=np.float64), 2, self)


class MeanAbsoluteError(Metric):
    """Mean absolute error: ``(1/n) Σⱼ |yⱼ − tⱼ|`` over a sample's n outputs, averaged over samples.

    The mean over every entry (Keras's ``mean_absolute_error``, PyTorch's ``L1Loss``), in
    float64; registered as ``"mae"``. Target ``t``: finite numbers of ``y``'s shape.

    Raises
    ------
    layerkit.errors.ShapeError
        If ``y`` is empty or not 1-D or 2-D, or ``t`` has another shape.
    layerkit.errors.NonFiniteError
        For NaN or infinity in ``y`` or ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> lk.metric("mae")(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 4.0]]))
    1.25
    """

    greater_is_better = False

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return the mean of ``|y − t|`` over outputs and samples."""
        y, t = as_prediction_and_target(y, t, self)
        return _mean_power(np.abs(y - t, dtype=np.float64), 1, self)


def _mean_power(error: Array, power: int, who: Metric) -> float:
    """The mean of ``error ** power`` (``error`` >= 0, float64), even when a sum overflows."""
    with np.errstate(over="ignore"):
        mean = float(np.mean(error**power))
    if math.isfinite(mean):
        return mean
    largest = float(error.max())  # scaled down by it, no term exceeds 1
    with np.errstate(over="ignore"):
        mean = float(np.mean((error / largest) ** power)) * largest
        if power == 2:
            mean *= largest
    if math.isfinite(mean):
        return mean
    raise NonFiniteError(
        f"{who!r} overflowed: the mean of |y − t|{'²' if power == 2 else ''} exceeds the largest "
        f"float64 ({np.finfo(np.float64).max:.4g}); the predictions are that far from their "
        f"targets"
    )
