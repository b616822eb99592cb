"""What `fit` returns: the loss of every epoch, and everything else it measured, by name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["History"]


class History(list[float]):
    """The loss of every epoch trained, as a list, with Keras's record of every other number.

    As a list it holds each epoch's training loss, in order, exactly as `fit` has always
    returned it, so ``history[-1] < history[0]`` keeps working. Besides:

    - ``history.history`` is a dict from name to one value per epoch: ``"loss"`` (the same
      values as the list), each metric by its name (``"accuracy"``), and with validation data
      ``"val_loss"`` and ``"val_<metric>"``; every name `fit` reports is there from the start,
      with an empty list when no epoch was trained;
    - ``history.epoch`` lists the epochs trained, counted from 1 (``initial_epoch + 1`` on);
    - ``history.best_epoch`` is the epoch whose weights early stopping kept (``patience`` or
      an `EarlyStopping` callback), else ``None``;
    - ``history.stopped_epoch`` is the epoch after which a callback stopped training, or
      ``None`` when every epoch ran.

    Examples
    --------
    >>> import layerkit as lk
    >>> net = lk.Sequential(lk.Dense(1, 1, seed=0), lk.Sigmoid())
    >>> history = lk.fit(net, [[0.0], [1.0]], [[0.0], [1.0]], loss="l2",
    ...                  optimizer=lk.SGD(2.0), epochs=3, validation_data=([[0.5]], [[1.0]]))
    >>> list(history.history), history.epoch
    (['loss', 'val_loss'], [1, 2, 3])
    >>> history.history["loss"] == list(history)
    True
    """

    history: dict[str, list[float]]
    """Every reported number by name, one value per epoch trained."""
    epoch: list[int]
    """The epochs trained, from 1."""
    best_epoch: int | None
    """The epoch whose weights early stopping restored and kept, or ``None``."""
    stopped_epoch: int | None
    """The epoch after which a callback stopped training, or ``None`` when all epochs ran."""

    def __init__(self, names: Iterable[str] = ("loss",)) -> None:
        super().__init__()
        self.history = {name: [] for name in names}
        self.epoch = []
        self.best_epoch = None
        self.stopped_epoch = None

    def record(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Add the numbers of one epoch (``logs["loss"]`` goes into the list too)."""
        self.append(logs["loss"])
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)
