"""Callbacks: code that `fit` calls at fixed points of training, as Keras users know it."""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["Callback"]

Logs = dict[str, float]
"""What a callback is told: ``{"loss": …, "val_loss": …, "accuracy": …}`` so far."""


class Callback:
    """Base class of objects `fit` calls during training; override the methods you need.

    The calls, in order: ``on_train_begin(logs)`` once; then per epoch ``on_epoch_begin(epoch,
    logs)``, per mini-batch ``on_batch_end(batch, logs)`` (``batch`` counts from 0 within the
    epoch, ``logs["loss"]`` is that batch's loss), ``on_epoch_end(epoch, logs)`` (``logs``
    holds the epoch's loss and metrics, and their validation values if there is validation
    data); and ``on_train_end(logs)`` once, also when training stopped early. Epochs count
    from 1, as in `fit`'s history.

    ``on_epoch_end`` returning ``True`` stops training after that epoch. `fit` sets
    ``self.model`` and ``self.optimizer`` before ``on_train_begin`` (unless
    ``binds_optimizer``).
    """

    model: Any = None
    optimizer: Any = None
    binds_optimizer: ClassVar[bool] = False
    """True for a callback built for one optimizer (a learning-rate schedule): `fit` then
    refuses to train with another instead of setting ``self.optimizer``."""

    def on_train_begin(self, logs: Logs) -> None:
        """Called once, before the first epoch."""

    def on_epoch_begin(self, epoch: int, logs: Logs) -> None:
        """Called at the start of each epoch (from 1)."""

    def on_batch_end(self, batch: int, logs: Logs) -> None:
        """Called after each mini-batch's step; ``logs["loss"]`` is the batch's loss."""

    def on_epoch_end(self, epoch: int, logs: Logs) -> bool | None:
        """Called after each epoch with its loss and metrics; return ``True`` to stop."""
        return None

    def on_train_end(self, logs: Logs) -> None:
        """Called once after training, however it ended (not when it raised)."""
