"""Shared by the tests of fit's History, callbacks, metrics, early stopping and resuming."""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

import layerkit as lk
from layerkit.registry import reset_plugin_manager


def blobs(samples: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two features, a 0/1 target column: a small problem a 2-4-1 network learns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, 2))
    t = (x[:, :1] + 0.5 * x[:, 1:] > 0).astype(np.float64)
    return x, t


def network(seed: int = 0, dtype=np.float64) -> lk.Sequential:
    """A 2-4-1 sigmoid network with fixed initial weights."""
    return lk.Sequential(
        lk.Dense(2, 4, seed=seed, dtype=dtype),
        lk.Sigmoid(),
        lk.Dense(4, 1, seed=seed + 1, dtype=dtype),
        lk.Sigmoid(),
    )


def weights_of(model: lk.Layer) -> dict[str, np.ndarray]:
    return {parameter.name: parameter.value.copy() for parameter in model.parameters()}


def assert_same_weights(model: lk.Layer, expected: dict[str, np.ndarray]) -> None:
    """Bit for bit: every parameter equals the expected array (NaN never does)."""
    found = weights_of(model)
    assert found.keys() == expected.keys()
    for name, value in found.items():
        assert value.dtype == expected[name].dtype, name
        np.testing.assert_array_equal(value, expected[name], err_msg=name, strict=True)


class MeanAbsoluteError(lk.Metric):
    """Mean over samples of Σ |y − t| over the outputs: lower is better."""

    greater_is_better = False

    def forward(self, y, t):
        return float(np.mean(np.sum(np.abs(np.asarray(y) - np.asarray(t)), axis=-1)))


class WithinHalf(lk.Metric):
    """Fraction of samples whose every output is within 0.5 of its target: higher is better."""

    def forward(self, y, t):
        close = np.abs(np.asarray(y) - np.asarray(t)) < 0.5
        return float(np.mean(np.all(close, axis=-1)))


class Recorder(lk.Callback):
    """Records every call, with copies of its logs, and the weights at each epoch's end."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.weights: dict[int, dict[str, np.ndarray]] = {}
        self.seen_model = self.seen_optimizer = None

    def on_train_begin(self, logs):
        self.seen_model, self.seen_optimizer = self.model, self.optimizer
        self.calls.append(("train_begin", dict(logs)))

    def on_epoch_begin(self, epoch, logs):
        self.calls.append(("epoch_begin", epoch))

    def on_batch_end(self, batch, logs):
        self.calls.append(("batch_end", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs):
        self.calls.append(("epoch_end", epoch, dict(logs)))
        self.weights[epoch] = weights_of(self.model)

    def on_train_end(self, logs):
        self.calls.append(("train_end", dict(logs)))

    def named(self, kind: str) -> list[tuple]:
        return [call for call in self.calls if call[0] == kind]


@contextmanager
def runtime_plugin(name: str, **hooks) -> Iterator[types.ModuleType]:
    """A plugin registered at run time for the block, with hooks such as register_metrics."""
    module = types.ModuleType(name)
    for hook, function in hooks.items():
        setattr(module, hook, lk.hookimpl(function))
    reset_plugin_manager()
    lk.plugin_manager().register(module, name=name)
    try:
        yield module
    finally:
        reset_plugin_manager()
