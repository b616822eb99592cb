"""The activations, losses and networks the commands build from their component options."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import click

from ..errors import ConfigurationError
from ..layer import Layer
from ..loss import Loss
from ..mlp import mlp
from ..registry import activation as build_activation
from ..registry import activations, losses
from ..registry import loss as build_loss
from .options import _Spec

# Names of the losses that take integer class labels as targets rather than one-hot rows.
LABEL_LOSSES = frozenset({"cross_entropy"})


def _check_component(kind: str, spec: _Spec | None) -> None:
    """Fail early, before loading data, for an activation or loss that is not registered."""
    if spec is None or (kind == "activation" and spec.linear):
        return
    registered = activations() if kind == "activation" else losses()
    if spec.name not in registered:
        build = build_activation if kind == "activation" else build_loss
        build(spec.name)  # raises UnknownComponentError, listing the registered names


@contextlib.contextmanager
def _building(what: str) -> Iterator[None]:
    """Turn a constructor's refusal of the options the user gave into a usage error (exit 2).

    Unknown options raise ``TypeError``, values out of range `ConfigurationError`.
    """
    try:
        yield
    except (TypeError, ConfigurationError) as error:
        raise click.UsageError(f"cannot build {what}: {error}") from error


def _network(sizes: list[int], activation: _Spec, output: _Spec, seed: int, dtype: Any) -> Layer:
    """The network ``sizes`` with the given hidden and output activations."""
    with _building(f"the network ({activation} hidden, {output} output)"):
        return mlp(
            sizes,
            activation.name,
            None if output.linear else output.name,
            activation_options=activation.options,
            output_options=output.options,
            seed=seed,
            dtype=dtype,
        )


def _loss(spec: _Spec) -> Loss:
    with _building(f"the loss {spec}"):
        return build_loss(spec.name, **spec.options)
