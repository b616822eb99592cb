"""The training loop: epochs of shuffled mini-batches of forward, loss, backward, step.

`fit` checks everything it is given first (`layerkit.training_checks`), then runs the epochs.
Each epoch's steps run in one of two loops: `_steps`, as lean as a hand-written loop, when
nothing needs to look at the batches, or `_watched_steps` when metrics are measured or a
callback overrides ``on_batch_end``. The choice is made once, before training.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .callbacks import Callback, Logs
from .early_stopping import EarlyStopping
from .epoch_metrics import evaluate, named_metrics, on_host
from .errors import ConfigurationError, LayerkitError, NonFiniteError, TrainingDivergedError
from .history import History
from .layer import Layer
from .loss import Loss
from .metric import Metric
from .namespaces import copy_into, copy_of, device_of, namespace_of
from .optim import Optimizer
from .sequential import Sequential, _refuse_shared_layers
from .training_checks import (
    callback_list,
    check_model_and_data,
    check_monitors,
    check_namespaces,
    components,
    initial_epoch_of,
    training_data,
    validation_pair,
)
from .validation import Array, positive_int, random_seed, trusted_inputs

__all__ = ["fit"]

EpochCallback = Callable[[int, float], bool | None]
"""Called as ``callback(epoch, loss)`` after each epoch; returning ``True`` stops training."""

SNAPSHOT_STEPS = 32
"""`fit` copies the parameters and the optimizer's state at the end of the first epoch that
completes at least this many steps since the last copy: often enough to lose little on
divergence, rarely enough that the copy costs nothing measurable next to the steps."""


def _checking(function: Callable[..., History]) -> Callable[..., History]:
    """``function`` with every check on, even when called inside a `trusted_inputs` block:
    what `fit` is handed is a boundary, which a caller's trust must not switch off."""

    @functools.wraps(function)
    def checking(*args: Any, **options: Any) -> History:
        with trusted_inputs(False):
            return function(*args, **options)

    return checking


@_checking
def fit(
    model: Layer,
    x: ArrayLike,
    t: ArrayLike,
    *,
    loss: Loss | str,
    optimizer: Optimizer,
    epochs: int = 1,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    callback: EpochCallback | None = None,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    metrics: list[str | Metric] | None = None,
    patience: int | None = None,
    monitor: str | None = None,
    min_delta: float = 0.0,
    callbacks: list[Callback] | None = None,
    initial_epoch: int = 0,
) -> History:
    """Train ``model`` on inputs ``x`` and targets ``t``; return the loss of every epoch.

    Each epoch visits the samples once, in mini-batches of ``batch_size``, and for each batch
    runs forward, the loss, and ``model.backward_step(loss.backward(), optimizer,
    input_grad=False)``: backward with the optimizer's update of each layer as soon as its
    gradients are known, skipping the gradient with respect to the data.

    The batch order, exactly (so that a run can be replayed elsewhere): ``rng =
    numpy.random.default_rng(seed)`` is made once per call; each epoch, from the first,
    draws ``order = rng.permutation(len(x))`` when ``shuffle`` is true (``shuffle=False``
    uses ``numpy.arange(len(x))`` and draws nothing); its batches are ``x[order[i : i +
    batch_size]]`` for ``i = 0, batch_size, 2 * batch_size, ...``, the last one shorter when
    ``batch_size`` does not divide the number of samples. Nothing else draws from ``rng``.
    The same seed therefore gives bit-identical training, and with ``initial_epoch=k`` the
    permutations of the first k epochs are drawn and discarded, so a run saved after k
    epochs (`ModelCheckpoint`, or ``save(model, path, optimizer=optimizer, epoch=k)``),
    loaded and resumed with ``initial_epoch=k`` ends bit for bit where the uninterrupted run
    ends, losses included.

    After each epoch `fit` computes the numbers it reports (the ``logs``): ``"loss"``, the
    mean of the epoch's batch losses weighted by batch size; each of ``metrics`` the same
    way, on each batch's predictions before its step; with ``validation_data``,
    ``"val_loss"`` and ``"val_<metric>"`` over the whole validation set with the epoch's
    final parameters (forward passes in chunks, no gradient, no parameter changed). Then it
    calls ``callback(epoch, loss)`` and each callback's ``on_epoch_end(epoch, logs)``;
    training stops after an epoch for which any of them returns ``True``.

    Everything is checked before the first step, so a fit that fails that way leaves the
    model as it was: the arguments, the data and the validation data, the model's parameters
    (finite, no layer used twice), its forward on the first batch, every target against the
    loss, and each metric on the first batch.

    Parameters
    ----------
    model
        The network (any `Layer`, usually a `Sequential`).
    x
        Inputs ``(samples, features)``, at least one sample.
    t
        Targets, with as many samples as ``x``.
    loss
        The loss to minimise: a `Loss` instance, or the name of a registered loss
        (``"l2"``), built with its default options.
    optimizer
        The optimizer that applies the gradients, e.g. ``SGD(lr=0.1)``.
    epochs
        The epoch to train up to, counting from 1 (Keras's meaning): with ``initial_epoch=0``
        the number of passes over the data; a positive integer.
    batch_size
        Samples per step; ``None`` (default) uses the whole data set (full-batch descent).
    shuffle
        Whether to visit the samples in a new random order each epoch.
    seed
        None, a non-negative integer or a ``numpy.random.Generator``, for the shuffling.
    callback
        ``callback(epoch, loss)`` after each epoch (epochs count from 1); returning ``True``
        stops training early.
    validation_data
        ``(x_val, t_val)``: data to evaluate after each epoch and not to train on, checked as
        ``x`` and ``t`` are; ``x_val`` is converted to the dtype of ``x``.
    metrics
        Metrics to report: registered names (``"accuracy"``, looked up with
        ``lk.metric(name)``) or `Metric` instances, reported under their registered name or
        else their class name in snake case. When ``x`` is not a NumPy array, each metric is
        given NumPy copies of the batch's predictions and targets.
    patience
        Stop after this many epochs without improvement of ``monitor`` and restore the
        parameters of the best epoch (an `EarlyStopping` callback); ``None`` (default)
        trains every epoch.
    monitor
        What ``patience`` watches: ``"val_loss"`` (the default with validation data),
        ``"loss"`` (the default without), a metric's name or ``"val_"`` and its name.
    min_delta
        How much better than the best a value must be to count as an improvement.
    callbacks
        `Callback` objects, called in order at the start and end of training, of each
        epoch, and after each batch; `fit` sets their ``model`` and ``optimizer`` first.
    initial_epoch
        The number of epochs already trained (when resuming): epochs ``initial_epoch + 1``
        to ``epochs`` are trained. From 0 to ``epochs``.

    Returns
    -------
    History
        A list of each trained epoch's loss, the mean of its mini-batch losses weighted by
        batch size; ``history.history`` holds every reported number by name,
        ``history.epoch`` the epochs, ``history.best_epoch`` the epoch whose weights early
        stopping kept.

    Raises
    ------
    TrainingDivergedError
        When the loss, a parameter or the optimizer's state becomes NaN or infinite (overflow
        there is not warned about, it is reported this way). The steps run inside
        `trusted_inputs`, since the data was checked: NaN or an overflow inside the network
        is seen in the loss, and that step is run again with every check to name "a value
        inside the network" (the layer that received it is in the error's cause), "the
        network's output" or the loss. The parameters and the optimizer's state are then
        restored to a copy `fit` took at the end of an epoch, after checking every one was
        finite: at the start of training and then about every `SNAPSHOT_STEPS` steps
        (``load_state_dict``, which first calls ``optimizer.reset()``). The message names
        that epoch (0: before training). Any other layerkit error during training restores
        the same copy and says so in a note.
    ComponentTypeError
        For a model, loss, optimizer, callback, metric or validation data of the wrong type,
        or a loss or metric whose forward does not return a float, before any step.
    ConfigurationError
        For a bad ``epochs``, ``batch_size``, ``shuffle``, ``seed``, ``initial_epoch``,
        ``patience``, ``monitor`` or ``min_delta``, before any step.
    UnknownComponentError
        For a metric or loss name that is not registered, before any step.
    ShapeError
        For data of the wrong shape, before any step.
    DTypeError
        For data of an unsupported dtype, before any step.
    TargetError
        For a target the loss cannot take, before any step.
    NonFiniteError
        For NaN or infinity in the data or the model's parameters, before any step.

    Examples
    --------
    >>> from layerkit import fit
    >>> from layerkit import SGD, Dense, L2Loss, Sequential, Sigmoid
    >>> net = Sequential(Dense(1, 1, seed=0), Sigmoid())
    >>> history = fit(net, [[0.0], [1.0]], [[0.0], [1.0]], loss=L2Loss(),
    ...               optimizer=SGD(2.0), epochs=200, seed=0)
    >>> history[-1] < history[0]
    True
    """
    loss, optimizer = components(model, loss, optimizer)
    if isinstance(model, Sequential):  # its layers may have been changed since it was built
        _refuse_shared_layers(model.layers, {id(model): "the whole network"})
    epochs = positive_int(epochs, "fit", "epochs")
    initial_epoch = initial_epoch_of(initial_epoch, epochs)
    batch_size = None if batch_size is None else positive_int(batch_size, "fit", "batch_size")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ConfigurationError(f"fit expects shuffle True or False, got shuffle={shuffle!r}")
    rng = np.random.default_rng(random_seed(seed, "fit"))
    measured = named_metrics(metrics)
    listed = callback_list(callback, callbacks, patience, monitor, min_delta, measured)
    x, t = training_data(x, t)
    check_namespaces(model, x, t)
    if type(x) is not np.ndarray:  # metrics are measured on the host, whatever the library
        measured = on_host(measured)
    validation = None if validation_data is None else validation_pair(validation_data, x)
    batch_size = x.shape[0] if batch_size is None else batch_size
    try:
        _check_finite(model, [parameter.value for parameter in model.parameters()])
    except _Diverged as error:
        raise NonFiniteError(
            f"fit cannot train the model: its {error.what} holds NaN or infinity before "
            f"training; initialise it with finite values"
        ) from None
    with np.errstate(over="ignore", invalid="ignore"):
        check_model_and_data(model, x, t, loss, batch_size, validation, measured)
    names = ["loss", *measured]
    if validation is not None:
        names += [f"val_{name}" for name in names]
    check_monitors(listed, names)

    run = _Run(model, loss, optimizer, x, t, batch_size, validation, measured, listed, callback)
    history = History(names)
    for each in listed:
        if not each.binds_optimizer:
            each.model, each.optimizer = model, optimizer
        elif each.optimizer is not optimizer:
            raise ConfigurationError(
                f"fit got callback {each!r}, which sets the learning rate of another "
                f"optimizer than the one fit trains with ({optimizer!r}); build it with "
                f"that optimizer"
            )
        else:
            each.model = model
    for each in listed:
        each.on_train_begin({})
    for _ in range(initial_epoch if shuffle else 0):  # the permutations of epochs trained
        rng.permutation(x.shape[0])
    logs: Logs = {}
    # Overflow inside the network is not warned about: it is caught below as divergence.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(initial_epoch + 1, epochs + 1):
            order = _sample_order(rng, x.shape[0], shuffle)
            logs = run.epoch(epoch, order, last=epoch == epochs)
            history.record(epoch, logs)
            if run.stop_after(epoch, logs):
                history.stopped_epoch = epoch
                break
    for each in listed:
        each.on_train_end(dict(logs))
    stoppers = [each for each in listed if isinstance(each, EarlyStopping)]
    if stoppers:
        history.best_epoch = stoppers[-1].best_epoch
    return history


class _Run:
    """One training run: the epoch loop's state between epochs, and the snapshot."""

    def __init__(
        self,
        model: Layer,
        loss: Loss,
        optimizer: Optimizer,
        x: Array,
        t: np.ndarray,
        batch_size: int,
        validation: tuple[Array, np.ndarray] | None,
        metrics: Mapping[str, Metric],
        callbacks: list[Callback],
        callback: EpochCallback | None,
    ) -> None:
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.x, self.t, self.batch_size = _batches_of(x), _batches_of(t), batch_size
        self.validation, self.metrics = validation, metrics
        self.callbacks, self.callback = callbacks, callback
        # Decided once: the lean loop unless something must look at every batch.
        self.batch_callbacks = [
            each for each in callbacks if type(each).on_batch_end is not Callback.on_batch_end
        ]
        self.watched = bool(metrics or self.batch_callbacks)
        self.values = [
            parameter.value for parameter in model.parameters()
        ]  # after any dtype change
        self.snapshot = _Snapshot(model, self.values, optimizer)
        self.steps = 0  # since the snapshot

    def epoch(self, epoch: int, order: np.ndarray, *, last: bool) -> Logs:
        """Train one epoch over the samples in ``order``; return its logs."""
        for each in self.callbacks:
            each.on_epoch_begin(epoch, {})
        samples = len(order)
        sums = dict.fromkeys(self.metrics, 0.0)
        snapshot, optimizer = self.snapshot, self.optimizer
        try:
            if self.watched:
                total = _watched_steps(self, order, sums)
            else:
                total = _steps(
                    self.model, self.loss, optimizer, self.x, self.t, order, self.batch_size
                )
            self.steps += -(-samples // self.batch_size)
            if self.steps >= SNAPSHOT_STEPS or last or self.validation is not None:
                _check_finite(self.model, self.values)  # validation needs finite parameters
            if self.steps >= SNAPSHOT_STEPS or last:
                snapshot.take(epoch)
                self.steps = 0
            logs = {"loss": total / samples, **{name: sums[name] / samples for name in sums}}
            if self.validation is not None:
                logs.update(self._validate())
        except _Diverged as error:
            snapshot.restore()
            raise snapshot.diverged(epoch, error, optimizer) from error.__cause__
        except LayerkitError as error:
            snapshot.restore()
            error.add_note(snapshot.state(f"fit stopped in epoch {epoch}"))
            raise
        return logs

    def _validate(self) -> dict[str, float]:
        assert self.validation is not None
        try:
            found = evaluate(self.model, self.loss, self.metrics, *self.validation)
        except NonFiniteError as error:
            raise _Diverged("a value inside the network on the validation data") from error
        if not math.isfinite(found["loss"]):
            raise _Diverged(f"the validation loss (it became {found['loss']})")
        return {f"val_{name}": value for name, value in found.items()}

    def stop_after(self, epoch: int, logs: Logs) -> bool:
        """Call the callbacks for ``epoch``; whether any of them stops training."""
        stop = bool(self.callback is not None and self.callback(epoch, logs["loss"]))
        for each in self.callbacks:
            stop = bool(each.on_epoch_end(epoch, dict(logs))) or stop
        if stop:  # the parameters may not have been checked since this epoch's steps
            try:
                _check_finite(self.model, self.values)
            except _Diverged as error:
                self.snapshot.restore()
                raise self.snapshot.diverged(epoch, error, self.optimizer) from None
        return stop


def _steps(
    model: Layer,
    loss: Loss,
    optimizer: Optimizer,
    x: Array,
    t: np.ndarray,
    order: np.ndarray,
    batch_size: int,
) -> float:
    """One epoch's steps, nothing more; return the batch losses weighted by batch size.

    The steps run inside `trusted_inputs`: the data and targets were checked before the
    first step, so no layer passes over its input for NaN again; the loss of every step is
    looked at instead, and only a step whose loss is not finite is run again with the checks
    (`_diverged`), to say where the NaN or infinity arose.
    """
    total = 0.0
    start = 0
    try:
        with trusted_inputs():
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                try:
                    value = loss.forward(model.forward(x[batch]), t[batch])
                except NonFiniteError:  # a loss refusing an overflow it saw
                    value = math.nan
                if not math.isfinite(value):
                    raise _diverged(model, loss, x[batch], t[batch], start)
                # backward with each layer's update; ∂L/∂x of the data is not needed
                model.backward_step(loss.backward(), optimizer, input_grad=False)
                total += value * len(batch)
    except NonFiniteError as error:  # a step refused a NaN gradient of a custom layer
        raise _Diverged("a gradient", start) from error
    return total


def _watched_steps(run: _Run, order: np.ndarray, sums: dict[str, float]) -> float:
    """`_steps`, also measuring the metrics on each batch and calling ``on_batch_end``.

    Only forward and the loss run inside `trusted_inputs`: the metrics and the callbacks
    are the user's, and see what they would outside `fit`.
    """
    model, loss, optimizer, x, t = run.model, run.loss, run.optimizer, run.x, run.t
    total = 0.0
    start = 0
    try:
        for index, start in enumerate(range(0, len(order), run.batch_size)):
            batch = order[start : start + run.batch_size]
            targets = t[batch]
            with trusted_inputs():
                try:
                    y = model.forward(x[batch])
                    value = loss.forward(y, targets)
                except NonFiniteError:
                    value = math.nan
            if not math.isfinite(value):
                raise _diverged(model, loss, x[batch], targets, start)
            logs = {"loss": value}
            for name, metric in run.metrics.items():  # on the predictions, before the step
                logs[name] = metric.forward(y, targets)
                sums[name] += logs[name] * len(batch)
            model.backward_step(loss.backward(), optimizer, input_grad=False)
            total += value * len(batch)
            for each in run.batch_callbacks:
                each.on_batch_end(index, dict(logs))
    except NonFiniteError as error:
        raise _Diverged("a gradient", start) from error
    return total


def _diverged(model: Layer, loss: Loss, x: Array, t: np.ndarray, start: int) -> _Diverged:
    """What was not finite in a step whose loss was not: forward and the loss run again on
    the same batch and parameters, with every check, to find where NaN or infinity arose."""
    with trusted_inputs(False):  # inside fit's np.errstate, which silences the overflows
        try:
            y = model.forward(x)
        except NonFiniteError as error:  # the data is finite: the network overflowed
            return _caused_by(_Diverged("a value inside the network", start), error)
        if not _all_finite(y):  # no layer after the one that overflowed to refuse it
            return _Diverged("the network's output", start)
        try:
            value = loss.forward(y, t)
        except NonFiniteError as error:  # the loss refused what it computed (overflow)
            return _caused_by(_Diverged(f"the loss {loss!r}", start), error)
    return _Diverged(f"{loss!r} (it became {value})", start)


def _all_finite(array: Array) -> bool:
    """Whether every entry of ``array`` (of any array library) is finite."""
    if type(array) is not np.ndarray:  # another array library
        xp = namespace_of(array)
        return bool(xp.all(xp.isfinite(array)))
    # one pass: the sum of squares is finite when every entry is; if it overflowed, look closer
    return math.isfinite(np.vdot(array, array)) or bool(np.isfinite(array).all())


def _caused_by(diverged: _Diverged, error: NonFiniteError) -> _Diverged:
    diverged.__cause__ = error
    return diverged


class _Gather:
    """Data of another array library, indexed like a NumPy array by a NumPy index array.

    ``data[batch]`` gathers the rows ``batch`` (from the epoch's order, drawn on the host) as
    ``xp.take`` on the data's device.
    """

    def __init__(self, data: Any) -> None:
        self.data, self.xp, self.device = data, namespace_of(data), device_of(data)

    def __getitem__(self, batch: np.ndarray) -> Any:
        rows = self.xp.asarray(batch.astype(np.int64), device=self.device)
        return self.xp.take(self.data, rows, axis=0)

    def __len__(self) -> int:
        return int(self.data.shape[0])


def _batches_of(data: Any) -> Any:
    """``data`` itself for NumPy, else a `_Gather` that indexes it by NumPy index arrays."""
    return data if type(data) is np.ndarray else _Gather(data)


class _Diverged(Exception):
    """Internal: what was not finite, and at which sample's batch (None: a parameter)."""

    def __init__(self, what: str, start: int | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.where = (
            f"on the batch starting at position {start} of the epoch's sample order"
            if start is not None
            else "at the end of the epoch's steps"
        )


def _sample_order(rng: np.random.Generator, samples: int, shuffle: bool) -> np.ndarray:
    """The epoch's order of the samples: ``rng.permutation(samples)``, or 0, 1, … unshuffled.

    In the smallest integer type that holds every index (uint16 up to 65,536 samples, then
    uint32): shuffling an ``arange`` of any integer type draws the same random numbers as
    ``rng.permutation`` and gives the same order, in a quarter or half of its memory (117 KiB
    instead of 469 KiB for 60,000 samples), and gathering a batch by it is as fast.
    """
    dtype = next(
        (kind for kind in (np.uint16, np.uint32) if samples - 1 <= np.iinfo(kind).max), np.int64
    )
    order = np.arange(samples, dtype=dtype)
    if shuffle:
        rng.shuffle(order)
    return order


class _Snapshot:
    """A copy of every parameter and of the optimizer's state, taken when all were finite."""

    def __init__(self, model: Layer, values: list[Array], optimizer: Optimizer) -> None:
        self.model = model
        self.values = values  # the parameter arrays, which optimizers update in place
        self.optimizer = optimizer
        self.copies = [copy_of(value) for value in values]
        self.states = optimizer.state_dict(model)  # copies
        self.epoch = 0

    def take(self, epoch: int) -> None:
        states = self.optimizer.state_dict(self.model)
        _check_state_finite(states)
        for copy, value in zip(self.copies, self.values, strict=True):
            copy_into(copy, value)
        self.states = states
        self.epoch = epoch

    def restore(self) -> None:
        for copy, parameter in zip(self.copies, self.model.parameters(), strict=True):
            copy_into(parameter.value, copy)
        self.optimizer.load_state_dict(self.model, self.states)

    def state(self, event: str) -> str:
        when = f"after epoch {self.epoch}" if self.epoch else "before training"
        return (
            f"{event}; the parameters and the optimizer's state were restored to their values "
            f"{when}, the last point where all were checked finite (load_state_dict, after "
            f"optimizer.reset())"
        )

    def diverged(self, epoch: int, cause: _Diverged, optimizer: Optimizer) -> TrainingDivergedError:
        lr = getattr(optimizer, "lr", None)
        now = f" (now {lr})" if lr is not None else ""
        event = f"training diverged in epoch {epoch}: {cause.what} was not finite {cause.where}"
        return TrainingDivergedError(f"{self.state(event)}. Try a smaller learning rate{now}.")


def _check_finite(model: Layer, values: list[Array]) -> None:
    """Raise `_Diverged` naming the first parameter holding NaN or infinity."""
    for value in values:
        if not _all_finite(value):
            for parameter in model.parameters():
                if parameter.value is value:
                    raise _Diverged(f"parameter {parameter.name!r}")
            raise _Diverged("a parameter")


def _check_state_finite(states: dict[str, dict[str, Array]]) -> None:
    """Raise `_Diverged` naming the first float array of an optimizer's state that is not finite."""
    for name, state in states.items():
        for key, array in state.items():
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise _Diverged(f"the optimizer's state {key!r} of parameter {name!r}")
