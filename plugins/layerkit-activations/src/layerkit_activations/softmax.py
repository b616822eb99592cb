"""Softmax: turns each row of scores into probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from layerkit import Layer
from layerkit.errors import NonFiniteError, ShapeError
from layerkit.namespaces import namespace_of
from layerkit.validation import Array, as_float_array, check_gradient

__all__ = ["Softmax"]


class Softmax(Layer):
    """Softmax over the last axis: ``yᵢ = e^(xᵢ) / Σⱼ e^(xⱼ)``, row by row; no parameters.

    Each row of the output is positive and sums to 1. The row maximum is subtracted before
    exponentiating (which does not change the result), so every exponent is <= 0 and
    nothing overflows, for any finite input.

    Softmax is not elementwise: every output depends on every input of its row, so its
    Jacobian ∂yᵢ/∂xⱼ = yᵢ (δᵢⱼ − yⱼ) is a full matrix per row. That is why it derives from
    `layerkit.Layer` and writes ``backward`` itself, as the Jacobian-vector product

        ∂L/∂xᵢ = yᵢ (gᵢ − Σⱼ gⱼ yⱼ),    g = ∂L/∂y,

    which costs O(classes) per row instead of building the matrix.

    Followed by `layerkit_losses.CrossEntropy`, the chain rule gives ∂L/∂x = y − t; the loss's
    ``from_logits=True`` computes that directly and more stably.

    Input shape: ``(classes,)`` or ``(..., classes)``, with at least one class; an empty
    batch ``(0, classes)`` gives an empty output. Output shape: the input's, same dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit_activations import Softmax
    >>> softmax = Softmax()
    >>> softmax(np.array([[0.0, 0.0], [1e4, 0.0]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    >>> softmax.backward(np.array([[1.0, 0.0], [0.0, 1.0]]))
    array([[ 0.25, -0.25],
           [ 0.  ,  0.  ]])
    """

    _y: Array | None = None

    def forward(self, x: ArrayLike) -> Array:
        """Return the softmax of each row of ``x``, keeping it for ``backward``."""
        x = as_float_array(x, self)
        if x.ndim == 0 or x.shape[-1] == 0:
            raise ShapeError(
                f"{self!r} expects an input of shape (classes,) or (batch, classes) with at "
                f"least one class, got shape {x.shape}"
            )
        # Every exponent is <= 0; one below the dtype's range (1e308 − (−1e308)) is −inf,
        # whose exponential, 0, is the right probability.
        if type(x) is not np.ndarray:  # another array library: its own functions
            xp = namespace_of(x)
            with np.errstate(over="ignore"):  # for libraries built on NumPy
                shifted = x - xp.max(x, axis=-1, keepdims=True)
            exponentials = xp.exp(shifted)
            self._y = exponentials / xp.sum(exponentials, axis=-1, keepdims=True)
            return self._y
        with np.errstate(over="ignore"):
            shifted = x - x.max(axis=-1, keepdims=True)
        exponentials = np.exp(shifted)
        y = exponentials / exponentials.sum(axis=-1, keepdims=True)
        self._y = y
        return y

    def backward(self, grad: ArrayLike) -> Array:
        """Return ∂L/∂x = y ⊙ (g − Σⱼ gⱼ yⱼ), row by row, for the last ``forward``."""
        grad = check_gradient(grad, self, self._y)
        y = self._y
        if type(y) is not np.ndarray:
            return self._backward_xp(grad, y)
        with np.errstate(over="ignore", invalid="ignore"):  # what they warn of is refused
            weighted = np.sum(grad * y, axis=-1, keepdims=True)  # Σⱼ gⱼ yⱼ
            result = y * (grad - weighted)
            if not np.all(np.isfinite(result)):  # g − Σⱼ gⱼ yⱼ overflowed: multiply first
                result = y * grad - y * weighted
        if not np.all(np.isfinite(result)):
            cause = (
                "the incoming gradient ∂L/∂y is not finite"
                if not np.all(np.isfinite(grad))
                else f"y ⊙ (g − Σⱼ gⱼ yⱼ) does not fit {result.dtype} for a gradient g as "
                f"large as {np.max(np.abs(grad)):.4g}"
            )
            raise NonFiniteError(f"{self!r}.backward gives a non-finite ∂L/∂x: {cause}")
        return result

    def _backward_xp(self, grad: Any, y: Any) -> Any:
        """`backward` for arrays of another library, with the functions of its namespace."""
        xp = namespace_of(grad, y, who=self)
        with np.errstate(over="ignore", invalid="ignore"):  # for libraries built on NumPy
            weighted = xp.sum(grad * y, axis=-1, keepdims=True)  # Σⱼ gⱼ yⱼ
            result = y * (grad - weighted)
            if not bool(xp.all(xp.isfinite(result))):  # g − Σⱼ gⱼ yⱼ overflowed: multiply first
                result = y * grad - y * weighted
        if not bool(xp.all(xp.isfinite(result))):
            cause = (
                "the incoming gradient ∂L/∂y is not finite"
                if not bool(xp.all(xp.isfinite(grad)))
                else f"y ⊙ (g − Σⱼ gⱼ yⱼ) does not fit {result.dtype} for a gradient g as "
                f"large as {float(xp.max(xp.abs(grad))):.4g}"
            )
            raise NonFiniteError(f"{self!r}.backward gives a non-finite ∂L/∂x: {cause}")
        return result
