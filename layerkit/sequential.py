"""A chain of layers: forward runs them in order, backward runs the δ recursion in reverse."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self, overload

from numpy.typing import ArrayLike, DTypeLike

from .errors import ComponentTypeError, ConfigurationError, LayerkitError
from .layer import Layer, Parameter
from .validation import Array, as_float_array

if TYPE_CHECKING:
    from .optim import Optimizer

__all__ = ["Sequential"]


class Sequential(Layer):
    """Layers applied one after another: ``Sequential(f, g)(x) == g(f(x))``.

    ``backward`` is the δ recursion of backpropagation at any depth: each layer turns the
    gradient with respect to its output into the gradient with respect to its input, and
    hands it to the layer before. A Sequential is itself a layer, so it nests.

    Parameters
    ----------
    *layers
        One or more `Layer` instances, each used once: every layer keeps what its last
        ``forward`` saw for its ``backward``, so an instance that appears twice (directly or
        inside a nested Sequential) would get wrong gradients, and is refused.

    Examples
    --------
    >>> from layerkit import Sequential
    >>> from layerkit import Dense, Sigmoid
    >>> net = Sequential(Dense(2, 3), Sigmoid(), Dense(3, 2), Sigmoid())
    >>> net
    Sequential(
      (0): Dense(2→3)
      (1): Sigmoid()
      (2): Dense(3→2)
      (3): Sigmoid()
    )
    >>> len(net), net[0], [p.name for p in net.parameters()]
    (4, Dense(2→3), ['0.W', '0.b', '2.W', '2.b'])
    """

    def __init__(self, *layers: Layer) -> None:
        if not layers:
            raise ConfigurationError(
                "Sequential needs at least one layer, got none; "
                "e.g. Sequential(Dense(2, 3), Sigmoid())"
            )
        for position, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                hint = (
                    " (a class: did you forget the parentheses?)" if isinstance(layer, type) else ""
                )
                raise ComponentTypeError(
                    f"Sequential expects Layer instances, got {layer!r} of type "
                    f"{type(layer).__name__} at position {position}{hint}"
                )
        _refuse_shared_layers(layers)
        self.layers: list[Layer] = list(layers)

    def forward(self, x: ArrayLike) -> Array:
        """Run every layer in order and return the last output."""
        try:
            for layer in self.layers:
                x = layer.forward(x)
        except LayerkitError as error:
            self._note(error, layer, "forward")
            raise
        return x  # type: ignore[return-value]

    def backward(self, grad: ArrayLike) -> Array:
        """Run every layer's backward in reverse order; return ∂L/∂x of the first input.

        A gradient holding NaN or infinity is refused (`NonFiniteError`) before any layer
        sees it.
        """
        grad = as_float_array(grad, "Sequential.backward", name="gradient")  # checked once
        try:
            # --8<-- [start:backward]
            for layer in reversed(self.layers):
                grad = layer.backward(grad)  # δ of this layer's input = δ for the layer below
            # --8<-- [end:backward]
        except LayerkitError as error:
            self._note(error, layer, "backward")
            raise
        return grad  # type: ignore[return-value]

    def backward_step(
        self, grad: ArrayLike, optimizer: Optimizer, *, input_grad: bool = True
    ) -> Array | None:
        """Backward and the update in one reversed pass; return ∂L/∂x of the first input.

        Each layer runs its own ``backward_step``: its δ for the layer below is computed with
        its weights from the forward pass, then it is updated while its δ is fresh in the
        cache (`Dense` stores no gradient at all). The parameters end as after ``backward``
        followed by ``optimizer.step(self)`` (to rounding; see `Optimizer.update_product`),
        but only one layer's step is held at once.
        ``input_grad=False`` (what `fit` passes) skips ∂L/∂x of the first layer, which
        leaves the network, and returns ``None``.
        """
        first, *rest = self.layers
        try:
            # --8<-- [start:backward_step]
            for layer in reversed(rest):
                # δ for the layer below (old weights), then w ← w − η ∂L/∂w for this layer
                grad = layer.backward_step(grad, optimizer)
            layer = first  # its ∂L/∂x leaves the network: computed only if the caller wants it
            return layer.backward_step(grad, optimizer, input_grad=input_grad)
            # --8<-- [end:backward_step]
        except LayerkitError as error:
            self._note(error, layer, "backward")
            raise

    def _note(self, error: LayerkitError, layer: Layer, method: str) -> None:
        """Add to ``error`` which layer of this Sequential raised it."""
        position = next(i for i, item in enumerate(self.layers) if item is layer)
        error.add_note(f"raised in {method} of layer {position} ({layer!r}) of a Sequential")

    def parameters(self, prefix: str = "") -> list[Parameter]:
        """Every layer's parameters, named ``"<position>.<name>"`` like ``"2.W"``."""
        return [
            parameter
            for position, layer in enumerate(self.layers)
            for parameter in layer.parameters(f"{prefix}{position}.")
        ]

    def astype(self, dtype: DTypeLike) -> Self:
        """Convert every layer's parameters to ``dtype`` in place; return ``self``."""
        for layer in self.layers:
            layer.astype(dtype)
        return self

    def to(self, namespace: str | ModuleType, device: object = None) -> Self:
        """Move every layer's parameters to another array library (see `Layer.to`)."""
        for layer in self.layers:
            layer.to(namespace, device)
        return self

    def config(self) -> dict[str, Any]:
        """A Sequential is described by its layers, not by options."""
        return {}

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @overload
    def __getitem__(self, index: int) -> Layer: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Layer | Sequential:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __repr__(self) -> str:
        lines = ["Sequential("]
        for position, layer in enumerate(self.layers):
            child = repr(layer).replace("\n", "\n  ")
            lines.append(f"  ({position}): {child}")
        lines.append(")")
        return "\n".join(lines)


def _refuse_shared_layers(layers: Sequence[Layer], seen: dict[int, str] | None = None) -> None:
    """Raise `ConfigurationError` if one layer instance appears twice in the tree.

    ``seen`` maps ids of layers already placed to their positions (`fit` passes the network
    itself, so that a Sequential that was made to contain itself is refused too).
    """
    seen = {} if seen is None else seen

    def visit(layer: Layer, position: str) -> None:
        if id(layer) in seen:
            # a Sequential's repr lists its layers, which may include itself
            shown = "Sequential(...)" if isinstance(layer, Sequential) else repr(layer)
            raise ConfigurationError(
                f"Sequential got the same {shown} instance at positions {seen[id(layer)]} "
                f"and {position}: a layer keeps what its last forward saw for backward, so one "
                f"instance used twice computes wrong gradients. Create a separate layer for "
                f"each position (Dense(...) again, Sigmoid() again). layerkit does not tie "
                f"weights; to start two Dense layers equal, pass W=first.W, b=first.b (copied)"
            )
        seen[id(layer)] = position
        if isinstance(layer, Sequential):
            for index, child in enumerate(layer.layers):
                visit(child, f"{position}.{index}")

    for index, layer in enumerate(layers):
        visit(layer, str(index))
