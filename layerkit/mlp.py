"""Build a multilayer perceptron from layer sizes and component names."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .dense import Dense
from .errors import ConfigurationError
from .layer import Layer
from .registry import activation as build_activation
from .sequential import Sequential
from .validation import positive_int, random_seed
from .weight_init import InitOption

__all__ = ["mlp"]

# Activations for which He initialisation keeps the signal's variance; Glorot suits the rest.
_HE_ACTIVATIONS = frozenset({"relu", "leaky_relu", "elu", "gelu"})


def mlp(
    sizes: Sequence[int],
    activation: str = "sigmoid",
    output: str | None = "sigmoid",
    *,
    activation_options: Mapping[str, Any] | None = None,
    output_options: Mapping[str, Any] | None = None,
    init: InitOption = None,
    seed: int | np.random.Generator | None = None,
    dtype: DTypeLike | None = None,
) -> Sequential:
    """Return ``Sequential(Dense, activation, Dense, activation, ..., Dense, output)``.

    Parameters
    ----------
    sizes
        Widths from input to output, e.g. ``[2, 3, 2]`` for the derivation's network: a
        list, tuple or 1-D array of at least two positive integers.
    activation
        Registered name of the hidden activation (see `activations`).
    output
        Registered name of the output activation, or ``None`` for a linear output (logits).
    activation_options
        Keyword options for the hidden activation, e.g. ``{"slope": 0.1}`` for ``leaky_relu``.
    output_options
        Keyword options for the output activation.
    init
        How every `Dense` layer draws its weights: a registered initializer's name such as
        ``"he_uniform"``, an `Initializer` or a function (see `Dense`). By default ``"he"``
        when the hidden activation is ``relu``, ``leaky_relu``, ``elu`` or ``gelu``, and
        ``"glorot"`` otherwise.
    seed
        None, a non-negative integer or a ``numpy.random.Generator`` for the weights; the
        same seed builds the same network.
    dtype
        Parameter dtype; by default the first input's (see `Dense`).

    Examples
    --------
    >>> from layerkit import mlp
    >>> mlp([2, 3, 2], seed=0)
    Sequential(
      (0): Dense(2→3)
      (1): Sigmoid()
      (2): Dense(3→2)
      (3): Sigmoid()
    )
    """
    if not isinstance(sizes, Sequence | np.ndarray) or isinstance(sizes, (str, bytes)):
        raise ConfigurationError(
            f"mlp expects sizes as a list of positive integers such as [2, 3, 2], "
            f"got {sizes!r} of type {type(sizes).__name__}"
        )
    if len(sizes) < 2:
        raise ConfigurationError(
            f"mlp expects at least two sizes (inputs and outputs), got sizes={list(sizes)!r}"
        )
    widths = [positive_int(size, "mlp", "size") for size in sizes]
    seed = random_seed(seed, "mlp")
    for name, options in (("activation", activation_options), ("output", output_options)):
        if options is not None and not isinstance(options, Mapping):
            raise ConfigurationError(
                f"mlp expects {name}_options as a dict of keyword options such as "
                f"{{'slope': 0.1}}, got {options!r}"
            )
    if init is None:
        init = "he" if activation in _HE_ACTIVATIONS else "glorot"
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for position, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        last = position == len(widths) - 2
        layers.append(Dense(fan_in, fan_out, init=init, seed=rng, dtype=dtype))
        if not last:
            layers.append(build_activation(activation, **(activation_options or {})))
        elif output is not None:
            layers.append(build_activation(output, **(output_options or {})))
    return Sequential(*layers)
