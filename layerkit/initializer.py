"""The base class of weight initializers: how a layer's weights are first drawn."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Initializer"]


class Initializer:
    """A rule for drawing a layer's initial weights, such as Glorot's or He's.

    A subclass implements ``draw(shape, rng)``, which returns a new float64 array of
    ``shape`` drawn from the generator ``rng`` (and nothing else, so that the same seed gives
    the same weights). For a `Dense` weight matrix the shape is ``(in_features,
    out_features)``: ``shape[0]`` is the fan-in and ``shape[1]`` the fan-out. The layer
    rounds the draw to its own dtype, so float32 and float64 layers get the same numbers.

    ``config()`` returns the constructor options, which `repr` shows and a saved model keeps.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit.initializer import Initializer
    >>> class Ones(Initializer):
    ...     def draw(self, shape, rng):
    ...         return np.ones(shape)
    >>> Ones()((2, 3), np.random.default_rng(0))
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Return a new float64 array of ``shape``, drawn from ``rng``."""
        raise NotImplementedError(f"{type(self).__name__} must implement draw(shape, rng)")

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return self.draw(shape, rng)

    def config(self) -> dict[str, Any]:
        """Return the constructor options that rebuild this initializer."""
        return {}

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({options})"
