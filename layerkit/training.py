"""The training loop: epochs of shuffled mini-batches of forward, loss, backward, step."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .errors import (
    ComponentTypeError,
    ConfigurationError,
    LayerkitError,
    NonFiniteError,
    ShapeError,
    TrainingDivergedError,
)
from .layer import Layer
from .loss import Loss
from .optim import Optimizer
from .sequential import Sequential, _refuse_shared_layers
from .validation import Array, as_float_array, positive_int, random_seed

__all__ = ["fit"]

Callback = Callable[[int, float], bool | None]
"""Called as ``callback(epoch, loss)`` after each epoch; returning ``True`` stops training."""

SNAPSHOT_STEPS = 32
"""`fit` copies the parameters at the end of the first epoch that completes at least this many
steps since the last copy: often enough to lose little on divergence, rarely enough that the
copy costs nothing measurable next to the steps."""

_TARGET_CHUNK = 8192  # samples per loss call when every target is checked before training


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
    callback: Callback | None = None,
) -> list[float]:
    """Train ``model`` on inputs ``x`` and targets ``t``; return the loss of every epoch.

    Each epoch visits the samples once, in mini-batches of ``batch_size`` (a new shuffled
    order per epoch, drawn from ``seed``), and for each batch runs forward, the loss, and
    ``model.backward_step(loss.backward(), optimizer, input_grad=False)``: backward with the
    optimizer's update of each layer as soon as its gradients are known, skipping the
    gradient with respect to the data. The same seed gives bit-identical training.

    Everything is checked before the first step, so a fit that fails that way leaves the
    model as it was: the arguments, the data, the model's parameters (finite, no layer used
    twice), its forward on the first batch, and every target against the loss.

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
        Number of passes over the data; a positive integer.
    batch_size
        Samples per step; ``None`` (default) uses the whole data set (full-batch descent).
    shuffle
        Whether to visit the samples in a new random order each epoch.
    seed
        None, a non-negative integer or a ``numpy.random.Generator``, for the shuffling.
    callback
        ``callback(epoch, loss)`` after each epoch (epochs count from 1); returning ``True``
        stops training early.

    Returns
    -------
    list of float
        Per epoch, the mean of its mini-batch losses weighted by batch size.

    Raises
    ------
    TrainingDivergedError
        When the loss, a value inside the network or a parameter becomes NaN or infinite
        (overflow there is not warned about, it is reported this way). The parameters are
        then restored to a copy `fit` took at the end of an epoch, after checking every one
        was finite: at the start of training and then about every `SNAPSHOT_STEPS` steps.
        The message names that epoch (0: before training). ``optimizer.reset()`` is called,
        so SGD's momentum velocities, which the overflow may have reached, start from zero.
        Any other layerkit error during training restores the same copy and says so in a
        note.
    ComponentTypeError
        For a model, loss, optimizer or callback of the wrong type, or a loss whose forward
        does not return a float, before any step.
    ConfigurationError
        For a bad ``epochs``, ``batch_size``, ``shuffle`` or ``seed``, before any step.
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
    loss, optimizer = _components(model, loss, optimizer)
    if isinstance(model, Sequential):  # its layers may have been changed since it was built
        _refuse_shared_layers(model.layers, {id(model): "the whole network"})
    epochs = positive_int(epochs, "fit", "epochs")
    batch_size = None if batch_size is None else positive_int(batch_size, "fit", "batch_size")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ConfigurationError(f"fit expects shuffle True or False, got shuffle={shuffle!r}")
    rng = np.random.default_rng(random_seed(seed, "fit"))
    if callback is not None and not callable(callback):
        raise ComponentTypeError(
            f"fit expects callback to be a function callback(epoch, loss) or None, got {callback!r}"
        )
    x, t = _data(x, t)
    samples = len(x)
    batch_size = samples if batch_size is None else batch_size
    try:
        _check_finite(model, [parameter.value for parameter in model.parameters()])
    except _Diverged as error:
        raise NonFiniteError(
            f"fit cannot train the model: its {error.what} holds NaN or infinity before "
            f"training; initialise it with finite values"
        ) from None
    with np.errstate(over="ignore", invalid="ignore"):
        _check_model_and_targets(model, x, t, loss, batch_size)

    values = [parameter.value for parameter in model.parameters()]  # after any dtype change
    snapshot = _Snapshot(model, values)
    history: list[float] = []
    steps = 0  # since the snapshot
    # Overflow inside the network is not warned about: it is caught below as divergence.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(samples) if shuffle else np.arange(samples)
            total = 0.0
            start = 0
            try:
                for start in range(0, samples, batch_size):
                    batch = order[start : start + batch_size]
                    try:
                        value = loss.forward(model.forward(x[batch]), t[batch])
                    except NonFiniteError as error:  # the data is finite: the network overflowed
                        raise _Diverged("a value inside the network", start) from error
                    if not math.isfinite(value):
                        raise _Diverged(f"{loss!r} (it became {value})", start)
                    # backward with each layer's update; ∂L/∂x of the data is not needed
                    model.backward_step(loss.backward(), optimizer, input_grad=False)
                    total += value * len(batch)
                steps += -(-samples // batch_size)
                if steps >= SNAPSHOT_STEPS or epoch == epochs:
                    _check_finite(model, values)
                    snapshot.take(epoch)
                    steps = 0
            except _Diverged as error:
                snapshot.restore(optimizer)
                raise snapshot.diverged(epoch, error, optimizer) from error.__cause__
            except NonFiniteError as error:  # a step refused a NaN gradient of a custom layer
                snapshot.restore(optimizer)
                cause = _Diverged("a gradient", start)
                raise snapshot.diverged(epoch, cause, optimizer) from error
            except LayerkitError as error:
                snapshot.restore(optimizer)
                error.add_note(snapshot.state(f"fit stopped in epoch {epoch}"))
                raise
            history.append(total / samples)
            if callback is not None and callback(epoch, history[-1]):
                try:
                    _check_finite(model, values)
                except _Diverged as error:
                    snapshot.restore(optimizer)
                    raise snapshot.diverged(epoch, error, optimizer) from None
                break
    return history


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


class _Snapshot:
    """A copy of every parameter, taken when all were finite, to restore after divergence."""

    def __init__(self, model: Layer, values: list[Array]) -> None:
        self.model = model
        self.values = values  # the parameter arrays, which optimizers update in place
        self.copies = [value.copy() for value in values]
        self.epoch = 0

    def take(self, epoch: int) -> None:
        for copy, value in zip(self.copies, self.values, strict=True):
            np.copyto(copy, value)
        self.epoch = epoch

    def restore(self, optimizer: Optimizer) -> None:
        for copy, parameter in zip(self.copies, self.model.parameters(), strict=True):
            np.copyto(parameter.value, copy)
        optimizer.reset()

    def state(self, event: str) -> str:
        when = f"after epoch {self.epoch}" if self.epoch else "before training"
        return (
            f"{event}; the parameters were restored to their values {when}, the last point "
            f"where all were checked finite, and optimizer.reset() was called (SGD forgets "
            f"its momentum velocities)"
        )

    def diverged(self, epoch: int, cause: _Diverged, optimizer: Optimizer) -> TrainingDivergedError:
        lr = getattr(optimizer, "lr", None)
        now = f" (now {lr})" if lr is not None else ""
        event = f"training diverged in epoch {epoch}: {cause.what} was not finite {cause.where}"
        return TrainingDivergedError(f"{self.state(event)}. Try a smaller learning rate{now}.")


def _check_finite(model: Layer, values: list[Array]) -> None:
    """Raise `_Diverged` naming the first parameter holding NaN or infinity."""
    for value in values:
        if not math.isfinite(np.vdot(value, value)) and not np.isfinite(value).all():
            for parameter in model.parameters():
                if parameter.value is value:
                    raise _Diverged(f"parameter {parameter.name!r}")
            raise _Diverged("a parameter")


def _components(model: object, loss: object, optimizer: object) -> tuple[Loss, Optimizer]:
    """Check the model, and return the loss (looked up if named) and the optimizer."""
    if not isinstance(model, Layer):
        raise ComponentTypeError(f"fit expects a Layer as model, got {_described(model)}")
    if isinstance(loss, str):
        from .registry import loss as registered_loss  # registry imports the whole package

        loss = registered_loss(loss)
    elif isinstance(loss, type) and issubclass(loss, Loss):
        raise ComponentTypeError(
            f"fit expects a loss instance, got the class {loss.__name__}; "
            f"pass an instance: {loss.__name__}()"
        )
    elif not isinstance(loss, Loss):
        raise ComponentTypeError(
            f"fit expects loss to be a Loss instance such as L2Loss() or the name of a "
            f"registered loss such as 'l2', got {_described(loss)}"
        )
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        raise ComponentTypeError(
            f"fit expects an optimizer instance, got the class {optimizer.__name__}; "
            f"instantiate it, e.g. optimizer={optimizer.__name__}(lr=0.1)"
        )
    if not isinstance(optimizer, Optimizer):
        raise ComponentTypeError(
            f"fit expects optimizer to be an Optimizer instance such as SGD(lr=0.1) "
            f"(names are not looked up), got {_described(optimizer)}"
        )
    if type(optimizer).update is Optimizer.update:
        raise ComponentTypeError(
            f"fit cannot train with {type(optimizer).__name__}: it does not implement "
            f"update(value, grad), the rule that moves one parameter"
        )
    return loss, optimizer


def _described(value: object) -> str:
    return f"{value!r} of type {type(value).__name__}"


def _data(x: ArrayLike, t: ArrayLike) -> tuple[Array, np.ndarray]:
    """Return inputs and targets as arrays, refusing what cannot be trained on."""
    x = as_float_array(x, "fit", name="inputs x")
    if x.ndim != 2:
        raise ShapeError(f"fit expects inputs x of shape (samples, features), got {x.shape}")
    if len(x) == 0:
        raise ShapeError(f"fit needs at least one sample, got inputs x of shape {x.shape}")
    if type(t) is not np.ndarray:
        try:
            t = np.asarray(t)
        except ValueError as error:  # ragged nested lists
            raise ShapeError(
                f"fit expects targets t as a rectangular array with one row per sample: {error}"
            ) from error
    if t.dtype.kind not in "biu":  # class labels (integers) are the loss's to check
        t = as_float_array(t, "fit", name="targets t")
    if t.ndim == 0 or len(t) != len(x):
        raise ShapeError(
            f"fit expects as many targets as inputs ({len(x)}), got targets of shape {t.shape}"
        )
    return x, t


def _check_model_and_targets(
    model: Layer, x: Array, t: np.ndarray, loss: Loss, batch_size: int
) -> None:
    """Run the model on the first batch and the loss on every target, changing no parameter.

    Each target is checked against the loss with the first sample's prediction standing in
    for its own, which costs one loss evaluation over the data instead of a forward pass.
    """
    states = _states(model)  # a layer may adopt the data's dtype in this first forward
    try:
        y = model.forward(x[:batch_size])
        value = loss.forward(y, t[:batch_size])
        if not isinstance(value, numbers.Real):
            raise ComponentTypeError(
                f"fit expects {loss!r}.forward to return a float, got {_described(value)}"
            )
        if y.ndim == 0:
            raise ShapeError(f"fit expects the model to return one output per sample, got {y}")
        for start in range(0, len(x), _TARGET_CHUNK):
            targets = t[start : start + _TARGET_CHUNK]
            loss.forward(np.repeat(y[:1], len(targets), axis=0), targets)
    except LayerkitError as error:
        for layer, state in states:
            vars(layer).update(state)
        error.add_note("raised by fit before training: the model is unchanged")
        raise


def _states(model: Layer) -> list[tuple[Layer, dict[str, object]]]:
    """Every layer's attributes (shallow), to undo what a first forward changes in them."""
    layers, seen = [model], {id(model)}
    for layer in layers:  # grows as nested Sequentials are met; each layer once
        for child in layer.layers if isinstance(layer, Sequential) else []:
            if id(child) not in seen:
                seen.add(id(child))
                layers.append(child)
    return [(layer, dict(vars(layer))) for layer in layers if hasattr(layer, "__dict__")]
