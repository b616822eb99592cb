"""Binary cross-entropy, from probabilities or (fused with the sigmoid) from logits."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from layerkit.namespaces import namespace_of
from layerkit.validation import Array, as_prediction_and_target

from ._checks import EPSILON, check_forward_ran, check_probability_targets
from ._cross_entropy_base import CrossEntropyBase

__all__ = ["BinaryCrossEntropy"]


class BinaryCrossEntropy(CrossEntropyBase):
    """Binary cross-entropy ``L = −Σⱼ [tⱼ log pⱼ + (1 − tⱼ) log(1 − pⱼ)]`` per sample.

    Each output is an independent yes/no probability p with a target t in [0, 1].

    With ``from_logits=False`` (default) ``y`` is the probabilities p, e.g. a `Sigmoid`
    output, clipped to [1e-7, 1 − 1e-7] so that neither logarithm sees 0. ``backward()``
    returns ``(p − t) / (p (1 − p))``: the exact gradient of the clipped function, hence 0
    where y lay outside the clip range.

    With ``from_logits=True`` ``y`` is the logits z, with p = σ(z), and the loss is computed
    in the stable form ``max(z, 0) − z t + log(1 + e^(−|z|))``, whose exponent is never
    positive. ``backward()`` returns ``σ(z) − t``, what the chain rule gives for a `Sigmoid`
    followed by this loss; prefer it for the same reasons as ``CrossEntropy(from_logits=True)``.

    Input shape: ``y`` and ``t`` of equal shape, ``(outputs,)`` or ``(batch, outputs)``,
    with at least one sample and one output. ``backward()`` has ``y``'s shape and dtype.

    Parameters
    ----------
    from_logits
        Whether ``y`` holds logits (True) or probabilities (False, default).
    reduction
        ``"mean"`` (default) averages the per-sample losses over the batch, ``"sum"`` adds.

    Raises
    ------
    layerkit.errors.TargetError
        If a target lies outside [0, 1] (the loss would go negative).
    layerkit.errors.ShapeError
        If ``y`` is not 1-D or 2-D, is empty, or ``t`` has another shape.
    layerkit.errors.NonFiniteError
        For NaN or infinity in ``y`` or ``t``, or a loss beyond the dtype's range (logits
        near ±1.8e308 adding up).

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_losses import BinaryCrossEntropy
    >>> loss = BinaryCrossEntropy()
    >>> round(loss(np.array([0.8, 0.4]), np.array([1.0, 0.0])), 6)  # −log 0.8 − log 0.6
    0.733969
    >>> loss.backward()  # (p − t) / (p (1 − p))
    array([-1.25      ,  1.66666667])
    >>> fused = BinaryCrossEntropy(from_logits=True)
    >>> fused(np.array([1e4, -1e4]), np.array([1.0, 1.0]))  # log(1 + e^(−z)) ≈ 0 and 1e4
    10000.0
    >>> fused.backward()  # σ(z) − t
    array([ 0., -1.])
    """

    def forward(self, y: ArrayLike, t: ArrayLike) -> float:
        """Return the binary cross-entropy, averaged or summed over the batch."""
        y, t = as_prediction_and_target(y, t, self)
        check_probability_targets(t, self)
        if type(y) is not np.ndarray:  # another array library
            return self._forward_xp(y, t)
        if self.from_logits:
            e = np.exp(-np.abs(y))  # in (0, 1]: nothing overflows
            # max(z, 0) − z t lies between 0 and |z| for t in [0, 1]: no overflow either
            losses = np.maximum(y, 0) - y * t + np.log1p(e)
            p = np.where(y >= 0, 1.0, e) / (1.0 + e)  # σ(z) for either sign of z
            inside = None
        else:
            p = np.clip(y, EPSILON, 1.0 - EPSILON)
            losses = -(t * np.log(p) + (1.0 - t) * np.log1p(-p))
            inside = (y >= EPSILON) & (y <= 1.0 - EPSILON)  # where the clip left y alone
        loss = self._reduce(losses)  # Σ and the batch mean, refusing what does not fit
        self._p, self._t, self._inside, self._scale = p, t, inside, self._batch_scale(y)
        return loss

    def backward(self) -> Array:
        """Return ∂L/∂y: ``σ(z) − t`` from logits, ``(p − t) / (p (1 − p))`` otherwise."""
        check_forward_ran(self, self._p)
        p, t = self._p, self._t
        if self.from_logits:
            grad = p - t
        elif type(p) is not np.ndarray:
            grad = namespace_of(p).where(self._inside, (p - t) / (p * (1.0 - p)), 0.0)
        else:
            grad = np.where(self._inside, (p - t) / (p * (1.0 - p)), 0.0)
        return grad * self._scale

    def _forward_xp(self, y: Any, t: Any) -> float:
        """`forward` for arrays of another library, with the functions of its namespace."""
        xp = namespace_of(y, t, who=self)
        if self.from_logits:
            e = xp.exp(-xp.abs(y))  # in (0, 1]: nothing overflows
            losses = xp.clip(y, min=0.0) - y * t + xp.log1p(e)
            p = xp.where(y >= 0, 1.0, e) / (1.0 + e)  # σ(z) for either sign of z
            inside = None
        else:
            p = xp.clip(y, min=EPSILON, max=1.0 - EPSILON)
            losses = -(t * xp.log(p) + (1.0 - t) * xp.log1p(-p))
            inside = (y >= EPSILON) & (y <= 1.0 - EPSILON)  # where the clip left y alone
        loss = self._reduce(losses)
        self._p, self._t, self._inside, self._scale = p, t, inside, self._batch_scale(y)
        return loss
