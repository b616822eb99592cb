"""Rebuilding a model from its file: the header checked part by part, then the layers.

Nothing in the header is trusted before it has been checked: its size before it is parsed,
its nesting before anything recurses into it, its format and version, the types of its
parts, and every parameter's dtype and shape before its member is read. Layers are rebuilt
from names through the registry, the same way as ``lk.activation(name)``, so a file never
names code to import or run; a member the header does not name is refused unread.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .dense import Dense
from .errors import LayerkitError, ModelFileError, PluginError, UnknownComponentError
from .install_hints import distribution_hint
from .layer import Layer
from .loss import Loss
from .model_archive import Members, read_array
from .model_format import (
    FORMAT,
    FORMAT_VERSION,
    HEADER,
    MAX_ARRAY_BYTES,
    MAX_DEPTH,
    MAX_NESTING,
    header_size_problem,
    json_problem,
    shown,
)
from .model_optimizer import optimizer_members, optimizer_problem, rebuild_optimizer
from .optim import Optimizer
from .registry import Component, Kind, failed_plugins, plugin_manager
from .registry import _build as build_component
from .registry import _find as find_component
from .sequential import Sequential
from .validation import Array


def rebuild(
    path: Path, archive: zipfile.ZipFile, members: Members, *, with_optimizer: bool = False
) -> tuple[dict[str, Any], Layer, Loss | None, Optimizer | None, list[dict[str, Any]]]:
    """Read the header of the open model file ``path`` and rebuild what it describes.

    Returns the header, the model with its parameters, the loss (or ``None``), the optimizer
    with its state (``None`` unless ``with_optimizer`` and the file has one) and the
    components the file says the model needs, one record per kind and name. The optimizer's
    plugin is needed only ``with_optimizer``.
    """
    header = _read_header(path, archive, members)
    rebuilt = _Rebuild(path, header, archive, members)
    model, loss = rebuilt.model_and_loss()
    optimizer = rebuild_optimizer(rebuilt, model) if with_optimizer else None
    return header, model, loss, optimizer, list(rebuilt.provenance.values())


def _read_header(path: Path, archive: zipfile.ZipFile, members: Members) -> dict[str, Any]:
    """Read, parse and check the header, refusing what `save` never writes."""
    raw = read_array(path, archive, members[HEADER + ".npy"], HEADER, "uint8", None).tobytes()
    problem = header_size_problem(raw)  # before parsing: JSON takes ~25x its size in objects
    if problem is not None:
        raise ModelFileError(f"{path} has a corrupted header: {problem}")
    try:
        header = json.loads(
            raw.decode("utf-8"),
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except RecursionError:
        raise ModelFileError(f"{path} has a corrupted header: it nests too deeply") from None
    except ValueError as error:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ModelFileError(f"{path} has a corrupted header: {error}") from None
    if json_problem(header, MAX_NESTING) is not None:  # before anything recurses into it
        raise ModelFileError(
            f"{path} has a corrupted header: it nests more than {MAX_NESTING} deep"
        )
    if header.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} is not a layerkit model file (its header's format is "
            f"{str(header.get('format'))[:80]!r}, expected {FORMAT!r})"
        )
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path} has an invalid format version {str(version)[:80]!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model format version {str(version)[:20]}, written by layerkit "
            f"{str(header.get('layerkit_version', '?'))[:80]}; this layerkit reads format "
            f"version {FORMAT_VERSION} and older: upgrade layerkit to load it"
        )
    problem = _header_problem(header)
    if problem is not None:
        raise ModelFileError(f"{path} has a corrupted header: {problem}")
    return header


def _refuse_constant(name: str) -> None:
    raise ValueError(f"it holds {name}, which save never writes")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _header_problem(header: dict[str, Any]) -> str | None:
    """What is wrong with the parts of a parsed header that do not describe layers, if any."""
    if not isinstance(header.get("model"), dict):
        return "its 'model' is missing or not a JSON object"
    parameters = header.get("parameters")
    if not isinstance(parameters, dict):
        return "its 'parameters' is missing or not a JSON object"
    for name, entry in parameters.items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or entry.get("dtype") not in ("float32", "float64"):
            return f"parameter {name!r} is {str(entry)[:80]}, without dtype float32 or float64"
        if not (
            isinstance(shape, list)
            and len(shape) <= 32
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape)
        ):
            return f"parameter {name!r} has shape {str(shape)[:80]}, not a list of sizes"
        if math.prod(shape) * np.dtype(entry["dtype"]).itemsize > MAX_ARRAY_BYTES:
            return f"parameter {name!r} has shape {str(shape)[:80]}, larger than any model"
    components = header.get("components", [])
    if not isinstance(components, list) or not all(
        isinstance(c, dict) and isinstance(c.get("kind"), str) and isinstance(c.get("name"), str)
        for c in components
    ):
        return "its 'components' is not a list of objects with a kind and a name"
    loss = header.get("loss")
    if loss is not None and not (
        isinstance(loss, dict)
        and isinstance(loss.get("name"), str)
        and isinstance(loss.get("config", {}), dict)
    ):
        return f"its 'loss' is {str(loss)[:80]}, not an object with a name and a config"
    if not isinstance(header.get("metadata") or {}, dict):
        return "its 'metadata' is not a JSON object"
    return optimizer_problem(header)


class _Rebuild:
    """Rebuilds the model of one file, checking each part of the header as it goes."""

    def __init__(
        self,
        path: Path,
        header: dict[str, Any],
        archive: zipfile.ZipFile,
        members: Members,
    ):
        self.path = path
        self.header = header
        self.archive = archive
        self.members = members
        self.parameters: dict[str, dict[str, Any]] = header["parameters"]
        self.used: set[str] = set()
        self.provenance = {(c["kind"], c["name"]): c for c in header.get("components", [])}
        # Each name is looked up once: a lookup asks every plugin, and a header may hold
        # 100,000 activation layers.
        self.found: dict[tuple[str, str], Component] = {}

    def model_and_loss(self) -> tuple[Layer, Loss | None]:
        header = self.header
        # Refuse what the header does not name before reading anything else: a bomb stays shut.
        state = optimizer_members(header)
        unnamed = sorted(
            name.removesuffix(".npy")
            for name in self.members
            if name != HEADER + ".npy"
            and name not in state
            and not (name.endswith(".npy") and name.removesuffix(".npy") in self.parameters)
        )
        if unnamed:
            self.unused(unnamed)
        try:
            model = self.layer(header["model"], "", 0)
            loss = self.loss(header.get("loss"))
        except ModelFileError:
            raise
        except (LayerkitError, LookupError, TypeError, ValueError, AttributeError) as error:
            raise ModelFileError(
                f"{self.path} has a corrupted header: cannot rebuild the model "
                f"({type(error).__name__}: {error})"
            ) from None
        unused = sorted(set(self.parameters) - self.used)
        if unused:
            self.unused(unused)
        return model, loss

    def unused(self, names: list[str]) -> None:
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        raise ModelFileError(
            f"{self.path} is corrupted: it holds arrays the model does not use: {shown}"
        )

    def layer(self, node: Any, prefix: str, depth: int) -> Layer:
        where = f"layer {prefix.rstrip('.')}" if prefix else "the model"
        if not isinstance(node, dict):
            raise ModelFileError(f"{self.path} has a corrupted header: {where} is not an object")
        if depth > MAX_DEPTH:
            raise ModelFileError(
                f"{self.path} has a corrupted header: Sequential models nest more than "
                f"{MAX_DEPTH} deep at {where}"
            )
        kind = node.get("type")
        if kind == "sequential":
            children = node.get("layers")
            if not isinstance(children, list) or not children:
                raise ModelFileError(
                    f"{self.path} has a corrupted header: the sequential {where} has no layers"
                )
            return Sequential(
                *(self.layer(child, f"{prefix}{i}.", depth + 1) for i, child in enumerate(children))
            )
        config = node.get("config", {})
        if not isinstance(config, dict):
            raise ModelFileError(
                f"{self.path} has a corrupted header: the config of {where} is not an object"
            )
        if kind == "dense":
            W, b = self.parameter(prefix + "W"), self.parameter(prefix + "b")
            try:
                return Dense(**config, W=W, b=b)
            except Exception as error:
                raise ModelFileError(
                    f"{self.path} has a corrupted header: cannot build the Dense {where} from "
                    f"its saved options {str(config)[:200]} ({type(error).__name__}: {error})"
                ) from None
        if kind == "activation":
            name = node.get("name")
            if not isinstance(name, str):
                raise ModelFileError(
                    f"{self.path} has a corrupted header: the activation {where} has no name"
                )
            layer = self.activation(name, config)
            for name in layer.param_names:
                value = self.parameter(prefix + name)
                setattr(layer, name, value)
                setattr(layer, "d" + name, np.zeros_like(value))
            return layer
        raise ModelFileError(
            f"{self.path} holds a layer of unknown type {str(kind)[:80]!r}; it was written by "
            f"layerkit {str(self.header.get('layerkit_version', '?'))[:80]}: upgrade layerkit "
            f"to load it"
        )

    def activation(self, name: str, config: dict[str, Any]) -> Layer:
        return self.component("activation", name, config)

    def loss(self, node: dict[str, Any] | None) -> Loss | None:
        if node is None:
            return None
        return self.component("loss", node["name"], node.get("config", {}))

    def component(self, kind: Kind, name: str, config: dict[str, Any]) -> Any:
        """Build the ``kind`` registered as ``name``, found as ``lk.activation(name)`` finds it."""
        component = self.found.get((kind, name))
        try:
            component = component or find_component(kind, name)
        except (PluginError, UnknownComponentError) as refusal:  # contested, set aside, absent
            raise ModelFileError(self.missing(kind, name, refusal)) from None
        except Exception as error:
            raise ModelFileError(
                f"{self.path} needs the {kind} {shown(name)}, but the registered {kind}s cannot be "
                f"listed ({type(error).__name__}: {error}); see `layerkit plugins`"
            ) from error
        self.found[(kind, name)] = component
        try:  # as lk.activation builds it: a SystemExit or a non-instance is a layerkit error
            return build_component(component, config)
        except LayerkitError as error:
            raise ModelFileError(self.incompatible(kind, name, config, error)) from None

    def missing(self, kind: str, name: str, refusal: LayerkitError) -> str:
        """The registry's reason for refusing ``name``, and where the file says it came from."""
        plugin, distribution, version = self.saved_by(kind, name)
        if plugin and _present(plugin):  # installed, yet it cannot provide the name now
            source = f"the file says it came from plugin {shown(plugin)}" + (
                f" ({distribution}{version})" if distribution else ""
            )
        elif distribution:
            source = (
                f"it was provided by plugin {shown(plugin)} from distribution {distribution}"
                f"{version}"
                f"; install it to load this model, "
                f"{distribution_hint(distribution, version.strip() or None)}"
            )
        elif plugin:
            source = (
                f"it was provided by plugin {shown(plugin)}, registered at run time (not an "
                f"installed distribution); register that plugin before loading"
            )
        else:
            source = "the file does not say which plugin provided it"
        return f"{self.path} needs the {kind} {shown(name)}: {str(refusal).rstrip('.')}; {source}"

    def incompatible(self, kind: str, name: str, config: dict[str, Any], error: Exception) -> str:
        plugin, distribution, version = self.saved_by(kind, name)
        return (
            f"{self.path}: the installed {kind} {shown(name)} cannot be built with the saved "
            f"options {str(config)[:200]} ({type(error).__name__}: {error}); the file was "
            f"written with {distribution or str(plugin or 'an unknown plugin')[:80]}{version}"
        )

    def saved_by(self, kind: str, name: str) -> tuple[Any, str, str]:
        """The plugin, distribution and version (after a space) the file names, cut short."""
        saved = self.provenance.get((kind, name), {})
        plugin, distribution = saved.get("plugin"), saved.get("distribution")
        version = f" {str(saved['version'])[:40]}" if saved.get("version") else ""
        return plugin, str(distribution)[:80] if distribution else "", version

    def parameter(self, name: str) -> Array:
        expected = self.parameters.get(name)
        info = self.members.get(name + ".npy")
        if info is None or expected is None:
            raise ModelFileError(f"{self.path} is corrupted: parameter {name!r} is missing")
        shape = tuple(expected["shape"])
        value = read_array(self.path, self.archive, info, name, expected["dtype"], shape)
        if not np.isfinite(value).all():
            raise ModelFileError(
                f"{self.path} is corrupted: parameter {name!r} holds NaN or infinity, which "
                f"save never writes"
            )
        self.used.add(name)
        return value


def _present(plugin: Any) -> bool:
    """Whether ``plugin`` is loaded or was set aside (it is there, but cannot help)."""
    try:
        return plugin_manager().has_plugin(plugin) or plugin in failed_plugins()
    except Exception:  # a registry that cannot be read: say what the file says instead
        return False
