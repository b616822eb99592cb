"""What `fit` checks before its first step: the components, the data, callbacks and the model.

Everything a user hands to `fit` is checked here, so that a fit that fails does so before
anything changed, and the training loop (`layerkit.training`) trusts what it is given.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from .callbacks import Callback
from .early_stopping import EarlyStopping
from .errors import (
    ComponentTypeError,
    ConfigurationError,
    LayerkitError,
    NamespaceError,
    ShapeError,
)
from .layer import Layer
from .loss import Loss
from .metric import Metric
from .namespaces import library_of, namespace_of
from .optim import Optimizer
from .sequential import Sequential
from .validation import Array, as_float_array

TARGET_CHUNK = 8192
"""Samples of the validation data run through the model when it is checked before training."""


def components(model: object, loss: object, optimizer: object) -> tuple[Loss, Optimizer]:
    """Check the model, and return the loss (looked up if named) and the optimizer."""
    if not isinstance(model, Layer):
        raise ComponentTypeError(f"fit expects a Layer as model, got {described(model)}")
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
            f"registered loss such as 'l2', got {described(loss)}"
        )
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        raise ComponentTypeError(
            f"fit expects an optimizer instance, got the class {optimizer.__name__}; "
            f"instantiate it, e.g. optimizer={optimizer.__name__}(lr=0.1)"
        )
    if not isinstance(optimizer, Optimizer):
        raise ComponentTypeError(
            f"fit expects optimizer to be an Optimizer instance such as SGD(lr=0.1) "
            f"(names are not looked up), got {described(optimizer)}"
        )
    if type(optimizer).update is Optimizer.update:
        raise ComponentTypeError(
            f"fit cannot train with {type(optimizer).__name__}: it does not implement "
            f"update(value, grad), the rule that moves one parameter"
        )
    return loss, optimizer


def described(value: object) -> str:
    return f"{value!r} of type {type(value).__name__}"


def initial_epoch_of(value: object, epochs: int) -> int:
    """``initial_epoch`` as an int from 0 to ``epochs``, else a `ConfigurationError`."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and 0 <= value <= epochs:
        return int(value)
    raise ConfigurationError(
        f"fit expects initial_epoch to be the number of epochs already trained, an integer "
        f"from 0 to epochs={epochs}, got initial_epoch={value!r}"
    )


def callback_list(
    callback: object,
    callbacks: object,
    patience: object,
    monitor: object,
    min_delta: object,
    metrics: Mapping[str, Metric],
) -> list[Callback]:
    """Check ``callback`` and ``callbacks``; add an `EarlyStopping` for ``patience``."""
    if callback is not None and not callable(callback):
        hint = (
            "; pass Callback objects in callbacks=[...]"
            if isinstance(callback, (Callback, list, tuple))
            else ""
        )
        raise ComponentTypeError(
            f"fit expects callback to be a function callback(epoch, loss) or None, got "
            f"{callback!r}{hint}"
        )
    if callbacks is None:
        checked: list[Callback] = []
    elif isinstance(callbacks, Callback):
        checked = [callbacks]
    elif isinstance(callbacks, Iterable) and not isinstance(callbacks, (str, bytes, Mapping)):
        checked = list(callbacks)
    else:
        raise ComponentTypeError(
            f"fit expects callbacks to be a list of Callback objects, got {described(callbacks)}"
        )
    for item in checked:
        if not isinstance(item, Callback):
            hint = " (a class: instantiate it)" if isinstance(item, type) else ""
            raise ComponentTypeError(
                f"fit expects each of callbacks to be a layerkit.callbacks.Callback, got "
                f"{described(item)}{hint}; a function callback(epoch, loss) goes in callback="
            )
    if patience is not None:
        mode = "min"
        if isinstance(monitor, str) and monitor.removeprefix("val_") != "loss":
            name = monitor.removeprefix("val_")
            if name not in metrics:
                raise ConfigurationError(
                    f"fit cannot watch monitor={monitor!r}: it reports 'loss' and the metrics "
                    f"({', '.join(map(repr, metrics)) or 'none given'}), and with "
                    f"validation_data each of those after 'val_'"
                )
            mode = "max" if metrics[name].greater_is_better else "min"
        checked.append(
            EarlyStopping(patience, monitor=monitor, min_delta=min_delta, mode=mode)  # type: ignore[arg-type]
        )
    elif monitor is not None or min_delta != 0.0:
        raise ConfigurationError(
            "fit's monitor and min_delta are options of early stopping: give patience too"
        )
    return checked


def check_monitors(callbacks: list[Callback], names: list[str]) -> None:
    """Refuse an `EarlyStopping` that watches a number `fit` will not report."""
    for callback in callbacks:
        if isinstance(callback, EarlyStopping):
            watched = callback.watched(dict.fromkeys(names, 0.0))
            if watched not in names:
                hint = " (give validation_data for 'val_' names)" if "val_loss" not in names else ""
                raise ConfigurationError(
                    f"{callback!r} monitors {watched!r}, which fit does not report; it reports "
                    f"{', '.join(map(repr, names))}{hint}"
                )


def training_data(x: ArrayLike, t: ArrayLike, what: str = "") -> tuple[Array, np.ndarray]:
    """Return inputs and targets as arrays, refusing what cannot be trained on."""
    x = as_float_array(x, "fit", name=f"{what}inputs x")
    if x.ndim != 2:
        raise ShapeError(f"fit expects {what}inputs x of shape (samples, features), got {x.shape}")
    if x.shape[0] == 0:
        raise ShapeError(f"fit needs at least one sample, got {what}inputs x of shape {x.shape}")
    if type(t) is not np.ndarray and library_of(t) != "numpy":  # another array library
        if not namespace_of(t).isdtype(t.dtype, "integral"):
            t = as_float_array(t, "fit", name=f"{what}targets t")
    elif type(t) is not np.ndarray:
        try:
            t = np.asarray(t)
        except ValueError as error:  # ragged nested lists
            raise ShapeError(
                f"fit expects {what}targets t as a rectangular array with one row per sample: "
                f"{error}"
            ) from error
    if type(t) is np.ndarray and t.dtype.kind not in "biu":  # class labels: the loss's to check
        t = as_float_array(t, "fit", name=f"{what}targets t")
    if t.ndim == 0 or t.shape[0] != x.shape[0]:
        raise ShapeError(
            f"fit expects as many {what}targets as inputs ({x.shape[0]}), got targets of shape "
            f"{t.shape}"
        )
    return x, t


def validation_pair(validation_data: object, x: Array) -> tuple[Array, np.ndarray]:
    """``validation_data`` as inputs of ``x``'s dtype and width, and targets."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise ComponentTypeError(
            f"fit expects validation_data=(x_val, t_val), a pair of inputs and targets, got "
            f"{type(validation_data).__name__}"
            + (
                f" of length {len(validation_data)}"
                if isinstance(validation_data, tuple | list)
                else ""
            )
        )
    x_val, t_val = training_data(*validation_data, what="validation ")
    for given, name in ((x_val, "inputs"), (t_val, "targets")):
        if library_of(given) != library_of(x):
            raise NamespaceError(
                f"fit got validation {name} of {library_of(given)}, training data of "
                f"{library_of(x)}; give both from one array library"
            )
    if x_val.shape[1] != x.shape[1]:
        raise ShapeError(
            f"fit expects validation inputs with the {x.shape[1]} features of x, got shape "
            f"{x_val.shape}"
        )
    if type(x_val) is not np.ndarray:
        return namespace_of(x_val).astype(x_val, x.dtype, copy=False), t_val
    return x_val.astype(x.dtype, copy=False), t_val


def check_namespaces(model: Layer, x: Array, t: np.ndarray) -> None:
    """Refuse data and a model of different array libraries (`Layer.to` moves a model)."""
    data, targets = library_of(x), library_of(t)
    if targets != data:
        raise NamespaceError(
            f"fit got inputs x of {data} and targets t of {targets}; give both from one array "
            f"library"
        )
    held = sorted({library_of(parameter.value) for parameter in model.parameters()})
    if len(held) > 1:
        raise NamespaceError(
            f"fit got a model whose parameters are of {' and '.join(held)}; move it to one "
            f"library with net.to(name)"
        )
    if held and held != [data]:
        raise NamespaceError(
            f"fit got a model holding {held[0]} parameters and {data} data x, t; move the "
            f"model with net.to({data!r}) or convert the data"
        )


def check_model_and_data(
    model: Layer,
    x: Array,
    t: np.ndarray,
    loss: Loss,
    batch_size: int,
    validation: tuple[Array, np.ndarray] | None,
    metrics: Mapping[str, Metric],
) -> None:
    """Run the model on the first batch and the loss on every target, changing no parameter.

    Every target is checked by the loss (`Loss.check_targets`), with the first batch's
    prediction standing in for the others, which costs at most one loss evaluation over the
    data instead of a forward pass.
    The validation data is checked the same way, and each metric on the first batch of each.
    """
    states = _states(model)  # a layer may adopt the data's dtype in this first forward
    try:
        _check_batches(model, x, t, loss, batch_size, metrics)
        if validation is not None:
            _check_batches(model, *validation, loss, TARGET_CHUNK, metrics, "validation ")
    except LayerkitError as error:
        for layer, state in states:
            vars(layer).update(state)
        error.add_note("raised by fit before training: the model is unchanged")
        raise


def _check_batches(
    model: Layer,
    x: Array,
    t: np.ndarray,
    loss: Loss,
    batch_size: int,
    metrics: Mapping[str, Metric],
    what: str = "",
) -> None:
    batch_size = min(batch_size, x.shape[0])  # a slice within bounds, as the array API asks
    y = model.forward(x[:batch_size, ...])
    value = loss.forward(y, t[:batch_size, ...])
    if not isinstance(value, numbers.Real):
        raise ComponentTypeError(
            f"fit expects {loss!r}.forward to return a float, got {described(value)}"
        )
    if y.ndim == 0:
        raise ShapeError(f"fit expects the model to return one output per sample, got {y}")
    loss.check_targets(y, t)
    for name, metric in metrics.items():
        measured = metric.forward(y, t[:batch_size, ...])
        if not isinstance(measured, numbers.Real):
            raise ComponentTypeError(
                f"fit expects metric {name!r} ({metric!r}) to return a float on the first "
                f"{what}batch, got {described(measured)}"
            )


def _states(model: Layer) -> list[tuple[Layer, dict[str, object]]]:
    """Every layer's attributes (shallow), to undo what a first forward changes in them."""
    layers, seen = [model], {id(model)}
    for layer in layers:  # grows as nested Sequentials are met; each layer once
        for child in layer.layers if isinstance(layer, Sequential) else []:
            if id(child) not in seen:
                seen.add(id(child))
                layers.append(child)
    return [(layer, dict(vars(layer))) for layer in layers if hasattr(layer, "__dict__")]
