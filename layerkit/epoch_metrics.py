"""The numbers `fit` reports beside the training loss: metrics, and the validation pass.

`named_metrics` turns ``fit(metrics=...)`` into metrics by name, checked before training.
During an epoch each metric is evaluated on every mini-batch's predictions (before that
batch's step), and the epoch's value is the batch values weighted by batch size: a metric
returns the mean over its batch's samples, so that is the mean over the epoch's samples.
`evaluate` computes the loss and the metrics over data the model does not train on, in
chunks of `EVALUATION_CHUNK` samples: forward passes only, no gradient, no parameter
changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np

from .errors import ComponentTypeError, ConfigurationError
from .layer import Layer
from .loss import Loss
from .metric import Metric
from .namespaces import to_numpy
from .validation import Array

__all__ = ["EVALUATION_CHUNK", "evaluate", "metric_name", "named_metrics", "on_host"]

EVALUATION_CHUNK = 8192
"""Samples per forward pass of `evaluate`: memory stays that of a chunk, not the whole set."""


def named_metrics(metrics: object, who: str = "fit") -> dict[str, Metric]:
    """Return ``metrics`` (names, `Metric` instances, or one of either) as metrics by name.

    A name is looked up with ``lk.metric(name)``; an instance is named by the name its class
    is registered under, or else by its class name in snake case (``MeanAbsoluteError`` →
    ``"mean_absolute_error"``). Raises `ComponentTypeError` for anything else and
    `ConfigurationError` for two metrics of one name or a name `fit` uses itself.
    """
    if metrics is None:
        return {}
    if isinstance(metrics, (str, Metric)):
        metrics = [metrics]
    if not isinstance(metrics, Iterable) or isinstance(metrics, Mapping):
        raise ComponentTypeError(
            f"{who} expects metrics as a list of metric names or Metric instances, got "
            f"{metrics!r} of type {type(metrics).__name__}"
        )
    from .registry import metric as registered_metric  # registry imports the whole package

    named: dict[str, Metric] = {}
    for item in metrics:
        if isinstance(item, str):
            name, metric = item, registered_metric(item)
        elif isinstance(item, Metric):
            name, metric = metric_name(item), item
        elif isinstance(item, type) and issubclass(item, Metric):
            raise ComponentTypeError(
                f"{who} expects metric instances, got the class {item.__name__}; pass an "
                f"instance: {item.__name__}()"
            )
        else:
            raise ComponentTypeError(
                f"{who} expects each metric to be a registered name such as 'accuracy' or a "
                f"Metric instance, got {item!r} of type {type(item).__name__}"
            )
        if name == "loss" or name.startswith("val_"):
            raise ConfigurationError(
                f"{who} cannot report a metric named {name!r}: 'loss' and names starting with "
                f"'val_' are its own"
            )
        if name in named:
            raise ConfigurationError(f"{who} got two metrics named {name!r}; give each once")
        named[name] = metric
    return named


def metric_name(metric: Metric) -> str:
    """The name a metric is reported under: its registered name, else its class in snake case.

    Examples
    --------
    >>> from layerkit.metric import Metric
    >>> class MeanAbsoluteError(Metric):
    ...     greater_is_better = False
    >>> metric_name(MeanAbsoluteError())
    'mean_absolute_error'
    """
    from .registry import registered_name

    name = registered_name(metric)
    if name is not None:
        return name
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type(metric).__name__).lower()


def evaluate(
    model: Layer, loss: Loss, metrics: Mapping[str, Metric], x: Array, t: np.ndarray
) -> dict[str, float]:
    """Return the loss and each metric of ``model`` over all of ``x`` and ``t``, by name.

    The loss is what ``loss.forward`` would return for the whole set at once (the mean over
    the samples, or their sum for ``reduction="sum"``); a metric is the mean over the samples.
    Both are computed chunk by chunk and weighted by chunk size.
    """
    totals = dict.fromkeys(["loss", *metrics], 0.0)
    mean = getattr(loss, "reduction", "mean") == "mean"
    samples = x.shape[0]
    for start in range(0, samples, EVALUATION_CHUNK):
        stop = min(start + EVALUATION_CHUNK, samples)  # within bounds, as the array API asks
        inputs, targets = x[start:stop, ...], t[start:stop, ...]
        y = model.forward(inputs)
        size = inputs.shape[0]
        totals["loss"] += loss.forward(y, targets) * (size if mean else 1)
        for name, metric in metrics.items():
            totals[name] += metric.forward(y, targets) * size
    return {
        name: total / samples if name != "loss" or mean else total for name, total in totals.items()
    }


def on_host(metrics: Mapping[str, Metric]) -> dict[str, Metric]:
    """``metrics``, each measured on NumPy copies of its arguments (`to_numpy`).

    `fit` measures metrics this way when it trains on another array library than NumPy:
    a metric is a few operations on one batch's predictions, which need no device, and any
    metric, a plugin's included, then works whatever the model computes with. On a GPU it
    costs one copy of each batch's predictions and targets to the host.
    """
    return {name: _OnHost(metric) for name, metric in metrics.items()}


class _OnHost(Metric):
    """A metric measured on NumPy copies of the predictions and targets."""

    def __init__(self, metric: Metric) -> None:
        self.metric = metric
        self.greater_is_better = metric.greater_is_better  # type: ignore[misc]

    def forward(self, y: object, t: object) -> float:
        return self.metric.forward(to_numpy(y), to_numpy(t))

    def __repr__(self) -> str:
        return repr(self.metric)
