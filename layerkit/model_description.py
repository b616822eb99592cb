"""Describing a model for its file: the JSON header and the parameter arrays `save` writes.

The header names each layer by what rebuilds it, never by code: ``"sequential"`` with its
layers, ``"dense"`` with its ``config()``, ``"activation"`` with the name its plugin registered
it under and its ``config()``; then the loss by its registered name, the metadata, and where
each activation and loss came from. Everything is checked here, before anything is written,
so that `load` reads whatever `save` writes: each config survives JSON and rebuilds its
class, parameters are finite float arrays under names no other array takes, and nothing nests
deeper than `MAX_DEPTH` models or `MAX_NESTING` JSON levels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from .dense import Dense
from .errors import ComponentTypeError, NonFiniteError, UnsavableLayerError
from .layer import Layer
from .loss import Loss
from .model_format import (
    FORMAT,
    FORMAT_VERSION,
    HEADER,
    MAX_DEPTH,
    MAX_NESTING,
    MODEL_ONLY_VERSION,
    json_problem,
    shown,
)
from .model_optimizer import checked_epoch, describe_optimizer
from .namespaces import library_of, to_numpy
from .optim import Optimizer
from .registry import BUILTIN, Component, activations, failed_plugins, losses
from .sequential import Sequential
from .validation import FLOAT_DTYPES, Array


def describe(
    model: Layer,
    loss: Loss | None,
    metadata: Mapping[str, Any] | None,
    optimizer: Optimizer | None = None,
    epoch: int | None = None,
) -> tuple[dict[str, Any], dict[str, Array]]:
    """Return the JSON header and the arrays of ``model`` (and of ``optimizer``'s state)."""
    from . import __version__

    if not isinstance(model, Layer):
        hint = " (a class: did you forget the parentheses?)" if isinstance(model, type) else ""
        raise ComponentTypeError(
            f"save expects a Layer (a Sequential, a Dense or an activation), got "
            f"{shown(model)} of type {type(model).__name__}{hint}"
        )
    if loss is not None and not isinstance(loss, Loss):
        hint = " (a class: did you forget the parentheses?)" if isinstance(loss, type) else ""
        raise ComponentTypeError(
            f"save expects loss=None or a Loss instance such as L2Loss(), got {shown(loss)} "
            f"of type {type(loss).__name__}{hint}"
        )
    if metadata is not None and not isinstance(metadata, Mapping):
        raise ComponentTypeError(
            f"save expects metadata=None or a mapping with string keys, got {shown(metadata)} of "
            f"type {type(metadata).__name__}"
        )
    arrays: dict[str, Array] = {}
    components: dict[tuple[str, str], dict[str, Any]] = {}
    architecture = _Describe(arrays, components).layer(model, "", 0)
    header: dict[str, Any] = {
        "format": FORMAT,
        "format_version": MODEL_ONLY_VERSION if optimizer is None else FORMAT_VERSION,
        "layerkit_version": __version__,
        "model": architecture,
        "parameters": {
            name: {"dtype": array.dtype.name, "shape": list(array.shape)}
            for name, array in arrays.items()
        },
        "loss": None,
        "metadata": {},
    }
    if loss is not None:
        component = _registered(losses, "loss", f"loss {shown(loss)}").get(type(loss))
        if component is None:
            raise UnsavableLayerError(
                f"cannot save loss {shown(loss)}: its class {_qualified(type(loss))} is not a "
                f"registered loss; register it via a plugin (a register_losses hook)"
                f"{_set_aside()}"
            )
        header["loss"] = {"name": component.name, "config": _rebuildable(component, loss, "loss")}
        components[("loss", component.name)] = _component_record(component)
    if optimizer is not None:
        header["optimizer"] = describe_optimizer(optimizer, model, arrays, components)
    epoch = checked_epoch(epoch)
    if epoch is not None:
        header["epoch"] = epoch
    header["components"] = list(components.values())
    if metadata is not None:
        header["metadata"] = _json_checked(dict(metadata), "metadata", MAX_NESTING - 1)
    if json_problem(header, MAX_NESTING) is not None:  # deep models with deep configs
        raise UnsavableLayerError(
            f"cannot save {shown(model)}: its description nests more than {MAX_NESTING} deep"
        )
    return header, arrays


class _Describe:
    """Describes the layers of one model, consulting the registry only for activations."""

    def __init__(
        self, arrays: dict[str, Array], components: dict[tuple[str, str], dict[str, Any]]
    ) -> None:
        self.arrays = arrays
        self.components = components
        self.by_class: dict[type, Component] | None = None

    def layer(self, layer: Layer, prefix: str, depth: int) -> dict[str, Any]:
        where = f"layer {prefix.rstrip('.')}" if prefix else "the model"
        if depth > MAX_DEPTH:
            raise UnsavableLayerError(
                f"cannot save the model: its Sequential models nest more than {MAX_DEPTH} deep "
                f"(does a Sequential contain itself?)"
            )
        kind = type(layer)
        if kind is Sequential:
            return {
                "type": "sequential",
                "layers": [
                    self.layer(child, f"{prefix}{i}.", depth + 1)
                    for i, child in enumerate(layer)  # type: ignore[attr-defined]
                ],
            }
        if kind is Dense:
            node: dict[str, Any] = {"type": "dense", "config": _json_config(layer, where)}
        else:
            component = self.registered(layer, where).get(kind)
            if component is None:
                raise UnsavableLayerError(
                    f"cannot save {where} ({shown(layer)}): its class {_qualified(kind)} is "
                    f"neither Dense, Sequential nor a registered activation; register it via a "
                    f"plugin (a register_activations hook, see `layerkit plugins`) so that it can "
                    f"be rebuilt by name{_set_aside()}"
                )
            node = {
                "type": "activation",
                "name": component.name,
                "config": _rebuildable(component, layer, where),
            }
            self.components[("activation", component.name)] = _component_record(component)
        for name in layer.param_names:
            if not isinstance(name, str):
                raise UnsavableLayerError(
                    f"cannot save {where} ({shown(layer)}): its param_names hold "
                    f"{shown(name)}, not a string"
                )
            self.parameter(layer, where, prefix, name)
        if kind is Dense:
            _check_dense(layer, where)  # type: ignore[arg-type]
        return node

    def registered(self, layer: Layer, where: str) -> dict[type, Component]:
        if self.by_class is None:
            self.by_class = _registered(activations, "activation", f"{where} ({shown(layer)})")
        return self.by_class

    def parameter(self, layer: Layer, where: str, prefix: str, name: str) -> None:
        value = getattr(layer, name, None)
        if type(value) is not np.ndarray and library_of(value) != "numpy":
            value = to_numpy(value)  # a file holds NumPy arrays whatever the model computes with
        if not isinstance(value, np.ndarray) or value.dtype not in FLOAT_DTYPES:
            raise UnsavableLayerError(
                f"cannot save {where} ({shown(layer)}): parameter {name!r} is not a float32 or "
                f"float64 array"
            )
        if prefix + name in self.arrays or prefix + name == HEADER:
            raise UnsavableLayerError(
                f"cannot save {where} ({shown(layer)}): its parameter {name!r} would be stored as "
                f"{prefix + name!r}, a name already taken in the file"
            )
        if not np.all(np.isfinite(value)):
            raise NonFiniteError(
                f"cannot save {where} ({shown(layer)}): parameter {name!r} holds NaN or infinity "
                f"(did training diverge?)"
            )
        self.arrays[prefix + name] = value


def _check_dense(layer: Dense, where: str) -> None:
    """Refuse a Dense whose weights no longer fit its sizes: load would refuse the file."""
    W, b = layer.W, layer.b
    expected = (layer.in_features, layer.out_features)
    if W.shape != expected or b.shape != expected[1:] or W.dtype != b.dtype:
        raise UnsavableLayerError(
            f"cannot save {where} ({shown(layer)}): W {W.shape} {W.dtype} and b {b.shape} "
            f"{b.dtype} do not fit its sizes {expected} and one dtype, so it could not be loaded "
            f"back"
        )


def _rebuildable(component: Component, thing: Layer | Loss, where: str) -> dict[str, Any]:
    """Return the config of an activation or loss, once its class has been rebuilt from it."""
    config = _json_config(thing, where)
    try:
        component.cls(**config)
    except Exception as error:
        raise UnsavableLayerError(
            f"cannot save {where} ({shown(thing)}): {_qualified(component.cls)} cannot be rebuilt "
            f"from its config() {config} ({type(error).__name__}: {error}), so load would "
            f"refuse the file"
        ) from error
    return config


def _registered(lookup: Any, kind: str, what: str) -> dict[type, Component]:
    """Reverse lookup of ``lookup()`` (activations or losses): class → first registration."""
    try:
        registered = lookup()
    except Exception as error:  # a broken plugin: say so instead of a traceback from pluggy
        raise UnsavableLayerError(
            f"cannot save {what}: the registered {kind}s cannot be listed "
            f"({type(error).__name__}: {error}); see `layerkit plugins`"
        ) from error
    found: dict[type, Component] = {}
    for component in registered.values():
        found.setdefault(component.cls, component)
    return found


def _set_aside() -> str:
    """A note on the plugins the registry set aside, for a class it does not know.

    A class two plugins register under one name, or whose plugin is broken, is not among the
    registered components; the registry keeps no class for what it set aside, so all are named.
    """
    try:
        failed = list(failed_plugins().values())
    except Exception:  # a registry that cannot be read: the message stands without the note
        return ""
    if not failed:
        return ""
    more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
    return (
        f"; a plugin that registers it may be among those the registry set aside: "
        f"{'; '.join(failed[:3])}{more} (see lk.failed_plugins())"
    )


def _component_record(component: Component) -> dict[str, Any]:
    from . import __version__

    builtin = component.plugin == BUILTIN
    return {
        "kind": component.kind,
        "name": component.name,
        "class": _qualified(component.cls),
        "plugin": component.plugin,
        "distribution": "layerkit" if builtin else component.distribution,
        "version": __version__ if builtin else component.version,
    }


def _json_config(thing: Layer | Loss, where: str) -> dict[str, Any]:
    try:
        config = thing.config()
    except Exception as error:
        raise UnsavableLayerError(
            f"cannot save {where}: its config() raised {type(error).__name__}: {error}"
        ) from error
    if not isinstance(config, dict):
        raise UnsavableLayerError(
            f"cannot save {where}: its config() returned {shown(config)}, not a dict of options"
        )
    return _json_checked(config, f"the config() of {where} ({shown(thing)})", MAX_NESTING)


def _json_checked(value: dict[str, Any], what: str, limit: int) -> dict[str, Any]:
    """Return ``value`` if it survives JSON exactly (but for tuples), else raise."""
    problem = json_problem(value, limit)
    if problem is None:
        try:
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as error:
            problem = str(error)
    if problem is not None:
        raise UnsavableLayerError(f"cannot save {what}: not JSON-serialisable ({problem})")
    return value


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
