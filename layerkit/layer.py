"""The base class every layer derives from, and the `Parameter` record optimizers update."""

from __future__ import annotations

from os import PathLike
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .errors import ConfigurationError
from .validation import Array, float_dtype

if TYPE_CHECKING:
    from .optim import Optimizer

__all__ = ["Layer", "Parameter"]


class Parameter(NamedTuple):
    """One trainable array and its gradient, as optimizers and `gradcheck` see them.

    ``value`` and ``grad`` are the layer's own arrays, not copies: updating ``value`` in
    place updates the layer.
    """

    name: str
    """Dotted name, e.g. ``"W"`` for a layer, ``"2.W"`` for layer 2 of a Sequential."""
    value: Array
    """The parameter itself."""
    grad: Array | None
    """∂L/∂value from the last ``backward``, same shape and dtype as ``value``; ``None`` before
    the first ``backward`` and after a ``backward_step``, which applies its own and stores
    none."""


class Layer:
    """A differentiable map ``y = f(x)`` that knows its own derivative.

    A subclass implements two methods and nothing else is required:

    - ``forward(x)`` computes the output and keeps whatever ``backward`` will need;
    - ``backward(grad)`` receives ∂L/∂y, the gradient of the loss with respect to the last
      output, stores ∂L/∂θ for each parameter θ, and returns ∂L/∂x.

    A layer with parameters lists their attribute names in ``param_names``; the gradient of
    parameter ``"W"`` lives in attribute ``"dW"``. ``backward`` **overwrites** the gradients
    (it does not add to them), so there is no ``zero_grad`` to forget.

    Training uses ``backward_step(grad, optimizer)``: backward, then the optimizer's update.
    A `Sequential` runs it layer by layer, so each layer is updated as soon as its gradients
    are known, as backpropagation is written by hand.

    Examples
    --------
    >>> from layerkit import Layer
    >>> import numpy as np
    >>> class Double(Layer):
    ...     def forward(self, x):
    ...         return 2 * x
    ...     def backward(self, grad):
    ...         return 2 * grad
    >>> Double()(np.array([1.0, 2.0]))
    array([2., 4.])
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    """Attribute names of the trainable arrays; the gradient of ``"W"`` is ``"dW"``."""

    def forward(self, x: ArrayLike) -> Array:
        """Compute the output for input ``x`` and remember what ``backward`` needs."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad: ArrayLike) -> Array:
        """Given ∂L/∂y for the last output, fill the parameter gradients and return ∂L/∂x."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad)")

    def backward_step(
        self, grad: ArrayLike, optimizer: Optimizer, *, input_grad: bool = True
    ) -> Array | None:
        """Run ``backward(grad)``, then ``optimizer.step(self)``; return ∂L/∂x.

        ∂L/∂x is computed before the update, with the weights the forward pass used, so a
        container can update each of its layers right after that layer's backward and get
        what a full ``backward`` followed by one ``optimizer.step`` gives. A layer may take its
        step without storing its gradients (`Dense` hands ∂L/∂W to the optimizer as xᵀ and δ).

        ``input_grad=False`` says the caller has no use for ∂L/∂x (`fit` says so for the first
        layer, whose input is the data): the method returns ``None``, and a layer that can
        skip computing it does (`Dense` saves its largest matrix product there).
        """
        grad = self.backward(grad)
        optimizer.step(self)
        return grad if input_grad else None

    def __call__(self, x: ArrayLike) -> Array:
        return self.forward(x)

    def parameters(self, prefix: str = "") -> list[Parameter]:
        """Return the trainable parameters with their gradients (empty for most activations).

        Each name is ``prefix`` followed by the attribute name, so a container can name its
        children's parameters without copying them (a Sequential passes ``"2."``). A layer
        that overrides this method keeps the signature.
        """
        return [
            Parameter(prefix + name, getattr(self, name), getattr(self, "d" + name))
            for name in self.param_names
        ]

    def astype(self, dtype: DTypeLike) -> Self:
        """Convert the parameters and their gradients to ``dtype`` in place; return ``self``."""
        dtype = float_dtype(dtype, repr(self))
        for name in self.param_names:
            setattr(self, name, _astype(getattr(self, name), dtype))
            gradient = getattr(self, "d" + name)
            if gradient is not None:
                setattr(self, "d" + name, _astype(gradient, dtype))
        return self

    def to(self, namespace: str | ModuleType, device: object = None) -> Self:
        """Move the parameters (and stored gradients) to another array library; return ``self``.

        ``namespace`` is a name, ``"numpy"``, ``"torch"``, ``"cupy"`` or
        ``"array_api_strict"``, or such a module (see `layerkit.namespaces.namespace`);
        ``device`` is passed to that library (``"cuda"`` for PyTorch), ``None`` for its
        default. Each array keeps its dtype and is converted in place on the layer; afterwards
        the layer computes with that library and takes its arrays as input. An optimizer's
        state for the old arrays is not carried over (as after `astype`).

        Raises
        ------
        layerkit.errors.ConfigurationError
            For an unknown library name, or a device the library refuses (any device but the
            CPU for NumPy); the layer is then left as it was.
        layerkit.errors.MissingDependencyError
            When the library is not installed.

        Examples
        --------
        >>> import numpy as np
        >>> import layerkit as lk
        >>> layer = lk.Dense(2, 1, W=[[1.0], [2.0]], b=[0.5]).to("array_api_strict")
        >>> import array_api_strict as xp
        >>> y = layer(xp.asarray([[1.0, 1.0]]))
        >>> float(y[0, 0])
        3.5
        >>> layer.to("numpy").W
        array([[1.],
               [2.]])
        """
        from .namespaces import convert
        from .namespaces import namespace as resolve

        xp = resolve(namespace)
        if xp is np and device not in (None, "cpu"):
            raise ConfigurationError(
                f"{self!r} cannot move to NumPy on device={device!r}: NumPy arrays live on the "
                f"CPU; give device=None"
            )
        arrays = {name: getattr(self, name) for name in self.param_names}
        arrays.update({f"d{name}": getattr(self, f"d{name}", None) for name in self.param_names})
        try:  # every array first, so that a device the library refuses leaves the layer whole
            moved = {name: convert(a, xp, device) for name, a in arrays.items() if a is not None}
        except Exception as error:  # the library's own error for a device it does not know
            raise ConfigurationError(
                f"{self!r} cannot move its parameters to {namespace!s} on device={device!r}: "
                f"{type(error).__name__}: {error}"
            ) from error
        for name, array in moved.items():
            setattr(self, name, array)
        return self

    def config(self) -> dict[str, Any]:
        """Return the constructor options that rebuild this layer (without its weights)."""
        return {}

    def save(self, path: str | PathLike[str], **options: Any) -> None:
        """Save this layer or network, architecture and parameters, to one file at ``path``.

        ``options`` (``loss``, ``metadata``) and the file format are those of
        `layerkit.serialization.save`; `layerkit.load` reads the file back.
        """
        from .serialization import save  # imported here: serialization imports this module

        save(self, path, **options)

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({options})"

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a network as its `layerkit.draw` diagram (None: the text repr).

        A layer that is not a network `draw` can picture (an activation alone) has none.
        """
        from .draw import draw  # imported here: draw imports this module

        try:
            return draw(self)
        except ConfigurationError:
            return None


def _astype(array: Any, dtype: np.dtype[Any]) -> Any:
    """``array`` converted to the float ``dtype``, in its own library."""
    if isinstance(array, np.ndarray):
        return array.astype(dtype)
    from .namespaces import namespace_of

    xp = namespace_of(array)
    return xp.astype(array, getattr(xp, dtype.name))
