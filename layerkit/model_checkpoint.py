"""Checkpoints during training: the model, the optimizer's state and the epoch, each epoch."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .callbacks import Callback, Logs
from .errors import ComponentTypeError, ConfigurationError
from .loss import Loss

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save the model, its optimizer's state and the epoch at the end of every epoch.

    Each save is ``lk.save(model, path, optimizer=optimizer, epoch=epoch)`` with the model
    and optimizer `fit` trains, so it is atomic: a crash while saving leaves the previous
    checkpoint whole. ``lk.load(path, with_optimizer=True)`` gives back a `Checkpoint` of the
    model, the optimizer and the epoch, and ``fit(..., initial_epoch=checkpoint.epoch)``
    resumes exactly where the saved run was (see `fit`).

    Parameters
    ----------
    path
        The file to write, replaced at every epoch. ``{epoch}`` in it is replaced by the
        epoch's number (``"run-{epoch:03d}.npz"`` keeps one file per epoch); write other
        braces twice (``{{``), as `str.format` reads them.
    loss
        A loss to save with the model (registered by name), as `save` takes it.
    metadata
        JSON data to save with the model, as `save` takes it.
    save_optimizer
        Whether to save the optimizer and its state (``True``, so training can resume); the
        optimizer must then be registered, as `save` requires.

    Raises
    ------
    ConfigurationError
        When ``path`` is empty, holds a NUL character, or braces other than ``{epoch}``.
    ComponentTypeError
        When ``path`` is not a path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import layerkit as lk
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.npz"
    >>> net, sgd = lk.mlp([1, 1], seed=0), lk.SGD(0.1, momentum=0.9)
    >>> x, t = [[0.0], [1.0]], [[0.0], [1.0]]
    >>> _ = lk.fit(net, x, t, loss="l2", optimizer=sgd, epochs=3,
    ...            callbacks=[lk.ModelCheckpoint(path)])
    >>> lk.load(path, with_optimizer=True).epoch
    3
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        loss: Loss | None = None,
        metadata: Mapping[str, Any] | None = None,
        save_optimizer: bool = True,
    ) -> None:
        from .serialization import _as_path  # serialization imports the whole model code

        text = os.fspath(_as_path(path, "ModelCheckpoint"))
        try:
            text.format(epoch=1)
        except (KeyError, IndexError, ValueError, AttributeError) as error:
            raise ConfigurationError(
                f"ModelCheckpoint expects a path whose only field is {{epoch}} (other braces "
                f"doubled), got {text!r} ({type(error).__name__}: {error})"
            ) from None
        if loss is not None and not isinstance(loss, Loss):
            raise ComponentTypeError(
                f"ModelCheckpoint expects loss=None or a Loss instance, got {loss!r}"
            )
        if not isinstance(save_optimizer, bool):
            raise ConfigurationError(
                f"ModelCheckpoint expects save_optimizer True or False, got {save_optimizer!r}"
            )
        self.path = text
        self.loss = loss
        self.metadata = metadata
        self.save_optimizer = save_optimizer

    def path_for(self, epoch: int) -> str:
        """The file written at the end of ``epoch``."""
        return self.path.format(epoch=epoch)

    def on_train_begin(self, logs: Logs) -> None:
        """Check, before the first epoch, that the model and optimizer can be saved.

        Everything `save` refuses (an unregistered optimizer, metadata that is not JSON, a
        folder that does not exist or cannot be written) is raised here, before training,
        instead of at the end of the first epoch.
        """
        from .atomic_file import check_writable
        from .model_description import describe

        optimizer = self.optimizer if self.save_optimizer else None
        describe(self.model, self.loss, self.metadata, optimizer, 0)
        check_writable(Path(self.path_for(1)))

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Save the model, the optimizer (with its state) and ``epoch``."""
        from .serialization import save

        save(
            self.model,
            self.path_for(epoch),
            loss=self.loss,
            metadata=self.metadata,
            optimizer=self.optimizer if self.save_optimizer else None,
            epoch=epoch,
        )

    def __repr__(self) -> str:
        return f"ModelCheckpoint({self.path!r})"
