"""The base class of metrics: numbers reported during training that are not the loss."""

from __future__ import annotations

from typing import Any, ClassVar

from numpy.typing import ArrayLike

__all__ = ["Metric"]


class Metric:
    """A measure of how well predictions ``y`` match targets ``t``, such as accuracy.

    A subclass implements ``forward(y, t)``, which returns the **mean over the samples** of
    one batch as a float. Because it is a mean per sample, `fit` can report a metric over an
    epoch as the batch values weighted by batch size, and get the value over the whole data.
    Unlike a loss, a metric needs no gradient.

    ``greater_is_better`` says which way is an improvement (accuracy: up; an error: down).

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit.metric import Metric
    >>> class MeanAbsoluteError(Metric):
    ...     greater_is_better = False
    ...     def forward(self, y, t):
    ...         return float(np.mean(np.abs(np.asarray(y) - np.asarray(t))))
    >>> MeanAbsoluteError()([[0.5], [1.0]], [[0.0], [1.0]])
    0.25
    """

    greater_is_better: ClassVar[bool] = True

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return the metric of predictions ``y`` against targets ``t``, a mean over samples."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(y, t)")

    def __call__(self, y: ArrayLike, t: ArrayLike) -> float:
        return self.forward(y, t)

    def config(self) -> dict[str, Any]:
        """Return the constructor options that rebuild this metric."""
        return {}

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({options})"
