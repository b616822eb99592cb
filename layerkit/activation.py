"""The base class of elementwise activations y = φ(x)."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from .errors import NamespaceError, NonFiniteError
from .layer import Layer
from .namespaces import library_of, namespace_of
from .validation import Array, as_float_array, check_gradient

if TYPE_CHECKING:
    from .optim import Optimizer

__all__ = ["Activation"]


class Activation(Layer):
    """An elementwise activation ``y = φ(x)`` with no parameters.

    A subclass gives the function and its derivative; this class does the rest (input
    checks, caching, the chain rule ∂L/∂x = ∂L/∂y ⊙ φ'(x)):

    - ``function(x)`` returns φ(x) as a new array;
    - ``derivative(x, y)`` returns φ'(x), written with the input ``x``, the cached output
      ``y = φ(x)``, or both, whichever is cheaper (the sigmoid's is ``y * (1 - y)``).

    A derivative written with ``y`` alone can say so with ``derivative_uses_input = False``:
    forward then does not keep ``x`` alive until backward, which saves memory (``x`` is
    passed as ``None``).

    A derivative that returns a new array shaped and typed like ``y`` can say so with
    ``derivative_returns_new = True``: backward then multiplies the gradient into that array
    instead of allocating another, as a hand-written in-place backward would.

    A derivative bounded by 1 in magnitude (the sigmoid's, tanh's) can say so with
    ``derivative_at_most_one = True``: ∂L/∂y ⊙ φ'(x) then cannot overflow, and backward skips
    the check it otherwise makes (a product beyond the dtype's range raises `NonFiniteError`
    instead of returning infinity).

    An activation that is not elementwise (softmax) overrides ``backward`` instead.

    Examples
    --------
    >>> from layerkit import Activation
    >>> import numpy as np
    >>> class Square(Activation):
    ...     def function(self, x):
    ...         return x * x
    ...     def derivative(self, x, y):
    ...         return 2 * x
    >>> square = Square()
    >>> square(np.array([3.0]))
    array([9.])
    >>> square.backward(np.array([1.0]))
    array([6.])
    """

    derivative_uses_input: ClassVar[bool] = True
    """Whether ``derivative`` reads ``x``; when False, forward keeps only ``y``."""

    derivative_returns_new: ClassVar[bool] = False
    """Whether ``derivative`` returns a new array like ``y``, which backward may overwrite."""

    derivative_at_most_one: bool = False
    """Whether ``|φ'(x)| <= 1`` everywhere, so that backward cannot overflow and skips the check."""

    _x: Array | None = None
    _y: Array | None = None

    def function(self, x: Array) -> Array:
        """Return φ(x) elementwise."""
        raise NotImplementedError(f"{type(self).__name__} must implement function(x)")

    def derivative(self, x: Array | None, y: Array) -> Array:
        """Return φ'(x) elementwise, given the input ``x`` and the output ``y = φ(x)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement derivative(x, y)")

    def forward(self, x: ArrayLike) -> Array:
        """Return φ(x), keeping ``x`` and ``y`` for ``backward``; any shape is accepted."""
        x = as_float_array(x, self)
        if type(x) is not np.ndarray:  # another array library
            return self._forward_xp(x)
        y = self.function(x)
        self._x = x if self.derivative_uses_input else None
        self._y = y
        return y

    def backward(self, grad: ArrayLike) -> Array:
        """Return ∂L/∂x = ∂L/∂y ⊙ φ'(x) for the last ``forward``."""
        y = self._y  # a NumPy scalar for a 0-d input of some activations: NumPy's too
        if y is not None and type(y) is not np.ndarray and library_of(y) != "numpy":
            return self._backward_xp(grad)
        grad = check_gradient(grad, self, self._y)
        if not self.derivative_at_most_one:
            return self._checked_backward(grad)
        slope = self.derivative(self._x, self._y)  # φ'(x)
        # Into φ'(x)'s own array when it is new (a 0-d result is a NumPy scalar, not an array)
        into = slope if self.derivative_returns_new and slope.ndim else None
        return np.multiply(grad, slope, out=into)

    def array_api_function(self, x: Any, xp: ModuleType) -> Any:
        """Return φ(x) for an array ``x`` of another library, with the functions of ``xp``.

        The array-API form of ``function``, for arrays of PyTorch, CuPy or array-api-strict
        (`Layer.to`). An activation that does not implement it (and ``array_api_derivative``)
        computes with NumPy only, and refuses other arrays with `NamespaceError`.
        """
        raise NamespaceError(
            f"{self!r} computes with NumPy arrays only, got {library_of(x)} input; convert the "
            f"input with layerkit.namespaces.to_numpy, or keep the model on NumPy"
        )

    def array_api_derivative(self, x: Any, y: Any, xp: ModuleType) -> Any:
        """Return φ'(x) for arrays of another library, with the functions of ``xp``."""
        raise NamespaceError(f"{self!r} computes with NumPy arrays only, got {library_of(y)}")

    def _forward_xp(self, x: Any) -> Any:
        y = self.array_api_function(x, namespace_of(x))
        self._x = x if self.derivative_uses_input else None
        self._y = y
        return y

    def _backward_xp(self, grad: Any) -> Any:
        grad = check_gradient(grad, self, self._y)
        xp = namespace_of(grad)
        result = grad * self.array_api_derivative(self._x, self._y, xp)
        if self.derivative_at_most_one or bool(xp.all(xp.isfinite(result))):
            return result
        raise NonFiniteError(
            f"{self!r}.backward gives ∂L/∂x holding NaN or infinity: either the incoming "
            f"gradient is not finite or ∂L/∂y ⊙ φ'(x) does not fit {result.dtype}; if this arose "
            f"in training, lower the learning rate"
        )

    def _checked_backward(self, grad: Array) -> Array:
        """``backward`` for a derivative that may exceed 1: refuse a product that overflows."""
        with np.errstate(over="ignore", invalid="ignore"):  # what they would warn of is refused
            slope = self.derivative(self._x, self._y)
            into = slope if self.derivative_returns_new and slope.ndim else None
            result = np.multiply(grad, slope, out=into)
        if np.all(np.isfinite(result)):
            return result
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(result))[0])
        cause = (
            "the incoming gradient is not finite there"
            if not np.isfinite(grad[index])
            else f"∂L/∂y ⊙ φ'(x) does not fit {result.dtype} (largest "
            f"{np.finfo(result.dtype).max:.4g}); if this arose in training, lower the learning rate"
        )
        raise NonFiniteError(
            f"{self!r}.backward gives ∂L/∂x = {np.asarray(result)[index]} at index "
            f"{index if len(index) != 1 else index[0]}, where ∂L/∂y = {grad[index]}: {cause}"
        )

    def backward_step(
        self, grad: ArrayLike, optimizer: Optimizer, *, input_grad: bool = True
    ) -> Array | None:
        """``backward``, and the optimizer's step if this activation has parameters.

        An activation's parameters are the attributes named in ``param_names``; without any,
        there is nothing to update, and with ``input_grad=False`` nothing to compute either.
        """
        if self.param_names:
            return super().backward_step(grad, optimizer, input_grad=input_grad)
        return self.backward(grad) if input_grad else None
