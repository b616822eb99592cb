"""Early stopping: end training when a number stops improving, keeping the best weights."""

from __future__ import annotations

import math
import numbers
from typing import Literal

import numpy as np

from .callbacks import Callback, Logs
from .errors import ConfigurationError, UnknownComponentError
from .namespaces import copy_into, copy_of
from .validation import Array, real_number

__all__ = ["EarlyStopping"]

Mode = Literal["auto", "min", "max"]


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs without improvement; keep the best epoch's weights.

    After each epoch the monitored number is compared with the best so far: it improves when
    it is lower by more than ``min_delta`` (``mode="min"``, for losses) or higher by more
    than ``min_delta`` (``mode="max"``, for accuracy). After ``patience`` epochs in a row
    without improvement training stops, as Keras's ``EarlyStopping`` does (``patience=0``
    stops at the first epoch that does not improve). When training ends, stopped or not, the
    parameters are set back to those of the best epoch (with ``restore_best_weights``), which
    is ``best_epoch``; the optimizer's state is left as it is.

    ``fit(..., patience=N)`` adds one of these for you; pass one in ``callbacks=`` to choose
    every option. NaN never counts as an improvement.

    Parameters
    ----------
    patience
        Epochs without improvement to allow before stopping; a non-negative integer.
    monitor
        The name of the number to watch, as in the history: ``"loss"``, ``"val_loss"``, a
        metric or ``"val_"`` and a metric. ``None`` (default) watches ``"val_loss"`` when
        `fit` has validation data, else ``"loss"``.
    min_delta
        How much better than the best a value must be to count as an improvement; ``>= 0``.
    mode
        ``"min"``, ``"max"``, or ``"auto"`` (default): ``"min"`` for a name ending in
        ``loss``, else the direction of the registered metric of that name
        (``greater_is_better``).
    restore_best_weights
        Whether to set the parameters back to the best epoch's when training ends.

    Raises
    ------
    ConfigurationError
        For a bad option, or ``mode="auto"`` with a ``monitor`` that is neither a loss nor a
        registered metric (give ``mode="min"`` or ``"max"``).

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> x = np.linspace(-1, 1, 8).reshape(-1, 1)
    >>> net = lk.Sequential(lk.Dense(1, 1, seed=0))
    >>> stop = lk.EarlyStopping(patience=2)
    >>> history = lk.fit(net, x, 3 * x, loss="l2", optimizer=lk.SGD(0.5), epochs=500,
    ...                  callbacks=[stop])
    >>> len(history) < 500, history.best_epoch == stop.best_epoch
    (True, True)
    """

    def __init__(
        self,
        patience: int = 0,
        *,
        monitor: str | None = None,
        min_delta: float = 0.0,
        mode: Mode = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if not isinstance(patience, numbers.Integral) or isinstance(patience, bool) or patience < 0:
            raise ConfigurationError(
                f"EarlyStopping expects patience to be a non-negative integer, got "
                f"patience={patience!r}"
            )
        if monitor is not None and (not isinstance(monitor, str) or not monitor):
            raise ConfigurationError(
                f"EarlyStopping expects monitor to be a name such as 'val_loss', got "
                f"monitor={monitor!r}"
            )
        if mode not in ("auto", "min", "max"):
            raise ConfigurationError(
                f"EarlyStopping expects mode 'auto', 'min' or 'max', got mode={mode!r}"
            )
        if not isinstance(restore_best_weights, (bool, np.bool_)):
            raise ConfigurationError(
                f"EarlyStopping expects restore_best_weights True or False, got "
                f"{restore_best_weights!r}"
            )
        self.patience = int(patience)
        self.monitor = monitor
        self.min_delta = real_number(min_delta, "EarlyStopping", "min_delta")
        self.mode: Literal["min", "max"] = _direction(monitor) if mode == "auto" else mode
        self.restore_best_weights = bool(restore_best_weights)
        self.best: float | None = None
        """The best value of the monitored number so far."""
        self.best_epoch: int | None = None
        """The epoch that had it (from 1), whose weights are kept."""
        self.stopped_epoch: int | None = None
        """The epoch after which this callback stopped training, or ``None``."""
        self._wait = 0
        self._weights: list[Array] = []
        self._last_epoch: int | None = None

    def on_train_begin(self, logs: Logs) -> None:
        """Forget the best value of any earlier training."""
        self.best = self.best_epoch = self.stopped_epoch = self._last_epoch = None
        self._wait = 0

    def on_epoch_end(self, epoch: int, logs: Logs) -> bool:
        """Note the epoch's value; ``True`` after ``patience`` epochs without a better one."""
        name = self.watched(logs)
        if name not in logs:
            raise ConfigurationError(
                f"EarlyStopping monitors {name!r}, which fit does not report here; it reports "
                f"{', '.join(map(repr, logs))}"
            )
        value = float(logs[name])
        self._last_epoch = epoch
        if self._improves(value):
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.restore_best_weights:
                self._keep_weights()
            return False
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, logs: Logs) -> None:
        """Set the parameters back to the best epoch's, if a later epoch changed them."""
        if self.restore_best_weights and self._weights and self.best_epoch != self._last_epoch:
            for parameter, kept in zip(self.model.parameters(), self._weights, strict=True):
                copy_into(parameter.value, kept)

    def watched(self, logs: Logs) -> str:
        """The name this callback watches, given an epoch's ``logs``."""
        if self.monitor is not None:
            return self.monitor
        return "val_loss" if "val_loss" in logs else "loss"

    def _improves(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def _keep_weights(self) -> None:
        values = [parameter.value for parameter in self.model.parameters()]
        if [kept.shape for kept in self._weights] != [value.shape for value in values] or any(
            kept.dtype != value.dtype for kept, value in zip(self._weights, values, strict=True)
        ):
            self._weights = [copy_of(value) for value in values]
            return
        for kept, value in zip(self._weights, values, strict=True):
            copy_into(kept, value)

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, "
            f"min_delta={self.min_delta!r}, mode={self.mode!r})"
        )


def _direction(monitor: str | None) -> Literal["min", "max"]:
    """``"min"`` for a loss, else the registered metric's direction."""
    if monitor is None or monitor.endswith("loss"):
        return "min"
    from .registry import _find  # registry imports the whole package

    name = monitor.removeprefix("val_")
    try:
        found = _find("metric", name)
    except UnknownComponentError:
        raise ConfigurationError(
            f"EarlyStopping cannot tell whether a larger {monitor!r} is better: it is not a "
            f"loss and no metric {name!r} is registered; give mode='min' or mode='max'"
        ) from None
    return "max" if found.cls.greater_is_better else "min"
