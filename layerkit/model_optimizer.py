"""The optimizer in a model file (a checkpoint): its name, options and state, out and back.

`save(model, path, optimizer=opt)` adds to the header the optimizer's registered name, its
``config()`` and, per parameter, the dtype and shape of each array of its state
(``opt.state_dict(model)``: SGD's ``"momentum_buffer"``, Adam's moments and step count); the
arrays go into the archive as ``__optimizer__.<parameter>.<key>``. Loading checks that part of
the header like the rest, before reading anything: every state array belongs to a parameter
of the file, has that parameter's shape or none (a scalar such as a step count), and a
dtype of `STATE_DTYPES`. The optimizer is rebuilt by name through the registry, like an
activation, and given its state with ``load_state_dict``; nothing is unpickled or imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ComponentTypeError, ConfigurationError, NonFiniteError, UnsavableLayerError
from .layer import Layer
from .model_archive import Members, read_array
from .model_format import HEADER, shown
from .optim import Optimizer
from .validation import Array

if TYPE_CHECKING:
    from .model_rebuild import _Rebuild

STATE_PREFIX = "__optimizer__."
"""How the archive names a state array: ``__optimizer__.0.W.exp_avg``."""
STATE_DTYPES = ("float32", "float64", "int32", "int64", "bool")
"""The dtypes an optimizer's state may have in a file (a step count is a 0-d int64)."""


def state_member(parameter: str, key: str) -> str:
    """The archive name of the state ``key`` of ``parameter``."""
    return f"{STATE_PREFIX}{parameter}.{key}"


# ---------------------------------------------------------------------------------- save
def describe_optimizer(
    optimizer: object,
    model: Layer,
    arrays: dict[str, Array],
    components: dict[tuple[str, str], dict[str, Any]],
) -> dict[str, Any]:
    """Return the header entry of ``optimizer``; add its state arrays to ``arrays``."""
    from .model_description import _component_record, _rebuildable, _registered, _set_aside
    from .registry import optimizers

    if not isinstance(optimizer, Optimizer):
        hint = " (a class: did you forget the parentheses?)" if isinstance(optimizer, type) else ""
        raise ComponentTypeError(
            f"save expects optimizer=None or an Optimizer instance such as SGD(lr=0.1), got "
            f"{shown(optimizer)} of type {type(optimizer).__name__}{hint}"
        )
    what = f"optimizer {shown(optimizer)}"
    component = _registered(optimizers, "optimizer", what).get(type(optimizer))
    if component is None:
        cls = type(optimizer)
        raise UnsavableLayerError(
            f"cannot save {what}: its class {cls.__module__}.{cls.__qualname__} is not a "
            f"registered optimizer, so load could not rebuild it by name; register it via a "
            f"plugin (a register_optimizers hook), or save without optimizer={_set_aside()}"
        )
    config = _rebuildable(component, optimizer, what)  # type: ignore[arg-type]
    shapes = {parameter.name: parameter.value.shape for parameter in model.parameters()}
    entries: dict[str, dict[str, Any]] = {}
    for name, state in optimizer.state_dict(model).items():
        for key, array in state.items():
            where = f"cannot save {what}: its state {key!r} of parameter {name!r}"
            if not isinstance(key, str) or not key:
                raise UnsavableLayerError(f"{where} is not named by a string")
            array = np.asarray(array)
            if array.dtype.name not in STATE_DTYPES or array.shape not in ((), shapes[name]):
                raise UnsavableLayerError(
                    f"{where} is a {array.dtype} array of shape {array.shape}; a file keeps "
                    f"state of dtype {', '.join(STATE_DTYPES)} shaped like the parameter "
                    f"{shapes[name]} or scalar"
                )
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise NonFiniteError(f"{where} holds NaN or infinity (did training diverge?)")
            member = state_member(name, key)
            if member in arrays or member == HEADER:
                raise UnsavableLayerError(f"{where} would be stored as {member!r}, a name taken")
            arrays[member] = array
            entries.setdefault(name, {})[key] = {
                "dtype": array.dtype.name,
                "shape": list(array.shape),
            }
    components[("optimizer", component.name)] = _component_record(component)
    return {"name": component.name, "config": config, "state": entries}


def checked_epoch(epoch: object) -> int | None:
    """``epoch`` if it is None or a non-negative integer, else a `ConfigurationError`."""
    if epoch is None:
        return None
    if isinstance(epoch, (int, np.integer)) and not isinstance(epoch, bool) and epoch >= 0:
        return int(epoch)
    raise ConfigurationError(
        f"save expects epoch=None or the number of epochs trained (an integer >= 0), got "
        f"epoch={shown(epoch)}"
    )


# ---------------------------------------------------------------------------------- load
def optimizer_problem(header: dict[str, Any]) -> str | None:
    """What is wrong with the header's ``"optimizer"`` and ``"epoch"``, if anything."""
    epoch = header.get("epoch")
    if epoch is not None and (not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0):
        return f"its 'epoch' is {str(epoch)[:80]}, not a number of epochs"
    node = header.get("optimizer")
    if node is None:
        return None
    if not (
        isinstance(node, dict)
        and isinstance(node.get("name"), str)
        and isinstance(node.get("config", {}), dict)
        and isinstance(node.get("state", {}), dict)
    ):
        return f"its 'optimizer' is {str(node)[:80]}, not an object with a name, config and state"
    parameters = header["parameters"]
    for name, entries in node.get("state", {}).items():
        if name not in parameters or not isinstance(entries, dict):
            return f"the optimizer has state for {name[:80]!r}, which is not a parameter"
        for key, entry in entries.items():
            shape = entry.get("shape") if isinstance(entry, dict) else None
            sizes = isinstance(shape, list) and all(type(size) is int for size in shape)
            if (
                not key
                or not isinstance(entry, dict)
                or entry.get("dtype") not in STATE_DTYPES
                or not sizes  # 2.0 and True would pass for 2 and 1 below
                or shape not in ([], parameters[name]["shape"])
            ):
                return (
                    f"the optimizer's state {key[:80]!r} of parameter {name[:80]!r} is "
                    f"{str(entry)[:80]}, not a {'/'.join(STATE_DTYPES)} array shaped like the "
                    f"parameter or scalar"
                )
    return None


def optimizer_members(header: dict[str, Any]) -> set[str]:
    """The archive members the header's optimizer state names (checked by `optimizer_problem`)."""
    node = header.get("optimizer") or {}
    return {
        state_member(name, key) + ".npy"
        for name, entries in node.get("state", {}).items()
        for key in entries
    }


def rebuild_optimizer(rebuilt: _Rebuild, model: Layer) -> Optimizer | None:
    """The optimizer the file holds, with its state loaded for ``model``, or None."""
    from .errors import ModelFileError

    node = rebuilt.header.get("optimizer")
    if node is None:
        return None
    optimizer = rebuilt.component("optimizer", node["name"], node.get("config", {}))
    state: dict[str, dict[str, Array]] = {}
    for name, entries in node.get("state", {}).items():
        for key, entry in entries.items():
            state.setdefault(name, {})[key] = _state_array(
                rebuilt.path, rebuilt.archive, rebuilt.members, state_member(name, key), entry
            )
    try:
        optimizer.load_state_dict(model, state)
    except (ConfigurationError, TypeError, ValueError) as error:
        raise ModelFileError(
            f"{rebuilt.path}: the optimizer {shown(node['name'])} refused its saved state "
            f"({type(error).__name__}: {error})"
        ) from None
    return optimizer


def _state_array(
    path: Path, archive: Any, members: Members, member: str, entry: dict[str, Any]
) -> Array:
    from .errors import ModelFileError

    info = members.get(member + ".npy")
    if info is None:
        raise ModelFileError(f"{path} is corrupted: the optimizer's state {member!r} is missing")
    shape = tuple(entry["shape"])
    value = read_array(path, archive, info, member, entry["dtype"], shape)
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        raise ModelFileError(
            f"{path} is corrupted: the optimizer's state {member!r} holds NaN or infinity, "
            f"which save never writes"
        )
    return value
